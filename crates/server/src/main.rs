//! `plaza`: the Plaza server. `plaza serve` (the default) runs the HTTP API; `plaza init-db` creates and
//! migrates the database, optionally with sample data.

use anyhow::Context;
use clap::{Parser, Subcommand};
use plaza::{Config, sample, wiring};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

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
}

fn main() -> anyhow::Result<()> {
    // A missing .env is normal; a broken one should not be silently half-read.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        return Err(error).context("reading .env");
    }
    let cli = Cli::parse();
    init_tracing(&cli.config.log_level)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::InitDb { sample_data } => {
            let services = wiring::services(&cli.config)?;
            tracing::info!(database = %cli.config.database()?.path.display(), "database ready");
            if sample_data {
                sample::load(&services)?;
            }
            Ok(())
        }
    }
}

fn init_tracing(filter: &str) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_new(filter).with_context(|| format!("LOG_LEVEL {filter:?} is not a valid filter"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        // One line per request when its span closes: method, path, status, request id, time taken.
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
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
    let (server, port) = plaza::server(&config)?;
    tracing::info!("Plaza listening on http://{}:{port}", config.host);
    // actix stops gracefully on SIGINT/SIGTERM: it stops accepting, and lets requests in flight finish.
    server.await.context("the HTTP server failed")
}
