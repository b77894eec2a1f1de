//! What every instant a client gives must be: one that RFC 3339 and iCalendar can write.

use chrono::{DateTime, Datelike, Utc};

use crate::error::Invalid;

/// The last year an instant may fall in: the last of four digits.
pub const LAST_YEAR: i32 = 9999;

/// `time` when its year, in UTC, has four digits (0000–9999): an offset can carry
/// `9999-12-31T23:59:59-05:00` into year 10000, which neither RFC 3339 nor iCalendar can write, and which
/// a store keeping times as text would sort before year 0000.
pub fn in_four_digit_years(time: DateTime<Utc>) -> Result<DateTime<Utc>, Invalid> {
    if (0..=LAST_YEAR).contains(&time.year()) {
        Ok(time)
    } else {
        Err(Invalid::new(format!(
            "must fall within the years 0000 to {LAST_YEAR} in UTC"
        )))
    }
}
