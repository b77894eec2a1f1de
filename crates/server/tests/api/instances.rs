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

/// How many active tickets of `event` the token's holder has.
fn active_for(app: &TestApp, token: &str, event: &serde_json::Value) -> i64 {
    let page = app.get_as(token, "/users/me/tickets?status=active&limit=100");
    if page.status == 204 {
        return 0;
    }
    page.assert_ok()
        .as_array()
        .unwrap()
        .iter()
        .filter(|ticket| ticket["event_id"] == *event)
        .count() as i64
}

#[test]
fn buyers_cancellers_and_waitlist_joiners_split_across_instances_never_oversell_or_lose_a_place() {
    let Some((a, b)) = two_instances() else { return };
    let max = 20;
    let (_, owner) = a.user("owner");
    let event = a.create_event(&owner, json!({"max_tickets": max}));
    let id = event["id"].clone();
    let (tickets, waitlist) = (format!("/events/{id}/tickets"), format!("/events/{id}/waitlist"));
    let people: Vec<(usize, String)> = (0..50)
        .map(|n| (n, if n % 2 == 0 { &a } else { &b }.user(&format!("person{n}")).1))
        .collect();
    // The first 15 hold a ticket each, and give it back in the race.
    for (_, token) in &people[..15] {
        a.post_json(&tickets, Some(token), &json!({"quantity": 1})).assert_ok();
    }
    let mine: Vec<serde_json::Value> = people[..15]
        .iter()
        .map(|(_, token)| a.get_as(token, "/users/me/tickets").assert_ok()[0]["id"].clone())
        .collect();
    let start = Arc::new(Barrier::new(people.len()));
    std::thread::scope(|scope| {
        for (n, token) in &people {
            let app = if n % 2 == 0 { &a } else { &b };
            let (start, tickets, waitlist, mine) = (start.clone(), &tickets, &waitlist, &mine);
            scope.spawn(move || {
                start.wait();
                match n {
                    // Cancellers: each frees one place, which the waitlist takes first.
                    0..15 => {
                        app.call_as("POST", token, &format!("/tickets/{}/cancel", mine[*n]))
                            .assert_ok();
                    }
                    // Joiners: wait for 1 to 3, or buy when that many are left.
                    15..35 => {
                        let wants = 1 + *n as i64 % 3;
                        for _ in 0..100 {
                            let joined = app.post_json(waitlist, Some(token), &json!({"quantity": wants}));
                            match joined.status {
                                200 => return,
                                409 => assert_eq!(joined.json()["code"], "tickets_available"),
                                other => panic!("{other}: {:?}", joined.body),
                            }
                            let bought = app.post_json(tickets, Some(token), &json!({"quantity": wants}));
                            match bought.status {
                                200 => return,
                                409 => assert_eq!(bought.json()["code"], "sold_out"),
                                other => panic!("{other}: {:?}", bought.body),
                            }
                        }
                        panic!("neither joined nor bought");
                    }
                    // Buyers: one each, if any is left.
                    _ => {
                        let bought = app.post_json(tickets, Some(token), &json!({"quantity": 1}));
                        assert!(bought.status == 200 || bought.status == 409, "{:?}", bought.body);
                    }
                }
            });
        }
    });
    let sold = b.get(&format!("/events/{id}")).assert_ok()["tickets_sold"].as_i64().unwrap();
    assert!(sold <= max, "oversold: {sold}");
    let active: i64 = people.iter().map(|(_, token)| active_for(&a, token, &id)).sum();
    assert_eq!(sold, active, "every counted place is a ticket someone holds");
    let free = max - sold;
    let mut positions = Vec::new();
    for (n, token) in &people[15..35] {
        let entry = b.get_as(token, &waitlist);
        let got = active_for(&a, token, &id);
        let wants = 1 + *n as i64 % 3;
        if entry.status == 200 {
            let entry = entry.json();
            assert!(entry["quantity"].as_i64().unwrap() > free, "{entry} waits with {free} free");
            assert_eq!(got, 0, "person{n} waits and holds tickets");
            positions.push(entry["position"].as_u64().unwrap());
        } else {
            assert_eq!(got, wants, "person{n}: served whole");
        }
    }
    positions.sort_unstable();
    assert_eq!(positions, (1..=positions.len() as u64).collect::<Vec<_>>(), "one line, no gaps");
}

#[test]
fn a_ban_on_one_instance_refuses_the_next_request_on_the_other_and_ends_its_streams() {
    use crate::live::EventStream;
    let Some((a, b)) = two_instances() else { return };
    let (_, admin) = a.user("ada");
    let (spammer, token) = a.user("spammer");
    a.make_admin("ada");
    let ticket = b
        .call_as("POST", &token, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = EventStream::open(&b, &format!("/notifications/stream?ticket={ticket}"), &[])
        .unwrap_or_else(|refused| panic!("{refused:?}"));
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
    b.get_as(&token, "/users/me").assert_ok();

    a.post_json(&format!("/users/{spammer}/ban"), Some(&admin), &json!({"reason": "spam"}))
        .assert_ok();
    // No cache to wait out: every request reads the account.
    let refused = b.get_as(&token, "/users/me").assert_error(403, "account_banned");
    assert_eq!(refused["ban"]["reason"], "spam");
    assert_eq!(stream.expect("end").json()["reason"], "account_banned");
    b.login("spammer", crate::helpers::PASSWORD).assert_error(403, "account_banned");
}

#[test]
fn instances_sharing_the_outbox_never_send_a_mail_twice() {
    use crate::smtp_sink::{SmtpSink, free_port, reset_mails, smtp_server_here, wait_for_mails};
    if !smtp_server_here("two instances sharing the outbox") {
        return;
    }
    // Both instances send to a server that is down at first, so both hold due mail when it comes up and
    // both workers claim from one outbox at once.
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let a = TestApp::spawn_with(|config| config.smtp_url = Some(secrecy::SecretString::from(url.clone())));
    if !a.config.on_postgres() {
        return;
    }
    let database = a.config.database_url.clone();
    let b = TestApp::spawn_with(|config| {
        config.database_url = database;
        config.smtp_url = Some(secrecy::SecretString::from(url));
    });
    const PEOPLE: usize = 24;
    for n in 0..PEOPLE {
        let (asked, other) = if n % 2 == 0 { (&a, &b) } else { (&b, &a) };
        other.register(&format!("person{n}"));
        let response = asked.post_json("/password-reset", None, &json!({"email": format!("person{n}@example.org")}));
        assert_eq!(response.status, 202);
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    let kept = tempfile::tempdir().unwrap();
    let _sink = SmtpSink::start(kept.path(), port);
    wait_for_mails(kept.path(), PEOPLE, std::time::Duration::from_secs(90));
    std::thread::sleep(std::time::Duration::from_secs(3));
    let arrived = reset_mails(kept.path());
    let mut ids: Vec<&str> = arrived
        .iter()
        .map(|mail| mail["headers"]["message-id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(arrived.len(), PEOPLE, "each mail once");
    assert_eq!(ids.len(), PEOPLE);
}
