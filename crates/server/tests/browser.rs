//! The web client's journeys in a real headless Chromium: Debian's `chromium`, driven by npm's
//! `playwright-core` from `crates/web/browser-tests`, against the `plaza` binary on a temporary database.
//!
//! A plain `main` (`harness = false`) so that what it prints is never captured: without Chromium, Node.js
//! or `playwright-core` it says so and how to get them, instead of passing silently — and under CI
//! (`CI=true`) a missing piece fails the run.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/smtp_sink.rs"]
mod smtp_sink;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing to run the journeys, if anything.
fn missing_prerequisite(tests: &Path) -> Option<String> {
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|output| output.status.success()) {
        return Some("Node.js (`node`) is not installed".into());
    }
    if !chromium().exists() {
        return Some(format!(
            "Chromium is not at {} (set CHROMIUM_PATH)",
            chromium().display()
        ));
    }
    for package in ["playwright-core", "axe-core"] {
        if !tests.join("node_modules").join(package).exists() {
            return Some(format!("{package} is not installed in {}", tests.display()));
        }
    }
    None
}

fn main() -> ExitCode {
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
    let tests = workspace_root().join("crates/web/browser-tests");
    if let Some(missing) = missing_prerequisite(&tests) {
        if ci {
            eprintln!("browser journeys: FAILED to start under CI: {missing}");
            return ExitCode::FAILURE;
        }
        println!(
            "\nbrowser journeys: SKIPPED — {missing}.\n  To run them: `apt-get install chromium` and \
             `npm ci --prefix crates/web/browser-tests`, then `cargo test --workspace` again.\n"
        );
        return ExitCode::SUCCESS;
    }

    let data = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("browser journeys: no temporary directory: {error}");
            return ExitCode::FAILURE;
        }
    };
    // A real SMTP server for the journeys that read mail (a password reset); without one they are skipped.
    let mail_dir = data.path().join("received-mail");
    let sink = smtp_sink::smtp_server_here("browser journeys that read mail")
        .then(|| smtp_sink::SmtpSink::start(&mail_dir, 0));
    let smtp_url = sink.as_ref().map(smtp_sink::SmtpSink::url);
    let env: Vec<(&str, &str)> = smtp_url.iter().map(|url| ("SMTP_URL", url.as_str())).collect();
    let server = match binary::Plaza::start(data.path(), &[], &env) {
        Ok(started) => started,
        Err(why) => {
            eprintln!("browser journeys: {why}");
            return ExitCode::FAILURE;
        }
    };
    let screenshots = if std::env::var_os("PLAZA_UPDATE_SCREENSHOTS").is_some() {
        workspace_root().join("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    let failures = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("failures");
    let base = server.base.clone();
    println!(
        "\nbrowser journeys against {base} (screenshots in {}, a failed journey's pages in {})",
        screenshots.display(),
        failures.display()
    );
    let run = Command::new("node")
        .arg(tests.join("journeys.mjs"))
        .arg("--base-url")
        .arg(&base)
        .arg("--screenshots")
        .arg(&screenshots)
        .arg("--failure-screenshots")
        .arg(&failures)
        // For the journey that makes an admin from the command line, as an operator would.
        .arg("--plaza-bin")
        .arg(env!("CARGO_BIN_EXE_plaza"))
        .arg("--database-url")
        .arg(data.path().join("plaza.db"))
        .args(
            sink.as_ref()
                .map(|_| vec!["--mail-dir".into(), mail_dir.clone().into_os_string()])
                .unwrap_or_default(),
        )
        .env("CHROMIUM_PATH", chromium())
        .stderr(Stdio::inherit())
        .output();
    drop(server);
    drop(sink);

    let output = match run {
        Ok(output) => output,
        Err(error) => {
            eprintln!("browser journeys: cannot run node: {error}");
            return ExitCode::FAILURE;
        }
    };
    let printed = String::from_utf8_lossy(&output.stdout);
    print!("{printed}");
    // The same summary line as cargo's own test targets, so CI's totals count the journeys too.
    let (passed, failed) = printed
        .lines()
        .rev()
        .find_map(|line| {
            let counts = line.strip_prefix("journeys: ")?;
            let mut numbers = counts
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty());
            Some((
                numbers.next()?.parse::<u32>().ok()?,
                numbers.next()?.parse::<u32>().ok()?,
            ))
        })
        .unwrap_or((0, 1));
    let ok = output.status.success() && failed == 0 && passed > 0;
    println!(
        "test result: {}. {passed} passed; {failed} failed; 0 ignored; 0 measured; 0 filtered out\n",
        if ok { "ok" } else { "FAILED" }
    );
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
