//! The contract's one error shape, and the one place where every failure becomes an HTTP status.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use plaza_app::AppError;
use plaza_domain::error::DATABASE_UNREACHABLE;
use plaza_domain::{Conflict, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// Declares [`ErrorCode`] with each code's name written once: serde serializes a code as that name (which
/// the OpenAPI document lists), and [`ErrorCode::as_str`] returns it.
macro_rules! error_codes {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $code:tt,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $code)] $variant,)*
        }

        impl $name {
            /// Every code, in declaration order.
            pub const ALL: &[Self] = &[$(Self::$variant,)*];

            /// The code as the contract writes it: `validation_failed`, `not_found`, ...
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// The stable, machine-readable reason of an error response.
    pub enum ErrorCode {
        /// `400`: a field is missing, of the wrong type, or out of range; `errors` names each one.
        ValidationFailed = "validation_failed",
        /// `400`: the body is not valid JSON or form data, or a query or path parameter cannot be parsed.
        BadRequest = "bad_request",
        /// `401`: no token, a malformed, forged or expired token, an unknown user, or wrong credentials.
        Unauthorized = "unauthorized",
        /// `401`: a refresh token was presented after it had been spent; its session has ended.
        RefreshTokenReused = "refresh_token_reused",
        /// `400`: a one-time link's token (a password reset's) is unknown, used already, or expired.
        InvalidToken = "invalid_token",
        /// `403`: authenticated, but not the owner of what is being changed.
        Forbidden = "forbidden",
        /// `403`: the account's address is not verified, and this Plaza requires it (`REQUIRE_VERIFIED_EMAIL`) to
        /// create events, posts and comments.
        EmailUnverified = "email_unverified",
        /// `403`: the account is banned (`ban` says why and until when): its tokens and logins are refused.
        AccountBanned = "account_banned",
        /// `404`: the resource or route does not exist.
        NotFound = "not_found",
        /// `405`: the path exists, the method does not (see `Allow`).
        MethodNotAllowed = "method_not_allowed",
        /// `408`: the request body did not arrive in time.
        RequestTimeout = "request_timeout",
        /// `409`: the user name is taken (ignoring case).
        UsernameTaken = "username_taken",
        /// `409`: the e-mail address is registered (ignoring case).
        EmailTaken = "email_taken",
        /// `409`: not enough tickets are left for the purchase.
        SoldOut = "sold_out",
        /// `409`: the event has started; its tickets no longer sell and can no longer be given back.
        EventStarted = "event_started",
        /// `409`: the ticket is cancelled already.
        AlreadyCancelled = "already_cancelled",
        /// `409`: the ticket was checked in already.
        AlreadyCheckedIn = "already_checked_in",
        /// `409`: the ticket was cancelled; it admits nobody.
        TicketCancelled = "ticket_cancelled",
        /// `409`: at least the tickets asked for are left: buy them instead of joining the waitlist.
        TicketsAvailable = "tickets_available",
        /// `409`: the caller is on this event's waitlist already.
        AlreadyWaiting = "already_waiting",
        /// `409`: the change would leave the community without an admin.
        LastAdmin = "last_admin",
        /// `409`: the caller's earlier report on this item is still open.
        AlreadyReported = "already_reported",
        /// `409`: the report was resolved already.
        ReportResolved = "report_resolved",
        /// `409`: the caller's address is verified already.
        AlreadyVerified = "already_verified",
        /// `412`: an `If-Match` or `If-Unmodified-Since` condition did not hold.
        PreconditionFailed = "precondition_failed",
        /// `413`: the body is too large.
        PayloadTooLarge = "payload_too_large",
        /// `415`: the body's content type, or an avatar's bytes, are not accepted.
        UnsupportedMediaType = "unsupported_media_type",
        /// `416`: the `Range` asked for lies outside the content (`Content-Range` gives its length).
        RangeNotSatisfiable = "range_not_satisfiable",
        /// `429`: too many attempts; `Retry-After` says when to try again.
        RateLimited = "rate_limited",
        /// `503`: the database cannot be reached or stayed busy, or the server is shutting down or has too
        /// much of one kind of work queued; try again shortly (after `Retry-After` seconds when it is sent).
        Unavailable = "unavailable",
        /// `503`: the server's disk is full, so nothing was written; reading goes on, and writing works
        /// again once its operator frees space (after `Retry-After` seconds, try again).
        StorageFull = "storage_full",
        /// `500`: a bug; logged under the response's `X-Request-Id`.
        Internal = "internal",
    }
}

/// When a client refused for a full disk should try again: an operator has to act first.
const STORAGE_FULL_RETRY_SECONDS: u64 = 60;

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// The field's name as sent (`email`, `max_tickets`), or `body` for the document as a whole.
    pub field: String,
    pub message: String,
}

/// The body of every non-2xx response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A sentence for people, in English.
    pub detail: String,
    pub code: ErrorCode,
    /// Every invalid field; present only for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, min_items = 1)]
    pub errors: Option<Vec<FieldErrorBody>>,
    /// Present only for `account_banned`: why, and until when.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ban: Option<BanBody>,
}

/// Why an account is banned, and until when.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BanBody {
    /// The moderator's words.
    pub reason: String,
    /// When the ban lifts itself; `null`: until a moderator lifts it.
    #[serde(serialize_with = "crate::tickets::serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// An HTTP failure in the contract's shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Seconds, for `429`.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                detail: detail.into(),
                code,
                errors: None,
                ban: None,
            },
            retry_after: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed,
            "request validation failed",
        );
        error.body.errors = Some(
            errors
                .into_iter()
                .map(|e| FieldErrorBody {
                    field: e.field,
                    message: e.message,
                })
                .collect(),
        );
        error
    }

    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, detail)
    }

    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge, detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable, detail)
    }

    pub fn request_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )
    }

    /// `429 rate_limited`, to retry after `seconds`.
    pub fn rate_limited(detail: impl Into<String>, seconds: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, detail).retry_after(seconds)
    }

    /// Adds `Retry-After`.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// A bug: the cause goes to the log (inside the request's span, with its request id), never to the client.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(cause = %error_chain(cause), "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "internal error",
        )
    }

    pub fn code(&self) -> &'static str {
        self.body.code.as_str()
    }

    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    /// Answers a response that actix or a middleware produced without a body in our shape.
    fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => (ErrorCode::NotFound, "resource not found"),
            StatusCode::METHOD_NOT_ALLOWED => (ErrorCode::MethodNotAllowed, "method not allowed"),
            StatusCode::REQUEST_TIMEOUT => (ErrorCode::RequestTimeout, "the request did not arrive in time"),
            StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                (ErrorCode::UnsupportedMediaType, "unsupported content type")
            }
            StatusCode::UNAUTHORIZED => (ErrorCode::Unauthorized, "not authenticated"),
            StatusCode::FORBIDDEN => (ErrorCode::Forbidden, "forbidden"),
            // Served files (`NamedFile`) answer these two themselves, without a body.
            StatusCode::PRECONDITION_FAILED => (
                ErrorCode::PreconditionFailed,
                "a precondition of the request did not hold",
            ),
            StatusCode::RANGE_NOT_SATISFIABLE => (
                ErrorCode::RangeNotSatisfiable,
                "the range asked for is outside the content",
            ),
            StatusCode::TOO_MANY_REQUESTS => (ErrorCode::RateLimited, "too many requests"),
            StatusCode::SERVICE_UNAVAILABLE => (ErrorCode::Unavailable, "service unavailable"),
            s if s.is_client_error() => (ErrorCode::BadRequest, "bad request"),
            _ => (ErrorCode::Internal, "internal error"),
        };
        Self::new(status, code, detail)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code.as_str(),
            self.body.detail
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(&self.body)
    }
}

impl From<plaza_domain::ValidationErrors> for ApiError {
    fn from(errors: plaza_domain::ValidationErrors) -> Self {
        Self::validation(errors.0)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Validation(errors) => Self::validation(errors.0),
            AppError::NotFound(what) => Self::not_found(format!("{} not found", capitalize(what))),
            AppError::Unauthorized(why) => Self::unauthorized(why),
            AppError::RefreshTokenReused => Self::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::RefreshTokenReused,
                plaza_app::error::REFRESH_TOKEN_REUSED,
            ),
            AppError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, why),
            AppError::EmailUnverified => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::EmailUnverified,
                "verify your e-mail address first: open the link mailed to it (POST /users/me/email-verification sends another)",
            ),
            AppError::InvalidToken(why) => Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidToken, why),
            AppError::Banned(notice) => {
                let mut error = Self::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::AccountBanned,
                    "this account is banned",
                );
                error.body.ban = Some(BanBody {
                    reason: notice.reason,
                    until: notice.until,
                });
                error
            }
            AppError::Conflict(conflict) => {
                let code = match conflict {
                    Conflict::UsernameTaken => ErrorCode::UsernameTaken,
                    Conflict::EmailTaken => ErrorCode::EmailTaken,
                    Conflict::SoldOut => ErrorCode::SoldOut,
                    Conflict::EventStarted => ErrorCode::EventStarted,
                    Conflict::AlreadyCancelled => ErrorCode::AlreadyCancelled,
                    Conflict::AlreadyCheckedIn => ErrorCode::AlreadyCheckedIn,
                    Conflict::TicketCancelled => ErrorCode::TicketCancelled,
                    Conflict::TicketsAvailable => ErrorCode::TicketsAvailable,
                    Conflict::AlreadyWaiting => ErrorCode::AlreadyWaiting,
                    Conflict::LastAdmin => ErrorCode::LastAdmin,
                    Conflict::AlreadyReported => ErrorCode::AlreadyReported,
                    Conflict::ReportResolved => ErrorCode::ReportResolved,
                    Conflict::AlreadyVerified => ErrorCode::AlreadyVerified,
                    // The use case answers this as a refusal; reaching here is a bug.
                    Conflict::OutOfReach => {
                        return Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, conflict.to_string());
                    }
                    // The use case turns this into a validation error; reaching here is a bug.
                    Conflict::CapacityBelowSold => {
                        return Self::invalid_field("max_tickets", conflict.to_string());
                    }
                };
                Self::new(StatusCode::CONFLICT, code, conflict.to_string())
            }
            AppError::UnsupportedMedia(why) => Self::unsupported_media_type(why),
            AppError::PayloadTooLarge(why) => Self::payload_too_large(why),
            AppError::RateLimited(seconds) => Self::rate_limited(
                format!("too many attempts, try again in {seconds} seconds"),
                seconds,
            ),
            // The store knows the database is gone, and since when (its breaker logged it once): said as
            // it is, and not logged again for every request refused meanwhile.
            AppError::Unavailable(why) if why.starts_with(DATABASE_UNREACHABLE) => {
                tracing::debug!(%why, "storage unavailable");
                Self::unavailable(why).retry_after(1)
            }
            AppError::Unavailable(why) => {
                tracing::warn!(%why, "storage unavailable");
                Self::unavailable("the service is temporarily unavailable, try again shortly")
            }
            AppError::StorageFull(why) => {
                tracing::error!(%why, "storage full: a write was refused; free space on the database's disk");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::StorageFull,
                    "the server's storage is full: nothing was written. Reading still works; try writing again later",
                )
                .retry_after(STORAGE_FULL_RETRY_SECONDS)
            }
            AppError::Overloaded(seconds) => {
                tracing::warn!(seconds, "too much work queued, asking the client to come back");
                Self::unavailable(format!("the service is busy, try again in {seconds} seconds"))
                    .retry_after(seconds)
            }
            AppError::Internal(cause) => Self::internal(cause.as_ref()),
        }
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `cause: because: because`, for the log.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        chain.push_str(": ");
        chain.push_str(&cause.to_string());
        source = cause.source();
    }
    chain
}

/// Middleware hook: any error response that is not already JSON (actix's 404 for no route, 405 for a wrong
/// method, a panic's 500, …) gets the contract's body.
pub fn ensure_error_body<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value == HeaderValue::from_static("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let (request, original) = response.into_parts();
    let mut replacement = ApiError::for_status(status).error_response();
    // Everything the original said about itself stays (Allow, Retry-After, CORS, …); only the body and
    // what describes it change.
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.headers_mut().append(name.clone(), value.clone());
        }
    }
    replacement
        .head_mut()
        .set_connection_type(original.head().connection_type());
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_as_its_name_and_names_are_distinct() {
        let mut names = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str()),
                "{code:?}"
            );
            assert!(names.insert(code.as_str()), "{} twice", code.as_str());
        }
        assert_eq!(ErrorCode::ALL.len(), 32);
        assert_eq!(ErrorCode::MethodNotAllowed.as_str(), "method_not_allowed");
    }
}
