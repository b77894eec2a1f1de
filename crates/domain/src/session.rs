//! Sessions: one login, on one device, kept alive by refresh tokens.
//!
//! A login starts a session and hands out a refresh token; renewing spends that token and hands out the
//! next one, so every token of a session descends from its login. The store keeps only digests of the
//! tokens, spent ones included: a spent token presented again means a copy is in someone else's hands,
//! and the whole session ends (see [`Renewal::Reused`]).

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{SessionId, UserId};

/// How many sessions one account keeps at most: starting one more ends the least recently used.
pub const MAX_PER_USER: i64 = 200;

/// How many spent tokens a session remembers, to recognise them if presented again. An older spent token
/// is then merely unknown.
pub const SPENT_KEPT: i64 = 100;

/// What a session is called in the list of sessions: the device's own description (its `User-Agent`),
/// made safe to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device(String);

impl Device {
    /// The longest description kept, in characters; the rest is cut.
    pub const MAX_CHARS: usize = 200;

    /// What `user_agent` says, on one line without control or direction-changing characters, cut to
    /// [`Self::MAX_CHARS`]; "unknown device" when nothing is left. Never fails: a device describes itself
    /// however it likes.
    pub fn describe(user_agent: Option<&str>) -> Self {
        let cleaned: String = user_agent
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_control() || crate::text::is_invisible_or_bidi(c) {
                    ' '
                } else {
                    c
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(Self::MAX_CHARS)
            .collect();
        if cleaned.is_empty() {
            Self("unknown device".into())
        } else {
            Self(cleaned)
        }
    }

    /// The description.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A session to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// Whose.
    pub user: UserId,
    /// On what.
    pub device: Device,
    /// Whether the person asked to stay signed in ("Remember me"): such sessions last longer.
    pub remember: bool,
    /// The second the password was checked, as tokens count it (never at or before the token epoch): a
    /// later password change ends the session.
    pub signed_in_at: i64,
    /// The digest of the first refresh token.
    pub refresh_key: String,
    /// Now.
    pub now: DateTime<Utc>,
    /// When the session ends unless renewed before.
    pub expires_at: DateTime<Utc>,
}

/// A session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Given by the store.
    pub id: SessionId,
    /// Whose.
    pub user: UserId,
    /// On what ([`Device`]).
    pub device: String,
    /// Whether it was started with "Remember me".
    pub remember: bool,
    /// See [`NewSession::signed_in_at`].
    pub signed_in_at: i64,
    /// When the login happened.
    pub created_at: DateTime<Utc>,
    /// When it was last renewed (or started).
    pub last_used_at: DateTime<Utc>,
    /// When it ends unless renewed before.
    pub expires_at: DateTime<Utc>,
}

/// When a session renewed now ends, by kind (the store knows which kind a session is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    /// For a session started with "Remember me".
    pub remembered: DateTime<Utc>,
    /// For any other.
    pub otherwise: DateTime<Utc>,
}

impl Expiry {
    /// The instant for a session of this kind.
    pub fn of(self, remember: bool) -> DateTime<Utc> {
        if remember { self.remembered } else { self.otherwise }
    }
}

/// What presenting a refresh token came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// The token was current: it is spent now, the next one is the session's, and the session was used.
    Renewed(Session),
    /// The token had been spent already: the session it belonged to has ended, every token of it with it.
    Reused {
        /// The session that ended.
        session: SessionId,
        /// Whose it was.
        user: UserId,
    },
    /// No session has this token (never issued, forgotten, or its session ended or expired).
    Unknown,
}

/// Storage of sessions and the digests of their refresh tokens.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait SessionRepository: Send + Sync {
    /// Starts a session. The account's expired sessions are forgotten, and if it would then hold more than
    /// [`MAX_PER_USER`], the least recently used end. `NotFound` when the account is missing or deleted
    /// (checked in the same transaction, so a login racing a deletion starts nothing).
    fn start(&self, session: NewSession) -> Result<Session, RepoError>;

    /// Spends the refresh token with digest `presented` and makes `next` its session's token, in one
    /// transaction: however many renewals race with one token, one is [`Renewal::Renewed`] and the others
    /// find it spent ([`Renewal::Reused`]). A session past its expiry at `now` is ended and `Unknown`.
    /// The renewed session then lasts until `expiry`'s instant for its kind.
    fn renew(
        &self,
        presented: &str,
        next: &str,
        now: DateTime<Utc>,
        expiry: Expiry,
    ) -> Result<Renewal, RepoError>;

    /// The session `id`, whether expired or not, if it has not ended.
    fn find(&self, id: SessionId) -> Result<Option<Session>, RepoError>;

    /// `user`'s sessions that have not expired by `now`, the most recently used first (at most
    /// [`MAX_PER_USER`]).
    fn list(&self, user: UserId, now: DateTime<Utc>) -> Result<Vec<Session>, RepoError>;

    /// Ends `user`'s session `id`: `false` when `user` has no such session.
    fn end(&self, user: UserId, id: SessionId) -> Result<bool, RepoError>;

    /// Ends every session of `user`; how many there were.
    fn end_all(&self, user: UserId) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_one_clean_line_cut_to_length() {
        assert_eq!(
            Device::describe(Some("Mozilla/5.0\n(X11;\t Linux)\u{202E}evil")).as_str(),
            "Mozilla/5.0 (X11; Linux) evil"
        );
        assert_eq!(Device::describe(None).as_str(), "unknown device");
        assert_eq!(Device::describe(Some(" \u{200B} ")).as_str(), "unknown device");
        let long = "é".repeat(500);
        assert_eq!(
            Device::describe(Some(&long)).as_str().chars().count(),
            Device::MAX_CHARS
        );
    }
}
