//! Mail: what Plaza sends people, the outbox a mail waits in until it is delivered, and the port a mail
//! server sits behind.
//!
//! A mail is written to the outbox in the same transaction as the change that causes it (a reset token, a
//! ticket), with every byte decided then — recipient, subject, bodies, `Message-ID` — so that a delivery
//! retried after a failure or a restart sends the very same mail. A worker claims due mails, hands them to
//! the [`MailTransport`], and records the outcome: delivered mails leave the outbox; failed ones wait
//! ([`retry_after`]) and are tried again for up to [`GIVE_UP_AFTER`].

use chrono::{DateTime, Duration, Utc};

use crate::error::RepoError;
use crate::ids::{MailId, UserId};

/// How long a mail is retried before it is given up.
pub const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// The first wait after a failed delivery; each further failure doubles it, up to [`LONGEST_WAIT`].
pub const FIRST_WAIT: Duration = Duration::seconds(30);

/// The longest wait between two attempts.
pub const LONGEST_WAIT: Duration = Duration::hours(1);

/// At most this many one-time links (password resets, address verifications: each kind counted apart) go
/// to one account within [`THROTTLE_WINDOW`]; past it, requests for the account send nothing (a mailbox is
/// not flooded through Plaza).
pub const MAX_MAILS_PER_WINDOW: u32 = 3;

/// The window of [`MAX_MAILS_PER_WINDOW`].
pub const THROTTLE_WINDOW: Duration = Duration::hours(1);

/// What became of a request for a mailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    /// The token and its mail are stored.
    Sent,
    /// The account had [`MAX_MAILS_PER_WINDOW`] such links made within [`THROTTLE_WINDOW`]: nothing stored.
    Throttled,
    /// No such account (or it was deleted): nothing stored.
    NoAccount,
}

/// A mail, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// The subject, as people read it (any language; the transport encodes it).
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The same message as HTML.
    pub html: String,
    /// The `Message-ID` header, angle brackets included: made once, kept through every retry.
    pub message_id: String,
    /// The one-click unsubscribe address (RFC 8058: `List-Unsubscribe` with `List-Unsubscribe-Post`),
    /// for mail a preference turns off.
    pub unsubscribe: Option<String>,
    /// A file sent with the mail.
    pub attachment: Option<Attachment>,
}

/// A text file sent with a mail (an event as iCalendar, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name.
    pub name: String,
    /// Its media type, parameters included (`text/calendar; charset=utf-8; method=PUBLISH`).
    pub content_type: String,
    /// Its text.
    pub body: String,
}

/// A mail to write to the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The account it is for, if any: deleting the account deletes its mails not yet sent.
    pub user: Option<UserId>,
    /// The mail.
    pub mail: Mail,
    /// When it was written: the day of retries counts from here.
    pub created_at: DateTime<Utc>,
    /// When what it says stops being true (the link it carries stops working): not sent after that, and
    /// its bodies are dropped then.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A mail claimed from the outbox for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    /// Its id in the outbox.
    pub id: MailId,
    /// The mail.
    pub mail: Mail,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Attempts so far, this one included: with `id`, what says this claim is still the mail's (a
    /// report of an older claim changes nothing).
    pub attempts: u32,
    /// See [`OutgoingMail::expires_at`].
    pub expires_at: Option<DateTime<Utc>>,
}

/// When the next attempt at a mail written at `created_at` is due, after attempt number `attempts` (1 for
/// the first) failed at `now`: [`FIRST_WAIT`] doubled for each earlier failure, at most [`LONGEST_WAIT`].
/// `None` once the mail has waited [`GIVE_UP_AFTER`]: it is given up.
pub fn retry_after(created_at: DateTime<Utc>, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if now - created_at >= GIVE_UP_AFTER {
        return None;
    }
    let doublings = attempts.saturating_sub(1).min(16);
    let wait = (FIRST_WAIT * 2i32.pow(doublings)).min(LONGEST_WAIT);
    Some(now + wait)
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The server could not be reached, or answered with an error (temporary or not: a server that refuses
    /// today may be fixed tomorrow): worth another attempt.
    #[error("delivery failed, will retry: {0}")]
    Retry(String),
    /// The mail itself can never be sent (an address no server accepts the syntax of): no retry.
    #[error("mail cannot be sent: {0}")]
    Undeliverable(String),
}

/// Where mail goes: a mail server, or files for a developer to read.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait MailTransport: Send + Sync {
    /// Delivers `mail`. `Ok` only once the server has taken responsibility for it.
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError>;
}

/// The mails waiting to be delivered, shared by every instance on a store.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait MailOutbox: Send + Sync {
    /// Writes a mail that no other change comes with.
    fn enqueue(&self, mail: OutgoingMail) -> Result<MailId, RepoError>;
    /// Claims up to `limit` mails due at `now` (oldest due first), counting an attempt on each and leaving
    /// it to the caller until `lease_until`: no other claim (on any instance) gets them before then, and
    /// if the caller never reports back — it stopped — they are due again at that time. On a store several
    /// instances share, two claims running at once never get the same mail.
    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, RepoError>;
    /// `id`, claimed for attempt `attempts`, was delivered: it leaves the outbox (its bodies, which may
    /// hold one-time links, with it). Nothing happens when that claim is no longer the mail's (its lease
    /// ended and another claim took it).
    fn delivered(&self, id: MailId, attempts: u32) -> Result<(), RepoError>;
    /// Delivering `id` (attempt `attempts`) failed with `error`: it is due again at `at`. Nothing happens
    /// when that claim is no longer the mail's.
    fn retry_at(&self, id: MailId, attempts: u32, at: DateTime<Utc>, error: &str) -> Result<(), RepoError>;
    /// Delivering `id` (attempt `attempts`) failed for good with `error`: it is kept as failed, without
    /// its bodies, and never claimed again. Nothing happens when that claim is no longer the mail's.
    fn give_up(&self, id: MailId, attempts: u32, error: &str) -> Result<(), RepoError>;
    /// When the earliest mail waiting is due, if any is waiting.
    fn next_due(&self) -> Result<Option<DateTime<Utc>>, RepoError>;
    /// How many mails wait to be delivered (given-up ones are not waiting), and when the oldest of them
    /// was written: what an operator watches to see delivery falling behind.
    fn backlog(&self) -> Result<Backlog, RepoError>;
}

/// The mails waiting in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Mails not yet delivered nor given up.
    pub waiting: u64,
    /// When the oldest waiting mail was written.
    pub oldest: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_thirty_seconds_up_to_an_hour() {
        let written = Utc::now();
        let now = written + Duration::minutes(1);
        let waits: Vec<i64> = (1..=10)
            .map(|attempts| (retry_after(written, attempts, now).unwrap() - now).num_seconds())
            .collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        let late = retry_after(written, u32::MAX, now).unwrap();
        assert_eq!(late - now, LONGEST_WAIT, "no overflow on absurd attempt counts");
    }

    #[test]
    fn a_mail_is_given_up_a_day_after_it_was_written() {
        let written = Utc::now();
        let almost = written + GIVE_UP_AFTER - Duration::seconds(1);
        assert!(retry_after(written, 30, almost).is_some());
        assert_eq!(retry_after(written, 30, written + GIVE_UP_AFTER), None);
    }
}
