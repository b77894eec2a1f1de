//! Comments in the `comments` table, written together with the notifications they cause.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use plaza_domain::comment::{Comment, CommentContent, CommentRepository, FanOut, NewComment, PostedComment};
use plaza_domain::notification::{NewNotification, Notification};
use plaza_domain::{CommentId, EventId, Page, PageRequest, RepoError, UserId};

use crate::batches::{self, Batches};
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
    /// Comments on one event wait for the batch before theirs (`crate::batches`).
    writes: Arc<Batches<Commenting, Result<PostedComment, RepoError>>>,
}

impl PgCommentRepository {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            writes: Arc::new(Batches::new(COMMENTS_PER_BATCH)),
        }
    }

    /// Writes `batch`, comments on one event in arrival order, in one transaction that first locks the
    /// event's row: each comment is decided on the participants the ones before it left (its `FanOut`
    /// asked in turn), takes the next number and a time no earlier than the last comment's, and commits
    /// with its notifications. A failure one comment could cause (a recipient gone, say) is not the
    /// others' ([`batches::after_failure`]).
    fn write_batch(&self, batch: Vec<Commenting>) -> Vec<Result<PostedComment, RepoError>> {
        let event_id = batch[0].0.event_id;
        let written = self.db.write(|conn| {
            let Some(event) = lock_event(conn, event_id)? else {
                return Ok(batch.iter().map(|_| Err(RepoError::NotFound)).collect());
            };
            let mut participants: Vec<UserId> = event_participants::table
                .filter(event_participants::event_id.eq(event.id.get()))
                .select(event_participants::user_id)
                .load::<i64>(conn)?
                .into_iter()
                .map(UserId::from_stored)
                .collect();
            let last: Option<(i64, NaiveDateTime)> = comments::table
                .filter(comments::event_id.eq(event.id.get()))
                .order(comments::seq.desc())
                .select((comments::seq, comments::created_at))
                .first(conn)
                .optional()?;
            let (seq, created_at) = match last {
                Some((seq, time)) => (seq, now().max(time)),
                None => (0, now()),
            };
            // Each comment's recipients as the comments before it in the batch left the participants.
            let mut joined = Vec::new();
            let planned: Vec<Vec<NewNotification>> = batch
                .iter()
                .map(|(comment, fan_out)| {
                    let notifications = fan_out.notifications(&event, &participants);
                    if !participants.contains(&comment.owner_id) {
                        participants.push(comment.owner_id);
                        joined.push(comment.owner_id);
                    }
                    notifications
                })
                .collect();
            let numbered: Vec<CommentInsert<'_>> = (seq + 1..)
                .zip(&batch)
                .map(|(seq, (comment, _))| CommentInsert {
                    content: comment.content.as_str(),
                    event_id: comment.event_id.get(),
                    owner_id: comment.owner_id.get(),
                    created_at,
                    seq,
                })
                .collect();
            let mut rows: Vec<CommentRow> = diesel::insert_into(comments::table)
                .values(&numbered)
                .returning(CommentRow::as_returning())
                .get_results(conn)?;
            rows.sort_by_key(|row| row.id);
            // Every notification of the batch in one statement, which locks each inbox once and in
            // recipient order (as a single comment's does): two batches with recipients in common wait
            // for each other instead of deadlocking. A recipient's rows take their ids in batch order.
            let all: Vec<NewNotification> = planned.iter().flatten().cloned().collect();
            let mut stored: HashMap<UserId, VecDeque<Notification>> = HashMap::new();
            for notification in insert_all(conn, &all, created_at)? {
                stored
                    .entry(notification.owner_id)
                    .or_default()
                    .push_back(notification);
            }
            if !joined.is_empty() {
                let joining: Vec<_> = joined
                    .iter()
                    .map(|user| {
                        (
                            event_participants::event_id.eq(event.id.get()),
                            event_participants::user_id.eq(user.get()),
                        )
                    })
                    .collect();
                diesel::insert_into(event_participants::table)
                    .values(&joining)
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            let posted = rows
                .into_iter()
                .zip(&planned)
                .map(|(row, planned)| {
                    let mut notifications: Vec<Notification> = planned
                        .iter()
                        .filter_map(|note| stored.get_mut(&note.owner_id)?.pop_front())
                        .collect();
                    notifications.sort_by_key(|notification| notification.id);
                    Ok(PostedComment {
                        comment: row.into(),
                        notifications,
                    })
                })
                .collect();
            Ok(posted)
        });
        match written {
            Ok(posted) => posted,
            Err(error) => batches::after_failure(error, batch, |alone| self.write_batch(alone)),
        }
    }
}

/// A comment to write and who its notifications go to.
type Commenting = (NewComment, Box<dyn FanOut + Send>);

/// The most comments of one event written in one transaction.
const COMMENTS_PER_BATCH: usize = 32;

impl CommentRepository for PgCommentRepository {
    /// In a batch with the other comments on the event that arrive while one is written
    /// ([`crate::batches`]): comments on one event are written one after the other, so each reads the
    /// participants the previous one left (two first-time commenters posting at once: the second
    /// notifies the first), while comments on different events go on in parallel.
    ///
    /// Under the event's lock a comment takes the next number of its event and a time no earlier than
    /// the last comment's, so that numbers follow the list order (`created_at`, then `id`) even if the
    /// clock steps back, or two instances' clocks disagree.
    fn create_with_notifications(
        &self,
        comment: NewComment,
        fan_out: Box<dyn FanOut + Send>,
    ) -> Result<PostedComment, RepoError> {
        self.writes.run(
            comment.event_id.get(),
            (comment, fan_out),
            |batch| self.write_batch(batch),
            || {
                Err(RepoError::Unavailable(
                    "the comment was interrupted; try again".into(),
                ))
            },
        )
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
        let owner = crate::db::add_people(&db, &["owner"])[0];
        let event = crate::db::add_event(&db, owner, "now() + INTERVAL '1 day'", 10, "{}");
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

    /// One batch of comments on an event: each decided on the participants the ones before it left, the
    /// numbers consecutive in arrival order; a comment whose notification cannot be written fails alone.
    #[test]
    fn a_batch_of_comments_sees_each_earlier_author_and_a_bad_comment_fails_alone() {
        use plaza_port_contract::{Everyone, To};
        let Some((db, owner, event)) = talk() else {
            return;
        };
        let [bob, carol] = crate::db::add_people(&db, &["bob", "carol"])[..] else {
            unreachable!("two accounts for two names")
        };
        let comments = PgCommentRepository::new(db);
        let commenting = |author: UserId, text: &str, fan_out: Box<dyn FanOut + Send>| {
            let comment = NewComment {
                content: CommentContent::parse(text).unwrap(),
                event_id: event,
                owner_id: author,
            };
            (comment, fan_out)
        };
        let told = |answers: Vec<Result<PostedComment, RepoError>>| -> Vec<Result<Vec<UserId>, String>> {
            answers
                .into_iter()
                .map(|answer| {
                    let posted = answer.map_err(|error| error.to_string())?;
                    let mut to: Vec<UserId> = posted.notifications.iter().map(|n| n.owner_id).collect();
                    to.sort_unstable();
                    Ok(to)
                })
                .collect()
        };
        let together = comments.write_batch(vec![
            commenting(bob, "one", Box::new(Everyone(bob))),
            commenting(carol, "two", Box::new(Everyone(carol))),
            commenting(owner, "three", Box::new(Everyone(owner))),
        ]);
        // A recipient's notifications take their ids in the order of the comments.
        let ids_to = |posted: &[Result<PostedComment, RepoError>], to: UserId| -> Vec<i64> {
            posted
                .iter()
                .flat_map(|answer| answer.as_ref().unwrap().notifications.iter())
                .filter(|notification| notification.owner_id == to)
                .map(|notification| notification.id.get())
                .collect()
        };
        for to in [owner, bob] {
            let ids = ids_to(&together, to);
            assert!(ids.len() == 2 && ids[0] < ids[1], "{ids:?}");
        }
        assert_eq!(
            told(together),
            [Ok(vec![owner]), Ok(vec![owner, bob]), Ok(vec![bob, carol])]
        );
        let one_bad = comments.write_batch(vec![
            commenting(carol, "four", Box::new(Everyone(carol))),
            commenting(
                bob,
                "lost",
                Box::new(To(vec![owner, UserId::from_stored(9_999)], bob)),
            ),
            commenting(bob, "five", Box::new(Everyone(bob))),
        ]);
        let not_found = Err(RepoError::NotFound.to_string());
        assert_eq!(
            told(one_bad),
            [Ok(vec![owner, bob]), not_found, Ok(vec![owner, carol])],
            "the others written alone"
        );
        let listed = listed(&comments, event);
        let texts: Vec<&str> = listed.items.iter().map(|c| c.content.as_str()).collect();
        assert_eq!(
            (texts, listed.total),
            (vec!["one", "two", "three", "four", "five"], 5)
        );
        let fourth_on = comments
            .list(event, PageRequest::new(Some(3), Some(10)).unwrap())
            .unwrap();
        assert_eq!(fourth_on.items[0].content, "four", "numbered without a gap");
        let missing = EventId::from_stored(9_999);
        let on_nothing = comments.write_batch(vec![(
            NewComment {
                event_id: missing,
                ..commenting(bob, "x", Box::new(Nobody)).0
            },
            Box::new(Nobody),
        )]);
        assert_eq!(told(on_nothing), [Err(RepoError::NotFound.to_string())]);
    }
}
