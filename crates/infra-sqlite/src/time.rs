//! Times as Plaza stores them: UTC text `YYYY-MM-DD HH:MM:SS.fff` (Diesel's own layout for `TIMESTAMP`).
//! Diesel reads one back by trying chrono format strings in turn, and every row of a page has one or two:
//! in profiles of a 50-comment page, interpreting the format strings took ~5% of the CPU. [`StoredTime`]
//! reads Plaza's layout directly and leaves anything else to Diesel.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

/// A stored time, read without format strings when it is in Plaza's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub(crate) struct StoredTime(pub NaiveDateTime);

impl StoredTime {
    pub(crate) fn utc(self) -> chrono::DateTime<chrono::Utc> {
        self.0.and_utc()
    }
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        match parse(value.read_text()) {
            Some(time) => Ok(StoredTime(time)),
            None => <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(StoredTime),
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS`, optionally followed by `.` and 1–9 digits of a second; `None` for anything else.
fn parse(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    if bytes.len() < 19
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || bytes[10] != b' '
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        bytes[from..to].iter().try_fold(0u32, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    let nanos = match &bytes[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let value = number(20, bytes.len())?;
            value * 10u32.pow(u32::try_from(9 - digits.len()).ok()?)
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?.and_hms_nano_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        nanos,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plaza_layout_like_chrono_does() {
        for text in [
            "2026-11-26 12:00:00",
            "2026-11-26 12:00:00.1",
            "2026-11-26 12:00:00.004",
            "2027-02-28 23:59:59.999",
            "2024-02-29 00:00:00.123456789",
            "0001-01-01 00:00:00",
        ] {
            let by_chrono = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            assert_eq!(parse(text), Some(by_chrono), "{text}");
        }
    }

    #[test]
    fn anything_else_is_left_to_diesel() {
        for text in [
            "2026-11-26T12:00:00",
            "2026-11-26 12:00:00Z",
            "2026-11-26 12:00:00.",
            "2026-11-26 12:00:00.1234567890",
            "2026-13-01 00:00:00",
            "2026-02-30 00:00:00",
            "2026-11-26 24:00:00",
            "2026-11-26 12:0a:00",
            "2026-11-26",
            "",
            "2460640.5",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
