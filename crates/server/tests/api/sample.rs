use serde_json::Value;

use crate::helpers::TestApp;

#[test]
fn the_sample_community_is_alive_and_loads_once() {
    let app = TestApp::spawn();
    let services = plaza::wiring::services(&app.config).unwrap();
    plaza::sample::load(&services).unwrap();
    plaza::sample::load(&services).unwrap();

    let users = app.get("/users/?limit=100");
    assert_eq!(
        users.header("x-total-count"),
        Some("4"),
        "loading twice adds nothing"
    );

    let events = app.get("/events/?limit=100").assert_ok();
    let events = events.as_array().unwrap();
    assert!(events.len() >= 4);
    assert!(
        events
            .iter()
            .any(|e| e["tickets_sold"] == e["max_tickets"] && e["max_tickets"].as_i64() > Some(0)),
        "some sold out"
    );
    assert!(app.get("/posts/").assert_ok().as_array().unwrap().len() >= 3);

    let token = app.login("alice", plaza::sample::SAMPLE_PASSWORD).assert_ok()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let inbox = app.get_as(&token, "/notifications/");
    let notifications: Value = inbox.assert_ok();
    assert!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"].as_str().unwrap().contains("commented on"))
    );
    assert_ne!(inbox.header("x-unread-count"), Some("0"));
}
