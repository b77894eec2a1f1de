//! `plaza migrate-data`: a SQLite community copied into an empty PostgreSQL database, ids kept.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use plaza_domain::transfer::Counts;
use plaza_infra_postgres::{PgConfig, import, is_postgres_url};
use plaza_infra_sqlite::DatabaseConfig;

use crate::backup::DataLock;

/// Copies everything in the SQLite database `from` into the empty PostgreSQL database `to`, batch by
/// batch, then moves PostgreSQL's id sequences past the copied ids and checks that every table holds
/// what was read. Refuses while a server holds `from` (writes after the copy began would be lost) and
/// when `to` already holds a community.
pub fn migrate_data(from: &Path, to: &str) -> anyhow::Result<Counts> {
    ensure!(
        is_postgres_url(to),
        "--to must be a postgres:// or postgresql:// URL"
    );
    if !from.is_file() {
        bail!("{} is not a SQLite database file", from.display());
    }
    let _lock = DataLock::acquire(from).context("migrating")?;
    let source = plaza_infra_sqlite::Database::open(&DatabaseConfig::new(from.to_path_buf()))
        .with_context(|| format!("opening {}", from.display()))?;
    let target = plaza_infra_postgres::Database::open(&PgConfig {
        url: to.to_owned(),
        pool_size: 2,
        connection_timeout: Duration::from_secs(10),
    })
    .context("opening the PostgreSQL database")?;
    let before = import::counts(&target).context("counting what PostgreSQL holds")?;
    if before != Counts::default() {
        bail!("the PostgreSQL database is not empty ({before:?}); migrate into a new, empty database");
    }
    let read = plaza_infra_sqlite::export(&source, &mut |batch| import::import(&target, &batch))
        .context("copying the community")?;
    import::reset_sequences(&target).context("moving the id sequences")?;
    let written = import::counts(&target).context("counting what was written")?;
    ensure!(
        written == read,
        "PostgreSQL holds {written:?} after the copy, but {read:?} were read"
    );
    Ok(written)
}
