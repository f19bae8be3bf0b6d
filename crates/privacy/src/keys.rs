//! The operator's key file: master keys that wrap every buyer's data key, and the key of the
//! blind index used to find buyers by email or phone.
//!
//! The file is TOML. It holds one current master key (new data keys are wrapped with it) and
//! any earlier ones still needed to unwrap keys not yet rewrapped after a rotation. The
//! server refuses a file that other users can read.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

pub const KEY_BYTES: usize = 32;

#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the key file {path} can be read by other users (mode {mode:o}); run `chmod 600 {path}`"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the key file {path} is malformed: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "the key file {path} has no audit key (it was written by an earlier version); stop the \
         shop, run `hanjinbi audit add-key` once, then back the key file up again"
    )]
    NoAuditKey { path: PathBuf },
    #[error("the key file {path} already has an audit key")]
    HasAuditKey { path: PathBuf },
}

/// A 256-bit secret key. Wiped from memory when dropped; never printed.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; KEY_BYTES]>);

impl Key {
    pub fn random() -> Key {
        let mut bytes = Zeroizing::new([0u8; KEY_BYTES]);
        rand::rng().fill_bytes(bytes.as_mut());
        Key(bytes)
    }

    pub(crate) fn from_bytes(bytes: [u8; KEY_BYTES]) -> Key {
        Key(Zeroizing::new(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; KEY_BYTES] {
        &self.0
    }

    fn encode(&self) -> String {
        STANDARD.encode(self.0.as_ref())
    }

    fn decode(text: &str) -> Option<Key> {
        let mut bytes = STANDARD.decode(text.trim()).ok()?;
        let key = <[u8; KEY_BYTES]>::try_from(bytes.as_slice())
            .ok()
            .map(Key::from_bytes);
        bytes.zeroize();
        key
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(<secret>)")
    }
}

/// The keys the vault works with.
#[derive(Debug, Clone)]
pub struct KeyRing {
    /// Id of the master key that wraps new data keys.
    pub current: String,
    /// Every master key by id, the current one included.
    pub masters: Vec<(String, Key)>,
    pub index_key: Key,
    /// The key of the audit chain's MACs, which the database never holds.
    pub audit_key: Key,
    /// Entries of the audit log written before the ring had an audit key; they may be
    /// unkeyed, no later entry may.
    pub audit_unkeyed: i64,
}

impl KeyRing {
    /// A new ring with fresh random keys.
    pub fn generate() -> KeyRing {
        let id = new_key_id();
        KeyRing {
            current: id.clone(),
            masters: vec![(id, Key::random())],
            index_key: Key::random(),
            audit_key: Key::random(),
            audit_unkeyed: 0,
        }
    }

    pub fn master(&self, id: &str) -> Option<&Key> {
        self.masters.iter().find(|(i, _)| i == id).map(|(_, k)| k)
    }

    pub fn current_master(&self) -> (&str, &Key) {
        let key = self
            .master(&self.current)
            .or_else(|| self.masters.first().map(|(_, k)| k));
        // `parse` and `generate` guarantee the current id names one of the masters.
        match key {
            Some(key) => (&self.current, key),
            None => unreachable!("a key ring always holds its current master key"),
        }
    }

    /// A ring whose current master key is new; the earlier ones stay for unwrapping.
    pub fn rotated(&self) -> KeyRing {
        let id = new_key_id();
        let mut masters = vec![(id.clone(), Key::random())];
        masters.extend(self.masters.iter().cloned());
        KeyRing {
            current: id,
            masters,
            index_key: self.index_key.clone(),
            audit_key: self.audit_key.clone(),
            audit_unkeyed: self.audit_unkeyed,
        }
    }

    /// The same ring without master keys other than the current one.
    pub fn without_retired(&self) -> KeyRing {
        let (id, key) = self.current_master();
        KeyRing {
            current: id.to_owned(),
            masters: vec![(id.to_owned(), key.clone())],
            index_key: self.index_key.clone(),
            audit_key: self.audit_key.clone(),
            audit_unkeyed: self.audit_unkeyed,
        }
    }
}

fn new_key_id() -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("mk-{hex}")
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileText {
    current: String,
    index_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audit_unkeyed_entries: Option<i64>,
    master_keys: Vec<MasterKeyText>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MasterKeyText {
    id: String,
    key: String,
}

const HEADER: &str =
    "# Hanjinbi keys. Whoever holds this file and a copy of the database can read\n\
# buyers' personal data: keep it secret, back it up apart from the database, mode 0600.\n";

pub fn parse(text: &str, path: &Path) -> Result<KeyRing, KeyFileError> {
    parse_with(text, path, || {
        Err(KeyFileError::NoAuditKey {
            path: path.to_owned(),
        })
    })
}

/// Parses a key file; `no_audit_key` decides what a file without an audit key gets.
fn parse_with(
    text: &str,
    path: &Path,
    no_audit_key: impl FnOnce() -> Result<(Key, i64), KeyFileError>,
) -> Result<KeyRing, KeyFileError> {
    let malformed = |reason: String| KeyFileError::Malformed {
        path: path.to_owned(),
        reason,
    };
    let file: KeyFileText = toml::from_str(text).map_err(|e| malformed(e.message().to_owned()))?;
    let index_key = Key::decode(&file.index_key)
        .ok_or_else(|| malformed("index_key is not 32 bytes of base64".into()))?;
    let mut masters = Vec::new();
    for m in &file.master_keys {
        if m.id.is_empty() || !m.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(malformed(format!(
                "master key id {:?} is not a plain identifier",
                m.id
            )));
        }
        if masters.iter().any(|(id, _)| id == &m.id) {
            return Err(malformed(format!("master key {} appears twice", m.id)));
        }
        let key = Key::decode(&m.key)
            .ok_or_else(|| malformed(format!("master key {} is not 32 bytes of base64", m.id)))?;
        masters.push((m.id.clone(), key));
    }
    if !masters.iter().any(|(id, _)| id == &file.current) {
        return Err(malformed(format!(
            "the current master key {} is not in the file",
            file.current
        )));
    }
    let (audit_key, audit_unkeyed) = match (&file.audit_key, file.audit_unkeyed_entries) {
        (Some(text), Some(unkeyed)) if unkeyed >= 0 => (
            Key::decode(text)
                .ok_or_else(|| malformed("audit_key is not 32 bytes of base64".into()))?,
            unkeyed,
        ),
        (None, None) => no_audit_key()?,
        _ => {
            return Err(malformed(
                "audit_key and audit_unkeyed_entries (a count, 0 or more) go together".into(),
            ))
        }
    };
    Ok(KeyRing {
        current: file.current,
        masters,
        index_key,
        audit_key,
        audit_unkeyed,
    })
}

/// Adds an audit key to a key file written before audit keys existed. `unkeyed_entries` is
/// the number of audit entries already written (unkeyed): those stay verifiable as they are,
/// and no later entry may be unkeyed. Refuses a file that already has an audit key.
pub fn add_audit_key(path: &Path, unkeyed_entries: i64) -> Result<KeyRing, KeyFileError> {
    check_permissions(path)?;
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                path: path.to_owned(),
                source,
            })?,
        );
    let mut added = false;
    let ring = parse_with(&text, path, || {
        added = true;
        Ok((Key::random(), unkeyed_entries.max(0)))
    })?;
    if !added {
        return Err(KeyFileError::HasAuditKey {
            path: path.to_owned(),
        });
    }
    store(path, &ring)?;
    Ok(ring)
}

pub fn render(ring: &KeyRing) -> Zeroizing<String> {
    let file = KeyFileText {
        current: ring.current.clone(),
        index_key: ring.index_key.encode(),
        audit_key: Some(ring.audit_key.encode()),
        audit_unkeyed_entries: Some(ring.audit_unkeyed),
        master_keys: ring
            .masters
            .iter()
            .map(|(id, key)| MasterKeyText {
                id: id.clone(),
                key: key.encode(),
            })
            .collect(),
    };
    // Serialising plain strings and tables cannot fail.
    let body = toml::to_string(&file).unwrap_or_default();
    Zeroizing::new(format!("{HEADER}{body}"))
}

/// Reads the key file, refusing one that group or others may read.
pub fn load(path: &Path) -> Result<KeyRing, KeyFileError> {
    check_permissions(path)?;
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                path: path.to_owned(),
                source,
            })?,
        );
    parse(&text, path)
}

/// Writes `ring` to `path` atomically (a new file renamed over the old) with mode 0600.
pub fn store(path: &Path, ring: &KeyRing) -> Result<(), KeyFileError> {
    let write_err = |source| KeyFileError::Write {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp).map_err(write_err)?;
    file.write_all(render(ring).as_bytes()).map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)?;
    Ok(())
}

/// Loads the key file, or creates one with new keys when there is none. Returns whether it
/// was created, so the caller can warn loudly.
pub fn load_or_create(path: &Path) -> Result<(KeyRing, bool), KeyFileError> {
    if path.exists() {
        return load(path).map(|ring| (ring, false));
    }
    let ring = KeyRing::generate();
    store(path, &ring)?;
    Ok((ring, true))
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_created_key_file_is_private_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let (ring, created) = load_or_create(&path).unwrap();
        assert!(created);
        let (again, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(ring.current, again.current);
        assert_eq!(
            ring.current_master().1.bytes(),
            again.current_master().1.bytes()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        store(&path, &KeyRing::generate()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::TooOpen { .. }));
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        let path = Path::new("k.toml");
        let good = render(&KeyRing::generate()).to_string();
        assert!(parse(&good, path).is_ok());
        let cases = [
            (
                good.replace("current = \"mk-", "current = \"xx-"),
                "not in the file",
            ),
            (
                good.replacen("index_key = \"", "index_key = \"AAAA", 1),
                "index_key",
            ),
            (format!("{good}\nextra = 1\n"), "unknown field"),
        ];
        for (text, expected) in cases {
            let err = parse(&text, path).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn a_new_ring_has_an_audit_key_that_survives_rendering_and_rotation() {
        let path = Path::new("k.toml");
        let ring = KeyRing::generate();
        let again = parse(&render(&ring), path).unwrap();
        assert_eq!(again.audit_key.bytes(), ring.audit_key.bytes());
        assert_eq!(again.audit_unkeyed, 0);
        let rotated = ring.rotated().without_retired();
        assert_eq!(rotated.audit_key.bytes(), ring.audit_key.bytes());
    }

    #[test]
    fn a_key_file_without_an_audit_key_is_refused_until_one_is_added_explicitly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        store(&path, &KeyRing::generate()).unwrap();
        let old: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("audit_"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&path, &old).unwrap();
        let refused = load(&path).unwrap_err();
        assert!(matches!(refused, KeyFileError::NoAuditKey { .. }));
        assert!(refused.to_string().contains("hanjinbi audit add-key"));

        let added = add_audit_key(&path, 42).unwrap();
        assert_eq!(added.audit_unkeyed, 42);
        let loaded = load(&path).unwrap();
        assert_eq!(loaded.audit_key.bytes(), added.audit_key.bytes());
        assert!(matches!(
            add_audit_key(&path, 42),
            Err(KeyFileError::HasAuditKey { .. })
        ));
    }

    #[test]
    fn an_audit_key_without_its_unkeyed_count_is_malformed() {
        let path = Path::new("k.toml");
        let good = render(&KeyRing::generate()).to_string();
        let text: String = good
            .lines()
            .filter(|l| !l.starts_with("audit_unkeyed_entries"))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = parse(&text, path).unwrap_err().to_string();
        assert!(err.contains("go together"), "{err}");
    }

    #[test]
    fn keys_never_print() {
        let ring = KeyRing::generate();
        let shown = format!("{ring:?}");
        assert!(!shown.contains(&ring.index_key.encode()));
        assert!(shown.contains("<secret>"));
    }

    #[test]
    fn rotation_keeps_earlier_masters_until_retired() {
        let ring = KeyRing::generate();
        let rotated = ring.rotated();
        assert_ne!(rotated.current, ring.current);
        assert!(rotated.master(&ring.current).is_some());
        assert!(rotated.without_retired().master(&ring.current).is_none());
    }
}
