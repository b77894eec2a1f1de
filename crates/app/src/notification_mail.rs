//! Mail about notifications (see `plaza_domain::notification_mail`): ticket news mailed at once, and
//! each / daily mail of what is unread, with a one-click unsubscribe link. The delivery thread runs a
//! [`NotificationMailService::scan_round`] and a [`NotificationMailService::due_round`] each time it looks
//! at the outbox.

use std::sync::Arc;

use chrono::TimeDelta;
use plaza_domain::mail::OutgoingMail;
use plaza_domain::notification_mail::NotificationMailRepository;
use plaza_domain::user::{EACH_MAIL_GAP, NotificationMail, User};

use crate::error::AppError;
use crate::letters;
use crate::mail::{Doorbell, MailSettings};
use crate::stored_now;
use crate::unsubscribe::UnsubscribeKey;

/// Notifications looked at in one scan.
pub const SCAN_BATCH: u32 = 500;

/// Accounts mailed in one round.
pub const DUE_BATCH: u32 = 20;

/// Notifications listed in one mail (the rest are counted).
pub const PER_MAIL: u32 = 50;

/// How long a claim of a due account holds it.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);

/// What every refusal of an unsubscribe token says.
pub const INVALID_TOKEN: &str = "this unsubscribe link is not valid";

#[derive(Clone)]
pub struct NotificationMailService {
    repo: Arc<dyn NotificationMailRepository>,
    settings: Arc<MailSettings>,
    key: Arc<UnsubscribeKey>,
    doorbell: Arc<Doorbell>,
}

/// What a round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    /// Mails written to the outbox.
    pub mails: usize,
    /// Notifications looked at, or accounts whose turn came.
    pub looked_at: usize,
}

impl NotificationMailService {
    pub fn new(
        repo: Arc<dyn NotificationMailRepository>,
        settings: Arc<MailSettings>,
        key: Arc<UnsubscribeKey>,
        doorbell: Arc<Doorbell>,
    ) -> Self {
        Self {
            repo,
            settings,
            key,
            doorbell,
        }
    }

    /// Looks through the notifications written since the last look (up to [`SCAN_BATCH`]): mails the
    /// ticket news among them, and makes mail due for their other recipients on "each".
    pub fn scan_round(&self) -> Result<Written, AppError> {
        let now = stored_now();
        let Some(batch) = self.repo.scan(now - self.repo.settle(), SCAN_BATCH)? else {
            return Ok(Written::default());
        };
        let mails = batch
            .news
            .iter()
            .map(|(user, notification)| {
                let mail = letters::ticket_news(user, notification, &self.settings.origin)
                    .into_mail(&user.email, self.settings.message_id()?);
                Ok(OutgoingMail {
                    user: Some(user.id),
                    mail,
                    created_at: now,
                    expires_at: None,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let count = mails.len();
        let recorded = self.repo.scanned(&batch, mails, now)?;
        if recorded && count > 0 {
            self.doorbell.ring();
        }
        Ok(Written {
            mails: if recorded { count } else { 0 },
            looked_at: usize::try_from(batch.up_to - batch.after).unwrap_or(0),
        })
    }

    /// Writes the notification mail of up to [`DUE_BATCH`] accounts whose turn has come: what is unread
    /// and was in no earlier mail, or nothing when there is none (or the address is not verified).
    pub fn due_round(&self) -> Result<Written, AppError> {
        let now = stored_now();
        let lease = now + LEASE;
        let due = self
            .repo
            .due(now, now - EACH_MAIL_GAP, lease, DUE_BATCH, PER_MAIL)?;
        let mut written = Written {
            looked_at: due.len(),
            ..Written::default()
        };
        for turn in due {
            let user = &turn.user;
            let daily = user.notification_mail == NotificationMail::Daily;
            let next = daily.then(|| user.time_zone.next_digest_after(now));
            let sends = user.notification_mail != NotificationMail::Off
                && user.email_verified_at.is_some()
                && !user.is_deleted()
                && !turn.notifications.is_empty();
            let mail = if sends {
                Some(self.notification_mail(user, &turn.notifications, turn.unread, daily, now)?)
            } else {
                None
            };
            let mails = mail.is_some();
            if self.repo.mailed(user.id, lease, mail, turn.newest, next)? {
                written.mails += usize::from(mails);
            }
        }
        if written.mails > 0 {
            self.doorbell.ring();
        }
        Ok(written)
    }

    fn notification_mail(
        &self,
        user: &User,
        listed: &[plaza_domain::notification::Notification],
        unread: i64,
        daily: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<OutgoingMail, AppError> {
        let token = self.key.token(user.id)?;
        let origin = &self.settings.origin;
        let page = format!("{origin}/#/unsubscribe?token={token}");
        let mut mail = letters::notifications(user, listed, unread, origin, &page, daily)
            .into_mail(&user.email, self.settings.message_id()?);
        mail.unsubscribe = Some(format!("{origin}/unsubscribe?token={token}"));
        Ok(OutgoingMail {
            user: Some(user.id),
            mail,
            created_at: now,
            expires_at: None,
        })
    }

    /// Scan and due rounds until each comes back with less than a full batch (at most `rounds` of each):
    /// a burst of notifications is worked off at once, not a batch per poll. A failing scan does not keep
    /// due mail from being written.
    pub fn catch_up(&self, rounds: usize) -> Result<Written, AppError> {
        let mut total = Written::default();
        let mut failed = None;
        for _ in 0..rounds {
            match self.scan_round() {
                Ok(round) => {
                    total.mails += round.mails;
                    if round.looked_at < SCAN_BATCH as usize {
                        break;
                    }
                }
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        for _ in 0..rounds {
            let round = self.due_round()?;
            total.mails += round.mails;
            if round.looked_at < DUE_BATCH as usize {
                break;
            }
        }
        match failed {
            Some(error) => Err(error),
            None => Ok(total),
        }
    }

    /// Turns off the notification mail of the account `token` names (a one-click unsubscribe: no login).
    /// `400 invalid_token` for a token that names none.
    pub fn unsubscribe(&self, token: &str) -> Result<(), AppError> {
        let user = self
            .key
            .user(token)
            .ok_or(AppError::InvalidToken(INVALID_TOKEN))?;
        if !self.repo.turn_off(user)? {
            return Err(AppError::InvalidToken(INVALID_TOKEN));
        }
        tracing::info!(
            user = user.get(),
            "notification mail turned off by its unsubscribe link"
        );
        Ok(())
    }
}
