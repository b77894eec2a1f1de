//! Group commit: the writes of one instance that arrive together share one transaction and one commit,
//! each inside a savepoint of its own, as the SQLite writer does.
//!
//! PostgreSQL makes every commit wait until its WAL is flushed to disk (`synchronous_commit=on`, the
//! default, which Plaza keeps: an acknowledged write survives a crash of the database server). A row lock
//! is held until the commit, flush included, so every sale of one popular event waited for the flush of the
//! sale before it: at most one sale of an event per flush. Here, the writes that arrive while one runs
//! queue for the same open transaction and the last of them commits it, so a flush (and a popular row's
//! lock) is shared by up to [`MAX_BATCH`] writes:
//!
//! - a write is answered only once the transaction holding it has committed (or at once when it failed:
//!   its savepoint was rolled back, and the others go on);
//! - when the commit fails, every write of the batch is answered `503` (and none is visible — unless the
//!   connection was lost while `COMMIT` was on its way, when, as for any single transaction, the outcome
//!   is unknown to the instance);
//! - a write that loses a race (a deadlock with another instance's batch, say) lets the batch commit, so
//!   that the locks it holds are released, and runs again in the next one;
//! - a write that panics takes its batch down with it (the connection is dropped, so PostgreSQL rolls
//!   everything back) and every other write of the batch fails.
//!
//! Durability is unchanged: each write is acknowledged after the flush of a commit that holds it. What
//! changes is that one instance writes on one connection at a time: a long write delays the others of its
//! instance (SQLite has always worked so), and the row locks of a batch are held until its last write
//! commits, so writes of other instances that need those rows wait that much longer. Two batches of two
//! instances that lock the same rows in opposite orders deadlock; PostgreSQL breaks that after its
//! `deadlock_timeout` (1 s by default), and the losing write commits its batch and runs again.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use diesel::RunQueryDsl;
use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use plaza_domain::RepoError;

use crate::error::{CONNECTION_LOST, StoreError};

type Pooled = PooledConnection<ConnectionManager<PgConnection>>;

/// The most writes one transaction takes; more wait for the next. Kept under PostgreSQL's 64 cached
/// subtransactions per transaction (each savepoint that writes is one), past which every snapshot taken
/// meanwhile, on any connection, has to look subtransactions up on disk.
pub(crate) const MAX_BATCH: usize = 32;

/// How many times a write that lost a race is run again before its caller hears `Unavailable`.
const WRITE_ATTEMPTS: u32 = 3;

/// The transaction writes are gathered in, and who waits for its fate.
#[derive(Debug, Default)]
pub(crate) struct GroupCommit {
    lane: Mutex<Lane>,
    /// Writers waiting for the lane: while there is one, the writer holding it leaves the transaction
    /// open for it (and for those after it) instead of committing.
    waiting: AtomicUsize,
    fates: Mutex<HashMap<u64, Fate>>,
    fate_known: Condvar,
}

#[derive(Default)]
struct Lane {
    open: Option<Open>,
    batches: u64,
}

impl std::fmt::Debug for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lane")
            .field("open", &self.open.as_ref().map(|open| open.writes))
            .finish()
    }
}

/// The open transaction.
struct Open {
    conn: Pooled,
    batch: u64,
    /// Writes run in it so far (failed ones too: each took a savepoint).
    writes: usize,
    /// Writes that succeeded in it and wait for its commit.
    members: usize,
}

/// How a batch ended, for the members that wait on it.
#[derive(Debug, Clone)]
struct Fate {
    failure: Option<Failure>,
    /// Members that have not read it yet.
    unread: usize,
}

#[derive(Debug, Clone)]
enum Failure {
    ConnectionLost,
    NotCommitted(String),
}

impl Failure {
    fn of(error: &RepoError) -> Self {
        if crate::error::is_connection_lost(error) {
            Self::ConnectionLost
        } else {
            Self::NotCommitted(error.to_string())
        }
    }

    fn to_error(&self) -> RepoError {
        match self {
            Self::ConnectionLost => RepoError::Unavailable(CONNECTION_LOST.into()),
            Self::NotCommitted(why) => {
                RepoError::Unavailable(format!("the write's transaction could not be committed: {why}"))
            }
        }
    }
}

impl GroupCommit {
    /// Runs `work` in the open transaction (a new one on a connection from `connect` when none is open),
    /// inside a savepoint, and answers once its transaction has committed.
    pub(crate) fn write<T>(
        &self,
        connect: impl Fn() -> Result<Pooled, StoreError>,
        mut work: impl FnMut(&mut PgConnection) -> Result<T, StoreError>,
    ) -> Result<T, RepoError> {
        let mut lane = self.take_lane();
        let mut attempt = 1;
        let result = loop {
            if lane.open.is_none() {
                let mut conn = connect()?;
                AnsiTransactionManager::begin_transaction(&mut *conn).map_err(StoreError::from)?;
                lane.batches += 1;
                let batch = lane.batches;
                lane.open = Some(Open {
                    conn,
                    batch,
                    writes: 0,
                    members: 0,
                });
            }
            let open = lane.open.as_mut().expect("a transaction was just opened");
            open.writes += 1;
            let ran = catch_unwind(AssertUnwindSafe(|| open.conn.transaction(|conn| work(conn))));
            match ran {
                Err(panic) => {
                    // Dropped in its transaction, the connection is not given back to the pool: closing it
                    // rolls everything back.
                    let failed = lane.open.take().expect("the lane's transaction is open");
                    self.tell(
                        failed.batch,
                        failed.members,
                        Some(Failure::NotCommitted(
                            "another write of its batch panicked".into(),
                        )),
                    );
                    drop(failed);
                    drop(lane);
                    resume_unwind(panic);
                }
                Ok(Err(error)) if error.retryable && attempt < WRITE_ATTEMPTS => {
                    // What it waited for may be a lock this very batch holds for another instance's
                    // write: commit, then run it again.
                    self.commit(&mut lane);
                    // The other writes of the instance go on meanwhile.
                    drop(lane);
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                    lane = self.take_lane();
                    attempt += 1;
                }
                Ok(result) => break result,
            }
        };
        let open = lane.open.as_mut().expect("the lane's transaction is open");
        if !still_usable(&mut open.conn, result.is_err()) {
            // The connection failed under the write (PostgreSQL went away, say) and its savepoint could
            // not be rolled back: the transaction is lost, and the connection with it (dropped in a
            // transaction, it is not given back to the pool).
            let lost = lane.open.take().expect("the lane's transaction is open");
            let failure = match &result {
                Err(error) => Failure::of(&error.error),
                Ok(_) => Failure::NotCommitted("its connection broke".into()),
            };
            self.tell(lost.batch, lost.members, Some(failure.clone()));
            drop(lane);
            return Err(match result {
                Err(error) => error.into(),
                Ok(_) => failure.to_error(),
            });
        }
        let batch = open.batch;
        let full = open.writes >= MAX_BATCH;
        if full || self.waiting.load(Ordering::SeqCst) == 0 {
            let failure = self.commit(&mut lane);
            drop(lane);
            let value = result.map_err(RepoError::from)?;
            return match failure {
                None => Ok(value),
                Some(failure) => Err(failure.to_error()),
            };
        }
        // Someone waits for the lane: they, or the last of those after them, commit.
        let value = result?;
        open.members += 1;
        drop(lane);
        self.fate_of(batch).map(|()| value)
    }

    /// The lane, counted among those waiting for it until it is had.
    fn take_lane(&self) -> MutexGuard<'_, Lane> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let lane = self.lane.lock().unwrap_or_else(PoisonError::into_inner);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        lane
    }

    /// Commits the open transaction (if any), tells the members of its batch how it went, and answers
    /// how (`None`: committed).
    fn commit(&self, lane: &mut MutexGuard<'_, Lane>) -> Option<Failure> {
        let mut open = lane.open.take()?;
        crate::metrics::batch_committed(open.writes);
        let failure = AnsiTransactionManager::commit_transaction(&mut *open.conn)
            .err()
            .map(|error| Failure::of(&StoreError::from(error).error));
        self.tell(open.batch, open.members, failure.clone());
        failure
    }

    fn tell(&self, batch: u64, members: usize, failure: Option<Failure>) {
        if members == 0 {
            return;
        }
        self.lock_fates().insert(
            batch,
            Fate {
                failure,
                unread: members,
            },
        );
        self.fate_known.notify_all();
    }

    /// Waits until `batch` has ended, and answers how.
    fn fate_of(&self, batch: u64) -> Result<(), RepoError> {
        let mut fates = self.lock_fates();
        loop {
            if let Some(fate) = fates.get_mut(&batch) {
                fate.unread -= 1;
                let failure = fate.failure.clone();
                if fate.unread == 0 {
                    fates.remove(&batch);
                }
                return failure.map_or(Ok(()), |failure| Err(failure.to_error()));
            }
            fates = self
                .fate_known
                .wait(fates)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn lock_fates(&self) -> MutexGuard<'_, HashMap<u64, Fate>> {
        self.fates.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many transactions writes have been gathered in so far.
    #[cfg(test)]
    pub(crate) fn batches(&self) -> u64 {
        self.lane.lock().unwrap_or_else(PoisonError::into_inner).batches
    }
}

/// Whether the batch's transaction can still take writes and commit them: Diesel's own state after the
/// write, and, after a write that failed, a statement on it. A savepoint whose rollback failed can leave
/// Diesel at the right depth while PostgreSQL holds the transaction aborted, and `COMMIT` would then roll
/// everything back without an error (PostgreSQL answers it `ROLLBACK`).
fn still_usable(conn: &mut PgConnection, after_failure: bool) -> bool {
    let depth = AnsiTransactionManager::transaction_manager_status_mut(conn).transaction_depth();
    if !matches!(depth, Ok(Some(depth)) if depth.get() == 1) {
        return false;
    }
    !after_failure || diesel::sql_query("SELECT 1").execute(conn).is_ok()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Instant;

    use diesel::prelude::*;
    use diesel::r2d2::Pool;
    use diesel::sql_types::BigInt;

    use super::*;

    type Pg = Pool<ConnectionManager<PgConnection>>;

    /// A pool on a fresh database with a table to write in: `rows`, whose `id` is unique only when a
    /// transaction commits (the constraint is deferred), so that a commit can be made to fail.
    fn scratch() -> Option<Pg> {
        let url = crate::testing::fresh_database()?;
        let pool = Pool::builder()
            .max_size(4)
            .build(ConnectionManager::new(url))
            .unwrap();
        diesel::sql_query("CREATE TABLE rows (id BIGINT, UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)")
            .execute(&mut pool.get().unwrap())
            .unwrap();
        Some(pool)
    }

    fn insert(conn: &mut PgConnection, id: i64) -> Result<(), StoreError> {
        diesel::sql_query("INSERT INTO rows (id) VALUES ($1)")
            .bind::<BigInt, _>(id)
            .execute(conn)?;
        Ok(())
    }

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    fn stored(pool: &Pg) -> Vec<i64> {
        diesel::sql_query("SELECT id FROM rows ORDER BY id")
            .load::<Row>(&mut pool.get().unwrap())
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    /// Holds the lane until another writer waits for it, so that the two share a transaction.
    fn until_someone_waits(group: &GroupCommit) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while group.waiting.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "no second writer came");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Runs a write of row `first` on a thread of its own that, once inside its write, waits until another
    /// writer waits for the lane; meanwhile runs `second` here. Answers both results.
    fn two_writes<R>(
        group: &Arc<GroupCommit>,
        pool: &Pg,
        first: i64,
        second: impl FnOnce() -> R,
    ) -> (Result<(), RepoError>, R) {
        let (inside, entered) = mpsc::channel();
        let first = {
            let (group, pool) = (group.clone(), pool.clone());
            std::thread::spawn(move || {
                group.write(
                    || Ok(pool.get()?),
                    |conn| {
                        insert(conn, first)?;
                        inside.send(()).ok();
                        until_someone_waits(&group);
                        Ok(())
                    },
                )
            })
        };
        entered.recv().expect("the first write began");
        let second = second();
        (first.join().expect("the first write does not panic"), second)
    }

    fn write_row(group: &GroupCommit, pool: &Pg, id: i64) -> Result<(), RepoError> {
        group.write(|| Ok(pool.get()?), |conn| insert(conn, id))
    }

    #[test]
    fn writes_that_arrive_together_share_one_commit_and_are_answered_after_it() {
        let Some(pool) = scratch() else { return };
        let group = Arc::new(GroupCommit::default());
        let (first, second) = two_writes(&group, &pool, 1, || write_row(&group, &pool, 2));
        first.unwrap();
        second.unwrap();
        assert_eq!(group.batches(), 1, "one transaction for both");
        assert_eq!(stored(&pool), [1, 2]);
        write_row(&group, &pool, 3).unwrap();
        assert_eq!(group.batches(), 2, "a write alone commits at once");
        assert_eq!(stored(&pool), [1, 2, 3]);
    }

    #[test]
    fn a_failing_write_fails_alone_and_its_batch_goes_on() {
        let Some(pool) = scratch() else { return };
        let group = Arc::new(GroupCommit::default());
        let (first, second) = two_writes(&group, &pool, 1, || {
            group.write(
                || Ok(pool.get()?),
                |conn| {
                    insert(conn, 2)?;
                    // A statement PostgreSQL refuses: the savepoint is rolled back, the batch goes on.
                    diesel::sql_query("SELECT 1 / 0").execute(conn)?;
                    Ok(())
                },
            )
        });
        first.unwrap();
        assert!(
            matches!(&second, Err(RepoError::Internal(why)) if why.to_string().contains("division by zero")),
            "{second:?}"
        );
        assert_eq!(
            stored(&pool),
            [1],
            "the failed write's row was rolled back, alone"
        );
        assert_eq!(group.batches(), 1);
    }

    #[test]
    fn when_the_commit_fails_every_write_of_the_batch_fails_and_none_is_kept() {
        let Some(pool) = scratch() else { return };
        let group = Arc::new(GroupCommit::default());
        // Each write alone is fine; together they break the deferred unique constraint at the commit.
        let (first, second) = two_writes(&group, &pool, 7, || write_row(&group, &pool, 7));
        for answer in [first, second] {
            assert!(
                matches!(&answer, Err(RepoError::Unavailable(why)) if why.contains("could not be committed")),
                "{answer:?}"
            );
        }
        assert!(stored(&pool).is_empty());
        write_row(&group, &pool, 8).unwrap();
        assert_eq!(stored(&pool), [8], "the next write commits");
    }

    #[test]
    fn a_panicking_write_takes_its_batch_down_and_the_next_writes_go_on() {
        let Some(pool) = scratch() else { return };
        let group = Arc::new(GroupCommit::default());
        let (first, second) = two_writes(&group, &pool, 1, || {
            catch_unwind(AssertUnwindSafe(|| {
                group.write(
                    || Ok(pool.get()?),
                    |conn| -> Result<(), StoreError> {
                        insert(conn, 2)?;
                        panic!("a bug in a write")
                    },
                )
            }))
        });
        assert!(second.is_err(), "the panic goes on to its own caller");
        assert!(
            matches!(&first, Err(RepoError::Unavailable(why)) if why.contains("panicked")),
            "{first:?}"
        );
        assert!(stored(&pool).is_empty(), "nothing of the batch was kept");
        write_row(&group, &pool, 3).unwrap();
        assert_eq!(stored(&pool), [3], "the lane works again");
    }
}
