//! Comments in the `comments` table, written together with the notifications they cause.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use plaza_domain::comment::{Comment, CommentContent, CommentRepository, FanOut, NewComment, PostedComment};
use plaza_domain::{CommentId, EventId, Page, PageRequest, RepoError, UserId};

use crate::db::{Database, now};
use crate::events::{find as find_event, find_for_update as lock_event};
use crate::notifications::insert_all;
use crate::schema::{comment_totals, comments, event_participants};

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = comments, check_for_backend(Pg))]
pub(crate) struct CommentRow {
    id: i64,
    content: String,
    event_id: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: CommentId::from_stored(row.id),
            content: row.content,
            event_id: EventId::from_stored(row.event_id),
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.and_utc(),
            edited_at: row.edited_at.map(|time| time.and_utc()),
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
    seq: i64,
}

diesel::define_sql_function! {
    /// The number of the comment at an offset of an event's list, NULL past its last (migration
    /// `2026-12-05-000027_comments_in_sequence`): from offset 256 on found from the bucket counts, so a
    /// deep page steps over at most one bucket's comments.
    fn comment_seq_at(of_event: BigInt, at_offset: BigInt) -> Nullable<BigInt>;
}

/// [`CommentRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgCommentRepository {
    db: Database,
}

impl PgCommentRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl CommentRepository for PgCommentRepository {
    /// In one transaction that first locks the event's row: comments on one event are written one after
    /// the other, so each reads the participants the previous one left (two first-time commenters posting
    /// at once each notify the other), while comments on different events go on in parallel.
    ///
    /// Under that lock the comment takes the next number of its event and a time no earlier than the last
    /// comment's, so that numbers follow the list order (`created_at`, then `id`) even if the clock steps
    /// back, or two instances' clocks disagree.
    fn create_with_notifications(
        &self,
        comment: NewComment,
        fan_out: Box<dyn FanOut + Send>,
    ) -> Result<PostedComment, RepoError> {
        self.db.write(|conn| {
            let event = lock_event(conn, comment.event_id)?.ok_or(RepoError::NotFound)?;
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
            let row: CommentRow = diesel::insert_into(comments::table)
                .values(CommentInsert {
                    content: comment.content.as_str(),
                    event_id: comment.event_id.get(),
                    owner_id: comment.owner_id.get(),
                    created_at,
                    seq,
                })
                .returning(CommentRow::as_returning())
                .get_result(conn)?;
            let notifications = insert_all(conn, &notifications, created_at)?;
            diesel::insert_into(event_participants::table)
                .values((
                    event_participants::event_id.eq(event.id.get()),
                    event_participants::user_id.eq(comment.owner_id.get()),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            Ok(PostedComment {
                comment: row.into(),
                notifications,
            })
        })
    }

    /// One prepared statement: the page from the number of the comment at its offset on, along the unique
    /// index, each row with the event's total (one row kept by a trigger). A page with no rows says
    /// nothing of the total, so it is read on its own, and the (empty) page again in the same snapshot.
    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError> {
        let (offset, limit) = page.offset_and_limit();
        let total = comment_totals::table
            .find(event.get())
            .select(comment_totals::comments);
        let listed = || {
            comments::table
                .filter(comments::event_id.eq(event.get()))
                .filter(comments::seq.nullable().ge(comment_seq_at(event.get(), offset)))
                .order(comments::seq.asc())
                .limit(limit)
        };
        let page = |rows: Vec<CommentRow>, total: Option<i64>| Page {
            items: rows.into_iter().map(Comment::from).collect(),
            total: total.unwrap_or(0).unsigned_abs(),
        };
        let rows: Vec<(Option<i64>, CommentRow)> = self.db.look_up(|conn| {
            Ok(listed()
                .select((total.single_value(), CommentRow::as_select()))
                .load(conn)?)
        })?;
        if let Some(&(total, _)) = rows.first() {
            return Ok(page(rows.into_iter().map(|(_, row)| row).collect(), total));
        }
        // A comment is on an event that exists; only an empty page needs asking.
        self.db.read(|conn| {
            if find_event(conn, event)?.is_none() {
                return Err(RepoError::NotFound.into());
            }
            let total: Option<i64> = total.first(conn).optional()?;
            let rows = listed().select(CommentRow::as_select()).load(conn)?;
            Ok(page(rows, total))
        })
    }

    fn by_author(
        &self,
        author: UserId,
        after: Option<CommentId>,
        limit: u32,
    ) -> Result<Vec<Comment>, RepoError> {
        self.db.read(|conn| {
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
        self.db.read(|conn| {
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
        self.db.write(|conn| {
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
        self.db.write(|conn| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use plaza_domain::event::Event;
    use plaza_domain::notification::NewNotification;

    struct Nobody;

    impl FanOut for Nobody {
        fn notifications(&self, _: &Event, _: &[UserId]) -> Vec<NewNotification> {
            Vec::new()
        }
    }

    /// A user and an event of theirs, in a new database.
    fn talk() -> Option<(Database, UserId, EventId)> {
        let db = crate::db::small_database()?;
        let (owner, event) = db
            .write(|conn| {
                diesel::sql_query(
                    "INSERT INTO users (username, email, password_hash, password_changed_at, created_at) \
                     VALUES ('owner', 'owner@example.org', 'x', now(), now())",
                )
                .execute(conn)?;
                diesel::sql_query(
                    "INSERT INTO events (name, event_time, duration_hours, duration_minutes, max_tickets, \
                                         owner_id, created_at, search_tokens) \
                     SELECT 'Talk', now() + INTERVAL '1 day', 1, 0, 10, id, now(), '{}' FROM users",
                )
                .execute(conn)?;
                let event: i64 = crate::schema::events::table
                    .select(crate::schema::events::id)
                    .first(conn)?;
                let owner: i64 = crate::schema::users::table
                    .select(crate::schema::users::id)
                    .first(conn)?;
                Ok((UserId::from_stored(owner), EventId::from_stored(event)))
            })
            .unwrap();
        Some((db, owner, event))
    }

    fn write(comments: &PgCommentRepository, event: EventId, author: UserId, text: &str) -> Comment {
        let comment = NewComment {
            content: CommentContent::parse(text).unwrap(),
            event_id: event,
            owner_id: author,
        };
        comments
            .create_with_notifications(comment, Box::new(Nobody))
            .unwrap()
            .comment
    }

    fn listed(comments: &PgCommentRepository, event: EventId) -> Page<Comment> {
        comments.list(event, PageRequest::default()).unwrap()
    }

    /// A comment written after the clock stepped back (here: the last comment stamped an hour ahead, as
    /// another instance with a fast clock would) still lists last, and is not stamped before the one
    /// above it.
    #[test]
    fn a_comment_after_the_clock_steps_back_lists_last() {
        let Some((db, owner, event)) = talk() else {
            return;
        };
        let comments = PgCommentRepository::new(db.clone());
        let ahead = write(&comments, event, owner, "ahead");
        db.write(|conn| {
            diesel::update(comments::table.find(ahead.id.get()))
                .set(comments::created_at.eq(comments::created_at + diesel::dsl::IntervalDsl::hours(1)))
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
        let after = write(&comments, event, owner, "after the step back");
        let listed = listed(&comments, event);
        let ids: Vec<CommentId> = listed.items.iter().map(|c| c.id).collect();
        assert_eq!(ids, [ahead.id, after.id]);
        assert!(
            listed.items[1].created_at >= listed.items[0].created_at,
            "{:?} stamped before {:?}",
            listed.items[1].created_at,
            listed.items[0].created_at
        );
    }

    /// An instance of the release before the numbers (during a rolling upgrade) writes comments without
    /// one: the database gives it the next, and the list and its total follow.
    #[test]
    fn a_comment_written_without_a_number_takes_the_next() {
        let Some((db, owner, event)) = talk() else {
            return;
        };
        let comments = PgCommentRepository::new(db.clone());
        let first = write(&comments, event, owner, "first");
        db.write(|conn| {
            diesel::sql_query(
                "INSERT INTO comments (content, event_id, owner_id, created_at) \
                 VALUES ('from the old release', $1, $2, now() AT TIME ZONE 'UTC')",
            )
            .bind::<diesel::sql_types::BigInt, _>(event.get())
            .bind::<diesel::sql_types::BigInt, _>(owner.get())
            .execute(conn)?;
            Ok(())
        })
        .unwrap();
        let third = write(&comments, event, owner, "third");
        let listed = listed(&comments, event);
        let texts: Vec<&str> = listed.items.iter().map(|c| c.content.as_str()).collect();
        assert_eq!(texts, ["first", "from the old release", "third"]);
        assert_eq!(
            (listed.total, listed.items[0].id, listed.items[2].id),
            (3, first.id, third.id)
        );
    }
}
