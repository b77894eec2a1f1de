//! Mail through a real SMTP server (Debian's `python3-aiosmtpd`, started by each test on a free port):
//! the whole password reset, a server that is down and then up, mail in Chinese, and the `.eml` files
//! written without `SMTP_URL`.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::smtp_sink::{SmtpSink, free_port, mails, reset_mails, reset_token, smtp_server_here, wait_for_mails};

const LINK_REQUESTED: &str = "If an account uses this address, a link to choose a new password is on its \
                              way to it. The link works once, for 30 minutes.";

fn app_mailing_to(url: String) -> TestApp {
    TestApp::spawn_with(|config| {
        config.smtp_url = Some(secrecy::SecretString::from(url));
        config.public_url = Some("https://plaza.example.org".into());
        config.mail_from = "Plaza <plaza@example.org>".into();
    })
}

fn ask_for_a_link(app: &TestApp, email: &str) {
    let asked = app.post_json("/password-reset", None, &json!({ "email": email }));
    assert_eq!(asked.status, 202, "{}", String::from_utf8_lossy(&asked.body));
    assert_eq!(asked.json(), json!({ "detail": LINK_REQUESTED }));
    assert_eq!(asked.header("cache-control"), Some("no-store"));
}

fn confirm(app: &TestApp, token: &str, password: &str) -> crate::helpers::Response {
    app.post_json(
        "/password-reset/confirm",
        None,
        &json!({ "token": token, "password": password }),
    )
}

#[test]
fn a_forgotten_password_is_chosen_again_through_a_real_mail_server() {
    if !smtp_server_here("password reset by mail") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    app.register("alice");
    let signed_in = app.login("alice", PASSWORD).assert_ok();
    let access = signed_in["access_token"].as_str().unwrap().to_owned();
    let refresh = signed_in["refresh_token"].as_str().unwrap().to_owned();

    // The same answer for an address nobody uses; only the account's address gets a mail.
    ask_for_a_link(&app, "nobody@example.org");
    ask_for_a_link(&app, "ALICE@Example.org");
    let arrived = wait_for_mails(kept.path(), 1, Duration::from_secs(20));
    let mail = &arrived[0];
    assert_eq!(mail["rcpt_tos"], json!(["alice@example.org"]));
    assert_eq!(mail["mail_from"], "plaza@example.org");
    assert_eq!(mail["subject"], "Choose a new password for Plaza");
    assert_eq!(mail["headers"]["from"], "Plaza <plaza@example.org>");
    let message_id = mail["headers"]["message-id"].as_str().unwrap();
    assert!(message_id.starts_with('<') && message_id.ends_with("@example.org>"), "{message_id}");
    let token = reset_token(mail);
    assert_eq!(token.len(), 43, "256 bits");
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains(&format!("https://plaza.example.org/#/reset-password?token={token}")), "{text}");
    assert!(mail["html"].as_str().unwrap().contains(&token));

    // A password that breaks the rules spends nothing.
    confirm(&app, &token, "short").assert_invalid("password");
    let chosen = confirm(&app, &token, "a brand new password");
    assert_eq!(chosen.status, 200, "{}", String::from_utf8_lossy(&chosen.body));
    assert_eq!(chosen.header("cache-control"), Some("no-store"));

    assert_eq!(app.login("alice", PASSWORD).status, 401, "the old password is gone");
    app.login("alice", "a brand new password").assert_ok();
    assert_eq!(app.get_as(&access, "/users/me").status, 401, "access tokens from before end");
    let renewed = app.post_json("/token/refresh", None, &json!({ "refresh_token": refresh }));
    assert_eq!(renewed.status, 401, "sessions from before end: {}", String::from_utf8_lossy(&renewed.body));
    confirm(&app, &token, "yet another password").assert_error(400, "invalid_token");
    confirm(&app, &"A".repeat(43), "yet another password").assert_error(400, "invalid_token");
    confirm(&app, "not-a-token", "yet another password").assert_error(400, "invalid_token");
    app.post_json("/password-reset/confirm", None, &json!({ "password": "whatever123" }))
        .assert_invalid("token");
    app.post_json("/password-reset", None, &json!({ "email": "not an address" }))
        .assert_invalid("email");

    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(reset_mails(kept.path()).len(), 1, "nothing was sent for the unknown address");
}

#[test]
fn a_reset_mail_is_in_the_language_of_the_account() {
    if !smtp_server_here("mail in Chinese") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    app.post_json(
        "/users/",
        None,
        &json!({"username": "lin", "email": "lin@example.org", "password": PASSWORD, "full_name": "林小雨", "locale": "zh-CN"}),
    )
    .assert_ok();
    ask_for_a_link(&app, "lin@example.org");
    let mail = &wait_for_mails(kept.path(), 1, Duration::from_secs(20))[0];
    assert_eq!(mail["subject"], "设置新的 Plaza 密码");
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("林小雨，你好："), "{text}");
    assert!(text.contains("30 分钟内有效"), "{text}");
    assert!(mail["html"].as_str().unwrap().contains("lang=\"zh-CN\""));
    confirm(&app, &reset_token(mail), "新的密码很长很长").assert_ok();
    app.login("lin", "%E6%96%B0%E7%9A%84%E5%AF%86%E7%A0%81%E5%BE%88%E9%95%BF%E5%BE%88%E9%95%BF")
        .assert_ok();
}

#[test]
fn mail_waits_for_a_server_that_is_down_and_then_arrives_once() {
    if !smtp_server_here("mail while the server is down") {
        return;
    }
    let port = free_port();
    let app = app_mailing_to(format!("smtp://127.0.0.1:{port}?tls=none"));
    for name in ["ana", "ben", "cai"] {
        app.register(name);
        ask_for_a_link(&app, &format!("{name}@example.org"));
    }
    // The first attempts fail (nothing listens); the next come 30 seconds later.
    std::thread::sleep(Duration::from_secs(2));
    let kept = tempfile::tempdir().unwrap();
    let _sink = SmtpSink::start(kept.path(), port);
    let arrived = wait_for_mails(kept.path(), 3, Duration::from_secs(90));
    std::thread::sleep(Duration::from_secs(2));
    let arrived_now = reset_mails(kept.path());
    assert_eq!(arrived_now.len(), 3, "each mail once: {arrived:?}");
    let mut recipients: Vec<&str> = arrived_now
        .iter()
        .map(|mail| mail["rcpt_tos"][0].as_str().unwrap())
        .collect();
    recipients.sort_unstable();
    assert_eq!(recipients, ["ana@example.org", "ben@example.org", "cai@example.org"]);
    for mail in &arrived_now {
        confirm(&app, &reset_token(mail), "chosen after the outage").assert_ok();
    }
}

#[test]
fn mail_refused_in_the_clear_when_starttls_is_required() {
    if !smtp_server_here("STARTTLS required") {
        return;
    }
    // The test server offers no STARTTLS: smtp:// (without ?tls=none) must not send to it in the clear.
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(format!("smtp://127.0.0.1:{}", sink.port));
    app.register("dana");
    ask_for_a_link(&app, "dana@example.org");
    std::thread::sleep(Duration::from_secs(3));
    assert!(mails(kept.path()).is_empty(), "nothing went out unencrypted (the verification mail neither)");
}

/// The `.eml` files in `dir` that hold a password reset link.
fn eml_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".eml"))
                .filter(|name| {
                    std::fs::read_to_string(dir.join(name)).is_ok_and(|eml| eml.contains("reset-password?token="))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn without_a_mail_server_mail_is_written_as_files_and_one_account_gets_three_an_hour() {
    let app = TestApp::spawn();
    app.register("erin");
    for _ in 0..4 {
        ask_for_a_link(&app, "erin@example.org");
    }
    let dir = app.config.mail_dir();
    let start = std::time::Instant::now();
    while eml_files(&dir).len() < 3 && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(700));
    let files = eml_files(&dir);
    assert_eq!(files.len(), 3, "three links an hour, the fourth asked is not sent: {files:?}");
    let eml = std::fs::read_to_string(dir.join(&files[0])).unwrap();
    assert!(eml.contains("To: erin@example.org"), "{eml}");
    assert!(eml.contains("reset-password?token="), "{eml}");
}

#[test]
fn one_client_asking_too_often_is_told_to_wait() {
    let app = TestApp::spawn_with(|config| config.rate_limit_auth_per_minute = 1);
    let statuses: Vec<u16> = (0..5)
        .map(|n| {
            app.post_json("/password-reset", None, &json!({ "email": format!("x{n}@example.org") }))
                .status
        })
        .collect();
    assert_eq!(statuses, [202, 202, 202, 429, 429], "bursts of three, then the limit");
    for disguised in ["//password-reset", "/password%2Dreset", "/password-reset/"] {
        let response = app.post_json(disguised, None, &json!({"email": "y@example.org"}));
        assert_eq!(response.status, 429, "{disguised} counts against the same limit");
    }
    let refused: Value = app
        .post_json("/password-reset/confirm", None, &json!({"token": "t", "password": "password1"}))
        .assert_error(429, "rate_limited");
    assert!(refused["detail"].as_str().unwrap().contains("try again"));
}

/// The token of a link of `kind` (`verify-email`, `unsubscribe`) in a kept mail's text.
fn link_token(mail: &Value, kind: &str) -> String {
    let text = mail["text"].as_str().expect("a text part");
    text.split(&format!("/#/{kind}?token="))
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no {kind} link in {text}"))
        .to_owned()
}

/// The mails in `dir` to `to`, once there are `count` of them.
fn mails_to(dir: &Path, to: &str, count: usize) -> Vec<Value> {
    let start = std::time::Instant::now();
    loop {
        let kept: Vec<Value> = mails(dir)
            .into_iter()
            .filter(|mail| mail["rcpt_tos"][0] == to)
            .collect();
        if kept.len() >= count {
            return kept;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{} mails to {to}, not {count}",
            kept.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Registers `name` and confirms its address with the mailed link; its id and token.
fn verified_user(app: &TestApp, kept: &Path, name: &str) -> (i64, String) {
    let (id, token) = app.user(name);
    let address = format!("{name}@example.org");
    let mail = &mails_to(kept, &address, 1)[0];
    assert_eq!(mail["subject"], "Confirm your e-mail address for Plaza");
    app.post_json(
        "/email-verification/confirm",
        None,
        &json!({ "token": link_token(mail, "verify-email") }),
    )
    .assert_ok();
    (id, token)
}

#[test]
fn an_address_is_confirmed_by_the_link_mailed_to_it() {
    if !smtp_server_here("e-mail verification") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    let (id, token) = app.user("vera");
    let me = app.get_as(&token, "/users/me").assert_ok();
    assert_eq!(me["email_verified"], false);
    assert_eq!(me["email_notifications"], "off");
    assert_eq!(me["time_zone"], "UTC");
    let other = app.get(&format!("/users/{id}")).assert_ok();
    assert!(other.get("email_verified").is_none(), "private: {other}");

    let first = &mails_to(kept.path(), "vera@example.org", 1)[0];
    let resent = app.call_as("POST", &token, "/users/me/email-verification");
    assert_eq!(resent.status, 202);
    let both = mails_to(kept.path(), "vera@example.org", 2);
    let (old, new) = (link_token(first, "verify-email"), link_token(&both[1], "verify-email"));
    assert_ne!(old, new);
    app.call_as("POST", &token, "/users/me/email-verification");
    app.call_as("POST", &token, "/users/me/email-verification")
        .assert_error(429, "rate_limited");

    let confirm = |token: &str| app.post_json("/email-verification/confirm", None, &json!({ "token": token }));
    confirm(&new).assert_ok();
    assert_eq!(app.get_as(&token, "/users/me").assert_ok()["email_verified"], true);
    confirm(&old).assert_error(400, "invalid_token");
    confirm(&new).assert_error(400, "invalid_token");
    app.call_as("POST", &token, "/users/me/email-verification")
        .assert_error(409, "already_verified");

    // A new address starts over, in the account's language.
    let changed = app.send_json(
        "PUT",
        &format!("/users/{id}"),
        Some(&token),
        &json!({"username": "vera", "email": "vera@new.example.org", "locale": "zh-CN"}),
    );
    assert_eq!(changed.assert_ok()["email_verified"], false);
    let moved = &mails_to(kept.path(), "vera@new.example.org", 1)[0];
    assert_eq!(moved["subject"], "确认你在 Plaza 的电子邮件地址");
    confirm(&link_token(moved, "verify-email")).assert_ok();
}

#[test]
fn a_plaza_may_require_a_verified_address_to_write() {
    if !smtp_server_here("verified addresses required") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let url = sink.url();
    let app = TestApp::spawn_with(|config| {
        config.smtp_url = Some(secrecy::SecretString::from(url));
        config.require_verified_email = true;
    });
    let (_, token) = app.user("newbie");
    app.post_json("/events/", Some(&token), &crate::helpers::event_body(json!({})))
        .assert_error(403, "email_unverified");
    app.post_json("/posts/", Some(&token), &json!({"title": "Hi", "content": "there"}))
        .assert_error(403, "email_unverified");
    let token = {
        let mail = &mails_to(kept.path(), "newbie@example.org", 1)[0];
        app.post_json(
            "/email-verification/confirm",
            None,
            &json!({ "token": link_token(mail, "verify-email") }),
        )
        .assert_ok();
        token
    };
    let event = app.create_event(&token, json!({}));
    app.post_json(
        &format!("/comments/{}", event["id"]),
        Some(&token),
        &json!({"content": "verified now"}),
    )
    .assert_ok();
}

#[test]
fn comments_are_mailed_to_those_who_ask_at_most_every_ten_minutes_and_one_click_stops_it() {
    if !smtp_server_here("notification mail") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    let (olga, owner) = verified_user(&app, kept.path(), "olga");
    app.send_json(
        "PUT",
        &format!("/users/{olga}"),
        Some(&owner),
        &json!({"username": "olga", "email": "olga@example.org", "email_notifications": "each"}),
    )
    .assert_ok();
    let event = app.create_event(&owner, json!({"name": "Kite festival"}));
    let (_, guest) = app.user("gus");
    let path = format!("/comments/{}", event["id"]);
    app.post_json(&path, Some(&guest), &json!({"content": "Count me in"})).assert_ok();
    app.post_json(&path, Some(&guest), &json!({"content": "Bringing two kites"})).assert_ok();

    let mail = mails_to(kept.path(), "olga@example.org", 2)
        .into_iter()
        .find(|mail| mail["subject"] != "Confirm your e-mail address for Plaza")
        .unwrap();
    let text = mail["text"].as_str().unwrap();
    assert!(text.contains("gus commented on \u{201c}Kite festival\u{201d}"), "{text}");
    let unsubscribe = mail["headers"]["list-unsubscribe"].as_str().unwrap();
    assert_eq!(mail["headers"]["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
    let one_click = unsubscribe
        .trim_start_matches('<')
        .trim_end_matches('>')
        .strip_prefix("https://plaza.example.org")
        .unwrap()
        .to_owned();
    assert!(one_click.starts_with("/unsubscribe?token="), "{one_click}");

    // Another comment within ten minutes: no second mail yet.
    app.post_json(&path, Some(&guest), &json!({"content": "And snacks"})).assert_ok();
    std::thread::sleep(Duration::from_secs(if crate::ON_POSTGRES { 40 } else { 8 }));
    assert_eq!(mails_to(kept.path(), "olga@example.org", 2).len(), 2, "at most one per ten minutes");

    // RFC 8058: a POST with the one-click body, no login.
    let off = app.request(
        "POST",
        &one_click,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(b"List-Unsubscribe=One-Click".to_vec()),
    );
    assert_eq!(off.status, 200, "{}", String::from_utf8_lossy(&off.body));
    assert_eq!(app.get_as(&owner, "/users/me").assert_ok()["email_notifications"], "off");
    app.post_json("/unsubscribe?token=not-a-token", None, &json!({}))
        .assert_error(400, "invalid_token");
    assert_eq!(app.get(&one_click).status, 405, "opening the link changes nothing");
}

#[test]
fn holders_hear_of_a_cancelled_event_by_mail_whatever_their_setting() {
    if !smtp_server_here("ticket news by mail") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    let (_, owner) = app.user("org");
    let event = app.create_event(&owner, json!({"name": "Night market"}));
    let (_, holder) = verified_user(&app, kept.path(), "hana");
    app.post_json(&format!("/events/{}/tickets", event["id"]), Some(&holder), &json!({"quantity": 2}))
        .assert_ok();
    assert_eq!(
        app.call_as("DELETE", &owner, &format!("/events/{}", event["id"])).status,
        204
    );
    let news = mails_to(kept.path(), "hana@example.org", 3)
        .into_iter()
        .find(|mail| mail["subject"].as_str().unwrap().ends_with("is cancelled"))
        .unwrap();
    assert_eq!(news["subject"], "\u{201c}Night market\u{201d} is cancelled");
    assert!(news["text"].as_str().unwrap().contains("/#/tickets"));
    assert!(news["headers"].get("list-unsubscribe").is_none(), "not a preference's mail");
}

#[test]
fn a_daily_digest_lists_what_came_and_is_written_in_the_readers_language() {
    if !smtp_server_here("daily digest") || crate::ON_POSTGRES {
        // On PostgreSQL the clock cannot be moved to 08:00 from here; the port contract and the unit tests
        // cover the schedule on both stores.
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    let (dee, token) = verified_user(&app, kept.path(), "dee");
    let saved = app
        .send_json(
            "PUT",
            &format!("/users/{dee}"),
            Some(&token),
            &json!({"username": "dee", "email": "dee@example.org", "locale": "zh-CN",
                    "email_notifications": "daily", "time_zone": "Asia/Shanghai"}),
        )
        .assert_ok();
    assert_eq!((saved["email_notifications"].as_str(), saved["time_zone"].as_str()), (Some("daily"), Some("Asia/Shanghai")));
    app.send_json(
        "PUT",
        &format!("/users/{dee}"),
        Some(&token),
        &json!({"username": "dee", "email": "dee@example.org", "time_zone": "Mars/Olympus"}),
    )
    .assert_invalid("time_zone");
    let event = app.create_event(&token, json!({"name": "灯会"}));
    let (_, guest) = app.user("gao");
    app.post_json(&format!("/comments/{}", event["id"]), Some(&guest), &json!({"content": "好"}))
        .assert_ok();
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(mails_to(kept.path(), "dee@example.org", 1).len(), 1, "nothing before 08:00");

    // It is 08:00 in Shanghai.
    let database = std::path::Path::new(&app.config.database_url);
    plaza_infra_sqlite::execute_on_file(
        database,
        "UPDATE users SET notification_mail_due_at = '2000-01-01 00:00:00' WHERE username = 'dee'",
    )
    .unwrap();
    let digest = mails_to(kept.path(), "dee@example.org", 2).pop().unwrap();
    assert_eq!(digest["subject"], "你的 Plaza 日报：1 条新通知");
    let text = digest["text"].as_str().unwrap();
    assert!(text.contains("gao 评论了\u{201c}灯会\u{201d}"), "{text}");
    assert!(digest["headers"]["list-unsubscribe"].as_str().unwrap().contains("/unsubscribe?token="));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(mails_to(kept.path(), "dee@example.org", 2).len(), 2, "one digest, then the next day's");
}

#[test]
fn a_buyer_is_mailed_the_codes_and_the_event_as_a_calendar_file() {
    if !smtp_server_here("ticket confirmation") {
        return;
    }
    let kept = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(kept.path(), 0);
    let app = app_mailing_to(sink.url());
    let (_, owner) = app.user("host");
    let event = app.create_event(
        &owner,
        json!({"name": "庙会, with; commas", "venue": "Temple yard", "event_time": "2036-02-01T10:00:00Z"}),
    );
    // An address nobody confirmed gets no confirmation: it may not be the buyer's.
    let (_, stranger) = app.user("sam");
    app.post_json(&format!("/events/{}/tickets", event["id"]), Some(&stranger), &json!({"quantity": 1}))
        .assert_ok();
    let (_, buyer) = verified_user(&app, kept.path(), "bea");
    app.post_json(&format!("/events/{}/tickets", event["id"]), Some(&buyer), &json!({"quantity": 2}))
        .assert_ok();
    let receipt = mails_to(kept.path(), "bea@example.org", 2)
        .into_iter()
        .find(|mail| mail["subject"].as_str().unwrap().starts_with("Your tickets to"))
        .unwrap();
    assert_eq!(receipt["subject"], "Your tickets to \u{201c}庙会, with; commas\u{201d}");
    let text = receipt["text"].as_str().unwrap();
    let held = app.get_as(&buyer, "/users/me/tickets").assert_ok();
    let held = held.as_array().unwrap();
    assert_eq!(held.len(), 2);
    for ticket in held {
        let code = ticket["code"].as_str().unwrap();
        assert!(text.contains(code), "the mail holds every code: {text}");
    }
    assert!(text.contains("Where: Temple yard"), "{text}");
    assert!(text.contains("Friday 1 February 2036, 10:00 (UTC)"), "{text}");
    let attachment = &receipt["attachments"][0];
    assert_eq!(attachment["filename"], format!("event-{}.ics", event["id"]));
    assert_eq!(attachment["content_type"], "text/calendar");
    let calendar = attachment["content"].as_str().unwrap();
    assert!(calendar.contains(&format!("UID:event-{}@plaza.example.org", event["id"])), "{calendar}");
    assert!(calendar.contains("SUMMARY:庙会\\, with\\; commas"), "escaped: {calendar}");
    assert!(calendar.contains("DTSTART:20360201T100000Z"), "{calendar}");

    // A sale that does not happen mails nothing.
    let sold_out = app.create_event(&owner, json!({"max_tickets": 1}));
    app.post_json(&format!("/events/{}/tickets", sold_out["id"]), Some(&buyer), &json!({"quantity": 2}))
        .assert_error(409, "sold_out");
    std::thread::sleep(Duration::from_secs(2));
    let receipts = mails_to(kept.path(), "bea@example.org", 2)
        .into_iter()
        .filter(|mail| mail["subject"].as_str().unwrap().starts_with("Your tickets to"))
        .count();
    assert_eq!(receipts, 1);
    let to_sam = mails(kept.path())
        .into_iter()
        .filter(|mail| mail["rcpt_tos"][0] == "sam@example.org")
        .filter(|mail| mail["subject"].as_str().unwrap().starts_with("Your tickets to"))
        .count();
    assert_eq!(to_sam, 0);
}
