//! The route table: every path and method Plaza serves, each registered once, with `route!`. An entry
//! carries the handler, which the router serves, and the handler's `#[utoipa::path]`, which the OpenAPI
//! document ([`endpoints`] feeds `openapi::document`) publishes; the tests compare the table with the
//! document, so neither can gain a route the other lacks.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};
use utoipa::openapi::OpenApi;

use crate::{
    attendees, avatars, calendar, comments, docs, email_verification, events, health, live, moderation,
    notifications, overview, password_reset, personal_data, posts, reports, sessions, tickets, token,
    unsubscribe, users, waitlist, web_client,
};

/// One method on one path.
pub struct Endpoint {
    pub method: Method,
    /// The actix pattern, e.g. `/users/{user_id}` or `/app/{path:.+}`.
    pub pattern: &'static str,
    route: Route,
    /// The handler's part of the document: its operation, with the schemas that operation names. `None`
    /// for the `HEAD` twin of a `GET`, which the document derives from the `GET`.
    operation: Option<fn() -> OpenApi>,
}

impl Endpoint {
    fn new<F, Args>(
        method: Method,
        pattern: &'static str,
        handler: F,
        operation: Option<fn() -> OpenApi>,
    ) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self {
            route: web::method(method.clone()).to(handler),
            method,
            pattern,
            operation,
        }
    }

    /// The path as the OpenAPI document writes it: `/app/{path:.+}` is `/app/{path}`.
    pub fn openapi_path(&self) -> String {
        let mut path = String::with_capacity(self.pattern.len());
        let mut in_regex = false;
        for c in self.pattern.chars() {
            match c {
                ':' if !in_regex => in_regex = true,
                '}' => {
                    in_regex = false;
                    path.push(c);
                }
                _ if in_regex => {}
                _ => path.push(c),
            }
        }
        path
    }

    /// Adds this endpoint's operation, and the schemas it names, to `openapi` (nothing for a `HEAD` twin).
    pub fn document(&self, openapi: &mut OpenApi) {
        if let Some(operation) = self.operation {
            openapi.merge(operation());
        }
    }
}

/// One registration: `route!(GET "/users" => users::list_users)` serves `users::list_users` at
/// `GET /users` and documents it with that handler's `#[utoipa::path]` (which says `get` and `/users/`:
/// the tests check that both agree). `GET` also answers `HEAD` (uptime checkers and load balancers send
/// it), with the same headers and no body; the document's `HEAD` operations are derived from the `GET`s.
macro_rules! route {
    (@operation $($handler:ident)::+) => {{
        /// The handler's `#[utoipa::path]` with the schemas it names, collected by utoipa's derive.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($handler)::+))]
        struct Operation;
        <Operation as utoipa::OpenApi>::openapi as fn() -> OpenApi
    }};
    (GET $pattern:literal => $($handler:ident)::+) => {
        vec![
            Endpoint::new(Method::GET, $pattern, $($handler)::+, Some(route!(@operation $($handler)::+))),
            Endpoint::new(Method::HEAD, $pattern, $($handler)::+, None),
        ]
    };
    ($method:ident $pattern:literal => $($handler:ident)::+) => {
        vec![Endpoint::new(Method::$method, $pattern, $($handler)::+, Some(route!(@operation $($handler)::+)))]
    };
}

/// Every endpoint, in matching order: a literal path (`/users/me`, `/notifications/read-all`) comes before
/// the pattern it would otherwise match.
pub fn endpoints() -> Vec<Endpoint> {
    [
        route!(GET "/" => web_client::index),
        route!(GET "/app/{path:.+}" => web_client::asset),
        route!(GET "/docs" => docs::redirect),
        route!(GET "/docs/{path:.+}" => docs::swagger_ui),
        route!(GET "/openapi.json" => docs::openapi_json),
        route!(GET "/health" => health::health),
        route!(GET "/livez" => health::liveness),
        route!(GET "/readyz" => health::readiness),
        route!(POST "/token" => token::issue),
        route!(POST "/token/refresh" => token::refresh),
        route!(POST "/logout" => sessions::logout),
        route!(POST "/password-reset" => password_reset::request),
        route!(POST "/password-reset/confirm" => password_reset::confirm),
        route!(POST "/email-verification/confirm" => email_verification::confirm),
        route!(POST "/unsubscribe" => unsubscribe::unsubscribe),
        route!(POST "/users" => users::register),
        route!(GET "/users" => users::list_users),
        route!(GET "/users/me" => users::me),
        route!(DELETE "/users/me" => users::delete_me),
        route!(GET "/users/me/sessions" => sessions::list),
        route!(GET "/users/me/export" => personal_data::export),
        route!(POST "/users/me/email-verification" => email_verification::resend),
        route!(POST "/users/me/calendar-secret" => calendar::new_secret),
        route!(GET "/users/me/calendar-secret" => calendar::secret_state),
        route!(DELETE "/users/me/calendar-secret" => calendar::turn_off),
        route!(DELETE "/users/me/sessions/{session_id}" => sessions::end),
        route!(GET "/users/me/tickets" => tickets::list_mine),
        route!(GET "/users/me/waitlist" => waitlist::list_mine),
        route!(GET "/users/{user_id}" => users::get),
        route!(PUT "/users/{user_id}" => users::update),
        route!(PUT "/users/{user_id}/avatar" => avatars::upload),
        route!(DELETE "/users/{user_id}/avatar" => avatars::remove),
        route!(PUT "/users/{user_id}/role" => moderation::set_role),
        route!(POST "/users/{user_id}/ban" => moderation::ban),
        route!(DELETE "/users/{user_id}/ban" => moderation::lift_ban),
        route!(GET "/users/{user_id}/events" => events::list_by_owner),
        route!(GET "/avatars/{name}" => avatars::download),
        route!(GET "/images/{name}" => avatars::download_image),
        route!(POST "/events" => events::create),
        route!(GET "/events" => events::list_events),
        route!(GET "/events/calendar.ics" => calendar::upcoming_feed),
        route!(GET "/events/{event_id}" => events::get),
        route!(GET "/events/{event_id}/calendar.ics" => calendar::event_feed),
        route!(GET "/events/{event_id}/overview" => overview::get),
        route!(PATCH "/events/{event_id}" => events::update),
        route!(DELETE "/events/{event_id}" => events::delete),
        route!(POST "/events/{event_id}/tickets" => events::purchase),
        route!(PUT "/events/{event_id}/image" => avatars::upload_event_image),
        route!(POST "/events/{event_id}/check-ins" => tickets::check_in),
        route!(GET "/events/{event_id}/attendees" => attendees::list_attendees),
        route!(POST "/events/{event_id}/waitlist" => waitlist::join),
        route!(GET "/events/{event_id}/waitlist" => waitlist::get_mine),
        route!(DELETE "/events/{event_id}/waitlist" => waitlist::leave),
        route!(GET "/tickets/{ticket_id}" => tickets::get),
        route!(POST "/tickets/{ticket_id}/cancel" => tickets::cancel),
        route!(GET "/tickets/{ticket_id}/qr.svg" => tickets::qr_code),
        route!(POST "/posts" => posts::create),
        route!(GET "/posts" => posts::list_posts),
        route!(GET "/posts/{post_id}" => posts::get),
        route!(PATCH "/posts/{post_id}" => posts::update),
        route!(DELETE "/posts/{post_id}" => posts::delete),
        route!(POST "/comments/{event_id}" => comments::create),
        route!(GET "/comments/{event_id}" => comments::list_comments),
        route!(GET "/events/{event_id}/comments/{comment_id}" => comments::get),
        route!(PATCH "/events/{event_id}/comments/{comment_id}" => comments::update),
        route!(DELETE "/events/{event_id}/comments/{comment_id}" => comments::delete),
        route!(POST "/notifications" => notifications::create),
        route!(GET "/notifications" => notifications::list_notifications),
        route!(POST "/notifications/read-all" => notifications::mark_all_read),
        route!(GET "/notifications/stream" => live::stream),
        route!(POST "/notifications/stream/ticket" => live::ticket),
        route!(POST "/notifications/{id}/read" => notifications::mark_read),
        route!(GET "/calendar/{secret}.ics" => calendar::private_feed),
        route!(GET "/modlog" => moderation::list_modlog),
        route!(POST "/reports" => reports::create),
        route!(GET "/reports" => reports::list_reports),
        route!(POST "/reports/{report_id}/resolve" => reports::resolve),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Registers every endpoint, one `resource` per path, so that a known path with another method answers
/// `405` with `Allow`, not `404`. Paths are declared without their trailing slash; `NormalizePath` trims it
/// from requests, so `/users/` and `/users` answer alike, without a redirect.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut resources: Vec<(&'static str, Vec<Route>)> = Vec::new();
    for endpoint in endpoints() {
        match resources
            .iter_mut()
            .find(|(pattern, _)| *pattern == endpoint.pattern)
        {
            Some((_, routes)) => routes.push(endpoint.route),
            None => resources.push((endpoint.pattern, vec![endpoint.route])),
        }
    }
    for (pattern, routes) in resources {
        cfg.service(
            routes
                .into_iter()
                .fold(web::resource(pattern), |resource, route| resource.route(route)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openapi_paths_drop_the_pattern_regex() {
        let table = endpoints();
        let paths: Vec<String> = table.iter().map(Endpoint::openapi_path).collect();
        assert!(paths.contains(&"/app/{path}".to_owned()), "{paths:?}");
        assert!(paths.contains(&"/users/{user_id}".to_owned()));
    }

    /// The methods `item` documents.
    fn methods(item: &utoipa::openapi::PathItem) -> Vec<Method> {
        [
            (Method::GET, &item.get),
            (Method::PUT, &item.put),
            (Method::POST, &item.post),
            (Method::DELETE, &item.delete),
            (Method::OPTIONS, &item.options),
            (Method::HEAD, &item.head),
            (Method::PATCH, &item.patch),
            (Method::TRACE, &item.trace),
        ]
        .into_iter()
        .filter(|(_, operation)| operation.is_some())
        .map(|(method, _)| method)
        .collect()
    }

    #[test]
    fn each_entry_serves_the_path_and_method_its_handler_documents() {
        for endpoint in endpoints() {
            let name = format!("{} {}", endpoint.method, endpoint.pattern);
            let Some(operation) = endpoint.operation else {
                assert_eq!(endpoint.method, Method::HEAD, "{name} is documented");
                continue;
            };
            let paths = operation().paths.paths;
            assert_eq!(paths.len(), 1, "{name}: one path");
            for (path, item) in paths {
                let documented = match path.trim_end_matches('/') {
                    "" => "/",
                    trimmed => trimmed,
                };
                assert_eq!(documented, endpoint.openapi_path(), "{name}");
                assert_eq!(methods(&item), std::slice::from_ref(&endpoint.method), "{name}");
            }
        }
    }

    #[test]
    fn every_get_also_answers_head() {
        let table = endpoints();
        for get in table.iter().filter(|e| e.method == Method::GET) {
            assert!(
                table
                    .iter()
                    .any(|e| e.method == Method::HEAD && e.pattern == get.pattern),
                "{}",
                get.pattern
            );
        }
    }
}
