//! Failed logins in the `login_failures` table, shared by every instance on the database.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use plaza_domain::RepoError;
use plaza_domain::login::{FailureLimits, Reservation, SharedLoginFailures, name_key};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::sql::Sql;

/// Expired rows removed per recorded failure: enough to keep up with any rate of new ones, few enough
/// that no attempt pays for a backlog.
const SWEEP_ROWS: i64 = 100;

#[derive(QueryableByName)]
struct Recent {
    #[diesel(sql_type = BigInt)]
    failures: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamp>)]
    oldest: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// [`SharedLoginFailures`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgLoginFailures {
    db: Database,
}

impl PgLoginFailures {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Seconds until `oldest` leaves a window that ends at `now` (at least 1).
fn wait(oldest: Option<NaiveDateTime>, window: chrono::Duration, now: NaiveDateTime) -> u64 {
    let left = oldest.map_or(chrono::Duration::zero(), |oldest| oldest + window - now);
    let millis = left.num_milliseconds().max(0).unsigned_abs();
    millis.div_ceil(1000).max(1)
}

fn recent(
    conn: &mut Conn,
    client: &str,
    name: Option<&str>,
    since: NaiveDateTime,
) -> Result<Recent, StoreError> {
    let found = match name {
        Some(name) => Sql::new(
            "SELECT count(*) AS failures, min(at) AS oldest FROM login_failures \
             WHERE client = $1 AND name = $2 AND at > $3",
        )
        .text(client)
        .text(name)
        .timestamp(since)
        .get_result(conn)?,
        None => Sql::new(
            "SELECT count(*) AS failures, min(at) AS oldest FROM login_failures WHERE client = $1 AND at > $2",
        )
        .text(client)
        .timestamp(since)
        .get_result(conn)?,
    };
    Ok(found)
}

impl SharedLoginFailures for PgLoginFailures {
    fn reserve(
        &self,
        client: &str,
        name: &str,
        limits: FailureLimits,
        now: DateTime<Utc>,
    ) -> Result<Result<Reservation, u64>, RepoError> {
        let name = name_key(name);
        let now = now.naive_utc();
        let since = now - limits.window;
        self.db.write(|conn| {
            // One client's attempts are decided one at a time, whichever instance they reach: the
            // counts read below cannot change before this transaction records its own.
            Sql::new("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .text(client)
                .execute(conn)?;
            Sql::new(
                "DELETE FROM login_failures WHERE id IN \
                 (SELECT id FROM login_failures WHERE at <= $1 ORDER BY at LIMIT $2)",
            )
            .timestamp(since)
            .int(SWEEP_ROWS)
            .execute(conn)?;
            let by_name = recent(conn, client, Some(&name), since)?;
            if by_name.failures.unsigned_abs() >= limits.per_name {
                return Ok(Err(wait(by_name.oldest, limits.window, now)));
            }
            let by_client = recent(conn, client, None, since)?;
            if by_client.failures.unsigned_abs() >= limits.per_client {
                return Ok(Err(wait(by_client.oldest, limits.window, now)));
            }
            let recorded: Id =
                Sql::new("INSERT INTO login_failures (client, name, at) VALUES ($1, $2, $3) RETURNING id")
                    .text(client)
                    .text(&name)
                    .timestamp(now)
                    .get_result(conn)?;
            Ok(Ok(Reservation(recorded.id)))
        })
    }

    fn release(
        &self,
        reservation: Reservation,
        clear_name: Option<(String, String)>,
    ) -> Result<(), RepoError> {
        self.db.write(|conn| {
            Sql::new("DELETE FROM login_failures WHERE id = $1")
                .int(reservation.0)
                .execute(conn)?;
            if let Some((client, name)) = &clear_name {
                Sql::new("DELETE FROM login_failures WHERE client = $1 AND name = $2")
                    .text(client)
                    .text(name_key(name))
                    .execute(conn)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Option<PgLoginFailures> {
        let url = crate::testing::fresh_database()?;
        let db = Database::open(&crate::PgConfig {
            url,
            pool_size: 8,
            connection_timeout: std::time::Duration::from_secs(10),
        })
        .unwrap();
        Some(PgLoginFailures::new(db))
    }

    const LIMITS: FailureLimits = FailureLimits {
        per_name: 3,
        per_client: 5,
        window: chrono::Duration::minutes(5),
    };

    #[test]
    fn counts_per_name_and_per_client_until_the_window_passes() {
        let Some(ledger) = ledger() else { return };
        let now = Utc::now();
        for _ in 0..3 {
            ledger.reserve("1.2.3.4", "Alice", LIMITS, now).unwrap().unwrap();
        }
        let wait = ledger
            .reserve("1.2.3.4", "ALICE", LIMITS, now)
            .unwrap()
            .unwrap_err();
        assert!((299..=300).contains(&wait), "{wait}");
        ledger.reserve("5.6.7.8", "alice", LIMITS, now).unwrap().unwrap();
        for name in ["bob", "carol"] {
            ledger.reserve("1.2.3.4", name, LIMITS, now).unwrap().unwrap();
        }
        assert!(
            ledger.reserve("1.2.3.4", "dave", LIMITS, now).unwrap().is_err(),
            "five per client"
        );
        let later = now + chrono::Duration::minutes(5) + chrono::Duration::seconds(1);
        ledger
            .reserve("1.2.3.4", "alice", LIMITS, later)
            .unwrap()
            .unwrap();
    }

    #[test]
    fn a_released_reservation_and_a_success_give_attempts_back() {
        let Some(ledger) = ledger() else { return };
        let now = Utc::now();
        let first = ledger.reserve("c", "alice", LIMITS, now).unwrap().unwrap();
        ledger.release(first, None).unwrap();
        for _ in 0..2 {
            ledger.reserve("c", "alice", LIMITS, now).unwrap().unwrap();
        }
        let last = ledger.reserve("c", "alice", LIMITS, now).unwrap().unwrap();
        assert!(ledger.reserve("c", "alice", LIMITS, now).unwrap().is_err());
        ledger.release(last, Some(("c".into(), "Alice".into()))).unwrap();
        ledger.reserve("c", "alice", LIMITS, now).unwrap().unwrap();
    }

    #[test]
    fn racing_attempts_never_record_more_than_the_limit() {
        let Some(ledger) = ledger() else { return };
        let now = Utc::now();
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let granted: usize = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let (ledger, start) = (ledger.clone(), start.clone());
                    scope.spawn(move || {
                        start.wait();
                        usize::from(ledger.reserve("c", "alice", LIMITS, now).unwrap().is_ok())
                    })
                })
                .collect();
            handles.into_iter().map(|handle| handle.join().unwrap()).sum()
        });
        assert_eq!(granted, 3);
    }
}
