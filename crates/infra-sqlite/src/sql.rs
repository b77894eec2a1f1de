//! Hand-written SQL whose prepared statement each connection keeps.
//!
//! Diesel prepares `sql_query` statements, `UPDATE`s and multi-row inserts again at every call; on the hot
//! paths (search, positions, purchases, the fan-out) parsing and planning the same text again was a large
//! share of the CPU time (`perf`). [`Sql`] is cached by its text like any static Diesel query: its text
//! must be a constant, with one `?` per bound value, in order.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error::QueryBuilderError;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp, Untyped};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    BigInt(i64),
    NullableBigInt(Option<i64>),
    Timestamp(NaiveDateTime),
}

/// A constant SQL text and its bound values; load rows with `QueryableByName` types.
#[derive(Debug, Clone)]
#[must_use]
pub(crate) struct Sql {
    text: &'static str,
    binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(text: &'static str) -> Self {
        Self {
            text,
            binds: Vec::new(),
        }
    }

    pub(crate) fn text(mut self, value: impl Into<String>) -> Self {
        self.binds.push(Bind::Text(value.into()));
        self
    }

    pub(crate) fn int(mut self, value: i64) -> Self {
        self.binds.push(Bind::BigInt(value));
        self
    }

    pub(crate) fn nullable_int(mut self, value: Option<i64>) -> Self {
        self.binds.push(Bind::NullableBigInt(value));
        self
    }

    pub(crate) fn timestamp(mut self, value: NaiveDateTime) -> Self {
        self.binds.push(Bind::Timestamp(value));
        self
    }
}

impl QueryId for Sql {
    type QueryId = ();
    // No type identifies the statement: Diesel keys the cache by the SQL text instead.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Sql {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Sql {}

impl QueryFragment<Sqlite> for Sql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        let mut pieces = self.text.split('?');
        let placeholders = self.text.matches('?').count();
        if placeholders != self.binds.len() {
            return Err(QueryBuilderError(
                format!(
                    "{placeholders} placeholders but {} values in: {}",
                    self.binds.len(),
                    self.text
                )
                .into(),
            ));
        }
        out.push_sql(pieces.next().unwrap_or_default());
        for (bind, piece) in self.binds.iter().zip(pieces) {
            match bind {
                Bind::Text(value) => out.push_bind_param::<Text, String>(value)?,
                Bind::BigInt(value) => out.push_bind_param::<BigInt, i64>(value)?,
                Bind::NullableBigInt(value) => out.push_bind_param::<Nullable<BigInt>, Option<i64>>(value)?,
                Bind::Timestamp(value) => out.push_bind_param::<Timestamp, NaiveDateTime>(value)?,
            }
            out.push_sql(piece);
        }
        Ok(())
    }
}

/// [`Sql`] whose rows have the SQL types `ST`, column by column: loaded by position into `Queryable`
/// types. Reading a row by name looks each of its names up among the statement's columns (asking SQLite
/// for every column's name until it matches): for the 19 columns of an event, most of the time spent
/// turning a page's rows into events (`perf`).
#[derive(Debug, Clone)]
#[must_use]
pub(crate) struct Rows<ST> {
    sql: Sql,
    types: PhantomData<ST>,
}

impl Sql {
    /// This statement, its rows read by position as the SQL types `ST`.
    pub(crate) fn rows<ST>(self) -> Rows<ST> {
        Rows {
            sql: self,
            types: PhantomData,
        }
    }
}

impl<ST> QueryId for Rows<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Rows<ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for Rows<ST> {}

impl<ST> QueryFragment<Sqlite> for Rows<ST> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.sql.walk_ast(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::tests::migrated;
    use diesel::QueryableByName;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::sync::{Arc, Mutex};

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        s: String,
    }

    #[test]
    fn binds_in_order_and_prepares_once_per_connection() {
        let (_dir, mut conn) = migrated();
        let prepared = Arc::new(Mutex::new(0usize));
        let counted = prepared.clone();
        let counter: Box<dyn Instrumentation> = Box::new(move |event: InstrumentationEvent<'_>| {
            if matches!(event, InstrumentationEvent::CacheQuery { .. }) {
                *counted.lock().unwrap() += 1;
            }
        });
        diesel::connection::Connection::set_instrumentation(&mut conn, counter);
        for n in 0..3 {
            let row: Row = Sql::new("SELECT ? + 1 AS n, ? AS s")
                .int(n)
                .text("it's ? literal")
                .get_result(&mut conn)
                .unwrap();
            assert_eq!(
                row,
                Row {
                    n: n + 1,
                    s: "it's ? literal".into()
                }
            );
        }
        assert_eq!(*prepared.lock().unwrap(), 1, "prepared at the first call only");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_wrong_query() {
        let (_dir, mut conn) = migrated();
        let result = Sql::new("SELECT ? AS n, ? AS s")
            .int(1)
            .get_result::<Row>(&mut conn);
        assert!(result.is_err());
    }
}
