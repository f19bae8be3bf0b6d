//! Sealing: per-buyer data keys wrapped by the master key, XChaCha20-Poly1305 for values,
//! and a keyed blind index for exact lookups.

use crate::keys::{Key, KeyRing, KEY_BYTES};
use crate::sealed::{Sealed, Slot};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::sync::{Arc, RwLock};
use thiserror::Error;
use zeroize::Zeroizing;

const NONCE_BYTES: usize = 24;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum VaultError {
    #[error(
        "the sealed value does not open with this key in this place (tampered, moved or erased)"
    )]
    DoesNotOpen,
    #[error("the data key was wrapped by master key {0}, which the key file does not hold")]
    UnknownMasterKey(String),
    #[error("the subject's data key has been destroyed")]
    Erased,
    #[error("the value could not be sealed; nothing was stored")]
    SealFailed,
}

/// A buyer's data key, unwrapped. Never printed; wiped when dropped.
pub struct DataKey(Key);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

/// A data key as stored: encrypted under a master key, bound to its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    pub master_key_id: String,
    pub bytes: Vec<u8>,
}

/// What a blind index entry is for; part of the HMAC input so equal strings of different
/// kinds do not collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    Email,
    Phone,
    /// One-time order lookup codes and the lookup's rate-limit buckets (client addresses):
    /// stored only as this keyed hash, so the database alone cannot reverse them.
    Lookup,
}

/// Holds the key ring. Cheap to clone; the ring can be replaced after a rotation.
#[derive(Debug, Clone)]
pub struct Vault {
    ring: Arc<RwLock<Arc<KeyRing>>>,
    /// The key file the ring came from, re-read when it changes: `hanjinbi keys rotate` runs
    /// while servers keep serving, and they must pick up the new master key.
    source: Option<Arc<KeySource>>,
}

#[derive(Debug)]
struct KeySource {
    path: std::path::PathBuf,
    modified: RwLock<Option<std::time::SystemTime>>,
}

fn modified(path: &std::path::Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn encrypt(key: &Key, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let mut nonce = [0u8; NONCE_BYTES];
    rand::rng().fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::SealFailed)?;
    let mut out = Vec::with_capacity(1 + NONCE_BYTES + ciphertext.len());
    out.push(Sealed::VERSION);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

fn decrypt(key: &Key, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let (&version, rest) = sealed.split_first().ok_or(VaultError::DoesNotOpen)?;
    if version != Sealed::VERSION || rest.len() < NONCE_BYTES + 16 {
        return Err(VaultError::DoesNotOpen);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    cipher
        .decrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| VaultError::DoesNotOpen)
}

fn wrap_aad(subject: &str) -> Vec<u8> {
    format!("hanjinbi/v1/data-key/{subject}").into_bytes()
}

impl Vault {
    pub fn new(ring: KeyRing) -> Vault {
        Vault {
            ring: Arc::new(RwLock::new(Arc::new(ring))),
            source: None,
        }
    }

    /// A vault over the key file at `path`, which it re-reads when the file changes.
    pub fn from_file(ring: KeyRing, path: &std::path::Path) -> Vault {
        Vault {
            source: Some(Arc::new(KeySource {
                path: path.to_owned(),
                modified: RwLock::new(modified(path)),
            })),
            ..Vault::new(ring)
        }
    }

    /// Re-reads the key file if it changed since it was read. Returns whether the ring was
    /// replaced. A file that cannot be read keeps the ring in use (and says so in the log),
    /// and so does one that is not a rotation of the ring in use: another blind-index key, or
    /// another key under a master key id already known, means another shop's file.
    pub fn reload_if_changed(&self) -> bool {
        let Some(source) = &self.source else {
            return false;
        };
        let now = modified(&source.path);
        let known = *source.modified.read().unwrap_or_else(|p| p.into_inner());
        if now == known {
            return false;
        }
        match crate::keys::load(&source.path) {
            Ok(ring) if !follows(&self.ring(), &ring) => {
                tracing::error!(
                    key_file = %source.path.display(),
                    "the key file changed into one that does not hold the keys in use (another \
                     blind-index key or another key under a known id); keeping the keys in use"
                );
                false
            }
            Ok(ring) => {
                self.replace_ring(ring);
                *source.modified.write().unwrap_or_else(|p| p.into_inner()) = now;
                tracing::info!(key_file = %source.path.display(), "key file re-read");
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "the key file changed but cannot be read; keeping the keys in use");
                false
            }
        }
    }

    fn ring(&self) -> Arc<KeyRing> {
        match self.ring.read() {
            Ok(ring) => Arc::clone(&ring),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the key ring, after a rotation.
    pub fn replace_ring(&self, ring: KeyRing) {
        let mut slot = match self.ring.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        *slot = Arc::new(ring);
    }

    /// The audit chain's key, with the number of entries written before it existed.
    pub fn audit_key(&self) -> crate::audit::AuditKey {
        let ring = self.ring();
        crate::audit::AuditKey::new(&ring.audit_key, ring.audit_unkeyed)
    }

    pub fn current_master_id(&self) -> String {
        self.ring().current.clone()
    }

    /// A new random data key for `subject`, and its wrapped form to store.
    pub fn new_data_key(&self, subject: &str) -> Result<(DataKey, WrappedKey), VaultError> {
        let key = Key::random();
        let wrapped = self.wrap(subject, &key)?;
        Ok((DataKey(key), wrapped))
    }

    fn wrap(&self, subject: &str, key: &Key) -> Result<WrappedKey, VaultError> {
        let ring = self.ring();
        let (id, master) = ring
            .current_master()
            .ok_or_else(|| VaultError::UnknownMasterKey(ring.current.clone()))?;
        Ok(WrappedKey {
            master_key_id: id.to_owned(),
            bytes: encrypt(master, &wrap_aad(subject), key.bytes())?,
        })
    }

    pub fn unwrap_key(&self, subject: &str, wrapped: &WrappedKey) -> Result<DataKey, VaultError> {
        let mut ring = self.ring();
        if ring.master(&wrapped.master_key_id).is_none() && self.reload_if_changed() {
            // Wrapped by a master key newer than ours: a rotation ran since we read the file.
            ring = self.ring();
        }
        let master = ring
            .master(&wrapped.master_key_id)
            .ok_or_else(|| VaultError::UnknownMasterKey(wrapped.master_key_id.clone()))?;
        let bytes = decrypt(master, &wrap_aad(subject), &wrapped.bytes)?;
        let array =
            <[u8; KEY_BYTES]>::try_from(bytes.as_slice()).map_err(|_| VaultError::DoesNotOpen)?;
        Ok(DataKey(Key::from_bytes(array)))
    }

    /// The same data key wrapped under the current master key (key rotation).
    pub fn rewrap(&self, subject: &str, wrapped: &WrappedKey) -> Result<WrappedKey, VaultError> {
        let DataKey(key) = self.unwrap_key(subject, wrapped)?;
        self.wrap(subject, &key)
    }

    /// HMAC-SHA-256 of a normalised value under the index key.
    pub fn blind_index(&self, kind: IndexKind, normalised: &str) -> Vec<u8> {
        let ring = self.ring();
        // HMAC accepts keys of any length.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(ring.index_key.bytes()) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(match kind {
            IndexKind::Email => b"email\0",
            IndexKind::Phone => b"phone\0",
            IndexKind::Lookup => b"lookup\0",
        });
        mac.update(normalised.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

impl Vault {
    /// The secret that, with an order's number, opens the order's page: an HMAC of the order
    /// id under the index key, so it needs no storage and a retried checkout gets the same one.
    pub fn order_token(&self, order_id: &str) -> String {
        use base64::Engine;
        let ring = self.ring();
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(ring.index_key.bytes()) else {
            unreachable!("HMAC takes keys of any length")
        };
        mac.update(b"order-token\0");
        mac.update(order_id.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Compares a presented order token in constant time.
    pub fn check_order_token(&self, order_id: &str, presented: &str) -> bool {
        let expected = self.order_token(order_id);
        expected.len() == presented.len()
            && expected
                .bytes()
                .zip(presented.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Whether `next` can replace `current` in a running vault: the same blind-index key, and
/// the same key under every master key id both hold.
fn follows(current: &KeyRing, next: &KeyRing) -> bool {
    current.index_key.bytes() == next.index_key.bytes()
        && next.masters.iter().all(|(id, key)| {
            current
                .master(id)
                .is_none_or(|known| known.bytes() == key.bytes())
        })
}

/// Seals `plaintext` for `slot` under a data key.
pub fn seal(key: &DataKey, slot: Slot<'_>, plaintext: &str) -> Result<Sealed, VaultError> {
    Ok(Sealed::from_parts(encrypt(
        &key.0,
        &slot.associated_data(),
        plaintext.as_bytes(),
    )?))
}

/// Opens a sealed value. Crate-private: only the gate calls it, after the policy said yes.
pub(crate) fn open(key: &DataKey, slot: Slot<'_>, sealed: &Sealed) -> Result<String, VaultError> {
    let bytes = decrypt(&key.0, &slot.associated_data(), sealed.bytes())?;
    String::from_utf8(bytes.to_vec()).map_err(|_| VaultError::DoesNotOpen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot<'a>(row: &'a str, field: &'a str) -> Slot<'a> {
        Slot {
            table: "buyers",
            row,
            field,
        }
    }

    #[test]
    fn values_open_only_in_their_own_row_and_field() {
        let vault = Vault::new(KeyRing::generate());
        let (key, _) = vault.new_data_key("b1").unwrap();
        let sealed = seal(&key, slot("b1", "email"), "lan@example.vn").unwrap();
        assert_eq!(
            open(&key, slot("b1", "email"), &sealed).unwrap(),
            "lan@example.vn"
        );
        assert_eq!(
            open(&key, slot("b2", "email"), &sealed),
            Err(VaultError::DoesNotOpen)
        );
        assert_eq!(
            open(&key, slot("b1", "phone"), &sealed),
            Err(VaultError::DoesNotOpen)
        );
        let (other, _) = vault.new_data_key("b1").unwrap();
        assert_eq!(
            open(&other, slot("b1", "email"), &sealed),
            Err(VaultError::DoesNotOpen)
        );
        let mut tampered = sealed.to_stored();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            open(&key, slot("b1", "email"), &Sealed::from_stored(tampered)),
            Err(VaultError::DoesNotOpen)
        );
        assert!(!String::from_utf8_lossy(&sealed.to_stored()).contains("lan@"));
    }

    #[test]
    fn data_keys_unwrap_only_for_their_subject_and_survive_rotation() {
        let vault = Vault::new(KeyRing::generate());
        let (key, wrapped) = vault.new_data_key("b1").unwrap();
        let sealed = seal(&key, slot("b1", "name"), "Nguyễn Thị Lan").unwrap();
        assert!(vault.unwrap_key("b2", &wrapped).is_err());

        let rotated = vault.ring().rotated();
        vault.replace_ring(rotated.clone());
        let rewrapped = vault.rewrap("b1", &wrapped).unwrap();
        assert_eq!(rewrapped.master_key_id, rotated.current);
        vault.replace_ring(rotated.without(std::slice::from_ref(&wrapped.master_key_id)));
        assert_eq!(
            vault.unwrap_key("b1", &wrapped).unwrap_err(),
            VaultError::UnknownMasterKey(wrapped.master_key_id.clone())
        );
        let key = vault.unwrap_key("b1", &rewrapped).unwrap();
        assert_eq!(
            open(&key, slot("b1", "name"), &sealed).unwrap(),
            "Nguyễn Thị Lan"
        );
    }

    #[test]
    fn a_vault_follows_its_key_file_through_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let ring = KeyRing::generate();
        crate::keys::create(&path, &ring).unwrap();
        let serving = Vault::from_file(ring.clone(), &path);
        let (key, wrapped) = serving.new_data_key("b1").unwrap();
        let sealed = seal(&key, slot("b1", "email"), "lan@example.vn").unwrap();

        // Another process rotates: new file, key rewrapped under the new master.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let rotated = ring.rotated();
        crate::keys::store(&path, &rotated).unwrap();
        let rewrapped = Vault::new(rotated).rewrap("b1", &wrapped).unwrap();

        let key = serving.unwrap_key("b1", &rewrapped).unwrap();
        assert_eq!(
            open(&key, slot("b1", "email"), &sealed).unwrap(),
            "lan@example.vn"
        );
        assert_eq!(serving.current_master_id(), rewrapped.master_key_id);
        assert!(!serving.reload_if_changed(), "nothing changed since");
    }

    #[test]
    fn a_vault_keeps_its_keys_when_the_file_turns_into_another_shops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.toml");
        let ring = KeyRing::generate();
        crate::keys::create(&path, &ring).unwrap();
        let serving = Vault::from_file(ring.clone(), &path);
        let email = serving.blind_index(IndexKind::Email, "lan@example.vn");

        std::thread::sleep(std::time::Duration::from_millis(20));
        crate::keys::store(&path, &KeyRing::generate()).unwrap();
        assert!(!serving.reload_if_changed());
        assert_eq!(serving.current_master_id(), ring.current);
        assert_eq!(
            serving.blind_index(IndexKind::Email, "lan@example.vn"),
            email
        );

        std::thread::sleep(std::time::Duration::from_millis(20));
        let changed = KeyRing {
            masters: vec![(ring.current.clone(), Key::random())],
            ..ring.clone()
        };
        crate::keys::store(&path, &changed).unwrap();
        assert!(!serving.reload_if_changed(), "another key under a known id");
    }

    #[test]
    fn a_ring_without_its_current_master_key_wraps_nothing() {
        let broken = KeyRing {
            current: "mk-nowhere".into(),
            ..KeyRing::generate()
        };
        assert_eq!(
            Vault::new(broken).new_data_key("b1").unwrap_err(),
            VaultError::UnknownMasterKey("mk-nowhere".into())
        );
    }

    #[test]
    fn blind_indexes_are_keyed_and_kind_separated() {
        let a = Vault::new(KeyRing::generate());
        let b = Vault::new(KeyRing::generate());
        let value = "lan@example.vn";
        assert_eq!(
            a.blind_index(IndexKind::Email, value),
            a.blind_index(IndexKind::Email, value)
        );
        assert_ne!(
            a.blind_index(IndexKind::Email, value),
            b.blind_index(IndexKind::Email, value)
        );
        assert_ne!(
            a.blind_index(IndexKind::Email, value),
            a.blind_index(IndexKind::Phone, value)
        );
    }

    proptest::proptest! {
        #[test]
        fn opening_garbage_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let vault = Vault::new(KeyRing::generate());
            let (key, _) = vault.new_data_key("s").unwrap();
            proptest::prop_assert!(open(&key, slot("s", "f"), &Sealed::from_stored(bytes)).is_err());
        }
    }
}
