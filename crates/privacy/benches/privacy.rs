//! Micro-benchmarks of the privacy primitives: sealing and opening one field, the blind
//! index, wrapping and unwrapping a data key, and audit chain verification throughput.
//!
//! Opening is crate-private, so this bench needs the `bench-internals` feature, which shipped
//! builds never enable:
//!
//! ```sh
//! cargo bench -p hanjinbi-privacy --features bench-internals --bench privacy
//! ```
//!
//! The machines here have two shared cores: compare figures measured in the same run, not
//! across runs.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, SamplingMode, Throughput};
use hanjinbi_privacy::audit::{
    entry_hash, AuditKey, Verifier, FORMAT_KEYED, FORMAT_UNKEYED, GENESIS,
};
use hanjinbi_privacy::bench_internals::open;
use hanjinbi_privacy::gate::slots;
use hanjinbi_privacy::keys::Key;
use hanjinbi_privacy::keys::KeyRing;
use hanjinbi_privacy::records::new_id;
use hanjinbi_privacy::vault::{seal, IndexKind};
use hanjinbi_privacy::Vault;
use hanjinbi_store::audit::AuditRow;
use std::hint::black_box;
use std::time::Duration;

/// A typical email address: 21 bytes.
const EMAIL: &str = "lan.nguyen@example.vn";

/// How many entries the chain verification bench checks per iteration.
const CHAIN_LEN: i64 = 1_000_000;

fn vault_ops(c: &mut Criterion) {
    let vault = Vault::new(KeyRing::generate());
    let subject = new_id();
    let (key, wrapped) = vault.new_data_key(&subject).expect("a new data key");
    let slot = slots::buyer(&subject, "email");
    let sealed = seal(&key, slot, EMAIL).expect("sealed");
    assert_eq!(open(&key, slot, &sealed).as_deref(), Ok(EMAIL));

    let mut g = c.benchmark_group("vault");
    g.sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    g.bench_function("seal email (21 B)", |b| {
        b.iter(|| seal(black_box(&key), black_box(slot), black_box(EMAIL)))
    });
    g.bench_function("open email (21 B)", |b| {
        b.iter(|| open(black_box(&key), black_box(slot), black_box(&sealed)))
    });
    g.bench_function("blind index of email", |b| {
        b.iter(|| vault.blind_index(IndexKind::Email, black_box(EMAIL)))
    });
    g.bench_function("new data key (generate + wrap)", |b| {
        b.iter(|| vault.new_data_key(black_box(&subject)))
    });
    g.bench_function("unwrap data key", |b| {
        b.iter(|| vault.unwrap_key(black_box(&subject), black_box(&wrapped)))
    });
    g.finish();
}

/// A valid chain of `n` entries shaped like the ones a checkout writes: sealing the buyer's
/// contact, sealing the delivery details, and a consent.
fn chain(n: i64, key: Option<&AuditKey>) -> Vec<AuditRow> {
    let mut prev = GENESIS.to_vec();
    let mut rows = Vec::with_capacity(usize::try_from(n).unwrap_or_default());
    let mut subject = new_id();
    for seq in 1..=n {
        let (actor, purpose, action, fields) = match seq % 3 {
            1 => {
                subject = new_id();
                ("system", "order_fulfilment", "seal", "email,name,phone")
            }
            2 => ("system", "order_fulfilment", "seal", "ship_to"),
            _ => ("buyer", "marketing", "consent", "granted"),
        };
        let mut row = AuditRow {
            seq,
            format: if key.is_some() {
                FORMAT_KEYED
            } else {
                FORMAT_UNKEYED
            },
            at: 1_760_000_000 + seq / 3,
            who: format!("cart:{subject}"),
            actor: actor.into(),
            purpose: purpose.into(),
            action: action.into(),
            subject: subject.clone(),
            fields: fields.into(),
            prev_hash: prev,
            hash: Vec::new(),
        };
        row.hash = match key {
            Some(key) => key.entry_mac(&row.prev_hash, &row).to_vec(),
            None => entry_hash(&row.prev_hash, &row).to_vec(),
        };
        prev = row.hash.clone();
        rows.push(row);
    }
    rows
}

fn audit_verification(c: &mut Criterion) {
    let key = AuditKey::new(&Key::random(), 0);
    // Format 1 (unkeyed, entries from before the audit key) and format 2 (keyed), measured in
    // the same run so their ratio holds on a noisy machine.
    let unkeyed = chain(CHAIN_LEN, None);
    let keyed = chain(CHAIN_LEN, Some(&key));

    let mut g = c.benchmark_group("audit");
    g.throughput(Throughput::Elements(1))
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    let first = keyed
        .first()
        .cloned()
        .unwrap_or_else(|| chain(1, Some(&key)).remove(0));
    g.bench_function("entry hash (format 1, unkeyed)", |b| {
        b.iter(|| entry_hash(black_box(&first.prev_hash), black_box(&first)))
    });
    g.bench_function("entry MAC (format 2, keyed)", |b| {
        b.iter(|| key.entry_mac(black_box(&first.prev_hash), black_box(&first)))
    });

    g.throughput(Throughput::Elements(CHAIN_LEN as u64))
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    for (name, rows, verifier_key) in [
        (
            "verify chain of 1,000,000 in memory, format 1",
            &unkeyed,
            AuditKey::new(&Key::random(), CHAIN_LEN),
        ),
        (
            "verify chain of 1,000,000 in memory, format 2",
            &keyed,
            key.clone(),
        ),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched_ref(
                || Verifier::new(verifier_key.clone()),
                |verifier| {
                    for row in rows {
                        verifier.check(row).expect("the chain is valid");
                    }
                    assert_eq!(verifier.count(), CHAIN_LEN);
                },
                BatchSize::PerIteration,
            )
        });
        let mut verifier = Verifier::new(verifier_key.clone());
        for row in rows {
            verifier.check(row).expect("the chain is valid");
        }
        let head = rows.last().map(|r| r.hash.clone()).unwrap_or_default();
        let verified = verifier.finish(CHAIN_LEN, &head).expect("the head matches");
        assert_eq!(verified.count, CHAIN_LEN);
    }
    g.finish();
}

/// Argon2id at the parameters accounts use: a sign-in costs one verification, a registration
/// or password change one hash. Their rate on one core bounds sign-ins per second per core.
fn passwords(c: &mut Criterion) {
    use hanjinbi_domain::password::{NewPassword, Password};
    use hanjinbi_privacy::credentials::{hash_password, verify_password};
    let new = NewPassword::parse("trăng sáng trên sông Hương", None).expect("a valid password");
    let typed = Password::parse("trăng sáng trên sông Hương").expect("a password");
    let stored = hash_password(&new).expect("hashed");
    let mut group = c.benchmark_group("passwords");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("argon2id_hash", |b| {
        b.iter(|| hash_password(&new).expect("hashed"))
    });
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| verify_password(&typed, stored.as_stored()).expect("verified"))
    });
    group.finish();
}

criterion_group!(benches, vault_ops, audit_verification, passwords);
criterion_main!(benches);
