//! Live delivery of notifications: the signals that wake open streams, the bus that carries them between
//! instances, and the single-use tickets that let a browser's `EventSource` (which cannot send headers)
//! open a stream.
//!
//! A signal names whose inbox changed, never what changed: a woken stream reads the inbox from storage,
//! after the last notification it delivered. A lost or repeated signal therefore costs a read, never a
//! notification, and the bus can stay small and simple.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::UserId;

/// Something a user's open streams must react to. Published only after the change committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// The user's inbox changed: a notification arrived, or some were read.
    Inbox(UserId),
    /// The user's password changed: streams opened with older tokens end.
    Credentials(UserId),
    /// Signals may have been missed (the bus reconnected): every stream reads its inbox again.
    Resync,
}

/// Where signals arrive on this instance: the registry of its open streams.
pub trait SignalSink: Send + Sync {
    /// Wakes the streams `signal` concerns (every one for [`Signal::Resync`]); they do the reading.
    fn deliver(&self, signal: Signal);
}

/// Carries signals to the streams of every instance sharing the store.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait NotificationBus: Send + Sync {
    /// Announces changes that have committed. Never fails the caller: a signal that cannot be sent is
    /// logged, and the streams it was for catch up at their next signal or reconnect.
    fn publish(&self, signals: &[Signal]);
}

/// What a stream ticket stands for: the bearer token that obtained it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamTicket {
    /// The account whose notifications the stream carries.
    pub user: UserId,
    /// The token's `iat`, in seconds since the epoch: the stream ends when a password change makes the
    /// token invalid.
    pub token_issued_at: i64,
    /// The token's `exp`, in seconds since the epoch: the stream ends when the token would.
    pub token_expires_at: i64,
    /// The token's session: the stream ends when the session does.
    pub session: Option<crate::ids::SessionId>,
}

/// Storage of stream tickets, shared by every instance so that a ticket taken from one works on any other,
/// once.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait StreamTicketStore: Send + Sync {
    /// Keeps `ticket` under `key` (a digest of the secret handed to the client) until `expires_at`, and
    /// forgets tickets that expired before `now`.
    fn store(
        &self,
        key: &str,
        ticket: StreamTicket,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), RepoError>;
    /// Takes the ticket under `key` if it has not expired by `now`: whatever the answer, the key is gone.
    fn redeem(&self, key: &str, now: DateTime<Utc>) -> Result<Option<StreamTicket>, RepoError>;
}
