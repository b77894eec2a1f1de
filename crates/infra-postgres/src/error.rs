//! Diesel's PostgreSQL errors in the domain's words.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use plaza_domain::{Conflict, RepoError};

/// The error type inside this crate's transactions: Diesel errors convert into it, and so do domain
/// answers decided mid-transaction (which roll it back).
#[derive(Debug)]
pub(crate) struct StoreError {
    pub error: RepoError,
    /// The transaction lost a race (serialization failure, deadlock) and may run again as it is.
    pub retryable: bool,
}

impl StoreError {
    /// A stored value that the table's CHECKs should have kept out: a broken store.
    pub(crate) fn corrupt(invalid: plaza_domain::Invalid) -> Self {
        RepoError::internal(invalid.0).into()
    }
}

impl From<RepoError> for StoreError {
    fn from(error: RepoError) -> Self {
        Self {
            error,
            retryable: false,
        }
    }
}

impl From<StoreError> for RepoError {
    fn from(error: StoreError) -> Self {
        error.error
    }
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        Self {
            retryable: is_retryable(&error),
            error: map_diesel_error(error),
        }
    }
}

/// How the `Unavailable` of a request that waited out the pool's connection timeout begins.
pub(crate) const NO_CONNECTION: &str = "no database connection";

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        RepoError::Unavailable(format!("{NO_CONNECTION}: {error}")).into()
    }
}

/// Whether a transaction failed only because it raced another and may simply run again.
pub(crate) fn is_retryable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// What a request hears when its connection went away mid-query (PostgreSQL stopped or restarted): the
/// circuit breaker (`breaker`) knows the database is unreachable by it.
pub(crate) const CONNECTION_LOST: &str = "the database connection was lost";

/// Whether `error` says PostgreSQL could not be reached, rather than anything about the request.
pub(crate) fn is_connection_lost(error: &RepoError) -> bool {
    matches!(error, RepoError::Unavailable(message) if message == CONNECTION_LOST)
}

pub(crate) fn map_diesel_error(error: DieselError) -> RepoError {
    if is_retryable(&error) {
        return RepoError::Unavailable("the database kept refusing a racing write; try again".into());
    }
    match error {
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(kind, info) => {
            let constraint = info.constraint_name().unwrap_or_default();
            match kind {
                DatabaseErrorKind::UniqueViolation if constraint == "users_username_unique" => {
                    RepoError::Conflict(Conflict::UsernameTaken)
                }
                DatabaseErrorKind::UniqueViolation if constraint == "reports_one_open_per_reporter" => {
                    RepoError::Conflict(Conflict::AlreadyReported)
                }
                DatabaseErrorKind::UniqueViolation if constraint == "users_email_unique" => {
                    RepoError::Conflict(Conflict::EmailTaken)
                }
                // A row that names a user or event that is not (or no longer) there.
                DatabaseErrorKind::ForeignKeyViolation => RepoError::NotFound,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    RepoError::Unavailable(CONNECTION_LOST.into())
                }
                // The server ending its sessions as it shuts down (SQLSTATE 57P01 and kin).
                _ if info.message().contains("terminating connection")
                    || info.message().contains("server closed the connection") =>
                {
                    RepoError::Unavailable(CONNECTION_LOST.into())
                }
                // SQLSTATE 53100 disk_full, or a table file that could not grow.
                _ if info.message().contains("No space left on device")
                    || info.message().contains("could not extend file") =>
                {
                    RepoError::StorageFull(info.message().to_owned())
                }
                _ if info.message().contains("statement timeout") => {
                    RepoError::Unavailable("the query took too long and was cancelled".into())
                }
                // SQLSTATE 57014 otherwise: an administrator's `pg_cancel_backend`, nothing about the
                // request.
                _ if info.message().starts_with("canceling statement") => {
                    RepoError::Unavailable("the query was cancelled by the database; try again".into())
                }
                _ => RepoError::internal(format!("{kind:?}: {}", info.message())),
            }
        }
        // A connection whose transaction could not even be rolled back (it failed under a write).
        DieselError::BrokenTransactionManager => RepoError::Unavailable(CONNECTION_LOST.into()),
        other => RepoError::internal(other),
    }
}
