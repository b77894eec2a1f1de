//! A throw-away PostgreSQL for tests: one cluster per test process, one fresh database per test.
//!
//! `PLAZA_TEST_POSTGRES_URL` (a server URL whose user may create databases) is used when set. Otherwise
//! the newest PostgreSQL installed under `/usr/lib/postgresql/*/bin` (or `PLAZA_POSTGRES_BIN`) is
//! started on a free loopback port in a temporary directory — as the `postgres` user when the tests run
//! as root, since PostgreSQL refuses to run as root — and a watchdog process stops it and removes the
//! directory when the test process ends (statics are never dropped, so `Drop` cannot).
//! Without either, [`fresh_database`] returns `None` after printing one skip line; under CI (`CI` set)
//! it panics instead, so a machine without PostgreSQL cannot pass the suite by skipping it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::pg::PgConnection;
use diesel::prelude::*;

/// A PostgreSQL server the tests may create databases on.
#[derive(Debug)]
pub struct TestServer {
    /// `postgres://user@host:port`, without a database name.
    base_url: String,
}

static SERVER: OnceLock<Result<TestServer, String>> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A new, empty database on the test server, as a URL; `None` when there is no PostgreSQL here.
pub fn fresh_database() -> Option<String> {
    let server = match SERVER.get_or_init(start) {
        Ok(server) => server,
        Err(why) => {
            let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
            assert!(!ci, "PostgreSQL tests cannot run under CI: {why}");
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| eprintln!("PostgreSQL tests: SKIPPED — {why}"));
            return None;
        }
    };
    let name = format!(
        "plaza_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    Some(create_database(&server.base_url, &name))
}

fn create_database(base_url: &str, name: &str) -> String {
    let mut admin = PgConnection::establish(&format!("{base_url}/postgres"))
        .unwrap_or_else(|error| panic!("the test PostgreSQL refused a connection: {error}"));
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .unwrap_or_else(|error| panic!("creating the test database {name}: {error}"));
    format!("{base_url}/{name}")
}

/// A PostgreSQL cluster of one test's own, which it may stop and start again (fault tests: the database
/// going away under load). Removed when dropped. `None` (after a skip line; a panic under CI) without
/// PostgreSQL installed here, or when the tests use `PLAZA_TEST_POSTGRES_URL`, whose server is not
/// theirs to stop.
pub fn private_cluster() -> Option<Cluster> {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if std::env::var_os("PLAZA_TEST_POSTGRES_URL").is_some() {
        assert!(
            !ci,
            "fault tests need a PostgreSQL of their own to stop; unset PLAZA_TEST_POSTGRES_URL"
        );
        eprintln!("PostgreSQL fault tests: SKIPPED — PLAZA_TEST_POSTGRES_URL's server is not theirs to stop");
        return None;
    }
    let name = format!(
        "plaza-pg-{}-own-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    match Cluster::create(&name) {
        Ok(cluster) => Some(cluster),
        Err(why) => {
            assert!(!ci, "PostgreSQL fault tests cannot run under CI: {why}");
            eprintln!("PostgreSQL fault tests: SKIPPED — {why}");
            None
        }
    }
}

/// A throw-away cluster in a temporary directory, on a free loopback port.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    base: PathBuf,
    port: u16,
    as_root: bool,
}

impl Cluster {
    fn create(name: &str) -> Result<Self, String> {
        let bin = postgres_bin().ok_or(
            "PostgreSQL is not installed (apt-get install postgresql, or set PLAZA_TEST_POSTGRES_URL)",
        )?;
        let base = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("sock"))
            .map_err(|e| format!("creating {}: {e}", base.display()))?;
        let as_root = is_root();
        if as_root {
            run(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&base))?;
        }
        run(pg(as_root, &bin.join("initdb"))
            .arg("-D")
            .arg(base.join("data"))
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]))?;
        let cluster = Self {
            bin,
            base,
            port: free_port()?,
            as_root,
        };
        watch(cluster.as_root, &cluster.bin, &cluster.base)?;
        cluster.start()?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:<port>`, without a database name.
    pub fn base_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// A new, empty database on this cluster, as a URL.
    pub fn fresh_database(&self) -> String {
        let name = format!("plaza_own_{}", NEXT.fetch_add(1, Ordering::SeqCst));
        create_database(&self.base_url(), &name)
    }

    /// Starts the server (again, on the same port and data), waiting until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            self.port,
            self.base.join("sock").display()
        );
        run(pg(self.as_root, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .arg("-l")
            .arg(self.base.join("log"))
            .args(["-w", "-t", "30", "start", "-o", &options]))
    }

    /// Stops the server as an operator's restart does (`-m fast`: sessions are ended, nothing is lost).
    pub fn stop(&self) -> Result<(), String> {
        run(pg(self.as_root, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .args(["-m", "fast", "-w", "-t", "30", "stop"]))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = run(pg(self.as_root, &self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.base.join("data"))
            .args(["-m", "immediate", "-w", "stop"]));
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn start() -> Result<TestServer, String> {
    if let Ok(url) = std::env::var("PLAZA_TEST_POSTGRES_URL") {
        let base_url = url
            .trim_end_matches('/')
            .rsplit_once('/')
            .map_or(url.clone(), |(base, db)| {
                if db.contains('@') || db.contains(':') {
                    url.clone()
                } else {
                    base.to_owned()
                }
            });
        return Ok(TestServer { base_url });
    }
    // The shared cluster lives as long as the process; its watchdog stops and removes it afterwards.
    let cluster = Cluster::create(&format!("plaza-pg-{}", std::process::id()))?;
    let base_url = cluster.base_url();
    std::mem::forget(cluster);
    Ok(TestServer { base_url })
}

/// Stops the cluster and removes its directory once this process is gone.
fn watch(as_root: bool, bin: &Path, base: &Path) -> Result<(), String> {
    let as_postgres = if as_root { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; cd /; {as_postgres}{pg_ctl} -D {data} -m immediate -w stop >/dev/null 2>&1; rm -rf {base}",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = base.join("data").display(),
        base = base.display(),
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("starting the cluster's watchdog: {e}"))
}

fn pg(as_root: bool, program: &Path) -> Command {
    let mut command = if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    // runuser cannot enter root's home; PostgreSQL's tools do not need a working directory of their own.
    command.current_dir("/");
    command
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn postgres_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("PLAZA_POSTGRES_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Runs `sql` on the database at `url`: fault injection for tests (a trigger that breaks inserts, say).
pub fn execute(url: &str, sql: &str) {
    let mut conn =
        PgConnection::establish(url).unwrap_or_else(|error| panic!("connecting to {url}: {error}"));
    diesel::connection::SimpleConnection::batch_execute(&mut conn, sql)
        .unwrap_or_else(|error| panic!("running test SQL: {error}"));
}

/// Answers one `SELECT` on the database at `url` whose single text column is named `value`: for tests
/// that look into the tables themselves.
pub fn query_strings(url: &str, sql: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let mut conn =
        PgConnection::establish(url).unwrap_or_else(|error| panic!("connecting to {url}: {error}"));
    diesel::sql_query(sql)
        .load::<Row>(&mut conn)
        .unwrap_or_else(|error| panic!("running test SQL {sql}: {error}"))
        .into_iter()
        .map(|row| row.value)
        .collect()
}
