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
        json!({"event_time": "2036-12-01T19:00:00+01:00", "tickets_sold": 3}),
    );
    assert_eq!(event["owner_id"], alice);
    assert_eq!(
        event["event_time"], "2036-12-01T18:00:00Z",
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
    let naive = app.create_event(&token, json!({"event_time": "2036-12-01T18:00"}));
    assert_eq!(naive["event_time"], "2036-12-01T18:00:00Z", "a naive time is UTC");
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
        ("c", "2036-12-03T10:00:00Z"),
        ("a", "2036-12-01T10:00:00Z"),
        ("b1", "2036-12-02T10:00:00Z"),
        ("b2", "2036-12-02T10:00:00Z"),
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
        json!({"name": "Rust Meetup", "description": "talks", "event_time": "2036-12-01T10:00:00Z"}),
    );
    app.create_event(&token, json!({"name": "Pottery", "description": "bring RUST-coloured clay", "event_time": "2036-12-02T10:00:00Z"}));
    app.create_event(
        &token,
        json!({"name": "100% fun_night", "description": "", "event_time": "2036-12-03T10:00:00Z"}),
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
    let precise = app.create_event(&token, json!({"event_time": "2037-01-01T18:00:00.123456789Z"}));
    assert_eq!(precise["event_time"], "2037-01-01T18:00:00.123456Z");
    let read = app.get(&format!("/events/{}", precise["id"])).assert_ok();
    assert_eq!(read["event_time"], "2037-01-01T18:00:00.123456Z");
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

/// Times stay in four-digit years once in UTC, start and end: an offset may not carry an event into year
/// 10000 (which the lists would have sorted before year 0000, and a calendar could not write).
#[test]
fn an_event_starts_and_ends_within_the_years_0000_to_9999_in_utc() {
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    for time in ["9999-12-31T23:59:59-05:00", "0000-01-01T00:00:00+05:00", "10000-01-01T00:00:00Z"] {
        app.post_json("/events/", Some(&token), &event_body(json!({"event_time": time})))
            .assert_invalid("event_time");
    }
    let late = event_body(json!({"event_time": "9999-12-31T22:00:00Z", "duration_hours": 2, "duration_minutes": 0}));
    app.post_json("/events/", Some(&token), &late).assert_invalid("event_time");
    // With the other invalid fields, at once.
    let also_nameless = event_body(json!({"name": "", "event_time": "9999-12-31T22:00:00Z", "duration_hours": 2}));
    let refused = app.post_json("/events/", Some(&token), &also_nameless).assert_invalid("name");
    assert!(refused["errors"].as_array().unwrap().iter().any(|e| e["field"] == "event_time"), "{refused}");
    let last = app.create_event(
        &token,
        json!({"event_time": "9999-12-31T20:00:00+01:00", "duration_hours": 4, "duration_minutes": 59}),
    );
    assert_eq!(last["event_time"], "9999-12-31T19:00:00Z");
    let path = format!("/events/{}", last["id"]);
    app.send_json("PATCH", &path, Some(&token), &json!({"duration_hours": 5}))
        .assert_invalid("duration_hours");
    app.send_json("PATCH", &path, Some(&token), &json!({"event_time": "9999-12-31T23:00:00Z"}))
        .assert_invalid("event_time");
    let unchanged = app.get(&path).assert_ok();
    assert_eq!((unchanged["event_time"].clone(), unchanged["duration_hours"].clone()), (json!("9999-12-31T19:00:00Z"), json!(4)));
    let calendar = app.get(&format!("{path}/calendar.ics"));
    let text = String::from_utf8_lossy(&calendar.body).into_owned();
    assert!(text.contains("DTSTART:99991231T190000Z"), "{text}");
    assert!(text.contains("DTEND:99991231T235900Z"), "{text}");
}

#[test]
fn upcoming_is_the_default_past_is_latest_first_and_all_keeps_the_old_order() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    for (name, time) in [
        ("next year", "2036-01-10T10:00:00Z"),
        ("long ago", "2019-05-01T10:00:00Z"),
        ("soon", "2035-01-01T10:00:00Z"),
        ("last summer", "2025-07-01T10:00:00Z"),
        ("rust past", "2024-03-01T10:00:00Z"),
        ("rust future", "2037-03-01T10:00:00Z"),
    ] {
        app.create_event(&token, json!({"name": name, "event_time": time}));
    }
    let upcoming = app.get("/events/");
    assert_eq!(
        names(&upcoming.assert_ok()),
        ["soon", "next year", "rust future"]
    );
    assert_eq!(upcoming.header("x-total-count"), Some("3"));
    assert_eq!(
        names(&app.get("/events/?when=upcoming&skip=1&limit=1").assert_ok()),
        ["next year"]
    );
    let past = app.get("/events/?when=past");
    assert_eq!(
        names(&past.assert_ok()),
        ["last summer", "rust past", "long ago"],
        "latest first"
    );
    assert_eq!(past.header("x-total-count"), Some("3"));
    assert_eq!(
        names(&app.get("/events/?when=past&skip=2").assert_ok()),
        ["long ago"]
    );
    assert_eq!(app.get("/events/?when=past&skip=3").status, 204);
    let all = app.get("/events/?when=all");
    assert_eq!(
        names(&all.assert_ok()),
        ["long ago", "rust past", "last summer", "soon", "next year", "rust future"]
    );
    assert_eq!(
        names(&app.get("/events/?search=rust").assert_ok()),
        ["rust future"]
    );
    assert_eq!(
        names(&app.get("/events/?search=rust&when=past").assert_ok()),
        ["rust past"]
    );
    assert_eq!(
        names(&app.get("/events/?search=rust&when=all").assert_ok()),
        ["rust past", "rust future"]
    );
    for bad in ["later", "UPCOMING", "", "1"] {
        app.get(&format!("/events/?when={bad}"))
            .assert_error(400, "bad_request");
    }
}

#[test]
fn an_event_that_has_started_sells_nothing() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let started = app.create_event(&token, json!({"event_time": "2025-06-01T18:00:00Z", "max_tickets": 10}));
    let path = format!("/events/{}/tickets", started["id"]);
    app.post_json(&path, Some(&bob), &json!({"quantity": 1}))
        .assert_error(409, "event_started");
    let read = app.get(&format!("/events/{}", started["id"])).assert_ok();
    assert_eq!(read["tickets_sold"], 0, "nothing sold");
    let coming = app.create_event(&token, json!({"max_tickets": 10}));
    let bought = app
        .post_json(&format!("/events/{}/tickets", coming["id"]), Some(&bob), &json!({"quantity": 2}))
        .assert_ok();
    assert_eq!(bought["tickets_sold"], 2);
}

#[test]
fn an_organisers_events_are_listed_by_when() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    for (name, time) in [
        ("alice later", "2036-02-01T10:00:00Z"),
        ("alice sooner", "2036-01-01T10:00:00Z"),
        ("alice before", "2024-01-01T10:00:00Z"),
    ] {
        app.create_event(&token, json!({"name": name, "event_time": time}));
    }
    app.create_event(&bob_token, json!({"name": "bob's"}));
    let mine = app.get(&format!("/users/{alice}/events"));
    assert_eq!(names(&mine.assert_ok()), ["alice sooner", "alice later"]);
    assert_eq!(mine.header("x-total-count"), Some("2"));
    assert_eq!(
        names(&app.get(&format!("/users/{alice}/events?when=past")).assert_ok()),
        ["alice before"]
    );
    assert_eq!(
        names(&app.get(&format!("/users/{alice}/events?when=all&skip=1&limit=1")).assert_ok()),
        ["alice sooner"]
    );
    assert_eq!(
        names(&app.get(&format!("/users/{bob}/events")).assert_ok()),
        ["bob's"]
    );
    let (carol, _) = app.user("carol");
    assert_eq!(app.get(&format!("/users/{carol}/events")).status, 204);
    app.get("/users/999999/events").assert_error(404, "not_found");
    app.get("/users/abc/events").assert_error(400, "bad_request");
    app.get(&format!("/users/{alice}/events?when=soon"))
        .assert_error(400, "bad_request");
    app.get(&format!("/users/{alice}/events?limit=0"))
        .assert_invalid("limit");
}

#[test]
fn a_place_is_checked_kept_changed_and_cleared() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let bare = app.create_event(&token, json!({}));
    for field in ["venue", "address", "latitude", "longitude", "online_url"] {
        assert!(bare[field].is_null(), "{field} of an event without a place: {bare}");
    }
    let place = json!({
        "venue": "Café Central",
        "address": "Herrengasse 14\n1010 Wien",
        "latitude": 48.21033,
        "longitude": 16.36538,
        "online_url": "https://meet.example.org/rust?room=1"
    });
    let event = app.create_event(&token, place.clone());
    for (field, value) in place.as_object().unwrap() {
        assert_eq!(&event[field], value, "{field}");
    }
    let path = format!("/events/{}", event["id"]);
    assert_eq!(app.get(&path).assert_ok()["latitude"], 48.21033);
    assert_eq!(
        app.get("/events/").assert_ok()[1]["venue"],
        "Café Central",
        "lists carry the place"
    );

    for (body, field) in [
        (json!({"latitude": 90.5, "longitude": 0}), "latitude"),
        (json!({"latitude": 0, "longitude": -181}), "longitude"),
        (json!({"latitude": 10}), "longitude"),
        (json!({"longitude": 10, "latitude": null}), "latitude"),
        (json!({"latitude": "north", "longitude": 1}), "latitude"),
        (json!({"online_url": "javascript:alert(1)"}), "online_url"),
        (json!({"online_url": "https://user:pw@example.org/"}), "online_url"),
        (json!({"online_url": "example.org"}), "online_url"),
        (json!({"venue": "Hall\nB"}), "venue"),
        (json!({"venue": "x".repeat(201)}), "venue"),
        (json!({"address": "x".repeat(501)}), "address"),
    ] {
        app.post_json("/events/", Some(&token), &event_body(body.clone()))
            .assert_invalid(field);
        app.send_json("PATCH", &path, Some(&token), &body)
            .assert_invalid(field);
    }
    // Every invalid part of the place once, each with its own reason.
    let errors = |body: Value| -> Vec<(String, String)> {
        let refused = app
            .post_json("/events/", Some(&token), &event_body(body))
            .assert_error(400, "validation_failed");
        refused["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["field"].as_str().unwrap().to_owned(), e["message"].as_str().unwrap().to_owned()))
            .collect()
    };
    let error = |field: &str, message: &str| (field.to_owned(), message.to_owned());
    assert_eq!(
        errors(json!({"latitude": 91, "longitude": 200})),
        [error("latitude", "must be between -90 and 90"), error("longitude", "must be between -180 and 180")]
    );
    assert_eq!(
        errors(json!({"latitude": 91})),
        [error("latitude", "must be between -90 and 90"), error("longitude", "must be given with latitude")]
    );
    let wrong_type = errors(json!({"latitude": "x", "longitude": 5}));
    assert_eq!(wrong_type.len(), 1, "{wrong_type:?}");
    assert_eq!(wrong_type[0].0, "latitude");
    let blank = app.create_event(&token, json!({"venue": "  ", "address": "", "online_url": null}));
    assert!(blank["venue"].is_null() && blank["address"].is_null() && blank["online_url"].is_null());

    let changed = app
        .send_json("PATCH", &path, Some(&token), &json!({"venue": null, "online_url": ""}))
        .assert_ok();
    assert!(changed["venue"].is_null() && changed["online_url"].is_null());
    assert_eq!(changed["address"], "Herrengasse 14\n1010 Wien", "left as it was");
    assert_eq!(changed["longitude"], 16.36538);
    let moved = app
        .send_json("PATCH", &path, Some(&token), &json!({"latitude": -33.8568, "longitude": 151.2153}))
        .assert_ok();
    assert_eq!((moved["latitude"].clone(), moved["longitude"].clone()), (json!(-33.8568), json!(151.2153)));
    let cleared = app
        .send_json("PATCH", &path, Some(&token), &json!({"latitude": null, "longitude": null}))
        .assert_ok();
    assert!(cleared["latitude"].is_null() && cleared["longitude"].is_null());
    app.send_json("PATCH", &path, Some(&token), &json!({"latitude": null}))
        .assert_invalid("longitude");
}

/// PostgreSQL holds no search token over 2,046 bytes: a word of 3,000 letters is indexed and searched by its
/// first 100, on both stores, and neither its event nor its search fails.
#[test]
fn a_very_long_word_is_indexed_and_searched_by_its_start() {
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    let word = "ж".repeat(3000);
    let created = app.create_event(&token, json!({"name": "Long words", "description": format!("a {word} b")}));
    let encoded = |text: &str| text.bytes().map(|byte| format!("%{byte:02X}")).collect::<String>();
    let found = app.get(&format!("/events/?search={}", encoded(&word)));
    assert_eq!(found.status, 200, "{}", String::from_utf8_lossy(&found.body));
    assert_eq!(found.json()[0]["id"], created["id"]);
    let start = app
        .get(&format!("/events/?search={}", encoded(&"ж".repeat(100))))
        .assert_ok();
    assert_eq!(start[0]["id"], created["id"], "the first hundred letters find it");
    let other = app.get(&format!("/events/?search={}", "x".repeat(3000)));
    assert_eq!(other.status, 204, "{}", String::from_utf8_lossy(&other.body));
}
