//! Buyer accounts: registration with a verified address, sign-in and sessions, sign-out
//! (here or everywhere), password change and reset.
//!
//! No answer tells whether an address has an account: registering an address that has one
//! sends its owner a sign-in and reset link instead of a verification link, a reset asked for
//! an address without one sends nothing, and both answer the same "check your email". A wrong
//! password and an unknown address are one answer, after the same Argon2id work. Sessions live
//! in the database (several servers share them) and are found by the SHA-256 of their token;
//! signing in, verifying, changing or resetting the password each start a new one.
//!
//! Verifying an address takes the link sent to it *and* the account's password, so a link
//! clicked by someone who did not register (an account registered in their name by another)
//! verifies nothing; a password reset, which only the address's owner can ask for, also
//! verifies the address and replaces whatever password an impostor chose.

use crate::throttle::{Action, Refused, Throttle};
use crate::Clock;
use hanjinbi_domain::contact::Email;
use hanjinbi_domain::password::{NewPassword, Password, PasswordError};
use hanjinbi_domain::Lang;
use hanjinbi_privacy::audit::{AuditAction, AuditBatch, AuditEvent};
use hanjinbi_privacy::credentials::{self, CredentialError, SecretToken, TokenHash};
use hanjinbi_privacy::gate::{items, Gate, GateError};
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::records::{self, RecordError};
use hanjinbi_privacy::Principal;
use hanjinbi_store::accounts::{self, AccountOrderRow, AccountRow, LinkRow};
use hanjinbi_store::{Db, StoreError, WriteTx};
use std::net::IpAddr;
use std::sync::Arc;
use thiserror::Error;

/// Outbox kinds of account messages.
pub const VERIFY_EMAIL: &str = "account_verify";
/// To an address that already has an account, when someone registers it again.
pub const ALREADY_REGISTERED_EMAIL: &str = "account_exists";
pub const PASSWORD_RESET_EMAIL: &str = "password_reset";

/// A verification link works this long.
pub const VERIFY_LINK_SECS: i64 = 24 * 3600;
/// A reset link works this long.
pub const RESET_LINK_SECS: i64 = 3600;
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_SECS: i64 = 30 * 24 * 3600;
/// A session unused this long ends.
pub const SESSION_IDLE_SECS: i64 = 7 * 24 * 3600;
/// A session's last use is written at most this often (reading pages costs no write).
pub const SESSION_TOUCH_SECS: i64 = 3600;
/// Orders listed in an account.
pub const ORDERS_LISTED: i64 = 200;

const LINK_VERIFY: &str = "verify";
const LINK_RESET: &str = "reset";

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("this is not an email address")]
    NotAnEmail,
    #[error("the password does not meet the rules: {0}")]
    WeakPassword(#[from] PasswordError),
    /// The address and password do not match an account: one answer for an unknown address
    /// and a wrong password.
    #[error("the email address or the password is wrong")]
    WrongCredentials,
    /// The right password of an account whose address is not verified yet.
    #[error("the email address is not verified yet")]
    NotVerified,
    #[error("this link is not valid")]
    LinkInvalid,
    #[error("this link has expired")]
    LinkExpired,
    #[error("this link was already used")]
    LinkUsed,
    #[error("too many attempts; try again in {} seconds", .0.retry_after_secs)]
    Throttled(Refused),
    /// No live session (signed out, expired, never signed in).
    #[error("not signed in")]
    NotSignedIn,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error("password hashing stopped: {0}")]
    Hashing(String),
    #[error(transparent)]
    Rights(#[from] crate::rights::RightsError),
    #[error(transparent)]
    Holidays(#[from] hanjinbi_domain::deadline::HolidayDataError),
}

/// How a session is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser's cookie.
    Cookie,
    /// An app's bearer token.
    Bearer,
}

impl SessionKind {
    fn code(self) -> &'static str {
        match self {
            SessionKind::Cookie => "cookie",
            SessionKind::Bearer => "bearer",
        }
    }
}

/// A session just started: its token (shown once), when it started and when it ends.
#[derive(Debug)]
pub struct SignedIn {
    pub token: SecretToken,
    pub started_at: i64,
    pub expires_at: i64,
}

/// A proved session: who is signed in.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub account: AccountRow,
    pub expires_at: i64,
}

/// What the account page shows.
#[derive(Debug)]
pub struct Overview {
    pub email: Email,
    pub created_at: i64,
    pub verified_at: i64,
    pub lang: Lang,
    pub sessions: i64,
    pub orders: Vec<AccountOrderRow>,
}

#[derive(Clone)]
pub struct Accounts {
    db: Db,
    clock: Arc<dyn Clock>,
    gate: Gate,
    throttle: Throttle,
}

/// Runs Argon2id off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, CredentialError> + Send + 'static,
) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))?
        .map_err(AccountError::from)
}

fn parse_email(raw: &str) -> Result<Email, AccountError> {
    Email::parse(raw).map_err(|_| AccountError::NotAnEmail)
}

impl Accounts {
    pub fn new(db: Db, clock: Arc<dyn Clock>, gate: Gate) -> Accounts {
        Accounts {
            throttle: Throttle::new(Arc::clone(&clock)),
            db,
            clock,
            gate,
        }
    }

    /// The limits this service counts against, for the services that share them.
    pub fn limits(&self) -> &Throttle {
        &self.throttle
    }

    fn index(&self, email: &Email) -> Vec<u8> {
        records::account_email_index(self.gate.vault(), email)
    }

    fn throttle(&self, action: Action, index: &[u8], client: IpAddr) -> Result<(), AccountError> {
        self.throttle
            .check(action, index, client)
            .map_err(AccountError::Throttled)
    }

    /// Registers `email` with `password`, or, when the address already has a verified
    /// account, sends its owner a link to sign in or reset instead. The same answer either
    /// way; only the address's owner learns which happened.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        lang: Lang,
        client: IpAddr,
    ) -> Result<(), AccountError> {
        let email = parse_email(email)?;
        let password = NewPassword::parse(password, Some(email.expose()))?;
        let index = self.index(&email);
        self.throttle(Action::Register, &index, client)?;
        let digest = blocking(move || credentials::hash_password(&password)).await?;
        let now = self.clock.now();
        let vault = self.gate.vault();
        let mut tx = self.db.begin_write().await?;
        let mut audit = AuditBatch::new("system:accounts");
        match accounts::by_email_index_in(&mut tx, &index).await? {
            None => {
                let created = records::account_for_registration(
                    &mut tx, vault, &email, &digest, lang, now, &mut audit,
                )
                .await?;
                self.send_link(
                    &mut tx,
                    &created.account_id,
                    &created.subject,
                    LINK_VERIFY,
                    VERIFY_EMAIL,
                    now,
                    &mut audit,
                )
                .await?;
            }
            Some(account) if account.verified_at.is_none() => {
                // Whoever registers an unverified address again chooses its password; the
                // link goes to the address, and verifying needs that password.
                accounts::reregister_unverified(
                    &mut tx,
                    &account.id,
                    digest.as_stored(),
                    lang.code(),
                    now,
                )
                .await?;
                self.send_link(
                    &mut tx,
                    &account.id,
                    &account.subject_id,
                    LINK_VERIFY,
                    VERIFY_EMAIL,
                    now,
                    &mut audit,
                )
                .await?;
            }
            Some(account) => {
                self.send_link(
                    &mut tx,
                    &account.id,
                    &account.subject_id,
                    LINK_RESET,
                    ALREADY_REGISTERED_EMAIL,
                    now,
                    &mut audit,
                )
                .await?;
            }
        }
        audit
            .write(&mut tx, &self.gate.audit_key())
            .await
            .map_err(GateError::from)?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes a new link of `purpose` (older unused ones stop working) and queues `kind`.
    #[allow(clippy::too_many_arguments)]
    async fn send_link(
        &self,
        tx: &mut WriteTx,
        account_id: &str,
        subject: &str,
        purpose: &str,
        kind: &str,
        now: i64,
        audit: &mut AuditBatch,
    ) -> Result<(), AccountError> {
        let lifetime = match purpose {
            LINK_VERIFY => VERIFY_LINK_SECS,
            _ => RESET_LINK_SECS,
        };
        accounts::retire_links(tx, account_id, purpose, now).await?;
        let token = SecretToken::generate();
        accounts::insert_link(
            tx,
            token.hash().as_bytes(),
            account_id,
            purpose,
            now,
            now + lifetime,
        )
        .await?;
        records::queue_account_link(
            tx,
            self.gate.vault(),
            account_id,
            subject,
            kind,
            &token,
            now,
            audit,
        )
        .await?;
        Ok(())
    }

    /// The link `token` of `purpose`, or why it does not work.
    async fn live_link(
        &self,
        token: &str,
        purpose: &str,
    ) -> Result<(TokenHash, LinkRow), AccountError> {
        let hash = TokenHash::of_presented(token).ok_or(AccountError::LinkInvalid)?;
        let link = accounts::link(&self.db, hash.as_bytes())
            .await?
            .filter(|l| l.purpose == purpose)
            .ok_or(AccountError::LinkInvalid)?;
        if link.used_at.is_some() {
            return Err(AccountError::LinkUsed);
        }
        if link.expires_at <= self.clock.now() {
            return Err(AccountError::LinkExpired);
        }
        Ok((hash, link))
    }

    /// Verifies the address with the link sent to it and the account's password, and signs
    /// in.
    pub async fn verify(
        &self,
        token: &str,
        password: &str,
        kind: SessionKind,
        client: IpAddr,
    ) -> Result<SignedIn, AccountError> {
        let (hash, link) = self.live_link(token, LINK_VERIFY).await?;
        let password = Password::parse(password).map_err(|_| AccountError::WrongCredentials)?;
        let account = accounts::by_id(&self.db, &link.account_id)
            .await?
            .ok_or(AccountError::LinkInvalid)?;
        self.throttle(Action::SignIn, &account.email_index, client)?;
        let stored = account.password_hash.clone();
        if !blocking(move || credentials::verify_password(&password, &stored)).await? {
            return Err(AccountError::WrongCredentials);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if accounts::use_link(&mut tx, hash.as_bytes(), LINK_VERIFY, now)
            .await?
            .is_none()
        {
            // Used or expired since it was read: another request got there first.
            tx.rollback().await?;
            return Err(AccountError::LinkUsed);
        }
        accounts::mark_verified(&mut tx, &account.id, now).await?;
        accounts::retire_links(&mut tx, &account.id, LINK_VERIFY, now).await?;
        let mut audit = AuditBatch::new(format!("account:{}", account.id));
        audit.record(AuditEvent {
            at: now,
            actor: Actor::Buyer.code(),
            purpose: PurposeId::AnsweringRequests.code(),
            action: AuditAction::Seal,
            subject: &account.subject_id,
            fields: &["account_email_verified"],
        });
        audit
            .write(&mut tx, &self.gate.audit_key())
            .await
            .map_err(GateError::from)?;
        let signed_in = self.start_session(&mut tx, &account.id, kind, now).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    async fn start_session(
        &self,
        tx: &mut WriteTx,
        account_id: &str,
        kind: SessionKind,
        now: i64,
    ) -> Result<SignedIn, AccountError> {
        let token = SecretToken::generate();
        let expires_at = now + SESSION_SECS;
        accounts::insert_session(
            tx,
            token.hash().as_bytes(),
            account_id,
            kind.code(),
            now,
            expires_at,
        )
        .await?;
        Ok(SignedIn {
            token,
            started_at: now,
            expires_at,
        })
    }

    /// Signs in with address and password. `replacing` is the session the client holds now,
    /// if any: it ends, so a session token planted before sign-in is worth nothing after.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        kind: SessionKind,
        replacing: Option<&str>,
        client: IpAddr,
    ) -> Result<SignedIn, AccountError> {
        let email = parse_email(email).map_err(|_| AccountError::WrongCredentials)?;
        let password = Password::parse(password).map_err(|_| AccountError::WrongCredentials)?;
        let index = self.index(&email);
        self.throttle(Action::SignIn, &index, client)?;
        let Some(account) = accounts::by_email_index(&self.db, &index).await? else {
            blocking(move || credentials::verify_nothing(&password)).await?;
            return Err(AccountError::WrongCredentials);
        };
        let stored = account.password_hash.clone();
        if !blocking(move || credentials::verify_password(&password, &stored)).await? {
            return Err(AccountError::WrongCredentials);
        }
        if account.verified_at.is_none() {
            return Err(AccountError::NotVerified);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if let Some(old) = replacing.and_then(TokenHash::of_presented) {
            accounts::delete_session(&mut tx, old.as_bytes()).await?;
        }
        let signed_in = self.start_session(&mut tx, &account.id, kind, now).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// The session `token` proves, if it is live. Records its use at most once an hour.
    pub async fn session(&self, token: &str) -> Result<Session, AccountError> {
        let now = self.clock.now();
        let (principal, account, session) = self
            .gate
            .holder_of_session(token, now, now - SESSION_IDLE_SECS)
            .await
            .map_err(|e| match e {
                GateError::NotFound => AccountError::NotSignedIn,
                other => AccountError::Gate(other),
            })?;
        if now - session.last_seen_at >= SESSION_TOUCH_SECS {
            if let Some(hash) = TokenHash::of_presented(token) {
                accounts::touch_session(&self.db, hash.as_bytes(), now).await?;
            }
        }
        Ok(Session {
            principal,
            account,
            expires_at: session.expires_at,
        })
    }

    /// Ends the session `token`. Ending one that is not live is not an error: the client is
    /// signed out either way.
    pub async fn sign_out(&self, token: &str) -> Result<(), AccountError> {
        if let Some(hash) = TokenHash::of_presented(token) {
            let mut tx = self.db.begin_write().await?;
            accounts::delete_session(&mut tx, hash.as_bytes()).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Ends every session of the signed-in account, this one included.
    pub async fn sign_out_everywhere(&self, session: &Session) -> Result<u64, AccountError> {
        let mut tx = self.db.begin_write().await?;
        let ended = accounts::delete_sessions_of(&mut tx, &session.account.id).await?;
        tx.commit().await?;
        Ok(ended)
    }

    /// Changes the password of the signed-in account after checking the current one. Every
    /// session ends; the caller gets a new one.
    pub async fn change_password(
        &self,
        session: &Session,
        current: &str,
        new: &str,
        kind: SessionKind,
        client: IpAddr,
    ) -> Result<SignedIn, AccountError> {
        let account = &session.account;
        self.throttle(Action::SignIn, &account.email_index, client)?;
        let current = Password::parse(current).map_err(|_| AccountError::WrongCredentials)?;
        let stored = account.password_hash.clone();
        if !blocking(move || credentials::verify_password(&current, &stored)).await? {
            return Err(AccountError::WrongCredentials);
        }
        let now = self.clock.now();
        let email: Email = self
            .gate
            .open::<items::AccountEmail>(&session.principal, PurposeId::AnsweringRequests, now)
            .await?;
        let new = NewPassword::parse(new, Some(email.expose()))?;
        let digest = blocking(move || credentials::hash_password(&new)).await?;
        let mut tx = self.db.begin_write().await?;
        accounts::set_password(&mut tx, &account.id, digest.as_stored(), now).await?;
        accounts::delete_sessions_of(&mut tx, &account.id).await?;
        accounts::retire_links(&mut tx, &account.id, LINK_RESET, now).await?;
        let signed_in = self.start_session(&mut tx, &account.id, kind, now).await?;
        tx.commit().await?;
        Ok(signed_in)
    }

    /// Sends a reset link to `email` if it has an account; the same answer if not.
    pub async fn request_reset(&self, email: &str, client: IpAddr) -> Result<(), AccountError> {
        let email = parse_email(email)?;
        let index = self.index(&email);
        self.throttle(Action::PasswordReset, &index, client)?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        if let Some(account) = accounts::by_email_index_in(&mut tx, &index).await? {
            let mut audit = AuditBatch::new("system:accounts");
            self.send_link(
                &mut tx,
                &account.id,
                &account.subject_id,
                LINK_RESET,
                PASSWORD_RESET_EMAIL,
                now,
                &mut audit,
            )
            .await?;
            audit
                .write(&mut tx, &self.gate.audit_key())
                .await
                .map_err(GateError::from)?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password with a reset link. The address is verified by it (only its owner
    /// received the link); every session ends.
    pub async fn confirm_reset(&self, token: &str, new: &str) -> Result<(), AccountError> {
        let (hash, link) = self.live_link(token, LINK_RESET).await?;
        let new = NewPassword::parse(new, None)?;
        let digest = blocking(move || credentials::hash_password(&new)).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin_write().await?;
        let Some(account_id) =
            accounts::use_link(&mut tx, hash.as_bytes(), LINK_RESET, now).await?
        else {
            tx.rollback().await?;
            return Err(AccountError::LinkUsed);
        };
        debug_assert_eq!(account_id, link.account_id);
        let account = accounts::by_id_in(&mut tx, &account_id)
            .await?
            .ok_or(AccountError::LinkInvalid)?;
        accounts::set_password(&mut tx, &account.id, digest.as_stored(), now).await?;
        accounts::mark_verified(&mut tx, &account.id, now).await?;
        accounts::retire_links(&mut tx, &account.id, LINK_VERIFY, now).await?;
        accounts::retire_links(&mut tx, &account.id, LINK_RESET, now).await?;
        accounts::delete_sessions_of(&mut tx, &account.id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The account page: the address (opened through the gate for the account holder, a page
    /// view), and the orders placed with it, guest orders included.
    pub async fn overview(&self, session: &Session) -> Result<Overview, AccountError> {
        let now = self.clock.now();
        let email: Email = self
            .gate
            .open_view::<items::AccountEmail>(&session.principal, PurposeId::AnsweringRequests, now)
            .await?;
        let account = &session.account;
        let orders =
            accounts::orders_of_email(&self.db, &account.email_index, ORDERS_LISTED).await?;
        Ok(Overview {
            email,
            created_at: account.created_at,
            verified_at: account.verified_at.unwrap_or(account.created_at),
            lang: Lang::from_code(&account.lang).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "account {} holds an unknown language {:?}",
                    account.id, account.lang
                ))
            })?,
            sessions: accounts::session_count(&self.db, &account.id, now).await?,
            orders,
        })
    }

    /// The orders placed with the account's address, newest first (transaction data only).
    pub async fn orders(&self, session: &Session) -> Result<Vec<AccountOrderRow>, AccountError> {
        Ok(
            accounts::orders_of_email(&self.db, &session.account.email_index, ORDERS_LISTED)
                .await?,
        )
    }

    /// The lookup token of an order listed in the account, to open its page.
    pub fn order_token(&self, order: &AccountOrderRow) -> String {
        self.gate.vault().order_token(&order.id)
    }

    /// Ended sessions and links, and idle throttle counters; returns how many rows.
    pub async fn sweep(&self, now: i64) -> Result<u64, StoreError> {
        self.throttle.forget_idle();
        accounts::sweep(&self.db, now, now - SESSION_IDLE_SECS, now - 7 * 24 * 3600).await
    }
}
