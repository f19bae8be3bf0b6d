//! The gate: the one way from sealed values to plaintext.
//!
//! A caller shows a [`Principal`] (made only by the checks of a proof below), names the
//! purpose and the personal items it needs, and gets them back as typed values. The policy
//! decides (deny by default); a consent-based purpose is re-checked against the subject's
//! latest consent at this moment; a principal opens only its own subject (and its own order).
//! Every opening and every refusal is written to the audit log, under the principal's name:
//! before anything is returned, or, for page views ([`Gate::open_view`]), in the next batch of
//! the [`ViewLog`], which records every view but writes them in one transaction per batch.

use crate::audit::{self, AuditAction, AuditBatch, AuditEvent, AuditKey};
use crate::credentials::TokenHash;
use crate::plain::{DeliveryDetails, LookupCode, Unreadable};
use crate::policy::{DataCategory, Decision, LegalBasis, Policy, PurposeId};
use crate::principal::{Principal, Scope};
use crate::sealed::{Sealed, Slot};
use crate::vault::{self, DataKey, Vault, VaultError, WrappedKey};
use hanjinbi_domain::contact::{Email, FullName, OrderNote, PhoneVn};
use hanjinbi_store::accounts::{self, AccountRow, SessionRow};
use hanjinbi_store::orders::OrderRow;
use hanjinbi_store::outbox::MessageTarget;
use hanjinbi_store::{carts, erasure, export, orders, outbox, subjects, Db, StoreError};
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;

/// A personal item the gate can open. Items of an order or a message are those of the
/// principal's own order and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalItem {
    BuyerEmail,
    BuyerName,
    BuyerPhone,
    /// An order's delivery details: recipient name, phone and address.
    ShipTo,
    /// The buyer's note on an order (there may be none).
    OrderNote,
    /// The sealed content of an outbox message (a one-time code, a link).
    MessagePayload,
    /// The email address of the principal's own account.
    AccountEmail,
    /// The address an erasure request was made for, as the requester typed it.
    RequesterEmail,
}

impl PersonalItem {
    /// The categories the item holds; the policy must allow every one.
    pub fn categories(&self) -> &'static [DataCategory] {
        match self {
            PersonalItem::BuyerEmail
            | PersonalItem::BuyerPhone
            | PersonalItem::AccountEmail
            | PersonalItem::RequesterEmail => &[DataCategory::Contact],
            PersonalItem::BuyerName => &[DataCategory::Identity],
            PersonalItem::ShipTo => &[
                DataCategory::Address,
                DataCategory::Identity,
                DataCategory::Contact,
            ],
            // Delivery instructions are part of the order, like its shipping method.
            PersonalItem::OrderNote => &[DataCategory::Transaction],
            PersonalItem::MessagePayload => &[DataCategory::Account],
        }
    }

    /// The name written to the audit log.
    pub fn field_name(&self) -> &'static str {
        match self {
            PersonalItem::BuyerEmail => "email",
            PersonalItem::BuyerName => "name",
            PersonalItem::BuyerPhone => "phone",
            PersonalItem::ShipTo => "ship_to",
            PersonalItem::OrderNote => "note",
            PersonalItem::MessagePayload => "message_payload",
            PersonalItem::AccountEmail => "account_email",
            PersonalItem::RequesterEmail => "requester_email",
        }
    }
}

/// One item to open, and the type it comes back as.
pub trait Item {
    type Plain;
    const ITEM: PersonalItem;
    /// The opened text (`None`: an optional item that is absent) as the item's type.
    fn plain(opened: Option<String>) -> Result<Self::Plain, GateError>;
}

/// The items to open: an [`Item`] type or a tuple of them. The answer has the same shape.
pub trait Request {
    type Plain;
    fn items() -> Vec<PersonalItem>;
    fn plain(opened: Vec<Option<String>>) -> Result<Self::Plain, GateError>;
}

/// Typed items, one per [`PersonalItem`].
pub mod items {
    use super::*;

    fn present(opened: Option<String>) -> Result<String, GateError> {
        opened.ok_or(GateError::NotFound)
    }

    macro_rules! item {
        ($(#[$doc:meta])* $name:ident => $plain:ty, $item:expr, |$text:ident| $parse:expr) => {
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;

            impl Item for $name {
                type Plain = $plain;
                const ITEM: PersonalItem = $item;
                fn plain(opened: Option<String>) -> Result<$plain, GateError> {
                    let $text = opened;
                    $parse
                }
            }
        };
    }

    item!(
        /// The buyer's email address.
        BuyerEmail => Email, PersonalItem::BuyerEmail,
        |t| Email::parse(&present(t)?).map_err(|_| Unreadable("email").into())
    );
    item!(
        /// The buyer's name.
        BuyerName => FullName, PersonalItem::BuyerName,
        |t| FullName::parse(&present(t)?).map_err(|_| Unreadable("name").into())
    );
    item!(
        /// The buyer's phone number.
        BuyerPhone => PhoneVn, PersonalItem::BuyerPhone,
        |t| PhoneVn::parse(&present(t)?).map_err(|_| Unreadable("phone").into())
    );
    item!(
        /// The order's delivery details.
        ShipTo => DeliveryDetails, PersonalItem::ShipTo,
        |t| Ok(DeliveryDetails::from_opened(&present(t)?)?)
    );
    item!(
        /// The buyer's note on the order, if there is one.
        Note => Option<OrderNote>, PersonalItem::OrderNote,
        |t| match t {
            None => Ok(None),
            Some(text) => OrderNote::parse(&text).map_err(|_| Unreadable("note").into()),
        }
    );
    item!(
        /// The email address of the principal's account.
        AccountEmail => Email, PersonalItem::AccountEmail,
        |t| Email::parse(&present(t)?).map_err(|_| Unreadable("account email").into())
    );
    item!(
        /// The address of the principal's erasure request.
        RequesterEmail => Email, PersonalItem::RequesterEmail,
        |t| Email::parse(&present(t)?).map_err(|_| Unreadable("requester email").into())
    );
    item!(
        /// The link token of the mailer's message about an account.
        LinkToken => crate::plain::LinkToken, PersonalItem::MessagePayload,
        |t| Ok(crate::plain::LinkToken::from_opened(present(t)?)?)
    );
    item!(
        /// The sealed content of a message to an address no readable record holds.
        Notice => crate::plain::Notice, PersonalItem::MessagePayload,
        |t| Ok(crate::plain::Notice::from_opened(&present(t)?)?)
    );
    item!(
        /// The one-time code of the mailer's message.
        Code => LookupCode, PersonalItem::MessagePayload,
        |t| Ok(LookupCode::from_opened(present(t)?)?)
    );
}

impl<A: Item> Request for A {
    type Plain = A::Plain;
    fn items() -> Vec<PersonalItem> {
        vec![A::ITEM]
    }
    fn plain(opened: Vec<Option<String>>) -> Result<A::Plain, GateError> {
        let mut it = opened.into_iter();
        A::plain(it.next().ok_or(GateError::NotFound)?)
    }
}

macro_rules! tuple_request {
    ($($t:ident),+) => {
        impl<$($t: Item),+> Request for ($($t,)+) {
            type Plain = ($($t::Plain,)+);
            fn items() -> Vec<PersonalItem> {
                vec![$($t::ITEM),+]
            }
            fn plain(opened: Vec<Option<String>>) -> Result<Self::Plain, GateError> {
                let mut it = opened.into_iter();
                Ok(($($t::plain(it.next().ok_or(GateError::NotFound)?)?,)+))
            }
        }
    };
}
tuple_request!(A, B);
tuple_request!(A, B, C);
tuple_request!(A, B, C, D);
tuple_request!(A, B, C, D, E);

#[derive(Debug, Error)]
pub enum GateError {
    #[error("refused by the privacy policy: {0}")]
    Denied(String),
    #[error("the buyer has not consented to {0}")]
    NoConsent(&'static str),
    #[error("the buyer has objected to or restricted {0}")]
    Limited(&'static str),
    #[error("the data was erased")]
    Erased,
    #[error("no such personal data")]
    NotFound,
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Page views waiting to be written to the audit log, in order. Bounded: a view that finds
/// the buffer full writes it before opening anything, so nothing is dropped and the buffer
/// grows past its capacity only by the views in flight at that moment.
#[derive(Debug, Clone)]
pub struct ViewLog {
    pending: Arc<Mutex<AuditBatch>>,
    capacity: usize,
    writes: Arc<AtomicU64>,
}

/// Views buffered before a view has to wait for a write.
pub const VIEW_LOG_CAPACITY: usize = 512;

impl ViewLog {
    fn new(capacity: usize) -> ViewLog {
        ViewLog {
            pending: Arc::new(Mutex::new(AuditBatch::new(""))),
            capacity,
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, AuditBatch> {
        match self.pending.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Buffers one entry.
    fn push(&self, who: &str, event: AuditEvent<'_>) {
        self.lock().record_as(who, event);
    }

    /// Whether the buffer holds as many views as it should before they are written.
    fn is_full(&self) -> bool {
        self.lock().len() >= self.capacity
    }

    /// Views not yet written.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Write transactions made so far.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Writes every buffered view in one transaction. On failure they go back to the front
    /// of the buffer, to be written by the next flush.
    async fn flush(&self, db: &Db, key: &AuditKey) -> Result<usize, GateError> {
        let batch = std::mem::replace(&mut *self.lock(), AuditBatch::new(""));
        if batch.is_empty() {
            return Ok(0);
        }
        let count = batch.len();
        let kept = batch.clone();
        let written = async {
            let mut tx = db.begin_write().await?;
            batch.write(&mut tx, key).await?;
            tx.commit().await?;
            Ok::<(), GateError>(())
        }
        .await;
        match written {
            Ok(()) => {
                self.writes.fetch_add(1, Ordering::Relaxed);
                Ok(count)
            }
            Err(e) => {
                let mut pending = self.lock();
                let newer = std::mem::replace(&mut *pending, kept);
                pending.extend(newer);
                Err(e)
            }
        }
    }
}

/// The gate, with the policy, the vault and the database it guards.
#[derive(Debug, Clone)]
pub struct Gate {
    db: Db,
    policy: Arc<Policy>,
    vault: Vault,
    views: ViewLog,
}

/// Slots of sealed values, shared by sealing and opening so they cannot drift apart.
pub mod slots {
    use crate::sealed::Slot;

    pub fn buyer<'a>(buyer_id: &'a str, field: &'a str) -> Slot<'a> {
        Slot {
            table: "buyers",
            row: buyer_id,
            field,
        }
    }

    pub fn order<'a>(order_id: &'a str, field: &'a str) -> Slot<'a> {
        Slot {
            table: "orders",
            row: order_id,
            field,
        }
    }

    pub fn outbox(order_id: &str) -> Slot<'_> {
        Slot {
            table: "outbox",
            row: order_id,
            field: "payload",
        }
    }

    pub fn account(account_id: &str) -> Slot<'_> {
        Slot {
            table: "accounts",
            row: account_id,
            field: "email",
        }
    }

    pub fn erasure_request(subject: &str) -> Slot<'_> {
        Slot {
            table: "erasure_links",
            row: subject,
            field: "email",
        }
    }

    pub fn message(subject: &str) -> Slot<'_> {
        Slot {
            table: "outbox-message",
            row: subject,
            field: "payload",
        }
    }

    pub fn account_outbox(account_id: &str) -> Slot<'_> {
        Slot {
            table: "outbox-account",
            row: account_id,
            field: "payload",
        }
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Gate {
    pub fn new(db: Db, policy: Arc<Policy>, vault: Vault) -> Gate {
        Gate {
            db,
            policy,
            vault,
            views: ViewLog::new(VIEW_LOG_CAPACITY),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The key that links new audit entries.
    pub fn audit_key(&self) -> AuditKey {
        self.vault.audit_key()
    }

    /// The views waiting to be written.
    pub fn view_log(&self) -> &ViewLog {
        &self.views
    }

    /// The buyer of the order `number`, proved by the order's token. The order row comes
    /// with it. `NotFound` for an unknown number and for a wrong token alike.
    pub async fn buyer_of_order(
        &self,
        number: &str,
        token: &str,
    ) -> Result<(Principal, OrderRow), GateError> {
        let order = orders::by_number(&self.db, number)
            .await?
            .ok_or(GateError::NotFound)?;
        if !self.vault.check_order_token(&order.id, token.trim()) {
            return Err(GateError::NotFound);
        }
        let principal = Principal::order_buyer(
            order.buyer_id.clone(),
            order.id.clone(),
            order.number.clone(),
        );
        Ok((principal, order))
    }

    /// The holder of a cart, proved by the cart's token. Opens nothing (a cart has no data
    /// subject yet); it names who placed an order in the audit log. A cart unchanged since
    /// before `active_since` is idle and proves nothing.
    pub async fn buyer_of_cart(
        &self,
        cart_id: &str,
        token: &str,
        active_since: i64,
    ) -> Result<Principal, GateError> {
        let stored = carts::token_hash(&self.db, cart_id, active_since)
            .await?
            .ok_or(GateError::NotFound)?;
        let presented = Sha256::digest(token.as_bytes());
        if !same(&stored, presented.as_slice()) {
            return Err(GateError::NotFound);
        }
        Ok(Principal::cart_buyer(cart_id.to_owned()))
    }

    /// The outbox mailer, for message `message_id` while it still waits to be sent. Bound to
    /// the message's order and its buyer, or to the message's account. The order or account
    /// row comes with it.
    pub async fn mailer_for(&self, message_id: i64) -> Result<(Principal, MailFor), GateError> {
        match outbox::unsent_target(&self.db, message_id)
            .await?
            .ok_or(GateError::NotFound)?
        {
            MessageTarget::Order(order_id) => {
                let order = orders::by_id(&self.db, &order_id)
                    .await?
                    .ok_or(GateError::NotFound)?;
                let principal =
                    Principal::mailer(order.buyer_id.clone(), order.id.clone(), message_id);
                Ok((principal, MailFor::Order(order)))
            }
            MessageTarget::Subject(subject) => {
                let principal = Principal::message_mailer(subject, message_id);
                Ok((principal, MailFor::Message))
            }
            MessageTarget::Account(account_id) => {
                let account = accounts::by_id(&self.db, &account_id)
                    .await?
                    .ok_or(GateError::NotFound)?;
                let principal = Principal::account_mailer(
                    account.subject_id.clone(),
                    account.id.clone(),
                    message_id,
                );
                Ok((principal, MailFor::Account(account)))
            }
        }
    }

    /// The holder of a live session of a verified account, proved by the session's token (a
    /// cookie or a bearer token). The account and session rows come with it. `NotFound` for a
    /// token that is not a live session's (unknown, signed out, expired, idle since
    /// `idle_since`), and for an account whose address is not verified.
    pub async fn holder_of_session(
        &self,
        token: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<(Principal, AccountRow, SessionRow), GateError> {
        let hash = TokenHash::of_presented(token).ok_or(GateError::NotFound)?;
        let session = accounts::live_session(&self.db, hash.as_bytes(), now, idle_since)
            .await?
            .ok_or(GateError::NotFound)?;
        let account = accounts::by_id(&self.db, &session.account_id)
            .await?
            .filter(|a| a.verified_at.is_some())
            .ok_or(GateError::NotFound)?;
        let principal = Principal::account_holder(account.subject_id.clone(), account.id.clone());
        Ok((principal, account, session))
    }

    /// Whoever holds the live erasure link `token`: bound to the request's own subject, which
    /// holds the address the link was sent to. `NotFound` for an unknown, used or expired
    /// link alike (the caller tells them apart first, from the stored link).
    pub async fn requester_of_erasure_link(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Principal, GateError> {
        let hash = TokenHash::of_presented(token).ok_or(GateError::NotFound)?;
        let link = erasure::link(&self.db, hash.as_bytes())
            .await?
            .filter(|l| l.used_at.is_none() && l.expires_at > now)
            .ok_or(GateError::NotFound)?;
        Ok(Principal::erasure_requester(link.subject_id))
    }

    /// Opens the items of `R` for `principal` and `purpose`, or refuses. Either way the
    /// decision is in the audit log before this returns.
    pub async fn open<R: Request>(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        now: i64,
    ) -> Result<R::Plain, GateError> {
        let opened = self
            .open_items(principal, purpose, &R::items(), now)
            .await?;
        self.record(principal, purpose, AuditAction::Open, &R::items(), now)
            .await?;
        R::plain(opened)
    }

    /// Like [`Gate::open`], for a page view: the opening joins the [`ViewLog`] and is written
    /// with the other views of the next few moments in one transaction ([`Gate::flush_views`],
    /// run by [`Gate::run_view_log`]). A refusal is written at once.
    pub async fn open_view<R: Request>(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        now: i64,
    ) -> Result<R::Plain, GateError> {
        // A full buffer is written before anything is opened: if the database cannot take
        // it, the view is refused with nothing opened, and the buffer stays bounded.
        if self.views.is_full() {
            self.flush_views().await?;
        }
        let items = R::items();
        let opened = self.open_items(principal, purpose, &items, now).await?;
        let fields: Vec<&str> = items.iter().map(PersonalItem::field_name).collect();
        let who = principal.who();
        self.views.push(
            &who,
            AuditEvent {
                at: now,
                actor: principal.actor().code(),
                purpose: purpose.code(),
                action: AuditAction::Open,
                subject: principal.subject().unwrap_or(""),
                fields: &fields,
            },
        );
        R::plain(opened)
    }

    /// Writes the buffered views now, in one transaction. Returns how many.
    pub async fn flush_views(&self) -> Result<usize, GateError> {
        self.views.flush(&self.db, &self.audit_key()).await
    }

    /// Writes buffered views every `every` until `stop` resolves, then once more.
    pub async fn run_view_log(self, every: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(every) => {}
            }
            if let Err(e) = self.flush_views().await {
                tracing::warn!(error = %e, "writing page views to the audit log failed; kept for the next try");
            }
        }
        if let Err(e) = self.flush_views().await {
            tracing::error!(error = %e, pending = self.views.pending(), "page views could not be written to the audit log at shutdown");
        }
    }

    /// Decides, audits a refusal, and opens.
    async fn open_items(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        items: &[PersonalItem],
        now: i64,
    ) -> Result<Vec<Option<String>>, GateError> {
        if let Err(refusal) = self.decide(principal, purpose, items).await {
            self.record(principal, purpose, AuditAction::Deny, items, now)
                .await?;
            return Err(refusal);
        }
        let (subject, reach) = match principal.scope() {
            Scope::Order {
                subject,
                order_id,
                message_id,
            } => (
                subject,
                Reach::Order {
                    order_id,
                    message_id,
                },
            ),
            Scope::Account {
                subject,
                account_id,
                message_id,
            } => (
                subject,
                Reach::Account {
                    account_id,
                    message_id,
                },
            ),
            Scope::Message {
                subject,
                message_id,
            } => (subject, Reach::Message { message_id }),
            Scope::ErasureRequest { subject } => (subject, Reach::ErasureRequest),
            Scope::Nothing => {
                // Nothing is in this principal's reach: a refusal like any other.
                self.record(principal, purpose, AuditAction::Deny, items, now)
                    .await?;
                return Err(GateError::NotFound);
            }
        };
        let key = self.data_key(subject).await?;
        let mut opened = Vec::with_capacity(items.len());
        let mut rows = Rows::default();
        for item in items {
            let found = match reach {
                Reach::Order {
                    order_id,
                    message_id,
                } => {
                    self.sealed(subject, order_id, message_id, *item, &mut rows)
                        .await?
                }
                Reach::Account {
                    account_id,
                    message_id,
                } => {
                    self.sealed_of_account(subject, account_id, message_id, *item)
                        .await?
                }
                Reach::ErasureRequest => {
                    if *item != PersonalItem::RequesterEmail {
                        return Err(GateError::NotFound);
                    }
                    let link = erasure::link_of_subject(&self.db, subject)
                        .await?
                        .ok_or(GateError::NotFound)?;
                    Some((
                        SlotOf::ErasureRequest(subject.to_owned()),
                        Sealed::from_stored(link.email_sealed),
                    ))
                }
                Reach::Message { message_id } => {
                    if *item != PersonalItem::MessagePayload {
                        return Err(GateError::NotFound);
                    }
                    let payload = outbox::subject_payload(&self.db, message_id, subject)
                        .await?
                        .ok_or(GateError::NotFound)?;
                    Some((
                        SlotOf::Message(subject.to_owned()),
                        Sealed::from_stored(payload),
                    ))
                }
            };
            opened.push(match found {
                Some((slot, sealed)) => Some(vault::open(&key, slot.slot(), &sealed)?),
                None => None,
            });
        }
        Ok(opened)
    }

    /// The stored ciphertext of `item` of the principal's own account, with the slot it was
    /// sealed in. Order items are out of an account's reach here.
    async fn sealed_of_account(
        &self,
        subject: &str,
        account_id: &str,
        message_id: Option<i64>,
        item: PersonalItem,
    ) -> Result<Option<(SlotOf, Sealed)>, GateError> {
        let account = accounts::by_id(&self.db, account_id)
            .await?
            .filter(|a| a.subject_id == subject)
            .ok_or(GateError::NotFound)?;
        let found = match item {
            PersonalItem::AccountEmail => {
                Some((SlotOf::Account(account.id.clone()), account.email_sealed))
            }
            PersonalItem::MessagePayload => {
                let message_id = message_id.ok_or(GateError::NotFound)?;
                let payload = outbox::account_payload(&self.db, message_id, &account.id)
                    .await?
                    .ok_or(GateError::NotFound)?;
                Some((SlotOf::AccountOutbox(account.id), payload))
            }
            _ => return Err(GateError::NotFound),
        };
        Ok(found.map(|(slot, bytes)| (slot, Sealed::from_stored(bytes))))
    }

    async fn decide(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        items: &[PersonalItem],
    ) -> Result<(), GateError> {
        let mut needs_consent = false;
        for category in items.iter().flat_map(PersonalItem::categories) {
            match self.policy.allows(principal.actor(), purpose, *category) {
                Decision::Allowed { needs_consent: n } => needs_consent |= n,
                Decision::Denied(reason) => return Err(GateError::Denied(reason.to_string())),
            }
        }
        // An objection or a restriction refuses the purpose like a missing consent, except
        // where the law requires the processing. One read, and only for a subject's principal.
        if self.policy.purpose(purpose).basis() != LegalBasis::LegalObligation {
            if let Some(subject) = principal.subject() {
                if subjects::limited(&self.db, subject, purpose.code())
                    .await?
                    .is_some()
                {
                    return Err(GateError::Limited(purpose.code()));
                }
            }
        }
        if needs_consent {
            let subject = principal.subject().ok_or(GateError::NotFound)?;
            let latest = subjects::latest_consent(&self.db, subject, purpose.code()).await?;
            if !latest.is_some_and(|c| c.granted) {
                return Err(GateError::NoConsent(purpose.code()));
            }
        }
        Ok(())
    }

    async fn record(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        action: AuditAction,
        items: &[PersonalItem],
        now: i64,
    ) -> Result<(), GateError> {
        let fields: Vec<&str> = items.iter().map(PersonalItem::field_name).collect();
        let who = principal.who();
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            &self.audit_key(),
            &who,
            AuditEvent {
                at: now,
                actor: principal.actor().code(),
                purpose: purpose.code(),
                action,
                subject: principal.subject().unwrap_or(""),
                fields: &fields,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn data_key(&self, subject: &str) -> Result<DataKey, GateError> {
        let stored = subjects::key(&self.db, subject)
            .await?
            .ok_or(GateError::NotFound)?;
        let bytes = stored.wrapped.ok_or(GateError::Erased)?;
        Ok(self.vault.unwrap_key(
            subject,
            &WrappedKey {
                master_key_id: stored.master_key_id,
                bytes,
            },
        )?)
    }

    /// The stored ciphertext of `item` within the principal's scope, with the row it is
    /// bound to; `None` for an optional item that is absent. An order is only found when it
    /// belongs to the subject. Rows already read for an earlier item are reused.
    async fn sealed(
        &self,
        subject: &str,
        order_id: &str,
        message_id: Option<i64>,
        item: PersonalItem,
        rows: &mut Rows,
    ) -> Result<Option<(SlotOf, Sealed)>, GateError> {
        let found: Option<(String, Vec<u8>)> = match item {
            PersonalItem::BuyerEmail => Some((
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.email.clone(),
            )),
            PersonalItem::BuyerName => Some((
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.name.clone(),
            )),
            PersonalItem::BuyerPhone => Some((
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.phone.clone(),
            )),
            PersonalItem::ShipTo => {
                let o = rows.order(&self.db, subject, order_id).await?;
                Some((o.id.clone(), o.ship_to_sealed.clone()))
            }
            PersonalItem::OrderNote => {
                let o = rows.order(&self.db, subject, order_id).await?;
                o.note_sealed.clone().map(|note| (o.id.clone(), note))
            }
            PersonalItem::MessagePayload => {
                let message_id = message_id.ok_or(GateError::NotFound)?;
                let id = rows.order(&self.db, subject, order_id).await?.id.clone();
                let payload = outbox::payload(&self.db, message_id, &id)
                    .await?
                    .ok_or(GateError::NotFound)?;
                Some((id, payload))
            }
            // An account's own items are reached through an account principal only, a
            // request's address through its requester.
            PersonalItem::AccountEmail | PersonalItem::RequesterEmail => {
                return Err(GateError::NotFound)
            }
        };
        Ok(found.map(|(row, bytes)| (SlotOf::Item(item, row), Sealed::from_stored(bytes))))
    }
}

/// An order placed with the address of an account holder's account, with the items opened
/// for it. `opened` is `None` when the order's buyer record was erased (its data key
/// destroyed): only the order's transaction data remains.
#[derive(Debug)]
pub struct LinkedOrder<T> {
    pub order: OrderRow,
    pub opened: Option<T>,
}

/// The fewest orders worth a thread of their own in [`Gate::open_linked_orders`].
const LINKED_ORDERS_PER_THREAD: usize = 256;

/// Whether an account holder may open `item` of a record made with the account's address:
/// the buyer record's contact details and its orders' delivery details and notes.
fn linkable(item: PersonalItem) -> bool {
    matches!(
        item,
        PersonalItem::BuyerEmail
            | PersonalItem::BuyerName
            | PersonalItem::BuyerPhone
            | PersonalItem::ShipTo
            | PersonalItem::OrderNote
    )
}

/// The records made with a verified account's address (guest checkouts share its blind index)
/// are its holder's own: the holder may open them, and nobody else through this door.
impl Gate {
    /// Opens the items of `R` of one order placed with the address of `principal`'s account,
    /// found by its number or its id, and of that order's buyer record, with that buyer's
    /// data key. Only the holder of a verified account may ask, and only for an order whose
    /// buyer record has the account's email blind index. The opening is audited under the
    /// holder, with the buyer record as its subject, before anything is returned; anything
    /// else is refused, and the refusal audited under the holder's own subject.
    pub async fn open_linked_order<R: Request>(
        &self,
        principal: &Principal,
        order_number_or_id: &str,
        purpose: PurposeId,
        now: i64,
    ) -> Result<R::Plain, GateError> {
        let items = R::items();
        let (order, buyer) = match self
            .linked_order(principal, order_number_or_id, purpose, &items)
            .await
        {
            Ok(found) => found,
            Err(refusal) => {
                self.record(principal, purpose, AuditAction::Deny, &items, now)
                    .await?;
                return Err(refusal);
            }
        };
        let key = self.data_key(&order.buyer_id).await?;
        let (opened, order) = self.open_linked_items(&key, &items, buyer, order).await?;
        self.record_linked(principal, purpose, &items, [order.buyer_id.as_str()], now)
            .await?;
        R::plain(opened)
    }

    /// [`Gate::open_linked_order`] for every order placed with the address of `principal`'s
    /// account at once, oldest first: a few reads whatever the number of orders, each buyer
    /// record's key unwrapped once, and one audit transaction with one `open` entry per buyer
    /// record opened. The entries are written while the values are opened (on a blocking
    /// thread), and nothing is returned unless both succeed. An erased record's orders come
    /// without openings.
    pub async fn open_linked_orders<R>(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        now: i64,
    ) -> Result<Vec<LinkedOrder<R::Plain>>, GateError>
    where
        R: Request + 'static,
        R::Plain: Send + 'static,
    {
        let items = R::items();
        let account = match self.linking_account(principal, purpose, &items).await {
            Ok(account) => account,
            Err(refusal) => {
                self.record(principal, purpose, AuditAction::Deny, &items, now)
                    .await?;
                return Err(refusal);
            }
        };
        let (buyers, orders) = tokio::try_join!(
            export::linked_buyers(&self.db, &account.email_index),
            export::orders_of_email(&self.db, &account.email_index),
        )?;
        let records: HashMap<String, export::LinkedBuyerRow> = buyers
            .into_iter()
            .filter(|row| same(&row.buyer.email_index, &account.email_index))
            .map(|row| (row.buyer.id.clone(), row))
            .collect();
        // An order whose buyer record was not read with the others (placed in between) is
        // left for the next call.
        let orders: Vec<OrderRow> = orders
            .into_iter()
            .filter(|o| records.contains_key(&o.buyer_id))
            .collect();
        let mut opened_subjects: Vec<String> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for order in &orders {
            let live = records
                .get(&order.buyer_id)
                .is_some_and(|r| r.key.wrapped.is_some());
            if live && seen.insert(&order.buyer_id) {
                opened_subjects.push(order.buyer_id.clone());
            }
        }
        // The opening is work for the processor alone: on blocking threads, in as many runs of
        // consecutive orders as there are cores, while this task writes the audit entries.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let per_thread = orders.len().div_ceil(threads).max(LINKED_ORDERS_PER_THREAD);
        let mut rest = orders;
        let mut openings = Vec::with_capacity(threads);
        while !rest.is_empty() {
            let later = rest.split_off(per_thread.min(rest.len()));
            let run = std::mem::replace(&mut rest, later);
            let run_records: HashMap<String, export::LinkedBuyerRow> = run
                .iter()
                .filter_map(|o| {
                    records
                        .get(&o.buyer_id)
                        .map(|r| (o.buyer_id.clone(), r.clone()))
                })
                .collect();
            let gate = self.clone();
            let runtime = tokio::runtime::Handle::current();
            let to_open = items.clone();
            openings.push(tokio::task::spawn_blocking(move || {
                runtime.block_on(gate.open_linked_records::<R>(&to_open, run_records, run))
            }));
        }
        let audited = self.record_linked(
            principal,
            purpose,
            &items,
            opened_subjects.iter().map(String::as_str),
            now,
        );
        let (audited, runs) = tokio::join!(audited, futures_util::future::join_all(openings));
        audited?;
        let mut linked = Vec::with_capacity(opened_subjects.len());
        for run in runs {
            match run {
                Ok(opened) => linked.extend(opened?),
                // A panic while opening is the same bug it would be on this task.
                Err(stopped) if stopped.is_panic() => {
                    std::panic::resume_unwind(stopped.into_panic())
                }
                // Only a runtime shutting down cancels it: nothing reaches the caller.
                Err(_) => return Err(GateError::NotFound),
            }
        }
        Ok(linked)
    }

    /// Opens `items` of every order of `orders` and of its buyer record in `records`, each
    /// record's key unwrapped once; an erased record's orders come without openings.
    async fn open_linked_records<R: Request>(
        &self,
        items: &[PersonalItem],
        mut records: HashMap<String, export::LinkedBuyerRow>,
        orders: Vec<OrderRow>,
    ) -> Result<Vec<LinkedOrder<R::Plain>>, GateError> {
        let mut keys: HashMap<String, Option<DataKey>> = HashMap::with_capacity(records.len());
        let mut linked = Vec::with_capacity(orders.len());
        for order in orders {
            let Some(record) = records.get_mut(&order.buyer_id) else {
                continue;
            };
            if !keys.contains_key(&order.buyer_id) {
                let key = match record.key.wrapped.take() {
                    Some(bytes) => Some(self.vault.unwrap_key(
                        &order.buyer_id,
                        &WrappedKey {
                            master_key_id: record.key.master_key_id.clone(),
                            bytes,
                        },
                    )?),
                    None => None,
                };
                keys.insert(order.buyer_id.clone(), key);
            }
            let Some(Some(key)) = keys.get(&order.buyer_id) else {
                linked.push(LinkedOrder {
                    order,
                    opened: None,
                });
                continue;
            };
            let (opened, order) = self
                .open_linked_items(key, items, record.buyer.clone(), order)
                .await?;
            linked.push(LinkedOrder {
                order,
                opened: Some(R::plain(opened)?),
            });
        }
        Ok(linked)
    }

    /// The verified account of `principal`, if it is an account holder that the policy lets
    /// open `items` of its address's records for `purpose`.
    async fn linking_account(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        items: &[PersonalItem],
    ) -> Result<AccountRow, GateError> {
        let Scope::Account {
            subject,
            account_id,
            message_id: None,
        } = principal.scope()
        else {
            return Err(GateError::NotFound);
        };
        if !items.iter().all(|item| linkable(*item)) {
            return Err(GateError::NotFound);
        }
        self.decide(principal, purpose, items).await?;
        accounts::by_id(&self.db, account_id)
            .await?
            .filter(|a| a.subject_id == subject && a.verified_at.is_some())
            .ok_or(GateError::NotFound)
    }

    /// The order `number_or_id` and its buyer record, if the record was made with the address
    /// of `principal`'s account.
    async fn linked_order(
        &self,
        principal: &Principal,
        number_or_id: &str,
        purpose: PurposeId,
        items: &[PersonalItem],
    ) -> Result<(OrderRow, subjects::SealedBuyer), GateError> {
        let account = self.linking_account(principal, purpose, items).await?;
        let order = match orders::by_number(&self.db, number_or_id).await? {
            Some(order) => order,
            None => orders::by_id(&self.db, number_or_id)
                .await?
                .ok_or(GateError::NotFound)?,
        };
        let buyer = subjects::buyer(&self.db, &order.buyer_id)
            .await?
            .ok_or(GateError::NotFound)?;
        if !same(&buyer.email_index, &account.email_index) {
            return Err(GateError::NotFound);
        }
        Ok((order, buyer))
    }

    /// Opens `items` of `order` and its buyer record with the record's data key; the order
    /// row comes back with the values.
    async fn open_linked_items(
        &self,
        key: &DataKey,
        items: &[PersonalItem],
        buyer: subjects::SealedBuyer,
        order: OrderRow,
    ) -> Result<(Vec<Option<String>>, OrderRow), GateError> {
        let subject = order.buyer_id.clone();
        let order_id = order.id.clone();
        let mut rows = Rows {
            buyer: Some(buyer),
            order: Some(order),
        };
        let mut opened = Vec::with_capacity(items.len());
        for item in items {
            opened.push(
                match self
                    .sealed(&subject, &order_id, None, *item, &mut rows)
                    .await?
                {
                    Some((slot, sealed)) => Some(vault::open(key, slot.slot(), &sealed)?),
                    None => None,
                },
            );
        }
        let order = rows.order.take().ok_or(GateError::NotFound)?;
        Ok((opened, order))
    }

    /// Writes, in one transaction, an `open` entry by `principal` about each buyer record of
    /// `opened` (nothing when none was opened).
    async fn record_linked<'s>(
        &self,
        principal: &Principal,
        purpose: PurposeId,
        items: &[PersonalItem],
        opened: impl IntoIterator<Item = &'s str>,
        now: i64,
    ) -> Result<(), GateError> {
        let fields: Vec<&str> = items.iter().map(PersonalItem::field_name).collect();
        let mut batch = AuditBatch::new(principal.who());
        for subject in opened {
            batch.record(AuditEvent {
                at: now,
                actor: principal.actor().code(),
                purpose: purpose.code(),
                action: AuditAction::Open,
                subject,
                fields: &fields,
            });
        }
        if batch.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        batch.write(&mut tx, &self.audit_key()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The rows one opening has read so far.
#[derive(Default)]
struct Rows {
    buyer: Option<subjects::SealedBuyer>,
    order: Option<OrderRow>,
}

impl Rows {
    async fn buyer(&mut self, db: &Db, subject: &str) -> Result<&subjects::SealedBuyer, GateError> {
        if self.buyer.is_none() {
            self.buyer = Some(
                subjects::buyer(db, subject)
                    .await?
                    .ok_or(GateError::NotFound)?,
            );
        }
        self.buyer.as_ref().ok_or(GateError::NotFound)
    }

    /// The order `id`, if it belongs to `subject`.
    async fn order(&mut self, db: &Db, subject: &str, id: &str) -> Result<&OrderRow, GateError> {
        if self.order.is_none() {
            self.order = Some(
                orders::by_id(db, id)
                    .await?
                    .filter(|o| o.buyer_id == subject)
                    .ok_or(GateError::NotFound)?,
            );
        }
        self.order.as_ref().ok_or(GateError::NotFound)
    }
}

/// What a principal reaches within its subject.
#[derive(Clone, Copy)]
enum Reach<'a> {
    Order {
        order_id: &'a str,
        message_id: Option<i64>,
    },
    Account {
        account_id: &'a str,
        message_id: Option<i64>,
    },
    Message {
        message_id: i64,
    },
    ErasureRequest,
}

/// Where a value was sealed: the same [`slots`] the writers use, so the two cannot drift.
enum SlotOf {
    Item(PersonalItem, String),
    Account(String),
    AccountOutbox(String),
    Message(String),
    ErasureRequest(String),
}

impl SlotOf {
    fn slot(&self) -> Slot<'_> {
        match self {
            SlotOf::Item(item, row) => match item {
                PersonalItem::BuyerEmail => slots::buyer(row, "email"),
                PersonalItem::BuyerName => slots::buyer(row, "name"),
                PersonalItem::BuyerPhone => slots::buyer(row, "phone"),
                PersonalItem::ShipTo => slots::order(row, "ship_to"),
                PersonalItem::OrderNote => slots::order(row, "note"),
                PersonalItem::MessagePayload => slots::outbox(row),
                PersonalItem::AccountEmail => slots::account(row),
                PersonalItem::RequesterEmail => slots::erasure_request(row),
            },
            SlotOf::Account(account) => slots::account(account),
            SlotOf::AccountOutbox(account) => slots::account_outbox(account),
            SlotOf::Message(subject) => slots::message(subject),
            SlotOf::ErasureRequest(subject) => slots::erasure_request(subject),
        }
    }
}

/// What an outbox message is about, as the mailer finds it.
#[derive(Debug)]
pub enum MailFor {
    Order(OrderRow),
    Account(AccountRow),
    /// A message that carries its own sealed content ([`items::Notice`]).
    Message,
}
