//! `plaza migrate-data`: a SQLite community copied into an empty PostgreSQL database, ids kept.

use std::path::Path;

use anyhow::{Context, bail, ensure};
use plaza_domain::transfer::Counts;
use plaza_infra_postgres::{import, is_postgres_url};
use plaza_infra_sqlite::Source;

use crate::backup::DataLock;

/// Copies everything in the SQLite database `from` into the empty PostgreSQL database `to` and checks
/// that every table holds what was read.
///
/// `from` is opened read-only and must be a Plaza database of this version (see
/// [`Source::open`]): anything else is refused before anything is touched, and no migration ever runs
/// on it. Refused too while a server holds `from` (writes after the copy began would be lost) and when
/// `to` already holds a community. The copy is one PostgreSQL transaction: if it fails, `to` is left as
/// it was, and the command can be run again.
pub fn migrate_data(from: &Path, to: &str) -> anyhow::Result<Counts> {
    ensure!(
        is_postgres_url(to),
        "--to must be a postgres:// or postgresql:// URL"
    );
    if !from.is_file() {
        bail!("{} is not a SQLite database file", from.display());
    }
    // Checked first, so that a file that is not a Plaza database of this version is not even given a
    // lock file beside it.
    drop(Source::open(from)?);
    let _lock = DataLock::acquire(from).context("migrating")?;
    // Opened again under the lock: no server can have written to it since.
    let mut source = Source::open(from)?;
    let (target, before) = import::open_target(to).context("opening the PostgreSQL database")?;
    if before != Counts::default() {
        bail!("the PostgreSQL database is not empty ({before:?}); migrate into a new, empty database");
    }
    import::import_all(&target, |sink| source.export(sink))
        .context("copying the community (nothing was kept in PostgreSQL; the copy can be run again)")
}
