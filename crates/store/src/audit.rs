//! Rows of the audit log. Linking and verification live in the privacy crate; this module
//! only stores and reads entries.

use crate::db::{on_read, on_tx, Pools};
use crate::pg_copy::{self, CopyReader};
use crate::{Backend, Db, StoreError, WriteTx};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

/// One stored audit entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
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

/// Every entry in sequence order, as the scan reads them.
const ALL: &str = "SELECT seq, format, at, who, actor, purpose, action, subject, fields, \
                   prev_hash, hash FROM audit_log ORDER BY seq";

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
/// binary `COPY`. Batches handed back through [`AuditScan::recycler`] are refilled in place.
#[derive(Debug)]
pub struct AuditScan {
    head_seq: i64,
    head_hash: Vec<u8>,
    batches: mpsc::Receiver<Batch>,
    recycler: Recycler,
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

    /// Where to hand batches back once done with them.
    pub fn recycler(&self) -> Recycler {
        self.recycler.clone()
    }
}

/// Takes batches of an [`AuditScan`] back to its reader, which overwrites their entries with
/// the next ones instead of allocating nine buffers per entry (and freeing them on another
/// thread, where the allocator's locks made that the larger part of reading).
#[derive(Debug, Clone)]
pub struct Recycler(std::sync::mpsc::Sender<Vec<AuditRow>>);

impl Recycler {
    pub fn recycle(&self, batch: Vec<AuditRow>) {
        // After the reader has finished nobody takes batches back; they are simply freed.
        let _ = self.0.send(batch);
    }
}

/// Starts reading the audit log (see [`AuditScan`]) and waits for its head row.
pub async fn scan(db: &Db) -> Result<AuditScan, StoreError> {
    let (head_tx, head_rx) = oneshot::channel();
    let (batch_tx, batches) = mpsc::channel(SCAN_QUEUE);
    let (recycled, spare) = std::sync::mpsc::channel();
    let sink = Sink {
        head: Some(head_tx),
        batches: batch_tx,
        spare,
        batch: Vec::with_capacity(SCAN_BATCH),
        filled: 0,
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
        recycler: Recycler(recycled),
    })
}

const HEAD: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";

/// Where a reader puts what it reads. Every send reports whether the scan is still wanted.
struct Sink {
    head: Option<oneshot::Sender<Result<Head, StoreError>>>,
    batches: mpsc::Sender<Batch>,
    /// Batches handed back, to refill.
    spare: std::sync::mpsc::Receiver<Vec<AuditRow>>,
    batch: Vec<AuditRow>,
    /// Entries of `batch` that hold rows of this scan; the rest are left from an earlier
    /// batch, to overwrite.
    filled: usize,
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

    /// The entry to overwrite with the next row.
    fn next_row(&mut self) -> &mut AuditRow {
        if self.filled == self.batch.len() {
            self.batch.push(AuditRow::default());
        }
        let at = self.filled;
        self.filled += 1;
        &mut self.batch[at]
    }

    /// The batch, once full; the next one is a batch handed back, or a new one.
    fn full(&mut self) -> Option<Vec<AuditRow>> {
        if self.filled < SCAN_BATCH {
            return None;
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(SCAN_BATCH));
        Some(self.take(next))
    }

    /// The rest of the last batch.
    fn rest(&mut self) -> Option<Vec<AuditRow>> {
        (self.filled > 0).then(|| self.take(Vec::new()))
    }

    fn take(&mut self, next: Vec<AuditRow>) -> Vec<AuditRow> {
        let mut batch = std::mem::replace(&mut self.batch, next);
        batch.truncate(self.filled);
        self.filled = 0;
        batch
    }

    fn send_blocking(&self, batch: Vec<AuditRow>) -> Wanted {
        match self.batches.blocking_send(Ok(batch)) {
            Ok(()) => Wanted::Yes,
            Err(_) => Wanted::No,
        }
    }

    // `&mut`: the sink is `Send` but not `Sync`, and is held across the await.
    async fn send(&mut self, batch: Vec<AuditRow>) -> Wanted {
        match self.batches.send(Ok(batch)).await {
            Ok(()) => Wanted::Yes,
            Err(_) => Wanted::No,
        }
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
            fill_from_sqlite(sink.next_row(), row)?;
            if let Some(batch) = sink.full() {
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

/// Overwrites `entry` with a row of [`ALL`], reading the columns where SQLite holds them.
fn fill_from_sqlite(entry: &mut AuditRow, row: &rusqlite::Row<'_>) -> Result<(), StoreError> {
    use rusqlite::types::ValueRef;
    entry.seq = row.get(0)?;
    entry.format = row.get(1)?;
    entry.at = row.get(2)?;
    let seq = entry.seq;
    let texts = [
        (3, "who", &mut entry.who),
        (4, "actor", &mut entry.actor),
        (5, "purpose", &mut entry.purpose),
        (6, "action", &mut entry.action),
        (7, "subject", &mut entry.subject),
        (8, "fields", &mut entry.fields),
    ];
    for (column, name, text) in texts {
        match row.get_ref(column)? {
            ValueRef::Text(bytes) => set_text(text, bytes, name, seq)?,
            _ => return Err(unreadable(name, Some(seq), "not text")),
        }
    }
    for (column, name, blob) in [
        (9, "prev_hash", &mut entry.prev_hash),
        (10, "hash", &mut entry.hash),
    ] {
        match row.get_ref(column)? {
            ValueRef::Blob(bytes) => set_bytes(blob, bytes),
            _ => return Err(unreadable(name, Some(seq), "not a blob")),
        }
    }
    Ok(())
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
            *sink.next_row() = row?;
            if let Some(batch) = sink.full() {
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
                        fill_from_copy(sink.next_row(), fields)?;
                        if let Some(batch) = sink.full() {
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
    let result = read(&mut conn, &mut sink).await;
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

/// Overwrites `entry` with the fields of a binary `COPY` of [`COPY_ALL`].
fn fill_from_copy(
    entry: &mut AuditRow,
    fields: &pg_copy::Fields<'_, AUDIT_COLUMNS>,
) -> Result<(), StoreError> {
    let [seq, format, at, who, actor, purpose, action, subject, fields, prev_hash, hash] = *fields;
    entry.seq = int8(seq, "seq", None)?;
    let seq = entry.seq;
    entry.format = int8(format, "format", Some(seq))?;
    entry.at = int8(at, "at", Some(seq))?;
    let texts = [
        (who, "who", &mut entry.who),
        (actor, "actor", &mut entry.actor),
        (purpose, "purpose", &mut entry.purpose),
        (action, "action", &mut entry.action),
        (subject, "subject", &mut entry.subject),
        (fields, "fields", &mut entry.fields),
    ];
    for (field, name, text) in texts {
        set_text(text, not_null(field, name, seq)?, name, seq)?;
    }
    set_bytes(&mut entry.prev_hash, not_null(prev_hash, "prev_hash", seq)?);
    set_bytes(&mut entry.hash, not_null(hash, "hash", seq)?);
    Ok(())
}

fn unreadable(column: &str, seq: Option<i64>, what: &str) -> StoreError {
    match seq {
        Some(seq) => StoreError::Corrupt(format!("audit entry {seq}: {column} is {what}")),
        None => StoreError::Corrupt(format!("an audit entry's {column} is {what}")),
    }
}

fn not_null<'a>(field: Option<&'a [u8]>, column: &str, seq: i64) -> Result<&'a [u8], StoreError> {
    field.ok_or_else(|| unreadable(column, Some(seq), "NULL"))
}

fn int8(field: Option<&[u8]>, column: &str, seq: Option<i64>) -> Result<i64, StoreError> {
    let field = field.ok_or_else(|| unreadable(column, seq, "NULL"))?;
    pg_copy::int8(field).ok_or_else(|| unreadable(column, seq, "not a bigint"))
}

/// Overwrites `text` with `bytes`, which must be UTF-8, keeping its allocation.
fn set_text(text: &mut String, bytes: &[u8], column: &str, seq: i64) -> Result<(), StoreError> {
    let value =
        std::str::from_utf8(bytes).map_err(|_| unreadable(column, Some(seq), "not UTF-8"))?;
    text.clear();
    text.push_str(value);
    Ok(())
}

/// Overwrites `blob` with `bytes`, keeping its allocation.
fn set_bytes(blob: &mut Vec<u8>, bytes: &[u8]) {
    blob.clear();
    blob.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry as a batch handed back holds it: to be overwritten completely.
    fn stale() -> AuditRow {
        AuditRow {
            seq: 99,
            format: 9,
            at: 9,
            who: "stale-who-longer-than-the-next".into(),
            actor: "stale-actor".into(),
            purpose: "stale-purpose".into(),
            action: "stale-action".into(),
            subject: "stale-subject".into(),
            fields: "stale,fields".into(),
            prev_hash: vec![9; 40],
            hash: vec![9; 40],
        }
    }

    fn fresh(seq: i64) -> AuditRow {
        AuditRow {
            seq,
            format: 2,
            at: 1_760_000_000,
            who: "system:bench".into(),
            actor: "system".into(),
            purpose: "order_fulfilment".into(),
            action: "seal".into(),
            subject: String::new(),
            fields: "email".into(),
            prev_hash: vec![1; 32],
            hash: vec![2; 32],
        }
    }

    #[test]
    fn an_entry_refilled_from_sqlite_keeps_nothing_of_the_one_before() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, at INTEGER, actor TEXT, \
             purpose TEXT, action TEXT, subject TEXT, fields TEXT, prev_hash BLOB, hash BLOB, \
             who TEXT, format INTEGER)",
        )
        .unwrap();
        let row = fresh(7);
        conn.execute(
            "INSERT INTO audit_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            rusqlite::params![
                row.seq,
                row.at,
                row.actor,
                row.purpose,
                row.action,
                row.subject,
                row.fields,
                row.prev_hash,
                row.hash,
                row.who,
                row.format
            ],
        )
        .unwrap();
        let mut statement = conn.prepare(ALL).unwrap();
        let mut rows = statement.query([]).unwrap();
        let mut entry = stale();
        fill_from_sqlite(&mut entry, rows.next().unwrap().unwrap()).unwrap();
        assert_eq!(entry, row);
    }

    #[test]
    fn an_entry_refilled_from_copy_keeps_nothing_of_the_one_before() {
        let row = fresh(8);
        let (seq, format, at) = (
            row.seq.to_be_bytes(),
            row.format.to_be_bytes(),
            row.at.to_be_bytes(),
        );
        let fields: pg_copy::Fields<'_, AUDIT_COLUMNS> = [
            Some(&seq),
            Some(&format),
            Some(&at),
            Some(row.who.as_bytes()),
            Some(row.actor.as_bytes()),
            Some(row.purpose.as_bytes()),
            Some(row.action.as_bytes()),
            Some(row.subject.as_bytes()),
            Some(row.fields.as_bytes()),
            Some(&row.prev_hash),
            Some(&row.hash),
        ];
        let mut entry = stale();
        fill_from_copy(&mut entry, &fields).unwrap();
        assert_eq!(entry, row);

        let mut null = fields;
        null[4] = None;
        assert!(
            matches!(fill_from_copy(&mut entry, &null), Err(StoreError::Corrupt(m)) if m.contains("actor is NULL"))
        );
        let mut short = fields;
        short[2] = Some(&[0; 4]);
        assert!(
            matches!(fill_from_copy(&mut entry, &short), Err(StoreError::Corrupt(m)) if m.contains("at is not a bigint"))
        );
        let mut not_utf8 = fields;
        not_utf8[3] = Some(&[0xff, 0xfe]);
        assert!(
            matches!(fill_from_copy(&mut entry, &not_utf8), Err(StoreError::Corrupt(m)) if m.contains("who is not UTF-8"))
        );
    }

    #[test]
    fn the_sink_refills_handed_back_batches_and_cuts_the_last_one_short() {
        let (head, _) = oneshot::channel();
        let (batches, _receiver) = mpsc::channel(1);
        let (recycle, spare) = std::sync::mpsc::channel();
        let mut sink = Sink {
            head: Some(head),
            batches,
            spare,
            batch: Vec::new(),
            filled: 0,
        };
        recycle.send(vec![stale(); SCAN_BATCH]).unwrap();
        let mut full = Vec::new();
        for seq in 1..=(SCAN_BATCH as i64 + 3) {
            *sink.next_row() = fresh(seq);
            full.extend(sink.full());
        }
        assert_eq!(full.len(), 1);
        assert_eq!(full[0].len(), SCAN_BATCH);
        // The second batch is the one handed back, refilled, and only as long as its rows.
        let rest = sink.rest().unwrap();
        assert_eq!(rest, vec![fresh(1025), fresh(1026), fresh(1027)]);
        assert!(rest.capacity() >= SCAN_BATCH);
        assert_eq!(sink.rest(), None);
    }
}
