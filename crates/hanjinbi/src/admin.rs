//! Operator commands: audit verification and key rotation.

use crate::cli::AuditCommand;
use anyhow::Context;
use hanjinbi_privacy::audit::{self, AuditAction, AuditError, AuditEvent};
use hanjinbi_privacy::policy::{Actor, PurposeId};
use hanjinbi_privacy::{keys, Vault};
use hanjinbi_services::{Clock, SystemClock};
use hanjinbi_store::{subjects, Db};
use std::path::Path;
use std::time::Instant;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn audit(db: &Db, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Verify => {
            let started = Instant::now();
            match audit::verify(db).await {
                Ok(verified) => {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "audit log intact: {} entries, head {} ({:.0} entries/s)",
                        verified.count,
                        hex(&verified.head),
                        verified.count as f64 / secs.max(1e-9)
                    );
                    Ok(())
                }
                Err(AuditError::Broken { seq, reason }) => {
                    anyhow::bail!("audit log BROKEN at entry {seq}: {reason}")
                }
                Err(e) => Err(e.into()),
            }
        }
        AuditCommand::Head => {
            let (count, head) = audit::head(db).await?;
            println!("{count} {}", hex(&head));
            Ok(())
        }
    }
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
