//! Sessions and their refresh tokens, in the `sessions` and `refresh_tokens` tables.

use chrono::{DateTime, Utc};
use diesel::RunQueryDsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
use plaza_domain::session::{
    Expiry, MAX_PER_USER, NewSession, Renewal, SPENT_KEPT, Session, SessionRepository,
};
use plaza_domain::{RepoError, SessionId, UserId};

use crate::conn::Conn;
use crate::db::Database;
use crate::error::StoreError;
use crate::sql::Sql;
use crate::time::StoredTime;

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    device: String,
    #[diesel(sql_type = Bool)]
    remember: bool,
    #[diesel(sql_type = BigInt)]
    signed_in_at: i64,
    #[diesel(sql_type = Timestamp)]
    created_at: StoredTime,
    #[diesel(sql_type = Timestamp)]
    last_used_at: StoredTime,
    #[diesel(sql_type = Timestamp)]
    expires_at: StoredTime,
}

impl From<Row> for Session {
    fn from(row: Row) -> Self {
        Session {
            id: SessionId::from_stored(row.id),
            user: UserId::from_stored(row.user_id),
            device: row.device,
            remember: row.remember,
            signed_in_at: row.signed_in_at,
            created_at: row.created_at.utc(),
            last_used_at: row.last_used_at.utc(),
            expires_at: row.expires_at.utc(),
        }
    }
}

/// A session's columns, in [`Row`]'s order.
macro_rules! columns {
    () => {
        "id, user_id, device, remember, signed_in_at, created_at, last_used_at, expires_at"
    };
}

/// The token under `key`, with what renewing needs of its session.
#[derive(diesel::QueryableByName)]
struct Presented {
    #[diesel(sql_type = BigInt)]
    session_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Bool)]
    spent: bool,
    #[diesel(sql_type = Bool)]
    remember: bool,
    #[diesel(sql_type = Timestamp)]
    expires_at: StoredTime,
    #[diesel(sql_type = BigInt)]
    generation: i64,
}

#[derive(diesel::QueryableByName)]
struct Known {
    #[diesel(sql_type = BigInt)]
    #[allow(dead_code)] // read only to learn that a row exists
    known: i64,
}

/// [`SessionRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteSessions {
    db: Database,
}

impl SqliteSessions {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn end(conn: &mut Conn, session: i64) -> Result<(), StoreError> {
    Sql::new("DELETE FROM sessions WHERE id = ?")
        .int(session)
        .execute(conn)?;
    Ok(())
}

fn load_one(conn: &mut Conn, sql: Sql) -> Result<Option<Session>, StoreError> {
    let rows: Vec<Row> = sql.load(conn)?;
    Ok(rows.into_iter().next().map(Session::from))
}

impl SessionRepository for SqliteSessions {
    fn start(&self, session: NewSession) -> Result<Session, RepoError> {
        self.db.write(move |conn| {
            let user = session.user.get();
            let now = session.now.naive_utc();
            // None starts on a deleted account (writes run one at a time: a deletion is all done or not begun).
            let live: i64 = crate::schema::users::table
                .find(user)
                .filter(crate::schema::users::deleted_at.is_null())
                .count()
                .get_result(conn)?;
            if live == 0 {
                return Err(RepoError::NotFound.into());
            }
            Sql::new("DELETE FROM sessions WHERE user_id = ? AND expires_at <= ?")
                .int(user)
                .timestamp(now)
                .execute(conn)?;
            // Room for the new one: the least recently used beyond the limit end.
            Sql::new(
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE user_id = ? \
                 ORDER BY last_used_at DESC, id DESC LIMIT -1 OFFSET ?)",
            )
            .int(user)
            .int(MAX_PER_USER - 1)
            .execute(conn)?;
            let started = load_one(
                conn,
                Sql::new(concat!(
                    "INSERT INTO sessions (user_id, device, remember, signed_in_at, created_at, \
                         last_used_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING ",
                    columns!()
                ))
                .int(user)
                .text(session.device.as_str())
                .int(i64::from(session.remember))
                .int(session.signed_in_at)
                .timestamp(now)
                .timestamp(now)
                .timestamp(session.expires_at.naive_utc()),
            )?
            .ok_or_else(|| RepoError::Internal("an inserted session was not returned".into()))?;
            Sql::new("INSERT INTO refresh_tokens (key, session_id, generation) VALUES (?, ?, 0)")
                .text(session.refresh_key)
                .int(started.id.get())
                .execute(conn)?;
            Ok(started)
        })
    }

    fn renew(
        &self,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expiry: Expiry,
    ) -> Result<Renewal, RepoError> {
        // A token nobody issued is told apart on the read pool: a flood of made-up tokens never queues
        // on the one writer. (A token is written before the answer that hands it out, so a real one is
        // always found here.)
        let issued: Vec<Known> = self.db.read_one(|conn| {
            Ok(Sql::new("SELECT 1 AS known FROM refresh_tokens WHERE key = ?")
                .text(presented)
                .load(conn)?)
        })?;
        if issued.is_empty() {
            return Ok(Renewal::Unknown);
        }
        let (presented, next) = (presented.to_owned(), next.to_owned());
        self.db.write(move |conn| {
            let found: Vec<Presented> = Sql::new(
                "SELECT t.session_id, s.user_id, t.spent, s.remember, s.expires_at, s.generation \
                 FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.key = ?",
            )
            .text(presented.clone())
            .load(conn)?;
            let Some(token) = found.into_iter().next() else {
                return Ok(Renewal::Unknown);
            };
            if token.spent {
                end(conn, token.session_id)?;
                return Ok(Renewal::Reused {
                    session: SessionId::from_stored(token.session_id),
                    user: UserId::from_stored(token.user_id),
                });
            }
            if token.expires_at.0 <= now.naive_utc() {
                end(conn, token.session_id)?;
                return Ok(Renewal::Unknown);
            }
            let generation = token.generation + 1;
            Sql::new("UPDATE refresh_tokens SET spent = TRUE WHERE key = ?")
                .text(presented)
                .execute(conn)?;
            Sql::new("INSERT INTO refresh_tokens (key, session_id, generation) VALUES (?, ?, ?)")
                .text(next)
                .int(token.session_id)
                .int(generation)
                .execute(conn)?;
            Sql::new("DELETE FROM refresh_tokens WHERE session_id = ? AND generation < ?")
                .int(token.session_id)
                .int(generation - SPENT_KEPT)
                .execute(conn)?;
            let renewed = load_one(
                conn,
                Sql::new(concat!(
                    "UPDATE sessions SET last_used_at = ?, expires_at = ?, generation = ? \
                         WHERE id = ? RETURNING ",
                    columns!()
                ))
                .timestamp(now.naive_utc())
                .timestamp(expiry.of(token.remember).naive_utc())
                .int(generation)
                .int(token.session_id),
            )?
            .ok_or_else(|| RepoError::Internal("a renewed session was not returned".into()))?;
            Ok(Renewal::Renewed(renewed))
        })
    }

    fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        self.db.read_one(|conn| {
            load_one(
                conn,
                Sql::new(concat!("SELECT ", columns!(), " FROM sessions WHERE id = ?")).int(id.get()),
            )
        })
    }

    fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>, RepoError> {
        self.db.read_one(|conn| {
            let rows: Vec<Row> = Sql::new(concat!(
                "SELECT ",
                columns!(),
                " FROM sessions WHERE user_id = ? AND expires_at > ? \
                     ORDER BY last_used_at DESC, id DESC LIMIT ?"
            ))
            .int(user.get())
            .timestamp(now.naive_utc())
            .int(MAX_PER_USER)
            .load(conn)?;
            Ok(rows.into_iter().map(Session::from).collect())
        })
    }

    fn end(&self, user: UserId, id: SessionId) -> Result<bool, RepoError> {
        self.db.write(move |conn| {
            let ended = Sql::new("DELETE FROM sessions WHERE id = ? AND user_id = ?")
                .int(id.get())
                .int(user.get())
                .execute(conn)?;
            Ok(ended > 0)
        })
    }

    fn end_all(&self, user: UserId) -> Result<u64, RepoError> {
        self.db.write(move |conn| {
            let ended = Sql::new("DELETE FROM sessions WHERE user_id = ?")
                .int(user.get())
                .execute(conn)?;
            Ok(ended as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::db::tests::temp_db;

    #[test]
    fn a_users_sessions_are_read_from_their_index() {
        let (_dir, db) = temp_db();
        let plan = db
            .query_plan(concat!(
                "SELECT ",
                columns!(),
                " FROM sessions WHERE user_id = ? AND expires_at > ? \
                 ORDER BY last_used_at DESC, id DESC LIMIT ?"
            ))
            .unwrap();
        assert!(
            plan.iter()
                .any(|step| step.contains("USING INDEX sessions_by_user")),
            "{plan:?}"
        );
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }
}
