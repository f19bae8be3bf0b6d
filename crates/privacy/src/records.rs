//! Writing personal data: registering a buyer at checkout, sealing values under the buyer's
//! key, and recording consent. Each runs inside the caller's write transaction, together with
//! its audit entry, so the data and its record commit or vanish together.

use crate::audit::{self, AuditAction, AuditBatch, AuditEvent};
use crate::gate::slots;
use crate::policy::{Actor, Language, Policy, PurposeId};
use crate::sealed::{Sealed, Slot};
use crate::vault::{self, DataKey, IndexKind, Vault, VaultError, WrappedKey};
use hanjinbi_domain::contact::{Email, FullName, PhoneVn};
use hanjinbi_store::subjects::{self, ConsentRow, SealedBuyer};
use hanjinbi_store::{StoreError, WriteTx};
use rand::RngCore;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("the buyer's data was erased; a new checkout starts a new record")]
    Erased,
    #[error("{0} is not a purpose that asks for consent")]
    NotAConsentPurpose(&'static str),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<hanjinbi_domain::Lang> for Language {
    fn from(lang: hanjinbi_domain::Lang) -> Language {
        match lang {
            hanjinbi_domain::Lang::Vi => Language::Vi,
            hanjinbi_domain::Lang::En => Language::En,
        }
    }
}

/// A data subject with its unwrapped key, for sealing within one transaction.
pub struct SubjectKey {
    pub subject: String,
    key: DataKey,
}

impl std::fmt::Debug for SubjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectKey({})", self.subject)
    }
}

impl SubjectKey {
    pub fn seal(&self, slot: Slot<'_>, plaintext: &str) -> Result<Sealed, VaultError> {
        vault::seal(&self.key, slot, plaintext)
    }
}

/// A random identifier for subjects and orders: 128 bits, hex.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Contact details given at checkout.
pub struct BuyerContact<'a> {
    pub email: &'a Email,
    pub name: &'a FullName,
    pub phone: &'a PhoneVn,
}

/// The consents a buyer gave with a checkout: the purposes whose boxes were ticked (an
/// unticked box is no decision), with what they were shown and where.
pub struct CheckoutConsents<'a> {
    pub policy: &'a Policy,
    pub granted: &'a [PurposeId],
    pub lang: hanjinbi_domain::Lang,
    pub channel: &'a str,
}

/// Registers the buyer of one checkout: a new data subject with its own data key, and the
/// contact details given now sealed under it. Audited as a seal for order fulfilment.
///
/// An email address already known does not lead to the record made with it before: a
/// checkout proves nothing about who controls the address, and reusing that record would let
/// anyone who knows an address change its name and phone, record consents on it, and receive
/// its orders' lookup codes. So every checkout has its own subject, and its details,
/// consents and erasure stay with it. Records made with the same address share its blind
/// index (`subjects::buyers_by_email_index`); linking them into one buyer is for the code
/// that has verified the address, and only that code.
///
/// The consents given with the checkout are recorded with the new subject, as
/// [`record_consent`] records one, in the same statement on PostgreSQL.
pub async fn buyer_for_checkout(
    tx: &mut WriteTx,
    vault: &Vault,
    contact: BuyerContact<'_>,
    consents: CheckoutConsents<'_>,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<SubjectKey, RecordError> {
    let email_index = vault.blind_index(IndexKind::Email, &contact.email.lookup_key());
    let phone_index = vault.blind_index(IndexKind::Phone, contact.phone.expose());
    let id = new_id();
    let (key, wrapped) = vault.new_data_key(&id)?;
    let subject = SubjectKey { subject: id, key };
    let id = subject.subject.as_str();
    let sealed = SealedBuyer {
        id: id.to_owned(),
        email_index,
        phone_index,
        email: subject
            .seal(slots::buyer(id, "email"), contact.email.expose())?
            .to_stored(),
        name: subject
            .seal(slots::buyer(id, "name"), contact.name.expose())?
            .to_stored(),
        phone: subject
            .seal(slots::buyer(id, "phone"), contact.phone.expose())?
            .to_stored(),
    };
    let consent_rows = consents
        .granted
        .iter()
        .map(|&purpose| {
            consent_row(
                consents.policy,
                id,
                purpose,
                true,
                consents.lang,
                consents.channel,
                now,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    subjects::insert_buyer_with_key(
        tx,
        &wrapped.master_key_id,
        &wrapped.bytes,
        &sealed,
        &consent_rows,
        now,
    )
    .await?;
    audit.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::OrderFulfilment.code(),
        action: AuditAction::Seal,
        subject: id,
        fields: &["email", "name", "phone"],
    });
    for row in &consent_rows {
        audit_consent(audit, row, now);
    }
    Ok(subject)
}

/// A decision on `purpose` as the ledger keeps it: the exact wording shown in `lang`, the
/// policy version, the channel; unverified (see [`record_consent`]).
fn consent_row(
    policy: &Policy,
    subject: &str,
    purpose: PurposeId,
    granted: bool,
    lang: hanjinbi_domain::Lang,
    channel: &str,
    now: i64,
) -> Result<ConsentRow, RecordError> {
    let wording = policy
        .purpose(purpose)
        .consent_wording()
        .ok_or(RecordError::NotAConsentPurpose(purpose.code()))?
        .get(lang.into())
        .to_owned();
    Ok(ConsentRow {
        subject_id: subject.to_owned(),
        purpose: purpose.code().to_owned(),
        granted,
        policy_version: policy.version().to_owned(),
        wording,
        channel: channel.to_owned(),
        at: now,
        verified: false,
    })
}

/// The audit entry of a recorded decision: the buyer acted, for the decision's purpose.
fn audit_consent(audit: &mut AuditBatch, row: &ConsentRow, now: i64) {
    audit.record(AuditEvent {
        at: now,
        actor: Actor::Buyer.code(),
        purpose: &row.purpose,
        action: AuditAction::Consent,
        subject: &row.subject_id,
        fields: &[if row.granted { "granted" } else { "refused" }],
    });
}

/// Records a buyer's decision on a consent purpose with the exact wording they saw and the
/// policy version it belongs to. Audited (in `audit`, written before the transaction commits).
///
/// The decision is recorded as unverified: whoever gave it has not proved control of the
/// buyer's email address (a checkout does not), so a grant counts for nothing until the
/// address is confirmed, while a refusal counts at once.
#[allow(clippy::too_many_arguments)]
pub async fn record_consent(
    tx: &mut WriteTx,
    policy: &Policy,
    subject: &str,
    purpose: PurposeId,
    granted: bool,
    lang: hanjinbi_domain::Lang,
    channel: &str,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<(), RecordError> {
    let row = consent_row(policy, subject, purpose, granted, lang, channel, now)?;
    subjects::insert_consent(tx, &row).await?;
    audit_consent(audit, &row, now);
    Ok(())
}

/// Seals a value for an existing subject inside the caller's transaction, such as a one-time
/// code queued for sending. Audited as a seal by the system for `purpose`.
#[allow(clippy::too_many_arguments)]
pub async fn seal_for_subject(
    tx: &mut WriteTx,
    vault: &Vault,
    subject: &str,
    slot: Slot<'_>,
    plaintext: &str,
    purpose: PurposeId,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<Sealed, RecordError> {
    let stored = subjects::key_in(tx, subject)
        .await?
        .ok_or(RecordError::Erased)?;
    let bytes = stored.wrapped.ok_or(RecordError::Erased)?;
    let key = vault.unwrap_key(
        subject,
        &WrappedKey {
            master_key_id: stored.master_key_id,
            bytes,
        },
    )?;
    let sealed = vault::seal(&key, slot, plaintext)?;
    audit.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: purpose.code(),
        action: AuditAction::Seal,
        subject,
        fields: &[slot.field],
    });
    Ok(sealed)
}

/// A new account: its id and the data subject it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub account_id: String,
    pub subject: String,
}

/// Registers an account: a new data subject with its own data key, the address sealed under
/// it and found by its blind index, the password's Argon2id hash. Unverified until the owner
/// uses the link sent to the address. Audited as a seal for answering the buyer's request.
pub async fn account_for_registration(
    tx: &mut WriteTx,
    vault: &Vault,
    email: &Email,
    password: &crate::credentials::PasswordDigest,
    lang: hanjinbi_domain::Lang,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<NewAccount, RecordError> {
    let subject = new_id();
    let account_id = new_id();
    let (key, wrapped) = vault.new_data_key(&subject)?;
    let email_sealed = vault::seal(&key, slots::account(&account_id), email.expose())?;
    subjects::insert_key(tx, &subject, &wrapped.master_key_id, &wrapped.bytes, now).await?;
    hanjinbi_store::accounts::insert(
        tx,
        &hanjinbi_store::accounts::AccountRow {
            id: account_id.clone(),
            subject_id: subject.clone(),
            email_index: account_email_index(vault, email),
            email_sealed: email_sealed.to_stored(),
            password_hash: password.as_stored().to_owned(),
            lang: lang.code().to_owned(),
            created_at: now,
            verified_at: None,
            password_changed_at: now,
        },
    )
    .await?;
    audit.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::AnsweringRequests.code(),
        action: AuditAction::Seal,
        subject: &subject,
        fields: &["account_email"],
    });
    Ok(NewAccount {
        account_id,
        subject,
    })
}

/// The blind index an account and the guest buyers of its address share.
pub fn account_email_index(vault: &Vault, email: &Email) -> Vec<u8> {
    vault.blind_index(IndexKind::Email, &email.lookup_key())
}

/// Queues a message about an account that carries a link token, sealed under the account's
/// key until the mailer sends it. Audited like [`seal_for_subject`].
#[allow(clippy::too_many_arguments)]
pub async fn queue_account_link(
    tx: &mut WriteTx,
    vault: &Vault,
    account_id: &str,
    subject: &str,
    kind: &str,
    token: &crate::credentials::SecretToken,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<(), RecordError> {
    let sealed = seal_for_subject(
        tx,
        vault,
        subject,
        slots::account_outbox(account_id),
        token.expose(),
        PurposeId::AnsweringRequests,
        now,
        audit,
    )
    .await?;
    hanjinbi_store::outbox::enqueue_for_account(
        tx,
        kind,
        account_id,
        Some(&sealed.to_stored()),
        now,
    )
    .await?;
    Ok(())
}
