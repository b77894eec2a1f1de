//! The end-to-end tests of the HTTP contract again, on PostgreSQL: the same test files as `api` (the list in `suite.rs`), each
//! test on a fresh database of the throw-away cluster (see `plaza_infra_postgres::testing`), the floods
//! included. Left out: what is about the SQLite file itself (backups, restores, durability across
//! SIGKILL, the binary's log of its path).

#![allow(clippy::unwrap_used)]

const ON_POSTGRES: bool = true;

#[path = "../common/binary.rs"]
mod binary;
#[path = "../common/fuzz_verdict.rs"]
#[allow(dead_code)] // run by tests/contract_fuzz.rs; only its tests run here
mod fuzz_verdict;
#[allow(dead_code)] // what only the SQLite-file tests use
mod helpers;
#[path = "../common/smtp_sink.rs"]
mod smtp_sink;

/// What runs only on SQLite: nothing here.
macro_rules! sqlite_only {
    ($($file:item)*) => {};
}
/// What runs only on PostgreSQL.
macro_rules! postgres_only {
    ($($file:item)*) => { $($file)* };
}

include!("suite.rs");
