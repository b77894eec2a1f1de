//! Logging in and recognising the caller from a token.

use std::sync::Arc;

use std::time::Instant;

use chrono::Utc;
use plaza_domain::UserId;
use plaza_domain::login::{FailureLimits, SharedLoginFailures};
use plaza_domain::user::{Password, User, UserRepository};

use crate::error::AppError;
use crate::password::PasswordHasher;
use crate::throttle::{self, LoginThrottle};
use crate::token::{IssuedToken, TokenCodec};

/// One message for an unknown user and a wrong password alike.
pub const BAD_CREDENTIALS: &str = "incorrect username or password";
pub(crate) const INVALID_TOKEN: &str = "invalid or expired token";

/// A signed-in user, as a token vouches for them until it expires.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token's `iat` and `exp`, in seconds since the epoch.
    pub issued_at: i64,
    pub expires_at: i64,
}

#[derive(Clone)]
pub struct AuthService {
    users: Arc<dyn UserRepository>,
    passwords: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenCodec>,
    throttle: Arc<LoginThrottle>,
    /// The failures every instance sees, when instances share a store.
    shared: Option<Arc<dyn SharedLoginFailures>>,
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
    ) -> Self {
        Self {
            users,
            passwords,
            tokens,
            throttle: Arc::default(),
            shared: None,
        }
    }

    /// Also counts failed logins in `shared`, which every instance on the same store sees.
    #[must_use]
    pub fn with_shared_failures(mut self, shared: Arc<dyn SharedLoginFailures>) -> Self {
        self.shared = Some(shared);
        self
    }

    /// Exchanges a user name (any case) and password for a token. An unknown user costs the same bcrypt
    /// work as a wrong password, so neither answer nor timing says which it was. `client` identifies the
    /// caller (its address) for throttling (see [`LoginThrottle`]): the attempt is counted as a failure
    /// before the password is checked, so parallel guesses get no more checks than sequential ones.
    pub fn login(&self, client: &str, username: &str, password: &str) -> Result<IssuedToken, AppError> {
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
                self.tokens.issue(user.id, user.token_epoch, Utc::now())
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

    /// Like [`authenticate`](Self::authenticate), with the token's lifetime.
    pub fn session(&self, token: &str) -> Result<Session, AppError> {
        let claims = self.tokens.decode(token)?;
        let id = claims.subject()?;
        self.resume(id, claims.iat, claims.exp)
    }

    /// The session of a token issued to `id` at `issued_at`, checked again now: not expired, the user
    /// still there, and no password change since it was issued.
    pub fn resume(&self, id: UserId, issued_at: i64, expires_at: i64) -> Result<Session, AppError> {
        // The same leeway as the token's own `exp` check.
        if expires_at + crate::token::CLOCK_SKEW_SECONDS <= Utc::now().timestamp() {
            return Err(AppError::Unauthorized(INVALID_TOKEN));
        }
        Ok(Session {
            user: self.holder(id, issued_at)?,
            issued_at,
            expires_at,
        })
    }

    /// The user a token issued to `id` at `issued_at` still stands for: they exist and have not changed
    /// their password since. Expiry is not looked at.
    pub fn holder(&self, id: UserId, issued_at: i64) -> Result<User, AppError> {
        let user = self
            .users
            .find(id)?
            .ok_or(AppError::Unauthorized(INVALID_TOKEN))?;
        if crate::token::predates(issued_at, user.token_epoch) {
            return Err(AppError::Unauthorized(INVALID_TOKEN));
        }
        Ok(user)
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
    use plaza_domain::user::MockUserRepository;

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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());

        let wrong_password = auth.login("c", "alice", "nope").unwrap_err();
        let unknown_user = auth.login("c", "mallory", "nope").unwrap_err();
        assert_eq!(wrong_password.to_string(), unknown_user.to_string());
        assert!(matches!(unknown_user, AppError::Unauthorized(BAD_CREDENTIALS)));
    }

    #[test]
    fn a_good_login_yields_a_token_that_authenticates() {
        let mut users = MockUserRepository::new();
        let mut alice = user(1, "alice");
        alice.token_epoch = Utc::now() - Duration::minutes(5);
        let stored = alice.clone();
        users
            .expect_find_by_username()
            .returning(move |_| Ok(Some(stored.clone())));
        let stored = alice.clone();
        users.expect_find().returning(move |_| Ok(Some(stored.clone())));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        hasher.expect_needs_rehash().returning(|_| false);
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());

        let token = auth.login("c", "ALICE", "right").unwrap();
        assert_eq!(
            auth.authenticate(&token.access_token).unwrap().id,
            UserId::from_stored(1)
        );
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
            .withf(move |user, token_epoch, _| *user == UserId::from_stored(1) && *token_epoch == epoch)
            .returning(|_, _, _| {
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
        };
        tokens.expect_decode().returning(move |token| {
            Ok(claims(match token {
                "at the epoch" => epoch.timestamp(),
                _ => epoch.timestamp() + 1,
            }))
        });
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), Arc::new(tokens));

        assert_eq!(auth.login("c", "alice", "right").unwrap().access_token, "issued");
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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());
        auth.login("c", "alice", "right password").unwrap();
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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec())
            .with_shared_failures(Arc::new(shared));

        auth.login("c", "alice", "right").unwrap();
        assert!(
            matches!(auth.login("c", "alice", "right"), Err(AppError::RateLimited(42))),
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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());
        for _ in 0..MAX_FAILURES {
            assert!(matches!(
                auth.login("c", "alice", "guess"),
                Err(AppError::Unauthorized(_))
            ));
        }
        match auth.login("c", "alice", "guess") {
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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());
        let long = format!("{}zzz", "p".repeat(72));
        assert!(matches!(
            auth.login("c", "alice", &long),
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
        let auth = AuthService::new(Arc::new(users), Arc::new(hasher), codec());
        for _ in 0..MAX_FAILURES + 5 {
            assert!(matches!(
                auth.login("c", "alice", "right"),
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
                Utc::now() - Duration::minutes(10),
            )
            .unwrap();
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(Some(user(1, "alice")))); // password changed just now
        let auth = AuthService::new(Arc::new(users), Arc::new(MockPasswordHasher::new()), tokens);
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
                Utc::now(),
            )
            .unwrap();
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(None));
        let auth = AuthService::new(Arc::new(users), Arc::new(MockPasswordHasher::new()), tokens);
        assert!(matches!(
            auth.authenticate(&token.access_token),
            Err(AppError::Unauthorized(_))
        ));
    }
}
