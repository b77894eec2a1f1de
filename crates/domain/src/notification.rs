//! Notifications and the notification repository port.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{EventId, NotificationId, UserId};
use crate::page::{Page, PageRequest};
use crate::text::bounded_text;

bounded_text!(
    /// A notification's text: 1–1,000 characters.
    NotificationMessage,
    1,
    1_000,
    Prose
);
bounded_text!(
    /// The sender's name as shown: 1–100 characters.
    SenderName,
    1,
    100,
    Name
);

/// A stored notification. `owner_id` is the recipient; `sender_id` the account that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub id: NotificationId,
    pub message: String,
    pub created_at: DateTime<Utc>,
    pub sender: String,
    pub sender_id: UserId,
    pub owner_id: UserId,
    /// The event a comment notification is about.
    pub event_id: Option<EventId>,
    pub read: bool,
}

/// A notification to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub message: NotificationMessage,
    pub sender: SenderName,
    pub sender_id: UserId,
    pub owner_id: UserId,
    pub event_id: Option<EventId>,
}

/// Which of a recipient's notifications to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationQuery {
    pub owner: UserId,
    pub unread_only: bool,
    pub page: PageRequest,
}

/// Storage of notifications.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait NotificationRepository: Send + Sync {
    /// `NotFound` when the recipient does not exist.
    fn create(&self, notification: NewNotification) -> Result<Notification, RepoError>;
    /// How many notifications `sender` sent directly (not as a comment's fan-out) since `since`.
    fn sent_since(&self, sender: UserId, since: DateTime<Utc>) -> Result<u64, RepoError>;
    /// Newest first (`created_at`, then `id`, descending), with the owner's unread count read in the same
    /// snapshot as the page.
    fn list(&self, query: NotificationQuery) -> Result<(Page<Notification>, u64), RepoError>;
    /// Marks one of `owner`'s notifications read; `NotFound` for an id that is not theirs.
    fn mark_read(&self, owner: UserId, id: NotificationId) -> Result<Notification, RepoError>;
    /// Marks `owner`'s notifications read, only those with `id <= up_to` when given; returns how many
    /// changed from unread to read.
    fn mark_all_read(&self, owner: UserId, up_to: Option<NotificationId>) -> Result<u64, RepoError>;
}
