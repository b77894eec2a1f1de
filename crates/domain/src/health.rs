//! Whether storage answers, for health checks.

use crate::error::RepoError;

/// Asks the storage behind the repositories for a trivial answer.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait StorageHealth: Send + Sync {
    /// `Ok` when storage answered; [`RepoError::Unavailable`] when it cannot be reached.
    fn ping(&self) -> Result<(), RepoError>;
}
