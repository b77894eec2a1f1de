//! Password hashing, behind a port so use-case tests need not pay for bcrypt.

use std::sync::OnceLock;

use plaza_domain::user::{Password, PasswordHash};

use crate::error::AppError;
use crate::limit::WorkLimit;

/// Hashes and checks passwords. Implementations are slow on purpose: call them off async workers.
#[cfg_attr(test, mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &Password) -> Result<PasswordHash, AppError>;
    /// Whether `password` matches `hash`; a malformed hash matches nothing.
    fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, AppError>;
    /// Spends the same time as a failed [`verify`](Self::verify), for a user that does not exist, so that
    /// response timing does not tell which user names are registered.
    fn verify_nobody(&self, password: &str) -> Result<(), AppError>;
    /// Whether `hash` was made with less work than this hasher's (the cost was raised since): the
    /// password is hashed again at the next successful login.
    fn needs_rehash(&self, hash: &PasswordHash) -> bool;
}

/// bcrypt with a configurable cost (12 in production; 4 keeps tests fast).
#[derive(Debug)]
pub struct BcryptHasher {
    cost: u32,
    /// A hash no user has, per cost (bcrypt's costs are 4 to 31), made when first needed.
    nobody: [OnceLock<PasswordHash>; 32],
    limit: WorkLimit,
}

impl BcryptHasher {
    pub fn new(cost: u32, limit: WorkLimit) -> Result<Self, String> {
        if !(4..=31).contains(&cost) {
            return Err(format!("bcrypt cost must be between 4 and 31, not {cost}"));
        }
        Ok(Self {
            cost,
            nobody: std::array::from_fn(|_| OnceLock::new()),
            limit,
        })
    }
}

impl BcryptHasher {
    /// The cost of `hash` when it is below the current one. A hash that is not bcrypt's at all matches
    /// nothing and is never replaced here.
    fn cheaper_cost(&self, hash: &PasswordHash) -> Option<u32> {
        hash.0
            .parse::<bcrypt::HashParts>()
            .ok()
            .map(|parts| parts.get_cost())
            .filter(|cost| *cost < self.cost)
    }

    /// One check of `password` against a hash of `cost` that no user has: only the time it takes matters.
    fn check_against_nobody(&self, password: &str, cost: u32) -> Result<(), AppError> {
        let slot = usize::try_from(cost).unwrap_or(usize::MAX);
        let Some(slot) = self.nobody.get(slot) else {
            return Ok(());
        };
        let nobody = slot.get_or_init(|| {
            PasswordHash(bcrypt::hash("no user has this password", cost).unwrap_or_default())
        });
        self.limit
            .run(|| bcrypt::verify(password, &nobody.0).unwrap_or(false))
            .map(|_| ())
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
        let matched = self
            .limit
            .run(|| bcrypt::verify(password, &hash.0).unwrap_or(false))?;
        if !matched && let Some(old) = self.cheaper_cost(hash) {
            // A cheaper hash fails faster than an unknown name, which costs one check at the current
            // cost (2^current rounds). Checks at costs old, old + 1, …, current − 1 add 2^current − 2^old
            // rounds to the 2^old just spent: a wrong password then costs exactly what an unknown name does.
            for cost in old..self.cost {
                self.check_against_nobody(password, cost)?;
            }
        }
        Ok(matched)
    }

    fn verify_nobody(&self, password: &str) -> Result<(), AppError> {
        self.check_against_nobody(password, self.cost)
    }

    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        self.cheaper_cost(hash).is_some()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn hasher() -> BcryptHasher {
        BcryptHasher::new(4, WorkLimit::new(2, 4, Duration::from_secs(2))).unwrap()
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
    fn a_hash_of_a_lower_cost_needs_rehashing_and_a_wrong_password_costs_the_current_cost() {
        let old = hasher().hash(&Password::parse("correct horse").unwrap()).unwrap();
        let current = BcryptHasher::new(8, WorkLimit::new(2, 4, Duration::from_secs(5))).unwrap();
        assert!(current.needs_rehash(&old));
        assert!(!hasher().needs_rehash(&old));
        assert!(!current.needs_rehash(&PasswordHash("garbage".into())));
        let fresh = current.hash(&Password::parse("correct horse").unwrap()).unwrap();
        assert!(!current.needs_rehash(&fresh));
        assert!(current.verify("correct horse", &old).unwrap());

        // Counted in bcrypt runs, not seconds (timing is noisy): a wrong password on the cheaper hash
        // is checked, then pays checks at each cost up to the current one.
        let runs = |work: &dyn Fn()| {
            let before = current.limit.completed();
            work();
            current.limit.completed() - before
        };
        assert_eq!(runs(&|| current.verify_nobody("wrong").unwrap()), 1);
        // 2^4 rounds, then 2^4 + 2^5 + 2^6 + 2^7 more: 2^8, what an unknown name's one check costs.
        assert_eq!(runs(&|| assert!(!current.verify("wrong", &old).unwrap())), 5);
        assert_eq!(
            runs(&|| assert!(current.verify("correct horse", &old).unwrap())),
            1
        );
        assert_eq!(runs(&|| assert!(!current.verify("wrong", &fresh).unwrap())), 1);
    }

    #[test]
    fn refuses_costs_bcrypt_cannot_use() {
        assert!(BcryptHasher::new(3, WorkLimit::for_this_machine()).is_err());
        assert!(BcryptHasher::new(32, WorkLimit::for_this_machine()).is_err());
    }
}
