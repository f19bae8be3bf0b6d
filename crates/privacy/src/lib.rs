//! The executable privacy policy.
//!
//! This crate is the only way to personal plaintext. Personal values are sealed under a
//! per-buyer data key ([`vault`]); reading one back goes through the [`gate`], which asks the
//! [`policy`] whether this actor may read this category for this purpose, and writes every
//! opening or refusal to the hash-chained [`audit`] log.

pub mod audit;
pub mod credentials;
pub mod gate;
pub mod keycheck;
pub mod keys;
pub mod plain;
pub mod policy;
pub mod principal;
pub mod records;
pub mod sealed;
pub mod vault;

pub use principal::Principal;
pub use sealed::Sealed;
pub use vault::Vault;

/// Crate-private internals for the benchmarks in `benches/` only. Behind the
/// `bench-internals` feature, which is off by default and which no crate of the workspace
/// enables: shipped builds never contain it, so plaintext still comes only through the gate.
#[cfg(feature = "bench-internals")]
#[doc(hidden)]
pub mod bench_internals {
    use crate::sealed::{Sealed, Slot};
    use crate::vault::{DataKey, VaultError};

    /// [`crate::vault::open`], which is `pub(crate)` and so cannot be re-exported with `use`.
    pub fn open(key: &DataKey, slot: Slot<'_>, sealed: &Sealed) -> Result<String, VaultError> {
        crate::vault::open(key, slot, sealed)
    }
}
