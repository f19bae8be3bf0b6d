//! The secrets of buyer accounts: password hashes and the random tokens of sessions and
//! single-use links.
//!
//! Passwords are hashed with Argon2id at the parameters of the OWASP Password Storage Cheat
//! Sheet (19 MiB of memory, 2 iterations, 1 lane), with a random 16-byte salt, and stored as
//! PHC strings, which carry their parameters: a hash made under older parameters still
//! verifies. Tokens are 32 random bytes, given out once in base64url and stored only as their
//! SHA-256, so a copy of the database opens no session and uses no link.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hanjinbi_domain::password::{NewPassword, Password};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use thiserror::Error;

/// Argon2id memory cost in KiB (OWASP: 19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
/// Argon2id iterations (OWASP: 2 with 19 MiB).
pub const ARGON2_ITERATIONS: u32 = 2;
/// Argon2id lanes (OWASP: 1).
pub const ARGON2_LANES: u32 = 1;

#[derive(Debug, Error)]
pub enum CredentialError {
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    #[error("a stored password hash is not a valid PHC string")]
    StoredHash,
}

fn argon2() -> Result<Argon2<'static>, CredentialError> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, None)
        .map_err(|e| CredentialError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// An Argon2id hash of a password, as stored (a PHC string: no secret, no personal data).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordDigest(String);

impl std::fmt::Debug for PasswordDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordDigest(..)")
    }
}

impl PasswordDigest {
    pub fn as_stored(&self) -> &str {
        &self.0
    }
}

/// Hashes a new password. Slow on purpose (tens of milliseconds): call it off the async
/// threads (`tokio::task::spawn_blocking`).
pub fn hash_password(password: &NewPassword) -> Result<PasswordDigest, CredentialError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| CredentialError::Hash(e.to_string()))?;
    let hash = argon2()?
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| CredentialError::Hash(e.to_string()))?;
    Ok(PasswordDigest(hash.to_string()))
}

/// Whether `password` is the one `stored` was made from. Slow on purpose, like
/// [`hash_password`].
pub fn verify_password(password: &Password, stored: &str) -> Result<bool, CredentialError> {
    let parsed = PasswordHash::new(stored).map_err(|_| CredentialError::StoredHash)?;
    Ok(argon2()?
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok())
}

/// Does the work of [`verify_password`] against a hash no password opens, so that an answer
/// about an address without an account takes as long as one about an address with one.
pub fn verify_nothing(password: &Password) -> Result<(), CredentialError> {
    static DUMMY: OnceLock<Result<String, String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
        let mut unguessable = [0u8; 32];
        rand::rng().fill_bytes(&mut unguessable);
        argon2()
            .map_err(|e| e.to_string())?
            .hash_password(&unguessable, &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    });
    let dummy = dummy
        .as_ref()
        .map_err(|e| CredentialError::Hash(e.clone()))?;
    verify_password(password, dummy).map(|_| ())
}

/// A random secret given out once (a session token, the token of a single-use link).
pub struct SecretToken(String);

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(..)")
    }
}

/// Characters of a token as given out: 32 bytes in unpadded base64url.
pub const TOKEN_CHARS: usize = 43;

impl SecretToken {
    pub fn generate() -> SecretToken {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        SecretToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The token, to give to its holder (a cookie, a link, an API answer).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

/// The SHA-256 of a token: how the database finds a session or a link.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl TokenHash {
    /// The hash of a token someone presents, or `None` when it cannot be one of ours (wrong
    /// length or characters), so that junk costs no database read.
    pub fn of_presented(token: &str) -> Option<TokenHash> {
        let token = token.trim();
        let ours = token.len() == TOKEN_CHARS
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ours.then(|| TokenHash(Sha256::digest(token.as_bytes()).into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// The token a form must carry to act for the session `session_token`: a hash of it, which
/// a page of another site cannot read or compute.
pub fn form_token(session_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"hanjinbi form token\0");
    hasher.update(session_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Whether `presented` is the form token of `session_token`, in time that does not depend
/// on where they differ.
pub fn check_form_token(session_token: &str, presented: &str) -> bool {
    let expected = form_token(session_token);
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_password(raw: &str) -> NewPassword {
        NewPassword::parse(raw, None).expect("a valid new password")
    }

    fn password(raw: &str) -> Password {
        Password::parse(raw).expect("a password")
    }

    #[test]
    fn a_hash_verifies_its_password_only_and_states_the_owasp_parameters() {
        let digest = hash_password(&new_password("mưa rơi trên phố cổ")).unwrap();
        assert!(digest
            .as_stored()
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&password("mưa rơi trên phố cổ"), digest.as_stored()).unwrap());
        assert!(!verify_password(&password("mua roi tren pho co"), digest.as_stored()).unwrap());
        assert!(!format!("{digest:?}").contains("argon2"));
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let a = hash_password(&new_password("ngựa ô chạy dài")).unwrap();
        let b = hash_password(&new_password("ngựa ô chạy dài")).unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn a_stored_hash_that_is_not_phc_is_an_error_not_a_match() {
        assert!(matches!(
            verify_password(&password("anything at all"), "plaintext"),
            Err(CredentialError::StoredHash)
        ));
        verify_nothing(&password("anything at all")).unwrap();
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_finds_them() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.expose().len(), TOKEN_CHARS);
        assert_eq!(TokenHash::of_presented(a.expose()), Some(a.hash()));
        assert_ne!(a.hash(), b.hash());
        assert_eq!(TokenHash::of_presented("short"), None);
        assert_eq!(TokenHash::of_presented(&"é".repeat(43)), None);
        assert_eq!(
            TokenHash::of_presented(&format!("{}=", &a.expose()[1..])),
            None
        );
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn a_form_token_belongs_to_its_session() {
        let session = SecretToken::generate();
        let other = SecretToken::generate();
        let token = form_token(session.expose());
        assert!(check_form_token(session.expose(), &token));
        assert!(!check_form_token(other.expose(), &token));
        assert!(!check_form_token(session.expose(), ""));
        assert!(!check_form_token(session.expose(), &token[1..]));
    }
}
