//! The search index, over the tokens computed by the domain's search rule (`plaza_domain::search`):
//!
//! - `events_search` (FTS5) holds which events hold which tokens, each event under its position (see
//!   [`crate::order`]), so matches come out in list order and a page stops after its last row. It is
//!   contentless (it keeps no copy of the text), without positions of words (`detail=none`), with prefix
//!   indexes for one to six characters so that a short search word reads one list;
//! - `search_counts` holds how many events hold each key (a whole token, or a prefix of one), so a one-word
//!   search knows its total without counting its matches.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{BigInt, Text};
use plaza_domain::count_memo::CountMemo;
use plaza_domain::search::{SearchTerms, index_tokens};

use crate::conn::Conn;
use crate::order::{self, Moved};
use crate::schema::events::SqlType as EventColumns;
use crate::sql::{Rows, Sql};

/// The version of the token rule and of the tables built from it; a stored index built with another
/// version is rebuilt at start-up.
pub(crate) const INDEX_VERSION: i64 = 2;

/// Events re-indexed per statement batch during a rebuild.
const REBUILD_BATCH: i64 = 1_000;

/// Prefixes longer than this are not counted in `search_counts`: a longer search word is counted from
/// the index (such words are rare, and so are their matches).
const MAX_COUNTED_PREFIX: usize = 12;

/// An event's tokens separated by spaces, with a space at each end: `" music"` is then found exactly in
/// the tokens that start with `music`, and `" 音乐 "` only in the token `音乐`.
fn token_text(name: &str, description: &str) -> String {
    let mut tokens = index_tokens(name);
    tokens.extend(index_tokens(description));
    format!(" {} ", tokens.join(" "))
}

/// The keys of `search_counts` that an event with these tokens counts towards, each once.
fn count_keys(token_text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for token in token_text.split_whitespace() {
        let chars: Vec<(usize, char)> = token.char_indices().collect();
        if chars.len() <= MAX_COUNTED_PREFIX {
            keys.insert(format!("={token}"));
        }
        for (at, (start, c)) in chars.iter().enumerate().take(MAX_COUNTED_PREFIX) {
            debug_assert!(at < MAX_COUNTED_PREFIX);
            keys.insert(token[..start + c.len_utf8()].to_owned());
        }
    }
    keys
}

fn json_array<'a>(keys: impl IntoIterator<Item = &'a String>) -> String {
    serde_json::to_string(&keys.into_iter().collect::<Vec<_>>())
        .expect("a list of strings always serialises to JSON")
}

/// Adds `delta` (1 or -1) to the count of each key, removing counts that reach zero.
fn adjust_counts<'a>(
    conn: &mut Conn,
    keys: impl IntoIterator<Item = &'a String>,
    delta: i64,
) -> QueryResult<()> {
    let keys = json_array(keys);
    if keys == "[]" {
        return Ok(());
    }
    // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT, not to a join.
    Sql::new(
        "INSERT INTO search_counts (key, events) SELECT value, ? FROM json_each(?) WHERE true \
         ON CONFLICT (key) DO UPDATE SET events = events + excluded.events",
    )
    .int(delta)
    .text(&keys)
    .execute(conn)?;
    if delta < 0 {
        Sql::new("DELETE FROM search_counts WHERE events <= 0 AND key IN (SELECT value FROM json_each(?))")
            .text(&keys)
            .execute(conn)?;
    }
    Ok(())
}

fn insert_tokens(conn: &mut Conn, position: i64, tokens: &str) -> QueryResult<()> {
    Sql::new("INSERT INTO events_search (rowid, tokens) VALUES (?, ?)")
        .int(position)
        .text(tokens.trim())
        .execute(conn)
        .map(drop)
}

fn delete_tokens(conn: &mut Conn, position: i64) -> QueryResult<()> {
    Sql::new("DELETE FROM events_search WHERE rowid = ?")
        .int(position)
        .execute(conn)
        .map(drop)
}

#[derive(QueryableByName)]
struct EventText {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
}

/// Moves the index entries of events whose positions changed to make room for another.
fn follow_moves(conn: &mut Conn, moved: &[Moved]) -> QueryResult<()> {
    if moved.is_empty() {
        return Ok(());
    }
    for m in moved {
        delete_tokens(conn, m.from)?;
    }
    let ids = json_array(&moved.iter().map(|m| m.event_id.to_string()).collect::<Vec<_>>());
    let texts: Vec<EventText> =
        Sql::new("SELECT id, name, description FROM events WHERE id IN (SELECT value FROM json_each(?))")
            .text(ids)
            .load(conn)?;
    for text in texts {
        let to = moved
            .iter()
            .find(|m| m.event_id == text.id)
            .expect("every text loaded belongs to a moved event")
            .to;
        insert_tokens(conn, to, &token_text(&text.name, &text.description))?;
    }
    Ok(())
}

/// What the index knows of an event: its place in the list and its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Indexed<'a> {
    pub event_time: NaiveDateTime,
    pub name: &'a str,
    pub description: &'a str,
}

/// Raises the index version (`event_total.search_version`): counts remembered under the old one are
/// not answered again.
fn index_changed(conn: &mut Conn) -> QueryResult<()> {
    conn.batch_execute("UPDATE event_total SET search_version = search_version + 1 WHERE id = 1")
}

/// Indexes a new event.
pub(crate) fn index_event(conn: &mut Conn, id: i64, event: Indexed<'_>) -> QueryResult<()> {
    index_changed(conn)?;
    let (position, moved) = order::place(conn, id, event.event_time)?;
    follow_moves(conn, &moved)?;
    let tokens = token_text(event.name, event.description);
    insert_tokens(conn, position, &tokens)?;
    adjust_counts(conn, &count_keys(&tokens), 1)
}

/// Re-indexes an event whose time or text changed from `old` to `new`. Only the counts of keys the
/// change adds or removes are written.
pub(crate) fn reindex_event(conn: &mut Conn, id: i64, old: Indexed<'_>, new: Indexed<'_>) -> QueryResult<()> {
    let old_tokens = token_text(old.name, old.description);
    let new_tokens = token_text(new.name, new.description);
    if old.event_time == new.event_time && old_tokens == new_tokens {
        return Ok(());
    }
    index_changed(conn)?;
    let Some(mut position) = order::remove(conn, id)? else {
        // Every stored event has a position; one without was never indexed, so index it as new.
        return index_event(conn, id, new);
    };
    delete_tokens(conn, position)?;
    if old.event_time == new.event_time {
        order::insert(conn, id, position)?;
    } else {
        let (placed, moved) = order::place(conn, id, new.event_time)?;
        follow_moves(conn, &moved)?;
        position = placed;
    }
    insert_tokens(conn, position, &new_tokens)?;
    let (old_keys, new_keys) = (count_keys(&old_tokens), count_keys(&new_tokens));
    adjust_counts(conn, old_keys.difference(&new_keys), -1)?;
    adjust_counts(conn, new_keys.difference(&old_keys), 1)
}

/// Removes an event from the index, before the event itself is deleted. The version rises even for an
/// event without a position (none should be): the number of events changes, and what is remembered under
/// the version counts them.
pub(crate) fn unindex_event(conn: &mut Conn, id: i64, old: Indexed<'_>) -> QueryResult<()> {
    index_changed(conn)?;
    if let Some(position) = order::remove(conn, id)? {
        delete_tokens(conn, position)?;
        adjust_counts(conn, &count_keys(&token_text(old.name, old.description)), -1)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct TermCounts {
    /// Events holding a token that starts with the term.
    #[diesel(sql_type = BigInt)]
    starting: i64,
    /// Events holding the term as a whole token.
    #[diesel(sql_type = BigInt)]
    whole: i64,
}

/// The counts of `token`, remembered in `memo` under the index `version` (read in `conn`'s snapshot): every
/// change of the counts raises the version in its own transaction.
fn term_counts(conn: &mut Conn, memo: &CountMemo, version: i64, token: &str) -> QueryResult<TermCounts> {
    let (starting_key, whole_key) = (format!("starting {token}"), format!("whole {token}"));
    if let (Some(starting), Some(whole)) = (memo.get(&starting_key, version), memo.get(&whole_key, version)) {
        return Ok(TermCounts { starting, whole });
    }
    let counts: TermCounts = Sql::new(
        "SELECT coalesce((SELECT events FROM search_counts WHERE key = ?), 0) AS starting, \
                coalesce((SELECT events FROM search_counts WHERE key = ?), 0) AS whole",
    )
    .text(token)
    .text(format!("={token}"))
    .get_result(conn)?;
    memo.put(&starting_key, version, counts.starting);
    memo.put(&whole_key, version, counts.whole);
    Ok(counts)
}

/// The longest prefix with a list of its own in `events_search` (its `prefix` option).
const INDEXED_PREFIX: usize = 6;

/// A search ready to run: its total and the FTS5 query of its pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PreparedSearch {
    /// How many events match in all, when the kept counts tell it without counting matches.
    pub counted: Option<i64>,
    expression: String,
}

/// Reads what the counts tell about `terms`, and from it the total and the query:
///
/// - a one-word search takes its total from the counts instead of counting its matches; a longer one
///   counts the intersection in the index;
/// - a word longer than the prefix indexes is looked up as a whole token when every event holding a token
///   that starts with it holds that very token (equal counts): FTS5 merges the lists of all the words of
///   a prefix before it reads any row, which for a long common word (`festival`) costs every match.
///
/// Each term is quoted in the query, so no character of a search is FTS5 syntax.
///
/// The counts are remembered in `memo` under the index `version`, read in `conn`'s snapshot.
pub(crate) fn prepare(
    conn: &mut Conn,
    memo: &CountMemo,
    version: i64,
    terms: &SearchTerms,
) -> QueryResult<PreparedSearch> {
    let single = terms.terms().len() == 1;
    let mut total = None;
    let mut parts = Vec::with_capacity(terms.terms().len());
    for term in terms.terms() {
        let length = term.token.chars().count();
        let counted = length <= MAX_COUNTED_PREFIX;
        let looked_up = counted && (single || (term.prefix && length > INDEXED_PREFIX));
        let counts = if looked_up {
            Some(term_counts(conn, memo, version, &term.token)?)
        } else {
            None
        };
        let mut prefix = term.prefix;
        if let Some(counts) = &counts {
            if prefix && length > INDEXED_PREFIX && counts.starting == counts.whole {
                prefix = false;
            }
            if single {
                total = Some(if term.prefix {
                    counts.starting
                } else {
                    counts.whole
                });
            }
        }
        let quoted = format!("\"{}\"", term.token.replace('"', "\"\""));
        parts.push(if prefix { quoted + "*" } else { quoted });
    }
    let expression = parts.join(" ");
    Ok(PreparedSearch {
        counted: total,
        expression,
    })
}

/// Which positions a search reads, and in which direction: the list order, or backwards for the
/// latest-first list of past events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchRange {
    /// Every match, in list order.
    All,
    /// Every match, latest first.
    AllBackwards,
    /// The matches from this position on, in list order.
    From(i64),
    /// The matches below this position, latest first.
    BelowBackwards(i64),
}

/// A page of matches and their events: the subquery reads the index in position order (FTS5 applies the
/// rowid bounds while it reads) and stops after the page; the joins turn positions into event ids, and
/// those into the events, in the same statement.
macro_rules! page_sql {
    ($bounds:literal, $direction:literal) => {
        concat!(
            "SELECT ",
            event_columns!(),
            " FROM (SELECT rowid AS position FROM events_search WHERE events_search MATCH ?",
            $bounds,
            " ORDER BY rowid",
            $direction,
            " LIMIT ? OFFSET ?) \
             AS page CROSS JOIN event_order AS o ON o.position = page.position \
             CROSS JOIN events ON events.id = o.event_id ORDER BY page.position",
            $direction
        )
    };
}

/// A count of the matches within bounds.
macro_rules! count_sql {
    ($bounds:literal) => {
        concat!(
            "SELECT count(*) AS count FROM events_search WHERE events_search MATCH ?",
            $bounds
        )
    };
}

impl SearchRange {
    /// The statement of one page in this range: the expression, the bound if any, limit and offset.
    pub(crate) fn page_sql(self) -> &'static str {
        match self {
            Self::All => page_sql!("", ""),
            Self::AllBackwards => page_sql!("", " DESC"),
            Self::From(_) => page_sql!(" AND rowid >= ?", ""),
            Self::BelowBackwards(_) => page_sql!(" AND rowid < ?", " DESC"),
        }
    }

    fn count_sql(self) -> &'static str {
        match self {
            Self::All | Self::AllBackwards => count_sql!(""),
            Self::From(_) => count_sql!(" AND rowid >= ?"),
            Self::BelowBackwards(_) => count_sql!(" AND rowid < ?"),
        }
    }

    fn bind(self, query: Sql) -> Sql {
        match self {
            Self::All | Self::AllBackwards => query,
            Self::From(position) | Self::BelowBackwards(position) => query.int(position),
        }
    }
}

/// How many events in `range` match, counted in the index — or remembered in `memo` from an earlier
/// count at the same index `version` (`event_total.search_version`, read in this snapshot): counting the matches
/// of several common words takes as many steps as the shorter word's list holds.
pub(crate) fn count_in(
    conn: &mut Conn,
    memo: &CountMemo,
    version: i64,
    search: &PreparedSearch,
    range: SearchRange,
) -> QueryResult<i64> {
    let key = format!("{range:?} {}", search.expression);
    memo.get_or_count(&key, version, || {
        Ok(range
            .bind(Sql::new(range.count_sql()).text(&search.expression))
            .get_result::<Count>(conn)?
            .count)
    })
}

/// One page of matches in `range`, in its order, each row an event as `Row` reads it.
pub(crate) fn page<Row>(
    conn: &mut Conn,
    search: &PreparedSearch,
    range: SearchRange,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<Row>>
where
    Rows<EventColumns>: LoadQuery<'static, Conn, Row>,
{
    range
        .bind(Sql::new(range.page_sql()).text(&search.expression))
        .int(limit)
        .int(offset)
        .rows()
        .load(conn)
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

/// Rebuilds the index when it was built with another version of the token rule (or never), in one
/// transaction, at start-up, before any request is served. The counts are summed in memory and written
/// once.
pub(crate) fn rebuild_if_stale(conn: &mut Conn) -> QueryResult<()> {
    let built = Sql::new("SELECT version FROM search_index_state WHERE id = 1")
        .get_result::<Version>(conn)?
        .version;
    if built == INDEX_VERSION {
        return Ok(());
    }
    conn.immediate_transaction(|conn| {
        conn.batch_execute("DELETE FROM events_search; DELETE FROM search_counts;")?;
        index_changed(conn)?;
        let positions: HashMap<i64, i64> = order::rebuild(conn)?.into_iter().collect();
        let mut counts: HashMap<String, i64> = HashMap::new();
        let mut after = 0i64;
        loop {
            let batch = Sql::new("SELECT id, name, description FROM events WHERE id > ? ORDER BY id LIMIT ?")
                .int(after)
                .int(REBUILD_BATCH)
                .load::<EventText>(conn)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for event in &batch {
                let tokens = token_text(&event.name, &event.description);
                for key in count_keys(&tokens) {
                    *counts.entry(key).or_default() += 1;
                }
                insert_tokens(conn, positions[&event.id], &tokens)?;
            }
        }
        let counts: Vec<(String, i64)> = counts.into_iter().collect();
        for chunk in counts.chunks(10_000) {
            Sql::new(
                "INSERT INTO search_counts (key, events) \
                 SELECT value ->> 0, value ->> 1 FROM json_each(?)",
            )
            .text(serde_json::to_string(chunk).expect("pairs of string and number serialise"))
            .execute(conn)?;
        }
        Sql::new("UPDATE search_index_state SET version = ? WHERE id = 1")
            .int(INDEX_VERSION)
            .execute(conn)
            .map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_keys_cover_whole_tokens_and_prefixes_once() {
        let keys = count_keys(" music musical 音乐 ");
        let expected: BTreeSet<String> = [
            "=music", "=musical", "=音乐", "m", "mu", "mus", "musi", "music", "musica", "musical", "音",
            "音乐",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(keys, expected);
    }

    #[test]
    fn long_tokens_count_only_their_short_prefixes() {
        let keys = count_keys(" internationalization ");
        assert!(keys.contains("internationa"), "twelve characters are counted");
        assert!(!keys.contains("internationalization"));
        assert!(!keys.contains("=internationalization"));
    }
}
