//! The outbox worker: sends the messages that transactions queued, with retries.
//!
//! Messages hold no personal data while queued. At send time the worker opens the
//! recipient's address and the order's details through the privacy gate, as the system
//! acting for order fulfilment, so every email sent leaves an audit entry.

use crate::checkout::CONFIRMATION_EMAIL;
use crate::mail::{MailError, Mailer};
use crate::orders::LOOKUP_CODE_EMAIL;
use crate::Clock;
use hanjinbi_domain::contact::{Email, FullName};
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang, ShopInfo};
use hanjinbi_privacy::gate::{items, Gate, GateError};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_store::outbox::{self, OutboxMessage};
use hanjinbi_store::{orders, subjects, Db, StoreError};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Attempts before a message is given up (and left for staff to see).
pub const MAX_ATTEMPTS: i64 = 8;

/// Messages sent at once: one slow or stuck server connection does not hold up the others.
const SENDING_AT_ONCE: usize = 4;

#[derive(Debug, Error)]
enum SendError {
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("cannot build the message: {0}")]
    Build(String),
}

#[derive(Clone)]
pub struct Notifier {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    mailer: Mailer,
    shop: Arc<ShopInfo>,
    wake: Arc<tokio::sync::Notify>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Waits before the next try: 30 s, 2 min, 8 min, … capped at a day.
pub fn backoff(attempts: i64) -> i64 {
    (30_i64.saturating_mul(4_i64.saturating_pow(attempts.clamp(0, 10) as u32))).min(86_400)
}

impl Notifier {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        gate: Gate,
        mailer: Mailer,
        shop: Arc<ShopInfo>,
    ) -> Notifier {
        Notifier {
            db,
            clock,
            gate,
            mailer,
            shop,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Asks the worker to look at the outbox now rather than at its next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `stop` resolves, checking the outbox every `every` and whenever woken.
    /// A pass still sending when `stop` comes is abandoned: its messages stay claimed until
    /// the claim expires and are tried again then (by this server after a restart, or by
    /// another).
    pub async fn run(self, every: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                pass = self.send_due() => if let Err(e) = pass {
                    tracing::warn!(error = %e, "outbox pass failed");
                },
            }
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(every) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// Sends what is due now, a few at a time; returns how many were sent.
    pub async fn send_due(&self) -> Result<usize, StoreError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let due = outbox::claim_due(&self.db, self.clock.now(), 300, 20).await?;
        let outcomes: Vec<bool> = stream::iter(due)
            .map(|message| self.deliver(message))
            .buffer_unordered(SENDING_AT_ONCE)
            .try_collect()
            .await?;
        Ok(outcomes.into_iter().filter(|sent| *sent).count())
    }

    /// Sends one message and records the outcome; `true` when it went out.
    async fn deliver(&self, message: OutboxMessage) -> Result<bool, StoreError> {
        match self.send(&message).await {
            Ok(()) => {
                let mut tx = self.db.begin_write().await?;
                outbox::mark_sent(&mut tx, message.id, self.clock.now()).await?;
                tx.commit().await?;
                Ok(true)
            }
            Err(e) => {
                // The next try counts from this failure, not from when the pass began: a
                // send that took long to fail must not be retried at once.
                let failed_at = self.clock.now();
                let attempts = message.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS).then(|| failed_at + backoff(attempts));
                // The error names no personal value: gate, store and transport errors
                // describe what failed, not what was in the message.
                tracing::warn!(message = message.id, kind = %message.kind, attempts, error = %e, "sending failed");
                outbox::mark_failed(&self.db, message.id, &e.to_string(), failed_at, retry_at)
                    .await?;
                Ok(false)
            }
        }
    }

    async fn send(&self, message: &OutboxMessage) -> Result<(), SendError> {
        // The mailer's principal is proved by the message itself, still waiting in the
        // outbox, and reaches only that message's order and buyer.
        let (principal, order) = self
            .gate
            .mailer_for(message.id)
            .await
            .map_err(|e| match e {
                GateError::NotFound => SendError::Store(StoreError::Corrupt(format!(
                    "outbox message {} names a missing order",
                    message.id
                ))),
                other => SendError::Gate(other),
            })?;
        let now = self.clock.now();
        let email = match message.kind.as_str() {
            CONFIRMATION_EMAIL => {
                let (to, name, ship_to) = self
                    .gate
                    .open::<(items::BuyerEmail, items::BuyerName, items::ShipTo)>(
                        &principal,
                        PurposeId::OrderFulfilment,
                        now,
                    )
                    .await?;
                self.confirmation(&order, &to, &name, &ship_to).await?
            }
            LOOKUP_CODE_EMAIL => {
                // The buyer asked to see their order: answering a request, not fulfilment.
                let (to, code) = self
                    .gate
                    .open::<(items::BuyerEmail, items::Code)>(
                        &principal,
                        PurposeId::AnsweringRequests,
                        now,
                    )
                    .await?;
                let code = code.expose();
                let text = format!(
                    "Mã tra cứu đơn hàng {} của quý khách là: {code}\nMã có hiệu lực trong 15 phút. Nếu quý khách không yêu cầu, hãy bỏ qua email này.\n\n\
                     Your code to look up order {} is: {code}\nIt works for 15 minutes. If you did not ask for it, ignore this email.\n\n{}\n",
                    order.number, order.number, self.shop.name
                );
                self.message(
                    to.expose(),
                    &format!("{}: mã tra cứu đơn hàng {}", self.shop.name, order.number),
                    text,
                    None,
                )?
            }
            other => return Err(SendError::Build(format!("unknown message kind {other}"))),
        };
        self.mailer.send(email).await?;
        Ok(())
    }

    fn message(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: Option<String>,
    ) -> Result<Message, SendError> {
        let from: Mailbox = format!("{} <{}>", self.shop.name, self.shop.email)
            .parse()
            .map_err(|_| SendError::Build("the shop's email address".into()))?;
        let to: Mailbox = to
            .parse()
            .map_err(|_| SendError::Build("the recipient's address".into()))?;
        let builder = Message::builder().from(from).to(to).subject(subject);
        // Quoted-printable keeps ASCII (order numbers, codes, links) readable in the raw message.
        let part = |content_type: ContentType, body: String| {
            SinglePart::builder()
                .header(content_type)
                .header(ContentTransferEncoding::QuotedPrintable)
                .body(body)
        };
        let built = match html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(part(ContentType::TEXT_PLAIN, text))
                    .singlepart(part(ContentType::TEXT_HTML, html)),
            ),
            None => builder.singlepart(part(ContentType::TEXT_PLAIN, text)),
        };
        built.map_err(|e| SendError::Build(e.to_string()))
    }

    async fn confirmation(
        &self,
        order: &orders::OrderRow,
        to: &Email,
        name: &FullName,
        ship_to: &DeliveryDetails,
    ) -> Result<Message, SendError> {
        let name = name.expose();
        let lines = orders::lines(&self.db, &order.id).await?;
        let link = format!(
            "{}/don-hang/{}?token={}",
            self.shop.public_url.trim_end_matches('/'),
            order.number,
            self.gate.vault().order_token(&order.id)
        );
        let unknown = |what: &str, value: &str| {
            StoreError::Corrupt(format!(
                "order {} holds an unknown {what} {value:?}",
                order.id
            ))
        };
        let shipping = ShippingMethod::parse(&order.shipping_method)
            .ok_or_else(|| unknown("shipping method", &order.shipping_method))?
            .label(Lang::Vi);
        let payment = PaymentMethod::parse(&order.payment_method)
            .ok_or_else(|| unknown("payment method", &order.payment_method))?
            .label(Lang::Vi);
        let receipts: Vec<_> = subjects::consents(&self.db, &order.buyer_id)
            .await?
            .into_iter()
            .filter(|c| c.at == order.placed_at && c.granted)
            .collect();

        let mut text = format!(
            "Chào {name},\n\nCảm ơn quý khách đã đặt hàng tại {}. Đơn hàng {} đã được ghi nhận.\n\n",
            self.shop.name, order.number
        );
        let mut html = format!(
            "<p>Chào {},</p><p>Cảm ơn quý khách đã đặt hàng tại {}. Đơn hàng <strong>{}</strong> đã được ghi nhận.</p><table>",
            escape(name), escape(&self.shop.name), escape(&order.number)
        );
        for l in &lines {
            text.push_str(&format!(
                "- {} ({}) × {}: {}\n",
                l.product_name,
                l.variant_label,
                l.quantity,
                Dong(l.line_total)
            ));
            html.push_str(&format!(
                "<tr><td>{} ({})</td><td>× {}</td><td>{}</td></tr>",
                escape(&l.product_name),
                escape(&l.variant_label),
                l.quantity,
                escape(&Dong(l.line_total).to_string())
            ));
        }
        let totals = format!(
            "Tạm tính: {}\nPhí giao hàng: {}\nTổng cộng: {}\n",
            Dong(order.subtotal),
            Dong(order.shipping_fee),
            Dong(order.total)
        );
        text.push_str(&format!("\n{totals}\nGiao đến: {}, {}, {}\nVận chuyển: {shipping}\nThanh toán: {payment}\n\nXem đơn hàng: {link}\n",
            ship_to.name().expose(), ship_to.phone().expose(), ship_to.address()));
        html.push_str(&format!(
            "</table><p>{}</p><p>Giao đến: {}, {}, {}<br>Vận chuyển: {}<br>Thanh toán: {}</p><p><a href=\"{}\">Xem đơn hàng</a></p>",
            escape(&totals).replace('\n', "<br>"), escape(ship_to.name().expose()), escape(ship_to.phone().expose()),
            escape(&ship_to.address()), escape(shipping), escape(payment), escape(&link)
        ));
        if !receipts.is_empty() {
            text.push_str("\nBiên nhận đồng ý của quý khách:\n");
            html.push_str("<h2>Biên nhận đồng ý của quý khách</h2><ul>");
            for c in &receipts {
                text.push_str(&format!(
                    "- {} (chính sách phiên bản {}, kênh {}): “{}”\n",
                    c.purpose, c.policy_version, c.channel, c.wording
                ));
                html.push_str(&format!(
                    "<li>{} (chính sách phiên bản {}, kênh {}): “{}”</li>",
                    escape(&c.purpose),
                    escape(&c.policy_version),
                    escape(&c.channel),
                    escape(&c.wording)
                ));
            }
            text.push_str(
                "Quý khách có thể rút lại sự đồng ý bất cứ lúc nào bằng cách liên hệ với chúng tôi.\n",
            );
            html.push_str("</ul><p>Quý khách có thể rút lại sự đồng ý bất cứ lúc nào bằng cách liên hệ với chúng tôi.</p>");
        }
        let footer = format!(
            "\n{} · {} · Hotline {}\nChính sách bảo mật: {}/chinh-sach-bao-mat\n",
            self.shop.legal_name,
            self.shop.email,
            self.shop.hotline,
            self.shop.public_url.trim_end_matches('/')
        );
        text.push_str(&footer);
        html.push_str(&format!("<p>{}</p>", escape(&footer).replace('\n', "<br>")));
        self.message(
            to.expose(),
            &format!("{}: xác nhận đơn hàng {}", self.shop.name, order.number),
            text,
            Some(html),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stay_bounded() {
        assert_eq!(backoff(0), 30);
        assert_eq!(backoff(1), 120);
        assert!(backoff(5) > backoff(4));
        assert_eq!(backoff(100), 86_400);
    }
}
