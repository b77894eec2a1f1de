//! Posts and the post repository port.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{PostId, UserId};
use crate::page::{Page, PageRequest};
use crate::text::bounded_text;

bounded_text!(
    /// A post's title: 1–200 characters, not only white space.
    PostTitle,
    1,
    200,
    Name
);
bounded_text!(
    /// A post's body: 1–50,000 characters, not only white space.
    PostContent,
    1,
    50_000,
    Prose
);

/// A stored post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Given by the store when the post was created.
    pub id: PostId,
    /// The title, as accepted by [`PostTitle`].
    pub title: String,
    /// The body, as accepted by [`PostContent`].
    pub content: String,
    /// The post's author, who alone may delete it.
    pub owner_id: UserId,
    /// When it was created; the list's order.
    pub created_at: DateTime<Utc>,
    /// When its author last changed it; `None` if never.
    pub edited_at: Option<DateTime<Utc>>,
}

/// What an edit changes; a field left `None` stays as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostChanges {
    /// A new title.
    pub title: Option<PostTitle>,
    /// A new body.
    pub content: Option<PostContent>,
}

impl PostChanges {
    /// Whether the edit changes nothing at all (then it is not an edit: the post is not marked edited).
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.content.is_none()
    }
}

/// A post to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    /// The title.
    pub title: PostTitle,
    /// The body.
    pub content: PostContent,
    /// The author.
    pub owner_id: UserId,
}

/// Storage of posts.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait PostRepository: Send + Sync {
    /// Stores a new post under a new id and returns it as stored.
    fn create(&self, post: NewPost) -> Result<Post, RepoError>;
    /// The post with this id, or `None`.
    fn find(&self, id: PostId) -> Result<Option<Post>, RepoError>;
    /// Newest first (`created_at`, then `id`, descending), optionally only one author's.
    fn list(&self, owner: Option<UserId>, page: PageRequest) -> Result<Page<Post>, RepoError>;
    /// `NotFound` when there is none.
    fn delete(&self, id: PostId) -> Result<(), RepoError>;
    /// Applies `changes` (not empty) to the post and sets its `edited_at` to `now`; `NotFound` when it is
    /// not there.
    fn update(&self, id: PostId, changes: PostChanges, now: DateTime<Utc>) -> Result<Post, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_contents_are_required_and_bounded() {
        assert!(PostTitle::parse(" ").is_err());
        assert!(PostTitle::parse("x".repeat(201)).is_err());
        assert!(PostContent::parse("x".repeat(50_000)).is_ok());
        assert!(PostContent::parse("x".repeat(50_001)).is_err());
    }
}
