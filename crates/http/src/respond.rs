//! Shared response conventions: list responses and times.

use actix_web::HttpResponse;
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use plaza_domain::Page;
use serde::{Serialize, Serializer};

/// The header with the number of items a list holds before `skip`/`limit`.
pub const TOTAL_COUNT: &str = "X-Total-Count";

/// The header with the caller's unread count, on every notification list response.
pub const UNREAD_COUNT: &str = "X-Unread-Count";

/// `200` with the items and `X-Total-Count`, or `204` with an empty body when there are none (the
/// original design asks for that). The count is sent on `204` too: it costs nothing and tells a client
/// that paged past the end how far the list goes.
pub fn list<T: Serialize>(page: Page<T>, extra: &[(&'static str, String)]) -> HttpResponse {
    let mut response = if page.items.is_empty() {
        HttpResponse::NoContent()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((TOTAL_COUNT, page.total.to_string()));
    for (name, value) in extra {
        response.insert_header((*name, value.clone()));
    }
    if page.items.is_empty() {
        response.finish()
    } else {
        response.json(page.items)
    }
}

/// RFC 3339 in UTC with a `Z`, fractions only when there are any: `2026-12-01T18:00:00Z`.
pub fn format_time(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub fn serialize_time<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_time(time))
}

/// An input time: RFC 3339 with an offset (converted to UTC), or a naive `YYYY-MM-DDTHH:MM[:SS[.f]]`
/// taken as UTC (a space instead of the `T` is accepted too).
/// The shape [`parse_time`] reads, as a JSON Schema `pattern` for the OpenAPI document. A string of that
/// shape may still name a day that does not exist (`2026-02-30`), which is refused too.
pub const TIME_PATTERN: &str = concat!(
    r"^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]",
    r"(:[0-5][0-9](\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?\s*$"
);

pub fn parse_time(raw: &str) -> Result<DateTime<Utc>, String> {
    plaza_domain::time::in_four_digit_years(read_time(raw)?).map_err(|invalid| invalid.0)
}

fn read_time(raw: &str) -> Result<DateTime<Utc>, String> {
    let raw = raw.trim();
    if let Ok(time) = DateTime::parse_from_rfc3339(raw) {
        return Ok(time.with_timezone(&Utc));
    }
    let normalized = raw.replacen(' ', "T", 1);
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%dT%H:%M%#z"] {
        if let Ok(time) = DateTime::parse_from_str(&normalized, format) {
            return Ok(time.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(&normalized, format) {
            return Ok(time.and_utc());
        }
    }
    Err("must be a date-time such as 2026-12-01T18:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_time_pattern_describes_what_is_read() {
        let pattern = regex::Regex::new(TIME_PATTERN).unwrap();
        for good in [
            "2026-12-01T18:00:00Z",
            "2026-12-01T19:00:00+01:00",
            "2026-12-01T18:00Z",
            "2026-12-01T18:00:00",
            "2026-12-01T18:00",
            "2026-12-01 18:00",
            "2026-12-01T20:00+02:00",
            " 2026-12-31T23:59:59.123456789Z ",
            "2026-01-31T00:00:00-11:30",
        ] {
            assert!(pattern.is_match(good), "{good} matches");
            assert!(parse_time(good).is_ok(), "{good} is read");
        }
        for bad in [
            "",
            "tomorrow",
            "2026-13-01T18:00",
            "2026-12-01",
            "2026-12-01T25:00",
            "2026-12-31T23:59:60Z",
            "2026-12-01T18:00:00.Z",
            "12/01/2026 18:00",
        ] {
            assert!(!pattern.is_match(bad), "{bad} does not match");
        }
    }

    #[test]
    fn every_input_time_stays_in_a_four_digit_year_once_in_utc() {
        assert!(parse_time("9999-12-31T23:59:59Z").is_ok());
        assert!(parse_time("0000-01-01T00:00:00Z").is_ok());
        for outside in [
            "9999-12-31T23:59:59-05:00",
            "9999-12-31 23:30-01:00",
            "0000-01-01T00:00:00+05:00",
        ] {
            assert!(parse_time(outside).is_err(), "{outside}");
        }
    }

    #[test]
    fn parses_the_accepted_time_forms() {
        let six_pm = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        for raw in [
            "2026-12-01T18:00:00Z",
            "2026-12-01T19:00:00+01:00",
            "2026-12-01T18:00:00",
            "2026-12-01T18:00",
            "2026-12-01 18:00",
            "2026-12-01T20:00+02:00",
        ] {
            assert_eq!(parse_time(raw), Ok(six_pm), "{raw}");
        }
        for bad in [
            "",
            "tomorrow",
            "2026-13-01T18:00",
            "2026-12-01",
            "2026-12-01T25:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats_utc_with_z() {
        let time = Utc.with_ymd_and_hms(2026, 12, 1, 18, 0, 0).unwrap();
        assert_eq!(format_time(&time), "2026-12-01T18:00:00Z");
        let precise = time + chrono::Duration::milliseconds(250);
        assert_eq!(format_time(&precise), "2026-12-01T18:00:00.250Z");
    }
}
