//! Comments on events and the comment repository port.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{CommentId, EventId, UserId};
use crate::notification::NewNotification;
use crate::page::{Page, PageRequest};
use crate::text::bounded_text;

bounded_text!(
    /// A comment's text: 1–5,000 characters, not only white space.
    CommentContent,
    1,
    5_000
);

/// A stored comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub content: String,
    pub event_id: EventId,
    pub owner_id: UserId,
    pub created_at: DateTime<Utc>,
}

/// A comment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub content: CommentContent,
    pub event_id: EventId,
    pub owner_id: UserId,
}

/// Storage of comments.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait CommentRepository: Send + Sync {
    /// Everyone who has commented on the event, each once.
    fn commenters(&self, event: EventId) -> Result<Vec<UserId>, RepoError>;
    /// Writes the comment and its notifications in one transaction: both land, or neither does.
    /// `NotFound` when the event no longer exists.
    fn create_with_notifications(
        &self,
        comment: NewComment,
        notifications: Vec<NewNotification>,
    ) -> Result<Comment, RepoError>;
    /// Oldest first.
    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError>;
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
