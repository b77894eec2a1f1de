//! Diesel's errors in the domain's words.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use plaza_domain::{Conflict, RepoError};

/// The error type inside this crate's transactions: Diesel errors convert into it, and so do domain
/// answers decided mid-transaction (which roll it back).
#[derive(Debug)]
pub(crate) struct StoreError(pub RepoError);

impl StoreError {
    /// A stored value that the table's CHECKs should have kept out: a broken store.
    pub(crate) fn corrupt(invalid: plaza_domain::Invalid) -> Self {
        Self(RepoError::internal(invalid.0))
    }
}

impl From<RepoError> for StoreError {
    fn from(error: RepoError) -> Self {
        Self(error)
    }
}

impl From<StoreError> for RepoError {
    fn from(error: StoreError) -> Self {
        error.0
    }
}

impl From<DieselError> for StoreError {
    fn from(error: DieselError) -> Self {
        Self(map_diesel_error(error))
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self(RepoError::Unavailable(format!("no database connection: {error}")))
    }
}

pub(crate) fn map_diesel_error(error: DieselError) -> RepoError {
    match error {
        DieselError::NotFound => RepoError::NotFound,
        DieselError::DatabaseError(kind, info) => {
            let message = info.message();
            match kind {
                DatabaseErrorKind::UniqueViolation if message.contains("users.username") => {
                    RepoError::Conflict(Conflict::UsernameTaken)
                }
                DatabaseErrorKind::UniqueViolation if message.contains("users.email") => {
                    RepoError::Conflict(Conflict::EmailTaken)
                }
                // A row that names a user or event that is not (or no longer) there.
                DatabaseErrorKind::ForeignKeyViolation => RepoError::NotFound,
                _ if message.contains("database is locked") || message.contains("database is busy") => {
                    RepoError::Unavailable("the database stayed busy past its timeout".into())
                }
                // SQLITE_FULL: the file (or its write-ahead log) could not grow.
                _ if message.contains("database or disk is full") => {
                    RepoError::StorageFull(message.to_owned())
                }
                _ => RepoError::internal(format!("{kind:?}: {message}")),
            }
        }
        other => RepoError::internal(other),
    }
}
