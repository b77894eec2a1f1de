//! Accounts: registration, profiles, avatars.

use std::sync::Arc;

use plaza_domain::avatar::{AvatarFile, AvatarStore};
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::user::{
    Email, FullName, Locale, MailSchedule, NewUser, NotificationMail, Password, PasswordChange, TimeZoneName,
    User, UserChanges, UserRepository, Username,
};
use plaza_domain::{Page, PageRequest, UserId, ValidationErrors};

use crate::avatar_image::AvatarImages;
use crate::error::{AppError, Found, OrNotFound};
use crate::password::PasswordHasher;

/// The most users one batch look-up may name.
pub const MAX_BATCH_IDS: usize = 100;

/// The account's notification mail after a change of either part (`None`: neither changes), with the next
/// daily digest due when daily.
fn schedule(
    actor: &User,
    preference: Option<NotificationMail>,
    zone: Option<TimeZoneName>,
) -> Option<MailSchedule> {
    if preference.is_none() && zone.is_none() {
        return None;
    }
    let preference = preference.unwrap_or(actor.notification_mail);
    let time_zone = zone.unwrap_or(actor.time_zone);
    Some(MailSchedule {
        preference,
        time_zone,
        next_digest: (preference == NotificationMail::Daily)
            .then(|| time_zone.next_digest_after(crate::stored_now())),
    })
}

/// A validated registration, or the new profile of a `PUT`.
#[derive(Debug, Clone)]
pub struct Profile {
    pub username: Username,
    pub email: Email,
    pub full_name: Option<FullName>,
    /// The language they read Plaza in; `None`: English at registration, unchanged on a `PUT`.
    pub locale: Option<Locale>,
    /// Mail about notifications; `None`: off at registration, unchanged on a `PUT`.
    pub notification_mail: Option<NotificationMail>,
    /// Where they live; `None`: UTC at registration, unchanged on a `PUT`.
    pub time_zone: Option<TimeZoneName>,
}

#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserRepository>,
    passwords: Arc<dyn PasswordHasher>,
    avatars: Arc<dyn AvatarStore>,
    images: Arc<dyn AvatarImages>,
    bus: Arc<dyn NotificationBus>,
    /// Where verification links point; `None` (tests): no verification mail is written.
    mail: Option<(Arc<crate::mail::MailSettings>, Arc<crate::mail::Doorbell>)>,
}

impl UserService {
    pub fn new(
        users: Arc<dyn UserRepository>,
        passwords: Arc<dyn PasswordHasher>,
        avatars: Arc<dyn AvatarStore>,
        images: Arc<dyn AvatarImages>,
        bus: Arc<dyn NotificationBus>,
    ) -> Self {
        Self {
            users,
            passwords,
            avatars,
            images,
            bus,
            mail: None,
        }
    }

    /// Mails a verification link at registration and at each change of address.
    pub fn with_verification_mail(
        mut self,
        settings: Arc<crate::mail::MailSettings>,
        doorbell: Arc<crate::mail::Doorbell>,
    ) -> Self {
        self.mail = Some((settings, doorbell));
        self
    }

    /// The verification link for `email`, when mail is wired.
    fn verification(
        &self,
        name: &str,
        username: &str,
        locale: Locale,
        email: &str,
    ) -> Result<Option<plaza_domain::email_verification::NewVerification>, AppError> {
        self.mail
            .as_ref()
            .map(|(settings, _)| {
                crate::email_verification::new_verification(
                    settings,
                    name,
                    username,
                    locale,
                    email,
                    crate::stored_now(),
                )
            })
            .transpose()
    }

    fn ring(&self) {
        if let Some((_, doorbell)) = &self.mail {
            doorbell.ring();
        }
    }

    /// Creates an account; the password is stored only as a bcrypt hash.
    pub fn register(&self, profile: Profile, password: &Password) -> Result<User, AppError> {
        let password_hash = self.passwords.hash(password)?;
        let locale = profile.locale.unwrap_or_default();
        let name = profile
            .full_name
            .as_ref()
            .map(|name| name.as_str().trim())
            .filter(|name| !name.is_empty())
            .unwrap_or(profile.username.as_str());
        let verification =
            self.verification(name, profile.username.as_str(), locale, profile.email.as_str())?;
        let mails = verification.is_some();
        let new = NewUser {
            username: profile.username,
            email: profile.email,
            full_name: profile.full_name,
            password_hash,
            locale,
            verification,
        };
        let user = self.users.create(new)?;
        if mails {
            self.ring();
        }
        Ok(user)
    }

    pub fn get(&self, id: UserId) -> Result<User, AppError> {
        self.users.find(id).found("user")
    }

    /// A page of the users among `ids` that exist, by id; unknown ids are left out of the page and of its
    /// total.
    pub fn get_many(&self, ids: &[UserId], page: PageRequest) -> Result<Page<User>, AppError> {
        if ids.is_empty() || ids.len() > MAX_BATCH_IDS {
            return Err(
                ValidationErrors::single("ids", format!("must name 1 to {MAX_BATCH_IDS} user ids")).into(),
            );
        }
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let found = self.users.find_many(&ids)?;
        let total = found.len() as u64;
        let items = found
            .into_iter()
            .skip(usize::try_from(page.skip()).unwrap_or(usize::MAX))
            .take(page.limit() as usize)
            .collect();
        Ok(Page { items, total })
    }

    pub fn list(&self, page: PageRequest) -> Result<Page<User>, AppError> {
        Ok(self.users.list(page)?)
    }

    /// Replaces `id`'s profile; only that user may. `password: None` keeps the password.
    pub fn update(
        &self,
        actor: &User,
        id: UserId,
        profile: Profile,
        password: Option<&Password>,
    ) -> Result<User, AppError> {
        self.ensure_self(actor, id)?;
        let changes_password = password.is_some();
        let password = match password {
            Some(password) => Some(PasswordChange {
                hash: self.passwords.hash(password)?,
            }),
            None => None,
        };
        let notification_mail = schedule(actor, profile.notification_mail, profile.time_zone);
        let new_address = profile.email.as_str() != actor.email;
        let verification = if new_address {
            let name = profile
                .full_name
                .as_ref()
                .map(|name| name.as_str().trim())
                .filter(|name| !name.is_empty())
                .unwrap_or(profile.username.as_str());
            let locale = profile.locale.unwrap_or(actor.locale);
            self.verification(name, profile.username.as_str(), locale, profile.email.as_str())?
        } else {
            None
        };
        let mails = verification.is_some();
        let changes = UserChanges {
            username: profile.username,
            email: profile.email,
            full_name: profile.full_name,
            password,
            locale: profile.locale,
            notification_mail,
            verification,
        };
        let updated = self.users.update(id, changes).or_not_found("user")?;
        if mails {
            self.ring();
        }
        if changes_password {
            // Streams opened with tokens from before the change end.
            self.bus.publish(&[Signal::Credentials(id)]);
        }
        Ok(updated)
    }

    /// Stores a new avatar for `id` (only that user may) and removes the one it replaces. The image is
    /// decoded and re-encoded first: what is stored is only ever pixels. (How many bytes an upload may
    /// have is the HTTP adapter's rule, `ImageKind::MAX_BYTES`, checked while it reads the upload.)
    pub fn set_avatar(&self, actor: &User, id: UserId, image: &[u8]) -> Result<User, AppError> {
        self.ensure_self(actor, id)?;
        let (kind, clean) = self.images.normalize(image)?;
        let name = self.avatars.save(kind, &clean)?;
        match self.users.set_avatar(id, Some(name.clone())) {
            Ok((user, replaced)) => {
                if let Some(old) = replaced {
                    // The new avatar is in place; a stale file is only wasted space, so it must not fail the request.
                    if let Err(error) = self.avatars.delete(&old) {
                        tracing::warn!(%error, file = %old, "could not remove a replaced avatar");
                    }
                }
                Ok(user)
            }
            Err(error) => {
                let _ = self.avatars.delete(&name);
                Err(AppError::from(match error {
                    plaza_domain::RepoError::NotFound => return Err(AppError::NotFound("user")),
                    other => other,
                }))
            }
        }
    }

    /// Removes the avatar of `id` (only that user may), file and all; without one, nothing changes.
    pub fn remove_avatar(&self, actor: &User, id: UserId) -> Result<User, AppError> {
        self.ensure_self(actor, id)?;
        let (user, removed) = self.users.set_avatar(id, None).map_err(|error| match error {
            plaza_domain::RepoError::NotFound => AppError::NotFound("user"),
            other => AppError::from(other),
        })?;
        if let Some(old) = removed {
            // The account no longer names the file: a file left behind is only wasted space.
            if let Err(error) = self.avatars.delete(&old) {
                tracing::warn!(%error, file = %old, "could not remove an avatar taken down");
            }
        }
        Ok(user)
    }

    /// Deletes the caller's own account once `password` proves it is them (see
    /// [`UserRepository::delete_account`] for what goes and what stays): the avatar file goes too, and
    /// every stream the account opened ends, here and on every other instance.
    pub fn delete_account(&self, actor: &User, password: &str) -> Result<(), AppError> {
        // bcrypt ignores what follows the 72nd byte: a longer password is not this one.
        let right =
            password.len() <= Password::MAX_BYTES && self.passwords.verify(password, &actor.password_hash)?;
        if !right {
            return Err(ValidationErrors::single("password", "is not your password").into());
        }
        let avatar = self
            .users
            .delete_account(actor.id, crate::stored_now())
            .or_not_found("user")?;
        self.bus.publish(&[Signal::Credentials(actor.id)]);
        if let Some(file) = avatar {
            // Nothing names the file any more: one left behind is only wasted space.
            if let Err(error) = self.avatars.delete(&file) {
                tracing::warn!(%error, file = %file, "could not remove a deleted account's avatar");
            }
        }
        Ok(())
    }

    /// An avatar image by its stored name.
    pub fn avatar(&self, name: &str) -> Result<AvatarFile, AppError> {
        self.avatars.open(name).found("avatar")
    }

    /// 404 before 403: whether an account exists is public anyway (`GET /users/{id}`).
    fn ensure_self(&self, actor: &User, id: UserId) -> Result<(), AppError> {
        if actor.id == id {
            return Ok(());
        }
        self.users.find(id).found("user")?;
        Err(AppError::Forbidden("you may only change your own account"))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::avatar_image::MockAvatarImages;
    use crate::password::MockPasswordHasher;
    use chrono::Utc;
    use mockall::predicate::eq;
    use plaza_domain::avatar::ImageKind;
    use plaza_domain::avatar::MockAvatarStore;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::user::{MockUserRepository, PasswordHash};
    use plaza_domain::{Conflict, RepoError};

    pub(crate) fn user(id: i64, username: &str) -> User {
        User {
            id: UserId::from_stored(id),
            username: username.into(),
            email: format!("{username}@example.org"),
            full_name: None,
            avatar: None,
            role: plaza_domain::role::Role::Member,
            ban: None,
            password_hash: PasswordHash("$2b$04$hash".into()),
            token_epoch: Utc::now(),
            created_at: Utc::now(),
            deleted_at: None,
            locale: plaza_domain::user::Locale::En,
            email_verified_at: None,
            notification_mail: NotificationMail::Off,
            time_zone: TimeZoneName::UTC,
        }
    }

    fn profile(username: &str) -> Profile {
        Profile {
            username: Username::parse(username).unwrap(),
            email: Email::parse(format!("{username}@example.org")).unwrap(),
            full_name: None,
            locale: None,
            notification_mail: None,
            time_zone: None,
        }
    }

    /// A service whose bus must stay silent: only a password change signals anything.
    fn service(
        users: MockUserRepository,
        hasher: MockPasswordHasher,
        avatars: MockAvatarStore,
    ) -> UserService {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        service_with_bus(users, hasher, avatars, bus)
    }

    fn service_with_bus(
        users: MockUserRepository,
        hasher: MockPasswordHasher,
        avatars: MockAvatarStore,
        bus: MockNotificationBus,
    ) -> UserService {
        let mut images = MockAvatarImages::new();
        images.expect_normalize().returning(|bytes| {
            ImageKind::sniff(bytes)
                .map(|kind| (kind, bytes.to_vec()))
                .ok_or(AppError::UnsupportedMedia("not an image"))
        });
        UserService::new(
            Arc::new(users),
            Arc::new(hasher),
            Arc::new(avatars),
            Arc::new(images),
            Arc::new(bus),
        )
    }

    #[test]
    fn an_account_is_deleted_only_with_its_password() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .withf(|password, hash| password == "wrong-password" && hash.0 == "$2b$04$hash")
            .times(1)
            .returning(|_, _| Ok(false));
        let mut users = MockUserRepository::new();
        users.expect_delete_account().never();
        let refusing = service(users, hasher, MockAvatarStore::new());
        let error = refusing
            .delete_account(&user(1, "alice"), "wrong-password")
            .unwrap_err();
        let AppError::Validation(errors) = error else {
            panic!("expected a validation error, got {error:?}");
        };
        assert_eq!(errors.0[0].field, "password");
        // bcrypt would compare only the first 72 bytes: a longer password is never this one.
        let mut users = MockUserRepository::new();
        users.expect_delete_account().never();
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().never();
        let guarded = service(users, hasher, MockAvatarStore::new());
        let long = format!("{}x", "p".repeat(72));
        assert!(matches!(
            guarded.delete_account(&user(1, "alice"), &long),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn deleting_an_account_removes_its_avatar_file_and_ends_its_streams() {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        let mut users = MockUserRepository::new();
        users
            .expect_delete_account()
            .withf(|id, _| *id == UserId::from_stored(1))
            .times(1)
            .returning(|_, _| Ok(Some("old.png".into())));
        let mut avatars = MockAvatarStore::new();
        avatars
            .expect_delete()
            .with(eq("old.png"))
            .times(1)
            .returning(|_| Ok(()));
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals| signals == [Signal::Credentials(UserId::from_stored(1))])
            .times(1)
            .return_const(());
        let service = service_with_bus(users, hasher, avatars, bus);
        service.delete_account(&user(1, "alice"), "password1").unwrap();
    }

    #[test]
    fn the_last_admin_cannot_delete_their_account() {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Ok(true));
        let mut users = MockUserRepository::new();
        users
            .expect_delete_account()
            .returning(|_, _| Err(RepoError::Conflict(Conflict::LastAdmin)));
        let service = service(users, hasher, MockAvatarStore::new());
        let error = service
            .delete_account(&user(1, "alice"), "password1")
            .unwrap_err();
        assert!(matches!(error, AppError::Conflict(Conflict::LastAdmin)));
    }

    #[test]
    fn register_stores_the_hash_not_the_password() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .returning(|_| Ok(PasswordHash("$2b$hashed".into())));
        let mut users = MockUserRepository::new();
        users
            .expect_create()
            .withf(|new| new.password_hash.0 == "$2b$hashed" && new.username.as_str() == "alice")
            .returning(|_| Ok(user(1, "alice")));
        let service = service(users, hasher, MockAvatarStore::new());
        let created = service
            .register(profile("alice"), &Password::parse("password1").unwrap())
            .unwrap();
        assert_eq!(created.id, UserId::from_stored(1));
    }

    #[test]
    fn register_passes_conflicts_through() {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().returning(|_| Ok(PasswordHash("h".into())));
        let mut users = MockUserRepository::new();
        users
            .expect_create()
            .returning(|_| Err(RepoError::Conflict(Conflict::EmailTaken)));
        let service = service(users, hasher, MockAvatarStore::new());
        let error = service
            .register(profile("alice"), &Password::parse("password1").unwrap())
            .unwrap_err();
        assert!(matches!(error, AppError::Conflict(Conflict::EmailTaken)));
    }

    #[test]
    fn nobody_changes_another_users_profile() {
        let mut users = MockUserRepository::new();
        users
            .expect_find()
            .with(eq(UserId::from_stored(2)))
            .returning(|_| Ok(Some(user(2, "bob"))));
        users.expect_update().never();
        let service = service(users, MockPasswordHasher::new(), MockAvatarStore::new());
        let error = service
            .update(&user(1, "alice"), UserId::from_stored(2), profile("bob"), None)
            .unwrap_err();
        assert!(matches!(error, AppError::Forbidden(_)));
    }

    #[test]
    fn updating_a_missing_user_is_not_found() {
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|_| Ok(None));
        let service = service(users, MockPasswordHasher::new(), MockAvatarStore::new());
        let error = service
            .update(&user(1, "alice"), UserId::from_stored(9), profile("x_y"), None)
            .unwrap_err();
        assert!(matches!(error, AppError::NotFound("user")));
    }

    #[test]
    fn update_without_password_keeps_the_hash() {
        let mut users = MockUserRepository::new();
        users
            .expect_update()
            .withf(|id, changes| *id == UserId::from_stored(1) && changes.password.is_none())
            .returning(|_, _| Ok(user(1, "alice2")));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_hash().never();
        let service = service(users, hasher, MockAvatarStore::new());
        let updated = service
            .update(&user(1, "alice"), UserId::from_stored(1), profile("alice2"), None)
            .unwrap();
        assert_eq!(updated.username, "alice2");
    }

    #[test]
    fn update_with_password_rehashes() {
        let mut users = MockUserRepository::new();
        users
            .expect_update()
            .withf(|_, changes| {
                changes
                    .password
                    .as_ref()
                    .is_some_and(|p| p.hash == PasswordHash("new".into()))
            })
            .returning(|_, _| Ok(user(1, "alice")));
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .times(1)
            .returning(|_| Ok(PasswordHash("new".into())));
        // Only after the change is stored: streams of older tokens end.
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals: &[Signal]| signals == [Signal::Credentials(UserId::from_stored(1))])
            .times(1)
            .return_const(());
        let service = service_with_bus(users, hasher, MockAvatarStore::new(), bus);
        let password = Password::parse("brand new pw").unwrap();
        service
            .update(
                &user(1, "alice"),
                UserId::from_stored(1),
                profile("alice"),
                Some(&password),
            )
            .unwrap();
    }

    #[test]
    fn batch_lookups_are_bounded_and_deduplicated() {
        let mut users = MockUserRepository::new();
        users
            .expect_find_many()
            .withf(|ids| ids == [UserId::from_stored(1), UserId::from_stored(3)])
            .returning(|_| Ok(vec![user(1, "alice")]));
        let service = service(users, MockPasswordHasher::new(), MockAvatarStore::new());
        let page = PageRequest::default();
        let found = service
            .get_many(
                &[
                    UserId::from_stored(3),
                    UserId::from_stored(1),
                    UserId::from_stored(3),
                ],
                page,
            )
            .unwrap();
        assert_eq!((found.items.len(), found.total), (1, 1));
        assert!(matches!(
            service.get_many(&[], page),
            Err(AppError::Validation(_))
        ));
        let too_many: Vec<_> = (1..=101).map(UserId::from_stored).collect();
        assert!(matches!(
            service.get_many(&too_many, page),
            Err(AppError::Validation(_))
        ));
    }

    #[test]
    fn batch_lookups_are_paged_over_the_users_found() {
        let mut users = MockUserRepository::new();
        users.expect_find_many().returning(|ids| {
            Ok(ids
                .iter()
                .filter(|id| id.get() != 4)
                .map(|id| user(id.get(), "u"))
                .collect())
        });
        let service = service(users, MockPasswordHasher::new(), MockAvatarStore::new());
        let ids: Vec<_> = (1..=6).map(UserId::from_stored).collect();
        let page = |skip, limit| PageRequest::with_default_limit(Some(skip), Some(limit), 100).unwrap();
        let ids_of = |found: Page<User>| {
            (
                found.items.iter().map(|u| u.id.get()).collect::<Vec<_>>(),
                found.total,
            )
        };
        assert_eq!(
            ids_of(service.get_many(&ids, page(1, 2)).unwrap()),
            (vec![2, 3], 5)
        );
        assert_eq!(
            ids_of(service.get_many(&ids, page(3, 100)).unwrap()),
            (vec![5, 6], 5)
        );
        assert_eq!(ids_of(service.get_many(&ids, page(9, 1)).unwrap()), (vec![], 5));
    }

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n....";

    #[test]
    fn a_new_avatar_replaces_and_removes_the_old_file() {
        let mut avatars = MockAvatarStore::new();
        avatars
            .expect_save()
            .withf(|kind, _| *kind == ImageKind::Png)
            .returning(|_, _| Ok("new.png".into()));
        avatars
            .expect_delete()
            .with(eq("old.png"))
            .times(1)
            .returning(|_| Ok(()));
        let mut users = MockUserRepository::new();
        users
            .expect_set_avatar()
            .with(eq(UserId::from_stored(1)), eq(Some("new.png".to_string())))
            .returning(|_, _| Ok((user(1, "alice"), Some("old.png".into()))));
        let service = service(users, MockPasswordHasher::new(), avatars);
        service
            .set_avatar(&user(1, "alice"), UserId::from_stored(1), PNG)
            .unwrap();
    }

    #[test]
    fn a_removed_avatar_takes_its_file_with_it() {
        let mut avatars = MockAvatarStore::new();
        avatars
            .expect_delete()
            .with(eq("old.png"))
            .times(1)
            .returning(|_| Ok(()));
        let mut users = MockUserRepository::new();
        users
            .expect_set_avatar()
            .with(eq(UserId::from_stored(1)), eq(None))
            .times(1)
            .returning(|_, _| Ok((user(1, "alice"), Some("old.png".into()))));
        let service = service(users, MockPasswordHasher::new(), avatars);
        let alice = service
            .remove_avatar(&user(1, "alice"), UserId::from_stored(1))
            .unwrap();
        assert_eq!(alice.avatar, None);
    }

    #[test]
    fn without_an_avatar_removing_it_deletes_no_file() {
        let mut avatars = MockAvatarStore::new();
        avatars.expect_delete().never();
        let mut users = MockUserRepository::new();
        users
            .expect_set_avatar()
            .returning(|_, _| Ok((user(1, "alice"), None)));
        let service = service(users, MockPasswordHasher::new(), avatars);
        service
            .remove_avatar(&user(1, "alice"), UserId::from_stored(1))
            .unwrap();
    }

    #[test]
    fn nobody_removes_another_users_avatar() {
        let mut users = MockUserRepository::new();
        users
            .expect_find()
            .returning(|id| Ok(Some(user(id.get(), "bob"))));
        users.expect_set_avatar().never();
        let mut avatars = MockAvatarStore::new();
        avatars.expect_delete().never();
        let service = service(users, MockPasswordHasher::new(), avatars);
        let error = service
            .remove_avatar(&user(1, "alice"), UserId::from_stored(2))
            .unwrap_err();
        assert!(matches!(error, AppError::Forbidden(_)));
    }

    #[test]
    fn text_posing_as_an_image_is_refused_before_storing() {
        let mut avatars = MockAvatarStore::new();
        avatars.expect_save().never();
        let service = service(MockUserRepository::new(), MockPasswordHasher::new(), avatars);
        let error = service
            .set_avatar(&user(1, "alice"), UserId::from_stored(1), b"hello, I am a PNG")
            .unwrap_err();
        assert!(matches!(error, AppError::UnsupportedMedia(_)));
    }

    #[test]
    fn a_failed_write_removes_the_stored_file() {
        let mut avatars = MockAvatarStore::new();
        avatars.expect_save().returning(|_, _| Ok("new.png".into()));
        avatars
            .expect_delete()
            .with(eq("new.png"))
            .times(1)
            .returning(|_| Ok(()));
        let mut users = MockUserRepository::new();
        users
            .expect_set_avatar()
            .returning(|_, _| Err(RepoError::NotFound));
        let service = service(users, MockPasswordHasher::new(), avatars);
        let error = service
            .set_avatar(&user(1, "alice"), UserId::from_stored(1), PNG)
            .unwrap_err();
        assert!(matches!(error, AppError::NotFound("user")));
    }
}
