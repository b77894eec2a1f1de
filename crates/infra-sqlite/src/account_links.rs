//! One-time links mailed to an account — password resets (`password_resets`) and address verifications
//! (`email_verifications`) — each stored as a digest with its mail, in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use plaza_domain::email_verification::{EmailVerificationRepository, NewVerification};
use plaza_domain::password_reset::{
    Issued, MAX_MAILS_PER_WINDOW, NewReset, PasswordResetRepository, THROTTLE_WINDOW,
};
use plaza_domain::user::{PasswordHash, token_epoch};
use plaza_domain::{RepoError, UserId};

use crate::db::Database;
use crate::error::StoreError;
use crate::mail::{enqueue, issue_verification};
use crate::schema::{email_verifications, password_resets, users};

/// [`PasswordResetRepository`] and [`EmailVerificationRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteAccountLinks {
    db: Database,
}

impl SqliteAccountLinks {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl PasswordResetRepository for SqliteAccountLinks {
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

impl EmailVerificationRepository for SqliteAccountLinks {
    fn issue(&self, user: UserId, verification: NewVerification) -> Result<Issued, RepoError> {
        self.db.write(move |conn| {
            let live = users::table
                .find(user.get())
                .filter(users::deleted_at.is_null())
                .select(users::id)
                .first::<i64>(conn)
                .optional()?;
            if live.is_none() {
                return Ok(Issued::NoAccount);
            }
            issue_verification(conn, user, &verification)
        })
    }

    fn confirm(&self, token_digest: &str, now: DateTime<Utc>) -> Result<Option<UserId>, RepoError> {
        let token_digest = token_digest.to_owned();
        self.db.write(move |conn| {
            // The token's address must still be the account's (compared as the unique index does).
            let owner: Option<i64> = crate::sql::Sql::new(
                "SELECT v.user_id AS id FROM email_verifications v JOIN users u ON u.id = v.user_id \
                 WHERE v.token_digest = ? AND v.expires_at > ? AND u.deleted_at IS NULL \
                 AND u.email = v.email COLLATE NOCASE",
            )
            .text(token_digest)
            .timestamp(now.naive_utc())
            .load::<IdRow>(conn)?
            .into_iter()
            .next()
            .map(|row| row.id);
            let Some(owner) = owner else {
                return Ok(None);
            };
            diesel::update(users::table.find(owner))
                .set(users::email_verified_at.eq(now.naive_utc()))
                .execute(conn)?;
            diesel::delete(email_verifications::table.filter(email_verifications::user_id.eq(owner)))
                .execute(conn)?;
            Ok(Some(UserId::from_stored(owner)))
        })
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}
