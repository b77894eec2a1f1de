//! One open notification stream, as a state machine that knows no runtime and no wire format.
//!
//! A stream delivers, in id order, every notification of its user above its cursor, then waits to be
//! woken ([`Subscription`]) and reads again. The cursor starts at the replay point (`Last-Event-ID` or
//! `after`), or else at the user's newest notification; each delivered notification moves it. So a
//! reconnect with the last id received continues exactly where the previous stream stopped.
//!
//! The stream does not wait, sleep or touch storage itself: [`LiveStream::step`] says what to do next
//! ([`Next`]), and the driver (the HTTP adapter) does it with its own timers and blocking pool, then
//! reports back ([`LiveStream::woken`], [`LiveStream::checked`], [`LiveStream::read`]). The jobs that
//! touch storage ([`Check`], [`Read`]) own what they need, so they can be moved to another thread.

use std::collections::VecDeque;
use std::fmt::Display;
use std::time::Duration;

use chrono::Utc;
use plaza_domain::UserId;
use plaza_domain::notification::{InboxCursor, InboxSince, Notification};
use tokio::sync::SemaphorePermit;

use crate::auth::{INVALID_TOKEN, Session};
use crate::error::AppError;
use crate::live::{LiveService, READ_BATCH, Standing, Subscription};
use crate::token::CLOCK_SKEW_SECONDS;

/// How often a quiet stream reads its inbox and checks its token anyway: a signal lost on its way (the
/// PostgreSQL listener reconnecting, a `NOTIFY` that failed) delays a notification at most this long.
pub const SAFETY_READ: Duration = Duration::from_secs(60);

/// Why a stream ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The session's token expired: do not reconnect with it.
    TokenExpired,
    /// The password changed (or the user is gone): do not reconnect with the session.
    SignedOut,
    /// The account was banned: do not reconnect until the ban ends.
    AccountBanned,
    /// The instance is stopping: reconnect with the last id received.
    ShuttingDown,
    /// Storage failed: reconnect with the last id received, nothing is lost.
    Unavailable,
}

impl EndReason {
    /// The reason as the contract spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TokenExpired => "token_expired",
            Self::SignedOut => "signed_out",
            Self::AccountBanned => "account_banned",
            Self::ShuttingDown => "shutting_down",
            Self::Unavailable => "unavailable",
        }
    }
}

/// What a stream sends its client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A notification above the cursor, in id order.
    Notification(Notification),
    /// All of the user's unread notifications, when the count changed (and once at the start).
    Unread(u64),
    /// The last delivery: the stream is over.
    End(EndReason),
}

/// What woke a waiting stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woken {
    /// [`LiveStream::changed`] returned: a signal, or the instance closing.
    Signal,
    /// The token's expiry came.
    Expiry,
    /// [`SAFETY_READ`] passed without either.
    SafetyRead,
}

/// What the driver does next.
#[derive(Debug)]
pub enum Next {
    /// Send this to the client, then ask again.
    Send(Delivery),
    /// Nothing to do until [`LiveStream::changed`] returns, `token_expires_in` passes or `safety_read`
    /// passes, whichever comes first; then report it with [`LiveStream::woken`].
    Wait {
        token_expires_in: Duration,
        safety_read: Duration,
    },
    /// Check the session (it touches storage: run it where blocking is allowed), then report the result
    /// with [`LiveStream::checked`].
    Check(Box<Check>),
    /// Take a turn ([`LiveStream::read_turn`]) and read (it touches storage), then report the result with
    /// [`LiveStream::read`].
    Read(Read),
    /// The stream is over: close it.
    Closed,
}

/// Whether the session still holds; see [`Next::Check`].
#[derive(Clone)]
pub struct Check {
    live: LiveService,
    session: Session,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check")
            .field("user", &self.session.user.id)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// `Ok(None)` while the session holds; why the stream ends once the user changed their password (or
    /// is gone), or was banned.
    pub fn run(self) -> Result<Option<EndReason>, AppError> {
        Ok(match self.live.still_valid(&self.session)? {
            Standing::Holds => None,
            Standing::SignedOut => Some(EndReason::SignedOut),
            Standing::Banned => Some(EndReason::AccountBanned),
        })
    }
}

/// The next batch above the cursor; see [`Next::Read`].
#[derive(Clone)]
pub struct Read {
    live: LiveService,
    owner: UserId,
    cursor: InboxCursor,
}

impl std::fmt::Debug for Read {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Read")
            .field("owner", &self.owner)
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

impl Read {
    pub fn run(self) -> Result<InboxSince, AppError> {
        self.live.read(self.owner, Some(self.cursor))
    }
}

/// Where a stream is between two deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting to be woken, unless the last read was a full batch.
    Idle,
    /// Woken (`periodic`: by the safety read): the ends are looked at, then the session or the inbox.
    Awake { periodic: bool },
    /// A check is out.
    Checking,
    /// The check passed: read.
    Checked,
    /// A read is out.
    Reading,
}

/// One open stream: what it has delivered, and what it has yet to send.
pub struct LiveStream {
    live: LiveService,
    session: Session,
    subscription: Subscription,
    /// The highest notification id delivered (or skipped, at the start without a replay).
    cursor: InboxCursor,
    /// The unread count last queued.
    unread: Option<u64>,
    pending: VecDeque<Delivery>,
    /// The last read was a full batch: read again before waiting.
    more: bool,
    ended: bool,
    stage: Stage,
}

impl LiveStream {
    /// Starts a stream on a registered `subscription` (registered first, so that whatever commits from
    /// then on wakes it), replaying after `after` if given: checks the session once more (a password
    /// change that landed before the registration signalled no stream of this one's) and reads the
    /// first batch. Touches storage.
    pub fn start(
        live: &LiveService,
        session: Session,
        subscription: Subscription,
        after: Option<InboxCursor>,
    ) -> Result<Self, AppError> {
        if live.still_valid(&session)? != Standing::Holds {
            return Err(AppError::Unauthorized(INVALID_TOKEN));
        }
        let first = live.read(session.user.id, after)?;
        let newest = first.newest.map_or(InboxCursor::Start, InboxCursor::At);
        let mut stream = Self {
            live: live.clone(),
            session,
            subscription,
            // An id beyond the newest (a stale client after a restore, say) would hide every new one below it.
            cursor: after.map_or(newest, |after| after.min(newest)),
            unread: None,
            pending: VecDeque::new(),
            more: false,
            ended: false,
            stage: Stage::Idle,
        };
        stream.take(first);
        Ok(stream)
    }

    /// The highest notification id delivered so far.
    pub fn cursor(&self) -> InboxCursor {
        self.cursor
    }

    /// What to do next. Never waits and never touches storage.
    pub fn step(&mut self) -> Next {
        loop {
            if let Some(delivery) = self.pending.pop_front() {
                return Next::Send(delivery);
            }
            if self.ended {
                return Next::Closed;
            }
            match self.stage {
                Stage::Idle if !self.more => {
                    return Next::Wait {
                        token_expires_in: self.token_expires_in(),
                        safety_read: SAFETY_READ,
                    };
                }
                Stage::Idle => self.stage = Stage::Awake { periodic: false },
                Stage::Awake { periodic } => {
                    if self.subscription.is_closed() {
                        self.end(EndReason::ShuttingDown);
                    } else if self.token_expires_in().is_zero() {
                        self.end(EndReason::TokenExpired);
                    } else if self.subscription.take_recheck() || periodic {
                        self.stage = Stage::Checking;
                    } else {
                        self.stage = Stage::Checked;
                    }
                }
                Stage::Checking => {
                    return Next::Check(Box::new(Check {
                        live: self.live.clone(),
                        session: self.session.clone(),
                    }));
                }
                Stage::Checked | Stage::Reading => {
                    self.stage = Stage::Reading;
                    return Next::Read(Read {
                        live: self.live.clone(),
                        owner: self.subscription.user(),
                        cursor: self.cursor,
                    });
                }
            }
        }
    }

    /// Returns once something may have changed since the last call (at once if it already has): the
    /// wake-up [`Next::Wait`] waits for.
    pub async fn changed(&self) {
        self.subscription.changed().await;
    }

    /// A turn to read storage, held while a [`Read`] runs (see [`crate::live::READS_AT_ONCE`]).
    pub async fn read_turn(&self) -> Option<SemaphorePermit<'_>> {
        self.subscription.read_turn().await
    }

    /// The wait of [`Next::Wait`] is over.
    pub fn woken(&mut self, by: Woken) {
        if self.stage == Stage::Idle {
            self.stage = Stage::Awake {
                periodic: by == Woken::SafetyRead,
            };
        }
    }

    /// The result of a [`Check`]; an error (whatever failed running it) ends the stream as
    /// [`EndReason::Unavailable`].
    pub fn checked<E: Display>(&mut self, result: Result<Option<EndReason>, E>) {
        match result {
            Ok(None) => self.stage = Stage::Checked,
            Ok(Some(reason)) => self.end(reason),
            Err(error) => self.fail(&error),
        }
    }

    /// The result of a [`Read`]; an error ends the stream as [`EndReason::Unavailable`].
    pub fn read<E: Display>(&mut self, result: Result<InboxSince, E>) {
        match result {
            Ok(inbox) => {
                self.stage = Stage::Idle;
                self.take(inbox);
            }
            Err(error) => self.fail(&error),
        }
    }

    /// Queues what a read found: new notifications in id order, then the unread count if it changed.
    fn take(&mut self, inbox: InboxSince) {
        self.more = inbox.notifications.len() >= READ_BATCH as usize;
        for notification in inbox.notifications {
            self.cursor = self.cursor.max(InboxCursor::At(notification.id));
            self.pending.push_back(Delivery::Notification(notification));
        }
        // Once a replay has caught up: the count belongs with the notifications it counts.
        if !self.more && self.unread != Some(inbox.unread) {
            self.unread = Some(inbox.unread);
            self.pending.push_back(Delivery::Unread(inbox.unread));
        }
    }

    fn end(&mut self, reason: EndReason) {
        self.pending.push_back(Delivery::End(reason));
        self.ended = true;
    }

    /// Storage failed: the client reconnects with its last id and loses nothing.
    fn fail(&mut self, error: &dyn Display) {
        tracing::warn!(%error, "a notification stream ends: storage failed");
        self.end(EndReason::Unavailable);
    }

    /// Time left before the session's token expires (with the same leeway as its check).
    fn token_expires_in(&self) -> Duration {
        let left = self.session.expires_at + CLOCK_SKEW_SECONDS - Utc::now().timestamp();
        Duration::from_secs(left.max(0).unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use chrono::Duration as ChronoDuration;
    use mockall::predicate::eq;
    use plaza_domain::NotificationId;
    use plaza_domain::live::{MockStreamTicketStore, Signal, SignalSink};
    use plaza_domain::notification::MockNotificationRepository;
    use plaza_domain::user::{MockUserRepository, User};

    use crate::auth::AuthService;
    use crate::live::{Hub, StreamLimits};
    use crate::password::MockPasswordHasher;
    use crate::token::JwtTokenCodec;
    use crate::users::tests::user;

    const ALICE: UserId = UserId::from_stored(1);

    /// Alice, whose password last changed an hour ago.
    fn alice() -> User {
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - ChronoDuration::hours(1);
        alice
    }

    /// A session issued a minute ago, expiring in `expires_in` seconds.
    fn session(expires_in: i64) -> Session {
        let now = Utc::now().timestamp();
        Session {
            user: alice(),
            issued_at: now - 60,
            expires_at: now + expires_in,
            session: None,
        }
    }

    /// The user store answers each look-up of Alice in turn: `true`, her password is unchanged; `false`,
    /// it changed a moment ago.
    fn users(unchanged: Vec<bool>) -> MockUserRepository {
        let mut users = MockUserRepository::new();
        let mut answers = unchanged.into_iter();
        users.expect_find().with(eq(ALICE)).returning(move |_| {
            let mut found = alice();
            if !answers.next().expect("no more look-ups expected") {
                found.token_epoch = Utc::now();
            }
            Ok(Some(found))
        });
        users
    }

    fn service(hub: &Arc<Hub>, users: MockUserRepository, inbox: MockNotificationRepository) -> LiveService {
        let tokens = Arc::new(JwtTokenCodec::new(&[7u8; 32], 30).unwrap());
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            tokens,
            Arc::new(plaza_domain::session::MockSessionRepository::new()),
        );
        LiveService::new(
            hub.clone(),
            Arc::new(inbox),
            Arc::new(MockStreamTicketStore::new()),
            auth,
        )
    }

    fn notification(id: i64) -> Notification {
        Notification {
            id: NotificationId::from_stored(id),
            message: format!("n{id}"),
            created_at: Utc::now(),
            sender: "Bob".into(),
            sender_id: UserId::from_stored(2),
            owner_id: ALICE,
            event_id: None,
            subject: plaza_domain::notification::NotificationSubject::Message,
            read: false,
        }
    }

    fn inbox(ids: impl IntoIterator<Item = i64>, unread: u64, newest: i64) -> InboxSince {
        InboxSince {
            notifications: ids.into_iter().map(notification).collect(),
            unread,
            // 0: she has none.
            newest: NotificationId::parse(newest).ok(),
        }
    }

    /// The cursor at notification `id`.
    fn at(id: i64) -> InboxCursor {
        InboxCursor::At(NotificationId::from_stored(id))
    }

    fn hub() -> Arc<Hub> {
        Hub::new(StreamLimits::default())
    }

    fn start(
        hub: &Arc<Hub>,
        live: &LiveService,
        session: Session,
        after: Option<InboxCursor>,
    ) -> Result<LiveStream, AppError> {
        let subscription = hub.subscribe(ALICE).unwrap();
        LiveStream::start(live, session, subscription, after)
    }

    /// Sends until the stream asks for something else, running its checks and reads on the spot.
    fn drain(stream: &mut LiveStream) -> (Vec<Delivery>, Next) {
        let mut sent = Vec::new();
        loop {
            match stream.step() {
                Next::Send(delivery) => sent.push(delivery),
                Next::Check(check) => stream.checked(check.run()),
                Next::Read(read) => stream.read(read.run()),
                other => return (sent, other),
            }
        }
    }

    fn ids(sent: &[Delivery]) -> Vec<i64> {
        sent.iter()
            .filter_map(|delivery| match delivery {
                Delivery::Notification(notification) => Some(notification.id.get()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn end_reasons_are_spelled_as_the_contract_says() {
        let spelled = [
            EndReason::TokenExpired,
            EndReason::SignedOut,
            EndReason::AccountBanned,
            EndReason::ShuttingDown,
            EndReason::Unavailable,
        ]
        .map(EndReason::as_str);
        assert_eq!(
            spelled,
            [
                "token_expired",
                "signed_out",
                "account_banned",
                "shutting_down",
                "unavailable"
            ]
        );
    }

    #[test]
    fn without_a_replay_the_stream_starts_at_the_newest_and_sends_the_count() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .with(eq(ALICE), eq(None), eq(READ_BATCH))
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 3, 42)));
        repo.expect_since()
            .with(eq(ALICE), eq(Some(at(42))), eq(READ_BATCH))
            .times(1)
            .returning(|_, _, _| Ok(inbox(43..=43, 4, 43)));
        let live = service(&hub, users(vec![true]), repo);
        let mut stream = start(&hub, &live, session(600), None).unwrap();
        assert_eq!(stream.cursor(), at(42));
        let (sent, next) = drain(&mut stream);
        assert_eq!(sent, [Delivery::Unread(3)]);
        let Next::Wait {
            token_expires_in,
            safety_read,
        } = next
        else {
            panic!("a stream with nothing to send waits, not {next:?}");
        };
        assert!(token_expires_in > Duration::from_secs(600) && token_expires_in <= Duration::from_secs(610));
        assert_eq!(safety_read, SAFETY_READ);

        hub.deliver(Signal::Inbox(ALICE));
        stream.woken(Woken::Signal);
        let (sent, next) = drain(&mut stream);
        assert_eq!(ids(&sent), [43]);
        assert_eq!(sent.last(), Some(&Delivery::Unread(4)));
        assert!(matches!(next, Next::Wait { .. }));
        assert_eq!(stream.cursor(), at(43));
    }

    #[test]
    fn a_replay_reads_full_batches_without_waiting_and_counts_once_caught_up() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .with(eq(ALICE), eq(Some(InboxCursor::Start)), eq(READ_BATCH))
            .times(1)
            .returning(|_, _, _| Ok(inbox(1..=100, 5, 102)));
        repo.expect_since()
            .with(eq(ALICE), eq(Some(at(100))), eq(READ_BATCH))
            .times(1)
            .returning(|_, _, _| Ok(inbox(101..=102, 5, 102)));
        let live = service(&hub, users(vec![true]), repo);
        let mut stream = start(&hub, &live, session(600), Some(InboxCursor::Start)).unwrap();
        let (sent, next) = drain(&mut stream);
        assert_eq!(ids(&sent), (1..=102).collect::<Vec<_>>());
        assert_eq!(
            sent.iter()
                .filter(|delivery| matches!(delivery, Delivery::Unread(_)))
                .collect::<Vec<_>>(),
            [&Delivery::Unread(5)],
            "the count comes once, after the notifications it counts"
        );
        assert_eq!(sent.last(), Some(&Delivery::Unread(5)));
        assert!(matches!(next, Next::Wait { .. }));
    }

    #[test]
    fn a_replay_point_beyond_the_newest_starts_at_the_newest() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .with(eq(ALICE), eq(Some(at(900))), eq(READ_BATCH))
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 0, 7)));
        let live = service(&hub, users(vec![true]), repo);
        let stream = start(&hub, &live, session(600), Some(at(900))).unwrap();
        assert_eq!(stream.cursor(), at(7));
    }

    #[test]
    fn a_password_changed_while_opening_refuses_the_stream_before_any_read() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since().never();
        let live = service(&hub, users(vec![false]), repo);
        assert!(matches!(
            start(&hub, &live, session(600), None),
            Err(AppError::Unauthorized(INVALID_TOKEN))
        ));
    }

    #[test]
    fn a_password_change_signal_checks_the_session_and_ends_it_signed_out() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 0, 0)));
        // Opening, then the second credentials signal (changed); the first one's check is answered here.
        let live = service(&hub, users(vec![true, false]), repo);
        let mut stream = start(&hub, &live, session(600), None).unwrap();
        drain(&mut stream);

        hub.deliver(Signal::Credentials(ALICE));
        stream.woken(Woken::Signal);
        assert!(matches!(stream.step(), Next::Check(_)), "checked before reading");
        stream.checked(Ok::<_, AppError>(None));
        assert!(matches!(stream.step(), Next::Read(_)));
        stream.read(Ok::<_, AppError>(inbox([], 0, 0)));
        assert!(matches!(stream.step(), Next::Wait { .. }));

        hub.deliver(Signal::Credentials(ALICE));
        stream.woken(Woken::Signal);
        let (sent, next) = drain(&mut stream);
        assert_eq!(sent, [Delivery::End(EndReason::SignedOut)]);
        assert!(matches!(next, Next::Closed));
    }

    #[test]
    fn a_plain_inbox_signal_reads_without_checking_but_the_safety_read_checks() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since().returning(|_, _, _| Ok(inbox([], 0, 0)));
        let live = service(&hub, users(vec![true, true]), repo);
        let mut stream = start(&hub, &live, session(600), None).unwrap();
        drain(&mut stream);

        hub.deliver(Signal::Inbox(ALICE));
        stream.woken(Woken::Signal);
        assert!(matches!(stream.step(), Next::Read(_)));
        stream.read(Ok::<_, AppError>(inbox([], 0, 0)));

        stream.woken(Woken::SafetyRead);
        assert!(matches!(stream.step(), Next::Check(_)));
        stream.checked(Ok::<_, AppError>(None));
        assert!(matches!(stream.step(), Next::Read(_)));
    }

    #[test]
    fn an_expired_token_ends_the_stream() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 2, 9)));
        let live = service(&hub, users(vec![true]), repo);
        // Expired beyond the leeway: nothing is left to wait for.
        let mut stream = start(&hub, &live, session(-CLOCK_SKEW_SECONDS - 1), None).unwrap();
        assert!(matches!(stream.step(), Next::Send(Delivery::Unread(2))));
        match stream.step() {
            Next::Wait { token_expires_in, .. } => assert!(token_expires_in.is_zero()),
            other => panic!("expected a wait, got {other:?}"),
        }
        stream.woken(Woken::Expiry);
        let (sent, next) = drain(&mut stream);
        assert_eq!(sent, [Delivery::End(EndReason::TokenExpired)]);
        assert!(matches!(next, Next::Closed));
    }

    #[test]
    fn a_closing_instance_ends_its_streams() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 0, 0)));
        let live = service(&hub, users(vec![true]), repo);
        let mut stream = start(&hub, &live, session(600), None).unwrap();
        drain(&mut stream);
        hub.close();
        stream.woken(Woken::Signal);
        let (sent, next) = drain(&mut stream);
        assert_eq!(sent, [Delivery::End(EndReason::ShuttingDown)]);
        assert!(matches!(next, Next::Closed));
    }

    #[test]
    fn failed_storage_ends_the_stream_as_unavailable_after_what_was_queued() {
        let hub = hub();
        let mut repo = MockNotificationRepository::new();
        repo.expect_since()
            .times(1)
            .returning(|_, _, _| Ok(inbox([], 1, 3)));
        repo.expect_since()
            .times(1)
            .returning(|_, _, _| Err(plaza_domain::RepoError::Unavailable("down".into())));
        let live = service(&hub, users(vec![true]), repo);
        let mut stream = start(&hub, &live, session(600), None).unwrap();
        assert!(matches!(stream.step(), Next::Send(Delivery::Unread(1))));
        assert!(matches!(stream.step(), Next::Wait { .. }));
        stream.woken(Woken::Signal);
        let (sent, next) = drain(&mut stream);
        assert_eq!(sent, [Delivery::End(EndReason::Unavailable)]);
        assert!(matches!(next, Next::Closed));
        assert!(matches!(stream.step(), Next::Closed), "over stays over");
    }
}
