//! Opening the database: the file, its pragmas, the migrations and the connection pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::MigrationHarness;
use plaza_domain::RepoError;
use plaza_domain::count_memo::CountMemo;

use crate::conn::{Conn, MIGRATIONS};
use crate::error::StoreError;
use crate::writer::Writer;

/// SQLite's `synchronous` setting: `Normal` loses at most the last transactions on power loss (never
/// corrupts, with WAL); `Full` survives power loss at a large cost in write throughput.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    Normal,
    Full,
}

impl std::str::FromStr for Synchronous {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_uppercase().as_str() {
            "NORMAL" => Ok(Self::Normal),
            "FULL" => Ok(Self::Full),
            _ => Err(format!("expected NORMAL or FULL, not {raw:?}")),
        }
    }
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Normal => "NORMAL",
            Self::Full => "FULL",
        }
    }
}

/// Where the database lives and how connections behave.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    pub path: PathBuf,
    pub synchronous: Synchronous,
    /// How long a writer waits for the write lock before giving up.
    pub busy_timeout: Duration,
    /// Connections for everything but searches.
    pub pool_size: u32,
    /// Connections for searches: a few, so that searches, however many arrive, never take the connections
    /// every other request needs.
    pub search_pool_size: u32,
    /// How long a search waits for one of its connections before it is answered `503`.
    pub search_wait: Duration,
}

impl DatabaseConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
            pool_size: 8,
            search_pool_size: 4,
            search_wait: Duration::from_secs(2),
        }
    }
}

/// The file path of a `DATABASE_URL`: a plain path, or one behind `sqlite://` or `sqlite:`.
pub fn database_path(url: &str) -> PathBuf {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(path)
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the database directory {path}: {source}")]
    Directory { path: PathBuf, source: std::io::Error },
    #[error("cannot create the database {path}: {source}")]
    File { path: PathBuf, source: std::io::Error },
    #[error("cannot open the database {path}: {source}")]
    Connect {
        path: PathBuf,
        source: diesel::ConnectionError,
    },
    #[error("cannot prepare the database: {0}")]
    Setup(#[from] diesel::result::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("cannot start the writer thread: {0}")]
    Writer(std::io::Error),
}

/// Pragmas every pooled connection needs. `journal_mode` is a property of the file, set once at open.
#[derive(Debug)]
struct ConnectionPragmas {
    busy_timeout_ms: u128,
    synchronous: Synchronous,
}

impl ConnectionPragmas {
    fn sql(&self) -> String {
        format!(
            "PRAGMA busy_timeout = {}; PRAGMA foreign_keys = ON; PRAGMA synchronous = {};",
            self.busy_timeout_ms,
            self.synchronous.pragma()
        )
    }
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for ConnectionPragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&self.sql())
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

type SqlitePool = Pool<ConnectionManager<SqliteConnection>>;

/// The open database over a migrated file: a pool of configured connections for most work, a small one for
/// searches, and one connection of its own for health checks, so that `/health` answers while every
/// pooled connection is busy.
#[derive(Clone)]
pub struct Database {
    path: PathBuf,
    pub(crate) writer: Writer,
    pool: SqlitePool,
    search_pool: SqlitePool,
    health: Arc<Mutex<SqliteConnection>>,
    /// Counts of several-word searches, by the index version they were counted at (see
    /// [`crate::search::count_in`]).
    pub(crate) search_counts: Arc<CountMemo>,
    /// Where the list divides at an instant, by the index version it was read at.
    pub(crate) boundaries: Arc<crate::order::Boundaries>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("state", &self.pool.state())
            .finish()
    }
}

/// Sets SQLite's process-wide options before its first connection opens (SQLite accepts them only then):
///
/// - multi-thread mode: no connection is ever used by two threads at once (each is lent by the pool to
///   one request at a time, and the writer thread owns its own), so the mutex SQLite takes around every
///   call on a connection protects nothing;
/// - no memory statistics: keeping them takes a process-wide mutex on every allocation, contended by
///   every connection at once;
/// - every connection it opens gets stable query plans ([`stable_query_plans`]);
/// - savepoint journals stay in memory up to a bound ([`crate::journal`]).
pub(crate) fn configure_sqlite_once() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        #[allow(unsafe_code)]
        // SAFETY: sqlite3_config is called before any connection of this process is opened (the Once
        // runs first thing in `Database::open`, the only place connections come from), with options that
        // take an int; if SQLite was somehow initialised already it answers SQLITE_MISUSE and changes
        // nothing.
        let codes = unsafe {
            [
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MULTITHREAD),
                libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0),
            ]
        };
        if codes.iter().any(|code| *code != libsqlite3_sys::SQLITE_OK) {
            tracing::warn!(?codes, "SQLite was initialised before Plaza could configure it");
        }
        let installed = crate::journal::install();
        if installed != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(
                code = installed,
                "SQLite refused the VFS that keeps savepoint journals in memory"
            );
        }
        #[allow(unsafe_code)]
        // SAFETY: `stable_query_plans` has the signature SQLite calls an automatic extension with, and
        // stays valid for the life of the process (a plain function).
        let registered = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(stable_query_plans)) };
        if registered != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(code = registered, "SQLite refused the stable-query-plan hook");
        }
    });
}

/// Turns on SQLite's query planner stability guarantee for a connection SQLite has just opened (an
/// automatic extension, run by SQLite for every connection, whoever opens it).
///
/// Why: without it, SQLite (the bundled 3.53 at least) plans a `LIMIT ?` with the value bound to it, and marks the
/// statement to be compiled again whenever that parameter is bound anew. Diesel binds every parameter
/// at every run, so every cached statement with a bound `LIMIT` — every `.first()`, every page — was
/// parsed and planned afresh on each use: a quarter of the CPU time of a page request went to SQLite's
/// parser. With the guarantee, a statement's plan never depends on bound values, and no query of Plaza
/// relies on them: no partial index compares a column with a bound value, no `LIKE` or `GLOB` takes a
/// bound pattern, and there is no `sqlite_stat4` (nothing runs `ANALYZE`). The query-plan tests take
/// the plans of the statements as they run, their `?` unbound: the plans SQLite gives them now.
#[allow(unsafe_code)]
unsafe extern "C" fn stable_query_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut std::ffi::c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> std::ffi::c_int {
    // SAFETY: SQLite passes the connection it is opening, valid for this call; ENABLE_QPSG takes an int
    // (1: on) and an optional int pointer for the resulting setting (none wanted).
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as std::ffi::c_int,
            std::ptr::null_mut::<std::ffi::c_int>(),
        );
    }
    // A connection without the guarantee still answers correctly, only slower: never refuse to open.
    libsqlite3_sys::SQLITE_OK
}

impl Database {
    /// Creates the file and its directory when missing (private to the owner: see [`create_private_file`]),
    /// switches it to WAL and runs pending migrations on one plain connection, and only then builds the
    /// pool (connections opening all at once on a fresh file would race each other for the switch to WAL).
    pub fn open(config: &DatabaseConfig) -> Result<Self, OpenError> {
        configure_sqlite_once();
        if let Some(parent) = config.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            create_private_dir(parent).map_err(|source| OpenError::Directory {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        match create_private_file(&config.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => warn_if_shared(&config.path),
            Err(source) => {
                return Err(OpenError::File {
                    path: config.path.clone(),
                    source,
                });
            }
        }
        let url = path_str(&config.path);
        let mut setup = SqliteConnection::establish(&url).map_err(|source| OpenError::Connect {
            path: config.path.clone(),
            source,
        })?;
        setup.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;",
            config.busy_timeout.as_millis()
        ))?;
        setup
            .run_pending_migrations(MIGRATIONS)
            .map_err(|error| OpenError::Migrate(error.to_string()))?;
        crate::search::rebuild_if_stale(&mut setup)?;
        // The health check keeps the set-up connection, with a short wait for locks: a check that waits
        // long says nothing a quick one would not.
        setup.batch_execute("PRAGMA busy_timeout = 1000;")?;

        let mut write_connection =
            SqliteConnection::establish(&url).map_err(|source| OpenError::Connect {
                path: config.path.clone(),
                source,
            })?;
        write_connection.batch_execute(
            &ConnectionPragmas {
                busy_timeout_ms: config.busy_timeout.as_millis(),
                synchronous: config.synchronous,
            }
            .sql(),
        )?;
        let writer = Writer::start(write_connection, crate::search_merge::SearchMerge::default())
            .map_err(OpenError::Writer)?;
        let pragmas = || {
            Box::new(ConnectionPragmas {
                busy_timeout_ms: config.busy_timeout.as_millis(),
                synchronous: config.synchronous,
            })
        };
        // A connection to a local file does not go stale the way a network one does: checking each one
        // with a `SELECT 1` as it is lent would only add a statement to every request.
        let pool = Pool::builder()
            .test_on_check_out(false)
            .event_handler(Box::new(crate::metrics::PoolEvents("main")))
            .max_size(config.pool_size.max(1))
            .connection_timeout(config.busy_timeout + Duration::from_secs(5))
            .connection_customizer(pragmas())
            .build(ConnectionManager::<SqliteConnection>::new(url.clone()))?;
        let search_pool = Pool::builder()
            .test_on_check_out(false)
            .event_handler(Box::new(crate::metrics::PoolEvents("search")))
            .max_size(config.search_pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(config.search_wait.max(Duration::from_millis(100)))
            .connection_customizer(pragmas())
            .build(ConnectionManager::<SqliteConnection>::new(url))?;
        Ok(Self {
            path: config.path.clone(),
            writer,
            pool,
            search_pool,
            health: Arc::new(Mutex::new(setup)),
            search_counts: Arc::default(),
            boundaries: Arc::default(),
        })
    }

    /// A connection of its own, outside the pools, for long maintenance work (backups, checkpoints).
    pub(crate) fn dedicated_connection(&self) -> Result<SqliteConnection, OpenError> {
        SqliteConnection::establish(&path_str(&self.path)).map_err(|source| OpenError::Connect {
            path: self.path.clone(),
            source,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the schema from the file on the health check's own connection: the database is reachable
    /// and readable (a bare `SELECT 1` would not touch the file at all), whatever the pools are doing.
    pub fn ping(&self) -> Result<(), RepoError> {
        // A panic mid-ping leaves nothing half-done on a connection that only reads.
        let mut conn = self.health.lock().unwrap_or_else(PoisonError::into_inner);
        diesel::sql_query("SELECT count(*) FROM sqlite_schema")
            .execute(&mut *conn)
            .map(drop)
            .map_err(|error| StoreError::from(error).into())
    }

    /// Runs `work` on a pooled connection in a deferred transaction: every read in it sees one snapshot.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self.pool.get().map_err(StoreError::from)?;
        let conn: &mut SqliteConnection = &mut pooled;
        conn.transaction(work).map_err(RepoError::from)
    }

    /// Runs one statement on a pooled connection, outside any explicit transaction: a single statement
    /// sees one snapshot anyway, and `BEGIN`/`COMMIT` around it would double the statements of a
    /// one-row read.
    pub(crate) fn read_one<T>(
        &self,
        statement: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self.pool.get().map_err(StoreError::from)?;
        statement(&mut pooled).map_err(RepoError::from)
    }

    /// Like [`read`](Self::read), on the search connections: when they are all busy for longer than
    /// `search_wait`, the search is `Unavailable` while every other request goes on.
    pub(crate) fn read_for_search<T>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut pooled = self
            .search_pool
            .get()
            .map_err(|_| RepoError::Unavailable("every search connection is busy".into()))?;
        let conn: &mut SqliteConnection = &mut pooled;
        conn.transaction(work).map_err(RepoError::from)
    }

    /// Runs `work` on the writer thread (see [`crate::writer`]), in a `BEGIN IMMEDIATE` transaction it may
    /// share with other writes, inside a savepoint of its own: everything it does commits together or not
    /// at all, and it is answered once committed.
    pub(crate) fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, RepoError> {
        self.writer.write(work)
    }

    /// Sets the gauges of the pools and of the writer's queue from their state now (the metrics
    /// listener asks before each scrape).
    pub fn record_gauges(&self) {
        crate::metrics::record_pool("main", self.pool.state());
        crate::metrics::record_pool("search", self.search_pool.state());
        #[allow(
            clippy::cast_precision_loss,
            reason = "a queue is far shorter than 2^52 writes"
        )]
        metrics::gauge!(crate::metrics::WRITE_QUEUE).set(self.writer.queued() as f64);
    }

    /// From now on the writer keeps the search index merged when idle (`plaza serve`; one-off commands
    /// leave the file to the server's writer).
    pub fn start_upkeep(&self) -> Result<(), RepoError> {
        self.writer.start_upkeep()
    }

    /// Once this returns the writer changes the file only by writes: before the checkpoint at shutdown.
    pub fn stop_upkeep(&self) -> Result<(), RepoError> {
        self.writer.stop_upkeep()
    }

    /// Writes run and transactions committed since the database was opened.
    pub fn write_stats(&self) -> crate::writer::WriteStats {
        self.writer.stats()
    }

    /// Runs raw SQL statements: for tests (fault injection) only.
    #[cfg(any(test, feature = "test-support"))]
    pub fn execute_batch(&self, sql: &str) -> Result<(), RepoError> {
        self.read(|conn| Ok(conn.batch_execute(sql)?))
    }

    /// How SQLite would run `sql`: the `detail` lines of `EXPLAIN QUERY PLAN`, for tests.
    #[cfg(any(test, feature = "test-support"))]
    pub fn query_plan(&self, sql: &str) -> Result<Vec<String>, RepoError> {
        #[derive(QueryableByName)]
        struct Step {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        self.read(|conn| {
            Ok(diesel::sql_query(explain)
                .load::<Step>(conn)?
                .into_iter()
                .map(|s| s.detail)
                .collect())
        })
    }

    /// Answers one `SELECT` whose single text column is named `value`: diagnostics for tests.
    #[cfg(any(test, feature = "test-support"))]
    pub fn query_strings(&self, sql: &str) -> Result<Vec<String>, RepoError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        self.read(|conn| {
            Ok(diesel::sql_query(sql)
                .load::<Row>(conn)?
                .into_iter()
                .map(|row| row.value)
                .collect())
        })
    }
}

/// Runs raw SQL on the SQLite file at `path`, on a plain connection of its own (no migrations, no pragmas):
/// for tests that build a foreign or an outdated file.
#[cfg(any(test, feature = "test-support"))]
pub fn execute_on_file(path: &Path, sql: &str) -> Result<(), String> {
    let mut conn = SqliteConnection::establish(&path_str(path)).map_err(|error| error.to_string())?;
    conn.batch_execute(sql).map_err(|error| error.to_string())
}

impl plaza_domain::health::StorageHealth for Database {
    fn ping(&self) -> Result<(), RepoError> {
        Database::ping(self)
    }
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// `path` with `suffix` appended to its file name (`plaza.db` → `plaza.db-wal`).
pub(crate) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// A URI opening `path` read-only (`mode=ro`); more parameters may be appended with `&`. `%`, `?` and
/// `#` would end the path early, so they are escaped.
pub(crate) fn read_only_uri(path: &Path) -> String {
    let escaped = path
        .to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23");
    format!("file:{escaped}?mode=ro")
}

/// Creates `dir` and its missing parents with mode 0700, whatever the umask: the database's folder is no
/// one else's business. A folder that exists keeps its mode.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Creates `path` empty with mode 0600 (whatever the umask), or fails with `AlreadyExists`. SQLite would
/// create a database 0644 less the umask — readable by every local user under the usual umask 022 — and
/// gives the `-wal` and `-shm` files it makes beside a database the database file's own mode, so a file
/// created private keeps all three private.
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// Warns when an existing database (made before Plaza created it private, or opened up since) can be read
/// by other users; its mode is the operator's to change.
fn warn_if_shared(path: &Path) {
    #[cfg(unix)]
    if let Ok(metadata) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                database = %path.display(),
                mode = format!("{mode:o}"),
                "the database can be read by other users of this machine; `chmod 600` it and its -wal and \
                 -shm files, and `chmod 700` its folder"
            );
        }
    }
}

#[cfg(test)]
#[path = "db_journal_tests.rs"]
mod journal_tests;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A migrated database in a fresh temporary directory (dropped with the directory).
    pub(crate) fn temp_db() -> (tempfile::TempDir, Database) {
        let dir = tempfile::tempdir().expect("a temporary directory for the test database");
        let db =
            Database::open(&DatabaseConfig::new(dir.path().join("nested/plaza.db"))).expect("open test db");
        (dir, db)
    }

    #[test]
    fn opening_creates_the_directory_and_sets_the_pragmas() {
        let (dir, db) = temp_db();
        assert!(dir.path().join("nested/plaza.db").exists());
        db.ping().unwrap();
        assert_eq!(
            db.query_strings("SELECT journal_mode AS value FROM pragma_journal_mode")
                .unwrap(),
            ["wal"]
        );
        assert_eq!(
            db.query_strings("SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys")
                .unwrap(),
            ["1"]
        );
        assert_eq!(
            db.query_strings("SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous")
                .unwrap(),
            ["1"]
        );
        assert_eq!(
            db.query_strings("SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout")
                .unwrap(),
            ["5000"]
        );
    }

    /// Opens a raw in-memory connection (after Plaza's process-wide set-up), sets the planner stability
    /// guarantee as `stability` says (`None`: as the connection was opened), runs one statement with a
    /// bound `LIMIT` under three limits, and answers how many times SQLite compiled it again.
    #[allow(unsafe_code)]
    fn recompilations_of_a_bound_limit(stability: Option<bool>) -> (bool, i32) {
        use libsqlite3_sys as ffi;
        use std::ffi::{CString, c_int};
        configure_sqlite_once();
        let mut db = std::ptr::null_mut();
        let memory = CString::new(":memory:").expect("no NUL in the name");
        let sql = CString::new("SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2 UNION ALL SELECT 3) LIMIT ?")
            .expect("no NUL in the SQL");
        // SAFETY: the handles are used only between their creation and their finalisation below, on this
        // thread, with the pointers and lengths SQLite's API asks for.
        unsafe {
            assert_eq!(ffi::sqlite3_open(memory.as_ptr(), &mut db), ffi::SQLITE_OK);
            if let Some(on) = stability {
                ffi::sqlite3_db_config(
                    db,
                    ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                    c_int::from(on),
                    std::ptr::null_mut::<c_int>(),
                );
            }
            let mut setting: c_int = -1;
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1 as c_int, &mut setting);
            let mut statement = std::ptr::null_mut();
            assert_eq!(
                ffi::sqlite3_prepare_v2(db, sql.as_ptr(), -1, &mut statement, std::ptr::null_mut()),
                ffi::SQLITE_OK
            );
            for limit in 1..=3 {
                ffi::sqlite3_reset(statement);
                assert_eq!(ffi::sqlite3_bind_int64(statement, 1, limit), ffi::SQLITE_OK);
                let mut rows = 0;
                while ffi::sqlite3_step(statement) == ffi::SQLITE_ROW {
                    rows += 1;
                }
                assert_eq!(rows, limit, "the LIMIT bound to the statement holds");
            }
            let recompiled = ffi::sqlite3_stmt_status(statement, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            ffi::sqlite3_finalize(statement);
            ffi::sqlite3_close(db);
            (setting == 1, recompiled)
        }
    }

    #[test]
    fn every_connection_keeps_a_statement_with_a_bound_limit_compiled() {
        assert_eq!(
            recompilations_of_a_bound_limit(None),
            (true, 0),
            "a connection SQLite opens for Plaza plans without looking at bound values"
        );
        // What the guarantee prevents (so that this test can tell): without it, every new LIMIT
        // recompiles the statement.
        let (stable, recompiled) = recompilations_of_a_bound_limit(Some(false));
        assert!(!stable);
        assert!(recompiled >= 2, "recompiled {recompiled} times");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_database_its_wal_and_the_folder_made_for_it_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, db) = temp_db();
        db.execute_batch("CREATE TABLE scratch (x); INSERT INTO scratch VALUES (1);")
            .unwrap();
        let mode = |name: &str| {
            std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(mode("nested"), 0o700);
        assert_eq!(mode("nested/plaza.db"), 0o600);
        // SQLite gives the files it makes beside the database the database's own mode.
        assert_eq!(mode("nested/plaza.db-wal"), 0o600);
        assert_eq!(mode("nested/plaza.db-shm"), 0o600);
    }

    #[test]
    fn reopening_an_existing_database_is_harmless() {
        let dir = tempfile::tempdir().unwrap();
        let config = DatabaseConfig {
            synchronous: Synchronous::Full,
            ..DatabaseConfig::new(dir.path().join("p.db"))
        };
        drop(Database::open(&config).unwrap());
        let db = Database::open(&config).unwrap();
        assert_eq!(
            db.query_strings("SELECT CAST(synchronous AS TEXT) AS value FROM pragma_synchronous")
                .unwrap(),
            ["2"]
        );
    }

    #[test]
    fn database_urls_may_carry_a_scheme() {
        assert_eq!(database_path("sqlite://data/p.db"), PathBuf::from("data/p.db"));
        assert_eq!(database_path("sqlite:/tmp/p.db"), PathBuf::from("/tmp/p.db"));
        assert_eq!(database_path("./p.db"), PathBuf::from("./p.db"));
        assert_eq!("full".parse::<Synchronous>(), Ok(Synchronous::Full));
        assert!("sometimes".parse::<Synchronous>().is_err());
    }
}
