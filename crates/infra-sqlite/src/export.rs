//! The whole community read out in batches, for `plaza migrate-data` (see `plaza_domain::transfer`), from
//! a file opened read-only that must be a Plaza database of this very version: nothing is ever written to
//! it, no migration runs on it, and a file that is not one is refused as it is.

use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::Sqlite;
use plaza_domain::RepoError;
use plaza_domain::comment::Comment;
use plaza_domain::event::Event;
use plaza_domain::notification::Notification;
use plaza_domain::post::Post;
use plaza_domain::transfer::{Batch, Counts, Sink, Table};
use plaza_domain::user::User;
use plaza_domain::{EventId, UserId};

use crate::comments::CommentRow;
use crate::conn::MIGRATIONS;
use crate::db::{read_only_uri, with_suffix};
use crate::error::StoreError;
use crate::events::EventRow;
use crate::notifications::NotificationRow;
use crate::posts::PostRow;
use crate::schema::{comments, event_participants, events, notifications, posts, users};
use crate::users::UserRow;

/// Rows per batch.
const BATCH: i64 = 1_000;

/// Why a file cannot be the source of a copy. Each says what to do; none changed the file.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path} as a SQLite database: {cause}")]
    Unreadable { path: PathBuf, cause: String },
    #[error(
        "{path} is not a Plaza database (it holds no record of Plaza's migrations); it was left as it was"
    )]
    NotPlaza { path: PathBuf },
    #[error(
        "{path} was written by a newer Plaza (it has migrations this one does not know: {unknown}); \
         migrate it with that Plaza's binary"
    )]
    Newer { path: PathBuf, unknown: String },
    #[error(
        "{path} is a Plaza database of an older version (it lacks {missing} of this Plaza's migrations); \
         bring it up to date first by running this Plaza on it once (`plaza init-db` with \
         DATABASE_URL={path}), then migrate"
    )]
    Older { path: PathBuf, missing: usize },
}

/// A Plaza database of this version, open read-only as the source of a copy.
pub struct Source {
    path: PathBuf,
    conn: SqliteConnection,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source").field("path", &self.path).finish()
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

impl Source {
    /// Opens `path` read-only and checks that it is a Plaza database of exactly this Plaza's version:
    /// its record of migrations holds every migration this binary carries and no other.
    ///
    /// Without a write-ahead log beside it (a stopped Plaza leaves none) the file is opened as
    /// immutable, so that not even the empty `-wal` and `-shm` files a reader of a WAL database makes
    /// appear beside it; with one, the log is read too, as SQLite reads it (a crashed Plaza's last
    /// writes are in it).
    pub fn open(path: &Path) -> Result<Self, SourceError> {
        crate::db::configure_sqlite_once();
        let unreadable = |cause: &dyn std::fmt::Display| SourceError::Unreadable {
            path: path.to_path_buf(),
            cause: cause.to_string(),
        };
        let mut uri = read_only_uri(path);
        if !with_suffix(path, "-wal").exists() {
            uri.push_str("&immutable=1");
        }
        let mut conn = SqliteConnection::establish(&uri).map_err(|error| unreadable(&error))?;
        conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON;")
            .map_err(|error| unreadable(&error))?;
        let recorded = diesel::sql_query(
            "SELECT count(*) AS count FROM sqlite_schema \
             WHERE type = 'table' AND name = '__diesel_schema_migrations'",
        )
        .get_result::<Count>(&mut conn)
        .map_err(|error| unreadable(&error))?
        .count
            > 0;
        let applied: Vec<String> = if recorded {
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
                .load::<Version>(&mut conn)
                .map_err(|error| unreadable(&error))?
                .into_iter()
                .map(|row| row.version)
                .collect()
        } else {
            Vec::new()
        };
        check_version(path, &known_migrations(), &applied)?;
        Ok(Self {
            path: path.to_path_buf(),
            conn,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every table in one snapshot, in id order, handing each batch to `sink` in the order of
    /// [`Batch`]; returns what was read.
    pub fn export(&mut self, sink: &mut Sink<'_>) -> Result<Counts, RepoError> {
        self.conn
            .transaction(|conn| export(conn, sink))
            .map_err(RepoError::from)
    }
}

/// The versions of the migrations this binary carries, oldest first.
fn known_migrations() -> Vec<String> {
    // Embedded migrations are a list compiled in: reading it cannot fail.
    MigrationSource::<Sqlite>::migrations(&MIGRATIONS)
        .map(|migrations| {
            migrations
                .iter()
                .map(|migration| migration.name().version().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A Plaza database of this version has run exactly the `known` migrations; one that has not even run
/// the first is not a Plaza database at all.
fn check_version(path: &Path, known: &[String], applied: &[String]) -> Result<(), SourceError> {
    let path = path.to_path_buf();
    if known.first().is_none_or(|first| !applied.contains(first)) {
        return Err(SourceError::NotPlaza { path });
    }
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|version| !known.contains(version))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(SourceError::Newer {
            path,
            unknown: unknown.join(", "),
        });
    }
    let missing = known.iter().filter(|version| !applied.contains(version)).count();
    if missing > 0 {
        return Err(SourceError::Older { path, missing });
    }
    Ok(())
}

fn export(conn: &mut SqliteConnection, sink: &mut Sink<'_>) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    let mut send = |batch: Batch| -> Result<(), StoreError> {
        counts.add(&batch);
        sink(batch).map_err(StoreError::from)
    };
    // Keyset paging by id: each table is read once, whatever its size.
    macro_rules! by_id {
        ($table:ident, $row:ty, $entity:ty, $variant:ident) => {{
            let mut after = 0i64;
            loop {
                let rows: Vec<$entity> = $table::table
                    .filter($table::id.gt(after))
                    .order($table::id)
                    .limit(BATCH)
                    .select(<$row>::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(<$entity>::from)
                    .collect();
                let Some(last) = rows.last() else { break };
                after = last.id.get();
                send(Batch::$variant(rows))?;
            }
        }};
    }
    // The same for kinds read by a function of their module: `$read(conn, after, limit)`, and the id of a row.
    macro_rules! after_id {
        ($read:path, $variant:ident, $last:ident => $id:expr) => {{
            let mut after = 0i64;
            loop {
                let rows = $read(conn, after, BATCH)?;
                let Some($last) = rows.last() else { break };
                after = $id;
                send(Batch::$variant(rows))?;
            }
        }};
    }
    // Every kind the transfer knows, in its order; the `match` makes a new kind a compile error here
    // until it is read out.
    for table in Table::ALL {
        match table {
            Table::Users => by_id!(users, UserRow, User, Users),
            Table::Events => by_id!(events, EventRow, Event, Events),
            Table::Posts => by_id!(posts, PostRow, Post, Posts),
            Table::Comments => by_id!(comments, CommentRow, Comment, Comments),
            Table::Participants => {
                let mut offset = 0i64;
                loop {
                    let pairs: Vec<(i64, i64)> = event_participants::table
                        .order((event_participants::event_id, event_participants::user_id))
                        .offset(offset)
                        .limit(BATCH)
                        .load(conn)?;
                    if pairs.is_empty() {
                        break;
                    }
                    offset += i64::try_from(pairs.len()).unwrap_or(BATCH);
                    send(Batch::Participants(
                        pairs
                            .into_iter()
                            .map(|(event, user)| (EventId::from_stored(event), UserId::from_stored(user)))
                            .collect(),
                    ))?;
                }
            }
            Table::Notifications => by_id!(notifications, NotificationRow, Notification, Notifications),
            Table::Tickets => after_id!(crate::tickets::after, Tickets, last => last.id.get()),
            Table::Waitlist => after_id!(crate::waitlist::after, Waitlist, last => last.id),
            Table::ModLog => after_id!(crate::modlog::after, ModLog, last => last.id.get()),
            Table::RemovedComments => after_id!(crate::removal::comments_after, RemovedComments, last => last
                .item
                .id
                .get()),
            Table::RemovedPosts => after_id!(crate::removal::posts_after, RemovedPosts, last => last
                .item
                .id
                .get()),
            Table::RemovedEvents => after_id!(crate::removal::events_after, RemovedEvents, last => last
                .item
                .id
                .get()),
            Table::Reports => after_id!(crate::reports::after, Reports, last => last.id.get()),
            Table::CalendarFeeds => {
                after_id!(crate::calendar::feeds_after, CalendarFeeds, last => last.user_id.get())
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use plaza_domain::comment::{CommentContent, FanOut, NewComment};
    use plaza_domain::notification::{NewNotification, NotificationMessage, SenderName};
    use plaza_domain::post::{NewPost, PostContent, PostTitle};
    use plaza_domain::removal::{Removable, Removal};

    /// The table each kind of row is read from (checked against what [`export`] reads, below).
    fn table_name(table: Table) -> &'static str {
        match table {
            Table::Users => "users",
            Table::Events => "events",
            Table::Posts => "posts",
            Table::Comments => "comments",
            Table::Participants => "event_participants",
            Table::Notifications => "notifications",
            Table::Tickets => "tickets",
            Table::Waitlist => "waitlist_entries",
            Table::ModLog => "modlog",
            Table::RemovedComments => "removed_comments",
            Table::RemovedPosts => "removed_posts",
            Table::RemovedEvents => "removed_events",
            Table::Reports => "reports",
            Table::CalendarFeeds => "calendar_feeds",
        }
    }

    /// The tables `migrate-data` leaves behind, and why. A table the migrations create must be here or
    /// copied (a [`Table`] of the transfer).
    const NOT_COPIED: &[(&str, &str)] = &[
        (
            "__diesel_schema_migrations",
            "the target records its own migrations",
        ),
        (
            "stream_tickets",
            "single use, valid for seconds: a client whose ticket is gone takes a new one",
        ),
        (
            "sessions",
            "sign-ins, not content: after moving the data everyone logs in once more",
        ),
        (
            "email_verifications",
            "links valid for a day: an account not yet verified asks for another (its state moves with it)",
        ),
        (
            "mail_scan",
            "where the mail worker is in the notifications: set after the copy to the last one moved",
        ),
        (
            "password_resets",
            "links valid for 30 minutes: whoever needs one asks again after the move",
        ),
        (
            "mail_outbox",
            "mail still waiting for its server: run the SQLite Plaza until its outbox is empty before \
             moving (docs/operations.md)",
        ),
        (
            "refresh_tokens",
            "they belong to the sessions, which are not copied",
        ),
        (
            "event_order",
            "list positions, derived from each event's time and id",
        ),
        ("events_search", "the search index, derived from the events' text"),
        (
            "search_index_state",
            "which rule built the search index; the target builds its own",
        ),
        ("search_counts", "counts kept with the search index"),
        ("event_total", "a count kept by triggers from the copied rows"),
        ("position_buckets", "counts kept by triggers from the copied rows"),
        ("comment_totals", "counts kept by triggers from the copied rows"),
        ("comment_buckets", "counts kept by triggers from the copied rows"),
        ("inbox_counts", "counts kept by triggers from the copied rows"),
        ("ticket_counts", "counts kept by triggers from the copied rows"),
        (
            "event_ticket_totals",
            "counts kept by triggers from the copied rows",
        ),
    ];

    /// Notifies the event's owner, from the author.
    struct Owner(UserId);

    impl FanOut for Owner {
        fn notifications(&self, event: &Event, _: &[UserId]) -> Vec<NewNotification> {
            vec![NewNotification {
                message: NotificationMessage::parse("a comment").unwrap(),
                sender: SenderName::parse("Guest").unwrap(),
                sender_id: self.0,
                owner_id: event.owner_id,
                event_id: Some(event.id),
                subject: plaza_domain::notification::NotificationSubject::Message,
            }]
        }
    }

    #[test]
    fn every_table_the_migrations_create_is_copied_or_said_why_not() {
        let (dir, db) = crate::db::tests::temp_db();
        let tables = db
            .query_strings(
                "SELECT name AS value FROM pragma_table_list \
                 WHERE schema = 'main' AND type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            )
            .unwrap();
        assert!(tables.iter().any(|name| name == "users"), "{tables:?}");
        let copied: Vec<&str> = Table::ALL.iter().map(|table| table_name(*table)).collect();
        plaza_port_contract::migrated_tables::every_table_is_copied_or_said_why_not(
            &tables, &copied, NOT_COPIED,
        );

        // A row in every copied table, and the export reads each of them from the table named above.
        let stores = db.stores();
        let owner = stores
            .users
            .create(crate::users::tests::new_user("owner"))
            .unwrap();
        let guest = stores
            .users
            .create(crate::users::tests::new_user("guest"))
            .unwrap();
        let event = stores
            .events
            .create(crate::events::tests::new_event(owner.id, "Show", "", 1, 10))
            .unwrap();
        stores
            .posts
            .create(NewPost {
                title: PostTitle::parse("Hello").unwrap(),
                content: PostContent::parse("Hi").unwrap(),
                owner_id: owner.id,
            })
            .unwrap();
        stores
            .comments
            .create_with_notifications(
                NewComment {
                    content: CommentContent::parse("Nice").unwrap(),
                    event_id: event.id,
                    owner_id: guest.id,
                },
                Box::new(Owner(guest.id)),
            )
            .unwrap();
        stores
            .events
            .purchase(plaza_port_contract::sale(
                event.id,
                guest.id,
                plaza_domain::event::TicketQuantity::parse(2).unwrap(),
                chrono::DateTime::UNIX_EPOCH,
            ))
            .unwrap();
        stores
            .waitlists
            .join(
                event.id,
                owner.id,
                plaza_domain::event::TicketQuantity::parse(9).unwrap(),
                chrono::DateTime::UNIX_EPOCH,
            )
            .unwrap();
        stores
            .users
            .set_role(plaza_domain::modlog::RoleChange {
                user: owner.id,
                role: plaza_domain::role::Role::Admin,
                by: None,
                reason: None,
            })
            .unwrap();
        // One of each kind removed, and a report.
        let removed_at = chrono::DateTime::UNIX_EPOCH;
        let spam = stores
            .comments
            .create_with_notifications(
                NewComment {
                    content: CommentContent::parse("Spam").unwrap(),
                    event_id: event.id,
                    owner_id: guest.id,
                },
                Box::new(Owner(guest.id)),
            )
            .unwrap()
            .comment
            .id;
        let advert = stores
            .posts
            .create(NewPost {
                title: PostTitle::parse("Advert").unwrap(),
                content: PostContent::parse("Buy").unwrap(),
                owner_id: guest.id,
            })
            .unwrap()
            .id;
        let fake = stores
            .events
            .create(crate::events::tests::new_event(guest.id, "Fake", "", 2, 10))
            .unwrap()
            .id;
        for item in [
            Removable::Comment(spam),
            Removable::Post(advert),
            Removable::Event(fake),
        ] {
            stores
                .removals
                .remove(
                    Removal {
                        item,
                        by: owner.id,
                        reason: None,
                        at: removed_at,
                    },
                    plaza_port_contract::notices(),
                )
                .unwrap();
        }
        stores
            .reports
            .create(plaza_domain::report::NewReport {
                reporter: owner.id,
                target: plaza_domain::modlog::ModTarget::user(guest.id),
                reason: plaza_domain::report::ReportReason::Other,
                note: plaza_domain::report::ReportNote::parse("").unwrap(),
                at: removed_at,
            })
            .unwrap();
        stores
            .calendars
            .set_secret(guest.id, &"a".repeat(64), removed_at)
            .unwrap();
        let mut source = Source::open(&dir.path().join("nested/plaza.db")).unwrap();
        let counts = source.export(&mut |_| Ok(())).unwrap();
        for table in Table::ALL {
            let name = table_name(*table);
            let rows = db
                .query_strings(&format!("SELECT CAST(count(*) AS TEXT) AS value FROM {name}"))
                .unwrap();
            assert_eq!(rows, [counts.of(*table).to_string()], "{table:?} from {name}");
            assert!(counts.of(*table) > 0, "{table:?}");
        }
    }

    fn versions(list: &[&str]) -> Vec<String> {
        list.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn only_a_database_of_this_very_version_is_a_source() {
        let path = Path::new("x.db");
        let known = versions(&["1", "2", "3"]);
        assert!(check_version(path, &known, &versions(&["3", "1", "2"])).is_ok());
        assert!(matches!(
            check_version(path, &known, &[]),
            Err(SourceError::NotPlaza { .. })
        ));
        assert!(matches!(
            check_version(path, &known, &versions(&["2", "3"])),
            Err(SourceError::NotPlaza { .. })
        ));
        assert!(matches!(
            check_version(path, &known, &versions(&["1", "2"])),
            Err(SourceError::Older { missing: 1, .. })
        ));
        assert!(matches!(
            check_version(path, &known, &versions(&["1", "2", "3", "4"])),
            Err(SourceError::Newer { .. })
        ));
    }

    #[test]
    fn this_binary_knows_its_own_migrations_in_order() {
        let known = known_migrations();
        assert!(known.len() > 1);
        assert!(known.windows(2).all(|pair| pair[0] < pair[1]), "{known:?}");
        let (dir, db) = crate::db::tests::temp_db();
        drop(db);
        let source = Source::open(&dir.path().join("nested/plaza.db")).unwrap();
        assert!(source.path().ends_with("plaza.db"));
    }
}
