//! Two Plaza instances on one PostgreSQL database, as behind a load balancer: whatever one instance
//! writes, the other answers with, and the guarantees hold across them.

use std::sync::{Arc, Barrier};

use serde_json::json;

use crate::helpers::TestApp;

/// Two servers on the same fresh database; `None` when the tests run without PostgreSQL.
fn two_instances() -> Option<(TestApp, TestApp)> {
    let a = TestApp::spawn();
    if !a.config.on_postgres() {
        return None;
    }
    let url = a.config.database_url.clone();
    let b = TestApp::spawn_with(|config| config.database_url = url);
    Some((a, b))
}

#[test]
fn a_token_from_one_instance_works_on_the_other() {
    let Some((a, b)) = two_instances() else { return };
    let (alice, token) = a.user("alice");
    let event = b.create_event(&token, json!({"name": "Made on B"}));
    assert_eq!(event["owner_id"], alice);
    assert_eq!(
        a.get(&format!("/events/{}", event["id"])).assert_ok()["name"],
        "Made on B"
    );
}

#[test]
fn buyers_split_across_instances_never_oversell() {
    let Some((a, b)) = two_instances() else { return };
    let (_, owner) = a.user("owner");
    let event = a.create_event(&owner, json!({"max_tickets": 30}));
    let (_, buyer) = b.user("buyer");
    let path = format!("/events/{}/tickets", event["id"]);
    let start = Arc::new(Barrier::new(50));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (app, path, buyer, start) =
                    (if i % 2 == 0 { &a } else { &b }, &path, &buyer, start.clone());
                scope.spawn(move || {
                    start.wait();
                    app.post_json(path, Some(buyer), &json!({"quantity": 1})).status
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 30, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 409), "{statuses:?}");
    let sold = b.get(&format!("/events/{}", event["id"])).assert_ok()["tickets_sold"].clone();
    assert_eq!(sold, 30);
}

#[test]
fn a_comment_posted_on_one_instance_notifies_readers_of_the_other() {
    let Some((a, b)) = two_instances() else { return };
    let (_, alice) = a.user("alice");
    let (_, bob) = a.user("bob");
    let event = a.create_event(&alice, json!({}));
    a.post_json(
        &format!("/comments/{}", event["id"]),
        Some(&bob),
        &json!({"content": "see you there"}),
    )
    .assert_ok();
    let inbox = b.get_as(&alice, "/notifications/");
    assert_eq!(inbox.header("x-unread-count"), Some("1"));
    let items = inbox.assert_ok();
    assert_eq!(items[0]["event_id"], event["id"]);
}

#[test]
fn failed_logins_split_across_instances_are_throttled_as_one() {
    let Some((a, b)) = two_instances() else { return };
    a.register("alice");
    let limit = plaza_app::throttle::MAX_FAILURES;
    for attempt in 0..limit {
        let app = if attempt % 2 == 0 { &a } else { &b };
        assert_eq!(app.login("alice", "wrong guess").status, 401, "attempt {attempt}");
    }
    for app in [&a, &b] {
        let refused = app.login("alice", crate::helpers::PASSWORD);
        refused.assert_error(429, "rate_limited");
        assert!(refused.header("retry-after").is_some());
    }
}

#[test]
fn a_comment_posted_on_one_instance_reaches_a_stream_on_the_other() {
    use crate::live::EventStream;
    let Some((a, b)) = two_instances() else { return };
    let (_, alice) = a.user("alice");
    let (_, bob) = a.user("bob");
    let event = a.create_event(&alice, json!({"name": "Across"}));
    // A ticket taken on A opens the stream on B, once.
    let ticket = a
        .call_as("POST", &alice, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/notifications/stream?ticket={ticket}");
    let stream = EventStream::open(&b, &path, &[]).unwrap_or_else(|r| panic!("{r:?}"));
    assert!(
        EventStream::open(&a, &path, &[]).is_err(),
        "single use on every instance"
    );
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));

    let started = std::time::Instant::now();
    a.post_json(
        &format!("/comments/{}", event["id"]),
        Some(&bob),
        &json!({"content": "from A"}),
    )
    .assert_ok();
    let arrived = stream.expect("notification");
    // Live, not at the next safety read a minute later (the figures are in docs/performance.md).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(arrived.json()["message"], "bob commented on \"Across\"");
    assert_eq!(stream.expect("unread").json(), json!({"unread": 1}));
    // Read on A: the stream on B hears of it.
    a.post_json("/notifications/read-all", Some(&alice), &json!({}))
        .assert_ok();
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
}
