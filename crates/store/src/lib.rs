//! Storage: the schema, its migrations and every SQL statement of the shop.
//!
//! SQLite (embedded, the default) and PostgreSQL (for several app servers) are reached
//! through their native drivers. Statements are written once in the SQL both understand,
//! with `$n` parameters, and compiled once per driver by the dispatch macros of [`db`];
//! where the dialects differ, a function matches on the backend. Nothing above this crate
//! writes SQL or sees a driver type: [`Db`] and [`WriteTx`] are opaque.

pub mod accounts;
pub mod audit;
pub mod carts;
pub mod catalog;
mod db;
pub mod erasure;
mod error;
pub mod export;
pub mod keyring;
mod migrate;
pub mod orders;
pub mod outbox;
mod pg_copy;
pub mod rights;
mod search_text;
pub mod subjects;

pub use db::{create_private_dir, Backend, Db, WriteTx};
pub use error::{DatabaseError, StoreError};
// Also in the store's own test build, whose unit tests check it.
#[cfg(any(test, feature = "testing"))]
pub mod testing;
