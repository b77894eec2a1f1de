//! Hand-written SQL whose prepared statement each connection keeps.
//!
//! Diesel sends `sql_query` statements unnamed, so PostgreSQL parses, analyses and plans them again at
//! every call; on the hot paths (searches, the event list's page, purchases) that was much of a request's
//! cost inside PostgreSQL (docs/performance.md, issue 22). [`Sql`] is cached by its text like any static
//! Diesel query: a named prepared statement per connection, parsed once, whose plan PostgreSQL may keep.
//!
//! Its text names bound values `$1`, `$2`, … as PostgreSQL does, in any order and as often as needed: the
//! text is sent with its placeholders numbered again in the order they appear, each bound to its value.
//! The text must come from a small set of constants (each distinct text is a statement kept by every
//! connection), and may not hold a `$` other than its placeholders.

use std::borrow::Cow;

use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error::QueryBuilderError;
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text, Timestamp, Untyped};
use diesel::{QueryResult, RunQueryDsl};

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    BigInt(i64),
    Timestamp(NaiveDateTime),
    NullableTimestamp(Option<NaiveDateTime>),
    NullableText(Option<String>),
    NullableBigInt(Option<i64>),
    Bool(bool),
    Texts(Vec<String>),
    Ints(Vec<i64>),
    NullableTexts(Vec<Option<String>>),
    NullableInts(Vec<Option<i64>>),
    NullableTimestamps(Vec<Option<NaiveDateTime>>),
}

/// An SQL text of a few constant shapes and its bound values; load rows with `QueryableByName` types.
#[derive(Debug, Clone)]
#[must_use]
pub(crate) struct Sql {
    text: Cow<'static, str>,
    binds: Vec<Bind>,
}

impl Sql {
    /// A constant text.
    pub(crate) fn new(text: &'static str) -> Self {
        Self::shaped(Cow::Borrowed(text))
    }

    /// A text put together from constant pieces (a search's side of the instant, its order): one prepared
    /// statement per shape.
    pub(crate) fn shaped(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            text: text.into(),
            binds: Vec::new(),
        }
    }

    /// Binds the next placeholder to `bind` (the typed methods below say which SQL type).
    fn bind(mut self, bind: Bind) -> Self {
        self.binds.push(bind);
        self
    }

    /// Binds the next placeholder (`$1` first).
    pub(crate) fn text(self, value: impl Into<String>) -> Self {
        self.bind(Bind::Text(value.into()))
    }

    pub(crate) fn int(self, value: i64) -> Self {
        self.bind(Bind::BigInt(value))
    }

    pub(crate) fn nullable_int(self, value: Option<i64>) -> Self {
        self.bind(Bind::NullableBigInt(value))
    }

    pub(crate) fn boolean(self, value: bool) -> Self {
        self.bind(Bind::Bool(value))
    }

    pub(crate) fn nullable_text(self, value: Option<impl Into<String>>) -> Self {
        self.bind(Bind::NullableText(value.map(Into::into)))
    }

    pub(crate) fn timestamp(self, value: NaiveDateTime) -> Self {
        self.bind(Bind::Timestamp(value))
    }

    pub(crate) fn nullable_timestamp(self, value: Option<NaiveDateTime>) -> Self {
        self.bind(Bind::NullableTimestamp(value))
    }

    /// An array of texts: rows of a statement that inserts many (`unnest`), in one bound value each column.
    pub(crate) fn texts(self, values: Vec<String>) -> Self {
        self.bind(Bind::Texts(values))
    }

    pub(crate) fn ints(self, values: Vec<i64>) -> Self {
        self.bind(Bind::Ints(values))
    }

    pub(crate) fn nullable_texts(self, values: Vec<Option<String>>) -> Self {
        self.bind(Bind::NullableTexts(values))
    }

    pub(crate) fn nullable_ints(self, values: Vec<Option<i64>>) -> Self {
        self.bind(Bind::NullableInts(values))
    }

    pub(crate) fn nullable_timestamps(self, values: Vec<Option<NaiveDateTime>>) -> Self {
        self.bind(Bind::NullableTimestamps(values))
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

impl QueryFragment<Pg> for Sql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let text: &str = &self.text;
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..].bytes().take_while(u8::is_ascii_digit).count();
            let number: Option<usize> = rest[at + 1..at + 1 + digits].parse().ok();
            let bind = number
                .and_then(|n| n.checked_sub(1))
                .and_then(|index| self.binds.get(index))
                .ok_or_else(|| {
                    QueryBuilderError(
                        format!(
                            "{} values for `{}` in: {text}",
                            self.binds.len(),
                            &rest[at..at + 1 + digits]
                        )
                        .into(),
                    )
                })?;
            match bind {
                Bind::Text(value) => out.push_bind_param::<Text, String>(value)?,
                Bind::BigInt(value) => out.push_bind_param::<BigInt, i64>(value)?,
                Bind::Timestamp(value) => out.push_bind_param::<Timestamp, NaiveDateTime>(value)?,
                Bind::NullableTimestamp(value) => {
                    out.push_bind_param::<Nullable<Timestamp>, Option<NaiveDateTime>>(value)?
                }
                Bind::NullableBigInt(value) => out.push_bind_param::<Nullable<BigInt>, Option<i64>>(value)?,
                Bind::Bool(value) => out.push_bind_param::<Bool, bool>(value)?,
                Bind::NullableText(value) => out.push_bind_param::<Nullable<Text>, Option<String>>(value)?,
                Bind::Texts(values) => out.push_bind_param::<Array<Text>, Vec<String>>(values)?,
                Bind::Ints(values) => out.push_bind_param::<Array<BigInt>, Vec<i64>>(values)?,
                Bind::NullableTexts(values) => {
                    out.push_bind_param::<Array<Nullable<Text>>, Vec<Option<String>>>(values)?
                }
                Bind::NullableInts(values) => {
                    out.push_bind_param::<Array<Nullable<BigInt>>, Vec<Option<i64>>>(values)?
                }
                Bind::NullableTimestamps(values) => {
                    out.push_bind_param::<Array<Nullable<Timestamp>>, Vec<Option<NaiveDateTime>>>(values)?
                }
            }
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::QueryableByName;
    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use std::sync::{Arc, Mutex};

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        s: String,
        #[diesel(sql_type = BigInt)]
        again: i64,
    }

    #[test]
    fn binds_by_number_and_prepares_once_per_connection() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let prepared = Arc::new(Mutex::new(0usize));
        let counted = prepared.clone();
        db.write(move |conn| {
            let counted = counted.clone();
            let counter: Box<dyn Instrumentation> = Box::new(move |event: InstrumentationEvent<'_>| {
                if matches!(event, InstrumentationEvent::CacheQuery { .. }) {
                    *counted.lock().unwrap() += 1;
                }
            });
            diesel::connection::Connection::set_instrumentation(conn, counter);
            for n in 0..3 {
                let row: Row = Sql::new("SELECT $2 + 1 AS n, $1 AS s, $2 * 10 AS again")
                    .text("it's $1 literal")
                    .int(n)
                    .get_result(conn)?;
                assert_eq!(
                    row,
                    Row {
                        n: n + 1,
                        s: "it's $1 literal".into(),
                        again: n * 10,
                    }
                );
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(*prepared.lock().unwrap(), 1, "prepared at the first call only");
    }

    #[test]
    fn a_missing_value_is_an_error_not_a_wrong_query() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let result = db.write(|conn| {
            Ok(Sql::new("SELECT $1 AS n, $2 AS s, $1 AS again")
                .int(1)
                .get_result::<Row>(conn)?)
        });
        assert!(result.is_err());
    }
}
