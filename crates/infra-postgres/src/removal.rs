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
use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::events::EventRow;
use crate::modlog;
use crate::posts::PostRow;
use crate::schema::{comments, posts};
use crate::sql::Sql;
use chrono::NaiveDateTime;

/// A removed row: the live table's columns, and when it was removed.
macro_rules! kept {
    ($name:ident, $row:ty, $item:ty) => {
        #[derive(QueryableByName)]
        struct $name {
            #[diesel(embed)]
            live: $row,
            #[diesel(sql_type = Timestamp)]
            removed_at: NaiveDateTime,
            #[diesel(sql_type = Nullable<BigInt>)]
            removed_by: Option<i64>,
        }

        impl From<$name> for Removed<$item> {
            fn from(kept: $name) -> Self {
                Removed {
                    item: <$item>::from(kept.live),
                    removed_at: kept.removed_at.and_utc(),
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
    let kept = |sql: &'static str, conn: &mut Conn| -> Result<(), StoreError> {
        let copied = Sql::new(sql)
            .timestamp(at)
            .int(by)
            .int(removal.item.target().id)
            .execute(conn)?;
        match copied {
            0 => Err(RepoError::NotFound.into()),
            _ => Ok(()),
        }
    };
    // The live row is locked first: a delete by its author racing this removal then either goes first
    // (and this is `NotFound`, keeping no copy) or waits for it.
    let lock = match removal.item {
        Removable::Comment(_) => "SELECT id FROM comments WHERE id = $1 FOR UPDATE",
        Removable::Post(_) => "SELECT id FROM posts WHERE id = $1 FOR UPDATE",
        Removable::Event(_) => "SELECT id FROM events WHERE id = $1 FOR UPDATE",
    };
    let locked = Sql::new(lock).int(removal.item.target().id).execute(conn)?;
    if locked == 0 {
        return Err(RepoError::NotFound.into());
    }
    let outcome = match removal.item {
        Removable::Comment(id) => {
            kept(
                "INSERT INTO removed_comments \
                     (id, content, event_id, owner_id, created_at, edited_at, removed_at, removed_by) \
                     SELECT id, content, event_id, owner_id, created_at, edited_at, $1, $2 FROM comments WHERE id = $3",
                conn,
            )?;
            diesel::delete(comments::table.find(id.get())).execute(conn)?;
            (Vec::new(), None)
        }
        Removable::Post(id) => {
            kept(
                "INSERT INTO removed_posts \
                     (id, title, content, owner_id, created_at, edited_at, removed_at, removed_by) \
                     SELECT id, title, content, owner_id, created_at, edited_at, $1, $2 FROM posts WHERE id = $3",
                conn,
            )?;
            diesel::delete(posts::table.find(id.get())).execute(conn)?;
            (Vec::new(), None)
        }
        Removable::Event(id) => {
            // The picture is not kept: its file goes with the removal.
            kept(
                "INSERT INTO removed_events \
                     (id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                      max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, \
                      revision, changed_at, removed_at, removed_by) \
                     SELECT id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                      max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, revision, changed_at, $1, $2 \
                     FROM events WHERE id = $3",
                conn,
            )?;
            let image = crate::events::find(conn, id)?.and_then(|event| event.image);
            let recipients = crate::events::delete_in(conn, id, notices)?;
            (recipients, image.map(|image| image.name))
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

/// [`RemovalRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgRemovals {
    db: Database,
}

impl PgRemovals {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl RemovalRepository for PgRemovals {
    fn remove(
        &self,
        removal: Removal,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<Option<String>>, RepoError> {
        self.db.write(|conn| {
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
                 FROM removed_comments WHERE id = $1 AND event_id = $2",
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
                 FROM removed_posts WHERE id = $1",
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
                 image_alt, revision, changed_at, removed_at, removed_by FROM removed_events WHERE id = $1",
            )
            .int(id.get())
            .get_result(conn)
            .optional()?;
            Ok(kept.map(Removed::from))
        })
    }
}
