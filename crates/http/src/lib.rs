//! Plaza's HTTP adapter: the JSON contract (`shared/API.md`) over the use cases. Handlers parse and
//! validate input into domain values, call one use case on the blocking pool, and map the result — or the
//! error, in exactly one place ([`error`]) — into the contract's JSON.

pub mod auth;
pub mod avatars;
pub mod comments;
pub mod error;
pub mod events;
pub mod extract;
pub mod health;
pub mod notifications;
pub mod posts;
pub mod request_id;
pub mod respond;
pub mod state;
pub mod token;
pub mod users;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{App, Error, web};
use tracing_actix_web::TracingLogger;

pub use error::ApiError;
pub use state::AppState;

/// Registers every route. Paths are declared without their trailing slash; [`NormalizePath`] in [`app`]
/// trims it from requests, so `/users/` and `/users` answer alike, without a redirect. Every path is a
/// `resource`, so a known path with an unknown method answers `405`, not `404`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health::health)))
        .service(web::resource("/token").route(web::post().to(token::issue)))
        .service(
            web::resource("/users")
                .route(web::post().to(users::register))
                .route(web::get().to(users::list_users)),
        )
        .service(web::resource("/users/me").route(web::get().to(users::me)))
        .service(
            web::resource("/users/{user_id}")
                .route(web::get().to(users::get))
                .route(web::put().to(users::update)),
        )
        .service(web::resource("/users/{user_id}/avatar").route(web::put().to(avatars::upload)))
        .service(web::resource("/avatars/{name}").route(web::get().to(avatars::download)))
        .service(
            web::resource("/events")
                .route(web::post().to(events::create))
                .route(web::get().to(events::list_events)),
        )
        .service(
            web::resource("/events/{event_id}")
                .route(web::get().to(events::get))
                .route(web::patch().to(events::update))
                .route(web::delete().to(events::delete)),
        )
        .service(web::resource("/events/{event_id}/tickets").route(web::post().to(events::purchase)))
        .service(
            web::resource("/posts")
                .route(web::post().to(posts::create))
                .route(web::get().to(posts::list_posts)),
        )
        .service(
            web::resource("/posts/{post_id}")
                .route(web::get().to(posts::get))
                .route(web::delete().to(posts::delete)),
        )
        .service(
            web::resource("/comments/{event_id}")
                .route(web::post().to(comments::create))
                .route(web::get().to(comments::list_comments)),
        )
        .service(
            web::resource("/notifications")
                .route(web::post().to(notifications::create))
                .route(web::get().to(notifications::list_notifications)),
        )
        .route(
            "/notifications/read-all",
            web::post().to(notifications::mark_all_read),
        )
        .route(
            "/notifications/{id}/read",
            web::post().to(notifications::mark_read),
        );
}

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
        .configure(routes)
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(ApiError::not_found("no such route"))
        }))
        .wrap(ErrorHandlers::new().default_handler(error::ensure_error_body))
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(request_id::echo)
        .wrap(TracingLogger::default())
}
