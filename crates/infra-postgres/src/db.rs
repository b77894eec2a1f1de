//! Connecting to PostgreSQL: the migrations (once, however many instances start together), the
//! connection pool, and the two kinds of transaction every repository uses.

use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use plaza_domain::RepoError;
use plaza_domain::count_memo::CountMemo;
use plaza_domain::health::StorageHealth;

use crate::breaker::{Admission, Breaker, PROBE_WAIT};
use crate::error::{NO_CONNECTION, StoreError};

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

/// A pooled connection, and whether PostgreSQL was found to have cut it off.
pub(crate) struct Link {
    conn: PgConnection,
    lost: bool,
}

/// Makes [`Link`]s, and keeps a lost one out of the pool. A connection is not tried with a `SELECT 1`
/// each time it is taken (r2d2's `test_on_check_out`): that is a round trip on every request, a fifth of
/// a page read's cost (docs/performance.md, issue 22). A connection PostgreSQL closed since its last use
/// (a restart, a fail-over, a terminated backend) is found out by the first statement sent on it
/// instead; the work then runs again on another connection where that is safe ([`Database::run`]),
/// and the lost one is dropped when it comes back.
#[derive(Debug)]
struct Manager {
    connections: ConnectionManager<PgConnection>,
    /// Sent once on each new connection (the search connections' statement timeout, their plans made
    /// for each search's own words and instant, and their memory for bitmaps): settings of the session,
    /// not statements at every use.
    setup: Option<String>,
}

impl ManageConnection for Manager {
    type Connection = Link;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Link, Self::Error> {
        let mut conn = self.connections.connect()?;
        if let Some(setup) = &self.setup {
            diesel::connection::SimpleConnection::batch_execute(&mut conn, setup)
                .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(Link { conn, lost: false })
    }

    fn is_valid(&self, link: &mut Link) -> Result<(), Self::Error> {
        self.connections.is_valid(&mut link.conn)
    }

    fn has_broken(&self, link: &mut Link) -> bool {
        link.lost || self.connections.has_broken(&mut link.conn)
    }
}

type PgPool = Pool<Manager>;

/// A PostgreSQL database with Plaza's schema, shared by every repository of this crate.
#[derive(Clone)]
pub struct Database {
    pool: PgPool,
    /// Searches have connections of their own, so however many arrive they cannot take the ones every
    /// other request needs.
    search_pool: PgPool,
    /// For connections of their own outside the pools (the live-notification listener); never printed.
    url: std::sync::Arc<str>,
    /// Open while PostgreSQL is known to be unreachable: requests fail at once instead of waiting.
    breaker: std::sync::Arc<Breaker>,
    /// Counts of several-word searches by the version they were read at (see `search::page`); forgotten
    /// whenever the database is found unreachable, since the database that comes back may be an earlier
    /// copy (a restore, a replica promoted) that issues the same versions for other data.
    pub(crate) search_counts: std::sync::Arc<CountMemo>,
}

type Pooled = PooledConnection<Manager>;

/// How an `Unavailable` from [`Database::open`] begins when no connection could be made at all (as
/// opposed to a migration that failed): what a caller may wait out.
pub const CANNOT_CONNECT: &str = "cannot connect to PostgreSQL";

/// How long a wait for a pooled connection goes before it checks whether the database is known to be
/// gone.
const WAIT_SLICE: Duration = Duration::from_millis(200);

/// Connections for searches, per instance: PostgreSQL runs each search on a core of its own, and a
/// search for a word in many events costs that core a long while (docs/performance.md).
const SEARCH_POOL_SIZE: u32 = 2;

/// The longest one search may run before it is cancelled and answered `503`.
pub(crate) const SEARCH_TIMEOUT_MS: u32 = 2_000;

/// The longest a search's count of its matches may run (`crate::search`): it is made once for every
/// search waiting for it and then remembered, so it may take longer than one search's page.
pub(crate) const COUNT_TIMEOUT_MS: u32 = 10_000;

/// The memory a search connection's bitmap of matches may take before it keeps whole pages instead of
/// rows (lossy: every row of those pages is read and matched again). PostgreSQL's 4 MB went lossy for
/// two common words in a million events (498,000 rows matched again, 6.1 s on a cold cache; 0.5 s with
/// 16 MB, exact). Two search connections, so at most a few tens of MB in all.
const SEARCH_WORK_MEM: &str = "16MB";

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
            .map_err(|error| RepoError::Unavailable(format!("{CANNOT_CONNECT}: {error}")))?;
        migrate(&mut conn)?;
        let pool = |size: u32, setup: Option<String>| {
            Pool::builder()
                .max_size(size)
                .connection_timeout(config.connection_timeout)
                .error_handler(Box::new(LogErrors))
                .test_on_check_out(false)
                .build(Manager {
                    connections: ConnectionManager::new(config.url.clone()),
                    setup,
                })
                .map_err(|error| RepoError::Unavailable(format!("cannot open the PostgreSQL pool: {error}")))
        };
        Ok(Self {
            pool: pool(config.pool_size.max(1), None)?,
            search_pool: pool(
                SEARCH_POOL_SIZE,
                Some(format!(
                    "SET statement_timeout = {SEARCH_TIMEOUT_MS}; SET plan_cache_mode = force_custom_plan; \
                     SET work_mem = '{SEARCH_WORK_MEM}'"
                )),
            )?,
            url: config.url.as_str().into(),
            breaker: std::sync::Arc::default(),
            search_counts: std::sync::Arc::default(),
        })
    }

    /// Sets the gauges of the pools from their state now (the metrics listener asks before each scrape).
    pub fn record_gauges(&self) {
        crate::metrics::record_pool("main", self.pool.state());
        crate::metrics::record_pool("search", self.search_pool.state());
        crate::metrics::record_breaker(self.breaker.is_open());
    }

    /// The URL the database was opened with, for a connection of its own.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// A connection from `pool` for a request the breaker let in as `admission`, waiting `wait` (else
    /// the pool's own timeout; a probe waits briefly).
    fn check_out(
        &self,
        pool: &PgPool,
        name: &'static str,
        admission: Admission,
        wait: Option<Duration>,
    ) -> Result<Pooled, StoreError> {
        let started = Instant::now();
        let wait = match admission {
            Admission::Go => wait.unwrap_or_else(|| pool.connection_timeout()),
            Admission::Probe => PROBE_WAIT,
        };
        // The wait is taken in short slices: a connection that cannot be made (the database went away)
        // is known within one, and opens the breaker, instead of holding this request for the whole wait.
        let deadline = started + wait;
        loop {
            let slice = deadline.saturating_duration_since(Instant::now()).min(WAIT_SLICE);
            let error = match pool.get_timeout(slice) {
                Ok(conn) => {
                    crate::metrics::waited(name, started.elapsed());
                    return Ok(conn);
                }
                Err(error) => error,
            };
            // r2d2 names the last connection error when connecting failed (to one of its waiters);
            // without one, every connection was merely busy, which says nothing about the database.
            // With connections still open, the pool merely cannot grow (PostgreSQL's max_connections,
            // say): the connections it has still work.
            if error.to_string().contains(": ") && pool.state().connections == 0 {
                self.breaker.unreachable(Instant::now(), &error);
                return Err(self.breaker.refusal().into());
            }
            // Another request found the database gone meanwhile; a probe takes its whole (short) wait.
            if admission == Admission::Go && self.breaker.is_open() {
                return Err(self.breaker.refusal().into());
            }
            if Instant::now() >= deadline {
                crate::metrics::timed_out(name);
                return Err(StoreError::from(error));
            }
        }
    }

    /// Runs `work` on a connection from `pool` — unless the breaker is open, when only a probe tries and
    /// everything else is refused at once — and tells the breaker what it found out. A connection found
    /// lost is dropped, and the work runs again on another if `may_rerun` says so (a read always may; a
    /// write only if its `BEGIN` was what found the connection gone): a pool whose every
    /// connection PostgreSQL closed at a restart gives each up at most once, so the attempts are bounded
    /// by the pool's size (and a database really gone is known when no new connection can be made).
    fn run<T>(
        &self,
        pool: &PgPool,
        name: &'static str,
        wait: Option<Duration>,
        may_rerun: impl Fn() -> bool,
        mut work: impl FnMut(&mut Conn) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        let admission = self.breaker.admit(Instant::now())?;
        let attempts = pool.max_size() + 1;
        let mut attempt = 1;
        loop {
            let mut link = self.check_out(pool, name, admission, wait)?;
            let result = work(&mut link.conn);
            if let Err(error) = &result
                && crate::error::is_connection_lost(error)
            {
                link.lost = true;
                // Whatever answers on the next connection may be another database (a fail-over to a
                // replica that was behind) that issues the same versions for other data.
                self.search_counts.clear();
                if attempt < attempts && may_rerun() {
                    attempt += 1;
                    continue;
                }
            }
            return self.heard(result);
        }
    }

    /// Tells the breaker what a piece of work found out about the database.
    fn heard<T>(&self, result: Result<T, RepoError>) -> Result<T, RepoError> {
        match &result {
            // (`run` has forgotten the remembered search counts already, as for every lost connection.)
            Err(error) if crate::error::is_connection_lost(error) => {
                self.breaker.unreachable(Instant::now(), error)
            }
            _ => self.breaker.reachable(),
        }
        result
    }

    /// Whether PostgreSQL is known to be unreachable now.
    pub fn is_unreachable(&self) -> bool {
        self.breaker.is_open()
    }

    /// [`run`](Self::run) for work that only reads, on the main pool: it may always run again.
    fn reading<T>(
        &self,
        wait: Option<Duration>,
        work: impl FnMut(&mut Conn) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        self.run(&self.pool, "main", wait, || true, work)
    }

    /// Runs `work` in a read-only `REPEATABLE READ` transaction: every read in it sees one snapshot, so a
    /// page and its total agree.
    pub(crate) fn read<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        self.reading(None, |conn| in_snapshot(conn, &mut work))
    }

    /// Runs `work`, which must be one statement, outside a transaction: one statement sees one snapshot
    /// by itself, and the `BEGIN` and `COMMIT` of [`read`](Self::read) would be two round trips of three.
    /// For the look-ups every request makes (the token's user and session, an event or a user by id), and
    /// pages read with their counts in one statement (the inbox).
    pub(crate) fn look_up<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        self.reading(None, |conn| work(conn).map_err(RepoError::from))
    }

    /// Like [`read`](Self::read), on the search connections: when they are all busy past the connection
    /// timeout, the search is `Unavailable` while every other request goes on.
    pub(crate) fn read_for_search<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        self.searching(|conn| in_snapshot(conn, &mut work))
    }

    /// Like [`look_up`](Self::look_up) (one statement, outside a transaction), on the search connections.
    pub(crate) fn look_up_for_search<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        self.searching(|conn| work(conn).map_err(RepoError::from))
    }

    fn searching<T>(&self, work: impl FnMut(&mut Conn) -> Result<T, RepoError>) -> Result<T, RepoError> {
        self.run(&self.search_pool, "search", None, || true, work)
            .map_err(|error| match error {
                RepoError::Unavailable(ref why) if why.starts_with(NO_CONNECTION) => {
                    RepoError::Unavailable("every search connection is busy".into())
                }
                other => other,
            })
    }

    /// Runs `work` in a `READ COMMITTED` transaction; if it loses a race (a serialization failure or a
    /// deadlock), it is run again, a bounded number of times, and then answered `Unavailable`. Writes
    /// that must see each other lock the row they hang on (`SELECT … FOR UPDATE`), and checks that must
    /// hold are part of their `UPDATE`'s condition. Each write commits on its own: grouping the writes of
    /// an instance in one transaction, a savepoint each, was measured and not kept (docs/performance.md,
    /// issue 22): a hot row locked by one savepoint and updated by the next costs PostgreSQL a MultiXact
    /// per write, and sales of one event across two instances then scaled worse.
    pub(crate) fn write<T>(
        &self,
        mut work: impl FnMut(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        // Whether PostgreSQL began the transaction: after that, a lost connection leaves unknown whether
        // it committed, and the write is not run again.
        let begun = std::cell::Cell::new(false);
        self.run(
            &self.pool,
            "main",
            None,
            || !begun.get(),
            |conn| {
                let mut attempt = 1;
                loop {
                    match conn.transaction(|conn| {
                        begun.set(true);
                        work(conn)
                    }) {
                        Err(error) if error.retryable && attempt < WRITE_ATTEMPTS => {
                            // Rolled back: nothing of it committed, so it may also run on another
                            // connection if this one turns out lost at the next `BEGIN`.
                            begun.set(false);
                            std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                            attempt += 1;
                        }
                        result => return result.map_err(RepoError::from),
                    }
                }
            },
        )
    }
}

/// Runs `work` in a read-only `REPEATABLE READ` transaction on `conn`.
fn in_snapshot<T>(
    conn: &mut Conn,
    work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
) -> Result<T, RepoError> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(work)
        .map_err(RepoError::from)
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
        self.reading(Some(Duration::from_secs(2)), |conn| {
            diesel::sql_query("SELECT 1")
                .execute(conn)
                .map(drop)
                .map_err(|error| StoreError::from(error).into())
        })
    }
}

/// Now, in UTC, to the millisecond (the precision Plaza stores and answers with on every store).
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(3)
}

/// A new, empty database on the test server, migrated and opened with a pool of two connections;
/// `None` when there is no PostgreSQL here.
#[cfg(test)]
pub(crate) fn small_database() -> Option<Database> {
    Some(test_database(&crate::testing::fresh_database()?, 2))
}

/// Accounts named `names` in `db` (a password nobody can use), in order; their ids.
#[cfg(test)]
pub(crate) fn add_people(db: &Database, names: &[&str]) -> Vec<plaza_domain::UserId> {
    use diesel::prelude::*;
    names
        .iter()
        .map(|name| {
            let id: i64 = db
                .write(|conn| {
                    Ok(diesel::insert_into(crate::schema::users::table)
                        .values((
                            crate::schema::users::username.eq(name),
                            crate::schema::users::email.eq(format!("{name}@example.org")),
                            crate::schema::users::password_hash.eq("x"),
                            crate::schema::users::password_changed_at.eq(now()),
                            crate::schema::users::created_at.eq(now()),
                        ))
                        .returning(crate::schema::users::id)
                        .get_result(conn)?)
                })
                .expect("a test account is written");
            plaza_domain::UserId::from_stored(id)
        })
        .collect()
}

/// An event of `owner` in `db` that starts at `starts` (SQL), with `max_tickets` and the search tokens
/// `tokens` (an SQL array); its id.
#[cfg(test)]
pub(crate) fn add_event(
    db: &Database,
    owner: plaza_domain::UserId,
    starts: &str,
    max_tickets: i64,
    tokens: &str,
) -> plaza_domain::EventId {
    use diesel::prelude::*;
    let id = db
        .write(|conn| {
            Ok(diesel::sql_query(format!(
                "INSERT INTO events (name, event_time, duration_hours, duration_minutes, max_tickets, \
                                     owner_id, created_at, search_tokens) \
                 VALUES ('Test', {starts}, 1, 0, $1, $2, now(), '{tokens}') RETURNING id"
            ))
            .bind::<diesel::sql_types::BigInt, _>(max_tickets)
            .bind::<diesel::sql_types::BigInt, _>(owner.get())
            .get_result::<Id>(conn)?
            .id)
        })
        .expect("a test event is written");
    plaza_domain::EventId::from_stored(id)
}

#[cfg(test)]
#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The database at `url` on the test server, migrated, with `pool_size` connections.
#[cfg(test)]
pub(crate) fn test_database(url: &str, pool_size: u32) -> Database {
    Database::open(&PgConfig {
        url: url.to_owned(),
        pool_size,
        connection_timeout: Duration::from_secs(10),
    })
    .expect("the throw-away PostgreSQL is up and the database migrates")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_past_its_time_is_cancelled_as_unavailable_and_other_reads_go_on() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
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

    #[test]
    fn search_connections_plan_for_their_values_with_room_for_exact_bitmaps_and_others_keep_defaults() {
        #[derive(QueryableByName)]
        struct Settings {
            #[diesel(sql_type = diesel::sql_types::Text)]
            settings: String,
        }
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let show = |conn: &mut Conn| {
            Ok(diesel::sql_query(
                "SELECT current_setting('plan_cache_mode') || ' ' || current_setting('work_mem') \
                        || ' ' || current_setting('statement_timeout') AS settings",
            )
            .get_result::<Settings>(conn)?
            .settings)
        };
        assert_eq!(db.read_for_search(show).unwrap(), "force_custom_plan 16MB 2s");
        let main = db.read(show).unwrap();
        assert!(
            !main.starts_with("force_custom_plan") && !main.ends_with(" 2s"),
            "the main connections keep the server's settings: {main}"
        );
    }

    #[test]
    fn a_query_an_administrator_cancels_is_unavailable_not_an_internal_error() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let db = test_database(&url, 1);
        let cancelled = db.read(|conn| {
            // The sleep gives the cancel a point to land at within this statement.
            diesel::sql_query("SELECT pg_cancel_backend(pg_backend_pid()), pg_sleep(2)").execute(conn)?;
            Ok(())
        });
        assert!(
            matches!(&cancelled, Err(RepoError::Unavailable(why)) if why.contains("cancelled")),
            "{cancelled:?}"
        );
        assert!(
            !db.is_unreachable(),
            "a cancelled query says nothing of the database"
        );
    }

    /// Ends every other session of the database, as a restart of PostgreSQL or an administrator does.
    fn end_other_sessions(url: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            ended: i64,
        }
        let mut admin = PgConnection::establish(url).expect("an administrator's connection");
        diesel::sql_query(
            "SELECT count(*) AS ended FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()) terminated",
        )
        .get_result::<Ended>(&mut admin)
        .expect("sessions ended")
        .ended
    }

    #[test]
    fn connections_postgresql_closed_are_given_up_and_every_kind_of_work_still_succeeds() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let db = test_database(&url, 3);
        db.search_counts.put("music festival", 7, 42);
        let one = |conn: &mut Conn| -> Result<i32, StoreError> {
            #[derive(QueryableByName)]
            struct One {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                one: i32,
            }
            Ok(diesel::sql_query("SELECT 1 AS one").get_result::<One>(conn)?.one)
        };
        assert_eq!(db.read(one).unwrap(), 1);
        assert!(
            end_other_sessions(&url) >= 3,
            "the pool's three connections were open"
        );
        assert_eq!(
            db.read(one)
                .expect("a read after the pool's connections were closed"),
            1
        );
        assert!(
            !db.is_unreachable(),
            "a closed idle connection does not open the breaker"
        );
        assert_eq!(
            db.search_counts.get("music festival", 7),
            None,
            "counts remembered from before are forgotten: the connection may now reach another database"
        );

        for (kind, work) in [
            ("a look-up", &|db: &Database| db.look_up(one)),
            ("a write", &|db: &Database| db.write(one)),
            ("a search", &|db: &Database| db.read_for_search(one)),
            ("a ping", &|db: &Database| db.ping().map(|()| 1)),
        ] as [(&str, &dyn Fn(&Database) -> Result<i32, RepoError>); 4]
        {
            end_other_sessions(&url);
            assert_eq!(
                work(&db).unwrap_or_else(|error| panic!("{kind}: {error:?}")),
                1,
                "{kind}"
            );
            assert!(!db.is_unreachable(), "{kind}: the breaker stays closed");
        }
    }

    /// The work ends its own session after running a statement: PostgreSQL cut it off mid-work.
    fn cut_off(conn: &mut Conn) -> Result<(), StoreError> {
        diesel::sql_query("SELECT pg_terminate_backend(pg_backend_pid())").execute(conn)?;
        Ok(())
    }

    #[test]
    fn a_read_cut_off_midway_runs_again_and_a_write_does_not() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let db = test_database(&url, 2);
        let mut reads = 0;
        db.read(|conn| {
            reads += 1;
            if reads == 1 { cut_off(conn) } else { Ok(()) }
        })
        .expect("the read ran again on another connection");
        assert_eq!(reads, 2);

        // Whether the write committed is not known to the instance: it is not run again, and the caller
        // hears that the connection was lost.
        let mut writes = 0;
        let written = db.write(|conn| {
            writes += 1;
            cut_off(conn)
        });
        assert!(
            matches!(&written, Err(error) if crate::error::is_connection_lost(error)),
            "{written:?}"
        );
        assert_eq!(writes, 1, "a write PostgreSQL began is never run a second time");
    }
}
