//! `GET /events/{event_id}/attendees`: who holds an event's tickets, for its owner — a page of JSON, or
//! with `Accept: text/csv` the whole list as a CSV file, streamed batch by batch.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use plaza_domain::EventId;
use plaza_domain::ticket::Attendee;
use plaza_domain::user::User;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::comments::PageQuery;
use crate::error::ApiError;
use crate::events::EventIdParam;
use crate::extract::{ApiQuery, PathId, blocking};
use crate::respond::{format_time, list, serialize_time};
use crate::responses::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::state::AppState;
use crate::tickets::{TicketStatusName, serialize_optional_time};

/// Rows read per batch of a CSV export: memory stays flat whatever the list's length.
const CSV_BATCH: u32 = 500;

/// One ticket of the event with its holder.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeResponse {
    /// The ticket's id.
    pub id: i64,
    pub event_id: i64,
    pub status: TicketStatusName,
    /// The admission code (the owner checks tickets in with it).
    pub code: String,
    pub holder_id: i64,
    pub username: String,
    pub full_name: Option<String>,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl From<Attendee> for AttendeeResponse {
    fn from(
        Attendee {
            ticket,
            username,
            full_name,
        }: Attendee,
    ) -> Self {
        Self {
            id: ticket.id.get(),
            event_id: ticket.event_id.get(),
            status: ticket.status.into(),
            code: ticket.code,
            holder_id: ticket.holder_id.get(),
            username,
            full_name,
            created_at: ticket.created_at,
            checked_in_at: ticket.checked_in_at,
            cancelled_at: ticket.cancelled_at,
        }
    }
}

/// Every ticket of the event (any status) with its holder, in the order they were sold; its owner only
/// (`403` for anyone else). JSON by default, a page at a time (`skip`, `limit`, `X-Total-Count`); with
/// `Accept: text/csv`, the whole list as one CSV file (RFC 4180, UTF-8, a header row; a cell that a
/// spreadsheet would take for a formula is prefixed with `'`), streamed in batches.
#[utoipa::path(
    get,
    path = "/events/{event_id}/attendees",
    tag = "tickets",
    operation_id = "list_attendees",
    params(EventIdParam, PageQuery),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A page of the event's tickets with their holders, or with `Accept: \
            text/csv` every one of them as CSV", content(
            ([AttendeeResponse] = "application/json"),
            (String = "text/csv"),
        ), headers(("X-Total-Count" = u64, description = "The event's tickets (JSON only)"))),
        (status = 204, description = "No ticket on this page (JSON only)",
            headers(("X-Total-Count" = u64, description = "The event's tickets"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_attendees(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: AuthUser,
    event: PathId<EventId>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.0.page()?;
    let event = event.0;
    if wants_csv(&req) {
        return csv_export(state, caller.0, event).await;
    }
    let attendees = blocking(move || state.services.tickets.attendees(&caller.0, event, page)).await?;
    let mut response = list(attendees.map(AttendeeResponse::from), &[]);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// Whether the client asked for CSV (`Accept: text/csv`, alone or among others).
fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|part| {
                part.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .eq_ignore_ascii_case("text/csv")
            })
        })
}

/// The whole list as CSV: the first batch is read before answering (so a refusal is still a JSON error),
/// then each batch as the client takes the previous one.
async fn csv_export(
    state: web::Data<AppState>,
    owner: User,
    event: EventId,
) -> Result<HttpResponse, ApiError> {
    let first = {
        let (state, owner) = (state.clone(), owner.clone());
        blocking(move || {
            state
                .services
                .tickets
                .attendees_after(&owner, event, None, CSV_BATCH)
        })
        .await?
    };
    let mut head = String::from(CSV_HEADER);
    head.push_str("\r\n");
    let start = Some((first, state, owner));
    let rows = futures_util::stream::unfold(start, move |next| async move {
        let (batch, state, owner) = next?;
        if batch.is_empty() {
            return None;
        }
        let after = batch.last().map(|attendee| attendee.ticket.id);
        let chunk = Bytes::from(csv_rows(&batch));
        let following = if batch.len() < CSV_BATCH as usize {
            Some((Vec::new(), state, owner))
        } else {
            let (reader, reading_owner) = (state.clone(), owner.clone());
            let read = blocking(move || {
                reader
                    .services
                    .tickets
                    .attendees_after(&reading_owner, event, after, CSV_BATCH)
            })
            .await;
            match read {
                Ok(batch) => Some((batch, state, owner)),
                // The answer has started: a failure can only cut the file short, which the client sees.
                Err(_) => None,
            }
        };
        Some((Ok::<_, actix_web::Error>(chunk), following))
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from(head)) }).chain(rows);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"event-{}-attendees.csv\"", event.get()),
        ))
        .streaming(body))
}

/// The CSV's columns.
const CSV_HEADER: &str =
    "ticket_id,status,code,holder_id,username,full_name,created_at,checked_in_at,cancelled_at";

/// Lines of the CSV for `batch`, each ended by CRLF.
fn csv_rows(batch: &[Attendee]) -> String {
    let mut out = String::new();
    for attendee in batch {
        let ticket = &attendee.ticket;
        let time = |time: Option<DateTime<Utc>>| time.map(|time| format_time(&time)).unwrap_or_default();
        let cells = [
            ticket.id.get().to_string(),
            ticket.status.as_str().to_owned(),
            ticket.code.clone(),
            ticket.holder_id.get().to_string(),
            attendee.username.clone(),
            attendee.full_name.clone().unwrap_or_default(),
            format_time(&ticket.created_at),
            time(ticket.checked_in_at),
            time(ticket.cancelled_at),
        ];
        let line: Vec<String> = cells.iter().map(|cell| csv_cell(cell)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One cell, safe for a spreadsheet: text a spreadsheet would run as a formula (starting with `=`, `+`,
/// `-`, `@`, a tab or a carriage return) gets a leading `'`, and a cell holding a comma, a quote or a line
/// break is quoted, its quotes doubled (RFC 4180).
fn csv_cell(text: &str) -> String {
    let safe = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if safe.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_as_rfc_4180_says_and_never_run_as_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("李雷"), "李雷");
    }
}
