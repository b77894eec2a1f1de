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
