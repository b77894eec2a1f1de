//! Plaza's HTTP adapter: the JSON contract (`docs/api.md`, and `/openapi.json` generated here) over the
//! use cases, plus the web client and the interactive docs. Handlers parse and
//! validate input into domain values, call one use case on the blocking pool, and map the result — or the
//! error, in exactly one place ([`error`]) — into the contract's JSON.

pub mod auth;
pub mod avatars;
pub mod client;
pub mod comments;
pub mod connections;
pub mod deadline;
pub mod docs;
pub mod error;
pub mod events;
pub mod extract;
pub mod field;
pub mod health;
pub mod logging;
pub mod notifications;
pub mod openapi;
pub mod posts;
pub mod request_id;
pub mod respond;
pub mod routes;
pub mod state;
pub mod token;
pub mod users;
pub mod web_client;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{App, Error, web};
use tracing_actix_web::TracingLogger;

pub use error::ApiError;
pub use state::{AppState, HttpSettings};

/// The whole application: routes, the contract's error bodies for whatever actix answers by itself, body
/// limits, request tracing. The binary and the tests build it the same way.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
        .app_data(avatars::form_config())
        .configure(routes::configure)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such route"))
        }))
        .wrap(ErrorHandlers::new().default_handler(error::ensure_error_body))
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(deadline::limit_body_time)
        .wrap_fn(connections::refuse_excess)
        .wrap_fn(request_id::echo)
        .wrap(TracingLogger::<logging::RequestSpan>::new())
}
