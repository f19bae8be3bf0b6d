//! Sealed values: ciphertext that nothing outside this crate can turn back into plaintext.
//!
//! A [`Sealed`] has no `Display`, no `Serialize`, and a `Debug` that shows only its length.
//! Its bytes can be stored and loaded; opening them needs the buyer's data key, which only
//! the gate hands out.

use std::fmt;

/// Where a sealed value belongs: its table, row and field. Bound into the ciphertext as
/// associated data, so a value copied to another row or field does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot<'a> {
    pub table: &'a str,
    pub row: &'a str,
    pub field: &'a str,
}

impl Slot<'_> {
    pub(crate) fn associated_data(&self) -> Vec<u8> {
        format!("hanjinbi/v1/{}/{}/{}", self.table, self.row, self.field).into_bytes()
    }
}

/// A personal value encrypted with XChaCha20-Poly1305: `version ‖ nonce ‖ ciphertext+tag`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(Vec<u8>);

impl Sealed {
    pub(crate) const VERSION: u8 = 1;

    pub(crate) fn from_parts(bytes: Vec<u8>) -> Sealed {
        Sealed(bytes)
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// The stored form, to write to the database.
    pub fn to_stored(&self) -> Vec<u8> {
        self.0.clone()
    }

    /// A value read back from the database. It is checked when opened.
    pub fn from_stored(bytes: Vec<u8>) -> Sealed {
        Sealed(bytes)
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}
