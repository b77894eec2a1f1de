//! Reports and removal: members report, moderators resolve (dismiss, remove, or remove and ban), removed
//! items leave every list and search and stay readable only to their authors and the moderators, and the
//! log shows each act.

use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

fn report(app: &TestApp, token: &str, kind: &str, id: i64, reason: &str) -> Response {
    app.post_json(
        "/reports",
        Some(token),
        &json!({"target": {"kind": kind, "id": id}, "reason": reason, "note": "please look"}),
    )
}

fn resolve(app: &TestApp, token: &str, report: i64, body: Value) -> Response {
    app.post_json(&format!("/reports/{report}/resolve"), Some(token), &body)
}

fn comment(app: &TestApp, token: &str, event: i64, text: &str) -> i64 {
    app.post_json(&format!("/comments/{event}"), Some(token), &json!({"content": text}))
        .assert_ok()["id"]
        .as_i64()
        .unwrap()
}

/// A moderator `moe` made by the admin `ada`; answers the admin's and the moderator's tokens.
fn staff(app: &TestApp) -> (String, String) {
    let (_, admin_token) = app.user("ada");
    let (moderator, moderator_token) = app.user("moe");
    app.make_admin("ada");
    app.send_json(
        "PUT",
        &format!("/users/{moderator}/role"),
        Some(&admin_token),
        &json!({"role": "moderator"}),
    )
    .assert_ok();
    (admin_token, moderator_token)
}

#[test]
fn a_reported_comment_is_removed_its_author_banned_and_the_log_shows_both() {
    let app = TestApp::spawn();
    let (_, moderator_token) = staff(&app);
    let (_, owner_token) = app.user("olga");
    let (spammer, spammer_token) = app.user("spammer");
    let (_, reader_token) = app.user("reader");
    let (_, other_token) = app.user("other");
    let event = app.create_event(&owner_token, json!({"name": "Book club"}))["id"].as_i64().unwrap();
    let spam = comment(&app, &spammer_token, event, "cheap watches at example.com");
    let fine = comment(&app, &reader_token, event, "see you there");

    // Filing: one open report per reporter and target; the reporter does not get the text back.
    let filed = report(&app, &reader_token, "comment", spam, "spam").assert_ok();
    assert_eq!(
        (&filed["target"], &filed["reason"], &filed["note"], &filed["status"]),
        (&json!({"kind": "comment", "id": spam}), &json!("spam"), &json!("please look"), &json!("open"))
    );
    assert_eq!((&filed["resolution"], &filed["content"]), (&Value::Null, &Value::Null));
    report(&app, &reader_token, "comment", spam, "harassment").assert_error(409, "already_reported");
    let second = report(&app, &other_token, "comment", spam, "other").assert_ok()["id"].as_i64().unwrap();
    report(&app, &other_token, "comment", 9_999, "spam").assert_error(404, "not_found");
    report(&app, &other_token, "user", 9_999, "spam").assert_error(404, "not_found");
    app.post_json("/reports", None, &json!({"target": {"kind": "comment", "id": spam}, "reason": "spam"}))
        .assert_error(401, "unauthorized");

    // Only staff read the queue, oldest first, with the text in context.
    app.get_as(&reader_token, "/reports").assert_error(403, "forbidden");
    let queue = app.get_as(&moderator_token, "/reports");
    assert_eq!(queue.header("x-total-count"), Some("2"));
    let queue = queue.assert_ok();
    assert_eq!(queue[0]["id"], filed["id"]);
    assert_eq!(queue[1]["id"], second);
    assert_eq!(
        queue[0]["content"],
        json!({"author": {"id": spammer, "username": "spammer", "role": "member"}, "title": null,
               "text": "cheap watches at example.com", "event_id": event, "removed": false})
    );
    assert_eq!(app.get_as(&moderator_token, "/reports?status=resolved").status, 204);
    app.get_as(&moderator_token, "/reports?status=closed").assert_invalid("status");

    // Members cannot resolve; the moderator removes and bans in one step.
    let first = filed["id"].as_i64().unwrap();
    resolve(&app, &reader_token, first, json!({"action": "dismiss"})).assert_error(403, "forbidden");
    resolve(&app, &moderator_token, first, json!({"action": "explode"})).assert_invalid("action");
    let resolved = resolve(&app, &moderator_token, first, json!({"action": "ban", "note": "Link spam"})).assert_ok();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution"]["action"], "ban");
    assert_eq!(resolved["resolution"]["moderator"]["username"], "moe");
    assert_eq!(resolved["content"]["removed"], true);

    // The author is banned at once; the comment is gone from the list, the count and its own address.
    let refused = app.get_as(&spammer_token, "/users/me").assert_error(403, "account_banned");
    assert_eq!(refused["ban"]["reason"], "Link spam");
    let list = app.get(&format!("/comments/{event}"));
    assert_eq!(list.header("x-total-count"), Some("1"));
    let ids: Vec<Value> = list.assert_ok().as_array().unwrap().iter().map(|c| c["id"].clone()).collect();
    assert_eq!(ids, vec![json!(fine)]);
    let overview = app.get(&format!("/events/{event}/overview")).assert_ok();
    assert!(!overview.to_string().contains("cheap watches"), "{overview}");
    let address = format!("/events/{event}/comments/{spam}");
    app.get(&address).assert_error(404, "not_found");
    app.get_as(&reader_token, &address).assert_error(404, "not_found");
    app.get_as(&owner_token, &address).assert_error(404, "not_found");
    let seen = app.get_as(&moderator_token, &address).assert_ok();
    assert_eq!((&seen["removed"], &seen["content"]), (&json!(true), &json!("cheap watches at example.com")));
    assert!(app.get(&format!("/events/{event}/comments/{fine}")).assert_ok().get("removed").is_none());
    // Removed is removed: neither changed nor removed again.
    app.call_as("DELETE", &moderator_token, &address).assert_error(404, "not_found");

    // Both reports are resolved; reporting what is removed is 404.
    assert_eq!(app.get_as(&moderator_token, "/reports").status, 204);
    let done = app.get_as(&moderator_token, "/reports?status=resolved");
    assert_eq!(done.header("x-total-count"), Some("2"));
    resolve(&app, &moderator_token, second, json!({"action": "dismiss"})).assert_error(409, "report_resolved");
    report(&app, &other_token, "comment", spam, "spam").assert_error(404, "not_found");

    // The public log shows the removal and the ban, never the text.
    let log = app.get("/modlog?limit=2").assert_ok();
    assert_eq!(
        (&log[0]["action"], &log[0]["target"]["kind"], &log[0]["target"]["id"]),
        (&json!("ban"), &json!("user"), &json!(spammer))
    );
    assert_eq!(
        (&log[1]["action"], &log[1]["target"]["kind"], &log[1]["target"]["id"], &log[1]["reason"]),
        (&json!("remove"), &json!("comment"), &json!(spam), &json!("Link spam"))
    );
    assert_eq!(log[1]["moderator"]["username"], "moe");
    assert!(!log.to_string().contains("cheap watches"), "{log}");

    // The ban is lifted: the author reads their removed comment, marked, and nobody else's.
    app.call_as("DELETE", &moderator_token, &format!("/users/{spammer}/ban")).assert_ok();
    assert_eq!(app.get_as(&spammer_token, &address).assert_ok()["removed"], true);
}

#[test]
fn moderators_remove_posts_and_events_which_leave_lists_and_search() {
    let app = TestApp::spawn();
    let (admin_token, moderator_token) = staff(&app);
    let (author, author_token) = app.user("author");
    let (_, holder_token) = app.user("holder");
    let (_, member_token) = app.user("member");
    let post = app
        .post_json("/posts/", Some(&author_token), &json!({"title": "Watches", "content": "cheap"}))
        .assert_ok()["id"]
        .as_i64()
        .unwrap();
    let event = app.create_event(&author_token, json!({"name": "Zanzibar watch fair"}))["id"].as_i64().unwrap();
    app.post_json(&format!("/events/{event}/tickets"), Some(&holder_token), &json!({"quantity": 1}))
        .assert_ok();

    // A member may not remove someone else's post or event.
    app.call_as("DELETE", &member_token, &format!("/posts/{post}")).assert_error(403, "forbidden");
    app.call_as("DELETE", &member_token, &format!("/events/{event}")).assert_error(403, "forbidden");

    assert_eq!(app.call_as("DELETE", &moderator_token, &format!("/posts/{post}")).status, 204);
    assert_eq!(app.call_as("DELETE", &admin_token, &format!("/events/{event}")).status, 204);

    // Gone for everyone else, from lists and search.
    app.get(&format!("/posts/{post}")).assert_error(404, "not_found");
    app.get_as(&member_token, &format!("/posts/{post}")).assert_error(404, "not_found");
    assert_eq!(app.get("/posts/").status, 204);
    app.get(&format!("/events/{event}")).assert_error(404, "not_found");
    assert_eq!(app.get("/events/?search=zanzibar").status, 204);
    assert_eq!(app.get(&format!("/users/{author}/events")).status, 204);
    // The holder was told, as when an organiser deletes an event.
    let inbox = app.get_as(&holder_token, "/notifications/").assert_ok();
    assert!(inbox[0]["message"].as_str().unwrap().contains("Zanzibar watch fair"), "{inbox}");
    assert_eq!(app.get_as(&holder_token, "/users/me/tickets").status, 204);

    // The author and the staff still read them, marked removed.
    for token in [&author_token, &moderator_token, &admin_token] {
        assert_eq!(app.get_as(token, &format!("/posts/{post}")).assert_ok()["removed"], true);
        let seen = app.get_as(token, &format!("/events/{event}")).assert_ok();
        assert_eq!((&seen["removed"], &seen["name"]), (&json!(true), &json!("Zanzibar watch fair")));
    }
    // An author's own delete leaves nothing behind.
    let own = app
        .post_json("/posts/", Some(&author_token), &json!({"title": "Mine", "content": "mine"}))
        .assert_ok()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.call_as("DELETE", &author_token, &format!("/posts/{own}")).status, 204);
    app.get_as(&author_token, &format!("/posts/{own}")).assert_error(404, "not_found");

    let log = app.get("/modlog?limit=2").assert_ok();
    assert_eq!(
        log.as_array().unwrap().iter().map(|e| (e["action"].clone(), e["target"]["kind"].clone())).collect::<Vec<_>>(),
        vec![(json!("remove"), json!("event")), (json!("remove"), json!("post"))]
    );
    assert_eq!(log[0]["moderator"]["username"], "ada");
}

#[test]
fn an_events_owner_removes_comments_on_it_and_moderators_cannot_act_on_admins() {
    let app = TestApp::spawn();
    let (admin_token, moderator_token) = staff(&app);
    let (_, owner_token) = app.user("olga");
    let (_, writer_token) = app.user("writer");
    let ada = app.get_as(&admin_token, "/users/me").assert_ok()["id"].as_i64().unwrap();
    let event = app.create_event(&owner_token, json!({})) ["id"].as_i64().unwrap();
    let rude = comment(&app, &writer_token, event, "rude words");
    assert_eq!(
        app.call_as("DELETE", &owner_token, &format!("/events/{event}/comments/{rude}")).status,
        204
    );
    let log = app.get("/modlog?limit=1").assert_ok();
    assert_eq!((&log[0]["action"], &log[0]["moderator"]["username"]), (&json!("remove"), &json!("olga")));
    assert_eq!(
        app.get_as(&writer_token, &format!("/events/{event}/comments/{rude}")).assert_ok()["removed"],
        true
    );

    // A report on an admin cannot end in a moderator's ban, and a removal is not for accounts.
    let on_admin = report(&app, &writer_token, "user", ada, "harassment").assert_ok()["id"].as_i64().unwrap();
    resolve(&app, &moderator_token, on_admin, json!({"action": "ban"})).assert_error(403, "forbidden");
    resolve(&app, &moderator_token, on_admin, json!({"action": "remove"})).assert_invalid("action");
    resolve(&app, &moderator_token, on_admin, json!({"action": "dismiss", "until": "2030-01-01T00:00:00Z"}))
        .assert_invalid("until");
    assert_eq!(app.get_as(&moderator_token, "/reports").assert_ok()[0]["status"], "open", "nothing written");
    let dismissed = resolve(&app, &moderator_token, on_admin, json!({"action": "dismiss"})).assert_ok();
    assert_eq!(dismissed["resolution"]["action"], "dismiss");
    assert_eq!(dismissed["content"]["title"], "ada");
    // Resolved, it may be reported again.
    report(&app, &writer_token, "user", ada, "harassment").assert_ok();
    resolve(&app, &moderator_token, 9_999, json!({"action": "dismiss"})).assert_error(404, "not_found");

    // The body's shape.
    for (bad, field) in [
        (json!({"reason": "spam"}), "target"),
        (json!({"target": 5, "reason": "spam"}), "target"),
        (json!({"target": {"id": 1}, "reason": "spam"}), "target.kind"),
        (json!({"target": {"kind": "thing", "id": 1}, "reason": "spam"}), "target.kind"),
        (json!({"target": {"kind": "user", "id": 0}, "reason": "spam"}), "target.id"),
        (json!({"target": {"kind": "user", "id": ada}}), "reason"),
        (json!({"target": {"kind": "user", "id": ada}, "reason": "rude"}), "reason"),
        (json!({"target": {"kind": "user", "id": ada}, "reason": "spam", "note": "x".repeat(1_001)}), "note"),
    ] {
        app.post_json("/reports", Some(&writer_token), &bad).assert_invalid(field);
    }
}
