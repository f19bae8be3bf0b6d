//! Erasure: a signed-in buyer (with the password again), or whoever controls an address (with
//! a single-use link sent to it), erases every record made with the address by destroying
//! their data keys. Transaction records stay without identity, as the law requires; the buyer
//! is told what was kept and why in a last email whose content is sealed under a key of its
//! own before the erasure commits, and destroyed once it is sent.

use crate::accounts::{AccountError, Session};
use crate::rights::{self, RightsKind};
use crate::throttle::{Action, Throttle};
use crate::Clock;
use hanjinbi_domain::contact::Email;
use hanjinbi_domain::deadline::Holidays;
use hanjinbi_domain::password::Password;
use hanjinbi_domain::Lang;
use hanjinbi_privacy::audit::AuditBatch;
use hanjinbi_privacy::credentials::{self, SecretToken, TokenHash};
use hanjinbi_privacy::gate::{items, Gate, GateError};
use hanjinbi_privacy::plain::Notice;
use hanjinbi_privacy::policy::PurposeId;
use hanjinbi_privacy::records;
use hanjinbi_store::erasure::Erased;
use hanjinbi_store::{accounts, erasure, subjects, Db, StoreError, WriteTx};
use std::net::IpAddr;
use std::sync::Arc;

/// Outbox kind of the email carrying a guest's erasure link.
pub const ERASURE_LINK_EMAIL: &str = "erasure_link";
/// Outbox kind of the last email after an erasure.
pub const ERASURE_NOTICE_EMAIL: &str = "erasure_notice";
/// An erasure link works this long.
pub const ERASURE_LINK_SECS: i64 = 3600;

/// What an erasure did, for its answer: counts only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erasure {
    /// Orders kept as transaction records, now without identity.
    pub orders_kept: i64,
}

#[derive(Clone)]
pub struct Erasures {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    throttle: Throttle,
}

impl Erasures {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate, throttle: Throttle) -> Erasures {
        Erasures {
            db,
            clock,
            gate,
            throttle,
        }
    }

    /// Erases the signed-in buyer: the account and every guest record made with its address.
    /// Needs the password again.
    pub async fn erase_account(
        &self,
        session: &Session,
        password: &str,
        client: IpAddr,
    ) -> Result<Erasure, AccountError> {
        let account = &session.account;
        self.throttle
            .check(Action::SignIn, &account.email_index, client)
            .map_err(AccountError::Throttled)?;
        let password = Password::parse(password).map_err(|_| AccountError::WrongCredentials)?;
        let stored = account.password_hash.clone();
        let matches =
            tokio::task::spawn_blocking(move || credentials::verify_password(&password, &stored))
                .await
                .map_err(|e| AccountError::Hashing(e.to_string()))??;
        if !matches {
            return Err(AccountError::WrongCredentials);
        }
        let now = self.clock.now();
        // Read before the key goes: the last email needs the address.
        let email: Email = self
            .gate
            .open::<items::AccountEmail>(&session.principal, PurposeId::AnsweringRequests, now)
            .await
            .map_err(|e| match e {
                // Erased a moment ago by another request of the same session.
                GateError::Erased | GateError::NotFound => AccountError::NotSignedIn,
                other => AccountError::Gate(other),
            })?;
        let lang = Lang::from_code(&account.lang).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "account {} holds an unknown language {:?}",
                account.id, account.lang
            ))
        })?;
        let mut tx = self.db.begin_write().await?;
        if !accounts::lock(&mut tx, &account.id).await? {
            tx.rollback().await?;
            return Err(AccountError::NotSignedIn);
        }
        let mut audit = AuditBatch::new(session.principal.who());
        let erased = records::erase(
            &mut tx,
            &account.email_index,
            Some((&account.id, &account.subject_id)),
            &account.subject_id,
            now,
            &mut audit,
        )
        .await?;
        self.finish(tx, audit, email, lang, &account.subject_id, erased, now)
            .await
    }

    /// Sends a single-use erasure link to `email` when the shop holds any record made with
    /// it; nothing otherwise. The same answer either way.
    pub async fn request(
        &self,
        email: &str,
        lang: Lang,
        client: IpAddr,
    ) -> Result<(), AccountError> {
        let email = Email::parse(email).map_err(|_| AccountError::NotAnEmail)?;
        let vault = self.gate.vault();
        let index = records::account_email_index(vault, &email);
        self.throttle
            .check(Action::Erasure, &index, client)
            .map_err(AccountError::Throttled)?;
        if !erasure::address_known(&self.db, &index).await? {
            return Ok(());
        }
        let now = self.clock.now();
        let token = SecretToken::generate();
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new("system:erasure-requests");
        // A newer link makes older ones worthless, and their sealed addresses with them.
        for older in erasure::retire_links(&mut tx, &index, now).await? {
            subjects::destroy_key(&mut tx, &older, now).await?;
        }
        records::erasure_request(
            &mut tx,
            vault,
            &email,
            lang,
            &token,
            now + ERASURE_LINK_SECS,
            now,
            &mut audit,
        )
        .await?;
        records::queue_notice(
            &mut tx,
            vault,
            ERASURE_LINK_EMAIL,
            &Notice::new(email, lang, Some(&token), 0),
            now,
            &mut audit,
        )
        .await?;
        audit
            .write(&mut tx, &self.gate.audit_key())
            .await
            .map_err(GateError::from)?;
        tx.commit().await?;
        Ok(())
    }

    /// Erases every record made with the address the link `token` was sent to (an account
    /// too, if it has one).
    pub async fn confirm(&self, token: &str) -> Result<Erasure, AccountError> {
        let hash = TokenHash::of_presented(token).ok_or(AccountError::LinkInvalid)?;
        let link = erasure::link(&self.db, hash.as_bytes())
            .await?
            .ok_or(AccountError::LinkInvalid)?;
        let now = self.clock.now();
        if link.used_at.is_some() {
            return Err(AccountError::LinkUsed);
        }
        if link.expires_at <= now {
            return Err(AccountError::LinkExpired);
        }
        let principal = self
            .gate
            .requester_of_erasure_link(token, now)
            .await
            .map_err(|e| match e {
                GateError::NotFound => AccountError::LinkUsed,
                other => AccountError::Gate(other),
            })?;
        let email: Email = self
            .gate
            .open::<items::RequesterEmail>(&principal, PurposeId::AnsweringRequests, now)
            .await
            .map_err(|e| match e {
                // Another request with the same link erased first, and the request's key
                // with it.
                GateError::Erased | GateError::NotFound => AccountError::LinkUsed,
                other => AccountError::Gate(other),
            })?;
        let lang = Lang::from_code(&link.lang).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "an erasure link holds an unknown language {:?}",
                link.lang
            ))
        })?;
        let mut tx = self.db.begin_write().await?;
        if erasure::use_link(&mut tx, hash.as_bytes(), now)
            .await?
            .is_none()
        {
            tx.rollback().await?;
            return Err(AccountError::LinkUsed);
        }
        let account = accounts::by_email_index_in(&mut tx, &link.email_index).await?;
        let mut audit = AuditBatch::new(principal.who());
        let erased = records::erase(
            &mut tx,
            &link.email_index,
            account
                .as_ref()
                .map(|a| (a.id.as_str(), a.subject_id.as_str())),
            &link.subject_id,
            now,
            &mut audit,
        )
        .await?;
        // The request's own key goes too: its sealed address is no longer needed.
        subjects::destroy_key(&mut tx, &link.subject_id, now).await?;
        self.finish(tx, audit, email, lang, &link.subject_id, erased, now)
            .await
    }

    /// What every erasure ends with, in its transaction: the last email, sealed under its
    /// own key; the request recorded as answered at once, with its due dates like any rights
    /// request; the audit entries; the commit.
    #[allow(clippy::too_many_arguments)]
    async fn finish(
        &self,
        mut tx: WriteTx,
        mut audit: AuditBatch,
        email: Email,
        lang: Lang,
        anchor: &str,
        erased: Erased,
        now: i64,
    ) -> Result<Erasure, AccountError> {
        records::queue_notice(
            &mut tx,
            self.gate.vault(),
            ERASURE_NOTICE_EMAIL,
            &Notice::new(email, lang, None, erased.orders_kept),
            now,
            &mut audit,
        )
        .await?;
        rights::record_self_service(
            &mut tx,
            self.gate.policy(),
            Holidays::try_load()?,
            anchor,
            RightsKind::Erasure,
            now,
        )
        .await?;
        audit
            .write(&mut tx, &self.gate.audit_key())
            .await
            .map_err(GateError::from)?;
        tx.commit().await?;
        Ok(Erasure {
            orders_kept: erased.orders_kept,
        })
    }
}
