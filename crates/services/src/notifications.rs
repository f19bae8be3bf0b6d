//! The outbox worker: sends the messages that transactions queued, with retries.
//!
//! Messages hold no personal data while queued. At send time the worker opens the
//! recipient's address and the order's details through the privacy gate, as the system
//! acting for order fulfilment, so every email sent leaves an audit entry.

use crate::accounts::{
    ALREADY_REGISTERED_EMAIL, PASSWORD_RESET_EMAIL, RESET_LINK_SECS, VERIFY_EMAIL, VERIFY_LINK_SECS,
};
use crate::checkout::CONFIRMATION_EMAIL;
use crate::emails::account_link::{AccountLinkKind, AccountLinkMail};
use crate::emails::confirmation::{Confirmation, ConsentChannel, ConsentReceipt, ShipTo};
use crate::emails::erasure_notice::ErasureNoticeMail;
use crate::emails::lookup_code::LookupCodeMail;
use crate::emails::{
    domain_of, envelope, EmailError, Envelope, PaymentInstructions, PaymentInstructionsError,
    PaymentOrder, Rendered,
};
use crate::erasure::{ERASURE_LINK_EMAIL, ERASURE_LINK_SECS, ERASURE_NOTICE_EMAIL};
use crate::mail::{MailError, Mailer};
use crate::orders::{order_lang, OrderLineView, CODE_LIFETIME_SECS, LOOKUP_CODE_EMAIL};
use crate::Clock;
use hanjinbi_domain::contact::{Email, FullName, OrderNote};
use hanjinbi_domain::order::{PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang, ShopInfo};
use hanjinbi_privacy::gate::{items, Gate, GateError, MailFor};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_store::accounts::AccountRow;
use hanjinbi_store::outbox::{self, OutboxMessage};
use hanjinbi_store::{orders, subjects, Db, StoreError};
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
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Payment(#[from] PaymentInstructionsError),
    #[error("unknown message kind {0}")]
    UnknownKind(String),
}

#[derive(Clone)]
pub struct Notifier {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    mailer: Mailer,
    shop: Arc<ShopInfo>,
    payment: Option<Arc<dyn PaymentInstructions>>,
    wake: Arc<tokio::sync::Notify>,
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
            payment: None,
            wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Adds the bank transfer block (with its QR image) to confirmations of orders that
    /// `source` gives one for. Without it, confirmations carry no payment block.
    pub fn with_payment_instructions(mut self, source: Arc<dyn PaymentInstructions>) -> Notifier {
        self.payment = Some(source);
        self
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
                let now = self.clock.now();
                let mut tx = self.db.begin_write().await?;
                outbox::mark_sent(&mut tx, message.id, now).await?;
                // A message subject exists only to carry this message: once sent, its key
                // goes, and every copy of the content with it.
                if let Some(subject) = &message.subject_id {
                    subjects::destroy_key(&mut tx, subject, now).await?;
                }
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
                if let (None, Some(subject)) = (retry_at, &message.subject_id) {
                    // Given up: the content will never be sent, so it is not kept either.
                    let mut tx = self.db.begin_write().await?;
                    subjects::destroy_key(&mut tx, subject, failed_at).await?;
                    tx.commit().await?;
                }
                Ok(false)
            }
        }
    }

    async fn send(&self, message: &OutboxMessage) -> Result<(), SendError> {
        // The mailer's principal is proved by the message itself, still waiting in the
        // outbox, and reaches only that message's order and buyer.
        let (principal, about) = self
            .gate
            .mailer_for(message.id)
            .await
            .map_err(|e| match e {
                GateError::NotFound => SendError::Store(StoreError::Corrupt(format!(
                    "outbox message {} names a missing order or account",
                    message.id
                ))),
                other => SendError::Gate(other),
            })?;
        let now = self.clock.now();
        let order = match about {
            MailFor::Order(order) => order,
            MailFor::Message => {
                let (to, subject, rendered) = self.notice_mail(message, &principal, now).await?;
                let email = self.envelope(&to, &subject, now, rendered)?;
                self.mailer.send(email).await?;
                return Ok(());
            }
            MailFor::Account(account) => {
                let (to, subject, rendered) = self
                    .account_mail(message, &principal, &account, now)
                    .await?;
                let email = self.envelope(&to, &subject, now, rendered)?;
                self.mailer.send(email).await?;
                return Ok(());
            }
        };
        let lang = order_lang(&order).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "order {} holds an unknown language {:?}",
                order.id, order.lang
            ))
        })?;
        let (to, subject, rendered) = match message.kind.as_str() {
            CONFIRMATION_EMAIL => {
                let (to, name, ship_to, note) = self
                    .gate
                    .open::<(
                        items::BuyerEmail,
                        items::BuyerName,
                        items::ShipTo,
                        items::Note,
                    )>(&principal, PurposeId::OrderFulfilment, now)
                    .await?;
                let (subject, rendered) = self
                    .confirmation(&order, lang, &name, &ship_to, note.as_ref())
                    .await?;
                (to, subject, rendered)
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
                let (subject, rendered) = LookupCodeMail {
                    shop: &self.shop,
                    lang,
                    number: &order.number,
                    code: code.expose(),
                    lifetime_secs: CODE_LIFETIME_SECS,
                    // The code was issued in the transaction that queued this message.
                    expires_at: message.created_at + CODE_LIFETIME_SECS,
                }
                .render()?;
                (to, subject, rendered)
            }
            other => return Err(SendError::UnknownKind(other.to_owned())),
        };
        let email = self.envelope(&to, &subject, now, rendered)?;
        self.mailer.send(email).await?;
        Ok(())
    }

    /// A message about an account: the address and the link's token are opened for the
    /// account's mailer, answering the buyer's own request.
    async fn account_mail(
        &self,
        message: &OutboxMessage,
        principal: &hanjinbi_privacy::Principal,
        account: &AccountRow,
        now: i64,
    ) -> Result<(Email, String, Rendered), SendError> {
        let lang = Lang::from_code(&account.lang).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "account {} holds an unknown language {:?}",
                account.id, account.lang
            ))
        })?;
        let (kind, path, lifetime) = match message.kind.as_str() {
            VERIFY_EMAIL => (
                AccountLinkKind::Verify,
                "/tai-khoan/xac-nhan",
                VERIFY_LINK_SECS,
            ),
            ALREADY_REGISTERED_EMAIL => (
                AccountLinkKind::AlreadyRegistered,
                "/tai-khoan/dat-lai-mat-khau",
                RESET_LINK_SECS,
            ),
            PASSWORD_RESET_EMAIL => (
                AccountLinkKind::PasswordReset,
                "/tai-khoan/dat-lai-mat-khau",
                RESET_LINK_SECS,
            ),
            other => return Err(SendError::UnknownKind(other.to_owned())),
        };
        let (to, token) = self
            .gate
            .open::<(items::AccountEmail, items::LinkToken)>(
                principal,
                PurposeId::AnsweringRequests,
                now,
            )
            .await?;
        let base = self.shop.public_url.trim_end_matches('/');
        let link = match lang {
            Lang::Vi => format!("{base}{path}?token={}", token.expose()),
            Lang::En => format!("{base}{path}?token={}&lang=en", token.expose()),
        };
        let (subject, rendered) = AccountLinkMail {
            shop: &self.shop,
            lang,
            kind,
            link: &link,
            // The link was made in the transaction that queued this message.
            expires_at: message.created_at + lifetime,
        }
        .render()?;
        Ok((to, subject, rendered))
    }

    /// A message that carries its own sealed content: an erasure link, or the last email
    /// after an erasure.
    async fn notice_mail(
        &self,
        message: &OutboxMessage,
        principal: &hanjinbi_privacy::Principal,
        now: i64,
    ) -> Result<(Email, String, Rendered), SendError> {
        let notice = self
            .gate
            .open::<items::Notice>(principal, PurposeId::AnsweringRequests, now)
            .await?;
        let lang = notice.lang();
        let (subject, rendered) = match message.kind.as_str() {
            ERASURE_LINK_EMAIL => {
                let token = notice.token().ok_or_else(|| {
                    StoreError::Corrupt(format!("erasure link message {} has no token", message.id))
                })?;
                let base = self.shop.public_url.trim_end_matches('/');
                let link = match lang {
                    Lang::Vi => format!("{base}/xoa-du-lieu/xac-nhan?token={token}"),
                    Lang::En => format!("{base}/xoa-du-lieu/xac-nhan?token={token}&lang=en"),
                };
                AccountLinkMail {
                    shop: &self.shop,
                    lang,
                    kind: AccountLinkKind::Erasure,
                    link: &link,
                    expires_at: message.created_at + ERASURE_LINK_SECS,
                }
                .render()?
            }
            ERASURE_NOTICE_EMAIL => {
                let policy = self.gate.policy();
                let reason = policy
                    .category(hanjinbi_privacy::policy::DataCategory::Transaction)
                    .retention_reason()
                    .get(lang.into());
                ErasureNoticeMail {
                    shop: &self.shop,
                    lang,
                    orders_kept: notice.orders_kept(),
                    retention_reason: reason,
                }
                .render()?
            }
            other => return Err(SendError::UnknownKind(other.to_owned())),
        };
        Ok((notice.email().clone(), subject, rendered))
    }

    fn envelope(
        &self,
        to: &Email,
        subject: &str,
        now: i64,
        rendered: Rendered,
    ) -> Result<Message, EmailError> {
        envelope::build(
            &Envelope {
                shop_name: &self.shop.name,
                shop_email: &self.shop.email,
                to: to.expose(),
                subject,
                date: now,
                domain: domain_of(&self.shop.public_url)?,
            },
            rendered,
        )
    }

    async fn confirmation(
        &self,
        order: &orders::OrderRow,
        lang: Lang,
        name: &FullName,
        ship_to: &DeliveryDetails,
        note: Option<&OrderNote>,
    ) -> Result<(String, Rendered), SendError> {
        let corrupt = |what: &str, value: &str| {
            StoreError::Corrupt(format!(
                "order {} holds an unknown {what} {value:?}",
                order.id
            ))
        };
        let lines: Vec<OrderLineView> = orders::lines(&self.db, &order.id)
            .await?
            .into_iter()
            .map(OrderLineView::from)
            .collect();
        let shipping = ShippingMethod::parse(&order.shipping_method)
            .ok_or_else(|| corrupt("shipping method", &order.shipping_method))?;
        let payment = PaymentMethod::parse(&order.payment_method)
            .ok_or_else(|| corrupt("payment method", &order.payment_method))?;
        let policy = self.gate.policy();
        let mut consents = Vec::new();
        // The buyer record is this checkout's own: its grants are the ones given with it.
        for c in subjects::consents(&self.db, &order.buyer_id).await? {
            if c.at != order.placed_at || !c.granted {
                continue;
            }
            let purpose = PurposeId::parse(&c.purpose)
                .ok_or_else(|| corrupt("consent purpose", &c.purpose))?;
            let channel = ConsentChannel::parse(&c.channel)
                .ok_or_else(|| corrupt("consent channel", &c.channel))?;
            consents.push(ConsentReceipt {
                purpose: policy.purpose(purpose).label().get(lang.into()).to_owned(),
                wording: c.wording,
                at: c.at,
                policy_version: c.policy_version,
                channel,
            });
        }
        let bank_transfer = match &self.payment {
            Some(source) => source.bank_transfer(&PaymentOrder {
                number: &order.number,
                total: Dong(order.total),
                method: payment,
                lang,
            })?,
            None => None,
        };
        let base = self.shop.public_url.trim_end_matches('/');
        let token = self.gate.vault().order_token(&order.id);
        // The link opens the page in the order's language.
        let order_link = match lang {
            Lang::Vi => format!("{base}/don-hang/{}?token={token}", order.number),
            Lang::En => format!("{base}/don-hang/{}?token={token}&lang=en", order.number),
        };
        let domain = domain_of(&self.shop.public_url)?;
        Ok(Confirmation {
            shop: &self.shop,
            lang,
            number: &order.number,
            placed_at: order.placed_at,
            buyer_name: name.expose(),
            lines: &lines,
            subtotal: Dong(order.subtotal),
            shipping_fee: Dong(order.shipping_fee),
            total: Dong(order.total),
            ship_to: ShipTo {
                name: ship_to.name().expose(),
                phone: ship_to.phone().national_display(),
                address: ship_to.address(),
            },
            shipping,
            payment,
            note: note.map(OrderNote::expose),
            order_link: &order_link,
            consents,
            bank_transfer,
        }
        .render(domain)?)
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
