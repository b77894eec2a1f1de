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

#[test]
fn the_author_edits_a_post_field_by_field_and_it_says_when() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let post = app
        .post_json(
            "/posts/",
            Some(&alice_token),
            &json!({"title": "Draft", "content": "First words"}),
        )
        .assert_ok();
    assert_eq!(post["edited_at"], Value::Null);
    let path = format!("/posts/{}", post["id"]);

    let same = app
        .send_json("PATCH", &path, Some(&alice_token), &json!({}))
        .assert_ok();
    assert_eq!(same, post, "an empty edit changes nothing, not even edited_at");

    let edited = app
        .send_json(
            "PATCH",
            &path,
            Some(&alice_token),
            &json!({"title": "Final"}),
        )
        .assert_ok();
    assert_eq!(
        (&edited["title"], &edited["content"], &edited["created_at"]),
        (&json!("Final"), &json!("First words"), &post["created_at"])
    );
    let edited_at = edited["edited_at"].as_str().expect("edited_at set").to_owned();
    // Compared as instants: the text drops a fraction's trailing zeros ("…01.5Z" sorts after
    // "…01.50012Z"), which once failed this test by chance.
    let instant = |text: &str| chrono::DateTime::parse_from_rfc3339(text).expect("an RFC 3339 time");
    assert!(edited_at.ends_with('Z'), "{edited_at}");
    assert!(
        instant(&edited_at) >= instant(post["created_at"].as_str().unwrap()),
        "{edited_at} before {}",
        post["created_at"]
    );
    assert_eq!(app.get(&path).assert_ok(), edited, "as stored");
    let listed = app.get("/posts/").assert_ok();
    assert_eq!(listed[0]["edited_at"], edited["edited_at"], "lists show it too");

    // Only the author, only valid values, and every bad field at once.
    app.send_json("PATCH", &path, Some(&bob_token), &json!({"title": "Mine"}))
        .assert_error(403, "forbidden");
    app.send_json("PATCH", &path, None, &json!({"title": "Anyone"}))
        .assert_error(401, "unauthorized");
    let invalid = app.send_json(
        "PATCH",
        &path,
        Some(&alice_token),
        &json!({"title": "   ", "content": null}),
    );
    invalid.assert_invalid("title");
    invalid.assert_invalid("content");
    app.send_json(
        "PATCH",
        &path,
        Some(&alice_token),
        &json!({"content": "x".repeat(50_001)}),
    )
    .assert_invalid("content");
    app.send_json(
        "PATCH",
        "/posts/999999",
        Some(&alice_token),
        &json!({"title": "Nothing"}),
    )
    .assert_error(404, "not_found");
    assert_eq!(app.get(&path).assert_ok(), edited, "refused edits changed nothing");
}
