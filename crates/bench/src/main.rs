//! `plaza-bench`: the load benchmark (see the library's documentation). `bench/run` builds the release
//! binaries and runs it.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use plaza_bench::{Options, run, table};

#[derive(Debug, Parser)]
#[command(name = "plaza-bench", about = "Load benchmark of Plaza at 100,000 events")]
struct Cli {
    /// A small data set and one second a scenario (what CI runs).
    #[arg(long)]
    smoke: bool,
    /// The plaza binary to measure (default: the one beside this program).
    #[arg(long)]
    plaza: Option<PathBuf>,
    /// Seconds per scenario.
    #[arg(long)]
    seconds: Option<u32>,
    /// wrk connections per scenario.
    #[arg(long)]
    connections: Option<u32>,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Keep the data in this directory: seeded on the first run, reused by later ones.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Measure Plaza on this PostgreSQL database (empty on the first run) instead of a SQLite file.
    #[arg(long)]
    database_url: Option<String>,
    /// Events to seed instead of the run's default (100,000 for a full run): `--events 1000000` for the
    /// million-event run.
    #[arg(long)]
    events: Option<usize>,
    /// Instead of the scenarios: a few of them against one instance and against two on the same
    /// PostgreSQL database (needs --database-url and the --data of a run that seeded it).
    #[arg(long)]
    two_instances: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let plaza = match cli.plaza {
        Some(path) => path,
        None => std::env::current_exe()
            .context("cannot find this program")?
            .with_file_name("plaza"),
    };
    let mut options = if cli.smoke {
        Options::smoke(plaza)
    } else {
        Options::full(plaza)
    };
    if let Some(seconds) = cli.seconds {
        options.seconds = seconds;
    }
    if let Some(connections) = cli.connections {
        options.connections = connections;
    }
    if let Some(events) = cli.events {
        options.sizes.events = events;
    }
    options.json = cli.json;
    options.data = cli.data;
    options.database_url = cli.database_url;
    if cli.two_instances {
        let compared = plaza_bench::instances::compare(&options)?;
        if let Some(path) = &options.json {
            std::fs::write(path, serde_json::to_string_pretty(&compared)?)?;
        }
        println!("\n{}", plaza_bench::instances::table(&compared));
        return Ok(());
    }
    let report = run(&options)?;
    println!("\n{}\n{}", report.machine, table(&report));
    Ok(())
}
