//! Real responses against the published OpenAPI document: a representative request of every route and
//! method, errors included, each checked for a documented status, its documented headers, and a body that
//! validates against the documented schema.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::avatars::{PNG, multipart, picture_form, put_picture, upload};
use crate::helpers::{PASSWORD, Response, TestApp, event_body};

struct Contract {
    document: Value,
    exercised: BTreeSet<(String, String)>,
}

impl Contract {
    fn of(app: &TestApp) -> Self {
        let response = app.get("/openapi.json");
        assert_eq!(response.status, 200);
        Self {
            document: response.json(),
            exercised: BTreeSet::new(),
        }
    }

    /// Follows a `$ref` into the document.
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(pointer) => self
                .document
                .pointer(pointer.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {pointer}")),
            None => value,
        }
    }

    /// Checks `response` to `method template` against the document, and its `HEAD` twin for a `GET`.
    #[track_caller]
    fn check(&mut self, method: &str, template: &str, response: &Response) {
        let operation = &self.document["paths"][template][method.to_ascii_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {template} is not in the document"
        );
        self.exercised.insert((template.to_owned(), method.to_owned()));
        let status = response.status.to_string();
        let documented = operation["responses"].get(&status).unwrap_or_else(|| {
            panic!(
                "{method} {template} answered {status}, which is not documented: {}",
                String::from_utf8_lossy(&response.body)
            )
        });
        let documented = self.resolve(documented);
        for header in documented["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, _)| name)
        {
            assert!(
                response.header(header).is_some(),
                "{method} {template} {status} lacks its documented header {header}"
            );
        }
        let content = documented["content"].as_object();
        let Some(content) = content.filter(|content| !content.is_empty() && method != "HEAD") else {
            assert!(
                response.body.is_empty(),
                "{method} {template} {status} documents no body but sent {} bytes",
                response.body.len()
            );
            return;
        };
        let media_type = response
            .header("content-type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        let media = content.get(&media_type).unwrap_or_else(|| {
            panic!("{method} {template} {status}: Content-Type {media_type:?} is not documented")
        });
        if media_type == "application/json" {
            self.validate(
                &media["schema"],
                &response.json(),
                &format!("{method} {template} {status}"),
            );
        }
    }

    fn validate(&self, schema: &Value, instance: &Value, what: &str) {
        let mut root = schema.clone();
        if let Some(object) = root.as_object_mut() {
            object.insert("components".into(), self.document["components"].clone());
        } else {
            panic!("{what}: the schema is not an object: {schema}");
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|error| panic!("{what}: the document's schema does not compile: {error}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the body breaks its schema: {errors:?}\nbody: {instance}"
        );
    }

    /// One event of the notification stream against the document's `StreamEvent`: its name, its fields,
    /// and its `data` against the `contentSchema` of the branch for that name (a JSON Schema validator only
    /// annotates `contentSchema`, so it is applied here).
    #[track_caller]
    fn check_stream_event(&self, event: &crate::live::Sse) {
        let schema = &self.document["paths"]["/notifications/stream"]["get"]["responses"]["200"]["content"]["text/event-stream"]
            ["schema"];
        let mut instance = json!({"event": event.event, "data": event.data});
        if let Some(id) = &event.id {
            instance["id"] = json!(id);
        }
        self.validate(schema, &instance, &format!("stream event {instance}"));
        let branch = self.resolve(schema)["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|branch| branch["properties"]["event"]["const"] == event.event.as_str())
            .unwrap_or_else(|| panic!("the event {:?} is not documented", event.event));
        let data: Value = serde_json::from_str(&event.data)
            .unwrap_or_else(|error| panic!("the data of {:?} is not JSON: {error}", event.event));
        self.validate(
            &branch["properties"]["data"]["contentSchema"],
            &data,
            &format!("the data of a {:?} event", event.event),
        );
    }

    /// `GET` and `HEAD` of the same path, both checked.
    #[track_caller]
    fn get(&mut self, app: &TestApp, template: &str, path: &str, token: Option<&str>) -> Response {
        let auth = token.map(|token| format!("Bearer {token}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|auth| ("Authorization", auth.as_str())).collect();
        let head = app.request("HEAD", path, &headers, None);
        self.check("HEAD", template, &head);
        let response = app.request("GET", path, &headers, None);
        self.check("GET", template, &response);
        assert_eq!(head.status, response.status, "HEAD {path} answers as GET does");
        response
    }

    #[track_caller]
    fn send(
        &mut self,
        app: &TestApp,
        method: &str,
        template: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let response = app.send_json(method, path, token, body);
        self.check(method, template, &response);
        response
    }

    /// Every operation of the document was exercised.
    fn assert_complete(&self) {
        let mut missing = Vec::new();
        for (path, item) in self.document["paths"].as_object().unwrap() {
            for (method, _) in item.as_object().unwrap() {
                let key = (path.clone(), method.to_ascii_uppercase());
                if ["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str())
                    && !self.exercised.contains(&key)
                {
                    missing.push(key);
                }
            }
        }
        assert!(missing.is_empty(), "operations never exercised: {missing:?}");
    }
}

#[test]
fn real_responses_of_every_route_match_the_published_document() {
    let app = TestApp::spawn();
    let mut contract = Contract::of(&app);
    let c = &mut contract;

    // Service, docs and the web client.
    c.get(&app, "/health", "/health", None);
    c.get(&app, "/livez", "/livez", None);
    c.get(&app, "/readyz", "/readyz", None).assert_ok();
    c.get(&app, "/openapi.json", "/openapi.json", None);
    c.get(&app, "/docs", "/docs", None);
    c.get(&app, "/docs/{path}", "/docs/index.html", None);
    c.get(&app, "/docs/{path}", "/docs/no-such-file.js", None);
    let page = c.get(&app, "/", "/", None);
    let etag = page.header("etag").unwrap().to_owned();
    let unchanged = app.request("GET", "/", &[("If-None-Match", &etag)], None);
    c.check("GET", "/", &unchanged);
    assert_eq!(unchanged.status, 304);
    c.get(&app, "/app/{path}", "/app/src/main.js", None);
    c.get(&app, "/app/{path}", "/app/nothing-here.js", None);

    // Users and tokens.
    let alice = c
        .send(&app, "POST", "/users/", "/users/", None,
            &json!({"username": "alice", "email": "alice@example.org", "full_name": "Alice", "password": "wonderland42"}))
        .assert_ok();
    let alice_id = alice["id"].as_i64().unwrap();
    c.send(
        &app,
        "POST",
        "/users/",
        "/users/",
        None,
        &json!({"username": "bob", "email": "bob@example.org", "hashed_password": "builder4ever"}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/users/",
        "/users/",
        None,
        &json!({"username": "x", "email": "nope"}),
    )
    .assert_error(400, "validation_failed");
    c.send(
        &app,
        "POST",
        "/users/",
        "/users/",
        None,
        &json!({"username": "ALICE", "email": "other@example.org", "password": "wonderland42"}),
    )
    .assert_error(409, "username_taken");
    let form = |user: &str, password: &str| format!("username={user}&password={password}").into_bytes();
    let login = |body: Vec<u8>| {
        app.request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body),
        )
    };
    let token = login(form("alice", "wonderland42"));
    c.check("POST", "/token", &token);
    let alice_token = token.assert_ok()["access_token"].as_str().unwrap().to_owned();
    let bob_token = c
        .send(
            &app,
            "POST",
            "/token",
            "/token",
            None,
            &json!({"username": "bob", "password": "builder4ever"}),
        )
        .assert_ok()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong = login(form("alice", "not-the-password"));
    c.check("POST", "/token", &wrong);
    wrong.assert_error(401, "unauthorized");
    let unsupported = app.request(
        "POST",
        "/token",
        &[("Content-Type", "text/plain")],
        Some(b"x".to_vec()),
    );
    c.check("POST", "/token", &unsupported);
    for _ in 0..10 {
        login(form("carol", "guessing-1"));
    }
    let throttled = login(form("carol", "guessing-1"));
    c.check("POST", "/token", &throttled);
    throttled.assert_error(429, "rate_limited");

    // Sessions: renewal, reuse, the list, ending one, logout.
    let second = login(form("alice", "wonderland42")).assert_ok();
    let renewed = c.send(
        &app,
        "POST",
        "/token/refresh",
        "/token/refresh",
        None,
        &json!({"refresh_token": second["refresh_token"]}),
    );
    let renewed_token = renewed.assert_ok()["access_token"].as_str().unwrap().to_owned();
    c.send(
        &app,
        "POST",
        "/token/refresh",
        "/token/refresh",
        None,
        &json!({"refresh_token": second["refresh_token"]}),
    )
    .assert_error(401, "refresh_token_reused");
    c.send(&app, "POST", "/token/refresh", "/token/refresh", None, &json!({}))
        .assert_invalid("refresh_token");
    // Password resets: asked (the same answer for any address), and a token that opens nothing.
    let asked = c.send(&app, "POST", "/password-reset", "/password-reset", None, &json!({"email": "alice@example.org"}));
    assert_eq!(asked.status, 202);
    c.send(&app, "POST", "/password-reset", "/password-reset", None, &json!({"email": "nope"}))
        .assert_invalid("email");
    c.send(
        &app,
        "POST",
        "/password-reset/confirm",
        "/password-reset/confirm",
        None,
        &json!({"token": "A".repeat(43), "password": "a new password"}),
    )
    .assert_error(400, "invalid_token");
    let sent = c.send(
        &app,
        "POST",
        "/users/me/email-verification",
        "/users/me/email-verification",
        Some(&alice_token),
        &json!({}),
    );
    assert_eq!(sent.status, 202);
    c.send(
        &app,
        "POST",
        "/email-verification/confirm",
        "/email-verification/confirm",
        None,
        &json!({"token": "A".repeat(43)}),
    )
    .assert_error(400, "invalid_token");
    c.send(&app, "POST", "/unsubscribe", "/unsubscribe?token=nope", None, &json!({}))
        .assert_error(400, "invalid_token");
    let third = login(form("alice", "wonderland42")).assert_ok();
    let third_token = third["access_token"].as_str().unwrap().to_owned();
    c.get(&app, "/users/me/sessions", "/users/me/sessions", Some(&alice_token))
        .assert_ok();
    c.get(&app, "/users/me/sessions", "/users/me/sessions", None)
        .assert_error(401, "unauthorized");
    let exported = c
        .get(&app, "/users/me/export", "/users/me/export", Some(&alice_token))
        .assert_ok();
    assert_eq!(exported["user"]["username"], "alice");
    c.get(&app, "/users/me/export", "/users/me/export", None)
        .assert_error(401, "unauthorized");
    let path = format!("/users/me/sessions/{}", third["session_id"]);
    let ended = app.call_as("DELETE", &alice_token, &path);
    c.check("DELETE", "/users/me/sessions/{session_id}", &ended);
    assert_eq!(ended.status, 204);
    let again = app.call_as("DELETE", &alice_token, &path);
    c.check("DELETE", "/users/me/sessions/{session_id}", &again);
    again.assert_error(404, "not_found");
    app.get_as(&third_token, "/users/me").assert_error(401, "unauthorized");
    app.get_as(&renewed_token, "/users/me")
        .assert_error(401, "unauthorized");
    let fourth = login(form("alice", "wonderland42")).assert_ok();
    let logout = app.call_as("POST", fourth["access_token"].as_str().unwrap(), "/logout");
    c.check("POST", "/logout", &logout);
    assert_eq!(logout.status, 204);
    let logout = app.request("POST", "/logout", &[], None);
    c.check("POST", "/logout", &logout);
    logout.assert_error(401, "unauthorized");

    c.get(&app, "/users/me", "/users/me", Some(&alice_token))
        .assert_ok();
    c.get(&app, "/users/me", "/users/me", None)
        .assert_error(401, "unauthorized");
    c.get(
        &app,
        "/users/{user_id}",
        &format!("/users/{alice_id}"),
        Some(&alice_token),
    );
    c.get(&app, "/users/{user_id}", &format!("/users/{alice_id}"), None);
    c.get(&app, "/users/{user_id}", "/users/999", None)
        .assert_error(404, "not_found");
    c.get(&app, "/users/{user_id}", "/users/abc", None)
        .assert_error(400, "bad_request");
    c.get(&app, "/users/", "/users/", None).assert_ok();
    c.get(&app, "/users/", &format!("/users/?ids={alice_id},999"), None)
        .assert_ok();
    assert_eq!(c.get(&app, "/users/", "/users/?ids=998,999", None).status, 204);
    c.get(&app, "/users/", "/users/?ids=a,b", None)
        .assert_error(400, "bad_request");
    let profile = json!({"username": "alice", "email": "alice@example.org", "full_name": "Alice L."});
    c.send(
        &app,
        "PUT",
        "/users/{user_id}",
        &format!("/users/{alice_id}"),
        Some(&alice_token),
        &profile,
    )
    .assert_ok();
    c.send(
        &app,
        "PUT",
        "/users/{user_id}",
        &format!("/users/{alice_id}"),
        Some(&bob_token),
        &profile,
    )
    .assert_error(403, "forbidden");

    // Avatars.
    let uploaded = upload(&app, &alice_token, alice_id, multipart("file", "image/png", PNG));
    c.check("PUT", "/users/{user_id}/avatar", &uploaded);
    let avatar_url = uploaded.assert_ok()["avatar_url"].as_str().unwrap().to_owned();
    let not_image = upload(
        &app,
        &alice_token,
        alice_id,
        multipart("file", "image/png", b"plain text"),
    );
    c.check("PUT", "/users/{user_id}/avatar", &not_image);
    not_image.assert_error(415, "unsupported_media_type");
    assert_eq!(c.get(&app, "/avatars/{name}", &avatar_url, None).status, 200);
    c.get(&app, "/avatars/{name}", "/avatars/missing.png", None)
        .assert_error(404, "not_found");
    let avatar = format!("/users/{alice_id}/avatar");
    let not_hers = app.call_as("DELETE", &bob_token, &avatar);
    c.check("DELETE", "/users/{user_id}/avatar", &not_hers);
    not_hers.assert_error(403, "forbidden");
    let removed = app.call_as("DELETE", &alice_token, &avatar);
    c.check("DELETE", "/users/{user_id}/avatar", &removed);
    assert_eq!(removed.assert_ok()["avatar_url"], Value::Null);
    c.get(&app, "/avatars/{name}", &avatar_url, None)
        .assert_error(404, "not_found");

    // Roles and the moderation log.
    assert_eq!(c.get(&app, "/modlog", "/modlog", None).status, 204);
    let bob_id = c.get(&app, "/users/me", "/users/me", Some(&bob_token)).assert_ok()["id"]
        .as_i64()
        .unwrap();
    let role = format!("/users/{bob_id}/role");
    c.send(&app, "PUT", "/users/{user_id}/role", &role, Some(&alice_token), &json!({"role": "moderator"}))
        .assert_error(403, "forbidden");
    app.make_admin("alice");
    c.send(
        &app,
        "PUT",
        "/users/{user_id}/role",
        &role,
        Some(&alice_token),
        &json!({"role": "moderator", "reason": "helps out"}),
    )
    .assert_ok();
    c.send(&app, "PUT", "/users/{user_id}/role", &role, Some(&alice_token), &json!({"role": "boss"}))
        .assert_invalid("role");
    c.send(
        &app,
        "PUT",
        "/users/{user_id}/role",
        &format!("/users/{alice_id}/role"),
        Some(&alice_token),
        &json!({"role": "member"}),
    )
    .assert_error(409, "last_admin");
    let ban = format!("/users/{bob_id}/ban");
    c.send(&app, "POST", "/users/{user_id}/ban", &ban, Some(&bob_token), &json!({"reason": "x"}))
        .assert_error(403, "forbidden");
    c.send(
        &app,
        "POST",
        "/users/{user_id}/ban",
        &ban,
        Some(&alice_token),
        &json!({"reason": "testing the contract", "until": "2099-01-01T00:00:00Z"}),
    )
    .assert_ok();
    c.get(&app, "/users/me", "/users/me", Some(&bob_token))
        .assert_error(403, "account_banned");
    c.send(&app, "POST", "/users/{user_id}/ban", &ban, Some(&alice_token), &json!({"reason": ""}))
        .assert_invalid("reason");
    let lifted = app.call_as("DELETE", &alice_token, &ban);
    c.check("DELETE", "/users/{user_id}/ban", &lifted);
    lifted.assert_ok();
    let not_found = app.call_as("DELETE", &alice_token, "/users/9999/ban");
    c.check("DELETE", "/users/{user_id}/ban", &not_found);
    not_found.assert_error(404, "not_found");
    c.get(&app, "/modlog", "/modlog?limit=5", None).assert_ok();
    c.get(&app, "/users/", "/users/?role=moderator", None).assert_ok();

    // Events and tickets.
    let event = c
        .send(
            &app,
            "POST",
            "/events/",
            "/events/",
            Some(&alice_token),
            &event_body(json!({"max_tickets": 3, "venue": "Hall", "address": "Main St 1", "latitude": 1.5, "longitude": -2.25, "online_url": "https://example.org/"})),
        )
        .assert_ok();
    let event_path = format!("/events/{}", event["id"]);

    // Calendars.
    let ics = format!("{event_path}/calendar.ics");
    let feed = c.get(&app, "/events/{event_id}/calendar.ics", &ics, None);
    assert_eq!(feed.status, 200);
    let etag = feed.header("etag").unwrap().to_owned();
    let unchanged = app.request("GET", &ics, &[("If-None-Match", &etag)], None);
    c.check("GET", "/events/{event_id}/calendar.ics", &unchanged);
    assert_eq!(unchanged.status, 304);
    c.get(&app, "/events/{event_id}/calendar.ics", "/events/0/calendar.ics", None)
        .assert_error(400, "bad_request");
    c.get(&app, "/events/{event_id}/calendar.ics", "/events/424242/calendar.ics", None)
        .assert_error(404, "not_found");
    let upcoming = c.get(&app, "/events/calendar.ics", "/events/calendar.ics?search=rust", None);
    assert_eq!(upcoming.status, 200);
    let etag = upcoming.header("etag").unwrap().to_owned();
    let unchanged = app.request("GET", "/events/calendar.ics?search=rust", &[("If-None-Match", &etag)], None);
    c.check("GET", "/events/calendar.ics", &unchanged);
    assert_eq!(unchanged.status, 304);
    c.get(&app, "/events/calendar.ics", "/events/calendar.ics?search=a%00b", None)
        .assert_error(400, "bad_request");
    let made = c
        .send(&app, "POST", "/users/me/calendar-secret", "/users/me/calendar-secret", Some(&alice_token), &json!({}))
        .assert_ok();
    c.send(&app, "POST", "/users/me/calendar-secret", "/users/me/calendar-secret", None, &json!({}))
        .assert_error(401, "unauthorized");
    let private = format!("/calendar/{}.ics", made["secret"].as_str().unwrap());
    let feed = c.get(&app, "/calendar/{secret}.ics", &private, None);
    assert_eq!(feed.status, 200);
    let etag = feed.header("etag").unwrap().to_owned();
    let unchanged = app.request("GET", &private, &[("If-None-Match", &etag)], None);
    c.check("GET", "/calendar/{secret}.ics", &unchanged);
    assert_eq!(unchanged.status, 304);
    c.get(&app, "/calendar/{secret}.ics", "/calendar/unknown.ics", None)
        .assert_error(404, "not_found");
    let active = c
        .get(&app, "/users/me/calendar-secret", "/users/me/calendar-secret", Some(&alice_token))
        .assert_ok();
    assert_eq!(active["active"], true);
    c.get(&app, "/users/me/calendar-secret", "/users/me/calendar-secret", None)
        .assert_error(401, "unauthorized");
    let off = app.call_as("DELETE", &alice_token, "/users/me/calendar-secret");
    c.check("DELETE", "/users/me/calendar-secret", &off);
    assert_eq!(off.status, 204);
    let inactive = c
        .get(&app, "/users/me/calendar-secret", "/users/me/calendar-secret", Some(&alice_token))
        .assert_ok();
    assert_eq!(inactive, json!({"active": false, "created_at": null}));
    c.get(&app, "/calendar/{secret}.ics", &private, None)
        .assert_error(404, "not_found");
    c.send(
        &app,
        "POST",
        "/events/",
        "/events/",
        Some(&alice_token),
        &json!({"name": ""}),
    )
    .assert_error(400, "validation_failed");
    c.send(&app, "POST", "/events/", "/events/", None, &event_body(json!({})))
        .assert_error(401, "unauthorized");
    c.get(&app, "/events/", "/events/?limit=5", None).assert_ok();
    c.get(&app, "/events/", "/events/?search=meetup", None)
        .assert_ok();
    assert_eq!(
        c.get(&app, "/events/", "/events/?search=nothingmatches", None)
            .status,
        204
    );
    c.get(&app, "/events/", "/events/?limit=500", None)
        .assert_error(400, "validation_failed");
    c.get(&app, "/events/{event_id}", &event_path, None).assert_ok();
    let pictured = put_picture(&app, &alice_token, &event, picture_form(Some("A full hall")));
    c.check("PUT", "/events/{event_id}/image", &pictured);
    let image_url = pictured.assert_ok()["image_url"].as_str().unwrap().to_owned();
    let refused = put_picture(&app, &bob_token, &event, picture_form(Some("mine")));
    c.check("PUT", "/events/{event_id}/image", &refused);
    refused.assert_error(403, "forbidden");
    let undescribed = put_picture(&app, &alice_token, &event, picture_form(None));
    c.check("PUT", "/events/{event_id}/image", &undescribed);
    undescribed.assert_invalid("alt");
    assert_eq!(c.get(&app, "/images/{name}", &image_url, None).status, 200);
    c.get(&app, "/images/{name}", "/images/missing.png", None)
        .assert_error(404, "not_found");
    c.get(&app, "/events/{event_id}", "/events/12345", None)
        .assert_error(404, "not_found");
    c.get(&app, "/events/", "/events/?when=past", None);
    c.get(&app, "/events/", "/events/?when=all&search=meetup", None)
        .assert_ok();
    c.get(&app, "/events/", "/events/?when=soon", None)
        .assert_error(400, "bad_request");
    let owned = "/users/{user_id}/events";
    c.get(&app, owned, &format!("/users/{alice_id}/events"), None)
        .assert_ok();
    c.get(&app, owned, &format!("/users/{alice_id}/events?when=past"), None);
    c.get(&app, owned, "/users/999/events", None)
        .assert_error(404, "not_found");
    c.get(&app, owned, "/users/abc/events", None)
        .assert_error(400, "bad_request");
    c.send(
        &app,
        "PATCH",
        "/events/{event_id}",
        &event_path,
        Some(&alice_token),
        &json!({"name": "Renamed"}),
    )
    .assert_ok();
    c.send(
        &app,
        "PATCH",
        "/events/{event_id}",
        &event_path,
        Some(&bob_token),
        &json!({"name": "Mine"}),
    )
    .assert_error(403, "forbidden");
    let tickets = format!("{event_path}/tickets");
    c.send(
        &app,
        "POST",
        "/events/{event_id}/tickets",
        &tickets,
        Some(&bob_token),
        &json!({"quantity": 2}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/events/{event_id}/tickets",
        &tickets,
        Some(&bob_token),
        &json!({"quantity": 2}),
    )
    .assert_error(409, "sold_out");
    c.send(
        &app,
        "POST",
        "/events/{event_id}/tickets",
        &tickets,
        Some(&bob_token),
        &json!({"quantity": 0}),
    )
    .assert_error(400, "validation_failed");

    // The tickets that purchase made: listed, shown, drawn, given back.
    let held = c
        .get(&app, "/users/me/tickets", "/users/me/tickets?status=active", Some(&bob_token))
        .assert_ok();
    let ticket = format!("/tickets/{}", held[0]["id"]);
    c.get(&app, "/users/me/tickets", "/users/me/tickets?status=checked_in", Some(&bob_token));
    c.get(&app, "/tickets/{ticket_id}", &ticket, Some(&bob_token)).assert_ok();
    c.get(&app, "/tickets/{ticket_id}", &ticket, Some(&alice_token))
        .assert_ok();
    c.get(&app, "/tickets/{ticket_id}", "/tickets/999999", Some(&bob_token))
        .assert_error(404, "not_found");
    let qr = c.get(&app, "/tickets/{ticket_id}/qr.svg", &format!("{ticket}/qr.svg"), Some(&bob_token));
    assert_eq!(qr.status, 200);
    let attendees = format!("/events/{}/attendees", event["id"]);
    let listed = c
        .get(&app, "/events/{event_id}/attendees", &attendees, Some(&alice_token))
        .assert_ok();
    assert!(listed.as_array().unwrap().len() >= 2);
    c.get(&app, "/events/{event_id}/attendees", &attendees, Some(&bob_token))
        .assert_error(403, "forbidden");
    let door = format!("/events/{}/check-ins", event["id"]);
    let admitted = c
        .send(&app, "POST", "/events/{event_id}/check-ins", &door, Some(&alice_token), &json!({"code": held[1]["code"], "nonce": "door-1"}))
        .assert_ok();
    assert_eq!(admitted["admitted"], true);
    let again = c.send(&app, "POST", "/events/{event_id}/check-ins", &door, Some(&alice_token), &json!({"code": held[1]["code"], "nonce": "door-2"}));
    assert_eq!(again.status, 409);
    c.send(&app, "POST", "/events/{event_id}/check-ins", &door, Some(&bob_token), &json!({"code": held[1]["code"], "nonce": "door-3"}))
        .assert_error(403, "forbidden");
    // Too few are left for two more: the waitlist, joined, shown, listed, left and joined again.
    let waitlist = format!("/events/{}/waitlist", event["id"]);
    let entry = c
        .send(&app, "POST", "/events/{event_id}/waitlist", &waitlist, Some(&alice_token), &json!({"quantity": 2}))
        .assert_ok();
    assert_eq!(entry["position"], 1);
    c.send(&app, "POST", "/events/{event_id}/waitlist", &waitlist, Some(&alice_token), &json!({"quantity": 2}))
        .assert_error(409, "already_waiting");
    c.send(&app, "POST", "/events/{event_id}/waitlist", &waitlist, Some(&alice_token), &json!({"quantity": 0}))
        .assert_error(400, "validation_failed");
    c.get(&app, "/events/{event_id}/waitlist", &waitlist, Some(&alice_token)).assert_ok();
    c.get(&app, "/events/{event_id}/waitlist", &waitlist, Some(&bob_token))
        .assert_error(404, "not_found");
    c.get(&app, "/users/me/waitlist", "/users/me/waitlist", Some(&alice_token)).assert_ok();
    assert_eq!(c.get(&app, "/users/me/waitlist", "/users/me/waitlist", Some(&bob_token)).status, 204);
    let left = app.call_as("DELETE", &alice_token, &waitlist);
    c.check("DELETE", "/events/{event_id}/waitlist", &left);
    assert_eq!(left.status, 204);
    let again = app.call_as("DELETE", &alice_token, &waitlist);
    c.check("DELETE", "/events/{event_id}/waitlist", &again);
    again.assert_error(404, "not_found");
    c.send(&app, "POST", "/events/{event_id}/waitlist", &waitlist, Some(&bob_token), &json!({"quantity": 1}))
        .assert_error(409, "tickets_available");
    c.send(&app, "POST", "/events/{event_id}/waitlist", &waitlist, Some(&alice_token), &json!({"quantity": 2}))
        .assert_ok();
    let cancel = format!("{ticket}/cancel");
    c.send(&app, "POST", "/tickets/{ticket_id}/cancel", &cancel, Some(&bob_token), &json!({}))
        .assert_ok();
    // Bob's place went to Alice, first in line, whole.
    c.get(&app, "/events/{event_id}/waitlist", &waitlist, Some(&alice_token))
        .assert_error(404, "not_found");
    c.send(&app, "POST", "/tickets/{ticket_id}/cancel", &cancel, Some(&bob_token), &json!({}))
        .assert_error(409, "already_cancelled");

    // Comments and the notifications they cause.
    let comments = format!("/comments/{}", event["id"]);
    c.send(
        &app,
        "POST",
        "/comments/{event_id}",
        &comments,
        Some(&bob_token),
        &json!({"content": "Count me in"}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/comments/{event_id}",
        "/comments/999",
        Some(&bob_token),
        &json!({"content": "?"}),
    )
    .assert_error(404, "not_found");
    c.get(&app, "/comments/{event_id}", &comments, None).assert_ok();
    c.get(&app, "/comments/{event_id}", "/comments/999", None)
        .assert_error(404, "not_found");
    let overview = c
        .get(&app, "/events/{event_id}/overview", &format!("/events/{}/overview", event["id"]), None)
        .assert_ok();
    assert_eq!(overview["comments_total"], 1);
    c.get(&app, "/events/{event_id}/overview", "/events/999/overview", None)
        .assert_error(404, "not_found");

    // Editing and deleting a comment.
    let second = app
        .post_json(&comments, Some(&bob_token), &json!({"content": "Bringing a friend"}))
        .assert_ok();
    let one_comment = format!("/events/{}/comments/{}", event["id"], second["id"]);
    let template = "/events/{event_id}/comments/{comment_id}";
    let edited = c
        .send(&app, "PATCH", template, &one_comment, Some(&bob_token), &json!({"content": "Bringing two friends"}))
        .assert_ok();
    assert!(edited["edited_at"].is_string(), "{edited}");
    c.send(&app, "PATCH", template, &one_comment, Some(&alice_token), &json!({"content": "No"}))
        .assert_error(403, "forbidden");
    c.send(&app, "PATCH", template, &one_comment, Some(&bob_token), &json!({"content": ""}))
        .assert_invalid("content");
    assert!(c.get(&app, template, &one_comment, None).assert_ok().get("removed").is_none());
    let removed = app.call_as("DELETE", &alice_token, &one_comment);
    c.check("DELETE", template, &removed);
    assert_eq!(removed.status, 204, "the event's owner removes a comment on it");
    let again = app.call_as("DELETE", &bob_token, &one_comment);
    c.check("DELETE", template, &again);
    again.assert_error(404, "not_found");
    c.get(&app, template, &one_comment, None).assert_error(404, "not_found");
    assert_eq!(c.get(&app, template, &one_comment, Some(&bob_token)).assert_ok()["removed"], true);
    c.get(&app, template, &one_comment, Some("not-a-token")).assert_error(401, "unauthorized");

    // Reports.
    let (_, dora_token) = app.user("dora");
    let report_body = json!({"target": {"kind": "event", "id": event["id"]}, "reason": "spam", "note": "?"});
    let filed = c.send(&app, "POST", "/reports", "/reports", Some(&dora_token), &report_body).assert_ok();
    c.send(&app, "POST", "/reports", "/reports", Some(&dora_token), &report_body)
        .assert_error(409, "already_reported");
    c.send(&app, "POST", "/reports", "/reports", Some(&dora_token), &json!({"target": {"kind": "post", "id": 999}, "reason": "spam"}))
        .assert_error(404, "not_found");
    c.send(&app, "POST", "/reports", "/reports", Some(&dora_token), &json!({"target": {"kind": "post", "id": 1}}))
        .assert_invalid("reason");
    c.send(&app, "POST", "/reports", "/reports", None, &report_body).assert_error(401, "unauthorized");
    c.get(&app, "/reports", "/reports", Some(&dora_token)).assert_error(403, "forbidden");
    c.get(&app, "/reports", "/reports", None).assert_error(401, "unauthorized");
    assert_eq!(c.get(&app, "/reports", "/reports", Some(&alice_token)).assert_ok()[0]["id"], filed["id"]);
    assert_eq!(c.get(&app, "/reports", "/reports?status=resolved", Some(&alice_token)).status, 204);
    c.get(&app, "/reports", "/reports?status=new", Some(&alice_token)).assert_invalid("status");
    let resolve = format!("/reports/{}/resolve", filed["id"]);
    let template = "/reports/{report_id}/resolve";
    c.send(&app, "POST", template, &resolve, Some(&dora_token), &json!({"action": "dismiss"}))
        .assert_error(403, "forbidden");
    c.send(&app, "POST", template, &resolve, Some(&alice_token), &json!({"action": "forgive"}))
        .assert_invalid("action");
    c.send(&app, "POST", template, &resolve, Some(&alice_token), &json!({"action": "dismiss", "note": "fine"}))
        .assert_ok();
    c.send(&app, "POST", template, &resolve, Some(&alice_token), &json!({"action": "dismiss"}))
        .assert_error(409, "report_resolved");
    c.send(&app, "POST", template, "/reports/999/resolve", Some(&alice_token), &json!({"action": "dismiss"}))
        .assert_error(404, "not_found");
    c.send(&app, "POST", template, &resolve, None, &json!({"action": "dismiss"}))
        .assert_error(401, "unauthorized");

    let inbox = c.get(&app, "/notifications/", "/notifications/", Some(&alice_token));
    let first = inbox.assert_ok()[0]["id"].as_i64().unwrap();
    assert_eq!(
        c.get(
            &app,
            "/notifications/",
            "/notifications/?unread_only=true",
            Some(&bob_token)
        )
        .status,
        204
    );
    c.send(
        &app,
        "POST",
        "/notifications/",
        "/notifications/",
        Some(&bob_token),
        &json!({"message": "hello", "sender": "Bob", "owner_id": alice_id}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/notifications/",
        "/notifications/",
        Some(&bob_token),
        &json!({"message": "hello", "sender": "Bob", "owner_id": 9999}),
    )
    .assert_error(404, "not_found");
    let read = format!("/notifications/{first}/read");
    c.send(
        &app,
        "POST",
        "/notifications/{id}/read",
        &read,
        Some(&alice_token),
        &json!({}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/notifications/{id}/read",
        &read,
        Some(&bob_token),
        &json!({}),
    )
    .assert_error(404, "not_found");
    c.send(
        &app,
        "POST",
        "/notifications/read-all",
        "/notifications/read-all",
        Some(&alice_token),
        &json!({"up_to_id": first}),
    )
    .assert_ok();
    c.send(
        &app,
        "POST",
        "/notifications/read-all",
        "/notifications/read-all",
        Some(&alice_token),
        &json!([]),
    )
    .assert_error(400, "validation_failed");

    // Live notifications: the refusals in the contract's shape, and the stream's own head.
    c.send(
        &app,
        "POST",
        "/notifications/stream/ticket",
        "/notifications/stream/ticket",
        None,
        &json!({}),
    )
    .assert_error(401, "unauthorized");
    let ticket = c
        .send(
            &app,
            "POST",
            "/notifications/stream/ticket",
            "/notifications/stream/ticket",
            Some(&alice_token),
            &json!({}),
        )
        .assert_ok();
    c.get(&app, "/notifications/stream", "/notifications/stream", None)
        .assert_error(401, "unauthorized");
    c.get(
        &app,
        "/notifications/stream",
        "/notifications/stream?after=-1",
        Some(&alice_token),
    )
    .assert_invalid("after");
    // From the start (`after=0`): Alice's notifications replayed, then her unread count.
    let path = format!(
        "/notifications/stream?ticket={}&after=0",
        ticket["ticket"].as_str().unwrap()
    );
    let stream = crate::live::EventStream::open(&app, &path, &[]).unwrap_or_else(|r| panic!("{r:?}"));
    let head = Response {
        status: 200,
        headers: stream.headers.clone(),
        body: Vec::new(),
    };
    c.check("GET", "/notifications/stream", &head);
    let mut kinds = BTreeSet::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !(kinds.contains("notification") && kinds.contains("unread")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let Some(event) = stream.next_within(left) else {
            break;
        };
        c.check_stream_event(&event);
        kinds.insert(event.event);
    }
    assert!(
        kinds.contains("notification") && kinds.contains("unread"),
        "{kinds:?}"
    );
    stream.close();

    // Posts.
    let post = c
        .send(
            &app,
            "POST",
            "/posts/",
            "/posts/",
            Some(&alice_token),
            &json!({"title": "Hello", "content": "First"}),
        )
        .assert_ok();
    let post_path = format!("/posts/{}", post["id"]);
    c.get(&app, "/posts/", "/posts/", None).assert_ok();
    c.get(&app, "/posts/{post_id}", &post_path, None).assert_ok();
    assert_eq!(post["edited_at"], Value::Null);
    let edited = c
        .send(
            &app,
            "PATCH",
            "/posts/{post_id}",
            &post_path,
            Some(&alice_token),
            &json!({"content": "First, edited"}),
        )
        .assert_ok();
    assert!(edited["edited_at"].is_string(), "{edited}");
    c.send(
        &app,
        "PATCH",
        "/posts/{post_id}",
        &post_path,
        Some(&bob_token),
        &json!({"title": "Mine now"}),
    )
    .assert_error(403, "forbidden");
    c.send(
        &app,
        "PATCH",
        "/posts/{post_id}",
        &post_path,
        Some(&alice_token),
        &json!({"title": null}),
    )
    .assert_invalid("title");
    let delete = |token: &str, path: &str| app.call_as("DELETE", token, path);
    let refused = delete(&dora_token, &post_path);
    c.check("DELETE", "/posts/{post_id}", &refused);
    refused.assert_error(403, "forbidden");
    let deleted = delete(&alice_token, &post_path);
    c.check("DELETE", "/posts/{post_id}", &deleted);
    assert_eq!(deleted.status, 204);
    c.get(&app, "/posts/{post_id}", &post_path, None)
        .assert_error(404, "not_found");

    let removed = delete(&alice_token, &event_path);
    c.check("DELETE", "/events/{event_id}", &removed);
    assert_eq!(removed.status, 204);
    let gone = delete(&alice_token, &event_path);
    c.check("DELETE", "/events/{event_id}", &gone);
    gone.assert_error(404, "not_found");

    // Dora leaves: a wrong password first, then hers.
    let refused = c.send(&app, "DELETE", "/users/me", "/users/me", Some(&dora_token), &json!({"password": "not hers"}));
    refused.assert_invalid("password");
    let left = c.send(&app, "DELETE", "/users/me", "/users/me", Some(&dora_token), &json!({"password": PASSWORD}));
    assert_eq!(left.status, 204);
    c.send(&app, "DELETE", "/users/me", "/users/me", Some(&dora_token), &json!({"password": PASSWORD}))
        .assert_error(401, "unauthorized");

    contract.assert_complete();
}

#[test]
#[should_panic(expected = "breaks its schema")]
fn the_checker_catches_a_body_that_breaks_its_schema() {
    let app = TestApp::spawn();
    let contract = Contract::of(&app);
    let event = json!({"id": "seven", "name": "x", "created_at": "yesterday"});
    contract.validate(
        &json!({"$ref": "#/components/schemas/EventResponse"}),
        &event,
        "a forged event",
    );
}

/// How `tests/contract_fuzz.rs` reads a schemathesis run: a failed check or an unanswered request is a
/// finding; an exception inside schemathesis is the tool's own crash, retried once.
#[test]
fn a_check_failure_is_a_finding_and_a_crash_of_the_tool_is_not() {
    let report =
        |failures: &str, errors: &str| Some(format!(r#"{{"failures": [{failures}], "errors": [{errors}]}}"#));
    assert!(matches!(
        crate::fuzz_verdict::verdict(true, report("", "")),
        crate::fuzz_verdict::Verdict::Passed
    ));
    assert!(matches!(
        crate::fuzz_verdict::verdict(
            false,
            report(r#"{"title": "Server error"}"#, r#"{"title": "Runtime Error"}"#)
        ),
        crate::fuzz_verdict::Verdict::Findings(_)
    ));
    assert!(matches!(
        crate::fuzz_verdict::verdict(false, report("", r#"{"title": "Runtime Error", "count": 1}"#)),
        crate::fuzz_verdict::Verdict::ToolCrashed(_)
    ));
    assert!(matches!(
        crate::fuzz_verdict::verdict(false, report("", r#"{"title": "Network Error"}"#)),
        crate::fuzz_verdict::Verdict::Findings(_)
    ));
    assert!(matches!(
        crate::fuzz_verdict::verdict(false, report("", r#"{"title": "Unresponsive Operation"}"#)),
        crate::fuzz_verdict::Verdict::Findings(_)
    ));
    assert!(matches!(
        crate::fuzz_verdict::verdict(false, None),
        crate::fuzz_verdict::Verdict::ToolCrashed(_)
    ));
}
