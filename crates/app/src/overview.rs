//! An event's page in one answer: the event, one page of its comments, and the people both name. A reader
//! on a slow network waits for one round trip instead of three (the event, then its comments' authors).

use std::sync::Arc;

use plaza_domain::comment::{Comment, CommentRepository};
use plaza_domain::event::{Event, EventRepository};
use plaza_domain::user::{User, UserRepository};
use plaza_domain::{EventId, Page, PageRequest, UserId};

use crate::error::{AppError, Found, OrNotFound};

/// What an event's page shows first.
#[derive(Debug, Clone)]
pub struct EventOverview {
    pub event: Event,
    /// The page of comments asked for, oldest first, with the event's total.
    pub comments: Page<Comment>,
    /// The event's owner and the authors of those comments, each once, by id; an account that no longer
    /// exists is left out.
    pub people: Vec<User>,
}

#[derive(Clone)]
pub struct OverviewService {
    events: Arc<dyn EventRepository>,
    comments: Arc<dyn CommentRepository>,
    users: Arc<dyn UserRepository>,
}

impl OverviewService {
    pub fn new(
        events: Arc<dyn EventRepository>,
        comments: Arc<dyn CommentRepository>,
        users: Arc<dyn UserRepository>,
    ) -> Self {
        Self {
            events,
            comments,
            users,
        }
    }

    /// The event with `comments_page` of its comments and the people they name; `NotFound` for a missing
    /// event. Three reads, each bounded by the page: the event, the comments, the people.
    pub fn event(&self, id: EventId, comments_page: PageRequest) -> Result<EventOverview, AppError> {
        let event = self.events.find(id).found("event")?;
        let comments = self.comments.list(id, comments_page).or_not_found("event")?;
        let people = self.users.find_many(&named_people(&event, &comments.items))?;
        Ok(EventOverview {
            event,
            comments,
            people,
        })
    }
}

/// The owner and the comments' authors, sorted and each once (the order `find_many` takes).
fn named_people(event: &Event, comments: &[Comment]) -> Vec<UserId> {
    let mut ids: Vec<UserId> = std::iter::once(event.owner_id)
        .chain(comments.iter().map(|comment| comment.owner_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::tests::event;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::comment::MockCommentRepository;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::user::MockUserRepository;
    use plaza_domain::{CommentId, RepoError};

    fn comment(id: i64, owner: i64) -> Comment {
        Comment {
            id: CommentId::from_stored(id),
            content: format!("comment {id}"),
            event_id: EventId::from_stored(7),
            owner_id: UserId::from_stored(owner),
            created_at: Utc::now(),
            edited_at: None,
        }
    }

    #[test]
    fn the_page_names_the_owner_and_each_author_once_in_one_batch() {
        let mut events = MockEventRepository::new();
        events
            .expect_find()
            .withf(|id| id.get() == 7)
            .returning(|id| Ok(Some(event(id.get(), 3))));
        let mut comments = MockCommentRepository::new();
        comments
            .expect_list()
            .withf(|id, page| id.get() == 7 && page.skip() == 20 && page.limit() == 20)
            .returning(|_, _| {
                Ok(Page {
                    items: vec![comment(21, 5), comment(22, 3), comment(23, 5), comment(24, 1)],
                    total: 24,
                })
            });
        let mut users = MockUserRepository::new();
        users
            .expect_find_many()
            .times(1)
            .withf(|ids| ids == [1, 3, 5].map(UserId::from_stored))
            .returning(|ids| {
                // User 5 has left: the page still shows, without them.
                Ok(ids
                    .iter()
                    .filter(|id| id.get() != 5)
                    .map(|id| user(id.get(), &format!("user{}", id.get())))
                    .collect())
            });
        let service = OverviewService::new(Arc::new(events), Arc::new(comments), Arc::new(users));
        let overview = service
            .event(
                EventId::from_stored(7),
                PageRequest::new(Some(20), Some(20)).unwrap(),
            )
            .unwrap();
        assert_eq!(overview.event.id.get(), 7);
        assert_eq!(overview.comments.total, 24);
        assert_eq!(overview.comments.items.len(), 4);
        let people: Vec<i64> = overview.people.iter().map(|user| user.id.get()).collect();
        assert_eq!(people, [1, 3]);
    }

    #[test]
    fn a_missing_event_is_not_found_and_nothing_else_is_read() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|_| Ok(None));
        let service = OverviewService::new(
            Arc::new(events),
            Arc::new(MockCommentRepository::new()),
            Arc::new(MockUserRepository::new()),
        );
        let result = service.event(EventId::from_stored(9), PageRequest::new(None, None).unwrap());
        assert!(matches!(result, Err(AppError::NotFound("event"))), "{result:?}");
    }

    #[test]
    fn a_store_failure_is_not_hidden() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 3))));
        let mut comments = MockCommentRepository::new();
        comments
            .expect_list()
            .returning(|_, _| Err(RepoError::Unavailable("down".into())));
        let service = OverviewService::new(
            Arc::new(events),
            Arc::new(comments),
            Arc::new(MockUserRepository::new()),
        );
        let result = service.event(EventId::from_stored(7), PageRequest::new(None, None).unwrap());
        assert!(result.is_err(), "{result:?}");
    }
}
