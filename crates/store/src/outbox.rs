//! The outbox: messages written in the same transaction as the change that needs them, and
//! sent later by a worker. Several app servers may run workers; a claim with an expiry keeps
//! two from sending the same message at once.

use crate::db::{on_read, on_tx, on_write};
use crate::{Backend, Db, StoreError, WriteTx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    /// The order the message is about, or `None` for a message about an account.
    pub order_id: Option<String>,
    /// The account the message is about, if it is about one.
    pub account_id: Option<String>,
    /// The message subject of a message to an address no readable record holds, if it is one.
    pub subject_id: Option<String>,
    pub attempts: i64,
    pub payload_sealed: Option<Vec<u8>>,
    /// When the change that needs the message was made (a one-time code's issue time).
    pub created_at: i64,
}

pub async fn enqueue(
    tx: &mut WriteTx,
    kind: &str,
    order_id: &str,
    payload_sealed: Option<&[u8]>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO outbox (kind, order_id, payload_sealed, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(kind)
    .bind(order_id)
    .bind(payload_sealed)
    .bind(now)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Queues a message about an account (a verification or password-reset link).
pub async fn enqueue_for_account(
    tx: &mut WriteTx,
    kind: &str,
    account_id: &str,
    payload_sealed: Option<&[u8]>,
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO outbox (kind, account_id, payload_sealed, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(kind)
    .bind(account_id)
    .bind(payload_sealed)
    .bind(now)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Queues a message whose content (the address included) is sealed in `payload_sealed` under
/// the message subject's own key (an erasure link for a guest, the last email after an
/// erasure).
pub async fn enqueue_for_subject(
    tx: &mut WriteTx,
    kind: &str,
    subject_id: &str,
    payload_sealed: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO outbox (kind, subject_id, payload_sealed, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(kind)
    .bind(subject_id)
    .bind(payload_sealed)
    .bind(now)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Claims due messages in one statement. On PostgreSQL, rows another server is claiming at
/// the same moment are skipped rather than waited for (`FOR UPDATE SKIP LOCKED`), so
/// workers on several servers never queue behind each other; SQLite has one writer, so
/// claims already take turns.
const CLAIM_SQLITE: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN \
     (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL \
     AND next_attempt_at <= $2 AND claimed_until <= $2 ORDER BY id LIMIT $3) \
     RETURNING id, kind, order_id, account_id, subject_id, attempts, payload_sealed, created_at";

const CLAIM_POSTGRES: &str = "UPDATE outbox SET claimed_until = $1 WHERE id IN \
     (SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL \
     AND next_attempt_at <= $2 AND claimed_until <= $2 ORDER BY id LIMIT $3 \
     FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, order_id, account_id, subject_id, attempts, payload_sealed, created_at";

/// Claims up to `limit` due messages for `claim_secs`, oldest first.
pub async fn claim_due(
    db: &Db,
    now: i64,
    claim_secs: i64,
    limit: i64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let sql = match db.backend() {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    let mut claimed: Vec<OutboxMessage> = on_write!(db, |e| sqlx::query_as(sql)
        .bind(now + claim_secs)
        .bind(now)
        .bind(limit)
        .fetch_all(e)
        .await)?;
    // RETURNING gives rows in no promised order.
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

pub async fn mark_sent(tx: &mut WriteTx, id: i64, now: i64) -> Result<(), StoreError> {
    // The payload is only needed until it is sent.
    on_tx!(tx, |e| sqlx::query(
        "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
         payload_sealed = NULL WHERE id = $2"
    )
    .bind(now)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Records a failed attempt; retries at `retry_at`, or gives up when `retry_at` is `None`.
pub async fn mark_failed(
    db: &Db,
    id: i64,
    error: &str,
    now: i64,
    retry_at: Option<i64>,
) -> Result<(), StoreError> {
    on_write!(db, |e| sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         failed_at = $3, claimed_until = 0 WHERE id = $4"
    )
    .bind(error)
    .bind(retry_at.unwrap_or(now))
    .bind(if retry_at.is_none() { Some(now) } else { None })
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Messages not yet sent, for health reporting and tests.
pub async fn pending_count(db: &Db) -> Result<i64, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    .fetch_one(e)
    .await)?)
}

/// The sealed payload of message `id`, if it belongs to `order_id` and is not yet sent.
pub async fn payload(db: &Db, id: i64, order_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let payload: Option<Option<Vec<u8>>> = on_read!(db, |e| sqlx::query_scalar(
        "SELECT payload_sealed FROM outbox WHERE id = $1 AND order_id = $2"
    )
    .bind(id)
    .bind(order_id)
    .fetch_optional(e)
    .await)?;
    Ok(payload.flatten())
}

/// What a message waiting to be sent is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageTarget {
    Order(String),
    Account(String),
    /// A message subject: the message carries its own sealed content.
    Subject(String),
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    order_id: Option<String>,
    account_id: Option<String>,
    subject_id: Option<String>,
}

/// The order or account of message `id`, while the message is still waiting to be sent.
pub async fn unsent_target(db: &Db, id: i64) -> Result<Option<MessageTarget>, StoreError> {
    let row: Option<TargetRow> = on_read!(db, |e| sqlx::query_as(
        "SELECT order_id, account_id, subject_id FROM outbox WHERE id = $1 AND sent_at IS NULL"
    )
    .bind(id)
    .fetch_optional(e)
    .await)?;
    match row {
        None => Ok(None),
        Some(TargetRow {
            order_id: Some(order),
            account_id: None,
            subject_id: None,
        }) => Ok(Some(MessageTarget::Order(order))),
        Some(TargetRow {
            order_id: None,
            account_id: Some(account),
            subject_id: None,
        }) => Ok(Some(MessageTarget::Account(account))),
        Some(TargetRow {
            order_id: None,
            account_id: None,
            subject_id: Some(subject),
        }) => Ok(Some(MessageTarget::Subject(subject))),
        Some(_) => Err(StoreError::Corrupt(format!(
            "outbox message {id} names other than one order, account or message subject"
        ))),
    }
}

/// The sealed payload of message `id`, if it belongs to `account_id` and is not yet sent.
pub async fn account_payload(
    db: &Db,
    id: i64,
    account_id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let payload: Option<Option<Vec<u8>>> = on_read!(db, |e| sqlx::query_scalar(
        "SELECT payload_sealed FROM outbox WHERE id = $1 AND account_id = $2"
    )
    .bind(id)
    .bind(account_id)
    .fetch_optional(e)
    .await)?;
    Ok(payload.flatten())
}

/// The sealed payload of message `id`, if it belongs to the message subject `subject_id`.
pub async fn subject_payload(
    db: &Db,
    id: i64,
    subject_id: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    let payload: Option<Option<Vec<u8>>> = on_read!(db, |e| sqlx::query_scalar(
        "SELECT payload_sealed FROM outbox WHERE id = $1 AND subject_id = $2"
    )
    .bind(id)
    .bind(subject_id)
    .fetch_optional(e)
    .await)?;
    Ok(payload.flatten())
}
