//! Private calendar feeds: a person's events (those they organise or hold tickets to) at an address only
//! they know, for a calendar application to subscribe to. The address holds a random secret; stores keep
//! only its digest, so a copy of the database opens no feed.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::event::Event;
use crate::ids::UserId;

/// A private feed as stored: whose it is, the digest of its secret, when it was made (what `migrate-data`
/// moves, so that subscribed calendars keep working in the new store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFeed {
    /// Whose feed it is.
    pub user_id: UserId,
    /// The SHA-256 digest of its secret, in lower-case hex.
    pub secret_digest: String,
    /// When its secret was made.
    pub created_at: DateTime<Utc>,
}

/// Storage of the feeds' secrets and of the events a feed lists.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait CalendarRepository: Send + Sync {
    /// Makes `digest` the digest of `user`'s feed secret, made `at`, in place of any earlier one (whose
    /// address then opens nothing). `NotFound` when there is no such account, or it was deleted.
    fn set_secret(&self, user: UserId, digest: &str, at: DateTime<Utc>) -> Result<(), RepoError>;
    /// When `user`'s feed secret was made, if they have one.
    fn made_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, RepoError>;
    /// Turns `user`'s feed off: its address opens nothing from then on. Nothing to do when there is none.
    fn clear_secret(&self, user: UserId) -> Result<(), RepoError>;
    /// Whose feed secret has this digest, if anyone's.
    fn owner_of(&self, digest: &str) -> Result<Option<UserId>, RepoError>;
    /// The events `user` organises or holds an active ticket to that start at or after `from`, in list
    /// order (`event_time`, then `id`), at most `limit` of them, each once.
    fn events_of(&self, user: UserId, from: DateTime<Utc>, limit: u32) -> Result<Vec<Event>, RepoError>;
}
