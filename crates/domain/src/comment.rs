//! Comments on events and the comment repository port.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::event::Event;
use crate::ids::{CommentId, EventId, UserId};
use crate::notification::{NewNotification, Notification};
use crate::page::{Page, PageRequest};
use crate::text::bounded_text;

bounded_text!(
    /// A comment's text: 1–5,000 characters, not only white space.
    CommentContent,
    1,
    5_000,
    Prose
);

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Given by the store when the comment was written.
    pub id: CommentId,
    /// The text, as accepted by [`CommentContent`].
    pub content: String,
    /// The event commented on.
    pub event_id: EventId,
    /// The comment's author.
    pub owner_id: UserId,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When its author last changed it; `None` if never.
    pub edited_at: Option<DateTime<Utc>>,
}

/// A comment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    /// The text.
    pub content: CommentContent,
    /// The event to comment on; the store answers `NotFound` when it does not exist.
    pub event_id: EventId,
    /// The author, who becomes one of the event's participants.
    pub owner_id: UserId,
}

/// Decides who hears of a new comment, and what they read. The use case holds the rule; the storage adapter
/// applies it inside the write, to what it reads there.
pub trait FanOut {
    /// The notifications for a comment on `event`, given its participants: everyone who had commented on it
    /// before, each once, in no particular order.
    fn notifications(&self, event: &Event, participants: &[UserId]) -> Vec<NewNotification>;
}

/// A comment as written, with the notifications written with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedComment {
    /// The comment as stored.
    pub comment: Comment,
    /// The notifications stored with it, one per participant told.
    pub notifications: Vec<Notification>,
}

/// Storage of comments.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait CommentRepository: Send + Sync {
    /// Writes the comment and the notifications `fan_out` decides, in one transaction: all land, or none
    /// does. `fan_out` is asked inside that transaction, so comments
    /// landing at the same moment each see the other's author; the comment's author then joins the
    /// participants. `NotFound` when the event does not exist.
    fn create_with_notifications(
        &self,
        comment: NewComment,
        fan_out: Box<dyn FanOut + Send>,
    ) -> Result<PostedComment, RepoError>;
    /// Oldest first. `NotFound` when the event does not exist, so an empty page always means "no comments
    /// here"; the store answers both in one read, where a look-up of the event first would be a second.
    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError>;
    /// Up to `limit` of `author`'s comments, on any event, with ids above `after` (from the start when
    /// `None`), in id order: everything they wrote, read in batches however much it is.
    fn by_author(
        &self,
        author: UserId,
        after: Option<CommentId>,
        limit: u32,
    ) -> Result<Vec<Comment>, RepoError>;
    /// The comment `id` on `event`, or `None` (also when `id` is a comment on another event).
    fn find(&self, event: EventId, id: CommentId) -> Result<Option<Comment>, RepoError>;
    /// Replaces the text of the comment `id` on `event` and sets its `edited_at` to `now`; its place in
    /// the list does not change. `NotFound` when there is no such comment on that event.
    fn update(
        &self,
        event: EventId,
        id: CommentId,
        content: CommentContent,
        now: DateTime<Utc>,
    ) -> Result<Comment, RepoError>;
    /// Deletes the comment `id` on `event` (the event's totals follow); the notifications it caused stay
    /// in their inboxes, and its author stays one of the event's participants. `NotFound` when there is
    /// no such comment on that event.
    fn delete(&self, event: EventId, id: CommentId) -> Result<(), RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_comments_are_refused() {
        assert!(CommentContent::parse("").is_err());
        assert!(CommentContent::parse(" \n\t").is_err());
        assert!(CommentContent::parse("x".repeat(5_000)).is_ok());
        assert!(CommentContent::parse("x".repeat(5_001)).is_err());
    }
}
