//! Every response carries `X-Request-Id`: the id under which the request was logged, so a user who gets
//! `internal error` can hand over the one string that finds its cause in the log.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage};
use tracing_actix_web::RequestId;

pub const HEADER: &str = "x-request-id";

/// `wrap_fn` middleware, to be wrapped inside `TracingLogger` (which assigns the id).
pub fn echo<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let request_id = req.extensions().get::<RequestId>().copied();
    let response = service.call(req);
    async move {
        let mut response = response.await?;
        if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok()) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(HEADER), value);
        }
        Ok(response)
    }
}
