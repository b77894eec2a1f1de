//! `/events/{event_id}/waitlist` and `/users/me/waitlist`: waiting for places at a sold-out event.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::EventId;
use plaza_domain::waitlist::WaitlistEntry;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::comments::PageQuery;
use crate::error::{ApiError, ErrorBody};
use crate::events::EventIdParam;
use crate::extract::{ApiJson, PathId, blocking};
use crate::field::Field;
use crate::respond::{list, serialize_time};
use crate::responses::{BadRequest, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;
use crate::tickets::TicketEventResponse;

/// Someone's place on an event's waitlist.
#[derive(Debug, Serialize, ToSchema)]
pub struct WaitlistEntryResponse {
    pub event_id: i64,
    pub user_id: i64,
    /// How many tickets they wait for: all of them, or none.
    pub quantity: i64,
    /// Their place in line: `1` is the first to be offered places.
    pub position: u64,
    /// When they joined.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub event: TicketEventResponse,
}

impl From<WaitlistEntry> for WaitlistEntryResponse {
    fn from(entry: WaitlistEntry) -> Self {
        Self {
            event_id: entry.event.id.get(),
            user_id: entry.user_id.get(),
            quantity: entry.quantity,
            position: entry.position,
            created_at: entry.created_at,
            event: TicketEventResponse {
                id: entry.event.id.get(),
                name: entry.event.name,
                event_time: entry.event.event_time,
            },
        }
    }
}

/// How many tickets to wait for.
#[derive(Debug, Deserialize, ToSchema)]
pub struct JoinWaitlistBody {
    /// How many tickets, all or none: more than are left now.
    #[serde(default)]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 100)]
    pub quantity: Field<i64>,
}

/// Joins the event's waitlist for `quantity` tickets, at the end of the line: only while fewer than that
/// are left (`409 tickets_available`: buy them instead), once per person (`409 already_waiting`), before
/// the event starts (`409 event_started`). When places free up, entries are filled whole, in join order.
#[utoipa::path(
    post,
    path = "/events/{event_id}/waitlist",
    tag = "tickets",
    operation_id = "join_waitlist",
    params(EventIdParam),
    request_body = JoinWaitlistBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's entry, with its position", body = WaitlistEntryResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, description = "`tickets_available`: at least `quantity` tickets are left, buy them; \
            `already_waiting`: the caller is on this waitlist already; `event_started`: the event has \
            started. Nothing changed", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn join(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
    body: ApiJson<JoinWaitlistBody>,
) -> Result<HttpResponse, ApiError> {
    let quantity = crate::events::ticket_quantity(body.0.quantity)?;
    let entry = blocking(move || state.services.waitlist.join(&caller.0, id.0, quantity)).await?;
    Ok(HttpResponse::Ok().json(WaitlistEntryResponse::from(entry)))
}

/// The caller's place on the event's waitlist; `404` when they are not on it.
#[utoipa::path(
    get,
    path = "/events/{event_id}/waitlist",
    tag = "tickets",
    operation_id = "get_my_waitlist_entry",
    params(EventIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's entry, with its position", body = WaitlistEntryResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get_mine(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
) -> Result<HttpResponse, ApiError> {
    let entry = blocking(move || state.services.waitlist.find(&caller.0, id.0)).await?;
    Ok(HttpResponse::Ok().json(WaitlistEntryResponse::from(entry)))
}

/// Leaves the event's waitlist; `404` when the caller is not on it.
#[utoipa::path(
    delete,
    path = "/events/{event_id}/waitlist",
    tag = "tickets",
    operation_id = "leave_waitlist",
    params(EventIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "Left"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn leave(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<EventId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.waitlist.leave(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's waitlist entries, oldest first, each with its position.
#[utoipa::path(
    get,
    path = "/users/me/waitlist",
    tag = "tickets",
    operation_id = "list_my_waitlist",
    params(PageQuery),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A page of the caller's entries", body = [WaitlistEntryResponse],
            headers(("X-Total-Count" = u64, description = "The caller's entries, before `skip` and `limit`"))),
        (status = 204, description = "No entry on this page",
            headers(("X-Total-Count" = u64, description = "The caller's entries, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn list_mine(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: crate::extract::ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.0.page()?;
    let entries = blocking(move || state.services.waitlist.list(&caller.0, page)).await?;
    Ok(list(entries.map(WaitlistEntryResponse::from), &[]))
}
