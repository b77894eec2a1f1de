//! Bounds on expensive work (password hashing, image decoding) that would otherwise take every core and
//! all memory when many requests ask for it at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::AppError;

/// Bounds one kind of expensive work in progress: at most `running` at once, at most `queued` waiting,
/// none waiting longer than `patience`. Past that a request is told to come back
/// ([`AppError::Overloaded`], `503` with `Retry-After`) instead of joining a queue that would make every
/// such request slow, or hold memory for every waiting one.
#[derive(Debug)]
pub struct WorkLimit {
    running: usize,
    queued: usize,
    patience: Duration,
    state: Mutex<(usize, usize)>,
    freed: Condvar,
    completed: AtomicU64,
}

impl WorkLimit {
    pub fn new(running: usize, queued: usize, patience: Duration) -> Self {
        Self {
            running: running.max(1),
            queued,
            patience,
            state: Mutex::new((0, 0)),
            freed: Condvar::new(),
            completed: AtomicU64::new(0),
        }
    }

    /// For bcrypt: one running hash per core, and as many waiting as the cores can finish within the two
    /// seconds a request may wait (six each at cost 12, ~0.3 s a hash).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores, 6 * cores, Duration::from_secs(2))
    }

    /// Runs `work` when a place is free, or refuses with [`AppError::Overloaded`].
    pub fn run<T>(&self, work: impl FnOnce() -> T) -> Result<T, AppError> {
        let busy = || AppError::Overloaded(self.patience.as_secs().max(1));
        // The counts stay consistent whatever a panicking holder was doing.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.0 >= self.running {
            if state.1 >= self.queued {
                return Err(busy());
            }
            state.1 += 1;
            let deadline = Instant::now() + self.patience;
            while state.0 >= self.running {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    state.1 -= 1;
                    return Err(busy());
                }
                state = self
                    .freed
                    .wait_timeout(state, left)
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .0;
            }
            state.1 -= 1;
        }
        state.0 += 1;
        drop(state);
        // Given back however `work` ends: a decoder that panics must not keep its place for good.
        let _place = Place(self);
        Ok(work())
    }

    fn give_back(&self) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 -= 1;
        drop(state);
        self.completed.fetch_add(1, Ordering::Relaxed);
        self.freed.notify_one();
    }

    /// How many pieces of work have run to the end (or panicked).
    pub fn completed(&self) -> u64 {
        self.completed.load(Ordering::Relaxed)
    }
}

/// A running place, given back when dropped.
struct Place<'a>(&'a WorkLimit);

impl Drop for Place<'_> {
    fn drop(&mut self) {
        self.0.give_back();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn never_runs_more_than_its_limit_and_turns_away_what_cannot_wait() {
        let limit = Arc::new(WorkLimit::new(2, 2, Duration::from_millis(300)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        // All twelve ask at once; the two running outlast the two waiting ones' patience.
        let start = Arc::new(std::sync::Barrier::new(12));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (limit, running, most, start) =
                    (limit.clone(), running.clone(), most.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    limit.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(600));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let done = results.iter().filter(|r| r.is_ok()).count();
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(AppError::Overloaded(seconds)) if *seconds >= 1))
            .count();
        assert!(most.load(Ordering::SeqCst) <= 2, "never more than two at once");
        assert_eq!(done + refused, 12);
        assert!(
            refused >= 6,
            "a queue of two cannot hold ten waiting: {refused} refused"
        );
        assert!(done >= 2, "{done}");
    }

    #[test]
    fn a_panic_gives_its_place_back() {
        let limit = WorkLimit::new(1, 0, Duration::from_millis(10));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            limit.run(|| panic!("a decoder bug"))
        }));
        assert!(panicked.is_err());
        assert_eq!(limit.run(|| 7).unwrap(), 7, "the one place is free again");
    }
}
