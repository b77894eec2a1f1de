//! Stream tickets in the `stream_tickets` table, redeemable on any instance.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Timestamp};
use plaza_domain::live::{StreamTicket, StreamTicketStore};
use plaza_domain::{RepoError, SessionId, UserId};

use crate::db::Database;
use crate::sql::Sql;

#[derive(diesel::QueryableByName)]
struct Redeemed {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    token_issued_at: i64,
    #[diesel(sql_type = BigInt)]
    token_expires_at: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    session_id: Option<i64>,
    #[diesel(sql_type = Timestamp)]
    expires_at: NaiveDateTime,
}

/// [`StreamTicketStore`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStreamTickets {
    db: Database,
}

impl PgStreamTickets {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl StreamTicketStore for PgStreamTickets {
    fn store(
        &self,
        key: &str,
        ticket: StreamTicket,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        self.db.write(|conn| {
            Sql::new("DELETE FROM stream_tickets WHERE expires_at < $1")
                .timestamp(now.naive_utc())
                .execute(conn)?;
            Sql::new(
                "INSERT INTO stream_tickets \
                 (key, user_id, token_issued_at, token_expires_at, expires_at, session_id) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .text(key)
            .int(ticket.user.get())
            .int(ticket.token_issued_at)
            .int(ticket.token_expires_at)
            .timestamp(expires_at.naive_utc())
            .nullable_int(ticket.session.map(SessionId::get))
            .execute(conn)?;
            Ok(())
        })
    }

    fn redeem(&self, key: &str, now: DateTime<Utc>) -> Result<Option<StreamTicket>, RepoError> {
        if key.contains('\0') {
            // PostgreSQL text cannot hold NUL, so no issued key does.
            return Ok(None);
        }
        let taken: Option<Redeemed> = self.db.write(|conn| {
            let rows: Vec<Redeemed> = Sql::new(
                "DELETE FROM stream_tickets WHERE key = $1 \
                 RETURNING user_id, token_issued_at, token_expires_at, session_id, expires_at",
            )
            .text(key)
            .load(conn)?;
            Ok(rows.into_iter().next())
        })?;
        Ok(taken
            .filter(|row| row.expires_at > now.naive_utc())
            .map(|row| StreamTicket {
                user: UserId::from_stored(row.user_id),
                token_issued_at: row.token_issued_at,
                token_expires_at: row.token_expires_at,
                session: row.session_id.map(SessionId::from_stored),
            }))
    }
}
