//! Configuration: command-line flags, each with an environment variable (and `.env`) behind it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use plaza_app::StreamLimits;
use plaza_app::token::MIN_SECRET_BYTES;
use plaza_infra_postgres::{PgConfig, is_postgres_url};
use plaza_infra_sqlite::{DatabaseConfig, Synchronous, database_path};
use secrecy::{ExposeSecret, SecretString};

/// Where Plaza keeps its data.
#[derive(Debug, Clone)]
pub enum Store {
    /// One SQLite file, one Plaza process.
    Sqlite(DatabaseConfig),
    /// A PostgreSQL database that any number of Plaza instances share.
    Postgres(PgConfig),
}

/// The name of the generated secret's file, beside the database.
pub const SECRET_FILE: &str = "jwt_secret";

/// The SQLite reader pool's size unless `DATABASE_POOL_SIZE` says otherwise.
const SQLITE_POOL_SIZE: u32 = 8;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// The store: a SQLite database file (a `sqlite://` prefix is accepted; its directory is created when
    /// missing), or a `postgres://`/`postgresql://` URL.
    #[arg(long, env = "DATABASE_URL", default_value = "data/plaza.db", global = true)]
    pub database_url: String,

    /// The address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,

    /// The port to listen on.
    #[arg(long, env = "PORT", default_value_t = 8001, global = true)]
    pub port: u16,

    /// The HS256 signing secret, at least 32 bytes. When unset, one is generated on first start and kept
    /// in `jwt_secret` beside the database (readable only by its owner), so tokens survive restarts.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,

    /// How long an access token is valid, in minutes.
    #[arg(
        long,
        env = "ACCESS_TOKEN_EXPIRE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub access_token_expire_minutes: i64,

    /// bcrypt work factor (4–31): 12 is about 0.3 s a hash here; tests use 4.
    #[arg(long, env = "BCRYPT_COST", default_value_t = 12, global = true)]
    pub bcrypt_cost: u32,

    /// Where uploaded avatars are stored; created when missing.
    #[arg(long, env = "AVATAR_DIR", default_value = "data/avatars", global = true)]
    pub avatar_dir: PathBuf,

    /// SQLite `synchronous`: NORMAL (fast, durable across crashes) or FULL (also across power loss).
    #[arg(long, env = "SQLITE_SYNCHRONOUS", default_value = "NORMAL", global = true)]
    pub sqlite_synchronous: Synchronous,

    /// How long a writer waits for SQLite's write lock, in milliseconds.
    #[arg(long, env = "SQLITE_BUSY_TIMEOUT_MS", default_value_t = 5000, global = true)]
    pub sqlite_busy_timeout_ms: u64,

    /// Connections in the database pool (default: 8 on SQLite; on PostgreSQL twice this machine's cores).
    #[arg(long, env = "DATABASE_POOL_SIZE", global = true)]
    pub database_pool_size: Option<u32>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "WORKERS", global = true)]
    pub workers: Option<usize>,

    /// Threads per worker that run database work. Requests beyond them wait their turn in memory.
    #[arg(long, env = "BLOCKING_THREADS", default_value_t = 32, global = true)]
    pub blocking_threads: usize,

    /// Connections one client address may have open at once (0: no cap). Past it, `429` and the
    /// connection is closed.
    #[arg(
        long,
        env = "MAX_CONNECTIONS_PER_CLIENT",
        default_value_t = 128,
        global = true
    )]
    pub max_connections_per_client: usize,

    /// Live notification streams (`GET /notifications/stream`) one user may hold open on this instance;
    /// past it, `429`.
    #[arg(
        long,
        env = "STREAMS_PER_USER",
        default_value_t = StreamLimits::DEFAULT.per_user,
        global = true
    )]
    pub streams_per_user: usize,

    /// Live notification streams this instance holds open in all; past it, `503`.
    #[arg(
        long,
        env = "STREAMS_TOTAL",
        default_value_t = StreamLimits::DEFAULT.total,
        global = true
    )]
    pub streams_total: usize,

    /// Milliseconds a request body may pause between two chunks before the request is answered `408`
    /// and its connection closed (a whole body may take at most 60 s).
    #[arg(long, env = "BODY_IDLE_TIMEOUT_MS", default_value_t = 10_000, global = true)]
    pub body_idle_timeout_ms: u64,

    /// Seconds a response may wait on a client that does not read it before the connection is cut off
    /// (Linux: TCP_USER_TIMEOUT). 0: the kernel's default, which takes many minutes.
    #[arg(
        long,
        env = "RESPONSE_WRITE_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub response_write_timeout_secs: u64,

    /// Proxies whose `X-Forwarded-For` / `Forwarded` headers name the client: addresses and CIDR blocks,
    /// comma-separated (`127.0.0.1,10.0.0.0/8`). From any other peer those headers are ignored.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", global = true)]
    pub trusted_proxies: String,

    /// Requests per second one client address may make, in bursts of twice that (0: no limit).
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 50, global = true)]
    pub rate_limit_per_second: u32,

    /// `POST /token`, and separately `POST /users/`, per minute one client address may make, with bursts
    /// of three times that (0: no limit).
    #[arg(long, env = "RATE_LIMIT_AUTH_PER_MINUTE", default_value_t = 20, global = true)]
    pub rate_limit_auth_per_minute: u32,

    /// Other origins whose pages may call the API from a browser (CORS), comma-separated
    /// (`https://app.example.org`), or `*` for any. Empty: only Plaza's own pages.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", default_value = "", global = true)]
    pub cors_allowed_origins: String,

    /// A PEM certificate chain: with `TLS_KEY_PATH`, Plaza serves HTTPS itself (re-read on SIGHUP).
    #[arg(long, env = "TLS_CERT_PATH", requires = "tls_key_path", global = true)]
    pub tls_cert_path: Option<PathBuf>,

    /// The PEM private key of `TLS_CERT_PATH`.
    #[arg(long, env = "TLS_KEY_PATH", requires = "tls_cert_path", global = true)]
    pub tls_key_path: Option<PathBuf>,

    /// With TLS: a plain-HTTP port that redirects every request to HTTPS (e.g. 80), at `PUBLIC_URL`,
    /// which it needs.
    #[arg(long, env = "HTTP_REDIRECT_PORT", global = true)]
    pub http_redirect_port: Option<u16>,

    /// The address people reach Plaza at: `https://` (or `http://`), a host name and an optional port,
    /// nothing more (`https://plaza.example.org`). The HTTPS redirect sends clients there, never to the
    /// host a request names.
    #[arg(long, env = "PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// The mail server: `smtp://user:pass@host:587` (STARTTLS, required), `smtps://user:pass@host:465`
    /// (implicit TLS), or `smtp://127.0.0.1:2525?tls=none` (no TLS: a server on this machine only). Unset:
    /// mail is written as `.eml` files to `MAIL_DIR` instead.
    #[arg(long, env = "SMTP_URL", hide_env_values = true, global = true, value_parser = secret)]
    pub smtp_url: Option<SecretString>,

    /// The sender of Plaza's mail: `Plaza <plaza@example.org>` or a bare address. Its domain also ends
    /// every `Message-ID`.
    #[arg(
        long,
        env = "MAIL_FROM",
        default_value = "Plaza <plaza@localhost>",
        global = true
    )]
    pub mail_from: String,

    /// Whether creating events, posts and comments needs a verified e-mail address (`403
    /// email_unverified` otherwise). Off: everyone may write; addresses are verified all the same.
    #[arg(long, env = "REQUIRE_VERIFIED_EMAIL", default_value_t = false, global = true, action = clap::ArgAction::Set)]
    pub require_verified_email: bool,

    /// Without `SMTP_URL`: where mail is written, one `.eml` file each (default: `mail/` beside the SQLite
    /// database; `data/mail` on PostgreSQL).
    #[arg(long, env = "MAIL_DIR", global = true)]
    pub mail_dir: Option<PathBuf>,

    /// On SIGTERM/SIGINT: seconds `/health` answers `503` (so load balancers move away) before the server
    /// stops accepting connections.
    #[arg(long, env = "SHUTDOWN_DRAIN_SECS", default_value_t = 5, global = true)]
    pub shutdown_drain_secs: u64,

    /// Then, seconds requests in flight get to finish.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30, global = true)]
    pub shutdown_timeout_secs: u64,

    /// Where scheduled backups go (each a database copy, the avatars and the generated JWT secret);
    /// default: `backups/` beside the database.
    #[arg(long, env = "BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,

    /// Minutes between scheduled backups while serving (0: none).
    #[arg(long, env = "BACKUP_INTERVAL_MINUTES", default_value_t = 0, global = true)]
    pub backup_interval_minutes: u64,

    /// How many scheduled backups to keep; older ones are deleted.
    #[arg(long, env = "BACKUP_KEEP", default_value_t = 7, global = true)]
    pub backup_keep: usize,

    /// Log filter, as `tracing_subscriber`'s EnvFilter reads it: `info`, `plaza=debug,actix_web=info`, …
    #[arg(long, env = "LOG_LEVEL", default_value = "info", global = true)]
    pub log_level: String,

    /// `text` (one readable line per event) or `json` (one JSON object per line, for a log collector).
    #[arg(long, env = "LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: LogFormat,

    /// Where Prometheus metrics are served (`GET /metrics`), e.g. `127.0.0.1:9001`: a listener of its own,
    /// apart from the API's port. Unset: no metrics are kept or served.
    #[arg(long, env = "METRICS_ADDR", global = true, value_parser = socket_address)]
    pub metrics_addr: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// `host:port` with an IP address (`127.0.0.1:9001`, `[::1]:9001`): a metrics listener is bound to an
/// interface chosen on purpose, never to whatever a name resolves to.
fn socket_address(raw: &str) -> Result<String, String> {
    raw.parse::<std::net::SocketAddr>()
        .map(|_| raw.to_owned())
        .map_err(|_| format!("{raw:?} is not an IP address and port, such as 127.0.0.1:9001"))
}

impl Config {
    /// The defaults, with every file under `data_dir` and the given bcrypt cost: for tests and tools that
    /// need a self-contained instance.
    pub fn in_dir(data_dir: &Path, bcrypt_cost: u32) -> Self {
        Self {
            database_url: data_dir.join("plaza.db").to_string_lossy().into_owned(),
            host: "127.0.0.1".into(),
            port: 8001,
            jwt_secret: None,
            access_token_expire_minutes: 30,
            bcrypt_cost,
            avatar_dir: data_dir.join("avatars"),
            sqlite_synchronous: Synchronous::Normal,
            sqlite_busy_timeout_ms: 5000,
            database_pool_size: None,
            workers: None,
            blocking_threads: 32,
            max_connections_per_client: 128,
            streams_per_user: StreamLimits::DEFAULT.per_user,
            streams_total: StreamLimits::DEFAULT.total,
            body_idle_timeout_ms: 10_000,
            response_write_timeout_secs: 30,
            trusted_proxies: String::new(),
            rate_limit_per_second: 50,
            rate_limit_auth_per_minute: 20,
            cors_allowed_origins: String::new(),
            tls_cert_path: None,
            tls_key_path: None,
            http_redirect_port: None,
            public_url: None,
            smtp_url: None,
            mail_from: "Plaza <plaza@localhost>".into(),
            mail_dir: Some(data_dir.join("mail")),
            require_verified_email: false,
            shutdown_drain_secs: 5,
            shutdown_timeout_secs: 30,
            backup_dir: None,
            backup_interval_minutes: 0,
            backup_keep: 7,
            log_level: "info".into(),
            log_format: LogFormat::Text,
            metrics_addr: None,
        }
    }

    /// The proxies to trust, parsed.
    pub fn trusted_proxies(&self) -> anyhow::Result<plaza_http::settings::TrustedProxies> {
        plaza_http::settings::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(|error| anyhow::anyhow!("TRUSTED_PROXIES: {error}"))
    }

    /// `PUBLIC_URL` as an origin (`https://plaza.example.org:8443`, no trailing slash), when set; a value
    /// that is not one is refused with the reason.
    pub fn public_origin(&self) -> anyhow::Result<Option<String>> {
        self.public_url.as_deref().map(public_origin).transpose()
    }

    /// Where the plain-HTTP port redirects to: `PUBLIC_URL`'s origin, which must be `https://`. `None`
    /// when there is no such port (it needs TLS); without `PUBLIC_URL` the port is refused rather than
    /// redirect to whatever host a request names. A `PUBLIC_URL` that is not an origin is refused
    /// either way.
    pub fn redirect_origin(&self) -> anyhow::Result<Option<String>> {
        let public = self.public_origin()?;
        let tls = self.tls_cert_path.is_some() && self.tls_key_path.is_some();
        if self.http_redirect_port.is_none() || !tls {
            return Ok(None);
        }
        match public {
            Some(origin) if origin.starts_with("https://") => Ok(Some(origin)),
            Some(origin) => bail!(
                "PUBLIC_URL is {origin}, but HTTP_REDIRECT_PORT redirects to HTTPS: give the https:// address \
                 people reach Plaza at"
            ),
            None => bail!(
                "HTTP_REDIRECT_PORT needs PUBLIC_URL, the https:// address people reach Plaza at (e.g. \
                 https://plaza.example.org): the redirect goes there, never to the host a request names"
            ),
        }
    }

    /// The CORS origins, parsed.
    pub fn stream_limits(&self) -> StreamLimits {
        StreamLimits {
            per_user: self.streams_per_user,
            total: self.streams_total,
        }
    }

    pub fn cors_origins(&self) -> Vec<String> {
        self.cors_allowed_origins
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect()
    }

    /// The directory the database file is in.
    pub fn data_dir(&self) -> PathBuf {
        let path = database_path(&self.database_url);
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    /// Where the generated JWT secret lives (beside the database), whether or not it is used.
    pub fn secret_file(&self) -> PathBuf {
        self.data_dir().join(SECRET_FILE)
    }

    /// Where mail is written without `SMTP_URL`: `MAIL_DIR`, else `mail/` beside the SQLite database, or
    /// `data/mail` on PostgreSQL (which has no directory of its own).
    pub fn mail_dir(&self) -> PathBuf {
        match &self.mail_dir {
            Some(dir) => dir.clone(),
            None if self.on_postgres() => PathBuf::from("data/mail"),
            None => self.data_dir().join("mail"),
        }
    }

    /// The address mail links start with: `PUBLIC_URL`, else this server on `localhost` (right for a
    /// developer's machine; a deployment sets `PUBLIC_URL`, and links never come from a request's `Host`).
    pub fn mail_origin(&self) -> anyhow::Result<String> {
        Ok(match self.public_origin()? {
            Some(origin) => origin,
            None => {
                let scheme = if self.tls_cert_path.is_some() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://localhost:{}", self.port)
            }
        })
    }

    /// Where scheduled backups go.
    pub fn backup_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir().join("backups"))
    }

    /// The store `DATABASE_URL` names: PostgreSQL for a `postgres://` or `postgresql://` URL, otherwise
    /// the SQLite file.
    pub fn store(&self) -> anyhow::Result<Store> {
        if is_postgres_url(&self.database_url) {
            return Ok(Store::Postgres(PgConfig {
                url: self.database_url.clone(),
                pool_size: self.pool_size(),
                connection_timeout: Duration::from_secs(5),
            }));
        }
        self.database().map(Store::Sqlite)
    }

    /// Connections in the pool: `DATABASE_POOL_SIZE`, or the store's default. SQLite's readers: 8. On
    /// PostgreSQL, twice this machine's cores (the database's, when it runs beside Plaza): more backends
    /// than that only take turns on the cores, and a page that waits its turn mid-statement stretches
    /// the slowest answers (on 2 cores, 8 connections: the event page's p99 127 ms, 4: 27 ms, at the
    /// same rate; docs/performance.md, issue 22).
    pub fn pool_size(&self) -> u32 {
        self.database_pool_size.unwrap_or_else(|| {
            if self.on_postgres() {
                let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
                u32::try_from(cores.saturating_mul(2)).unwrap_or(u32::MAX).max(2)
            } else {
                SQLITE_POOL_SIZE
            }
        })
    }

    /// Whether the store is PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        is_postgres_url(&self.database_url)
    }

    /// The SQLite database to open. A PostgreSQL URL is refused with the reason (what calls this works on
    /// the SQLite file only), and a URL naming another store is refused rather than taken for a file name.
    pub fn database(&self) -> anyhow::Result<DatabaseConfig> {
        if self.on_postgres() {
            bail!(
                "DATABASE_URL names a PostgreSQL database, and this works on the SQLite store only \
                 (back PostgreSQL up with pg_dump and restore it with pg_restore; see docs/operations.md)"
            );
        }
        if let Some((scheme, _)) = self.database_url.split_once(':')
            && scheme.len() > 1
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !scheme.eq_ignore_ascii_case("sqlite")
        {
            bail!(
                "DATABASE_URL names a `{scheme}:` store, which Plaza does not serve; give the path of a \
                 SQLite file (e.g. data/plaza.db or sqlite://data/plaza.db)"
            );
        }
        Ok(DatabaseConfig {
            path: database_path(&self.database_url),
            synchronous: self.sqlite_synchronous,
            busy_timeout: Duration::from_millis(self.sqlite_busy_timeout_ms),
            pool_size: self.pool_size(),
            ..DatabaseConfig::new(database_path(&self.database_url))
        })
    }

    /// The configured secret, or the one kept beside the database (generated on first use).
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        match self.jwt_secret.as_ref().map(|secret| secret.expose_secret()) {
            Some(secret) if secret.len() < MIN_SECRET_BYTES => bail!(
                "JWT_SECRET is {} bytes long; it must be at least {MIN_SECRET_BYTES} (try `openssl rand -hex 32`)",
                secret.len()
            ),
            Some(secret) => Ok(secret.as_bytes().to_vec()),
            None if self.on_postgres() => bail!(
                "JWT_SECRET must be set when DATABASE_URL is PostgreSQL: every Plaza instance on the database \
                 must sign and check tokens with the same secret (try `openssl rand -hex 32`)"
            ),
            None => stored_secret(&self.secret_file()),
        }
    }
}

/// `http(s)://host[:port]`, a trailing `/` allowed: the origin, lower-cased, without the slash.
fn public_origin(url: &str) -> anyhow::Result<String> {
    let refuse = |why: &str| {
        anyhow::anyhow!(
            "PUBLIC_URL {url:?} {why}: give the address people reach Plaza at, as \
             https://host or https://host:port (e.g. https://plaza.example.org)"
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(|| refuse("has no scheme"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(refuse("is neither https:// nor http://"));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(refuse("has a path, query or fragment"));
    }
    if authority.contains('@') {
        return Err(refuse("holds a user name"));
    }
    let parsed: actix_web::http::uri::Authority =
        authority.parse().map_err(|_| refuse("has no valid host"))?;
    if parsed.host().is_empty() {
        return Err(refuse("has no host"));
    }
    let port = &parsed.as_str()[parsed.host().len()..];
    let digits = port
        .strip_prefix(':')
        .filter(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if !port.is_empty() && digits.and_then(|p| p.parse::<u16>().ok()).is_none() {
        return Err(refuse("has no valid port"));
    }
    Ok(format!("{scheme}://{}", parsed.as_str().to_ascii_lowercase()))
}

fn secret(raw: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(raw))
}

/// Reads the secret file, creating it with a fresh random secret (mode 0600) when there is none.
pub fn stored_secret(path: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        crate::private_dir::create_private_dir(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match fs::read_to_string(path) {
        Ok(secret) => {
            let secret = secret.trim();
            if secret.len() < MIN_SECRET_BYTES {
                bail!(
                    "{} holds fewer than {MIN_SECRET_BYTES} bytes; delete it to generate a new secret",
                    path.display()
                );
            }
            return Ok(secret.as_bytes().to_vec());
        }
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
        Err(_) => {}
    }
    let mut random = [0u8; 32];
    getrandom::fill(&mut random)
        .map_err(|error| anyhow::anyhow!("no randomness for the JWT secret: {error}"))?;
    let secret: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(secret.as_bytes())?;
            file.sync_all()?;
            tracing::info!(file = %path.display(), "generated a new JWT secret");
            Ok(secret.into_bytes())
        }
        // Another process created it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => stored_secret(path),
        Err(error) => Err(error).with_context(|| format!("cannot write {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        config: Config,
    }

    fn config(args: &[&str]) -> Config {
        let mut argv = vec!["plaza"];
        argv.extend_from_slice(args);
        Wrapper::try_parse_from(argv).expect("arguments parse").config
    }

    #[test]
    fn a_generated_secret_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db/plaza.db");
        let config = config(&["--database-url", db.to_str().unwrap()]);
        let config = Config {
            jwt_secret: None,
            ..config
        };
        let first = config.jwt_secret().unwrap();
        assert!(first.len() >= MIN_SECRET_BYTES);
        assert_eq!(config.jwt_secret().unwrap(), first, "kept across restarts");
        let file = dir.path().join("db").join(SECRET_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(
                fs::metadata(dir.path().join("db")).unwrap().permissions().mode() & 0o777,
                0o700,
                "the folder made for it"
            );
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = config(&["--jwt-secret", "a-very-secret-value-of-enough-bytes-1234"]);
        let printed = format!("{config:?}");
        assert!(!printed.contains("a-very-secret"), "{printed}");
        assert_eq!(
            config.jwt_secret().unwrap(),
            b"a-very-secret-value-of-enough-bytes-1234"
        );
    }

    #[test]
    fn the_url_chooses_the_store_and_unknown_stores_refuse_to_start() {
        for url in [
            "postgres://plaza@localhost/plaza",
            "postgresql://x",
            "POSTGRES://x",
        ] {
            let config = config(&["--database-url", url]);
            assert!(matches!(config.store().unwrap(), Store::Postgres(_)), "{url}");
            let error = config.database().unwrap_err().to_string();
            assert!(error.contains("SQLite store only"), "{url}: {error}");
        }
        let error = config(&["--database-url", "mysql://y"])
            .store()
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not serve"), "{error}");
        for url in ["data/plaza.db", "sqlite://data/p.db", "sqlite:p.db", "./p.db"] {
            let config = config(&["--database-url", url]);
            assert!(matches!(config.store().unwrap(), Store::Sqlite(_)), "{url}");
        }
    }

    #[test]
    fn the_pool_is_eight_on_sqlite_and_twice_the_cores_on_postgres_unless_set() {
        let pool = |url: &str| match config(&["--database-url", url]).store().unwrap() {
            Store::Sqlite(sqlite) => sqlite.pool_size,
            Store::Postgres(postgres) => postgres.pool_size,
        };
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(pool("data/plaza.db"), 8);
        assert_eq!(pool("postgres://plaza@localhost/plaza") as usize, 2 * cores);
        let set = config(&[
            "--database-url",
            "postgres://plaza@localhost/plaza",
            "--database-pool-size",
            "3",
        ]);
        assert_eq!(set.pool_size(), 3);
    }

    #[test]
    fn postgres_needs_a_shared_secret() {
        let config = Config {
            jwt_secret: None,
            ..config(&["--database-url", "postgres://plaza@localhost/plaza"])
        };
        let error = config.jwt_secret().unwrap_err().to_string();
        assert!(error.contains("JWT_SECRET must be set"), "{error}");
    }

    #[test]
    fn public_url_is_an_origin_and_the_https_redirect_needs_an_https_one() {
        for (url, origin) in [
            ("https://plaza.example.org", "https://plaza.example.org"),
            ("https://Plaza.Example.org/", "https://plaza.example.org"),
            ("HTTPS://plaza.example.org:8443", "https://plaza.example.org:8443"),
            ("http://127.0.0.1:8001/", "http://127.0.0.1:8001"),
            ("https://[::1]:8443", "https://[::1]:8443"),
        ] {
            let config = config(&["--public-url", url]);
            assert_eq!(config.public_origin().unwrap().as_deref(), Some(origin), "{url}");
        }
        for url in [
            "plaza.example.org",
            "ftp://plaza.example.org",
            "https://",
            "https:///x",
            "https://plaza.example.org/plaza",
            "https://plaza.example.org?x=1",
            "https://plaza.example.org/#top",
            "https://user@plaza.example.org",
            "https://plaza.example.org:",
            "https://plaza.example.org:99999",
            "https://plaza.example.org:80x",
            "https://pla za.example.org",
        ] {
            let error = config(&["--public-url", url])
                .public_origin()
                .unwrap_err()
                .to_string();
            assert!(error.contains("PUBLIC_URL"), "{url}: {error}");
        }
        assert_eq!(config(&[]).public_origin().unwrap(), None);

        let tls = ["--tls-cert-path", "c.pem", "--tls-key-path", "k.pem"];
        let with = |extra: &[&str]| config(&[&tls[..], extra].concat());
        assert_eq!(with(&[]).redirect_origin().unwrap(), None, "no redirect port");
        let error = config(&["--public-url", "https://plaza.example.org/x"])
            .redirect_origin()
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("PUBLIC_URL"),
            "checked without a redirect too: {error}"
        );
        assert_eq!(
            config(&["--http-redirect-port", "80"]).redirect_origin().unwrap(),
            None,
            "no TLS, no redirect"
        );
        let error = with(&["--http-redirect-port", "80"])
            .redirect_origin()
            .unwrap_err()
            .to_string();
        assert!(error.contains("HTTP_REDIRECT_PORT needs PUBLIC_URL"), "{error}");
        let error = with(&[
            "--http-redirect-port",
            "80",
            "--public-url",
            "http://plaza.example.org",
        ])
        .redirect_origin()
        .unwrap_err()
        .to_string();
        assert!(error.contains("https://"), "{error}");
        assert_eq!(
            with(&[
                "--http-redirect-port",
                "80",
                "--public-url",
                "https://plaza.example.org/"
            ])
            .redirect_origin()
            .unwrap()
            .as_deref(),
            Some("https://plaza.example.org")
        );
    }

    #[test]
    fn a_short_secret_refuses_to_start() {
        let config = Config {
            jwt_secret: Some(SecretString::from("short")),
            ..config(&[])
        };
        let error = config.jwt_secret().unwrap_err().to_string();
        assert!(error.contains("at least 32"), "{error}");
    }

    #[test]
    fn defaults_follow_the_original_design() {
        let config = Config {
            jwt_secret: None,
            ..config(&[])
        };
        assert_eq!(config.port, 8001);
        assert_eq!(config.host, "127.0.0.1");
        assert_eq!(config.access_token_expire_minutes, 30);
        let config = self::config(&["--database-url", "sqlite://x/y.db"]);
        assert_eq!(config.database().unwrap().path, PathBuf::from("x/y.db"));
    }
}
