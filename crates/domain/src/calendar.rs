//! Private calendar feeds: a person's events (those they organise or hold tickets to) at an address only
//! they know, for a calendar application to subscribe to. The address holds a random secret; stores keep
//! only its digest, so a copy of the database opens no feed.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::event::Event;
use crate::ids::UserId;

/// Storage of the feeds' secrets and of the events a feed lists.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait CalendarRepository: Send + Sync {
    /// Makes `digest` the digest of `user`'s feed secret, in place of any earlier one (whose address then
    /// opens nothing). `NotFound` when there is no such account, or it was deleted.
    fn set_secret(&self, user: UserId, digest: &str) -> Result<(), RepoError>;
    /// Whose feed secret has this digest, if anyone's.
    fn owner_of(&self, digest: &str) -> Result<Option<UserId>, RepoError>;
    /// The events `user` organises or holds an active ticket to that start at or after `from`, in list
    /// order (`event_time`, then `id`), at most `limit` of them, each once.
    fn events_of(&self, user: UserId, from: DateTime<Utc>, limit: u32) -> Result<Vec<Event>, RepoError>;
}
