//! `audit::verify` against a real database: the store reads the log in batches (SQLite
//! files through a synchronous reader, PostgreSQL through a binary COPY, in-memory SQLite
//! through the pool) and the verifier checks batches on several threads, so a break must be
//! found wherever it falls among the batches.
//!
//! Runs on SQLite (a file, and in memory); with `HANJINBI_TEST_DATABASE_URL=postgres://…`
//! on a fresh PostgreSQL database per test instead of the file, as the shop's other
//! integration tests do.

use hanjinbi_privacy::audit::{self, AuditError, AuditKey, BreakReason, GENESIS};
use hanjinbi_privacy::keys::Key;
use hanjinbi_store::audit::{AuditRow, SCAN_BATCH};
use hanjinbi_store::Db;
use rand::RngCore;

/// A log just over two batches long: breaks can fall inside a batch, on either side of a
/// boundary and in the last entry.
const ENTRIES: i64 = 2 * SCAN_BATCH as i64 + 3;

/// A migrated, empty database; `memory` asks for an in-memory SQLite one.
struct Scratch {
    db: Db,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl Scratch {
    async fn new(memory: bool) -> Scratch {
        let dir = tempfile::tempdir().expect("temporary folder");
        let admin = std::env::var("HANJINBI_TEST_DATABASE_URL")
            .ok()
            .filter(|url| url.starts_with("postgres"));
        let (url, postgres) = match (memory, admin) {
            (true, _) => ("sqlite::memory:".to_owned(), None),
            (false, None) => (
                format!("sqlite://{}/audit.sqlite3", dir.path().display()),
                None,
            ),
            (false, Some(admin)) => {
                let name = format!("hj_test_{:016x}", rand::rng().next_u64());
                let url = hanjinbi_store::testing::create_postgres_database(&admin, &name)
                    .await
                    .expect("create a test database");
                (url, Some((admin, name)))
            }
        };
        let db = Db::connect(&url, 4).await.expect("open the database");
        db.migrate().await.expect("migrate");
        Scratch {
            db,
            _dir: dir,
            postgres,
        }
    }

    async fn drop_database(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.postgres {
            hanjinbi_store::testing::drop_postgres_database(&admin, &name)
                .await
                .expect("drop the test database");
        }
    }
}

fn entry(seq: i64) -> AuditRow {
    AuditRow {
        seq,
        format: audit::FORMAT_KEYED,
        at: 1_760_000_000 + seq,
        who: format!("order:HJ{seq:010}"),
        actor: "system".into(),
        purpose: "order_fulfilment".into(),
        action: "seal".into(),
        subject: format!("subject-{seq}"),
        fields: "email,name,phone".into(),
        prev_hash: Vec::new(),
        hash: Vec::new(),
    }
}

/// `n` entries linked under `key`, as the shop writes them.
fn chain(n: i64, key: &AuditKey) -> Vec<AuditRow> {
    let mut prev = GENESIS.to_vec();
    (1..=n)
        .map(|seq| {
            let mut row = entry(seq);
            row.prev_hash = prev.clone();
            row.hash = key.entry_mac(&row.prev_hash, &row).to_vec();
            prev = row.hash.clone();
            row
        })
        .collect()
}

/// Stores `rows` as the log, with the head row claiming `head_seq` entries and the last
/// row's hash: what someone who edits the tables directly leaves behind.
async fn store(db: &Db, rows: &[AuditRow], head_seq: i64) {
    let mut tx = db.begin_write().await.expect("begin");
    hanjinbi_store::audit::claim(&mut tx, head_seq)
        .await
        .expect("claim");
    hanjinbi_store::audit::insert(&mut tx, rows)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
}

fn broken_at(result: Result<audit::Verified, AuditError>) -> (i64, BreakReason) {
    match result {
        Err(AuditError::Broken { seq, reason }) => (seq, reason),
        other => panic!("expected a broken log, got {other:?}"),
    }
}

/// Entries where a break is looked for: the middle of the first batch, its last entry, the
/// first of the next batch, and the last entry of the log.
fn break_points() -> [i64; 4] {
    let batch = SCAN_BATCH as i64;
    [batch / 2, batch, batch + 1, ENTRIES]
}

async fn an_intact_log_verifies_with_its_count_and_head(memory: bool) {
    let scratch = Scratch::new(memory).await;
    let key = AuditKey::new(&Key::random(), 0);
    let rows = chain(ENTRIES, &key);
    store(&scratch.db, &rows, ENTRIES).await;
    let verified = audit::verify(&scratch.db, key.clone(), None)
        .await
        .expect("an intact log verifies");
    assert_eq!(verified.count, ENTRIES);
    assert_eq!(verified.unkeyed, 0);
    assert_eq!(verified.head, rows[rows.len() - 1].hash);
    let anchored = audit::verify(&scratch.db, key, Some(verified.anchor()))
        .await
        .expect("the log holds its own head");
    assert_eq!(anchored, verified);
    scratch.drop_database().await;
}

async fn an_edited_entry_is_found_wherever_it_falls_among_the_batches(memory: bool) {
    let key = AuditKey::new(&Key::random(), 0);
    for seq in break_points() {
        let scratch = Scratch::new(memory).await;
        let mut rows = chain(ENTRIES, &key);
        rows[seq as usize - 1].subject = "someone-else".into();
        store(&scratch.db, &rows, ENTRIES).await;
        assert_eq!(
            broken_at(audit::verify(&scratch.db, key.clone(), None).await),
            (seq, BreakReason::Edited),
            "entry {seq} edited"
        );
        scratch.drop_database().await;
    }
}

async fn a_deleted_entry_is_found_wherever_it_falls_among_the_batches(memory: bool) {
    let key = AuditKey::new(&Key::random(), 0);
    for seq in break_points() {
        let scratch = Scratch::new(memory).await;
        let mut rows = chain(ENTRIES, &key);
        let deleted = rows.remove(seq as usize - 1);
        store(&scratch.db, &rows, ENTRIES).await;
        let expected = if seq == ENTRIES {
            // The newest entry gone, the head row still counting it.
            (seq, BreakReason::Truncated)
        } else {
            (seq + 1, BreakReason::Missing)
        };
        assert_eq!(
            broken_at(audit::verify(&scratch.db, key.clone(), None).await),
            expected,
            "entry {} deleted",
            deleted.seq
        );
        scratch.drop_database().await;
    }
}

async fn a_scan_reads_one_snapshot(memory: bool) {
    let scratch = Scratch::new(memory).await;
    let key = AuditKey::new(&Key::random(), 0);
    let rows = chain(ENTRIES, &key);
    store(&scratch.db, &rows[..SCAN_BATCH + 1], SCAN_BATCH as i64 + 1).await;
    let mut scan = hanjinbi_store::audit::scan(&scratch.db)
        .await
        .expect("scan");
    // Appended after the scan took its snapshot: in neither its head nor its entries.
    store(
        &scratch.db,
        &rows[SCAN_BATCH + 1..],
        ENTRIES - SCAN_BATCH as i64 - 1,
    )
    .await;
    assert_eq!(scan.head().0, SCAN_BATCH as i64 + 1);
    let mut read = Vec::new();
    while let Some(batch) = scan.next().await {
        read.extend(batch.expect("a batch"));
    }
    assert_eq!(read, rows[..SCAN_BATCH + 1]);
    let verified = audit::verify(&scratch.db, key, None)
        .await
        .expect("the grown log verifies");
    assert_eq!(verified.count, ENTRIES);
    scratch.drop_database().await;
}

/// A log long enough that the reader refills batches handed back by the verifier: whatever
/// a batch held before must not leak into the entries it carries next.
async fn a_long_log_is_checked_through_refilled_batches(memory: bool) {
    let key = AuditKey::new(&Key::random(), 0);
    let n = 20 * SCAN_BATCH as i64 + 5;
    let scratch = Scratch::new(memory).await;
    let rows = chain(n, &key);
    store(&scratch.db, &rows, n).await;
    let verified = audit::verify(&scratch.db, key.clone(), None)
        .await
        .expect("an intact log verifies");
    assert_eq!(
        (verified.count, verified.head.as_slice()),
        (n, rows[rows.len() - 1].hash.as_slice())
    );
    scratch.drop_database().await;

    let scratch = Scratch::new(memory).await;
    let mut rows = rows;
    // Early in the log, so the verification stops while the reader has rows left to send.
    let seq = 2 * SCAN_BATCH + 2;
    rows[seq - 1].who = "system:someone-else".into();
    store(&scratch.db, &rows, n).await;
    // Twice: a verification that stopped early leaves the database usable for the next.
    for _ in 0..2 {
        assert_eq!(
            broken_at(audit::verify(&scratch.db, key.clone(), None).await),
            (seq as i64, BreakReason::Edited)
        );
    }
    scratch.db.ping().await.expect("the database still answers");
    scratch.drop_database().await;
}

#[tokio::test]
async fn a_long_log_is_checked_through_refilled_batches_from_the_database() {
    a_long_log_is_checked_through_refilled_batches(false).await;
}

#[tokio::test]
async fn a_long_in_memory_log_is_checked_through_refilled_batches() {
    a_long_log_is_checked_through_refilled_batches(true).await;
}

#[tokio::test]
async fn an_intact_log_verifies() {
    an_intact_log_verifies_with_its_count_and_head(false).await;
}

#[tokio::test]
async fn an_intact_in_memory_log_verifies() {
    an_intact_log_verifies_with_its_count_and_head(true).await;
}

#[tokio::test]
async fn an_edited_entry_is_found_in_a_batch_at_a_boundary_and_at_the_end() {
    an_edited_entry_is_found_wherever_it_falls_among_the_batches(false).await;
}

#[tokio::test]
async fn an_edited_entry_is_found_in_memory_in_a_batch_at_a_boundary_and_at_the_end() {
    an_edited_entry_is_found_wherever_it_falls_among_the_batches(true).await;
}

#[tokio::test]
async fn a_deleted_entry_is_found_in_a_batch_at_a_boundary_and_at_the_end() {
    a_deleted_entry_is_found_wherever_it_falls_among_the_batches(false).await;
}

#[tokio::test]
async fn a_deleted_entry_is_found_in_memory_in_a_batch_at_a_boundary_and_at_the_end() {
    a_deleted_entry_is_found_wherever_it_falls_among_the_batches(true).await;
}

#[tokio::test]
async fn entries_appended_during_a_scan_are_not_in_it() {
    a_scan_reads_one_snapshot(false).await;
}

#[tokio::test]
async fn entries_appended_during_an_in_memory_scan_are_not_in_it() {
    a_scan_reads_one_snapshot(true).await;
}
