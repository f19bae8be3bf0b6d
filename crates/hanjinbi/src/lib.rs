//! The `hanjinbi` binary as a library, so integration tests start the real server.

pub mod admin;
pub mod cli;
pub mod config;
pub mod server;
pub mod telemetry;
