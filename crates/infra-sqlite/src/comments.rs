//! Comments in the `comments` table, written together with the notifications they cause.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use plaza_domain::comment::{Comment, CommentContent, CommentRepository, FanOut, NewComment, PostedComment};
use plaza_domain::{CommentId, EventId, Page, PageRequest, RepoError, UserId};

use crate::buckets::{self, BucketCount};
use crate::conn::{Conn, now};
use crate::db::Database;
use crate::events::find as find_event;
use crate::notifications::insert_all;
use crate::schema::{comments, event_participants};
use crate::sql::Sql;
use crate::time::StoredTime;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = comments, check_for_backend(Sqlite))]
pub(crate) struct CommentRow {
    id: i64,
    content: String,
    event_id: i64,
    owner_id: i64,
    created_at: StoredTime,
    edited_at: Option<NaiveDateTime>,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: CommentId::from_stored(row.id),
            content: row.content,
            event_id: EventId::from_stored(row.event_id),
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.utc(),
            edited_at: row.edited_at.map(|time| time.and_utc()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = comments)]
struct CommentInsert<'a> {
    /// Set only when SQLite would otherwise reuse a removed item's id ([`crate::fresh_id::fresh_id`]).
    id: Option<i64>,
    content: &'a str,
    event_id: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    seq: i64,
}

/// Comments are numbered in list order per event (`seq`); `comment_buckets` counts them per run of
/// 2^`BUCKET_BITS` numbers (the 6 in migration `2026-11-26-000007`).
const BUCKET_BITS: u32 = 6;

/// Below this offset a page steps over the comments before it directly; from it on, the bucket counts
/// are added up first.
const DIRECT_OFFSET: i64 = 256;

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

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    comments: i64,
}

/// How many comments an event has, kept by triggers: one row, not a count.
fn comment_total(conn: &mut Conn, event: EventId) -> QueryResult<i64> {
    Ok(Sql::new("SELECT comments FROM comment_totals WHERE event_id = ?")
        .int(event.get())
        .get_result::<Total>(conn)
        .optional()?
        .map_or(0, |row| row.comments))
}

impl CommentRepository for SqliteCommentRepository {
    /// Inside one write (the writer's savepoint): the event and its participants are read, the fan-out
    /// decided, the comment and its notifications written, and the author added to the participants.
    /// Writes are serialised from the first read, so the next comment on the event sees this one's author.
    ///
    /// The comment takes the next number of its event and a time no earlier than the last comment's, so
    /// that numbers follow the list order (`created_at`, then `id`) even if the clock steps back.
    fn create_with_notifications(
        &self,
        comment: NewComment,
        fan_out: Box<dyn FanOut + Send>,
    ) -> Result<PostedComment, RepoError> {
        self.db.write(move |conn| {
            let event = find_event(conn, comment.event_id)?.ok_or(RepoError::NotFound)?;
            let participants: Vec<UserId> = event_participants::table
                .filter(event_participants::event_id.eq(event.id.get()))
                .select(event_participants::user_id)
                .load::<i64>(conn)?
                .into_iter()
                .map(UserId::from_stored)
                .collect();
            let notifications = fan_out.notifications(&event, &participants);
            let last: Option<(i64, NaiveDateTime)> = comments::table
                .filter(comments::event_id.eq(event.id.get()))
                .order(comments::seq.desc())
                .select((comments::seq, comments::created_at))
                .first(conn)
                .optional()?;
            let (seq, created_at) = match last {
                Some((seq, time)) => (seq + 1, now().max(time)),
                None => (1, now()),
            };
            let id = crate::fresh_id::fresh_id(conn, plaza_domain::modlog::TargetKind::Comment)?;
            let row: CommentRow = diesel::insert_into(comments::table)
                .values(CommentInsert {
                    id,
                    content: comment.content.as_str(),
                    event_id: comment.event_id.get(),
                    owner_id: comment.owner_id.get(),
                    created_at,
                    seq,
                })
                .returning(CommentRow::as_returning())
                .get_result(conn)?;
            let notifications = insert_all(conn, &notifications, created_at)?;
            diesel::insert_or_ignore_into(event_participants::table)
                .values((
                    event_participants::event_id.eq(event.id.get()),
                    event_participants::user_id.eq(comment.owner_id.get()),
                ))
                .execute(conn)?;
            Ok(PostedComment {
                comment: row.into(),
                notifications,
            })
        })
    }

    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError> {
        self.db.read(|conn| {
            let (offset, limit) = page.offset_and_limit();
            let total = comment_total(conn, event)?;
            let rows = match page_start(conn, event, offset)? {
                Some((from, skip)) => comments::table
                    .filter(comments::event_id.eq(event.get()))
                    .filter(comments::seq.ge(from))
                    .order(comments::seq.asc())
                    .offset(skip)
                    .limit(limit)
                    .select(CommentRow::as_select())
                    .load(conn)?,
                None => Vec::new(),
            };
            // A comment is on an event that exists; only an empty page needs asking.
            if rows.is_empty() && find_event(conn, event)?.is_none() {
                return Err(RepoError::NotFound.into());
            }
            Ok(Page {
                items: rows.into_iter().map(Comment::from).collect(),
                total: total.unsigned_abs(),
            })
        })
    }

    fn by_author(
        &self,
        author: UserId,
        after: Option<CommentId>,
        limit: u32,
    ) -> Result<Vec<Comment>, RepoError> {
        self.db.read_one(move |conn| {
            Ok(comments::table
                .filter(comments::owner_id.eq(author.get()))
                .filter(comments::id.gt(after.map_or(0, CommentId::get)))
                .order(comments::id)
                .limit(i64::from(limit))
                .select(CommentRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Comment::from)
                .collect())
        })
    }

    fn find(&self, event: EventId, id: CommentId) -> Result<Option<Comment>, RepoError> {
        self.db.read_one(move |conn| {
            Ok(comments::table
                .find(id.get())
                .filter(comments::event_id.eq(event.get()))
                .select(CommentRow::as_select())
                .first(conn)
                .optional()?
                .map(Comment::from))
        })
    }

    fn update(
        &self,
        event: EventId,
        id: CommentId,
        content: CommentContent,
        now: DateTime<Utc>,
    ) -> Result<Comment, RepoError> {
        self.db.write(move |conn| {
            let row = diesel::update(
                comments::table
                    .find(id.get())
                    .filter(comments::event_id.eq(event.get())),
            )
            .set((
                comments::content.eq(content.as_str()),
                comments::edited_at.eq(Some(now.naive_utc())),
            ))
            .returning(CommentRow::as_returning())
            .get_result(conn)
            .optional()?;
            Ok(row.ok_or(RepoError::NotFound)?.into())
        })
    }

    fn delete(&self, event: EventId, id: CommentId) -> Result<(), RepoError> {
        self.db.write(move |conn| {
            let deleted = diesel::delete(
                comments::table
                    .find(id.get())
                    .filter(comments::event_id.eq(event.get())),
            )
            .execute(conn)?;
            match deleted {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            }
        })
    }
}

/// Where the page at `offset` starts: the first number to look at and how many comments from it to skip.
/// Deep pages find the bucket holding the offset from the event's bucket counts (one small row per 64
/// comments), so at most one bucket is stepped over. `None`: the offset is past the last comment.
fn page_start(conn: &mut Conn, event: EventId, offset: i64) -> QueryResult<Option<(i64, i64)>> {
    if offset < DIRECT_OFFSET {
        return Ok(Some((0, offset)));
    }
    let counts: Vec<BucketCount> =
        Sql::new("SELECT bucket, comments AS count FROM comment_buckets WHERE event_id = ? ORDER BY bucket")
            .int(event.get())
            .load(conn)?;
    Ok(buckets::locate(&counts, offset).map(|(bucket, before)| (bucket << BUCKET_BITS, offset - before)))
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
    use plaza_domain::event::{Event, EventRepository};
    use plaza_domain::notification::{
        NewNotification, NotificationMessage, NotificationQuery, NotificationRepository, SenderName,
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

    /// Notifies the owner and every participant but the author (the app's rule, simplified), and records
    /// what it was shown.
    #[derive(Clone)]
    struct Everyone {
        author: UserId,
        seen: std::sync::Arc<std::sync::Mutex<Vec<UserId>>>,
    }

    impl Everyone {
        fn from(author: UserId) -> Self {
            Self {
                author,
                seen: std::sync::Arc::default(),
            }
        }

        fn boxed(&self) -> Box<dyn FanOut + Send> {
            Box::new(self.clone())
        }
    }

    impl FanOut for Everyone {
        fn notifications(&self, event: &Event, participants: &[UserId]) -> Vec<NewNotification> {
            *self.seen.lock().unwrap() = participants.to_vec();
            let mut recipients = vec![event.owner_id];
            recipients.extend(participants.iter().copied());
            recipients.sort_unstable();
            recipients.dedup();
            recipients
                .into_iter()
                .filter(|r| *r != self.author)
                .map(|to| notify(to, self.author, event.id))
                .collect()
        }
    }

    /// Sends to fixed recipients, whoever they are.
    struct To(Vec<UserId>, UserId);

    impl FanOut for To {
        fn notifications(&self, event: &Event, _: &[UserId]) -> Vec<NewNotification> {
            self.0.iter().map(|to| notify(*to, self.1, event.id)).collect()
        }
    }

    fn notify(to: UserId, from: UserId, event: EventId) -> NewNotification {
        NewNotification {
            message: NotificationMessage::parse("x commented").unwrap(),
            sender: SenderName::parse("x").unwrap(),
            sender_id: from,
            owner_id: to,
            event_id: Some(event),
            subject: plaza_domain::notification::NotificationSubject::Message,
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
        let first = Everyone::from(f.bob);
        let posted = f
            .comments
            .create_with_notifications(comment(f.event, f.bob, "first"), first.boxed())
            .unwrap();
        assert!(first.seen.lock().unwrap().is_empty(), "nobody had commented yet");
        assert_eq!(posted.notifications.len(), 1);
        assert_eq!(posted.notifications[0].owner_id, f.alice);
        assert!(
            posted.notifications[0].id.get() > 0,
            "returned as stored, with its id"
        );

        let second = Everyone::from(f.alice);
        f.comments
            .create_with_notifications(comment(f.event, f.alice, "second"), second.boxed())
            .unwrap();
        assert_eq!(*second.seen.lock().unwrap(), [f.bob], "the participants so far");
        let third = Everyone::from(f.bob);
        f.comments
            .create_with_notifications(comment(f.event, f.bob, "third"), third.boxed())
            .unwrap();
        let mut seen = third.seen.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, [f.alice, f.bob], "each participant once");

        let page = f.comments.list(f.event, PageRequest::default()).unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(
            page.items.iter().map(|c| c.content.as_str()).collect::<Vec<_>>(),
            ["first", "second", "third"]
        );
        assert_eq!((unread(&f.db, f.alice), unread(&f.db, f.bob)), (2, 1));
    }

    #[test]
    fn many_recipients_are_written_and_returned_in_one_go() {
        let f = fixture();
        let users = SqliteUserRepository::new(f.db.clone());
        let recipients: Vec<UserId> = (0..1_200)
            .map(|i| users.create(new_user(&format!("user{i}"))).unwrap().id)
            .collect();
        let posted = f
            .comments
            .create_with_notifications(
                comment(f.event, f.bob, "hello all"),
                Box::new(To(recipients.clone(), f.bob)),
            )
            .unwrap();
        let owners: Vec<UserId> = posted.notifications.iter().map(|n| n.owner_id).collect();
        assert_eq!(
            owners, recipients,
            "more rows than one statement holds, all of them, in order"
        );
    }

    #[test]
    fn comments_at_the_same_moment_each_notify_the_other_author() {
        let f = fixture();
        let users = SqliteUserRepository::new(f.db.clone());
        let authors: Vec<UserId> = (0..8)
            .map(|i| users.create(new_user(&format!("writer{i}"))).unwrap().id)
            .collect();
        let threads: Vec<_> = authors
            .iter()
            .map(|author| {
                let (repo, author, event) = (f.comments.clone(), *author, f.event);
                std::thread::spawn(move || {
                    repo.create_with_notifications(
                        comment(event, author, "me too"),
                        Everyone::from(author).boxed(),
                    )
                    .unwrap()
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        // Whoever wrote later was notified by nobody; whoever wrote earlier by everyone after them. So
        // between any two authors exactly one notified the other: 8 * 7 / 2 notifications among them.
        let among_authors: u64 = authors.iter().map(|a| unread(&f.db, *a)).sum();
        assert_eq!(among_authors, 8 * 7 / 2);
        assert_eq!(unread(&f.db, f.alice), 8, "the owner hears of every comment");
    }

    #[test]
    fn a_failed_notification_leaves_no_comment_behind() {
        let f = fixture();
        // The second recipient does not exist: its insert fails, and the whole transaction with it.
        let result = f.comments.create_with_notifications(
            comment(f.event, f.bob, "lost"),
            Box::new(To(vec![f.alice, UserId::from_stored(999)], f.bob)),
        );
        assert!(result.is_err());
        assert_eq!(f.comments.list(f.event, PageRequest::default()).unwrap().total, 0);
        assert_eq!(unread(&f.db, f.alice), 0, "no notification survives either");
        let later = Everyone::from(f.alice);
        f.comments
            .create_with_notifications(comment(f.event, f.alice, "after"), later.boxed())
            .unwrap();
        assert!(
            later.seen.lock().unwrap().is_empty(),
            "the failed author did not join the participants"
        );
    }

    #[test]
    fn deleting_the_event_takes_its_comments_and_keeps_the_notifications() {
        let f = fixture();
        f.comments
            .create_with_notifications(comment(f.event, f.bob, "hi"), Everyone::from(f.bob).boxed())
            .unwrap();
        SqliteEventRepository::new(f.db.clone())
            .delete(f.event, plaza_port_contract::notices())
            .unwrap();
        assert!(matches!(
            f.comments.list(f.event, PageRequest::default()),
            Err(RepoError::NotFound)
        ));
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

    /// A comment written after the clock stepped back (here: the last comment stamped an hour ahead) still
    /// lists last, and is not stamped before the one above it. Deep pages through deletions are the port
    /// contract's (`deep_comment_pages_are_slices_of_the_list_through_deletions`).
    #[test]
    fn a_comment_after_the_clock_steps_back_lists_last() {
        let f = fixture();
        let write = |text: &str| {
            f.comments
                .create_with_notifications(comment(f.event, f.bob, text), Box::new(To(vec![], f.bob)))
                .unwrap()
                .comment
        };
        let ahead = write("ahead");
        f.db.write(move |conn| {
            Sql::new("UPDATE comments SET created_at = datetime(created_at, '+3600 seconds') WHERE id = ?")
                .int(ahead.id.get())
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
        let after = write("after the step back");
        let listed = f.comments.list(f.event, PageRequest::default()).unwrap();
        let ids: Vec<CommentId> = listed.items.iter().map(|c| c.id).collect();
        assert_eq!(ids, [ahead.id, after.id]);
        assert!(
            listed.items[1].created_at >= listed.items[0].created_at,
            "{:?} stamped before {:?}",
            listed.items[1].created_at,
            listed.items[0].created_at
        );
    }

    #[test]
    fn commenting_on_a_missing_event_is_not_found() {
        let f = fixture();
        let result = f.comments.create_with_notifications(
            comment(EventId::from_stored(999), f.bob, "hi"),
            Everyone::from(f.bob).boxed(),
        );
        assert!(matches!(result, Err(RepoError::NotFound)));
    }
}
