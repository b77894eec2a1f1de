//! The whole community read out in batches, for `plaza migrate-data` (see `plaza_domain::transfer`).

use diesel::prelude::*;
use plaza_domain::RepoError;
use plaza_domain::comment::Comment;
use plaza_domain::event::Event;
use plaza_domain::notification::Notification;
use plaza_domain::post::Post;
use plaza_domain::transfer::{Batch, Counts, Sink};
use plaza_domain::user::User;
use plaza_domain::{EventId, UserId};

use crate::comments::CommentRow;
use crate::db::Database;
use crate::error::StoreError;
use crate::events::EventRow;
use crate::notifications::NotificationRow;
use crate::posts::PostRow;
use crate::schema::{comments, event_participants, events, notifications, posts, users};
use crate::users::UserRow;

/// Rows per batch.
const BATCH: i64 = 1_000;

/// Reads every table of `db` in one snapshot, in id order, handing each batch to `sink` in the order of
/// [`Batch`]; returns what was read.
pub fn export(db: &Database, sink: &mut Sink<'_>) -> Result<Counts, RepoError> {
    db.read(|conn| {
        let mut counts = Counts::default();
        let mut send = |batch: Batch| -> Result<(), StoreError> {
            counts.add(&batch);
            sink(batch).map_err(StoreError::from)
        };
        // Keyset paging by id: each table is read once, whatever its size.
        macro_rules! by_id {
            ($table:ident, $row:ty, $entity:ty, $variant:ident) => {{
                let mut after = 0i64;
                loop {
                    let rows: Vec<$entity> = $table::table
                        .filter($table::id.gt(after))
                        .order($table::id)
                        .limit(BATCH)
                        .select(<$row>::as_select())
                        .load(conn)?
                        .into_iter()
                        .map(<$entity>::from)
                        .collect();
                    let Some(last) = rows.last() else { break };
                    after = last.id.get();
                    send(Batch::$variant(rows))?;
                }
            }};
        }
        by_id!(users, UserRow, User, Users);
        by_id!(events, EventRow, Event, Events);
        by_id!(posts, PostRow, Post, Posts);
        by_id!(comments, CommentRow, Comment, Comments);
        let mut offset = 0i64;
        loop {
            let pairs: Vec<(i64, i64)> = event_participants::table
                .order((event_participants::event_id, event_participants::user_id))
                .offset(offset)
                .limit(BATCH)
                .load(conn)?;
            if pairs.is_empty() {
                break;
            }
            offset += i64::try_from(pairs.len()).unwrap_or(BATCH);
            send(Batch::Participants(
                pairs
                    .into_iter()
                    .map(|(event, user)| (EventId(event), UserId(user)))
                    .collect(),
            ))?;
        }
        by_id!(notifications, NotificationRow, Notification, Notifications);
        Ok(counts)
    })
}
