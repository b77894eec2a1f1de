//! What a use case can answer besides success. The HTTP adapter maps each variant to a status in one place.

use chrono::{DateTime, Utc};
use plaza_domain::user::Ban;
use plaza_domain::{Conflict, RepoError, ValidationErrors};

/// What a banned user is told: why, and until when (`None`: until a moderator lifts it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanNotice {
    pub reason: String,
    pub until: Option<DateTime<Utc>>,
}

impl From<&Ban> for BanNotice {
    fn from(ban: &Ban) -> Self {
        Self {
            reason: ban.reason.clone(),
            until: ban.until,
        }
    }
}

/// What [`AppError::RefreshTokenReused`] says.
pub const REFRESH_TOKEN_REUSED: &str =
    "this refresh token was already used: the session has ended, log in again";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Validation(#[from] ValidationErrors),
    /// Names what was not found: "user", "event", …
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Why the caller could not be authenticated; the same words for every credential failure.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A refresh token came back after it was spent: its session has ended.
    #[error("{}", REFRESH_TOKEN_REUSED)]
    RefreshTokenReused,
    #[error("{0}")]
    Forbidden(&'static str),
    /// The account's address is not verified, and this Plaza requires it for what was asked.
    #[error("the e-mail address is not verified")]
    EmailUnverified,
    /// A one-time link's token is unknown, spent or expired.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The account is banned: its tokens and logins are refused until the ban ends or is lifted.
    #[error("this account is banned")]
    Banned(BanNotice),
    #[error("{0}")]
    Conflict(Conflict),
    #[error("{0}")]
    UnsupportedMedia(&'static str),
    #[error("{0}")]
    PayloadTooLarge(&'static str),
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts, retry in {0} s")]
    RateLimited(u64),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// The store's disk is full: nothing was written.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// Too much work of one kind is queued (password hashing, image decoding); retry after this many seconds.
    #[error("busy, retry in {0} s")]
    Overloaded(u64),
    /// A bug or a broken dependency. Its cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }
}

impl From<RepoError> for AppError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::NotFound => AppError::NotFound("resource"),
            RepoError::Conflict(conflict) => AppError::Conflict(conflict),
            RepoError::Unavailable(why) => AppError::Unavailable(why),
            RepoError::StorageFull(why) => AppError::StorageFull(why),
            RepoError::Internal(source) => AppError::Internal(source),
        }
    }
}

/// Names the missing thing when a repository says `NotFound`.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, what: &'static str) -> Result<T, AppError>;
}

/// Turns a look-up's `None` into a named `NotFound`.
pub(crate) trait Found<T> {
    fn found(self, what: &'static str) -> Result<T, AppError>;
}

impl<T> OrNotFound<T> for Result<T, RepoError> {
    fn or_not_found(self, what: &'static str) -> Result<T, AppError> {
        self.map_err(|error| match error {
            RepoError::NotFound => AppError::NotFound(what),
            other => other.into(),
        })
    }
}

impl<T> Found<T> for Result<Option<T>, RepoError> {
    fn found(self, what: &'static str) -> Result<T, AppError> {
        self.map_err(AppError::from)?.ok_or(AppError::NotFound(what))
    }
}
