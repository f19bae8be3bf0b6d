//! What the database knows of the operator's keys: a fingerprint of each key it was sealed
//! with (never the key), which master keys are retired, and which master key each running
//! server wraps new data keys under. The privacy crate compares a key file against these
//! before anything is sealed or opened.

use crate::db::{on_read, on_tx, on_write};
use crate::subjects::{StoredKey, SubjectKeyRow};
use crate::{Backend, Db, StoreError, WriteTx};

/// A key the database was sealed with, by fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordedKey {
    pub key_id: String,
    pub kind: String,
    pub fingerprint: Vec<u8>,
    pub retired_at: Option<i64>,
}

pub async fn recorded(db: &Db) -> Result<Vec<RecordedKey>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT key_id, kind, fingerprint, retired_at FROM key_fingerprints ORDER BY key_id"
    )
    .fetch_all(e)
    .await)?)
}

/// Records a key's fingerprint unless one is already recorded under its id (the caller
/// compares them afterwards, so a concurrent first start with another key file is noticed).
pub async fn record(
    tx: &mut WriteTx,
    key_id: &str,
    kind: &str,
    fingerprint: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO key_fingerprints (key_id, kind, fingerprint, recorded_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (key_id) DO NOTHING"
    )
    .bind(key_id)
    .bind(kind)
    .bind(fingerprint)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Forgets every recorded fingerprint: only for a database that holds nothing sealed.
pub async fn forget_all(tx: &mut WriteTx) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query("DELETE FROM key_fingerprints")
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether anything was ever sealed here: a data key (live or destroyed) or an order.
pub async fn sealed_data_present(db: &Db) -> Result<bool, StoreError> {
    // A boolean on both drivers (SQLite's 0 or 1 reads as one); a bare `SELECT 1` would be
    // an INT4 on PostgreSQL, which does not read as an i64.
    Ok(on_read!(db, |e| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM data_keys) OR EXISTS (SELECT 1 FROM orders)"
    )
    .fetch_one(e)
    .await)?)
}

/// The master keys live data keys are wrapped under, with how many each wraps.
pub async fn live_masters(db: &Db) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT master_key_id, COUNT(*) AS n FROM data_keys WHERE wrapped_key IS NOT NULL \
         GROUP BY master_key_id ORDER BY master_key_id"
    )
    .fetch_all(e)
    .await)?)
}

/// One live data key wrapped under `master_key_id`, to try a key file on.
pub async fn one_live_key(
    db: &Db,
    master_key_id: &str,
) -> Result<Option<(String, StoredKey)>, StoreError> {
    let row: Option<SubjectKeyRow> = on_read!(db, |e| sqlx::query_as(
        "SELECT subject_id, master_key_id, wrapped_key FROM data_keys \
         WHERE master_key_id = $1 AND wrapped_key IS NOT NULL ORDER BY subject_id LIMIT 1"
    )
    .bind(master_key_id)
    .fetch_optional(e)
    .await)?;
    Ok(row.map(Into::into))
}

/// Up to `limit` live data keys of subjects after `after` in id order, to check them all.
pub async fn live_keys_after(
    db: &Db,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, StoredKey)>, StoreError> {
    let rows: Vec<SubjectKeyRow> = on_read!(db, |e| sqlx::query_as(
        "SELECT subject_id, master_key_id, wrapped_key FROM data_keys \
         WHERE subject_id > $1 AND wrapped_key IS NOT NULL ORDER BY subject_id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(e)
    .await)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A running server says which master key it wraps new data keys under, now.
pub async fn heartbeat(
    db: &Db,
    server_id: &str,
    current_master_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    on_write!(db, |e| sqlx::query(
        "INSERT INTO key_holders (server_id, current_master_id, seen_at) VALUES ($1, $2, $3) \
         ON CONFLICT (server_id) DO UPDATE \
         SET current_master_id = excluded.current_master_id, seen_at = excluded.seen_at"
    )
    .bind(server_id)
    .bind(current_master_id)
    .bind(now)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A server stopping removes its row.
pub async fn leave(db: &Db, server_id: &str) -> Result<(), StoreError> {
    on_write!(db, |e| sqlx::query(
        "DELETE FROM key_holders WHERE server_id = $1"
    )
    .bind(server_id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Servers seen since `since` that wrap new data keys under a master key other than
/// `current`: (server id, its master key id).
pub async fn holders_not_on(
    db: &Db,
    current: &str,
    since: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT server_id, current_master_id FROM key_holders \
         WHERE current_master_id <> $1 AND seen_at >= $2 ORDER BY server_id"
    )
    .bind(current)
    .bind(since)
    .fetch_all(e)
    .await)?)
}

/// The outcome of [`retire`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retirement {
    /// The keys are marked retired; from now on nothing can be wrapped under them.
    Retired,
    /// Nothing was retired: live data keys are still wrapped under these master keys.
    StillInUse(Vec<(String, i64)>),
}

/// Marks master keys retired, unless a live data key is still wrapped under one of them.
/// The count and the mark are one transaction that holds off every write to `data_keys`
/// (SQLite's write lock; a table lock on PostgreSQL), and a trigger refuses any data key
/// wrapped under a retired key afterwards: no key can slip in between.
pub async fn retire(
    db: &Db,
    master_key_ids: &[String],
    now: i64,
) -> Result<Retirement, StoreError> {
    let mut tx = db.begin_write().await?;
    if db.backend() == Backend::Postgres {
        on_tx!(tx, |e| sqlx::query(
            "LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE"
        )
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    let mut in_use = Vec::new();
    for id in master_key_ids {
        let n: i64 = on_tx!(tx, |e| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM data_keys WHERE master_key_id = $1 AND wrapped_key IS NOT NULL"
        )
        .bind(id.as_str())
        .fetch_one(e)
        .await
        })?;
        if n > 0 {
            in_use.push((id.clone(), n));
        }
    }
    if !in_use.is_empty() {
        tx.rollback().await?;
        return Ok(Retirement::StillInUse(in_use));
    }
    for id in master_key_ids {
        on_tx!(tx, |e| sqlx::query(
            "UPDATE key_fingerprints SET retired_at = $1 WHERE key_id = $2 AND retired_at IS NULL"
        )
        .bind(now)
        .bind(id.as_str())
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    tx.commit().await?;
    Ok(Retirement::Retired)
}
