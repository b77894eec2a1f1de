//! Plaza's storage adapter: the domain's repository ports over one SQLite file, with Diesel and an r2d2
//! pool. Nothing outside this crate sees a Diesel type or a line of SQL.

/// Every column of `events`, for hand-written statements (here, before the modules, so that each sees it).
macro_rules! event_columns {
    () => {
        "id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, max_tickets, \
         owner_id, created_at, venue, address, latitude, longitude, online_url, image, image_alt, revision, changed_at"
    };
}

mod account_links;
mod backup;
mod buckets;
mod calendar;
mod comments;
mod conn;
#[cfg(test)]
mod contract;
mod db;
mod error;
mod events;
mod export;
mod fresh_id;
mod issue;
mod journal;
mod mail;
pub mod metrics;
mod modlog;
mod notification_mail;
mod notifications;
mod order;
mod posts;
mod removal;
mod reports;
mod schema;
mod search;
mod search_merge;
mod sessions;
mod sql;
mod stores;
mod stream_tickets;
mod tickets;
mod time;
mod users;
mod waitlist;
mod writer;

pub use backup::{BackupError, BackupReport, verify as verify_backup};
pub use comments::SqliteCommentRepository;
#[cfg(any(test, feature = "test-support"))]
pub use db::execute_on_file;
pub use db::{Database, DatabaseConfig, OpenError, Synchronous, database_path};
pub use events::SqliteEventRepository;
pub use export::{Source, SourceError};
pub use notifications::SqliteNotificationRepository;
pub use posts::SqlitePostRepository;
pub use stream_tickets::SqliteStreamTickets;
pub use users::SqliteUserRepository;
pub use waitlist::SqliteWaitlists;
pub use writer::WriteStats;
