//! The executable privacy policy.
//!
//! This crate is the only way to personal plaintext. Personal values are sealed under a
//! per-buyer data key ([`vault`]); reading one back goes through the [`gate`], which asks the
//! [`policy`] whether this actor may read this category for this purpose, and writes every
//! opening or refusal to the hash-chained [`audit`] log.

pub mod audit;
pub mod gate;
pub mod keys;
pub mod policy;
pub mod records;
pub mod sealed;
pub mod vault;

pub use sealed::Sealed;
pub use vault::Vault;
