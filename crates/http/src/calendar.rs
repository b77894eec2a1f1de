//! Calendar feeds (iCalendar, RFC 5545): one event, the upcoming events a search finds, and a person's
//! private feed at a secret address. Each is answered with an `ETag` (a digest of the feed) and
//! `Last-Modified`, and `304` when the client's copy is current.

use std::time::SystemTime;

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, TimeDelta, Utc};
use icalendar::{Calendar, Component, EventLike, Property};
use plaza_app::calendar::FEED_LIMIT;
use plaza_domain::EventId;
use plaza_domain::event::Event;
use plaza_domain::user::Locale;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::EventIdParam;
use crate::extract::{ApiQuery, PathId, blocking};
use crate::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

/// What identifies Plaza as the feeds' producer (`PRODID`).
const PRODUCT: &str = "-//Plaza//Plaza events//EN";

/// How often a subscribed calendar should fetch a feed again.
const REFRESH: &str = "PT1H";

/// The address people reach Plaza at: `PUBLIC_URL` when it is set; else the scheme and host the request
/// was made to — as a trusted proxy says (`TRUSTED_PROXIES`: `X-Forwarded-Proto`/`-Host`, `Forwarded`),
/// or the connection's own and its `Host` (a host that is not a valid authority reads as `localhost`).
/// Links and `UID`s in feeds use it, so they only stay the same across requests made to different host
/// names when `PUBLIC_URL` is set.
pub(crate) fn origin(req: &HttpRequest, state: &AppState) -> String {
    if let Some(origin) = &state.settings.public_origin {
        return origin.clone();
    }
    let (forwarded_scheme, forwarded_host) = crate::client::forwarded_scheme_and_host(req);
    let scheme = forwarded_scheme.unwrap_or_else(|| {
        if req.app_config().secure() {
            "https"
        } else {
            "http"
        }
        .to_owned()
    });
    // A host name, an IPv4 or a bracketed IPv6 address, and a port: nothing a link or a UID would have to
    // escape. Lower-cased, so that one host gives one UID however a client spells it.
    let valid = |host: &str| {
        !host.is_empty()
            && host.len() <= 255
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            && host.parse::<actix_web::http::uri::Authority>().is_ok()
    };
    let host = forwarded_host
        .filter(|host| valid(host))
        .or_else(|| {
            req.headers()
                .get(header::HOST)
                .and_then(|value| value.to_str().ok())
                .or_else(|| req.uri().authority().map(|authority| authority.as_str()))
                .filter(|host| valid(host))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".to_owned())
        .to_ascii_lowercase();
    format!("{scheme}://{host}")
}

/// Text as a calendar holds it: line breaks as `\n` only (the escaping writes them as `\n`; a bare
/// carriage return is not allowed in a content line), and no other control character but the tab, which
/// RFC 5545 leaves out of TEXT. (Stored names and descriptions hold none already; a search may.)
fn text(value: &str) -> String {
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
fn folded(written: &str) -> String {
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
enum Kind {
    Feed,
    Single,
}

/// A whole calendar named `name`.
fn feed(events: &[Event], name: &str, origin: &str, kind: Kind) -> String {
    let host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODUCT))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("X-WR-CALNAME", text(name)));
    if kind == Kind::Feed {
        calendar
            .append_property(
                Property::new("REFRESH-INTERVAL", REFRESH)
                    .add_parameter("VALUE", "DURATION")
                    .done(),
            )
            .append_property(Property::new("X-PUBLISHED-TTL", REFRESH));
    }
    for event in events {
        calendar.push(vevent(event, origin, host));
    }
    folded(&calendar.to_string())
}

/// A calendar written out, with what its answer says of it.
struct Rendered {
    body: String,
    /// A digest of `body`, quoted: the `ETag`'s opaque part.
    tag: String,
    /// The latest change among its events; `None` for an empty calendar.
    last_modified: Option<DateTime<Utc>>,
    /// One event to add, or a feed.
    kind: Kind,
}

/// Writes `events` as a calendar (see [`feed`]) with its digest and its latest change. Called on the
/// blocking pool: 500 events are a few milliseconds of work that must not hold up an async worker.
fn render(events: &[Event], name: &str, origin: &str, kind: Kind) -> Rendered {
    let body = feed(events, name, origin, kind);
    let tag = format!(
        "\"{}\"",
        Sha256::digest(body.as_bytes())
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    Rendered {
        body,
        tag,
        last_modified: events.iter().map(|event| event.updated_at).max(),
        kind,
    }
}

/// The calendar as an answer: `304` when the client's copy is current, by its `ETag` (`If-None-Match`),
/// or, for a single event, by its time (`If-Modified-Since`). A list's `Last-Modified` is the latest
/// change among its events, but an event leaving the list (it started, was deleted, a ticket was given
/// back) does not move it: lists are only ever compared by `ETag`. `cache_control` says who may keep it.
fn respond(req: &HttpRequest, rendered: Rendered, cache_control: &'static str) -> HttpResponse {
    let Rendered {
        body,
        tag,
        last_modified,
        kind,
    } = rendered;
    let single = kind == Kind::Single;
    // Weak: the compression the server may apply changes the bytes sent, not what they say (RFC 9110
    // §8.8.3). Matching is weak too, so `"…"` and `W/"…"` both name it.
    let etag = format!("W/{tag}");
    let header_text = |name| req.headers().get(name).and_then(|value| value.to_str().ok());
    let unchanged = match header_text(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .split(',')
            .map(str::trim)
            .any(|listed| listed == "*" || listed.strip_prefix("W/").unwrap_or(listed) == tag),
        None => {
            single
                && header_text(header::IF_MODIFIED_SINCE)
                    .and_then(|since| since.parse::<HttpDate>().ok())
                    .zip(last_modified)
                    .is_some_and(|(since, changed)| {
                        // HTTP dates hold whole seconds.
                        changed.timestamp() <= DateTime::<Utc>::from(SystemTime::from(since)).timestamp()
                    })
        }
    };
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if let Some(changed) = last_modified {
        response.insert_header((header::LAST_MODIFIED, HttpDate::from(SystemTime::from(changed))));
    }
    if unchanged {
        return response.finish();
    }
    response.content_type("text/calendar; charset=utf-8").body(body)
}

/// One event as an iCalendar file, to add it to a calendar. An event a moderator removed is `404`.
#[utoipa::path(
    get,
    path = "/events/{event_id}/calendar.ics",
    tag = "calendar",
    operation_id = "get_event_calendar",
    params(EventIdParam),
    responses(
        (status = 200, description = "The event as an iCalendar (RFC 5545) file with one `VEVENT`",
            content_type = "text/calendar", body = String,
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Unchanged since `If-None-Match` / `If-Modified-Since`"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn event_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: PathId<EventId>,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&req, &state);
    let id_number = id.0.get();
    let rendered = blocking(move || {
        let event = state.services.events.get(id.0)?;
        let name = format!("Plaza: {}", event.name);
        Ok(render(std::slice::from_ref(&event), &name, &origin, Kind::Single))
    })
    .await?;
    let mut response = respond(&req, rendered, "no-cache");
    // A browser saves it under a name (the web client's link says so too, for browsers that read that).
    if let Ok(value) =
        header::HeaderValue::from_str(&format!("attachment; filename=\"event-{}.ics\"", id_number))
    {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Only events whose name or description holds every word, as in `GET /events/?search=`.
    pub search: Option<String>,
}

/// The upcoming events, soonest first, as an iCalendar feed to subscribe to: the first 500 that
/// `GET /events/?search=` lists (every upcoming event without `search`).
#[utoipa::path(
    get,
    path = "/events/calendar.ics",
    tag = "calendar",
    operation_id = "get_events_calendar",
    params(CalendarQuery),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) feed, one `VEVENT` per event",
            content_type = "text/calendar", body = String,
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Unchanged since `If-None-Match`"),
        (status = 400, response = BadRequest),
    )
)]
pub async fn upcoming_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ApiQuery<CalendarQuery>,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&req, &state);
    let search = query.0.search;
    let name = match search.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => format!("Plaza: {}", text.chars().take(200).collect::<String>()),
        None => "Plaza: upcoming events".to_owned(),
    };
    let rendered = blocking(move || {
        let events = state.services.calendar.upcoming(search.as_deref(), Utc::now())?;
        debug_assert!(events.len() <= FEED_LIMIT as usize);
        Ok(render(&events, &name, &origin, Kind::Feed))
    })
    .await?;
    Ok(respond(&req, rendered, "no-cache"))
}

/// A person's private feed: the events they organise or hold tickets to, from 30 days ago on, soonest
/// first, at most 500. The address is the credential: anyone who has it can read the feed, until its
/// owner makes a new one.
#[utoipa::path(
    get,
    path = "/calendar/{secret}.ics",
    tag = "calendar",
    operation_id = "get_private_calendar",
    params(("secret" = String, Path, description = "The secret from `POST /users/me/calendar-secret`")),
    responses(
        (status = 200, description = "An iCalendar (RFC 5545) feed, one `VEVENT` per event",
            content_type = "text/calendar", body = String,
            headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 304, description = "Unchanged since `If-None-Match`"),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn private_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    secret: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&req, &state);
    let secret = secret.into_inner();
    let rendered = blocking(move || {
        let private = state.services.calendar.private_feed(&secret, Utc::now())?;
        let name = match private.owner.locale {
            Locale::ZhCn => format!("Plaza：{} 的活动", private.owner.shown_username()),
            Locale::En => format!("Plaza: {}'s events", private.owner.shown_username()),
        };
        Ok(render(&private.events, &name, &origin, Kind::Feed))
    })
    .await?;
    // Only its owner's calendar should keep it.
    Ok(respond(&req, rendered, "private, no-cache"))
}

/// A new private calendar address.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarSecretResponse {
    /// The secret (256 random bits, URL-safe base64): shown this once; Plaza keeps only its digest.
    pub secret: String,
    /// The feed's address, `<PUBLIC_URL>/calendar/<secret>.ics`, to subscribe to in a calendar.
    pub url: String,
}

/// Makes the caller a new private calendar address; the one made before, if any, stops working (`404`).
#[utoipa::path(
    post,
    path = "/users/me/calendar-secret",
    tag = "calendar",
    operation_id = "create_calendar_secret",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The new secret and the feed's address", body = CalendarSecretResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn new_secret(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let origin = origin(&req, &state);
    let secret = blocking(move || state.services.calendar.new_secret(&caller.0)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CalendarSecretResponse {
            url: format!("{origin}/calendar/{secret}.ics"),
            secret,
        }))
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

    #[test]
    fn text_keeps_line_breaks_and_tabs_and_drops_other_controls() {
        assert_eq!(text("a\r\nb\rc\td\u{1}e\u{7f}f\u{1b}g"), "a\nb\nc\tdefg");
    }
}

/// Whether the caller has a private calendar address, and since when (the address itself is not kept).
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarSecretState {
    /// Whether an address works now.
    pub active: bool,
    /// When the address that works now was made; `null` when there is none.
    #[serde(serialize_with = "crate::tickets::serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub created_at: Option<DateTime<Utc>>,
}

impl CalendarSecretState {
    /// The state of an address made at `created_at` (`None`: there is none).
    pub fn of(created_at: Option<DateTime<Utc>>) -> Self {
        Self {
            active: created_at.is_some(),
            created_at,
        }
    }
}

/// Whether the caller has a private calendar address that works, and when it was made (`active: false`
/// when there is none: never made, or turned off). The address itself cannot be shown again: only its
/// digest is kept.
#[utoipa::path(
    get,
    path = "/users/me/calendar-secret",
    tag = "calendar",
    operation_id = "get_calendar_secret",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "Whether there is one, and since when", body = CalendarSecretState),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn secret_state(state: web::Data<AppState>, caller: AuthUser) -> Result<HttpResponse, ApiError> {
    let created_at = blocking(move || state.services.calendar.secret_made_at(&caller.0)).await?;
    Ok(HttpResponse::Ok().json(CalendarSecretState::of(created_at)))
}

/// Turns the caller's private calendar off: its address answers `404` from then on. `204` also when there
/// was none.
#[utoipa::path(
    delete,
    path = "/users/me/calendar-secret",
    tag = "calendar",
    operation_id = "delete_calendar_secret",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "The private address opens nothing any more"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn turn_off(state: web::Data<AppState>, caller: AuthUser) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.calendar.turn_off(&caller.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
