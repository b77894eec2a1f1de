//! Private calendar feeds in the `calendar_feeds` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::calendar::{CalendarRepository, StoredFeed};
use plaza_domain::event::Event;
use plaza_domain::{RepoError, UserId};

use crate::conn::Conn;
use crate::db::Database;
use crate::schema::calendar_feeds;
use crate::sql::Sql;
use crate::time::StoredTime;

/// The feeds of the users after `after`, by user id, at most `limit` (what `migrate-data` reads).
pub(crate) fn feeds_after(conn: &mut Conn, after: i64, limit: i64) -> QueryResult<Vec<StoredFeed>> {
    let rows: Vec<(i64, String, StoredTime)> = calendar_feeds::table
        .filter(calendar_feeds::user_id.gt(after))
        .order(calendar_feeds::user_id)
        .limit(limit)
        .select((
            calendar_feeds::user_id,
            calendar_feeds::secret_digest,
            calendar_feeds::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, secret_digest, created_at)| StoredFeed {
            user_id: UserId::from_stored(user_id),
            secret_digest,
            created_at: created_at.utc(),
        })
        .collect())
}

/// [`CalendarRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteCalendars {
    db: Database,
}

impl SqliteCalendars {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl CalendarRepository for SqliteCalendars {
    fn set_secret(&self, user: UserId, digest: &str, at: DateTime<Utc>) -> Result<(), RepoError> {
        let digest = digest.to_owned();
        self.db.write(move |conn| {
            let stored = Sql::new(
                "INSERT INTO calendar_feeds (user_id, secret_digest, created_at) \
                 SELECT id, ?, ? FROM users WHERE id = ? AND deleted_at IS NULL \
                 ON CONFLICT (user_id) DO UPDATE SET secret_digest = excluded.secret_digest, \
                 created_at = excluded.created_at",
            )
            .text(digest)
            .timestamp(at.naive_utc())
            .int(user.get())
            .execute(conn)?;
            match stored {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            }
        })
    }

    fn owner_of(&self, digest: &str) -> Result<Option<UserId>, RepoError> {
        self.db.read_one(|conn| {
            Ok(calendar_feeds::table
                .filter(calendar_feeds::secret_digest.eq(digest))
                .select(calendar_feeds::user_id)
                .first::<i64>(conn)
                .optional()?
                .map(UserId::from_stored))
        })
    }

    fn made_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, RepoError> {
        self.db.read_one(|conn| {
            Ok(calendar_feeds::table
                .find(user.get())
                .select(calendar_feeds::created_at)
                .first::<StoredTime>(conn)
                .optional()?
                .map(StoredTime::utc))
        })
    }

    fn clear_secret(&self, user: UserId) -> Result<(), RepoError> {
        self.db.write(move |conn| {
            diesel::delete(calendar_feeds::table.find(user.get())).execute(conn)?;
            Ok(())
        })
    }

    fn events_of(&self, user: UserId, from: DateTime<Utc>, limit: u32) -> Result<Vec<Event>, RepoError> {
        self.db
            .read(|conn| crate::events::feed_of(conn, user, from, i64::from(limit)))
    }
}
