//! Plaza's storage on PostgreSQL: every repository port of `plaza-domain`, for a database that several
//! Plaza instances share. The same answers as the SQLite adapter (the port-contract suite runs against
//! both); where PostgreSQL needs it, the same guarantees are had differently — row locks instead of
//! SQLite's single writer, a GIN-indexed `tsvector` of the domain's search tokens instead of FTS5.

mod account_links;
mod batches;
mod breaker;
pub mod bus;
mod calendar;
mod comments;
mod db;
mod error;
mod events;
pub mod import;
mod issue;
mod login_failures;
mod mail;
pub mod metrics;
mod modlog;
mod notification_mail;
mod notifications;
mod posts;
mod removal;
mod reports;
mod schema;
mod search;
mod sessions;
mod sql;
mod stores;
mod stream_tickets;
mod tickets;
mod users;
mod waitlist;

#[cfg(any(test, feature = "test-support"))]
pub mod testing;

#[cfg(test)]
mod contract;

pub use comments::PgCommentRepository;
pub use db::{CANNOT_CONNECT, Database, PgConfig};
pub use events::PgEventRepository;
pub use login_failures::PgLoginFailures;
pub use notifications::PgNotificationRepository;
pub use posts::PgPostRepository;
pub use stream_tickets::PgStreamTickets;
pub use users::PgUserRepository;
pub use waitlist::PgWaitlists;

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}
