//! `/events/…`: publishing, searching, changing and selling tickets for events.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_app::events::{EventDraft, When};
use plaza_domain::event::{
    Capacity, DurationHours, DurationMinutes, Event, EventChanges, EventDescription, EventName, MaxTickets,
    TicketQuantity,
};
use plaza_domain::place::{Address, Coordinates, OnlineUrl, Place, PlaceChanges, Venue};
use plaza_domain::{EventId, Invalid, PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::{Field, Optional, accept};
use crate::respond::{list, parse_time, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::state::AppState;
use crate::users::UserIdParam;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub id: i64,
    pub name: String,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub event_time: DateTime<Utc>,
    pub description: String,
    pub duration_hours: i64,
    pub duration_minutes: i64,
    pub tickets_sold: i64,
    pub max_tickets: i64,
    pub owner_id: i64,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The venue's name; `null` when not given.
    pub venue: Option<String>,
    /// The postal address, possibly on several lines; `null` when not given.
    pub address: Option<String>,
    /// Degrees north (WGS 84); `null` unless `longitude` is given too.
    pub latitude: Option<f64>,
    /// Degrees east (WGS 84); `null` unless `latitude` is given too.
    pub longitude: Option<f64>,
    /// An `http` or `https` link to join online; `null` when not given.
    pub online_url: Option<String>,
    /// Where the event's picture is served, relative to the API's root: `/images/<name>`; `null` when it
    /// has none (`PUT /events/{event_id}/image` gives it one).
    pub image_url: Option<String>,
    /// What the picture shows, in the organiser's words (for its `alt` attribute); `null` without one.
    pub image_alt: Option<String>,
    /// Only on an item that was removed by a moderator, as its author, moderators and admins still see
    /// it: `true`. Absent on everything else (nobody else can read a removed item).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub removed: bool,
}

impl From<Event> for EventResponse {
    fn from(event: Event) -> Self {
        Self {
            id: event.id.get(),
            name: event.name,
            event_time: event.event_time,
            description: event.description,
            duration_hours: event.duration_hours,
            duration_minutes: event.duration_minutes,
            tickets_sold: event.tickets_sold,
            max_tickets: event.max_tickets,
            owner_id: event.owner_id.get(),
            created_at: event.created_at,
            venue: event.place.venue,
            address: event.place.address,
            latitude: event.place.coordinates.map(Coordinates::latitude),
            longitude: event.place.coordinates.map(Coordinates::longitude),
            online_url: event.place.online_url,
            image_url: event
                .image
                .as_ref()
                .map(|image| format!("/images/{}", image.name)),
            image_alt: event.image.map(|image| image.alt),
            removed: false,
        }
    }
}

impl From<plaza_app::Seen<Event>> for EventResponse {
    fn from(seen: plaza_app::Seen<Event>) -> Self {
        Self {
            removed: seen.removed,
            ..Self::from(seen.item)
        }
    }
}

/// A text part of a place: blank reads as "none" (a form's empty input), anything else must parse.
fn blank_or<V>(
    parse: impl FnOnce(String) -> Result<V, Invalid>,
) -> impl FnOnce(String) -> Result<Option<V>, Invalid> {
    move |raw| {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            parse(raw).map(Some)
        }
    }
}

/// The place fields of a body, each as sent.
struct PlaceFields {
    venue: Field<String>,
    address: Field<String>,
    latitude: Field<f64>,
    longitude: Field<f64>,
    online_url: Field<String>,
}

impl PlaceFields {
    /// Each part: `None` when left out, `Some(None)` when `null` or blank, `Some(Some(_))` when given. The
    /// two coordinates go together: both numbers, or both left out or `null`.
    fn parse(self, errors: &mut ValidationErrors) -> PlaceChanges {
        let venue = self.venue.clearable("venue", errors, blank_or(Venue::parse));
        let address = self
            .address
            .clearable("address", errors, blank_or(Address::parse));
        let online_url = self
            .online_url
            .clearable("online_url", errors, blank_or(OnlineUrl::parse));
        // A part that was sent but refused has its own error already: the pairing rules below only speak
        // of a part that was left out, so that every invalid part is reported once.
        let (latitude_sent, longitude_sent) = (self.latitude.is_sent(), self.longitude.is_sent());
        let latitude = self.latitude.clearable("latitude", errors, |value| {
            Coordinates::latitude_in_range(value).map(Some)
        });
        let longitude = self.longitude.clearable("longitude", errors, |value| {
            Coordinates::longitude_in_range(value).map(Some)
        });
        let coordinates = match (latitude, longitude) {
            (None, None) => {
                if latitude_sent && !longitude_sent {
                    errors.push("longitude", "must be given with latitude");
                }
                if longitude_sent && !latitude_sent {
                    errors.push("latitude", "must be given with longitude");
                }
                None
            }
            (None, Some(_)) if latitude_sent => None,
            (Some(_), None) if longitude_sent => None,
            (Some(Some(latitude)), Some(Some(longitude))) => match Coordinates::new(latitude, longitude) {
                Ok(point) => Some(Some(point)),
                Err((field, invalid)) => {
                    errors.push(field, invalid.0);
                    None
                }
            },
            (Some(None), Some(None)) => Some(None),
            (_, Some(Some(_))) => {
                errors.push("latitude", "must be given with longitude");
                None
            }
            (Some(Some(_)), _) => {
                errors.push("longitude", "must be given with latitude");
                None
            }
            (Some(None), None) => {
                errors.push("longitude", "must be cleared with latitude");
                None
            }
            (None, Some(None)) => {
                errors.push("latitude", "must be cleared with longitude");
                None
            }
        };
        PlaceChanges {
            venue,
            address,
            coordinates,
            online_url,
        }
    }
}

/// The `event_id` path parameter.
#[derive(IntoParams)]
#[into_params(names("event_id"), parameter_in = Path)]
pub struct EventIdParam(
    /// The event's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

fn time(raw: String) -> Result<DateTime<Utc>, Invalid> {
    let time = parse_time(&raw).map_err(Invalid)?;
    plaza_domain::event::event_time(time)
}

/// A new event. Every invalid field is reported at once.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEventBody {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub name: Field<String>,
    /// RFC 3339 with an offset (converted to UTC), or a naive `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
    #[serde(default)]
    #[schema(value_type = String, required = true, example = "2026-12-01T18:00:00Z")]
    pub event_time: Field<String>,
    /// May be empty.
    #[serde(default)]
    #[schema(value_type = String, required = true, max_length = 10000)]
    pub description: Field<String>,
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 8784)]
    pub duration_hours: Field<i64>,
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 59)]
    pub duration_minutes: Field<i64>,
    /// Tickets already sold, at most `max_tickets`; `0` when left out or `null`.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 1000000)]
    pub tickets_sold: Field<i64>,
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 0, maximum = 1000000)]
    pub max_tickets: Field<i64>,
    /// The venue's name, one line. Left out, `null` or blank: none.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub venue: Field<String>,
    /// The postal address; line breaks allowed. Left out, `null` or blank: none.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Field<String>,
    /// Degrees north, −90 to 90; given with `longitude` or not at all.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = -90, maximum = 90)]
    pub latitude: Field<f64>,
    /// Degrees east, −180 to 180; given with `latitude` or not at all.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = -180, maximum = 180)]
    pub longitude: Field<f64>,
    /// An `http` or `https` link to join online (no user name or password in it), at most 2,000
    /// characters. Left out, `null` or blank: none.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub online_url: Field<String>,
}

impl CreateEventBody {
    fn into_domain(self) -> Result<EventDraft, ApiError> {
        let mut errors = ValidationErrors::default();
        let name = self.name.required("name", &mut errors, EventName::parse);
        let event_time = self.event_time.required("event_time", &mut errors, time);
        let description = self
            .description
            .required("description", &mut errors, EventDescription::parse);
        let duration_hours =
            self.duration_hours
                .required("duration_hours", &mut errors, DurationHours::parse);
        let duration_minutes =
            self.duration_minutes
                .required("duration_minutes", &mut errors, DurationMinutes::parse);
        if let (Some(start), Some(hours), Some(minutes)) = (event_time, duration_hours, duration_minutes) {
            // Reported with the other fields; the use case checks it again for a change of an event.
            errors.check(
                "event_time",
                plaza_domain::event::ends_in_time(start, hours.get(), minutes.get()),
            );
        }
        let tickets_sold = self.tickets_sold.optional("tickets_sold", &mut errors, accept);
        let max_tickets = self
            .max_tickets
            .required("max_tickets", &mut errors, MaxTickets::parse);
        let capacity = match (max_tickets, tickets_sold) {
            (Some(max), Optional::Absent) => errors.check("tickets_sold", Capacity::new(0, max)),
            (Some(max), Optional::Given(sold)) => errors.check("tickets_sold", Capacity::new(sold, max)),
            _ => None,
        };
        let place = PlaceFields {
            venue: self.venue,
            address: self.address,
            latitude: self.latitude,
            longitude: self.longitude,
            online_url: self.online_url,
        }
        .parse(&mut errors);
        let place = Place {
            venue: place.venue.flatten(),
            address: place.address.flatten(),
            coordinates: place.coordinates.flatten(),
            online_url: place.online_url.flatten(),
        };
        match (
            name,
            event_time,
            description,
            duration_hours,
            duration_minutes,
            capacity,
        ) {
            (
                Some(name),
                Some(event_time),
                Some(description),
                Some(duration_hours),
                Some(duration_minutes),
                Some(capacity),
            ) if errors.is_empty() => Ok(EventDraft {
                name,
                event_time,
                description,
                duration_hours,
                duration_minutes,
                capacity,
                place,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// Any subset of the create fields except `tickets_sold`; `null` is not a value for any of them, and an
/// empty object changes nothing.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchEventBody {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub name: Field<String>,
    /// RFC 3339 with an offset, or a naive `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
    #[serde(default)]
    #[schema(value_type = String)]
    pub event_time: Field<String>,
    #[serde(default)]
    #[schema(value_type = String, max_length = 10000)]
    pub description: Field<String>,
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 8784)]
    pub duration_hours: Field<i64>,
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 59)]
    pub duration_minutes: Field<i64>,
    /// Not below the tickets already sold.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 1000000)]
    pub max_tickets: Field<i64>,
    /// Refused whatever its value (`400`): sales change only through purchases.
    #[serde(default)]
    #[schema(ignore)]
    pub tickets_sold: Field<serde_json::Value>,
    /// A new venue; `null` or blank removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub venue: Field<String>,
    /// A new address; `null` or blank removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Field<String>,
    /// Sent with `longitude`: both numbers move the point, both `null` remove it.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = -90, maximum = 90)]
    pub latitude: Field<f64>,
    /// Sent with `latitude`.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = -180, maximum = 180)]
    pub longitude: Field<f64>,
    /// A new link; `null` or blank removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub online_url: Field<String>,
}

impl PatchEventBody {
    fn into_domain(self) -> Result<EventChanges, ApiError> {
        let mut errors = ValidationErrors::default();
        if self.tickets_sold.is_sent() {
            errors.push(
                "tickets_sold",
                "cannot be changed: tickets are sold through purchases",
            );
        }
        let changes = EventChanges {
            name: self
                .name
                .optional_not_null("name", &mut errors, EventName::parse)
                .given(),
            event_time: self
                .event_time
                .optional_not_null("event_time", &mut errors, time)
                .given(),
            description: self
                .description
                .optional_not_null("description", &mut errors, EventDescription::parse)
                .given(),
            duration_hours: self
                .duration_hours
                .optional_not_null("duration_hours", &mut errors, DurationHours::parse)
                .given(),
            duration_minutes: self
                .duration_minutes
                .optional_not_null("duration_minutes", &mut errors, DurationMinutes::parse)
                .given(),
            max_tickets: self
                .max_tickets
                .optional_not_null("max_tickets", &mut errors, MaxTickets::parse)
                .given(),
            place: PlaceFields {
                venue: self.venue,
                address: self.address,
                latitude: self.latitude,
                longitude: self.longitude,
                online_url: self.online_url,
            }
            .parse(&mut errors),
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors.into())
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PurchaseBody {
    /// How many tickets to buy, all or none.
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 100)]
    pub quantity: Field<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// How many matching events to skip.
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    /// How many events to return.
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
    /// Words to find in the name or description: each must match the start of a word (any case, accents
    /// ignored); in Chinese or Japanese text any two or more consecutive characters match. Empty: no filter.
    #[param(nullable = false)]
    search: Option<String>,
    /// `upcoming` (the default): events not started yet, soonest first; `past`: events that have
    /// started, latest first; `all`: every event, earliest first.
    #[param(nullable = false, inline)]
    when: Option<WhenParam>,
}

/// Which events a list holds by their start.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(default = "upcoming")]
pub enum WhenParam {
    #[default]
    Upcoming,
    Past,
    All,
}

impl From<WhenParam> for When {
    fn from(when: WhenParam) -> Self {
        match when {
            WhenParam::Upcoming => When::Upcoming,
            WhenParam::Past => When::Past,
            WhenParam::All => When::All,
        }
    }
}

/// Paging and time window of one organiser's events.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OwnerEventsQuery {
    /// How many events to skip.
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    /// How many events to return.
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
    /// As for `GET /events/`: `upcoming` (default), `past` or `all`.
    #[param(nullable = false, inline)]
    when: Option<WhenParam>,
}

/// Publishes an event; the caller becomes its owner.
#[utoipa::path(
    post,
    path = "/events/",
    tag = "events",
    operation_id = "create_event",
    request_body = CreateEventBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The new event", body = EventResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`email_unverified`: this Plaza requires a verified address to write (`REQUIRE_VERIFIED_EMAIL`); `account_banned`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreateEventBody>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.0.into_domain()?;
    let event = blocking(move || state.services.events.create(&caller.0, draft)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}

/// Lists the events `when` selects — by default those not started yet, soonest first (`event_time`, then
/// `id`) — optionally only those matching `search`. A search with no word in it (only punctuation)
/// matches nothing.
#[utoipa::path(
    get,
    path = "/events/",
    tag = "events",
    operation_id = "list_events",
    params(EventListQuery),
    responses(
        (status = 200, description = "A page of events", body = [EventResponse],
            headers(("X-Total-Count" = u64, description = "Events matching, before `skip` and `limit`"))),
        (status = 204, description = "No event on this page",
            headers(("X-Total-Count" = u64, description = "Events matching, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list_events(
    state: web::Data<AppState>,
    query: ApiQuery<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let EventListQuery {
        skip,
        limit,
        search,
        when,
    } = query.0;
    let page = PageRequest::new(skip, limit)?;
    let when = When::from(when.unwrap_or_default());
    let events = blocking(move || state.services.events.list(search.as_deref(), when, page)).await?;
    Ok(list(events.map(EventResponse::from), &[]))
}

/// The events one person published, as `when` selects them (by default those not started yet, soonest
/// first). `404` when there is no such user.
#[utoipa::path(
    get,
    path = "/users/{user_id}/events",
    tag = "events",
    operation_id = "list_user_events",
    params(UserIdParam, OwnerEventsQuery),
    responses(
        (status = 200, description = "A page of the user's events", body = [EventResponse],
            headers(("X-Total-Count" = u64, description = "Events matching, before `skip` and `limit`"))),
        (status = 204, description = "No event on this page",
            headers(("X-Total-Count" = u64, description = "Events matching, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_by_owner(
    state: web::Data<AppState>,
    id: PathId<UserId>,
    query: ApiQuery<OwnerEventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let OwnerEventsQuery { skip, limit, when } = query.0;
    let page = PageRequest::new(skip, limit)?;
    let when = When::from(when.unwrap_or_default());
    let events = blocking(move || {
        let owner = state.services.users.get(id.0)?;
        state.services.events.list_by_owner(&owner, when, page)
    })
    .await?;
    Ok(list(events.map(EventResponse::from), &[]))
}

/// One event. An event a moderator removed is `404`, except to its owner, moderators and admins, who
/// read it with `"removed": true`. A token is optional, but one that is sent must be valid.
#[utoipa::path(
    get,
    path = "/events/{event_id}",
    tag = "events",
    operation_id = "get_event",
    params(EventIdParam),
    security((), ("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The event", body = EventResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    id: PathId<EventId>,
    viewer: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let event = blocking(move || state.services.events.seen(viewer.0.as_ref(), id.0)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}

/// Changes some of an event's fields; only its owner may. `max_tickets` may not drop below the tickets sold.
#[utoipa::path(
    patch,
    path = "/events/{event_id}",
    tag = "events",
    operation_id = "update_event",
    params(EventIdParam),
    request_body = PatchEventBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The changed event", body = EventResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
    body: ApiJson<PatchEventBody>,
) -> Result<HttpResponse, ApiError> {
    let changes = body.0.into_domain()?;
    let event = blocking(move || state.services.events.update(&caller.0, id.0, changes)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}

/// Deletes an event and its comments: its owner deletes it; a moderator or an admin removes it (logged in
/// the moderation log; a copy is kept for them and the owner). Either way every holder of an active ticket
/// is told, and notifications about it stay, with `event_id: null`.
#[utoipa::path(
    delete,
    path = "/events/{event_id}",
    tag = "events",
    operation_id = "delete_event",
    params(EventIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "Deleted, with its comments, tickets and waitlist. Allowed while people \
            hold tickets: each holder of an active ticket is notified once, in the same transaction"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.events.delete(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A body's `quantity` of tickets: required, 1–100.
pub(crate) fn ticket_quantity(field: Field<i64>) -> Result<TicketQuantity, ApiError> {
    let mut errors = ValidationErrors::default();
    field
        .required("quantity", &mut errors, TicketQuantity::parse)
        .ok_or_else(|| errors.into())
}

/// Buys tickets: all of them, atomically, or `409 sold_out` when fewer are left. Never oversells. Once the
/// event has started its tickets no longer sell: `409 event_started`.
#[utoipa::path(
    post,
    path = "/events/{event_id}/tickets",
    tag = "events",
    operation_id = "buy_tickets",
    params(EventIdParam),
    request_body = PurchaseBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The event with its new `tickets_sold`", body = EventResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, description = "`sold_out`: not enough tickets left; `event_started`: the event has \
            started. Nothing was sold", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn purchase(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
    body: ApiJson<PurchaseBody>,
) -> Result<HttpResponse, ApiError> {
    let quantity = ticket_quantity(body.0.quantity)?;
    let event = blocking(move || state.services.events.purchase(&caller.0, id.0, quantity)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}
