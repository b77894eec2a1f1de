//! What notification mail is due, over the `mail_scan` mark and the users' mail columns. Several instances
//! share them: the mark moves by compare-and-set, and due accounts are claimed with `FOR UPDATE SKIP LOCKED`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::mail::OutgoingMail;
use plaza_domain::notification::Notification;
use plaza_domain::notification_mail::{DueMail, NotificationMailRepository, ScanBatch, TICKET_NEWS};
use plaza_domain::user::{EACH_MAIL_GAP, User};
use plaza_domain::{RepoError, UserId};

use crate::db::Database;
use crate::notifications::NotificationRow;
use crate::schema::{mail_scan, notifications, users};
use crate::sql::Sql;
use crate::users::UserRow;
use diesel::sql_types::BigInt;

/// Leases the due accounts no other claim holds, in one statement.
const CLAIM_DUE: &str = "UPDATE users SET notification_mail_due_at = $3 WHERE id IN (\
     SELECT id FROM users WHERE notification_mail_due_at <= $1 \
     AND (email_notifications <> 'each' OR notification_mailed_at IS NULL OR notification_mailed_at <= $2) \
     ORDER BY notification_mail_due_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id";

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// [`NotificationMailRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgNotificationMail {
    db: Database,
}

impl PgNotificationMail {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl NotificationMailRepository for PgNotificationMail {
    fn settle(&self) -> chrono::TimeDelta {
        // Ids come from a sequence at insert time; a fan-out commits well within this.
        chrono::TimeDelta::seconds(30)
    }

    fn scan(&self, settled: DateTime<Utc>, limit: u32) -> Result<Option<ScanBatch>, RepoError> {
        self.db.read(|conn| {
            let after: i64 = mail_scan::table
                .find(1)
                .select(mail_scan::last_notification_id)
                .first(conn)?;
            // Ids only, then the few that are ticket news: a batch of comments costs one index range. The
            // batch ends before the first notification not yet settled, whatever the ids after it say: a
            // lower id with a later time (another instance's clock, a slow commit) is never stepped over.
            let rows: Vec<(i64, String, chrono::NaiveDateTime)> = notifications::table
                .filter(notifications::id.gt(after))
                .order(notifications::id)
                .limit(i64::from(limit))
                .select((notifications::id, notifications::kind, notifications::created_at))
                .load(conn)?;
            let ids: Vec<(i64, String)> = rows
                .into_iter()
                .take_while(|(_, _, created)| *created < settled.naive_utc())
                .map(|(id, kind, _)| (id, kind))
                .collect();
            let Some(&(up_to, _)) = ids.last() else {
                return Ok(None);
            };
            let news_ids: Vec<i64> = ids
                .iter()
                .filter(|(_, kind)| TICKET_NEWS.contains(&kind.as_str()))
                .map(|(id, _)| *id)
                .collect();
            let mut news = Vec::new();
            if !news_ids.is_empty() {
                let rows: Vec<(NotificationRow, UserRow)> = notifications::table
                    .inner_join(users::table.on(users::id.eq(notifications::owner_id)))
                    .filter(notifications::id.eq_any(&news_ids))
                    .filter(users::deleted_at.is_null())
                    // An address nobody confirmed may not be the account's: it gets no ticket news.
                    .filter(users::email_verified_at.is_not_null())
                    .order(notifications::id)
                    .select((NotificationRow::as_select(), UserRow::as_select()))
                    .load(conn)?;
                news = rows
                    .into_iter()
                    .map(|(notification, user)| (User::from(user), Notification::from(notification)))
                    .collect();
            }
            Ok(Some(ScanBatch { after, up_to, news }))
        })
    }

    fn scanned(
        &self,
        batch: &ScanBatch,
        news_mails: Vec<OutgoingMail>,
        now: DateTime<Utc>,
    ) -> Result<bool, RepoError> {
        let (after, up_to) = (batch.after, batch.up_to);
        self.db.write(|conn| {
            let moved = diesel::update(
                mail_scan::table
                    .find(1)
                    .filter(mail_scan::last_notification_id.eq(after)),
            )
            .set(mail_scan::last_notification_id.eq(up_to))
            .execute(conn)?;
            if moved == 0 {
                return Ok(false);
            }
            for mail in &news_mails {
                crate::mail::enqueue(conn, mail)?;
            }
            // Due now, or ten minutes after the account's last mail ([`EACH_MAIL_GAP`]) if that is later: a
            // claim then finds only accounts whose turn has come.
            Sql::new(
                "UPDATE users SET notification_mail_due_at = CASE \
                   WHEN notification_mailed_at IS NULL OR notification_mailed_at <= $1 THEN $2 \
                   ELSE notification_mailed_at + interval '10 minutes' END \
                 WHERE notification_mail_due_at IS NULL AND email_notifications = 'each' \
                   AND email_verified_at IS NOT NULL AND deleted_at IS NULL \
                   AND id IN (SELECT owner_id FROM notifications WHERE id > $3 AND id <= $4 \
                     AND kind NOT IN ('places_given', 'event_moved', 'event_cancelled'))",
            )
            .timestamp((now - EACH_MAIL_GAP).naive_utc())
            .timestamp(now.naive_utc())
            .int(after)
            .int(up_to)
            .execute(conn)?;
            Ok(true)
        })
    }

    fn due(
        &self,
        now: DateTime<Utc>,
        each_since: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        per_mail: u32,
    ) -> Result<Vec<DueMail>, RepoError> {
        self.db.write(|conn| {
            let ids: Vec<ClaimedId> = Sql::new(CLAIM_DUE)
                .timestamp(now.naive_utc())
                .timestamp(each_since.naive_utc())
                .timestamp(lease_until.naive_utc())
                .int(i64::from(limit))
                .load(conn)?;
            let ids: Vec<i64> = ids.into_iter().map(|row| row.id).collect();
            let due: Vec<UserRow> = users::table
                .filter(users::id.eq_any(&ids))
                .order(users::id)
                .select(UserRow::as_select())
                .load(conn)?;
            let mark: i64 = mail_scan::table
                .find(1)
                .select(mail_scan::last_notification_id)
                .first(conn)?;
            let mut claimed = Vec::with_capacity(due.len());
            for row in due {
                let user = User::from(row);
                let cursor: i64 = users::table
                    .find(user.id.get())
                    .select(users::notification_mail_cursor)
                    .first(conn)?;
                // Bounded first, then listed and counted within the bound: what commits meanwhile is left
                // for the next mail, not counted as mailed.
                let newest: Option<i64> = crate::notifications::newest_first(user.id, false)
                    .filter(notifications::id.le(mark))
                    .select(notifications::id)
                    .first(conn)
                    .optional()?;
                let newest = newest.unwrap_or(cursor).max(cursor);
                let unread = || {
                    crate::notifications::of_recipient(user.id)
                        .filter(notifications::id.gt(cursor))
                        .filter(notifications::id.le(newest))
                        .filter(notifications::is_read.eq(false))
                        .filter(notifications::kind.ne_all(TICKET_NEWS))
                };
                let listed: Vec<NotificationRow> = unread()
                    .order((notifications::owner_id, notifications::id))
                    .limit(i64::from(per_mail))
                    .select(NotificationRow::as_select())
                    .load(conn)?;
                let count: i64 = unread().count().get_result(conn)?;
                claimed.push(DueMail {
                    user,
                    notifications: listed.into_iter().map(Notification::from).collect(),
                    unread: count,
                    newest,
                });
            }
            Ok(claimed)
        })
    }

    fn mailed(
        &self,
        user: UserId,
        leased_until: DateTime<Utc>,
        mail: Option<OutgoingMail>,
        covered: i64,
        next_due: Option<DateTime<Utc>>,
    ) -> Result<bool, RepoError> {
        self.db.write(|conn| {
            let mailed_at = mail.as_ref().map(|mail| mail.created_at.naive_utc());
            let still_ours = diesel::update(
                users::table
                    .find(user.get())
                    .filter(users::notification_mail_due_at.eq(leased_until.naive_utc())),
            )
            .set((
                users::notification_mail_cursor.eq(covered),
                users::notification_mail_due_at.eq(next_due.map(|at| at.naive_utc())),
            ))
            .execute(conn)?;
            if still_ours == 0 {
                return Ok(false);
            }
            if let Some(mail) = &mail {
                crate::mail::enqueue(conn, mail)?;
                diesel::update(users::table.find(user.get()))
                    .set(users::notification_mailed_at.eq(mailed_at))
                    .execute(conn)?;
            }
            Ok(true)
        })
    }

    fn turn_off(&self, user: UserId) -> Result<bool, RepoError> {
        self.db.write(|conn| {
            let changed = diesel::update(users::table.find(user.get()).filter(users::deleted_at.is_null()))
                .set((
                    users::email_notifications.eq("off"),
                    users::notification_mail_due_at.eq(None::<chrono::NaiveDateTime>),
                ))
                .execute(conn)?;
            Ok(changed == 1)
        })
    }
}
