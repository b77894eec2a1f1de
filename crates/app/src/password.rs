//! Password hashing, behind a port so use-case tests need not pay for bcrypt.

use std::sync::OnceLock;

use plaza_domain::user::{Password, PasswordHash};

use crate::error::AppError;

/// Hashes and checks passwords. Implementations are slow on purpose: call them off async workers.
#[cfg_attr(test, mockall::automock)]
pub trait PasswordHasher: Send + Sync {
    fn hash(&self, password: &Password) -> Result<PasswordHash, AppError>;
    /// Whether `password` matches `hash`; a malformed hash matches nothing.
    fn verify(&self, password: &str, hash: &PasswordHash) -> bool;
    /// Spends the same time as a failed [`verify`](Self::verify), for a user that does not exist, so that
    /// response timing does not tell which user names are registered.
    fn verify_nobody(&self, password: &str);
}

/// bcrypt with a configurable cost (12 in production; 4 keeps tests fast).
#[derive(Debug)]
pub struct BcryptHasher {
    cost: u32,
    nobody: OnceLock<PasswordHash>,
}

impl BcryptHasher {
    pub fn new(cost: u32) -> Result<Self, String> {
        if !(4..=31).contains(&cost) {
            return Err(format!("bcrypt cost must be between 4 and 31, not {cost}"));
        }
        Ok(Self {
            cost,
            nobody: OnceLock::new(),
        })
    }
}

impl PasswordHasher for BcryptHasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, AppError> {
        bcrypt::hash(password.expose(), self.cost)
            .map(PasswordHash)
            .map_err(AppError::internal)
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        bcrypt::verify(password, &hash.0).unwrap_or(false)
    }

    fn verify_nobody(&self, password: &str) {
        let nobody = self.nobody.get_or_init(|| {
            // A fixed input: only the time it takes matters, and it takes as long as any real hash.
            PasswordHash(bcrypt::hash("no user has this password", self.cost).unwrap_or_default())
        });
        let _ = self.verify(password, nobody);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let hasher = BcryptHasher::new(4).unwrap();
        let password = Password::parse("correct horse").unwrap();
        let first = hasher.hash(&password).unwrap();
        let second = hasher.hash(&password).unwrap();
        assert_ne!(first, second);
        assert!(first.0.starts_with("$2"));
        assert!(hasher.verify("correct horse", &first));
        assert!(!hasher.verify("wrong horse", &first));
        assert!(!hasher.verify("correct horse", &PasswordHash("garbage".into())));
        hasher.verify_nobody("anything");
    }

    #[test]
    fn refuses_costs_bcrypt_cannot_use() {
        assert!(BcryptHasher::new(3).is_err());
        assert!(BcryptHasher::new(32).is_err());
    }
}
