//! Buyer accounts, their sessions and their single-use links. The email address is sealed
//! and found by its keyed blind index; secrets are stored only as SHA-256 hashes, the
//! password only as an Argon2id PHC string. This module never sees plaintext.

use crate::db::{on_read, on_tx, on_write};
use crate::{Db, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub subject_id: String,
    pub email_index: Vec<u8>,
    pub email_sealed: Vec<u8>,
    pub password_hash: String,
    pub lang: String,
    pub created_at: i64,
    pub verified_at: Option<i64>,
    pub password_changed_at: i64,
}

const ACCOUNT_COLUMNS: &str = "id, subject_id, email_index, email_sealed, password_hash, lang, \
     created_at, verified_at, password_changed_at";

/// The account registered with the address whose blind index is `email_index`.
pub async fn by_email_index(db: &Db, email_index: &[u8]) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_index = $1");
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(email_index)
        .fetch_optional(e)
        .await)?)
}

/// The same, inside a write transaction (which sees its own writes and, on SQLite, holds
/// the write lock, so what it reads cannot change before it commits).
pub async fn by_email_index_in(
    tx: &mut WriteTx,
    email_index: &[u8],
) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_index = $1");
    Ok(on_tx!(tx, |e| sqlx::query_as(&sql)
        .bind(email_index)
        .fetch_optional(e)
        .await)?)
}

pub async fn by_id(db: &Db, id: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

pub async fn by_id_in(tx: &mut WriteTx, id: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
    Ok(on_tx!(tx, |e| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

/// Inserts a new, unverified account. Its data key must be inserted first.
pub async fn insert(tx: &mut WriteTx, account: &AccountRow) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO accounts (id, subject_id, email_index, email_sealed, password_hash, lang, \
         created_at, verified_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&account.id)
    .bind(&account.subject_id)
    .bind(&account.email_index)
    .bind(&account.email_sealed)
    .bind(&account.password_hash)
    .bind(&account.lang)
    .bind(account.created_at)
    .bind(account.verified_at)
    .bind(account.password_changed_at)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Replaces the password and language of an account that is still unverified: whoever
/// registers an address again chooses the password, until the address is verified. Returns
/// whether the account was still unverified.
pub async fn reregister_unverified(
    tx: &mut WriteTx,
    id: &str,
    password_hash: &str,
    lang: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let changed = on_tx!(tx, |e| sqlx::query(
        "UPDATE accounts SET password_hash = $1, lang = $2, password_changed_at = $3 \
         WHERE id = $4 AND verified_at IS NULL"
    )
    .bind(password_hash)
    .bind(lang)
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// Marks the address verified, once: returns whether this call did it.
pub async fn mark_verified(tx: &mut WriteTx, id: &str, now: i64) -> Result<bool, StoreError> {
    let changed = on_tx!(tx, |e| sqlx::query(
        "UPDATE accounts SET verified_at = $1 WHERE id = $2 AND verified_at IS NULL"
    )
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

pub async fn set_password(
    tx: &mut WriteTx,
    id: &str,
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3"
    )
    .bind(password_hash)
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A session as stored, found by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    pub account_id: String,
    pub kind: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub async fn insert_session(
    tx: &mut WriteTx,
    token_hash: &[u8],
    account_id: &str,
    kind: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO account_sessions (token_hash, account_id, kind, created_at, last_seen_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6)"
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(kind)
    .bind(now)
    .bind(now)
    .bind(expires_at)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The live session whose token hashes to `token_hash`: not expired, not idle since
/// `idle_since`. A revoked session is deleted, so it is simply not found.
pub async fn live_session(
    db: &Db,
    token_hash: &[u8],
    now: i64,
    idle_since: i64,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT account_id, kind, created_at, last_seen_at, expires_at FROM account_sessions \
         WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3"
    )
    .bind(token_hash)
    .bind(now)
    .bind(idle_since)
    .fetch_optional(e)
    .await)?)
}

/// Records that a session was used now (callers do it at most once in a while, not on every
/// request, so that reading pages costs no write).
pub async fn touch_session(db: &Db, token_hash: &[u8], now: i64) -> Result<(), StoreError> {
    on_write!(db, |e| sqlx::query(
        "UPDATE account_sessions SET last_seen_at = $1 WHERE token_hash = $2"
    )
    .bind(now)
    .bind(token_hash)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Ends one session; returns whether it existed.
pub async fn delete_session(tx: &mut WriteTx, token_hash: &[u8]) -> Result<bool, StoreError> {
    let deleted = on_tx!(tx, |e| sqlx::query(
        "DELETE FROM account_sessions WHERE token_hash = $1"
    )
    .bind(token_hash)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(deleted == 1)
}

/// Ends every session of an account; returns how many.
pub async fn delete_sessions_of(tx: &mut WriteTx, account_id: &str) -> Result<u64, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query(
        "DELETE FROM account_sessions WHERE account_id = $1"
    )
    .bind(account_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?)
}

/// Sessions of an account still live, for the account page.
pub async fn session_count(db: &Db, account_id: &str, now: i64) -> Result<i64, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM account_sessions WHERE account_id = $1 AND expires_at > $2"
    )
    .bind(account_id)
    .bind(now)
    .fetch_one(e)
    .await)?)
}

/// Deletes sessions expired by `now` or idle since `idle_since`, and links that expired
/// before `links_before`; returns how many rows.
pub async fn sweep(
    db: &Db,
    now: i64,
    idle_since: i64,
    links_before: i64,
) -> Result<u64, StoreError> {
    let sessions = on_write!(db, |e| sqlx::query(
        "DELETE FROM account_sessions WHERE expires_at <= $1 OR last_seen_at <= $2"
    )
    .bind(now)
    .bind(idle_since)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    let links = on_write!(db, |e| sqlx::query(
        "DELETE FROM account_links WHERE expires_at <= $1"
    )
    .bind(links_before)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(sessions + links)
}

/// A single-use link as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LinkRow {
    pub account_id: String,
    pub purpose: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_link(
    tx: &mut WriteTx,
    token_hash: &[u8],
    account_id: &str,
    purpose: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO account_links (token_hash, account_id, purpose, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(token_hash)
    .bind(account_id)
    .bind(purpose)
    .bind(now)
    .bind(expires_at)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks every unused link of `purpose` for the account as used: a newer link, a changed
/// password or a verified address makes the older ones worthless.
pub async fn retire_links(
    tx: &mut WriteTx,
    account_id: &str,
    purpose: &str,
    now: i64,
) -> Result<u64, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query(
        "UPDATE account_links SET used_at = $1 \
         WHERE account_id = $2 AND purpose = $3 AND used_at IS NULL"
    )
    .bind(now)
    .bind(account_id)
    .bind(purpose)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?)
}

pub async fn link(db: &Db, token_hash: &[u8]) -> Result<Option<LinkRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT account_id, purpose, created_at, expires_at, used_at FROM account_links \
         WHERE token_hash = $1"
    )
    .bind(token_hash)
    .fetch_optional(e)
    .await)?)
}

/// Uses the link once: returns its account when the link was unused and unexpired at `now`,
/// in one conditional statement, so two requests with the same link cannot both use it.
pub async fn use_link(
    tx: &mut WriteTx,
    token_hash: &[u8],
    purpose: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_scalar(
        "UPDATE account_links SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $4 \
         RETURNING account_id"
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose)
    .bind(now)
    .fetch_optional(e)
    .await)?)
}

/// An order placed with an address, as an account lists it: transaction data only.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountOrderRow {
    pub id: String,
    pub number: String,
    pub status: String,
    pub total: i64,
    pub placed_at: i64,
    pub lang: String,
    pub items: i64,
}

/// The orders whose buyer gave the address whose blind index is `email_index`, newest first:
/// a verified account's own orders, guest orders included, found without opening any record.
pub async fn orders_of_email(
    db: &Db,
    email_index: &[u8],
    limit: i64,
) -> Result<Vec<AccountOrderRow>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT o.id, o.number, o.status, o.total, o.placed_at, o.lang, \
         CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l \
         WHERE l.order_id = o.id) AS BIGINT) AS items \
         FROM orders o JOIN buyers b ON b.id = o.buyer_id \
         WHERE b.email_index = $1 ORDER BY o.placed_at DESC, o.number DESC LIMIT $2"
    )
    .bind(email_index)
    .bind(limit)
    .fetch_all(e)
    .await)?)
}

/// Takes the account's row for the rest of the transaction (on PostgreSQL a row lock; SQLite
/// holds the write lock already): whoever changes the account next waits. `false` when the
/// account is gone.
pub async fn lock(tx: &mut WriteTx, id: &str) -> Result<bool, StoreError> {
    let locked = on_tx!(tx, |e| sqlx::query(
        "UPDATE accounts SET password_changed_at = password_changed_at WHERE id = $1"
    )
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(locked == 1)
}
