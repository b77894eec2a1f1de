use serde_json::{Value, json};

use crate::helpers::TestApp;

fn messages(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap())
        .collect()
}

fn send(app: &TestApp, token: &str, message: &str, to: Option<i64>) -> Value {
    let mut body = json!({"message": message, "sender": "Tester"});
    if let Some(to) = to {
        body["owner_id"] = json!(to);
    }
    app.post_json("/notifications/", Some(token), &body).assert_ok()
}

#[test]
fn sending_defaults_to_the_caller_and_records_the_sender_account() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, _bob_token) = app.user("bob");
    let to_self = send(&app, &alice_token, "note to self", None);
    assert_eq!(
        (to_self["owner_id"].as_i64(), to_self["sender_id"].as_i64()),
        (Some(alice), Some(alice))
    );
    assert_eq!(to_self["event_id"], Value::Null);
    assert_eq!(to_self["sender"], "Tester");
    assert_eq!((&to_self["kind"], &to_self["params"]), (&json!("message"), &json!({})));
    let to_bob = send(&app, &alice_token, "hello bob", Some(bob));
    assert_eq!(
        (to_bob["owner_id"].as_i64(), to_bob["sender_id"].as_i64()),
        (Some(bob), Some(alice))
    );
    app.post_json(
        "/notifications/",
        Some(&alice_token),
        &json!({"message": "x", "sender": "y", "owner_id": 999}),
    )
    .assert_error(404, "not_found");
}

#[test]
fn notification_fields_are_validated() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    for (body, field) in [
        (json!({"message": "", "sender": "s"}), "message"),
        (json!({"message": "x".repeat(1_001), "sender": "s"}), "message"),
        (json!({"message": "m", "sender": ""}), "sender"),
        (json!({"message": "m", "sender": "x".repeat(101)}), "sender"),
        (json!({"message": "m"}), "sender"),
        (
            json!({"message": "m", "sender": "s", "owner_id": "two"}),
            "owner_id",
        ),
    ] {
        app.post_json("/notifications/", Some(&token), &body)
            .assert_invalid(field);
    }
}

#[test]
fn the_inbox_is_the_callers_newest_first_with_an_unread_count() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    for message in ["one", "two", "three"] {
        send(&app, &bob_token, message, Some(alice));
    }
    send(&app, &bob_token, "bob's own", None);

    let inbox = app.get_as(&alice_token, "/notifications/");
    assert_eq!(messages(&inbox.assert_ok()), ["three", "two", "one"]);
    assert_eq!(inbox.header("x-unread-count"), Some("3"));
    assert_eq!(inbox.header("x-total-count"), Some("3"));

    let page = app.get_as(&alice_token, "/notifications/?skip=1&limit=1");
    assert_eq!(messages(&page.assert_ok()), ["two"]);

    let empty = app.get_as(&app.user("carol").1, "/notifications/");
    assert_eq!(empty.status, 204);
    assert_eq!(empty.header("x-unread-count"), Some("0"));
}

#[test]
fn marking_read_is_per_caller_and_unread_only_filters() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let first = send(&app, &bob_token, "one", Some(alice));
    send(&app, &bob_token, "two", Some(alice));

    let path = format!("/notifications/{}/read", first["id"]);
    app.call_as("POST", &bob_token, &path)
        .assert_error(404, "not_found");
    app.call_as("POST", &alice_token, "/notifications/999/read")
        .assert_error(404, "not_found");
    app.call_as("POST", &alice_token, "/notifications/abc/read")
        .assert_error(400, "bad_request");
    let read = app.call_as("POST", &alice_token, &path).assert_ok();
    assert_eq!(
        (read["id"].clone(), read["read"].clone()),
        (first["id"].clone(), json!(true))
    );

    let unread = app.get_as(&alice_token, "/notifications/?unread_only=true");
    assert_eq!(messages(&unread.assert_ok()), ["two"]);
    assert_eq!(unread.header("x-unread-count"), Some("1"));
    assert_eq!(
        messages(
            &app.get_as(&alice_token, "/notifications/?unread_only=false")
                .assert_ok()
        ),
        ["two", "one"]
    );
    app.get_as(&alice_token, "/notifications/?unread_only=maybe")
        .assert_error(400, "bad_request");
}

#[test]
fn read_all_honours_the_high_water_mark() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    let ids: Vec<i64> = (0..4)
        .map(|i| {
            send(&app, &bob_token, &format!("n{i}"), Some(alice))["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    send(
        &app,
        &alice_token,
        "for bob",
        Some(
            app.get_as(&bob_token, "/users/me").assert_ok()["id"]
                .as_i64()
                .unwrap(),
        ),
    );

    let updated = app
        .post_json(
            "/notifications/read-all",
            Some(&alice_token),
            &json!({"up_to_id": ids[1]}),
        )
        .assert_ok();
    assert_eq!(updated, json!({"updated": 2}));
    assert_eq!(
        app.get_as(&alice_token, "/notifications/")
            .header("x-unread-count"),
        Some("2")
    );

    let all = app
        .call_as("POST", &alice_token, "/notifications/read-all")
        .assert_ok();
    assert_eq!(all, json!({"updated": 2}));
    assert_eq!(
        app.get_as(&alice_token, "/notifications/?unread_only=1").status,
        204
    );
    assert_eq!(
        app.get_as(&bob_token, "/notifications/").header("x-unread-count"),
        Some("1"),
        "bob's stay unread"
    );
    app.post_json(
        "/notifications/read-all",
        Some(&alice_token),
        &json!({"up_to_id": "x"}),
    )
    .assert_invalid("up_to_id");
    send(&app, &bob_token, "later", Some(alice));
    let null_means_all = app.post_json(
        "/notifications/read-all",
        Some(&alice_token),
        &json!({"up_to_id": null}),
    );
    assert_eq!(null_means_all.assert_ok(), json!({"updated": 1}));
}

#[test]
fn a_comment_notification_carries_its_kind_and_params_beside_the_english_message() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    app.send_json(
        "PUT",
        &format!("/users/{bob}"),
        Some(&bob_token),
        &json!({"username": "bob", "email": "bob@example.org", "full_name": "Bob Builder"}),
    )
    .assert_ok();
    let event = app.create_event(&alice_token, json!({"name": "Jazz, \"live\" & loud"}));
    let id = event["id"].as_i64().unwrap();
    app.post_json(&format!("/comments/{id}"), Some(&bob_token), &json!({"content": "count me in"}))
        .assert_ok();
    let told = &app.get_as(&alice_token, "/notifications").assert_ok()[0];
    assert_eq!(told["message"], "Bob Builder commented on \"Jazz, \"live\" & loud\"");
    assert_eq!(told["kind"], "comment");
    assert_eq!(
        told["params"],
        json!({"event_id": id, "event_name": "Jazz, \"live\" & loud", "commenter_id": bob, "commenter_name": "Bob Builder"})
    );

    // Once the event is gone, the notification stays, pointing nowhere.
    assert_eq!(app.call_as("DELETE", &alice_token, &format!("/events/{id}")).status, 204);
    let kept = &app.get_as(&alice_token, "/notifications").assert_ok()[0];
    assert_eq!((&kept["kind"], &kept["params"]["event_id"]), (&json!("comment"), &Value::Null));
    assert_eq!(kept["params"]["event_name"], "Jazz, \"live\" & loud");
}

#[test]
fn a_user_reads_in_the_locale_they_chose() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    assert_eq!(app.get_as(&alice_token, "/users/me").assert_ok()["locale"], "en");
    assert!(
        app.get_as(&bob_token, &format!("/users/{alice}")).assert_ok().get("locale").is_none(),
        "only the user sees their own"
    );
    let put = |body: Value| app.send_json("PUT", &format!("/users/{alice}"), Some(&alice_token), &body);
    let profile = |locale: Option<&str>| {
        let mut body = json!({"username": "alice", "email": "alice@example.org"});
        if let Some(locale) = locale {
            body["locale"] = json!(locale);
        }
        body
    };
    assert_eq!(put(profile(Some("zh-CN"))).assert_ok()["locale"], "zh-CN");
    assert_eq!(put(profile(None)).assert_ok()["locale"], "zh-CN", "left out: unchanged");
    for bad in ["fr", "zh-cn", "", "EN"] {
        put(profile(Some(bad))).assert_invalid("locale");
    }
    put(json!({"username": "alice", "email": "alice@example.org", "locale": 7}))
        .assert_invalid("locale");
    assert_eq!(app.get_as(&alice_token, "/users/me").assert_ok()["locale"], "zh-CN");

    let registered = app
        .post_json(
            "/users/",
            None,
            &json!({"username": "carol", "email": "carol@example.org", "password": crate::helpers::PASSWORD, "locale": "zh-CN"}),
        )
        .assert_ok();
    assert_eq!(registered["locale"], "zh-CN");
    app.post_json(
        "/users/",
        None,
        &json!({"username": "dave", "email": "dave@example.org", "password": crate::helpers::PASSWORD, "locale": "de"}),
    )
    .assert_invalid("locale");
}
