//! The Plaza server: configuration, wiring and the sample community, shared by the `plaza` binary and the
//! end-to-end tests (which run the very same wiring on a temporary database).

pub mod allocator;
pub mod backup;
pub mod check_config;
pub mod config;
pub mod mail_worker;
pub mod metrics;
pub mod migrate;
pub mod private_dir;
pub mod sample;
pub mod starting;
pub mod tls;
pub mod wiring;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use plaza_http::connections::ConnectionLimit;
use plaza_http::settings::RateLimits;

pub use config::Config;

/// A client that stops reading (a full receive window, say after pipelining requests it never reads the
/// answers to) would otherwise hold its connection forever: the kernel closes a connection whose sent
/// data stays unacknowledged for `timeout`, zero-window probes included.
fn cut_off_clients_that_stop_reading(tcp: &actix_web::rt::net::TcpStream, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(error) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout)) {
        tracing::debug!(%error, "cannot set TCP_USER_TIMEOUT");
    }
}

/// A server bound and ready to run, with what the binary needs to drive it.
pub struct Running {
    /// Await it to serve; stop it through its handle.
    pub server: actix_web::dev::Server,
    /// The port bound (so that port 0 works).
    pub port: u16,
    /// The plain-HTTP port that redirects to HTTPS, when there is one.
    pub redirect: Option<(actix_web::dev::Server, u16)>,
    pub lifecycle: Arc<plaza_http::Lifecycle>,
    pub database: wiring::Storage,
    /// The TLS certificates, to reload on SIGHUP.
    pub certificates: Option<Arc<tls::Certificates>>,
    /// Held for as long as the server runs on a SQLite file (see [`backup::DataLock`]); several instances
    /// may share a PostgreSQL database.
    pub lock: Option<backup::DataLock>,
    /// On PostgreSQL, the connection hearing other instances' live-notification signals.
    pub listener: Option<plaza_infra_postgres::bus::Listener>,
    /// Delivers the mail outbox; stops when dropped.
    pub mail_worker: mail_worker::MailWorker,
    /// The Prometheus listener and its port, with `METRICS_ADDR`.
    pub metrics: Option<(actix_web::dev::Server, u16)>,
}

/// Opens the store and binds `config.host:config.port` (HTTPS when a certificate is configured), and
/// returns the server, not yet running. Signals are the caller's: the binary drains on SIGTERM, the tests
/// stop it by its handle.
pub fn server(config: &Config) -> anyhow::Result<Running> {
    let opened = open(config)?;
    serve_on(config, opened, None)
}

/// The store, open and wired, and (on SQLite) locked for this process.
pub struct Opened {
    lock: Option<backup::DataLock>,
    wired: wiring::Wired,
}

impl Opened {
    /// Lets the SQLite writer keep the search index merged while it is idle (what a serving process
    /// does; the one-off commands leave the file alone).
    pub fn start_upkeep(&self) -> anyhow::Result<()> {
        if let Some(database) = self.wired.database.sqlite() {
            database
                .start_upkeep()
                .context("starting the database's upkeep")?;
        }
        Ok(())
    }
}

/// Checks what must be checked before anything is opened, takes the SQLite file's lock, and opens the
/// store (creating and migrating it) with every use case over it.
pub fn open(config: &Config) -> anyhow::Result<Opened> {
    // A redirect needs somewhere safe to go.
    config.redirect_origin()?;
    let lock = match config.store()? {
        config::Store::Sqlite(sqlite) => Some(backup::DataLock::acquire(&sqlite.path)?),
        config::Store::Postgres(_) => None,
    };
    let wired = wiring::wire(config)?;
    Ok(Opened { lock, wired })
}

/// Serves the opened store on `listeners` — sockets the caller bound already (the binary binds them first,
/// so that they answer `/livez` while it waits for the database) — or on `config.host:config.port`.
pub fn serve_on(
    config: &Config,
    opened: Opened,
    listeners: Option<Vec<std::net::TcpListener>>,
) -> anyhow::Result<Running> {
    let redirect_origin = config.redirect_origin()?;
    let Opened { lock, wired } = opened;
    if config.smtp_url.is_some() && config.public_url.is_none() {
        tracing::warn!(
            origin = %config.mail_origin()?,
            "SMTP_URL is set but PUBLIC_URL is not: links in mail point at this machine's localhost"
        );
    }
    let mail_worker = mail_worker::MailWorker::start(
        wired.services.mail.clone(),
        wired.services.notification_mail.clone(),
    )
    .context("starting the mail delivery thread")?;
    // Draining ends the live streams at once: their clients reconnect to an instance that stays.
    let lifecycle = Arc::new(plaza_http::Lifecycle::ending_streams(
        wired.services.live.hub().clone(),
    ));
    let metrics = match &config.metrics_addr {
        Some(address) => Some(metrics::listener(
            address,
            metrics::Sources {
                storage: wired.database.clone(),
                hub: wired.services.live.hub().clone(),
                mail: wired.services.mail.clone(),
            },
        )?),
        None => None,
    };
    let trusted_proxies = config.trusted_proxies()?;
    let certificates = match (&config.tls_cert_path, &config.tls_key_path) {
        (Some(cert), Some(key)) => Some(tls::Certificates::load(cert, key)?),
        _ => None,
    };
    let state = plaza_http::AppState {
        services: wired.services,
        settings: plaza_http::HttpSettings {
            body_idle: Duration::from_millis(config.body_idle_timeout_ms),
            trusted_proxies: trusted_proxies.clone(),
            rate_limits: Arc::new(RateLimits::new(
                config.rate_limit_per_second,
                config.rate_limit_auth_per_minute,
            )),
            cors_origins: config.cors_origins(),
            hsts: certificates.is_some(),
            lifecycle: lifecycle.clone(),
            public_origin: config.public_origin()?,
            ..Default::default()
        },
    };
    let connections = ConnectionLimit::new(config.max_connections_per_client);
    let write_timeout = Duration::from_secs(config.response_write_timeout_secs);
    let mut server = actix_web::HttpServer::new(move || plaza_http::app(state.clone()))
        .on_connect(move |connection, data| {
            let tcp = connection
                .downcast_ref::<actix_web::rt::net::TcpStream>()
                .or_else(|| {
                    connection
                        .downcast_ref::<actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>>()
                        .map(|tls| tls.get_ref().0)
                });
            if let Some(tcp) = tcp {
                // A proxy carries many clients on its connections: only direct clients are capped.
                if let Ok(peer) = tcp.peer_addr()
                    && !trusted_proxies.contains(peer.ip())
                {
                    data.insert(connections.open(peer.ip()));
                }
                cut_off_clients_that_stop_reading(tcp, write_timeout);
            }
        })
        .disable_signals()
        // A client that closes its connection is noticed at once, not at the next write: a live
        // notification stream writes only every few seconds, and until then would count against the
        // stream limits. (HTTP clients do not half-close a connection while awaiting the answer.)
        .h1_allow_half_closed(false)
        .worker_max_blocking_threads(config.blocking_threads.max(1))
        .shutdown_timeout(config.shutdown_timeout_secs);
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let address = (config.host.as_str(), config.port);
    let cannot_listen = || format!("cannot listen on {}:{}", config.host, config.port);
    let server = match (&certificates, listeners) {
        (Some(certificates), Some(listeners)) => {
            for listener in listeners {
                server = server
                    .listen_rustls_0_23(listener, certificates.server_config()?)
                    .with_context(cannot_listen)?;
            }
            server
        }
        (Some(certificates), None) => server
            .bind_rustls_0_23(address, certificates.server_config()?)
            .with_context(|| format!("{} (HTTPS)", cannot_listen()))?,
        (None, Some(listeners)) => {
            for listener in listeners {
                server = server.listen(listener).with_context(cannot_listen)?;
            }
            server
        }
        (None, None) => server.bind(address).with_context(cannot_listen)?,
    };
    let port = server
        .addrs()
        .first()
        .map(|address| address.port())
        .unwrap_or(config.port);
    let redirect = match (config.http_redirect_port, redirect_origin) {
        (Some(plain), Some(origin)) => Some(redirect_server(config, plain, origin)?),
        _ => None,
    };
    Ok(Running {
        server: server.run(),
        port,
        redirect,
        lifecycle,
        database: wired.database,
        certificates,
        lock,
        listener: wired.listener,
        mail_worker,
        metrics,
    })
}

/// A plain-HTTP server that sends every request to the same path at `origin`, `PUBLIC_URL` over HTTPS
/// (`308`, so a `POST` stays a `POST`). The host a request names (`Host`, an absolute URI,
/// `X-Forwarded-Host`) is never used: it is the client's to choose, and would make this an open redirect.
fn redirect_server(
    config: &Config,
    plain: u16,
    origin: String,
) -> anyhow::Result<(actix_web::dev::Server, u16)> {
    let origin: std::sync::Arc<str> = origin.into();
    let server = actix_web::HttpServer::new(move || {
        let origin = origin.clone();
        actix_web::App::new().default_service(actix_web::web::to(move |req: actix_web::HttpRequest| {
            let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
            // An absolute path always (not `*`, not empty): the target stays on `origin`.
            let path = if path.starts_with('/') { path } else { "/" };
            let target = format!("{origin}{path}");
            async move {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header((actix_web::http::header::LOCATION, target))
                    .finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind((config.host.as_str(), plain))
    .with_context(|| format!("cannot listen on {}:{plain} (HTTP redirect)", config.host))?;
    let port = server.addrs().first().map_or(plain, |address| address.port());
    Ok((server.run(), port))
}
