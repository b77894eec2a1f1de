//! Roles and the moderation log: admins (the first one made from the command line) give roles, the last
//! admin stays, and every change is in the public log.

use serde_json::{Value, json};

use crate::helpers::TestApp;

fn set_role(app: &TestApp, token: &str, user: i64, body: Value) -> crate::helpers::Response {
    app.send_json("PUT", &format!("/users/{user}/role"), Some(token), &body)
}

#[test]
fn roles_are_public_given_by_admins_only_and_logged() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let (carol, _) = app.user("carol");
    assert_eq!(app.get(&format!("/users/{bob}")).assert_ok()["role"], "member");

    // Nobody is an admin yet: a member cannot give roles, not even to themself.
    set_role(&app, &alice_token, alice, json!({"role": "admin"})).assert_error(403, "forbidden");
    assert_eq!(app.get("/modlog").status, 204, "nothing logged");

    let output = app.plaza_admin(&["set-role", "ALICE", "admin"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "alice is now admin");
    // At once, with the token alice already holds.
    assert_eq!(app.get_as(&alice_token, "/users/me").assert_ok()["role"], "admin");

    let made = set_role(
        &app,
        &alice_token,
        bob,
        json!({"role": "moderator", "reason": "Knows everyone"}),
    )
    .assert_ok();
    assert_eq!((made["id"].as_i64(), &made["role"]), (Some(bob), &json!("moderator")));
    assert!(made.get("email").is_none(), "bob's e-mail is not alice's to see: {made}");
    assert_eq!(app.get_as(&bob_token, "/users/me").assert_ok()["role"], "moderator");

    // A moderator does not give roles; a missing user is 404 whoever asks.
    set_role(&app, &bob_token, carol, json!({"role": "moderator"})).assert_error(403, "forbidden");
    set_role(&app, &bob_token, 9_999, json!({"role": "member"})).assert_error(404, "not_found");
    set_role(&app, &alice_token, 9_999, json!({"role": "member"})).assert_error(404, "not_found");
    app.send_json("PUT", &format!("/users/{carol}/role"), None, &json!({"role": "admin"}))
        .assert_error(401, "unauthorized");

    // The body's shape.
    for bad in [
        json!({}),
        json!({"role": null}),
        json!({"role": "Admin"}),
        json!({"role": "owner"}),
        json!({"role": 1}),
    ] {
        set_role(&app, &alice_token, carol, bad).assert_invalid("role");
    }
    set_role(
        &app,
        &alice_token,
        carol,
        json!({"role": "moderator", "reason": "x".repeat(1_001)}),
    )
    .assert_invalid("reason");

    // The last admin stays one, from the API or the command line.
    set_role(&app, &alice_token, alice, json!({"role": "member"})).assert_error(409, "last_admin");
    let refused = app.plaza_admin(&["set-role", "alice", "moderator"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("last admin"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Giving the role someone holds changes nothing and logs nothing.
    set_role(&app, &alice_token, bob, json!({"role": "moderator"})).assert_ok();

    // The staff, by role.
    let moderators = app.get("/users/?role=moderator");
    assert_eq!(moderators.header("x-total-count"), Some("1"));
    assert_eq!(moderators.json()[0]["username"], "bob");
    assert_eq!(app.get("/users/?role=admin").json()[0]["username"], "alice");
    assert_eq!(app.get("/users/?role=member").header("x-total-count"), Some("1"));
    app.get("/users/?role=owner").assert_error(400, "bad_request");
    app.get(&format!("/users/?ids={bob}&role=admin"))
        .assert_error(400, "bad_request");

    // The log: public, newest first, paged.
    let log = app.get("/modlog");
    assert_eq!(log.header("x-total-count"), Some("2"));
    let log = log.json();
    assert_eq!(
        log[0],
        json!({
            "id": log[0]["id"],
            "action": "set_role",
            "role": "moderator",
            "moderator": {"id": alice, "username": "alice"},
            "target": {"kind": "user", "id": bob, "username": "bob"},
            "reason": "Knows everyone",
            "until": null,
            "created_at": log[0]["created_at"],
        })
    );
    assert_eq!(log[1]["moderator"], Value::Null, "from the command line");
    assert_eq!(
        (&log[1]["role"], &log[1]["target"]["username"], &log[1]["reason"]),
        (&json!("admin"), &json!("alice"), &Value::Null)
    );
    assert!(log[0]["id"].as_i64() > log[1]["id"].as_i64());
    let older = app.get("/modlog?skip=1&limit=1").assert_ok();
    assert_eq!(older.as_array().unwrap().len(), 1);
    assert_eq!(older[0]["id"], log[1]["id"]);
    app.get("/modlog?limit=0").assert_invalid("limit");

    // Once there is another admin, alice may step down; then the new admin is the last.
    set_role(&app, &alice_token, carol, json!({"role": "admin"})).assert_ok();
    let stepped_down = set_role(&app, &alice_token, alice, json!({"role": "member"})).assert_ok();
    assert_eq!(stepped_down["role"], "member");
    assert!(stepped_down.get("email").is_some(), "her own profile: {stepped_down}");
    set_role(&app, &alice_token, bob, json!({"role": "member"})).assert_error(403, "forbidden");
    assert_eq!(app.get("/modlog").header("x-total-count"), Some("4"));
}

#[test]
fn the_command_line_names_what_is_wrong() {
    let app = TestApp::spawn();
    let missing = app.plaza_admin(&["set-role", "nobody", "admin"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("user not found"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    app.register("dora");
    let bad_role = app.plaza_admin(&["set-role", "dora", "owner"]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("invalid value 'owner'"));
    assert_eq!(app.get("/modlog").status, 204);
}

fn ban(app: &TestApp, token: &str, user: i64, body: Value) -> crate::helpers::Response {
    app.post_json(&format!("/users/{user}/ban"), Some(token), &body)
}

#[test]
fn a_ban_refuses_the_account_at_once_and_a_lifted_or_ended_one_lets_it_back() {
    let app = TestApp::spawn();
    let (admin, admin_token) = app.user("ada");
    let (moderator, moderator_token) = app.user("moe");
    let (member, member_token) = app.user("spammer");
    let (other, other_token) = app.user("other");
    app.make_admin("ada");
    set_role(&app, &admin_token, moderator, json!({"role": "moderator"})).assert_ok();
    let ticket = app
        .call_as("POST", &member_token, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = crate::live::EventStream::open(&app, &format!("/notifications/stream?ticket={ticket}"), &[])
        .unwrap_or_else(|refused| panic!("{refused:?}"));
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));

    // Who may ban whom.
    ban(&app, &other_token, member, json!({"reason": "no"})).assert_error(403, "forbidden");
    ban(&app, &moderator_token, admin, json!({"reason": "no"})).assert_error(403, "forbidden");
    ban(&app, &admin_token, admin, json!({"reason": "no"})).assert_error(403, "forbidden");
    ban(&app, &moderator_token, 9_999, json!({"reason": "no"})).assert_error(404, "not_found");
    for bad in [json!({}), json!({"reason": ""}), json!({"reason": "x".repeat(1_001)})] {
        ban(&app, &moderator_token, member, bad).assert_invalid("reason");
    }
    for until in ["2020-01-01T00:00:00Z", "soon"] {
        ban(&app, &moderator_token, member, json!({"reason": "spam", "until": until})).assert_invalid("until");
    }

    // The moderator bans the member for good: the very next request is refused, the stream ends.
    let banned = ban(&app, &moderator_token, member, json!({"reason": "Spam in every comment"})).assert_ok();
    assert_eq!(banned["ban"]["reason"], "Spam in every comment");
    assert_eq!(banned["ban"]["until"], Value::Null);
    let refused = app.get_as(&member_token, "/users/me").assert_error(403, "account_banned");
    assert_eq!(refused["ban"], json!({"reason": "Spam in every comment", "until": null}));
    app.post_json("/events/", Some(&member_token), &crate::helpers::event_body(json!({})))
        .assert_error(403, "account_banned");
    assert_eq!(stream.expect("end").json()["reason"], "account_banned");
    let login = app.login("spammer", crate::helpers::PASSWORD);
    assert_eq!(login.assert_error(403, "account_banned")["ban"]["reason"], "Spam in every comment");
    app.login("spammer", "not the password").assert_error(401, "unauthorized");
    // The ban shows to moderators only; the profile stays public.
    let profile = format!("/users/{member}");
    assert_eq!(app.get_as(&moderator_token, &profile).assert_ok()["ban"]["reason"], "Spam in every comment");
    assert!(app.get_as(&other_token, &profile).assert_ok().get("ban").is_none());
    assert!(app.get(&profile).assert_ok().get("ban").is_none());

    // Lifted: the same token works again; lifting again changes nothing.
    let lift = format!("/users/{member}/ban");
    app.call_as("DELETE", &other_token, &lift).assert_error(403, "forbidden");
    assert!(app.call_as("DELETE", &moderator_token, &lift).assert_ok().get("ban").is_none());
    assert_eq!(app.get_as(&member_token, "/users/me").assert_ok()["id"], member);
    app.call_as("DELETE", &moderator_token, &lift).assert_ok();

    // A ban with an end lifts itself once it has passed.
    let until = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let short = ban(&app, &admin_token, member, json!({"reason": "Cool down", "until": until})).assert_ok();
    assert!(short["ban"]["until"].is_string(), "{short}");
    assert_eq!(
        app.get_as(&member_token, "/users/me").assert_error(403, "account_banned")["ban"]["reason"],
        "Cool down"
    );
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    app.get_as(&member_token, "/users/me").assert_ok();
    app.login("spammer", crate::helpers::PASSWORD).assert_ok();

    // An admin may ban a moderator; the moderator, banned, cannot act.
    ban(&app, &admin_token, moderator, json!({"reason": "Abused the role"})).assert_ok();
    ban(&app, &moderator_token, other, json!({"reason": "x"})).assert_error(403, "account_banned");
    // Nobody bans an admin: a second admin cannot ban the first.
    let (_, second_admin) = app.user("bea");
    app.make_admin("bea");
    ban(&app, &second_admin, admin, json!({"reason": "coup"})).assert_error(403, "forbidden");

    // A refresh during a ban is refused and ends that session; logging out stays possible.
    let signed_in = app.login("other", crate::helpers::PASSWORD).assert_ok();
    let refresh = signed_in["refresh_token"].as_str().unwrap().to_owned();
    ban(&app, &admin_token, other, json!({"reason": "Cool off"})).assert_ok();
    let refused = app.post_json("/token/refresh", None, &json!({"refresh_token": refresh}));
    assert_eq!(refused.assert_error(403, "account_banned")["ban"]["reason"], "Cool off");
    assert_eq!(app.call_as("POST", &other_token, "/logout").status, 204, "a banned account may log out");
    app.call_as("DELETE", &admin_token, &format!("/users/{other}/ban")).assert_ok();
    app.get_as(&other_token, "/users/me").assert_error(401, "unauthorized");
    app.post_json("/token/refresh", None, &json!({"refresh_token": refresh}))
        .assert_error(401, "unauthorized");

    // Every act is in the public log, newest first.
    let log = app.get("/modlog?limit=100").assert_ok();
    let actions: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["action"].as_str().unwrap(), entry["target"]["username"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("unban", "other"),
            ("ban", "other"),
            ("set_role", "bea"),
            ("ban", "moe"),
            ("ban", "spammer"),
            ("unban", "spammer"),
            ("ban", "spammer"),
            ("set_role", "moe"),
            ("set_role", "ada"),
        ]
    );
    assert_eq!(log[4]["until"], json!(short["ban"]["until"]));
    assert_eq!(log[6]["until"], Value::Null);
    assert_eq!(log[6]["reason"], "Spam in every comment");
    assert_eq!(log[6]["moderator"]["username"], "moe");
}
