//! The end-to-end tests of the HTTP contract again, on PostgreSQL: the same test files as `api`, each
//! test on a fresh database of the throw-away cluster (see `plaza_infra_postgres::testing`), the floods
//! included. Left out: what is about the SQLite file itself (backups, restores, durability across
//! SIGKILL, the binary's log of its path).

#![allow(clippy::unwrap_used)]

const ON_POSTGRES: bool = true;

#[path = "common/fuzz_verdict.rs"]
#[allow(dead_code)] // run by tests/contract_fuzz.rs; only its tests run here
mod fuzz_verdict;
#[path = "api/helpers.rs"]
#[allow(dead_code)] // what only the SQLite-file tests use
mod helpers;

#[path = "api/abuse.rs"]
mod abuse;
#[path = "api/auth.rs"]
mod auth;
#[path = "api/avatars.rs"]
mod avatars;
#[path = "api/comments.rs"]
mod comments;
#[path = "api/contract.rs"]
mod contract;
#[path = "api/errors.rs"]
mod errors;
#[path = "api/events.rs"]
mod events;
#[path = "api/health.rs"]
mod health;
#[path = "api/instances.rs"]
mod instances;
#[path = "api/live.rs"]
mod live;
#[path = "api/migrate.rs"]
mod migrate;
#[path = "api/notifications.rs"]
mod notifications;
#[path = "api/posts.rs"]
mod posts;
#[path = "api/sample.rs"]
mod sample;
#[path = "api/tickets.rs"]
mod tickets;
#[path = "api/users.rs"]
mod users;
