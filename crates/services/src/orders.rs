//! Showing an order to the buyer who placed it: by its number with the secret token from the
//! confirmation email, or with a one-time code sent to the email address or phone on it.
//!
//! What each answer of the code lookup may reveal, and why it cannot tell whether an order
//! exists or a contact matches, is written down in `docs/lookup.md`.

use crate::Clock;
use hanjinbi_domain::contact::{Email, OrderNote, PhoneVn};
use hanjinbi_domain::order::{OrderStatus, PaymentMethod, ShippingMethod};
use hanjinbi_domain::{Dong, Lang};
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
/// Wrong codes accepted for one order number between two requests for a code.
pub const CODE_ATTEMPTS: i64 = 5;
/// The shortest time between two codes for one order, and between two requests naming the
/// same order number and contact.
pub const CODE_INTERVAL_SECS: i64 = 60;
/// Views of one order allowed per minute, by everyone who holds its token together.
pub const VIEWS_PER_MINUTE: u32 = 30;
/// Orders whose views are counted at once; past this, views are refused until a minute
/// passes (the table never grows without bound).
const VIEW_COUNTERS: usize = 10_000;
/// The window over which wrong codes are counted; reaching a limit locks the lookup until
/// the window ends, so a real buyer waits at most this long.
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// Wrong codes per window for one order number, and for the orders of one contact.
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
    /// The last request naming one order number and one contact, matching or not.
    pub const SEND_PAIR: &str = "send_pair";
    /// Wrong codes for one order number since a code was last asked for.
    pub const CODE_TRIES: &str = "code_tries";
    /// Wrong codes for one order number, whether or not such an order exists.
    pub const FAIL_NUMBER: &str = "fail_number";
    pub const FAIL_CONTACT: &str = "fail_contact";
    pub const FAIL_CLIENT: &str = "fail_client";
}

#[derive(Debug, Error)]
pub enum OrderError {
    /// Unknown number or wrong token: deliberately one answer, so that order numbers cannot
    /// be probed.
    #[error("no order matches these details")]
    NoMatch,
    /// Not written as the shop writes order numbers (`HJ` and ten letters or digits): a
    /// typing mistake, said as such; it reveals nothing about any order.
    #[error("this is not an order number")]
    NotAnOrderNumber,
    /// Neither an email address nor a Vietnamese phone number: a typing mistake, said as
    /// such; it reveals nothing about any order.
    #[error("this is neither an email address nor a phone number")]
    NotAContact,
    /// Not six digits: no code the shop sends looks like this. Not counted as a try.
    #[error("a code is six digits")]
    NotACode,
    /// Not the order number's newest code (or there is none: the same answer). `tries_left`
    /// is how many more wrong codes are accepted before a new code must be asked for or the
    /// lookup waits; it counts the same whether or not the order exists.
    #[error("the code is wrong; {tries_left} tries left")]
    WrongCode { tries_left: i64 },
    /// The right code, presented after its lifetime.
    #[error("the code has expired; ask for a new one")]
    CodeExpired,
    /// The right code, presented again after it was used.
    #[error("the code was already used; ask for a new one")]
    CodeAlreadyUsed,
    /// As many wrong codes as a code allows were tried since a code was last asked for.
    #[error("too many wrong codes; ask for a new one")]
    CodeTriesUsedUp,
    /// A code was asked for with this number and contact less than [`CODE_INTERVAL_SECS`]
    /// ago, whether or not they match an order; a new one can be asked for at `retry_at`.
    #[error("a code was asked for a moment ago; ask again after {retry_at}")]
    CodeRequestedTooSoon {
        retry_at: i64,
        retry_after_secs: i64,
    },
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

    fn too_soon(retry_at: i64, now: i64) -> OrderError {
        OrderError::CodeRequestedTooSoon {
            retry_at,
            retry_after_secs: (retry_at - now).max(1),
        }
    }
}

/// A request for a code that was accepted. Whether the details matched an order is not
/// said: a code was sent to that order's email address within the last
/// [`CODE_INTERVAL_SECS`] if they did, and nothing was sent if they did not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRequested {
    /// When the same number and contact may ask again.
    pub ask_again_at: i64,
    /// How long a code works once sent.
    pub code_lifetime_secs: i64,
}

/// Hits left on the counter `w` of at most `max` hits in a window of `window` seconds.
fn hits_left(w: Option<orders::LimitWindow>, max: i64, window: i64, now: i64) -> i64 {
    match w {
        Some(w) if w.window_start + window > now => (max - w.hits).max(0),
        _ => max,
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
    /// The product's Vietnamese name when it was sold.
    pub product_name: String,
    /// The variant in Vietnamese.
    pub variant_label: String,
    /// The product's English name when it was sold; `None` for orders placed before English
    /// names were recorded with orders, which show the Vietnamese name in every language.
    pub product_name_en: Option<String>,
    pub variant_label_en: Option<String>,
    pub unit_price: Dong,
    pub quantity: i64,
    pub line_total: Dong,
}

impl OrderLineView {
    /// The product's name in `lang`, or the Vietnamese name it was sold under when the
    /// order recorded no other.
    pub fn name_in(&self, lang: Lang) -> &str {
        match (lang, &self.product_name_en) {
            (Lang::En, Some(english)) => english,
            _ => &self.product_name,
        }
    }

    /// The variant in `lang`, with the same rule as [`OrderLineView::name_in`].
    pub fn variant_in(&self, lang: Lang) -> &str {
        match (lang, &self.variant_label_en) {
            (Lang::En, Some(english)) => english,
            _ => &self.variant_label,
        }
    }
}

impl From<orders::OrderLineRow> for OrderLineView {
    fn from(l: orders::OrderLineRow) -> OrderLineView {
        OrderLineView {
            sku: l.sku,
            product_slug: l.product_slug,
            product_name: l.product_name,
            variant_label: l.variant_label,
            product_name_en: l.product_name_en,
            variant_label_en: l.variant_label_en,
            unit_price: Dong(l.unit_price),
            quantity: l.quantity,
            line_total: Dong(l.line_total),
        }
    }
}

/// An order's language as stored; anything else is corrupt data, never a default.
pub fn order_lang(order: &OrderRow) -> Option<Lang> {
    match order.lang.as_str() {
        "vi" => Some(Lang::Vi),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// An order as its buyer sees it. Holds opened personal data: not `Debug`.
pub struct OrderView {
    pub number: String,
    /// The language the order was placed in (its emails are in it).
    pub lang: Lang,
    pub status: OrderStatus,
    pub placed_at: i64,
    pub lines: Vec<OrderLineView>,
    pub subtotal: Dong,
    pub shipping_fee: Dong,
    pub total: Dong,
    pub shipping_method: ShippingMethod,
    pub payment_method: PaymentMethod,
    /// `None` once the buyer's data was erased.
    pub ship_to: Option<DeliveryDetails>,
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

/// The counter bucket of an order number, keyed like the codes. Counted for any number
/// written as the shop writes them, whether or not an order has it.
fn number_bucket(vault: &Vault, number: &str) -> Vec<u8> {
    vault.blind_index(IndexKind::Lookup, &format!("number\0{number}"))
}

/// Order numbers as issued: `HJ` and ten base32 characters. Checked before any query.
fn plausible_number(number: &str) -> bool {
    number.len() == 12
        && number.starts_with("HJ")
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `number` as the shop writes order numbers (upper case, no spaces around), or
/// [`OrderError::NotAnOrderNumber`].
fn order_number(number: &str) -> Result<String, OrderError> {
    let number = number.trim().to_ascii_uppercase();
    if plausible_number(&number) {
        Ok(number)
    } else {
        Err(OrderError::NotAnOrderNumber)
    }
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
        let opened = self
            .gate
            .open_view::<(items::ShipTo, items::Note)>(
                principal,
                PurposeId::OrderFulfilment,
                self.clock.now(),
            )
            .await;
        // After the buyer's erasure the order stays as a transaction record, without the
        // delivery details and note, which open for nobody.
        let (ship_to, note) = match opened {
            Ok((ship_to, note)) => (Some(ship_to), note),
            Err(GateError::Erased) => (None, None),
            Err(e) => return Err(e.into()),
        };
        let lines = orders::lines(&self.db, &order.id)
            .await?
            .into_iter()
            .map(OrderLineView::from)
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
        let lang = order_lang(&order).ok_or_else(|| corrupt("language", &order.lang))?;
        Ok(OrderView {
            token: self.gate.vault().order_token(&order.id),
            number: order.number,
            lang,
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
    /// phone number) matches the contact details the order itself holds.
    ///
    /// Answers the same whether the order exists, the contact matches or neither, after the
    /// same work: one order read, one buyer read, both blind indexes, one write transaction.
    /// In that transaction, in this order: the same number and contact may ask once per
    /// [`CODE_INTERVAL_SECS`] (else [`OrderError::CodeRequestedTooSoon`], decided by one
    /// conditional statement, for matching and other details alike); requests are counted
    /// per contact and per client ([`OrderError::LockedOut`] beyond the limits, and nothing
    /// is written); the number's wrong tries start again; and, on a match, a code is issued
    /// unless the order got one within [`CODE_INTERVAL_SECS`] (another contact of the same
    /// order asked: that code, in the same mailbox, still works, its tries just renewed).
    pub async fn request_code(
        &self,
        number: &str,
        contact: &str,
        client: IpAddr,
    ) -> Result<CodeRequested, OrderError> {
        let now = self.clock.now();
        let vault = self.gate.vault();
        let number = order_number(number)?;
        let order = orders::by_number(&self.db, &number).await?;
        // An absent order still costs a buyer read (of an id no buyer has).
        let buyer_id = order.as_ref().map_or("", |o| o.buyer_id.as_str());
        let buyer = subjects::buyer(&self.db, buyer_id).await?;
        let contact = contact.trim();
        let email = Email::parse(contact).ok();
        let phone = PhoneVn::parse(contact).ok();
        let contact_key = match (&email, &phone) {
            (Some(email), _) => email.lookup_key(),
            (None, Some(phone)) => phone.expose().to_owned(),
            (None, None) => return Err(OrderError::NotAContact),
        };
        let email_index = vault.blind_index(IndexKind::Email, &contact_key);
        let phone_index = vault.blind_index(IndexKind::Phone, &contact_key);
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
        let pair = vault.blind_index(IndexKind::Lookup, &format!("pair\0{number}\0{contact_key}"));
        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let order_id = order.as_ref().map_or("", |o| o.id.as_str());
        let hash = code_hash(vault, order_id, &code);
        let client = client_bucket(vault, client);
        let number_bucket = number_bucket(vault, &number);

        let mut tx = self.db.begin_write().await?;
        if let Some(asked_at) = orders::claim_interval(
            &mut tx,
            scope::SEND_PAIR,
            &pair,
            now,
            now - CODE_INTERVAL_SECS,
        )
        .await?
        {
            tx.rollback().await?;
            return Err(OrderError::too_soon(asked_at + CODE_INTERVAL_SECS, now));
        }
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
            // A refused request changes nothing, not even the interval it claimed.
            tx.rollback().await?;
            return Err(OrderError::locked(until, now));
        }
        orders::reset_limit(&mut tx, scope::CODE_TRIES, &number_bucket, now).await?;
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
        Ok(CodeRequested {
            ask_again_at: now + CODE_INTERVAL_SECS,
            code_lifetime_secs: CODE_LIFETIME_SECS,
        })
    }

    /// Exchanges the order number's newest code for the order's token.
    ///
    /// Every answer but success depends only on what the asker did (the number and code they
    /// typed, the codes they asked for) and on the code itself, never on whether an order
    /// with that number exists: a wrong code, and a number without an order, both answer
    /// [`OrderError::WrongCode`] with tries counted per number. "Expired" and "already used"
    /// are said only to whoever presents the right code. Wrong codes are also counted per
    /// number, per contact of the order and per client address over a window that outlives
    /// any one code; reaching a limit locks the lookup until the window ends.
    pub async fn redeem_code(
        &self,
        number: &str,
        code: &str,
        client: IpAddr,
    ) -> Result<String, OrderError> {
        let now = self.clock.now();
        let vault = self.gate.vault();
        let number = order_number(number)?;
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrderError::NotACode);
        }
        let client = client_bucket(vault, client);
        let number_bucket = number_bucket(vault, &number);
        let order = orders::by_number(&self.db, &number).await?;
        let buyer_id = order.as_ref().map_or("", |o| o.buyer_id.as_str());
        let contact = subjects::buyer(&self.db, buyer_id)
            .await?
            .map(|b| b.email_index);
        let order_id = order.as_ref().map_or("", |o| o.id.as_str());
        let presented = code_hash(vault, order_id, code);

        let mut tx = self.db.begin_write().await?;
        let expired = now - FAILURE_WINDOW_SECS;
        let mut lock = locked_until(
            orders::limit(&mut tx, scope::FAIL_CLIENT, &client).await?,
            FAILURES_PER_CLIENT,
            FAILURE_WINDOW_SECS,
            now,
        );
        lock = lock.max(locked_until(
            orders::limit(&mut tx, scope::FAIL_NUMBER, &number_bucket).await?,
            FAILURES_PER_ORDER,
            FAILURE_WINDOW_SECS,
            now,
        ));
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
        let tries = orders::limit(&mut tx, scope::CODE_TRIES, &number_bucket).await?;
        let stored = orders::lookup_code(&mut tx, order_id).await?;
        let right = stored
            .as_ref()
            .is_some_and(|c| bool::from(c.code_hash.ct_eq(&presented)));
        let outcome = if hits_left(tries, CODE_ATTEMPTS, CODE_LIFETIME_SECS, now) == 0 {
            Err(OrderError::CodeTriesUsedUp)
        } else {
            match (order.as_ref(), stored.as_ref()) {
                (Some(_), Some(c)) if right && c.used_at.is_some() => {
                    Err(OrderError::CodeAlreadyUsed)
                }
                (Some(_), Some(c)) if right && c.expires_at < now => Err(OrderError::CodeExpired),
                (Some(order), Some(_)) if right => {
                    if orders::use_lookup_code(&mut tx, &order.id, now).await? {
                        Ok(vault.order_token(&order.id))
                    } else {
                        Err(OrderError::CodeAlreadyUsed)
                    }
                }
                _ => Err(OrderError::WrongCode { tries_left: 0 }),
            }
        };
        if outcome.is_ok() {
            tx.commit().await?;
            return outcome;
        }
        let by_client =
            orders::hit_limit(&mut tx, scope::FAIL_CLIENT, &client, now, expired).await?;
        let by_number =
            orders::hit_limit(&mut tx, scope::FAIL_NUMBER, &number_bucket, now, expired).await?;
        if let Some(contact) = &contact {
            orders::hit_limit(&mut tx, scope::FAIL_CONTACT, contact, now, expired).await?;
        }
        let outcome = match outcome {
            Err(OrderError::WrongCode { .. }) => {
                let tries = orders::hit_limit(
                    &mut tx,
                    scope::CODE_TRIES,
                    &number_bucket,
                    now,
                    now - CODE_LIFETIME_SECS,
                )
                .await?;
                // The contact's counter is left out: it exists only for a real order, so
                // counting it here would tell whether there is one.
                let for_code = hits_left(Some(tries), CODE_ATTEMPTS, CODE_LIFETIME_SECS, now);
                let for_number = hits_left(
                    Some(by_number),
                    FAILURES_PER_ORDER,
                    FAILURE_WINDOW_SECS,
                    now,
                );
                let for_client = hits_left(
                    Some(by_client),
                    FAILURES_PER_CLIENT,
                    FAILURE_WINDOW_SECS,
                    now,
                );
                Err(OrderError::WrongCode {
                    tries_left: for_code.min(for_number).min(for_client),
                })
            }
            other => other,
        };
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
    fn hits_left_count_down_within_the_window_only() {
        let w = |hits, window_start| Some(orders::LimitWindow { hits, window_start });
        assert_eq!(hits_left(None, 5, 900, 1_000), 5);
        assert_eq!(hits_left(w(0, 1_000), 5, 900, 1_000), 5);
        assert_eq!(hits_left(w(2, 1_000), 5, 900, 1_899), 3);
        assert_eq!(hits_left(w(7, 1_000), 5, 900, 1_899), 0, "never below zero");
        assert_eq!(
            hits_left(w(5, 1_000), 5, 900, 1_900),
            5,
            "a window that ended"
        );
    }

    #[test]
    fn order_numbers_are_read_as_the_shop_writes_them() {
        assert_eq!(order_number(" hj1ckt1eczke ").unwrap(), "HJ1CKT1ECZKE");
        for not_a_number in [
            "",
            "HJ1CKT1ECZK",
            "HJ1CKT1ECZKE1",
            "XX1CKT1ECZKE",
            "HJ1CKT1ECZ-E",
        ] {
            assert!(
                matches!(
                    order_number(not_a_number),
                    Err(OrderError::NotAnOrderNumber)
                ),
                "{not_a_number:?}"
            );
        }
    }

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
