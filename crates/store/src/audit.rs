//! Rows of the audit log. Linking and verification live in the privacy crate; this module
//! only stores and reads entries.

use crate::db::{on_read, on_tx};
use crate::{Backend, Db, StoreError, WriteTx};
use futures_core::stream::BoxStream;

/// One stored audit entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub seq: i64,
    /// How `hash` was computed (1: unkeyed SHA-256, 2: keyed MAC).
    pub format: i64,
    pub at: i64,
    /// Who acted: a stable identifier of the principal, never a personal value.
    pub who: String,
    pub actor: String,
    pub purpose: String,
    pub action: String,
    pub subject: String,
    pub fields: String,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
}

/// Claims `count` sequence numbers; returns the last one claimed and the hash of the entry
/// before the first. The head row stays locked until the transaction ends, so concurrent
/// writers take turns and the chain never forks.
pub async fn claim(tx: &mut WriteTx, count: i64) -> Result<(i64, Vec<u8>), StoreError> {
    Ok(on_tx!(tx, |e| sqlx::query_as(
        "UPDATE audit_head SET seq = seq + $1 WHERE id = 1 RETURNING seq, hash"
    )
    .bind(count)
    .fetch_one(e)
    .await)?)
}

/// Rows per INSERT statement: far below either database's parameter limit.
const ROWS_PER_INSERT: usize = 80;
const COLUMNS: usize = 11;

/// The `INSERT` of `rows` entries, parameters `$1…$(rows × 11)`.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO audit_log (seq, format, at, who, actor, purpose, action, subject, \
         fields, prev_hash, hash) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 1..=COLUMNS {
            if c > 1 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(i * COLUMNS + c).to_string());
        }
        sql.push(')');
    }
    sql
}

/// Stores entries already numbered and chained, and records the newest hash as the head.
/// On PostgreSQL the last rows and the head go in one statement (a data-modifying `WITH`),
/// one round trip fewer for every transaction that audits; SQLite, in process, runs them
/// one after the other.
pub async fn insert(tx: &mut WriteTx, entries: &[AuditRow]) -> Result<(), StoreError> {
    let Some(last) = entries.last() else {
        return Ok(());
    };
    let chunks = entries.chunks(ROWS_PER_INSERT).count();
    for (n, chunk) in entries.chunks(ROWS_PER_INSERT).enumerate() {
        let with_head = n + 1 == chunks && tx.backend() == Backend::Postgres;
        let sql = if with_head {
            format!(
                "WITH inserted AS ({}) UPDATE audit_head SET hash = ${} WHERE id = 1",
                insert_sql(chunk.len()),
                chunk.len() * COLUMNS + 1
            )
        } else {
            insert_sql(chunk.len())
        };
        on_tx!(tx, |conn| {
            let mut query = sqlx::query(&sql);
            for e in chunk {
                query = query
                    .bind(e.seq)
                    .bind(e.format)
                    .bind(e.at)
                    .bind(e.who.as_str())
                    .bind(e.actor.as_str())
                    .bind(e.purpose.as_str())
                    .bind(e.action.as_str())
                    .bind(e.subject.as_str())
                    .bind(e.fields.as_str())
                    .bind(e.prev_hash.as_slice())
                    .bind(e.hash.as_slice());
            }
            if with_head {
                query = query.bind(last.hash.as_slice());
            }
            query.execute(conn).await.map(|done| done.rows_affected())
        })?;
    }
    if tx.backend() == Backend::Sqlite {
        on_tx!(tx, |e| sqlx::query(
            "UPDATE audit_head SET hash = $1 WHERE id = 1"
        )
        .bind(last.hash.as_slice())
        .execute(e)
        .await
        .map(|done| done.rows_affected()))?;
    }
    Ok(())
}

/// The head: how many entries were ever appended, and the newest hash.
pub async fn head(db: &Db) -> Result<(i64, Vec<u8>), StoreError> {
    Ok(on_read!(db, |e| sqlx::query_as(
        "SELECT seq, hash FROM audit_head WHERE id = 1"
    )
    .fetch_one(e)
    .await)?)
}

const ALL: &str = "SELECT seq, format, at, who, actor, purpose, action, subject, fields, \
                   prev_hash, hash FROM audit_log ORDER BY seq";

/// Every entry in sequence order, streamed.
pub fn all(db: &Db) -> BoxStream<'_, Result<AuditRow, StoreError>> {
    use futures_util::StreamExt;
    on_read!(db, |e| sqlx::query_as::<_, AuditRow>(ALL)
        .fetch(e)
        .map(|row| row.map_err(StoreError::from))
        .boxed())
}
