//! Every error class of the contract answers in its one shape, whatever layer produced it.

use serde_json::json;

use crate::helpers::{TestApp, event_body};

#[test]
fn unknown_routes_are_404_and_wrong_methods_405() {
    let app = TestApp::spawn();
    app.get("/no/such/route").assert_error(404, "not_found");
    app.request("DELETE", "/health", &[], None)
        .assert_error(405, "method_not_allowed");
    app.request("PATCH", "/users/", &[], None)
        .assert_error(405, "method_not_allowed");
}

#[test]
fn paths_with_and_without_the_trailing_slash_answer_alike() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    app.create_event(&token, json!({}));
    for path in ["/events/", "/events", "/events/1", "/events/1/"] {
        assert_eq!(app.get(path).status, 200, "{path}");
    }
}

#[test]
fn broken_json_is_a_bad_request() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let auth = format!("Bearer {token}");
    for body in [
        &b"{"[..],
        b"",
        b"{\"name\": }",
        b"not json",
        b"{\"name\":\"x\"} {}",
    ] {
        let response = app.request(
            "POST",
            "/events/",
            &[("Content-Type", "application/json"), ("Authorization", &auth)],
            Some(body.to_vec()),
        );
        response.assert_error(400, "bad_request");
    }
}

#[test]
fn non_utf8_bytes_in_json_are_a_bad_request() {
    let app = TestApp::spawn();
    let body = b"{\"username\":\"al\xff\xfeice\",\"email\":\"a@b.co\",\"password\":\"password123\"}".to_vec();
    app.request(
        "POST",
        "/users/",
        &[("Content-Type", "application/json")],
        Some(body),
    )
    .assert_error(400, "bad_request");
}

#[test]
fn a_body_that_is_not_json_is_415() {
    let app = TestApp::spawn();
    let body = br#"{"username":"alice","email":"a@b.co","password":"password123"}"#.to_vec();
    app.request(
        "POST",
        "/users/",
        &[("Content-Type", "text/plain")],
        Some(body.clone()),
    )
    .assert_error(415, "unsupported_media_type");
    app.request("POST", "/users/", &[], Some(body))
        .assert_error(415, "unsupported_media_type");
}

#[test]
fn bodies_over_256_kib_are_413() {
    let app = TestApp::spawn();
    let huge = format!(
        r#"{{"username":"alice","email":"a@b.co","password":"password123","full_name":"{}"}}"#,
        "x".repeat(300 * 1024)
    );
    app.request(
        "POST",
        "/users/",
        &[("Content-Type", "application/json")],
        Some(huge.into_bytes()),
    )
    .assert_error(413, "payload_too_large");
}

#[test]
fn missing_extra_and_wrongly_typed_fields() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let mut missing = event_body(json!({}));
    missing.as_object_mut().unwrap().remove("max_tickets");
    app.post_json("/events/", Some(&token), &missing)
        .assert_invalid("max_tickets");
    app.post_json(
        "/events/",
        Some(&token),
        &event_body(json!({"duration_hours": "two"})),
    )
    .assert_invalid("duration_hours");
    app.post_json("/events/", Some(&token), &event_body(json!({"name": null})))
        .assert_invalid("name");
    app.post_json("/events/", Some(&token), &json!([1, 2]))
        .assert_error(400, "validation_failed");
    let extra = app.post_json("/events/", Some(&token), &event_body(json!({"colour": "blue"})));
    assert_eq!(
        extra.assert_ok()["name"],
        "Rust meetup",
        "unknown fields are ignored"
    );
}

#[test]
fn path_ids_must_be_positive_integers() {
    let app = TestApp::spawn();
    for id in ["0", "-1", "+1", "abc", "99999999999999999999", "1.5"] {
        for path in [
            format!("/events/{id}"),
            format!("/users/{id}"),
            format!("/posts/{id}"),
            format!("/comments/{id}"),
        ] {
            app.get(&path).assert_error(400, "bad_request");
        }
    }
    app.get("/events/9999999999").assert_error(404, "not_found");
}

/// A bad token is refused before a bad path or body is looked at, every time: the checks ran side by side
/// and whichever finished first answered (`401` or `400` by chance).
#[test]
fn a_bad_token_is_401_whatever_else_is_wrong_with_the_request() {
    let app = TestApp::spawn();
    for _ in 0..20 {
        for token in [None, Some("x"), Some("a.b.c")] {
            let headers: Vec<(&str, String)> = token
                .map(|token| ("Authorization", format!("Bearer {token}")))
                .into_iter()
                .collect();
            let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            for (method, path, body) in [
                ("PUT", "/users/abc", Some(b"{}".to_vec())),
                ("PATCH", "/events/abc", Some(b"{\"name\": 5}".to_vec())),
                ("DELETE", "/events/0", None),
                ("POST", "/events/", Some(b"{not json".to_vec())),
            ] {
                let mut all = headers.clone();
                all.push(("Content-Type", "application/json"));
                app.request(method, path, &all, body).assert_error(401, "unauthorized");
            }
        }
    }
}

#[test]
fn list_bounds_are_checked() {
    let app = TestApp::spawn();
    for query in ["limit=0", "limit=101", "limit=-1", "skip=-1"] {
        for list in ["/events/", "/posts/", "/users/"] {
            let response = app.get(&format!("{list}?{query}"));
            response.assert_error(400, "validation_failed");
        }
    }
    for query in ["limit=abc", "skip=x", "limit=99999999999999999999"] {
        app.get(&format!("/events/?{query}"))
            .assert_error(400, "bad_request");
    }
    assert_eq!(app.get("/events/?limit=100&skip=0").status, 204);
}

#[test]
fn protected_routes_need_a_token() {
    let app = TestApp::spawn();
    let body = json!({});
    for (method, path) in [
        ("POST", "/events/"),
        ("PATCH", "/events/1"),
        ("DELETE", "/events/1"),
        ("POST", "/events/1/tickets"),
        ("POST", "/posts/"),
        ("DELETE", "/posts/1"),
        ("POST", "/comments/1"),
        ("POST", "/notifications/"),
        ("GET", "/notifications/"),
        ("POST", "/notifications/1/read"),
        ("POST", "/notifications/read-all"),
        ("PUT", "/users/1"),
        ("GET", "/users/me"),
    ] {
        let response = app.send_json(method, path, None, &body);
        response.assert_error(401, "unauthorized");
        assert_eq!(
            response.header("www-authenticate"),
            Some("Bearer"),
            "{method} {path}"
        );
    }
}

#[test]
fn head_answers_every_get_route_with_headers_and_no_body() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    app.create_event(&token, json!({}));
    for path in [
        "/health",
        "/events/",
        "/events/1",
        "/users/1",
        "/",
        "/openapi.json",
    ] {
        let head = app.request("HEAD", path, &[], None);
        let get = app.get(path);
        assert_eq!(head.status, get.status, "{path}");
        assert!(head.body.is_empty(), "{path}");
        assert_eq!(head.header("content-type"), get.header("content-type"), "{path}");
    }
    let list = app.request("HEAD", "/events/", &[], None);
    assert_eq!(list.header("x-total-count"), Some("1"));
}

#[test]
fn wrong_methods_on_the_notification_actions_are_405_with_allow() {
    let app = TestApp::spawn();
    for path in ["/notifications/read-all", "/notifications/1/read"] {
        let response = app.get(path);
        response.assert_error(405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some("POST"), "{path}");
    }
    let response = app.request("DELETE", "/events/1", &[], None);
    assert_eq!(
        response.status, 401,
        "DELETE is a method of /events/{{id}}: it needs a token"
    );
    let response = app.request("PUT", "/events/1", &[], None);
    response.assert_error(405, "method_not_allowed");
    let allow = response.header("allow").unwrap();
    for method in ["GET", "HEAD", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
}

#[test]
fn an_id_list_with_an_empty_element_is_malformed() {
    let app = TestApp::spawn();
    for ids in ["4,,4", "4,", ",4", "1,%20,2"] {
        app.get(&format!("/users/?ids={ids}"))
            .assert_error(400, "bad_request");
    }
    app.get("/users/?ids=").assert_invalid("ids");
}

#[test]
fn every_invalid_field_is_reported_at_once() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let body = app
        .post_json(
            "/events/",
            Some(&token),
            &json!({"name": "", "duration_hours": -1}),
        )
        .assert_error(400, "validation_failed");
    let mut fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "description",
            "duration_hours",
            "duration_minutes",
            "event_time",
            "max_tickets",
            "name"
        ]
    );
    let body = app
        .post_json("/users/", None, &json!({"username": 5, "email": null}))
        .assert_error(400, "validation_failed");
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");
}

#[test]
fn a_body_that_is_not_an_object_marks_nothing_read() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let note = json!({"message": "hi", "sender": "me", "owner_id": alice});
    app.post_json("/notifications/", Some(&token), &note).assert_ok();
    for body in [json!([]), json!("all"), json!(42)] {
        app.post_json("/notifications/read-all", Some(&token), &body)
            .assert_invalid("body");
    }
    let inbox = app.get_as(&token, "/notifications/");
    assert_eq!(inbox.header("x-unread-count"), Some("1"));
}

#[test]
fn names_and_titles_refuse_invisible_and_reordering_characters() {
    let app = TestApp::spawn();
    let (id, token) = app.user("alice");
    for name in ["\u{202E}tneve", "\u{200B}\u{200B}", "Party\u{0}", "two\nlines"] {
        app.post_json("/events/", Some(&token), &event_body(json!({"name": name})))
            .assert_invalid("name");
        app.post_json("/posts/", Some(&token), &json!({"title": name, "content": "x"}))
            .assert_invalid("title");
        app.post_json(
            "/notifications/",
            Some(&token),
            &json!({"message": "hello", "sender": name}),
        )
        .assert_invalid("sender");
        app.send_json(
            "PUT",
            &format!("/users/{id}"),
            Some(&token),
            &json!({"username": "alice", "email": "alice@example.org", "full_name": name}),
        )
        .assert_invalid("full_name");
    }
    let fine = app.create_event(
        &token,
        json!({"name": "مرحبا Zoë 李雷 👩\u{200D}💻", "description": "line\nbreaks\tare fine"}),
    );
    assert_eq!(fine["description"], "line\nbreaks\tare fine");
}
