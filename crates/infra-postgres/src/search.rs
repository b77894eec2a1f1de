//! Searching the event list: a page of the events whose tokens match every term of a search, in the
//! list's order (the whole list, or one side of an instant), and how many match in all.
//!
//! The tokens are the domain's (`plaza_domain::search`), held in a generated `tsvector` with a GIN index
//! and matched by a bound value cast to `tsquery`. What a search costs is kept to the size of its answer
//! where the kept counts allow:
//!
//! - **The total.** A one-word search reads its total from `search_key_counts` (migration
//!   `2026-12-05-000021`), less (or only) the matches on the smaller side of the instant, counted in the
//!   index: communities have more past events than upcoming ones, so "upcoming" counts the upcoming
//!   matches directly, and a list with no past events counts nothing at all. A search of several words
//!   counts its matches on its side in the index, and remembers the count (`CountMemo`) under the version
//!   every change of the events' text or times raises (migration `2026-12-05-000022`): the same search
//!   asked again before the next such change is not counted again.
//! - **The page of a one-word search** (the words `search_key_counts` counts) is read from the word's
//!   counts per bucket of time (`search_key_buckets`, migration `2026-12-05-000028`, function
//!   `search_key_page`): the counts are added up in the side's order up to the bucket of the page's
//!   first match, and the page is read from there bucket by bucket, each read bounded to one bucket's
//!   events (walked in list order for a word more events hold than the bucket has, left to the planner
//!   for a rarer one) — wherever in the list its matches lie, and however far apart. A common word's
//!   first pages are walked for first (below), over at most 200 rows, which costs less than the
//!   function when it finds the page.
//! - **The page of a search of several words**, read the cheaper of two ways: walking the list in order
//!   (the time index) and keeping the rows that match, which reads about
//!   `(offset + limit) × events / matches` rows when the matches are spread over time — few for common
//!   words; or taking every match from the GIN index and sorting them, which reads `matches` rows — few
//!   for rare words. The walk stops after four times the rows it expects; matches bunched elsewhere in
//!   the list (words only recent events hold) then fall back to sorting, so a page never reads much more
//!   than the matches.
//!
//! **In one statement.** The same reading is also written as one PL/pgSQL function,
//! `event_search_page` (migration `2026-12-06-000031`), which the event repository joins to the events
//! in one statement outside a transaction: one round trip instead of five (`BEGIN`, the sizes, the page,
//! the events, `COMMIT`). It is tried first. A total that needs a count is taken from the memo, looked up
//! under the sizes the last search read ([`LastSizes`], [`one_statement`]), and the function takes it only
//! if the sizes are still those; when they are not, or nothing is remembered, or the page is empty, the
//! search is read here, which counts (once for every search waiting for the same count) and notes the
//! sizes for the next.
//!
//! The search connections' statement timeout (2 s) bounds each of a search's statements (up to four: the
//! sizes, a count, a walk and its fallback), not the search as a whole; read in one statement (which
//! never counts), the whole search.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use plaza_domain::count_memo::CountMemo;
use plaza_domain::event::TimeWindow;
use plaza_domain::search::SearchTerms;

use crate::db::{COUNT_TIMEOUT_MS, Conn, SEARCH_TIMEOUT_MS};
use crate::error::StoreError;
use crate::sql::Sql;

/// One page of event ids in list order, and the total they are a page of (a search's, or the list's).
#[derive(QueryableByName)]
pub(crate) struct PageIds {
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = Array<BigInt>)]
    pub ids: Vec<i64>,
}

/// Keys longer than this many characters are not counted in `search_key_counts` (migration
/// `2026-12-05-000021`), as on SQLite.
const MAX_COUNTED_PREFIX: usize = 12;

/// A search as a `tsquery` value: every term must match, a prefix term as a prefix. Tokens are taken as
/// they are (the value is cast, not parsed by a text-search configuration), quoted, and bound.
pub(crate) fn tsquery(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| {
            let quoted = term.token.replace('\\', "\\\\").replace('\'', "''");
            if term.prefix {
                format!("'{quoted}':*")
            } else {
                format!("'{quoted}'")
            }
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The part of the list a search reads, as SQL on the instant bound as `$2`.
struct Side {
    /// The list's name in the database's functions (`event_search_page`).
    list: &'static str,
    /// The events of this side.
    inside: &'static str,
    /// The events of the other side (`None`: there is none).
    outside: Option<&'static str>,
    order: &'static str,
}

impl Side {
    fn of(window: TimeWindow) -> (Self, NaiveDateTime) {
        match window {
            TimeWindow::All => (
                Self {
                    list: "all",
                    inside: "true",
                    outside: None,
                    order: "event_time, id",
                },
                chrono::DateTime::UNIX_EPOCH.naive_utc(),
            ),
            TimeWindow::Upcoming(now) => (
                Self {
                    list: "upcoming",
                    inside: "event_time >= $2",
                    outside: Some("event_time < $2"),
                    order: "event_time, id",
                },
                now.naive_utc(),
            ),
            TimeWindow::Past(now) => (
                Self {
                    list: "past",
                    inside: "event_time < $2",
                    outside: Some("event_time >= $2"),
                    order: "event_time DESC, id DESC",
                },
                now.naive_utc(),
            ),
        }
    }

    /// How many events lie on this side of the instant and beyond it, of `events` with `before` earlier
    /// than it.
    fn split(window: TimeWindow, events: i64, before: i64) -> (i64, i64) {
        match window {
            TimeWindow::All => (events, 0),
            TimeWindow::Upcoming(_) => (events - before, before),
            TimeWindow::Past(_) => (before, events - before),
        }
    }

    /// How a search's total is had: from the kept counts alone for a one-word search (`counted`) in the
    /// whole list or on a side with no events beyond it; from its key's count less its matches beyond,
    /// counted there, when that side is smaller; else by counting its matches on its own side.
    /// (`event_search_page`, migration `2026-12-06-000031`, decides the same.)
    fn total(&self, counted: bool, inside: i64, outside: i64) -> Total {
        match (counted, self.outside) {
            (true, None) => Total::Kept,
            (true, Some(_)) if outside == 0 => Total::Kept,
            (true, Some(beyond)) if outside < inside => Total::KeptLessCounted(beyond),
            _ => Total::Counted(self.inside),
        }
    }
}

/// How a search's total is had ([`Side::total`]); each counted one names the events it counts the
/// matches among, as SQL on the instant `$2`.
enum Total {
    Kept,
    KeptLessCounted(&'static str),
    Counted(&'static str),
}

impl Total {
    /// The events whose matches are counted, if any are.
    fn counting(&self) -> Option<&'static str> {
        match self {
            Self::Kept => None,
            Self::KeptLessCounted(condition) | Self::Counted(condition) => Some(condition),
        }
    }
}

/// The sizes the last search of each instant read (`All`'s, and the windows' of now), so that the next
/// search can look up the count it needs in the memo before it reaches the database, and send it along
/// with the search: [`event_search_page`](one_statement) takes it only if the sizes are still those.
#[derive(Debug, Default)]
pub(crate) struct LastSizes(std::sync::Mutex<[Option<Seen>; 2]>);

/// What a search read of the list's sizes.
#[derive(Debug, Clone, Copy)]
struct Seen {
    events: i64,
    before: i64,
    version: i64,
}

impl LastSizes {
    fn slot(window: TimeWindow) -> usize {
        usize::from(window != TimeWindow::All)
    }

    fn note(&self, window: TimeWindow, seen: Seen) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[Self::slot(window)] = Some(seen);
    }

    fn get(&self, window: TimeWindow) -> Option<Seen> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[Self::slot(window)]
    }
}

/// The values `event_search_page` (migration `2026-12-06-000031`) takes after the list and its instant:
/// the search's key and query, and the count its total needs if the memo holds one for the sizes the
/// last search read.
pub(crate) struct OneStatement {
    pub list: &'static str,
    pub instant: NaiveDateTime,
    pub key: Option<String>,
    pub query: String,
    pub known: Option<Known>,
}

/// A count the memo holds, and the sizes it holds for: the version of what searches find and the number of
/// events before the instant.
#[derive(Clone, Copy)]
pub(crate) struct Known {
    pub version: i64,
    pub before: i64,
    pub count: i64,
}

/// What an instance remembers between searches: counts by the version they were made at, and the sizes
/// the last search read.
#[derive(Clone, Copy)]
pub(crate) struct Remembered<'a> {
    pub counts: &'a CountMemo,
    pub sizes: &'a LastSizes,
}

/// What to send `event_search_page` for `terms` in `window`.
pub(crate) fn one_statement(
    Remembered { counts, sizes: last }: Remembered<'_>,
    terms: &SearchTerms,
    window: TimeWindow,
) -> OneStatement {
    let (side, instant) = Side::of(window);
    let key = counted_key(terms);
    let query = tsquery(terms);
    let known = last.get(window).and_then(|seen| {
        let (inside, outside) = Side::split(window, seen.events, seen.before);
        let condition = side.total(key.is_some(), inside, outside).counting()?;
        let memo = Memo {
            counts,
            version: seen.version,
            before: seen.before,
        };
        let count = counts.get(&memo.key(&query, condition), seen.version)?;
        Some(Known {
            version: seen.version,
            before: seen.before,
            count,
        })
    });
    OneStatement {
        list: side.list,
        instant,
        key,
        query,
        known,
    }
}

#[derive(QueryableByName)]
struct Sizes {
    /// Every event.
    #[diesel(sql_type = BigInt)]
    events: i64,
    /// The events before the instant.
    #[diesel(sql_type = BigInt)]
    before: i64,
    /// The events holding the one word of the search, when they are counted.
    #[diesel(sql_type = BigInt)]
    keyed: i64,
    /// The version of what searches find (migration `2026-12-05-000022`).
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Ids {
    #[diesel(sql_type = Array<BigInt>)]
    ids: Vec<i64>,
}

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Where a count is remembered, and under what.
struct Memo<'a> {
    counts: &'a CountMemo,
    /// The version of what searches find, read with the sizes.
    version: i64,
    /// How many events lie before the instant: with the events unchanged (the same version), the same
    /// number splits them at the same place, whatever the instant's exact time.
    before: i64,
}

impl Memo<'_> {
    /// Where the count of `query`'s matches among the events `condition` keeps is filed.
    fn key(&self, query: &str, condition: &str) -> String {
        format!("{condition} {} {query}", self.before)
    }
}

/// The matches of `query` among the events `condition` keeps (on the instant `$2`), counted in the index
/// (every match's row is read: the GIN match is rechecked on the heap), or remembered from an earlier count
/// of the same matches at the same version. While another search counts them, `None` at once when `wait`
/// is `Waiting::No`: the caller lets go of its connection and waits for that count without it.
fn count_matches(
    conn: &mut Conn,
    memo: &Memo<'_>,
    query: &str,
    condition: &str,
    instant: NaiveDateTime,
    wait: Waiting,
) -> Result<Option<i64>, StoreError> {
    let key = memo.key(query, condition);
    let count = |conn: &mut Conn| {
        // A cold count of two common words among a million events took over the 2 s of a search, and
        // each cancelled count was begun again by the next search: none was ever remembered, and every
        // search of those words failed until the cache was warm. The count has a bound of its own.
        let timeout = |conn: &mut Conn, ms: u32| {
            diesel::sql_query(format!("SET LOCAL statement_timeout = {ms}")).execute(conn)
        };
        timeout(conn, COUNT_TIMEOUT_MS)?;
        let count = Sql::shaped(format!(
            "SELECT count(*) AS count FROM events WHERE search_vector @@ CAST($1 AS tsquery) AND {condition}"
        ))
        .text(query)
        .timestamp(instant)
        .get_result::<Count>(conn)?
        .count;
        timeout(conn, SEARCH_TIMEOUT_MS)?;
        Ok(count)
    };
    match wait {
        Waiting::Yes => memo
            .counts
            .get_or_count(&key, memo.version, || count(conn))
            .map(Some),
        Waiting::No => memo
            .counts
            .get_or_count_unless_counting(&key, memo.version, || count(conn)),
    }
}

/// Whether a search that needs a count another search is making waits for it holding its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// It waits: for a search that already waited a few rounds without its connection, so that it ends.
    Yes,
    /// It answers [`Searched::CountedElsewhere`] at once.
    No,
}

/// What [`page`] found.
pub(crate) enum Searched {
    Page(PageIds),
    /// Another search is counting the matches this one needs, under this key of the memo: wait for it
    /// ([`CountMemo::wait_for_count`]) without the connection, then search again. With two search
    /// connections, a search that waited holding one left every other search one connection, or none
    /// while a slow count ran on the other (at a million events, `503`s after the pool's 5 s).
    CountedElsewhere(String),
}

/// One page of the matches of `terms` in `window`, and how many match in all.
pub(crate) fn page(
    conn: &mut Conn,
    Remembered { counts, sizes: last }: Remembered<'_>,
    terms: &SearchTerms,
    window: TimeWindow,
    offset: i64,
    limit: i64,
    wait: Waiting,
) -> Result<Searched, StoreError> {
    let query = &tsquery(terms);
    let (side, instant) = Side::of(window);
    let key = counted_key(terms);
    let sizes: Sizes = Sql::new(
        "SELECT total.events, events_before($1) AS before, \
                coalesce((SELECT events FROM search_key_counts WHERE key = $2), 0) AS keyed, \
                total.search_version AS version \
         FROM event_total AS total",
    )
    .timestamp(instant)
    .text(key.as_deref().unwrap_or_default())
    .get_result(conn)?;
    // The whole list's count does not depend on where the instant falls: filed under 0 before it, as
    // `event_search_page` looks it up.
    let before = if window == TimeWindow::All {
        0
    } else {
        sizes.before
    };
    last.note(
        window,
        Seen {
            events: sizes.events,
            before,
            version: sizes.version,
        },
    );
    let (inside, outside) = Side::split(window, sizes.events, sizes.before);
    let memo = Memo {
        counts,
        version: sizes.version,
        before,
    };
    // The count, or the key under which another search is counting it now.
    let counted = |conn: &mut Conn, condition: &str| -> Result<Result<i64, String>, StoreError> {
        Ok(count_matches(conn, &memo, query, condition, instant, wait)?
            .ok_or_else(|| memo.key(query, condition)))
    };
    let total = match side.total(key.is_some(), inside, outside) {
        Total::Kept => Ok(sizes.keyed),
        Total::KeptLessCounted(other) => counted(conn, other)?.map(|others| sizes.keyed - others),
        Total::Counted(condition) => counted(conn, condition)?,
    };
    let total = match total {
        Ok(total) => total,
        Err(key) => return Ok(Searched::CountedElsewhere(key)),
    };
    debug_assert!(total >= 0, "the kept counts agree with the index");
    let wanted = limit.min(total.saturating_sub(offset));
    if wanted <= 0 {
        return Ok(Searched::Page(PageIds {
            total,
            ids: Vec::new(),
        }));
    }
    let reading = Reading {
        query,
        side: &side,
        instant,
        offset,
        limit,
    };
    // One word walks only a short way: past that, its bucket counts find the page for less.
    let walk = walk_length(offset, limit, total, inside)
        .filter(|&expected| key.is_none() || expected <= ONE_WORD_WALK);
    if let Some(expected) = walk {
        let ids = reading.walked(conn, expected)?;
        if i64::try_from(ids.len()).is_ok_and(|found| found == wanted) {
            return Ok(Searched::Page(PageIds { total, ids }));
        }
    }
    let ids = match key {
        Some(key) => reading.counted_by_bucket(conn, &key, sizes.keyed, window)?,
        None => reading.sorted(conn)?,
    };
    Ok(Searched::Page(PageIds { total, ids }))
}

/// A page of a search to read, and the ways to read it.
struct Reading<'a> {
    /// The search as a `tsquery` value.
    query: &'a str,
    side: &'a Side,
    /// The instant the side is of (`$2` in the side's SQL).
    instant: NaiveDateTime,
    offset: i64,
    limit: i64,
}

impl Reading<'_> {
    /// The page from a walk of the list in order, keeping the matches among the first `4 × expected`
    /// events of the side (fewer than the page when the matches lie elsewhere).
    fn walked(&self, conn: &mut Conn, expected: i64) -> Result<Vec<i64>, StoreError> {
        let (condition, order) = (self.side.inside, self.side.order);
        // The inner `LIMIT` also keeps the search out of the ordered scan, so the planner cannot turn it
        // back into a bitmap of every match.
        ids_of(
            Sql::shaped(format!(
                "SELECT id FROM (SELECT id, event_time, search_vector FROM events WHERE {condition} \
                                 ORDER BY {order} LIMIT $5) listed \
                 WHERE search_vector @@ CAST($1 AS tsquery) ORDER BY {order} LIMIT $3 OFFSET $4"
            ))
            .text(self.query)
            .timestamp(self.instant)
            .int(self.limit)
            .int(self.offset)
            .int(expected.saturating_mul(4)),
            conn,
        )
    }

    /// The page of a one-word search from its key's counts per bucket of time (`search_key_page`,
    /// migration `2026-12-05-000028`); `key_events` is how many events hold the key in all.
    fn counted_by_bucket(
        &self,
        conn: &mut Conn,
        key: &str,
        key_events: i64,
        window: TimeWindow,
    ) -> Result<Vec<i64>, StoreError> {
        Ok(
            Sql::new("SELECT search_key_page($1, $2, CAST($3 AS tsquery), $4, $5, $6, $7) AS ids")
                .text(key)
                .int(key_events)
                .text(self.query)
                .nullable_timestamp(self.side.outside.is_some().then_some(self.instant))
                .boolean(matches!(window, TimeWindow::Past(_)))
                .int(self.offset)
                .int(self.limit)
                .get_result::<Ids>(conn)?
                .ids,
        )
    }

    /// The page from every match on the side, sorted.
    fn sorted(&self, conn: &mut Conn) -> Result<Vec<i64>, StoreError> {
        let (condition, order) = (self.side.inside, self.side.order);
        // Materialized, so the planner cannot instead walk the time index filtering every event.
        ids_of(
            Sql::shaped(format!(
                "WITH matches AS MATERIALIZED \
                   (SELECT id, event_time FROM events \
                    WHERE search_vector @@ CAST($1 AS tsquery) AND {condition}) \
                 SELECT id FROM matches ORDER BY {order} LIMIT $3 OFFSET $4"
            ))
            .text(self.query)
            .timestamp(self.instant)
            .int(self.limit)
            .int(self.offset),
            conn,
        )
    }
}

/// The key of `search_key_counts` that holds a one-word search's total; `None` for a search of several
/// words (its matches are counted in the index) or of a word too long to be counted.
fn counted_key(terms: &SearchTerms) -> Option<String> {
    let [term] = terms.terms() else {
        return None;
    };
    (term.token.chars().count() <= MAX_COUNTED_PREFIX).then(|| {
        if term.prefix {
            term.token.clone()
        } else {
            format!("={}", term.token)
        }
    })
}

/// The longest walk a one-word search expects to make before it reads its bucket counts instead (it
/// gives up after four times this many rows): a common word's first pages.
const ONE_WORD_WALK: i64 = 50;

/// How many rows a walk of the list reads to reach the end of a page of a search (matches spread over
/// time), when that is under half the matches a sort would read (a walked row costs about twice a
/// sorted one: random against in-order heap reads); `None` when sorting is cheaper.
pub(crate) fn walk_length(offset: i64, limit: i64, matches: i64, events: i64) -> Option<i64> {
    let walked = offset.saturating_add(limit).saturating_mul(events) / matches.max(1);
    (walked.saturating_mul(2) < matches).then_some(walked)
}

fn ids_of<'query>(
    query: impl diesel::query_dsl::LoadQuery<'query, Conn, EventIdRow>,
    conn: &mut Conn,
) -> Result<Vec<i64>, StoreError> {
    Ok(query
        .load::<EventIdRow>(conn)?
        .into_iter()
        .map(|row| row.id)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_walks_the_list_for_common_words_and_sorts_the_matches_of_rare_ones() {
        assert_eq!(
            walk_length(0, 10, 40_000, 100_000),
            Some(25),
            "a common word's first page"
        );
        assert_eq!(walk_length(0, 10, 1_000, 100_000), None, "a rare word's");
        assert_eq!(
            walk_length(30_000, 10, 40_000, 100_000),
            None,
            "deep in a common word's"
        );
        assert_eq!(walk_length(0, 10, 1, 1), None, "one event");
    }

    #[test]
    fn one_word_of_at_most_twelve_characters_is_counted_and_a_pair_of_characters_whole() {
        let key = |search: &str| counted_key(&SearchTerms::parse(search).unwrap());
        assert_eq!(key("Music"), Some("music".into()));
        assert_eq!(key("音乐"), Some("=音乐".into()));
        assert_eq!(key("music festival"), None);
        assert_eq!(key("abcdefghijkl"), Some("abcdefghijkl".into()));
        assert_eq!(key("abcdefghijklm"), None);
    }

    #[test]
    fn every_word_is_a_quoted_prefix_and_all_must_match() {
        let query = tsquery(&SearchTerms::parse("it's a:b").unwrap());
        assert_eq!(query, "'it':* & 's':* & 'a':* & 'b':*");
    }

    /// A count may run past a search's 2 s (it is made once for all who wait, then remembered); what the
    /// search reads after it is bound to the 2 s again.
    #[test]
    fn a_count_longer_than_a_search_is_made_and_remembered_and_the_page_keeps_its_bound() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let owner = crate::db::add_people(&db, &["owner"])[0];
        crate::db::add_event(&db, owner, "now()", 10, "{zz}");
        let counts = CountMemo::new(8);
        let memo = Memo {
            counts: &counts,
            version: 1,
            before: 0,
        };
        // Longer than a search may run: a condition that sleeps once.
        let slow = "pg_sleep(2.3) IS NOT NULL";
        let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
        let read = db.read_for_search(|conn| {
            let counted = count_matches(conn, &memo, "zz", slow, epoch, Waiting::No)?;
            assert_eq!(counted, Some(1));
            diesel::sql_query("SELECT pg_sleep(2.3)").execute(conn)?;
            Ok(())
        });
        assert!(
            matches!(&read, Err(plaza_domain::RepoError::Unavailable(why)) if why.contains("too long")),
            "{read:?}"
        );
        assert_eq!(counts.get(&format!("{slow} 0 zz"), 1), Some(1), "remembered");
    }
}
