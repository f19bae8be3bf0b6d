//! Integration tests: the real server on a random port, a fresh database per test.
#![allow(clippy::unwrap_used)]

mod api;
mod bad_input;
mod browser;
mod operations;
mod storefront;
mod support;
