//! Password resets: a person who forgot their password asks for a link by e-mail address, and the link's
//! single-use token lets them choose a new one.
//!
//! Asking never says whether an address has an account: the HTTP adapter answers at once, the same way,
//! and [`PasswordResetService::request`] runs after the answer. The token is 256 random bits; stores keep
//! its digest, the outbox the mail with the link until it is delivered.

use std::sync::Arc;

use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::mail::OutgoingMail;
use plaza_domain::password_reset::{Issued, NewReset, PasswordResetRepository, TOKEN_LIFETIME};
use plaza_domain::user::{Password, UserRepository};

use crate::error::AppError;
use crate::letters;
use crate::mail::{Doorbell, MailSettings};
use crate::password::PasswordHasher;
use crate::secret::{digest, new_secret, well_formed};
use crate::stored_now;

/// What every refusal of a token says.
pub const INVALID_TOKEN: &str = "this link is not valid: it was used already, has expired, or was never sent";

#[derive(Clone)]
pub struct PasswordResetService {
    users: Arc<dyn UserRepository>,
    resets: Arc<dyn PasswordResetRepository>,
    passwords: Arc<dyn PasswordHasher>,
    bus: Arc<dyn NotificationBus>,
    settings: Arc<MailSettings>,
    doorbell: Arc<Doorbell>,
}

impl PasswordResetService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        resets: Arc<dyn PasswordResetRepository>,
        passwords: Arc<dyn PasswordHasher>,
        bus: Arc<dyn NotificationBus>,
        settings: Arc<MailSettings>,
        doorbell: Arc<Doorbell>,
    ) -> Self {
        Self {
            users,
            resets,
            passwords,
            bus,
            settings,
            doorbell,
        }
    }

    /// Mails a reset link to the account registered with `email`, if there is one and it has not had
    /// [`MAX_MAILS_PER_WINDOW`](plaza_domain::password_reset::MAX_MAILS_PER_WINDOW) links within the hour;
    /// otherwise nothing happens. What happened is for the log only: the caller's answer never says.
    pub fn request(&self, email: &str) -> Result<Issued, AppError> {
        let Some(user) = self.users.find_by_email(email)? else {
            return Ok(Issued::NoAccount);
        };
        let token = new_secret()?;
        let now = stored_now();
        let url = format!("{}/#/reset-password?token={token}", self.settings.origin);
        let mail = letters::password_reset(&user, &url).into_mail(&user.email, self.settings.message_id()?);
        let issued = self.resets.issue(NewReset {
            user: user.id,
            token_digest: digest(&token),
            created_at: now,
            expires_at: now + TOKEN_LIFETIME,
            mail: OutgoingMail {
                user: Some(user.id),
                mail,
                created_at: now,
                expires_at: Some(now + TOKEN_LIFETIME),
            },
        })?;
        match issued {
            Issued::Sent => {
                self.doorbell.ring();
                tracing::info!(user = user.id.get(), "password reset link mailed");
            }
            Issued::Throttled => {
                tracing::info!(user = user.id.get(), "password reset asked too often: no mail");
            }
            Issued::NoAccount => {}
        }
        Ok(issued)
    }

    /// Makes `password` the password of the account `token` was mailed to, if the token works: then every
    /// reset token of the account, its sessions, its access tokens and its open streams stop working.
    /// `400 invalid_token` for a token unknown, spent or expired.
    pub fn confirm(&self, token: &str, password: &Password) -> Result<(), AppError> {
        if !well_formed(token) {
            return Err(AppError::InvalidToken(INVALID_TOKEN));
        }
        let hash = self.passwords.hash(password)?;
        let user = self
            .resets
            .redeem(&digest(token), stored_now(), hash)?
            .ok_or(AppError::InvalidToken(INVALID_TOKEN))?;
        self.bus.publish(&[Signal::Credentials(user)]);
        tracing::info!(user = user.get(), "password chosen with a reset link");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::MockPasswordHasher;
    use crate::users::tests::user;
    use plaza_domain::UserId;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::password_reset::MockPasswordResetRepository;
    use plaza_domain::user::{Locale, MockUserRepository, PasswordHash};

    struct Mocks {
        users: MockUserRepository,
        resets: MockPasswordResetRepository,
        passwords: MockPasswordHasher,
        bus: MockNotificationBus,
    }

    impl Mocks {
        fn new() -> Self {
            Self {
                users: MockUserRepository::new(),
                resets: MockPasswordResetRepository::new(),
                passwords: MockPasswordHasher::new(),
                bus: MockNotificationBus::new(),
            }
        }

        fn service(self) -> (PasswordResetService, Arc<Doorbell>) {
            let doorbell = Arc::new(Doorbell::default());
            let service = PasswordResetService::new(
                Arc::new(self.users),
                Arc::new(self.resets),
                Arc::new(self.passwords),
                Arc::new(self.bus),
                Arc::new(MailSettings {
                    origin: "https://plaza.example.org".into(),
                    domain: "example.org".into(),
                }),
                doorbell.clone(),
            );
            (service, doorbell)
        }
    }

    fn password() -> Password {
        Password::parse("a new secret").unwrap()
    }

    #[test]
    fn an_unknown_address_writes_nothing() {
        let mut mocks = Mocks::new();
        mocks
            .users
            .expect_find_by_email()
            .withf(|email| email == "nobody@example.org")
            .return_once(|_| Ok(None));
        mocks.resets.expect_issue().never();
        let (service, _) = mocks.service();
        assert_eq!(service.request("nobody@example.org").unwrap(), Issued::NoAccount);
    }

    #[test]
    fn a_known_address_gets_a_link_whose_token_is_stored_only_as_its_digest() {
        let mut mocks = Mocks::new();
        let mut lin = user(7, "lin");
        lin.locale = Locale::ZhCn;
        lin.email = "Lin@Example.org".into();
        mocks
            .users
            .expect_find_by_email()
            .return_once(move |_| Ok(Some(lin)));
        mocks.resets.expect_issue().times(1).returning(|reset| {
            let text = &reset.mail.mail.text;
            let token = text
                .split("/#/reset-password?token=")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("the text holds the link");
            assert_eq!(
                reset.token_digest,
                digest(token),
                "the digest of the mailed token"
            );
            assert!(!reset.token_digest.contains(token));
            assert!(text.contains("https://plaza.example.org/#/reset-password?token="));
            assert!(reset.mail.mail.html.contains(token));
            assert_eq!(reset.mail.mail.to, "Lin@Example.org");
            assert_eq!(
                reset.mail.mail.subject, "设置新的 Plaza 密码",
                "in the account's language"
            );
            assert!(reset.mail.mail.message_id.ends_with("@example.org>"));
            assert_eq!(reset.mail.user, Some(UserId::from_stored(7)));
            assert_eq!(reset.expires_at - reset.created_at, TOKEN_LIFETIME);
            Ok(Issued::Sent)
        });
        let (service, doorbell) = mocks.service();
        assert_eq!(service.request("lin@example.org").unwrap(), Issued::Sent);
        assert!(
            doorbell.wait(std::time::Duration::ZERO),
            "the worker is woken (and not stopped)"
        );
    }

    #[test]
    fn a_malformed_token_is_refused_before_any_hashing() {
        let mut mocks = Mocks::new();
        mocks.passwords.expect_hash().never();
        mocks.resets.expect_redeem().never();
        let (service, _) = mocks.service();
        for token in ["", "short", &"a".repeat(44), &format!("{}=", "a".repeat(42))] {
            assert!(
                matches!(
                    service.confirm(token, &password()),
                    Err(AppError::InvalidToken(_))
                ),
                "{token:?}"
            );
        }
    }

    #[test]
    fn an_unknown_or_spent_token_is_invalid() {
        let mut mocks = Mocks::new();
        mocks
            .passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash("$2b$04$new".into())));
        mocks.resets.expect_redeem().return_once(|_, _, _| Ok(None));
        mocks.bus.expect_publish().never();
        let (service, _) = mocks.service();
        let token = new_secret().unwrap();
        assert!(matches!(
            service.confirm(&token, &password()),
            Err(AppError::InvalidToken(INVALID_TOKEN))
        ));
    }

    #[test]
    fn a_working_token_sets_the_hash_and_ends_the_streams() {
        let mut mocks = Mocks::new();
        let token = new_secret().unwrap();
        let expected = digest(&token);
        mocks
            .passwords
            .expect_hash()
            .returning(|_| Ok(PasswordHash("$2b$04$new".into())));
        mocks
            .resets
            .expect_redeem()
            .withf(move |digest, _, hash| digest == expected && hash.0 == "$2b$04$new")
            .return_once(|_, _, _| Ok(Some(UserId::from_stored(7))));
        mocks
            .bus
            .expect_publish()
            .withf(|signals| signals == [Signal::Credentials(UserId::from_stored(7))])
            .times(1)
            .return_const(());
        let (service, _) = mocks.service();
        service.confirm(&token, &password()).unwrap();
    }
}
