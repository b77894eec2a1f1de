//! `/events/…`: publishing, searching, changing and selling tickets for events.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::event::{
    Capacity, DurationHours, DurationMinutes, Event, EventChanges, EventDescription, EventName, EventQuery,
    MaxTickets, NewEvent, SearchTerms, TicketQuantity,
};
use plaza_domain::{EventId, Invalid, Page, PageRequest, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking, present};
use crate::respond::{list, parse_time, serialize_time};
use crate::state::AppState;

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
        }
    }
}

fn time(raw: String) -> Result<DateTime<Utc>, Invalid> {
    parse_time(&raw).map_err(Invalid)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateEventBody {
    pub name: String,
    /// RFC 3339, or a naive `YYYY-MM-DDTHH:MM[:SS]` taken as UTC.
    pub event_time: String,
    pub description: String,
    pub duration_hours: i64,
    pub duration_minutes: i64,
    #[serde(default)]
    pub tickets_sold: Option<i64>,
    pub max_tickets: i64,
}

impl CreateEventBody {
    fn into_domain(self, owner: &plaza_domain::user::User) -> Result<NewEvent, ApiError> {
        let mut errors = ValidationErrors::default();
        let name = errors.check("name", EventName::parse(self.name));
        let event_time = errors.check("event_time", time(self.event_time));
        let description = errors.check("description", EventDescription::parse(self.description));
        let duration_hours = errors.check("duration_hours", DurationHours::parse(self.duration_hours));
        let duration_minutes =
            errors.check("duration_minutes", DurationMinutes::parse(self.duration_minutes));
        let max_tickets = errors.check("max_tickets", MaxTickets::parse(self.max_tickets));
        let capacity = max_tickets
            .and_then(|max| errors.check("tickets_sold", Capacity::new(self.tickets_sold.unwrap_or(0), max)));
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
            ) if errors.is_empty() => Ok(NewEvent {
                name,
                event_time,
                description,
                duration_hours,
                duration_minutes,
                capacity,
                owner_id: owner.id,
            }),
            _ => Err(errors.into()),
        }
    }
}

/// Any subset of the create fields except `tickets_sold`; `null` is not a value for any of them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchEventBody {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub event_time: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub duration_hours: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub duration_minutes: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    pub max_tickets: Option<i64>,
    /// Refused: sales change only through purchases.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub tickets_sold: Option<serde_json::Value>,
}

impl PatchEventBody {
    fn into_domain(self) -> Result<EventChanges, ApiError> {
        let mut errors = ValidationErrors::default();
        if self.tickets_sold.is_some() {
            errors.push(
                "tickets_sold",
                "cannot be changed: tickets are sold through purchases",
            );
        }
        let changes = EventChanges {
            name: errors.check_opt("name", self.name, EventName::parse).flatten(),
            event_time: errors.check_opt("event_time", self.event_time, time).flatten(),
            description: errors
                .check_opt("description", self.description, EventDescription::parse)
                .flatten(),
            duration_hours: errors
                .check_opt("duration_hours", self.duration_hours, DurationHours::parse)
                .flatten(),
            duration_minutes: errors
                .check_opt("duration_minutes", self.duration_minutes, DurationMinutes::parse)
                .flatten(),
            max_tickets: errors
                .check_opt("max_tickets", self.max_tickets, MaxTickets::parse)
                .flatten(),
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
    /// 1–100 tickets.
    pub quantity: i64,
}

#[derive(Debug, Deserialize)]
pub struct EventListQuery {
    skip: Option<i64>,
    limit: Option<i64>,
    search: Option<String>,
}

/// `POST /events/`: the caller becomes the owner.
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreateEventBody>,
) -> Result<HttpResponse, ApiError> {
    let new = body.0.into_domain(&caller.0)?;
    let event = blocking(move || state.services.events.create(new)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}

/// `GET /events/`: ordered by `event_time`, then `id`; `search` matches word prefixes in name or
/// description. A search with no word in it (only punctuation) matches nothing.
pub async fn list_events(
    state: web::Data<AppState>,
    query: ApiQuery<EventListQuery>,
) -> Result<HttpResponse, ApiError> {
    let EventListQuery { skip, limit, search } = query.0;
    let page = PageRequest::new(skip, limit)?;
    let search = match search.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => match SearchTerms::parse(text) {
            Some(terms) => Some(terms),
            None => {
                return Ok(list(
                    Page::<EventResponse> {
                        items: Vec::new(),
                        total: 0,
                    },
                    &[],
                ));
            }
        },
    };
    let events = blocking(move || state.services.events.list(&EventQuery { search, page })).await?;
    Ok(list(events.map(EventResponse::from), &[]))
}

/// `GET /events/{event_id}`.
pub async fn get(state: web::Data<AppState>, id: PathId<EventId>) -> Result<HttpResponse, ApiError> {
    let event = blocking(move || state.services.events.get(id.0)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}

/// `PATCH /events/{event_id}`: owner only.
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

/// `DELETE /events/{event_id}`: owner only; the comments go with it.
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.events.delete(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /events/{event_id}/tickets`: all the tickets asked for, or `409 sold_out`.
pub async fn purchase(
    state: web::Data<AppState>,
    _caller: AuthUser,
    id: PathId<EventId>,
    body: ApiJson<PurchaseBody>,
) -> Result<HttpResponse, ApiError> {
    let quantity = TicketQuantity::parse(body.0.quantity)
        .map_err(|invalid| ApiError::invalid_field("quantity", invalid.0))?;
    let event = blocking(move || state.services.events.purchase(id.0, quantity)).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(event)))
}
