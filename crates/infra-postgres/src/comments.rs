//! Comments in the `comments` table, written together with the notifications they cause.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use plaza_domain::comment::{Comment, CommentContent, CommentRepository, FanOut, NewComment, PostedComment};
use plaza_domain::{CommentId, EventId, Page, PageRequest, RepoError, UserId};

use crate::db::{Database, now};
use crate::events::find_for_update as lock_event;
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
            let created_at = now();
            let row: CommentRow = diesel::insert_into(comments::table)
                .values(CommentInsert {
                    content: comment.content.as_str(),
                    event_id: comment.event_id.get(),
                    owner_id: comment.owner_id.get(),
                    created_at,
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

    fn list(&self, event: EventId, page: PageRequest) -> Result<Page<Comment>, RepoError> {
        self.db.read(|conn| {
            let (offset, limit) = page.offset_and_limit();
            // The total is one row kept by a trigger; the page is stepped to through the index alone.
            let total: Option<i64> = comment_totals::table
                .find(event.get())
                .select(comment_totals::comments)
                .first(conn)
                .optional()?;
            let page_ids: Vec<i64> = comments::table
                .filter(comments::event_id.eq(event.get()))
                .order((comments::created_at.asc(), comments::id.asc()))
                .offset(offset)
                .limit(limit)
                .select(comments::id)
                .load(conn)?;
            let rows = comments::table
                .filter(comments::id.eq_any(&page_ids))
                .order((comments::created_at.asc(), comments::id.asc()))
                .select(CommentRow::as_select())
                .load(conn)?;
            Ok(Page {
                items: rows.into_iter().map(Comment::from).collect(),
                total: total.unwrap_or(0).unsigned_abs(),
            })
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
