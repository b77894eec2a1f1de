//! A user's notifications.

use std::sync::Arc;

use chrono::{Duration, Utc};

use plaza_domain::notification::{
    NewNotification, Notification, NotificationMessage, NotificationQuery, NotificationRepository, SenderName,
};
use plaza_domain::user::User;
use plaza_domain::{NotificationId, Page, UserId};

use crate::error::{AppError, OrNotFound};

/// Direct notifications one account may send per minute, and per day: enough to reach people, too few to
/// flood anyone's inbox.
pub const SENT_PER_MINUTE: u64 = 20;
pub const SENT_PER_DAY: u64 = 200;

#[derive(Clone)]
pub struct NotificationService {
    notifications: Arc<dyn NotificationRepository>,
}

impl NotificationService {
    pub fn new(notifications: Arc<dyn NotificationRepository>) -> Self {
        Self { notifications }
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
        };
        self.notifications.create(new).or_not_found("recipient")
    }

    /// A page of the caller's own notifications and how many of all of them are unread.
    pub fn list(&self, query: NotificationQuery) -> Result<(Page<Notification>, u64), AppError> {
        Ok(self.notifications.list(query)?)
    }

    pub fn mark_read(&self, actor: &User, id: NotificationId) -> Result<Notification, AppError> {
        self.notifications
            .mark_read(actor.id, id)
            .or_not_found("notification")
    }

    pub fn mark_all_read(&self, actor: &User, up_to: Option<NotificationId>) -> Result<u64, AppError> {
        Ok(self.notifications.mark_all_read(actor.id, up_to)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use plaza_domain::RepoError;
    use plaza_domain::notification::MockNotificationRepository;

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
        let service = NotificationService::new(Arc::new(repo));
        let result = service.send(
            &user(1, "alice"),
            NotificationMessage::parse("hi").unwrap(),
            SenderName::parse("Alice").unwrap(),
            Some(UserId(2)),
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
        let service = NotificationService::new(Arc::new(repo));
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
            .withf(|n| n.owner_id == UserId(1) && n.sender_id == UserId(1) && n.event_id.is_none())
            .times(1)
            .returning(|_| Err(RepoError::Unavailable("test".into())));
        repo.expect_create()
            .withf(|n| n.owner_id == UserId(9) && n.sender_id == UserId(1))
            .returning(|_| Err(RepoError::NotFound));
        let service = NotificationService::new(Arc::new(repo));
        let message = || NotificationMessage::parse("hi").unwrap();
        let sender = || SenderName::parse("Alice").unwrap();
        let me = user(1, "alice");
        assert!(matches!(
            service.send(&me, message(), sender(), None),
            Err(AppError::Unavailable(_))
        ));
        assert!(matches!(
            service.send(&me, message(), sender(), Some(UserId(9))),
            Err(AppError::NotFound("recipient"))
        ));
    }

    #[test]
    fn someone_elses_notification_is_not_found() {
        let mut repo = MockNotificationRepository::new();
        repo.expect_mark_read().returning(|_, _| Err(RepoError::NotFound));
        let service = NotificationService::new(Arc::new(repo));
        assert!(matches!(
            service.mark_read(&user(1, "alice"), NotificationId(5)),
            Err(AppError::NotFound("notification"))
        ));
    }
}
