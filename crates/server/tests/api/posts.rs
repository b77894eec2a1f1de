use serde_json::{Value, json};

use crate::helpers::TestApp;

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect()
}

#[test]
fn posts_are_created_listed_newest_first_and_filtered_by_author() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let first = app
        .post_json(
            "/posts/",
            Some(&alice_token),
            &json!({"title": "a1", "content": "hello"}),
        )
        .assert_ok();
    assert_eq!(
        (first["owner_id"].as_i64(), first["content"].as_str()),
        (Some(alice), Some("hello"))
    );
    app.post_json(
        "/posts/",
        Some(&bob_token),
        &json!({"title": "b1", "content": "hi"}),
    )
    .assert_ok();
    app.post_json(
        "/posts/",
        Some(&alice_token),
        &json!({"title": "a2", "content": "again"}),
    )
    .assert_ok();

    let all = app.get("/posts/");
    assert_eq!(titles(&all.assert_ok()), ["a2", "b1", "a1"]);
    assert_eq!(all.header("x-total-count"), Some("3"));
    let alices = app.get(&format!("/posts/?owner_id={alice}&limit=1"));
    assert_eq!(titles(&alices.assert_ok()), ["a2"]);
    assert_eq!(alices.header("x-total-count"), Some("2"));
    assert_eq!(app.get("/posts/?owner_id=999").status, 204);
    app.get("/posts/?owner_id=abc").assert_error(400, "bad_request");
    assert_eq!(app.get(&format!("/posts/{}", first["id"])).assert_ok(), first);
}

#[test]
fn post_fields_are_validated() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    for (body, field) in [
        (json!({"title": "", "content": "x"}), "title"),
        (json!({"title": "x".repeat(201), "content": "x"}), "title"),
        (json!({"title": "t", "content": " "}), "content"),
        (json!({"title": "t", "content": "x".repeat(50_001)}), "content"),
        (json!({"title": "t"}), "content"),
    ] {
        app.post_json("/posts/", Some(&token), &body)
            .assert_invalid(field);
    }
}

#[test]
fn only_the_author_deletes_a_post() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let post = app
        .post_json("/posts/", Some(&alice), &json!({"title": "t", "content": "c"}))
        .assert_ok();
    let path = format!("/posts/{}", post["id"]);
    app.call_as("DELETE", &bob, &path).assert_error(403, "forbidden");
    assert_eq!(app.call_as("DELETE", &alice, &path).status, 204);
    app.get(&path).assert_error(404, "not_found");
    app.call_as("DELETE", &alice, &path)
        .assert_error(404, "not_found");
}
