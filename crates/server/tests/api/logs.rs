//! What reaches the log: the real binary's output, read line by line.

use std::time::Duration;

use crate::binary::Plaza;

#[test]
fn the_log_keeps_secrets_out_escapes_headers_and_says_each_request_once() {
    let data = tempfile::tempdir().unwrap();
    let plaza = Plaza::start(data.path(), &[], &[]).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = &plaza.base;
    agent
        .get(format!("{base}/events/?access_token=SECRET-TOKEN-VALUE&limit=5"))
        .call()
        .unwrap();
    agent
        .post(format!("{base}/token?username=alice&password=hunter2hunter2"))
        .content_type("application/x-www-form-urlencoded")
        .send("username=alice&password=hunter2hunter2")
        .unwrap();
    agent
        .get(format!("{base}/no-such-page"))
        .header("User-Agent", "evil\" request_id=forged status=200 x=\"")
        .call()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let log = plaza.drain_log();
    let all = log.join("\n");
    assert!(!all.contains("SECRET-TOKEN-VALUE"), "{all}");
    assert!(!all.contains("hunter2hunter2"), "{all}");
    assert!(
        all.contains("access_token=***"),
        "the parameter's name stays: {all}"
    );
    let not_found: Vec<&String> = log.iter().filter(|line| line.contains("/no-such-page")).collect();
    assert_eq!(not_found.len(), 1, "a 4xx is logged once: {not_found:?}");
    let line = not_found[0];
    assert!(line.contains("status=404"), "{line}");
    assert!(
        line.contains(r#"user_agent="evil\" request_id=forged status=200 x=\"""#),
        "the user agent is quoted and escaped: {line}"
    );
    assert_eq!(
        line.matches("status=").count(),
        2,
        "one real status field, one inside the quoted agent"
    );
}

#[test]
fn loading_sample_data_does_not_log_the_sample_password() {
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_plaza"))
        .args(["init-db", "--sample-data", "--bcrypt-cost", "4"])
        .arg("--database-url")
        .arg(data.path().join("plaza.db"))
        .arg("--avatar-dir")
        .arg(data.path().join("avatars"))
        .env("LOG_LEVEL", "debug")
        .current_dir(data.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains("sample data loaded"), "{printed}");
    assert!(!printed.contains(plaza::sample::SAMPLE_PASSWORD), "{printed}");
}

#[test]
fn a_failing_init_db_says_why() {
    let data = tempfile::tempdir().unwrap();
    let blocker = data.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where a directory should be").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_plaza"))
        .arg("init-db")
        .arg("--database-url")
        .arg(blocker.join("plaza.db"))
        .current_dir(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("opening the database"), "{stderr}");
    assert!(
        stderr.contains("not-a-directory"),
        "the cause names the path: {stderr}"
    );
}

#[test]
fn json_logs_are_one_object_a_line_with_the_request_and_no_address_or_secret() {
    let data = tempfile::tempdir().unwrap();
    let plaza = Plaza::start(data.path(), &[], &[("LOG_FORMAT", "json")]).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = &plaza.base;
    let password = "a password nobody logs";
    let registered: serde_json::Value = agent
        .post(format!("{base}/users"))
        .content_type("application/json")
        .send(
            serde_json::json!({
                "username": "jsonlogger",
                "email": "json.logger@example.org",
                "password": password,
            })
            .to_string(),
        )
        .unwrap()
        .body_mut()
        .read_to_string()
        .map(|body| serde_json::from_str(&body).unwrap())
        .unwrap();
    let user_id = registered["id"].as_i64().unwrap();
    let token: serde_json::Value = agent
        .post(format!("{base}/token"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username=jsonlogger&password={}", password.replace(' ', "+")))
        .unwrap()
        .body_mut()
        .read_to_string()
        .map(|body| serde_json::from_str(&body).unwrap())
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    agent
        .get(format!("{base}/users/me"))
        .header("Authorization", format!("Bearer {token}"))
        .call()
        .unwrap();
    agent
        .post(format!("{base}/password-reset"))
        .content_type("application/json")
        .send(serde_json::json!({ "email": "json.logger@example.org" }).to_string())
        .unwrap();
    // Time for the mail worker to write the reset mail (and log whatever it logs about it).
    std::thread::sleep(Duration::from_millis(2_000));
    let log = plaza.drain_log();
    let objects: Vec<serde_json::Value> = log
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    let all = log.join("\n");
    for secret in ["json.logger@example.org", "json.logger", password, &token] {
        assert!(!all.contains(secret), "{secret:?} reached the log: {all}");
    }
    let me: Vec<&serde_json::Value> = objects
        .iter()
        .filter(|object| object["span"]["route"] == "/users/me")
        .collect();
    assert_eq!(me.len(), 1, "one line per request: {all}");
    let line = me[0];
    assert_eq!(line["message"], "request");
    assert_eq!(line["level"], "INFO");
    assert!(line["timestamp"].as_str().is_some_and(|time| time.starts_with("20")), "{line}");
    let request = &line["span"];
    assert_eq!(request["method"], "GET");
    assert_eq!(request["path"], "/users/me");
    assert_eq!(request["status"], 200);
    assert_eq!(request["user_id"], user_id, "{line}");
    assert!(request["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    assert!(
        request["request_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{line}"
    );
    let reset = objects
        .iter()
        .find(|object| object["span"]["route"] == "/password-reset")
        .expect("the reset request is logged");
    assert_eq!(reset["span"]["status"], 202);
    assert!(reset["span"].get("user_id").is_none(), "nobody is signed in: {reset}");
}

#[test]
fn check_config_says_whether_serve_would_start_and_masks_secrets() {
    let data = tempfile::tempdir().unwrap();
    let check = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_plaza"));
        command
            .arg("check-config")
            .env_remove("JWT_SECRET")
            .env_remove("SMTP_URL")
            .env("DATABASE_URL", data.path().join("plaza.db"))
            .current_dir(data.path());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, printed) = check(&[
        ("JWT_SECRET", "a-long-enough-secret-for-the-check-config-test"),
        ("SMTP_URL", "smtps://mailer:mail-password@smtp.example.org:465"),
        ("METRICS_ADDR", "127.0.0.1:9001"),
    ]);
    assert_eq!(code, Some(0), "{printed}");
    assert!(printed.contains("JWT_SECRET=*** (46 bytes)"), "{printed}");
    assert!(
        printed.contains("SMTP_URL=smtps://mailer:***@smtp.example.org:465"),
        "{printed}"
    );
    assert!(printed.contains("METRICS_ADDR=127.0.0.1:9001"), "{printed}");
    assert!(!printed.contains("mail-password") && !printed.contains("a-long-enough-secret"));
    assert!(
        std::fs::read_dir(data.path()).unwrap().next().is_none(),
        "nothing was created"
    );

    let (code, printed) = check(&[("JWT_SECRET", "short"), ("PUBLIC_URL", "plaza.example.org")]);
    assert_eq!(code, Some(1), "{printed}");
    assert!(printed.contains("- JWT_SECRET: 5 bytes long"), "{printed}");
    assert!(printed.contains("- PUBLIC_URL:"), "{printed}");
    assert!(printed.contains("would not start"), "{printed}");
}
