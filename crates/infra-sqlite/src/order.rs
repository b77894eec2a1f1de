//! Positions: an integer per event that sorts like the event list (`event_time`, then `id`), kept in
//! `event_order`. The search index stores each event under its position, so matches come out of it
//! already in list order and a page is read without sorting every match.
//!
//! A new position goes between its neighbours' positions, near the event's time scaled to an integer,
//! so that positions keep gaps proportional to time. When two neighbours leave no gap, the positions of a
//! window of events around the new one are spread out evenly; the window doubles until it has room, so
//! the work stays small however the events arrive (the classic order-maintenance scheme).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{BigInt, Nullable, Timestamp};

use crate::buckets::{self, BucketCount};
use crate::conn::Conn;
use crate::schema::events::SqlType as EventColumns;
use crate::sql::{Rows, Sql};
use crate::time::StoredTime;

/// The position an event would take with no neighbour near it: its time in sixteenths of a microsecond,
/// so events at different times leave room for many between them.
#[cfg(not(test))]
fn ideal(time: NaiveDateTime) -> i128 {
    i128::from(time.and_utc().timestamp_micros()) * 16
}

/// In tests, four positions a day: gaps run out all the time, so spreading is exercised.
#[cfg(test)]
fn ideal(time: NaiveDateTime) -> i128 {
    i128::from(time.and_utc().timestamp().div_euclid(86_400)) * 4
}

/// How far past its neighbour an event goes when its ideal position is taken (events at one time, in
/// the order they were created).
const STEP: i128 = if cfg!(test) { 1 } else { 1 << 16 };

/// A position's bucket is the position shifted right by this many bits; `position_buckets` counts the events
/// in each (the 40 in migration `2026-11-26-000006`).
const BUCKET_BITS: u32 = 40;

/// Below this offset a page steps over the rows before it directly; from it on, the bucket totals are
/// added up first.
const DIRECT_OFFSET: i64 = 1_000;

/// The smallest window spread out when a gap runs out.
const FIRST_WINDOW: i64 = 8;

/// An event whose position changed to make room: the search index must move it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Moved {
    pub event_id: i64,
    pub from: i64,
    pub to: i64,
}

#[derive(QueryableByName, Debug, Clone, Copy)]
struct Neighbour {
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

#[derive(Clone, Copy)]
enum Side {
    Before,
    After,
}

/// Up to `count` positioned events nearest to (`time`, `id`) on one side in list order, nearest first.
fn neighbours(
    conn: &mut Conn,
    side: Side,
    time: NaiveDateTime,
    id: i64,
    count: i64,
) -> QueryResult<Vec<Neighbour>> {
    let sql = match side {
        Side::Before => {
            "SELECT e.id AS event_id, o.position AS position \
             FROM events AS e INDEXED BY events_by_time CROSS JOIN event_order AS o ON o.event_id = e.id \
             WHERE (e.event_time, e.id) < (?, ?) ORDER BY e.event_time DESC, e.id DESC LIMIT ?"
        }
        Side::After => {
            "SELECT e.id AS event_id, o.position AS position \
             FROM events AS e INDEXED BY events_by_time CROSS JOIN event_order AS o ON o.event_id = e.id \
             WHERE (e.event_time, e.id) > (?, ?) ORDER BY e.event_time, e.id LIMIT ?"
        }
    };
    Sql::new(sql).timestamp(time).int(id).int(count).load(conn)
}

/// A free position strictly between `low` and `high` (no bound: the end of the range), as near `ideal`
/// as the gap allows; `None` when there is no gap.
fn between(low: Option<i64>, high: Option<i64>, ideal: i128) -> Option<i64> {
    let lo = low.map_or(i128::from(i64::MIN), |p| i128::from(p) + 1);
    let hi = high.map_or(i128::from(i64::MAX), |p| i128::from(p) - 1);
    if lo > hi {
        return None;
    }
    let room = (hi - lo) / 2;
    let chosen = if ideal < lo {
        lo + room.min(STEP - 1)
    } else if ideal > hi {
        hi - room.min(STEP - 1)
    } else {
        ideal
    };
    Some(i64::try_from(chosen).expect("a position between two i64 values fits in an i64"))
}

/// Records `event_id` at a `position` known to be free and in its list place.
pub(crate) fn insert(conn: &mut Conn, event_id: i64, position: i64) -> QueryResult<()> {
    Sql::new("INSERT INTO event_order (event_id, position) VALUES (?, ?)")
        .int(event_id)
        .int(position)
        .execute(conn)
        .map(drop)
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = BigInt)]
    position: i64,
}

/// Forgets an event's position, returning it (`None` if it had none).
pub(crate) fn remove(conn: &mut Conn, event_id: i64) -> QueryResult<Option<i64>> {
    Sql::new("DELETE FROM event_order WHERE event_id = ? RETURNING position")
        .int(event_id)
        .get_result::<Position>(conn)
        .optional()
        .map(|row| row.map(|row| row.position))
}

/// Gives event `id`, whose list place is (`time`, `id`) and which has no position, its position; returns
/// it with the events that moved to make room.
pub(crate) fn place(conn: &mut Conn, id: i64, time: NaiveDateTime) -> QueryResult<(i64, Vec<Moved>)> {
    let before = neighbours(conn, Side::Before, time, id, 1)?;
    let after = neighbours(conn, Side::After, time, id, 1)?;
    let free = between(
        before.first().map(|n| n.position),
        after.first().map(|n| n.position),
        ideal(time),
    );
    if let Some(position) = free {
        insert(conn, id, position)?;
        return Ok((position, Vec::new()));
    }
    spread(conn, id, time)
}

/// Spreads out the positions of a window of events around (`time`, `id`) evenly between the window's
/// outer neighbours, with the new event in its place among them.
fn spread(conn: &mut Conn, id: i64, time: NaiveDateTime) -> QueryResult<(i64, Vec<Moved>)> {
    let mut reach = FIRST_WINDOW;
    loop {
        let before = neighbours(conn, Side::Before, time, id, reach + 1)?;
        let after = neighbours(conn, Side::After, time, id, reach + 1)?;
        let inner = usize::try_from(reach).expect("the window is small and positive");
        let low = before.get(inner).map(|n| n.position);
        let high = after.get(inner).map(|n| n.position);
        let mut members: Vec<Option<Neighbour>> =
            before.iter().take(inner).rev().copied().map(Some).collect();
        members.push(None);
        members.extend(after.iter().take(inner).copied().map(Some));

        let lo = low.map_or(i128::from(i64::MIN), |p| i128::from(p) + 1);
        let hi = high.map_or(i128::from(i64::MAX), |p| i128::from(p) - 1);
        let slots = hi - lo + 1;
        let count = i128::try_from(members.len()).expect("the window is small");
        // Four free slots per member leave room for the next insertions before spreading again.
        if slots < count * 4 && (low.is_some() || high.is_some()) {
            reach *= 2;
            continue;
        }
        let mut moved = Vec::new();
        let mut own = None;
        let mut placed = Vec::with_capacity(members.len());
        for (k, member) in (0i128..).zip(&members) {
            let position = i64::try_from(lo + slots * (2 * k + 1) / (2 * count))
                .expect("an even spread between two i64 values fits in an i64");
            match member {
                Some(neighbour) => {
                    if neighbour.position != position {
                        moved.push(Moved {
                            event_id: neighbour.event_id,
                            from: neighbour.position,
                            to: position,
                        });
                    }
                }
                None => own = Some(position),
            }
            placed.push((member.map_or(id, |n| n.event_id), position));
        }
        // Old and new positions of the window overlap: free them all before taking the new ones.
        for m in &moved {
            remove(conn, m.event_id)?;
        }
        for (event_id, position) in placed {
            if event_id == id || moved.iter().any(|m| m.event_id == event_id) {
                insert(conn, event_id, position)?;
            }
        }
        let own = own.expect("the new event is always in its own window");
        return Ok((own, moved));
    }
}

/// The events from the position bound, after skipping some, at most a limit. The positions are skipped
/// in their own index first: rows skipped by a statement that joins the events would each read their
/// event (a page at skip=50,000 ran at a twelfth of its speed).
pub(crate) const PAGE_SQL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM (SELECT position, event_id FROM event_order WHERE position >= ? \
            ORDER BY position LIMIT ? OFFSET ?) AS page \
     CROSS JOIN events ON events.id = page.event_id ORDER BY page.position"
);

/// The events at `offset..offset + limit` in list order, each row as `Row` reads it. A deep page first
/// finds, from the bucket totals, the bucket its first event is in and how many events come before that
/// bucket, then skips only the rest; the events are joined in the same statement.
pub(crate) fn page<Row>(conn: &mut Conn, offset: i64, limit: i64) -> QueryResult<Vec<Row>>
where
    Rows<EventColumns>: LoadQuery<'static, Conn, Row>,
{
    let (from, skip) = if offset < DIRECT_OFFSET {
        (i64::MIN, offset)
    } else {
        let counts: Vec<BucketCount> =
            Sql::new("SELECT bucket, events AS count FROM position_buckets ORDER BY bucket").load(conn)?;
        match buckets::locate(&counts, offset) {
            Some((bucket, before)) => (bucket << BUCKET_BITS, offset - before),
            None => return Ok(Vec::new()),
        }
    };
    Sql::new(PAGE_SQL)
        .int(from)
        .int(limit)
        .int(skip)
        .rows()
        .load(conn)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// The first event in list order starting at or after `time`: its position and start; `None` when every
/// event starts before it.
fn first_from(conn: &mut Conn, time: NaiveDateTime) -> QueryResult<Option<(i64, NaiveDateTime)>> {
    #[derive(QueryableByName)]
    struct First {
        #[diesel(sql_type = BigInt)]
        position: i64,
        #[diesel(sql_type = Timestamp)]
        event_time: StoredTime,
    }
    Sql::new(
        "SELECT o.position AS position, e.event_time AS event_time \
         FROM events AS e INDEXED BY events_by_time CROSS JOIN event_order AS o ON o.event_id = e.id \
         WHERE e.event_time >= ? ORDER BY e.event_time, e.id LIMIT 1",
    )
    .timestamp(time)
    .get_result::<First>(conn)
    .optional()
    .map(|row| row.map(|row| (row.position, row.event_time.0)))
}

/// The latest start of an event before `time`; `None` when no event starts before it.
fn latest_before(conn: &mut Conn, time: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    #[derive(QueryableByName)]
    struct Latest {
        #[diesel(sql_type = Nullable<Timestamp>)]
        event_time: Option<StoredTime>,
    }
    Sql::new("SELECT max(event_time) AS event_time FROM events WHERE event_time < ?")
        .timestamp(time)
        .get_result::<Latest>(conn)
        .map(|row| row.event_time.map(|time| time.0))
}

/// Where the list divides at an instant: the position of the first event starting at or after it
/// (`None`: no event starts that late) and how many events come before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Boundary {
    pub position: Option<i64>,
    pub before: i64,
}

/// The boundary the last reading found, remembered with the index version it was read at
/// (`event_total.search_version`, which every change of the positions or of the number of events raises
/// in its own transaction) and the instants it holds for: every `upcoming` and `past` page of the event
/// list and every such search needs it, and between two changes it moves only when an event's start
/// passes. Finding it took two statements (the first event from the instant, and the count before it
/// through the bucket totals: 5% of a search's CPU under load, `perf`); remembering it takes a third, the
/// latest start before the instant.
#[derive(Debug, Default)]
pub(crate) struct Boundaries {
    last: std::sync::Mutex<Option<Remembered>>,
}

#[derive(Debug, Clone, Copy)]
struct Remembered {
    version: i64,
    /// The boundary is the same for every instant after `after` (the latest start before it; `None`:
    /// from the beginning of time) up to `until` (its own event's start; `None`: for ever).
    after: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
    boundary: Boundary,
}

impl Remembered {
    fn holds(&self, version: i64, at: NaiveDateTime) -> bool {
        self.version == version
            && self.after.is_none_or(|after| after < at)
            && self.until.is_none_or(|until| at <= until)
    }
}

impl Boundaries {
    /// The boundary at `at` among the `all` events of index `version`, both read in `conn`'s snapshot.
    pub(crate) fn at(
        &self,
        conn: &mut Conn,
        version: i64,
        all: i64,
        at: NaiveDateTime,
    ) -> QueryResult<Boundary> {
        if let Some(remembered) = *self.lock()
            && remembered.holds(version, at)
        {
            return Ok(remembered.boundary);
        }
        let (boundary, until) = match first_from(conn, at)? {
            Some((position, start)) => (
                Boundary {
                    position: Some(position),
                    before: count_before(conn, position)?,
                },
                Some(start),
            ),
            None => (
                Boundary {
                    position: None,
                    before: all,
                },
                None,
            ),
        };
        *self.lock() = Some(Remembered {
            version,
            after: latest_before(conn, at)?,
            until,
            boundary,
        });
        Ok(boundary)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Remembered>> {
        // A panic while holding the lock leaves a whole `Option` behind: still a valid memo.
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// How many events come before `position` in list order: the bucket totals before its bucket, plus the
/// positions below it within its bucket. Reads the bucket rows and at most one bucket's positions.
fn count_before(conn: &mut Conn, position: i64) -> QueryResult<i64> {
    let bucket = position >> BUCKET_BITS;
    Sql::new(
        "SELECT (SELECT coalesce(sum(events), 0) FROM position_buckets WHERE bucket < ?) \
              + (SELECT count(*) FROM event_order WHERE position >= ? AND position < ?) AS count",
    )
    .int(bucket)
    .int(bucket << BUCKET_BITS)
    .int(position)
    .get_result::<Count>(conn)
    .map(|row| row.count)
}

/// Positions for every event, in list order, by time (or evenly by rank when times crowd the end of the
/// range): used by the start-up rebuild. Returns each event's id and position.
pub(crate) fn rebuild(conn: &mut Conn) -> QueryResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Listed {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Timestamp)]
        event_time: NaiveDateTime,
    }
    Sql::new("DELETE FROM event_order").execute(conn)?;
    let events: Vec<Listed> =
        Sql::new("SELECT id, event_time FROM events ORDER BY event_time, id").load(conn)?;
    let mut placed = Vec::with_capacity(events.len());
    let mut previous = None;
    for event in &events {
        let Some(position) = between(previous, None, ideal(event.event_time)) else {
            break;
        };
        placed.push((event.id, position));
        previous = Some(position);
    }
    if placed.len() < events.len() {
        let slots = i128::from(u64::MAX) + 1;
        let count = i128::try_from(events.len()).expect("an event count fits in i128");
        placed = (0i128..)
            .zip(&events)
            .map(|(k, event)| {
                let position = i128::from(i64::MIN) + slots * (2 * k + 1) / (2 * count);
                (
                    event.id,
                    i64::try_from(position).expect("an even spread over i64 fits in i64"),
                )
            })
            .collect();
    }
    for (event_id, position) in &placed {
        insert(conn, *event_id, *position)?;
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::tests::migrated;
    use diesel::connection::SimpleConnection;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    /// An event's row as a page reads it, column by column.
    type Listed = (
        i64,
        String,
        StoredTime,
        String,
        i64,
        i64,
        i64,
        i64,
        i64,
        StoredTime,
        Option<String>,
        Option<String>,
        Option<f64>,
        Option<f64>,
        Option<String>,
        Option<String>,
        Option<String>,
        i64,
        Option<StoredTime>,
    );

    fn ids(conn: &mut Conn, sql: &str) -> Vec<i64> {
        diesel::sql_query(sql)
            .load::<Id>(conn)
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect()
    }

    /// A database with one organiser, whose events [`add_event`] stores and places.
    fn with_organiser() -> (tempfile::TempDir, Conn) {
        let (dir, mut conn) = migrated();
        conn.batch_execute(
            "INSERT INTO users (username, email, password_hash, password_changed_at, created_at) \
             VALUES ('o', 'o@example.com', 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
        )
        .unwrap();
        (dir, conn)
    }

    /// Stores the event `id` starting at `at` (`YYYY-MM-DD HH:MM:SS[.f]`) and places it; answers the
    /// events the placing moved.
    fn add_event(conn: &mut Conn, id: i64, at: &str) -> Vec<Moved> {
        conn.batch_execute(&format!(
            "INSERT INTO events (id, name, event_time, description, duration_hours, duration_minutes, \
                                 tickets_sold, max_tickets, owner_id, created_at) \
             VALUES ({id}, 'e', '{at}', '', 1, 0, 0, 10, 1, '2026-01-01 00:00:00')"
        ))
        .unwrap();
        let time = NaiveDateTime::parse_from_str(at, "%F %T%.f").unwrap();
        place(conn, id, time).unwrap().1
    }

    #[test]
    fn crowded_times_spread_positions_and_keep_the_list_order() {
        let (_dir, mut conn) = with_organiser();
        let mut spreads = 0;
        // Three times, visited in an order that keeps landing between taken positions.
        for i in 0..400i64 {
            let time = format!("2027-01-0{} 10:00:00", 1 + (i * 7) % 3);
            let moved = add_event(&mut conn, 1000 - i * 2 + (i % 5) * 1000, &time);
            spreads += usize::from(!moved.is_empty());
        }
        assert!(
            spreads > 10,
            "the test's tiny gaps run out often ({spreads} spreads)"
        );
        assert_eq!(
            ids(
                &mut conn,
                "SELECT event_id AS id FROM event_order ORDER BY position"
            ),
            ids(&mut conn, "SELECT id FROM events ORDER BY event_time, id"),
        );
    }

    #[test]
    fn deep_pages_through_bucket_totals_match_stepping_over_every_row() {
        let (_dir, mut conn) = migrated();
        // 3,000 positions over a few dozen buckets of uneven sizes, some negative.
        let mut sql = String::from("INSERT INTO event_order (event_id, position) VALUES ");
        let rows: Vec<String> = (0..3_000i64)
            .map(|i| {
                let bucket = (i * i) % 37 - 5;
                format!("({}, {})", i + 1, (bucket << BUCKET_BITS) + i)
            })
            .collect();
        sql.push_str(&rows.join(", "));
        conn.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
        conn.batch_execute(&sql).unwrap();
        // A page reads its events with its positions: each position's event, whose time does not matter
        // here.
        conn.batch_execute(
            "INSERT INTO events (id, name, event_time, description, duration_hours, duration_minutes, \
                                 tickets_sold, max_tickets, owner_id, created_at) \
             SELECT event_id, 'e', '2027-01-01 10:00:00', '', 1, 0, 0, 10, 1, '2026-01-01 00:00:00' \
             FROM event_order",
        )
        .unwrap();
        for offset in [0, 5, 999, 1_000, 1_001, 1_777, 2_990, 2_999, 3_000, 5_000] {
            for limit in [1, 10, 100] {
                let stepped = ids(
                    &mut conn,
                    &format!(
                        "SELECT event_id AS id FROM event_order ORDER BY position LIMIT {limit} OFFSET {offset}"
                    ),
                );
                let paged: Vec<i64> = page::<Listed>(&mut conn, offset, limit)
                    .unwrap()
                    .into_iter()
                    .map(|row| row.0)
                    .collect();
                assert_eq!(paged, stepped, "{offset}+{limit}");
            }
        }
    }

    #[test]
    fn counts_before_a_position_match_counting_every_row() {
        let (_dir, mut conn) = migrated();
        let mut sql = String::from("INSERT INTO event_order (event_id, position) VALUES ");
        let rows: Vec<String> = (0..2_000i64)
            .map(|i| {
                let bucket = (i * i) % 23 - 7;
                format!("({}, {})", i + 1, (bucket << BUCKET_BITS) + i * 3)
            })
            .collect();
        sql.push_str(&rows.join(", "));
        conn.batch_execute("PRAGMA foreign_keys = OFF").unwrap();
        conn.batch_execute(&sql).unwrap();
        let probes = [
            i64::MIN,
            -(7 << BUCKET_BITS),
            -1,
            0,
            1,
            3 << BUCKET_BITS,
            (5 << BUCKET_BITS) + 1_500,
            i64::MAX,
        ];
        for position in probes {
            let counted = diesel::sql_query(format!(
                "SELECT count(*) AS count FROM event_order WHERE position < {position}"
            ))
            .get_result::<Count>(&mut conn)
            .unwrap()
            .count;
            assert_eq!(count_before(&mut conn, position).unwrap(), counted, "{position}");
        }
    }

    /// The boundary read afresh and plainly: the position of the first event from `at` in list order, and
    /// the events before it counted row by row.
    fn boundary_by_counting(conn: &mut Conn, at: NaiveDateTime) -> Boundary {
        let at = at.format("%F %T%.f");
        let position = diesel::sql_query(format!(
            "SELECT o.position AS position FROM events AS e JOIN event_order AS o ON o.event_id = e.id \
             WHERE e.event_time >= '{at}' ORDER BY e.event_time, e.id LIMIT 1"
        ))
        .get_result::<Position>(conn)
        .optional()
        .unwrap()
        .map(|row| row.position);
        let before = diesel::sql_query(format!(
            "SELECT count(*) AS count FROM events WHERE event_time < '{at}'"
        ))
        .get_result::<Count>(conn)
        .unwrap()
        .count;
        Boundary { position, before }
    }

    #[test]
    fn a_remembered_boundary_is_the_one_read_afresh_at_every_instant_and_version() {
        let (_dir, mut conn) = with_organiser();
        let time = |text: &str| NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
        // Two events at the same start, and starts a millisecond apart.
        for (id, at) in [
            (1, "2027-01-01 10:00:00"),
            (2, "2027-01-01 10:00:00"),
            (3, "2027-01-01 10:00:00.001"),
            (4, "2027-01-02 09:30:00"),
        ] {
            add_event(&mut conn, id, at);
        }
        // Instants before, at, between and after the starts, visited back and forth so that each reading
        // may answer from the one before it.
        let instants = [
            "2026-12-31 00:00:00",
            "2027-01-01 10:00:00",
            "2027-01-01 09:59:59.999999",
            "2027-01-01 10:00:00.000001",
            "2027-01-01 10:00:00.001",
            "2027-01-01 10:00:00.0005",
            "2027-01-02 09:30:00",
            "2027-01-02 09:30:00.000001",
            "2028-01-01 00:00:00",
            "2027-01-01 10:00:00",
            "2027-01-01 12:00:00",
            // Exactly the latest start before the boundary just remembered: a boundary of its own.
            "2027-01-01 10:00:00.001",
            "2027-01-01 12:00:00",
        ];
        let boundaries = Boundaries::default();
        for (version, event_count) in [(7, 4), (8, 5)] {
            if version == 8 {
                // A change inside the instants the last boundary holds for (the last instant's, read
                // first below): the version moves with it.
                add_event(&mut conn, 5, "2027-01-01 11:00:00");
            }
            for round in 0..2 {
                for at in instants
                    .iter()
                    .rev()
                    .take(1)
                    .chain(&instants)
                    .map(|text| time(text))
                {
                    assert_eq!(
                        boundaries.at(&mut conn, version, event_count, at).unwrap(),
                        boundary_by_counting(&mut conn, at),
                        "at {at}, version {version}, round {round}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_free_position_is_strictly_between_the_neighbours() {
        assert_eq!(between(Some(10), Some(20), 15), Some(15));
        assert_eq!(
            between(Some(10), Some(20), 3),
            Some(11),
            "past the lower neighbour by a step"
        );
        assert_eq!(between(Some(10), Some(20), 99), Some(19));
        assert_eq!(between(Some(10), Some(11), 10), None);
        assert_eq!(between(Some(10), Some(12), 0), Some(11));
        assert_eq!(between(None, None, 7), Some(7));
        assert_eq!(between(Some(i64::MAX - 1), None, i128::MAX), Some(i64::MAX));
        assert_eq!(between(Some(i64::MAX), None, 0), None);
    }
}
