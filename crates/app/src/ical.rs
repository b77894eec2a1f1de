//! Events as iCalendar (RFC 5545): what the calendar feeds answer and what a ticket mail attaches. Built
//! with the `icalendar` crate, whose output is folded again here (see [`folded`]).

use chrono::{DateTime, TimeDelta, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
use plaza_domain::event::Event;

/// What identifies Plaza as the feeds' producer (`PRODID`).
const PRODUCT: &str = "-//Plaza//Plaza events//EN";

/// How often a subscribed calendar should fetch a feed again.
const REFRESH: &str = "PT1H";

/// Text as a calendar holds it: line breaks as `\n` only (the escaping writes them as `\n`; a bare
/// carriage return is not allowed in a content line), and no other control character but the tab, which
/// RFC 5545 leaves out of TEXT. (Stored names and descriptions hold none already; a search may.)
pub fn text(value: &str) -> String {
    value
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| !c.is_ascii_control() || matches!(c, '\n' | '\t'))
        .collect()
}

/// Content lines folded as RFC 5545 §3.1 says: no physical line longer than 75 octets, a continuation
/// starting with one space, and never a cut inside a UTF-8 character. The `icalendar` crate folds its
/// own way, which lets a continuation reach 76 octets at some lengths (0.17.17: a line of 150, 224, …
/// octets), so its lines are joined again and folded here.
pub fn folded(written: &str) -> String {
    const FIRST: usize = 75;
    // A continuation's own octets, after its leading space.
    const NEXT: usize = 74;
    let mut out = String::with_capacity(written.len() + written.len() / NEXT * 3);
    for line in written.replace("\r\n ", "").split_terminator("\r\n") {
        let (mut rest, mut limit) = (line, FIRST);
        while rest.len() > limit {
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(&rest[..cut]);
            out.push_str("\r\n ");
            rest = &rest[cut..];
            limit = NEXT;
        }
        out.push_str(rest);
        out.push_str("\r\n");
    }
    out
}

/// Where the event is, as one line: the venue and the address (its lines joined), or else the link to
/// join online.
fn location(event: &Event) -> Option<String> {
    let place = &event.place;
    let address = place.address.as_deref().map(|address| {
        text(address)
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let parts: Vec<String> = place
        .venue
        .iter()
        .cloned()
        .chain(address)
        .filter(|part| !part.is_empty())
        .collect();
    if parts.is_empty() {
        place.online_url.clone()
    } else {
        Some(parts.join(", "))
    }
}

/// One event as a `VEVENT`. Everything in it comes from the stored event, so the same event is written
/// the same way each time (a stable `ETag`): `DTSTAMP` is the time of its last change, as RFC 5545 asks
/// of a feed without a `METHOD`.
fn vevent(event: &Event, origin: &str, host: &str) -> icalendar::Event {
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&format!("event-{}@{host}", event.id.get()))
        .timestamp(event.updated_at)
        .add_property("CREATED", stamp(event.created_at))
        .add_property("LAST-MODIFIED", stamp(event.updated_at))
        .sequence(u32::try_from(event.revision).unwrap_or(u32::MAX))
        .summary(&text(&event.name))
        .starts(event.event_time)
        .url(&format!("{origin}/#/events/{}", event.id.get()));
    let length = TimeDelta::hours(event.duration_hours) + TimeDelta::minutes(event.duration_minutes);
    // DTEND must come after DTSTART: an event without a length has none (it ends as it starts).
    if length > TimeDelta::zero() {
        vevent.ends(event.event_time + length);
    }
    // A link to join online that LOCATION does not hold (the event has a venue or an address too) goes
    // at the end of the description, on a line of its own, so that a calendar still shows how to join.
    let link = event
        .place
        .online_url
        .as_deref()
        .filter(|_| event.place.venue.is_some() || event.place.address.is_some());
    let description = [Some(event.description.trim_end()), link]
        .into_iter()
        .flatten()
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if !description.is_empty() {
        vevent.description(&text(&description));
    }
    if let Some(location) = location(event) {
        vevent.location(&location);
    }
    if let Some(point) = event.place.coordinates {
        vevent.add_property("GEO", format!("{};{}", point.latitude(), point.longitude()));
    }
    vevent.done()
}

/// A UTC time as iCalendar writes it: `20261204T180000Z`.
fn stamp(time: DateTime<Utc>) -> String {
    time.format("%Y%m%dT%H%M%SZ").to_string()
}

/// What a calendar makes of a file: a feed to subscribe to (fetched again, every hour), or one event to
/// add once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A feed to subscribe to.
    Feed,
    /// One event to add.
    Single,
}

/// A whole calendar named `name`. Written one `VEVENT` at a time into the answer: the crate's whole
/// `Calendar` of 500 events took ~3 MB of small allocations while it was written, and feeds are built
/// many at once under load.
pub fn calendar(events: &[Event], name: &str, origin: &str, kind: Kind) -> String {
    const END: &str = "END:VCALENDAR\r\n";
    let host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let mut head = Calendar::empty();
    head.append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODUCT))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("X-WR-CALNAME", text(name)));
    if kind == Kind::Feed {
        head.append_property(
            Property::new("REFRESH-INTERVAL", REFRESH)
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", REFRESH));
    }
    let head = folded(&head.to_string());
    // Each event takes about 500 octets written out.
    let mut out = String::with_capacity(head.len() + events.len() * 512);
    out.push_str(head.strip_suffix(END).unwrap_or(&head));
    for event in events {
        out.push_str(&folded(&Component::to_string(&vevent(event, origin, host))));
    }
    out.push_str(END);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every physical line within 75 octets, continuations marked by one space, and the lines joined
    /// again give back exactly what was folded.
    fn assert_folds(line: &str) {
        let out = folded(&format!("{line}\r\n"));
        assert!(out.ends_with("\r\n"));
        for (n, physical) in out.trim_end_matches("\r\n").split("\r\n").enumerate() {
            assert!(physical.len() <= 75, "{} octets: {physical:?}", physical.len());
            assert_eq!(n > 0, physical.starts_with(' '), "{physical:?}");
        }
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn lines_of_every_length_fold_within_75_octets_without_splitting_a_character() {
        for length in 1..=400 {
            assert_folds(&"a".repeat(length));
            assert_folds(&format!("SUMMARY:{}", "汉".repeat(length / 3 + 1)));
            assert_folds(&format!("DESCRIPTION:x{}", "🎉".repeat(length / 4 + 1)));
            assert_folds(&format!("X:{}", "é".repeat(length / 2 + 1)));
        }
    }

    #[test]
    fn folding_keeps_every_line_and_its_order() {
        let out = folded("BEGIN:VCALENDAR\r\nSUMMARY:short\r\nEND:VCALENDAR\r\n");
        assert_eq!(out, "BEGIN:VCALENDAR\r\nSUMMARY:short\r\nEND:VCALENDAR\r\n");
    }

    /// Writing one `VEVENT` at a time gives what the crate writes for the whole calendar at once.
    #[test]
    fn a_calendar_written_event_by_event_is_the_crates_whole_calendar() {
        let start = DateTime::parse_from_rfc3339("2027-03-01T18:00:00Z")
            .expect("a valid time")
            .with_timezone(&Utc);
        let events: Vec<Event> = (1..=40)
            .map(|n| Event {
                id: plaza_domain::EventId::from_stored(n),
                name: if n == 5 {
                    "汉".repeat(40)
                } else {
                    format!("Evening {n}")
                },
                event_time: start + TimeDelta::hours(n),
                description: format!("{}\r\nsecond line", "long ".repeat(n as usize * 3)),
                duration_hours: n % 3,
                duration_minutes: 15,
                tickets_sold: 0,
                max_tickets: 10,
                owner_id: plaza_domain::UserId::from_stored(7),
                created_at: start - TimeDelta::days(n),
                place: plaza_domain::place::StoredPlace {
                    venue: (n % 2 == 0).then(|| format!("Hall {n}")),
                    address: (n % 4 == 0).then(|| "1 Main St\nTown".to_owned()),
                    coordinates: (n % 5 == 0)
                        .then(|| plaza_domain::place::Coordinates::new(52.5, 13.4).expect("valid")),
                    online_url: (n % 3 == 0).then(|| format!("https://meet.example/{n}")),
                },
                image: None,
                revision: n,
                updated_at: start - TimeDelta::hours(n),
            })
            .collect();
        for kind in [Kind::Feed, Kind::Single] {
            let origin = "https://plaza.example";
            let mut whole = Calendar::empty();
            whole
                .append_property(Property::new("VERSION", "2.0"))
                .append_property(Property::new("PRODID", PRODUCT))
                .append_property(Property::new("CALSCALE", "GREGORIAN"))
                .append_property(Property::new("X-WR-CALNAME", "Plaza: feed"));
            if kind == Kind::Feed {
                whole
                    .append_property(
                        Property::new("REFRESH-INTERVAL", REFRESH)
                            .add_parameter("VALUE", "DURATION")
                            .done(),
                    )
                    .append_property(Property::new("X-PUBLISHED-TTL", REFRESH));
            }
            for event in &events {
                whole.push(vevent(event, origin, "plaza.example"));
            }
            let written = calendar(&events, "Plaza: feed", origin, kind);
            assert_eq!(written, folded(&whole.to_string()));
            assert_eq!(written.matches("BEGIN:VEVENT").count(), 40);
            assert!(written.starts_with("BEGIN:VCALENDAR\r\n") && written.ends_with("END:VCALENDAR\r\n"));
        }
    }

    #[test]
    fn text_keeps_line_breaks_and_tabs_and_drops_other_controls() {
        assert_eq!(text("a\r\nb\rc\td\u{1}e\u{7f}f\u{1b}g"), "a\nb\nc\tdefg");
    }
}
