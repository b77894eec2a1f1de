//! Prometheus metrics of the real binary (a process of its own, so every count is this test's): the
//! exposition passes `promtool check metrics` (Debian's `prometheus` package), and each request moves
//! exactly the series it should.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::binary::Plaza;

const SECRET: &str = "a-test-secret-shared-by-every-instance-0123";

struct Observed {
    plaza: Plaza,
    agent: ureq::Agent,
    metrics: String,
    _data: tempfile::TempDir,
}

/// The binary with metrics on a free port, on this suite's store.
fn start() -> Option<Observed> {
    let data = tempfile::tempdir().unwrap();
    let database = if crate::ON_POSTGRES {
        Some(plaza_infra_postgres::testing::fresh_database()?)
    } else {
        None
    };
    let mut env = vec![
        ("METRICS_ADDR", "127.0.0.1:0"),
        // Three registrations from one address, then `429`.
        ("RATE_LIMIT_AUTH_PER_MINUTE", "1"),
    ];
    if let Some(url) = &database {
        env.push(("DATABASE_URL", url));
        env.push(("JWT_SECRET", SECRET));
    }
    let plaza = Plaza::start(data.path(), &[], &env).unwrap();
    let metrics = loop {
        let line = plaza
            .log
            .recv_timeout(Duration::from_secs(30))
            .expect("the metrics address is logged");
        if let Some(address) = line.split("metrics listening on ").nth(1) {
            break address.split_whitespace().next().unwrap().to_owned();
        }
    };
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    Some(Observed {
        plaza,
        agent,
        metrics,
        _data: data,
    })
}

impl Observed {
    fn scrape(&self) -> String {
        let mut response = self.agent.get(&self.metrics).call().unwrap();
        assert_eq!(response.status(), 200);
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        response.body_mut().read_to_string().unwrap()
    }

    fn status(&self, method: &str, path: &str, body: Option<serde_json::Value>) -> u16 {
        let url = format!("{}{path}", self.plaza.base);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            (_, Some(body)) => self
                .agent
                .post(&url)
                .content_type("application/json")
                .send(body.to_string()),
            (_, None) => self.agent.post(&url).send_empty(),
        };
        response.unwrap().status().as_u16()
    }
}

/// Every sample of an exposition: `name{labels}` (as rendered) → value.
fn samples(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            (series.to_owned(), value.parse().unwrap())
        })
        .collect()
}

/// The value of the one sample of `name` carrying every label of `labels` (0 when there is none yet).
fn value(samples: &BTreeMap<String, f64>, name: &str, labels: &[(&str, &str)]) -> f64 {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|(series, _)| {
            let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
            series_name == name
                && labels
                    .iter()
                    .all(|(label, wanted)| rest.contains(&format!("{label}=\"{wanted}\"")))
        })
        .map(|(_, value)| *value)
        .collect();
    assert!(matching.len() <= 1, "{name} {labels:?} is ambiguous: {matching:?}");
    matching.first().copied().unwrap_or(0.0)
}

/// `promtool check metrics`: the exposition's syntax and Prometheus' naming rules. Missing, it says so —
/// and fails under CI, which installs it.
fn promtool_accepts(exposition: &str) {
    let Ok(mut promtool) = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
        assert!(!ci, "promtool is missing under CI (apt-get install prometheus)");
        eprintln!("metrics: promtool not found (apt-get install prometheus); the exposition was not linted");
        return;
    };
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{exposition}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

#[test]
fn metrics_are_valid_prometheus_and_each_request_moves_its_own_series() {
    let Some(observed) = start() else { return };
    assert!(
        !observed.metrics.starts_with(&observed.plaza.base),
        "metrics are not on the API's port"
    );
    assert_eq!(
        observed.status("GET", "/metrics", None),
        404,
        "nor served by the API"
    );
    let before = samples(&observed.scrape());
    assert_eq!(
        value(&before, "plaza_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
        1.0
    );

    let event = [("route", "/events/{event_id}"), ("method", "GET")];
    for id in [999_999, 999_998, 999_997] {
        assert_eq!(observed.status("GET", &format!("/events/{id}"), None), 404);
    }
    assert_eq!(observed.status("GET", "/health", None), 200);
    assert_eq!(observed.status("GET", "/no/such/route", None), 404);
    let mut registered = 0;
    let mut refused = 0;
    for n in 0..5 {
        let body = json!({
            "username": format!("metered{n}"),
            "email": format!("metered{n}@example.org"),
            "password": "a long enough password",
        });
        match observed.status("POST", "/users", Some(body)) {
            200 => registered += 1,
            429 => refused += 1,
            other => panic!("registration answered {other}"),
        }
    }
    assert!(registered >= 1 && refused >= 1, "{registered} registered, {refused} refused");

    let exposition = observed.scrape();
    promtool_accepts(&exposition);
    let after = samples(&exposition);
    let moved = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    assert_eq!(
        moved(
            "plaza_http_requests_total",
            &[event[0], event[1], ("status", "404")]
        ),
        3.0,
        "by route template, never by the path asked"
    );
    assert_eq!(
        moved("plaza_http_request_duration_seconds_count", &event),
        3.0
    );
    assert!(moved("plaza_http_request_duration_seconds_sum", &event) > 0.0);
    assert_eq!(
        moved(
            "plaza_http_request_duration_seconds_bucket",
            &[event[0], event[1], ("le", "+Inf")]
        ),
        3.0
    );
    assert_eq!(
        moved(
            "plaza_http_requests_total",
            &[("route", "/health"), ("method", "GET"), ("status", "200")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            "plaza_http_requests_total",
            &[("route", "unmatched"), ("method", "GET"), ("status", "404")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            "plaza_http_requests_total",
            &[("route", "/users"), ("method", "POST"), ("status", "200")]
        ),
        f64::from(registered)
    );
    assert_eq!(
        moved("plaza_refusals_total", &[("reason", "rate_limit")]),
        f64::from(refused)
    );
    assert!(
        !after.keys().any(|series| series.contains("999999")),
        "no path becomes a label"
    );
    assert_eq!(
        value(&after, "plaza_http_requests_in_flight", &[]),
        0.0,
        "nothing in flight between requests"
    );
    assert!(
        value(
            &after,
            "plaza_db_pool_wait_seconds_count",
            &[("pool", "main")]
        ) > 0.0
    );
    let pooled = value(
        &after,
        "plaza_db_pool_connections",
        &[("pool", "main"), ("state", "idle")],
    ) + value(
        &after,
        "plaza_db_pool_connections",
        &[("pool", "main"), ("state", "in_use")],
    );
    assert!(pooled >= 1.0, "the pool's connections are shown: {pooled}");
    assert_eq!(value(&after, "plaza_live_streams_open", &[]), 0.0);
    assert!(
        after.contains_key("plaza_mail_outbox_waiting"),
        "the outbox backlog is shown"
    );
    assert!(value(&after, "plaza_mail_outbox_oldest_age_seconds", &[]) >= 0.0);
    if !crate::ON_POSTGRES {
        assert!(
            value(&after, "plaza_sqlite_write_batch_size_count", &[]) >= f64::from(registered),
            "every registration went through the writer"
        );
        // Shown, and empty once the writes are done. A scrape may catch a background write queued at that
        // instant (the mail worker's), so the check is that the queue drains, not that one scrape reads 0
        // (one in CI did read 1).
        assert!(after.contains_key("plaza_sqlite_write_queue_depth"));
        let drained = (0..100).any(|_| {
            let now = samples(&observed.scrape());
            let empty = value(&now, "plaza_sqlite_write_queue_depth", &[]) == 0.0;
            if !empty {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            empty
        });
        assert!(drained, "the writer's queue drains");
    }
}

/// The dashboard in docs/ reads only series Plaza exposes, with queries Prometheus parses (`promtool check
/// rules` on each, Grafana's variables filled in).
#[test]
fn the_grafana_dashboard_asks_for_series_that_exist_in_valid_promql() {
    let Some(observed) = start() else { return };
    // A read and a write, so that every series has a sample (a histogram shows only once it has one).
    assert!([200, 204].contains(&observed.status("GET", "/events/", None)));
    let writer = json!({"username": "dashboard", "email": "dashboard@example.org", "password": "a long enough password"});
    assert_eq!(observed.status("POST", "/users", Some(writer)), 200);
    let exposition = observed.scrape();
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    let queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap().iter())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect();
    assert!(queries.len() >= 10, "{queries:?}");
    for query in &queries {
        for name in query
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("plaza_"))
        {
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            let other_store = if crate::ON_POSTGRES {
                family.starts_with("plaza_sqlite_")
            } else {
                family == "plaza_db_circuit_open"
            };
            if other_store {
                continue;
            }
            assert!(
                exposition.contains(&format!("# TYPE {family} ")),
                "{family} (in {query}) is not exposed"
            );
        }
    }
    let rules: String = queries
        .iter()
        .enumerate()
        .map(|(n, query)| {
            let filled = query
                .replace("$__rate_interval", "5m")
                .replace("$instance", ".*");
            format!("      - record: plaza:dashboard_{n}\n        expr: {}\n", serde_json::to_string(&filled).unwrap())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard-rules.yml");
    std::fs::write(&file, format!("groups:\n  - name: dashboard\n    rules:\n{rules}")).unwrap();
    match Command::new("promtool").arg("check").arg("rules").arg(&file).output() {
        Ok(checked) => assert!(
            checked.status.success(),
            "{}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        ),
        Err(_) => {
            let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
            assert!(!ci, "promtool is missing under CI (apt-get install prometheus)");
            eprintln!("metrics: promtool not found; the dashboard's queries were not parsed");
        }
    }
}
