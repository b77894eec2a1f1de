//! Driving load with `wrk` (Debian's package) and reading its figures.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::seed::Tokens;

/// What one wrk run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Measured {
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub non_2xx: u64,
    /// Socket errors of any kind: connect, read, write, timeout.
    pub errors: u64,
    pub timeouts: u64,
    /// Responses that were 2xx or 3xx.
    pub ok_responses: u64,
}

pub fn check_installed() -> anyhow::Result<()> {
    match Command::new("wrk").arg("--version").output() {
        Ok(_) => Ok(()),
        Err(_) => bail!("wrk is not installed (Debian: apt-get install wrk)"),
    }
}

/// The same connections and duration for every scenario.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub seconds: u32,
    pub connections: u32,
}

impl Load {
    fn command(&self) -> Command {
        let mut command = Command::new("wrk");
        command.args([
            "-t2".to_owned(),
            format!("-c{}", self.connections),
            format!("-d{}s", self.seconds),
            "--latency".to_owned(),
            "--timeout".to_owned(),
            "10s".to_owned(),
        ]);
        command
    }

    /// GETs `url`, with a bearer token when given.
    pub fn get(&self, url: &str, token: Option<&str>) -> anyhow::Result<Measured> {
        let mut command = self.command();
        if let Some(token) = token {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        run(command.arg(url))
    }

    /// Runs a Lua script (writes, rotating tokens) against `url`.
    pub fn script(&self, url: &str, script: &Path) -> anyhow::Result<Measured> {
        let mut command = self.command();
        command.arg("-s").arg(script);
        run(command.arg(url))
    }
}

fn run(command: &mut Command) -> anyhow::Result<Measured> {
    let output = command.output().context("cannot run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || !text.contains("Requests/sec") {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(parse(&text))
}

/// Reads wrk's report.
pub fn parse(text: &str) -> Measured {
    let number_after = |label: &str| -> Option<f64> {
        let line = text.lines().find(|line| line.trim_start().starts_with(label))?;
        line.trim_start()[label.len()..]
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    };
    let latency = |percent: &str| -> f64 {
        text.lines()
            .find_map(|line| {
                let mut parts = line.split_whitespace();
                (parts.next()? == percent).then(|| parts.next())?
            })
            .map_or(0.0, to_ms)
    };
    let requests = text
        .lines()
        .find(|line| line.contains("requests in"))
        .and_then(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    let non_2xx = number_after("Non-2xx or 3xx responses:").map_or(0, |n| n as u64);
    let (errors, timeouts) = text
        .lines()
        .find(|line| line.contains("Socket errors:"))
        .map(|line| {
            let numbers: Vec<u64> = line
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse().ok())
                .collect();
            (numbers.iter().sum(), numbers.last().copied().unwrap_or(0))
        })
        .unwrap_or((0, 0));
    Measured {
        requests,
        requests_per_second: number_after("Requests/sec:").unwrap_or(0.0),
        p50_ms: latency("50%"),
        p99_ms: latency("99%"),
        non_2xx,
        errors,
        timeouts,
        ok_responses: requests.saturating_sub(non_2xx),
    }
}

/// `1.23ms`, `456.78us`, `1.02s` in milliseconds.
fn to_ms(value: &str) -> f64 {
    let (number, factor) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().map_or(0.0, |n| n * factor)
}

/// The Lua scripts of the write scenarios.
pub struct Scripts {
    pub comment: PathBuf,
    pub ticket: PathBuf,
    pub login: PathBuf,
}

impl Scripts {
    pub fn write(dir: &Path, signed_in: &Tokens, login: &(String, String)) -> anyhow::Result<Self> {
        let tokens = signed_in
            .fan_out
            .iter()
            .map(|token| format!("\"{token}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let comment = dir.join("comment.lua");
        fs::write(
            &comment,
            format!(
                r#"local tokens = {{{tokens}}}
local i = math.random(1, #tokens)
request = function()
  i = i % #tokens + 1
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[i]}}, '{{"content":"benchmark comment"}}')
end
"#
            ),
        )?;
        let ticket = dir.join("ticket.lua");
        fs::write(
            &ticket,
            format!(
                r#"wrk.method = "POST"
wrk.body = '{{"quantity":1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {}"
"#,
                signed_in.ticket
            ),
        )?;
        // Logins come from many clients behind one trusted proxy (the server trusts 127.0.0.1): one
        // address may only have one login in progress at a time.
        let login_script = dir.join("login.lua");
        fs::write(
            &login_script,
            format!(
                r#"local n = 0
request = function()
  n = n + 1
  local client = "10." .. (n % 200) .. "." .. (math.floor(n / 200) % 250) .. ".1"
  return wrk.format("POST", nil, {{["Content-Type"] = "application/x-www-form-urlencoded", ["X-Forwarded-For"] = client}}, "username={}&password={}")
end
"#,
                login.0, login.1
            ),
        )?;
        Ok(Self {
            comment,
            ticket,
            login: login_script,
        })
    }
}

/// Scans at the door: each request checks in the next code of `codes` (wrk's two threads take alternate
/// ones) with a nonce of that code's own. Once the codes run out they come round again with the same
/// nonces: retried scans, answered as the first ones were (`200`, a read instead of a write).
pub fn check_in_script(dir: &Path, door: &str, codes: &[String]) -> anyhow::Result<PathBuf> {
    let list = codes
        .iter()
        .map(|code| format!("\"{code}\""))
        .collect::<Vec<_>>()
        .join(",\n");
    let script = dir.join("check-in.lua");
    fs::write(
        &script,
        format!(
            r#"local codes = {{{list}}}
local n = 0
local threads = 0
setup = function(thread)
  thread:set("first", threads)
  threads = threads + 1
end
init = function(args)
  n = first or 0
end
request = function()
  n = n + 2
  local i = (n % #codes) + 1
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {door}"}}, '{{"code":"' .. codes[i] .. '","nonce":"bench-' .. i .. '"}}')
end
"#
        ),
    )?;
    Ok(script)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_wrk_report() {
        let report = "Running 5s test @ http://127.0.0.1:1/health
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.23ms    2.00ms  50.00ms   90.00%
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.10ms
     99%   12.34ms
  123456 requests in 5.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:  24691.20
Transfer/sec:      4.00MB
";
        let measured = parse(report);
        assert_eq!(measured.requests, 123_456);
        assert!((measured.requests_per_second - 24_691.2).abs() < 0.01);
        assert!((measured.p50_ms - 0.812).abs() < 1e-9);
        assert!((measured.p99_ms - 12.34).abs() < 1e-9);
        assert_eq!((measured.non_2xx, measured.errors, measured.timeouts), (7, 5, 3));
        assert_eq!(measured.ok_responses, 123_449);
    }
}
