use std::sync::Arc;

use serde_json::json;

use crate::helpers::TestApp;

#[test]
fn purchases_add_up_to_capacity_and_then_sell_out() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let event = app.create_event(&token, json!({"max_tickets": 5}));
    let path = format!("/events/{}/tickets", event["id"]);
    assert_eq!(
        app.post_json(&path, Some(&token), &json!({"quantity": 3}))
            .assert_ok()["tickets_sold"],
        3
    );
    app.post_json(&path, Some(&token), &json!({"quantity": 3}))
        .assert_error(409, "sold_out");
    assert_eq!(
        app.post_json(&path, Some(&token), &json!({"quantity": 2}))
            .assert_ok()["tickets_sold"],
        5
    );
    app.post_json(&path, Some(&token), &json!({"quantity": 1}))
        .assert_error(409, "sold_out");
    app.post_json("/events/999/tickets", Some(&token), &json!({"quantity": 1}))
        .assert_error(404, "not_found");
}

#[test]
fn quantities_are_1_to_100() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let event = app.create_event(&token, json!({"max_tickets": 1000}));
    let path = format!("/events/{}/tickets", event["id"]);
    for quantity in [
        json!(0),
        json!(-2),
        json!(101),
        json!("3"),
        json!(null),
        json!(1.5),
    ] {
        app.post_json(&path, Some(&token), &json!({"quantity": quantity}))
            .assert_invalid("quantity");
    }
    app.post_json(&path, Some(&token), &json!({}))
        .assert_invalid("quantity");
    assert_eq!(
        app.get(&format!("/events/{}", event["id"])).assert_ok()["tickets_sold"],
        0
    );
}

#[test]
fn concurrent_purchases_through_http_never_oversell() {
    const CAPACITY: i64 = 40;
    const BUYERS: usize = 8;
    const ATTEMPTS_EACH: usize = 10; // 80 single-ticket attempts at 40 seats

    let app = Arc::new(TestApp::spawn_with(|config| config.workers = Some(4)));
    let (_id, token) = app.user("alice");
    let event = app.create_event(&token, json!({"max_tickets": CAPACITY}));
    let path = Arc::new(format!("/events/{}/tickets", event["id"]));
    let token = Arc::new(token);

    let threads: Vec<_> = (0..BUYERS)
        .map(|_| {
            let (app, path, token) = (app.clone(), path.clone(), token.clone());
            std::thread::spawn(move || {
                let mut outcome = (0, 0);
                for _ in 0..ATTEMPTS_EACH {
                    let response = app.post_json(&path, Some(&token), &json!({"quantity": 1}));
                    match response.status {
                        200 => outcome.0 += 1,
                        409 => {
                            response.assert_error(409, "sold_out");
                            outcome.1 += 1;
                        }
                        other => panic!("unexpected {other}: {}", String::from_utf8_lossy(&response.body)),
                    }
                }
                outcome
            })
        })
        .collect();
    let (sold, refused) = threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .fold((0, 0), |acc, (s, r)| (acc.0 + s, acc.1 + r));

    assert_eq!(sold, CAPACITY);
    assert_eq!(refused, (BUYERS * ATTEMPTS_EACH) as i64 - CAPACITY);
    let stored = app.get(&format!("/events/{}", event["id"])).assert_ok();
    assert_eq!(stored["tickets_sold"], sold);
}

/// The caller's tickets, as `GET /users/me/tickets` lists them.
fn my_tickets(app: &TestApp, token: &str, query: &str) -> crate::helpers::Response {
    app.get_as(token, &format!("/users/me/tickets{query}"))
}

#[test]
fn a_purchase_gives_the_buyer_tickets_with_codes_that_only_holder_and_owner_see() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let (_carol, carol_token) = app.user("carol");
    let event = app.create_event(&alice_token, json!({"name": "Ticketed night", "max_tickets": 10}));
    let other = app.create_event(&alice_token, json!({"name": "Other night"}));
    let buy = |event: &serde_json::Value, quantity: i64| {
        app.post_json(
            &format!("/events/{}/tickets", event["id"]),
            Some(&bob_token),
            &json!({"quantity": quantity}),
        )
        .assert_ok()
    };
    assert_eq!(buy(&event, 2)["tickets_sold"], 2, "the answer is the event, as before");
    buy(&other, 1);

    let listed = my_tickets(&app, &bob_token, "");
    assert_eq!(listed.header("x-total-count"), Some("3"));
    assert_eq!(listed.header("cache-control"), Some("private, no-store"));
    let tickets = listed.assert_ok();
    let tickets = tickets.as_array().unwrap();
    assert_eq!(tickets[0]["event"], json!({"id": other["id"], "name": "Other night", "event_time": other["event_time"]}));
    let ticket = &tickets[1];
    assert_eq!(ticket["event_id"], event["id"]);
    assert_eq!(ticket["holder_id"], bob);
    assert_eq!(ticket["status"], "active");
    assert_eq!((&ticket["cancelled_at"], &ticket["checked_in_at"]), (&json!(null), &json!(null)));
    let code = ticket["code"].as_str().unwrap();
    assert!(code.len() >= 22 && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{code}");
    let ids: Vec<i64> = tickets.iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "newest first: {ids:?}");
    assert_eq!(my_tickets(&app, &bob_token, "?skip=1&limit=1").assert_ok()[0]["id"], ids[1]);
    assert_eq!(my_tickets(&app, &bob_token, "?status=active").header("x-total-count"), Some("3"));
    let none = my_tickets(&app, &bob_token, "?status=cancelled");
    assert_eq!((none.status, none.header("x-total-count")), (204, Some("0")));
    my_tickets(&app, &bob_token, "?status=lost").assert_error(400, "bad_request");
    assert_eq!(my_tickets(&app, &carol_token, "").status, 204, "nobody else's tickets");
    app.get("/users/me/tickets").assert_error(401, "unauthorized");

    let path = format!("/tickets/{}", ticket["id"]);
    let holder_view = app.get_as(&bob_token, &path);
    assert_eq!(holder_view.header("cache-control"), Some("private, no-store"));
    assert_eq!(&holder_view.assert_ok(), ticket);
    assert_eq!(&app.get_as(&alice_token, &path).assert_ok()["code"], &ticket["code"], "the owner checks it at the door");
    assert_ne!(alice, bob);
    app.get_as(&carol_token, &path).assert_error(404, "not_found");
    app.get_as(&carol_token, "/tickets/999999").assert_error(404, "not_found");
    app.get_as(&carol_token, "/tickets/0").assert_error(400, "bad_request");
    app.get(&path).assert_error(401, "unauthorized");

    let qr = app.get_as(&bob_token, &format!("{path}/qr.svg"));
    assert_eq!(qr.status, 200);
    assert_eq!(qr.header("content-type"), Some("image/svg+xml; charset=utf-8"));
    assert_eq!(qr.header("cache-control"), Some("private, no-store"));
    assert!(String::from_utf8_lossy(&qr.body).contains("<svg"));
    assert_eq!(app.get_as(&alice_token, &format!("{path}/qr.svg")).status, 200);
    app.get_as(&carol_token, &format!("{path}/qr.svg")).assert_error(404, "not_found");
}

#[test]
fn a_ticket_is_given_back_by_its_holder_once_and_its_place_sells_again() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let event = app.create_event(&alice_token, json!({"max_tickets": 2}));
    let tickets = format!("/events/{}/tickets", event["id"]);
    app.post_json(&tickets, Some(&bob_token), &json!({"quantity": 2})).assert_ok();
    app.post_json(&tickets, Some(&alice_token), &json!({"quantity": 1}))
        .assert_error(409, "sold_out");
    let held = my_tickets(&app, &bob_token, "").assert_ok();
    let (first, second) = (&held[0], &held[1]);
    let cancel = |token: &str, ticket: &serde_json::Value| {
        app.call_as("POST", token, &format!("/tickets/{}/cancel", ticket["id"]))
    };

    cancel(&alice_token, first).assert_error(404, "not_found");
    app.call_as("POST", &bob_token, "/tickets/999999/cancel").assert_error(404, "not_found");
    let cancelled = cancel(&bob_token, first).assert_ok();
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["cancelled_at"].is_string(), "{cancelled}");
    assert_eq!(cancelled["code"], first["code"]);
    assert_eq!(app.get(&format!("/events/{}", event["id"])).assert_ok()["tickets_sold"], 1);
    cancel(&bob_token, first).assert_error(409, "already_cancelled");
    assert_eq!(my_tickets(&app, &bob_token, "?status=cancelled").assert_ok()[0]["id"], first["id"]);
    app.post_json(&tickets, Some(&alice_token), &json!({"quantity": 1}))
        .assert_ok();

    // Once the event has started, a ticket is kept.
    app.send_json(
        "PATCH",
        &format!("/events/{}", event["id"]),
        Some(&alice_token),
        &json!({"event_time": "2020-01-01T18:00:00Z"}),
    )
    .assert_ok();
    cancel(&bob_token, second).assert_error(409, "event_started");
    assert_eq!(app.get(&format!("/events/{}", event["id"])).assert_ok()["tickets_sold"], 2);
}

#[test]
fn the_door_lets_a_ticket_in_once_answers_a_retried_scan_the_same_and_refuses_the_rest() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let event = app.create_event(&alice_token, json!({"max_tickets": 10}));
    let other = app.create_event(&alice_token, json!({"name": "Elsewhere"}));
    app.post_json(&format!("/events/{}/tickets", event["id"]), Some(&bob_token), &json!({"quantity": 2}))
        .assert_ok();
    let held = my_tickets(&app, &bob_token, "").assert_ok();
    let code = |index: usize| held[index]["code"].as_str().unwrap().to_owned();
    let door = format!("/events/{}/check-ins", event["id"]);
    let scan = |token: &str, path: &str, code: &str, nonce: &str| {
        app.post_json(path, Some(token), &json!({"code": code, "nonce": nonce}))
    };

    let first = scan(&alice_token, &door, &code(0), "door-1-a");
    assert_eq!(first.header("cache-control"), Some("private, no-store"));
    let first = first.assert_ok();
    assert_eq!(first["admitted"], true);
    assert_eq!(first["ticket"]["id"], held[0]["id"]);
    assert_eq!(first["ticket"]["status"], "checked_in");
    let checked_in_at = first["ticket"]["checked_in_at"].clone();
    assert!(checked_in_at.is_string());
    assert_eq!(scan(&alice_token, &door, &code(0), "door-1-a").assert_ok(), first, "a retry gets the first answer");
    let again = scan(&alice_token, &door, &code(0), "door-2-a");
    assert_eq!(again.status, 409);
    let again = again.json();
    assert_eq!(again["code"], "already_checked_in");
    assert_eq!(again["checked_in_at"], checked_in_at);
    assert!(again["detail"].is_string());

    scan(&bob_token, &door, &code(1), "door-1-b").assert_error(403, "forbidden");
    scan(&bob_token, &door, "not a code", "door-1-b2").assert_error(403, "forbidden");
    scan(&alice_token, &door, "  ", "door-1-b3").assert_invalid("code");
    scan(&alice_token, &format!("/events/{}/check-ins", other["id"]), &code(1), "door-1-c")
        .assert_error(404, "not_found");
    scan(&alice_token, &door, "https://example.org/not-a-ticket", "door-1-d").assert_error(404, "not_found");
    scan(&alice_token, "/events/999999/check-ins", &code(1), "door-1-e").assert_error(404, "not_found");
    app.post_json(&door, Some(&alice_token), &json!({"code": code(1)})).assert_invalid("nonce");
    scan(&alice_token, &door, &code(1), "has space").assert_invalid("nonce");
    app.post_json(&door, Some(&alice_token), &json!({"nonce": "door-1-f"})).assert_invalid("code");
    app.post_json(&door, None, &json!({"code": code(1), "nonce": "door-1-g"})).assert_error(401, "unauthorized");

    app.call_as("POST", &bob_token, &format!("/tickets/{}/cancel", held[0]["id"]))
        .assert_error(409, "already_checked_in");
    app.call_as("POST", &bob_token, &format!("/tickets/{}/cancel", held[1]["id"])).assert_ok();
    scan(&alice_token, &door, &code(1), "door-1-h").assert_error(409, "ticket_cancelled");
    assert_eq!(my_tickets(&app, &bob_token, "?status=checked_in").assert_ok()[0]["id"], held[0]["id"]);
}

#[test]
fn doors_scanning_one_code_at_once_let_it_in_once() {
    let app = Arc::new(TestApp::spawn());
    let (_alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let event = app.create_event(&alice_token, json!({"max_tickets": 10}));
    app.post_json(&format!("/events/{}/tickets", event["id"]), Some(&bob_token), &json!({"quantity": 1}))
        .assert_ok();
    let code = my_tickets(&app, &bob_token, "").assert_ok()[0]["code"].as_str().unwrap().to_owned();
    let door = format!("/events/{}/check-ins", event["id"]);
    let start = Arc::new(std::sync::Barrier::new(6));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|n| {
                let (app, start, door, code, token) = (app.clone(), start.clone(), door.clone(), code.clone(), alice_token.clone());
                scope.spawn(move || {
                    start.wait();
                    app.post_json(&door, Some(&token), &json!({"code": code, "nonce": format!("door-{n}")})).status
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|status| **status == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|status| **status == 409).count(), 5, "{statuses:?}");
}

#[test]
fn the_owner_lists_who_holds_tickets_as_pages_and_as_one_csv_file() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    // A full name a spreadsheet would run as a formula.
    let (carol, carol_token) = app.user("carol");
    app.send_json(
        "PUT",
        &format!("/users/{carol}"),
        Some(&carol_token),
        &json!({"username": "carol", "email": "carol@example.org", "full_name": "=HYPERLINK(\"x\", \"y\")"}),
    )
    .assert_ok();
    let event = app.create_event(&alice_token, json!({"max_tickets": 1000}));
    let tickets = format!("/events/{}/tickets", event["id"]);
    app.post_json(&tickets, Some(&carol_token), &json!({"quantity": 1})).assert_ok();
    for _ in 0..6 {
        app.post_json(&tickets, Some(&bob_token), &json!({"quantity": 100})).assert_ok();
    }
    let path = format!("/events/{}/attendees", event["id"]);

    let page = app.get_as(&alice_token, &format!("{path}?limit=2"));
    assert_eq!(page.header("x-total-count"), Some("601"));
    assert_eq!(page.header("cache-control"), Some("private, no-store"));
    let page = page.assert_ok();
    assert_eq!(page[0]["username"], "carol", "in the order they were sold");
    assert_eq!(page[0]["full_name"], "=HYPERLINK(\"x\", \"y\")", "JSON carries the name as it is");
    assert_eq!(page[1]["holder_id"], bob);
    assert_eq!(page[1]["status"], "active");
    assert!(page[1]["code"].as_str().unwrap().len() >= 22);
    app.get_as(&bob_token, &path).assert_error(403, "forbidden");
    app.get_as(&alice_token, "/events/999999/attendees").assert_error(404, "not_found");
    app.get(&path).assert_error(401, "unauthorized");

    let auth = format!("Bearer {alice_token}");
    let csv = app.request("GET", &path, &[("Authorization", &auth), ("Accept", "text/csv")], None);
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.header("cache-control"), Some("private, no-store"));
    assert_eq!(
        csv.header("content-disposition"),
        Some(format!("attachment; filename=\"event-{}-attendees.csv\"", event["id"]).as_str())
    );
    let text = String::from_utf8(csv.body.clone()).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "ticket_id,status,code,holder_id,username,full_name,created_at,checked_in_at,cancelled_at"
    );
    assert_eq!(lines.len(), 1 + 601 + 1, "a header, every ticket across batches, a final CRLF");
    assert_eq!(lines[602], "");
    assert!(
        lines[1].contains(",carol,\"'=HYPERLINK(\"\"x\"\", \"\"y\"\")\","),
        "the name made safe and quoted: {}",
        lines[1]
    );
    let ids: Vec<i64> = lines[1..602].iter().map(|line| line.split(',').next().unwrap().parse().unwrap()).collect();
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "each ticket once, in order");
    let refused = app.request("GET", &path, &[("Authorization", &format!("Bearer {bob_token}")), ("Accept", "text/csv")], None);
    assert_eq!(refused.status, 403, "a refusal is still the JSON error");
    assert_eq!(refused.json()["code"], "forbidden");
}

/// The caller's notification messages, newest first.
fn messages(app: &TestApp, token: &str) -> Vec<String> {
    let inbox = app.get_as(token, "/notifications");
    if inbox.status == 204 {
        return Vec::new();
    }
    inbox.assert_ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_waitlist_is_joined_when_too_few_are_left_and_freed_places_fill_it_in_join_order() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let (carol_id, carol) = app.user("carol");
    let (dave_id, dave) = app.user("dave");
    let event = app.create_event(&alice, json!({"name": "Tiny", "max_tickets": 2}));
    let id = event["id"].as_i64().unwrap();
    let waitlist = format!("/events/{id}/waitlist");
    app.post_json(&waitlist, Some(&carol), &json!({"quantity": 2}))
        .assert_error(409, "tickets_available");
    app.post_json(&format!("/events/{id}/tickets"), Some(&bob), &json!({"quantity": 2}))
        .assert_ok();

    for bad in [json!({}), json!({"quantity": 0}), json!({"quantity": 101}), json!({"quantity": "1"})] {
        app.post_json(&waitlist, Some(&carol), &bad).assert_invalid("quantity");
    }
    app.post_json("/events/999999/waitlist", Some(&carol), &json!({"quantity": 1}))
        .assert_error(404, "not_found");
    assert_eq!(app.post_json(&waitlist, None, &json!({"quantity": 1})).status, 401);
    let entry = app
        .post_json(&waitlist, Some(&carol), &json!({"quantity": 1}))
        .assert_ok();
    assert_eq!(entry["position"], 1);
    assert_eq!(entry["quantity"], 1);
    assert_eq!(entry["user_id"], carol_id);
    assert_eq!(entry["event_id"], id);
    assert_eq!(entry["event"]["name"], "Tiny");
    assert!(entry["created_at"].is_string());
    app.post_json(&waitlist, Some(&carol), &json!({"quantity": 2}))
        .assert_error(409, "already_waiting");
    assert_eq!(
        app.post_json(&waitlist, Some(&dave), &json!({"quantity": 2}))
            .assert_ok()["position"],
        2
    );
    assert_eq!(app.get_as(&dave, &waitlist).assert_ok()["position"], 2);
    app.get_as(&bob, &waitlist).assert_error(404, "not_found");
    app.call_as("DELETE", &bob, &waitlist).assert_error(404, "not_found");
    let mine = app.get_as(&dave, "/users/me/waitlist");
    assert_eq!(mine.header("x-total-count"), Some("1"));
    assert_eq!(mine.assert_ok()[0]["event_id"], id);
    assert_eq!(app.get_as(&bob, "/users/me/waitlist").status, 204);

    // Bob gives one back: Carol's one, first in line, takes it; Dave's two would not have fitted.
    let held = my_tickets(&app, &bob, "").assert_ok();
    app.call_as("POST", &bob, &format!("/tickets/{}/cancel", held[0]["id"]))
        .assert_ok();
    let carols = my_tickets(&app, &carol, "").assert_ok();
    assert_eq!(carols.as_array().unwrap().len(), 1);
    assert_eq!(carols[0]["status"], "active");
    assert_eq!(carols[0]["event_id"], id);
    assert_eq!(messages(&app, &carol), ["You have 1 ticket for \"Tiny\" from the waitlist"]);
    app.get_as(&carol, &waitlist).assert_error(404, "not_found");
    assert_eq!(app.get_as(&dave, &waitlist).assert_ok()["position"], 1, "the line moved up");
    assert_eq!(app.get(&format!("/events/{id}")).assert_ok()["tickets_sold"], 2);

    // The organiser makes room for two more: Dave's entry is filled whole.
    let raised = app
        .send_json("PATCH", &format!("/events/{id}"), Some(&alice), &json!({"max_tickets": 4}))
        .assert_ok();
    assert_eq!(raised["tickets_sold"], 4, "the answer counts the places the waitlist took");
    assert_eq!(my_tickets(&app, &dave, "?status=active").header("x-total-count"), Some("2"));
    assert_eq!(messages(&app, &dave), ["You have 2 tickets for \"Tiny\" from the waitlist"]);
    assert_eq!(app.get_as(&dave, "/users/me/waitlist").status, 204);
    let notification = &app.get_as(&dave, "/notifications").assert_ok()[0];
    assert_eq!(notification["event_id"], id);
    assert_eq!(
        (&notification["kind"], &notification["params"]),
        (&json!("places_given"), &json!({"event_id": id, "event_name": "Tiny", "quantity": 2}))
    );
    let _ = dave_id;

    // Leaving: a new entry, then gone.
    app.post_json(&waitlist, Some(&bob), &json!({"quantity": 3})).assert_ok();
    assert_eq!(app.call_as("DELETE", &bob, &waitlist).status, 204);
    app.get_as(&bob, &waitlist).assert_error(404, "not_found");
}

#[test]
fn holders_are_told_once_each_when_their_event_moves_or_is_deleted() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let (_carol, carol) = app.user("carol");
    let event = app.create_event(&alice, json!({"name": "Gig", "event_time": "2030-05-01T18:00:00Z"}));
    let id = &event["id"];
    app.post_json(&format!("/events/{id}/tickets"), Some(&bob), &json!({"quantity": 2}))
        .assert_ok();
    app.post_json(&format!("/events/{id}/tickets"), Some(&carol), &json!({"quantity": 1}))
        .assert_ok();
    let carols = my_tickets(&app, &carol, "").assert_ok();
    app.call_as("POST", &carol, &format!("/tickets/{}/cancel", carols[0]["id"]))
        .assert_ok();

    app.send_json("PATCH", &format!("/events/{id}"), Some(&alice), &json!({"description": "Louder"}))
        .assert_ok();
    assert!(messages(&app, &bob).is_empty(), "only a new time is news");
    app.send_json(
        "PATCH",
        &format!("/events/{id}"),
        Some(&alice),
        &json!({"event_time": "2030-05-02T19:30:00Z"}),
    )
    .assert_ok();
    assert_eq!(messages(&app, &bob), ["\"Gig\" now starts at 2030-05-02 19:30 UTC"]);
    let moved = &app.get_as(&bob, "/notifications").assert_ok()[0];
    assert_eq!(
        (&moved["kind"], &moved["params"]),
        (
            &json!("event_moved"),
            &json!({"event_id": id, "event_name": "Gig", "event_time": "2030-05-02T19:30:00Z"})
        )
    );
    assert!(messages(&app, &carol).is_empty(), "she gave her ticket back");
    assert!(messages(&app, &alice).is_empty());

    assert_eq!(app.call_as("DELETE", &alice, &format!("/events/{id}")).status, 204);
    let told = messages(&app, &bob);
    assert_eq!(told.len(), 2, "{told:?}");
    assert_eq!(told[0], "\"Gig\" was cancelled by its organiser: your tickets no longer admit you");
    let cancelled = &app.get_as(&bob, "/notifications").assert_ok()[0];
    assert_eq!(
        (&cancelled["kind"], &cancelled["params"]),
        (&json!("event_cancelled"), &json!({"event_name": "Gig"}))
    );
    assert_eq!(my_tickets(&app, &bob, "").status, 204, "the tickets went with the event");
}

#[test]
fn a_place_the_waitlist_gives_arrives_live_on_the_stream() {
    use crate::live::EventStream;
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (_bob, bob) = app.user("bob");
    let event = app.create_event(&alice, json!({"name": "Live", "max_tickets": 1}));
    let id = &event["id"];
    app.post_json(&format!("/events/{id}/tickets"), Some(&alice), &json!({"quantity": 1}))
        .assert_ok();
    app.post_json(&format!("/events/{id}/waitlist"), Some(&bob), &json!({"quantity": 1}))
        .assert_ok();
    let stream = EventStream::open_as(&app, &bob, "/notifications/stream", &[]);
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
    let held = my_tickets(&app, &alice, "").assert_ok();
    app.call_as("POST", &alice, &format!("/tickets/{}/cancel", held[0]["id"]))
        .assert_ok();
    let arrived = stream.expect("notification");
    assert_eq!(arrived.json()["message"], "You have 1 ticket for \"Live\" from the waitlist");
    assert_eq!(stream.expect("unread").json(), json!({"unread": 1}));
}
