//! A user's notifications.

use std::sync::Arc;

use chrono::{Duration, Utc};

use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::notification::{
    InboxCursor, NewNotification, Notification, NotificationMessage, NotificationQuery,
    NotificationRepository, SenderName,
};
use plaza_domain::user::User;
use plaza_domain::{NotificationId, Page, PageRequest, UserId};

use crate::error::{AppError, OrNotFound};

/// Direct notifications one account may send per minute, and per day: enough to reach people, too few to
/// flood anyone's inbox.
pub const SENT_PER_MINUTE: u64 = 20;
pub const SENT_PER_DAY: u64 = 200;

#[derive(Clone)]
pub struct NotificationService {
    notifications: Arc<dyn NotificationRepository>,
    bus: Arc<dyn NotificationBus>,
}

impl NotificationService {
    pub fn new(notifications: Arc<dyn NotificationRepository>, bus: Arc<dyn NotificationBus>) -> Self {
        Self { notifications, bus }
    }

    /// Sends a notification from the caller to `recipient` (the caller when `None`), within the caller's
    /// allowance ([`SENT_PER_MINUTE`], [`SENT_PER_DAY`]). The caller is recorded as `sender_id` whatever
    /// `sender` says.
    pub fn send(
        &self,
        actor: &User,
        message: NotificationMessage,
        sender: SenderName,
        recipient: Option<UserId>,
    ) -> Result<Notification, AppError> {
        let now = Utc::now();
        if self
            .notifications
            .sent_since(actor.id, now - Duration::minutes(1))?
            >= SENT_PER_MINUTE
        {
            return Err(AppError::RateLimited(60));
        }
        if self.notifications.sent_since(actor.id, now - Duration::days(1))? >= SENT_PER_DAY {
            return Err(AppError::RateLimited(3600));
        }
        let new = NewNotification {
            message,
            sender,
            sender_id: actor.id,
            owner_id: recipient.unwrap_or(actor.id),
            event_id: None,
            subject: plaza_domain::notification::NotificationSubject::Message,
        };
        let sent = self.notifications.create(new).or_not_found("recipient")?;
        self.bus.publish(&[Signal::Inbox(sent.owner_id)]);
        Ok(sent)
    }

    /// A page of the caller's own notifications (only the unread ones with `unread_only`) and how many of
    /// all of them are unread. Nobody reads another's inbox.
    pub fn list(
        &self,
        actor: &User,
        unread_only: bool,
        page: PageRequest,
    ) -> Result<(Page<Notification>, u64), AppError> {
        Ok(self.notifications.list(NotificationQuery {
            owner: actor.id,
            unread_only,
            page,
        })?)
    }

    /// Marks one of the caller's notifications read; their other devices hear of the new unread count.
    pub fn mark_read(&self, actor: &User, id: NotificationId) -> Result<Notification, AppError> {
        let read = self
            .notifications
            .mark_read(actor.id, id)
            .or_not_found("notification")?;
        self.bus.publish(&[Signal::Inbox(actor.id)]);
        Ok(read)
    }

    pub fn mark_all_read(&self, actor: &User, up_to: Option<InboxCursor>) -> Result<u64, AppError> {
        let updated = self.notifications.mark_all_read(actor.id, up_to)?;
        if updated > 0 {
            self.bus.publish(&[Signal::Inbox(actor.id)]);
        }
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use plaza_domain::RepoError;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::notification::MockNotificationRepository;

    fn silent_bus() -> Arc<MockNotificationBus> {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        Arc::new(bus)
    }

    fn stored(owner: i64) -> Notification {
        Notification {
            id: NotificationId::from_stored(5),
            message: "hi".into(),
            created_at: Utc::now(),
            sender: "Alice".into(),
            sender_id: UserId::from_stored(1),
            owner_id: UserId::from_stored(owner),
            event_id: None,
            subject: plaza_domain::notification::NotificationSubject::Message,
            read: false,
        }
    }

    #[test]
    fn changes_that_committed_wake_the_owners_streams_and_nothing_else_does() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_sent_since().returning(|_, _| Ok(0));
        repo.expect_create().returning(|n| Ok(stored(n.owner_id.get())));
        repo.expect_mark_read().returning(|_, _| Ok(stored(1)));
        let mut updates = vec![0, 3].into_iter();
        repo.expect_mark_all_read()
            .returning(move |_, _| Ok(updates.next().unwrap()));
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals: &[Signal]| signals == [Signal::Inbox(UserId::from_stored(9))])
            .times(1)
            .return_const(());
        bus.expect_publish()
            .withf(|signals: &[Signal]| signals == [Signal::Inbox(UserId::from_stored(1))])
            .times(2) // one read, then a read-all that changed something
            .return_const(());
        let service = NotificationService::new(Arc::new(repo), Arc::new(bus));
        let me = user(1, "alice");
        service
            .send(
                &me,
                NotificationMessage::parse("hi").unwrap(),
                SenderName::parse("Alice").unwrap(),
                Some(UserId::from_stored(9)),
            )
            .unwrap();
        service.mark_read(&me, NotificationId::from_stored(5)).unwrap();
        assert_eq!(
            service.mark_all_read(&me, None).unwrap(),
            0,
            "nothing changed, nothing said"
        );
        assert_eq!(service.mark_all_read(&me, None).unwrap(), 3);
    }

    #[test]
    fn each_account_sends_only_so_many() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_sent_since().returning(|_, since| {
            Ok(if since > Utc::now() - Duration::minutes(2) {
                SENT_PER_MINUTE
            } else {
                0
            })
        });
        repo.expect_create().never();
        let service = NotificationService::new(Arc::new(repo), silent_bus());
        let result = service.send(
            &user(1, "alice"),
            NotificationMessage::parse("hi").unwrap(),
            SenderName::parse("Alice").unwrap(),
            Some(UserId::from_stored(2)),
        );
        assert!(matches!(result, Err(AppError::RateLimited(60))));

        let mut repo = MockNotificationRepository::new();
        repo.expect_sent_since().returning(|_, since| {
            Ok(if since < Utc::now() - Duration::hours(2) {
                SENT_PER_DAY
            } else {
                3
            })
        });
        repo.expect_create().never();
        let service = NotificationService::new(Arc::new(repo), silent_bus());
        let result = service.send(
            &user(1, "alice"),
            NotificationMessage::parse("hi").unwrap(),
            SenderName::parse("Alice").unwrap(),
            None,
        );
        assert!(matches!(result, Err(AppError::RateLimited(3600))));
    }

    #[test]
    fn the_recipient_defaults_to_the_caller_and_the_caller_is_the_sender() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_sent_since().returning(|_, _| Ok(0));
        repo.expect_create()
            .withf(|n| {
                n.owner_id == UserId::from_stored(1)
                    && n.sender_id == UserId::from_stored(1)
                    && n.event_id.is_none()
            })
            .times(1)
            .returning(|_| Err(RepoError::Unavailable("test".into())));
        repo.expect_create()
            .withf(|n| n.owner_id == UserId::from_stored(9) && n.sender_id == UserId::from_stored(1))
            .returning(|_| Err(RepoError::NotFound));
        let service = NotificationService::new(Arc::new(repo), silent_bus());
        let message = || NotificationMessage::parse("hi").unwrap();
        let sender = || SenderName::parse("Alice").unwrap();
        let me = user(1, "alice");
        assert!(matches!(
            service.send(&me, message(), sender(), None),
            Err(AppError::Unavailable(_))
        ));
        assert!(matches!(
            service.send(&me, message(), sender(), Some(UserId::from_stored(9))),
            Err(AppError::NotFound("recipient"))
        ));
    }

    #[test]
    fn someone_elses_notification_is_not_found() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_mark_read().returning(|_, _| Err(RepoError::NotFound));
        let service = NotificationService::new(Arc::new(repo), silent_bus());
        assert!(matches!(
            service.mark_read(&user(1, "alice"), NotificationId::from_stored(5)),
            Err(AppError::NotFound("notification"))
        ));
    }

    #[test]
    fn the_caller_reads_only_their_own_inbox() {
        let mut repo = MockNotificationRepository::new();
        let page = PageRequest::new(Some(10), Some(5)).unwrap();
        repo.expect_list()
            .withf(move |query: &NotificationQuery| {
                *query
                    == NotificationQuery {
                        owner: UserId::from_stored(4),
                        unread_only: true,
                        page,
                    }
            })
            .times(1)
            .returning(|_| {
                Ok((
                    Page {
                        items: vec![stored(4)],
                        total: 11,
                    },
                    2,
                ))
            });
        let service = NotificationService::new(Arc::new(repo), silent_bus());
        let (found, unread) = service.list(&user(4, "dora"), true, page).unwrap();
        assert_eq!((found.total, unread), (11, 2));
        assert_eq!(found.items[0].owner_id, UserId::from_stored(4));
    }
}
