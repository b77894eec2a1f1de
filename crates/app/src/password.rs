//! Password hashing, behind a port so use-case tests need not pay for bcrypt.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use plaza_domain::user::{Password, PasswordHash};

use crate::error::AppError;

/// Hashes and checks passwords. Implementations are slow on purpose: call them off async workers.
#[cfg_attr(test, mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &Password) -> Result<PasswordHash, AppError>;
    /// Whether `password` matches `hash`; a malformed hash matches nothing.
    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, AppError>;
    /// Spends the same time as a failed [`verify`](Self::verify), for a user that does not exist, so that
    /// response timing does not tell which user names are registered.
    fn verify_nobody(&self, password: &str) -> Result<(), AppError>;
}

/// Bounds the bcrypt work in progress: at most `running` hashes at once (one per core), at most `queued`
/// waiting, none waiting longer than `patience`. Past that a request is told to come back
/// ([`AppError::Overloaded`]) instead of joining a queue that would make every login slow.
#[derive(Debug)]
pub struct HashingLimit {
    running: usize,
    queued: usize,
    patience: Duration,
    state: Mutex<(usize, usize)>,
    freed: Condvar,
}

impl HashingLimit {
    pub fn new(running: usize, queued: usize, patience: Duration) -> Self {
        Self {
            running: running.max(1),
            queued,
            patience,
            state: Mutex::new((0, 0)),
            freed: Condvar::new(),
        }
    }

    /// One running hash per core, and as many waiting as the cores can finish within the two seconds a
    /// request may wait (six each at cost 12, ~0.3 s a hash).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores, 6 * cores, Duration::from_secs(2))
    }

    fn run<T>(&self, work: impl FnOnce() -> T) -> Result<T, AppError> {
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
        let result = work();
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.0 -= 1;
        drop(state);
        self.freed.notify_one();
        Ok(result)
    }
}

/// bcrypt with a configurable cost (12 in production; 4 keeps tests fast).
#[derive(Debug)]
pub struct BcryptHasher {
    cost: u32,
    nobody: OnceLock<PasswordHash>,
    limit: HashingLimit,
}

impl BcryptHasher {
    pub fn new(cost: u32, limit: HashingLimit) -> Result<Self, String> {
        if !(4..=31).contains(&cost) {
            return Err(format!("bcrypt cost must be between 4 and 31, not {cost}"));
        }
        Ok(Self {
            cost,
            nobody: OnceLock::new(),
            limit,
        })
    }
}

impl PasswordHasher for BcryptHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, AppError> {
        self.limit
            .run(|| bcrypt::hash(password.expose(), self.cost))?
            .map(PasswordHash)
            .map_err(AppError::internal)
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, AppError> {
        self.limit
            .run(|| bcrypt::verify(password, &hash.0).unwrap_or(false))
    }

    fn verify_nobody(&self, password: &str) -> Result<(), AppError> {
        let nobody = self.nobody.get_or_init(|| {
            // A fixed input: only the time it takes matters, and it takes as long as any real hash.
            PasswordHash(bcrypt::hash("no user has this password", self.cost).unwrap_or_default())
        });
        self.verify(password, nobody).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn hasher() -> BcryptHasher {
        BcryptHasher::new(4, HashingLimit::new(2, 4, Duration::from_secs(2))).unwrap()
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let hasher = hasher();
        let password = Password::parse("correct horse").unwrap();
        let first = hasher.hash(&password).unwrap();
        let second = hasher.hash(&password).unwrap();
        assert_ne!(first, second);
        assert!(first.0.starts_with("$2"));
        assert!(hasher.verify("correct horse", &first).unwrap());
        assert!(!hasher.verify("wrong horse", &first).unwrap());
        assert!(
            !hasher
                .verify("correct horse", &PasswordHash("garbage".into()))
                .unwrap()
        );
        hasher.verify_nobody("anything").unwrap();
    }

    #[test]
    fn refuses_costs_bcrypt_cannot_use() {
        assert!(BcryptHasher::new(3, HashingLimit::for_this_machine()).is_err());
        assert!(BcryptHasher::new(32, HashingLimit::for_this_machine()).is_err());
    }

    #[test]
    fn never_runs_more_than_its_limit_and_turns_away_what_cannot_wait() {
        let limit = Arc::new(HashingLimit::new(2, 2, Duration::from_millis(300)));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let (limit, running, most) = (limit.clone(), running.clone(), most.clone());
                std::thread::spawn(move || {
                    limit.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(200));
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
        assert_eq!(most.load(Ordering::SeqCst), 2, "never more than two at once");
        assert_eq!(done + refused, 12);
        assert!(
            refused >= 6,
            "a queue of two cannot hold ten waiting: {refused} refused"
        );
        assert!(done >= 2, "{done}");
    }
}
