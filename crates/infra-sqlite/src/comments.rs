//! Comments in the `comments` table, written together with the notifications they cause.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use plaza_domain::comment::{Comment, CommentRepository, NewComment};
use plaza_domain::notification::NewNotification;
use plaza_domain::{CommentId, EventId, Page, PageRequest, RepoError, UserId};

use crate::db::{Database, now, offset_limit};
use crate::notifications::insert_all;
use crate::schema::comments;

#[derive(Queryable, Selectable)]
#[diesel(table_name = comments, check_for_backend(Sqlite))]
struct CommentRow {
    id: i64,
    content: String,
    event_id: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: CommentId(row.id),
            content: row.content,
            event_id: EventId(row.event_id),
            owner_id: UserId(row.owner_id),
            created_at: row.created_at.and_utc(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = comments)]
struct CommentInsert<'a> {
    content: &'a str,
    event_id: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
}

/// [`CommentRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteCommentRepository {
    db: Database,
}

impl SqliteCommentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl CommentRepository for SqliteCommentRepository {
    fn commenters(&self, event: EventId) -> Result<Vec<UserId>, RepoError> {
        self.db.read(|conn| {
            let ids: Vec<i64> = comments::table
                .filter(comments::event_id.eq(event.get()))
                .select(comments::owner_id)
                .distinct()
                .order(comments::owner_id)
                .load(conn)?;
            Ok(ids.into_iter().map(UserId).collect())
        })
    }

    fn create_with_notifications(
        &self,
        comment: NewComment,
        notifications: Vec<NewNotification>,
    ) -> Result<Comment, RepoError> {
        self.db.write(|conn| {
            let created_at = now();
            let row = diesel::insert_into(comments::table)
                .values(CommentInsert {
                    content: comment.content.as_str(),
                    event_id: comment.event_id.get(),
                    owner_id: comment.owner_id.get(),
                    created_at,
                })
                .returning(CommentRow::as_returning())
                .get_result(conn)?;
            insert_all(conn, &notifications, created_at)?;
            Ok(row.into())
        })
    }

    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError> {
        self.db.read(|conn| {
            let of_event = comments::table.filter(comments::event_id.eq(event.get()));
            let (offset, limit) = offset_limit(page);
            let total: i64 = of_event.count().get_result(conn)?;
            let rows = of_event
                .order((comments::created_at.asc(), comments::id.asc()))
                .offset(offset)
                .limit(limit)
                .select(CommentRow::as_select())
                .load(conn)?;
            Ok(Page {
                items: rows.into_iter().map(Comment::from).collect(),
                total: total.unsigned_abs(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::temp_db;
    use crate::events::SqliteEventRepository;
    use crate::events::tests::new_event;
    use crate::notifications::SqliteNotificationRepository;
    use crate::users::SqliteUserRepository;
    use crate::users::tests::new_user;
    use plaza_domain::comment::CommentContent;
    use plaza_domain::event::EventRepository;
    use plaza_domain::notification::{
        NotificationMessage, NotificationQuery, NotificationRepository, SenderName,
    };
    use plaza_domain::user::UserRepository;

    struct Fixture {
        _dir: tempfile::TempDir,
        db: Database,
        comments: SqliteCommentRepository,
        alice: UserId,
        bob: UserId,
        event: EventId,
    }

    fn fixture() -> Fixture {
        let (dir, db) = temp_db();
        let users = SqliteUserRepository::new(db.clone());
        let (alice, bob) = (
            users.create(new_user("alice")).unwrap().id,
            users.create(new_user("bob")).unwrap().id,
        );
        let event = SqliteEventRepository::new(db.clone())
            .create(new_event(alice, "Meetup", "", 1, 10))
            .unwrap()
            .id;
        Fixture {
            _dir: dir,
            comments: SqliteCommentRepository::new(db.clone()),
            db,
            alice,
            bob,
            event,
        }
    }

    fn comment(event: EventId, author: UserId, text: &str) -> NewComment {
        NewComment {
            content: CommentContent::parse(text).unwrap(),
            event_id: event,
            owner_id: author,
        }
    }

    fn notify(to: UserId, from: UserId, event: EventId) -> NewNotification {
        NewNotification {
            message: NotificationMessage::parse("x commented").unwrap(),
            sender: SenderName::parse("x").unwrap(),
            sender_id: from,
            owner_id: to,
            event_id: Some(event),
        }
    }

    fn unread(db: &Database, owner: UserId) -> u64 {
        let query = NotificationQuery {
            owner,
            unread_only: false,
            page: PageRequest::default(),
        };
        SqliteNotificationRepository::new(db.clone())
            .list(query)
            .unwrap()
            .1
    }

    #[test]
    fn writes_the_comment_with_its_notifications_and_lists_oldest_first() {
        let f = fixture();
        f.comments
            .create_with_notifications(
                comment(f.event, f.bob, "first"),
                vec![notify(f.alice, f.bob, f.event)],
            )
            .unwrap();
        f.comments
            .create_with_notifications(
                comment(f.event, f.alice, "second"),
                vec![notify(f.bob, f.alice, f.event)],
            )
            .unwrap();
        f.comments
            .create_with_notifications(comment(f.event, f.bob, "third"), vec![])
            .unwrap();
        let page = f.comments.list(f.event, PageRequest::default()).unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(
            page.items.iter().map(|c| c.content.as_str()).collect::<Vec<_>>(),
            ["first", "second", "third"]
        );
        assert_eq!(f.comments.commenters(f.event).unwrap(), [f.alice, f.bob]);
        assert_eq!((unread(&f.db, f.alice), unread(&f.db, f.bob)), (1, 1));
    }

    #[test]
    fn a_failed_notification_leaves_no_comment_behind() {
        let f = fixture();
        // The second recipient does not exist: its insert fails, and the whole transaction with it.
        let batch = vec![
            notify(f.alice, f.bob, f.event),
            notify(UserId(999), f.bob, f.event),
        ];
        let result = f
            .comments
            .create_with_notifications(comment(f.event, f.bob, "lost"), batch);
        assert!(result.is_err());
        assert_eq!(f.comments.list(f.event, PageRequest::default()).unwrap().total, 0);
        assert_eq!(unread(&f.db, f.alice), 0, "no notification survives either");
    }

    #[test]
    fn deleting_the_event_takes_its_comments_and_keeps_the_notifications() {
        let f = fixture();
        f.comments
            .create_with_notifications(
                comment(f.event, f.bob, "hi"),
                vec![notify(f.alice, f.bob, f.event)],
            )
            .unwrap();
        SqliteEventRepository::new(f.db.clone()).delete(f.event).unwrap();
        assert_eq!(f.comments.list(f.event, PageRequest::default()).unwrap().total, 0);
        let query = NotificationQuery {
            owner: f.alice,
            unread_only: false,
            page: PageRequest::default(),
        };
        let (page, _) = SqliteNotificationRepository::new(f.db.clone())
            .list(query)
            .unwrap();
        assert_eq!(page.items[0].event_id, None);
    }

    #[test]
    fn commenting_on_a_missing_event_is_not_found() {
        let f = fixture();
        let result = f
            .comments
            .create_with_notifications(comment(EventId(999), f.bob, "hi"), vec![]);
        assert!(matches!(result, Err(RepoError::NotFound)));
    }
}
