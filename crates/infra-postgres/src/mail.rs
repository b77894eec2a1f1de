//! The mail outbox (`mail_outbox`), and what other writes put in it with their own rows. Several instances share
//! the outbox: a claim takes due rows with `FOR UPDATE SKIP LOCKED` and leases them in the same statement,
//! so two claims at once never take the same mail, and a mail leased is not due again until its lease ends.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};
use plaza_domain::email_verification::NewVerification;
use plaza_domain::mail::{
    Attachment, Backlog, Issued, MAX_MAILS_PER_WINDOW, Mail, MailOutbox, OutgoingMail, QueuedMail,
    THROTTLE_WINDOW,
};
use plaza_domain::user::{MailSchedule, NotificationMail};
use plaza_domain::{MailId, RepoError, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::schema::{email_verifications, mail_outbox, notifications, users};
use crate::sql::Sql;

/// Writes `outgoing` to the outbox, due at once, inside the caller's transaction.
pub(crate) fn enqueue(conn: &mut Conn, outgoing: &OutgoingMail) -> QueryResult<MailId> {
    let written = outgoing.created_at.naive_utc();
    let id = diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::user_id.eq(outgoing.user.map(UserId::get)),
            mail_outbox::recipient.eq(&outgoing.mail.to),
            mail_outbox::subject.eq(&outgoing.mail.subject),
            mail_outbox::text_body.eq(&outgoing.mail.text),
            mail_outbox::html_body.eq(&outgoing.mail.html),
            mail_outbox::message_id.eq(&outgoing.mail.message_id),
            mail_outbox::created_at.eq(written),
            mail_outbox::next_attempt_at.eq(written),
            mail_outbox::expires_at.eq(outgoing.expires_at.map(|at| at.naive_utc())),
            mail_outbox::unsubscribe_url.eq(&outgoing.mail.unsubscribe),
            mail_outbox::attachment_name.eq(outgoing.mail.attachment.as_ref().map(|file| &file.name)),
            mail_outbox::attachment_type.eq(outgoing.mail.attachment.as_ref().map(|file| &file.content_type)),
            mail_outbox::attachment_body.eq(outgoing.mail.attachment.as_ref().map(|file| &file.body)),
        ))
        .returning(mail_outbox::id)
        .get_result::<i64>(conn)?;
    Ok(MailId::from_stored(id))
}

/// Stores `verification` for `user` and writes its mail to the outbox, inside the caller's transaction,
/// unless the account had [`MAX_MAILS_PER_WINDOW`] links made within [`THROTTLE_WINDOW`] (earlier links are
/// kept, counted, and open nothing once the address changed: each is bound to its address).
pub(crate) fn issue_verification(
    conn: &mut Conn,
    user: UserId,
    verification: &NewVerification,
) -> Result<Issued, StoreError> {
    let since = (verification.created_at - THROTTLE_WINDOW).naive_utc();
    let recent: i64 = email_verifications::table
        .filter(email_verifications::user_id.eq(user.get()))
        .filter(email_verifications::created_at.gt(since))
        .count()
        .get_result(conn)?;
    if recent >= i64::from(MAX_MAILS_PER_WINDOW) {
        return Ok(Issued::Throttled);
    }
    diesel::insert_into(email_verifications::table)
        .values((
            email_verifications::token_digest.eq(&verification.token_digest),
            email_verifications::user_id.eq(user.get()),
            email_verifications::email.eq(&verification.email),
            email_verifications::created_at.eq(verification.created_at.naive_utc()),
            email_verifications::expires_at.eq(verification.expires_at.naive_utc()),
        ))
        .execute(conn)?;
    enqueue(
        conn,
        &OutgoingMail {
            user: Some(user),
            mail: verification.mail.clone(),
            created_at: verification.created_at,
            expires_at: Some(verification.expires_at),
        },
    )?;
    Ok(Issued::Sent)
}

/// Sets `user`'s notification mail to `schedule`, inside the caller's transaction. Turned on from off,
/// mail starts with what comes from now on: the account's notifications so far count as covered.
pub(crate) fn set_schedule(
    conn: &mut Conn,
    user: UserId,
    schedule: &MailSchedule,
    previous: NotificationMail,
) -> Result<(), StoreError> {
    if previous == NotificationMail::Off && schedule.preference != NotificationMail::Off {
        let newest: Option<i64> = crate::notifications::newest_first(user, false)
            .select(notifications::id)
            .first(conn)
            .optional()?;
        diesel::update(users::table.find(user.get()))
            .set(users::notification_mail_cursor.eq(newest.unwrap_or(0)))
            .execute(conn)?;
    }
    // Each: a mail becomes due when something new arrives (and one already due stays due; a daily
    // digest's time does not carry over).
    let due = match schedule.preference {
        NotificationMail::Off => None,
        NotificationMail::Daily => schedule.next_digest.map(|at| at.naive_utc()),
        NotificationMail::Each if previous != NotificationMail::Each => None,
        NotificationMail::Each => {
            return Ok(diesel::update(users::table.find(user.get()))
                .set((
                    users::email_notifications.eq(schedule.preference.as_str()),
                    users::time_zone.eq(schedule.time_zone.as_str()),
                ))
                .execute(conn)
                .map(drop)?);
        }
    };
    diesel::update(users::table.find(user.get()))
        .set((
            users::email_notifications.eq(schedule.preference.as_str()),
            users::time_zone.eq(schedule.time_zone.as_str()),
            users::notification_mail_due_at.eq(due),
        ))
        .execute(conn)?;
    Ok(())
}

/// [`MailOutbox`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgMail {
    db: Database,
}

impl PgMail {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct QueuedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    recipient: String,
    #[diesel(sql_type = Text)]
    subject: String,
    #[diesel(sql_type = Text)]
    text_body: String,
    #[diesel(sql_type = Text)]
    html_body: String,
    #[diesel(sql_type = Text)]
    message_id: String,
    #[diesel(sql_type = Timestamp)]
    created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Timestamp>)]
    expires_at: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    unsubscribe_url: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    attachment_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    attachment_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    attachment_body: Option<String>,
}

/// Takes the due mails no other claim holds (skipping rows another transaction has locked), leases them
/// and counts the attempt, in one statement.
const CLAIM: &str = "UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, recipient, subject, text_body, html_body, message_id, created_at, attempts, \
     expires_at, unsubscribe_url, attachment_name, attachment_type, attachment_body";

/// The attachment stored in a row's three columns, when it has one.
fn attachment(
    name: Option<String>,
    content_type: Option<String>,
    body: Option<String>,
) -> Option<Attachment> {
    Some(Attachment {
        name: name?,
        content_type: content_type?,
        body: body?,
    })
}

/// The row of mail `id` while the claim of attempt `attempts` is still its own.
fn claimed(
    id: MailId,
    attempts: u32,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<mail_outbox::table, i64>,
    diesel::dsl::Eq<mail_outbox::attempts, i32>,
> {
    mail_outbox::table
        .find(id.get())
        .filter(mail_outbox::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)))
}

/// Cut to what a column of errors needs: a server's answer can be long.
fn short(error: &str) -> String {
    error.chars().take(500).collect()
}

impl MailOutbox for PgMail {
    fn enqueue(&self, mail: OutgoingMail) -> Result<MailId, RepoError> {
        self.db.write(|conn| Ok(enqueue(conn, &mail)?))
    }

    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, RepoError> {
        self.db.write(|conn| {
            let mut rows: Vec<QueuedRow> = Sql::new(CLAIM)
                .timestamp(now.naive_utc())
                .timestamp(lease_until.naive_utc())
                .int(i64::from(limit))
                .load(conn)?;
            rows.sort_by_key(|row| (row.created_at, row.id));
            Ok(rows
                .into_iter()
                .map(|row| QueuedMail {
                    id: MailId::from_stored(row.id),
                    mail: Mail {
                        to: row.recipient,
                        subject: row.subject,
                        text: row.text_body,
                        html: row.html_body,
                        message_id: row.message_id,
                        unsubscribe: row.unsubscribe_url,
                        attachment: attachment(row.attachment_name, row.attachment_type, row.attachment_body),
                    },
                    created_at: row.created_at.and_utc(),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                    expires_at: row.expires_at.map(|at| at.and_utc()),
                })
                .collect())
        })
    }

    fn delivered(&self, id: MailId, attempts: u32) -> Result<(), RepoError> {
        self.db.write(|conn| {
            diesel::delete(claimed(id, attempts)).execute(conn)?;
            Ok(())
        })
    }

    fn retry_at(&self, id: MailId, attempts: u32, at: DateTime<Utc>, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(|conn| {
            diesel::update(claimed(id, attempts))
                .set((
                    mail_outbox::next_attempt_at.eq(at.naive_utc()),
                    mail_outbox::last_error.eq(&error),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn give_up(&self, id: MailId, attempts: u32, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(|conn| {
            diesel::update(claimed(id, attempts))
                .set((
                    mail_outbox::status.eq("failed"),
                    mail_outbox::text_body.eq(""),
                    mail_outbox::html_body.eq(""),
                    mail_outbox::last_error.eq(&error),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn next_due(&self) -> Result<Option<DateTime<Utc>>, RepoError> {
        self.db.read(|conn| {
            Ok(mail_outbox::table
                .filter(mail_outbox::status.eq("pending"))
                .order(mail_outbox::next_attempt_at)
                .select(mail_outbox::next_attempt_at)
                .first::<chrono::NaiveDateTime>(conn)
                .optional()?
                .map(|at| at.and_utc()))
        })
    }

    fn backlog(&self) -> Result<Backlog, RepoError> {
        self.db.read(|conn| {
            let (waiting, oldest) = mail_outbox::table
                .filter(mail_outbox::status.eq("pending"))
                .select((
                    diesel::dsl::count_star(),
                    diesel::dsl::min(mail_outbox::created_at),
                ))
                .first::<(i64, Option<chrono::NaiveDateTime>)>(conn)?;
            Ok(Backlog {
                waiting: u64::try_from(waiting).unwrap_or_default(),
                oldest: oldest.map(|at| at.and_utc()),
            })
        })
    }
}
