//! Login throttling. Failed logins are counted per (client address, user name) in a sliding window, so
//! guessing one account's password is slow while one attacker cannot lock anyone else out; and per client
//! address across names, so one address cannot try name after name. Every attempt is *reserved* as a
//! failure before the password is checked, and given back only when it succeeds: however many attempts
//! run at once, no key ever gets more password checks than its allowance. One user name may have only one
//! attempt in progress per address, and one address only a few in all, so one address cannot occupy every
//! core with bcrypt — while the many people behind one address (a venue's Wi-Fi, a campus, a carrier's
//! shared address) still log in side by side, each waiting out a second's `Retry-After` at most now and
//! then.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Failures allowed per (client, user name) in one window.
pub const MAX_FAILURES: usize = 10;
/// Failures allowed per client address, whatever the names, in one window. Behind a reverse proxy every
/// client shares the proxy's address unless the proxy is trusted (`TRUSTED_PROXIES`).
pub const MAX_CLIENT_FAILURES: usize = 100;
/// Attempts one client address may have in progress at once, whatever the names: a few, so that people
/// behind one address log in side by side, and one address holds at most that many of the password
/// checks the server runs at once (`WorkLimit`).
pub const MAX_IN_PROGRESS: usize = 4;
/// Attempts one user name may have in progress at once from one address: parallel guesses at one account
/// wait for each other.
pub const MAX_IN_PROGRESS_PER_NAME: usize = 1;
/// The sliding window.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);
/// Expired keys are swept out at most this often (a sweep walks every key).
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// The most keys kept per map: past it, the keys whose last failure is oldest are forgotten first, so a
/// flood of made-up names cannot grow memory without bound.
const MAX_KEYS: usize = 100_000;

type NameKey = (String, String);

/// In-memory counts. One process, one count: behind several instances each counts on its own.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    by_name: HashMap<NameKey, Vec<Instant>>,
    by_client: HashMap<String, Vec<Instant>>,
    in_progress: HashMap<String, usize>,
    in_progress_by_name: HashMap<NameKey, usize>,
    last_sweep: Option<Instant>,
}

fn name_key(client: &str, username: &str) -> NameKey {
    (client.to_owned(), plaza_domain::login::name_key(username))
}

/// Seconds until the oldest of `times` leaves the window (at least 1).
fn wait_for_oldest(times: &[Instant], now: Instant) -> u64 {
    let oldest = times.iter().min().copied().unwrap_or(now);
    let wait = WINDOW.saturating_sub(now.duration_since(oldest));
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

fn recent(times: &mut Vec<Instant>, now: Instant) -> usize {
    times.retain(|at| now.duration_since(*at) < WINDOW);
    times.len()
}

/// A login attempt in progress: counted as a failure unless [`succeeded`](Self::succeeded) is called.
#[derive(Debug)]
#[must_use = "an attempt that is dropped counts as a failure"]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    key: NameKey,
    at: Instant,
}

impl Attempt<'_> {
    /// The password was right: the reserved failure is given back and this name's count cleared.
    pub fn succeeded(self) {
        let mut state = self.throttle.lock();
        state.by_name.remove(&self.key);
        give_back(&mut state.by_client, &self.key.0, self.at);
    }

    /// The password could not be checked (the server was busy): the attempt does not count.
    pub fn cancelled(self) {
        let mut state = self.throttle.lock();
        give_back(&mut state.by_name, &self.key, self.at);
        give_back(&mut state.by_client, &self.key.0, self.at);
    }
}

fn give_back<K: Eq + std::hash::Hash + ?Sized, Q>(map: &mut HashMap<Q, Vec<Instant>>, key: &K, at: Instant)
where
    Q: std::borrow::Borrow<K> + Eq + std::hash::Hash,
{
    if let Some(times) = map.get_mut(key)
        && let Some(position) = times.iter().position(|time| *time == at)
    {
        times.swap_remove(position);
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let mut state = self.throttle.lock();
        release(&mut state.in_progress, &self.key.0);
        release(&mut state.in_progress_by_name, &self.key);
    }
}

/// One attempt in progress fewer for `key`.
fn release<K: Eq + std::hash::Hash + ?Sized, Q>(counts: &mut HashMap<Q, usize>, key: &K)
where
    Q: std::borrow::Borrow<K> + Eq + std::hash::Hash,
{
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
    }
}

impl LoginThrottle {
    /// The counts stay consistent whatever a panicking holder was doing, so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reserves one attempt for `client` at `username`, or says how many seconds to wait.
    pub fn begin(&self, client: &str, username: &str, now: Instant) -> Result<Attempt<'_>, u64> {
        let key = name_key(client, username);
        let mut state = self.lock();
        state.sweep(now);
        if state.in_progress.get(client).copied().unwrap_or(0) >= MAX_IN_PROGRESS
            || state.in_progress_by_name.get(&key).copied().unwrap_or(0) >= MAX_IN_PROGRESS_PER_NAME
        {
            return Err(1);
        }
        if let Some(times) = state.by_name.get_mut(&key)
            && recent(times, now) >= MAX_FAILURES
        {
            return Err(wait_for_oldest(times, now));
        }
        if let Some(times) = state.by_client.get_mut(client)
            && recent(times, now) >= MAX_CLIENT_FAILURES
        {
            return Err(wait_for_oldest(times, now));
        }
        if state.by_name.len() >= MAX_KEYS {
            forget_oldest(&mut state.by_name, MAX_KEYS / 10);
        }
        if state.by_client.len() >= MAX_KEYS {
            forget_oldest(&mut state.by_client, MAX_KEYS / 10);
        }
        state.by_name.entry(key.clone()).or_default().push(now);
        state.by_client.entry(client.to_owned()).or_default().push(now);
        *state.in_progress.entry(client.to_owned()).or_default() += 1;
        *state.in_progress_by_name.entry(key.clone()).or_default() += 1;
        drop(state);
        Ok(Attempt {
            throttle: self,
            key,
            at: now,
        })
    }
}

impl State {
    fn sweep(&mut self, now: Instant) {
        if self
            .last_sweep
            .is_some_and(|at| now.duration_since(at) < SWEEP_EVERY)
        {
            return;
        }
        self.by_name
            .retain(|_, times| times.iter().any(|at| now.duration_since(*at) < WINDOW));
        self.by_client
            .retain(|_, times| times.iter().any(|at| now.duration_since(*at) < WINDOW));
        self.last_sweep = Some(now);
    }
}

/// Drops the `count` keys whose most recent failure is the oldest.
fn forget_oldest<K: Clone + Eq + std::hash::Hash>(failures: &mut HashMap<K, Vec<Instant>>, count: usize) {
    let mut by_age: Vec<(Instant, K)> = failures
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

    fn fail(throttle: &LoginThrottle, client: &str, name: &str, now: Instant) -> Result<(), u64> {
        throttle.begin(client, name, now).map(drop)
    }

    #[test]
    fn the_eleventh_attempt_waits_for_the_oldest_failure_to_age_out() {
        let throttle = LoginThrottle::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert_eq!(
                fail(
                    &throttle,
                    "1.2.3.4",
                    "alice",
                    start + Duration::from_secs(i as u64)
                ),
                Ok(()),
                "attempt {i}"
            );
        }
        assert_eq!(
            fail(&throttle, "1.2.3.4", "ALICE", start + Duration::from_secs(60)),
            Err(240)
        );
        assert_eq!(
            fail(&throttle, "1.2.3.4", "alice", start + WINDOW),
            Ok(()),
            "the oldest has aged out"
        );
    }

    #[test]
    fn concurrent_attempts_never_get_more_than_the_allowance() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let mut admitted = 0;
        let mut attempts = Vec::new();
        for _ in 0..60 {
            if let Ok(attempt) = throttle.begin("attacker", "alice", now) {
                admitted += 1;
                attempts.push(attempt);
                if attempts.len() == MAX_IN_PROGRESS_PER_NAME {
                    attempts.clear(); // those checks finish (and fail)
                }
            }
        }
        assert_eq!(admitted, MAX_FAILURES, "however the attempts interleave");
    }

    #[test]
    fn one_name_has_one_attempt_in_progress_per_client_and_a_client_a_few() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let first = throttle.begin("c", "a", now).unwrap();
        assert_eq!(
            throttle.begin("c", "A", now).map(drop),
            Err(1),
            "the same name (any case) waits"
        );
        assert!(
            throttle.begin("other", "a", now).is_ok(),
            "another client is not held up"
        );
        let mut others: Vec<_> = (1..MAX_IN_PROGRESS)
            .map(|i| throttle.begin("c", &format!("name{i}"), now).unwrap())
            .collect();
        assert_eq!(
            throttle.begin("c", "one-too-many", now).map(drop),
            Err(1),
            "a client has at most MAX_IN_PROGRESS at once"
        );
        others.pop();
        assert!(throttle.begin("c", "one-too-many", now).is_ok());
        drop(first);
        assert!(throttle.begin("c", "a", now).is_ok());
    }

    #[test]
    fn one_client_cannot_try_name_after_name() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_CLIENT_FAILURES {
            assert!(
                fail(&throttle, "sprayer", &format!("user{i}"), now).is_ok(),
                "{i}"
            );
        }
        assert!(fail(&throttle, "sprayer", "yet-another", now).is_err());
        assert!(fail(&throttle, "someone-else", "yet-another", now).is_ok());
    }

    #[test]
    fn one_client_cannot_lock_another_or_another_account() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES {
            fail(&throttle, "attacker", "alice", now).unwrap();
        }
        assert!(fail(&throttle, "attacker", "alice", now).is_err());
        assert_eq!(fail(&throttle, "alice's laptop", "alice", now), Ok(()));
        assert_eq!(fail(&throttle, "attacker", "bob", now), Ok(()));
    }

    #[test]
    fn success_gives_the_reservation_back_and_clears_the_count() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            fail(&throttle, "c", "alice", now).unwrap();
        }
        throttle.begin("c", "alice", now).unwrap().succeeded();
        for _ in 0..MAX_FAILURES {
            fail(&throttle, "c", "alice", now).unwrap();
        }
        assert!(fail(&throttle, "c", "alice", now).is_err());
        let state = throttle.lock();
        assert_eq!(
            state.by_client["c"].len(),
            2 * MAX_FAILURES - 1,
            "the success is not a failure"
        );
        assert!(state.in_progress.is_empty(), "nothing left in progress");
    }

    #[test]
    fn a_cancelled_attempt_does_not_count() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for _ in 0..MAX_FAILURES * 3 {
            throttle.begin("c", "alice", now).unwrap().cancelled();
        }
        assert!(fail(&throttle, "c", "alice", now).is_ok());
    }

    #[test]
    fn made_up_names_cannot_grow_memory_without_bound() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..MAX_KEYS + 5 {
            let _ = fail(
                &throttle,
                &format!("c{}", i % 1000),
                &format!("user{i}"),
                now + Duration::from_micros(i as u64),
            );
        }
        let state = throttle.lock();
        assert!(state.by_name.len() <= MAX_KEYS, "{}", state.by_name.len());
        drop(state);
        let long = "x".repeat(100_000);
        fail(&throttle, "c", &long, now).unwrap();
        let longest = throttle
            .lock()
            .by_name
            .keys()
            .map(|(_, name)| name.len())
            .max()
            .unwrap();
        assert_eq!(longest, plaza_domain::login::MAX_NAME_CHARS);
    }
}
