//! Comments on events, and who hears about them.

use std::sync::Arc;

use plaza_domain::comment::{Comment, CommentContent, CommentRepository, FanOut, NewComment, PostedComment};
use plaza_domain::event::{Event, EventRepository};
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::notification::{NewNotification, NotificationMessage, NotificationSubject, SenderName};
use plaza_domain::removal::Removable;
use plaza_domain::user::User;
use plaza_domain::{CommentId, EventId, Page, PageRequest, UserId};

use crate::error::{AppError, Found, OrNotFound};
use crate::removal::{Remover, Seen};

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
    bus: Arc<dyn NotificationBus>,
    remover: Remover,
    verified_email: crate::email_verification::VerifiedEmailRule,
}

impl CommentService {
    pub fn new(
        events: Arc<dyn EventRepository>,
        comments: Arc<dyn CommentRepository>,
        bus: Arc<dyn NotificationBus>,
        remover: Remover,
    ) -> Self {
        Self {
            events,
            comments,
            bus,
            remover,
            verified_email: Default::default(),
        }
    }

    /// Requires a verified address of whoever creates (`REQUIRE_VERIFIED_EMAIL`).
    pub fn with_verified_email_rule(mut self, rule: crate::email_verification::VerifiedEmailRule) -> Self {
        self.verified_email = rule;
        self
    }

    /// The comment `id` on `event_id` as `viewer` sees it: a removed comment only to its author,
    /// moderators and admins.
    pub fn seen(
        &self,
        viewer: Option<&User>,
        event_id: EventId,
        id: CommentId,
    ) -> Result<Seen<Comment>, AppError> {
        match self.comments.find(event_id, id)? {
            Some(comment) => Ok(Seen::live(comment)),
            None => self.remover.seen_removed(
                viewer,
                "comment",
                |comment: &Comment| comment.owner_id,
                |removals| removals.removed_comment(event_id, id),
            ),
        }
    }

    /// Posts a comment and notifies the people involved, in one transaction; the recipients are read in
    /// that transaction too, so two comments landing together each notify the other's author. Their
    /// open streams are signalled once it has committed.
    pub fn post(
        &self,
        author: &User,
        event_id: EventId,
        content: CommentContent,
    ) -> Result<PostedComment, AppError> {
        crate::email_verification::refuse_unverified(self.verified_email, author)?;
        let display = author.display_name();
        let sender = SenderName::parse(truncate_chars(display, SenderName::MAX_CHARS)).map_err(internal)?;
        let fan_out = CommentFanOut {
            author: author.id,
            author_name: display.to_owned(),
            sender,
        };
        let comment = NewComment {
            content,
            event_id,
            owner_id: author.id,
        };
        let posted = self
            .comments
            .create_with_notifications(comment, Box::new(fan_out))
            .or_not_found("event")?;
        let signals: Vec<Signal> = posted
            .notifications
            .iter()
            .map(|notification| Signal::Inbox(notification.owner_id))
            .collect();
        if !signals.is_empty() {
            self.bus.publish(&signals);
        }
        Ok(posted)
    }

    /// Oldest first; `NotFound` for a missing event, so an empty list always means "no comments yet".
    pub fn list(&self, event_id: EventId, page: PageRequest) -> Result<Page<Comment>, AppError> {
        self.comments.list(event_id, page).or_not_found("event")
    }

    /// Only its author changes a comment's text; it then says when (`edited_at`). Nobody is notified
    /// again. `NotFound` for a comment that is not on this event.
    pub fn edit(
        &self,
        actor: &User,
        event_id: EventId,
        id: CommentId,
        content: CommentContent,
    ) -> Result<Comment, AppError> {
        let comment = self.comments.find(event_id, id).found("comment")?;
        if comment.owner_id != actor.id {
            return Err(AppError::Forbidden("only the comment's author may edit it"));
        }
        self.comments
            .update(event_id, id, content, crate::stored_now())
            .or_not_found("comment")
    }

    /// Its author deletes a comment. The event's owner, who looks after the discussion on their event,
    /// and moderators and admins remove it: a copy is kept apart and the removal is logged. `NotFound` for
    /// a comment that is not on this event.
    pub fn delete(&self, actor: &User, event_id: EventId, id: CommentId) -> Result<(), AppError> {
        let comment = self.comments.find(event_id, id).found("comment")?;
        if comment.owner_id == actor.id {
            return self.comments.delete(event_id, id).or_not_found("comment");
        }
        if !actor.role.moderates() {
            let event = self.events.find(event_id).found("event")?;
            if event.owner_id != actor.id {
                return Err(AppError::Forbidden(
                    "only the comment's author, the event's owner, a moderator or an admin may delete it",
                ));
            }
        }
        self.remover.remove(actor, Removable::Comment(id), None)
    }
}

/// The rule of who hears of a comment, applied by the storage adapter inside the write.
struct CommentFanOut {
    author: UserId,
    author_name: String,
    sender: SenderName,
}

impl FanOut for CommentFanOut {
    fn notifications(&self, event: &Event, participants: &[UserId]) -> Vec<NewNotification> {
        let text = comment_message(&self.author_name, &event.name);
        // Both names were validated when they were stored, and the message is cut to its limit: a message
        // that still fails is a bug, and notifying nobody is better than failing the comment.
        let Ok(message) = NotificationMessage::parse(truncate_chars(&text, NotificationMessage::MAX_CHARS))
        else {
            tracing::error!(event = %event.id, "a comment notification's text is invalid");
            return Vec::new();
        };
        let mut earlier = participants.to_vec();
        earlier.sort_unstable();
        comment_recipients(event.owner_id, &earlier, self.author)
            .into_iter()
            .map(|recipient| NewNotification {
                message: message.clone(),
                sender: self.sender.clone(),
                sender_id: self.author,
                owner_id: recipient,
                event_id: Some(event.id),
                subject: NotificationSubject::Comment {
                    event_name: event.name.clone(),
                },
            })
            .collect()
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
    use plaza_domain::comment::MockCommentRepository;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::notification::Notification;

    /// Comment 5 on event 7 by user `author`.
    fn stored(author: i64) -> Comment {
        Comment {
            id: CommentId::from_stored(5),
            content: "first words".into(),
            event_id: EventId::from_stored(7),
            owner_id: UserId::from_stored(author),
            created_at: Utc::now(),
            edited_at: None,
        }
    }

    /// Comment 5 on event 7 written by user 2; event 7 owned by user 1.
    fn discussion(comments: MockCommentRepository) -> CommentService {
        discussion_with(comments, crate::removal::tests::unused())
    }

    fn discussion_with(comments: MockCommentRepository, remover: Remover) -> CommentService {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        CommentService::new(
            Arc::new(events),
            Arc::new(comments),
            Arc::new(quiet_or(0)),
            remover,
        )
    }

    fn finding_comment_5_by_user_2() -> MockCommentRepository {
        let mut comments = MockCommentRepository::new();
        comments
            .expect_find()
            .returning(|event, id| Ok((event.get() == 7 && id.get() == 5).then(|| stored(2))));
        comments
    }

    #[test]
    fn only_the_author_edits_a_comment_and_the_edit_is_dated() {
        let mut comments = finding_comment_5_by_user_2();
        comments
            .expect_update()
            .times(1)
            .withf(|event, id, content, now| {
                (event.get(), id.get(), content.as_str()) == (7, 5, "better words")
                    && (Utc::now() - *now).num_seconds().abs() < 60
            })
            .returning(|_, _, content, now| {
                Ok(Comment {
                    content: content.into_inner(),
                    edited_at: Some(now),
                    ..stored(2)
                })
            });
        let service = discussion(comments);
        let words = || CommentContent::parse("better words").unwrap();
        let (event, comment) = (EventId::from_stored(7), CommentId::from_stored(5));
        for other in [user(1, "owner"), user(3, "carol")] {
            assert!(
                matches!(
                    service.edit(&other, event, comment, words()),
                    Err(AppError::Forbidden(_))
                ),
                "not even the event's owner edits someone's words"
            );
        }
        let edited = service.edit(&user(2, "bob"), event, comment, words()).unwrap();
        assert_eq!(edited.content, "better words");
        assert!(edited.edited_at.is_some());
        assert!(matches!(
            service.edit(&user(2, "bob"), EventId::from_stored(8), comment, words()),
            Err(AppError::NotFound("comment"))
        ));
    }

    #[test]
    fn the_author_deletes_a_comment_the_events_owner_and_moderators_remove_it_nobody_else() {
        use plaza_domain::removal::MockRemovalRepository;
        use plaza_domain::role::Role;
        let mut comments = finding_comment_5_by_user_2();
        comments.expect_delete().times(1).returning(|_, _| Ok(()));
        let mut removals = MockRemovalRepository::new();
        removals
            .expect_remove()
            .times(2)
            .withf(|removal, _| removal.item == Removable::Comment(CommentId::from_stored(5)))
            .returning(|removal, _| {
                assert!([1, 4].contains(&removal.by.get()), "removed by {:?}", removal.by);
                Ok(plaza_domain::ticket::Notified {
                    value: None,
                    recipients: vec![],
                })
            });
        let service = discussion_with(comments, crate::removal::tests::remover(removals));
        let (event, comment) = (EventId::from_stored(7), CommentId::from_stored(5));
        assert!(matches!(
            service.delete(&user(3, "carol"), event, comment),
            Err(AppError::Forbidden(_))
        ));
        service.delete(&user(2, "bob"), event, comment).unwrap();
        service.delete(&user(1, "owner"), event, comment).unwrap();
        let moderator = User {
            role: Role::Moderator,
            ..user(4, "mod")
        };
        service.delete(&moderator, event, comment).unwrap();
        assert!(matches!(
            service.delete(&user(1, "owner"), event, CommentId::from_stored(6)),
            Err(AppError::NotFound("comment"))
        ));
    }

    /// A bus that must be published to exactly `times` times.
    fn quiet_or(times: usize) -> MockNotificationBus {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().times(times).return_const(());
        bus
    }
    use plaza_domain::{CommentId, NotificationId, RepoError};

    #[test]
    fn recipients_are_owner_and_earlier_commenters_once_never_the_author() {
        let ids = |raw: &[i64]| raw.iter().copied().map(UserId::from_stored).collect::<Vec<_>>();
        assert_eq!(
            comment_recipients(UserId::from_stored(1), &[], UserId::from_stored(2)),
            ids(&[1])
        );
        assert_eq!(
            comment_recipients(
                UserId::from_stored(1),
                &ids(&[3, 1, 3, 4]),
                UserId::from_stored(2)
            ),
            ids(&[1, 3, 4])
        );
        assert_eq!(
            comment_recipients(UserId::from_stored(1), &ids(&[2, 3]), UserId::from_stored(1)),
            ids(&[2, 3])
        );
        assert_eq!(
            comment_recipients(UserId::from_stored(1), &ids(&[1]), UserId::from_stored(1)),
            ids(&[])
        );
    }

    fn posted(comment: NewComment, notifications: Vec<NewNotification>) -> PostedComment {
        let created_at = Utc::now();
        PostedComment {
            comment: Comment {
                id: CommentId::from_stored(1),
                content: comment.content.into_inner(),
                event_id: comment.event_id,
                owner_id: comment.owner_id,
                created_at,
                edited_at: None,
            },
            notifications: notifications
                .into_iter()
                .enumerate()
                .map(|(i, n)| Notification {
                    id: NotificationId::from_stored(i as i64 + 1),
                    message: n.message.into_inner(),
                    created_at,
                    sender: n.sender.into_inner(),
                    sender_id: n.sender_id,
                    owner_id: n.owner_id,
                    event_id: n.event_id,
                    subject: n.subject,
                    read: false,
                })
                .collect(),
        }
    }

    #[test]
    fn the_fan_out_notifies_owner_and_earlier_commenters_inside_the_write() {
        let mut comments = MockCommentRepository::new();
        comments
            .expect_create_with_notifications()
            .times(1)
            .returning(|comment, fan_out| {
                // What the adapter reads inside its transaction: the event, and who commented before.
                let notifications = fan_out.notifications(
                    &event(7, 1),
                    &[
                        UserId::from_stored(3),
                        UserId::from_stored(2),
                        UserId::from_stored(1),
                    ],
                );
                Ok(posted(comment, notifications))
            });
        // Once committed, the recipients' streams are woken; a failed post wakes nobody (below).
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals: &[Signal]| {
                signals
                    == [
                        Signal::Inbox(UserId::from_stored(1)),
                        Signal::Inbox(UserId::from_stored(3)),
                    ]
            })
            .times(1)
            .return_const(());
        let service = CommentService::new(
            Arc::new(MockEventRepository::new()),
            Arc::new(comments),
            Arc::new(bus),
            crate::removal::tests::unused(),
        );
        let mut bob = user(2, "bob");
        bob.full_name = Some("Bob B.".into());
        let posted = service
            .post(
                &bob,
                EventId::from_stored(7),
                CommentContent::parse("see you there").unwrap(),
            )
            .unwrap();
        assert_eq!(posted.comment.content, "see you there");
        let recipients: Vec<_> = posted.notifications.iter().map(|n| n.owner_id).collect();
        assert_eq!(
            recipients,
            [UserId::from_stored(1), UserId::from_stored(3)],
            "owner first, never the author, each once"
        );
        assert!(posted.notifications.iter().all(|n| {
            n.sender == "Bob B."
                && n.sender_id == UserId::from_stored(2)
                && n.event_id == Some(EventId::from_stored(7))
                && n.message == "Bob B. commented on \"Rust meetup\""
        }));
    }

    #[test]
    fn the_sender_is_the_user_name_without_a_full_name() {
        let mut comments = MockCommentRepository::new();
        comments
            .expect_create_with_notifications()
            .returning(|comment, fan_out| Ok(posted(comment, fan_out.notifications(&event(7, 1), &[]))));
        let service = CommentService::new(
            Arc::new(MockEventRepository::new()),
            Arc::new(comments),
            Arc::new(quiet_or(1)),
            crate::removal::tests::unused(),
        );
        let posted = service
            .post(
                &user(2, "bob"),
                EventId::from_stored(7),
                CommentContent::parse("hi").unwrap(),
            )
            .unwrap();
        assert_eq!(posted.notifications.len(), 1);
        assert_eq!(posted.notifications[0].sender, "bob");
        assert!(posted.notifications[0].message.starts_with("bob "));
    }

    /// A service whose only store is `comments`: the events mock expects nothing and would panic.
    fn asking_only(comments: MockCommentRepository) -> CommentService {
        CommentService::new(
            Arc::new(MockEventRepository::new()),
            Arc::new(comments),
            Arc::new(quiet_or(0)),
            crate::removal::tests::unused(),
        )
    }

    #[test]
    fn commenting_on_a_missing_event_is_not_found() {
        let mut comments = MockCommentRepository::new();
        comments
            .expect_create_with_notifications()
            .returning(|_, _| Err(RepoError::NotFound));
        let service = asking_only(comments);
        let result = service.post(
            &user(2, "bob"),
            EventId::from_stored(7),
            CommentContent::parse("hi").unwrap(),
        );
        assert!(matches!(result, Err(AppError::NotFound("event"))));
    }

    /// One read of the store answers a page: the event is not looked up first (the events mock expects
    /// nothing and would panic), and the store's `NotFound` names the event.
    #[test]
    fn a_page_of_comments_is_one_read_and_a_missing_event_is_named() {
        let mut comments = MockCommentRepository::new();
        comments
            .expect_list()
            .times(2)
            .returning(|event, _| match event.get() {
                7 => Ok(Page {
                    items: vec![stored(2)],
                    total: 41,
                }),
                _ => Err(RepoError::NotFound),
            });
        let service = asking_only(comments);
        let page = service
            .list(EventId::from_stored(7), PageRequest::default())
            .unwrap();
        let ids: Vec<_> = page.items.iter().map(|comment| comment.id.get()).collect();
        assert_eq!((ids, page.total), (vec![5], 41));
        let missing = service.list(EventId::from_stored(8), PageRequest::default());
        assert!(matches!(missing, Err(AppError::NotFound("event"))));
    }
}
