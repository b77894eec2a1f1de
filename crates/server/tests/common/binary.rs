// Each test target that includes this file uses part of it.
#![allow(dead_code)]

//! The `plaza` binary as a child process on a fresh data directory, for tests that need the real process:
//! its log, its signals, its exit code.

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
    /// Starts `plaza serve` on a free port over `data`, with `extra` arguments and environment.
    pub fn start(data: &Path, extra: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plaza"));
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
            .arg("--database-url")
            .arg(data.join("plaza.db"))
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
        loop {
            let line = log
                .recv_timeout(Duration::from_secs(30))
                .map_err(|_| "plaza did not report its address within 30 s".to_owned())?;
            if let Some(address) = line.split("listening on ").nth(1) {
                let base = address.split_whitespace().next().unwrap_or_default().to_owned();
                return Ok(Self { child, base, log });
            }
        }
    }

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
