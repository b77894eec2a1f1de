use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[test]
fn registering_returns_the_user_with_email_and_without_any_password() {
    let app = TestApp::spawn();
    let body = json!({"username": "alice", "email": "alice@example.org", "full_name": "Alice L.", "password": PASSWORD});
    let response = app.post_json("/users/", None, &body);
    let user = response.assert_ok();
    assert!(user["id"].as_i64().unwrap() > 0);
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.org");
    assert_eq!(user["full_name"], "Alice L.");
    assert_eq!(user["avatar_url"], serde_json::Value::Null);
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    let text = String::from_utf8_lossy(&response.body);
    assert!(!text.contains("password") && !text.contains("$2"), "{text}");
}

#[test]
fn the_original_hashed_password_field_is_a_plain_password_too() {
    let app = TestApp::spawn();
    let body =
        json!({"username": "legacy", "email": "legacy@example.org", "hashed_password": "plain old password"});
    app.post_json("/users", None, &body).assert_ok();
    app.login("legacy", "plain old password").assert_ok();
}

#[test]
fn registration_validates_every_field() {
    let app = TestApp::spawn();
    let cases = [
        (
            json!({"username": "ab", "email": "a@b.co", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "bad name", "email": "a@b.co", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "x".repeat(33), "email": "a@b.co", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "okname", "email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "okname", "email": format!("{}@b.co", "a".repeat(250)), "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "okname", "email": "a@b.co", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "okname", "email": "a@b.co", "password": "x".repeat(73)}),
            "password",
        ),
        (
            json!({"username": "okname", "email": "a@b.co", "password": PASSWORD, "full_name": "x".repeat(101)}),
            "full_name",
        ),
        (json!({"username": "okname", "email": "a@b.co"}), "password"),
        (json!({"email": "a@b.co", "password": PASSWORD}), "username"),
        (
            json!({"username": 42, "email": "a@b.co", "password": PASSWORD}),
            "username",
        ),
    ];
    for (body, field) in cases {
        app.post_json("/users/", None, &body).assert_invalid(field);
    }
    let both = app.post_json(
        "/users/",
        None,
        &json!({"username": "no", "email": "nope", "password": PASSWORD}),
    );
    let errors = both.assert_invalid("username")["errors"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(errors, 2, "every invalid field is reported at once");
}

#[test]
fn user_names_and_emails_are_taken_regardless_of_case() {
    let app = TestApp::spawn();
    app.register("alice");
    let same_name = json!({"username": "ALICE", "email": "other@example.org", "password": PASSWORD});
    app.post_json("/users/", None, &same_name)
        .assert_error(409, "username_taken");
    let same_email = json!({"username": "alice2", "email": "Alice@Example.org", "password": PASSWORD});
    app.post_json("/users/", None, &same_email)
        .assert_error(409, "email_taken");
}

#[test]
fn profiles_show_the_email_only_to_their_owner() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let path = format!("/users/{alice}");

    let anonymous = app.get(&path).assert_ok();
    assert_eq!(anonymous["username"], "alice");
    assert!(anonymous.get("email").is_none(), "{anonymous}");
    assert!(app.get_as(&bob_token, &path).assert_ok().get("email").is_none());
    assert_eq!(
        app.get_as(&alice_token, &path).assert_ok()["email"],
        "alice@example.org"
    );
    app.get("/users/999").assert_error(404, "not_found");
}

#[test]
fn me_is_the_caller() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let me = app.get_as(&token, "/users/me").assert_ok();
    assert_eq!(
        (me["id"].as_i64(), me["email"].as_str()),
        (Some(alice), Some("alice@example.org"))
    );
    app.get("/users/me").assert_error(401, "unauthorized");
}

#[test]
fn batch_profiles_leave_out_unknown_ids_and_emails() {
    let app = TestApp::spawn();
    let ids: Vec<i64> = ["ann", "ben", "cat"]
        .iter()
        .map(|name| app.register(name)["id"].as_i64().unwrap())
        .collect();
    let response = app.get(&format!("/users/?ids={},{},999,{}", ids[2], ids[0], ids[0]));
    let users = response.assert_ok();
    assert_eq!(response.header("x-total-count"), Some("2"));
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ann", "cat"]);
    assert!(users.as_array().unwrap().iter().all(|u| u.get("email").is_none()));

    assert_eq!(app.get("/users/?ids=998,999").status, 204);
    app.get("/users/?ids=1,abc").assert_error(400, "bad_request");
    let too_many: Vec<String> = (1..=101).map(|i| i.to_string()).collect();
    app.get(&format!("/users/?ids={}", too_many.join(",")))
        .assert_invalid("ids");
}

#[test]
fn users_can_be_listed_page_by_page() {
    let app = TestApp::spawn();
    for name in ["ann", "ben", "cat"] {
        app.register(name);
    }
    let response = app.get("/users?skip=1&limit=1");
    assert_eq!(response.assert_ok()[0]["username"], "ben");
    assert_eq!(response.header("x-total-count"), Some("3"));
}

#[test]
fn only_the_user_themself_may_update_their_profile() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let path = format!("/users/{alice}");
    let profile = json!({"username": "alice_l", "email": "alice@new.example", "full_name": "Alice Liddell"});

    app.send_json("PUT", &path, None, &profile)
        .assert_error(401, "unauthorized");
    app.send_json("PUT", &path, Some(&bob_token), &profile)
        .assert_error(403, "forbidden");
    app.send_json("PUT", "/users/999", Some(&bob_token), &profile)
        .assert_error(404, "not_found");

    let updated = app
        .send_json("PUT", &path, Some(&alice_token), &profile)
        .assert_ok();
    assert_eq!(updated["username"], "alice_l");
    assert_eq!(updated["email"], "alice@new.example");
    assert_eq!(updated["full_name"], "Alice Liddell");
    app.login("alice_l", PASSWORD).assert_ok();
    app.get_as(&alice_token, "/users/me").assert_ok();

    let taken = json!({"username": "BOB", "email": "alice@new.example"});
    app.send_json("PUT", &path, Some(&alice_token), &taken)
        .assert_error(409, "username_taken");
    let invalid = json!({"username": "alice_l", "email": "broken"});
    app.send_json("PUT", &path, Some(&alice_token), &invalid)
        .assert_invalid("email");
}
