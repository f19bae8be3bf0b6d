//! The operator's key file: master keys that wrap every buyer's data key, and the key of the
//! blind index used to find buyers by email or phone.
//!
//! The file is TOML. It holds one current master key (new data keys are wrapped with it) and
//! any earlier ones still needed to unwrap keys not yet rewrapped after a rotation. The
//! server refuses a file that other users can read.
//!
//! Writes go through a fresh temporary file (mode 0600) in the same folder, synced and then
//! renamed over the old file, and the folder is synced too: a crash leaves either the old
//! file or the new one. Writers take the lock file beside the key file ([`lock`]) so two
//! rotations never interleave.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hanjinbi_store::create_private_dir;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
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
        "the key file {path} would have been written empty or incomplete; nothing was written"
    )]
    Render { path: PathBuf },
    #[error(
        "another command is changing the key file {path} (its lock file {lock} is held); \
         wait for it to finish and try again"
    )]
    Busy { path: PathBuf, lock: PathBuf },
    #[error("the key file {path} already exists; nothing was written")]
    Exists { path: PathBuf },
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

/// What a fingerprint is of: part of its input, so equal bytes used as different keys give
/// different fingerprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Master,
    Index,
}

impl KeyKind {
    pub fn code(self) -> &'static str {
        match self {
            KeyKind::Master => "master",
            KeyKind::Index => "index",
        }
    }
}

/// The id under which the blind-index key's fingerprint is recorded.
pub const INDEX_KEY_ID: &str = "index";

impl Key {
    /// A fingerprint to record in the database: an HMAC under the key itself of its kind
    /// and id. It tells whether a key file holds the same key, and cannot be turned back
    /// into the key.
    pub fn fingerprint(&self, kind: KeyKind, id: &str) -> Vec<u8> {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.bytes()) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(b"hanjinbi/v1/key-fingerprint\0");
        mac.update(kind.code().as_bytes());
        mac.update(b"\0");
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().to_vec()
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

    /// The master key that wraps new data keys; `None` for a ring built by hand whose current
    /// id names none of its masters (never another key in its place: what it wrapped would be
    /// labelled with the wrong id and could not be opened).
    pub fn current_master(&self) -> Option<(&str, &Key)> {
        self.master(&self.current)
            .map(|key| (self.current.as_str(), key))
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

    /// The same ring without the master keys named in `retired` (never the current one).
    pub fn without(&self, retired: &[String]) -> KeyRing {
        KeyRing {
            current: self.current.clone(),
            masters: self
                .masters
                .iter()
                .filter(|(id, _)| id == &self.current || !retired.contains(id))
                .cloned()
                .collect(),
            index_key: self.index_key.clone(),
            audit_key: self.audit_key.clone(),
            audit_unkeyed: self.audit_unkeyed,
        }
    }

    /// Every key's kind, id and fingerprint: the masters, then the blind-index key.
    pub fn fingerprints(&self) -> Vec<(KeyKind, String, Vec<u8>)> {
        let mut all: Vec<_> = self
            .masters
            .iter()
            .map(|(id, key)| {
                (
                    KeyKind::Master,
                    id.clone(),
                    key.fingerprint(KeyKind::Master, id),
                )
            })
            .collect();
        all.push((
            KeyKind::Index,
            INDEX_KEY_ID.to_owned(),
            self.index_key.fingerprint(KeyKind::Index, INDEX_KEY_ID),
        ));
        all
    }

    /// Whether `other` holds the same keys under the same ids (the audit key too), and the same
    /// current one.
    pub fn same_as(&self, other: &KeyRing) -> bool {
        self.current == other.current
            && self.fingerprints() == other.fingerprints()
            && self.audit_key.bytes() == other.audit_key.bytes()
            && self.audit_unkeyed == other.audit_unkeyed
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
    let _lock = lock(path)?;
    let text = read_private(path)?;
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

/// The file's text. Fails rather than return text that would not load back as `ring`.
pub fn render(ring: &KeyRing, path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
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
    let failed = || KeyFileError::Render {
        path: path.to_owned(),
    };
    let body = Zeroizing::new(toml::to_string(&file).map_err(|_| failed())?);
    let text = Zeroizing::new(format!("{HEADER}{}", body.as_str()));
    // What is written must read back as the same ring, or the keys in memory would be lost.
    match parse(&text, path) {
        Ok(back) if back.same_as(ring) => Ok(text),
        _ => Err(failed()),
    }
}

/// The key file's text, refusing a file that group or others may read.
fn read_private(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    check_permissions(path)?;
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|source| KeyFileError::Read {
            path: path.to_owned(),
            source,
        })
}

/// Reads the key file, refusing one that group or others may read.
pub fn load(path: &Path) -> Result<KeyRing, KeyFileError> {
    let text = read_private(path)?;
    parse(&text, path)
}

/// Writes `ring` to `path` atomically with mode 0600: a new temporary file of a unique name
/// in the same folder, synced, renamed over the old file, then the folder synced. Callers that
/// change an existing file hold its [`lock`].
pub fn store(path: &Path, ring: &KeyRing) -> Result<(), KeyFileError> {
    write(path, ring, true)
}

/// Writes a new key file the same way, refusing to replace one that exists.
pub fn create(path: &Path, ring: &KeyRing) -> Result<(), KeyFileError> {
    write(path, ring, false)
}

fn write(path: &Path, ring: &KeyRing, replace: bool) -> Result<(), KeyFileError> {
    let write_err = |source| KeyFileError::Write {
        path: path.to_owned(),
        source,
    };
    let text = render(ring, path)?;
    let dir = folder_of(path);
    create_private_dir(dir).map_err(write_err)?;
    // `tempfile` creates the file with a fresh random name, exclusively, mode 0600: a leftover
    // or planted file of a known name is never reused.
    let mut tmp = tempfile::Builder::new()
        .prefix(".keys-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(write_err)?;
    tmp.write_all(text.as_bytes()).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    if replace {
        tmp.persist(path).map_err(|e| write_err(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists {
                    path: path.to_owned(),
                }
            } else {
                write_err(e.error)
            }
        })?;
    }
    sync_dir(dir).map_err(write_err)?;
    Ok(())
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The exclusive lock on a key file, held while it is being changed; released when dropped.
#[derive(Debug)]
pub struct KeyFileLock {
    _file: std::fs::File,
}

/// The lock file beside the key file: `keys.toml` is locked through `keys.toml.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the key file's lock without waiting: a second writer is refused, not queued behind
/// a change it has not seen.
pub fn lock(path: &Path) -> Result<KeyFileLock, KeyFileError> {
    let lock = lock_path(path);
    let write_err = |source| KeyFileError::Write {
        path: lock.clone(),
        source,
    };
    create_private_dir(folder_of(path)).map_err(write_err)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&lock).map_err(write_err)?;
    match file.try_lock() {
        Ok(()) => Ok(KeyFileLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(KeyFileError::Busy {
            path: path.to_owned(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(write_err(e)),
    }
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
        let ring = KeyRing::generate();
        create(&path, &ring).unwrap();
        let again = load(&path).unwrap();
        assert_eq!(ring.current, again.current);
        assert!(again.same_as(&ring));
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
        let good = render(&KeyRing::generate(), path).unwrap().to_string();
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
    fn a_ring_that_would_not_load_back_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let ring = KeyRing::generate();
        create(&path, &ring).unwrap();
        let before = std::fs::read_to_string(&path).unwrap();
        let broken = KeyRing {
            current: "mk-nowhere".into(),
            ..ring.clone()
        };
        assert!(matches!(
            store(&path, &broken),
            Err(KeyFileError::Render { .. })
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_second_writer_is_refused_while_the_lock_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let held = lock(&path).unwrap();
        let err = lock(&path).unwrap_err();
        assert!(matches!(err, KeyFileError::Busy { .. }), "{err}");
        drop(held);
        assert!(lock(&path).is_ok());
    }

    #[test]
    fn an_existing_key_file_is_never_replaced_by_create() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let ring = KeyRing::generate();
        create(&path, &ring).unwrap();
        assert!(matches!(
            create(&path, &KeyRing::generate()),
            Err(KeyFileError::Exists { .. })
        ));
        assert!(load(&path).unwrap().same_as(&ring));
    }

    #[test]
    fn fingerprints_differ_by_key_and_do_not_contain_it() {
        let ring = KeyRing::generate();
        let other = KeyRing::generate();
        let (kind, id, fingerprint) = ring.fingerprints().remove(0);
        assert_eq!(kind, KeyKind::Master);
        let ours = ring.master(&id).unwrap();
        assert_ne!(fingerprint, ours.bytes().to_vec());
        assert_ne!(
            fingerprint,
            other
                .master(&other.current)
                .unwrap()
                .fingerprint(KeyKind::Master, &id)
        );
        assert_eq!(fingerprint, ours.fingerprint(KeyKind::Master, &id));
    }

    #[test]
    fn a_new_ring_has_an_audit_key_that_survives_rendering_and_rotation() {
        let path = Path::new("k.toml");
        let ring = KeyRing::generate();
        let again = parse(&render(&ring, path).unwrap(), path).unwrap();
        assert_eq!(again.audit_key.bytes(), ring.audit_key.bytes());
        assert_eq!(again.audit_unkeyed, 0);
        let rotated = ring.rotated().without(std::slice::from_ref(&ring.current));
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
        let good = render(&KeyRing::generate(), path).unwrap().to_string();
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
        let retired = rotated.without(std::slice::from_ref(&ring.current));
        assert!(retired.master(&ring.current).is_none());
        assert!(retired.current_master().is_some());
    }
}
