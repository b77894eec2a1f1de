//! Login throttling: at most a few failed logins per (client address, user name) in a sliding window, so
//! that guessing passwords is slow while one attacker cannot lock anyone else out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed in one window; the next attempt is refused until the oldest failure ages out.
pub const MAX_FAILURES: usize = 10;
/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Above this many tracked keys, expired ones are swept out on the next failure.
const SWEEP_ABOVE: usize = 10_000;

/// In-memory failure counts. One process, one count: behind several instances each counts on its own.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<(String, String), Vec<Instant>>>,
}

fn key(client: &str, username: &str) -> (String, String) {
    (client.to_owned(), username.to_ascii_lowercase())
}

impl LoginThrottle {
    /// `Err(seconds)` — how long to wait — when this client has used up its failures for this user name.
    pub fn check(&self, client: &str, username: &str, now: Instant) -> Result<(), u64> {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(times) = failures.get_mut(&key(client, username)) else {
            return Ok(());
        };
        times.retain(|at| now.duration_since(*at) < WINDOW);
        if times.len() < MAX_FAILURES {
            return Ok(());
        }
        let oldest = times.iter().min().copied().unwrap_or(now);
        let wait = WINDOW.saturating_sub(now.duration_since(oldest));
        Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
    }

    pub fn record_failure(&self, client: &str, username: &str, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, times| times.iter().any(|at| now.duration_since(*at) < WINDOW));
        }
        let times = failures.entry(key(client, username)).or_default();
        times.retain(|at| now.duration_since(*at) < WINDOW);
        times.push(now);
    }

    /// A successful login forgets this client's failures for this user name.
    pub fn record_success(&self, client: &str, username: &str) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        failures.remove(&key(client, username));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_attempt_waits_for_the_oldest_failure_to_age_out() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(throttle.check("1.2.3.4", "alice", start), Ok(()), "attempt {i}");
            throttle.record_failure("1.2.3.4", "alice", start + Duration::from_secs(i as u64));
        }
        assert_eq!(
            throttle.check("1.2.3.4", "ALICE", start + Duration::from_secs(60)),
            Err(240)
        );
        assert_eq!(
            throttle.check("1.2.3.4", "alice", start + WINDOW),
            Ok(()),
            "the oldest has aged out"
        );
    }

    #[test]
    fn one_client_cannot_lock_another_or_another_account() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES {
            throttle.record_failure("attacker", "alice", now);
        }
        assert!(throttle.check("attacker", "alice", now).is_err());
        assert_eq!(throttle.check("alice's laptop", "alice", now), Ok(()));
        assert_eq!(throttle.check("attacker", "bob", now), Ok(()));
    }

    #[test]
    fn success_clears_the_count() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            throttle.record_failure("c", "alice", now);
        }
        throttle.record_success("c", "alice");
        throttle.record_failure("c", "alice", now);
        assert_eq!(throttle.check("c", "alice", now), Ok(()));
    }
}
