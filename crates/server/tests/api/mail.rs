//! Mail through a real SMTP server (Debian's `python3-aiosmtpd`, started by each test on a free port):
//! the whole password reset, a server that is down and then up, mail in Chinese, and the `.eml` files
//! written without `SMTP_URL`.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};
use crate::smtp_sink::{SmtpSink, free_port, mails, reset_token, smtp_server_here, wait_for_mails};

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
    assert_eq!(mails(kept.path()).len(), 1, "nothing was sent for the unknown address");
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
    let arrived_now = mails(kept.path());
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
    assert!(mails(kept.path()).is_empty(), "nothing went out unencrypted");
}

/// The `.eml` files in `dir`.
fn eml_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".eml"))
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
    let refused: Value = app
        .post_json("/password-reset/confirm", None, &json!({"token": "t", "password": "password1"}))
        .assert_error(429, "rate_limited");
    assert!(refused["detail"].as_str().unwrap().contains("try again"));
}
