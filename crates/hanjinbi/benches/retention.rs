//! The retention run (`hanjinbi_services::retention::Retention::run`) over many guest
//! addresses: once over `SUBJECTS` guest buyer records that are all due (each its own address,
//! data key, buyer record, order and consent, the last order four years old: the most work per
//! record), and once over as many of which none is due (their orders a day old: the cost of the
//! daily run on a shop where nothing is due, which is most days).
//!
//! ```sh
//! cargo bench -p hanjinbi --bench retention
//! HANJINBI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p hanjinbi --bench retention
//! ```
//!
//! Each case runs on a fresh database (SQLite in a temporary folder; PostgreSQL too when
//! `HANJINBI_BENCH_POSTGRES_URL` names a server's admin database, on databases the bench
//! creates and drops), seeded with set-based statements (then, on PostgreSQL, `ANALYZE`, as
//! autovacuum would on a live server). The run erasing everything is timed
//! once (it leaves nothing to erase); the run finding nothing is the median of
//! `HANJINBI_BENCH_RETENTION_RUNS` runs (default 5). `HANJINBI_BENCH_RETENTION_SUBJECTS`
//! (default 100000) changes the count.

use anyhow::{ensure, Context};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::keys::KeyRing;
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::Vault;
use hanjinbi_services::retention::{Retention, RetentionReport};
use hanjinbi_services::{Clock, SystemClock};
use hanjinbi_store::testing::{create_postgres_database, drop_postgres_database};
use hanjinbi_store::{Backend, Db};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DAY: i64 = 24 * 3600;

fn env_number(name: &str, default: i64) -> anyhow::Result<i64> {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number")),
        Err(_) => Ok(default),
    }
}

/// `subjects` guest buyer records, each with its own address, data key, order placed at
/// `placed_at` and consent, in a few set-based statements.
async fn seed(db: &Db, subjects: i64, placed_at: i64) -> anyhow::Result<()> {
    let (series, index) = match db.backend() {
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {subjects})"
            ),
            "CAST(printf('idx%09d', i) AS BLOB)",
        ),
        Backend::Postgres => (
            format!("WITH n(i) AS (SELECT generate_series(1, {subjects}))"),
            "convert_to('idx' || lpad(i::text, 9, '0'), 'UTF8')",
        ),
    };
    let bytes = match db.backend() {
        Backend::Sqlite => "X'00112233445566778899aabbccddeeff'",
        Backend::Postgres => "'\\x00112233445566778899aabbccddeeff'::bytea",
    };
    let statements = [
        format!(
            "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
             {series} SELECT 'g' || i, 'bench', {bytes}, 0 FROM n"
        ),
        format!(
            "INSERT INTO buyers (id, email_index, phone_index, email_sealed, name_sealed, \
             phone_sealed, created_at) {series} SELECT 'g' || i, {index}, {bytes}, {bytes}, \
             {bytes}, {bytes}, {placed_at} FROM n"
        ),
        format!(
            "INSERT INTO orders (id, number, buyer_id, status, subtotal, shipping_fee, total, \
             shipping_method, payment_method, ship_to_sealed, policy_version, placed_at) \
             {series} SELECT 'o' || i, 'HJ' || i, 'g' || i, 'placed', 100000, 30000, 130000, \
             'standard', 'cash_on_delivery', {bytes}, '2026-12-04', {placed_at} FROM n"
        ),
        format!(
            "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, \
             channel, at) {series} SELECT 'g' || i, 'marketing', true, '2026-12-04', \
             'wording', 'web', {placed_at} FROM n"
        ),
    ];
    for sql in statements {
        db.raw_execute(&sql, &[])
            .await
            .with_context(|| sql.clone())?;
    }
    if db.backend() == Backend::Postgres {
        // What autovacuum does on a live server after so many new rows (the bench's server
        // may have it off): without statistics, the planner reads whole tables to erase one
        // address.
        db.raw_execute("ANALYZE", &[]).await.context("ANALYZE")?;
    }
    Ok(())
}

fn retention(db: &Db) -> anyhow::Result<Retention> {
    let policy = Arc::new(Policy::embedded()?);
    let gate = Gate::new(db.clone(), policy, Vault::new(KeyRing::generate()));
    Ok(Retention::new(db.clone(), Arc::new(SystemClock), gate))
}

async fn all_due(db: &Db, label: &str, subjects: i64) -> anyhow::Result<()> {
    db.migrate().await?;
    let now = SystemClock.now();
    seed(db, subjects, now - 4 * 365 * DAY).await?;
    let started = Instant::now();
    let report = retention(db)?.run(now).await?;
    let took = started.elapsed();
    let expected = u64::try_from(subjects)?;
    ensure!(
        report
            == RetentionReport {
                addresses: expected,
                records: expected,
                orders_kept: subjects,
            },
        "{report:?}"
    );
    let live: i64 = db
        .raw_one(
            "SELECT COUNT(*) AS n FROM data_keys WHERE wrapped_key IS NOT NULL",
            &[],
        )
        .await?;
    ensure!(live == 0, "{live} data keys left");
    println!(
        "{label}: {subjects} guest subjects, all due: {:.2} s ({:.0} addresses/s, {} write \
         transactions)",
        took.as_secs_f64(),
        subjects as f64 / took.as_secs_f64().max(1e-9),
        (subjects + 199) / 200
    );
    Ok(())
}

async fn none_due(db: &Db, label: &str, subjects: i64, runs: usize) -> anyhow::Result<()> {
    db.migrate().await?;
    let now = SystemClock.now();
    seed(db, subjects, now - DAY).await?;
    let retention = retention(db)?;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let report = retention.run(now).await?;
        times.push(started.elapsed());
        ensure!(report == RetentionReport::default(), "{report:?}");
    }
    times.sort_unstable();
    println!(
        "{label}: {subjects} guest subjects, none due: median {:.1} ms over {runs} runs",
        times[times.len() / 2].as_secs_f64() * 1e3
    );
    Ok(())
}

async fn sqlite(case: &str) -> anyhow::Result<(tempfile::TempDir, Db)> {
    let dir = tempfile::tempdir()?;
    let url = format!(
        "sqlite://{}",
        dir.path().join(format!("{case}.db")).display()
    );
    let db = Db::connect(&url, 4).await?;
    Ok((dir, db))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let subjects = env_number("HANJINBI_BENCH_RETENTION_SUBJECTS", 100_000)?;
    let runs = usize::try_from(env_number("HANJINBI_BENCH_RETENTION_RUNS", 5)?)?.max(1);
    ensure!(
        subjects > 0,
        "HANJINBI_BENCH_RETENTION_SUBJECTS must be positive"
    );

    let (_dir, db) = sqlite("all-due").await?;
    all_due(&db, "SQLite", subjects).await?;
    db.close().await;
    let (_dir, db) = sqlite("none-due").await?;
    none_due(&db, "SQLite", subjects, runs).await?;
    db.close().await;

    if let Ok(admin) = std::env::var("HANJINBI_BENCH_POSTGRES_URL") {
        for case in ["all_due", "none_due"] {
            let name = format!("hj_bench_retention_{case}_{}", std::process::id());
            let url = create_postgres_database(&admin, &name).await?;
            let db = Db::connect(&url, 4).await?;
            let outcome = match case {
                "all_due" => all_due(&db, "PostgreSQL", subjects).await,
                _ => none_due(&db, "PostgreSQL", subjects, runs).await,
            };
            db.close().await;
            drop_postgres_database(&admin, &name).await?;
            outcome?;
        }
    }
    Ok(())
}
