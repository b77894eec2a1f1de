//! `plaza`: the Plaza server. `plaza serve` (the default) runs the HTTP API; `plaza init-db` creates and
//! migrates the database, optionally with sample data; `plaza backup` and `plaza restore` copy a whole
//! Plaza out and back.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::time::Duration;

use actix_web::rt::signal::unix::{SignalKind, signal};
use plaza::config::LogFormat;
use plaza::{Config, backup, sample, wiring};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    name = "plaza",
    version,
    about = "A self-hosted backend for a community around events"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    config: Config,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (the default).
    Serve,
    /// Create the database and run its migrations, then exit.
    InitDb {
        /// Also load a small sample community (users, events, comments, notifications, posts).
        #[arg(long)]
        sample_data: bool,
    },
    /// Write a consistent backup of the live Plaza to FILE (with FILE.avatars/ and FILE.jwt_secret beside
    /// it), check it, and report what it holds. A running server may keep serving meanwhile.
    Backup {
        /// The database copy to write; never overwritten.
        file: std::path::PathBuf,
    },
    /// Replace the (stopped) Plaza's database, avatars and generated secret with backup FILE, after
    /// checking it. Refuses while a server runs on the database.
    Restore {
        /// A database copy written by `plaza backup`.
        file: std::path::PathBuf,
    },
    /// Copy a SQLite community (stopped) into an empty PostgreSQL database, keeping every id, in one
    /// transaction that commits only when the counts match. The SQLite file is only read, and must be a
    /// Plaza database of this version. Avatars stay in AVATAR_DIR: give the PostgreSQL instances that
    /// directory.
    MigrateData {
        /// The SQLite database file to copy.
        #[arg(long)]
        from: std::path::PathBuf,
        /// The empty PostgreSQL database to copy into (postgres://…).
        #[arg(long)]
        to: String,
    },
    /// Check every setting as `serve` would, print the configuration in effect (secrets masked), and exit
    /// 0 when `serve` would start with it, 1 when not. Opens, creates and binds nothing.
    CheckConfig,
    /// Look after the community from the command line, on either store (a server may be running).
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Give USERNAME a role: how the first admin is made. Logged in the moderation log without a
    /// moderator. The last admin cannot be made anything else.
    SetRole {
        /// The user name (any case).
        username: String,
        /// `admin`, `moderator` or `member`.
        #[arg(value_parser = ["admin", "moderator", "member"])]
        role: String,
    },
}

fn main() -> anyhow::Result<()> {
    // First, while this is the only thread: a calendar feed's text otherwise stays in the arenas of the
    // threads that build it. Reported once logging is set up.
    let large_blocks_mapped = plaza::allocator::map_large_blocks_on_their_own();
    // A missing .env is normal; a broken one should not be silently half-read.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        return Err(error).context("reading .env");
    }
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    // check-config reports a bad LOG_LEVEL among the rest instead of stopping at it.
    if !matches!(command, Command::CheckConfig) {
        init_tracing(&cli.config.log_level, cli.config.log_format)?;
        if !large_blocks_mapped {
            tracing::warn!(
                "the allocator refused its mapping threshold: freed large blocks may stay in memory"
            );
        }
    }
    match command {
        Command::CheckConfig => {
            let report = plaza::check_config::check(&cli.config);
            print!("{}", report.render());
            std::process::exit(if report.ok() { 0 } else { 1 });
        }
        Command::Serve => serve(cli.config),
        Command::InitDb { sample_data } => {
            let wired = wiring::wire(&cli.config)?;
            let services = wired.services;
            match wired.database.sqlite() {
                Some(_) => {
                    tracing::info!(database = %cli.config.database()?.path.display(), "database ready")
                }
                None => tracing::info!("PostgreSQL database ready"),
            }
            if sample_data {
                sample::load(&services)?;
            }
            Ok(())
        }
        Command::Backup { file } => {
            cli.config.database()?;
            let wired = wiring::wire(&cli.config)?;
            let database = wired
                .database
                .sqlite()
                .context("backups are of the SQLite store")?;
            let report = backup::backup(database, &cli.config, &file)?;
            print_report("backup written and checked", &report);
            Ok(())
        }
        Command::MigrateData { from, to } => {
            let moved = plaza::migrate::migrate_data(&from, &to)?;
            println!(
                "migrated: {} users, {} events, {} posts, {} comments, {} participants, {} notifications, \
                 {} tickets, {} waitlist entries, {} moderation log entries, {} removed items, {} reports",
                moved.users,
                moved.events,
                moved.posts,
                moved.comments,
                moved.participants,
                moved.notifications,
                moved.tickets,
                moved.waitlist,
                moved.modlog,
                moved.removed_comments + moved.removed_posts + moved.removed_events,
                moved.reports
            );
            Ok(())
        }
        Command::Admin {
            action: AdminCommand::SetRole { username, role },
        } => {
            let role = plaza_domain::role::Role::parse(&role)
                .map_err(|invalid| anyhow::anyhow!("role {invalid}"))?;
            let services = wiring::wire(&cli.config)?.services;
            let user = services
                .moderation
                .set_role_from_console(&username, role)
                .with_context(|| format!("giving {username} the role {role}"))?;
            println!("{} is now {}", user.username, user.role);
            Ok(())
        }
        Command::Restore { file } => {
            let report = backup::restore(&cli.config, &file)?;
            print_report("restored", &report);
            Ok(())
        }
    }
}

/// What a backup holds, for the operator at the terminal.
fn print_report(what: &str, report: &plaza_infra_sqlite::BackupReport) {
    println!(
        "{what}: {} ({} bytes, integrity ok)",
        report.path.display(),
        report.bytes
    );
    for (table, rows) in &report.rows {
        println!("  {table:<20} {rows:>10} rows");
    }
}

fn init_tracing(filter: &str, format: LogFormat) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_new(filter).with_context(|| format!("LOG_LEVEL {filter:?} is not a valid filter"))?;
    // Each request logs one line as its response starts (`plaza_http::logging`); events inside a request
    // carry its fields.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
    Ok(())
}

#[actix_web::main]
async fn serve(config: Config) -> anyhow::Result<()> {
    // Every connection is a file descriptor: the soft limit (often 1024) is lower than what the process
    // may use (the hard limit), and a crowd of clients should meet Plaza's own limits first.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(open_files = limit, "open-file limit raised"),
        Err(error) => tracing::warn!(%error, "cannot raise the open-file limit"),
    }
    // The port first: while the database cannot be reached, a stand-in answers the probes on it.
    if config.metrics_addr.is_some() {
        // First, so that nothing counted while the store opens (the mail worker's first rounds) is lost.
        plaza::metrics::install()?;
    }
    let listeners = plaza::starting::bind(&config)?;
    let stand_in = plaza::starting::stand_in(&config, &listeners)?;
    let stand_in_handle = stand_in.handle();
    actix_web::rt::spawn(stand_in);
    if let Some(address) = listeners.first().and_then(|listener| listener.local_addr().ok()) {
        tracing::info!("Plaza starting on {address}: opening the database");
    }
    let opening = config.clone();
    let opened = actix_web::rt::task::spawn_blocking(move || plaza::starting::open_when_reachable(&opening))
        .await
        .context("opening the database")??;
    stand_in_handle.stop(true).await;
    opened.start_upkeep()?;
    let running = plaza::serve_on(&config, opened, Some(listeners))?;
    let scheme = if running.certificates.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!("Plaza listening on {scheme}://{}:{}", config.host, running.port);
    if let Some((_, port)) = &running.redirect {
        tracing::info!("plain HTTP on port {port} redirects to HTTPS");
    }
    let handle = running.server.handle();
    let redirect_handle = running.redirect.as_ref().map(|(server, _)| server.handle());
    let metrics_handle = running.metrics.as_ref().map(|(server, _)| server.handle());
    let lifecycle = running.lifecycle.clone();
    let drain = Duration::from_secs(config.shutdown_drain_secs);
    actix_web::rt::spawn(async move {
        let (Ok(mut terminate), Ok(mut interrupt)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
        else {
            tracing::error!("cannot listen for SIGTERM/SIGINT; stop Plaza with SIGKILL");
            return;
        };
        tokio_select(&mut terminate, &mut interrupt).await;
        // Readiness goes first: load balancers stop sending traffic while requests still succeed.
        lifecycle.start_draining();
        tracing::info!(drain_secs = drain.as_secs(), "shutting down: draining");
        actix_web::rt::time::sleep(drain).await;
        tracing::info!("no longer accepting connections; finishing requests in flight");
        if let Some(redirect) = redirect_handle {
            redirect.stop(true).await;
        }
        handle.stop(true).await;
        // Last: the drain and the final requests show in the metrics.
        if let Some(metrics) = metrics_handle {
            metrics.stop(true).await;
        }
    });
    if let Some(certificates) = running.certificates.clone() {
        actix_web::rt::spawn(async move {
            let Ok(mut hangup) = signal(SignalKind::hangup()) else {
                tracing::error!("cannot listen for SIGHUP; restart Plaza to load a new certificate");
                return;
            };
            while hangup.recv().await.is_some() {
                match certificates.reload() {
                    Ok(()) => tracing::info!("TLS certificate reloaded"),
                    Err(error) => tracing::error!(
                        cause = format!("{error:#}"),
                        "TLS certificate not reloaded; the old one stays"
                    ),
                }
            }
        });
    }
    let _schedule = running
        .database
        .sqlite()
        .and_then(|database| backup::schedule(database.clone(), config.clone()));
    if let Some((redirect, _)) = running.redirect {
        actix_web::rt::spawn(redirect);
    }
    if let Some((metrics, port)) = running.metrics {
        if let Some(mut address) = config
            .metrics_addr
            .as_deref()
            .and_then(|address| address.parse::<std::net::SocketAddr>().ok())
        {
            address.set_port(port);
            tracing::info!("metrics listening on http://{address}/metrics");
        }
        actix_web::rt::spawn(metrics);
    }
    running.server.await.context("the HTTP server failed")?;
    if let Some(database) = running.database.sqlite() {
        // Every committed write is in the WAL already; folding it into the database leaves one
        // self-contained file behind, once the writer's upkeep has stopped writing to it.
        if let Err(error) = database.stop_upkeep() {
            tracing::warn!(%error, "could not stop the database's upkeep at exit");
        }
        if let Err(error) = database.checkpoint() {
            tracing::warn!(
                cause = format!("{error:#}"),
                "could not checkpoint the database at exit"
            );
        }
        let stats = database.write_stats();
        tracing::info!(
            writes = stats.writes,
            transactions = stats.transactions,
            "Plaza stopped"
        );
    } else {
        tracing::info!("Plaza stopped");
    }
    Ok(())
}

/// Waits for the first of two signals.
async fn tokio_select(
    terminate: &mut actix_web::rt::signal::unix::Signal,
    interrupt: &mut actix_web::rt::signal::unix::Signal,
) {
    let terminate = std::pin::pin!(terminate.recv());
    let interrupt = std::pin::pin!(interrupt.recv());
    futures_util::future::select(terminate, interrupt).await;
}
