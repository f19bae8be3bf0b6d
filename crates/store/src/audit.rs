//! Rows of the audit log. Linking and verification live in the privacy crate; this module
//! only stores and reads entries.

use crate::db::{on_read, on_tx, Pools};
use crate::pg_copy::{self, CopyReader};
use crate::{Db, StoreError, WriteTx};
use futures_core::stream::BoxStream;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

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

/// Stores entries already numbered and chained, and records the newest hash as the head.
pub async fn insert(tx: &mut WriteTx, entries: &[AuditRow]) -> Result<(), StoreError> {
    for chunk in entries.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, format, at, who, actor, purpose, action, subject, \
             fields, prev_hash, hash) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let params: Vec<String> = (1..=COLUMNS)
                .map(|c| format!("${}", i * COLUMNS + c))
                .collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
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
            query.execute(conn).await.map(|done| done.rows_affected())
        })?;
    }
    if let Some(last) = entries.last() {
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

/// Entries per batch of an [`AuditScan`]: enough that handing a batch to another thread costs
/// nothing next to checking it, few enough that the batches in flight stay small.
pub const SCAN_BATCH: usize = 1024;

/// Batches a reader may get ahead of the consumer.
const SCAN_QUEUE: usize = 8;

type Batch = Result<Vec<AuditRow>, StoreError>;
/// The head row: how many entries were appended, and the newest hash.
type Head = (i64, Vec<u8>);

/// The whole audit log as of one moment: the head row and every entry in sequence order,
/// read in one snapshot (entries appended meanwhile are in neither), delivered in batches of
/// [`SCAN_BATCH`] while the reader goes on reading.
///
/// The reader stops when the scan is dropped. Each backend is read the fastest way it
/// offers: an SQLite file through `rusqlite` on a blocking thread, PostgreSQL through a
/// binary `COPY`.
#[derive(Debug)]
pub struct AuditScan {
    head_seq: i64,
    head_hash: Vec<u8>,
    batches: mpsc::Receiver<Batch>,
}

impl AuditScan {
    /// The head row in the snapshot: how many entries were appended, and the newest hash.
    pub fn head(&self) -> (i64, &[u8]) {
        (self.head_seq, &self.head_hash)
    }

    /// The next batch, or `None` after the last. An error ends the scan.
    pub async fn next(&mut self) -> Option<Batch> {
        self.batches.recv().await
    }

    /// [`AuditScan::next`] for a thread outside the async runtime (it blocks; it panics when
    /// called from inside the runtime).
    pub fn blocking_next(&mut self) -> Option<Batch> {
        self.batches.blocking_recv()
    }
}

/// Starts reading the audit log (see [`AuditScan`]) and waits for its head row.
pub async fn scan(db: &Db) -> Result<AuditScan, StoreError> {
    let (head_tx, head_rx) = oneshot::channel();
    let (batch_tx, batches) = mpsc::channel(SCAN_QUEUE);
    let sink = Sink {
        head: Some(head_tx),
        batches: batch_tx,
        batch: Vec::with_capacity(SCAN_BATCH),
    };
    match (&db.pools, db.sqlite_file()) {
        (Pools::Sqlite { .. }, Some(file)) => {
            let file = file.to_owned();
            tokio::task::spawn_blocking(move || scan_sqlite_file(file, sink));
        }
        // An in-memory database lives in the pool's one connection: no other reader reaches it.
        (Pools::Sqlite { read, .. }, None) => {
            tokio::spawn(scan_sqlite_pool(read.clone(), sink));
        }
        (Pools::Postgres(pool), _) => {
            tokio::spawn(scan_postgres(pool.clone(), sink));
        }
    }
    let (head_seq, head_hash) = head_rx.await.map_err(|_| {
        StoreError::Corrupt("the audit reader stopped before reading the head row".into())
    })??;
    Ok(AuditScan {
        head_seq,
        head_hash,
        batches,
    })
}

const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

/// Where a reader puts what it reads. Every send reports whether the scan is still wanted.
struct Sink {
    head: Option<oneshot::Sender<Result<Head, StoreError>>>,
    batches: mpsc::Sender<Batch>,
    batch: Vec<AuditRow>,
}

/// Whether the consumer still wants rows.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
enum Wanted {
    Yes,
    No,
}

impl Sink {
    fn head(&mut self, head: Head) -> Wanted {
        match self.head.take().map(|tx| tx.send(Ok(head))) {
            Some(Ok(())) => Wanted::Yes,
            _ => Wanted::No,
        }
    }

    /// Adds `row`; returns a full batch to send.
    fn push(&mut self, row: AuditRow) -> Option<Vec<AuditRow>> {
        self.batch.push(row);
        (self.batch.len() >= SCAN_BATCH)
            .then(|| std::mem::replace(&mut self.batch, Vec::with_capacity(SCAN_BATCH)))
    }

    fn send_blocking(&self, batch: Vec<AuditRow>) -> Wanted {
        match self.batches.blocking_send(Ok(batch)) {
            Ok(()) => Wanted::Yes,
            Err(_) => Wanted::No,
        }
    }

    async fn send(&self, batch: Vec<AuditRow>) -> Wanted {
        match self.batches.send(Ok(batch)).await {
            Ok(()) => Wanted::Yes,
            Err(_) => Wanted::No,
        }
    }

    /// The rest of the last batch.
    fn rest(&mut self) -> Option<Vec<AuditRow>> {
        (!self.batch.is_empty()).then(|| std::mem::take(&mut self.batch))
    }

    /// Reports a failure where the consumer is waiting: for the head, or for a batch.
    fn fail_blocking(mut self, error: StoreError) {
        match self.head.take() {
            Some(head) => drop(head.send(Err(error))),
            None => drop(self.batches.blocking_send(Err(error))),
        }
    }

    async fn fail(mut self, error: StoreError) {
        match self.head.take() {
            Some(head) => drop(head.send(Err(error))),
            None => drop(self.batches.send(Err(error)).await),
        }
    }
}

/// Reads an SQLite file synchronously: sqlx's SQLite driver hands every row from its worker
/// thread to the task that polls it, and that handoff costs more than reading the row.
fn scan_sqlite_file(file: PathBuf, mut sink: Sink) {
    let read = |sink: &mut Sink| -> Result<(), StoreError> {
        let mut conn = rusqlite::Connection::open_with_flags(
            &file,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(crate::db::SQLITE_BUSY_TIMEOUT)?;
        // One read transaction: in write-ahead-log mode its first read fixes the snapshot
        // that the head row and every entry come from.
        let snapshot = conn.transaction()?;
        let head = snapshot.query_row(HEAD, [], |row| Ok((row.get(0)?, row.get(1)?)))?;
        if sink.head(head) == Wanted::No {
            return Ok(());
        }
        let mut statement = snapshot.prepare(ALL)?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let entry = AuditRow {
                seq: row.get(0)?,
                format: row.get(1)?,
                at: row.get(2)?,
                who: row.get(3)?,
                actor: row.get(4)?,
                purpose: row.get(5)?,
                action: row.get(6)?,
                subject: row.get(7)?,
                fields: row.get(8)?,
                prev_hash: row.get(9)?,
                hash: row.get(10)?,
            };
            if let Some(batch) = sink.push(entry) {
                if sink.send_blocking(batch) == Wanted::No {
                    return Ok(());
                }
            }
        }
        if let Some(batch) = sink.rest() {
            let _ = sink.send_blocking(batch);
        }
        Ok(())
    };
    if let Err(error) = read(&mut sink) {
        sink.fail_blocking(error);
    }
}

/// Reads through the sqlx pool: for an in-memory database, which no other connection can open.
async fn scan_sqlite_pool(pool: SqlitePool, mut sink: Sink) {
    use futures_util::StreamExt;
    let read = async |sink: &mut Sink| -> Result<(), StoreError> {
        let mut snapshot = pool.begin().await?;
        let head = sqlx::query_as(HEAD).fetch_one(&mut *snapshot).await?;
        if sink.head(head) == Wanted::No {
            return Ok(());
        }
        let mut rows = sqlx::query_as::<_, AuditRow>(ALL).fetch(&mut *snapshot);
        while let Some(row) = rows.next().await {
            if let Some(batch) = sink.push(row?) {
                if sink.send(batch).await == Wanted::No {
                    return Ok(());
                }
            }
        }
        if let Some(batch) = sink.rest() {
            let _ = sink.send(batch).await;
        }
        Ok(())
    };
    if let Err(error) = read(&mut sink).await {
        sink.fail(error).await;
    }
}

const COPY_ALL: &str =
    "COPY (SELECT seq, format, at, who, actor, purpose, action, subject, fields, \
                        prev_hash, hash FROM audit_log ORDER BY seq) TO STDOUT (FORMAT binary)";
const AUDIT_COLUMNS: usize = 11;

/// Reads PostgreSQL through a binary `COPY`: the rows arrive as raw bytes, decoded here
/// straight into entries, without the driver's per-row decoding.
async fn scan_postgres(pool: PgPool, mut sink: Sink) {
    use futures_util::StreamExt;
    use sqlx::Connection;
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(error) => return sink.fail(error.into()).await,
    };
    let read =
        async |conn: &mut sqlx::PgConnection, sink: &mut Sink| -> Result<Ended, StoreError> {
            // Two statements, one snapshot.
            let mut snapshot = conn
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            let head = sqlx::query_as(HEAD).fetch_one(&mut *snapshot).await?;
            if sink.head(head) == Wanted::No {
                return Ok(Ended::Early);
            }
            let mut reader = CopyReader::<AUDIT_COLUMNS>::new();
            let mut full = Vec::new();
            {
                let mut data = snapshot.copy_out_raw(COPY_ALL).await?;
                while let Some(chunk) = data.next().await {
                    reader.feed(&chunk?, |fields| {
                        if let Some(batch) = sink.push(copied_row(fields)?) {
                            full.push(batch);
                        }
                        Ok::<(), StoreError>(())
                    })?;
                    for batch in full.drain(..) {
                        if sink.send(batch).await == Wanted::No {
                            return Ok(Ended::Early);
                        }
                    }
                }
            }
            reader.finish()?;
            snapshot.commit().await?;
            if let Some(batch) = sink.rest() {
                let _ = sink.send(batch).await;
            }
            Ok(Ended::Complete)
        };
    let result = read(&mut *conn, &mut sink).await;
    if !matches!(result, Ok(Ended::Complete)) {
        // A copy left unfinished leaves its rows unread on the connection: never reuse it.
        conn.close_on_drop();
    }
    if let Err(error) = result {
        sink.fail(error).await;
    }
}

enum Ended {
    Complete,
    Early,
}

/// An entry from the fields of a binary `COPY` of [`COPY_ALL`].
fn copied_row(fields: &pg_copy::Fields<'_, AUDIT_COLUMNS>) -> Result<AuditRow, StoreError> {
    let [seq, format, at, who, actor, purpose, action, subject, fields, prev_hash, hash] = fields;
    let seq = int8(*seq, "seq", None)?;
    let at_seq = Some(seq);
    Ok(AuditRow {
        seq,
        format: int8(*format, "format", at_seq)?,
        at: int8(*at, "at", at_seq)?,
        who: text(*who, "who", seq)?,
        actor: text(*actor, "actor", seq)?,
        purpose: text(*purpose, "purpose", seq)?,
        action: text(*action, "action", seq)?,
        subject: text(*subject, "subject", seq)?,
        fields: text(*fields, "fields", seq)?,
        prev_hash: bytes(*prev_hash, "prev_hash", seq)?.to_vec(),
        hash: bytes(*hash, "hash", seq)?.to_vec(),
    })
}

fn unreadable(column: &str, seq: Option<i64>, what: &str) -> StoreError {
    match seq {
        Some(seq) => StoreError::Corrupt(format!("audit entry {seq}: {column} is {what}")),
        None => StoreError::Corrupt(format!("an audit entry's {column} is {what}")),
    }
}

fn bytes<'a>(field: Option<&'a [u8]>, column: &str, seq: i64) -> Result<&'a [u8], StoreError> {
    field.ok_or_else(|| unreadable(column, Some(seq), "NULL"))
}

fn int8(field: Option<&[u8]>, column: &str, seq: Option<i64>) -> Result<i64, StoreError> {
    let field = field.ok_or_else(|| unreadable(column, seq, "NULL"))?;
    pg_copy::int8(field).ok_or_else(|| unreadable(column, seq, "not a bigint"))
}

fn text(field: Option<&[u8]>, column: &str, seq: i64) -> Result<String, StoreError> {
    let field = bytes(field, column, seq)?;
    std::str::from_utf8(field)
        .map(str::to_owned)
        .map_err(|_| unreadable(column, Some(seq), "not UTF-8"))
}
