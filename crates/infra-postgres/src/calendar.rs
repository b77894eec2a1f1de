//! Private calendar feeds in the `calendar_feeds` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::calendar::CalendarRepository;
use plaza_domain::event::Event;
use plaza_domain::{RepoError, UserId};

use crate::db::Database;
use crate::schema::calendar_feeds;
use crate::sql::Sql;

/// [`CalendarRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgCalendars {
    db: Database,
}

impl PgCalendars {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl CalendarRepository for PgCalendars {
    fn set_secret(&self, user: UserId, digest: &str, at: DateTime<Utc>) -> Result<(), RepoError> {
        self.db.write(|conn| {
            // The account's row is locked first (a deletion locks it too), so a link is never made for an
            // account that a deletion running at the same moment erases.
            let stored = Sql::new(
                "INSERT INTO calendar_feeds (user_id, secret_digest, created_at) \
                 SELECT id, $1, $3 FROM users WHERE id = $2 AND deleted_at IS NULL FOR UPDATE \
                 ON CONFLICT (user_id) DO UPDATE SET secret_digest = excluded.secret_digest, \
                 created_at = excluded.created_at",
            )
            .text(digest)
            .int(user.get())
            .timestamp(at.naive_utc())
            .execute(conn)?;
            match stored {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            }
        })
    }

    fn owner_of(&self, digest: &str) -> Result<Option<UserId>, RepoError> {
        self.db.read(|conn| {
            Ok(calendar_feeds::table
                .filter(calendar_feeds::secret_digest.eq(digest))
                .select(calendar_feeds::user_id)
                .first::<i64>(conn)
                .optional()?
                .map(UserId::from_stored))
        })
    }

    fn made_at(&self, user: UserId) -> Result<Option<DateTime<Utc>>, RepoError> {
        self.db.read(|conn| {
            Ok(calendar_feeds::table
                .find(user.get())
                .select(calendar_feeds::created_at)
                .first::<chrono::NaiveDateTime>(conn)
                .optional()?
                .map(|at| at.and_utc()))
        })
    }

    fn clear_secret(&self, user: UserId) -> Result<(), RepoError> {
        self.db.write(|conn| {
            diesel::delete(calendar_feeds::table.find(user.get())).execute(conn)?;
            Ok(())
        })
    }

    fn events_of(&self, user: UserId, from: DateTime<Utc>, limit: u32) -> Result<Vec<Event>, RepoError> {
        self.db
            .read(|conn| crate::events::feed_of(conn, user, from, i64::from(limit)))
    }
}
