//! Logging in and recognising the caller from a token.

use std::sync::Arc;

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::login::{FailureLimits, SharedLoginFailures};
use plaza_domain::session::{self as sessions, Device, Expiry, NewSession, Renewal, SessionRepository};
use plaza_domain::user::{Password, User, UserRepository};
use plaza_domain::{RepoError, SessionId, UserId};

use crate::error::AppError;
use crate::password::PasswordHasher;
use crate::stored_now;
use crate::throttle::{self, LoginThrottle};
use crate::token::{IssuedToken, TokenCodec};

/// One message for an unknown user and a wrong password alike.
pub const BAD_CREDENTIALS: &str = "incorrect username or password";
pub(crate) const INVALID_TOKEN: &str = "invalid or expired token";
/// A refresh token that is unknown, expired, or whose session ended.
pub const INVALID_REFRESH_TOKEN: &str = "invalid or expired refresh token";

/// How long a session lasts without renewal when the person asked to stay signed in ("Remember me").
pub const REMEMBERED_SESSION: Duration = Duration::days(30);
/// How long any other session lasts without renewal.
pub const SESSION: Duration = Duration::hours(12);

/// What a successful login or renewal hands out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The access token, and how long it lasts.
    pub access: IssuedToken,
    /// The secret that renews the session once; only its digest is stored.
    pub refresh_token: String,
    /// Seconds until the session ends unless renewed.
    pub refresh_expires_in: i64,
    /// The session both belong to.
    pub session: SessionId,
}

/// One of the caller's sessions, as they see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    pub session: sessions::Session,
    /// Whether it is the session of the token that asked.
    pub current: bool,
}

/// What a genuine, current token names: checked for itself, not yet against the store.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    user: UserId,
    session: Option<SessionId>,
    issued_at: i64,
    expires_at: i64,
}

/// A signed-in user, as a token vouches for them until it expires.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token's `iat` and `exp`, in seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
    /// The login the token descends from (`None` for tokens from before sessions were kept).
    pub session: Option<SessionId>,
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    passwords: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    sessions: Arc<dyn SessionRepository>,
    throttle: Arc<LoginThrottle>,
    /// The failures every instance sees, when instances share a store.
    shared: Option<Arc<dyn SharedLoginFailures>>,
    /// Where an ended session is announced, so that the live streams it opened close.
    bus: Option<Arc<dyn NotificationBus>>,
}

/// How long a session lasts without renewal.
pub fn session_lifetime(remember: bool) -> Duration {
    if remember { REMEMBERED_SESSION } else { SESSION }
}

/// The shared counts keep the same limits as each process's own.
fn shared_limits() -> FailureLimits {
    FailureLimits {
        per_name: throttle::MAX_FAILURES as u64,
        per_client: throttle::MAX_CLIENT_FAILURES as u64,
        window: chrono::Duration::from_std(throttle::WINDOW).unwrap_or(chrono::Duration::minutes(5)),
    }
}

impl AuthService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        passwords: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenCodec>,
        sessions: Arc<dyn SessionRepository>,
    ) -> Self {
        Self {
            users,
            passwords,
            tokens,
            sessions,
            throttle: Arc::default(),
            shared: None,
            bus: None,
        }
    }

    /// Announces ended sessions on `bus`, so that the streams they opened close.
    #[must_use]
    pub fn with_bus(mut self, bus: Arc<dyn NotificationBus>) -> Self {
        self.bus = Some(bus);
        self
    }

    /// Also counts failed logins in `shared`, which every instance on the same store sees.
    #[must_use]
    pub fn with_shared_failures(mut self, shared: Arc<dyn SharedLoginFailures>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Exchanges a user name and password for a new session on `device`: an access token and the refresh
    /// token that renews it (see [`check_credentials`](Self::check_credentials) for the checks).
    pub fn login(
        &self,
        client: &str,
        username: &str,
        password: &str,
        device: Device,
        remember: bool,
    ) -> Result<SignedIn, AppError> {
        let user = self.check_credentials(client, username, password)?;
        let now = stored_now();
        refuse_banned(&user, now)?;
        let refresh_token = crate::secret::new_secret()?;
        let expires_at = now + session_lifetime(remember);
        let session = self
            .sessions
            .start(NewSession {
                user: user.id,
                device,
                remember,
                signed_in_at: crate::token::first_valid_second(now, user.token_epoch),
                refresh_key: crate::secret::digest(&refresh_token),
                now,
                expires_at,
            })
            .map_err(|error| match error {
                // The account was deleted while the password was checked: as if it had not been there.
                RepoError::NotFound => AppError::Unauthorized(BAD_CREDENTIALS),
                other => other.into(),
            })?;
        self.signed_in(&user, session.id, refresh_token, expires_at, now)
    }

    fn signed_in(
        &self,
        user: &User,
        session: SessionId,
        refresh_token: String,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<SignedIn, AppError> {
        Ok(SignedIn {
            access: self.tokens.issue(user.id, user.token_epoch, Some(session), now)?,
            refresh_token,
            refresh_expires_in: (expires_at - now).num_seconds(),
            session,
        })
    }

    /// Spends `refresh_token` for a new access token and the next refresh token of the same session. A
    /// token spent before ends its whole session ([`AppError::RefreshTokenReused`]): one of its copies is
    /// in someone else's hands. A session from before a password change has ended too.
    pub fn refresh(&self, refresh_token: &str) -> Result<SignedIn, AppError> {
        let invalid = || AppError::Unauthorized(INVALID_REFRESH_TOKEN);
        if refresh_token.is_empty() || refresh_token.len() > 512 {
            return Err(invalid());
        }
        let now = stored_now();
        let next = crate::secret::new_secret()?;
        let expiry = Expiry {
            remembered: now + session_lifetime(true),
            otherwise: now + session_lifetime(false),
        };
        let renewal = self.sessions.renew(
            &crate::secret::digest(refresh_token),
            &crate::secret::digest(&next),
            now,
            expiry,
        )?;
        let session = match renewal {
            Renewal::Renewed(session) => session,
            Renewal::Reused { session, user } => {
                tracing::warn!(
                    session = session.get(),
                    user = user.get(),
                    "a spent refresh token came back: its session has ended"
                );
                self.publish_ended(user);
                return Err(AppError::RefreshTokenReused);
            }
            Renewal::Unknown => return Err(invalid()),
        };
        let expires_at = session.expires_at;
        let user = self
            .users
            .find(session.user)?
            .filter(|user| !user.is_deleted())
            .ok_or_else(invalid)?;
        if crate::token::predates(session.signed_in_at, user.token_epoch) {
            self.sessions.end(user.id, session.id)?;
            return Err(invalid());
        }
        if let Err(banned) = refuse_banned(&user, now) {
            // Renewing spent the token it came with, and its successor cannot be handed out: the session
            // ends here rather than have its next refresh look like a stolen token's reuse.
            self.sessions.end(user.id, session.id)?;
            return Err(banned);
        }
        self.signed_in(&user, session.id, next, expires_at, now)
    }

    /// Ends the session `session` was authenticated with (nothing for a token from before sessions).
    pub fn logout(&self, session: &Session) -> Result<(), AppError> {
        if let Some(id) = session.session
            && self.sessions.end(session.user.id, id)?
        {
            self.publish_ended(session.user.id);
        }
        Ok(())
    }

    /// The caller's sessions that still hold, the most recently used first.
    pub fn sessions(&self, caller: &Session) -> Result<Vec<SessionView>, AppError> {
        let user = &caller.user;
        Ok(self
            .sessions
            .list(user.id, Utc::now())?
            .into_iter()
            .filter(|session| !crate::token::predates(session.signed_in_at, user.token_epoch))
            .map(|session| SessionView {
                current: Some(session.id) == caller.session,
                session,
            })
            .collect())
    }

    /// Ends one of the caller's sessions; `NotFound` when they have no such session.
    pub fn end_session(&self, caller: &User, id: SessionId) -> Result<(), AppError> {
        if self.sessions.end(caller.id, id)? {
            self.publish_ended(caller.id);
            Ok(())
        } else {
            Err(AppError::NotFound("session"))
        }
    }

    /// Live streams of `user` check whether their session still holds.
    fn publish_ended(&self, user: UserId) {
        if let Some(bus) = &self.bus {
            bus.publish(&[Signal::Credentials(user)]);
        }
    }

    /// Checks a user name (any case) and password. An unknown user costs the same bcrypt work as a wrong
    /// password, so neither answer nor timing says which it was. `client` identifies the caller (its
    /// address) for throttling (see [`LoginThrottle`]): the attempt is counted as a failure before the
    /// password is checked, so parallel guesses get no more checks than sequential ones.
    pub fn check_credentials(&self, client: &str, username: &str, password: &str) -> Result<User, AppError> {
        let attempt = self
            .throttle
            .begin(client, username, Instant::now())
            .map_err(AppError::RateLimited)?;
        let reservation = match &self.shared {
            None => None,
            Some(shared) => match shared.reserve(client, username, shared_limits(), Utc::now()) {
                Ok(Ok(reservation)) => Some((shared, reservation)),
                Ok(Err(wait)) => {
                    attempt.cancelled();
                    return Err(AppError::RateLimited(wait));
                }
                Err(error) => {
                    attempt.cancelled();
                    return Err(error.into());
                }
            },
        };
        // bcrypt ignores what follows the 72nd byte: such a password matches no account (registration
        // refuses them), and must not log in as its first 72 bytes.
        if password.len() > Password::MAX_BYTES {
            return Err(AppError::Unauthorized(BAD_CREDENTIALS));
        }
        let checked = match self.users.find_by_username(username) {
            Ok(Some(user)) => self
                .passwords
                .verify(password, &user.password_hash)
                .map(|right| right.then_some(user)),
            Ok(None) => self.passwords.verify_nobody(password).map(|()| None),
            Err(error) => Err(error.into()),
        };
        match checked {
            Ok(Some(user)) => {
                attempt.succeeded();
                self.upgrade_hash(&user, password);
                if let Some((shared, reservation)) = reservation {
                    // A right password is not refused because the bookkeeping failed: the failure left
                    // counted ages out with the window.
                    if let Err(error) =
                        shared.release(reservation, Some((client.to_owned(), username.to_owned())))
                    {
                        tracing::warn!(%error, "a successful login's reserved failure stays counted");
                    }
                }
                Ok(user)
            }
            Ok(None) => Err(AppError::Unauthorized(BAD_CREDENTIALS)),
            Err(error) => {
                attempt.cancelled();
                if let Some((shared, reservation)) = reservation
                    && let Err(error) = shared.release(reservation, None)
                {
                    tracing::warn!(%error, "an unchecked login's reserved failure stays counted");
                }
                Err(error)
            }
        }
    }

    /// After the hashing cost was raised, an account's hash is made again at the current cost the next
    /// time its password is known to be right. A failure here only leaves the old hash in place.
    fn upgrade_hash(&self, user: &User, password: &str) {
        if !self.passwords.needs_rehash(&user.password_hash) {
            return;
        }
        let Ok(password) = Password::parse(password) else {
            return;
        };
        let upgraded = self.passwords.hash(&password).and_then(|upgraded| {
            Ok(self
                .users
                .upgrade_password_hash(user.id, &user.password_hash, &upgraded)?)
        });
        if let Err(error) = upgraded {
            tracing::warn!(%error, user = user.id.get(), "a password hash stays at its old cost");
        }
    }

    /// The user a bearer token stands for: valid signature and expiry, an existing user, and issued after
    /// that user's last password change.
    pub fn authenticate(&self, token: &str) -> Result<User, AppError> {
        self.session(token).map(|session| session.user)
    }

    /// What a token says for itself, checked without the store: its signature, its lifetime and its
    /// claims. A token refused here is refused by [`session`](Self::session) the same way; one that passes
    /// may still name an ended session or a changed account ([`session_of`](Self::session_of) checks
    /// those). Cheap enough for an async worker, so a request with a bad token is refused before any other
    /// part of it is looked at.
    pub fn verify_token(&self, token: &str) -> Result<VerifiedToken, AppError> {
        let claims = self.tokens.decode(token)?;
        Ok(VerifiedToken {
            user: claims.subject()?,
            session: claims.session()?,
            issued_at: claims.iat,
            expires_at: claims.exp,
        })
    }

    /// Like [`authenticate`](Self::authenticate), with the token's lifetime.
    pub fn session(&self, token: &str) -> Result<Session, AppError> {
        self.session_of(&self.verify_token(token)?)
    }

    /// The session of a token [`verify_token`](Self::verify_token) accepted, checked against the store.
    pub fn session_of(&self, token: &VerifiedToken) -> Result<Session, AppError> {
        self.resume(token.user, token.session, token.issued_at, token.expires_at)
    }

    /// Like [`session_of`](Self::session_of), for a banned account too: what a banned user may still do
    /// is end their own sessions (log out), so that nothing of theirs stays open for the ban's lifting.
    pub fn session_even_if_banned_of(&self, token: &VerifiedToken) -> Result<Session, AppError> {
        self.resume_even_if_banned(token.user, token.session, token.issued_at, token.expires_at)
    }

    /// The session of a token issued to `id` at `issued_at` in `session`, checked again now: not
    /// expired, the user still there, no password change since it was issued, and its session not ended.
    pub fn resume(
        &self,
        id: UserId,
        session: Option<SessionId>,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<Session, AppError> {
        let session = self.resume_even_if_banned(id, session, issued_at, expires_at)?;
        refuse_banned(&session.user, Utc::now())?;
        Ok(session)
    }

    /// [`resume`](Self::resume) without the ban.
    fn resume_even_if_banned(
        &self,
        id: UserId,
        session: Option<SessionId>,
        issued_at: i64,
        expires_at: i64,
    ) -> Result<Session, AppError> {
        // The same leeway as the token's own `exp` check.
        if expires_at + crate::token::CLOCK_SKEW_SECONDS <= Utc::now().timestamp() {
            return Err(AppError::Unauthorized(INVALID_TOKEN));
        }
        Ok(Session {
            user: self.signed_in_holder(id, session, issued_at)?,
            issued_at,
            expires_at,
            session,
        })
    }

    /// The user a token issued to `id` at `issued_at` in `session` still stands for: they exist, have not
    /// changed their password since, and the session has not ended (by logout, by being ended from
    /// another device, or by a reused refresh token). Expiry is not looked at.
    pub fn holder(&self, id: UserId, session: Option<SessionId>, issued_at: i64) -> Result<User, AppError> {
        let user = self.signed_in_holder(id, session, issued_at)?;
        refuse_banned(&user, Utc::now())?;
        Ok(user)
    }

    /// [`holder`](Self::holder) without the ban.
    fn signed_in_holder(
        &self,
        id: UserId,
        session: Option<SessionId>,
        issued_at: i64,
    ) -> Result<User, AppError> {
        let user = match session {
            Some(session) => self.users.find_signed_in(id, session)?,
            None => self.users.find(id)?,
        }
        .filter(|user| !user.is_deleted())
        .ok_or(AppError::Unauthorized(INVALID_TOKEN))?;
        if crate::token::predates(issued_at, user.token_epoch) {
            return Err(AppError::Unauthorized(INVALID_TOKEN));
        }
        Ok(user)
    }
}

/// [`AppError::Banned`] while a ban holds on `user` at `now`. Checked after the credentials, so only
/// someone who holds them learns of the ban.
pub(crate) fn refuse_banned(user: &User, now: DateTime<Utc>) -> Result<(), AppError> {
    match user.active_ban(now) {
        Some(ban) => Err(AppError::Banned(ban.into())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::MockPasswordHasher;
    use crate::throttle::MAX_FAILURES;
    use crate::token::JwtTokenCodec;
    use crate::users::tests::user;
    use chrono::Duration;
    use plaza_domain::session::MockSessionRepository;
    use plaza_domain::user::MockUserRepository;

    /// Sessions that must not be touched: any call fails the test.
    fn no_sessions() -> Arc<MockSessionRepository> {
        Arc::new(MockSessionRepository::new())
    }

    fn codec() -> Arc<JwtTokenCodec> {
        Arc::new(JwtTokenCodec::new(&[7u8; 32], 30).unwrap())
    }

    #[test]
    fn unknown_user_and_wrong_password_look_the_same_and_cost_the_same() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .returning(|name| Ok((name == "alice").then(|| user(1, "alice"))));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().times(1).returning(|_, _| Ok(false));
        hasher.expect_verify_nobody().times(1).returning(|_| Ok(()));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions());

        let wrong_password = auth.check_credentials("c", "alice", "nope").unwrap_err();
        let unknown_user = auth.check_credentials("c", "mallory", "nope").unwrap_err();
        assert_eq!(wrong_password.to_string(), unknown_user.to_string());
        assert!(matches!(unknown_user, AppError::Unauthorized(BAD_CREDENTIALS)));
    }

    fn stored_session(id: i64, user: i64, remember: bool, signed_in_at: i64) -> sessions::Session {
        let now = Utc::now();
        sessions::Session {
            id: SessionId::from_stored(id),
            user: UserId::from_stored(user),
            device: "Firefox".into(),
            remember,
            signed_in_at,
            created_at: now,
            last_used_at: now,
            expires_at: now + session_lifetime(remember),
        }
    }

    /// Starts every session as number 7, and remembers the digest of its first refresh token.
    fn starting_sessions(first_key: Arc<std::sync::Mutex<String>>) -> MockSessionRepository {
        let mut sessions = MockSessionRepository::new();
        sessions.expect_start().returning(move |new| {
            *first_key.lock().unwrap() = new.refresh_key.clone();
            Ok(stored_session(7, new.user.get(), new.remember, new.signed_in_at))
        });
        sessions
    }

    #[test]
    fn a_login_starts_a_session_whose_token_authenticates_until_the_session_ends() {
        let mut users = MockUserRepository::new();
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - Duration::minutes(5);
        let stored = alice.clone();
        users
            .expect_find_by_username()
            .returning(move |_| Ok(Some(stored.clone())));
        // The store answers for the session the login started (7) until it ends.
        let ended = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = ended.clone();
        let stored = alice.clone();
        users.expect_find_signed_in().returning(move |id, session| {
            assert_eq!((id, session), (UserId::from_stored(1), SessionId::from_stored(7)));
            Ok((!seen.load(std::sync::atomic::Ordering::SeqCst)).then(|| stored.clone()))
        });
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| false);
        let first_key = Arc::new(std::sync::Mutex::new(String::new()));
        let sessions = starting_sessions(first_key.clone());
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), Arc::new(sessions));

        let signed_in = auth
            .login("c", "ALICE", "right", Device::describe(Some("Firefox")), true)
            .unwrap();
        assert_eq!(signed_in.session, SessionId::from_stored(7));
        assert_eq!(
            *first_key.lock().unwrap(),
            crate::secret::digest(&signed_in.refresh_token)
        );
        assert_eq!(signed_in.refresh_expires_in, REMEMBERED_SESSION.num_seconds());
        let session = auth.session(&signed_in.access.access_token).unwrap();
        assert_eq!(session.user.id, UserId::from_stored(1));
        assert_eq!(session.session, Some(SessionId::from_stored(7)));

        ended.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(matches!(
            auth.authenticate(&signed_in.access.access_token),
            Err(AppError::Unauthorized(INVALID_TOKEN))
        ));
    }

    #[test]
    fn a_login_that_loses_the_race_with_the_accounts_deletion_starts_nothing() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .returning(|_| Ok(Some(user(1, "alice"))));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| false);
        let mut sessions = MockSessionRepository::new();
        // Deleted while the password was checked: the store starts no session on it.
        sessions
            .expect_start()
            .times(1)
            .returning(|_| Err(RepoError::NotFound));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), Arc::new(sessions));
        let refused = auth.login("c", "alice", "right", Device::describe(None), false);
        assert!(
            matches!(refused, Err(AppError::Unauthorized(BAD_CREDENTIALS))),
            "{refused:?}"
        );
    }

    #[test]
    fn a_deleted_accounts_token_and_refresh_token_are_refused() {
        let mut users = MockUserRepository::new();
        let mut gone = user(1, "alice");
        gone.deleted_at = Some(Utc::now());
        gone.token_epoch = Utc::now() - Duration::minutes(5);
        let stored = gone.clone();
        users.expect_find().returning(move |_| Ok(Some(stored.clone())));
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            codec(),
            Arc::new(MockSessionRepository::new()),
        );
        // A token from before sessions (no session id) is checked against the account alone.
        let issued = Utc::now().timestamp();
        assert!(matches!(
            auth.holder(UserId::from_stored(1), None, issued),
            Err(AppError::Unauthorized(_))
        ));

        // A refresh token renewed just as the account went: refused, nothing handed out.
        let mut users = MockUserRepository::new();
        let stored = gone.clone();
        users.expect_find().returning(move |_| Ok(Some(stored.clone())));
        let mut sessions = MockSessionRepository::new();
        sessions.expect_renew().returning(|_, _, _, _| {
            Ok(Renewal::Renewed(stored_session(
                7,
                1,
                false,
                Utc::now().timestamp(),
            )))
        });
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            codec(),
            Arc::new(sessions),
        );
        assert!(matches!(auth.refresh("good"), Err(AppError::Unauthorized(_))));
    }

    #[test]
    fn a_banned_account_is_refused_at_login_and_with_every_token_until_the_ban_ends() {
        let banned_until = |until| {
            let mut bob = user(2, "bob");
            bob.token_epoch = Utc::now() - Duration::minutes(5);
            bob.ban = Some(plaza_domain::user::Ban {
                reason: "spam".into(),
                until,
                since: Utc::now() - Duration::minutes(1),
            });
            bob
        };
        for (until, refused) in [
            (None, true),
            (Some(Utc::now() + Duration::hours(1)), true),
            (Some(Utc::now() - Duration::seconds(1)), false),
        ] {
            let bob = banned_until(until);
            let mut users = MockUserRepository::new();
            let stored = bob.clone();
            users
                .expect_find_by_username()
                .returning(move |_| Ok(Some(stored.clone())));
            users
                .expect_find_signed_in()
                .returning(move |_, _| Ok(Some(bob.clone())));
            let mut hasher = MockPasswordHasher::new();
            hasher.expect_verify().returning(|_, _| Ok(true));
            hasher.expect_needs_rehash().returning(|_| false);
            let first_key = Arc::new(std::sync::Mutex::new(String::new()));
            let auth = AuthService::new(
                Arc::new(users),
                Arc::new(hasher),
                codec(),
                Arc::new(starting_sessions(first_key)),
            );
            let login = auth.login("c", "bob", "right", Device::describe(None), false);
            let token = codec()
                .issue(
                    UserId::from_stored(2),
                    Utc::now() - Duration::minutes(5),
                    Some(SessionId::from_stored(7)),
                    Utc::now(),
                )
                .unwrap();
            let request = auth.authenticate(&token.access_token);
            if refused {
                let notice = crate::error::BanNotice {
                    reason: "spam".into(),
                    until,
                };
                assert!(
                    matches!(&login, Err(AppError::Banned(told)) if *told == notice),
                    "{login:?}"
                );
                assert!(matches!(&request, Err(AppError::Banned(told)) if *told == notice));
            } else {
                assert!(login.is_ok(), "a ban that ran out lifted itself: {login:?}");
                assert!(request.is_ok());
            }
        }
    }

    /// Alice (signed in long after her last password change) and sessions that answer `renew` by the
    /// presented token: "good" renews session 7, "spent" was spent before, anything else is unknown.
    fn renewing(remember: bool, signed_in_at: i64) -> (MockUserRepository, MockSessionRepository) {
        let mut users = MockUserRepository::new();
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - Duration::hours(1);
        users.expect_find().returning(move |_| Ok(Some(alice.clone())));
        let mut sessions = MockSessionRepository::new();
        sessions
            .expect_renew()
            .returning(move |presented, next, now, expiry| {
                assert_ne!(presented, next, "the next token is a new one");
                assert_eq!(expiry.remembered - now, REMEMBERED_SESSION);
                assert_eq!(expiry.otherwise - now, SESSION);
                Ok(if presented == crate::secret::digest("good") {
                    let mut session = stored_session(7, 1, remember, signed_in_at);
                    session.expires_at = expiry.of(remember);
                    Renewal::Renewed(session)
                } else if presented == crate::secret::digest("spent") {
                    Renewal::Reused {
                        session: SessionId::from_stored(7),
                        user: UserId::from_stored(1),
                    }
                } else {
                    Renewal::Unknown
                })
            });
        (users, sessions)
    }

    #[test]
    fn renewing_spends_the_token_and_a_spent_one_ends_the_session() {
        let (users, sessions) = renewing(false, Utc::now().timestamp() - 60);
        let mut bus = plaza_domain::live::MockNotificationBus::new();
        bus.expect_publish()
            .times(1)
            .withf(|signals| signals == [Signal::Credentials(UserId::from_stored(1))])
            .return_const(());
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            codec(),
            Arc::new(sessions),
        )
        .with_bus(Arc::new(bus));

        let renewed = auth.refresh("good").unwrap();
        assert_eq!(renewed.session, SessionId::from_stored(7));
        assert_ne!(renewed.refresh_token, "good");
        assert_eq!(renewed.refresh_expires_in, SESSION.num_seconds());
        let claims = codec().decode(&renewed.access.access_token).unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid), ("1", Some(7)));

        assert!(matches!(auth.refresh("spent"), Err(AppError::RefreshTokenReused)));
        for unknown in ["never issued", "", &"x".repeat(600)] {
            assert!(matches!(
                auth.refresh(unknown),
                Err(AppError::Unauthorized(INVALID_REFRESH_TOKEN))
            ));
        }
    }

    #[test]
    fn a_session_from_before_a_password_change_cannot_be_renewed_and_ends() {
        let (users, mut sessions) = renewing(true, Utc::now().timestamp() - 7200);
        sessions
            .expect_end()
            .times(1)
            .withf(|user, id| *user == UserId::from_stored(1) && *id == SessionId::from_stored(7))
            .returning(|_, _| Ok(true));
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            codec(),
            Arc::new(sessions),
        );
        assert!(matches!(
            auth.refresh("good"),
            Err(AppError::Unauthorized(INVALID_REFRESH_TOKEN))
        ));
    }

    #[test]
    fn the_list_marks_the_current_session_and_leaves_out_those_a_password_change_ended() {
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - Duration::hours(1);
        let epoch = alice.token_epoch.timestamp();
        let mut sessions = MockSessionRepository::new();
        sessions.expect_list().returning(move |_, _| {
            Ok(vec![
                stored_session(9, 1, false, epoch + 60),
                stored_session(8, 1, true, epoch),
                stored_session(7, 1, true, epoch + 1),
            ])
        });
        sessions
            .expect_end()
            .withf(|user, id| *user == UserId::from_stored(1) && id.get() == 3)
            .returning(|_, _| Ok(false));
        let auth = AuthService::new(
            Arc::new(MockUserRepository::new()),
            Arc::new(MockPasswordHasher::new()),
            codec(),
            Arc::new(sessions),
        );
        let caller = Session {
            user: alice.clone(),
            issued_at: epoch + 100,
            expires_at: epoch + 1000,
            session: Some(SessionId::from_stored(7)),
        };
        let listed: Vec<(i64, bool)> = auth
            .sessions(&caller)
            .unwrap()
            .into_iter()
            .map(|view| (view.session.id.get(), view.current))
            .collect();
        assert_eq!(listed, [(9, false), (7, true)]);
        assert!(matches!(
            auth.end_session(&alice, SessionId::from_stored(3)),
            Err(AppError::NotFound("session"))
        ));
    }

    #[test]
    fn tokens_are_issued_and_checked_against_the_users_token_epoch() {
        use crate::token::{Claims, MockTokenCodec};
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - Duration::minutes(5);
        let epoch = alice.token_epoch;
        let mut users = MockUserRepository::new();
        let stored = alice.clone();
        users
            .expect_find_by_username()
            .returning(move |_| Ok(Some(stored.clone())));
        users.expect_find().returning(move |_| Ok(Some(alice.clone())));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| false);
        let mut tokens = MockTokenCodec::new();
        tokens
            .expect_issue()
            .times(1)
            .withf(move |user, token_epoch, _, _| *user == UserId::from_stored(1) && *token_epoch == epoch)
            .returning(|_, _, session, _| {
                assert_eq!(session, Some(SessionId::from_stored(7)));
                Ok(IssuedToken {
                    access_token: "issued".into(),
                    expires_in: 60,
                })
            });
        let claims = move |iat: i64| Claims {
            sub: "1".into(),
            iat,
            exp: Utc::now().timestamp() + 60,
            nbf: None,
            sid: None,
        };
        tokens.expect_decode().returning(move |token| {
            Ok(claims(match token {
                "at the epoch" => epoch.timestamp(),
                _ => epoch.timestamp() + 1,
            }))
        });
        let sessions = starting_sessions(Arc::default());
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(hasher),
            Arc::new(tokens),
            Arc::new(sessions),
        );

        let signed_in = auth.login("c", "alice", "right", Device::describe(None), false);
        assert_eq!(signed_in.unwrap().access.access_token, "issued");
        assert_eq!(auth.authenticate("after the epoch").unwrap().username, "alice");
        assert!(matches!(
            auth.authenticate("at the epoch"),
            Err(AppError::Unauthorized(INVALID_TOKEN))
        ));
    }

    #[test]
    fn a_right_password_on_a_cheaper_hash_is_hashed_again_without_ending_sessions() {
        use plaza_domain::user::PasswordHash;
        let mut users = MockUserRepository::new();
        let alice = user(1, "alice");
        let old_hash = alice.password_hash.clone();
        let stored = alice.clone();
        users
            .expect_find_by_username()
            .returning(move |_| Ok(Some(stored.clone())));
        users
            .expect_upgrade_password_hash()
            .times(1)
            .withf(move |id, current, upgraded| {
                *id == UserId::from_stored(1) && *current == old_hash && upgraded.0 == "$2b$12$upgraded"
            })
            .returning(|_, _, _| Ok(true));
        users.expect_update().never();
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| true);
        hasher
            .expect_hash()
            .times(1)
            .withf(|password| password.expose() == "right password")
            .returning(|_| Ok(PasswordHash("$2b$12$upgraded".into())));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions());
        auth.check_credentials("c", "alice", "right password").unwrap();
    }

    #[test]
    fn the_shared_count_refuses_before_any_password_check_and_a_right_password_clears_it() {
        use plaza_domain::login::{MockSharedLoginFailures, Reservation};
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .returning(|_| Ok(Some(user(1, "alice"))));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().times(1).returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| false);
        let mut shared = MockSharedLoginFailures::new();
        let mut answers = vec![Ok(Reservation(7)), Err(42)].into_iter();
        shared
            .expect_reserve()
            .withf(|client, name, limits, _| {
                client == "c" && name == "alice" && limits.per_name == MAX_FAILURES as u64
            })
            .times(2)
            .returning(move |_, _, _, _| Ok(answers.next().unwrap()));
        shared
            .expect_release()
            .withf(|reservation, clear| {
                *reservation == Reservation(7) && *clear == Some(("c".to_owned(), "alice".to_owned()))
            })
            .times(1)
            .returning(|_, _| Ok(()));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions())
            .with_shared_failures(Arc::new(shared));

        auth.check_credentials("c", "alice", "right").unwrap();
        assert!(
            matches!(
                auth.check_credentials("c", "alice", "right"),
                Err(AppError::RateLimited(42))
            ),
            "another instance's failures count: refused before bcrypt runs again"
        );
    }

    #[test]
    fn repeated_failures_are_throttled_before_any_password_check() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .returning(|_| Ok(Some(user(1, "alice"))));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .times(MAX_FAILURES)
            .returning(|_, _| Ok(false));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions());
        for _ in 0..MAX_FAILURES {
            assert!(matches!(
                auth.check_credentials("c", "alice", "guess"),
                Err(AppError::Unauthorized(_))
            ));
        }
        match auth.check_credentials("c", "alice", "guess") {
            Err(AppError::RateLimited(seconds)) => assert!((1..=300).contains(&seconds), "{seconds}"),
            other => panic!("expected a rate limit, got {other:?}"),
        }
    }

    #[test]
    fn bytes_past_the_72nd_never_log_in() {
        let mut users = MockUserRepository::new();
        users.expect_find_by_username().never();
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().never();
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions());
        let long = format!("{}zzz", "p".repeat(72));
        assert!(matches!(
            auth.check_credentials("c", "alice", &long),
            Err(AppError::Unauthorized(BAD_CREDENTIALS))
        ));
    }

    #[test]
    fn a_busy_hasher_is_not_a_failed_login() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_by_username()
            .returning(|_| Ok(Some(user(1, "alice"))));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .times(MAX_FAILURES + 5)
            .returning(|_, _| Err(AppError::Overloaded(2)));
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec(), no_sessions());
        for _ in 0..MAX_FAILURES + 5 {
            assert!(matches!(
                auth.check_credentials("c", "alice", "right"),
                Err(AppError::Overloaded(2))
            ));
        }
    }

    #[test]
    fn tokens_from_before_a_password_change_are_refused() {
        let tokens = codec();
        let long_ago = Utc::now() - Duration::hours(2);
        let old = tokens
            .issue(
                UserId::from_stored(1),
                long_ago,
                None,
                Utc::now() - Duration::minutes(10),
            )
            .unwrap();
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(Some(user(1, "alice")))); // password changed just now
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            tokens,
            no_sessions(),
        );
        assert!(matches!(
            auth.authenticate(&old.access_token),
            Err(AppError::Unauthorized(_))
        ));
    }

    #[test]
    fn tokens_naming_a_missing_user_are_refused() {
        let tokens = codec();
        let token = tokens
            .issue(
                UserId::from_stored(42),
                Utc::now() - Duration::hours(1),
                None,
                Utc::now(),
            )
            .unwrap();
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(None));
        let auth = AuthService::new(
            Arc::new(users),
            Arc::new(MockPasswordHasher::new()),
            tokens,
            no_sessions(),
        );
        assert!(matches!(
            auth.authenticate(&token.access_token),
            Err(AppError::Unauthorized(_))
        ));
    }

    #[test]
    fn a_token_is_checked_for_itself_without_the_store() {
        let tokens = codec();
        let good = tokens
            .issue(UserId::from_stored(42), Utc::now(), None, Utc::now())
            .unwrap();
        let expired = tokens
            .issue(
                UserId::from_stored(42),
                Utc::now() - Duration::days(2),
                None,
                Utc::now() - Duration::days(2),
            )
            .unwrap();
        // No store is asked: the mocks expect nothing.
        let auth = AuthService::new(
            Arc::new(MockUserRepository::new()),
            Arc::new(MockPasswordHasher::new()),
            tokens,
            no_sessions(),
        );
        assert!(auth.verify_token(&good.access_token).is_ok());
        for bad in ["x", "a.b.c", expired.access_token.as_str()] {
            assert!(
                matches!(
                    auth.verify_token(bad),
                    Err(AppError::InvalidToken(_) | AppError::Unauthorized(_))
                ),
                "{bad}"
            );
        }
    }
}
