//! The `events_search` index: which events hold which tokens, the tokens computed by the domain's search
//! rule (`plaza_domain::search`). FTS5 only stores and looks them up; it is contentless (it keeps no copy of
//! the text) and keeps no positions (`detail=none`), so it stays small and a lookup reads one list per
//! term.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use plaza_domain::search::{SearchTerms, index_text};

use crate::db::Conn;

/// The version of the token rule the index is built with. Bump it when `plaza_domain::search` changes how
/// text becomes tokens: the next start-up rebuilds the index.
pub(crate) const INDEX_VERSION: i64 = 1;

/// Events re-indexed per statement batch during a rebuild.
const REBUILD_BATCH: i64 = 1_000;

/// (Re)indexes one event's text.
pub(crate) fn index_event(conn: &mut Conn, id: i64, name: &str, description: &str) -> QueryResult<()> {
    unindex_event(conn, id)?;
    diesel::sql_query("INSERT INTO events_search (rowid, tokens) VALUES (?, ?)")
        .bind::<BigInt, _>(id)
        .bind::<Text, _>(index_text(name, description))
        .execute(conn)
        .map(drop)
}

pub(crate) fn unindex_event(conn: &mut Conn, id: i64) -> QueryResult<()> {
    diesel::sql_query("DELETE FROM events_search WHERE rowid = ?")
        .bind::<BigInt, _>(id)
        .execute(conn)
        .map(drop)
}

/// The FTS5 query for `terms`: each token quoted (so no character is syntax), with `*` when it matches as a
/// prefix; terms side by side must all match.
pub(crate) fn match_expression(terms: &SearchTerms) -> String {
    terms
        .terms()
        .iter()
        .map(|term| {
            let quoted = format!("\"{}\"", term.token.replace('"', "\"\""));
            if term.prefix { quoted + "*" } else { quoted }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(QueryableByName)]
struct IndexedEvent {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

/// Rebuilds the index when it was built with another version of the token rule (or never), in one
/// transaction, at start-up, before any request is served.
pub(crate) fn rebuild_if_stale(conn: &mut Conn) -> QueryResult<()> {
    let built = diesel::sql_query("SELECT version FROM search_index_state WHERE id = 1")
        .get_result::<Version>(conn)?
        .version;
    if built == INDEX_VERSION {
        return Ok(());
    }
    conn.immediate_transaction(|conn| {
        conn.batch_execute("DELETE FROM events_search;")?;
        let mut after = 0i64;
        loop {
            let batch = diesel::sql_query(
                "SELECT id, name, description FROM events WHERE id > ? ORDER BY id LIMIT ?",
            )
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(REBUILD_BATCH)
            .load::<IndexedEvent>(conn)?;
            let Some(last) = batch.last() else { break };
            after = last.id;
            for event in &batch {
                diesel::sql_query("INSERT INTO events_search (rowid, tokens) VALUES (?, ?)")
                    .bind::<BigInt, _>(event.id)
                    .bind::<Text, _>(index_text(&event.name, &event.description))
                    .execute(conn)?;
            }
        }
        diesel::sql_query("UPDATE search_index_state SET version = ? WHERE id = 1")
            .bind::<BigInt, _>(INDEX_VERSION)
            .execute(conn)
            .map(drop)
    })
}
