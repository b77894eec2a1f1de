//! Every response carries `X-Request-Id`: the id under which the request was logged, so a user who gets
//! `internal error` can hand over the one string that finds its cause in the log.

use actix_web::HttpMessage;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use tracing_actix_web::RequestId;

pub const HEADER: &str = "x-request-id";

/// The id `TracingLogger` gave the request.
pub fn of(req: &ServiceRequest) -> Option<RequestId> {
    req.extensions().get::<RequestId>().copied()
}

/// Writes the id into the response.
pub fn echo<B>(id: Option<RequestId>, response: &mut ServiceResponse<B>) {
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(HEADER), value);
    }
}
