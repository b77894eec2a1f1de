//! Notifications in the `notifications` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use plaza_domain::notification::{
    InboxCursor, InboxSince, NewNotification, Notification, NotificationQuery, NotificationRepository,
    NotificationSubject,
};
use plaza_domain::{EventId, NotificationId, Page, RepoError, UserId};

use crate::conn::{Conn, now};
use crate::db::Database;
use crate::error::StoreError;
use crate::schema::notifications;
use crate::sql::Sql;
use crate::time::StoredTime;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = notifications, check_for_backend(Sqlite))]
pub(crate) struct NotificationRow {
    id: i64,
    message: String,
    created_at: StoredTime,
    sender: String,
    sender_id: i64,
    owner_id: i64,
    event_id: Option<i64>,
    is_read: bool,
    kind: String,
    event_name: Option<String>,
    quantity: Option<i64>,
    event_time: Option<StoredTime>,
}

impl From<NotificationRow> for Notification {
    fn from(row: NotificationRow) -> Self {
        Notification {
            id: NotificationId::from_stored(row.id),
            message: row.message,
            created_at: row.created_at.utc(),
            sender: row.sender,
            sender_id: UserId::from_stored(row.sender_id),
            owner_id: UserId::from_stored(row.owner_id),
            event_id: row.event_id.map(EventId::from_stored),
            subject: NotificationSubject::from_stored(
                &row.kind,
                row.event_name,
                row.quantity,
                row.event_time.map(|at| at.utc()),
            ),
            read: row.is_read,
        }
    }
}

/// Inserts every notification, stamped with one time, in one statement whose prepared form each connection
/// keeps (the rows travel as one JSON array); returns them as stored, in the order given.
pub(crate) fn insert_all(
    conn: &mut Conn,
    batch: &[NewNotification],
    created_at: NaiveDateTime,
) -> Result<Vec<Notification>, StoreError> {
    let rows: Vec<serde_json::Value> = batch
        .iter()
        .map(|n| {
            serde_json::json!([
                n.message.as_str(),
                n.sender.as_str(),
                n.sender_id.get(),
                n.owner_id.get(),
                n.event_id.map(EventId::get),
                n.subject.kind(),
                n.subject.event_name(),
                n.subject.quantity(),
                // Diesel's `TIMESTAMP` layout, which chrono's `Display` of a naive time is.
                n.subject.event_time().map(|at| at.naive_utc().to_string()),
            ])
        })
        .collect();
    let mut inserted: Vec<NotificationRow> = Sql::new(concat!(
        "INSERT INTO notifications (message, created_at, sender, sender_id, owner_id, event_id, ",
        "kind, event_name, quantity, event_time) ",
        "SELECT value ->> 0, ?, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ",
        "value ->> 5, value ->> 6, value ->> 7, value ->> 8 ",
        // `jsonb_each` hands each row over as SQLite's binary JSON, which `->>` reads in place: `json_each`
        // gave each as text, which every `->>` then parsed again. A deleted account hears nothing more
        // (one look-up by primary key per row).
        "FROM jsonb_each(?) WHERE NOT EXISTS ",
        "(SELECT 1 FROM users WHERE id = value ->> 3 AND deleted_at IS NOT NULL) ORDER BY key ",
        "RETURNING id, message, created_at, sender, sender_id, owner_id, event_id, is_read, ",
        "kind, event_name, quantity, event_time"
    ))
    .timestamp(created_at)
    .text(serde_json::Value::Array(rows).to_string())
    .load(conn)?;
    // Rows are inserted in array order, so ids ascend with it; RETURNING promises no order of its own.
    inserted.sort_by_key(|row| row.id);
    Ok(inserted.into_iter().map(Notification::from).collect())
}

#[derive(QueryableByName, Default)]
struct InboxCounts {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    unread: i64,
}

/// An inbox's totals, kept by triggers as notifications are written and read: one row, not a count.
fn inbox_counts(conn: &mut Conn, owner: UserId) -> QueryResult<InboxCounts> {
    Ok(
        Sql::new("SELECT total, unread FROM inbox_counts WHERE owner_id = ?")
            .int(owner.get())
            .get_result(conn)
            .optional()?
            .unwrap_or_default(),
    )
}

fn owned(owner: UserId, unread_only: bool) -> notifications::BoxedQuery<'static, Sqlite> {
    let mut query = notifications::table
        .filter(notifications::owner_id.eq(owner.get()))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::is_read.eq(false));
    }
    query
}

/// A page of an inbox, newest first. By id, the order notifications are written in: the one index of an
/// inbox (`notifications_by_owner`, migration `2026-12-06-000025`) then serves the page, its unread
/// filter and [`replay`] alike, and a comment's fan-out writes one entry of it per recipient.
fn inbox_page(
    owner: UserId,
    unread_only: bool,
    offset: i64,
    limit: i64,
) -> notifications::BoxedQuery<'static, Sqlite> {
    owned(owner, unread_only)
        .order(notifications::id.desc())
        .offset(offset)
        .limit(limit)
}

/// An inbox's notifications after `id`, oldest first: what a live stream replays.
fn replay(owner: UserId, id: i64, limit: u32) -> notifications::BoxedQuery<'static, Sqlite> {
    owned(owner, false)
        .filter(notifications::id.gt(id))
        .order(notifications::id.asc())
        .limit(i64::from(limit))
}

/// [`NotificationRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteNotificationRepository {
    db: Database,
}

impl SqliteNotificationRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl NotificationRepository for SqliteNotificationRepository {
    fn create(&self, notification: NewNotification) -> Result<Notification, RepoError> {
        self.db.write(move |conn| {
            let stored = insert_all(conn, std::slice::from_ref(&notification), now())?;
            // No row: the recipient deleted their account.
            Ok(stored.into_iter().next().ok_or(RepoError::NotFound)?)
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
        self.db.read(|conn| {
            let (offset, limit) = query.page.offset_and_limit();
            let counts = inbox_counts(conn, query.owner)?;
            let total = if query.unread_only {
                counts.unread
            } else {
                counts.total
            };
            let unread = counts.unread;
            let rows = inbox_page(query.owner, query.unread_only, offset, limit)
                .select(NotificationRow::as_select())
                .load(conn)?;
            let page = Page {
                items: rows.into_iter().map(Notification::from).collect(),
                total: total.unsigned_abs(),
            };
            Ok((page, unread.unsigned_abs()))
        })
    }

    fn since(&self, owner: UserId, after: Option<InboxCursor>, limit: u32) -> Result<InboxSince, RepoError> {
        self.db.read(|conn| {
            let unread = inbox_counts(conn, owner)?.unread.unsigned_abs();
            let newest: Option<i64> = notifications::table
                .filter(notifications::owner_id.eq(owner.get()))
                .select(diesel::dsl::max(notifications::id))
                .first(conn)?;
            let rows = match after {
                None => Vec::new(),
                Some(cursor) => replay(owner, cursor.get(), limit)
                    .select(NotificationRow::as_select())
                    .load(conn)?,
            };
            Ok(InboxSince {
                notifications: rows.into_iter().map(Notification::from).collect(),
                unread,
                newest: newest.map(NotificationId::from_stored),
            })
        })
    }

    fn mark_read(&self, owner: UserId, id: NotificationId) -> Result<Notification, RepoError> {
        self.db.write(move |conn| {
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
        self.db.write(move |conn| {
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
    use crate::db::tests::temp_db;
    use crate::users::SqliteUserRepository;
    use crate::users::tests::new_user;
    use plaza_domain::PageRequest;
    use plaza_domain::notification::{NotificationMessage, SenderName};
    use plaza_domain::user::UserRepository;

    fn note(to: UserId, from: UserId, text: &str) -> NewNotification {
        NewNotification {
            message: NotificationMessage::parse(text).unwrap(),
            sender: SenderName::parse("Sender").unwrap(),
            sender_id: from,
            owner_id: to,
            event_id: None,
            subject: plaza_domain::notification::NotificationSubject::Message,
        }
    }

    fn setup() -> (tempfile::TempDir, SqliteNotificationRepository, UserId, UserId) {
        let (dir, db) = temp_db();
        let users = SqliteUserRepository::new(db.clone());
        let (alice, bob) = (
            users.create(new_user("alice")).unwrap().id,
            users.create(new_user("bob")).unwrap().id,
        );
        (dir, SqliteNotificationRepository::new(db), alice, bob)
    }

    fn query(owner: UserId, unread_only: bool) -> NotificationQuery {
        NotificationQuery {
            owner,
            unread_only,
            page: PageRequest::default(),
        }
    }

    #[test]
    fn an_inbox_is_read_from_its_one_index_without_sorting() {
        let (_dir, db) = temp_db();
        let owner = UserId::from_stored(7);
        let sql_of = |query: notifications::BoxedQuery<'static, Sqlite>| {
            let query = query.select(NotificationRow::as_select());
            let sql = diesel::debug_query::<Sqlite, _>(&query).to_string();
            // The binds follow the statement as a comment; `EXPLAIN QUERY PLAN` plans the statement alone.
            sql.split(" -- binds:").next().unwrap_or_default().to_owned()
        };
        for sql in [
            sql_of(inbox_page(owner, false, 20, 10)),
            sql_of(inbox_page(owner, true, 0, 10)),
            sql_of(replay(owner, 5, 50)),
        ] {
            let plan = db.query_plan(&sql).unwrap();
            assert!(
                plan.iter()
                    .any(|step| step.contains("USING INDEX notifications_by_owner (owner_id=?")),
                "{sql}: {plan:?}"
            );
            assert!(
                !plan.iter().any(|step| step.contains("TEMP B-TREE")),
                "{sql}: {plan:?}"
            );
        }
        // What a comment's fan-out writes per recipient: one entry of the inbox's index, no other.
        let indexes = db
            .query_strings(
                "SELECT name AS value FROM sqlite_schema \
                 WHERE type = 'index' AND tbl_name = 'notifications' ORDER BY name",
            )
            .unwrap();
        assert_eq!(
            indexes,
            [
                "notifications_by_event",
                "notifications_by_owner",
                "notifications_direct_by_sender"
            ]
        );
    }

    #[test]
    fn lists_only_the_owners_newest_first_with_the_unread_count() {
        let (_dir, repo, alice, bob) = setup();
        let first = repo.create(note(alice, bob, "one")).unwrap();
        repo.create(note(alice, bob, "two")).unwrap();
        repo.create(note(bob, alice, "for bob")).unwrap();
        assert_eq!((first.read, first.sender_id, first.owner_id), (false, bob, alice));

        let (page, unread) = repo.list(query(alice, false)).unwrap();
        assert_eq!(
            page.items.iter().map(|n| n.message.as_str()).collect::<Vec<_>>(),
            ["two", "one"]
        );
        assert_eq!((page.total, unread), (2, 2));

        repo.mark_read(alice, first.id).unwrap();
        let (page, unread) = repo.list(query(alice, true)).unwrap();
        assert_eq!(
            page.items.iter().map(|n| n.message.as_str()).collect::<Vec<_>>(),
            ["two"]
        );
        assert_eq!(unread, 1);
    }

    #[test]
    fn the_kept_totals_match_counting_through_every_change() {
        let (_dir, repo, alice, bob) = setup();
        let assert_counts_match = |owner: UserId| {
            let (page, unread) = repo
                .list(NotificationQuery {
                    owner,
                    unread_only: false,
                    page: PageRequest::new(None, Some(100)).unwrap(),
                })
                .unwrap();
            let counted_unread = page.items.iter().filter(|n| !n.read).count() as u64;
            assert_eq!((page.total, unread), (page.items.len() as u64, counted_unread));
            let (unread_page, _) = repo.list(query(owner, true)).unwrap();
            assert_eq!(unread_page.total, counted_unread);
        };
        let ids: Vec<_> = (0..6)
            .map(|i| repo.create(note(alice, bob, &format!("n{i}"))).unwrap().id)
            .collect();
        repo.db
            .write(move |conn| {
                let batch: Vec<_> = [alice, bob, alice]
                    .iter()
                    .map(|to| note(*to, bob, "fan-out"))
                    .collect();
                insert_all(conn, &batch, crate::conn::now())
            })
            .unwrap();
        assert_counts_match(alice);
        assert_counts_match(bob);
        repo.mark_read(alice, ids[0]).unwrap();
        repo.mark_read(alice, ids[0]).unwrap();
        assert_counts_match(alice);
        repo.mark_all_read(alice, Some(ids[3].into())).unwrap();
        assert_counts_match(alice);
        repo.mark_all_read(alice, None).unwrap();
        assert_counts_match(alice);
        assert_eq!(repo.list(query(alice, false)).unwrap().0.total, 8);
        assert_counts_match(bob);
    }

    #[test]
    fn nobody_reads_someone_elses_notification() {
        let (_dir, repo, alice, bob) = setup();
        let for_alice = repo.create(note(alice, bob, "private")).unwrap();
        assert!(matches!(
            repo.mark_read(bob, for_alice.id),
            Err(RepoError::NotFound)
        ));
        assert!(matches!(
            repo.mark_read(alice, NotificationId::from_stored(999)),
            Err(RepoError::NotFound)
        ));
        assert!(repo.mark_read(alice, for_alice.id).unwrap().read);
    }

    #[test]
    fn mark_all_read_respects_the_high_water_mark_and_the_owner() {
        let (_dir, repo, alice, bob) = setup();
        let ids: Vec<_> = (0..4)
            .map(|i| repo.create(note(alice, bob, &format!("n{i}"))).unwrap().id)
            .collect();
        repo.create(note(bob, alice, "bob's")).unwrap();
        assert_eq!(repo.mark_all_read(alice, Some(ids[1].into())).unwrap(), 2);
        assert_eq!(repo.mark_all_read(alice, Some(ids[1].into())).unwrap(), 0);
        assert_eq!(repo.list(query(alice, false)).unwrap().1, 2);
        assert_eq!(repo.mark_all_read(alice, None).unwrap(), 2);
        assert_eq!(repo.list(query(bob, false)).unwrap().1, 1, "bob's stay unread");
    }

    #[test]
    fn a_batch_of_fifty_is_one_statement() {
        use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
        use std::sync::{Arc, Mutex};

        let (dir, db) = temp_db();
        let users = SqliteUserRepository::new(db);
        let ids: Vec<UserId> = (0..50)
            .map(|i| users.create(new_user(&format!("user{i}"))).unwrap().id)
            .collect();
        let mut conn = Conn::establish(dir.path().join("nested/plaza.db").to_str().unwrap()).unwrap();
        let statements = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = statements.clone();
        let counter: Box<dyn Instrumentation> = Box::new(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        });
        conn.set_instrumentation(counter);
        let batch: Vec<_> = ids.iter().map(|to| note(*to, ids[0], "hello")).collect();
        let stored = insert_all(&mut conn, &batch, crate::conn::now()).unwrap();
        assert_eq!(stored.len(), 50);
        assert_eq!(stored.iter().map(|n| n.owner_id).collect::<Vec<_>>(), ids);
        let statements = statements.lock().unwrap();
        assert_eq!(statements.len(), 1, "{statements:?}");
        assert!(statements[0].starts_with("INSERT INTO"), "{}", statements[0]);
    }

    #[test]
    fn counts_what_a_sender_sent_directly_since_a_moment() {
        let (_dir, repo, alice, bob) = setup();
        let before = Utc::now() - chrono::Duration::seconds(1);
        for i in 0..3 {
            repo.create(note(alice, bob, &format!("n{i}"))).unwrap();
        }
        assert_eq!(repo.sent_since(bob, before).unwrap(), 3);
        assert_eq!(repo.sent_since(alice, before).unwrap(), 0);
        assert_eq!(
            repo.sent_since(bob, Utc::now() + chrono::Duration::seconds(5))
                .unwrap(),
            0
        );
    }

    #[test]
    fn an_unknown_recipient_is_not_found() {
        let (_dir, repo, alice, _bob) = setup();
        assert!(matches!(
            repo.create(note(UserId::from_stored(999), alice, "x")),
            Err(RepoError::NotFound)
        ));
    }
}
