//! Plaza's HTTP adapter: the JSON contract (`docs/api.md`, and `/openapi.json` generated here) over the
//! use cases, plus the web client and the interactive docs. Handlers parse and
//! validate input into domain values, call one use case on the blocking pool, and map the result — or the
//! error, in exactly one place ([`error`]) — into the contract's JSON.

pub mod attendees;
pub mod auth;
pub mod avatars;
pub mod calendar;
pub mod client;
pub mod comments;
pub mod connections;
pub mod cors;
pub mod deadline;
pub mod docs;
pub mod email_verification;
pub mod error;
pub mod events;
pub mod extract;
pub mod field;
pub mod guard;
pub mod health;
pub mod lifecycle;
pub mod limits;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod openapi;
pub mod overview;
pub mod password_reset;
pub mod personal_data;
pub mod posts;
pub mod reports;
pub mod request_id;
pub mod respond;
pub mod responses;
pub mod role;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod state;
pub mod tickets;
pub mod token;
pub mod unsubscribe;
pub mod users;
pub mod waitlist;
pub mod web_client;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{
    Compress, Condition, DefaultHeaders, ErrorHandlers, NormalizePath, TrailingSlash,
};
use actix_web::{App, Error, web};
use tracing_actix_web::TracingLogger;

pub use error::ApiError;
pub use settings::{HttpSettings, Lifecycle};
pub use state::AppState;

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
    let cors = cors::middleware(&state.settings.cors_origins);
    let security_headers = security_headers(state.settings.hsts);
    // Innermost first: each `wrap` goes around everything before it.
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PayloadConfig::new(extract::JSON_LIMIT))
        .app_data(avatars::form_config())
        .app_data(web::Data::new(docs::Published(openapi::json())))
        .configure(routes::configure)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such route"))
        }))
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(guard::guard)
        .wrap(Condition::new(cors.is_some(), cors.unwrap_or_default()))
        // Outside CORS, which answers preflights itself: its refusals in the contract's shape, and the
        // request id on every answer.
        .wrap_fn(cors::finish)
        .wrap(ErrorHandlers::new().default_handler(error::ensure_error_body))
        // Brotli or gzip as the client accepts them; images (already compressed), partial content and the
        // live stream (which says `identity`) are sent as they are.
        .wrap(Compress::default())
        .wrap(security_headers)
        .wrap_fn(metrics::observe)
        .wrap(TracingLogger::<logging::RequestSpan>::new())
}

/// Headers every response carries: no content sniffing, no referrer leaking a path, no framing; and HSTS
/// when Plaza serves HTTPS itself.
fn security_headers(hsts: bool) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"));
    if hsts {
        headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"))
    } else {
        headers
    }
}
