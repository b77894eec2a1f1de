//! Accounts in the `users` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use plaza_domain::modlog::{ModAction, ModTarget, RoleChange};
use plaza_domain::role::Role;
use plaza_domain::user::{
    Ban, BanOrder, Locale, NewUser, NotificationMail, PasswordHash, TimeZoneName, User, UserChanges,
    UserRepository, deleted_account_email, token_epoch,
};
use plaza_domain::{Conflict, Page, PageRequest, RepoError, SessionId, UserId};

use crate::conn::{Conn, now};
use crate::db::Database;
use crate::error::StoreError;
use crate::modlog;
use crate::schema::users;
use crate::sql::Sql;
use crate::time::StoredTime;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite))]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: String,
    full_name: Option<String>,
    avatar: Option<String>,
    password_hash: String,
    // The column keeps the name it was born with: what moves the epoch is a password change.
    #[diesel(column_name = password_changed_at)]
    token_epoch: StoredTime,
    created_at: StoredTime,
    role: String,
    banned_at: Option<StoredTime>,
    banned_until: Option<StoredTime>,
    ban_reason: Option<String>,
    locale: String,
    deleted_at: Option<StoredTime>,
    email_verified_at: Option<StoredTime>,
    email_notifications: String,
    time_zone: String,
}

impl UserRow {
    pub(crate) fn id(&self) -> i64 {
        self.id
    }
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
                until: row.banned_until.map(|until| until.utc()),
                since: since.utc(),
            }),
            password_hash: PasswordHash(row.password_hash),
            token_epoch: row.token_epoch.utc(),
            created_at: row.created_at.utc(),
            // The column's CHECK admits only the locales `parse` reads.
            locale: Locale::parse(&row.locale).unwrap_or_default(),
            deleted_at: row.deleted_at.map(|at| at.utc()),
            email_verified_at: row.email_verified_at.map(|at| at.utc()),
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

/// [`UserRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteUserRepository {
    db: Database,
}

impl SqliteUserRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// Bans `order.user` inside the caller's write and logs it; `NotFound` for a missing user,
/// `Conflict::OutOfReach` when `order.by_role` may not ban their role.
pub(crate) fn ban_in(conn: &mut Conn, order: &BanOrder) -> Result<(), StoreError> {
    let current = find_live(conn, order.user)?;
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

/// What goes with a deleted account, each statement given its id: its sessions (and their refresh and
/// stream tickets), its inbox, its waitlist places, its place among events' participants, its private
/// calendar feed, its password reset and e-mail verification tokens, and the mails not yet sent to it.
const ERASED_WITH_ACCOUNT: [&str; 9] = [
    "DELETE FROM sessions WHERE user_id = ?",
    "DELETE FROM stream_tickets WHERE user_id = ?",
    "DELETE FROM notifications WHERE owner_id = ?",
    "DELETE FROM waitlist_entries WHERE user_id = ?",
    "DELETE FROM event_participants WHERE user_id = ?",
    "DELETE FROM calendar_feeds WHERE user_id = ?",
    "DELETE FROM password_resets WHERE user_id = ?",
    "DELETE FROM email_verifications WHERE user_id = ?",
    "DELETE FROM mail_outbox WHERE user_id = ?",
];

/// A deleted account's name out of what it sent others, given its id: the sender's name, and a comment's
/// sentence, which begins with that name (whatever its kind: one written before kinds existed too). `SET`
/// reads the row as it was. It reads every notification: no index serves `sender_id` alone, and keeping one
/// for this rare write would cost every comment's fan-out.
const NAME_OUT_OF_SENT: &str = "UPDATE notifications SET sender = 'deleted user', message = CASE \
     WHEN substr(message, 1, length(sender) + 15) = sender || ' commented on \"' \
     THEN 'deleted user' || substr(message, length(sender) + 1) ELSE message END WHERE sender_id = ?";

/// The admins who could act now: admins under a ban do not count. Read in a write transaction, which SQLite
/// runs one at a time, so the count cannot go stale before the caller acts on it.
fn working_admins(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::banned_at.is_null().or(users::banned_until.le(now())))
        .filter(users::deleted_at.is_null())
        .count()
        .get_result(conn)?)
}

/// The account `id` for a change: `NotFound` when it is missing or deleted (nothing changes a deleted
/// account; read in the write transaction, so a deletion cannot slip in between).
/// The live account whose `column` (given as `"<column> = "`) equals `value` as its unique index compares
/// them: ASCII letters regardless of case.
fn find_live_by(conn: &mut Conn, column: &'static str, value: &str) -> Result<Option<User>, StoreError> {
    let row = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>(column)
                .bind::<diesel::sql_types::Text, _>(value)
                .sql(" COLLATE NOCASE"),
        )
        .filter(users::deleted_at.is_null())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(User::from))
}

pub(crate) fn find_live(conn: &mut Conn, id: UserId) -> Result<User, StoreError> {
    Ok(find(conn, id)?
        .filter(|user| !user.is_deleted())
        .ok_or(RepoError::NotFound)?)
}

fn find(conn: &mut Conn, id: UserId) -> Result<Option<User>, StoreError> {
    Ok(users::table
        .find(id.get())
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::from))
}

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

impl UserRepository for SqliteUserRepository {
    fn create(&self, user: NewUser) -> Result<User, RepoError> {
        let user_verification = user.verification.clone();
        self.db.write(move |conn| {
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
        self.db.read_one(|conn| find(conn, id))
    }

    fn find_signed_in(&self, id: UserId, session: SessionId) -> Result<Option<User>, RepoError> {
        self.db.read_one(|conn| {
            let rows: Vec<UserRow> = Sql::new(
                "SELECT u.* FROM users u JOIN sessions s ON s.user_id = u.id WHERE u.id = ? AND s.id = ? AND u.deleted_at IS NULL",
            )
            .int(id.get())
            .int(session.get())
            .load(conn)?;
            Ok(rows.into_iter().next().map(User::from))
        })
    }

    fn find_by_email(&self, email: &str) -> Result<Option<User>, RepoError> {
        self.db.read_one(|conn| find_live_by(conn, "email = ", email))
    }

    fn find_by_username(&self, username: &str) -> Result<Option<User>, RepoError> {
        self.db
            .read_one(|conn| find_live_by(conn, "username = ", username))
    }

    fn find_many(&self, ids: &[UserId]) -> Result<Vec<User>, RepoError> {
        let raw: Vec<i64> = ids.iter().map(|id| id.get()).collect();
        self.db.read(|conn| {
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
        self.db.write(move |conn| {
            let current = find_live(conn, change.user)?;
            if current.role == change.role {
                return Ok(current);
            }
            if current.role == Role::Admin {
                // In the write transaction, which SQLite runs one at a time: the count cannot go stale.
                if working_admins(conn)? <= 1 {
                    return Err(RepoError::Conflict(Conflict::LastAdmin).into());
                }
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
        self.db.write(move |conn| {
            ban_in(conn, &order)?;
            find(conn, order.user)?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn lift_ban(&self, user: UserId, by: UserId, at: DateTime<Utc>) -> Result<User, RepoError> {
        self.db.write(move |conn| {
            let current = find_live(conn, user)?;
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
        self.db.write(move |conn| {
            let current = find_live(conn, id)?;
            if current.role == Role::Admin && working_admins(conn)? <= 1 {
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
            for statement in ERASED_WITH_ACCOUNT.into_iter().chain([NAME_OUT_OF_SENT]) {
                Sql::new(statement).int(id.get()).execute(conn)?;
            }
            Ok(current.avatar)
        })
    }

    fn update(&self, id: UserId, changes: UserChanges) -> Result<User, RepoError> {
        self.db.write(move |conn| {
            let profile = ProfileUpdate {
                username: changes.username.as_str(),
                email: changes.email.as_str(),
                full_name: changes.full_name.as_ref().map(|name| name.as_str()),
            };
            let current = find_live(conn, id)?;
            diesel::update(users::table.find(id.get()))
                .set(&profile)
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
                // Read and moved in the same write transaction: two changes at once cannot both start
                // from the same epoch.
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
        self.db.write(move |conn| {
            let previous = find_live(conn, id)?.avatar;
            diesel::update(users::table.find(id.get()))
                .set(users::avatar.eq(&avatar))
                .execute(conn)?;
            let user = find(conn, id)?.ok_or(RepoError::NotFound)?;
            Ok((user, previous))
        })
    }

    fn upgrade_password_hash(
        &self,
        id: UserId,
        current: &PasswordHash,
        upgraded: &PasswordHash,
    ) -> Result<bool, RepoError> {
        let (current, upgraded) = (current.0.clone(), upgraded.0.clone());
        self.db.write(move |conn| {
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::tests::temp_db;
    use plaza_domain::Conflict;
    use plaza_domain::user::{Email, FullName, PasswordChange, Username};

    pub(crate) fn new_user(username: &str) -> NewUser {
        NewUser {
            username: Username::parse(username).unwrap(),
            email: Email::parse(format!("{username}@example.org")).unwrap(),
            full_name: Some(FullName::parse(format!("{username} Example")).unwrap()),
            locale: plaza_domain::user::Locale::En,
            password_hash: PasswordHash("$2b$04$not-a-real-hash".into()),
            verification: None,
        }
    }

    #[test]
    fn creates_and_finds_users() {
        let (_dir, db) = temp_db();
        let repo = SqliteUserRepository::new(db);
        let alice = repo.create(new_user("alice")).unwrap();
        assert!(alice.id.get() > 0);
        assert_eq!(alice.full_name.as_deref(), Some("alice Example"));
        assert_eq!(repo.find(alice.id).unwrap(), Some(alice.clone()));
        assert_eq!(
            repo.find_by_username("ALICE").unwrap().map(|u| u.id),
            Some(alice.id)
        );
        assert_eq!(repo.find_by_username("alic").unwrap(), None);
        assert_eq!(repo.find(UserId::from_stored(999)).unwrap(), None);
    }

    #[test]
    fn user_names_and_emails_are_unique_ignoring_case() {
        let (_dir, db) = temp_db();
        let repo = SqliteUserRepository::new(db);
        repo.create(new_user("alice")).unwrap();
        let mut same_name = new_user("Alice");
        same_name.email = Email::parse("other@example.org").unwrap();
        assert!(matches!(
            repo.create(same_name),
            Err(RepoError::Conflict(Conflict::UsernameTaken))
        ));
        let mut same_email = new_user("alice2");
        same_email.email = Email::parse("ALICE@example.org").unwrap();
        assert!(matches!(
            repo.create(same_email),
            Err(RepoError::Conflict(Conflict::EmailTaken))
        ));
    }

    #[test]
    fn updates_replace_the_profile_and_stamp_password_changes() {
        let (_dir, db) = temp_db();
        let repo = SqliteUserRepository::new(db);
        let alice = repo.create(new_user("alice")).unwrap();
        let bob = repo.create(new_user("bob")).unwrap();

        let keep_password = UserChanges {
            username: Username::parse("alice_new").unwrap(),
            email: Email::parse("new@example.org").unwrap(),
            full_name: None,
            password: None,
            locale: None,
            notification_mail: None,
            verification: None,
        };
        let updated = repo.update(alice.id, keep_password).unwrap();
        assert_eq!(
            (updated.username.as_str(), updated.full_name),
            ("alice_new", None)
        );
        assert_eq!(updated.password_hash, alice.password_hash);
        assert_eq!(updated.token_epoch, alice.token_epoch);

        assert!(
            alice.token_epoch < alice.created_at,
            "registration is not a password change: tokens from its second on are valid"
        );
        let new_password = || UserChanges {
            username: Username::parse("alice_new").unwrap(),
            email: Email::parse("new@example.org").unwrap(),
            full_name: None,
            password: Some(PasswordChange {
                hash: PasswordHash("$2b$04$other".into()),
            }),
            locale: None,
            notification_mail: None,
            verification: None,
        };
        let updated = repo.update(alice.id, new_password()).unwrap();
        assert_eq!(updated.password_hash.0, "$2b$04$other");
        assert!(updated.token_epoch > alice.token_epoch);
        let again = repo.update(alice.id, new_password()).unwrap();
        assert!(
            again.token_epoch > updated.token_epoch,
            "each change moves the epoch, even within one second"
        );

        let steal_name = UserChanges {
            username: Username::parse("BOB").unwrap(),
            email: Email::parse("new@example.org").unwrap(),
            full_name: None,
            password: None,
            locale: None,
            notification_mail: None,
            verification: None,
        };
        assert!(matches!(
            repo.update(alice.id, steal_name.clone()),
            Err(RepoError::Conflict(Conflict::UsernameTaken))
        ));
        assert!(matches!(
            repo.update(UserId::from_stored(999), steal_name),
            Err(RepoError::NotFound)
        ));
        assert_eq!(repo.find(bob.id).unwrap().unwrap().username, "bob");
    }

    #[test]
    fn batch_and_page_lookups() {
        let (_dir, db) = temp_db();
        let repo = SqliteUserRepository::new(db);
        let ids: Vec<UserId> = ["ann", "ben", "cat"]
            .iter()
            .map(|n| repo.create(new_user(n)).unwrap().id)
            .collect();
        let found = repo
            .find_many(&[ids[2], UserId::from_stored(999), ids[0]])
            .unwrap();
        assert_eq!(
            found.iter().map(|u| u.username.as_str()).collect::<Vec<_>>(),
            ["ann", "cat"]
        );
        let page = repo.list(PageRequest::new(Some(1), Some(1)).unwrap()).unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(page.items[0].username, "ben");
    }

    #[test]
    fn avatars_report_what_they_replace() {
        let (_dir, db) = temp_db();
        let repo = SqliteUserRepository::new(db);
        let alice = repo.create(new_user("alice")).unwrap();
        let (user, previous) = repo.set_avatar(alice.id, Some("a.png".into())).unwrap();
        assert_eq!((user.avatar.as_deref(), previous), (Some("a.png"), None));
        let (_, previous) = repo.set_avatar(alice.id, Some("b.png".into())).unwrap();
        assert_eq!(previous.as_deref(), Some("a.png"));
        assert!(matches!(
            repo.set_avatar(UserId::from_stored(999), Some("c.png".into())),
            Err(RepoError::NotFound)
        ));
    }
}
