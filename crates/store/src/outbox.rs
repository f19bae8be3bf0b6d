//! The outbox: messages written in the same transaction as the change that needs them, and
//! sent later by a worker. Several app servers may run workers; a claim with an expiry keeps
//! two from sending the same message at once.

use crate::{Db, StoreError, WriteTx};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub order_id: String,
    pub attempts: i64,
    pub payload_sealed: Option<Vec<u8>>,
}

pub async fn enqueue(
    tx: &mut WriteTx,
    kind: &str,
    order_id: &str,
    payload_sealed: Option<&[u8]>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (kind, order_id, payload_sealed, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(kind)
    .bind(order_id)
    .bind(payload_sealed)
    .bind(now)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Claims up to `limit` due messages for `claim_secs`.
pub async fn claim_due(
    db: &Db,
    now: i64,
    claim_secs: i64,
    limit: i64,
) -> Result<Vec<OutboxMessage>, StoreError> {
    let mut tx = db.begin_write().await?;
    let rows = sqlx::query(
        "SELECT id, kind, order_id, attempts, payload_sealed FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL \
         AND next_attempt_at <= $1 AND claimed_until <= $2 ORDER BY id LIMIT $3",
    )
    .bind(now)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let done = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND claimed_until <= $3",
        )
        .bind(now + claim_secs)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            claimed.push(OutboxMessage {
                id,
                kind: r.try_get("kind")?,
                order_id: r.try_get("order_id")?,
                attempts: r.try_get("attempts")?,
                payload_sealed: r.try_get("payload_sealed")?,
            });
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

pub async fn mark_sent(tx: &mut WriteTx, id: i64, now: i64) -> Result<(), StoreError> {
    // The payload is only needed until it is sent.
    sqlx::query(
        "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL, \
         payload_sealed = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
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
    sqlx::query(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, \
         failed_at = $3, claimed_until = 0 WHERE id = $4",
    )
    .bind(error)
    .bind(retry_at.unwrap_or(now))
    .bind(if retry_at.is_none() { Some(now) } else { None })
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Messages not yet sent, for health reporting and tests.
pub async fn pending_count(db: &Db) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
            .fetch_one(db.pool())
            .await?
            .try_get("n")?,
    )
}

/// The sealed payload of message `id`, if it belongs to `order_id` and is not yet sent.
pub async fn payload(db: &Db, id: i64, order_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    let row = sqlx::query("SELECT payload_sealed FROM outbox WHERE id = $1 AND order_id = $2")
        .bind(id)
        .bind(order_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row
        .map(|r| r.try_get::<Option<Vec<u8>>, _>("payload_sealed"))
        .transpose()?
        .flatten())
}

/// The order of message `id`, while the message is still waiting to be sent.
pub async fn unsent_order(db: &Db, id: i64) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT order_id FROM outbox WHERE id = $1 AND sent_at IS NULL")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("order_id")?),
        None => None,
    })
}
