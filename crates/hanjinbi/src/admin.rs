//! Operator commands: audit verification and key rotation.

use crate::cli::AuditCommand;
use anyhow::Context;
use hanjinbi_privacy::audit::{self, AuditAction, AuditError, AuditEvent, AuditKey};
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::{keys, Vault};
use hanjinbi_services::{Clock, SystemClock};
use hanjinbi_store::{subjects, Db};
use std::path::Path;
use std::time::Instant;

/// The audit commands. The key file is read before the database is opened: verification
/// needs its audit key, and a missing key file (or a folder that does not exist) fails here
/// instead of creating an empty database that would verify as intact.
pub async fn audit(
    database_url: &str,
    key_file: &Path,
    command: AuditCommand,
) -> anyhow::Result<()> {
    if let AuditCommand::AddKey = command {
        let db = open_existing(database_url).await?;
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
    let db = open_existing(database_url).await?;
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

fn verified(result: Result<audit::Verified, AuditError>) -> anyhow::Result<audit::Verified> {
    match result {
        Ok(verified) => Ok(verified),
        Err(AuditError::Broken { seq, reason }) => {
            anyhow::bail!("audit log BROKEN at entry {seq}: {reason}")
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens a database that must already exist (and brings its schema up to date).
async fn open_existing(database_url: &str) -> anyhow::Result<Db> {
    if let Some(path) = sqlite_file(database_url) {
        anyhow::ensure!(
            Path::new(path).exists(),
            "there is no database at {path}: check --data-dir or --database-url"
        );
    }
    let db = Db::connect(database_url, 2).await?;
    db.migrate().await?;
    Ok(db)
}

/// The file of a `sqlite:` URL, without its query.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}

/// Rotates the master key: writes the new ring first (so no wrapped key ever depends on a
/// key that is only in memory), then rewraps data keys in batches, each batch one
/// transaction with its audit entry.
pub async fn rotate_keys(db: &Db, key_file: &Path, retire_old: bool) -> anyhow::Result<()> {
    let ring = keys::load(key_file).context("cannot read the key file")?;
    let rotated = ring.rotated();
    keys::store(key_file, &rotated).context("cannot write the new key file")?;
    let vault = Vault::new(rotated.clone());
    let new_id = vault.current_master_id();
    let mut rewrapped = rewrap_all(db, &vault, &new_id).await?;
    if retire_old {
        // Servers re-read the key file within 10 seconds; until then they may still wrap new
        // data keys with the old master key. Wait, sweep again, and only then drop it.
        println!("waiting 15 s for running servers to pick up the new key file ...");
        tokio::time::sleep(std::time::Duration::from_secs(15)).await;
        rewrapped += rewrap_all(db, &vault, &new_id).await?;
        keys::store(key_file, &rotated.without_retired()).context("cannot write the key file")?;
    }
    println!(
        "rotated to master key {new_id}: {rewrapped} data keys rewrapped{}",
        if retire_old {
            "; earlier master keys removed from the file"
        } else {
            "; earlier master keys kept until `keys rotate --retire-old`"
        }
    );
    Ok(())
}

/// Rewraps, batch by batch, every live data key not yet under `new_id`.
async fn rewrap_all(db: &Db, vault: &Vault, new_id: &str) -> anyhow::Result<usize> {
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
            let wrapped = hanjinbi_privacy::vault::WrappedKey {
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
                at: SystemClock.now(),
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
