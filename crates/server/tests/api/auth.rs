use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[test]
fn a_form_login_returns_a_bearer_token() {
    let app = TestApp::spawn();
    app.register("alice");
    let response = app.login("alice", PASSWORD);
    let token = response.assert_ok();
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(token["expires_in"], 1800);
    assert_eq!(token["access_token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

#[test]
fn a_json_login_works_too_and_the_name_ignores_case() {
    let app = TestApp::spawn();
    app.register("alice");
    let body = json!({"username": "ALICE", "password": PASSWORD});
    let token = app.post_json("/token", None, &body).assert_ok();
    let me = app
        .get_as(token["access_token"].as_str().unwrap(), "/users/me")
        .assert_ok();
    assert_eq!(me["username"], "alice");
}

#[test]
fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::spawn();
    app.register("alice");
    let wrong = app.login("alice", "not the password");
    let unknown = app.login("mallory", PASSWORD);
    let wrong_body = wrong.assert_error(401, "unauthorized");
    let unknown_body = unknown.assert_error(401, "unauthorized");
    assert_eq!(wrong_body, unknown_body);
    assert_eq!(wrong.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn login_validates_its_input() {
    let app = TestApp::spawn();
    app.request(
        "POST",
        "/token",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"username=alice".to_vec()),
    )
    .assert_invalid("password");
    app.post_json("/token", None, &json!({"username": "alice"}))
        .assert_invalid("password");
    app.request(
        "POST",
        "/token",
        &[("Content-Type", "text/plain")],
        Some(b"alice".to_vec()),
    )
    .assert_error(415, "unsupported_media_type");
}

#[test]
fn bad_tokens_are_refused_with_401() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let mut tampered = token.clone();
    tampered.replace_range(token.len() - 4.., "AAAA");
    for header in [
        "Bearer not.a.token".to_owned(),
        format!("Bearer {tampered}"),
        format!("Basic {token}"),
        "Bearer".to_owned(),
        // alg "none", unsigned, claiming user 1
        "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwiaWF0IjoxLCJleHAiOjQxMDI0NDQ4MDB9."
            .to_owned(),
    ] {
        let response = app.request("GET", "/users/me", &[("Authorization", &header)], None);
        response.assert_error(401, "unauthorized");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"), "{header}");
    }
}

#[test]
fn tokens_from_before_a_password_change_stop_working_and_new_ones_work_at_once() {
    let app = TestApp::spawn();
    let (alice, old_token) = app.user("alice");
    let change =
        json!({"username": "alice", "email": "alice@example.org", "password": "a brand new password"});
    app.send_json("PUT", &format!("/users/{alice}"), Some(&old_token), &change)
        .assert_ok();

    app.get_as(&old_token, "/users/me")
        .assert_error(401, "unauthorized");
    app.login("alice", PASSWORD).assert_error(401, "unauthorized");
    let new_token = app.login("alice", "a brand new password").assert_ok()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get_as(&new_token, "/users/me").assert_ok();
}

#[test]
fn a_profile_change_without_a_password_keeps_tokens_valid() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let change = json!({"username": "alice", "email": "alice@example.org", "full_name": "Alice"});
    app.send_json("PUT", &format!("/users/{alice}"), Some(&token), &change)
        .assert_ok();
    app.get_as(&token, "/users/me").assert_ok();
    app.login("alice", PASSWORD).assert_ok();
}

#[test]
fn repeated_failed_logins_are_throttled_per_user_name() {
    let app = TestApp::spawn();
    app.register("alice");
    app.register("bob");
    for _ in 0..10 {
        app.login("alice", "wrong guess")
            .assert_error(401, "unauthorized");
    }
    let throttled = app.login("ALICE", PASSWORD);
    throttled.assert_error(429, "rate_limited");
    let retry_after: u64 = throttled.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    app.login("bob", PASSWORD).assert_ok();
}

/// A token signed with the server's own secret, with the claims given.
fn forged(app: &TestApp, claims: &serde_json::Value, header: &jsonwebtoken::Header) -> String {
    let secret = app.config.jwt_secret().unwrap();
    jsonwebtoken::encode(header, claims, &jsonwebtoken::EncodingKey::from_secret(&secret)).unwrap()
}

#[test]
fn a_token_from_the_second_of_registration_is_valid() {
    let app = TestApp::spawn();
    let user = app.register("alice");
    let created = chrono::DateTime::parse_from_rfc3339(user["created_at"].as_str().unwrap())
        .unwrap()
        .timestamp();
    let claims = json!({"sub": user["id"].to_string(), "iat": created, "exp": created + 600});
    let token = forged(&app, &claims, &jsonwebtoken::Header::default());
    app.get_as(&token, "/users/me").assert_ok();
}

#[test]
fn tokens_not_yet_valid_from_the_future_or_with_critical_headers_are_refused() {
    let app = TestApp::spawn();
    let (id, good) = app.user("alice");
    app.get_as(&good, "/users/me").assert_ok();
    let now = chrono::Utc::now().timestamp();
    let sub = id.to_string();
    for claims in [
        json!({"sub": sub, "iat": now, "exp": now + 600, "nbf": now + 120}),
        json!({"sub": sub, "iat": now + 86_400 * 365, "exp": now + 86_400 * 366}),
    ] {
        let token = forged(&app, &claims, &jsonwebtoken::Header::default());
        app.get_as(&token, "/users/me").assert_error(401, "unauthorized");
    }
    use base64::Engine;
    let b64 = |text: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text);
    let claims = json!({"sub": sub, "iat": now, "exp": now + 600}).to_string();
    let sign = |header: &str| {
        let signing_input = format!("{}.{}", b64(header), b64(&claims));
        let secret = app.config.jwt_secret().unwrap();
        let signature = jsonwebtoken::crypto::sign(
            signing_input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(&secret),
            jsonwebtoken::Algorithm::HS256,
        )
        .unwrap();
        format!("{signing_input}.{signature}")
    };
    app.get_as(&sign(r#"{"alg":"HS256","typ":"JWT"}"#), "/users/me")
        .assert_ok();
    app.get_as(
        &sign(r#"{"alg":"HS256","typ":"JWT","crit":["b64"]}"#),
        "/users/me",
    )
    .assert_error(401, "unauthorized");
}

/// U+212A KELVIN SIGN looks like K and PostgreSQL's `lower()` folds it into `k`: it must not log in as
/// `kiki`, nor escape `kiki`'s throttle, nor block an ASCII e-mail address, on either store.
#[test]
fn a_lookalike_letter_is_another_name() {
    let app = TestApp::spawn();
    app.register("kiki");
    let kelvin_kiki = "%E2%84%AAiki"; // "\u{212A}iki", URL-encoded in the form
    app.login(kelvin_kiki, PASSWORD).assert_error(401, "unauthorized");
    app.login("KIKI", PASSWORD).assert_ok();
    for _ in 0..10 {
        app.login("kiki", "wrong-password-1")
            .assert_error(401, "unauthorized");
    }
    app.login("kiki", PASSWORD).assert_error(429, "rate_limited");
    app.login(kelvin_kiki, PASSWORD).assert_error(401, "unauthorized");

    let register = |name: &str, email: &str| {
        app.post_json(
            "/users/",
            None,
            &json!({"username": name, "email": email, "password": PASSWORD}),
        )
    };
    register("kelvin", "\u{212A}elvin@example.org").assert_ok();
    register("kelly", "kelvin@example.org").assert_ok();
    register("ida", "\u{130}da@example.org").assert_ok();
    register("ida2", "ida@example.org").assert_ok();
    register("kelvin2", "KELVIN@example.org").assert_error(409, "email_taken");
}

/// PostgreSQL cannot hold NUL in text and answered `500` to it; it is refused wherever text enters.
#[test]
fn nul_is_refused_wherever_text_enters() {
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    app.login("a%00b", PASSWORD).assert_invalid("username");
    app.login("alice", "pass%00word").assert_invalid("password");
    app.post_json(
        "/token",
        None,
        &json!({"username": "a\u{0}b", "password": PASSWORD}),
    )
    .assert_invalid("username");
    app.post_json(
        "/users/",
        None,
        &json!({"username": "bob", "email": "bob@example.org", "password": PASSWORD, "full_name": "B\u{0}b"}),
    )
    .assert_invalid("full_name");
    app.post_json(
        "/posts/",
        Some(&token),
        &json!({"title": "Hi", "content": "a\u{0}b"}),
    )
    .assert_invalid("content");
    app.get("/events/?search=a%00b").assert_error(400, "bad_request");
    assert_eq!(app.get("/events/?search=jazz").status, 204, "no event, no error");
}

/// A venue's Wi-Fi: 50 people log in from one address within 10 s, with the default limits on and a
/// real (if lower) bcrypt cost. Each client does what the web client does: on `429` it waits out
/// `Retry-After` and tries again. Every one of them gets a token, none sees any other answer, and none
/// waits 15 s (the CPU work is a tenth of that here, so a busy machine does not decide the outcome).
#[test]
fn fifty_people_behind_one_address_all_log_in() {
    let app = TestApp::spawn_with(|config| {
        config.rate_limit_per_second = 50;
        config.rate_limit_auth_per_minute = 20;
        config.bcrypt_cost = 10;
    });
    let names: Vec<String> = (0..50).map(|i| format!("guest{i}")).collect();
    for name in &names {
        app.register(name);
    }
    let waited = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for (i, name) in names.iter().enumerate() {
            let (app, waited) = (&app, &waited);
            scope.spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(200 * i as u64));
                let started = std::time::Instant::now();
                loop {
                    let response = app.login(name, PASSWORD);
                    match response.status {
                        200 => {
                            assert!(response.json()["access_token"].is_string());
                            break;
                        }
                        429 => {
                            let seconds: u64 = response
                                .header("retry-after")
                                .and_then(|value| value.parse().ok())
                                .expect("a 429 says when to come back");
                            assert!(seconds <= 5, "{name} was told to wait {seconds} s");
                            waited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            std::thread::sleep(std::time::Duration::from_secs(seconds));
                        }
                        other => panic!(
                            "{name} got {other}: {}",
                            String::from_utf8_lossy(&response.body)
                        ),
                    }
                }
                let took = started.elapsed();
                assert!(took < std::time::Duration::from_secs(15), "{name} waited {took:?}");
            });
        }
    });
    println!(
        "50 logins from one address: {} waits of Retry-After",
        waited.into_inner()
    );
}
