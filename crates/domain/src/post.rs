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
