//! The route table: every path and method Plaza serves, in one list. The router is built from it, and the
//! OpenAPI tests compare it with the published document, so neither can gain a route the other lacks.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, Route, web};

use crate::{avatars, comments, docs, events, health, live, notifications, posts, token, users, web_client};

/// One method on one path.
pub struct Endpoint {
    pub method: Method,
    /// The actix pattern, e.g. `/users/{user_id}` or `/app/{path:.+}`.
    pub pattern: &'static str,
    route: Route,
}

impl Endpoint {
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
}

/// Collects endpoints; `get` also answers `HEAD` (uptime checkers and load balancers send it), with the
/// same headers and no body.
#[derive(Default)]
struct Table(Vec<Endpoint>);

impl Table {
    fn add<F, Args>(&mut self, method: Method, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.0.push(Endpoint {
            route: web::method(method.clone()).to(handler),
            method,
            pattern,
        });
        self
    }

    fn get<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, pattern, handler.clone())
            .add(Method::HEAD, pattern, handler)
    }

    fn post<F, Args>(&mut self, pattern: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, pattern, handler)
    }
}

/// Every endpoint, in matching order: a literal path (`/users/me`, `/notifications/read-all`) comes before
/// the pattern it would otherwise match.
pub fn endpoints() -> Vec<Endpoint> {
    let mut table = Table::default();
    table
        .get("/", web_client::index)
        .get("/app/{path:.+}", web_client::asset)
        .get("/docs", docs::redirect)
        .get("/docs/{path:.+}", docs::swagger_ui)
        .get("/openapi.json", docs::openapi_json)
        .get("/health", health::health)
        .get("/livez", health::liveness)
        .post("/token", token::issue)
        .post("/users", users::register)
        .get("/users", users::list_users)
        .get("/users/me", users::me)
        .get("/users/{user_id}", users::get)
        .add(Method::PUT, "/users/{user_id}", users::update)
        .add(Method::PUT, "/users/{user_id}/avatar", avatars::upload)
        .get("/avatars/{name}", avatars::download)
        .post("/events", events::create)
        .get("/events", events::list_events)
        .get("/events/{event_id}", events::get)
        .add(Method::PATCH, "/events/{event_id}", events::update)
        .add(Method::DELETE, "/events/{event_id}", events::delete)
        .post("/events/{event_id}/tickets", events::purchase)
        .post("/posts", posts::create)
        .get("/posts", posts::list_posts)
        .get("/posts/{post_id}", posts::get)
        .add(Method::DELETE, "/posts/{post_id}", posts::delete)
        .post("/comments/{event_id}", comments::create)
        .get("/comments/{event_id}", comments::list_comments)
        .post("/notifications", notifications::create)
        .get("/notifications", notifications::list_notifications)
        .post("/notifications/read-all", notifications::mark_all_read)
        .get("/notifications/stream", live::stream)
        .post("/notifications/stream/ticket", live::ticket)
        .post("/notifications/{id}/read", notifications::mark_read);
    table.0
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
