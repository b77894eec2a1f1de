//! Mail about notifications, derived from the notifications themselves, never written per recipient by
//! the change that notifies (a comment's fan-out writes one notification per participant and nothing
//! else): a worker looks through what was written since it last looked.
//!
//! - Ticket news — places given by a waitlist, an event moved or cancelled — is mailed to its recipient at
//!   once, whatever their notification mail preference (it is about tickets they hold).
//! - Everything else makes a mail due for recipients on [`NotificationMail::Each`](crate::user::NotificationMail),
//!   sent at most once per [`EACH_MAIL_GAP`](crate::user::EACH_MAIL_GAP); recipients on daily get theirs at
//!   the hour their schedule says. A mail lists what is still unread and was not in an earlier mail.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::UserId;
use crate::mail::OutgoingMail;
use crate::notification::Notification;
use crate::user::User;

/// The notification kinds that are ticket news: mailed at once, left out of digests. (The adapters' SQL
/// spells them out too: `('places_given', 'event_moved', 'event_cancelled')`.)
pub const TICKET_NEWS: [&str; 3] = ["places_given", "event_moved", "event_cancelled"];

/// What a look through the notifications found: the ids it covers, and the ticket news among them with
/// their (live) recipients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanBatch {
    /// The last notification id looked at before.
    pub after: i64,
    /// The last notification id this batch covers.
    pub up_to: i64,
    /// The ticket news in it, each with its recipient.
    pub news: Vec<(User, Notification)>,
}

/// An account whose notification mail is due, claimed for one mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMail {
    /// The account, as it is now.
    pub user: User,
    /// Its unread notifications (ticket news left out) after the last it was mailed about and up to
    /// `newest`, oldest first, at most as many as asked.
    pub notifications: Vec<Notification>,
    /// How many there are in all.
    pub unread: i64,
    /// What a mail covers up to: the account's newest notification that the look through the
    /// notifications has passed (a later one, or one still committing, waits for the next mail).
    pub newest: i64,
}

/// Storage behind notification mail.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait NotificationMailRepository: Send + Sync {
    /// How long after its `created_at` a notification may still be committing with an id below one already
    /// visible: a look through the notifications stops that far back from now. (Zero where one writer
    /// commits in id order.)
    fn settle(&self) -> chrono::TimeDelta;
    /// The next notifications, written after the last looked at and before `settled` (a transaction still
    /// open then may commit an earlier id later; waiting for it to settle keeps it from being skipped), at
    /// most `limit`. `None` when there are none.
    fn scan(&self, settled: DateTime<Utc>, limit: u32) -> Result<Option<ScanBatch>, RepoError>;
    /// Records `batch` as looked at, in one transaction: writes `news_mails` to the outbox, and makes a mail
    /// due at `now` for each recipient of its other notifications who is on "each", has a verified address,
    /// and had none due. `false` (and nothing written) when another worker recorded it first.
    fn scanned(
        &self,
        batch: &ScanBatch,
        news_mails: Vec<OutgoingMail>,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError>;
    /// Claims up to `limit` accounts whose notification mail is due at `now` (on "each", not within
    /// `each_since` of their last), moving their due time to `lease_until` so that no other worker takes
    /// them meanwhile, each with at most `per_mail` of its notifications.
    fn due(
        &self,
        now: DateTime<Utc>,
        each_since: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        per_mail: u32,
    ) -> Result<Vec<DueMail>, RepoError>;
    /// Records the mail of `user`, claimed until `leased_until`, in one transaction: writes `mail` to the
    /// outbox (if any: there may be nothing to say), counts their notifications up to `covered` as mailed,
    /// stamps the mail's time, and sets when the next is due (`None`: when something new arrives).
    /// `false`, and nothing written, when the claim is no longer the account's turn: its lease ended and
    /// another worker took it, or the account changed its setting (or unsubscribed) meanwhile.
    fn mailed(
        &self,
        user: UserId,
        leased_until: DateTime<Utc>,
        mail: Option<OutgoingMail>,
        covered: i64,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool, RepoError>;
    /// Turns `user`'s notification mail off (a one-click unsubscribe); `false` when there is no such live
    /// account.
    fn turn_off(&self, user: UserId) -> Result<bool, RepoError>;
}
