//! Posts.

use std::sync::Arc;

use plaza_domain::post::{NewPost, Post, PostContent, PostRepository, PostTitle};
use plaza_domain::user::User;
use plaza_domain::{Page, PageRequest, PostId, UserId};

use crate::error::{AppError, Found, OrNotFound};

#[derive(Clone)]
pub struct PostService {
    posts: Arc<dyn PostRepository>,
}

impl PostService {
    pub fn new(posts: Arc<dyn PostRepository>) -> Self {
        Self { posts }
    }

    /// Publishes a post; whoever writes it is its author.
    pub fn create(&self, actor: &User, title: PostTitle, content: PostContent) -> Result<Post, AppError> {
        Ok(self.posts.create(NewPost {
            title,
            content,
            owner_id: actor.id,
        })?)
    }

    pub fn get(&self, id: PostId) -> Result<Post, AppError> {
        self.posts.find(id).found("post")
    }

    pub fn list(&self, owner: Option<UserId>, page: PageRequest) -> Result<Page<Post>, AppError> {
        Ok(self.posts.list(owner, page)?)
    }

    /// Only the author may delete a post.
    pub fn delete(&self, actor: &User, id: PostId) -> Result<(), AppError> {
        let post = self.get(id)?;
        if post.owner_id != actor.id {
            return Err(AppError::Forbidden("only the post's author may delete it"));
        }
        self.posts.delete(id).or_not_found("post")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::post::MockPostRepository;

    fn post(owner: i64) -> Post {
        Post {
            id: PostId::from_stored(3),
            title: "t".into(),
            content: "c".into(),
            owner_id: UserId::from_stored(owner),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_the_author_deletes() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(Some(post(1))));
        posts.expect_delete().times(1).returning(|_| Ok(()));
        let service = PostService::new(Arc::new(posts));
        assert!(matches!(
            service.delete(&user(2, "bob"), PostId::from_stored(3)),
            Err(AppError::Forbidden(_))
        ));
        service.delete(&user(1, "alice"), PostId::from_stored(3)).unwrap();
    }

    #[test]
    fn whoever_writes_a_post_is_its_author() {
        let mut posts = MockPostRepository::new();
        posts
            .expect_create()
            .withf(|new: &NewPost| new.owner_id == UserId::from_stored(2) && new.title.as_ref() == "Hello")
            .times(1)
            .returning(|new| Ok(post(new.owner_id.get())));
        let service = PostService::new(Arc::new(posts));
        let created = service
            .create(
                &user(2, "bob"),
                PostTitle::parse("Hello").unwrap(),
                PostContent::parse("world").unwrap(),
            )
            .unwrap();
        assert_eq!(created.owner_id, UserId::from_stored(2));
    }

    #[test]
    fn a_missing_post_is_not_found() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(None));
        let service = PostService::new(Arc::new(posts));
        assert!(matches!(
            service.get(PostId::from_stored(9)),
            Err(AppError::NotFound("post"))
        ));
        assert!(matches!(
            service.delete(&user(1, "alice"), PostId::from_stored(9)),
            Err(AppError::NotFound("post"))
        ));
    }
}
