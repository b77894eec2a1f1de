//! Login throttling: at most a few failed logins per (client address, user name) in a sliding window, so
//! that guessing passwords is slow while one attacker cannot lock anyone else out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed in one window; the next attempt is refused until the oldest failure ages out.
pub const MAX_FAILURES: usize = 10;
/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Expired keys are swept out at most this often (a sweep walks every key).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// The most keys kept at all: past it, the keys whose last failure is oldest are forgotten first, so a
/// flood of made-up names cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;
/// Longer names are cut: no account has one (user names are at most 32 characters), and a key must not
/// hold a 256 KiB "user name".
const MAX_NAME_CHARS: usize = 64;

/// In-memory failure counts. One process, one count: behind several instances each counts on its own.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    failures: HashMap<(String, String), Vec<Instant>>,
    last_sweep: Option<Instant>,
}

fn key(client: &str, username: &str) -> (String, String) {
    let name: String = username.chars().take(MAX_NAME_CHARS).collect();
    (client.to_owned(), name.to_ascii_lowercase())
}

impl LoginThrottle {
    /// The counts stay consistent whatever a panicking holder was doing, so a poisoned lock is still usable.
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Err(seconds)` — how long to wait — when this client has used up its failures for this user name.
    pub fn check(&self, client: &str, username: &str, now: Instant) -> Result<(), u64> {
        let mut state = self.lock();
        let Some(times) = state.failures.get_mut(&key(client, username)) else {
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
        let mut state = self.lock();
        if state
            .last_sweep
            .is_none_or(|at| now.duration_since(at) >= SWEEP_EVERY)
        {
            state
                .failures
                .retain(|_, times| times.iter().any(|at| now.duration_since(*at) < WINDOW));
            state.last_sweep = Some(now);
        }
        if state.failures.len() >= MAX_KEYS {
            forget_oldest(&mut state.failures, MAX_KEYS / 10);
        }
        let times = state.failures.entry(key(client, username)).or_default();
        times.retain(|at| now.duration_since(*at) < WINDOW);
        times.push(now);
    }

    /// A successful login forgets this client's failures for this user name.
    pub fn record_success(&self, client: &str, username: &str) {
        self.lock().failures.remove(&key(client, username));
    }
}

/// Drops the `count` keys whose most recent failure is the oldest.
fn forget_oldest(failures: &mut HashMap<(String, String), Vec<Instant>>, count: usize) {
    let mut by_age: Vec<(Instant, (String, String))> = failures
        .iter()
        .map(|(key, times)| {
            (
                times.iter().max().copied().unwrap_or_else(Instant::now),
                key.clone(),
            )
        })
        .collect();
    by_age.sort_unstable_by_key(|(latest, _)| *latest);
    for (_, key) in by_age.into_iter().take(count) {
        failures.remove(&key);
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
    fn made_up_names_cannot_grow_memory_without_bound() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_KEYS + 5 {
            throttle.record_failure(
                "flood",
                &format!("user{i}"),
                now + Duration::from_micros(i as u64),
            );
        }
        let tracked = throttle.state.lock().unwrap().failures.len();
        assert!(tracked <= MAX_KEYS, "{tracked}");
        let long = "x".repeat(100_000);
        throttle.record_failure("c", &long, now);
        let longest = throttle
            .state
            .lock()
            .unwrap()
            .failures
            .keys()
            .map(|(_, name)| name.len())
            .max()
            .unwrap();
        assert_eq!(longest, MAX_NAME_CHARS);
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
