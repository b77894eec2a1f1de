//! The mail outbox (`mail_outbox`) and password reset tokens (`password_resets`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::mail::{Mail, MailOutbox, OutgoingMail, QueuedMail};
use plaza_domain::password_reset::{
    Issued, MAX_MAILS_PER_WINDOW, NewReset, PasswordResetRepository, THROTTLE_WINDOW,
};
use plaza_domain::user::{PasswordHash, token_epoch};
use plaza_domain::{MailId, RepoError, UserId};

use crate::conn::Conn;
use crate::db::Database;
use crate::error::StoreError;
use crate::schema::{mail_outbox, password_resets, users};
use crate::time::StoredTime;

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

/// [`MailOutbox`] and [`PasswordResetRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteMail {
    db: Database,
}

impl SqliteMail {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

#[derive(Queryable)]
struct QueuedRow {
    id: i64,
    recipient: String,
    subject: String,
    text_body: String,
    html_body: String,
    message_id: String,
    created_at: StoredTime,
    attempts: i32,
}

impl From<QueuedRow> for QueuedMail {
    fn from(row: QueuedRow) -> Self {
        QueuedMail {
            id: MailId::from_stored(row.id),
            mail: Mail {
                to: row.recipient,
                subject: row.subject,
                text: row.text_body,
                html: row.html_body,
                message_id: row.message_id,
            },
            created_at: row.created_at.utc(),
            attempts: u32::try_from(row.attempts).unwrap_or(0),
        }
    }
}

/// Cut to what a column of errors needs: a server's answer can be long.
fn short(error: &str) -> String {
    error.chars().take(500).collect()
}

impl MailOutbox for SqliteMail {
    fn enqueue(&self, mail: OutgoingMail) -> Result<MailId, RepoError> {
        self.db.write(move |conn| Ok(enqueue(conn, &mail)?))
    }

    fn claim(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, RepoError> {
        // One process writes a SQLite file, on one writer thread: a claim cannot race another.
        self.db.write(move |conn| {
            let due: Vec<i64> = mail_outbox::table
                .filter(mail_outbox::status.eq("pending"))
                .filter(mail_outbox::next_attempt_at.le(now.naive_utc()))
                .order((mail_outbox::next_attempt_at, mail_outbox::id))
                .limit(i64::from(limit))
                .select(mail_outbox::id)
                .load(conn)?;
            if due.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(mail_outbox::table.filter(mail_outbox::id.eq_any(&due)))
                .set((
                    mail_outbox::next_attempt_at.eq(lease_until.naive_utc()),
                    mail_outbox::attempts.eq(mail_outbox::attempts + 1),
                ))
                .execute(conn)?;
            let rows: Vec<QueuedRow> = mail_outbox::table
                .filter(mail_outbox::id.eq_any(&due))
                .order((mail_outbox::created_at, mail_outbox::id))
                .select((
                    mail_outbox::id,
                    mail_outbox::recipient,
                    mail_outbox::subject,
                    mail_outbox::text_body,
                    mail_outbox::html_body,
                    mail_outbox::message_id,
                    mail_outbox::created_at,
                    mail_outbox::attempts,
                ))
                .load(conn)?;
            Ok(rows.into_iter().map(QueuedMail::from).collect())
        })
    }

    fn delivered(&self, id: MailId) -> Result<(), RepoError> {
        self.db.write(move |conn| {
            diesel::delete(mail_outbox::table.find(id.get())).execute(conn)?;
            Ok(())
        })
    }

    fn retry_at(&self, id: MailId, at: DateTime<Utc>, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(move |conn| {
            diesel::update(mail_outbox::table.find(id.get()))
                .set((
                    mail_outbox::next_attempt_at.eq(at.naive_utc()),
                    mail_outbox::last_error.eq(error),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn give_up(&self, id: MailId, error: &str) -> Result<(), RepoError> {
        let error = short(error);
        self.db.write(move |conn| {
            diesel::update(mail_outbox::table.find(id.get()))
                .set((
                    mail_outbox::status.eq("failed"),
                    mail_outbox::text_body.eq(""),
                    mail_outbox::html_body.eq(""),
                    mail_outbox::last_error.eq(error),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    fn next_due(&self) -> Result<Option<DateTime<Utc>>, RepoError> {
        self.db.read_one(|conn| {
            Ok(mail_outbox::table
                .filter(mail_outbox::status.eq("pending"))
                .order(mail_outbox::next_attempt_at)
                .select(mail_outbox::next_attempt_at)
                .first::<StoredTime>(conn)
                .optional()?
                .map(StoredTime::utc))
        })
    }
}

impl PasswordResetRepository for SqliteMail {
    fn issue(&self, reset: NewReset) -> Result<Issued, RepoError> {
        self.db.write(move |conn| {
            let live = users::table
                .find(reset.user.get())
                .filter(users::deleted_at.is_null())
                .select(users::id)
                .first::<i64>(conn)
                .optional()?;
            if live.is_none() {
                return Ok(Issued::NoAccount);
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
        let token_digest = token_digest.to_owned();
        self.db.write(move |conn| {
            let owner = password_resets::table
                .find(&token_digest)
                .filter(password_resets::expires_at.gt(now.naive_utc()))
                .select(password_resets::user_id)
                .first::<i64>(conn)
                .optional()?;
            let Some(owner) = owner.map(UserId::from_stored) else {
                return Ok(None);
            };
            let user = match crate::users::find_live(conn, owner) {
                Ok(user) => user,
                Err(StoreError(RepoError::NotFound)) => return Ok(None),
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
