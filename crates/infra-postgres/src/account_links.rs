//! One-time links mailed to an account — password resets (`password_resets`) and address verifications
//! (`email_verifications`) — each stored as a digest with its mail, in one transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
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
use crate::sql::Sql;

/// [`PasswordResetRepository`] and [`EmailVerificationRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgAccountLinks {
    db: Database,
}

impl PgAccountLinks {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl PasswordResetRepository for PgAccountLinks {
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

impl EmailVerificationRepository for PgAccountLinks {
    fn issue(&self, user: UserId, verification: NewVerification) -> Result<Issued, RepoError> {
        self.db.write(|conn| {
            match crate::users::find_for_update(conn, user) {
                Ok(_) => {}
                Err(StoreError {
                    error: RepoError::NotFound,
                    ..
                }) => return Ok(Issued::NoAccount),
                Err(error) => return Err(error),
            }
            issue_verification(conn, user, &verification)
        })
    }

    fn confirm(&self, token_digest: &str, now: DateTime<Utc>) -> Result<Option<UserId>, RepoError> {
        if token_digest.contains('\0') {
            return Ok(None);
        }
        self.db.write(|conn| {
            // The account's row is locked, so an address change running at once is waited for, then seen;
            // the token's address must still be the account's (compared as the unique index does).
            let owner: Option<IdRow> = Sql::new(
                "SELECT u.id FROM email_verifications v JOIN users u ON u.id = v.user_id \
                 WHERE v.token_digest = $1 AND v.expires_at > $2 AND u.deleted_at IS NULL \
                 AND translate(u.email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') \
                   = translate(v.email, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') \
                 FOR UPDATE OF u",
            )
            .text(token_digest)
            .timestamp(now.naive_utc())
            .get_result(conn)
            .optional()?;
            let Some(IdRow { id: owner }) = owner else {
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
    #[diesel(sql_type = BigInt)]
    id: i64,
}
