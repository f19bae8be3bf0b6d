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
use hanjinbi_privacy::{Principal, Vault};
use hanjinbi_store::orders::{self, OrderRow};
use hanjinbi_store::{outbox, subjects, Db, StoreError};
use rand::Rng;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;
use thiserror::Error;

/// The outbox kind of the one-time code email.
pub const LOOKUP_CODE_EMAIL: &str = "lookup_code";
/// How long a one-time code works.
pub const CODE_LIFETIME_SECS: i64 = 15 * 60;
/// Wrong guesses allowed per code.
pub const CODE_ATTEMPTS: i64 = 5;
/// The shortest time between two codes for one order.
pub const CODE_INTERVAL_SECS: i64 = 60;
/// Views of one order allowed per minute, by everyone who holds its token together.
pub const VIEWS_PER_MINUTE: u32 = 30;
/// Orders whose views are counted at once; past this, views are refused until a minute
/// passes (the table never grows without bound).
const VIEW_COUNTERS: usize = 10_000;
/// The window over which wrong codes are counted; reaching a limit locks the lookup until
/// the window ends, so a real buyer waits at most this long.
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// Wrong codes per window for one order, and for the orders of one contact.
pub const FAILURES_PER_ORDER: i64 = 10;
/// Wrong codes (or unknown numbers) per window from one client address.
pub const FAILURES_PER_CLIENT: i64 = 30;
/// The window over which requests for a code are counted.
pub const SEND_WINDOW_SECS: i64 = 60 * 60;
/// Requests for a code per window naming one contact (email or phone).
pub const SENDS_PER_CONTACT: i64 = 5;
/// Requests for a code per window from one client address.
pub const SENDS_PER_CLIENT: i64 = 20;

/// Counter scopes in `rate_limits`.
mod scope {
    pub const SEND_CONTACT: &str = "send_contact";
    pub const SEND_CLIENT: &str = "send_client";
    pub const FAIL_ORDER: &str = "fail_order";
    pub const FAIL_CONTACT: &str = "fail_contact";
    pub const FAIL_CLIENT: &str = "fail_client";
}

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
    /// Too many codes asked for or too many wrong codes; the lookup works again at `until`.
    #[error("too many attempts; try again after {until}")]
    LockedOut { until: i64, retry_after_secs: i64 },
    #[error("order {order} holds an unknown {what} {value:?}")]
    Corrupt {
        order: String,
        what: &'static str,
        value: String,
    },
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Records(#[from] RecordError),
    #[error(transparent)]
    Audit(#[from] hanjinbi_privacy::audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OrderError {
    fn locked(until: i64, now: i64) -> OrderError {
        OrderError::LockedOut {
            until,
            retry_after_secs: (until - now).max(1),
        }
    }
}

/// When the counter `w` reached `max` within its window of `window` seconds, the time the
/// window ends.
fn locked_until(w: Option<orders::LimitWindow>, max: i64, window: i64, now: i64) -> Option<i64> {
    w.filter(|w| w.hits >= max && w.window_start + window > now)
        .map(|w| w.window_start + window)
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

/// The stored form of a one-time code: a keyed hash (the key is in the key file, not the
/// database), so a copy of the database cannot be searched for the code offline.
fn code_hash(vault: &Vault, order_id: &str, code: &str) -> Vec<u8> {
    vault.blind_index(IndexKind::Lookup, &format!("code\0{order_id}\0{code}"))
}

/// The counter bucket of a client address, keyed like the codes: no address is stored.
fn client_bucket(vault: &Vault, client: IpAddr) -> Vec<u8> {
    vault.blind_index(IndexKind::Lookup, &format!("client\0{client}"))
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

    /// The order with this number, `None` when there is none (or the number is not one we
    /// issue). A database failure is an error, never "no such order".
    async fn find_optional(&self, number: &str) -> Result<Option<OrderRow>, OrderError> {
        let number = number.trim().to_ascii_uppercase();
        if !plausible_number(&number) {
            return Ok(None);
        }
        Ok(orders::by_number(&self.db, &number).await?)
    }

    /// The order, for the holder of its number and token. The opening is audited with the
    /// other page views of the moment (see [`Gate::open_view`]); each order can be viewed
    /// [`VIEWS_PER_MINUTE`] times a minute by those who hold its token (counted after the
    /// token is checked, so nobody else can use the limit up).
    pub async fn view(&self, number: &str, token: &str) -> Result<OrderView, OrderError> {
        let number = number.trim().to_ascii_uppercase();
        if !plausible_number(&number) {
            return Err(OrderError::NoMatch);
        }
        let (principal, order) = match self.gate.buyer_of_order(&number, token).await {
            Ok(found) => found,
            Err(GateError::NotFound) => return Err(OrderError::NoMatch),
            Err(e) => return Err(e.into()),
        };
        if !self.views.allow(&number, self.clock.now()) {
            return Err(OrderError::TooManyViews);
        }
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
        let corrupt = |what: &'static str, value: &str| OrderError::Corrupt {
            order: order.id.clone(),
            what,
            value: value.to_owned(),
        };
        let history = orders::history(&self.db, &order.id)
            .await?
            .into_iter()
            .map(|h| {
                OrderStatus::parse(&h.status)
                    .map(|s| (s, h.at))
                    .ok_or_else(|| corrupt("status", &h.status))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let status =
            OrderStatus::parse(&order.status).ok_or_else(|| corrupt("status", &order.status))?;
        let shipping_method = ShippingMethod::parse(&order.shipping_method)
            .ok_or_else(|| corrupt("shipping method", &order.shipping_method))?;
        let payment_method = PaymentMethod::parse(&order.payment_method)
            .ok_or_else(|| corrupt("payment method", &order.payment_method))?;
        Ok(OrderView {
            token: self.gate.vault().order_token(&order.id),
            number: order.number,
            status,
            placed_at: order.placed_at,
            lines,
            subtotal: Dong(order.subtotal),
            shipping_fee: Dong(order.shipping_fee),
            total: Dong(order.total),
            shipping_method,
            payment_method,
            ship_to,
            note,
            history,
        })
    }

    /// Sends a one-time code to the order's email when `contact` (an email address or a
    /// phone number) matches the contact details the order itself holds. Answers the same
    /// whether the order exists, the contact matches or neither, after the same work: one
    /// order read, one buyer read, both blind indexes, one write transaction counting the
    /// request per contact and per client. At most one code per order per
    /// [`CODE_INTERVAL_SECS`], decided by one conditional statement.
    pub async fn request_code(
        &self,
        number: &str,
        contact: &str,
        client: IpAddr,
    ) -> Result<(), OrderError> {
        let now = self.clock.now();
        let vault = self.gate.vault();
        let order = self.find_optional(number).await?;
        // An absent order still costs a buyer read (of an id no buyer has).
        let buyer_id = order.as_ref().map_or("", |o| o.buyer_id.as_str());
        let buyer = subjects::buyer(&self.db, buyer_id).await?;
        let contact = contact.trim();
        let email = Email::parse(contact).ok();
        let phone = PhoneVn::parse(contact).ok();
        let email_index = vault.blind_index(
            IndexKind::Email,
            &email
                .as_ref()
                .map_or_else(|| contact.to_owned(), Email::lookup_key),
        );
        let phone_index = vault.blind_index(
            IndexKind::Phone,
            phone.as_ref().map_or(contact, PhoneVn::expose),
        );
        let matches = buyer.as_ref().is_some_and(|b| {
            let by_email = email.is_some() & bool::from(email_index.ct_eq(&b.email_index));
            let by_phone = phone.is_some() & bool::from(phone_index.ct_eq(&b.phone_index));
            by_email | by_phone
        });
        let contact_bucket = if phone.is_some() {
            &phone_index
        } else {
            &email_index
        };
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let order_id = order.as_ref().map_or("", |o| o.id.as_str());
        let hash = code_hash(vault, order_id, &code);
        let client = client_bucket(vault, client);

        let mut tx = self.db.begin_write().await?;
        let expired = now - SEND_WINDOW_SECS;
        let by_client =
            orders::hit_limit(&mut tx, scope::SEND_CLIENT, &client, now, expired).await?;
        let by_contact =
            orders::hit_limit(&mut tx, scope::SEND_CONTACT, contact_bucket, now, expired).await?;
        let lock = [
            locked_until(Some(by_client), SENDS_PER_CLIENT + 1, SEND_WINDOW_SECS, now),
            locked_until(
                Some(by_contact),
                SENDS_PER_CONTACT + 1,
                SEND_WINDOW_SECS,
                now,
            ),
        ]
        .into_iter()
        .flatten()
        .max();
        if let Some(until) = lock {
            tx.commit().await?;
            return Err(OrderError::locked(until, now));
        }
        if let (true, Some(order)) = (matches, &order) {
            let issued = orders::issue_lookup_code(
                &mut tx,
                &order.id,
                &hash,
                now + CODE_LIFETIME_SECS,
                now,
                now - CODE_INTERVAL_SECS,
            )
            .await?;
            if issued {
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
                outbox::enqueue(&mut tx, LOOKUP_CODE_EMAIL, &order.id, Some(&payload), now).await?;
                audit.write(&mut tx, &self.gate.audit_key()).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Exchanges a valid one-time code for the order's token. Wrong codes are counted per
    /// order, per contact of the order and per client address, over a window that outlives
    /// any one code; reaching a limit locks the lookup until the window ends.
    pub async fn redeem_code(
        &self,
        number: &str,
        code: &str,
        client: IpAddr,
    ) -> Result<String, OrderError> {
        let now = self.clock.now();
        let vault = self.gate.vault();
        let client = client_bucket(vault, client);
        let order = self.find_optional(number).await?;
        let buyer_id = order.as_ref().map_or("", |o| o.buyer_id.as_str());
        let contact = subjects::buyer(&self.db, buyer_id)
            .await?
            .map(|b| b.email_index);
        let presented = code_hash(
            vault,
            order.as_ref().map_or("", |o| o.id.as_str()),
            code.trim(),
        );

        let mut tx = self.db.begin_write().await?;
        let expired = now - FAILURE_WINDOW_SECS;
        let mut lock = locked_until(
            orders::limit(&mut tx, scope::FAIL_CLIENT, &client).await?,
            FAILURES_PER_CLIENT,
            FAILURE_WINDOW_SECS,
            now,
        );
        if let Some(order) = &order {
            lock = lock.max(locked_until(
                orders::limit(&mut tx, scope::FAIL_ORDER, order.id.as_bytes()).await?,
                FAILURES_PER_ORDER,
                FAILURE_WINDOW_SECS,
                now,
            ));
        }
        if let Some(contact) = &contact {
            lock = lock.max(locked_until(
                orders::limit(&mut tx, scope::FAIL_CONTACT, contact).await?,
                FAILURES_PER_ORDER,
                FAILURE_WINDOW_SECS,
                now,
            ));
        }
        if let Some(until) = lock {
            tx.rollback().await?;
            return Err(OrderError::locked(until, now));
        }
        let outcome = match &order {
            None => Err(OrderError::NoMatch),
            Some(order) => match orders::attempt_lookup_code(&mut tx, &order.id).await? {
                None => Err(OrderError::NoMatch),
                Some((_, expires_at, attempts)) if expires_at < now || attempts > CODE_ATTEMPTS => {
                    Err(OrderError::CodeSpent)
                }
                Some((stored, _, _)) if bool::from(stored.ct_eq(&presented)) => {
                    orders::delete_lookup_code(&mut tx, &order.id).await?;
                    Ok(vault.order_token(&order.id))
                }
                Some(_) => Err(OrderError::NoMatch),
            },
        };
        if outcome.is_err() {
            orders::hit_limit(&mut tx, scope::FAIL_CLIENT, &client, now, expired).await?;
            if let Some(order) = &order {
                orders::hit_limit(
                    &mut tx,
                    scope::FAIL_ORDER,
                    order.id.as_bytes(),
                    now,
                    expired,
                )
                .await?;
            }
            if let Some(contact) = &contact {
                orders::hit_limit(&mut tx, scope::FAIL_CONTACT, contact, now, expired).await?;
            }
        }
        tx.commit().await?;
        outcome
    }

    /// Deletes lookup counters whose window has ended.
    pub async fn sweep_limits(&self, now: i64) -> Result<u64, StoreError> {
        orders::sweep_limits(&self.db, now - FAILURE_WINDOW_SECS.max(SEND_WINDOW_SECS)).await
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
