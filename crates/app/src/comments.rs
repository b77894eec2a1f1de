//! Comments on events, and who hears about them.

use std::sync::Arc;

use plaza_domain::comment::{Comment, CommentContent, CommentRepository, NewComment};
use plaza_domain::event::{Event, EventRepository};
use plaza_domain::notification::{NewNotification, NotificationMessage, SenderName};
use plaza_domain::user::User;
use plaza_domain::{EventId, Page, PageRequest, UserId};

use crate::error::{AppError, Found, OrNotFound};

/// Who is notified of a new comment: the event's owner and everyone who commented on it before, each
/// once, never the comment's author. Owner first, then earlier commenters in the order given.
pub fn comment_recipients(event_owner: UserId, earlier_commenters: &[UserId], author: UserId) -> Vec<UserId> {
    let mut recipients = Vec::with_capacity(earlier_commenters.len() + 1);
    for candidate in std::iter::once(event_owner).chain(earlier_commenters.iter().copied()) {
        if candidate != author && !recipients.contains(&candidate) {
            recipients.push(candidate);
        }
    }
    recipients
}

/// The text of a comment notification: names the author and the event.
pub fn comment_message(author: &str, event_name: &str) -> String {
    format!("{author} commented on \"{event_name}\"")
}

#[derive(Clone)]
pub struct CommentService {
    events: Arc<dyn EventRepository>,
    comments: Arc<dyn CommentRepository>,
}

impl CommentService {
    pub fn new(events: Arc<dyn EventRepository>, comments: Arc<dyn CommentRepository>) -> Self {
        Self { events, comments }
    }

    /// Posts a comment and notifies the people involved, in one transaction.
    pub fn post(
        &self,
        author: &User,
        event_id: EventId,
        content: CommentContent,
    ) -> Result<Comment, AppError> {
        let event = self.events.find(event_id).found("event")?;
        let commenters = self.comments.commenters(event_id)?;
        let notifications = Self::notifications_for(author, &event, &commenters)?;
        let comment = NewComment {
            content,
            event_id,
            owner_id: author.id,
        };
        self.comments
            .create_with_notifications(comment, notifications)
            .or_not_found("event")
    }

    /// Oldest first; `NotFound` for a missing event, so an empty list always means "no comments yet".
    pub fn list(&self, event_id: EventId, page: PageRequest) -> Result<Page<Comment>, AppError> {
        self.events.find(event_id).found("event")?;
        Ok(self.comments.list(event_id, page)?)
    }

    fn notifications_for(
        author: &User,
        event: &Event,
        commenters: &[UserId],
    ) -> Result<Vec<NewNotification>, AppError> {
        let display = author.display_name();
        let sender = SenderName::parse(truncate_chars(display, SenderName::MAX_CHARS)).map_err(internal)?;
        let text = comment_message(display, &event.name);
        let message = NotificationMessage::parse(truncate_chars(&text, NotificationMessage::MAX_CHARS))
            .map_err(internal)?;
        Ok(comment_recipients(event.owner_id, commenters, author.id)
            .into_iter()
            .map(|recipient| NewNotification {
                message: message.clone(),
                sender: sender.clone(),
                sender_id: author.id,
                owner_id: recipient,
                event_id: Some(event.id),
            })
            .collect())
    }
}

/// The names that go into a notification are validated elsewhere; a failure here is a bug.
fn internal(invalid: plaza_domain::Invalid) -> AppError {
    AppError::internal(format!("comment notification text is invalid: {invalid}"))
}

fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::tests::event;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::CommentId;
    use plaza_domain::RepoError;
    use plaza_domain::comment::MockCommentRepository;
    use plaza_domain::event::MockEventRepository;

    #[test]
    fn recipients_are_owner_and_earlier_commenters_once_never_the_author() {
        let ids = |raw: &[i64]| raw.iter().copied().map(UserId).collect::<Vec<_>>();
        assert_eq!(comment_recipients(UserId(1), &[], UserId(2)), ids(&[1]));
        assert_eq!(
            comment_recipients(UserId(1), &ids(&[3, 1, 3, 4]), UserId(2)),
            ids(&[1, 3, 4])
        );
        assert_eq!(
            comment_recipients(UserId(1), &ids(&[2, 3]), UserId(1)),
            ids(&[2, 3])
        );
        assert_eq!(comment_recipients(UserId(1), &ids(&[1]), UserId(1)), ids(&[]));
    }

    #[test]
    fn posting_writes_one_notification_per_recipient_with_the_comment() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        let mut comments = MockCommentRepository::new();
        comments
            .expect_commenters()
            .returning(|_| Ok(vec![UserId(3), UserId(2), UserId(1), UserId(3)]));
        comments
            .expect_create_with_notifications()
            .times(1)
            .withf(|comment, notifications| {
                let recipients: Vec<_> = notifications.iter().map(|n| n.owner_id).collect();
                comment.owner_id == UserId(2)
                    && recipients == [UserId(1), UserId(3)]
                    && notifications.iter().all(|n| {
                        n.sender.as_str() == "Bob B."
                            && n.sender_id == UserId(2)
                            && n.event_id == Some(EventId(7))
                            && n.message.as_str() == "Bob B. commented on \"Rust meetup\""
                    })
            })
            .returning(|comment, _| {
                Ok(Comment {
                    id: CommentId(1),
                    content: comment.content.into_inner(),
                    event_id: comment.event_id,
                    owner_id: comment.owner_id,
                    created_at: Utc::now(),
                })
            });
        let service = CommentService::new(Arc::new(events), Arc::new(comments));
        let mut bob = user(2, "bob");
        bob.full_name = Some("Bob B.".into());
        let comment = service
            .post(&bob, EventId(7), CommentContent::parse("see you there").unwrap())
            .unwrap();
        assert_eq!(comment.content, "see you there");
    }

    #[test]
    fn the_sender_is_the_user_name_without_a_full_name() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        let mut comments = MockCommentRepository::new();
        comments.expect_commenters().returning(|_| Ok(vec![]));
        comments
            .expect_create_with_notifications()
            .withf(|_, n| {
                n.len() == 1 && n[0].sender.as_str() == "bob" && n[0].message.as_str().starts_with("bob ")
            })
            .returning(|_, _| Err(RepoError::Unavailable("stop here".into())));
        let service = CommentService::new(Arc::new(events), Arc::new(comments));
        let result = service.post(&user(2, "bob"), EventId(7), CommentContent::parse("hi").unwrap());
        assert!(matches!(result, Err(AppError::Unavailable(_))));
    }

    #[test]
    fn commenting_on_a_missing_event_writes_nothing() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|_| Ok(None));
        let mut comments = MockCommentRepository::new();
        comments.expect_create_with_notifications().never();
        let service = CommentService::new(Arc::new(events), Arc::new(comments));
        let result = service.post(&user(2, "bob"), EventId(7), CommentContent::parse("hi").unwrap());
        assert!(matches!(result, Err(AppError::NotFound("event"))));
    }
}
