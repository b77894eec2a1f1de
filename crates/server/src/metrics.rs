//! Prometheus metrics on a listener of their own (`METRICS_ADDR`, off by default): never on the public
//! port, so they are not published by accident, and a scrape never queues behind the API's traffic.
//!
//! Counters and histograms are recorded where things happen (`plaza_http::metrics`, the stores' pools
//! and writer); gauges of state — pools, open streams, the mail outbox — are read when Prometheus asks.
//! The recorder is process-wide: installed once, the first time a server with `METRICS_ADDR` starts.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::{HttpResponse, web};
use anyhow::Context;
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use plaza_app::{Hub, MailService};

use crate::wiring::Storage;

const BUILD_INFO: &str = "plaza_build_info";
const STREAMS_OPEN: &str = "plaza_live_streams_open";
const OUTBOX_WAITING: &str = "plaza_mail_outbox_waiting";
const OUTBOX_OLDEST_AGE: &str = "plaza_mail_outbox_oldest_age_seconds";

/// Request latencies: from a millisecond to the longest a request may take.
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Writes per SQLite transaction: one to the writer's most.
const BATCH_BUCKETS: [f64; 9] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// How often histograms are folded, so that what is recorded between scrapes does not pile up.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// What the gauges are read from.
#[derive(Clone)]
pub struct Sources {
    pub storage: Storage,
    pub hub: Arc<Hub>,
    pub mail: MailService,
}

/// Installs the process's recorder (once: later calls answer the same handle). Until then, nothing
/// recorded is kept.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: Mutex<Option<PrometheusHandle>> = Mutex::new(None);
    let mut installed = HANDLE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(handle) = installed.as_ref() {
        return Ok(handle.clone());
    }
    let handle = PrometheusBuilder::new()
        .set_buckets(&LATENCY_BUCKETS)
        .and_then(|builder| {
            builder.set_buckets_for_metric(
                Matcher::Full("plaza_sqlite_write_batch_size".into()),
                &BATCH_BUCKETS,
            )
        })
        .context("configuring the metrics recorder")?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe();
    let upkeep = handle.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                upkeep.run_upkeep();
            }
        })
        .context("starting the metrics upkeep thread")?;
    *installed = Some(handle.clone());
    Ok(handle)
}

fn describe() {
    plaza_http::metrics::describe();
    plaza_infra_sqlite::metrics::describe();
    plaza_infra_postgres::metrics::describe();
    crate::backup::describe_metrics();
    metrics::describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label says which Plaza is running"
    );
    metrics::describe_gauge!(STREAMS_OPEN, "Live notification streams open on this instance");
    metrics::describe_gauge!(
        OUTBOX_WAITING,
        "Mails waiting in the outbox to be delivered (shared by every instance on a store)"
    );
    metrics::describe_gauge!(
        OUTBOX_OLDEST_AGE,
        metrics::Unit::Seconds,
        "Age of the oldest mail waiting in the outbox; 0 when none waits"
    );
    metrics::gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
}

/// Reads the gauges of state. The outbox is a query: a store that does not answer leaves the last value
/// and says so in the log, and the scrape still answers.
fn sample(sources: &Sources) {
    match &sources.storage {
        Storage::Sqlite(database) => database.record_gauges(),
        Storage::Postgres(database) => database.record_gauges(),
    }
    #[allow(clippy::cast_precision_loss, reason = "stream counts are far below 2^52")]
    metrics::gauge!(STREAMS_OPEN).set(sources.hub.open_streams() as f64);
    match sources.mail.backlog() {
        Ok(backlog) => {
            #[allow(clippy::cast_precision_loss, reason = "a backlog is far below 2^52 mails")]
            metrics::gauge!(OUTBOX_WAITING).set(backlog.waiting as f64);
            let age = backlog
                .oldest
                .map_or(0.0, |oldest| (Utc::now() - oldest).as_seconds_f64().max(0.0));
            metrics::gauge!(OUTBOX_OLDEST_AGE).set(age);
        }
        Err(error) => tracing::warn!(%error, "metrics: cannot read the mail outbox"),
    }
}

/// `GET /metrics` in Prometheus' text format.
async fn scrape(handle: web::Data<PrometheusHandle>, sources: web::Data<Sources>) -> HttpResponse {
    let sources = sources.into_inner();
    // The outbox query is blocking work: off the listener's thread.
    if let Err(error) = web::block(move || sample(&sources)).await {
        tracing::warn!(%error, "metrics: sampling failed");
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

/// Binds the metrics listener on `address` and returns it, not yet running, with the port bound.
pub fn listener(address: &str, sources: Sources) -> anyhow::Result<(actix_web::dev::Server, u16)> {
    let handle = install()?;
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(web::Data::new(handle.clone()))
            .app_data(web::Data::new(sources.clone()))
            .route("/metrics", web::get().to(scrape))
            .default_service(web::to(|| async {
                HttpResponse::NotFound().body("metrics are at /metrics\n")
            }))
    })
    .workers(1)
    .disable_signals()
    .bind(address)
    .with_context(|| format!("cannot listen on METRICS_ADDR {address}"))?;
    let port = server.addrs().first().map_or(0, |bound| bound.port());
    Ok((server.run(), port))
}
