//! Rows of the audit log. Hashing and verification live in the privacy crate; this module
//! only stores and reads entries.

use crate::{Db, StoreError, WriteTx};
use futures_core::stream::BoxStream;
use sqlx::Row;

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub purpose: String,
    pub action: String,
    pub subject: String,
    pub fields: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Claims the next sequence number and returns it with the previous entry's hash. The head
/// row stays locked until the transaction ends.
pub async fn claim_next(tx: &mut WriteTx) -> Result<(i64, Vec<u8>), StoreError> {
    let row = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

pub async fn insert(tx: &mut WriteTx, entry: &AuditRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, purpose, action, subject, fields, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.seq)
    .bind(entry.at)
    .bind(entry.actor.as_str())
    .bind(entry.purpose.as_str())
    .bind(entry.action.as_str())
    .bind(entry.subject.as_str())
    .bind(entry.fields.as_str())
    .bind(entry.prev_hash.as_slice())
    .bind(entry.hash.as_slice())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(entry.hash.as_slice())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The head: how many entries were ever appended, and the newest hash.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

/// Every entry in sequence order, streamed.
pub fn all(db: &Db) -> BoxStream<'_, Result<AuditRow, StoreError>> {
    use futures_util::StreamExt;
    sqlx::query(
        "SELECT seq, at, actor, purpose, action, subject, fields, prev_hash, hash \
         FROM audit_log ORDER BY seq",
    )
    .fetch(db.pool())
    .map(|row| {
        let row = row?;
        Ok(AuditRow {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            purpose: row.try_get("purpose")?,
            action: row.try_get("action")?,
            subject: row.try_get("subject")?,
            fields: row.try_get("fields")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    })
    .boxed()
}
