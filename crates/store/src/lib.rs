//! Storage: the schema, its migrations and every SQL statement of the shop.
//!
//! One code path serves SQLite (embedded, the default) and PostgreSQL (for several app
//! servers): statements are written once in the SQL both understand, with `$n` parameters;
//! the few differences live in [`db`]. Nothing above this crate writes SQL.

pub mod audit;
pub mod carts;
pub mod catalog;
pub mod db;
mod error;
pub mod keyring;
mod migrate;
pub mod orders;
pub mod outbox;
pub mod subjects;

pub use db::{Backend, Db, WriteTx};
pub use error::StoreError;
