//! Connecting to PostgreSQL: the migrations (once, however many instances start together), the
//! connection pool, and the two kinds of transaction every repository uses.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use plaza_domain::RepoError;
use plaza_domain::health::StorageHealth;

use crate::error::StoreError;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// The advisory lock held while migrating: instances that start together migrate one after the other,
/// and the later ones find nothing left to do.
const MIGRATION_LOCK: i64 = 0x506c_617a_6100; // "Plaza\0"

/// How many times a write that lost a race (serialization failure, deadlock) is run again before the
/// caller is told `Unavailable` (`503`).
const WRITE_ATTEMPTS: u32 = 3;

pub(crate) type Conn = PgConnection;

/// Where the database is and how many connections to keep.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// `postgres://` or `postgresql://` URL.
    pub url: String,
    pub pool_size: u32,
    /// How long a request waits for a free connection before `503`.
    pub connection_timeout: Duration,
}

/// A PostgreSQL database with Plaza's schema, shared by every repository of this crate.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager<PgConnection>>,
    /// Searches have connections of their own, so however many arrive they cannot take the ones every
    /// other request needs.
    search_pool: Pool<ConnectionManager<PgConnection>>,
    /// For connections of their own outside the pools (the live-notification listener); never printed.
    url: std::sync::Arc<str>,
}

/// Connections for searches, per instance: PostgreSQL runs each search on a core of its own, and a
/// search for a word in many events costs that core a long while (docs/performance.md).
const SEARCH_POOL_SIZE: u32 = 2;

/// The longest one search may run before it is cancelled and answered `503`.
const SEARCH_TIMEOUT_MS: u32 = 2_000;

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("pool", &self.pool.state())
            .finish()
    }
}

/// `diesel::r2d2` wants a `Send + Sync` error handler; connection errors reach the log through it.
#[derive(Debug)]
struct LogErrors;

impl diesel::r2d2::HandleError<diesel::r2d2::Error> for LogErrors {
    fn handle_error(&self, error: diesel::r2d2::Error) {
        tracing::warn!(%error, "PostgreSQL connection error");
    }
}

impl Database {
    /// Connects, runs pending migrations under an advisory lock, and builds the pool.
    pub fn open(config: &PgConfig) -> Result<Self, RepoError> {
        let mut conn = PgConnection::establish(&config.url)
            .map_err(|error| RepoError::Unavailable(format!("cannot connect to PostgreSQL: {error}")))?;
        migrate(&mut conn)?;
        let pool = |size: u32| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(config.connection_timeout)
                .error_handler(Box::new(LogErrors))
                .build(ConnectionManager::new(config.url.clone()))
                .map_err(|error| RepoError::Unavailable(format!("cannot open the PostgreSQL pool: {error}")))
        };
        Ok(Self {
            pool: pool(config.pool_size.max(1))?,
            search_pool: pool(SEARCH_POOL_SIZE)?,
            url: config.url.as_str().into(),
        })
    }

    /// The URL the database was opened with, for a connection of its own.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    fn connection(&self) -> Result<PooledConnection<ConnectionManager<PgConnection>>, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs `work` in a read-only `REPEATABLE READ` transaction: every read in it sees one snapshot, so a
    /// page and its total agree.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self.connection()?;
        let conn: &mut PgConnection = &mut pooled;
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(work)
            .map_err(RepoError::from)
    }

    /// Like [`read`](Self::read), on the search connections: when they are all busy past the connection
    /// timeout, the search is `Unavailable` while every other request goes on.
    pub(crate) fn read_for_search<T>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self
            .search_pool
            .get()
            .map_err(|_| RepoError::Unavailable("every search connection is busy".into()))?;
        let conn: &mut PgConnection = &mut pooled;
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                diesel::sql_query(format!("SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}"))
                    .execute(conn)?;
                work(conn)
            })
            .map_err(RepoError::from)
    }

    /// Runs `work` in a `READ COMMITTED` transaction; if it loses a race (a serialization failure or a
    /// deadlock), it is run again, a bounded number of times, and then answered `Unavailable`. Writes
    /// that must see each other lock the row they hang on (`SELECT … FOR UPDATE`), and checks that must
    /// hold are part of their `UPDATE`'s condition.
    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self.connection()?;
        let conn: &mut PgConnection = &mut pooled;
        let mut attempt = 1;
        loop {
            match conn.transaction(|conn| work(conn)) {
                Err(error) if error.retryable && attempt < WRITE_ATTEMPTS => {
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                    attempt += 1;
                }
                result => return result.map_err(RepoError::from),
            }
        }
    }
}

fn migrate(conn: &mut PgConnection) -> Result<(), RepoError> {
    let unavailable =
        |error: &dyn std::fmt::Display| RepoError::Unavailable(format!("migrating PostgreSQL: {error}"));
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .execute(conn)
        .map_err(|error| unavailable(&error))?;
    let migrated = conn.run_pending_migrations(MIGRATIONS).map(drop);
    let unlocked = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn);
    migrated.map_err(|error| unavailable(&error))?;
    unlocked.map_err(|error| unavailable(&error))?;
    Ok(())
}

impl StorageHealth for Database {
    fn ping(&self) -> Result<(), RepoError> {
        let mut conn = self
            .pool
            .get_timeout(Duration::from_secs(2))
            .map_err(StoreError::from)?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map(drop)
            .map_err(|error| StoreError::from(error).into())
    }
}

/// Now, in UTC, to the millisecond (the precision Plaza stores and answers with on every store).
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_past_its_time_is_cancelled_as_unavailable_and_other_reads_go_on() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let db = Database::open(&PgConfig {
            url,
            pool_size: 2,
            connection_timeout: Duration::from_secs(10),
        })
        .unwrap();
        let slow = db.read_for_search(|conn| {
            diesel::sql_query("SELECT pg_sleep(5)").execute(conn)?;
            Ok(())
        });
        assert!(
            matches!(&slow, Err(RepoError::Unavailable(why)) if why.contains("too long")),
            "{slow:?}"
        );
        db.read(|conn| {
            diesel::sql_query("SELECT pg_sleep(2.5)").execute(conn)?;
            Ok(())
        })
        .expect("other reads have no such limit");
    }
}
