use plaza_infra_sqlite::Database;
use serde_json::{Value, json};

use crate::helpers::TestApp;

fn contents(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["content"].as_str().unwrap())
        .collect()
}

#[test]
fn comments_are_listed_oldest_first_per_event() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let event = app.create_event(&alice_token, json!({}));
    let other = app.create_event(&alice_token, json!({"name": "Other"}));
    let path = format!("/comments/{}", event["id"]);

    assert_eq!(app.get(&path).status, 204, "no comments yet");
    let first = app
        .post_json(&path, Some(&bob_token), &json!({"content": "first"}))
        .assert_ok();
    assert_eq!(first["event_id"], event["id"]);
    app.post_json(&path, Some(&alice_token), &json!({"content": "second"}))
        .assert_ok();
    app.post_json(
        &format!("/comments/{}", other["id"]),
        Some(&bob_token),
        &json!({"content": "elsewhere"}),
    )
    .assert_ok();

    let list = app.get(&path);
    let comments = list.assert_ok();
    assert_eq!(contents(&comments), ["first", "second"]);
    assert_eq!(comments[1]["owner_id"], alice);
    assert_eq!(list.header("x-total-count"), Some("2"));
    assert_eq!(
        contents(&app.get(&format!("{path}?skip=1")).assert_ok()),
        ["second"]
    );
}

#[test]
fn comments_need_an_event_and_real_content() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    app.post_json("/comments/999", Some(&token), &json!({"content": "hi"}))
        .assert_error(404, "not_found");
    app.get("/comments/999").assert_error(404, "not_found");
    let event = app.create_event(&token, json!({}));
    let path = format!("/comments/{}", event["id"]);
    for content in [
        json!(""),
        json!("  \n\t "),
        json!("x".repeat(5_001)),
        json!(5),
        json!(null),
    ] {
        app.post_json(&path, Some(&token), &json!({"content": content}))
            .assert_invalid("content");
    }
    app.post_json(&path, Some(&token), &json!({"content": "x".repeat(5_000)}))
        .assert_ok();
}

fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get_as(token, "/notifications/?limit=100");
    if response.status == 204 {
        return Vec::new();
    }
    response.assert_ok().as_array().unwrap().clone()
}

#[test]
fn a_comment_notifies_the_owner_and_earlier_commenters_once_never_the_author() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let (_carol, carol_token) = app.user("carol");
    let (_dave, dave_token) = app.user("dave");
    let bob_profile = json!({"username": "bob", "email": "bob@example.org", "full_name": "Bob Marley"});
    app.send_json("PUT", &format!("/users/{bob}"), Some(&bob_token), &bob_profile)
        .assert_ok();
    let event = app.create_event(&alice_token, json!({"name": "Rust meetup"}));
    let path = format!("/comments/{}", event["id"]);

    app.post_json(&path, Some(&carol_token), &json!({"content": "1"}))
        .assert_ok(); // -> alice
    app.post_json(&path, Some(&carol_token), &json!({"content": "2"}))
        .assert_ok(); // -> alice
    app.post_json(&path, Some(&alice_token), &json!({"content": "3"}))
        .assert_ok(); // -> carol
    app.post_json(&path, Some(&bob_token), &json!({"content": "4"}))
        .assert_ok(); // -> alice, carol (once)

    let alices = notifications(&app, &alice_token);
    assert_eq!(alices.len(), 3);
    let newest = &alices[0];
    assert_eq!(newest["sender"], "Bob Marley");
    assert_eq!(newest["sender_id"], bob);
    assert_eq!(newest["owner_id"], alice);
    assert_eq!(newest["event_id"], event["id"]);
    assert_eq!(newest["read"], false);
    assert_eq!(newest["message"], "Bob Marley commented on \"Rust meetup\"");
    assert_eq!(
        alices[1]["sender"], "carol",
        "a user without a full name is named by user name"
    );

    let carols = notifications(&app, &carol_token);
    assert_eq!(carols.len(), 2, "{carols:?}");
    assert!(
        notifications(&app, &bob_token).is_empty(),
        "the author is never notified"
    );
    assert!(
        notifications(&app, &dave_token).is_empty(),
        "bystanders are not notified"
    );
}

#[test]
fn when_notifications_cannot_be_written_the_comment_is_not_written_either() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let event = app.create_event(&alice_token, json!({}));
    let path = format!("/comments/{}", event["id"]);

    if app.config.on_postgres() {
        plaza_infra_postgres::testing::execute(
            &app.config.database_url,
            "CREATE FUNCTION break_notifications() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'notifications are broken'; END $$; \
             CREATE TRIGGER break_notifications BEFORE INSERT ON notifications \
             FOR EACH ROW EXECUTE FUNCTION break_notifications();",
        );
    } else {
        let db = Database::open(&app.config.database().unwrap()).unwrap();
        db.execute_batch(
            "CREATE TRIGGER break_notifications BEFORE INSERT ON notifications \
             BEGIN SELECT RAISE(ABORT, 'notifications are broken'); END;",
        )
        .unwrap();
    }
    let response = app.post_json(&path, Some(&bob_token), &json!({"content": "will be lost"}));
    let body = response.assert_error(500, "internal");
    assert_eq!(body["detail"], "internal error");
    assert!(
        response.header("x-request-id").is_some_and(|id| !id.is_empty()),
        "the id to find the cause in the log"
    );
    assert!(!String::from_utf8_lossy(&response.body).contains("notifications are broken"));
    assert_eq!(app.get(&path).status, 204, "no comment without its notifications");

    if app.config.on_postgres() {
        plaza_infra_postgres::testing::execute(
            &app.config.database_url,
            "DROP TRIGGER break_notifications ON notifications",
        );
    } else {
        let db = Database::open(&app.config.database().unwrap()).unwrap();
        db.execute_batch("DROP TRIGGER break_notifications").unwrap();
    }
    app.post_json(&path, Some(&bob_token), &json!({"content": "now it works"}))
        .assert_ok();
    assert_eq!(contents(&app.get(&path).assert_ok()), ["now it works"]);
}

#[test]
fn an_event_overview_holds_the_event_a_page_of_comments_and_the_people_they_name() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let (_carol, carol_token) = app.user("carol");
    let event = app.create_event(&alice_token, json!({"name": "Overview night"}));
    let path = format!("/comments/{}", event["id"]);
    for (n, token) in [&bob_token, &alice_token, &bob_token].into_iter().enumerate() {
        app.post_json(&path, Some(token), &json!({"content": format!("comment {n}")}))
            .assert_ok();
    }
    app.post_json(&path, Some(&carol_token), &json!({"content": "last"}))
        .assert_ok();

    let overview = app
        .get(&format!("/events/{}/overview?skip=1&limit=2", event["id"]))
        .assert_ok();
    assert_eq!(overview["event"], app.get(&format!("/events/{}", event["id"])).assert_ok());
    assert_eq!(contents(&overview["comments"]), ["comment 1", "comment 2"]);
    assert_eq!(overview["comments"], app.get(&format!("{path}?skip=1&limit=2")).assert_ok());
    assert_eq!(overview["comments_total"], 4);
    let people: Vec<&Value> = overview["people"].as_array().unwrap().iter().map(|p| &p["id"]).collect();
    assert_eq!(people, [&json!(alice), &json!(bob)], "the owner and this page's authors, once, by id");
    assert!(
        overview["people"].as_array().unwrap().iter().all(|person| person.get("email").is_none()),
        "public profiles only: {overview}"
    );

    let past_the_end = app
        .get(&format!("/events/{}/overview?skip=10", event["id"]))
        .assert_ok();
    assert_eq!(past_the_end["comments"], json!([]));
    assert_eq!(past_the_end["comments_total"], 4);
    assert_eq!(past_the_end["people"].as_array().unwrap().len(), 1, "the owner alone");

    app.get("/events/999/overview").assert_error(404, "not_found");
    app.get("/events/0/overview").assert_error(400, "bad_request");
    app.get(&format!("/events/{}/overview?limit=101", event["id"]))
        .assert_error(400, "validation_failed");
}

#[test]
fn the_author_edits_a_comment_and_the_author_or_the_events_owner_deletes_it() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let (_carol, carol_token) = app.user("carol");
    let event = app.create_event(&alice_token, json!({}));
    let other = app.create_event(&alice_token, json!({"name": "Other"}));
    let list = format!("/comments/{}", event["id"]);
    let write = |token: &str, text: &str| {
        app.post_json(&list, Some(token), &json!({"content": text}))
            .assert_ok()
    };
    let first = write(&bob_token, "first");
    let second = write(&carol_token, "second");
    let third = write(&bob_token, "third");
    assert_eq!(first["edited_at"], Value::Null);
    let path = |comment: &Value| format!("/events/{}/comments/{}", event["id"], comment["id"]);

    let edited = app
        .send_json("PATCH", &path(&first), Some(&bob_token), &json!({"content": "first, edited"}))
        .assert_ok();
    assert_eq!(
        (&edited["id"], &edited["content"], &edited["created_at"], &edited["owner_id"]),
        (&first["id"], &json!("first, edited"), &first["created_at"], &first["owner_id"])
    );
    assert!(edited["edited_at"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert_eq!(
        contents(&app.get(&list).assert_ok()),
        ["first, edited", "second", "third"],
        "an edit keeps the comment's place"
    );
    for (token, who) in [(&alice_token, "the event's owner"), (&carol_token, "another member")] {
        app.send_json("PATCH", &path(&first), Some(token), &json!({"content": "not mine"}))
            .assert_error(403, "forbidden");
        assert!(!who.is_empty());
    }
    app.send_json("PATCH", &path(&first), Some(&bob_token), &json!({"content": "  "}))
        .assert_invalid("content");
    app.send_json("PATCH", &path(&first), Some(&bob_token), &json!({}))
        .assert_invalid("content");
    app.send_json("PATCH", &path(&first), None, &json!({"content": "x"}))
        .assert_error(401, "unauthorized");
    // A comment is addressed through its own event only.
    let elsewhere = format!("/events/{}/comments/{}", other["id"], first["id"]);
    app.send_json("PATCH", &elsewhere, Some(&bob_token), &json!({"content": "x"}))
        .assert_error(404, "not_found");
    app.call_as("DELETE", &bob_token, &elsewhere)
        .assert_error(404, "not_found");
    app.call_as("DELETE", &bob_token, &format!("/events/{}/comments/abc", event["id"]))
        .assert_error(400, "bad_request");

    // Deleting: not someone else's, but the author's own and any on one's own event.
    app.call_as("DELETE", &carol_token, &path(&first))
        .assert_error(403, "forbidden");
    assert_eq!(app.call_as("DELETE", &bob_token, &path(&first)).status, 204);
    assert_eq!(app.call_as("DELETE", &alice_token, &path(&second)).status, 204);
    app.call_as("DELETE", &bob_token, &path(&first))
        .assert_error(404, "not_found");
    let left = app.get(&list);
    assert_eq!(contents(&left.assert_ok()), ["third"]);
    assert_eq!(left.header("x-total-count"), Some("1"));
    let overview = app
        .get(&format!("/events/{}/overview", event["id"]))
        .assert_ok();
    assert_eq!(overview["comments_total"], 1);
    assert!(!third.is_null());
}
