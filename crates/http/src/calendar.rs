//! Calendar feeds (iCalendar, RFC 5545): one event, the upcoming events a search finds, and a person's
//! private feed at a secret address. Each is answered with an `ETag` (a digest of the feed) and
//! `Last-Modified`, and `304` when the client's copy is current.

use std::sync::{Arc, LazyLock};
use std::time::SystemTime;

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_app::calendar::FEED_LIMIT;
use plaza_app::ical::{self, Kind};
use plaza_domain::EventId;
use plaza_domain::event::Event;
use plaza_domain::user::Locale;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::EventIdParam;
use crate::extract::{ApiQuery, PathId, blocking};
use crate::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;

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

/// How many feeds of up to 500 events are read and written at once: two per core. Each holds its events
/// and its text (about 0.5 MB) while it is built, and the work is all CPU once the rows are read, so more
/// at once only adds memory (64 at once took RSS from 33 to 106 MiB) and queues at the cores anyway. The
/// rest wait their turn without holding a blocking thread.
static FEED_BUILDS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    Arc::new(Semaphore::new(
        2 * std::thread::available_parallelism().map_or(2, usize::from),
    ))
});

/// Builds a feed when its turn comes (see [`FEED_BUILDS`]). The turn goes with the work onto the blocking
/// thread: a client that gives up does not stop the build, so its turn must not end before the build does.
async fn build_feed(
    work: impl FnOnce() -> Result<Rendered, plaza_app::AppError> + Send + 'static,
) -> Result<Rendered, ApiError> {
    let turn = FEED_BUILDS
        .clone()
        .acquire_owned()
        .await
        .expect("the feed semaphore is never closed");
    blocking(move || {
        let built = work();
        drop(turn);
        built
    })
    .await
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

/// Writes `events` as a calendar (see [`ical::calendar`]) with its digest and its latest change. Called on the
/// blocking pool: 500 events are a few milliseconds of work that must not hold up an async worker.
fn render(events: &[Event], name: &str, origin: &str, kind: Kind) -> Rendered {
    let body = ical::calendar(events, name, origin, kind);
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
    let rendered = build_feed(move || {
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
    let rendered = build_feed(move || {
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
