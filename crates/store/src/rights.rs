//! Data subjects' requests (access, rectification, erasure…) with the dates they are due:
//! what the shop was asked, by which channel, when, and whether and when it answered. No
//! personal data: the subject is named by its id only.

use crate::db::{on_read, on_tx};
use crate::{Db, StoreError, WriteTx};

/// A request as stored. `kind`, `channel` and `status` are the codes the table's `CHECK`s
/// allow; the due dates are `YYYY-MM-DD`, in Vietnam's calendar.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RightsRequestRow {
    pub id: String,
    pub subject_id: String,
    pub kind: String,
    pub channel: String,
    pub received_at: i64,
    pub first_answer_due: String,
    pub due_on: String,
    pub answered_at: Option<i64>,
    pub status: String,
}

const COLUMNS: &str = "id, subject_id, kind, channel, received_at, first_answer_due, due_on, \
     answered_at, status";

/// Subjects read by one statement at most: far below the parameter limits of both
/// databases (SQLite 32,766, PostgreSQL 65,535).
const SUBJECTS_PER_STATEMENT: usize = 500;

/// Records a request. The subject's data key must exist (the table refers to it).
pub async fn insert(tx: &mut WriteTx, row: &RightsRequestRow) -> Result<(), StoreError> {
    on_tx!(tx, |e| sqlx::query(
        "INSERT INTO rights_requests (id, subject_id, kind, channel, received_at, \
         first_answer_due, due_on, answered_at, status) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    )
    .bind(&row.id)
    .bind(&row.subject_id)
    .bind(&row.kind)
    .bind(&row.channel)
    .bind(row.received_at)
    .bind(&row.first_answer_due)
    .bind(&row.due_on)
    .bind(row.answered_at)
    .bind(&row.status)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Closes an open request with `status` (`done` or `refused`) at `at`, in one conditional
/// statement: returns whether it was open (an unknown or already answered request is left
/// as it is).
pub async fn mark_answered(
    tx: &mut WriteTx,
    id: &str,
    status: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let changed = on_tx!(tx, |e| sqlx::query(
        "UPDATE rights_requests SET status = $1, answered_at = $2 \
         WHERE id = $3 AND status = 'open'"
    )
    .bind(status)
    .bind(at)
    .bind(id)
    .execute(e)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(changed == 1)
}

/// One request by id.
pub async fn by_id(db: &Db, id: &str) -> Result<Option<RightsRequestRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

/// One request by id, inside a write transaction (which sees its own writes).
pub async fn by_id_in(tx: &mut WriteTx, id: &str) -> Result<Option<RightsRequestRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM rights_requests WHERE id = $1");
    Ok(on_tx!(tx, |e| sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(e)
        .await)?)
}

/// Every request of one subject, newest first.
pub async fn of_subject(db: &Db, subject: &str) -> Result<Vec<RightsRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rights_requests WHERE subject_id = $1 \
         ORDER BY received_at DESC, id DESC"
    );
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(subject)
        .fetch_all(e)
        .await)?)
}

/// Every request of any of `subjects` (an account and the guest records made with its
/// address, say), newest first; a subject listed twice counts once.
pub async fn of_subjects(
    db: &Db,
    subjects: &[String],
) -> Result<Vec<RightsRequestRow>, StoreError> {
    let mut unique: Vec<&str> = subjects.iter().map(String::as_str).collect();
    unique.sort_unstable();
    unique.dedup();
    let mut rows: Vec<RightsRequestRow> = Vec::new();
    for chunk in unique.chunks(SUBJECTS_PER_STATEMENT) {
        let placeholders = (1..=chunk.len())
            .map(|n| format!("${n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql =
            format!("SELECT {COLUMNS} FROM rights_requests WHERE subject_id IN ({placeholders})");
        let found: Vec<RightsRequestRow> = on_read!(db, |e| chunk
            .iter()
            .fold(sqlx::query_as(&sql), |query, subject| query.bind(*subject))
            .fetch_all(e)
            .await)?;
        rows.extend(found);
    }
    // Chunks are read separately, so the order is made here, as `of_subject` orders.
    rows.sort_by(|a, b| {
        b.received_at
            .cmp(&a.received_at)
            .then_with(|| b.id.cmp(&a.id))
    });
    Ok(rows)
}

/// Open requests, the one due first first (then the oldest), at most `limit`.
pub async fn open_by_due(db: &Db, limit: i64) -> Result<Vec<RightsRequestRow>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM rights_requests WHERE status = 'open' \
         ORDER BY due_on, received_at, id LIMIT $1"
    );
    Ok(on_read!(db, |e| sqlx::query_as(&sql)
        .bind(limit)
        .fetch_all(e)
        .await)?)
}
