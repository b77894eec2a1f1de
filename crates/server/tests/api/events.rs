use serde_json::{Value, json};

use crate::helpers::{TestApp, event_body};

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect()
}

#[test]
fn creating_an_event_makes_the_caller_its_owner() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let event = app.create_event(
        &token,
        json!({"event_time": "2026-12-01T19:00:00+01:00", "tickets_sold": 3}),
    );
    assert_eq!(event["owner_id"], alice);
    assert_eq!(
        event["event_time"], "2026-12-01T18:00:00Z",
        "offsets are converted to UTC"
    );
    assert_eq!(event["tickets_sold"], 3);
    assert_eq!(
        (
            event["duration_hours"].as_i64(),
            event["duration_minutes"].as_i64()
        ),
        (Some(2), Some(30))
    );
    let fetched = app.get(&format!("/events/{}", event["id"])).assert_ok();
    assert_eq!(fetched, event);
    let naive = app.create_event(&token, json!({"event_time": "2026-12-01T18:00"}));
    assert_eq!(naive["event_time"], "2026-12-01T18:00:00Z", "a naive time is UTC");
}

#[test]
fn event_fields_are_validated() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let cases = [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"description": "x".repeat(10_001)}), "description"),
        (json!({"duration_hours": 8_785}), "duration_hours"),
        (json!({"duration_hours": -1}), "duration_hours"),
        (json!({"duration_minutes": 60}), "duration_minutes"),
        (json!({"max_tickets": 1_000_001}), "max_tickets"),
        (json!({"max_tickets": -5}), "max_tickets"),
        (json!({"tickets_sold": 51}), "tickets_sold"),
        (json!({"tickets_sold": -1}), "tickets_sold"),
        (json!({"event_time": "next tuesday"}), "event_time"),
        (json!({"event_time": 1234}), "event_time"),
    ];
    for (overrides, field) in cases {
        app.post_json("/events/", Some(&token), &event_body(overrides))
            .assert_invalid(field);
    }
    app.create_event(
        &token,
        json!({"description": "x".repeat(10_000), "duration_hours": 8_784, "duration_minutes": 59}),
    );
}

#[test]
fn lists_are_ordered_by_time_then_id_and_paged() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    for (name, time) in [
        ("c", "2026-12-03T10:00:00Z"),
        ("a", "2026-12-01T10:00:00Z"),
        ("b1", "2026-12-02T10:00:00Z"),
        ("b2", "2026-12-02T10:00:00Z"),
    ] {
        app.create_event(&token, json!({"name": name, "event_time": time}));
    }
    let response = app.get("/events/");
    assert_eq!(names(&response.assert_ok()), ["a", "b1", "b2", "c"]);
    assert_eq!(response.header("x-total-count"), Some("4"));
    let page = app.get("/events/?skip=1&limit=2");
    assert_eq!(names(&page.assert_ok()), ["b1", "b2"]);
    assert_eq!(page.header("x-total-count"), Some("4"));
    let past_the_end = app.get("/events/?skip=10");
    assert_eq!(past_the_end.status, 204);
    assert!(past_the_end.body.is_empty());
}

#[test]
fn an_empty_list_is_204_with_no_body() {
    let app = TestApp::spawn();
    let response = app.get("/events/");
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
}

#[test]
fn search_finds_word_prefixes_case_insensitively_and_treats_syntax_as_data() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    app.create_event(
        &token,
        json!({"name": "Rust Meetup", "description": "talks", "event_time": "2026-12-01T10:00:00Z"}),
    );
    app.create_event(&token, json!({"name": "Pottery", "description": "bring RUST-coloured clay", "event_time": "2026-12-02T10:00:00Z"}));
    app.create_event(
        &token,
        json!({"name": "100% fun_night", "description": "", "event_time": "2026-12-03T10:00:00Z"}),
    );

    assert_eq!(
        names(&app.get("/events/?search=meet").assert_ok()),
        ["Rust Meetup"]
    );
    assert_eq!(
        names(&app.get("/events/?search=RUST").assert_ok()),
        ["Rust Meetup", "Pottery"]
    );
    let found = app.get("/events/?search=rust&limit=1");
    assert_eq!(found.header("x-total-count"), Some("2"));
    assert_eq!(app.get("/events/?search=nothing").status, 204);
    for hostile in [
        "%22unterminated",
        "a%20AND",
        "NEAR(",
        "*",
        "%25",
        "_",
        "%27)%20OR%201=1%20--",
        "rust%22*",
        "meet%20OR",
    ] {
        let response = app.get(&format!("/events/?search={hostile}"));
        assert!(
            matches!(response.status, 200 | 204),
            "{hostile}: {}",
            response.status
        );
    }
    assert_eq!(app.get("/events/?search=%25").status, 204, "% is not a wildcard");
    assert_eq!(
        names(&app.get("/events/?search=100%25").assert_ok()),
        ["100% fun_night"]
    );
    assert_eq!(
        app.get("/events/?search=").header("x-total-count"),
        Some("3"),
        "an empty search filters nothing"
    );
}

#[test]
fn only_the_owner_patches_and_tickets_sold_cannot_be_patched() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let event = app.create_event(&alice, json!({"max_tickets": 10, "tickets_sold": 4}));
    let path = format!("/events/{}", event["id"]);

    app.send_json("PATCH", &path, Some(&bob), &json!({"name": "Mine now"}))
        .assert_error(403, "forbidden");
    app.send_json("PATCH", "/events/999", Some(&alice), &json!({"name": "x"}))
        .assert_error(404, "not_found");
    app.send_json("PATCH", &path, Some(&alice), &json!({"tickets_sold": 0}))
        .assert_invalid("tickets_sold");
    app.send_json("PATCH", &path, Some(&alice), &json!({"max_tickets": 3}))
        .assert_invalid("max_tickets");
    app.send_json("PATCH", &path, Some(&alice), &json!({"duration_minutes": 60}))
        .assert_invalid("duration_minutes");
    app.send_json("PATCH", &path, Some(&alice), &json!({"name": null}))
        .assert_invalid("name");

    let patched = app
        .send_json(
            "PATCH",
            &path,
            Some(&alice),
            &json!({"name": "Renamed", "max_tickets": 4}),
        )
        .assert_ok();
    assert_eq!(
        (patched["name"].as_str(), patched["max_tickets"].as_i64()),
        (Some("Renamed"), Some(4))
    );
    assert_eq!(
        patched["description"], event["description"],
        "fields left out stay"
    );
    let unchanged = app
        .send_json("PATCH", &path, Some(&alice), &json!({}))
        .assert_ok();
    assert_eq!(unchanged, patched);
    assert_eq!(
        names(&app.get("/events/?search=renamed").assert_ok()),
        ["Renamed"]
    );
}

#[test]
fn only_the_owner_deletes_and_the_comments_go_with_the_event() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let event = app.create_event(&alice, json!({}));
    let path = format!("/events/{}", event["id"]);
    app.post_json(
        &format!("/comments/{}", event["id"]),
        Some(&bob),
        &json!({"content": "hi"}),
    )
    .assert_ok();

    app.call_as("DELETE", &bob, &path).assert_error(403, "forbidden");
    let deleted = app.call_as("DELETE", &alice, &path);
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    app.get(&path).assert_error(404, "not_found");
    app.get(&format!("/comments/{}", event["id"]))
        .assert_error(404, "not_found");
    app.call_as("DELETE", &alice, &path)
        .assert_error(404, "not_found");
}

/// One rule on both stores: microseconds are kept, finer digits dropped, and a leap second refused
/// (PostgreSQL turned `23:59:60` into the next day and cut nanoseconds; SQLite kept both).
#[test]
fn event_times_keep_microseconds_and_refuse_leap_seconds() {
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    let precise = app.create_event(&token, json!({"event_time": "2027-01-01T18:00:00.123456789Z"}));
    assert_eq!(precise["event_time"], "2027-01-01T18:00:00.123456Z");
    let read = app.get(&format!("/events/{}", precise["id"])).assert_ok();
    assert_eq!(read["event_time"], "2027-01-01T18:00:00.123456Z");
    app.post_json(
        "/events/",
        Some(&token),
        &event_body(json!({"event_time": "2026-12-31T23:59:60Z"})),
    )
    .assert_invalid("event_time");
    let edited = app.send_json(
        "PATCH",
        &format!("/events/{}", precise["id"]),
        Some(&token),
        &json!({"event_time": "2026-12-31T23:59:60Z"}),
    );
    edited.assert_invalid("event_time");
}
