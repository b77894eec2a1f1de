//! Users: accounts, their validated inputs, and the user repository port.

use chrono::{DateTime, Utc};

use crate::error::{Invalid, RepoError};
use crate::ids::{SessionId, UserId};
use crate::modlog::RoleChange;
use crate::page::{Page, PageRequest};
use crate::role::Role;
use crate::text::bounded_text;

/// A user name: 3–32 of `A-Z a-z 0-9 _ . -`. Unique without regard to ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Accepts 3–32 characters, each an ASCII letter, digit, `_`, `.` or `-`; anything else is refused.
    /// Case is kept as given.
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err(Invalid::new("must be 3 to 32 characters"));
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(Invalid::new(
                "may contain only letters A-Z, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(raw))
    }

    /// The name as it was accepted.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@` between a non-empty local part and a dotted domain, no white space, at
/// most 254 characters. Deliverability is not our business; shape is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// The longest address accepted, in characters (the limit of SMTP's forward path).
    pub const MAX_CHARS: usize = 254;

    /// Accepts an address of at most [`MAX_CHARS`](Self::MAX_CHARS) characters with exactly one `@`, a
    /// local part of 1–64 bytes, a domain holding a dot but not at either end nor two in a row, and no
    /// white space or control character. Kept as given (not lower-cased).
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        let invalid = || Invalid::new("must be a valid e-mail address");
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Self::MAX_CHARS
            )));
        }
        let (local, domain) = raw.split_once('@').ok_or_else(invalid)?;
        let well_formed = !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(invalid());
        }
        if domain.to_ascii_lowercase().ends_with(".invalid") {
            // RFC 2606 keeps `.invalid` for addresses that reach no one, as deleted accounts' do.
            return Err(Invalid::new(
                "must be an address that can receive mail (not .invalid)",
            ));
        }
        Ok(Self(raw))
    }

    /// The address as it was accepted.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

bounded_text!(
    /// A display name, at most 100 characters; may be empty.
    FullName,
    0,
    100,
    Name
);

/// A plain password as typed: 8–72 bytes (bcrypt reads no further than 72). Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// bcrypt reads no further than this many bytes.
    pub const MAX_BYTES: usize = 72;

    /// Accepts 8–[`MAX_BYTES`](Self::MAX_BYTES) bytes of UTF-8 without a NUL character.
    pub fn parse(raw: impl Into<String>) -> Result<Self, Invalid> {
        let raw = raw.into();
        if !(8..=Self::MAX_BYTES).contains(&raw.len()) {
            return Err(Invalid::new("must be 8 to 72 bytes"));
        }
        if raw.contains('\0') {
            // bcrypt implementations disagree on what follows a NUL; none of them should decide.
            return Err(Invalid::new("must not contain the NUL character (U+0000)"));
        }
        Ok(Self(raw))
    }

    /// The password itself, for the hasher only: never log or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A password hash as produced by the password hasher (bcrypt's modular crypt format).
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// The language a user reads Plaza in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// English, every account's until it says otherwise.
    #[default]
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Locale {
    /// Every locale, by its tag in the contract.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhCn];

    /// Its BCP 47 tag in the contract (and the stored `locale` column).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// Reads a tag exactly as the contract spells it; anything else is refused.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|locale| locale.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be \"en\" or \"zh-CN\""))
    }
}

/// Whether, and how often, an account gets mail about its notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NotificationMail {
    /// Never (every account's until it says otherwise).
    #[default]
    Off,
    /// At most one mail per [`EACH_MAIL_GAP`], listing everything unread since the last.
    Each,
    /// One digest a day at [`DIGEST_HOUR`] in the account's time zone.
    Daily,
}

/// The least time between two notification mails of one account on [`NotificationMail::Each`].
pub const EACH_MAIL_GAP: chrono::TimeDelta = chrono::TimeDelta::minutes(10);

/// The local hour daily digests go out at.
pub const DIGEST_HOUR: u32 = 8;

impl NotificationMail {
    /// Every value, by its name in the contract.
    pub const ALL: [NotificationMail; 3] = [Self::Off, Self::Each, Self::Daily];

    /// Its name in the contract (and the stored column).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Each => "each",
            Self::Daily => "daily",
        }
    }

    /// Reads a name exactly as the contract spells it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|value| value.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be \"off\", \"each\" or \"daily\""))
    }
}

/// An IANA time zone name (`Europe/Berlin`, `Asia/Shanghai`, `UTC`), as the time zone database knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneName(chrono_tz::Tz);

impl TimeZoneName {
    /// Every account's until it says otherwise.
    pub const UTC: TimeZoneName = TimeZoneName(chrono_tz::Tz::UTC);

    /// Accepts a name of the time zone database, spelled as it spells it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        raw.parse::<chrono_tz::Tz>()
            .ok()
            .filter(|zone| zone.name() == raw)
            .map(Self)
            .ok_or_else(|| {
                Invalid::new("must be an IANA time zone name such as \"Europe/Berlin\" or \"UTC\"")
            })
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        self.0.name()
    }

    /// `at` on this zone's clocks.
    pub fn local(self, at: DateTime<Utc>) -> DateTime<chrono_tz::Tz> {
        at.with_timezone(&self.0)
    }

    /// The next [`DIGEST_HOUR`] o'clock in this zone strictly after `now` (a day without that hour — a
    /// clock change skipped it — takes the first instant after it).
    pub fn next_digest_after(self, now: DateTime<Utc>) -> DateTime<Utc> {
        use chrono::{Days, TimeZone};
        let local = now.with_timezone(&self.0).date_naive();
        for ahead in 0..3 {
            let day = local + Days::new(ahead);
            let Some(at) = day.and_hms_opt(DIGEST_HOUR, 0, 0) else {
                continue;
            };
            let instant = match self.0.from_local_datetime(&at) {
                chrono::LocalResult::Single(instant) | chrono::LocalResult::Ambiguous(instant, _) => {
                    instant.with_timezone(&Utc)
                }
                chrono::LocalResult::None => self
                    .0
                    .from_local_datetime(&(at + chrono::TimeDelta::hours(1)))
                    .earliest()
                    .map(|instant| instant.with_timezone(&Utc))
                    .unwrap_or(now + chrono::TimeDelta::days(1)),
            };
            if instant > now {
                return instant;
            }
        }
        now + chrono::TimeDelta::days(1)
    }
}

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Given by the store when the account was created.
    pub id: UserId,
    /// The user name as accepted by [`Username`]; unique without regard to ASCII case.
    pub username: String,
    /// The e-mail address as accepted by [`Email`]; unique without regard to ASCII case.
    pub email: String,
    /// The display name ([`FullName`]), if one was given; see [`display_name`](Self::display_name).
    pub full_name: Option<String>,
    /// The stored avatar's file name in the avatar store, if any.
    pub avatar: Option<String>,
    /// What the user may do beyond their own things; [`Role::Member`] for a new account.
    pub role: Role,
    /// The last ban given, as stored: it may have run out (see [`User::active_ban`]); `None` when none
    /// was given or it was lifted.
    pub ban: Option<Ban>,
    /// The hash of the current password.
    pub password_hash: PasswordHash,
    /// The token epoch (see [`token_epoch`]): tokens issued at or before this second are refused. It moves
    /// with each password change and may run up to a second ahead of the clock.
    pub token_epoch: DateTime<Utc>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When its owner deleted it (see [`UserRepository::delete_account`]); `None` while it lives.
    pub deleted_at: Option<DateTime<Utc>>,
    /// The language they read Plaza in.
    pub locale: Locale,
    /// When a link mailed to `email` was opened; `None`: the address is not verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Mail about notifications.
    pub notification_mail: NotificationMail,
    /// Where they live, for the hour of daily digests.
    pub time_zone: TimeZoneName,
}

/// What a deleted account is shown as, wherever its user name would be.
pub const DELETED_USER_NAME: &str = "deleted user";

/// What a deleted account's e-mail address becomes: unique, so the column's uniqueness holds, and under
/// `.invalid` (RFC 2606), so it is no one's address and mail to it goes nowhere.
pub fn deleted_account_email(id: UserId) -> String {
    format!("deleted-{}@deleted.invalid", id.get())
}

bounded_text!(
    /// Why an account is banned, told to its owner: 1–1,000 characters, not only white space.
    BanReason,
    1,
    1_000,
    Prose
);

/// A ban on an account: while it holds, the account's tokens, sessions and logins are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// Why, as accepted by [`BanReason`].
    pub reason: String,
    /// When it lifts itself; `None`: it holds until a moderator lifts it.
    pub until: Option<DateTime<Utc>>,
    /// When it was given.
    pub since: DateTime<Utc>,
}

impl Ban {
    /// Whether it still holds at `now`: given for good, or `until` still ahead.
    pub fn holds_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|until| until > now)
    }
}

impl User {
    /// The ban that holds at `now`, if any (one that ran out lifted itself).
    pub fn active_ban(&self, now: DateTime<Utc>) -> Option<&Ban> {
        self.ban.as_ref().filter(|ban| ban.holds_at(now))
    }

    /// Whether its owner deleted the account.
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The user name shown to others: [`DELETED_USER_NAME`] once the account is deleted.
    pub fn shown_username(&self) -> &str {
        if self.is_deleted() {
            DELETED_USER_NAME
        } else {
            &self.username
        }
    }

    /// The name shown to others: the full name, or the user name when there is none.
    pub fn display_name(&self) -> &str {
        match self.full_name.as_deref() {
            Some(name) if !name.trim().is_empty() && !self.is_deleted() => name,
            _ => self.shown_username(),
        }
    }
}

/// A ban to give: whom, by whom, why, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanOrder {
    /// Who is banned.
    pub user: UserId,
    /// The moderator or admin who bans.
    pub by: UserId,
    /// Their role, which must still [`may_ban`](Role::may_ban) the user's role as the store finds it in
    /// the ban's transaction (a member promoted meanwhile is out of a moderator's reach).
    pub by_role: Role,
    /// Why, told to the banned user and shown in the moderation log.
    pub reason: BanReason,
    /// When it lifts itself (after `at`); `None`: until lifted.
    pub until: Option<DateTime<Utc>>,
    /// When it is given.
    pub at: DateTime<Utc>,
}

/// An account to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Refused by the store with [`Conflict::UsernameTaken`](crate::Conflict::UsernameTaken) when taken.
    pub username: Username,
    /// Refused by the store with [`Conflict::EmailTaken`](crate::Conflict::EmailTaken) when registered.
    pub email: Email,
    /// The display name, if any.
    pub full_name: Option<FullName>,
    /// The hash of the chosen password; the plain password never reaches storage.
    pub password_hash: PasswordHash,
    /// The language they read Plaza in.
    pub locale: Locale,
    /// The link that verifies the address, mailed in the transaction that creates the account.
    pub verification: Option<crate::email_verification::NewVerification>,
}

/// A new password. The storage adapter moves the user's token epoch forward (see [`token_epoch`]) in the
/// same transaction that stores the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChange {
    /// The hash of the new password.
    pub hash: PasswordHash,
}

/// A user's *token epoch* (`User::token_epoch`): tokens whose `iat` is at or before it are refused.
/// JWT times have one-second resolution, so the epoch is always a whole second and tokens are stamped at
/// least a second after it (see the token codec).
pub mod token_epoch {
    use chrono::{DateTime, Duration, SubsecRound, Utc};

    /// A new account's epoch: the second before it was created, so that every token issued from the second
    /// of registration on is accepted — registration is not a password change.
    pub fn at_registration(created: DateTime<Utc>) -> DateTime<Utc> {
        created.trunc_subsecs(0) - Duration::seconds(1)
    }

    /// The epoch after a password change at `now`: never before `now`, and always past the previous epoch,
    /// so every token issued before the change — even within the same second — is refused. Computed inside
    /// the transaction that stores the new password, from the epoch it replaces.
    pub fn after_password_change(previous: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
        now.trunc_subsecs(0)
            .max(previous.trunc_subsecs(0) + Duration::seconds(1))
    }
}

/// A full replacement of an account's profile; `password: None` keeps the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChanges {
    /// The user name from now on (the same conflicts as at creation).
    pub username: Username,
    /// The e-mail address from now on (the same conflicts as at creation).
    pub email: Email,
    /// The display name from now on; `None` removes it.
    pub full_name: Option<FullName>,
    /// A new password, or `None` to keep the current one (and the token epoch).
    pub password: Option<PasswordChange>,
    /// The language from now on, or `None` to keep it.
    pub locale: Option<Locale>,
    /// Notification mail from now on, or `None` to keep it as it is.
    pub notification_mail: Option<MailSchedule>,
    /// When `email` is a new address: the link that verifies it. The address is then unverified until
    /// the link is opened, and earlier links of the account stop working.
    pub verification: Option<crate::email_verification::NewVerification>,
}

/// An account's notification mail as set: how often, where, and when the next mail is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailSchedule {
    /// How often.
    pub preference: NotificationMail,
    /// Where the account lives.
    pub time_zone: TimeZoneName,
    /// When the next daily digest is due (`None` unless [`NotificationMail::Daily`]).
    pub next_digest: Option<DateTime<Utc>>,
}

/// Storage of accounts.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait UserRepository: Send + Sync {
    /// `Conflict::UsernameTaken` / `Conflict::EmailTaken` when either is already used (ignoring case).
    fn create(&self, user: NewUser) -> Result<User, RepoError>;
    /// The account with this id, or `None`.
    fn find(&self, id: UserId) -> Result<Option<User>, RepoError>;
    /// The account `id` while its session `session` is open (the session is theirs and has not ended;
    /// its expiry is not looked at), or `None`: what every authenticated request checks, in one read.
    fn find_signed_in(&self, id: UserId, session: SessionId) -> Result<Option<User>, RepoError>;
    /// Looks a user name up without regard to ASCII case, among the accounts not deleted.
    fn find_by_username(&self, username: &str) -> Result<Option<User>, RepoError>;
    /// The live account registered with `email`, compared as the unique index does (ASCII letters
    /// regardless of case).
    fn find_by_email(&self, email: &str) -> Result<Option<User>, RepoError>;
    /// The users among `ids` that exist, in id order.
    fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, RepoError>;
    /// Every user, in id order.
    fn list(&self, page: PageRequest) -> Result<Page<User>, RepoError>;
    /// The users who hold `role`, in id order.
    fn list_by_role(&self, role: Role, page: PageRequest) -> Result<Page<User>, RepoError>;
    /// Gives `change.user` the role `change.role` and, when that changes it, records the change in the
    /// moderation log, in one transaction; returns the user as they are now. `NotFound` when the user does
    /// not exist; `Conflict::LastAdmin` when it would leave the community without an admin (checked in the
    /// same transaction, so two admins demoting each other at once cannot both succeed).
    fn set_role(&self, change: RoleChange) -> Result<User, RepoError>;
    /// Bans `order.user` (replacing any ban they had) and records it in the moderation log, in one
    /// transaction; returns the user as they are now. `NotFound` when the user does not exist;
    /// `Conflict::OutOfReach` when `order.by_role` may not ban the user's role as it is in that
    /// transaction.
    fn ban(&self, order: BanOrder) -> Result<User, RepoError>;
    /// Lifts `user`'s ban, recording it in the moderation log, in one transaction, when a ban holds at
    /// `at`; otherwise changes and logs nothing (a ban that ran out is cleared without an entry). Returns
    /// the user as they are now. `NotFound` when the user does not exist.
    fn lift_ban(&self, user: UserId, by: UserId, at: DateTime<Utc>) -> Result<User, RepoError>;
    /// Deletes `id`'s account at `at`, in one transaction: its e-mail address becomes
    /// [`deleted_account_email`], its password hash, display name, avatar, role and ban are
    /// erased, every session of it ends, its inbox and waitlist places are emptied and it leaves every
    /// event's participants (so no new notification is written for it); its user name stays, taken for
    /// good, and what it wrote stays, by [`DELETED_USER_NAME`]. Returns the avatar file name the account
    /// named. `NotFound` when the account does not exist or is deleted already; `Conflict::LastAdmin`
    /// when it is the community's only admin (checked in the same transaction).
    fn delete_account(&self, id: UserId, at: DateTime<Utc>) -> Result<Option<String>, RepoError>;
    /// `NotFound`, or the same conflicts as `create`.
    fn update(&self, id: UserId, changes: UserChanges) -> Result<User, RepoError>;
    /// Sets the avatar file name (`None`: no avatar) and returns the updated user with the name it
    /// replaced.
    fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<(User, Option<String>), RepoError>;
    /// Replaces the hash of the same password by a stronger one (after the hashing cost was raised),
    /// only while the stored hash is still `current`, so a password changed meanwhile is never undone.
    /// Not a password change: tokens stay valid. Whether it replaced the hash.
    fn upgrade_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_contract() {
        for ok in ["bob", "Alice_1", "a.b-c", &"x".repeat(32)] {
            assert!(Username::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", &"x".repeat(33), "has space", "émile", "semi;colon", ""] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_plausible_shape() {
        for ok in ["a@b.co", "first.last+tag@example.org"] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.org",
            "a@b",
            "a@@b.co",
            "a b@c.de",
            "a@.com",
            "a@b..com",
            "a@b.com.",
            "deleted-1@deleted.invalid",
            "x@Host.INVALID",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(
            Email::parse(long).unwrap_err().0,
            "must be at most 254 characters"
        );
    }

    #[test]
    fn passwords_are_8_to_72_bytes() {
        assert!(Password::parse("1234567").is_err());
        assert!(Password::parse("12345678").is_ok());
        assert!(Password::parse("x".repeat(72)).is_ok());
        assert!(Password::parse("x".repeat(73)).is_err());
        // 36 two-byte characters are 72 bytes; one more is too many.
        assert!(Password::parse("é".repeat(36)).is_ok());
        assert!(Password::parse("é".repeat(37)).is_err());
        assert!(Password::parse("correct\0horse").is_err());
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let password = Password::parse("supersecret").unwrap();
        assert!(!format!("{password:?}").contains("supersecret"));
        assert!(!format!("{:?}", PasswordHash("$2b$hash".into())).contains("hash"));
    }

    #[test]
    fn token_epochs_accept_registration_and_refuse_what_came_before_a_change() {
        use chrono::TimeZone;
        let created =
            Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + chrono::Duration::milliseconds(700);
        let epoch = token_epoch::at_registration(created);
        assert_eq!(epoch, Utc.with_ymd_and_hms(2026, 1, 1, 11, 59, 59).unwrap());
        let same_second = token_epoch::after_password_change(epoch, created);
        assert_eq!(same_second, Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap());
        let again = token_epoch::after_password_change(same_second, created);
        assert_eq!(
            again,
            Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 1).unwrap(),
            "always moves forward"
        );
    }

    #[test]
    fn a_ban_holds_for_good_or_until_its_end() {
        use chrono::Duration;
        let now = Utc::now();
        let ban = |until| Ban {
            reason: "spam".into(),
            until,
            since: now - Duration::days(1),
        };
        assert!(ban(None).holds_at(now));
        assert!(ban(Some(now + Duration::seconds(1))).holds_at(now));
        assert!(!ban(Some(now)).holds_at(now), "lifted at its end");
        assert!(!ban(Some(now - Duration::seconds(1))).holds_at(now));
        assert!(BanReason::parse("").is_err() && BanReason::parse("  ").is_err());
        assert!(BanReason::parse("x".repeat(1_000)).is_ok() && BanReason::parse("x".repeat(1_001)).is_err());
    }

    #[test]
    fn locales_are_read_as_the_contract_spells_them() {
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.as_str()), Ok(locale));
        }
        for bad in ["", "EN", "zh", "zh-cn", "zh_CN", "fr"] {
            assert!(Locale::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Locale::default(), Locale::En);
    }

    #[test]
    fn notification_mail_and_time_zones_are_read_as_the_contract_spells_them() {
        for value in NotificationMail::ALL {
            assert_eq!(NotificationMail::parse(value.as_str()), Ok(value));
        }
        assert!(NotificationMail::parse("weekly").is_err());
        assert!(NotificationMail::parse("Each").is_err());
        for zone in [
            "UTC",
            "Europe/Berlin",
            "Asia/Shanghai",
            "America/Argentina/Buenos_Aires",
        ] {
            assert_eq!(TimeZoneName::parse(zone).unwrap().as_str(), zone);
        }
        for bad in [
            "",
            "utc",
            "europe/berlin",
            "Mars/Olympus",
            "UTC+1",
            "Europe/Berlin\0",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn digests_are_due_at_eight_local_time_the_next_time_it_comes() {
        use chrono::TimeZone;
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        // 06:00 UTC on a winter day is 07:00 in Berlin: 08:00 Berlin (07:00 UTC) the same day.
        let early = Utc.with_ymd_and_hms(2026, 12, 5, 6, 0, 0).unwrap();
        assert_eq!(
            berlin.next_digest_after(early),
            Utc.with_ymd_and_hms(2026, 12, 5, 7, 0, 0).unwrap()
        );
        // At 08:00 exactly: the next day's.
        let eight = Utc.with_ymd_and_hms(2026, 12, 5, 7, 0, 0).unwrap();
        assert_eq!(
            berlin.next_digest_after(eight),
            Utc.with_ymd_and_hms(2026, 12, 6, 7, 0, 0).unwrap()
        );
        // Summer time: 08:00 in Berlin is 06:00 UTC.
        let june = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
        assert_eq!(
            berlin.next_digest_after(june),
            Utc.with_ymd_and_hms(2026, 6, 2, 6, 0, 0).unwrap()
        );
        let shanghai = TimeZoneName::parse("Asia/Shanghai").unwrap();
        assert_eq!(
            shanghai.next_digest_after(early),
            Utc.with_ymd_and_hms(2026, 12, 6, 0, 0, 0).unwrap(),
            "14:00 in Shanghai: tomorrow's 08:00"
        );
        assert_eq!(
            TimeZoneName::UTC.next_digest_after(early),
            Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap()
        );
    }

    #[test]
    fn display_name_falls_back_to_the_username() {
        let mut user = User {
            id: UserId::from_stored(1),
            username: "alice".into(),
            email: "a@b.co".into(),
            full_name: None,
            avatar: None,
            role: Role::Member,
            ban: None,
            password_hash: PasswordHash(String::new()),
            token_epoch: Utc::now(),
            created_at: Utc::now(),
            deleted_at: None,
            locale: Locale::En,
            email_verified_at: None,
            notification_mail: NotificationMail::Off,
            time_zone: TimeZoneName::UTC,
        };
        assert_eq!(user.display_name(), "alice");
        user.full_name = Some("  ".into());
        assert_eq!(user.display_name(), "alice");
        user.full_name = Some("Alice Liddell".into());
        assert_eq!(user.display_name(), "Alice Liddell");
        user.full_name = None;
        user.deleted_at = Some(Utc::now());
        assert!(user.is_deleted());
        assert_eq!(
            (user.display_name(), user.shown_username()),
            (DELETED_USER_NAME, DELETED_USER_NAME)
        );
        assert_eq!(user.username, "alice", "the name itself stays, taken");
    }
}
