//! Every write goes through one writer thread, which owns the only connection that writes. Writes that
//! arrive while it commits are committed together in its next transaction — group commit — each inside a
//! savepoint of its own:
//!
//! - a write is answered only after the transaction holding it has committed;
//! - a write that fails (or panics) is rolled back to its savepoint and fails alone: the others in the
//!   batch go on;
//! - when the commit itself fails, every write of the batch fails, and none is visible;
//! - many writes share one commit, so pages they all touch (the notification index entries of the people a
//!   busy event's comments go to, say) are written to the log once per batch instead of once per write;
//! - no request ever waits on SQLite's write lock, or sees it busy, except when another process writes.
//!
//! Durability is unchanged: a commit in WAL mode is durable across a crash of the process (and with
//! `synchronous=FULL`, of the machine) exactly as before.
//!
//! When no write is waiting, the thread does its [`Upkeep`] (keeping the search index merged), one step at
//! a time, between writes: a write that arrives meanwhile waits for one step at most. Upkeep runs only
//! between [`Writer::start_upkeep`] and [`Writer::stop_upkeep`] (`plaza serve`, not the one-off commands).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{RecvTimeoutError, TryRecvError};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use plaza_domain::RepoError;

use crate::conn::Conn;
use crate::error::StoreError;

/// The most writes one transaction takes; more wait for the next.
const MAX_BATCH: usize = 256;

/// What a write hands back after running: whether it succeeded, and how to tell its caller once the fate
/// of the transaction is known.
struct Outcome {
    succeeded: bool,
    /// It failed for a full disk, after which SQLite may have rolled the whole transaction back.
    storage_full: bool,
    deliver: Box<dyn FnOnce(Option<RepoError>) + Send>,
}

/// A write given its connection, or refused (the transaction could not even begin).
enum Attempt<'a> {
    Run(&'a mut Conn),
    Refused(RepoError),
}

type Job = Box<dyn FnOnce(Attempt<'_>) -> Outcome + Send>;

/// Work the writer thread does between writes, on its connection, in short steps.
pub(crate) trait Upkeep: Send + 'static {
    /// Runs one step if one is due (in a transaction of its own: none is open when it is called); answers
    /// how long the writer may wait before it asks again. Asked only while no write is waiting.
    fn step(&mut self, conn: &mut Conn) -> Duration;
}

/// The queue in front of the writer thread.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
    counters: Arc<Counters>,
    /// Whether the thread does its upkeep; changed only by jobs, so that it changes between steps.
    upkeep_on: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct Counters {
    writes: AtomicU64,
    transactions: AtomicU64,
    /// Writes sent and not yet taken into a batch.
    queued: AtomicU64,
}

/// How much group commit saved: writes run, and the transactions that committed them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteStats {
    pub writes: u64,
    pub transactions: u64,
}

impl Writer {
    /// Starts the writer thread on `conn`, able to do `upkeep` when idle once told to. It ends when the
    /// last `Writer` is dropped.
    pub(crate) fn start(conn: Conn, upkeep: impl Upkeep) -> std::io::Result<Self> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let counters = Arc::new(Counters::default());
        let counted = counters.clone();
        let upkeep_on = Arc::new(AtomicBool::new(false));
        let on = upkeep_on.clone();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, &queue, &counted, upkeep, &on))?;
        Ok(Self {
            jobs,
            counters,
            upkeep_on,
        })
    }

    /// From now on the thread does its upkeep when idle.
    pub(crate) fn start_upkeep(&self) -> Result<(), RepoError> {
        self.set_upkeep(true)
    }

    /// Once this returns, no upkeep step runs or will run (one under way has ended): what the file holds
    /// changes only by writes (before the checkpoint at shutdown, say).
    pub(crate) fn stop_upkeep(&self) -> Result<(), RepoError> {
        self.set_upkeep(false)
    }

    /// Sets the switch from a job: the thread sees it between two steps, never during one.
    fn set_upkeep(&self, on: bool) -> Result<(), RepoError> {
        let upkeep_on = self.upkeep_on.clone();
        self.write(move |_| {
            upkeep_on.store(on, Ordering::SeqCst);
            Ok(())
        })
    }

    pub(crate) fn stats(&self) -> WriteStats {
        WriteStats {
            writes: self.counters.writes.load(Ordering::Relaxed),
            transactions: self.counters.transactions.load(Ordering::Relaxed),
        }
    }

    /// Writes waiting for the writer thread now.
    pub(crate) fn queued(&self) -> u64 {
        self.counters.queued.load(Ordering::Relaxed)
    }

    /// Runs `work` in the next transaction and returns its result once that transaction has committed.
    pub(crate) fn write<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, RepoError> {
        let (reply, answer) = mpsc::sync_channel::<Result<T, RepoError>>(1);
        let job: Job = Box::new(move |attempt| {
            let result = match attempt {
                Attempt::Run(conn) => work(conn).map_err(RepoError::from),
                Attempt::Refused(why) => Err(why),
            };
            let succeeded = result.is_ok();
            let storage_full = matches!(result, Err(RepoError::StorageFull(_)));
            Outcome {
                succeeded,
                storage_full,
                deliver: Box::new(move |commit_failure| {
                    let answer = match (result, commit_failure) {
                        (Ok(_), Some(failure)) => Err(failure),
                        (result, _) => result,
                    };
                    // The caller may have gone (a panicked request thread): nobody to tell.
                    let _ = reply.send(answer);
                }),
            }
        });
        // Either failure is a bug: the writer thread lives as long as the database, and a job always answers
        // unless it panicked.
        self.counters.queued.fetch_add(1, Ordering::Relaxed);
        self.jobs
            .send(job)
            .map_err(|_| RepoError::internal("the database writer has stopped"))?;
        answer
            .recv()
            .map_err(|_| RepoError::internal("a write was abandoned (it panicked; see the log)"))?
    }
}

fn run(
    mut conn: Conn,
    queue: &mpsc::Receiver<Job>,
    counters: &Counters,
    mut upkeep: impl Upkeep,
    upkeep_on: &AtomicBool,
) {
    let mut upkeep_at = Instant::now();
    while let Some(first) = next_write(&mut conn, queue, &mut upkeep, upkeep_on, &mut upkeep_at) {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let writes = u64::try_from(batch.len()).expect("a batch is small");
        counters.queued.fetch_sub(writes, Ordering::Relaxed);
        #[allow(
            clippy::cast_precision_loss,
            reason = "a batch holds at most MAX_BATCH writes"
        )]
        metrics::histogram!(crate::metrics::WRITE_BATCH).record(writes as f64);
        commit_batch(&mut conn, batch);
        counters.writes.fetch_add(writes, Ordering::Relaxed);
        counters.transactions.fetch_add(1, Ordering::Relaxed);
    }
}

/// The next write to run, doing upkeep steps while none is waiting and one is due; `None` once every
/// `Writer` is gone.
fn next_write(
    conn: &mut Conn,
    queue: &mpsc::Receiver<Job>,
    upkeep: &mut impl Upkeep,
    upkeep_on: &AtomicBool,
    upkeep_at: &mut Instant,
) -> Option<Job> {
    loop {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if !upkeep_on.load(Ordering::SeqCst) {
            // Only a job turns it on: wait for the next.
            return queue.recv().ok();
        }
        let now = Instant::now();
        if now >= *upkeep_at {
            let wait = catch_unwind(AssertUnwindSafe(|| upkeep.step(conn))).unwrap_or_else(|panic| {
                // Writes matter more than upkeep: the thread goes on without it.
                tracing::error!(panic = %panic_message(&panic), "an upkeep step panicked; upkeep waits a day");
                let _ = conn.batch_execute("ROLLBACK");
                Duration::MAX
            });
            // A wait too long to add to the clock is taken as a day.
            *upkeep_at = Instant::now()
                .checked_add(wait)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
            continue;
        }
        match queue.recv_timeout(*upkeep_at - now) {
            Ok(job) => return Some(job),
            Err(RecvTimeoutError::Disconnected) => return None,
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// One transaction: each job in its own savepoint, then one commit.
fn commit_batch(conn: &mut Conn, batch: Vec<Job>) {
    if let Err(error) = control(conn, "BEGIN IMMEDIATE") {
        let failure = RepoError::from(StoreError::from(error));
        for job in batch {
            (job(Attempt::Refused(clone_error(&failure))).deliver)(None);
        }
        return;
    }
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    while let Some(job) = jobs.next() {
        let outcome = match control(conn, "SAVEPOINT write") {
            Err(error) => job(Attempt::Refused(RepoError::from(StoreError::from(error)))),
            Ok(()) => {
                let outcome = catch_unwind(AssertUnwindSafe(|| job(Attempt::Run(conn)))).unwrap_or_else(|panic| {
                    // The job and its reply are gone with the panic: its caller hears that the writer stopped
                    // for it, and the rest of the batch goes on.
                    tracing::error!(panic = %panic_message(&panic), "a write panicked; rolled back alone");
                    Outcome {
                        succeeded: false,
                        storage_full: false,
                        deliver: Box::new(|_| {}),
                    }
                });
                let end = if outcome.succeeded {
                    control(conn, "RELEASE write")
                } else {
                    conn.batch_execute("ROLLBACK TO write; RELEASE write")
                };
                match end {
                    Ok(()) => outcome,
                    Err(error) => {
                        // The savepoint cannot be closed: the transaction is unusable; end it here. After
                        // a full disk SQLite may have rolled it all back itself: every write of the batch
                        // then hears why.
                        let failure = if outcome.storage_full {
                            RepoError::StorageFull(format!("the transaction was rolled back: {error}"))
                        } else {
                            RepoError::from(StoreError::from(error))
                        };
                        let _ = conn.batch_execute("ROLLBACK");
                        (outcome.deliver)(Some(clone_error(&failure)));
                        for done in outcomes {
                            let Outcome { deliver, .. } = done;
                            deliver(Some(clone_error(&failure)));
                        }
                        // The writes not yet run are refused with the same cause rather than dropped.
                        for job in jobs.by_ref() {
                            (job(Attempt::Refused(clone_error(&failure))).deliver)(None);
                        }
                        tracing::error!(error = %failure, "a savepoint could not be closed; the batch was rolled back");
                        return;
                    }
                }
            }
        };
        outcomes.push(outcome);
    }
    let commit = control(conn, "COMMIT");
    let failure = match commit {
        Ok(()) => None,
        Err(error) => {
            let _ = conn.batch_execute("ROLLBACK");
            Some(RepoError::from(StoreError::from(error)))
        }
    };
    for outcome in outcomes {
        (outcome.deliver)(failure.as_ref().map(clone_error));
    }
}

/// Runs a transaction-control statement the connection keeps prepared: every write opens and closes a
/// savepoint, and `batch_execute` would parse that text again each time.
fn control(conn: &mut Conn, statement: &'static str) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    crate::sql::Sql::new(statement).execute(conn).map(drop)
}

/// `RepoError` holds a boxed source and is not `Clone`: what a batch shares is its message.
fn clone_error(error: &RepoError) -> RepoError {
    match error {
        RepoError::NotFound => RepoError::NotFound,
        RepoError::Conflict(conflict) => RepoError::Conflict(*conflict),
        RepoError::Unavailable(why) => RepoError::Unavailable(why.clone()),
        RepoError::StorageFull(why) => RepoError::StorageFull(why.clone()),
        RepoError::Internal(source) => RepoError::internal(source.to_string()),
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    use super::*;

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        count: i64,
    }

    /// A writer over a fresh file holding table `t`, and a connection of its own that reads it.
    fn writer() -> (tempfile::TempDir, Writer, Conn) {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("w.db").to_string_lossy().into_owned();
        let mut conn = Conn::establish(&url).unwrap();
        conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
             CREATE TABLE t (v INTEGER NOT NULL UNIQUE)",
        )
        .unwrap();
        let mut reader = Conn::establish(&url).unwrap();
        reader.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
        (dir, Writer::start(conn, NoUpkeep).unwrap(), reader)
    }

    /// [`writer`]'s file and reader, with a writer that has `upkeep` to do.
    fn writer_with(upkeep: impl Upkeep) -> (tempfile::TempDir, Writer, Conn) {
        let (dir, idle_writer, reader) = writer();
        drop(idle_writer);
        let mut conn = Conn::establish(&dir.path().join("w.db").to_string_lossy()).unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
        (dir, Writer::start(conn, upkeep).unwrap(), reader)
    }

    /// No upkeep to do (and it is never started).
    struct NoUpkeep;

    impl Upkeep for NoUpkeep {
        fn step(&mut self, _: &mut Conn) -> Duration {
            Duration::MAX
        }
    }

    fn insert(writer: &Writer, v: i64) -> Result<i64, RepoError> {
        writer.write(move |conn| {
            diesel::sql_query("INSERT INTO t (v) VALUES (?)")
                .bind::<BigInt, _>(v)
                .execute(conn)?;
            Ok(v)
        })
    }

    fn count(reader: &mut Conn) -> i64 {
        diesel::sql_query("SELECT count(*) AS count FROM t")
            .get_result::<Count>(reader)
            .unwrap()
            .count
    }

    #[test]
    fn concurrent_writes_share_commits_and_a_failure_fails_alone() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (_dir, writer, mut reader) = writer();
        let before = writer.stats();
        // The writer is kept busy until every write below is on its way, so that they arrive together
        // however slowly a loaded machine starts their threads (not left to the timing of the spawns).
        let coming = Arc::new(AtomicUsize::new(0));
        let blocker = {
            let (writer, coming) = (writer.clone(), coming.clone());
            std::thread::spawn(move || {
                writer.write(move |_| {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    while coming.load(Ordering::SeqCst) < 200 && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    Ok(())
                })
            })
        };
        let threads: Vec<_> = (0..200)
            .map(|i| {
                let (writer, coming) = (writer.clone(), coming.clone());
                std::thread::spawn(move || {
                    coming.fetch_add(1, Ordering::SeqCst);
                    // Every tenth value is written twice: the second write breaks the UNIQUE rule.
                    insert(&writer, if i % 10 == 9 { i - 1 } else { i })
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        blocker.join().unwrap().unwrap();
        let failed = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(failed, 20, "each duplicate fails, and only it");
        assert_eq!(count(&mut reader), 180, "every other write committed");
        let after = writer.stats();
        let commits = after.transactions - before.transactions;
        assert_eq!(
            after.writes - before.writes,
            201,
            "every write is counted (and the blocker)"
        );
        assert!(
            commits < 100,
            "writes that arrive together commit together: {commits} commits"
        );
    }

    #[test]
    fn a_panicking_write_is_rolled_back_alone() {
        let (_dir, writer, mut reader) = writer();
        let panicking = {
            let writer = writer.clone();
            std::thread::spawn(move || {
                writer.write(|conn| {
                    diesel::sql_query("INSERT INTO t (v) VALUES (-1)").execute(conn)?;
                    #[allow(clippy::panic)]
                    if conn.batch_execute("SELECT 1").is_ok() {
                        panic!("a bug in a write");
                    }
                    Ok(())
                })
            })
        };
        let result = panicking.join().unwrap();
        assert!(matches!(result, Err(RepoError::Internal(_))), "{result:?}");
        assert_eq!(insert(&writer, 7).unwrap(), 7, "the writer goes on");
        assert_eq!(count(&mut reader), 1, "the panicking write left nothing behind");
    }

    /// Upkeep whose steps each commit a row of their own (`BEGIN` would fail inside an open transaction),
    /// up to a number of them.
    struct RowPerStep {
        done: i64,
        up_to: i64,
    }

    impl Upkeep for RowPerStep {
        fn step(&mut self, conn: &mut Conn) -> Duration {
            if self.done == self.up_to {
                return Duration::MAX;
            }
            self.done += 1;
            let done = self.done;
            conn.batch_execute(&format!(
                "BEGIN IMMEDIATE; INSERT INTO t (v) VALUES (-{done}); COMMIT"
            ))
            .expect("an upkeep step is called outside any transaction");
            Duration::from_millis(1)
        }
    }

    #[test]
    fn upkeep_steps_run_between_writes_in_transactions_of_their_own() {
        let (_dir, writer, mut reader) = writer_with(RowPerStep { done: 0, up_to: 5 });
        insert(&writer, 100).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(count(&mut reader), 1, "no upkeep before it is started");
        writer.start_upkeep().unwrap();
        for v in 1..=20 {
            assert_eq!(
                insert(&writer, v).unwrap(),
                v,
                "writes are answered while upkeep is due"
            );
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while count(&mut reader) < 26 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            count(&mut reader),
            26,
            "every write and each of the five steps committed"
        );
    }

    #[test]
    fn once_upkeep_is_stopped_no_step_runs() {
        let (_dir, writer, mut reader) = writer_with(RowPerStep {
            done: 0,
            up_to: i64::MAX,
        });
        writer.start_upkeep().unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while count(&mut reader) < 3 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        writer.stop_upkeep().unwrap();
        let stopped_at = count(&mut reader);
        assert!(stopped_at >= 3, "steps ran while upkeep was on");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            count(&mut reader),
            stopped_at,
            "no step after stop_upkeep returned"
        );
    }

    struct PanickingUpkeep;

    impl Upkeep for PanickingUpkeep {
        #[allow(clippy::panic)]
        fn step(&mut self, _: &mut Conn) -> Duration {
            panic!("a bug in an upkeep step")
        }
    }

    #[test]
    fn a_panicking_upkeep_step_leaves_the_writer_writing() {
        let (_dir, writer, mut reader) = writer_with(PanickingUpkeep);
        writer.start_upkeep().unwrap();
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(insert(&writer, 1).unwrap(), 1);
        assert_eq!(count(&mut reader), 1);
    }

    #[test]
    fn a_write_is_answered_after_its_commit() {
        let (_dir, writer, mut reader) = writer();
        insert(&writer, 1).unwrap();
        // A reader on another connection sees it at once: it was committed before the answer.
        assert_eq!(count(&mut reader), 1);
    }
}
