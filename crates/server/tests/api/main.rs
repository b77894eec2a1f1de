//! End-to-end tests of the HTTP contract: each test starts the real server (the binary's own wiring) on
//! port 0 over a fresh temporary database, and talks to it over HTTP.

#![allow(clippy::unwrap_used)]

/// These tests run on SQLite; `api_postgres` runs the store-independent ones again on PostgreSQL.
const ON_POSTGRES: bool = false;

#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/fuzz_verdict.rs"]
#[allow(dead_code)] // run by tests/contract_fuzz.rs; only its tests run here
mod fuzz_verdict;
mod helpers;
#[path = "../common/smtp_sink.rs"]
mod smtp_sink;

/// What runs only on SQLite.
macro_rules! sqlite_only {
    ($($file:item)*) => { $($file)* };
}
/// What runs only on PostgreSQL: nothing here.
macro_rules! postgres_only {
    ($($file:item)*) => {};
}

include!("suite.rs");
