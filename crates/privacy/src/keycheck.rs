//! The key-file check: nothing is sealed or opened until the key file is known to hold the
//! keys the database was sealed with.
//!
//! The database records a fingerprint of every master key and of the blind-index key
//! ([`crate::keys::Key::fingerprint`]). A key file whose keys differ (another shop's file, a
//! changed key) or that lacks a master key live data keys are wrapped under is refused, and
//! so is a missing key file when the database holds sealed data. New keys are made only for
//! a database that never held any, or by `hanjinbi keys init`.

use crate::keys::{self, KeyFileError, KeyKind, KeyRing};
use crate::vault::{Vault, WrappedKey};
use hanjinbi_store::keyring::{self, RecordedKey};
use hanjinbi_store::{Db, StoreError};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeyCheckError {
    #[error(
        "the key file {path} is missing, but this database holds sealed personal data: restore \
         that key file from its backup (the database expects {expects}). New keys are made \
         only for a database that holds no sealed data"
    )]
    Missing { path: PathBuf, expects: String },
    #[error(
        "the key file {path} does not hold the keys this database was sealed with: {what}. \
         Restore the key file that holds {expects}; with another shop's file or a changed key, \
         buyers' data could not be opened"
    )]
    Mismatch {
        path: PathBuf,
        what: String,
        expects: String,
    },
    #[error(
        "this database holds sealed personal data, so no new keys are made for it: restore \
         the key file {path} from its backup (the database expects {expects})"
    )]
    NotEmpty { path: PathBuf, expects: String },
    #[error(transparent)]
    KeyFile(#[from] KeyFileError),
    #[error("cannot read what the database records of its keys: {0}")]
    Store(#[from] StoreError),
}

/// Compares `ring`, read from `path`, with what the database records; records the keys it
/// does not know yet (a database sealed before fingerprints were kept is checked by opening
/// one data key under each master key instead).
pub async fn check(db: &Db, ring: &KeyRing, path: &Path, now: i64) -> Result<(), KeyCheckError> {
    let recorded = keyring::recorded(db).await?;
    let live = keyring::live_masters(db).await?;
    let mismatch = |what: String| KeyCheckError::Mismatch {
        path: path.to_owned(),
        what,
        expects: expectation(&recorded, &live),
    };
    compare(ring, &recorded).map_err(mismatch)?;
    for (id, count) in &live {
        let Some(_) = ring.master(id) else {
            return Err(mismatch(format!(
                "master key {id}, which wraps {count} data keys, is not in it"
            )));
        };
        if recorded.iter().any(|r| &r.key_id == id) {
            continue;
        }
        // Sealed before fingerprints were kept: the key must open what it wrapped.
        if let Some((subject, stored)) = keyring::one_live_key(db, id).await? {
            let Some(bytes) = stored.wrapped else {
                continue;
            };
            let wrapped = WrappedKey {
                master_key_id: stored.master_key_id,
                bytes,
            };
            if Vault::new(ring.clone())
                .unwrap_key(&subject, &wrapped)
                .is_err()
            {
                return Err(mismatch(format!(
                    "master key {id} does not open the data keys wrapped under it"
                )));
            }
        }
    }
    record(db, ring, now).await?;
    // Another server may have recorded other keys under the same ids at the same moment.
    let recorded = keyring::recorded(db).await?;
    compare(ring, &recorded).map_err(mismatch)?;
    Ok(())
}

/// Where the ring differs from the recorded fingerprints, in words.
fn compare(ring: &KeyRing, recorded: &[RecordedKey]) -> Result<(), String> {
    for (kind, id, fingerprint) in ring.fingerprints() {
        let Some(known) = recorded.iter().find(|r| r.key_id == id) else {
            continue;
        };
        if known.kind != kind.code() || known.fingerprint != fingerprint {
            return Err(match kind {
                KeyKind::Index => "its blind-index key is another one".to_owned(),
                KeyKind::Master => format!("its master key {id} is another key under that id"),
            });
        }
    }
    Ok(())
}

/// What the database expects, for messages: its master key ids and the blind-index key.
fn expectation(recorded: &[RecordedKey], live: &[(String, i64)]) -> String {
    let mut ids: Vec<&str> = recorded
        .iter()
        .filter(|r| r.kind == KeyKind::Master.code() && r.retired_at.is_none())
        .map(|r| r.key_id.as_str())
        .chain(live.iter().map(|(id, _)| id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        "the blind-index key it was sealed with".to_owned()
    } else {
        format!(
            "master key{} {} and the blind-index key it was sealed with",
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        )
    }
}

/// Records the fingerprint of every key of `ring` the database does not know yet.
pub async fn record(db: &Db, ring: &KeyRing, now: i64) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    for (kind, id, fingerprint) in ring.fingerprints() {
        keyring::record(&mut tx, &id, kind.code(), &fingerprint, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Whether the database was ever sealed with some key file: it holds a data key or an order,
/// or it records a key's fingerprint.
async fn sealed_with_keys(db: &Db) -> Result<Option<String>, StoreError> {
    let recorded = keyring::recorded(db).await?;
    let live = keyring::live_masters(db).await?;
    if !recorded.is_empty() || keyring::sealed_data_present(db).await? {
        return Ok(Some(expectation(&recorded, &live)));
    }
    Ok(None)
}

/// The key file at `path`, checked against the database. When there is no key file and the
/// database was never sealed, new keys are made, written (mode 0600) and recorded; the
/// second value says so, for the caller to warn loudly.
pub async fn load_checked(
    db: &Db,
    path: &Path,
    now: i64,
) -> Result<(KeyRing, bool), KeyCheckError> {
    if path.exists() {
        let ring = keys::load(path)?;
        check(db, &ring, path, now).await?;
        return Ok((ring, false));
    }
    if let Some(expects) = sealed_with_keys(db).await? {
        return Err(KeyCheckError::Missing {
            path: path.to_owned(),
            expects,
        });
    }
    let ring = KeyRing::generate();
    let _lock = keys::lock(path)?;
    match keys::create(path, &ring) {
        Ok(()) => {}
        // Another command made the file a moment ago: use that one.
        Err(KeyFileError::Exists { .. }) => {
            let ring = keys::load(path)?;
            check(db, &ring, path, now).await?;
            return Ok((ring, false));
        }
        Err(e) => return Err(e.into()),
    }
    check(db, &ring, path, now).await?;
    Ok((ring, true))
}

/// The key file at `path`, which must exist, checked against the database: for commands that
/// change keys or only look, which never make new ones.
pub async fn load_existing(db: &Db, path: &Path, now: i64) -> Result<KeyRing, KeyCheckError> {
    if !path.exists() {
        let recorded = keyring::recorded(db).await?;
        let live = keyring::live_masters(db).await?;
        return Err(KeyCheckError::Missing {
            path: path.to_owned(),
            expects: expectation(&recorded, &live),
        });
    }
    let ring = keys::load(path)?;
    check(db, &ring, path, now).await?;
    Ok(ring)
}

/// `hanjinbi keys init`: new keys for a database that holds no sealed data. Refuses when the
/// key file exists or when anything was sealed; forgets fingerprints of keys that never
/// sealed anything.
pub async fn init(db: &Db, path: &Path, now: i64) -> Result<KeyRing, KeyCheckError> {
    let _lock = keys::lock(path)?;
    if path.exists() {
        return Err(KeyFileError::Exists {
            path: path.to_owned(),
        }
        .into());
    }
    if keyring::sealed_data_present(db).await? {
        let recorded = keyring::recorded(db).await?;
        let live = keyring::live_masters(db).await?;
        return Err(KeyCheckError::NotEmpty {
            path: path.to_owned(),
            expects: expectation(&recorded, &live),
        });
    }
    let ring = KeyRing::generate();
    let mut tx = db.begin_write().await?;
    keyring::forget_all(&mut tx).await?;
    tx.commit().await?;
    keys::create(path, &ring)?;
    check(db, &ring, path, now).await?;
    Ok(ring)
}
