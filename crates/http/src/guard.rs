//! The one middleware of Plaza's own, in front of every route, doing in order: refuse a connection past
//! its client's cap ([`connections`]), apply the rate limits ([`limits`]), put the body under its deadline
//! ([`deadline`]); then, on the way out, ask clients to close their connection while the server drains
//! ([`lifecycle`]). (The request id is echoed further out, by [`crate::cors::finish`], so that the
//! answers CORS gives by itself carry it too.)
//!
//! One layer rather than five: every actix middleware layer nests the types of the ones inside it, and
//! the response bodies are boxed here, so the app's types (and the size of every build) stay small.

use std::future::Future;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::{Error, ResponseError};

use crate::{connections, deadline, lifecycle, limits};

/// `wrap_fn` middleware, inside CORS.
pub fn guard<S, B>(
    mut req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    let refused = if connections::is_excess(&req) {
        Some(connections::refusal())
    } else {
        limits::check(&req).err().map(|error| error.error_response())
    };
    let call = match refused {
        Some(response) => Err(req.into_response(response)),
        None => {
            deadline::apply(&mut req);
            crate::avatars::ignore_unreadable_range(&mut req);
            Ok(service.call(req))
        }
    };
    async move {
        let mut response = match call {
            Ok(response) => response.await?.map_into_boxed_body(),
            Err(refused) => refused,
        };
        lifecycle::close_if_draining(&mut response);
        Ok(response)
    }
}
