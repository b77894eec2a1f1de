//! The connection layer below everything else in the crate: the connection type that the writer, the
//! search index, the list positions and the repositories work on, and the time as it is stored. It
//! imports no other module of the crate, so that `db` (which opens the file, starts the writer and
//! rebuilds the search index) can sit above all of them without a circle.

pub(crate) type Conn = diesel::SqliteConnection;

/// The current time as stored: UTC, millisecond precision.
pub(crate) fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(3)
}
