//! Accounts in the `users` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use plaza_domain::modlog::{ModAction, ModTarget, RoleChange};
use plaza_domain::role::Role;
use plaza_domain::user::{
    Ban, BanOrder, Locale, NewUser, NotificationMail, PasswordHash, TimeZoneName, User, UserChanges,
    UserRepository, deleted_account_email, token_epoch,
};
use plaza_domain::{Conflict, Page, PageRequest, RepoError, SessionId, UserId};

use crate::db::{Conn, Database, now};
use crate::error::StoreError;
use crate::modlog;
use crate::schema::{sessions, users};
use crate::sql::Sql;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = users, check_for_backend(Pg))]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: String,
    full_name: Option<String>,
    avatar: Option<String>,
    password_hash: String,
    // The column keeps the name it was born with: what moves the epoch is a password change.
    #[diesel(column_name = password_changed_at)]
    token_epoch: NaiveDateTime,
    created_at: NaiveDateTime,
    role: String,
    banned_at: Option<NaiveDateTime>,
    banned_until: Option<NaiveDateTime>,
    ban_reason: Option<String>,
    locale: String,
    deleted_at: Option<NaiveDateTime>,
    email_verified_at: Option<NaiveDateTime>,
    email_notifications: String,
    time_zone: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        User {
            id: UserId::from_stored(row.id),
            username: row.username,
            email: row.email,
            full_name: row.full_name,
            avatar: row.avatar,
            // The column's CHECK admits only the roles `parse` reads.
            role: Role::parse(&row.role).unwrap_or_default(),
            ban: row.banned_at.map(|since| Ban {
                reason: row.ban_reason.unwrap_or_default(),
                until: row.banned_until.map(|until| until.and_utc()),
                since: since.and_utc(),
            }),
            password_hash: PasswordHash(row.password_hash),
            token_epoch: row.token_epoch.and_utc(),
            created_at: row.created_at.and_utc(),
            // The column's CHECK admits only the locales `parse` reads.
            locale: Locale::parse(&row.locale).unwrap_or_default(),
            deleted_at: row.deleted_at.map(|at| at.and_utc()),
            email_verified_at: row.email_verified_at.map(|at| at.and_utc()),
            // The column's CHECK admits only the values `parse` reads.
            notification_mail: NotificationMail::parse(&row.email_notifications).unwrap_or_default(),
            // Written only from a parsed name; a zone the database has dropped reads as UTC.
            time_zone: TimeZoneName::parse(&row.time_zone).unwrap_or(TimeZoneName::UTC),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserInsert<'a> {
    username: &'a str,
    email: &'a str,
    full_name: Option<&'a str>,
    password_hash: &'a str,
    // The column keeps the name it was born with: what moves the epoch is a password change.
    #[diesel(column_name = password_changed_at)]
    token_epoch: NaiveDateTime,
    created_at: NaiveDateTime,
    locale: &'static str,
}

#[derive(AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
struct ProfileUpdate<'a> {
    username: &'a str,
    email: &'a str,
    full_name: Option<&'a str>,
}

/// Folds ASCII letters and nothing else, as SQLite's `NOCASE` does: `lower()` would also fold lookalikes
/// such as U+212A KELVIN SIGN into `k`. The unique indexes `users_username_unique` and `users_email_unique`
/// are on this expression of their column.
const FOLD_OPEN: &str = "translate(";
const FOLD_CLOSE: &str = ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";

impl PgUserRepository {
    /// The live account whose `column` equals `value` with ASCII letters folded, through the expression of
    /// the column's unique index (so the index answers it).
    fn find_live_by(&self, column: &'static str, value: &str) -> Result<Option<User>, RepoError> {
        if value.contains('\0') {
            // PostgreSQL text cannot hold NUL, so no stored value does: asking would be an error, not a miss.
            return Ok(None);
        }
        self.db.look_up(|conn| {
            let row = users::table
                .filter(
                    diesel::dsl::sql::<Bool>(&format!("{FOLD_OPEN}{column}{FOLD_CLOSE} = {FOLD_OPEN}"))
                        .bind::<Text, _>(value)
                        .sql(FOLD_CLOSE),
                )
                .filter(users::deleted_at.is_null())
                .select(UserRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(User::from))
        })
    }
}

/// [`UserRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgUserRepository {
    db: Database,
}

impl PgUserRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Bans `order.user` inside the caller's write and logs it; `NotFound` for a missing user,
/// `Conflict::OutOfReach` when `order.by_role` may not ban their role.
pub(crate) fn ban_in(conn: &mut Conn, order: &BanOrder) -> Result<(), StoreError> {
    let current = find_for_update(conn, order.user)?;
    if !order.by_role.may_ban(current.role) {
        return Err(RepoError::Conflict(Conflict::OutOfReach).into());
    }
    diesel::update(users::table.find(order.user.get()))
        .set((
            users::banned_at.eq(order.at.naive_utc()),
            users::banned_until.eq(order.until.map(|until| until.naive_utc())),
            users::ban_reason.eq(order.reason.as_str()),
        ))
        .execute(conn)?;
    modlog::record(
        conn,
        modlog::Record {
            moderator: Some(order.by),
            action: ModAction::Ban { until: order.until },
            target: ModTarget::user(order.user),
            reason: Some(order.reason.as_str()),
            at: order.at.naive_utc(),
        },
    )?;
    Ok(())
}

fn find(conn: &mut Conn, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .find(id.get())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::from))
}

/// The row locked for the rest of the transaction, so that two changes of one account run one after
/// the other; `NotFound` when it is missing or deleted (nothing changes a deleted account: a deletion under
/// way is waited for, then seen).
pub(crate) fn find_for_update(conn: &mut Conn, id: UserId) -> Result<User, StoreError> {
    Ok(users::table
        .find(id.get())
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .map(User::from)
        .ok_or(RepoError::NotFound)?)
}

/// The admins who could act now (admins under a ban do not count), their rows locked in id order for the
/// rest of the transaction: two changes that could each leave the last admin lock in one order (no
/// deadlock), and one running meanwhile waits, then reads the admins as this one left them. `NO KEY
/// UPDATE` is enough to keep two such changes apart, and lets rows that reference these users be written.
fn lock_working_admins(conn: &mut Conn) -> Result<Vec<i64>, StoreError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::banned_at.is_null().or(users::banned_until.le(now())))
        .filter(users::deleted_at.is_null())
        .order(users::id)
        .select(users::id)
        .for_no_key_update()
        .load(conn)?)
}

/// What goes with a deleted account, each statement given its id: its sessions (and their refresh and
/// stream tickets), its inbox, its waitlist places, its place among events' participants, its private
/// calendar feed, its password reset and e-mail verification tokens, and the mails not yet sent to it.
const ERASED_WITH_ACCOUNT: [&str; 9] = [
    "DELETE FROM sessions WHERE user_id = $1",
    "DELETE FROM stream_tickets WHERE user_id = $1",
    "DELETE FROM notifications WHERE owner_id = $1",
    "DELETE FROM waitlist_entries WHERE user_id = $1",
    "DELETE FROM event_participants WHERE user_id = $1",
    "DELETE FROM calendar_feeds WHERE user_id = $1",
    "DELETE FROM password_resets WHERE user_id = $1",
    "DELETE FROM email_verifications WHERE user_id = $1",
    "DELETE FROM mail_outbox WHERE user_id = $1",
];

/// A deleted account's name out of what it sent others, given its id: the sender's name, and a comment's
/// sentence, which begins with that name (whatever its kind: one written before kinds existed too). `SET`
/// reads the row as it was. It reads every notification: no index serves `sender_id` alone, and keeping one
/// for this rare write would cost every comment's fan-out.
const NAME_OUT_OF_SENT: &str = "UPDATE notifications SET sender = 'deleted user', message = CASE \
     WHEN substr(message, 1, length(sender) + 15) = sender || ' commented on \"' \
     THEN 'deleted user' || substr(message, length(sender) + 1) ELSE message END WHERE sender_id = $1";

/// A page of every user, or of the holders of `role`, in id order.
fn list(conn: &mut Conn, role: Option<Role>, page: PageRequest) -> Result<Page<User>, StoreError> {
    let (offset, limit) = page.offset_and_limit();
    let users = || {
        let mut query = users::table.into_boxed();
        if let Some(role) = role {
            query = query.filter(users::role.eq(role.as_str()));
        }
        query
    };
    let total: i64 = users().count().get_result(conn)?;
    let rows = users()
        .order(users::id)
        .offset(offset)
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?;
    Ok(Page {
        items: rows.into_iter().map(User::from).collect(),
        total: total.unsigned_abs(),
    })
}

impl UserRepository for PgUserRepository {
    fn create(&self, user: NewUser) -> Result<User, RepoError> {
        let user_verification = user.verification.clone();
        self.db.write(|conn| {
            let created = now();
            let row = diesel::insert_into(users::table)
                .values(UserInsert {
                    username: user.username.as_str(),
                    email: user.email.as_str(),
                    full_name: user.full_name.as_ref().map(|name| name.as_str()),
                    password_hash: &user.password_hash.0,
                    locale: user.locale.as_str(),
                    token_epoch: token_epoch::at_registration(created.and_utc()).naive_utc(),
                    created_at: created,
                })
                .returning(UserRow::as_returning())
                .get_result(conn)?;
            let user = User::from(row);
            if let Some(verification) = &user_verification {
                crate::mail::issue_verification(conn, user.id, verification)?;
            }
            Ok(user)
        })
    }

    fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.db.look_up(|conn| find(conn, id))
    }

    fn find_signed_in(&self, id: UserId, session: SessionId) -> Result<Option<User>, RepoError> {
        // Built with Diesel, not written as SQL, so that each connection keeps it prepared: every signed-in
        // request runs it, and PostgreSQL plans a statement sent as text again each time.
        self.db.look_up(|conn| {
            Ok(users::table
                .inner_join(sessions::table)
                .filter(users::id.eq(id.get()))
                .filter(sessions::id.eq(session.get()))
                .filter(users::deleted_at.is_null())
                .select(UserRow::as_select())
                .first(conn)
                .optional()?
                .map(User::from))
        })
    }

    fn find_by_email(&self, email: &str) -> Result<Option<User>, RepoError> {
        self.find_live_by("email", email)
    }

    fn find_by_username(&self, username: &str) -> Result<Option<User>, RepoError> {
        self.find_live_by("username", username)
    }

    fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, RepoError> {
        let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
        self.db.look_up(|conn| {
            let rows = users::table
                .filter(users::id.eq_any(&raw))
                .order(users::id)
                .select(UserRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
    }

    fn list(&self, page: PageRequest) -> Result<Page<User>, RepoError> {
        self.db.read(|conn| list(conn, None, page))
    }

    fn list_by_role(&self, role: Role, page: PageRequest) -> Result<Page<User>, RepoError> {
        self.db.read(|conn| list(conn, Some(role), page))
    }

    fn set_role(&self, change: RoleChange) -> Result<User, RepoError> {
        self.db.write(|conn| {
            // Every admin's row first, then the user's.
            let admins = lock_working_admins(conn)?;
            let current = find_for_update(conn, change.user)?;
            if current.role == change.role {
                return Ok(current);
            }
            if current.role == Role::Admin && admins.len() <= 1 {
                return Err(RepoError::Conflict(Conflict::LastAdmin).into());
            }
            diesel::update(users::table.find(change.user.get()))
                .set(users::role.eq(change.role.as_str()))
                .execute(conn)?;
            modlog::record(
                conn,
                modlog::Record {
                    moderator: change.by,
                    action: ModAction::SetRole(change.role),
                    target: ModTarget::user(change.user),
                    reason: change.reason.as_ref().map(|reason| reason.as_str()),
                    at: now(),
                },
            )?;
            find(conn, change.user)?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn ban(&self, order: BanOrder) -> Result<User, RepoError> {
        self.db.write(|conn| {
            ban_in(conn, &order)?;
            find(conn, order.user)?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn lift_ban(&self, user: UserId, by: UserId, at: DateTime<Utc>) -> Result<User, RepoError> {
        self.db.write(|conn| {
            let current = find_for_update(conn, user)?;
            let Some(ban) = &current.ban else {
                return Ok(current);
            };
            let held = ban.holds_at(at);
            diesel::update(users::table.find(user.get()))
                .set((
                    users::banned_at.eq(None::<NaiveDateTime>),
                    users::banned_until.eq(None::<NaiveDateTime>),
                    users::ban_reason.eq(None::<String>),
                ))
                .execute(conn)?;
            if held {
                modlog::record(
                    conn,
                    modlog::Record {
                        moderator: Some(by),
                        action: ModAction::Unban,
                        target: ModTarget::user(user),
                        reason: None,
                        at: at.naive_utc(),
                    },
                )?;
            }
            find(conn, user)?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn delete_account(&self, id: UserId, at: DateTime<Utc>) -> Result<Option<String>, RepoError> {
        self.db.write(|conn| {
            // The long read first, before any lock is taken: nobody waits on the admins' rows or this
            // account's while every notification is read (a refusal below undoes it with the rest).
            Sql::new(NAME_OUT_OF_SENT).int(id.get()).execute(conn)?;
            // The admins next, as a role change locks them: an admin leaving and another demoted at the
            // same time cannot leave the community without one.
            let admins = lock_working_admins(conn)?;
            let current = find_for_update(conn, id)?;
            if current.role == Role::Admin && admins.len() <= 1 {
                return Err(RepoError::Conflict(Conflict::LastAdmin).into());
            }
            diesel::update(users::table.find(id.get()))
                .set((
                    users::email.eq(deleted_account_email(id)),
                    users::password_hash.eq(""),
                    users::full_name.eq(None::<String>),
                    users::avatar.eq(None::<String>),
                    users::role.eq(Role::Member.as_str()),
                    users::banned_at.eq(None::<NaiveDateTime>),
                    users::banned_until.eq(None::<NaiveDateTime>),
                    users::ban_reason.eq(None::<String>),
                    users::deleted_at.eq(Some(at.naive_utc())),
                    // Every token issued so far is refused, whatever else would let one through.
                    users::password_changed_at.eq(token_epoch::after_password_change(
                        current.token_epoch,
                        Utc::now(),
                    )
                    .naive_utc()),
                ))
                .execute(conn)?;
            for statement in ERASED_WITH_ACCOUNT {
                Sql::new(statement).int(id.get()).execute(conn)?;
            }
            Ok(current.avatar)
        })
    }

    fn update(&self, id: UserId, changes: UserChanges) -> Result<User, RepoError> {
        self.db.write(|conn| {
            let current = find_for_update(conn, id)?;
            diesel::update(users::table.find(id.get()))
                .set(&ProfileUpdate {
                    username: changes.username.as_str(),
                    email: changes.email.as_str(),
                    full_name: changes.full_name.as_ref().map(|name| name.as_str()),
                })
                .execute(conn)?;
            if changes.password.is_some() || changes.email.as_str() != current.email {
                // A reset link mailed before (perhaps to the old address) must not undo this change.
                diesel::delete(
                    crate::schema::password_resets::table
                        .filter(crate::schema::password_resets::user_id.eq(id.get())),
                )
                .execute(conn)?;
            }
            if let Some(schedule) = &changes.notification_mail {
                crate::mail::set_schedule(conn, id, schedule, current.notification_mail)?;
            }
            if let Some(verification) = &changes.verification {
                diesel::update(users::table.find(id.get()))
                    .set(users::email_verified_at.eq(None::<NaiveDateTime>))
                    .execute(conn)?;
                // Past the hour's links, the address still changes (and is unverified); a link can be asked for later.
                crate::mail::issue_verification(conn, id, verification)?;
            }
            if let Some(locale) = changes.locale {
                diesel::update(users::table.find(id.get()))
                    .set(users::locale.eq(locale.as_str()))
                    .execute(conn)?;
            }
            if let Some(password) = &changes.password {
                // Read under the row lock: two changes at once cannot both start from the same epoch.
                let epoch = token_epoch::after_password_change(current.token_epoch, Utc::now());
                diesel::update(users::table.find(id.get()))
                    .set((
                        users::password_hash.eq(&password.hash.0),
                        users::password_changed_at.eq(epoch.naive_utc()),
                    ))
                    .execute(conn)?;
            }
            find(conn, id)?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn set_avatar(&self, id: UserId, avatar: Option<String>) -> Result<(User, Option<String>), RepoError> {
        self.db.write(|conn| {
            let previous = find_for_update(conn, id)?.avatar;
            let row = diesel::update(users::table.find(id.get()))
                .set(users::avatar.eq(&avatar))
                .returning(UserRow::as_returning())
                .get_result(conn)?;
            Ok((User::from(row), previous))
        })
    }

    fn upgrade_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, RepoError> {
        let (current, upgraded) = (current.0.clone(), upgraded.0.clone());
        self.db.write(|conn| {
            let changed = diesel::update(
                users::table
                    .find(id.get())
                    .filter(users::password_hash.eq(&current)),
            )
            .set(users::password_hash.eq(&upgraded))
            .execute(conn)?;
            Ok(changed == 1)
        })
    }
}
