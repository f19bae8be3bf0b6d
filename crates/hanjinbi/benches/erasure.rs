//! Erasure whatever the history's size: the statements that destroy every record made with an
//! address (`hanjinbi_store::erasure::erase_address`), timed for a buyer with 10 orders and
//! one with 10,000, each order from its own guest checkout (its own data key and buyer
//! record: the worst case), among 10,000 other buyers' orders.
//!
//! ```sh
//! cargo bench -p hanjinbi --bench erasure
//! HANJINBI_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo bench -p hanjinbi --bench erasure
//! ```
//!
//! Each timed erasure runs in a transaction that is rolled back, so every run erases the same
//! records; the figure is the median of `HANJINBI_BENCH_ERASURE_RUNS` runs (default 21),
//! commit excluded.

use anyhow::Context;
use hanjinbi_store::testing::{create_postgres_database, drop_postgres_database};
use hanjinbi_store::{Backend, Db};
use std::time::{Duration, Instant};

const OTHERS: i64 = 10_000;
const SIZES: [i64; 2] = [10, 10_000];

/// Rows `from..=to` of a buyer with `index`, each with its own key, buyer record, order and
/// consent, in a few set-based statements.
async fn seed(db: &Db, prefix: &str, index: &str, from: i64, to: i64) -> anyhow::Result<()> {
    let backend = db.backend();
    let series = match backend {
        Backend::Sqlite => format!(
            "WITH RECURSIVE n(i) AS (SELECT {from} UNION ALL SELECT i + 1 FROM n WHERE i < {to})"
        ),
        Backend::Postgres => format!("WITH n(i) AS (SELECT generate_series({from}, {to}))"),
    };
    let blob = |hex: &str| match backend {
        Backend::Sqlite => format!("X'{hex}'"),
        Backend::Postgres => format!("'\\x{hex}'::bytea"),
    };
    let bytes = blob("00112233445566778899aabbccddeeff");
    let index = blob(index);
    let statements = [
        format!(
            "INSERT INTO data_keys (subject_id, master_key_id, wrapped_key, created_at) \
             {series} SELECT '{prefix}' || i, 'bench', {bytes}, 0 FROM n"
        ),
        format!(
            "INSERT INTO buyers (id, email_index, phone_index, email_sealed, name_sealed, \
             phone_sealed, created_at) {series} SELECT '{prefix}' || i, {index}, {bytes}, \
             {bytes}, {bytes}, {bytes}, i FROM n"
        ),
        format!(
            "INSERT INTO orders (id, number, buyer_id, status, subtotal, shipping_fee, total, \
             shipping_method, payment_method, ship_to_sealed, policy_version, placed_at) \
             {series} SELECT 'o{prefix}' || i, 'HJ{prefix}' || i, '{prefix}' || i, 'placed', \
             100000, 30000, 130000, 'standard', 'cash_on_delivery', {bytes}, '2026-11-24', i \
             FROM n"
        ),
        format!(
            "INSERT INTO consents (subject_id, purpose, granted, policy_version, wording, \
             channel, at) {series} SELECT '{prefix}' || i, 'marketing', true, '2026-11-24', \
             'wording', 'web', i FROM n"
        ),
    ];
    for sql in statements {
        db.raw_execute(&sql, &[])
            .await
            .with_context(|| sql.clone())?;
    }
    Ok(())
}

async fn median_erasure(db: &Db, index: &[u8], runs: usize) -> anyhow::Result<(Duration, i64)> {
    let mut times = Vec::with_capacity(runs);
    let mut kept = 0;
    for _ in 0..runs {
        let mut tx = db.begin_write().await?;
        let started = Instant::now();
        let erased = hanjinbi_store::erasure::erase_address(&mut tx, index, None, 1).await?;
        times.push(started.elapsed());
        kept = erased.orders_kept;
        tx.rollback().await?;
    }
    times.sort_unstable();
    Ok((times[times.len() / 2], kept))
}

async fn run(db: &Db, label: &str, runs: usize) -> anyhow::Result<()> {
    db.migrate().await?;
    seed(db, "x", "ff", 1, OTHERS).await?;
    let mut from = 1;
    for (n, size) in SIZES.into_iter().enumerate() {
        let prefix = format!("b{n}");
        let index = format!("{n:02x}");
        seed(db, &prefix, &index, from, from + size - 1).await?;
        from += size;
        let index_bytes = vec![u8::try_from(n)?];
        let (median, kept) = median_erasure(db, &index_bytes, runs).await?;
        assert_eq!(kept, size, "every order of the address is counted");
        println!(
            "{label}: erasing a buyer with {size:>6} orders (own keys): median {:>8.3} ms over {runs} runs",
            median.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs = match std::env::var("HANJINBI_BENCH_ERASURE_RUNS") {
        Ok(text) => text.trim().parse().context("HANJINBI_BENCH_ERASURE_RUNS")?,
        Err(_) => 21,
    };
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url, 4).await?;
    run(&db, "SQLite", runs).await?;
    db.close().await;
    if let Ok(admin) = std::env::var("HANJINBI_BENCH_POSTGRES_URL") {
        let name = format!("hj_bench_erasure_{}", std::process::id());
        let url = create_postgres_database(&admin, &name).await?;
        let db = Db::connect(&url, 4).await?;
        let outcome = run(&db, "PostgreSQL", runs).await;
        db.close().await;
        drop_postgres_database(&admin, &name).await?;
        outcome?;
    }
    Ok(())
}
