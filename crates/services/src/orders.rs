//! Showing an order to the buyer who placed it: by its number with the secret token from the
//! confirmation email, or with a one-time code sent to the email address or phone on it.

use crate::Clock;
use hanjinbi_domain::contact::{Email, OrderNote, PhoneVn};
use hanjinbi_domain::order::{OrderStatus, PaymentMethod, ShippingMethod};
use hanjinbi_domain::Dong;
use hanjinbi_privacy::audit::AuditBatch;
use hanjinbi_privacy::gate::{items, slots, Gate, GateError};
use hanjinbi_privacy::plain::DeliveryDetails;
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_privacy::records::{self, RecordError};
use hanjinbi_privacy::vault::IndexKind;
use hanjinbi_privacy::Principal;
use hanjinbi_store::orders::{self, OrderRow};
use hanjinbi_store::{outbox, subjects, Db, StoreError};
use rand::Rng;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use thiserror::Error;

/// The outbox kind of the one-time code email.
pub const LOOKUP_CODE_EMAIL: &str = "lookup_code";
/// How long a one-time code works.
pub const CODE_LIFETIME_SECS: i64 = 15 * 60;
/// Wrong guesses allowed per code.
pub const CODE_ATTEMPTS: i64 = 5;
/// The shortest time between two codes for one order.
pub const CODE_INTERVAL_SECS: i64 = 60;
/// Views of one order allowed per minute, by everyone together.
pub const VIEWS_PER_MINUTE: u32 = 30;
/// Orders whose views are counted at once; past this, views are refused until a minute
/// passes (the table never grows without bound).
const VIEW_COUNTERS: usize = 10_000;

#[derive(Debug, Error)]
pub enum OrderError {
    /// Unknown number, wrong token or wrong code: deliberately one answer, so that order
    /// numbers cannot be probed.
    #[error("no order matches these details")]
    NoMatch,
    #[error("the code has expired or too many wrong codes were tried; ask for a new one")]
    CodeSpent,
    #[error("this order was opened too often in the last minute; try again shortly")]
    TooManyViews,
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error(transparent)]
    Audit(#[from] hanjinbi_privacy::audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct OrderLineView {
    pub sku: String,
    pub product_slug: String,
    pub product_name: String,
    pub variant_label: String,
    pub unit_price: Dong,
    pub quantity: i64,
    pub line_total: Dong,
}

/// An order as its buyer sees it. Holds opened personal data: not `Debug`.
pub struct OrderView {
    pub number: String,
    pub status: OrderStatus,
    pub placed_at: i64,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Dong,
    pub shipping_fee: Dong,
    pub total: Dong,
    pub shipping_method: ShippingMethod,
    pub payment_method: PaymentMethod,
    pub ship_to: DeliveryDetails,
    pub note: Option<OrderNote>,
    pub history: Vec<(OrderStatus, i64)>,
    pub token: String,
}

#[derive(Clone)]
pub struct Orders {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    views: Arc<ViewLimit>,
}

/// Counts views per order number in windows of a minute from the first view.
#[derive(Debug, Default)]
struct ViewLimit {
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl ViewLimit {
    /// Counts a view of `number` at `now`; false when over the limit.
    fn allow(&self, number: &str, now: i64) -> bool {
        let mut windows = match self.windows.lock() {
            Ok(w) => w,
            Err(poisoned) => poisoned.into_inner(),
        };
        if windows.len() >= VIEW_COUNTERS && !windows.contains_key(number) {
            windows.retain(|_, (start, _)| now - *start < 60);
            if windows.len() >= VIEW_COUNTERS {
                return false;
            }
        }
        let window = windows.entry(number.to_owned()).or_insert((now, 0));
        if now - window.0 >= 60 {
            *window = (now, 0);
        }
        window.1 += 1;
        window.1 <= VIEWS_PER_MINUTE
    }
}

fn code_hash(order_id: &str, code: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(order_id.as_bytes());
    h.update([0]);
    h.update(code.as_bytes());
    h.finalize().to_vec()
}

/// Order numbers as issued: `HJ` and ten base32 characters. Checked before any query.
fn plausible_number(number: &str) -> bool {
    number.len() == 12
        && number.starts_with("HJ")
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Orders {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> Orders {
        Orders {
            db,
            clock,
            gate,
            views: Arc::new(ViewLimit::default()),
        }
    }

    fn normalised(number: &str) -> Result<String, OrderError> {
        let number = number.trim().to_ascii_uppercase();
        if !plausible_number(&number) {
            return Err(OrderError::NoMatch);
        }
        Ok(number)
    }

    async fn find(&self, number: &str) -> Result<OrderRow, OrderError> {
        orders::by_number(&self.db, &Self::normalised(number)?)
            .await?
            .ok_or(OrderError::NoMatch)
    }

    /// The order, for the holder of its number and token. The opening is audited with the
    /// other page views of the moment (see [`Gate::open_view`]); each order can be viewed
    /// [`VIEWS_PER_MINUTE`] times a minute.
    pub async fn view(&self, number: &str, token: &str) -> Result<OrderView, OrderError> {
        let number = Self::normalised(number)?;
        if !self.views.allow(&number, self.clock.now()) {
            return Err(OrderError::TooManyViews);
        }
        let (principal, order) = match self.gate.buyer_of_order(&number, token).await {
            Ok(found) => found,
            Err(GateError::NotFound) => return Err(OrderError::NoMatch),
            Err(e) => return Err(e.into()),
        };
        self.render(&principal, order).await
    }

    async fn render(
        &self,
        principal: &Principal,
        order: OrderRow,
    ) -> Result<OrderView, OrderError> {
        let (ship_to, note) = self
            .gate
            .open_view::<(items::ShipTo, items::Note)>(
                principal,
                PurposeId::OrderFulfilment,
                self.clock.now(),
            )
            .await?;
        let lines = orders::lines(&self.db, &order.id)
            .await?
            .into_iter()
            .map(|l| OrderLineView {
                sku: l.sku,
                product_slug: l.product_slug,
                product_name: l.product_name,
                variant_label: l.variant_label,
                unit_price: Dong(l.unit_price),
                quantity: l.quantity,
                line_total: Dong(l.line_total),
            })
            .collect();
        let history = orders::history(&self.db, &order.id)
            .await?
            .into_iter()
            .filter_map(|h| OrderStatus::parse(&h.status).map(|s| (s, h.at)))
            .collect();
        Ok(OrderView {
            token: self.gate.vault().order_token(&order.id),
            number: order.number,
            status: OrderStatus::parse(&order.status).unwrap_or(OrderStatus::Placed),
            placed_at: order.placed_at,
            lines,
            subtotal: Dong(order.subtotal),
            shipping_fee: Dong(order.shipping_fee),
            total: Dong(order.total),
            shipping_method: ShippingMethod::parse(&order.shipping_method)
                .unwrap_or(ShippingMethod::Standard),
            payment_method: PaymentMethod::parse(&order.payment_method)
                .unwrap_or(PaymentMethod::CashOnDelivery),
            ship_to,
            note,
            history,
        })
    }

    /// Sends a one-time code to the order's email when `contact` (an email address or a
    /// phone number) matches the order's buyer. Answers the same either way.
    pub async fn request_code(&self, number: &str, contact: &str) -> Result<(), OrderError> {
        let Ok(order) = self.find(number).await else {
            return Ok(());
        };
        let Some(buyer) = subjects::buyer(&self.db, &order.buyer_id).await? else {
            return Ok(());
        };
        let vault = self.gate.vault();
        let matches = match (Email::parse(contact), PhoneVn::parse(contact)) {
            (Ok(email), _) => {
                vault.blind_index(IndexKind::Email, &email.lookup_key()) == buyer.email_index
            }
            (_, Ok(phone)) => {
                vault.blind_index(IndexKind::Phone, phone.expose()) == buyer.phone_index
            }
            _ => false,
        };
        if !matches {
            return Ok(());
        }
        let now = self.clock.now();
        // One code a minute per order: asking again sooner neither floods the buyer's inbox
        // nor gives a guesser a fresh set of attempts.
        if let Some(expires_at) = orders::lookup_code_expiry(&self.db, &order.id).await? {
            if expires_at - CODE_LIFETIME_SECS > now - CODE_INTERVAL_SECS {
                return Ok(());
            }
        }
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new("system:lookup-codes");
        let payload = records::seal_for_subject(
            &mut tx,
            vault,
            &order.buyer_id,
            slots::outbox(&order.id),
            &code,
            PurposeId::AnsweringRequests,
            now,
            &mut audit,
        )
        .await?
        .to_stored();
        orders::set_lookup_code(
            &mut tx,
            &order.id,
            &code_hash(&order.id, &code),
            now + CODE_LIFETIME_SECS,
        )
        .await?;
        outbox::enqueue(&mut tx, LOOKUP_CODE_EMAIL, &order.id, Some(&payload), now).await?;
        audit.write(&mut tx, &self.gate.audit_key()).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Exchanges a valid one-time code for the order's token.
    pub async fn redeem_code(&self, number: &str, code: &str) -> Result<String, OrderError> {
        let order = self.find(number).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let Some((hash, expires_at, attempts)) =
            orders::attempt_lookup_code(&mut tx, &order.id).await?
        else {
            return Err(OrderError::NoMatch);
        };
        if expires_at < now || attempts > CODE_ATTEMPTS {
            orders::delete_lookup_code(&mut tx, &order.id).await?;
            tx.commit().await.map_err(StoreError::from)?;
            return Err(OrderError::CodeSpent);
        }
        if code_hash(&order.id, code.trim()) != hash {
            tx.commit().await.map_err(StoreError::from)?;
            return Err(OrderError::NoMatch);
        }
        orders::delete_lookup_code(&mut tx, &order.id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(self.gate.vault().order_token(&order.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_opens_thirty_times_a_minute_then_waits_for_the_minute_to_pass() {
        let limit = ViewLimit::default();
        for _ in 0..VIEWS_PER_MINUTE {
            assert!(limit.allow("HJ0000000001", 1_000));
        }
        assert!(!limit.allow("HJ0000000001", 1_059));
        assert!(
            limit.allow("HJ0000000002", 1_059),
            "other orders are not held up"
        );
        assert!(limit.allow("HJ0000000001", 1_060));
    }

    #[test]
    fn the_view_counters_stay_bounded_and_refuse_when_full() {
        let limit = ViewLimit::default();
        for i in 0..VIEW_COUNTERS {
            assert!(limit.allow(&format!("HJ{i:010}"), 1_000));
        }
        assert!(!limit.allow("HJZZZZZZZZZZ", 1_030));
        assert!(
            limit.allow("HJZZZZZZZZZZ", 1_060),
            "expired windows make room"
        );
        let held = limit.windows.lock().unwrap().len();
        assert_eq!(held, 1);
    }
}
