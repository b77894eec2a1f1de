//! The SQLite store's Prometheus series, recorded through the `metrics` facade: how long work waits for a
//! pooled connection and how often it gives up, how full the pools are, and the writer thread's queue and
//! batches (group commit at work). The names are the PostgreSQL store's where both have the thing.

use diesel::r2d2::event::{CheckoutEvent, HandleEvent, TimeoutEvent};

pub(crate) const POOL_WAIT: &str = "plaza_db_pool_wait_seconds";
pub(crate) const POOL_TIMEOUTS: &str = "plaza_db_pool_timeouts_total";
pub(crate) const POOL_CONNECTIONS: &str = "plaza_db_pool_connections";
pub(crate) const WRITE_QUEUE: &str = "plaza_sqlite_write_queue_depth";
pub(crate) const WRITE_BATCH: &str = "plaza_sqlite_write_batch_size";

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
    metrics::describe_gauge!(WRITE_QUEUE, "Writes waiting for the SQLite writer thread");
    metrics::describe_histogram!(
        WRITE_BATCH,
        "Writes committed together in one SQLite transaction (group commit)"
    );
}

/// Hears a pool's check-outs and time-outs.
#[derive(Debug)]
pub(crate) struct PoolEvents(pub(crate) &'static str);

impl HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: CheckoutEvent) {
        metrics::histogram!(POOL_WAIT, "pool" => self.0).record(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _: TimeoutEvent) {
        metrics::counter!(POOL_TIMEOUTS, "pool" => self.0).increment(1);
    }
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
