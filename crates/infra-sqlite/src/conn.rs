//! The connection layer below everything else in the crate: the connection type that the writer, the
//! search index, the list positions and the repositories work on, the schema's migrations, and the time
//! as it is stored. It imports no other module of the crate, so that `db` (which opens the file, starts
//! the writer and rebuilds the search index) can sit above all of them without a circle — their tests
//! included, which take a migrated file from here rather than a `Database`.

use diesel_migrations::{EmbeddedMigrations, embed_migrations};

pub(crate) type Conn = diesel::SqliteConnection;

/// Every migration of the schema, compiled in.
pub(crate) const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");

/// The current time as stored: UTC, millisecond precision.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(3)
}

#[cfg(test)]
pub(crate) mod tests {
    use diesel::Connection;
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;

    use super::*;

    /// A migrated database in a fresh temporary directory (dropped with it), and a plain connection to
    /// it: no pragmas, as `Database::dedicated_connection` gives one.
    pub(crate) fn migrated() -> (tempfile::TempDir, Conn) {
        let dir = tempfile::tempdir().expect("a temporary directory for the test database");
        let mut conn = Conn::establish(&dir.path().join("plaza.db").to_string_lossy()).expect("open test db");
        conn.batch_execute("PRAGMA journal_mode = WAL;").expect("WAL");
        conn.run_pending_migrations(MIGRATIONS).expect("migrate test db");
        (dir, conn)
    }
}
