//! Plaza's load benchmark: the release `plaza` binary on a temporary database, seeded through its own API
//! (so the data is exactly what the API writes), then driven scenario by scenario with `wrk`, every scenario
//! with the same connections and duration, `GET /health` in the same run as the ceiling.
//!
//! Per scenario it reports requests/s, p50, p99, non-2xx responses, socket errors and timeouts, and the
//! ratio to `/health`; over the run, the server's peak resident memory. `--smoke` runs the same on a small
//! data set for a second per scenario, so that CI keeps the benchmark from rotting.

pub mod bulk;
pub mod instances;
pub mod seed;
pub mod wrk;

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde::Serialize;

pub use seed::{Seeded, Sizes};
pub use wrk::{Load, Measured};

/// How to run the benchmark.
#[derive(Debug, Clone)]
pub struct Options {
    /// The `plaza` binary to measure.
    pub plaza: PathBuf,
    pub sizes: Sizes,
    /// Seconds per scenario.
    pub seconds: u32,
    /// wrk connections (and `-t2` threads) for every scenario.
    pub connections: u32,
    /// Where to write the results as JSON.
    pub json: Option<PathBuf>,
    /// A data directory to keep (seeded once, reused by later runs) instead of a temporary one.
    pub data: Option<PathBuf>,
    /// A PostgreSQL database to measure instead of a SQLite file in the data directory (it must be
    /// empty on the first run; with `data`, later runs reuse what it holds).
    pub database_url: Option<String>,
}

impl Options {
    /// The full run: 100,000 events, 5 s a scenario, 64 connections.
    pub fn full(plaza: PathBuf) -> Self {
        Self {
            plaza,
            sizes: Sizes::full(),
            seconds: 5,
            connections: 64,
            json: None,
            data: None,
            database_url: None,
        }
    }

    /// A small data set and a second a scenario: for CI.
    pub fn smoke(plaza: PathBuf) -> Self {
        Self {
            plaza,
            sizes: Sizes::smoke(),
            seconds: 1,
            connections: 8,
            json: None,
            data: None,
            database_url: None,
        }
    }
}

/// One scenario's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Scenario {
    pub name: String,
    pub request: String,
    #[serde(flatten)]
    pub measured: Measured,
    /// Requests/s as a share of `/health`'s.
    pub ratio_to_health: f64,
    /// The server's peak resident memory over its life when the scenario ended (`VmHWM`): the scenario
    /// during which it last rose (or the steps just before it) set the run's peak.
    pub rss_high_water_mib: f64,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub machine: String,
    pub sizes: Sizes,
    pub seconds: u32,
    pub connections: u32,
    pub seeding_seconds: f64,
    pub scenarios: Vec<Scenario>,
    /// Comments per second in each second of the comment scenario.
    pub comments_per_second: Vec<u64>,
    /// A single-row read alone, and while common-word searches run, and while two-word searches run.
    pub read_alone: Measured,
    pub read_during_common_searches: Measured,
    pub read_during_two_word_searches: Measured,
    pub peak_rss_mib: f64,
    /// Tickets sold during the purchase scenario, against what the purchases answered `200` bought.
    pub tickets_sold: i64,
    pub tickets_acknowledged: i64,
    /// Cancellations per second when each hands its place to the next on a waitlist.
    #[serde(default)]
    pub waitlist_fills_per_second: f64,
}

/// A `plaza serve` child on a data directory, its log in a file.
pub struct Server {
    child: Child,
    pub base: String,
    pub pid: u32,
}

impl Server {
    /// Starts `plaza` on `database_url`, or on a SQLite file in `data` when there is none.
    pub fn start(
        plaza: &Path,
        data: &Path,
        database_url: Option<&str>,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        Self::start_logging_to(plaza, data, database_url, env, "server.log")
    }

    /// [`start`](Self::start), its log in `data/<log_name>` (several instances on one data directory).
    pub fn start_logging_to(
        plaza: &Path,
        data: &Path,
        database_url: Option<&str>,
        env: &[(&str, &str)],
        log_name: &str,
    ) -> anyhow::Result<Self> {
        let log_path = data.join(log_name);
        let log = fs::File::create(&log_path)?;
        let mut command = Command::new(plaza);
        command
            .args(["serve", "--host", "127.0.0.1", "--port", "0"])
            .arg("--database-url")
            .arg(database_url.map_or_else(|| data.join("plaza.db").into_os_string(), Into::into))
            .arg("--avatar-dir")
            .arg(data.join("avatars"))
            // The benchmark drives all its load from one address: the per-client limits are for the
            // internet, not for it.
            .env("RATE_LIMIT_PER_SECOND", "0")
            .env("RATE_LIMIT_AUTH_PER_MINUTE", "0")
            .env("MAX_CONNECTIONS_PER_CLIENT", "0")
            .env("SHUTDOWN_DRAIN_SECS", "0")
            // The login scenario stands for many clients behind a proxy on this address.
            .env("TRUSTED_PROXIES", "127.0.0.1")
            .env_remove("JWT_SECRET")
            .env_remove("DATABASE_URL")
            .current_dir(data)
            .stdout(Stdio::from(log))
            .stderr(Stdio::inherit());
        if database_url.is_some() {
            // Instances on PostgreSQL sign tokens with a secret they are given.
            command.env("JWT_SECRET", "the-benchmark's-own-secret-of-enough-bytes");
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", plaza.display()))?;
        let pid = child.id();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let file = fs::File::open(&log_path)?;
            let found = BufReader::new(file)
                .lines()
                .map_while(Result::ok)
                .find_map(|line| {
                    line.split("listening on ")
                        .nth(1)
                        .and_then(|rest| rest.split_whitespace().next().map(str::to_owned))
                });
            if let Some(base) = found {
                return Ok(Self { child, base, pid });
            }
            if Instant::now() > deadline {
                bail!("plaza did not start within 120 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server with SIGTERM and waits for it.
    pub fn stop(mut self) -> anyhow::Result<()> {
        Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of `pid` now, and the peak over its life, in KiB (Linux `/proc`).
fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let model = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!("{cores} cores, {model}; load generator on the same machine")
}

/// Runs the whole benchmark.
pub fn run(options: &Options) -> anyhow::Result<Report> {
    wrk::check_installed()?;
    let temporary = tempfile::tempdir()?;
    let data = options
        .data
        .clone()
        .unwrap_or_else(|| temporary.path().to_path_buf());
    fs::create_dir_all(&data)?;
    let seeded_file = data.join("seeded.json");
    let started = Instant::now();
    let seeded = match fs::read_to_string(&seeded_file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
    {
        Some(seeded) => {
            println!("reusing the community seeded in {}", data.display());
            seeded
        }
        None if data.join("plaza.db").exists() => bail!(
            "{} holds a database but no seeded.json this benchmark can read (an older version's?): \
             remove the directory or choose another",
            data.display()
        ),
        None => {
            // PostgreSQL's accounts and plain events go through the store: through the API a million
            // took 26.7 minutes (the `bulk` module says why).
            let stored = match &options.database_url {
                Some(url) => {
                    println!(
                        "seeding {:?}: accounts and plain events through the store …",
                        options.sizes
                    );
                    Some(bulk::seed(url, &options.sizes)?)
                }
                None => None,
            };
            println!("seeding {:?} through the API …", options.sizes);
            // Accounts are seeded at bcrypt cost 4 (a hash keeps the cost it was made with); the measured
            // server then runs at the production cost, 12.
            let seeding = Server::start(
                &options.plaza,
                &data,
                options.database_url.as_deref(),
                &[("BCRYPT_COST", "4")],
            )?;
            let seeded = seed::seed(&seeding.base, &options.sizes, stored)?;
            seeding.stop()?;
            fs::write(&seeded_file, serde_json::to_string(&seeded)?)?;
            seeded
        }
    };
    let seeding_seconds = started.elapsed().as_secs_f64();
    println!("seeded in {seeding_seconds:.1} s");

    let server = Server::start(
        &options.plaza,
        &data,
        options.database_url.as_deref(),
        &[("BCRYPT_COST", "12")],
    )?;
    let base = server.base.clone();
    let login_user = seed::bcrypt_user(&base)?;

    let peak = Arc::new(AtomicU64::new(0));
    let watching = Arc::new(AtomicBool::new(true));
    let watcher = {
        let (peak, watching, pid) = (peak.clone(), watching.clone(), server.pid);
        std::thread::spawn(move || {
            while watching.load(Ordering::SeqCst) {
                if let Some((rss, _)) = memory_kib(pid) {
                    peak.fetch_max(rss, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    let load = Load {
        seconds: options.seconds,
        connections: options.connections,
    };
    let tokens = seed::sign_in(&base, &seeded)?;
    let scripts = wrk::Scripts::write(&data, &tokens, &login_user)?;
    let mut scenarios = Vec::new();
    let server_pid = server.pid;
    let mut measure = |name: &str, request: String, measured: Measured| {
        let high_water_mib = memory_kib(server_pid).map_or(0.0, |(_, hwm)| hwm as f64 / 1024.0);
        println!(
            "  {name:<40} {:>10.0} req/s  p50 {:>7.2} ms  p99 {:>8.2} ms  non-2xx {}  errors {}  peak RSS so far {high_water_mib:.1} MiB",
            measured.requests_per_second, measured.p50_ms, measured.p99_ms, measured.non_2xx, measured.errors
        );
        scenarios.push((name.to_owned(), request, measured, high_water_mib));
    };
    let health = format!("{base}/health");
    measure("health", "GET /health".into(), load.get(&health, None)?);
    let events_page = format!("{base}/events/?limit=10");
    measure(
        "event page",
        "GET /events/?limit=10".into(),
        load.get(&events_page, None)?,
    );
    let deep = format!("{base}/events/?skip={}&limit=10", seeded.deep_skip);
    measure(
        "deep event page",
        format!("GET /events/?skip={}&limit=10", seeded.deep_skip),
        load.get(&deep, None)?,
    );
    let rare = format!("{base}/events/?search={}&limit=10", seed::RARE_WORD);
    measure(
        "search, rare word (1%)",
        format!("GET /events/?search={}&limit=10", seed::RARE_WORD),
        load.get(&rare, None)?,
    );
    let common = format!("{base}/events/?search={}&limit=10", seed::COMMON_WORD);
    measure(
        "search, common word (~40%)",
        format!("GET /events/?search={}&limit=10", seed::COMMON_WORD),
        load.get(&common, None)?,
    );
    let cjk = format!("{base}/events/?search={}&limit=10", seed::CJK_QUERY_ENCODED);
    measure(
        "search, Chinese pair",
        format!("GET /events/?search={}&limit=10", seed::CJK_QUERY),
        load.get(&cjk, None)?,
    );
    let two_words = format!(
        "{base}/events/?search={}&limit=10",
        seed::TWO_COMMON_WORDS_ENCODED
    );
    measure(
        "search, two common words (~14%)",
        format!("GET /events/?search={}&limit=10", seed::TWO_COMMON_WORDS),
        load.get(&two_words, None)?,
    );
    let event = format!("{base}/events/{}", seeded.plain_event);
    measure(
        "event by id",
        format!("GET /events/{}", seeded.plain_event),
        load.get(&event, None)?,
    );
    let event_ics = format!("{base}/events/{}/calendar.ics", seeded.plain_event);
    measure(
        "event as a calendar file",
        format!("GET /events/{}/calendar.ics", seeded.plain_event),
        load.get(&event_ics, None)?,
    );
    let upcoming_ics = format!("{base}/events/calendar.ics");
    measure(
        "calendar feed, upcoming (500 events)",
        "GET /events/calendar.ics".into(),
        load.get(&upcoming_ics, None)?,
    );
    let searched_ics = format!("{base}/events/calendar.ics?search={}", seed::COMMON_WORD);
    measure(
        "calendar feed, common word (500 events)",
        format!("GET /events/calendar.ics?search={}", seed::COMMON_WORD),
        load.get(&searched_ics, None)?,
    );
    let user = format!("{base}/users/{}", seeded.some_user);
    measure(
        "user by id",
        format!("GET /users/{}", seeded.some_user),
        load.get(&user, None)?,
    );
    let comments = format!(
        "{base}/comments/{}?skip={}&limit=50",
        seeded.busy_event, seeded.busy_skip
    );
    measure(
        "deep comment page",
        format!(
            "GET /comments/{}?skip={}&limit=50",
            seeded.busy_event, seeded.busy_skip
        ),
        load.get(&comments, None)?,
    );
    let inbox = format!("{base}/notifications/");
    measure(
        "notifications of the busiest inbox",
        "GET /notifications/ (Bearer)".into(),
        load.get(&inbox, Some(&tokens.inbox))?,
    );

    let comments_per_second = Arc::new(std::sync::Mutex::new(Vec::new()));
    let counting = Arc::new(AtomicBool::new(true));
    let counter = {
        let (base, event, out, counting) = (
            base.clone(),
            seeded.fan_out_event,
            comments_per_second.clone(),
            counting.clone(),
        );
        std::thread::spawn(move || seed::count_comments_each_second(&base, event, &counting, &out))
    };
    let comment_url = format!("{base}/comments/{}", seeded.fan_out_event);
    let posted = load.script(&comment_url, &scripts.comment)?;
    counting.store(false, Ordering::SeqCst);
    let _ = counter.join();
    measure(
        &format!("comment, {}-recipient fan-out", seeded.fan_out_recipients),
        format!("POST /comments/{}", seeded.fan_out_event),
        posted,
    );

    let tickets_url = format!("{base}/events/{}/tickets", seeded.ticket_event);
    let sold_before = seed::tickets_sold(&base, seeded.ticket_event)?;
    let bought = load.script(&tickets_url, &scripts.ticket)?;
    let tickets_acknowledged = i64::try_from(bought.ok_responses).unwrap_or(i64::MAX);
    measure(
        "ticket purchase",
        format!("POST /events/{}/tickets", seeded.ticket_event),
        bought,
    );
    let tickets_sold = seed::tickets_sold(&base, seeded.ticket_event)? - sold_before;

    let mine = format!("{base}/users/me/tickets?limit=10");
    measure(
        &format!("my tickets, a holder of {tickets_sold}+"),
        "GET /users/me/tickets?limit=10 (Bearer)".into(),
        load.get(&mine, Some(&tokens.ticket))?,
    );
    let private_ics = format!("{base}{}", seed::calendar_path(&base, &tokens.ticket)?);
    measure(
        &format!("private calendar, a holder of {tickets_sold}+"),
        "GET /calendar/{secret}.ics".into(),
        load.get(&private_ics, None)?,
    );
    let attendees = format!("{base}/events/{}/attendees?limit=10", seeded.ticket_event);
    measure(
        &format!("attendee page, an event of {tickets_sold}+ tickets"),
        format!("GET /events/{}/attendees?limit=10 (owner)", seeded.ticket_event),
        load.get(&attendees, Some(&tokens.door))?,
    );
    let export = seed::csv_export(
        &format!("{base}/events/{}/attendees", seeded.ticket_event),
        &tokens.door,
        || memory_kib(server.pid).map(|(rss, _)| rss),
    )?;
    println!(
        "  attendee CSV: {} rows, {:.1} MiB in {:.0} ms; server RSS {:.1} MiB before, at most {:.1} MiB while streaming",
        export.rows,
        export.bytes as f64 / 1_048_576.0,
        export.millis,
        export.rss_before_kib as f64 / 1024.0,
        export.rss_peak_kib as f64 / 1024.0
    );
    let codes = seed::ticket_codes(&base, &tokens.ticket, 60_000)?;
    anyhow::ensure!(!codes.is_empty(), "the purchases left no ticket to check in");
    let door = format!("{base}/events/{}/check-ins", seeded.ticket_event);
    let check_in_script = wrk::check_in_script(&data, &tokens.door, &codes)?;
    let scanned = load.script(&door, &check_in_script)?;
    println!(
        "  check-in: {} codes, {} scans: {} first scans, the rest retried scans",
        codes.len(),
        scanned.requests,
        scanned.requests.min(codes.len() as u64)
    );
    measure(
        "check-in at the door",
        format!("POST /events/{}/check-ins", seeded.ticket_event),
        scanned,
    );

    // People in charge, and the public log of what they did.
    let database = options
        .database_url
        .clone()
        .map_or_else(|| data.join("plaza.db").into_os_string(), Into::into);
    let moderation = seed::moderation(&options.plaza, &database, &base, options.sizes.role_changes)?;
    println!(
        "  moderation: {} role changes given, the log holds {} entries; {} reports filed, {} open",
        options.sizes.role_changes, moderation.logged, moderation.filed, moderation.open_reports
    );
    let modlog = format!("{base}/modlog?limit=20");
    measure(
        "moderation log, first page",
        "GET /modlog?limit=20".into(),
        load.get(&modlog, None)?,
    );
    let staff = format!("{base}/users/?role=moderator&limit=20");
    measure(
        "staff list (moderators)",
        "GET /users/?role=moderator&limit=20".into(),
        load.get(&staff, None)?,
    );
    let reports = format!("{base}/reports?limit=20");
    measure(
        "reports queue, first page",
        "GET /reports?limit=20 (as an admin)".into(),
        load.get(&reports, Some(&moderation.admin_token))?,
    );

    // Members past those the scenarios act as (fan-out commenters, the inbox, the talkers) wait.
    let waiting = options
        .sizes
        .users
        .saturating_sub(options.sizes.fan_out_commenters + 40)
        .min(500);
    let fills = seed::waitlist_fills(
        &base,
        &tokens.door,
        &tokens.ticket,
        options.sizes.fan_out_commenters + 40,
        waiting,
    )?;
    println!(
        "  waitlist: {} cancellations, each handing its place to the next in line, in {:.0} ms ({:.0}/s)",
        fills.fills,
        fills.millis,
        fills.fills as f64 * 1000.0 / fills.millis.max(0.001)
    );
    let login = load.script(&format!("{base}/token"), &scripts.login)?;
    measure("login (bcrypt cost 12, by design)", "POST /token".into(), login);

    let half = Load {
        connections: (options.connections / 2).max(1),
        ..load
    };
    let alone = half.get(&event, None)?;
    let during = |searches: &str| -> anyhow::Result<Measured> {
        let (searches, half) = (searches.to_owned(), half);
        let searching = std::thread::spawn(move || half.get(&searches, None));
        let read = half.get(&event, None)?;
        searching
            .join()
            .map_err(|_| anyhow!("the search load panicked"))??;
        Ok(read)
    };
    let during_common = during(&common)?;
    let during_two_words = during(&two_words)?;
    for (what, measured) in [("common-word", &during_common), ("two-word", &during_two_words)] {
        println!(
            "  single-row read p99 alone {:.2} ms, while {what} searches run {:.2} ms ({:.1}×)",
            alone.p99_ms,
            measured.p99_ms,
            measured.p99_ms / alone.p99_ms.max(0.001)
        );
    }

    watching.store(false, Ordering::SeqCst);
    let _ = watcher.join();
    let peak_kib = memory_kib(server.pid).map_or(peak.load(Ordering::SeqCst), |(_, hwm)| {
        hwm.max(peak.load(Ordering::SeqCst))
    });
    server.stop()?;

    let health_rps = scenarios
        .first()
        .map_or(1.0, |(_, _, measured, _)| measured.requests_per_second.max(1.0));
    let report = Report {
        machine: machine(),
        sizes: options.sizes.clone(),
        seconds: options.seconds,
        connections: options.connections,
        seeding_seconds,
        scenarios: scenarios
            .into_iter()
            .map(|(name, request, measured, rss_high_water_mib)| Scenario {
                ratio_to_health: measured.requests_per_second / health_rps,
                name,
                request,
                measured,
                rss_high_water_mib,
            })
            .collect(),
        comments_per_second: comments_per_second.lock().map(|v| v.clone()).unwrap_or_default(),
        read_alone: alone,
        read_during_common_searches: during_common,
        read_during_two_word_searches: during_two_words,
        peak_rss_mib: peak_kib as f64 / 1024.0,
        tickets_sold,
        tickets_acknowledged,
        waitlist_fills_per_second: fills.fills as f64 * 1000.0 / fills.millis.max(0.001),
    };
    if let Some(path) = &options.json {
        fs::write(path, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(report)
}

/// The report as a Markdown table, as docs/performance.md shows it.
pub fn table(report: &Report) -> String {
    let mut out = String::from(
        "| scenario | request | req/s | ratio to /health | p50 ms | p99 ms | non-2xx | errors |\n|---|---|---|---|---|---|---|---|\n",
    );
    for s in &report.scenarios {
        out.push_str(&format!(
            "| {} | `{}` | {:.0} | {:.1}% | {:.2} | {:.2} | {} | {} |\n",
            s.name,
            s.request,
            s.measured.requests_per_second,
            100.0 * s.ratio_to_health,
            s.measured.p50_ms,
            s.measured.p99_ms,
            s.measured.non_2xx,
            s.measured.errors
        ));
    }
    out.push_str(&format!(
        "\nPeak RSS of the server over the run: {:.1} MiB. Tickets sold {}, purchases acknowledged {} (any difference: purchases still in flight when wrk stopped). Comments per second, second by second: {:?}.\n",
        report.peak_rss_mib, report.tickets_sold, report.tickets_acknowledged, report.comments_per_second
    ));
    out
}
