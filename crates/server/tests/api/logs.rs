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
