// Each test target that includes this file uses part of it.
#![allow(dead_code)]

//! The `plaza` binary as a child process on a fresh data directory, for tests that need the real process:
//! its log, its signals, its exit code.
//!
//! The binary is the test build's own `plaza`, or the one `PLAZA_BINARY` names: `bench/faults` runs the
//! fault tests on the release build that way.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `plaza serve`, killed when dropped.
pub struct Plaza {
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Every line the process writes to stdout (its log), as it comes.
    pub log: mpsc::Receiver<String>,
}

impl Plaza {
    /// Starts `plaza serve` on a free port over `data` (or over the `DATABASE_URL` of `env`), with `extra`
    /// arguments and environment, and waits until it serves.
    pub fn start(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let mut plaza = Self::spawn(data, extra, env)?;
        let line = plaza
            .wait_for("Plaza listening on ", Duration::from_secs(30))
            .ok_or("plaza did not report its address within 30 s")?;
        plaza.base = after(&line, "Plaza listening on ");
        Ok(plaza)
    }

    /// Starts `plaza serve` like [`start`](Self::start) without waiting for it (`base` is empty).
    pub fn spawn(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let mut command = Command::new(binary());
        if !env.iter().any(|(name, _)| *name == "DATABASE_URL") {
            command.arg("--database-url").arg(data.join("plaza.db"));
        }
        command
            .args([
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--bcrypt-cost",
                "4",
            ])
            .arg("--avatar-dir")
            .arg(data.join("avatars"))
            .args(extra)
            .env("LOG_LEVEL", "info")
            // Tests drive many requests from one address; a test of the limits sets its own.
            .env("RATE_LIMIT_PER_SECOND", "0")
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "0")
            .env_remove("JWT_SECRET")
            .current_dir(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .spawn()
            .map_err(|error| format!("cannot start plaza: {error}"))?;
        let stdout = child.stdout.take().ok_or("plaza has no stdout")?;
        let (lines, log) = mpsc::channel();
        // Keeps reading, so a busy log never blocks the server on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            base: String::new(),
            log,
        })
    }

    /// The first line logged from now on that holds `needle`, waiting at most `timeout`.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Option<String> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self.log.recv_timeout(left).ok()?;
            if line.contains(needle) {
                return Some(line);
            }
        }
    }
}

/// The `plaza` executable the tests start: `PLAZA_BINARY` when set, else the test build's.
pub fn binary() -> std::ffi::OsString {
    std::env::var_os("PLAZA_BINARY").unwrap_or_else(|| env!("CARGO_BIN_EXE_plaza").into())
}

/// The word after `prefix` in `line`: a text line ends it with a space, a JSON one with its closing
/// quote.
pub fn after(line: &str, prefix: &str) -> String {
    line.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split(|c: char| c.is_whitespace() || c == '"').next())
        .unwrap_or_default()
        .trim_end_matches(':')
        .to_owned()
}

impl Plaza {
    /// Everything logged so far.
    pub fn drain_log(&self) -> Vec<String> {
        self.log.try_iter().collect()
    }
}

impl Drop for Plaza {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
