//! A circuit breaker in front of the pool. While PostgreSQL is known to be unreachable (a connection could
//! not be had, or one was lost mid-query), requests are answered `Unavailable` at once instead of each
//! waiting out the pool's connection timeout — which would hold a blocking thread per request for seconds
//! and let a queue build behind them. One request at a time, at most every [`PROBE_EVERY`], is let
//! through as a probe, with a short wait of its own: the first that gets an answer closes the breaker,
//! and everything flows again without a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use plaza_domain::RepoError;
use plaza_domain::error::DATABASE_UNREACHABLE;

/// How often a request is let through to try the database while the breaker is open.
pub(crate) const PROBE_EVERY: Duration = Duration::from_millis(500);
/// How long a probe waits for a connection: short, so that it too fails well within a second.
pub(crate) const PROBE_WAIT: Duration = Duration::from_millis(700);

#[derive(Debug, Default)]
struct State {
    /// Since when the database has been unreachable: `None` while the breaker is closed.
    down_since: Option<DateTime<Utc>>,
    /// When the next probe may go.
    next_probe: Option<Instant>,
}

#[derive(Debug, Default)]
pub(crate) struct Breaker {
    /// Read by every request without the lock: the breaker is closed nearly always.
    open: AtomicBool,
    state: Mutex<State>,
}

/// What a request may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    /// The breaker is closed: go on as usual.
    Go,
    /// The breaker is open and this request is the probe: try, with [`PROBE_WAIT`] for a connection.
    Probe,
}

impl Breaker {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a request may try the database, or the refusal to answer at once.
    pub(crate) fn admit(&self, now: Instant) -> Result<Admission, RepoError> {
        if !self.open.load(Ordering::Acquire) {
            return Ok(Admission::Go);
        }
        let mut state = self.state();
        let Some(down_since) = state.down_since else {
            return Ok(Admission::Go);
        };
        match state.next_probe {
            Some(next) if now < next => Err(unreachable_since(down_since)),
            _ => {
                state.next_probe = Some(now + PROBE_EVERY);
                Ok(Admission::Probe)
            }
        }
    }

    /// The database could not be reached: opens the breaker (once, however many requests say so).
    pub(crate) fn unreachable(&self, now: Instant, cause: &dyn std::fmt::Display) {
        let mut state = self.state();
        if state.down_since.is_none() {
            tracing::error!(
                %cause,
                "PostgreSQL is unreachable: answering 503 at once until it is back (trying every {} ms)",
                PROBE_EVERY.as_millis()
            );
            state.down_since = Some(Utc::now());
            state.next_probe = Some(now + PROBE_EVERY);
            self.open.store(true, Ordering::Release);
        }
    }

    /// The database answered: closes the breaker.
    pub(crate) fn reachable(&self) {
        if !self.open.load(Ordering::Acquire) {
            return;
        }
        let mut state = self.state();
        if let Some(since) = state.down_since.take() {
            let seconds = (Utc::now() - since).as_seconds_f64();
            tracing::info!(
                down_secs = format!("{seconds:.1}"),
                "PostgreSQL is reachable again"
            );
            state.next_probe = None;
            self.open.store(false, Ordering::Release);
        }
    }

    /// What a request is told while the breaker is open.
    pub(crate) fn refusal(&self) -> RepoError {
        unreachable_since(self.state().down_since.unwrap_or_else(Utc::now))
    }

    /// Whether the breaker is open now.
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }
}

fn unreachable_since(since: DateTime<Utc>) -> RepoError {
    RepoError::Unavailable(format!(
        "{DATABASE_UNREACHABLE} (since {}); retrying",
        since.format("%H:%M:%S UTC")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_open_breaker_refuses_at_once_but_lets_one_probe_through_now_and_then() {
        let breaker = Breaker::default();
        let start = Instant::now();
        assert!(matches!(breaker.admit(start), Ok(Admission::Go)));
        breaker.unreachable(start, &"connection refused");
        breaker.unreachable(start, &"connection refused again");
        assert!(breaker.is_open());
        assert!(matches!(breaker.admit(start), Err(RepoError::Unavailable(_))));
        let later = start + PROBE_EVERY;
        assert!(matches!(breaker.admit(later), Ok(Admission::Probe)));
        assert!(
            matches!(breaker.admit(later), Err(RepoError::Unavailable(_))),
            "one probe at a time"
        );
        assert!(matches!(breaker.admit(later + PROBE_EVERY), Ok(Admission::Probe)));
        breaker.reachable();
        assert!(!breaker.is_open());
        assert!(matches!(breaker.admit(later), Ok(Admission::Go)));
    }
}
