//! E-mail verification: a link mailed to an account's address proves the address is theirs. Stores keep
//! only the token's digest, with the address it was mailed to: a link for an address the account no longer
//! has verifies nothing.

use chrono::{DateTime, Duration, Utc};

use crate::error::RepoError;
use crate::ids::UserId;
use crate::mail::Issued;
use crate::mail::Mail;

/// How long a verification link works.
pub const TOKEN_LIFETIME: Duration = Duration::hours(24);

/// A verification token to store, with the mail that carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVerification {
    /// The SHA-256 digest of the token, in lower-case hex.
    pub token_digest: String,
    /// The address it verifies (where the mail goes).
    pub email: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The mail with the link, written to the outbox in the same transaction as the token.
    pub mail: Mail,
}

/// Storage of verification tokens.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait EmailVerificationRepository: Send + Sync {
    /// Stores `verification` for `user` and writes its mail to the outbox, in one transaction, unless the
    /// account is gone, or had [`MAX_MAILS_PER_WINDOW`](crate::mail::MAX_MAILS_PER_WINDOW)
    /// links made within [`THROTTLE_WINDOW`](crate::mail::THROTTLE_WINDOW).
    fn issue(&self, user: UserId, verification: NewVerification) -> Result<Issued, RepoError>;
    /// Spends the token whose digest is `token_digest`, if it is stored, works at `now`, and its address
    /// is still the account's: the address is verified `now` and every verification token of the account
    /// is deleted, in one transaction. The account's id, or `None`.
    fn confirm(&self, token_digest: &str, now: DateTime<Utc>) -> Result<Option<UserId>, RepoError>;
}
