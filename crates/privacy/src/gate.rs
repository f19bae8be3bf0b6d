//! The gate: the one way from sealed values to plaintext.
//!
//! A caller names who it acts as, for which purpose, about which data subject, and which
//! personal items it needs. The policy decides (deny by default); a consent-based purpose is
//! re-checked against the subject's latest consent at this moment. Every opening and every
//! refusal is written to the audit log before anything is returned.

use crate::audit::{self, AuditAction, AuditEvent};
use crate::policy::{Actor, DataCategory, Decision, Policy, PurposeId};
use crate::sealed::{Sealed, Slot};
use crate::vault::{self, DataKey, Vault, VaultError, WrappedKey};
use hanjinbi_store::{orders, outbox, subjects, Db, StoreError};
use std::sync::Arc;
use thiserror::Error;

/// A personal item the gate can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonalItem {
    BuyerEmail,
    BuyerName,
    BuyerPhone,
    /// An order's delivery details: recipient name, phone and address.
    ShipTo {
        order_id: String,
    },
    /// The buyer's note on an order.
    OrderNote {
        order_id: String,
    },
    /// The sealed content of an outbox message (a one-time code).
    MessagePayload {
        message_id: i64,
        order_id: String,
    },
}

impl PersonalItem {
    /// The categories the item holds; the policy must allow every one.
    pub fn categories(&self) -> &'static [DataCategory] {
        match self {
            PersonalItem::BuyerEmail | PersonalItem::BuyerPhone => &[DataCategory::Contact],
            PersonalItem::BuyerName => &[DataCategory::Identity],
            PersonalItem::ShipTo { .. } => &[
                DataCategory::Address,
                DataCategory::Identity,
                DataCategory::Contact,
            ],
            // Delivery instructions are part of the order, like its shipping method.
            PersonalItem::OrderNote { .. } => &[DataCategory::Transaction],
            PersonalItem::MessagePayload { .. } => &[DataCategory::Account],
        }
    }

    /// The name written to the audit log.
    pub fn field_name(&self) -> &'static str {
        match self {
            PersonalItem::BuyerEmail => "email",
            PersonalItem::BuyerName => "name",
            PersonalItem::BuyerPhone => "phone",
            PersonalItem::ShipTo { .. } => "ship_to",
            PersonalItem::OrderNote { .. } => "note",
            PersonalItem::MessagePayload { .. } => "message_payload",
        }
    }
}

/// Who asks, why, and about whom.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub actor: Actor,
    pub purpose: PurposeId,
    /// The data subject (buyer id).
    pub subject: &'a str,
}

#[derive(Debug, Error)]
pub enum GateError {
    #[error("refused by the privacy policy: {0}")]
    Denied(String),
    #[error("the buyer has not consented to {0}")]
    NoConsent(&'static str),
    #[error("the data was erased")]
    Erased,
    #[error("no such personal data")]
    NotFound,
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The gate, with the policy, the vault and the database it guards.
#[derive(Debug, Clone)]
pub struct Gate {
    db: Db,
    policy: Arc<Policy>,
    vault: Vault,
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
}

impl Gate {
    pub fn new(db: Db, policy: Arc<Policy>, vault: Vault) -> Gate {
        Gate { db, policy, vault }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Opens `items` about `access.subject`, or refuses. Either way the decision is audited.
    pub async fn open(
        &self,
        access: Access<'_>,
        items: &[PersonalItem],
        now: i64,
    ) -> Result<Vec<String>, GateError> {
        let fields: Vec<&str> = items.iter().map(PersonalItem::field_name).collect();
        if let Err(refusal) = self.decide(access, items).await {
            self.record(access, AuditAction::Deny, &fields, now).await?;
            return Err(refusal);
        }
        let key = self.data_key(access.subject).await?;
        let mut opened = Vec::with_capacity(items.len());
        let mut rows = Rows::default();
        for item in items {
            let (row, sealed) = self.sealed(access.subject, item, &mut rows).await?;
            opened.push(vault::open(&key, slot_of(item, &row), &sealed)?);
        }
        self.record(access, AuditAction::Open, &fields, now).await?;
        Ok(opened)
    }

    async fn decide(&self, access: Access<'_>, items: &[PersonalItem]) -> Result<(), GateError> {
        let mut needs_consent = false;
        for category in items.iter().flat_map(PersonalItem::categories) {
            match self.policy.allows(access.actor, access.purpose, *category) {
                Decision::Allowed { needs_consent: n } => needs_consent |= n,
                Decision::Denied(reason) => return Err(GateError::Denied(reason.to_string())),
            }
        }
        if needs_consent {
            let latest =
                subjects::latest_consent(&self.db, access.subject, access.purpose.code()).await?;
            if !latest.is_some_and(|c| c.granted) {
                return Err(GateError::NoConsent(access.purpose.code()));
            }
        }
        Ok(())
    }

    async fn record(
        &self,
        access: Access<'_>,
        action: AuditAction,
        fields: &[&str],
        now: i64,
    ) -> Result<(), GateError> {
        let mut tx = self.db.begin_write().await?;
        audit::append(
            &mut tx,
            AuditEvent {
                at: now,
                actor: access.actor.code(),
                purpose: access.purpose.code(),
                action,
                subject: access.subject,
                fields,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
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

    /// The stored ciphertext of `item`, with the row it is bound to. Items that belong to an
    /// order are only found when the order belongs to the subject. Rows already read for an
    /// earlier item of the same opening are reused.
    async fn sealed(
        &self,
        subject: &str,
        item: &PersonalItem,
        rows: &mut Rows,
    ) -> Result<(String, Sealed), GateError> {
        let found: (String, Vec<u8>) = match item {
            PersonalItem::BuyerEmail => (
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.email.clone(),
            ),
            PersonalItem::BuyerName => (
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.name.clone(),
            ),
            PersonalItem::BuyerPhone => (
                subject.to_owned(),
                rows.buyer(&self.db, subject).await?.phone.clone(),
            ),
            PersonalItem::ShipTo { order_id } => {
                let o = rows.order(&self.db, subject, order_id).await?;
                (o.id.clone(), o.ship_to_sealed.clone())
            }
            PersonalItem::OrderNote { order_id } => {
                let o = rows.order(&self.db, subject, order_id).await?;
                (
                    o.id.clone(),
                    o.note_sealed.clone().ok_or(GateError::NotFound)?,
                )
            }
            PersonalItem::MessagePayload {
                message_id,
                order_id,
            } => {
                let id = rows.order(&self.db, subject, order_id).await?.id.clone();
                let payload = outbox::payload(&self.db, *message_id, &id)
                    .await?
                    .ok_or(GateError::NotFound)?;
                (id, payload)
            }
        };
        Ok((found.0, Sealed::from_stored(found.1)))
    }
}

/// The rows one opening has read so far.
#[derive(Default)]
struct Rows {
    buyer: Option<subjects::SealedBuyer>,
    orders: Vec<orders::OrderRow>,
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
    async fn order(
        &mut self,
        db: &Db,
        subject: &str,
        id: &str,
    ) -> Result<&orders::OrderRow, GateError> {
        let known = self.orders.iter().position(|o| o.id == id);
        let index = match known {
            Some(i) => i,
            None => {
                let order = orders::by_id(db, id)
                    .await?
                    .filter(|o| o.buyer_id == subject)
                    .ok_or(GateError::NotFound)?;
                self.orders.push(order);
                self.orders.len() - 1
            }
        };
        self.orders.get(index).ok_or(GateError::NotFound)
    }
}

/// Where `item` was sealed: the same [`slots`] the writers use, so the two cannot drift.
fn slot_of<'a>(item: &PersonalItem, row: &'a str) -> Slot<'a> {
    match item {
        PersonalItem::BuyerEmail => slots::buyer(row, "email"),
        PersonalItem::BuyerName => slots::buyer(row, "name"),
        PersonalItem::BuyerPhone => slots::buyer(row, "phone"),
        PersonalItem::ShipTo { .. } => slots::order(row, "ship_to"),
        PersonalItem::OrderNote { .. } => slots::order(row, "note"),
        PersonalItem::MessagePayload { .. } => slots::outbox(row),
    }
}
