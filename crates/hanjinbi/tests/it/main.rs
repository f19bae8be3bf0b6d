//! Integration tests: the real server on a random port, a fresh database per test.
#![allow(clippy::unwrap_used)]

mod account_pages;
mod accounts;
mod api;
mod bad_input;
mod browser;
mod checkout;
mod consent_and_data_pages;
mod consent_centre;
mod erasure;
mod erasure_pages;
mod export;
mod keys;
mod limits;
mod lookup;
mod mail;
mod mailbox;
mod memory;
mod operations;
mod privacy_page;
mod privacy_proofs;
mod product_page;
mod retention;
mod rights_requests;
mod search;
mod storefront;
mod support;
mod upgrade;
