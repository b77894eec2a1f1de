//! Keeps the search index in few segments. FTS5 writes each transaction's new entries as a segment of
//! its own and merges segments of like size four at a time, so an index holds a few segments for each
//! power of four of its size (15 at 100,000 events), and every search seeks its words in each one: a
//! rare word's page cost 26 µs in the index with 15 segments, 7 µs with one. The writer thread, when no
//! write waits, merges every segment into one in short steps, at most once in [`MERGE_AT_MOST_EVERY`]
//! and only when the index changed since the last merge (a whole merge rewrites the index: 0.6 s of
//! steps at 100,000 events).

use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::conn::Conn;
use crate::writer::Upkeep;

/// Pages of merged index a step writes (4 ms, 11 at most, at 100,000 events).
const STEP_PAGES: i64 = 64;

/// The pause between two steps of one merge: the reads sharing the machine get the rest.
const BETWEEN_STEPS: Duration = Duration::from_millis(10);

/// How often an idle writer looks whether the index changed.
pub(crate) const LOOK_EVERY: Duration = Duration::from_secs(60);

/// The least time between the starts of two merges: the write cost of keeping the index merged is at
/// most one rewrite of it in this time.
pub(crate) const MERGE_AT_MOST_EVERY: Duration = Duration::from_secs(600);

/// After a failed step (another process holding the write lock, a full disk), the time before trying
/// again.
const AFTER_A_FAILURE: Duration = Duration::from_secs(60);

/// The merge's state: between merges, or one under way.
#[derive(Debug, Default)]
pub(crate) struct SearchMerge {
    /// The index version (`event_total.search_version`) the last finished merge began at.
    merged: Option<i64>,
    /// The merge under way: the version it began at, when, and its steps so far.
    under_way: Option<(i64, Instant, u32)>,
    /// When the last merge began.
    last_began: Option<Instant>,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    search_version: i64,
}

#[derive(QueryableByName)]
struct Changes {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    changes: i64,
}

fn total_changes(conn: &mut Conn) -> QueryResult<i64> {
    crate::sql::Sql::new("SELECT total_changes() AS changes")
        .get_result::<Changes>(conn)
        .map(|row| row.changes)
}

/// One step of the merge in a transaction of its own: the first (`starting`) gathers every segment into
/// one merge (FTS5's `merge` with a negative page count), the next ones go on with the merge under way
/// (a positive count: segments added meanwhile by new events are left out, so the merge ends however
/// often events change). Answers whether there was anything to merge: FTS5's documented sign is a change
/// count that moves by two or more.
fn merge_step(conn: &mut Conn, starting: bool) -> QueryResult<bool> {
    conn.immediate_transaction(|conn| {
        let before = total_changes(conn)?;
        crate::sql::Sql::new("INSERT INTO events_search (events_search, rank) VALUES ('merge', ?)")
            .int(if starting { -STEP_PAGES } else { STEP_PAGES })
            .execute(conn)?;
        Ok(total_changes(conn)? - before >= 2)
    })
}

impl SearchMerge {
    fn try_step(&mut self, conn: &mut Conn) -> QueryResult<Duration> {
        let now = Instant::now();
        let (version, began, steps) = match self.under_way {
            Some(under_way) => under_way,
            None => {
                if let Some(next) = self.last_began.map(|began| began + MERGE_AT_MOST_EVERY)
                    && now < next
                {
                    return Ok(next - now);
                }
                let version = crate::sql::Sql::new("SELECT search_version FROM event_total WHERE id = 1")
                    .get_result::<Version>(conn)?
                    .search_version;
                if self.merged == Some(version) {
                    return Ok(LOOK_EVERY);
                }
                (version, now, 0)
            }
        };
        let merged = merge_step(conn, steps == 0)?;
        let steps = steps + 1;
        if steps == 1 {
            self.last_began = Some(began);
        }
        if merged {
            self.under_way = Some((version, began, steps));
            return Ok(BETWEEN_STEPS);
        }
        if steps > 1 {
            tracing::info!(
                steps,
                seconds = began.elapsed().as_secs_f64(),
                "search index merged into one segment"
            );
        }
        self.merged = Some(version);
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
