//! The consent centre of a signed-in, verified account: the buyer's consent to each consent
//! purpose of the policy (given, withdrawn or never asked, with the policy version and exact
//! wording of every decision), and their objections to and restrictions of any purpose the
//! law does not require.
//!
//! The account proved control of its address, so its decisions are recorded as verified and
//! count at once. A withdrawal, an objection and a restriction reach every record of the
//! address (the account's own and each guest checkout's); a grant stays on the account's own
//! record ([`records::record_holder_consent`], [`records::set_holder_limit`]). The gate reads
//! them at every use, so each takes effect with the transaction that records it.

use crate::accounts::Session;
use crate::Clock;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::audit::{AuditBatch, AuditError};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::policy::{LegalBasis, Policy, PurposeId};
use hanjinbi_privacy::records::{self, RecordError};
use hanjinbi_store::subjects::{self, ConsentRow};
use hanjinbi_store::{Db, StoreError};
use std::sync::Arc;
use thiserror::Error;

pub use hanjinbi_store::subjects::LimitKind;

#[derive(Debug, Error)]
pub enum ConsentError {
    /// The name is not a purpose of the policy.
    #[error("no purpose of the privacy policy has this name")]
    UnknownPurpose,
    #[error("{0} is not a purpose that asks for consent")]
    NotAConsentPurpose(&'static str),
    #[error("{0} is required by law and cannot be objected to or restricted")]
    CannotBeLimited(&'static str),
    #[error(transparent)]
    Record(RecordError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Rights(#[from] crate::rights::RightsError),
    #[error(transparent)]
    Holidays(#[from] hanjinbi_domain::deadline::HolidayDataError),
}

impl From<RecordError> for ConsentError {
    fn from(e: RecordError) -> ConsentError {
        match e {
            RecordError::NotAConsentPurpose(p) => ConsentError::NotAConsentPurpose(p),
            RecordError::CannotBeLimited(p) => ConsentError::CannotBeLimited(p),
            other => ConsentError::Record(other),
        }
    }
}

/// Where a decision was made, as the consent ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The shop's own pages.
    Web,
    /// The JSON API.
    Api,
}

impl Channel {
    pub const fn code(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
        }
    }
}

/// Where a consent purpose stands for the buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    Granted,
    Withdrawn,
    /// No decision that counts: never asked, or only a grant given at a checkout, which
    /// proved nothing about who controls the address.
    NeverAsked,
}

impl ConsentState {
    pub const fn code(self) -> &'static str {
        match self {
            ConsentState::Granted => "granted",
            ConsentState::Withdrawn => "withdrawn",
            ConsentState::NeverAsked => "never_asked",
        }
    }
}

/// One decision as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub granted: bool,
    /// Made by someone who had proved control of the address. An unverified grant counts
    /// for nothing; a refusal always counts.
    pub verified: bool,
    pub policy_version: String,
    /// The exact wording the buyer was shown.
    pub wording: String,
    pub channel: String,
    pub at: i64,
}

impl Decision {
    fn counts(&self) -> bool {
        self.verified || !self.granted
    }
}

impl From<ConsentRow> for Decision {
    fn from(row: ConsentRow) -> Decision {
        Decision {
            granted: row.granted,
            verified: row.verified,
            policy_version: row.policy_version,
            wording: row.wording,
            channel: row.channel,
            at: row.at,
        }
    }
}

/// A consent purpose, for the buyer.
#[derive(Debug, Clone)]
pub struct ConsentStatus {
    pub purpose: PurposeId,
    pub state: ConsentState,
    /// The decision that counts now, the gate's rule: the latest refusal or verified grant.
    pub decided: Option<Decision>,
    /// The decision that counts is a grant given under wording the current policy no longer
    /// uses (in either language): the buyer is to be asked again.
    ///
    /// The policy file has no rule for a grant given under earlier wording, so until the
    /// buyer answers, that grant still counts, at the gate as here (`state` stays
    /// `Granted`); a withdrawal ends it at once, like any grant.
    pub needs_answer: bool,
    /// Every decision on the account's record, newest first.
    pub history: Vec<Decision>,
}

/// A purpose the buyer may object to or restrict, and whether they have (since when).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitStatus {
    pub purpose: PurposeId,
    pub objected_since: Option<i64>,
    pub restricted_since: Option<i64>,
}

/// The whole consent centre of an account.
#[derive(Debug, Clone)]
pub struct Centre {
    /// The policy version in force, whose wording a decision made now records.
    pub policy_version: String,
    /// Every consent purpose of the policy, in file order.
    pub consents: Vec<ConsentStatus>,
    /// Every purpose but those the law requires, in file order.
    pub limits: Vec<LimitStatus>,
}

#[derive(Clone)]
pub struct ConsentCentre {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
}

/// Whether a purpose can be objected to or restricted: every one but those the law requires.
pub fn can_be_limited(policy: &Policy, purpose: PurposeId) -> bool {
    policy.purpose(purpose).basis() != LegalBasis::LegalObligation
}

impl ConsentCentre {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> ConsentCentre {
        ConsentCentre { db, clock, gate }
    }

    /// The account's consents and limits, as the gate sees them now.
    pub async fn list(&self, session: &Session) -> Result<Centre, ConsentError> {
        let policy = self.gate.policy();
        let subject = &session.account.subject_id;
        let mut decisions = subjects::consents(&self.db, subject).await?;
        // Newest first; the ledger's order (its ids) is the order decisions were made.
        decisions.reverse();
        let consents = policy
            .consent_purposes()
            .map(|purpose| {
                let id = purpose.id();
                let history: Vec<Decision> = decisions
                    .iter()
                    .filter(|row| row.purpose == id.code())
                    .cloned()
                    .map(Decision::from)
                    .collect();
                let decided = history.iter().find(|d| d.counts()).cloned();
                let wording = purpose.wording();
                let needs_answer = decided.as_ref().is_some_and(|d| {
                    d.granted && d.wording != wording.vi() && d.wording != wording.en()
                });
                let state = match &decided {
                    Some(d) if d.granted => ConsentState::Granted,
                    Some(_) => ConsentState::Withdrawn,
                    None => ConsentState::NeverAsked,
                };
                ConsentStatus {
                    purpose: id,
                    state,
                    decided,
                    needs_answer,
                    history,
                }
            })
            .collect();
        let in_force = subjects::limits(&self.db, subject).await?;
        let since = |purpose: PurposeId, kind: LimitKind| {
            in_force
                .iter()
                .find(|l| l.purpose == purpose.code() && l.kind == kind)
                .map(|l| l.since)
        };
        let limits = policy
            .purposes()
            .map(|p| p.id())
            .filter(|&id| can_be_limited(policy, id))
            .map(|id| LimitStatus {
                purpose: id,
                objected_since: since(id, LimitKind::Objection),
                restricted_since: since(id, LimitKind::Restriction),
            })
            .collect();
        Ok(Centre {
            policy_version: policy.version().to_owned(),
            consents,
            limits,
        })
    }

    /// Grants or withdraws consent to `purpose`, with the wording of the policy in force in
    /// `lang`. Every call is a decision and is recorded, even one that repeats the last: the
    /// ledger keeps what the buyer did, and when.
    pub async fn decide(
        &self,
        session: &Session,
        purpose: &str,
        granted: bool,
        lang: Lang,
        channel: Channel,
    ) -> Result<(), ConsentError> {
        let purpose = PurposeId::parse(purpose).ok_or(ConsentError::UnknownPurpose)?;
        let policy = self.gate.policy();
        if policy.purpose(purpose).consent_wording().is_none() {
            return Err(ConsentError::NotAConsentPurpose(purpose.code()));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new(session.principal.who());
        records::record_holder_consent(
            &mut tx,
            policy,
            &session.principal,
            purpose,
            granted,
            lang,
            channel.code(),
            now,
            &mut audit,
        )
        .await?;
        if !granted {
            // A withdrawal is a request under the buyer's rights, answered at once.
            crate::rights::record_self_service(
                &mut tx,
                policy,
                hanjinbi_domain::deadline::Holidays::try_load()?,
                &session.account.subject_id,
                crate::rights::RightsKind::Withdrawal,
                now,
            )
            .await?;
        }
        audit.write(&mut tx, &self.gate.audit_key()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets (`on`) or lifts an objection or a restriction of `purpose`. Setting one already
    /// in force, or lifting one that is not, changes nothing.
    pub async fn limit(
        &self,
        session: &Session,
        purpose: &str,
        kind: LimitKind,
        on: bool,
    ) -> Result<(), ConsentError> {
        let purpose = PurposeId::parse(purpose).ok_or(ConsentError::UnknownPurpose)?;
        let policy = self.gate.policy();
        if !can_be_limited(policy, purpose) {
            return Err(ConsentError::CannotBeLimited(purpose.code()));
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new(session.principal.who());
        records::set_holder_limit(
            &mut tx,
            policy,
            &session.principal,
            purpose,
            kind,
            on,
            now,
            &mut audit,
        )
        .await?;
        if on {
            // An objection or a restriction is a request under the buyer's rights, answered
            // at once.
            crate::rights::record_self_service(
                &mut tx,
                policy,
                hanjinbi_domain::deadline::Holidays::try_load()?,
                &session.account.subject_id,
                match kind {
                    LimitKind::Objection => crate::rights::RightsKind::Objection,
                    LimitKind::Restriction => crate::rights::RightsKind::Restriction,
                },
                now,
            )
            .await?;
        }
        audit.write(&mut tx, &self.gate.audit_key()).await?;
        tx.commit().await?;
        Ok(())
    }
}
