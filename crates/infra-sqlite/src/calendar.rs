//! Private calendar feeds in the `calendar_feeds` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::calendar::CalendarRepository;
use plaza_domain::event::Event;
use plaza_domain::{RepoError, UserId};

use crate::db::Database;
use crate::schema::calendar_feeds;
use crate::sql::Sql;

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
    fn set_secret(&self, user: UserId, digest: &str) -> Result<(), RepoError> {
        let digest = digest.to_owned();
        self.db.write(move |conn| {
            let stored = Sql::new(
                "INSERT INTO calendar_feeds (user_id, secret_digest) \
                 SELECT id, ? FROM users WHERE id = ? AND deleted_at IS NULL \
                 ON CONFLICT (user_id) DO UPDATE SET secret_digest = excluded.secret_digest",
            )
            .text(digest)
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

    fn events_of(&self, user: UserId, from: DateTime<Utc>, limit: u32) -> Result<Vec<Event>, RepoError> {
        self.db
            .read(|conn| crate::events::feed_of(conn, user, from, i64::from(limit)))
    }
}
