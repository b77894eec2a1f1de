//! Removal: the item is copied into its `removed_*` table and deleted from the live one, in the write
//! that logs it, so that lists, searches and counts leave it out exactly as they leave out a deletion.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Timestamp};
use plaza_domain::comment::Comment;
use plaza_domain::event::Event;
use plaza_domain::modlog::ModAction;
use plaza_domain::post::Post;
use plaza_domain::removal::{Removable, Removal, RemovalRepository, Removed};
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::{CommentId, EventId, PostId, RepoError, UserId};

use crate::comments::CommentRow;
use crate::conn::Conn;
use crate::db::Database;
use crate::error::StoreError;
use crate::events::EventRow;
use crate::modlog;
use crate::posts::PostRow;
use crate::sql::Sql;
use crate::time::StoredTime;

/// A removed row: the live table's columns, and when it was removed.
macro_rules! kept {
    ($name:ident, $row:ty, $item:ty) => {
        #[derive(QueryableByName)]
        struct $name {
            #[diesel(embed)]
            live: $row,
            #[diesel(sql_type = Timestamp)]
            removed_at: StoredTime,
            #[diesel(sql_type = Nullable<BigInt>)]
            removed_by: Option<i64>,
        }

        impl From<$name> for Removed<$item> {
            fn from(kept: $name) -> Self {
                Removed {
                    item: <$item>::from(kept.live),
                    removed_at: kept.removed_at.utc(),
                    removed_by: kept.removed_by.map(UserId::from_stored),
                }
            }
        }
    };
}

kept!(KeptComment, CommentRow, Comment);
kept!(KeptPost, PostRow, Post);
kept!(KeptEvent, EventRow, Event);

/// Carries out `removal` inside the caller's write; answers who was told and the name of a removed
/// event's picture. `NotFound` when the item is not there.
pub(crate) fn remove_in(
    conn: &mut Conn,
    removal: &Removal,
    notices: &dyn HolderNotices,
) -> Result<(Vec<UserId>, Option<String>), StoreError> {
    let at = removal.at.naive_utc();
    let by = removal.by.get();
    let kept = |sql: Sql, conn: &mut Conn| -> Result<(), StoreError> {
        match sql
            .timestamp(at)
            .int(by)
            .int(removal.item.target().id)
            .execute(conn)?
        {
            0 => Err(RepoError::NotFound.into()),
            _ => Ok(()),
        }
    };
    let outcome = match removal.item {
        Removable::Comment(id) => {
            kept(
                Sql::new(
                    "INSERT INTO removed_comments \
                     (id, content, event_id, owner_id, created_at, edited_at, removed_at, removed_by) \
                     SELECT id, content, event_id, owner_id, created_at, edited_at, ?, ? FROM comments WHERE id = ?",
                ),
                conn,
            )?;
            Sql::new("DELETE FROM comments WHERE id = ?")
                .int(id.get())
                .execute(conn)?;
            (Vec::new(), None)
        }
        Removable::Post(id) => {
            kept(
                Sql::new(
                    "INSERT INTO removed_posts \
                     (id, title, content, owner_id, created_at, edited_at, removed_at, removed_by) \
                     SELECT id, title, content, owner_id, created_at, edited_at, ?, ? FROM posts WHERE id = ?",
                ),
                conn,
            )?;
            Sql::new("DELETE FROM posts WHERE id = ?")
                .int(id.get())
                .execute(conn)?;
            (Vec::new(), None)
        }
        Removable::Event(id) => {
            // The picture is not kept: its file goes with the removal.
            kept(
                Sql::new(
                    "INSERT INTO removed_events \
                     (id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                      max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, \
                      revision, changed_at, removed_at, removed_by) \
                     SELECT id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                      max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, revision, changed_at, ?, ? \
                     FROM events WHERE id = ?",
                ),
                conn,
            )?;
            let (event, recipients) = crate::events::delete_in(conn, id, notices)?;
            (recipients, event.image.map(|image| image.name))
        }
    };
    modlog::record(
        conn,
        modlog::Record {
            moderator: Some(removal.by),
            action: ModAction::Remove,
            target: removal.item.target(),
            reason: removal.reason.as_deref(),
            at,
        },
    )?;
    Ok(outcome)
}

/// Up to `limit` removed copies of each kind with ids above `after`, in id order: what `migrate-data`
/// reads out.
/// Up to `limit` removed copies with ids above `after`, in id order, read by `sql` (its two `?` are `after`
/// and `limit`) as rows of `K`: what `migrate-data` reads out.
fn kept_after<K, T>(
    conn: &mut Conn,
    sql: &'static str,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Removed<T>>>
where
    K: QueryableByName<diesel::sqlite::Sqlite> + 'static,
    Removed<T>: From<K>,
{
    let kept: Vec<K> = Sql::new(sql).int(after).int(limit).load(conn)?;
    Ok(kept.into_iter().map(Removed::from).collect())
}

pub(crate) fn comments_after(conn: &mut Conn, after: i64, limit: i64) -> QueryResult<Vec<Removed<Comment>>> {
    kept_after::<KeptComment, Comment>(
        conn,
        "SELECT id, content, event_id, owner_id, created_at, edited_at, removed_at, removed_by \
         FROM removed_comments WHERE id > ? ORDER BY id LIMIT ?",
        after,
        limit,
    )
}

pub(crate) fn posts_after(conn: &mut Conn, after: i64, limit: i64) -> QueryResult<Vec<Removed<Post>>> {
    kept_after::<KeptPost, Post>(
        conn,
        "SELECT id, title, content, owner_id, created_at, edited_at, removed_at, removed_by \
         FROM removed_posts WHERE id > ? ORDER BY id LIMIT ?",
        after,
        limit,
    )
}

pub(crate) fn events_after(conn: &mut Conn, after: i64, limit: i64) -> QueryResult<Vec<Removed<Event>>> {
    kept_after::<KeptEvent, Event>(
        conn,
        "SELECT id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
         max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, image, \
         image_alt, revision, changed_at, removed_at, removed_by FROM removed_events WHERE id > ? ORDER BY id LIMIT ?",
        after,
        limit,
    )
}

/// [`RemovalRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteRemovals {
    db: Database,
}

impl SqliteRemovals {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl RemovalRepository for SqliteRemovals {
    fn remove(
        &self,
        removal: Removal,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<Option<String>>, RepoError> {
        self.db.write(move |conn| {
            let (recipients, image) = remove_in(conn, &removal, notices.as_ref())?;
            Ok(Notified {
                value: image,
                recipients,
            })
        })
    }

    fn removed_comment(&self, event: EventId, id: CommentId) -> Result<Option<Removed<Comment>>, RepoError> {
        self.db.read(|conn| {
            let kept: Option<KeptComment> = Sql::new(
                "SELECT id, content, event_id, owner_id, created_at, edited_at, removed_at, removed_by \
                 FROM removed_comments WHERE id = ? AND event_id = ?",
            )
            .int(id.get())
            .int(event.get())
            .get_result(conn)
            .optional()?;
            Ok(kept.map(Removed::from))
        })
    }

    fn removed_post(&self, id: PostId) -> Result<Option<Removed<Post>>, RepoError> {
        self.db.read(|conn| {
            let kept: Option<KeptPost> = Sql::new(
                "SELECT id, title, content, owner_id, created_at, edited_at, removed_at, removed_by \
                 FROM removed_posts WHERE id = ?",
            )
            .int(id.get())
            .get_result(conn)
            .optional()?;
            Ok(kept.map(Removed::from))
        })
    }

    fn removed_event(&self, id: EventId) -> Result<Option<Removed<Event>>, RepoError> {
        self.db.read(|conn| {
            let kept: Option<KeptEvent> = Sql::new(
                "SELECT id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                 max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, image, \
                 image_alt, revision, changed_at, removed_at, removed_by FROM removed_events WHERE id = ?",
            )
            .int(id.get())
            .get_result(conn)
            .optional()?;
            Ok(kept.map(Removed::from))
        })
    }
}
