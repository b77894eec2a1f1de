//! `GET /notifications/stream`: the caller's notifications as they happen, as Server-Sent Events; and
//! `POST /notifications/stream/ticket` for clients that cannot send an `Authorization` header.
//!
//! What a stream delivers and when it ends is [`plaza_app::stream`]'s; this module authenticates, drives
//! a [`LiveStream`] with actix's timers and blocking pool, and frames what it delivers as SSE.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName};
use actix_web::{Either, FromRequest, HttpRequest, HttpResponse, Responder, web};
use actix_web_lab::sse::{self, Sse};
use plaza_app::auth::Session;
use plaza_app::live::Refusal;
use plaza_app::stream::{Delivery, LiveStream, Next, Woken};
use plaza_domain::notification::InboxCursor;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::blocking;
use crate::notifications::NotificationResponse;
use crate::responses::{BadRequest, RateLimited, Unauthorized, Unavailable};
use crate::state::AppState;

/// A comment line this often keeps proxies and load balancers from closing a quiet stream.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before reconnecting on its own.
pub const RETRY: Duration = Duration::from_secs(3);

/// Seconds a client refused for a limit is asked to wait.
const RETRY_AFTER_SECONDS: u64 = 5;

/// The stream's query, read leniently: every value as the text sent, so that nothing in it can be
/// refused before the caller is authenticated (a `401` comes first, and a ticket is spent by the
/// attempt). `after` is checked once the caller is known.
#[derive(Debug, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Replay the caller's notifications with an id above this one first, then continue live. The
    /// `Last-Event-ID` header does the same and wins. Without either, only what arrives from now on.
    #[param(value_type = Option<i64>, nullable = false, minimum = 0)]
    after: Vec<String>,
    /// A ticket from `POST /notifications/stream/ticket`, for clients that cannot send an
    /// `Authorization` header (a browser's `EventSource`). Single use.
    #[param(value_type = Option<String>, nullable = false)]
    ticket: Vec<String>,
}

impl StreamQuery {
    /// Every `after` and `ticket` of the query string, in order; other parameters are ignored. Never
    /// fails: a value that is not valid UTF-8 or percent-encoding is read lossily.
    fn read(query: &str) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let mut read = Self::default();
        for (name, value) in pairs {
            match name.as_str() {
                "after" => read.after.push(value),
                "ticket" => read.ticket.push(value),
                _ => {}
            }
        }
        read
    }

    /// `after`, once the caller is authenticated: at most one, an integer `>= 0`.
    fn after(&self) -> Result<Option<InboxCursor>, ApiError> {
        match self.after.as_slice() {
            [] => Ok(None),
            [after] => match after.parse::<i64>() {
                Ok(id) => non_negative_id(id).map(Some),
                Err(_) => Err(ApiError::bad_request(
                    "invalid query parameter: after must be an integer >= 0",
                )),
            },
            _ => Err(ApiError::bad_request(
                "invalid query parameter: after is given more than once",
            )),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreamTicketResponse {
    /// Opens one stream: `GET /notifications/stream?ticket=…`.
    pub ticket: String,
    /// Seconds it may wait to be used.
    pub expires_in: i64,
}

/// The data of an `unread` event.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadEvent {
    /// All of the caller's unread notifications.
    pub unread: u64,
}

/// The data of the `end` event, sent before the server closes a stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndEvent {
    /// `token_expired` or `signed_out` (the password changed): the session is over, do not reconnect
    /// with it. `account_banned`: the account was banned, do not reconnect before the ban ends.
    /// `shutting_down` (the instance is stopping) or `unavailable` (storage failed): reconnect with
    /// `after`.
    #[schema(example = "shutting_down")]
    pub reason: &'static str,
}

/// A single-use ticket that opens one notification stream within a minute, for clients that cannot send
/// an `Authorization` header. The stream it opens ends when the token that took it expires.
#[utoipa::path(
    post,
    path = "/notifications/stream/ticket",
    tag = "notifications",
    operation_id = "issue_stream_ticket",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A ticket", body = StreamTicketResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn ticket(state: web::Data<AppState>, caller: AuthSession) -> Result<HttpResponse, ApiError> {
    let issued = blocking(move || state.services.live.issue_ticket(&caller.0)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(StreamTicketResponse {
            ticket: issued.ticket,
            expires_in: issued.expires_in,
        }))
}

/// The caller's notifications as they happen (`text/event-stream`). Events: `unread` (`{"unread": n}`,
/// at once and after every change of the count), `notification` (with `id:`, the same object as in the
/// list), `end` (`{"reason": …}`, before the server closes the stream), and `: keep-alive` comments every
/// 15 s. Authenticate with the `Authorization` header or a `ticket`.
#[utoipa::path(
    get,
    path = "/notifications/stream",
    tag = "notifications",
    operation_id = "stream_notifications",
    params(
        StreamQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "The id of the last notification received: \
            replay from there (wins over `after`)"),
    ),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "An event stream", content_type = "text/event-stream", body = String,
            headers(
                ("Cache-Control" = String, description = "`no-cache`"),
                ("X-Accel-Buffering" = String, description = "`no`: proxies must not buffer the stream"),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 429, response = RateLimited),
        (status = 503, response = Unavailable),
    )
)]
pub async fn stream(state: web::Data<AppState>, req: HttpRequest) -> Result<impl Responder, ApiError> {
    let query = StreamQuery::read(req.query_string());
    // Authentication first (spending a ticket), whatever else is wrong with the request.
    let session = authenticate(&state, &req, query.ticket.first().cloned()).await?;
    if query.ticket.len() > 1 {
        return Err(ApiError::bad_request(
            "invalid query parameter: ticket is given more than once",
        ));
    }
    let after = match last_event_id(&req)? {
        Some(id) => Some(id),
        None => query.after()?,
    };
    if req.method() == actix_web::http::Method::HEAD {
        // The head of a stream without the stream: a `HEAD` must end, and holds no place under the limits.
        return Ok(Either::Left(
            HttpResponse::Ok()
                .content_type("text/event-stream")
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .insert_header((HeaderName::from_static("x-accel-buffering"), "no"))
                .insert_header((header::CONTENT_ENCODING, "identity"))
                .finish(),
        ));
    }
    // Registered before the first read: whatever commits from here on wakes this stream.
    let subscription = state.services.live.open(&session).map_err(refused)?;
    let live = state.services.live.clone();
    let stream = blocking(move || LiveStream::start(&live, session, subscription, after)).await?;
    let events = futures_util::stream::unfold(stream, |mut stream| async move {
        next_event(&mut stream)
            .await
            .map(|event| (Ok::<_, Infallible>(event), stream))
    });
    Ok(Either::Right(
        Sse::from_stream(events)
            .with_keep_alive(KEEP_ALIVE)
            .with_retry_duration(RETRY)
            .customize()
            .insert_header((HeaderName::from_static("x-accel-buffering"), "no"))
            // Not compressed: an encoder holds small writes back until it has a block, and an event must
            // leave at once.
            .insert_header((header::CONTENT_ENCODING, "identity")),
    ))
}

/// The session from the `Authorization` header, or else from a ticket.
async fn authenticate(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    ticket: Option<String>,
) -> Result<Session, ApiError> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        // The session needs no body.
        return AuthSession::from_request(req, &mut Payload::None)
            .await
            .map(|caller| caller.0);
    }
    let state = state.clone();
    match ticket {
        Some(ticket) => blocking(move || state.services.live.redeem_ticket(&ticket)).await,
        None => Err(ApiError::unauthorized(
            "not authenticated: send a Bearer token or a stream ticket",
        )),
    }
}

fn non_negative_id(id: i64) -> Result<InboxCursor, ApiError> {
    InboxCursor::parse(id)
        .ok_or_else(|| ApiError::invalid_field("after", "must be greater than or equal to 0"))
}

/// The `Last-Event-ID` a reconnecting `EventSource` sends: a notification id. Empty means none.
fn last_event_id(req: &HttpRequest) -> Result<Option<InboxCursor>, ApiError> {
    let Some(value) = req.headers().get("last-event-id") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("!").trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>().ok().and_then(InboxCursor::parse) {
        Some(cursor) => Ok(Some(cursor)),
        None => Err(ApiError::bad_request(
            "Last-Event-ID must be the id of a notification (an integer >= 0)",
        )),
    }
}

fn refused(refusal: Refusal) -> ApiError {
    if !matches!(refusal, Refusal::ShuttingDown) {
        crate::metrics::refused(crate::metrics::Refusal::Streams);
    }
    match refusal {
        Refusal::UserLimit(limit) => ApiError::rate_limited(
            format!("too many open notification streams: at most {limit} per user; close one first"),
            RETRY_AFTER_SECONDS,
        ),
        Refusal::ServerLimit(_) => ApiError::unavailable(
            "this server holds as many notification streams as it can; try again shortly",
        )
        .retry_after(RETRY_AFTER_SECONDS),
        Refusal::ShuttingDown => {
            ApiError::unavailable("the server is shutting down; reconnect shortly").retry_after(1)
        }
    }
}

/// The stream's next event, or `None` once it is over: does what the stream asks until it has something
/// to send.
async fn next_event(stream: &mut LiveStream) -> Option<sse::Event> {
    loop {
        match stream.step() {
            Next::Send(delivery) => {
                if let Some(event) = frame(delivery) {
                    return Some(event);
                }
            }
            Next::Closed => return None,
            Next::Wait {
                token_expires_in,
                safety_read,
            } => {
                let woken = tokio::select! {
                    () = stream.changed() => Woken::Signal,
                    () = tokio::time::sleep(token_expires_in) => Woken::Expiry,
                    () = tokio::time::sleep(safety_read) => Woken::SafetyRead,
                };
                stream.woken(woken);
            }
            Next::Check(check) => {
                let checked = blocking(move || check.run()).await;
                stream.checked(checked);
            }
            Next::Read(read) => {
                let turn = stream.read_turn().await;
                let inbox = blocking(move || read.run()).await;
                drop(turn);
                stream.read(inbox);
            }
        }
    }
}

/// A delivery as an SSE event: `notification` (with its id), `unread` or `end`.
fn frame(delivery: Delivery) -> Option<sse::Event> {
    match delivery {
        Delivery::Notification(notification) => {
            let id = notification.id.get().to_string();
            match sse::Data::new_json(NotificationResponse::from(notification)) {
                Ok(data) => Some(data.event("notification").id(id).into()),
                Err(error) => {
                    tracing::error!(%error, "a notification could not be serialised");
                    None
                }
            }
        }
        Delivery::Unread(unread) => json_event("unread", &UnreadEvent { unread }),
        Delivery::End(reason) => json_event(
            "end",
            &EndEvent {
                reason: reason.as_str(),
            },
        ),
    }
}

fn json_event(event: &'static str, data: &impl Serialize) -> Option<sse::Event> {
    match sse::Data::new_json(data) {
        Ok(data) => Some(data.event(event).into()),
        Err(error) => {
            tracing::error!(%error, "a stream event could not be serialised");
            None
        }
    }
}
