//! Everything Plaza keeps about one person, as one document they can take away: their profile, what they
//! published and wrote, their tickets and places in line, and their inbox.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use plaza_domain::comment::{Comment, CommentRepository};
use plaza_domain::event::{Event, EventRepository, TimeWindow};
use plaza_domain::notification::{InboxCursor, Notification, NotificationRepository};
use plaza_domain::post::{Post, PostRepository};
use plaza_domain::report::{Report, ReportRepository};
use plaza_domain::ticket::{HeldTicket, TicketRepository};
use plaza_domain::user::User;
use plaza_domain::waitlist::{WaitlistEntry, WaitlistRepository};
use plaza_domain::{Page, PageRequest, RepoError};

use crate::error::AppError;

/// How many of one kind are read at a time.
const BATCH: u32 = 100;

/// What Plaza keeps about one person.
#[derive(Clone)]
pub struct PersonalData {
    /// When it was read.
    pub exported_at: DateTime<Utc>,
    /// Their account.
    pub user: User,
    /// The events they published, in list order.
    pub events: Vec<Event>,
    /// Their posts, newest first.
    pub posts: Vec<Post>,
    /// Their comments on any event, oldest first.
    pub comments: Vec<Comment>,
    /// The tickets they hold or held, newest first.
    pub tickets: Vec<HeldTicket>,
    /// Their places on waitlists.
    pub waitlist: Vec<WaitlistEntry>,
    /// Their inbox, oldest first.
    pub notifications: Vec<Notification>,
    /// The reports they filed, oldest first.
    pub reports: Vec<Report>,
}

#[derive(Clone)]
pub struct PersonalDataService {
    events: Arc<dyn EventRepository>,
    posts: Arc<dyn PostRepository>,
    comments: Arc<dyn CommentRepository>,
    tickets: Arc<dyn TicketRepository>,
    waitlists: Arc<dyn WaitlistRepository>,
    notifications: Arc<dyn NotificationRepository>,
    reports: Arc<dyn ReportRepository>,
}

/// Every item of an offset-paged list, a batch at a time.
fn all_pages<T>(mut read: impl FnMut(PageRequest) -> Result<Page<T>, RepoError>) -> Result<Vec<T>, AppError> {
    let mut items = Vec::new();
    loop {
        let page = PageRequest::new(Some(items.len() as i64), Some(i64::from(BATCH)))?;
        let batch = read(page)?;
        let done = batch.items.len() < BATCH as usize;
        items.extend(batch.items);
        if done {
            return Ok(items);
        }
    }
}

/// Every item of a keyset-read list, a batch at a time: `read` answers the batch after the last item read
/// (`None`: from the start).
fn all_after<T>(mut read: impl FnMut(Option<&T>) -> Result<Vec<T>, RepoError>) -> Result<Vec<T>, AppError> {
    let mut items: Vec<T> = Vec::new();
    loop {
        let batch = read(items.last())?;
        let done = batch.len() < BATCH as usize;
        items.extend(batch);
        if done {
            return Ok(items);
        }
    }
}

impl PersonalDataService {
    pub fn new(
        events: Arc<dyn EventRepository>,
        posts: Arc<dyn PostRepository>,
        comments: Arc<dyn CommentRepository>,
        tickets: Arc<dyn TicketRepository>,
        waitlists: Arc<dyn WaitlistRepository>,
        notifications: Arc<dyn NotificationRepository>,
        reports: Arc<dyn ReportRepository>,
    ) -> Self {
        Self {
            events,
            posts,
            comments,
            tickets,
            waitlists,
            notifications,
            reports,
        }
    }

    /// Everything kept about `user`, who asks for it: nobody else's data, and nothing of theirs left out
    /// (sessions are added by the caller, who knows which one asks).
    pub fn export(&self, user: &User) -> Result<PersonalData, AppError> {
        let id = user.id;
        let events = all_pages(|page| self.events.list_by_owner(id, TimeWindow::All, page))?;
        let posts = all_pages(|page| self.posts.list(Some(id), page))?;
        let tickets = all_pages(|page| self.tickets.list_held(id, None, page))?;
        let waitlist = all_pages(|page| self.waitlists.list_for(id, page))?;
        let comments = all_after(|last: Option<&Comment>| {
            self.comments.by_author(id, last.map(|comment| comment.id), BATCH)
        })?;
        let notifications = all_after(|last: Option<&Notification>| {
            let after = last.map_or(InboxCursor::Start, |notification| {
                InboxCursor::At(notification.id)
            });
            Ok(self.notifications.since(id, Some(after), BATCH)?.notifications)
        })?;
        let reports = all_after(|last: Option<&Report>| {
            self.reports.filed_by(id, last.map(|report| report.id), BATCH)
        })?;
        Ok(PersonalData {
            exported_at: crate::stored_now(),
            user: user.clone(),
            events,
            posts,
            comments,
            tickets,
            waitlist,
            notifications,
            reports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use plaza_domain::comment::MockCommentRepository;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::notification::{InboxSince, MockNotificationRepository};
    use plaza_domain::post::MockPostRepository;
    use plaza_domain::ticket::MockTicketRepository;
    use plaza_domain::waitlist::MockWaitlistRepository;
    use plaza_domain::{CommentId, EventId, UserId};

    fn comment(id: i64) -> Comment {
        Comment {
            id: CommentId::from_stored(id),
            content: format!("comment {id}"),
            event_id: EventId::from_stored(1),
            owner_id: UserId::from_stored(7),
            created_at: Utc::now(),
            edited_at: None,
        }
    }

    fn empty<T>() -> Result<Page<T>, RepoError> {
        Ok(Page {
            items: vec![],
            total: 0,
        })
    }

    #[test]
    fn only_the_callers_data_is_read_every_batch_until_the_last() {
        let mut events = MockEventRepository::new();
        events
            .expect_list_by_owner()
            .withf(|owner, window, _| owner.get() == 7 && *window == TimeWindow::All)
            .returning(|_, _, _| empty());
        let mut posts = MockPostRepository::new();
        posts
            .expect_list()
            .withf(|owner, _| *owner == Some(UserId::from_stored(7)))
            .returning(|_, _| empty());
        let mut tickets = MockTicketRepository::new();
        tickets
            .expect_list_held()
            .withf(|holder, status, _| holder.get() == 7 && status.is_none())
            .returning(|_, _, _| empty());
        let mut waitlists = MockWaitlistRepository::new();
        waitlists
            .expect_list_for()
            .withf(|user, _| user.get() == 7)
            .returning(|_, _| empty());
        // 250 comments: batches of 100, 100 and 50, each after the last one read.
        let mut comments = MockCommentRepository::new();
        comments
            .expect_by_author()
            .times(3)
            .withf(|author, _, limit| author.get() == 7 && *limit == BATCH)
            .returning(|_, after, limit| {
                let from = after.map_or(0, CommentId::get);
                Ok((from + 1..=(from + i64::from(limit)).min(250))
                    .map(comment)
                    .collect())
            });
        let mut notifications = MockNotificationRepository::new();
        notifications
            .expect_since()
            .times(1)
            .withf(|owner, after, _| owner.get() == 7 && *after == Some(InboxCursor::Start))
            .returning(|_, _, _| {
                Ok(InboxSince {
                    notifications: vec![],
                    unread: 0,
                    newest: None,
                })
            });
        let mut reports = plaza_domain::report::MockReportRepository::new();
        reports
            .expect_filed_by()
            .times(1)
            .withf(|reporter, after, _| reporter.get() == 7 && after.is_none())
            .returning(|_, _, _| Ok(vec![]));
        let service = PersonalDataService::new(
            Arc::new(events),
            Arc::new(posts),
            Arc::new(comments),
            Arc::new(tickets),
            Arc::new(waitlists),
            Arc::new(notifications),
            Arc::new(reports),
        );
        let data = service.export(&user(7, "gina")).unwrap();
        assert_eq!(data.user.username, "gina");
        assert_eq!(data.comments.len(), 250);
        assert_eq!(data.comments.last().map(|c| c.id.get()), Some(250));
        assert!(data.events.is_empty() && data.notifications.is_empty());
    }
}
