// Each test target that includes this file uses part of it.
#![allow(dead_code)]

//! A real SMTP server for the tests: `smtp_sink.py` beside this file, on Debian's `python3-aiosmtpd`. It
//! keeps every mail it accepts as a JSON file (envelope, decoded headers, text, HTML), which
//! [`SmtpSink::mails`] reads.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python that has `aiosmtpd` (Debian's package installs it for the system's interpreter).
pub const PYTHON: &str = "/usr/bin/python3";

/// Whether the SMTP server can run here. Without it a test says so and stops, as the README's other
/// optional parts do, except under CI (`CI=true`), where that is a failure.
pub fn smtp_server_here(what: &str) -> bool {
    let here = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
    assert!(
        here || !ci,
        "{PYTHON} cannot import aiosmtpd: apt-get install python3-aiosmtpd"
    );
    if !here {
        println!("{what}: SKIPPED — {PYTHON} cannot import aiosmtpd (apt-get install python3-aiosmtpd)");
    }
    here
}

/// A port nothing listens on right now (for a server started later, or never).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// A running SMTP server; stopped when dropped.
pub struct SmtpSink {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    dir: PathBuf,
}

impl SmtpSink {
    /// Starts a server on `port` (0: any free one) keeping mail in `dir`.
    pub fn start(dir: &Path, port: u16) -> Self {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/smtp_sink.py");
        let mut child = Command::new(PYTHON)
            .arg(script)
            .arg(dir)
            .arg("--port")
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the test SMTP server starts");
        let stdin = child.stdin.take().expect("its stdin");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("the test SMTP server reports its port");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the test SMTP server said {line:?}"));
        Self {
            child,
            _stdin: stdin,
            port,
            dir: dir.to_path_buf(),
        }
    }

    /// `SMTP_URL` for it.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every mail kept in `dir` so far, in the order they arrived.
pub fn mails(dir: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
        .iter()
        .map(|path| serde_json::from_slice(&std::fs::read(path).expect("a kept mail")).expect("its JSON"))
        .collect()
}

/// Whether a kept mail holds a password reset link.
pub fn is_reset(mail: &serde_json::Value) -> bool {
    mail["text"]
        .as_str()
        .is_some_and(|text| text.contains("/#/reset-password?token="))
}

/// The password reset mails kept in `dir` so far (accounts are also mailed a verification link).
pub fn reset_mails(dir: &Path) -> Vec<serde_json::Value> {
    mails(dir).into_iter().filter(is_reset).collect()
}

/// The password reset mails in `dir` once there are at least `count` (waiting up to `within`); panics if
/// they do not come.
pub fn wait_for_mails(dir: &Path, count: usize, within: Duration) -> Vec<serde_json::Value> {
    let start = Instant::now();
    loop {
        let kept = reset_mails(dir);
        if kept.len() >= count {
            return kept;
        }
        assert!(
            start.elapsed() < within,
            "{} mails arrived within {within:?}, not {count}",
            kept.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The token of the reset link in a kept mail's text.
pub fn reset_token(mail: &serde_json::Value) -> String {
    let text = mail["text"].as_str().expect("a text part");
    text.split("/#/reset-password?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no reset link in {text}"))
        .to_owned()
}
