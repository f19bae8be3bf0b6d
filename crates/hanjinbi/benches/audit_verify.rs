//! End-to-end audit verification: fills a fresh database with a long hash chain through
//! `audit::append` (as the shop writes it) and times `audit::verify`, which streams every entry
//! out of the database and checks it.
//!
//! ```sh
//! cargo bench -p hanjinbi --bench audit_verify
//! HANJINBI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p hanjinbi --bench audit_verify
//! ```
//!
//! SQLite always runs, in a temporary folder. PostgreSQL runs too when
//! `HANJINBI_BENCH_POSTGRES_URL` names a server's admin database: the bench creates its own
//! database there and drops it at the end. `HANJINBI_BENCH_AUDIT_ENTRIES` changes the chain
//! length (default 1,000,000), `HANJINBI_BENCH_AUDIT_BATCH` the entries per transaction while
//! filling (default 10,000 on SQLite, 1,000 on PostgreSQL) and `HANJINBI_BENCH_VERIFY_RUNS`
//! the number of timed verifications (default 3). Only the verification is the figure; the
//! fill rate is printed for scale, and so is the verifier's rate over the same entries held
//! in memory (one thread, and batches on every core), measured in the same run, so that the
//! cost of reading shows as a ratio even on a busy machine.

use anyhow::Context;
use hanjinbi_privacy::audit::{self, AuditAction, AuditEvent, AuditKey, Verifier};
use hanjinbi_privacy::keys::Key;
use hanjinbi_privacy::records::new_id;
use hanjinbi_store::audit::AuditRow;
use hanjinbi_store::testing::{create_postgres_database, drop_postgres_database};
use hanjinbi_store::Db;
use rand::RngCore;
use std::time::{Duration, Instant};

/// Entries appended per transaction while filling, unless `HANJINBI_BENCH_AUDIT_BATCH` says.
/// PostgreSQL gets smaller transactions: every append updates the one head row, and a
/// transaction that updates one row thousands of times slows down as its chain of row
/// versions grows (10,000 per transaction fills at about a third of the rate of 1,000).
const SQLITE_BATCH: i64 = 10_000;
const POSTGRES_BATCH: i64 = 1_000;

fn env_number(name: &str, default: i64) -> anyhow::Result<i64> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number")),
        Err(_) => Ok(default),
    }
}

/// Appends `n` entries shaped like a checkout's (buyer sealed, delivery details sealed,
/// consent), in transactions of `batch` entries. Returns the time it took.
async fn fill(db: &Db, key: &AuditKey, n: i64, batch: i64) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut done = 0;
    let mut subject = new_id();
    let mut last_report = Instant::now();
    while done < n {
        let mut tx = db.begin_write().await?;
        let end = (done + batch).min(n);
        for seq in done + 1..=end {
            let (actor, purpose, action, fields): (_, _, _, &[&str]) = match seq % 3 {
                1 => {
                    subject = new_id();
                    (
                        "system",
                        "order_fulfilment",
                        AuditAction::Seal,
                        &["email", "name", "phone"],
                    )
                }
                2 => (
                    "system",
                    "order_fulfilment",
                    AuditAction::Seal,
                    &["ship_to"],
                ),
                _ => ("buyer", "marketing", AuditAction::Consent, &["granted"]),
            };
            audit::append(
                &mut tx,
                key,
                "system:bench",
                AuditEvent {
                    at: 1_760_000_000 + seq / 3,
                    actor,
                    purpose,
                    action,
                    subject: &subject,
                    fields,
                },
            )
            .await?;
        }
        tx.commit().await?;
        done = end;
        if last_report.elapsed() > Duration::from_secs(15) {
            eprintln!("  … {done} entries appended");
            last_report = Instant::now();
        }
    }
    Ok(started.elapsed())
}

struct Figures {
    backend: &'static str,
    entries: i64,
    batch: i64,
    fill: Duration,
    verify: Vec<Duration>,
    memory: InMemory,
}

/// The verifier over the same entries already in memory.
struct InMemory {
    one_thread: Duration,
    batches: Duration,
    threads: usize,
}

/// Reads every entry into memory, in the batches the store delivers.
async fn read_all(db: &Db) -> anyhow::Result<Vec<Vec<AuditRow>>> {
    let mut scan = hanjinbi_store::audit::scan(db).await?;
    let mut batches = Vec::new();
    while let Some(batch) = scan.next().await {
        batches.push(batch?);
    }
    Ok(batches)
}

/// Times the verifier over entries in memory: one entry at a time on this thread, then
/// batches on every core.
fn in_memory(key: &AuditKey, batches: Vec<Vec<AuditRow>>, n: i64) -> anyhow::Result<InMemory> {
    let started = Instant::now();
    let mut verifier = Verifier::new(key.clone());
    for row in batches.iter().flatten() {
        verifier.check(row)?;
    }
    let one_thread = started.elapsed();
    anyhow::ensure!(verifier.count() == n, "checked {} of {n}", verifier.count());
    // Checked batches are kept and freed after the timing: from the database they go back
    // to the reader, which refills them.
    let checked = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let mut verifier = Verifier::new(key.clone());
    verifier.check_batches(batches.into_iter().map(Ok), |batch| {
        if let Ok(mut checked) = checked.lock() {
            checked.push(batch);
        }
    })?;
    let batches = started.elapsed();
    drop(checked);
    anyhow::ensure!(verifier.count() == n, "checked {} of {n}", verifier.count());
    Ok(InMemory {
        one_thread,
        batches,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}

impl Figures {
    fn print(&self) {
        let n = self.entries as f64;
        let mut sorted = self.verify.clone();
        sorted.sort();
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
        let best = sorted.first().copied().unwrap_or_default();
        println!(
            "{}: filled {} entries in {:.1} s ({:.0} appends/s, transactions of {})",
            self.backend,
            self.entries,
            self.fill.as_secs_f64(),
            n / self.fill.as_secs_f64(),
            self.batch
        );
        for (i, t) in self.verify.iter().enumerate() {
            println!(
                "{}: verify run {}: {:.3} s = {:.0} entries/s",
                self.backend,
                i + 1,
                t.as_secs_f64(),
                n / t.as_secs_f64()
            );
        }
        println!(
            "{}: verify median {:.3} s = {:.0} entries/s; best {:.3} s = {:.0} entries/s",
            self.backend,
            median.as_secs_f64(),
            n / median.as_secs_f64(),
            best.as_secs_f64(),
            n / best.as_secs_f64()
        );
        let memory = &self.memory;
        println!(
            "{}: same entries in memory: one thread {:.3} s = {:.0} entries/s; batches on {} threads {:.3} s = {:.0} entries/s; rate from the database (median) / one thread in memory = {:.2}",
            self.backend,
            memory.one_thread.as_secs_f64(),
            n / memory.one_thread.as_secs_f64(),
            memory.threads,
            memory.batches.as_secs_f64(),
            n / memory.batches.as_secs_f64(),
            memory.one_thread.as_secs_f64() / median.as_secs_f64()
        );
    }
}

async fn measure(
    backend: &'static str,
    url: &str,
    n: i64,
    batch: i64,
    runs: i64,
    max_connections: u32,
) -> anyhow::Result<Figures> {
    let db = Db::connect(url, max_connections).await?;
    db.migrate().await?;
    eprintln!("{backend}: appending {n} audit entries, {batch} per transaction…");
    let key = AuditKey::new(&Key::random(), 0);
    let fill = fill(&db, &key, n, batch).await?;
    eprintln!("{backend}: filled in {:.1} s", fill.as_secs_f64());
    let mut verify = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let verified = audit::verify(&db, key.clone(), None).await?;
        verify.push(started.elapsed());
        anyhow::ensure!(verified.count == n, "verified {} of {n}", verified.count);
    }
    let memory = in_memory(&key, read_all(&db).await?, n)?;
    db.close().await;
    Ok(Figures {
        backend,
        entries: n,
        batch,
        fill,
        verify,
        memory,
    })
}

async fn postgres(admin: &str, n: i64, batch: i64, runs: i64) -> anyhow::Result<Figures> {
    let name = format!("hj_bench_{:016x}", rand::rng().next_u64());
    let url = create_postgres_database(admin, &name)
        .await
        .context("create a database through HANJINBI_BENCH_POSTGRES_URL")?;
    let result = measure("postgres", &url, n, batch, runs, 16).await;
    drop_postgres_database(admin, &name).await?;
    result
}

async fn run() -> anyhow::Result<()> {
    let n = env_number("HANJINBI_BENCH_AUDIT_ENTRIES", 1_000_000)?;
    let runs = env_number("HANJINBI_BENCH_VERIFY_RUNS", 3)?.max(1);
    let batch = std::env::var("HANJINBI_BENCH_AUDIT_BATCH")
        .ok()
        .and_then(|b| b.trim().parse::<i64>().ok())
        .map(|b| b.max(1));
    let mut all = Vec::new();

    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/audit.sqlite3", dir.path().display());
    all.push(measure("sqlite", &url, n, batch.unwrap_or(SQLITE_BATCH), runs, 8).await?);
    drop(dir);

    if let Some(admin) = std::env::var("HANJINBI_BENCH_POSTGRES_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        all.push(postgres(&admin, n, batch.unwrap_or(POSTGRES_BATCH), runs).await?);
    } else {
        println!("postgres: skipped (HANJINBI_BENCH_POSTGRES_URL is not set)");
    }

    println!("\n# audit verification, end to end ({n} entries)");
    for figures in &all {
        figures.print();
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}
