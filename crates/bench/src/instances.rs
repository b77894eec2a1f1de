//! Two instances on one PostgreSQL database against one (`plaza-bench --two-instances`): whether a second
//! instance adds throughput or only contention. On the community an earlier run seeded (`--data`), each
//! scenario runs against one instance with all the connections, then against both at once, each given
//! half of them by a `wrk` of its own; the two rates are added.

use std::path::Path;

use anyhow::{Context, bail};
use serde::Serialize;

use crate::wrk::{Load, Measured, Scripts};
use crate::{Options, Seeded, Server, seed};

/// One scenario against one instance and against two.
#[derive(Debug, Clone, Serialize)]
pub struct Compared {
    pub name: String,
    pub request: String,
    pub one: Measured,
    /// Each instance's share when both ran.
    pub both: [Measured; 2],
}

impl Compared {
    /// Requests/s of both together, as a share of one alone's.
    pub fn gain(&self) -> f64 {
        let both: f64 = self.both.iter().map(|m| m.requests_per_second).sum();
        both / self.one.requests_per_second.max(f64::MIN_POSITIVE)
    }
}

/// How a scenario is driven: a GET (with a token, maybe) or a Lua script.
enum Request<'a> {
    Get(Option<&'a str>),
    Script(&'a Path),
}

fn drive(load: Load, url: &str, request: &Request<'_>) -> anyhow::Result<Measured> {
    match request {
        Request::Get(token) => load.get(url, *token),
        Request::Script(script) => load.script(url, script),
    }
}

/// Runs the comparison on `options.data` (seeded already) and `options.database_url`.
pub fn compare(options: &Options) -> anyhow::Result<Vec<Compared>> {
    let (Some(data), Some(url)) = (&options.data, &options.database_url) else {
        bail!("--two-instances needs --database-url and the --data of a run that seeded it");
    };
    let seeded: Seeded = serde_json::from_str(
        &std::fs::read_to_string(data.join("seeded.json"))
            .context("--two-instances reuses a seeded community: run plaza-bench with this --data first")?,
    )?;
    let cost = [("BCRYPT_COST", "12")];
    let first = Server::start_logging_to(&options.plaza, data, Some(url), &cost, "server.log")?;
    let second = Server::start_logging_to(&options.plaza, data, Some(url), &cost, "server-2.log")?;
    let tokens = seed::sign_in(&first.base, &seeded)?;
    let scripts = Scripts::write(data, &tokens, &seed::bcrypt_user(&first.base)?)?;
    let whole = Load {
        seconds: options.seconds,
        connections: options.connections,
    };
    let half = Load {
        connections: (options.connections / 2).max(1),
        ..whole
    };
    let scenarios: Vec<(&str, String, Request<'_>)> = vec![
        ("health", "/health".into(), Request::Get(None)),
        ("event page", "/events/?limit=10".into(), Request::Get(None)),
        (
            "event by id",
            format!("/events/{}", seeded.plain_event),
            Request::Get(None),
        ),
        (
            "search, common word (~40%)",
            format!("/events/?search={}&limit=10", seed::COMMON_WORD),
            Request::Get(None),
        ),
        (
            "notifications of the busiest inbox",
            "/notifications/".into(),
            Request::Get(Some(&tokens.inbox)),
        ),
        (
            "comment, 50-recipient fan-out",
            format!("/comments/{}", seeded.fan_out_event),
            Request::Script(&scripts.comment),
        ),
        (
            "ticket purchase",
            format!("/events/{}/tickets", seeded.ticket_event),
            Request::Script(&scripts.ticket),
        ),
    ];
    let mut compared = Vec::new();
    for (name, path, request) in scenarios {
        let one = drive(whole, &format!("{}{path}", first.base), &request)?;
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| drive(half, &format!("{}{path}", second.base), &request));
            let mine = drive(half, &format!("{}{path}", first.base), &request);
            (mine, other.join().expect("wrk's thread does not panic"))
        });
        let result = Compared {
            name: name.to_owned(),
            request: path,
            one,
            both: [a?, b?],
        };
        println!(
            "  {name:<40} one {:>7.0} req/s (p99 {:>7.2} ms)   two {:>7.0} + {:>7.0} req/s (p99 {:>7.2} / {:>7.2} ms)   {:.2}×",
            result.one.requests_per_second,
            result.one.p99_ms,
            result.both[0].requests_per_second,
            result.both[1].requests_per_second,
            result.both[0].p99_ms,
            result.both[1].p99_ms,
            result.gain()
        );
        compared.push(result);
    }
    first.stop()?;
    second.stop()?;
    Ok(compared)
}

/// The comparison as a Markdown table.
pub fn table(compared: &[Compared]) -> String {
    let mut out = String::from(
        "| scenario | request | one instance: req/s | p99 ms | two instances: req/s (sum) | p99 ms (worse) | two ÷ one | non-2xx |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for c in compared {
        let both: f64 = c.both.iter().map(|m| m.requests_per_second).sum();
        let p99 = c.both.iter().map(|m| m.p99_ms).fold(0.0, f64::max);
        let non_2xx = c.one.non_2xx + c.both.iter().map(|m| m.non_2xx).sum::<u64>();
        out.push_str(&format!(
            "| {} | `{}` | {:.0} | {:.1} | {:.0} | {:.1} | {:.2}× | {} |\n",
            c.name,
            c.request,
            c.one.requests_per_second,
            c.one.p99_ms,
            both,
            p99,
            c.gain(),
            non_2xx
        ));
    }
    out
}
