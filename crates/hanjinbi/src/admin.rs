//! Operator commands: audit verification, the key file (init, check, rotation), and the
//! retention run.

use crate::cli::AuditCommand;
use anyhow::Context;
use hanjinbi_privacy::audit::{self, AuditAction, AuditError, AuditEvent, AuditKey};
use hanjinbi_privacy::gate::Gate;
use hanjinbi_privacy::keys::{self, KeyRing};
use hanjinbi_privacy::policy::Policy;
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::vault::WrappedKey;
use hanjinbi_privacy::{keycheck, Vault};
use hanjinbi_services::retention::{Retention, RetentionReport};
use hanjinbi_services::Clock;
use hanjinbi_store::keyring::{self, Retirement};
use hanjinbi_store::{subjects, Db};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The audit commands. The database must exist (a folder that does not exist fails here
/// instead of getting an empty database that would verify as intact); verification needs the
/// key file's audit key.
pub async fn audit(
    database_url: &str,
    key_file: &Path,
    command: AuditCommand,
) -> anyhow::Result<()> {
    let db = open_existing(database_url).await?;
    if let AuditCommand::AddKey = command {
        let head = audit::head(&db).await?;
        keys::add_audit_key(key_file, head.count)?;
        eprintln!(
            "ADDED AN AUDIT KEY to {}. The {} entries already in the audit log stay unkeyed \
             (format 1) and still verify; every new entry is keyed. Back up the key file again \
             now: without it the audit log can no longer be verified.",
            key_file.display(),
            head.count
        );
        return Ok(());
    }
    let ring = keys::load(key_file).context("cannot read the key file")?;
    let key = AuditKey::new(&ring.audit_key, ring.audit_unkeyed);
    match command {
        AuditCommand::Verify { expect } => {
            let started = Instant::now();
            let anchored = expect.is_some();
            let verified = verified(audit::verify(&db, key, expect).await)?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "audit log intact{}: {} entries ({} unkeyed from before the audit key), head {} ({:.0} entries/s)",
                if anchored { " and holds the expected head" } else { "" },
                verified.count,
                verified.unkeyed,
                verified.anchor(),
                verified.count as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        AuditCommand::Head => {
            let verified = verified(audit::verify(&db, key, None).await)?;
            println!("{}", verified.anchor());
            Ok(())
        }
        AuditCommand::AddKey => Ok(()),
    }
}

/// Opens a database that must already exist (and brings its schema up to date).
async fn open_existing(database_url: &str) -> anyhow::Result<Db> {
    let db = Db::open_existing(database_url, 2).await?;
    db.migrate().await?;
    Ok(db)
}

fn verified(result: Result<audit::Verified, AuditError>) -> anyhow::Result<audit::Verified> {
    match result {
        Ok(verified) => Ok(verified),
        Err(AuditError::Broken { seq, reason }) => {
            anyhow::bail!("audit log BROKEN at entry {seq}: {reason}")
        }
        Err(e) => Err(e.into()),
    }
}

/// How `keys rotate` runs.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Remove earlier master keys from the file once nothing uses them.
    pub retire_old: bool,
    /// How long to wait for running servers to take up the new master key before refusing
    /// to retire the old ones.
    pub wait_for_servers: Duration,
    /// How often to look again while waiting.
    pub poll: Duration,
}

impl RotateOptions {
    pub fn new(retire_old: bool) -> RotateOptions {
        RotateOptions {
            retire_old,
            // Servers look at the key file every 10 s: three rounds.
            wait_for_servers: Duration::from_secs(30),
            poll: Duration::from_secs(1),
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub new_master: String,
    pub rewrapped: usize,
    /// Data keys checked to open under the key file as it is on disk afterwards.
    pub verified: usize,
    pub retired: Vec<String>,
}

/// A server that has not renewed its row for this long has stopped.
fn holder_fresh_secs() -> i64 {
    3 * i64::try_from(crate::server::KEY_WATCH_EVERY.as_secs()).unwrap_or(i64::MAX / 4)
}

/// Rotates the master key under the key file's lock (a second rotation is refused while one
/// runs). The new key's fingerprint is recorded before the file is written (through a fresh
/// 0600 temporary file, renamed into place); then every data key is rewrapped, in batches of
/// one transaction each with its audit entry, and success is reported only once every live
/// data key opens under the key file read back from disk. With `retire_old`, earlier master
/// keys are removed only when no running server wraps new data keys under them and no data
/// key is wrapped under them.
pub async fn rotate_keys(
    db: &Db,
    key_file: &Path,
    options: &RotateOptions,
    clock: &dyn Clock,
) -> anyhow::Result<Rotation> {
    let _lock = keys::lock(key_file)?;
    let ring = keycheck::load_existing(db, key_file, clock.now()).await?;
    let rotated = ring.rotated();
    // Recorded first: a key file holding this master key is then always recognised.
    keycheck::record(db, &rotated, clock.now()).await?;
    keys::store(key_file, &rotated).context("cannot write the new key file")?;
    let on_disk = read_back(key_file, &rotated)?;
    let vault = Vault::new(on_disk.clone());
    let new_master = vault.current_master_id();
    let rewrapped = rewrap_all(db, &vault, &new_master, clock).await?;
    let mut verified = verify_all_open(db, &on_disk, key_file).await?;
    let mut retired = Vec::new();
    if options.retire_old {
        let done = || {
            format!(
                "rotated to master key {new_master} ({rewrapped} data keys rewrapped, every one \
                 checked to open under the key file on disk)"
            )
        };
        let old: Vec<String> = on_disk
            .masters
            .iter()
            .map(|(id, _)| id.clone())
            .filter(|id| id != &new_master)
            .collect();
        wait_for_servers(db, &new_master, options, clock)
            .await
            .with_context(done)?;
        // A server that wrapped a key under an old master just before it moved on.
        rewrap_all(db, &vault, &new_master, clock).await?;
        match keyring::retire(db, &old, clock.now()).await? {
            Retirement::Retired => {}
            Retirement::StillInUse(in_use) => {
                return Err(anyhow::anyhow!(
                    "no master key was retired: data keys are still wrapped under {}; run \
                     `hanjinbi keys rotate --retire-old` again",
                    describe(&in_use)
                ))
                .with_context(done)
            }
        }
        let kept = on_disk.without(&old);
        keys::store(key_file, &kept).context("cannot write the key file")?;
        let on_disk = read_back(key_file, &kept)?;
        verified = verify_all_open(db, &on_disk, key_file).await?;
        retired = old;
    }
    Ok(Rotation {
        new_master,
        rewrapped,
        verified,
        retired,
    })
}

/// Reads the key file back and makes sure it is the ring just written.
fn read_back(key_file: &Path, written: &KeyRing) -> anyhow::Result<KeyRing> {
    let on_disk = keys::load(key_file).context("cannot read back the key file just written")?;
    if !on_disk.same_as(written) {
        anyhow::bail!(
            "the key file {} on disk is not the one just written; another program changed it. \
             Check it before anything else is sealed",
            key_file.display()
        );
    }
    Ok(on_disk)
}

fn describe(in_use: &[(String, i64)]) -> String {
    in_use
        .iter()
        .map(|(id, n)| format!("{id} ({n} data keys)"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Waits until no running server wraps new data keys under a master key other than
/// `current`, or refuses once `options.wait_for_servers` has passed.
async fn wait_for_servers(
    db: &Db,
    current: &str,
    options: &RotateOptions,
    clock: &dyn Clock,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + options.wait_for_servers;
    loop {
        let since = clock.now().saturating_sub(holder_fresh_secs());
        let behind = keyring::holders_not_on(db, current, since).await?;
        if behind.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            let masters: std::collections::BTreeSet<&str> =
                behind.iter().map(|(_, m)| m.as_str()).collect();
            anyhow::bail!(
                "no master key was retired: {} running server(s) still wrap new data keys under \
                 {}. Servers re-read the key file every {} s; run `hanjinbi keys rotate \
                 --retire-old` again once they have (or restart them)",
                behind.len(),
                masters.into_iter().collect::<Vec<_>>().join(", "),
                crate::server::KEY_WATCH_EVERY.as_secs()
            );
        }
        println!(
            "waiting for {} running server(s) to take up master key {current} ...",
            behind.len()
        );
        tokio::time::sleep(options.poll).await;
    }
}

/// Opens every live data key under `ring`; fails naming how many do not open.
async fn verify_all_open(db: &Db, ring: &KeyRing, key_file: &Path) -> anyhow::Result<usize> {
    let vault = Vault::new(ring.clone());
    let mut after = String::new();
    let mut opened = 0usize;
    let mut failed = 0usize;
    loop {
        let page = keyring::live_keys_after(db, &after, 1000).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.clone();
        for (subject, stored) in &page {
            let Some(bytes) = stored.wrapped.clone() else {
                continue;
            };
            let wrapped = WrappedKey {
                master_key_id: stored.master_key_id.clone(),
                bytes,
            };
            match vault.unwrap_key(subject, &wrapped) {
                Ok(_) => opened += 1,
                Err(_) => failed += 1,
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} data keys do not open under the key file {} as it is on disk; keep every \
             copy of earlier key files until this is resolved",
            key_file.display()
        );
    }
    Ok(opened)
}

/// `hanjinbi retention run`: erases now the records of every guest address whose period from
/// its last order has ended (see `hanjinbi_services::retention`). The database must exist, and
/// the key file is checked against it first, as `serve` does: the run writes its audit entries
/// under the key file's audit key, which must be this shop's.
pub async fn run_retention(
    database_url: &str,
    key_file: &Path,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<RetentionReport> {
    let db = open_existing(database_url).await?;
    let ring = keycheck::load_existing(&db, key_file, clock.now())
        .await
        .context("the key file cannot be used with this database; nothing was erased")?;
    let policy = Arc::new(Policy::embedded().context("the privacy policy is invalid")?);
    let gate = Gate::new(db.clone(), policy, Vault::new(ring));
    let now = clock.now();
    let outcome = Retention::new(db.clone(), clock, gate).run(now).await;
    db.close().await;
    Ok(outcome?)
}

/// `hanjinbi keys init`: a new key file for a database that holds no sealed data.
pub async fn init_keys(db: &Db, key_file: &Path, clock: &dyn Clock) -> anyhow::Result<KeyRing> {
    Ok(keycheck::init(db, key_file, clock.now()).await?)
}

/// `hanjinbi keys check`: whether the key file holds the keys the database was sealed with.
pub async fn check_keys(db: &Db, key_file: &Path, clock: &dyn Clock) -> anyhow::Result<()> {
    keycheck::load_existing(db, key_file, clock.now()).await?;
    Ok(())
}

/// Rewraps, batch by batch, every live data key not yet under `new_id`.
async fn rewrap_all(
    db: &Db,
    vault: &Vault,
    new_id: &str,
    clock: &dyn Clock,
) -> anyhow::Result<usize> {
    let mut rewrapped = 0usize;
    loop {
        let batch = subjects::keys_not_wrapped_by(db, new_id, 500).await?;
        if batch.is_empty() {
            break;
        }
        let mut tx = db.begin_write().await?;
        for (subject, stored) in &batch {
            let Some(bytes) = stored.wrapped.clone() else {
                continue;
            };
            let wrapped = WrappedKey {
                master_key_id: stored.master_key_id.clone(),
                bytes,
            };
            let new = vault
                .rewrap(subject, &wrapped)
                .with_context(|| format!("cannot unwrap the data key of subject {subject}"))?;
            if subjects::rewrap_key(
                &mut tx,
                subject,
                &stored.master_key_id,
                &new.master_key_id,
                &new.bytes,
            )
            .await?
            {
                rewrapped += 1;
            }
        }
        audit::append(
            &mut tx,
            &vault.audit_key(),
            "system:key-rotation",
            AuditEvent {
                at: clock.now(),
                actor: Actor::Owner.code(),
                purpose: PurposeId::LegalObligations.code(),
                action: AuditAction::KeyRotation,
                subject: new_id,
                fields: &["data_keys"],
            },
        )
        .await?;
        tx.commit().await?;
    }
    Ok(rewrapped)
}
