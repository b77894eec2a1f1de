//! `plaza check-config`: every setting checked the way `serve` checks it, and the configuration that
//! would be in effect, with secrets masked. Nothing is opened, created or bound: the database, the ports
//! and the mail server are `serve`'s to reach (and `/readyz` says whether it did).

use std::path::Path;

use plaza_app::token::MIN_SECRET_BYTES;
use plaza_app::{BcryptHasher, JwtTokenCodec, WorkLimit};
use plaza_infra_mail::{FromAddress, SmtpUrl};
use secrecy::ExposeSecret;

use crate::config::{Config, Store};

/// The effective settings, and what would stop `serve`.
#[derive(Debug, Default)]
pub struct Report {
    /// `(variable, value as in effect)`, secrets masked.
    pub settings: Vec<(&'static str, String)>,
    /// Each problem, naming its variable.
    pub problems: Vec<String>,
}

impl Report {
    /// Whether `serve` would start with this configuration.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The report as printed: one `NAME=value` line per setting, then the verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.settings {
            out.push_str(&format!("{name}={value}\n"));
        }
        if self.ok() {
            out.push_str("\nok: `plaza serve` would start with this configuration\n");
        } else {
            out.push_str(&format!(
                "\n{} problem(s); `plaza serve` would not start:\n",
                self.problems.len()
            ));
            for problem in &self.problems {
                out.push_str(&format!("  - {problem}\n"));
            }
        }
        out
    }

    fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.settings.push((name, value.into()));
    }

    fn check<T, E: std::fmt::Display>(&mut self, name: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.problems.push(format!("{name}: {error:#}"));
                None
            }
        }
    }
}

/// Checks `config` as `serve` would, without side effects.
pub fn check(config: &Config) -> Report {
    let mut report = Report::default();
    report.set("DATABASE_URL", masked_url(&config.database_url));
    let store = report.check("DATABASE_URL", config.store());
    report.set(
        "STORE",
        match &store {
            Some(Store::Sqlite(sqlite)) => format!("sqlite ({})", sqlite.path.display()),
            Some(Store::Postgres(_)) => "postgresql".to_owned(),
            None => "(invalid)".to_owned(),
        },
    );
    report.set("HOST", &config.host);
    report.set("PORT", config.port.to_string());
    let secret = jwt_secret(config, &mut report);
    report.set("JWT_SECRET", secret);
    report.set(
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        config.access_token_expire_minutes.to_string(),
    );
    report.check(
        "ACCESS_TOKEN_EXPIRE_MINUTES",
        JwtTokenCodec::new(&[0; MIN_SECRET_BYTES], config.access_token_expire_minutes),
    );
    report.set("BCRYPT_COST", config.bcrypt_cost.to_string());
    report.check(
        "BCRYPT_COST",
        BcryptHasher::new(config.bcrypt_cost, WorkLimit::for_this_machine()),
    );
    report.set("AVATAR_DIR", config.avatar_dir.display().to_string());
    usable_dir(&mut report, "AVATAR_DIR", &config.avatar_dir);
    if !config.on_postgres() {
        report.set("SQLITE_SYNCHRONOUS", format!("{:?}", config.sqlite_synchronous));
        report.set(
            "SQLITE_BUSY_TIMEOUT_MS",
            config.sqlite_busy_timeout_ms.to_string(),
        );
    }
    report.set("DATABASE_POOL_SIZE", config.pool_size().to_string());
    report.set(
        "WORKERS",
        config
            .workers
            .map_or_else(|| "(one per core)".to_owned(), |workers| workers.to_string()),
    );
    report.set("BLOCKING_THREADS", config.blocking_threads.to_string());
    report.set(
        "MAX_CONNECTIONS_PER_CLIENT",
        config.max_connections_per_client.to_string(),
    );
    report.set("STREAMS_PER_USER", config.streams_per_user.to_string());
    report.set("STREAMS_TOTAL", config.streams_total.to_string());
    report.set("BODY_IDLE_TIMEOUT_MS", config.body_idle_timeout_ms.to_string());
    report.set(
        "RESPONSE_WRITE_TIMEOUT_SECS",
        config.response_write_timeout_secs.to_string(),
    );
    report.set("TRUSTED_PROXIES", &config.trusted_proxies);
    report.check("TRUSTED_PROXIES", config.trusted_proxies());
    report.set("RATE_LIMIT_PER_SECOND", config.rate_limit_per_second.to_string());
    report.set(
        "RATE_LIMIT_AUTH_PER_MINUTE",
        config.rate_limit_auth_per_minute.to_string(),
    );
    report.set("CORS_ALLOWED_ORIGINS", &config.cors_allowed_origins);
    tls(config, &mut report);
    report.set("PUBLIC_URL", config.public_url.clone().unwrap_or_default());
    report.check("PUBLIC_URL", config.public_origin());
    report.check("HTTP_REDIRECT_PORT", config.redirect_origin());
    mail(config, &mut report);
    report.set(
        "REQUIRE_VERIFIED_EMAIL",
        config.require_verified_email.to_string(),
    );
    report.set("SHUTDOWN_DRAIN_SECS", config.shutdown_drain_secs.to_string());
    report.set("SHUTDOWN_TIMEOUT_SECS", config.shutdown_timeout_secs.to_string());
    if !config.on_postgres() {
        report.set("BACKUP_DIR", config.backup_dir().display().to_string());
        report.set(
            "BACKUP_INTERVAL_MINUTES",
            config.backup_interval_minutes.to_string(),
        );
        report.set("BACKUP_KEEP", config.backup_keep.to_string());
    }
    report.set("LOG_LEVEL", &config.log_level);
    report.check(
        "LOG_LEVEL",
        tracing_subscriber::EnvFilter::try_new(&config.log_level),
    );
    report.set("LOG_FORMAT", format!("{:?}", config.log_format).to_lowercase());
    report.set(
        "METRICS_ADDR",
        config.metrics_addr.clone().unwrap_or_else(|| "(off)".to_owned()),
    );
    report
}

/// What `JWT_SECRET` will be, never the secret itself.
fn jwt_secret(config: &Config, report: &mut Report) -> String {
    match &config.jwt_secret {
        Some(secret) => {
            let length = secret.expose_secret().len();
            if length < MIN_SECRET_BYTES {
                report.problems.push(format!(
                    "JWT_SECRET: {length} bytes long; it must be at least {MIN_SECRET_BYTES} (try `openssl rand -hex 32`)"
                ));
            }
            format!("*** ({length} bytes)")
        }
        None if config.on_postgres() => {
            report.check("JWT_SECRET", config.jwt_secret());
            "(unset)".to_owned()
        }
        None => {
            let file = config.secret_file();
            if file.exists() {
                format!("*** (kept in {})", file.display())
            } else {
                format!("(generated at first start into {})", file.display())
            }
        }
    }
}

fn tls(config: &Config, report: &mut Report) {
    let shown = |path: &Option<std::path::PathBuf>| {
        path.as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    };
    report.set("TLS_CERT_PATH", shown(&config.tls_cert_path));
    report.set("TLS_KEY_PATH", shown(&config.tls_key_path));
    if let (Some(cert), Some(key)) = (&config.tls_cert_path, &config.tls_key_path) {
        report.check("TLS_CERT_PATH", crate::tls::Certificates::load(cert, key));
    }
    report.set(
        "HTTP_REDIRECT_PORT",
        config
            .http_redirect_port
            .map(|port| port.to_string())
            .unwrap_or_default(),
    );
}

fn mail(config: &Config, report: &mut Report) {
    match &config.smtp_url {
        Some(url) => {
            report.set("SMTP_URL", masked_url(url.expose_secret()));
            report.check("SMTP_URL", SmtpUrl::parse(url.expose_secret()));
        }
        None => {
            report.set(
                "SMTP_URL",
                format!("(unset: mail is written to {})", config.mail_dir().display()),
            );
            usable_dir(report, "MAIL_DIR", &config.mail_dir());
        }
    }
    report.set("MAIL_FROM", &config.mail_from);
    report.check("MAIL_FROM", FromAddress::parse(&config.mail_from));
    if let Some(origin) = report.check("PUBLIC_URL", config.mail_origin()) {
        report.set("MAIL_LINKS", origin);
    }
}

/// A directory `serve` creates when missing: refused when something else stands in its way.
fn usable_dir(report: &mut Report, name: &str, dir: &Path) {
    if dir.exists() && !dir.is_dir() {
        report
            .problems
            .push(format!("{name}: {} exists and is not a directory", dir.display()));
    }
}

/// A URL with the password of its user part replaced by `***`.
pub fn masked_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user part ends at the last `@` before the path: a password may hold `?`, `#` or `@` (libpq
    // reads it so).
    let path_start = rest.find('/').unwrap_or(rest.len());
    let (user_info, after) = match rest[..path_start].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    // A password may also hide in the query (`?password=`): every query value is masked.
    let after = masked_query(after);
    match user_info {
        Some(user_info) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{after}"),
            None => format!("{scheme}://{user_info}@{after}"),
        },
        None => format!("{scheme}://{after}"),
    }
}

fn masked_query(tail: &str) -> String {
    match tail.split_once('?') {
        None => tail.to_owned(),
        Some((path, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) if name.eq_ignore_ascii_case("tls") => pair.to_owned(),
                    Some((name, _)) => format!("{name}=***"),
                    None => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", pairs.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            masked_url("postgres://plaza:s3cret@db.example.org:5432/plaza"),
            "postgres://plaza:***@db.example.org:5432/plaza"
        );
        assert_eq!(
            masked_url("smtp://mailer:p%40ss@smtp.example.org:587"),
            "smtp://mailer:***@smtp.example.org:587"
        );
        assert_eq!(
            masked_url("smtp://127.0.0.1:2525?tls=none"),
            "smtp://127.0.0.1:2525?tls=none"
        );
        assert_eq!(
            masked_url("postgres://db/plaza?user=plaza&password=hunter2"),
            "postgres://db/plaza?user=***&password=***"
        );
        assert_eq!(masked_url("data/plaza.db"), "data/plaza.db");
        assert_eq!(
            masked_url("postgres://plaza:p?a#s@s@db.example.org/plaza"),
            "postgres://plaza:***@db.example.org/plaza"
        );
    }

    #[test]
    fn a_good_configuration_passes_and_shows_no_secret() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = Config::in_dir(dir.path(), 4);
        config.jwt_secret = Some("an-example-secret-of-forty-bytes-or-more!".into());
        let report = check(&config);
        assert!(report.ok(), "{:?}", report.problems);
        let printed = report.render();
        assert!(printed.contains("JWT_SECRET=*** (41 bytes)"), "{printed}");
        assert!(!printed.contains("an-example-secret"), "{printed}");
        assert!(printed.contains("ok: `plaza serve` would start"), "{printed}");
        assert!(!dir.path().join("jwt_secret").exists(), "nothing is created");
    }

    #[test]
    fn each_problem_names_its_variable() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = Config::in_dir(dir.path(), 3);
        config.jwt_secret = Some("short".into());
        config.trusted_proxies = "10.0.0.0/99".into();
        config.public_url = Some("ftp://plaza.example.org".into());
        config.mail_from = "not an address".into();
        config.log_level = "plaza=shouting".into();
        config.smtp_url = Some("smtp://mailer:secret-pass@smtp.example.org:25?tls=maybe".into());
        let report = check(&config);
        assert!(!report.ok());
        for variable in [
            "JWT_SECRET",
            "BCRYPT_COST",
            "TRUSTED_PROXIES",
            "PUBLIC_URL",
            "MAIL_FROM",
            "LOG_LEVEL",
            "SMTP_URL",
        ] {
            assert!(
                report
                    .problems
                    .iter()
                    .any(|problem| problem.starts_with(&format!("{variable}:"))),
                "{variable} among {:?}",
                report.problems
            );
        }
        assert!(!report.render().contains("secret-pass"));
    }

    #[test]
    fn postgres_needs_a_shared_secret() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = Config::in_dir(dir.path(), 4);
        config.database_url = "postgres://plaza:pw@localhost/plaza".into();
        let report = check(&config);
        assert!(
            report
                .problems
                .iter()
                .any(|problem| problem.starts_with("JWT_SECRET:")),
            "{:?}",
            report.problems
        );
        assert!(
            report
                .render()
                .contains("DATABASE_URL=postgres://plaza:***@localhost/plaza")
        );
    }
}
