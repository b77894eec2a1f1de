//! Notifications in the `notifications` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use plaza_domain::notification::{
    InboxCursor, InboxSince, NewNotification, Notification, NotificationQuery, NotificationRepository,
    NotificationSubject,
};
use plaza_domain::{EventId, NotificationId, Page, RepoError, UserId};

use crate::db::{Conn, Database, now};
use crate::error::StoreError;
use crate::schema::{events, inbox_counts, notifications, users};
use crate::sql::Sql;

/// The columns of [`NotificationRow`], for hand-written statements that answer notifications.
macro_rules! notification_columns {
    () => {
        "id, message, created_at, sender, sender_id, owner_id, event_id, is_read, kind, event_name, \
         quantity, event_time"
    };
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = notifications, check_for_backend(Pg))]
pub(crate) struct NotificationRow {
    id: i64,
    message: String,
    created_at: NaiveDateTime,
    sender: String,
    sender_id: i64,
    owner_id: i64,
    event_id: Option<i64>,
    is_read: bool,
    kind: String,
    event_name: Option<String>,
    quantity: Option<i64>,
    event_time: Option<NaiveDateTime>,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Notification {
            id: NotificationId::from_stored(row.id),
            message: row.message,
            created_at: row.created_at.and_utc(),
            sender: row.sender,
            sender_id: UserId::from_stored(row.sender_id),
            owner_id: UserId::from_stored(row.owner_id),
            event_id: row.event_id.map(EventId::from_stored),
            subject: NotificationSubject::from_stored(
                &row.kind,
                row.event_name,
                row.quantity,
                row.event_time.map(|at| at.and_utc()),
            ),
            read: row.is_read,
        }
    }
}

/// Writes `notifications`: checks what they name, counts them in their recipients' inboxes, and inserts
/// them in one statement, in ascending recipient order, each taking its id after its inbox is locked;
/// returned by ascending id. The only writer of new notifications (migration `2026-12-06-000029` moved
/// the keys' checks and the inbox count here; the trigger that did it before runs only for rows without
/// an id, from an instance of the release before).
pub(crate) fn insert_all(
    conn: &mut Conn,
    notifications: &[NewNotification],
    created_at: NaiveDateTime,
) -> Result<Vec<Notification>, StoreError> {
    if notifications.is_empty() {
        return Ok(Vec::new());
    }
    let deleted = check_references(conn, notifications)?;
    let mut ordered: Vec<&NewNotification> = notifications
        .iter()
        .filter(|n| !deleted.contains(&n.owner_id.get()))
        .collect();
    ordered.sort_by_key(|n| n.owner_id);
    if ordered.is_empty() {
        return Ok(Vec::new());
    }
    count_in_inboxes(conn, &ordered)?;
    // One statement whatever the number of rows, each column one bound array: prepared once per
    // connection, where Diesel's multi-row `INSERT` (ten bound values a row) was parsed and planned at
    // every comment.
    let mut inserted: Vec<NotificationRow> = Sql::new(concat!(
        "INSERT INTO notifications (id, message, created_at, sender, sender_id, owner_id, event_id, kind, \
                                    event_name, quantity, event_time) \
         SELECT nextval('notifications_id_seq'), message, $1, sender, sender_id, owner_id, event_id, kind, \
                event_name, quantity, event_time \
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], \
                     $8::text[], $9::bigint[], $10::timestamp[]) WITH ORDINALITY \
           AS written (message, sender, sender_id, owner_id, event_id, kind, event_name, quantity, \
                       event_time, n) \
         ORDER BY n RETURNING ",
        notification_columns!()
    ))
    .timestamp(created_at)
    .texts(ordered.iter().map(|n| n.message.as_str().to_owned()).collect())
    .texts(ordered.iter().map(|n| n.sender.as_str().to_owned()).collect())
    .ints(ordered.iter().map(|n| n.sender_id.get()).collect())
    .ints(ordered.iter().map(|n| n.owner_id.get()).collect())
    .nullable_ints(
        ordered
            .iter()
            .map(|n| n.event_id.map(|event| event.get()))
            .collect(),
    )
    .texts(ordered.iter().map(|n| n.subject.kind().to_owned()).collect())
    .nullable_texts(
        ordered
            .iter()
            .map(|n| n.subject.event_name().map(str::to_owned))
            .collect(),
    )
    .nullable_ints(ordered.iter().map(|n| n.subject.quantity()).collect())
    .nullable_timestamps(
        ordered
            .iter()
            .map(|n| n.subject.event_time().map(|at| at.naive_utc()))
            .collect(),
    )
    .load(conn)?;
    // The rows take their ids in the order the `SELECT` gives them (`ORDER BY n`); RETURNING promises no
    // order of its own.
    inserted.sort_by_key(|row| row.id);
    Ok(inserted.into_iter().map(Notification::from).collect())
}

/// Counts `ordered` (by ascending recipient) in their recipients' inbox rows, each row once, and keeps
/// those rows locked until commit. The lock is what hands one recipient's notification ids out in commit
/// order (migration `2026-11-27-000004`): it is taken here, before the rows take their ids. Taken in
/// ascending recipient order, two writers with recipients in common wait for each other instead of
/// deadlocking.
fn count_in_inboxes(conn: &mut Conn, ordered: &[&NewNotification]) -> Result<(), StoreError> {
    let mut owners: Vec<i64> = Vec::new();
    let mut added: Vec<i64> = Vec::new();
    for notification in ordered {
        let owner = notification.owner_id.get();
        match (owners.last(), added.last_mut()) {
            (Some(&last), Some(count)) if last == owner => *count += 1,
            _ => {
                owners.push(owner);
                added.push(1);
            }
        }
    }
    // A new notification is unread.
    Sql::new(
        "INSERT INTO inbox_counts (owner_id, total, unread) \
         SELECT owner_id, added, added FROM unnest($1::bigint[], $2::bigint[]) AS counted (owner_id, added) \
         ORDER BY owner_id \
         ON CONFLICT (owner_id) DO UPDATE SET total = inbox_counts.total + EXCLUDED.total, \
             unread = inbox_counts.unread + EXCLUDED.unread",
    )
    .ints(owners)
    .ints(added)
    .execute(conn)?;
    Ok(())
}

/// What the foreign keys of `notifications` checked once a row, checked once for all of `notifications`
/// (migration `2026-12-06-000029`): every recipient and sender is an account, and every event named is
/// there and stays until commit. `NotFound` if one is not; otherwise the accounts among them that are
/// deleted (a deleted recipient hears nothing more).
fn check_references(conn: &mut Conn, notifications: &[NewNotification]) -> Result<Vec<i64>, StoreError> {
    let mut people: Vec<i64> = notifications
        .iter()
        .flat_map(|n| [n.owner_id.get(), n.sender_id.get()])
        .collect();
    people.sort_unstable();
    people.dedup();
    // Accounts are never removed, only marked deleted: reading them is enough, no lock needed.
    let found: Vec<(i64, bool)> = users::table
        .filter(users::id.eq_any(&people))
        .select((users::id, users::deleted_at.is_not_null()))
        .load(conn)?;
    if found.len() != people.len() {
        return Err(RepoError::NotFound.into());
    }
    let mut events: Vec<i64> = notifications
        .iter()
        .filter_map(|n| n.event_id.map(|event| event.get()))
        .collect();
    events.sort_unstable();
    events.dedup();
    if !events.is_empty() {
        // As a foreign key's check does: the event cannot be deleted before this commits (its deletion
        // locks it for update; a trigger then clears `event_id` of its notifications).
        let locked: Vec<i64> = events::table
            .filter(events::id.eq_any(&events))
            .select(events::id)
            .for_key_share()
            .load(conn)?;
        if locked.len() != events.len() {
            return Err(RepoError::NotFound.into());
        }
    }
    Ok(found
        .into_iter()
        .filter_map(|(id, deleted)| deleted.then_some(id))
        .collect())
}

/// One recipient's notifications, read from `notifications_by_owner (owner_id, id, is_read)` (migration
/// `2026-12-06-000030`) when ordered by [`newest_first`] or [`oldest_first`].
///
/// The recipient is matched as the range `owner_id BETWEEN $1 AND $1` and the order names
/// `owner_id` before `id`, so that only that index gives the order: with `owner_id = $1` the planner
/// drops the constant from the order, and then walking the primary key, keeping the recipient's rows,
/// can look cheaper for a large inbox — and reads every newer (or older) notification of everyone for a
/// recipient whose own lie at the other end. A range on `owner_id` still positions the index scan on
/// `id` too (`id > $2` starts at that id).
pub(crate) fn of_recipient(owner: UserId) -> notifications::BoxedQuery<'static, Pg> {
    notifications::table
        .filter(notifications::owner_id.between(owner.get(), owner.get()))
        .into_boxed()
}

/// A recipient's notifications, newest first (by id), the unread ones only if asked.
pub(crate) fn newest_first(owner: UserId, unread_only: bool) -> notifications::BoxedQuery<'static, Pg> {
    let mut query = of_recipient(owner).order((notifications::owner_id.desc(), notifications::id.desc()));
    if unread_only {
        query = query.filter(notifications::is_read.eq(false));
    }
    query
}

/// A recipient's notifications, oldest first (by id).
pub(crate) fn oldest_first(owner: UserId) -> notifications::BoxedQuery<'static, Pg> {
    of_recipient(owner).order((notifications::owner_id.asc(), notifications::id.asc()))
}

/// [`NotificationRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgNotificationRepository {
    db: Database,
}

impl PgNotificationRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl NotificationRepository for PgNotificationRepository {
    fn create(&self, notification: NewNotification) -> Result<Notification, RepoError> {
        self.db.write(|conn| {
            let stored = insert_all(conn, std::slice::from_ref(&notification), now())?;
            stored
                .into_iter()
                .next()
                // No row: the recipient deleted their account.
                .ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn sent_since(&self, sender: UserId, since: DateTime<Utc>) -> Result<u64, RepoError> {
        self.db.read(|conn| {
            let sent: i64 = notifications::table
                .filter(notifications::sender_id.eq(sender.get()))
                .filter(notifications::event_id.is_null())
                .filter(notifications::created_at.ge(since.naive_utc()))
                .count()
                .get_result(conn)?;
            Ok(sent.unsigned_abs())
        })
    }

    fn list(&self, query: NotificationQuery) -> Result<(Page<Notification>, u64), RepoError> {
        let (offset, limit) = query.page.offset_and_limit();
        let counts = inbox_counts::table.find(query.owner.get());
        let (all, unread) = (
            counts.select(inbox_counts::total).single_value(),
            counts.select(inbox_counts::unread).single_value(),
        );
        let listed = || {
            newest_first(query.owner, query.unread_only)
                .offset(offset)
                .limit(limit)
        };
        let page = |rows: Vec<NotificationRow>, all: i64, unread: i64| {
            let total = if query.unread_only { unread } else { all };
            let page = Page {
                items: rows.into_iter().map(Notification::from).collect(),
                total: total.unsigned_abs(),
            };
            (page, unread.unsigned_abs())
        };
        // One statement: the page, each row with the counts (one row kept by triggers). A page with no
        // rows says nothing of the counts, so they are read on their own, and the (empty) page again in
        // the same snapshot.
        let rows: Vec<(Option<i64>, Option<i64>, NotificationRow)> = self.db.look_up(|conn| {
            Ok(listed()
                .select((all, unread, NotificationRow::as_select()))
                .load(conn)?)
        })?;
        if let Some(&(all, unread, _)) = rows.first() {
            let rows = rows.into_iter().map(|(_, _, row)| row).collect();
            return Ok(page(rows, all.unwrap_or(0), unread.unwrap_or(0)));
        }
        self.db.read(|conn| {
            let (all, unread): (i64, i64) = counts
                .select((inbox_counts::total, inbox_counts::unread))
                .first(conn)
                .optional()?
                .unwrap_or((0, 0));
            let rows = listed().select(NotificationRow::as_select()).load(conn)?;
            Ok(page(rows, all, unread))
        })
    }

    fn since(&self, owner: UserId, after: Option<InboxCursor>, limit: u32) -> Result<InboxSince, RepoError> {
        self.db.read(|conn| {
            let unread: i64 = inbox_counts::table
                .find(owner.get())
                .select(inbox_counts::unread)
                .first(conn)
                .optional()?
                .unwrap_or(0);
            let newest: Option<i64> = newest_first(owner, false)
                .select(notifications::id)
                .first(conn)
                .optional()?;
            let rows = match after {
                None => Vec::new(),
                Some(after) => oldest_first(owner)
                    .filter(notifications::id.gt(after.get()))
                    .limit(i64::from(limit))
                    .select(NotificationRow::as_select())
                    .load(conn)?,
            };
            Ok(InboxSince {
                notifications: rows.into_iter().map(Notification::from).collect(),
                unread: unread.unsigned_abs(),
                newest: newest.map(NotificationId::from_stored),
            })
        })
    }

    fn mark_read(&self, owner: UserId, id: NotificationId) -> Result<Notification, RepoError> {
        self.db.write(|conn| {
            let row = diesel::update(
                notifications::table
                    .find(id.get())
                    .filter(notifications::owner_id.eq(owner.get())),
            )
            .set(notifications::is_read.eq(true))
            .returning(NotificationRow::as_returning())
            .get_result(conn)
            .optional()?;
            row.map(Notification::from)
                .ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn mark_all_read(&self, owner: UserId, up_to: Option<InboxCursor>) -> Result<u64, RepoError> {
        self.db.write(|conn| {
            let target = notifications::table
                .filter(notifications::owner_id.eq(owner.get()))
                .filter(notifications::is_read.eq(false))
                .filter(notifications::id.le(up_to.map_or(i64::MAX, InboxCursor::get)));
            let updated = diesel::update(target)
                .set(notifications::is_read.eq(true))
                .execute(conn)?;
            Ok(updated as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plaza_domain::PageRequest;
    use plaza_domain::notification::{NotificationMessage, SenderName};

    /// A fresh database with two accounts, alice and bob; `None` without PostgreSQL here.
    fn alice_and_bob() -> Option<(String, Database, UserId, UserId)> {
        let url = crate::testing::fresh_database()?;
        let db = crate::db::test_database(&url, 2);
        let [alice, bob] = crate::db::add_people(&db, &["alice", "bob"])[..] else {
            unreachable!("two accounts for two names")
        };
        Some((url, db, alice, bob))
    }

    /// The SQL of `query` with its bound values written in, for `EXPLAIN` (the values here are numbers
    /// and booleans, which Diesel's debug output prints as SQL would).
    fn with_values_written_in(query: &notifications::BoxedQuery<'static, Pg>) -> String {
        let printed = diesel::debug_query::<Pg, _>(query).to_string();
        let (sql, binds) = printed
            .split_once(" -- binds: ")
            .expect("Diesel's debug output ends with the binds");
        let values: Vec<&str> = binds
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(", ")
            .collect();
        // From the last placeholder down, so that `$1` does not rewrite the start of `$10`.
        values
            .iter()
            .enumerate()
            .rev()
            .fold(sql.to_owned(), |sql, (at, value)| {
                sql.replace(&format!("${}", at + 1), value)
            })
    }

    /// A recipient whose notifications are all older than another's large inbox: walking the primary key
    /// backwards would read the whole other inbox first, and with `owner_id = $1` the planner chooses that
    /// walk for these statistics. The inbox's statements read `notifications_by_owner` instead.
    #[test]
    fn an_inbox_is_read_from_its_index_even_where_the_primary_key_looks_cheaper() {
        let Some((url, db, alice, bob)) = alice_and_bob() else {
            return;
        };
        let [carol] = crate::db::add_people(&db, &["carol"])[..] else {
            unreachable!("one account for one name")
        };
        // Alice's notifications interleaved with Carol's, Bob's after them all: the recipients do not lie
        // in the table in the order of their ids, as in a real table (a recipient's index entries then
        // point all over it).
        crate::testing::execute(
            &url,
            &format!(
                "INSERT INTO notifications (id, message, created_at, sender, sender_id, owner_id) \
                 SELECT nextval('notifications_id_seq'), 'note', now(), 'x', {bob}, \
                        CASE WHEN n > 40000 THEN {bob} WHEN n % 2 = 0 THEN {alice} ELSE {carol} END \
                 FROM generate_series(1, 80000) AS n ORDER BY n;
                 ANALYZE notifications;
                 CREATE FUNCTION plan_of(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
                 DECLARE line text;
                 BEGIN FOR line IN EXECUTE 'EXPLAIN ' || statement LOOP RETURN NEXT line; END LOOP; END $$;",
                bob = bob.get(),
                alice = alice.get(),
                carol = carol.get()
            ),
        );
        let plan = |query: notifications::BoxedQuery<'static, Pg>| {
            let sql = with_values_written_in(&query);
            crate::testing::query_strings(
                &url,
                &format!("SELECT plan_of('{}') AS value", sql.replace('\'', "''")),
            )
        };
        let page = newest_first(alice, false).offset(20).limit(10);
        let unread = newest_first(alice, true).limit(10);
        let newest = newest_first(alice, false).limit(1);
        let replay = oldest_first(alice).filter(notifications::id.gt(100)).limit(50);
        for (what, steps) in [
            ("page", plan(page)),
            ("unread", plan(unread)),
            ("newest", plan(newest)),
            ("replay", plan(replay)),
        ] {
            assert!(
                steps
                    .iter()
                    .any(|step| step.contains("using notifications_by_owner")),
                "{what}: {steps:#?}"
            );
            assert!(
                !steps.iter().any(|step| step.contains("Sort")),
                "{what}: {steps:#?}"
            );
        }
        let plain = notifications::table
            .filter(notifications::owner_id.eq(alice.get()))
            .order(notifications::id.desc())
            .limit(10)
            .into_boxed();
        assert!(
            plan(plain).iter().any(|step| step.contains("notifications_pkey")),
            "the plain form walks the primary key here, which is what the test guards against"
        );
    }

    /// During a rolling upgrade an instance of the release before writes notifications without an id and
    /// counts on the trigger, which migration `2026-12-06-000029` keeps for such rows: they are counted in
    /// the inbox and numbered after the ones this release wrote.
    #[test]
    fn a_notification_written_without_an_id_is_counted_and_numbered_by_the_trigger() {
        let Some((url, db, alice, bob)) = alice_and_bob() else {
            return;
        };
        let notifications = PgNotificationRepository::new(db);
        let written = notifications
            .create(NewNotification {
                message: NotificationMessage::parse("from this release").unwrap(),
                sender: SenderName::parse("bob").unwrap(),
                sender_id: bob,
                owner_id: alice,
                event_id: None,
                subject: NotificationSubject::Message,
            })
            .unwrap();
        crate::testing::execute(
            &url,
            &format!(
                "INSERT INTO notifications (message, created_at, sender, sender_id, owner_id) \
                 VALUES ('from the release before', now(), 'bob', {}, {})",
                bob.get(),
                alice.get()
            ),
        );
        let (page, unread) = notifications
            .list(NotificationQuery {
                owner: alice,
                unread_only: false,
                page: PageRequest::new(None, None).unwrap(),
            })
            .unwrap();
        assert_eq!((page.total, unread), (2, 2), "both counted");
        let before = page
            .items
            .iter()
            .find(|n| n.message == "from the release before")
            .expect("listed");
        assert!(before.id > written.id, "{:?} after {:?}", before.id, written.id);
    }
}
