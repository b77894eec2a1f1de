//! The contract's one error shape, and the one place where every failure becomes an HTTP status.

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use plaza_app::AppError;
use plaza_domain::{Conflict, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

/// The body of every non-2xx response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A sentence for people.
    pub detail: String,
    /// A stable code for programs: `validation_failed`, `not_found`, `sold_out`, …
    pub code: &'static str,
    /// Present only for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldErrorBody>>,
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
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorBody {
                detail: detail.into(),
                code,
                errors: None,
            },
            retry_after: None,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
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
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", detail)
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            detail,
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// A bug: the cause goes to the log (inside the request's span, with its request id), never to the client.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(cause = %error_chain(cause), "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
    }

    pub fn code(&self) -> &'static str {
        self.body.code
    }

    pub fn body(&self) -> &ErrorBody {
        &self.body
    }

    /// Answers a response that actix or a middleware produced without a body in our shape.
    fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status {
            StatusCode::NOT_FOUND => ("not_found", "resource not found"),
            StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed"),
            StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "request body too large"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "unsupported content type"),
            StatusCode::UNAUTHORIZED => ("unauthorized", "not authenticated"),
            StatusCode::FORBIDDEN => ("forbidden", "forbidden"),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests"),
            StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "service unavailable"),
            s if s.is_client_error() => ("bad_request", "bad request"),
            _ => ("internal", "internal error"),
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
            self.body.code,
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
            AppError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, "forbidden", why),
            AppError::Conflict(conflict) => {
                let code = match conflict {
                    Conflict::UsernameTaken => "username_taken",
                    Conflict::EmailTaken => "email_taken",
                    Conflict::SoldOut => "sold_out",
                    // The use case turns this into a validation error; reaching here is a bug.
                    Conflict::CapacityBelowSold => {
                        return Self::invalid_field("max_tickets", conflict.to_string());
                    }
                };
                Self::new(StatusCode::CONFLICT, code, conflict.to_string())
            }
            AppError::UnsupportedMedia(why) => Self::unsupported_media_type(why),
            AppError::RateLimited(seconds) => {
                let mut error = Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many failed attempts, try again in {seconds} seconds"),
                );
                error.retry_after = Some(seconds);
                error
            }
            AppError::Unavailable(why) => {
                tracing::warn!(%why, "storage unavailable");
                Self::unavailable("the service is temporarily unavailable, try again shortly")
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
    for (name, value) in original.headers() {
        if name == header::ALLOW || name == header::RETRY_AFTER {
            replacement.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, replacement).map_into_right_body(),
    ))
}
