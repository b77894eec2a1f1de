//! The PostgreSQL store's Prometheus series, recorded through the `metrics` facade: how long work waits
//! for a pooled connection and how often it gives up, and how full the pools are. The names are the
//! SQLite store's, so one dashboard reads either.

use std::time::Duration;

const POOL_WAIT: &str = "plaza_db_pool_wait_seconds";
const POOL_TIMEOUTS: &str = "plaza_db_pool_timeouts_total";
const POOL_CONNECTIONS: &str = "plaza_db_pool_connections";
const CIRCUIT_OPEN: &str = "plaza_db_circuit_open";

/// Says what each series means, for the exposition's `# HELP` lines.
pub fn describe() {
    metrics::describe_histogram!(
        POOL_WAIT,
        metrics::Unit::Seconds,
        "Time waited for a pooled database connection, by pool (main, search)"
    );
    metrics::describe_counter!(
        POOL_TIMEOUTS,
        "Waits for a pooled connection that gave up (the request answered 503), by pool"
    );
    metrics::describe_gauge!(
        POOL_CONNECTIONS,
        "Pooled database connections, by pool and state (in_use, idle)"
    );
    metrics::describe_gauge!(
        CIRCUIT_OPEN,
        "1 while PostgreSQL is known to be unreachable and requests are answered 503 at once, else 0"
    );
}

/// Sets the breaker's gauge from its state now.
pub(crate) fn record_breaker(open: bool) {
    metrics::gauge!(CIRCUIT_OPEN).set(if open { 1.0 } else { 0.0 });
}

/// A connection was had from pool `name` after `waited` (the whole wait, over all its slices: the pool's
/// own events see only one slice at a time).
pub(crate) fn waited(name: &'static str, waited: Duration) {
    metrics::histogram!(POOL_WAIT, "pool" => name).record(waited.as_secs_f64());
}

/// A wait for a connection from pool `name` gave up.
pub(crate) fn timed_out(name: &'static str) {
    metrics::counter!(POOL_TIMEOUTS, "pool" => name).increment(1);
}

/// Sets the gauges of one pool from its state now.
pub(crate) fn record_pool(name: &'static str, state: diesel::r2d2::State) {
    let idle = f64::from(state.idle_connections);
    let in_use = f64::from(state.connections.saturating_sub(state.idle_connections));
    metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "in_use").set(in_use);
    metrics::gauge!(POOL_CONNECTIONS, "pool" => name, "state" => "idle").set(idle);
    // Shown at 0 until the first time-out, so that a rate over it has a beginning.
    metrics::counter!(POOL_TIMEOUTS, "pool" => name).increment(0);
}
