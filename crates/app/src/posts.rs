//! Posts.

use std::sync::Arc;

use plaza_domain::post::{NewPost, Post, PostChanges, PostContent, PostRepository, PostTitle};
use plaza_domain::removal::Removable;
use plaza_domain::user::User;
use plaza_domain::{Page, PageRequest, PostId, UserId};

use crate::error::{AppError, Found, OrNotFound};
use crate::removal::{Remover, Seen};

#[derive(Clone)]
pub struct PostService {
    posts: Arc<dyn PostRepository>,
    remover: Remover,
    verified_email: crate::email_verification::VerifiedEmailRule,
}

impl PostService {
    pub fn new(posts: Arc<dyn PostRepository>, remover: Remover) -> Self {
        Self {
            posts,
            remover,
            verified_email: Default::default(),
        }
    }

    /// Requires a verified address of whoever creates (`REQUIRE_VERIFIED_EMAIL`).
    pub fn with_verified_email_rule(mut self, rule: crate::email_verification::VerifiedEmailRule) -> Self {
        self.verified_email = rule;
        self
    }

    /// Publishes a post; whoever writes it is its author.
    pub fn create(&self, actor: &User, title: PostTitle, content: PostContent) -> Result<Post, AppError> {
        crate::email_verification::refuse_unverified(self.verified_email, actor)?;
        Ok(self.posts.create(NewPost {
            title,
            content,
            owner_id: actor.id,
        })?)
    }

    pub fn get(&self, id: PostId) -> Result<Post, AppError> {
        self.posts.find(id).found("post")
    }

    /// The post `id` as `viewer` sees it: a removed post only to its author, moderators and admins.
    pub fn seen(&self, viewer: Option<&User>, id: PostId) -> Result<Seen<Post>, AppError> {
        match self.posts.find(id)? {
            Some(post) => Ok(Seen::live(post)),
            None => self.remover.seen_removed(
                viewer,
                "post",
                |post: &Post| post.owner_id,
                |removals| removals.removed_post(id),
            ),
        }
    }

    pub fn list(&self, owner: Option<UserId>, page: PageRequest) -> Result<Page<Post>, AppError> {
        Ok(self.posts.list(owner, page)?)
    }

    /// Only the author may edit a post; an edit that changes nothing returns it as it is, not marked
    /// edited.
    pub fn update(&self, actor: &User, id: PostId, changes: PostChanges) -> Result<Post, AppError> {
        let post = self.authored_by(actor, id, "only the post's author may edit it")?;
        if changes.is_empty() {
            return Ok(post);
        }
        self.posts
            .update(id, changes, crate::stored_now())
            .or_not_found("post")
    }

    /// Its author deletes a post; a moderator or an admin removes it (kept apart, and logged).
    pub fn delete(&self, actor: &User, id: PostId) -> Result<(), AppError> {
        let post = self.get(id)?;
        if post.owner_id == actor.id {
            return self.posts.delete(id).or_not_found("post");
        }
        if !actor.role.moderates() {
            return Err(AppError::Forbidden(
                "only the post's author, a moderator or an admin may delete it",
            ));
        }
        self.remover.remove(actor, Removable::Post(id), None)
    }

    /// The post `id` (`NotFound` first), when `actor` wrote it (`Forbidden`, saying `why`, otherwise).
    fn authored_by(&self, actor: &User, id: PostId, why: &'static str) -> Result<Post, AppError> {
        let post = self.get(id)?;
        if post.owner_id != actor.id {
            return Err(AppError::Forbidden(why));
        }
        Ok(post)
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
            edited_at: None,
        }
    }

    fn new_title() -> PostChanges {
        PostChanges {
            title: Some(PostTitle::parse("New title").unwrap()),
            content: None,
        }
    }

    #[test]
    fn only_the_author_edits_and_the_edit_is_dated() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(Some(post(1))));
        posts
            .expect_update()
            .times(1)
            .withf(|id, changes, now| {
                *id == PostId::from_stored(3)
                    && *changes == new_title()
                    && (Utc::now() - *now).num_seconds().abs() < 60
            })
            .returning(|_, _, now| {
                let mut edited = post(1);
                edited.title = "New title".into();
                edited.edited_at = Some(now);
                Ok(edited)
            });
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
        assert!(matches!(
            service.update(&user(2, "bob"), PostId::from_stored(3), new_title()),
            Err(AppError::Forbidden(_))
        ));
        let edited = service
            .update(&user(1, "alice"), PostId::from_stored(3), new_title())
            .unwrap();
        assert_eq!(edited.title, "New title");
        assert!(edited.edited_at.is_some());
    }

    #[test]
    fn an_edit_of_nothing_leaves_the_post_unmarked() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(Some(post(1))));
        posts.expect_update().never();
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
        let same = service
            .update(&user(1, "alice"), PostId::from_stored(3), PostChanges::default())
            .unwrap();
        assert_eq!(same, post_with_same_time(&same));
        assert_eq!(same.edited_at, None);
    }

    /// `post(1)` with the creation time of `like` (which `post` takes from the clock).
    fn post_with_same_time(like: &Post) -> Post {
        Post {
            created_at: like.created_at,
            ..post(1)
        }
    }

    #[test]
    fn a_missing_post_is_not_found_before_anything_else() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(None));
        posts.expect_update().never();
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
        assert!(matches!(
            service.update(&user(2, "bob"), PostId::from_stored(3), new_title()),
            Err(AppError::NotFound("post"))
        ));
    }

    #[test]
    fn a_moderator_removes_what_the_author_would_delete_and_the_removal_is_kept_apart() {
        use plaza_domain::removal::{MockRemovalRepository, Removed};
        use plaza_domain::role::Role;
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(Some(post(1))));
        posts.expect_delete().never();
        let mut removals = MockRemovalRepository::new();
        removals
            .expect_remove()
            .times(1)
            .withf(|removal, _| {
                removal.item == Removable::Post(PostId::from_stored(3))
                    && removal.by == UserId::from_stored(9)
                    && removal.reason.is_none()
            })
            .returning(|_, _| {
                Ok(plaza_domain::ticket::Notified {
                    value: None,
                    recipients: vec![],
                })
            });
        let service = PostService::new(Arc::new(posts), crate::removal::tests::remover(removals));
        let moderator = User {
            role: Role::Moderator,
            ..user(9, "mod")
        };
        service.delete(&moderator, PostId::from_stored(3)).unwrap();

        // Once removed, only its author and moderators see it, marked removed.
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(None));
        let mut removals = MockRemovalRepository::new();
        removals.expect_removed_post().returning(|_| {
            Ok(Some(Removed {
                item: post(1),
                removed_at: Utc::now(),
                removed_by: Some(UserId::from_stored(9)),
            }))
        });
        let service = PostService::new(Arc::new(posts), crate::removal::tests::remover(removals));
        let id = PostId::from_stored(3);
        for viewer in [None, Some(user(2, "bob"))] {
            assert!(matches!(
                service.seen(viewer.as_ref(), id),
                Err(AppError::NotFound("post"))
            ));
        }
        for viewer in [user(1, "alice"), moderator] {
            let seen = service.seen(Some(&viewer), id).unwrap();
            assert!(seen.removed && seen.item.owner_id == UserId::from_stored(1));
        }
    }

    #[test]
    fn only_the_author_deletes() {
        let mut posts = MockPostRepository::new();
        posts.expect_find().returning(|_| Ok(Some(post(1))));
        posts.expect_delete().times(1).returning(|_| Ok(()));
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
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
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
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
        let service = PostService::new(Arc::new(posts), crate::removal::tests::unused());
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
