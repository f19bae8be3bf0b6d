//! Writing personal data: registering a buyer at checkout, sealing values under the buyer's
//! key, and recording consent. Each runs inside the caller's write transaction, together with
//! its audit entry, so the data and its record commit or vanish together.

use crate::audit::{self, AuditAction, AuditBatch, AuditEvent};
use crate::gate::slots;
use crate::policy::{Actor, Language, LegalBasis, Policy, PurposeId};
use crate::principal::{Principal, Scope};
use crate::sealed::{Sealed, Slot};
use crate::vault::{self, DataKey, IndexKind, Vault, VaultError, WrappedKey};
use hanjinbi_domain::contact::{Email, FullName, PhoneVn};
use hanjinbi_store::subjects::{self, ConsentRow, LimitKind, SealedBuyer};
use hanjinbi_store::{StoreError, WriteTx};
use rand::RngCore;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RecordError {
    #[error("the buyer's data was erased; a new checkout starts a new record")]
    Erased,
    #[error("{0} is not a purpose that asks for consent")]
    NotAConsentPurpose(&'static str),
    #[error("{0} is required by law and cannot be objected to or restricted")]
    CannotBeLimited(&'static str),
    #[error("only the holder of a verified account decides for the records of its address")]
    NotAnAccountHolder,
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

/// Queues a message to an address no readable record holds: a new message subject with its
/// own data key, the notice sealed under it. The mailer opens it once, sends it and destroys
/// the key ([`crate::gate::Gate::forget_message`]). Audited as a seal for answering the
/// buyer's request. Returns the message subject.
pub async fn queue_notice(
    tx: &mut WriteTx,
    vault: &Vault,
    kind: &str,
    notice: &crate::plain::Notice,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<String, RecordError> {
    let subject = new_id();
    let (key, wrapped) = vault.new_data_key(&subject)?;
    let text = notice
        .to_sealable()
        .map_err(|_| RecordError::Vault(VaultError::SealFailed))?;
    let sealed = vault::seal(&key, slots::message(&subject), &text)?;
    subjects::insert_key(tx, &subject, &wrapped.master_key_id, &wrapped.bytes, now).await?;
    hanjinbi_store::outbox::enqueue_for_subject(tx, kind, &subject, &sealed.to_stored(), now)
        .await?;
    audit.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::AnsweringRequests.code(),
        action: AuditAction::Seal,
        subject: &subject,
        fields: &["message_payload"],
    });
    Ok(subject)
}

/// Records a guest's erasure request: a new request subject with its own key, the address
/// sealed under it (for the last email the erasure sends), and the link's hash found by the
/// address's blind index. Audited as a seal for answering the request.
#[allow(clippy::too_many_arguments)]
pub async fn erasure_request(
    tx: &mut WriteTx,
    vault: &Vault,
    email: &Email,
    lang: hanjinbi_domain::Lang,
    token: &crate::credentials::SecretToken,
    expires_at: i64,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<(), RecordError> {
    let subject = new_id();
    let (key, wrapped) = vault.new_data_key(&subject)?;
    let email_sealed = vault::seal(&key, slots::erasure_request(&subject), email.expose())?;
    subjects::insert_key(tx, &subject, &wrapped.master_key_id, &wrapped.bytes, now).await?;
    hanjinbi_store::erasure::insert_link(
        tx,
        &hanjinbi_store::erasure::ErasureLinkRow {
            token_hash: token.hash().as_bytes().to_vec(),
            email_index: account_email_index(vault, email),
            subject_id: subject.clone(),
            email_sealed: email_sealed.to_stored(),
            lang: lang.code().to_owned(),
            created_at: now,
            expires_at,
            used_at: None,
        },
    )
    .await?;
    audit.record(AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::AnsweringRequests.code(),
        action: AuditAction::Seal,
        subject: &subject,
        fields: &["requester_email"],
    });
    Ok(())
}

/// Erases every record made with the address whose blind index is `email_index` (and the
/// account, when one asks), destroying their data keys: see
/// [`hanjinbi_store::erasure::erase_address`]. Unused erasure links of the address die, their
/// request keys with them. One audit entry, on `anchor` (the account's subject or the
/// request's), names what was destroyed by kind, never by value. `who` is the batch's.
pub async fn erase(
    tx: &mut WriteTx,
    email_index: &[u8],
    account: Option<(&str, &str)>,
    anchor: &str,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<hanjinbi_store::erasure::Erased, RecordError> {
    let erased = hanjinbi_store::erasure::erase_address(tx, email_index, account, now).await?;
    for request in hanjinbi_store::erasure::retire_links(tx, email_index, now).await? {
        subjects::destroy_key(tx, &request, now).await?;
    }
    audit.record(AuditEvent {
        at: now,
        actor: Actor::Buyer.code(),
        purpose: PurposeId::AnsweringRequests.code(),
        action: AuditAction::Erase,
        subject: anchor,
        fields: &["data_keys", "buyer_records", "consents", "account"],
    });
    Ok(erased)
}

/// What erasing one address at the end of its retention period removed, in counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExpiredAddress {
    /// Data subjects erased: the address's guest buyer records, and its unverified account
    /// if it had one.
    pub subjects: u64,
    /// Orders kept as transaction records, now without identity.
    pub orders_kept: i64,
}

/// Erases, at the end of its retention period, every guest buyer record made with the address
/// whose blind index is `email_index`, and the account `unverified_account` (id, subject) when
/// one that was never verified holds the address (the caller has checked that none verified
/// does: a verified account's address is kept until it is erased). The same statements as an
/// erasure request ([`erase`]), but it is the law, not the buyer, that asks: one audit entry
/// per erased subject, by the system for legal obligations (storage limitation), naming what
/// went by kind, never by value.
pub async fn erase_expired_address(
    tx: &mut WriteTx,
    email_index: &[u8],
    unverified_account: Option<(&str, &str)>,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<ExpiredAddress, RecordError> {
    // Listed before they go: the entries name each subject.
    let guests = subjects::buyers_by_email_index_in(tx, email_index).await?;
    let erased =
        hanjinbi_store::erasure::erase_address(tx, email_index, unverified_account, now).await?;
    for request in hanjinbi_store::erasure::retire_links(tx, email_index, now).await? {
        subjects::destroy_key(tx, &request, now).await?;
    }
    if erased.keys == 0 {
        // Another run erased the address first (on PostgreSQL the second waits for the
        // first's rows, then finds their keys gone): nothing went now, nothing to record.
        return Ok(ExpiredAddress::default());
    }
    let event = |subject, fields| AuditEvent {
        at: now,
        actor: Actor::System.code(),
        purpose: PurposeId::LegalObligations.code(),
        action: AuditAction::Erase,
        subject,
        fields,
    };
    for guest in &guests {
        audit.record(event(
            guest,
            &["data_key", "buyer_record", "consents", "processing_limits"],
        ));
    }
    if let Some((_, subject)) = unverified_account {
        audit.record(event(
            subject,
            &[
                "data_key",
                "account",
                "sessions",
                "links",
                "consents",
                "processing_limits",
            ],
        ));
    }
    let subjects = guests.len() + usize::from(unverified_account.is_some());
    Ok(ExpiredAddress {
        subjects: u64::try_from(subjects).unwrap_or(u64::MAX),
        orders_kept: erased.orders_kept,
    })
}

/// The records of the address an account holder proved control of: the account's own data
/// subject, then every guest buyer subject made with the same address (same blind index).
struct HolderRecords {
    account: String,
    guests: Vec<String>,
}

/// The records `holder` decides for. Only a principal made from a live session of a verified
/// account qualifies (not a mailer acting for the account); the account row is read again in
/// the transaction, so an address changed or unverified meanwhile reaches no guest record.
async fn holder_records(
    tx: &mut WriteTx,
    holder: &Principal,
) -> Result<HolderRecords, RecordError> {
    let Scope::Account {
        subject,
        account_id,
        message_id: None,
    } = holder.scope()
    else {
        return Err(RecordError::NotAnAccountHolder);
    };
    let account = hanjinbi_store::accounts::by_id_in(tx, account_id)
        .await?
        .filter(|a| a.subject_id == subject && a.verified_at.is_some())
        .ok_or(RecordError::NotAnAccountHolder)?;
    let guests = subjects::buyers_by_email_index_in(tx, &account.email_index).await?;
    Ok(HolderRecords {
        account: account.subject_id,
        guests,
    })
}

/// Records a consent decision of an account holder, who proved control of the address: a
/// verified decision with the exact wording shown in `lang` and the policy version, audited
/// like [`record_consent`].
///
/// A grant is written on the account's own subject only: a guest record's checkout proved
/// nothing, and copying a grant onto it would make it count there. A withdrawal is written on
/// the account's subject and on every guest record of the address, so it reaches every record
/// of the person at once. Returns how many records the decision was written on.
#[allow(clippy::too_many_arguments)]
pub async fn record_holder_consent(
    tx: &mut WriteTx,
    policy: &Policy,
    holder: &Principal,
    purpose: PurposeId,
    granted: bool,
    lang: hanjinbi_domain::Lang,
    channel: &str,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<usize, RecordError> {
    let mut row = consent_row(policy, "", purpose, granted, lang, channel, now)?;
    row.verified = true;
    let records = holder_records(tx, holder).await?;
    let reached = if granted {
        vec![records.account]
    } else {
        std::iter::once(records.account)
            .chain(records.guests)
            .collect()
    };
    for subject in &reached {
        row.subject_id.clone_from(subject);
        subjects::insert_consent(tx, &row).await?;
        audit_consent(audit, &row, now);
    }
    Ok(reached.len())
}

/// Sets (`on`) or lifts an objection or a restriction of `purpose` on the account holder's
/// subject and every guest record of the address. A purpose the law requires cannot be
/// limited. Each record whose limit changed gets an audit entry (`objection_on`,
/// `restriction_off`…); setting a limit already in force, or lifting one that is not, changes
/// nothing and records nothing. Returns how many records changed.
#[allow(clippy::too_many_arguments)]
pub async fn set_holder_limit(
    tx: &mut WriteTx,
    policy: &Policy,
    holder: &Principal,
    purpose: PurposeId,
    kind: LimitKind,
    on: bool,
    now: i64,
    audit: &mut AuditBatch,
) -> Result<usize, RecordError> {
    if policy.purpose(purpose).basis() == LegalBasis::LegalObligation {
        return Err(RecordError::CannotBeLimited(purpose.code()));
    }
    let records = holder_records(tx, holder).await?;
    let field = match (kind, on) {
        (LimitKind::Objection, true) => "objection_on",
        (LimitKind::Objection, false) => "objection_off",
        (LimitKind::Restriction, true) => "restriction_on",
        (LimitKind::Restriction, false) => "restriction_off",
    };
    let mut changed = 0;
    for subject in std::iter::once(&records.account).chain(&records.guests) {
        let done = if on {
            subjects::insert_limit(tx, subject, purpose.code(), kind, now).await?
        } else {
            subjects::delete_limit(tx, subject, purpose.code(), kind).await?
        };
        if done {
            changed += 1;
            audit.record(AuditEvent {
                at: now,
                actor: Actor::Buyer.code(),
                purpose: purpose.code(),
                action: AuditAction::Consent,
                subject,
                fields: &[field],
            });
        }
    }
    Ok(changed)
}
