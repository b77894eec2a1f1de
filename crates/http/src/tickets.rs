//! `/users/me/tickets` and `/tickets/{ticket_id}`: the tickets people hold.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::ticket::{CheckIn, CheckInNonce, HeldTicket, TicketStatus};
use plaza_domain::{EventId, PageRequest, TicketId, ValidationErrors};
use serde::{Deserialize, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody, ErrorCode};
use crate::events::EventIdParam;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::Field;
use crate::respond::{list, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::state::AppState;

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatusName {
    /// Held, not used yet.
    Active,
    /// Given back by its holder.
    Cancelled,
    /// Scanned at the door.
    CheckedIn,
}

impl From<TicketStatus> for TicketStatusName {
    fn from(status: TicketStatus) -> Self {
        match status {
            TicketStatus::Active => Self::Active,
            TicketStatus::Cancelled => Self::Cancelled,
            TicketStatus::CheckedIn => Self::CheckedIn,
        }
    }
}

impl From<TicketStatusName> for TicketStatus {
    fn from(status: TicketStatusName) -> Self {
        match status {
            TicketStatusName::Active => Self::Active,
            TicketStatusName::Cancelled => Self::Cancelled,
            TicketStatusName::CheckedIn => Self::CheckedIn,
        }
    }
}

/// The event a ticket admits to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketEventResponse {
    pub id: i64,
    pub name: String,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub event_time: DateTime<Utc>,
}

/// A ticket. `code` is its admission secret: only its holder and its event's owner are ever shown it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    pub id: i64,
    pub event_id: i64,
    pub holder_id: i64,
    pub status: TicketStatusName,
    /// The admission secret (256 random bits, URL-safe base64): what the QR code holds.
    pub code: String,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_in_at: Option<DateTime<Utc>>,
    pub event: TicketEventResponse,
}

pub(crate) fn serialize_optional_time<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize_time(time, serializer),
        None => serializer.serialize_none(),
    }
}

impl From<HeldTicket> for TicketResponse {
    fn from(HeldTicket { ticket, event }: HeldTicket) -> Self {
        Self {
            id: ticket.id.get(),
            event_id: ticket.event_id.get(),
            holder_id: ticket.holder_id.get(),
            status: ticket.status.into(),
            code: ticket.code,
            created_at: ticket.created_at,
            cancelled_at: ticket.cancelled_at,
            checked_in_at: ticket.checked_in_at,
            event: TicketEventResponse {
                id: event.id.get(),
                name: event.name,
                event_time: event.event_time,
            },
        }
    }
}

/// Paging and the status asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyTicketsQuery {
    /// Only tickets in this status; every ticket when left out.
    #[param(nullable = false, inline)]
    status: Option<TicketStatusName>,
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
}

/// The `ticket_id` path parameter.
#[derive(IntoParams)]
#[into_params(names("ticket_id"), parameter_in = Path)]
pub struct TicketIdParam(
    /// The ticket's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// The caller's tickets, newest first, each with its event; `status` keeps one kind.
#[utoipa::path(
    get,
    path = "/users/me/tickets",
    tag = "tickets",
    operation_id = "list_my_tickets",
    params(MyTicketsQuery),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A page of the caller's tickets", body = [TicketResponse],
            headers(("X-Total-Count" = u64, description = "The caller's tickets (of `status`), before `skip` and `limit`"))),
        (status = 204, description = "No ticket on this page",
            headers(("X-Total-Count" = u64, description = "The caller's tickets (of `status`), before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn list_mine(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: ApiQuery<MyTicketsQuery>,
) -> Result<HttpResponse, ApiError> {
    let MyTicketsQuery { status, skip, limit } = query.0;
    let page = PageRequest::new(skip, limit)?;
    let tickets = blocking(move || {
        state
            .services
            .tickets
            .held_by(&caller.0, status.map(TicketStatus::from), page)
    })
    .await?;
    let mut response = list(tickets.map(TicketResponse::from), &[]);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// One ticket, for its holder or its event's owner; anyone else gets `404`, as for a ticket that does
/// not exist.
#[utoipa::path(
    get,
    path = "/tickets/{ticket_id}",
    tag = "tickets",
    operation_id = "get_ticket",
    params(TicketIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The ticket", body = TicketResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<TicketId>,
) -> Result<HttpResponse, ApiError> {
    let ticket = blocking(move || state.services.tickets.get(&caller.0, id.0)).await?;
    Ok(private(HttpResponse::Ok()).json(TicketResponse::from(ticket)))
}

/// Gives the caller's ticket back; its place is free for someone else. Only its holder may (`404` for
/// anyone else). Refused once the ticket is cancelled, used at the door, or the event has started.
#[utoipa::path(
    post,
    path = "/tickets/{ticket_id}/cancel",
    tag = "tickets",
    operation_id = "cancel_ticket",
    params(TicketIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The ticket, now `cancelled`", body = TicketResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, description = "`already_cancelled`, `already_checked_in`, or `event_started`: \
            the event has started. Nothing changed", body = ErrorBody),
    )
)]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<TicketId>,
) -> Result<HttpResponse, ApiError> {
    let ticket = blocking(move || state.services.tickets.cancel(&caller.0, id.0)).await?;
    Ok(private(HttpResponse::Ok()).json(TicketResponse::from(ticket)))
}

/// The ticket's code as a QR code, for the door: holder or event owner only (`404` otherwise).
#[utoipa::path(
    get,
    path = "/tickets/{ticket_id}/qr.svg",
    tag = "tickets",
    operation_id = "get_ticket_qr_code",
    params(TicketIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "An SVG QR code of the ticket's code", content_type = "image/svg+xml",
            body = String, headers(("Cache-Control" = String, description = "`private, no-store`"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn qr_code(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<TicketId>,
) -> Result<HttpResponse, ApiError> {
    let ticket = blocking(move || state.services.tickets.get(&caller.0, id.0)).await?;
    let svg = qr_svg(&ticket.ticket.code)?;
    Ok(private(HttpResponse::Ok())
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}

/// A scan at the door.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CheckInBody {
    /// The ticket's code, as its QR code holds it.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1)]
    pub code: Field<String>,
    /// Chosen by the scanner for this scan (1–100 visible ASCII characters): sent again when the scan is
    /// retried after a lost answer, so that the retry gets the first answer instead of a `409`.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub nonce: Field<String>,
}

/// A ticket let in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInResponse {
    /// Always `true`: a scan that does not let anyone in is not a `200`.
    pub admitted: bool,
    pub ticket: TicketResponse,
}

/// A scan that lets nobody in: the error body, with when the ticket was let in for `already_checked_in`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckInRefusedBody {
    pub detail: String,
    /// `already_checked_in` or `ticket_cancelled`.
    pub code: ErrorCode,
    /// When the ticket was let in: present with `already_checked_in`.
    #[serde(
        serialize_with = "serialize_optional_time",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime, nullable = false)]
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// Scans a ticket at the event's door; the event's owner only (`403` for anyone else). The first scan of
/// an active ticket of this event lets it in. A later scan is `409 already_checked_in` (with when it was
/// let in) — except the same `nonce` again, a retried scan, which gets the first answer again. A
/// cancelled ticket is `409 ticket_cancelled`; a code no ticket of this event has, `404`. Two doors
/// scanning one code at once let it in once.
#[utoipa::path(
    post,
    path = "/events/{event_id}/check-ins",
    tag = "tickets",
    operation_id = "check_in",
    params(EventIdParam),
    request_body = CheckInBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "Let in", body = CheckInResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`already_checked_in` (with `checked_in_at`), or `ticket_cancelled`: \
            nobody is let in", body = CheckInRefusedBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn check_in(
    state: web::Data<AppState>,
    caller: AuthUser,
    event: PathId<EventId>,
    body: ApiJson<CheckInBody>,
) -> Result<HttpResponse, ApiError> {
    let CheckInBody { code, nonce } = body.0;
    let mut errors = ValidationErrors::default();
    let code = code.required("code", &mut errors, |raw: String| {
        let raw = raw.trim().to_owned();
        if raw.is_empty() {
            Err(plaza_domain::Invalid::new("must not be empty"))
        } else {
            Ok(raw)
        }
    });
    let nonce = nonce.required("nonce", &mut errors, |raw: String| CheckInNonce::parse(&raw));
    let (Some(code), Some(nonce)) = (code, nonce) else {
        return Err(errors.into());
    };
    let scan = blocking(move || state.services.tickets.check_in(&caller.0, event.0, &code, &nonce)).await?;
    Ok(match scan {
        CheckIn::Admitted(ticket) => private(HttpResponse::Ok()).json(CheckInResponse {
            admitted: true,
            ticket: TicketResponse::from(ticket),
        }),
        CheckIn::AlreadyCheckedIn(ticket) => private(HttpResponse::Conflict()).json(CheckInRefusedBody {
            detail: "the ticket was checked in already".into(),
            code: ErrorCode::AlreadyCheckedIn,
            checked_in_at: ticket.ticket.checked_in_at,
        }),
    })
}

/// `code` as an SVG QR code, sized for a phone screen, with the quiet zone scanners need.
fn qr_svg(code: &str) -> Result<String, ApiError> {
    use qrcode::render::svg;
    let qr = qrcode::QrCode::new(code.as_bytes()).map_err(|error| ApiError::internal(&error))?;
    Ok(qr
        .render::<svg::Color<'_>>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// A ticket's answer is its holder's alone: no cache may keep it.
fn private(mut response: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_an_svg_of_the_code() {
        let svg = qr_svg("q2x0-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789a").unwrap();
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.contains("</svg>"));
        assert!(!svg.contains("q2x0"), "the code is drawn, not written");
    }
}
