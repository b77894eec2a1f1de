//! Calendar feeds: `GET /events/{id}/calendar.ics`, `GET /events/calendar.ics?search=`, and the private
//! `GET /calendar/{secret}.ics` made by `POST /users/me/calendar-secret`. Every feed is read back by an
//! independent parser (Python's `icalendar`, Debian's `python3-icalendar`), not only by eye.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

/// The Python that has `icalendar` (Debian's package installs it for the system's interpreter).
const PYTHON: &str = "/usr/bin/python3";

/// Whether the independent parser is here. Without it a test says so and stops, as the README's other
/// optional parts do, except under CI (`CI=true`), where that is a failure.
fn parser_here() -> bool {
    let here = Command::new(PYTHON)
        .args(["-c", "import icalendar"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
    assert!(here || !ci, "{PYTHON} cannot import icalendar: apt-get install python3-icalendar");
    if !here {
        println!("calendar feeds: SKIPPED — {PYTHON} cannot import icalendar (apt-get install python3-icalendar)");
    }
    here
}

/// What the independent parser reads in `feed`: the calendar's properties and each event's, as JSON.
fn parsed(feed: &[u8]) -> Value {
    const SCRIPT: &str = r#"
import json, sys
import icalendar
cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read().decode("utf-8"))
out = {key: str(cal.get(key)) for key in ("version", "prodid", "x-wr-calname") if key in cal}
out["events"] = []
for ev in cal.walk("VEVENT"):
    e = {key: str(ev.get(key)) for key in ("uid", "summary", "description", "location", "url") if key in ev}
    for key in ("dtstart", "dtend", "dtstamp", "created", "last-modified"):
        if key in ev:
            e[key] = ev.decoded(key).isoformat()
    if "sequence" in ev:
        e["sequence"] = int(ev.get("sequence"))
    if "geo" in ev:
        e["geo"] = [ev.get("geo").latitude, ev.get("geo").longitude]
    out["events"].append(e)
print(json.dumps(out))
"#;
    let mut child = Command::new(PYTHON)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{PYTHON} runs ({error}): install python3-icalendar"));
    child.stdin.take().unwrap().write_all(feed).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "python3-icalendar read the feed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(feed)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The feed's content lines as RFC 5545 writes them: each ends in CRLF, none is longer than 75 octets,
/// and folding never splits a UTF-8 character (each physical line is valid UTF-8 by itself).
fn assert_well_folded(feed: &[u8]) {
    assert!(feed.ends_with(b"\r\n"), "ends with CRLF");
    // Every line, its CR included: the last one's LF is the end of the feed.
    let body = &feed[..feed.len() - 1];
    for line in body.split(|byte| *byte == b'\n') {
        let line = line.strip_suffix(b"\r").expect("every line ends in CRLF");
        assert!(line.len() <= 75, "{} octets: {}", line.len(), String::from_utf8_lossy(line));
        assert!(std::str::from_utf8(line).is_ok(), "a fold split a character: {line:?}");
    }
}

fn feed_of(app: &TestApp, path: &str) -> (Response, Value) {
    let response = app.get(path);
    assert_eq!(response.status, 200, "{path}: {}", String::from_utf8_lossy(&response.body));
    assert_eq!(
        response.header("content-type"),
        Some("text/calendar; charset=utf-8"),
        "{path}"
    );
    assert_well_folded(&response.body);
    let read = parsed(&response.body);
    (response, read)
}

/// One property of each event the parser read, in the feed's order.
fn of_each(read: &Value, property: &str) -> Vec<String> {
    read["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event[property].as_str().unwrap().to_owned())
        .collect()
}

const DESCRIPTION: &str = "Bring: laptops, chargers; snacks.\nDoors open at 18:00, talks at 18:30;\r\n\
     back\\slash and \"quotes\", commas, semicolons; and a long line of 汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字 \
     so that folding has to cut between characters of three octets each.";

#[test]
fn an_events_feed_is_valid_icalendar_as_an_independent_parser_reads_it() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    let event = app.create_event(
        &token,
        json!({
            "name": "Rust 聚会：第一次, with; punctuation",
            "description": DESCRIPTION,
            "event_time": "2036-12-01T18:00:00Z",
            "duration_hours": 2,
            "duration_minutes": 30,
            "venue": "The Hall",
            "address": "1 Main Street\nSpringfield",
            "latitude": 51.5,
            "longitude": -0.125,
        }),
    );
    let id = event["id"].as_i64().unwrap();
    let (response, read) = feed_of(&app, &format!("/events/{id}/calendar.ics"));
    let text = String::from_utf8(response.body.clone()).unwrap();
    assert!(text.starts_with("BEGIN:VCALENDAR\r\n"), "{text}");
    assert_eq!(read["version"], "2.0");
    assert_eq!(read["prodid"], "-//Plaza//Plaza events//EN");
    let events = read["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    let vevent = &events[0];
    let host = app.base.trim_start_matches("http://");
    assert_eq!(vevent["uid"], format!("event-{id}@{host}"));
    assert_eq!(vevent["summary"], "Rust 聚会：第一次, with; punctuation");
    assert_eq!(
        vevent["description"],
        DESCRIPTION.replace("\r\n", "\n"),
        "every comma, semicolon, backslash and line break read back as written"
    );
    assert_eq!(vevent["location"], "The Hall, 1 Main Street, Springfield");
    assert_eq!(vevent["geo"], json!([51.5, -0.125]));
    assert_eq!(vevent["dtstart"], "2036-12-01T18:00:00+00:00");
    assert_eq!(vevent["dtend"], "2036-12-01T20:30:00+00:00");
    assert_eq!(vevent["sequence"], 0);
    assert_eq!(vevent["url"], format!("{}/#/events/{id}", app.base));
    assert!(vevent["dtstamp"].as_str().unwrap().ends_with("+00:00"), "{vevent}");
    assert_eq!(vevent["dtstamp"], vevent["created"], "never changed: stamped when created");
    assert!(text.contains("DTSTART:20361201T180000Z\r\n"), "UTC, as a Z time: {text}");

    assert_eq!(app.get("/events/999999/calendar.ics").status, 404);
    app.get("/events/abc/calendar.ics").assert_error(400, "bad_request");
}

#[test]
fn a_change_grows_the_sequence_and_the_feed_answers_304_while_unchanged() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    let id = app.create_event(&token, json!({"name": "Meetup"}))["id"].as_i64().unwrap();
    let path = format!("/events/{id}/calendar.ics");
    let (first, _) = feed_of(&app, &path);
    let etag = first.header("etag").expect("an ETag").to_owned();
    let modified = first.header("last-modified").expect("Last-Modified").to_owned();

    let unchanged = app.request("GET", &path, &[("If-None-Match", &etag)], None);
    assert_eq!(unchanged.status, 304);
    assert!(unchanged.body.is_empty());
    assert_eq!(unchanged.header("etag"), Some(etag.as_str()));
    assert!(etag.starts_with("W/\""), "weak: compression changes the bytes, not the feed: {etag}");
    let strong = etag.trim_start_matches("W/");
    assert_eq!(app.request("GET", &path, &[("If-None-Match", strong)], None).status, 304);
    let listed = format!("\"other\", {etag}");
    assert_eq!(app.request("GET", &path, &[("If-None-Match", &listed)], None).status, 304);
    assert_eq!(app.request("GET", &path, &[("If-None-Match", "*")], None).status, 304);
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let single = String::from_utf8_lossy(&first.body);
    assert!(!single.contains("REFRESH-INTERVAL"), "one event to add, not a feed to subscribe to");
    let since = app.request("GET", &path, &[("If-Modified-Since", &modified)], None);
    assert_eq!(since.status, 304, "nothing changed since Last-Modified");
    let head = app.request("HEAD", &path, &[], None);
    assert_eq!((head.status, head.header("etag")), (200, Some(etag.as_str())));

    // Changed a second later at least, so that Last-Modified (whole seconds) moves too.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    app.send_json("PATCH", &format!("/events/{id}"), Some(&token), &json!({"name": "Meetup, moved"}))
        .assert_ok();
    let changed = app.request("GET", &path, &[("If-None-Match", &etag)], None);
    assert_eq!(changed.status, 200, "the old ETag no longer matches");
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    let read = parsed(&changed.body);
    assert_eq!(read["events"][0]["sequence"], 1);
    assert_eq!(read["events"][0]["summary"], "Meetup, moved");
    assert_ne!(read["events"][0]["dtstamp"], read["events"][0]["created"]);
    let since = app.request("GET", &path, &[("If-Modified-Since", &modified)], None);
    assert_eq!(since.status, 200, "changed after the old Last-Modified");

    app.send_json("PATCH", &format!("/events/{id}"), Some(&token), &json!({"duration_minutes": 45}))
        .assert_ok();
    let (_, read) = feed_of(&app, &path);
    assert_eq!(read["events"][0]["sequence"], 2, "each change counts");
}

#[test]
fn the_public_feed_is_the_upcoming_list_of_a_search_at_most_500() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    let later = app.create_event(&token, json!({"name": "Spring fair", "event_time": "2036-05-01T10:00:00Z"}));
    let sooner = app.create_event(&token, json!({"name": "Winter fair", "event_time": "2036-01-01T10:00:00Z"}));
    app.create_event(&token, json!({"name": "Book club", "event_time": "2036-02-01T10:00:00Z"}));

    let (response, read) = feed_of(&app, "/events/calendar.ics?search=fair");
    assert_eq!(of_each(&read, "summary"), ["Winter fair", "Spring fair"], "the list's order, only matches");
    assert_eq!(read["x-wr-calname"], "Plaza: fair");
    let text = String::from_utf8_lossy(&response.body);
    assert!(text.contains("\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n"), "{text}");
    assert!(text.contains("\r\nX-PUBLISHED-TTL:PT1H\r\n"), "{text}");
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    let uids = of_each(&read, "uid");
    assert!(uids[0].starts_with(&format!("event-{}@", sooner["id"])));
    assert!(uids[1].starts_with(&format!("event-{}@", later["id"])));

    let (_, nothing) = feed_of(&app, "/events/calendar.ics?search=%3B%3B");
    assert_eq!(nothing["events"], json!([]), "a search without a word finds nothing");

    for n in 0..500 {
        let day = 1 + n % 28;
        app.create_event(&token, json!({"name": format!("Filler {n}"), "event_time": format!("2037-01-{day:02}T10:00:00Z")}));
    }
    let (_, all) = feed_of(&app, "/events/calendar.ics");
    assert_eq!(all["events"].as_array().unwrap().len(), 500, "503 upcoming, 500 listed");
    assert_eq!(all["events"][0]["summary"], "Winter fair", "the soonest first");
}

#[test]
fn a_private_feed_opens_with_its_secret_until_a_new_one_replaces_it() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_, bob_token) = app.user("bob");
    app.request("POST", "/users/me/calendar-secret", &[], None)
        .assert_error(401, "unauthorized");
    assert_eq!(
        app.get_as(&alice_token, "/users/me/calendar-secret").assert_ok(),
        json!({"active": false, "created_at": null})
    );

    let own = app.create_event(&alice_token, json!({"name": "Alice's talk", "event_time": "2036-03-01T10:00:00Z"}));
    let bobs = app.create_event(&bob_token, json!({"name": "Bob's fair", "event_time": "2036-02-01T10:00:00Z"}));
    app.create_event(&bob_token, json!({"name": "Bob's other fair"}));
    app.post_json(&format!("/events/{}/tickets", bobs["id"]), Some(&alice_token), &json!({"quantity": 2}))
        .assert_ok();

    let made = app.post_json("/users/me/calendar-secret", Some(&alice_token), &json!({})).assert_ok();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.len() >= 43, "at least 256 bits: {secret}");
    assert_eq!(made["url"], format!("{}/calendar/{secret}.ics", app.base));
    let path = format!("/calendar/{secret}.ics");
    let (response, read) = feed_of(&app, &path);
    assert_eq!(response.header("cache-control"), Some("private, no-cache"));
    assert_eq!(
        of_each(&read, "summary"),
        ["Bob's fair", "Alice's talk"],
        "held once, then organised, by time"
    );
    assert_eq!(read["x-wr-calname"], "Plaza: alice's events");
    assert!(of_each(&read, "uid")[1].starts_with(&format!("event-{}@", own["id"])));

    let state = app.get_as(&alice_token, "/users/me/calendar-secret").assert_ok();
    assert_eq!(state["active"], true);
    assert!(state["created_at"].as_str().unwrap().ends_with('Z'), "{state}");
    let again = app.post_json("/users/me/calendar-secret", Some(&alice_token), &json!({})).assert_ok();
    let replaced = again["secret"].as_str().unwrap();
    assert_ne!(replaced, secret);
    app.get(&path).assert_error(404, "not_found");
    feed_of(&app, &format!("/calendar/{replaced}.ics"));
    app.get("/calendar/not-a-secret.ics").assert_error(404, "not_found");

    // Turned off, and on again.
    assert_eq!(app.call_as("DELETE", &alice_token, "/users/me/calendar-secret").status, 204);
    app.get(&format!("/calendar/{replaced}.ics")).assert_error(404, "not_found");
    assert_eq!(
        app.get_as(&alice_token, "/users/me/calendar-secret").assert_ok(),
        json!({"active": false, "created_at": null})
    );
    assert_eq!(app.call_as("DELETE", &alice_token, "/users/me/calendar-secret").status, 204);
    let again = app.post_json("/users/me/calendar-secret", Some(&alice_token), &json!({})).assert_ok();
    let replaced = again["secret"].as_str().unwrap();

    // A ban closes it while it holds, as it does every credential of the account.
    app.make_admin("bob");
    let bob_admin = app.login("bob", crate::helpers::PASSWORD).json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post_json(&format!("/users/{alice}/ban"), Some(&bob_admin), &json!({"reason": "spam", "until": null}))
        .assert_ok();
    app.get(&format!("/calendar/{replaced}.ics")).assert_error(403, "account_banned");
    app.call_as("DELETE", &bob_admin, &format!("/users/{alice}/ban")).assert_ok();
    feed_of(&app, &format!("/calendar/{replaced}.ics"));

    // An event a moderator removes leaves every feed: its own answers 404, and the organiser's lists it no more.
    let removed = app.call_as("DELETE", &bob_admin, &format!("/events/{}", own["id"]));
    assert_eq!(removed.status, 204);
    app.get(&format!("/events/{}/calendar.ics", own["id"]))
        .assert_error(404, "not_found");
    let (_, read) = feed_of(&app, &format!("/calendar/{replaced}.ics"));
    assert_eq!(of_each(&read, "summary"), ["Bob's fair"]);

    let deleted = app.send_json(
        "DELETE",
        "/users/me",
        Some(&alice_token),
        &json!({"password": crate::helpers::PASSWORD}),
    );
    assert_eq!(deleted.status, 204);
    app.get(&format!("/calendar/{replaced}.ics")).assert_error(404, "not_found");
}

#[test]
fn a_chinese_accounts_private_feed_is_named_in_chinese() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (id, token) = app.user("lin");
    app.send_json(
        "PUT",
        &format!("/users/{id}"),
        Some(&token),
        &json!({"username": "lin", "email": "lin@example.org", "locale": "zh-CN"}),
    )
    .assert_ok();
    let made = app.post_json("/users/me/calendar-secret", Some(&token), &json!({})).assert_ok();
    let (_, read) = feed_of(&app, &format!("/calendar/{}.ics", made["secret"].as_str().unwrap()));
    assert_eq!(read["x-wr-calname"], "Plaza：lin 的活动");
    assert_eq!(read["events"], json!([]));
}

#[test]
fn events_without_a_length_or_a_place_and_searches_with_control_characters_still_make_valid_calendars() {
    if !parser_here() {
        return;
    }
    let app = TestApp::spawn();
    let (_, token) = app.user("alice");
    // 47 characters of three octets: the length at which the icalendar crate's own folding overruns.
    let long_name = "汉".repeat(47);
    let instant = app.create_event(
        &token,
        json!({"name": long_name, "duration_hours": 0, "duration_minutes": 0,
               "online_url": "https://meet.example.org/room?a=1,b=2", "description": ""}),
    );
    let (_, read) = feed_of(&app, &format!("/events/{}/calendar.ics", instant["id"]));
    let vevent = &read["events"][0];
    assert_eq!(vevent["summary"], long_name);
    assert!(vevent.get("dtend").is_none(), "no length, no DTEND: {vevent}");
    assert!(vevent.get("description").is_none(), "a blank description is left out: {vevent}");
    assert_eq!(vevent["location"], "https://meet.example.org/room?a=1,b=2");

    // In a place and online: the place is the location, and the link ends the description.
    let hybrid = app.create_event(
        &token,
        json!({"name": "Hybrid", "venue": "Room 1", "online_url": "https://meet.example.org/hybrid",
               "description": "Talks; then questions"}),
    );
    let path = format!("/events/{}/calendar.ics", hybrid["id"]);
    let (response, read) = feed_of(&app, &path);
    assert_eq!(read["events"][0]["location"], "Room 1");
    assert_eq!(
        read["events"][0]["description"],
        "Talks; then questions\n\nhttps://meet.example.org/hybrid"
    );
    assert_eq!(
        response.header("content-disposition"),
        Some(format!("attachment; filename=\"event-{}.ics\"", hybrid["id"]).as_str())
    );
    // One host, one UID, however it is spelled; a Host no link could hold is not used.
    let uid_for = |host: &str| {
        let answer = app.request("GET", &path, &[("Host", host)], None);
        parsed(&answer.body)["events"][0]["uid"].as_str().unwrap().to_owned()
    };
    assert_eq!(uid_for("Plaza.EXAMPLE.org:8001"), format!("event-{}@plaza.example.org:8001", hybrid["id"]));
    assert_eq!(uid_for("a,b;c"), format!("event-{}@localhost", hybrid["id"]));

    let (response, read) = feed_of(&app, "/events/calendar.ics?search=%01%1B%7Fhan%0B");
    assert_eq!(read["x-wr-calname"], "Plaza: han");
    assert!(response.body.iter().all(|byte| !byte.is_ascii_control() || matches!(byte, b'\r' | b'\n' | b'\t')));
    let long = "x".repeat(3000);
    let (_, read) = feed_of(&app, &format!("/events/calendar.ics?search={long}"));
    assert_eq!(read["x-wr-calname"], format!("Plaza: {}", "x".repeat(200)), "the name is cut at 200 characters");
}
