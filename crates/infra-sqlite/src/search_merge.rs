//! Keeps the search index in few segments. FTS5 writes each transaction's new entries as a segment of
//! its own and merges segments of like size four at a time, so an index holds a few segments for each
//! power of four of its size (15 at 100,000 events), and every search seeks its words in each one: a
//! rare word's page cost 26 µs in the index with 15 segments, 7 µs with one. When `plaza serve`'s writer
//! has no write waiting and the index holds more than [`MERGE_ABOVE_SEGMENTS`], it merges every segment
//! into one in short steps, beginning at most once in [`MERGE_AT_MOST_EVERY`]: a whole merge rewrites the
//! index (0.6 s of steps at 100,000 events), so this bounds what keeping it merged costs in writes.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::conn::Conn;
use crate::sql::Sql;
use crate::writer::Upkeep;

/// Segments a search may read before the index is merged again: a search in 6 costs about 1.7 times one
/// in a merged index, and reaching 7 again after a merge takes tens of new or changed events.
pub(crate) const MERGE_ABOVE_SEGMENTS: i64 = 6;

/// Pages of merged index a step asks FTS5 to write. FTS5 finishes the word it is writing before it
/// stops, so a step writing a long list (a one-letter prefix) writes more.
const STEP_PAGES: i64 = 64;

/// The pause between two steps of one merge: the reads sharing the machine get the rest.
const BETWEEN_STEPS: Duration = Duration::from_millis(10);

/// How often an idle writer counts the index's segments.
pub(crate) const LOOK_EVERY: Duration = Duration::from_secs(60);

/// The least time between the starts of two merges.
pub(crate) const MERGE_AT_MOST_EVERY: Duration = Duration::from_secs(600);

/// After a failed step (another process holding the write lock, a full disk), the time before trying
/// again.
const AFTER_A_FAILURE: Duration = Duration::from_secs(120);

/// The merge's state: between merges, or one under way.
#[derive(Debug, Default)]
pub(crate) struct SearchMerge {
    under_way: Option<Merge>,
    /// When the last merge began.
    last_began: Option<Instant>,
}

/// A merge under way.
#[derive(Debug, Clone, Copy)]
struct Merge {
    began: Instant,
    steps: u32,
    /// Steps after which it stops even if FTS5 still finds work (its own merges of segments that new
    /// events keep adding): twice what rewriting the index once takes.
    at_most: u32,
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    number: i64,
}

fn number(conn: &mut Conn, sql: &'static str) -> QueryResult<i64> {
    Sql::new(sql).get_result::<Number>(conn).map(|row| row.number)
}

/// The segments of the index: each has rows of its own in FTS5's `%_idx` table (a few hundred rows at a
/// million events).
pub(crate) fn segments(conn: &mut Conn) -> QueryResult<i64> {
    number(
        conn,
        "SELECT count(DISTINCT segid) AS number FROM events_search_idx",
    )
}

/// One step of the merge, in a transaction of its own (raw statements, as the writer's own batches are,
/// so that nothing of Diesel's transaction bookkeeping can outlive a failure): the first (`starting`)
/// gathers every segment into one merge (FTS5's `merge` with a negative page count), the next ones go on
/// with the merge under way (a positive count: segments added meanwhile by new events are left out).
/// Answers whether there was anything to merge: FTS5's documented sign is a change count that moves by
/// two or more.
fn merge_step(conn: &mut Conn, starting: bool) -> QueryResult<bool> {
    Sql::new("BEGIN IMMEDIATE").execute(conn)?;
    let step = (|| {
        let before = number(conn, "SELECT total_changes() AS number")?;
        Sql::new("INSERT INTO events_search (events_search, rank) VALUES ('merge', ?)")
            .int(if starting { -STEP_PAGES } else { STEP_PAGES })
            .execute(conn)?;
        let merged = number(conn, "SELECT total_changes() AS number")? - before >= 2;
        Sql::new("COMMIT").execute(conn)?;
        Ok(merged)
    })();
    if step.is_err() {
        // Whatever failed, the transaction is not left open for the next write.
        let _ = conn.batch_execute("ROLLBACK");
    }
    step
}

impl SearchMerge {
    /// One step, or none when no merge is due; answers how long until the next look.
    pub(crate) fn try_step(&mut self, conn: &mut Conn) -> QueryResult<Duration> {
        let now = Instant::now();
        let merge = match self.under_way {
            Some(merge) => merge,
            None => {
                if let Some(next) = self.last_began.map(|began| began + MERGE_AT_MOST_EVERY)
                    && now < next
                {
                    return Ok(next - now);
                }
                if segments(conn)? <= MERGE_ABOVE_SEGMENTS {
                    return Ok(LOOK_EVERY);
                }
                let pages = number(conn, "SELECT count(*) AS number FROM events_search_data")?;
                let rewrite = u32::try_from(pages / STEP_PAGES).unwrap_or(u32::MAX);
                Merge {
                    began: now,
                    steps: 0,
                    at_most: rewrite.saturating_mul(2).saturating_add(100),
                }
            }
        };
        let merged = merge_step(conn, merge.steps == 0)?;
        let merge = Merge {
            steps: merge.steps + 1,
            ..merge
        };
        if merge.steps == 1 {
            self.last_began = Some(merge.began);
        }
        if merged && merge.steps < merge.at_most {
            self.under_way = Some(merge);
            return Ok(BETWEEN_STEPS);
        }
        tracing::info!(
            steps = merge.steps,
            seconds = merge.began.elapsed().as_secs_f64(),
            segments = segments(conn)?,
            "search index merged"
        );
        self.under_way = None;
        Ok(LOOK_EVERY)
    }
}

impl Upkeep for SearchMerge {
    fn step(&mut self, conn: &mut Conn) -> Duration {
        self.try_step(conn).unwrap_or_else(|error| {
            tracing::warn!(%error, "a step merging the search index failed; it is tried again later");
            // A merge under way goes on from where FTS5 left it: nothing to undo here.
            AFTER_A_FAILURE
        })
    }
}
