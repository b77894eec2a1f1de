//! Password resets: a single-use token, mailed to the account's address, that lets its holder choose a new
//! password without the old one. Stores keep only the token's digest.

use chrono::{DateTime, Duration, Utc};

use crate::error::RepoError;
use crate::ids::UserId;
use crate::mail::OutgoingMail;
use crate::user::PasswordHash;

/// How long a reset link works.
pub const TOKEN_LIFETIME: Duration = Duration::minutes(30);

/// A reset token to store, with the mail that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReset {
    /// Whose password it resets.
    pub user: UserId,
    /// The SHA-256 digest of the token, in lower-case hex.
    pub token_digest: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The mail with the link; written to the outbox in the same transaction as the token.
    pub mail: OutgoingMail,
}

pub use crate::mail::{Issued, MAX_MAILS_PER_WINDOW, THROTTLE_WINDOW};

/// Storage of reset tokens.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait PasswordResetRepository: Send + Sync {
    /// Stores `reset` and writes its mail to the outbox, in one transaction, unless the account is gone or
    /// had [`MAX_MAILS_PER_WINDOW`] resets made since `reset.created_at - THROTTLE_WINDOW`.
    fn issue(&self, reset: NewReset) -> Result<Issued, RepoError>;
    /// Spends the token whose digest is `token_digest`, if it is stored and works at `now`: in one
    /// transaction the account's password hash becomes `hash`, its token epoch moves past `now` (every
    /// session and access token ends) and every reset token of the account is deleted. The account's id,
    /// or `None` for a token unknown, spent or expired.
    fn redeem(
        &self,
        token_digest: &str,
        now: DateTime<Utc>,
        hash: PasswordHash,
    ) -> Result<Option<UserId>, RepoError>;
}
