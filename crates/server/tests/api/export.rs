//! `GET /users/me/export`: everything kept about the caller, and nothing about anyone else.

use serde_json::{Value, json};

use crate::helpers::TestApp;

#[test]
fn the_export_holds_the_callers_data_and_nobody_elses() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let alices = app.create_event(&alice_token, json!({"name": "Alice's fair"}))["id"].as_i64().unwrap();
    let bobs = app.create_event(&bob_token, json!({"name": "Bob's fair"}))["id"].as_i64().unwrap();
    app.post_json("/posts/", Some(&alice_token), &json!({"title": "Alice writes", "content": "a"}))
        .assert_ok();
    app.post_json("/posts/", Some(&bob_token), &json!({"title": "Bob writes", "content": "b"}))
        .assert_ok();
    for (token, event, text) in [
        (&alice_token, bobs, "alice on bob's"),
        (&bob_token, alices, "bob on alice's"),
        (&alice_token, alices, "alice on her own"),
    ] {
        app.post_json(&format!("/comments/{event}"), Some(token), &json!({"content": text}))
            .assert_ok();
    }
    app.post_json(&format!("/events/{bobs}/tickets"), Some(&alice_token), &json!({"quantity": 2}))
        .assert_ok();
    app.post_json(&format!("/events/{alices}/tickets"), Some(&bob_token), &json!({"quantity": 1}))
        .assert_ok();
    // Bob has a private calendar address; Alice has none.
    let secret = app
        .post_json("/users/me/calendar-secret", Some(&bob_token), &json!({}))
        .assert_ok()["secret"]
        .as_str()
        .unwrap()
        .to_owned();

    // Each reports the other's event: only her own report is in her export.
    for (token, event) in [(&alice_token, bobs), (&bob_token, alices)] {
        app.post_json(
            "/reports",
            Some(token),
            &json!({"target": {"kind": "event", "id": event}, "reason": "other", "note": "mine"}),
        )
        .assert_ok();
    }

    let response = app.get_as(&alice_token, "/users/me/export");
    assert_eq!(
        response.header("content-disposition"),
        Some("attachment; filename=\"plaza-alice.json\"")
    );
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let data = response.assert_ok();
    assert_eq!((&data["user"]["id"], &data["user"]["email"]), (&json!(alice), &json!("alice@example.org")));
    assert!(!data.to_string().contains("$2"), "no password hash: {data}");
    let names = |list: &Value, field: &str| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|item| item[field].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&data["events"], "name"), ["Alice's fair"]);
    assert_eq!(names(&data["posts"], "title"), ["Alice writes"]);
    assert_eq!(names(&data["comments"], "content"), ["alice on bob's", "alice on her own"]);
    let tickets = data["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert!(tickets.iter().all(|ticket| ticket["event_id"] == bobs), "{tickets:?}");
    // Bob's comment on her event notified her: her inbox, so hers.
    let inbox = data["notifications"].as_array().unwrap();
    assert!(inbox.iter().all(|n| n["owner_id"] == alice), "{inbox:?}");
    assert!(inbox.iter().any(|n| n["sender_id"] == bob), "{inbox:?}");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(data["sessions"][0]["current"], true);
    assert!(data["exported_at"].is_string());
    let reports = data["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0]["target"], json!({"kind": "event", "id": bobs}));

    assert_eq!(data["calendar_feed"], json!({"active": false, "created_at": null}));
    let bobs_data = app.get_as(&bob_token, "/users/me/export").assert_ok();
    assert_eq!(bobs_data["calendar_feed"]["active"], true);
    assert!(bobs_data["calendar_feed"]["created_at"].is_string());
    assert!(!bobs_data.to_string().contains(&secret), "the address itself is not kept, nor given out");

    app.get("/users/me/export").assert_error(401, "unauthorized");
}
