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

/// The address people reach Plaza at: `PUBLIC_URL` when it is set, else the scheme and `Host` of the
/// request (a `Host` that is not a valid authority reads as `localhost`). Links and `UID`s in feeds use
/// it, so they only stay the same across requests made to different host names when `PUBLIC_URL` is set.
pub(crate) fn origin(req: &HttpRequest, state: &AppState) -> String {
    if let Some(origin) = &state.settings.public_origin {
        return origin.clone();
    }
    let scheme = if req.app_config().secure() {
        "https"
    } else {
        "http"
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| req.uri().authority().map(|authority| authority.as_str()))
        .filter(|host| host.parse::<actix_web::http::uri::Authority>().is_ok())
        .unwrap_or("localhost");
    format!("{scheme}://{host}")
}

/// Text as a calendar holds it: line breaks as `\n` only (the escaping writes them as `\n`; a bare
/// carriage return is not allowed in a content line).
fn text(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\r', "\n")
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
    if !event.description.trim().is_empty() {
        vevent.description(&text(&event.description));
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

/// A whole feed named `name`.
fn feed(events: &[Event], name: &str, origin: &str) -> String {
    let host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", PRODUCT))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("X-WR-CALNAME", text(name)))
        .append_property(
            Property::new("REFRESH-INTERVAL", REFRESH)
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", REFRESH));
    for event in events {
        calendar.push(vevent(event, origin, host));
    }
    calendar.to_string()
}

/// The feed as an answer: `304` when the client's copy is current, by its `ETag` (`If-None-Match`), or,
/// for a single event (`single`), by its time (`If-Modified-Since`). A list's `Last-Modified` is the
/// latest change among its events, but an event leaving the list (it started, was deleted, a ticket was
/// given back) does not move it: lists are only ever compared by `ETag`.
fn respond(req: &HttpRequest, body: String, events: &[Event], single: bool) -> HttpResponse {
    let etag = format!(
        "\"{}\"",
        Sha256::digest(body.as_bytes())
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    let last_modified = events
        .iter()
        .map(|event| event.updated_at)
        .max()
        .map(|time| HttpDate::from(SystemTime::from(time)));
    let header_text = |name| req.headers().get(name).and_then(|value| value.to_str().ok());
    let unchanged = match header_text(header::IF_NONE_MATCH) {
        Some(tags) => tags
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag),
        None => {
            single
                && header_text(header::IF_MODIFIED_SINCE)
                    .and_then(|since| since.parse::<HttpDate>().ok())
                    .zip(events.first())
                    .is_some_and(|(since, event)| {
                        // HTTP dates hold whole seconds.
                        event.updated_at.timestamp()
                            <= DateTime::<Utc>::from(SystemTime::from(since)).timestamp()
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
        .insert_header((header::CACHE_CONTROL, "no-cache"));
    if let Some(last_modified) = last_modified {
        response.insert_header((header::LAST_MODIFIED, last_modified));
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
    let event = blocking(move || state.services.calendar.event(id.0)).await?;
    let body = feed(
        std::slice::from_ref(&event),
        &format!("Plaza: {}", event.name),
        &origin,
    );
    Ok(respond(&req, body, std::slice::from_ref(&event), true))
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
        Some(text) => format!("Plaza: {text}"),
        None => "Plaza: upcoming events".to_owned(),
    };
    let events = blocking(move || state.services.calendar.upcoming(search.as_deref(), Utc::now())).await?;
    debug_assert!(events.len() <= FEED_LIMIT as usize);
    let body = feed(&events, &name, &origin);
    Ok(respond(&req, body, &events, false))
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
    let private = blocking(move || state.services.calendar.private_feed(&secret, Utc::now())).await?;
    let name = match private.owner.locale {
        Locale::ZhCn => format!("Plaza：{} 的活动", private.owner.shown_username()),
        Locale::En => format!("Plaza: {}'s events", private.owner.shown_username()),
    };
    let body = feed(&private.events, &name, &origin);
    let mut response = respond(&req, body, &private.events, false);
    // Only its owner's calendar should keep it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
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
