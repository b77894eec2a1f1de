//! Sessions and their refresh tokens, in the `sessions` and `refresh_tokens` tables, shared by every
//! instance.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::RunQueryDsl;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
use plaza_domain::session::{
    Expiry, MAX_PER_USER, NewSession, Renewal, SPENT_KEPT, Session, SessionRepository,
};
use plaza_domain::{RepoError, SessionId, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::sql::Sql;

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
    created_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    last_used_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    expires_at: NaiveDateTime,
}

impl From<Row> for Session {
    fn from(row: Row) -> Self {
        Session {
            id: SessionId::from_stored(row.id),
            user: UserId::from_stored(row.user_id),
            device: row.device,
            remember: row.remember,
            signed_in_at: row.signed_in_at,
            created_at: row.created_at.and_utc(),
            last_used_at: row.last_used_at.and_utc(),
            expires_at: row.expires_at.and_utc(),
        }
    }
}

/// A session's columns, in [`Row`]'s order.
macro_rules! columns {
    () => {
        "id, user_id, device, remember, signed_in_at, created_at, last_used_at, expires_at"
    };
}

#[derive(diesel::QueryableByName)]
struct TokenOf {
    #[diesel(sql_type = BigInt)]
    session_id: i64,
}

#[derive(diesel::QueryableByName)]
struct Locked {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Bool)]
    remember: bool,
    #[diesel(sql_type = Timestamp)]
    expires_at: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    generation: i64,
}

#[derive(diesel::QueryableByName)]
struct Spent {
    #[diesel(sql_type = Bool)]
    spent: bool,
}

/// [`SessionRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgSessions {
    db: Database,
}

impl PgSessions {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

fn end(conn: &mut Conn, session: i64) -> Result<usize, StoreError> {
    Ok(Sql::new("DELETE FROM sessions WHERE id = $1")
        .int(session)
        .execute(conn)?)
}

fn first(rows: Vec<Row>) -> Option<Session> {
    rows.into_iter().next().map(Session::from)
}

/// A key with NUL was never issued: PostgreSQL text cannot hold it.
fn never_issued(key: &str) -> bool {
    key.contains('\0')
}

impl SessionRepository for PgSessions {
    fn start(&self, session: NewSession) -> Result<Session, RepoError> {
        let user = session.user.get();
        let now = session.now.naive_utc();
        self.db.write(|conn| {
            // Sessions of one account start one at a time, so the limit holds however many race; and
            // none starts on a deleted account (a deletion under way is waited for, then seen).
            crate::schema::users::table
                .find(user)
                .filter(crate::schema::users::deleted_at.is_null())
                .select(crate::schema::users::id)
                .for_update()
                .first::<i64>(conn)
                .optional()?
                .ok_or(RepoError::NotFound)?;
            Sql::new("DELETE FROM sessions WHERE user_id = $1 AND expires_at <= $2")
                .int(user)
                .timestamp(now)
                .execute(conn)?;
            Sql::new(
                "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE user_id = $1 \
                 ORDER BY last_used_at DESC, id DESC OFFSET $2)",
            )
            .int(user)
            .int(MAX_PER_USER - 1)
            .execute(conn)?;
            let started = first(
                Sql::new(concat!(
                    "INSERT INTO sessions (user_id, device, remember, signed_in_at, created_at, \
                     last_used_at, expires_at) VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING ",
                    columns!()
                ))
                .int(user)
                .text(session.device.as_str())
                .boolean(session.remember)
                .int(session.signed_in_at)
                .timestamp(now)
                .timestamp(session.expires_at.naive_utc())
                .load(conn)?,
            )
            .ok_or_else(|| RepoError::Internal("an inserted session was not returned".into()))?;
            Sql::new("INSERT INTO refresh_tokens (key, session_id, generation) VALUES ($1, $2, 0)")
                .text(&session.refresh_key)
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
        if never_issued(presented) {
            return Ok(Renewal::Unknown);
        }
        self.db.write(|conn| {
            let Some(token) = Sql::new("SELECT session_id FROM refresh_tokens WHERE key = $1")
                .text(presented)
                .load::<TokenOf>(conn)?
                .into_iter()
                .next()
            else {
                return Ok(Renewal::Unknown);
            };
            // Renewals of one session take turns here; the ones that wait then read what the first
            // committed (each statement of a READ COMMITTED transaction sees the latest commits).
            let Some(session) = Sql::new(
                "SELECT user_id, remember, expires_at, generation FROM sessions WHERE id = $1 FOR UPDATE",
            )
            .int(token.session_id)
            .load::<Locked>(conn)?
            .into_iter()
            .next() else {
                return Ok(Renewal::Unknown);
            };
            let spent = Sql::new("SELECT spent FROM refresh_tokens WHERE key = $1")
                .text(presented)
                .load::<Spent>(conn)?
                .into_iter()
                .next()
                .is_none_or(|token| token.spent);
            if spent {
                end(conn, token.session_id)?;
                return Ok(Renewal::Reused {
                    session: SessionId::from_stored(token.session_id),
                    user: UserId::from_stored(session.user_id),
                });
            }
            if session.expires_at <= now.naive_utc() {
                end(conn, token.session_id)?;
                return Ok(Renewal::Unknown);
            }
            let generation = session.generation + 1;
            Sql::new("UPDATE refresh_tokens SET spent = TRUE WHERE key = $1")
                .text(presented)
                .execute(conn)?;
            Sql::new("INSERT INTO refresh_tokens (key, session_id, generation) VALUES ($1, $2, $3)")
                .text(next)
                .int(token.session_id)
                .int(generation)
                .execute(conn)?;
            Sql::new("DELETE FROM refresh_tokens WHERE session_id = $1 AND generation < $2")
                .int(token.session_id)
                .int(generation - SPENT_KEPT)
                .execute(conn)?;
            let renewed = first(
                Sql::new(concat!(
                    "UPDATE sessions SET last_used_at = $1, expires_at = $2, generation = $3 \
                     WHERE id = $4 RETURNING ",
                    columns!()
                ))
                .timestamp(now.naive_utc())
                .timestamp(expiry.of(session.remember).naive_utc())
                .int(generation)
                .int(token.session_id)
                .load(conn)?,
            )
            .ok_or_else(|| RepoError::Internal("a renewed session was not returned".into()))?;
            Ok(Renewal::Renewed(renewed))
        })
    }

    fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        self.db.look_up(|conn| {
            Ok(first(
                Sql::new(concat!("SELECT ", columns!(), " FROM sessions WHERE id = $1"))
                    .int(id.get())
                    .load(conn)?,
            ))
        })
    }

    fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<Row> = Sql::new(concat!(
                "SELECT ",
                columns!(),
                " FROM sessions WHERE user_id = $1 AND expires_at > $2 \
                 ORDER BY last_used_at DESC, id DESC LIMIT $3"
            ))
            .int(user.get())
            .timestamp(now.naive_utc())
            .int(MAX_PER_USER)
            .load(conn)?;
            Ok(rows.into_iter().map(Session::from).collect())
        })
    }

    fn end(&self, user: UserId, id: SessionId) -> Result<bool, RepoError> {
        self.db.write(|conn| {
            let ended = Sql::new("DELETE FROM sessions WHERE id = $1 AND user_id = $2")
                .int(id.get())
                .int(user.get())
                .execute(conn)?;
            Ok(ended > 0)
        })
    }

    fn end_all(&self, user: UserId) -> Result<u64, RepoError> {
        self.db.write(|conn| {
            let ended = Sql::new("DELETE FROM sessions WHERE user_id = $1")
                .int(user.get())
                .execute(conn)?;
            Ok(ended as u64)
        })
    }
}
