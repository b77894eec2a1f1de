//! The mail outbox (`mail_outbox`) and password reset tokens (`password_resets`). Several instances share
//! the outbox: a claim takes due rows with `FOR UPDATE SKIP LOCKED` and leases them in the same statement,
//! so two claims at once never take the same mail, and a mail leased is not due again until its lease ends.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use plaza_domain::mail::{Mail, MailOutbox, OutgoingMail, QueuedMail};
use plaza_domain::password_reset::{
    Issued, MAX_MAILS_PER_WINDOW, NewReset, PasswordResetRepository, THROTTLE_WINDOW,
};
use plaza_domain::user::{PasswordHash, token_epoch};
use plaza_domain::{MailId, RepoError, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::schema::{mail_outbox, password_resets, users};

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
        ))
        .returning(mail_outbox::id)
        .get_result::<i64>(conn)?;
    Ok(MailId::from_stored(id))
}

/// [`MailOutbox`] and [`PasswordResetRepository`] over PostgreSQL.
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
}

/// Takes the due mails no other claim holds (skipping rows another transaction has locked), leases them
/// and counts the attempt, in one statement.
const CLAIM: &str = "UPDATE mail_outbox SET next_attempt_at = $2, attempts = attempts + 1 \
     WHERE id IN (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                  ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
     RETURNING id, recipient, subject, text_body, html_body, message_id, created_at, attempts";

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
            let mut rows: Vec<QueuedRow> = diesel::sql_query(CLAIM)
                .bind::<Timestamp, _>(now.naive_utc())
                .bind::<Timestamp, _>(lease_until.naive_utc())
                .bind::<BigInt, _>(i64::from(limit))
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
                    },
                    created_at: row.created_at.and_utc(),
                    attempts: u32::try_from(row.attempts).unwrap_or(0),
                })
                .collect())
        })
    }

    fn delivered(&self, id: MailId) -> Result<(), RepoError> {
        self.db.write(|conn| {
            diesel::delete(mail_outbox::table.find(id.get())).execute(conn)?;
            Ok(())
        })
    }

    fn retry_at(&self, id: MailId, at: DateTime<Utc>, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(|conn| {
            diesel::update(mail_outbox::table.find(id.get()))
                .set((
                    mail_outbox::next_attempt_at.eq(at.naive_utc()),
                    mail_outbox::last_error.eq(&error),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn give_up(&self, id: MailId, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(|conn| {
            diesel::update(mail_outbox::table.find(id.get()))
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
}

impl PasswordResetRepository for PgMail {
    fn issue(&self, reset: NewReset) -> Result<Issued, RepoError> {
        self.db.write(|conn| {
            // The account's row is locked: requests for one account on several instances count one after
            // the other, and a deletion under way is waited for.
            match crate::users::find_for_update(conn, reset.user) {
                Ok(_) => {}
                Err(StoreError {
                    error: RepoError::NotFound,
                    ..
                }) => return Ok(Issued::NoAccount),
                Err(error) => return Err(error),
            }
            let since = (reset.created_at - THROTTLE_WINDOW).naive_utc();
            let recent: i64 = password_resets::table
                .filter(password_resets::user_id.eq(reset.user.get()))
                .filter(password_resets::created_at.gt(since))
                .count()
                .get_result(conn)?;
            if recent >= i64::from(MAX_MAILS_PER_WINDOW) {
                return Ok(Issued::Throttled);
            }
            diesel::insert_into(password_resets::table)
                .values((
                    password_resets::token_digest.eq(&reset.token_digest),
                    password_resets::user_id.eq(reset.user.get()),
                    password_resets::created_at.eq(reset.created_at.naive_utc()),
                    password_resets::expires_at.eq(reset.expires_at.naive_utc()),
                ))
                .execute(conn)?;
            enqueue(conn, &reset.mail)?;
            Ok(Issued::Sent)
        })
    }

    fn redeem(
        &self,
        token_digest: &str,
        now: DateTime<Utc>,
        hash: PasswordHash,
    ) -> Result<Option<UserId>, RepoError> {
        if token_digest.contains('\0') {
            return Ok(None);
        }
        self.db.write(|conn| {
            // Locked: a second redemption of the same token waits, then finds it gone.
            let owner = password_resets::table
                .find(token_digest)
                .filter(password_resets::expires_at.gt(now.naive_utc()))
                .select(password_resets::user_id)
                .for_update()
                .first::<i64>(conn)
                .optional()?;
            let Some(owner) = owner.map(UserId::from_stored) else {
                return Ok(None);
            };
            let user = match crate::users::find_for_update(conn, owner) {
                Ok(user) => user,
                Err(StoreError {
                    error: RepoError::NotFound,
                    ..
                }) => return Ok(None),
                Err(error) => return Err(error),
            };
            let epoch = token_epoch::after_password_change(user.token_epoch, now);
            diesel::update(users::table.find(owner.get()))
                .set((
                    users::password_hash.eq(&hash.0),
                    users::password_changed_at.eq(epoch.naive_utc()),
                ))
                .execute(conn)?;
            diesel::delete(password_resets::table.filter(password_resets::user_id.eq(owner.get())))
                .execute(conn)?;
            Ok(Some(owner))
        })
    }
}
