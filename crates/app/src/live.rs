//! Live notifications: the streams open on this instance and what a stream may read; one stream's course
//! from start to end is [`crate::stream`].
//!
//! A stream is woken, never fed: the [`Hub`] only remembers that a user's inbox changed (one permit per
//! stream, however many signals arrive), and the stream then reads what it has not delivered yet from
//! storage. A slow client therefore costs no memory here, a lost signal costs a late read, and a replay
//! after a reconnect is the same read as a live delivery.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{Duration, Utc};
use plaza_domain::UserId;
use plaza_domain::live::{Signal, SignalSink, StreamTicket, StreamTicketStore};
use plaza_domain::notification::{InboxCursor, InboxSince, NotificationRepository};
use tokio::sync::Notify;

use crate::auth::{AuthService, Session};
use crate::error::AppError;

/// How long a stream ticket may wait to be used.
pub const TICKET_SECONDS: i64 = 60;

/// Notifications read per wake-up; a stream with more to catch up reads again at once.
pub const READ_BATCH: u32 = 100;

const INVALID_TICKET: &str = "invalid, used or expired stream ticket";

/// How many streams may be open on this instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Per user: a few tabs and devices, not a flood.
    pub per_user: usize,
    /// In all: each stream holds a connection and a little memory.
    pub total: usize,
}

impl StreamLimits {
    /// The limits when the operator sets none (`STREAMS_PER_USER`, `STREAMS_TOTAL`).
    pub const DEFAULT: Self = Self {
        per_user: 5,
        total: 10_000,
    };
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Why a stream could not be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The user already has this many streams open.
    UserLimit(usize),
    /// The instance already has this many streams open.
    ServerLimit(usize),
    /// The instance is shutting down.
    ShuttingDown,
}

/// One open stream's wake-up: a permit that signals set and the stream takes.
#[derive(Debug, Default)]
struct Wake {
    notify: Notify,
    /// Set with the wake-up when the user's password changed: the stream checks its token again.
    recheck: AtomicBool,
}

#[derive(Debug, Default)]
struct Streams {
    by_user: HashMap<UserId, Vec<Arc<Wake>>>,
    open: usize,
    closed: bool,
}

/// How many streams read storage at once, per instance: a burst of wake-ups (a `Resync` wakes every
/// stream) queues here, in memory, instead of taking every database connection from other requests.
pub const READS_AT_ONCE: usize = 4;

/// The streams open on this instance, by user: where the bus delivers signals.
#[derive(Debug)]
pub struct Hub {
    streams: Mutex<Streams>,
    limits: StreamLimits,
    reads: tokio::sync::Semaphore,
}

impl Hub {
    pub fn new(limits: StreamLimits) -> Arc<Self> {
        Arc::new(Self {
            streams: Mutex::default(),
            limits,
            reads: tokio::sync::Semaphore::new(READS_AT_ONCE),
        })
    }

    /// Waits for a turn to read storage for a stream; the turn ends when the permit is dropped.
    pub async fn read_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so this is always `Some`.
        self.reads.acquire().await.ok()
    }

    fn streams(&self) -> std::sync::MutexGuard<'_, Streams> {
        // Every change under this lock is a single push, removal or flag: nothing is ever half-done.
        self.streams.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a stream for `user`, within the limits.
    pub fn subscribe(self: &Arc<Self>, user: UserId) -> Result<Subscription, Refusal> {
        let mut streams = self.streams();
        if streams.closed {
            return Err(Refusal::ShuttingDown);
        }
        if streams.open >= self.limits.total {
            return Err(Refusal::ServerLimit(self.limits.total));
        }
        let mine = streams.by_user.entry(user).or_default();
        if mine.len() >= self.limits.per_user {
            return Err(Refusal::UserLimit(self.limits.per_user));
        }
        let wake = Arc::new(Wake::default());
        mine.push(wake.clone());
        streams.open += 1;
        Ok(Subscription {
            hub: self.clone(),
            user,
            wake,
        })
    }

    /// Ends every stream (each sees [`Subscription::is_closed`] at its next wake-up, which is now) and
    /// refuses new ones: for a graceful shutdown.
    pub fn close(&self) {
        let mut streams = self.streams();
        streams.closed = true;
        streams
            .by_user
            .values()
            .flatten()
            .for_each(|wake| wake.notify.notify_one());
    }

    pub fn is_closed(&self) -> bool {
        self.streams().closed
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.streams().open
    }
}

impl SignalSink for Hub {
    fn deliver(&self, signal: Signal) {
        let streams = self.streams();
        let wake_all = |wakes: &[Arc<Wake>], recheck: bool| {
            for wake in wakes {
                if recheck {
                    wake.recheck.store(true, Ordering::SeqCst);
                }
                wake.notify.notify_one();
            }
        };
        match signal {
            Signal::Inbox(user) => {
                if let Some(wakes) = streams.by_user.get(&user) {
                    wake_all(wakes, false);
                }
            }
            Signal::Credentials(user) => {
                if let Some(wakes) = streams.by_user.get(&user) {
                    wake_all(wakes, true);
                }
            }
            // Whatever was missed may include a password change: every stream checks its token too.
            Signal::Resync => streams.by_user.values().for_each(|wakes| wake_all(wakes, true)),
        }
    }
}

/// Where a stream's session stands when it is checked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// It holds.
    Holds,
    /// The password changed since its token was issued, the session ended, or the user is gone.
    SignedOut,
    /// The account is banned.
    Banned,
}

/// An open stream's place in the [`Hub`]; leaves it when dropped.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    user: UserId,
    wake: Arc<Wake>,
}

impl Subscription {
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Returns once something may have changed since the last call (at once if it already has).
    pub async fn changed(&self) {
        self.wake.notify.notified().await;
    }

    /// Whether the user's password changed since the last call.
    pub fn take_recheck(&self) -> bool {
        self.wake.recheck.swap(false, Ordering::SeqCst)
    }

    /// Whether the instance is shutting down.
    pub fn is_closed(&self) -> bool {
        self.hub.is_closed()
    }

    /// A turn to read storage (see [`READS_AT_ONCE`]).
    pub async fn read_turn(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.hub.read_turn().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut streams = self.hub.streams();
        if let Some(mine) = streams.by_user.get_mut(&self.user) {
            mine.retain(|wake| !Arc::ptr_eq(wake, &self.wake));
            if mine.is_empty() {
                streams.by_user.remove(&self.user);
            }
            streams.open -= 1;
        }
    }
}

/// The bus of a single process (SQLite): signals go straight to this instance's streams.
#[derive(Debug, Clone)]
pub struct InProcessBus {
    hub: Arc<Hub>,
}

impl InProcessBus {
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl plaza_domain::live::NotificationBus for InProcessBus {
    fn publish(&self, signals: &[Signal]) {
        signals.iter().for_each(|signal| self.hub.deliver(*signal));
    }
}

/// A ticket as handed to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTicket {
    pub ticket: String,
    pub expires_in: i64,
}

/// The use cases of live notifications.
#[derive(Clone)]
pub struct LiveService {
    hub: Arc<Hub>,
    notifications: Arc<dyn NotificationRepository>,
    tickets: Arc<dyn StreamTicketStore>,
    auth: AuthService,
}

impl LiveService {
    pub fn new(
        hub: Arc<Hub>,
        notifications: Arc<dyn NotificationRepository>,
        tickets: Arc<dyn StreamTicketStore>,
        auth: AuthService,
    ) -> Self {
        Self {
            hub,
            notifications,
            tickets,
            auth,
        }
    }

    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// A single-use ticket that opens one stream for the session's user within [`TICKET_SECONDS`], and
    /// ends with the session.
    pub fn issue_ticket(&self, session: &Session) -> Result<IssuedTicket, AppError> {
        let ticket = crate::secret::new_secret()?;
        let now = Utc::now();
        let stored = StreamTicket {
            user: session.user.id,
            token_issued_at: session.issued_at,
            token_expires_at: session.expires_at,
            session: session.session,
        };
        self.tickets.store(
            &crate::secret::digest(&ticket),
            stored,
            now + Duration::seconds(TICKET_SECONDS),
            now,
        )?;
        Ok(IssuedTicket {
            ticket,
            expires_in: TICKET_SECONDS,
        })
    }

    /// The session a ticket stands for, once: a used, unknown or expired ticket, or one whose session has
    /// ended since, is `Unauthorized`.
    pub fn redeem_ticket(&self, ticket: &str) -> Result<Session, AppError> {
        let stored = self
            .tickets
            .redeem(&crate::secret::digest(ticket), Utc::now())?
            .ok_or(AppError::Unauthorized(INVALID_TICKET))?;
        self.auth
            .resume(
                stored.user,
                stored.session,
                stored.token_issued_at,
                stored.token_expires_at,
            )
            .map_err(|error| match error {
                AppError::Unauthorized(_) => AppError::Unauthorized(INVALID_TICKET),
                other => other,
            })
    }

    /// Whether the session still holds, or why not (the user changed their password or is gone, or was
    /// banned). Expiry is the caller's to time.
    pub(crate) fn still_valid(&self, session: &Session) -> Result<Standing, AppError> {
        match self
            .auth
            .holder(session.user.id, session.session, session.issued_at)
        {
            Ok(_) => Ok(Standing::Holds),
            Err(AppError::Unauthorized(_)) => Ok(Standing::SignedOut),
            Err(AppError::Banned(_)) => Ok(Standing::Banned),
            Err(other) => Err(other),
        }
    }

    /// Registers a stream for the session's user.
    pub fn open(&self, session: &Session) -> Result<Subscription, Refusal> {
        self.hub.subscribe(session.user.id)
    }

    /// What a stream delivers next: `owner`'s notifications after `after` (at most [`READ_BATCH`]), the
    /// unread count and the newest id. With `after: None`, only the count and the newest id.
    pub(crate) fn read(&self, owner: UserId, after: Option<InboxCursor>) -> Result<InboxSince, AppError> {
        Ok(self.notifications.since(owner, after, READ_BATCH)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::time::Duration as StdDuration;

    fn limits(per_user: usize, total: usize) -> StreamLimits {
        StreamLimits { per_user, total }
    }

    /// Whether `changed` has a wake-up waiting, without waiting for one.
    fn woken(subscription: &Subscription) -> bool {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let future = subscription.changed();
        let mut future = std::pin::pin!(future);
        future.as_mut().poll(&mut context).is_ready()
    }

    #[test]
    fn signals_wake_only_their_users_streams_and_coalesce() {
        let hub = Hub::new(limits(5, 100));
        let alice = hub.subscribe(UserId::from_stored(1)).unwrap();
        let alice_phone = hub.subscribe(UserId::from_stored(1)).unwrap();
        let bob = hub.subscribe(UserId::from_stored(2)).unwrap();
        assert!(!woken(&alice), "nothing happened yet");

        for _ in 0..1_000 {
            hub.deliver(Signal::Inbox(UserId::from_stored(1)));
        }
        assert!(woken(&alice) && woken(&alice_phone));
        assert!(!woken(&alice), "a thousand signals are one wake-up");
        assert!(!woken(&bob), "Bob's inbox did not change");

        hub.deliver(Signal::Inbox(UserId::from_stored(1)));
        assert!(woken(&alice));
        assert!(!alice.take_recheck(), "an inbox change is not a password change");
        hub.deliver(Signal::Resync);
        assert!(woken(&alice) && woken(&alice_phone) && woken(&bob));
        assert!(
            alice.take_recheck() && bob.take_recheck(),
            "after missed signals, tokens are checked again too"
        );

        hub.deliver(Signal::Credentials(UserId::from_stored(2)));
        assert!(woken(&bob) && bob.take_recheck());
        assert!(!bob.take_recheck(), "taken once");
        assert!(!woken(&alice));
    }

    #[test]
    fn limits_per_user_and_in_all_and_dropped_streams_free_their_place() {
        let hub = Hub::new(limits(2, 3));
        let first = hub.subscribe(UserId::from_stored(1)).unwrap();
        let _second = hub.subscribe(UserId::from_stored(1)).unwrap();
        assert_eq!(
            hub.subscribe(UserId::from_stored(1)).unwrap_err(),
            Refusal::UserLimit(2)
        );
        let _bob = hub.subscribe(UserId::from_stored(2)).unwrap();
        assert_eq!(
            hub.subscribe(UserId::from_stored(3)).unwrap_err(),
            Refusal::ServerLimit(3)
        );
        assert_eq!(hub.open_streams(), 3);
        drop(first);
        assert_eq!(hub.open_streams(), 2);
        let _again = hub
            .subscribe(UserId::from_stored(1))
            .expect("the dropped stream's place is free");
    }

    #[test]
    fn closing_wakes_every_stream_and_refuses_new_ones() {
        let hub = Hub::new(limits(5, 100));
        let alice = hub.subscribe(UserId::from_stored(1)).unwrap();
        hub.close();
        assert!(woken(&alice) && alice.is_closed());
        assert_eq!(
            hub.subscribe(UserId::from_stored(2)).unwrap_err(),
            Refusal::ShuttingDown
        );
    }

    #[test]
    fn a_waiting_stream_is_woken_from_another_thread() {
        let hub = Hub::new(limits(5, 100));
        let alice = hub.subscribe(UserId::from_stored(1)).unwrap();
        let signaller = hub.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(StdDuration::from_millis(20));
            signaller.deliver(Signal::Inbox(UserId::from_stored(1)));
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(StdDuration::from_secs(5), alice.changed())
                .await
                .expect("woken by the other thread");
        });
        thread.join().unwrap();
    }
}
