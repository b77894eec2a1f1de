//! Sessions that last: refresh tokens, their rotation and reuse, logout, and the list of sessions.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

fn login_on(app: &TestApp, device: &str, remember: &str) -> Value {
    let form = format!("username=alice&password={PASSWORD}&remember_me={remember}");
    app.request(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", device),
        ],
        Some(form.into_bytes()),
    )
    .assert_ok()
}

fn refresh(app: &TestApp, refresh_token: &Value) -> crate::helpers::Response {
    app.post_json("/token/refresh", None, &json!({ "refresh_token": refresh_token }))
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap()
}

#[test]
fn a_login_answers_a_refresh_token_that_renews_once() {
    let app = TestApp::spawn();
    app.register("alice");
    let first = login_on(&app, "Phone", "off");
    assert_eq!(first["refresh_expires_in"], 12 * 3600);
    assert!(text(&first["refresh_token"]).len() >= 43);
    let session = first["session_id"].as_i64().unwrap();

    let response = refresh(&app, &first["refresh_token"]);
    let renewed = response.assert_ok();
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(renewed["session_id"], session);
    assert_eq!(renewed["token_type"], "bearer");
    assert_ne!(renewed["refresh_token"], first["refresh_token"]);
    app.get_as(text(&renewed["access_token"]), "/users/me").assert_ok();

    // The spent token again: the session ends, with every token descended from the login.
    let reused = refresh(&app, &first["refresh_token"]);
    reused.assert_error(401, "refresh_token_reused");
    assert_eq!(reused.header("www-authenticate"), Some("Bearer"));
    refresh(&app, &renewed["refresh_token"]).assert_error(401, "unauthorized");
    app.get_as(text(&renewed["access_token"]), "/users/me")
        .assert_error(401, "unauthorized");
    app.get_as(text(&first["access_token"]), "/users/me")
        .assert_error(401, "unauthorized");
}

#[test]
fn remember_me_makes_a_session_last_thirty_days_and_forms_or_json_both_work() {
    let app = TestApp::spawn();
    app.register("alice");
    let remembered = login_on(&app, "Laptop", "on");
    assert_eq!(remembered["refresh_expires_in"], 30 * 24 * 3600);
    let json_login = app
        .post_json(
            "/token",
            None,
            &json!({"username": "alice", "password": PASSWORD, "remember_me": true}),
        )
        .assert_ok();
    assert_eq!(json_login["refresh_expires_in"], 30 * 24 * 3600);
    let form = format!("refresh_token={}", text(&remembered["refresh_token"]));
    let renewed = app
        .request(
            "POST",
            "/token/refresh",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(form.into_bytes()),
        )
        .assert_ok();
    assert_eq!(renewed["refresh_expires_in"], 30 * 24 * 3600, "renewal keeps the kind");
    app.post_json(
        "/token",
        None,
        &json!({"username": "alice", "password": PASSWORD, "remember_me": "maybe"}),
    )
    .assert_invalid("remember_me");
}

#[test]
fn a_token_request_reports_every_invalid_field_at_once_as_a_form_or_as_json() {
    let app = TestApp::spawn();
    app.register("alice");
    let form = |body: &str| {
        app.request(
            "POST",
            "/token",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            Some(body.as_bytes().to_vec()),
        )
    };
    let fields = |body: Value| -> Vec<(String, String)> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (text(&e["field"]).to_owned(), text(&e["message"]).to_owned()))
            .collect()
    };
    let required = |name: &str| (name.to_owned(), "field required".to_owned());
    assert_eq!(
        fields(form("").assert_error(400, "validation_failed")),
        [required("username"), required("password")]
    );
    assert_eq!(
        fields(app.post_json("/token", None, &json!({})).assert_error(400, "validation_failed")),
        [required("username"), required("password")]
    );
    let flag = ("remember_me".to_owned(), "must be true or false".to_owned());
    assert_eq!(
        fields(form("username=alice&remember_me=maybe").assert_error(400, "validation_failed")),
        [required("password"), flag.clone()]
    );
    assert_eq!(
        fields(
            app.post_json(
                "/token",
                None,
                &json!({"username": 5, "password": PASSWORD, "remember_me": 1})
            )
            .assert_error(400, "validation_failed")
        ),
        [("username".to_owned(), "invalid type: integer `5`, expected a string".to_owned()), flag.clone()]
    );
    assert_eq!(
        fields(
            app.post_json(
                "/token",
                None,
                &json!({"username": null, "password": PASSWORD, "remember_me": null})
            )
            .assert_error(400, "validation_failed")
        ),
        [("username".to_owned(), "invalid type: null, expected a string".to_owned()), flag]
    );
    // A field sent twice in a form: its last value counts.
    let signed_in = form(&format!("username=nobody&username=alice&password={PASSWORD}&remember_me=off"));
    assert_eq!(signed_in.assert_ok()["refresh_expires_in"], 12 * 3600);
}

#[test]
fn bad_refresh_requests_get_the_contracts_errors() {
    let app = TestApp::spawn();
    for token in [json!("never issued"), json!(""), json!("x".repeat(5000))] {
        refresh(&app, &token).assert_error(401, "unauthorized");
    }
    app.post_json("/token/refresh", None, &json!({})).assert_invalid("refresh_token");
    app.post_json("/token/refresh", None, &json!({"refresh_token": 5}))
        .assert_invalid("refresh_token");
    app.request(
        "POST",
        "/token/refresh",
        &[("Content-Type", "text/plain")],
        Some(b"token".to_vec()),
    )
    .assert_error(415, "unsupported_media_type");
}

#[test]
fn sessions_are_listed_ended_one_by_one_and_by_logout() {
    let app = TestApp::spawn();
    app.register("alice");
    let phone = login_on(&app, "Phone\t  browser", "off");
    let laptop = login_on(&app, "Laptop", "true");
    let token = text(&laptop["access_token"]);

    let response = app.get_as(token, "/users/me/sessions");
    let listed = response.assert_ok();
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], laptop["session_id"], "most recently used first");
    assert_eq!(listed[0]["device"], "Laptop");
    assert_eq!(listed[0]["remember_me"], true);
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["device"], "Phone browser");
    assert_eq!(listed[1]["current"], false);
    for field in ["created_at", "last_used_at", "expires_at"] {
        assert!(text(&listed[1][field]).ends_with('Z'), "{field}");
    }

    // Ending the phone's session from the laptop signs the phone out.
    let phone_session = format!("/users/me/sessions/{}", phone["session_id"]);
    let ended = app.call_as("DELETE", token, &phone_session);
    assert_eq!(ended.status, 204);
    app.call_as("DELETE", token, &phone_session)
        .assert_error(404, "not_found");
    app.get_as(text(&phone["access_token"]), "/users/me")
        .assert_error(401, "unauthorized");
    refresh(&app, &phone["refresh_token"]).assert_error(401, "unauthorized");
    app.call_as("DELETE", token, "/users/me/sessions/0")
        .assert_error(400, "bad_request");

    // Someone else's session is not found, and stays.
    let (_, bob) = app.user("bob");
    app.call_as("DELETE", &bob, &format!("/users/me/sessions/{}", laptop["session_id"]))
        .assert_error(404, "not_found");
    app.get_as(token, "/users/me").assert_ok();

    let logout = app.call_as("POST", token, "/logout");
    assert_eq!(logout.status, 204);
    app.get_as(token, "/users/me").assert_error(401, "unauthorized");
    refresh(&app, &laptop["refresh_token"]).assert_error(401, "unauthorized");
    app.request("POST", "/logout", &[], None)
        .assert_error(401, "unauthorized");
    app.get("/users/me/sessions").assert_error(401, "unauthorized");
}

#[test]
fn a_password_change_ends_every_session() {
    let app = TestApp::spawn();
    let id = app.register("alice")["id"].as_i64().unwrap();
    let first = login_on(&app, "Phone", "on");
    let second = login_on(&app, "Laptop", "on");
    let profile = json!({
        "username": "alice",
        "email": "alice@example.org",
        "password": "a brand new password",
    });
    app.send_json(
        "PUT",
        &format!("/users/{id}"),
        Some(text(&second["access_token"])),
        &profile,
    )
    .assert_ok();
    for session in [&first, &second] {
        refresh(&app, &session["refresh_token"]).assert_error(401, "unauthorized");
    }
    let after = app.login("alice", "a brand new password").assert_ok();
    let listed = app.get_as(text(&after["access_token"]), "/users/me/sessions").assert_ok();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], after["session_id"]);
}
