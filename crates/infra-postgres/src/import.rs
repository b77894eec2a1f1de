//! A whole community written in, keeping every id, for `plaza migrate-data` (see
//! `plaza_domain::transfer`): into an empty database, all of it in one transaction with the id sequences
//! moved past the highest ids (so that new rows do not collide with moved ones) and the tables counted,
//! so that a copy that fails anywhere leaves the database as it was.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamp};
use plaza_domain::RepoError;
use plaza_domain::transfer::{Batch, Counts, Sink, Table};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::events::search_tokens;
use crate::schema::{calendar_feeds, comments, event_participants, events, notifications, posts, users};

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserRow<'a> {
    id: i64,
    username: &'a str,
    email: &'a str,
    full_name: Option<&'a str>,
    avatar: Option<&'a str>,
    password_hash: &'a str,
    // The column keeps the name it was born with: what moves the epoch is a password change.
    #[diesel(column_name = password_changed_at)]
    token_epoch: NaiveDateTime,
    created_at: NaiveDateTime,
    role: &'a str,
    banned_at: Option<NaiveDateTime>,
    banned_until: Option<NaiveDateTime>,
    ban_reason: Option<&'a str>,
    deleted_at: Option<NaiveDateTime>,
    locale: &'static str,
    email_verified_at: Option<NaiveDateTime>,
    email_notifications: &'static str,
    time_zone: &'static str,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct EventRow<'a> {
    id: i64,
    name: &'a str,
    event_time: NaiveDateTime,
    description: &'a str,
    duration_hours: i64,
    duration_minutes: i64,
    tickets_sold: i64,
    max_tickets: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    search_tokens: Vec<String>,
    venue: Option<&'a str>,
    address: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<&'a str>,
    image: Option<&'a str>,
    image_alt: Option<&'a str>,
    revision: i64,
    changed_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
struct PostRow<'a> {
    id: i64,
    title: &'a str,
    content: &'a str,
    owner_id: i64,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = comments)]
struct CommentRow<'a> {
    id: i64,
    content: &'a str,
    event_id: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
    /// A place-holder (minus the id, unique): [`number_comments`] numbers them once all are in.
    seq: i64,
}

#[derive(Insertable)]
#[diesel(table_name = notifications)]
struct NotificationRow<'a> {
    id: i64,
    message: &'a str,
    created_at: NaiveDateTime,
    sender: &'a str,
    sender_id: i64,
    owner_id: i64,
    event_id: Option<i64>,
    is_read: bool,
    kind: &'a str,
    event_name: Option<&'a str>,
    quantity: Option<i64>,
    event_time: Option<NaiveDateTime>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    rows: i64,
}

/// What the database holds now, table by table.
pub fn counts(db: &Database) -> Result<Counts, RepoError> {
    db.read(count_rows)
}

/// The table each kind of row is written to: what the copy counts to check that it is complete, and
/// whose id sequence it moves on.
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

/// Whether the table's rows carry an `id` from a sequence (a removed copy keeps the id its item had).
fn has_id_sequence(table: Table) -> bool {
    !matches!(
        table,
        Table::Participants
            | Table::RemovedComments
            | Table::RemovedPosts
            | Table::RemovedEvents
            | Table::CalendarFeeds
    )
}

fn count_rows(conn: &mut Conn) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    for table in Table::ALL {
        let found: Count = diesel::sql_query(format!("SELECT count(*) AS rows FROM {}", table_name(*table)))
            .get_result(conn)?;
        *counts.of_mut(*table) = found.rows.unsigned_abs();
    }
    Ok(counts)
}

/// Opens the database at `url` to copy into — its migrations run, two connections, which a copy needs —
/// and answers what it holds already: a copy goes only into an empty one.
pub fn open_target(url: &str) -> Result<(Database, Counts), RepoError> {
    let db = Database::open(&crate::PgConfig {
        url: url.to_owned(),
        pool_size: 2,
        connection_timeout: std::time::Duration::from_secs(10),
    })?;
    let held = counts(&db)?;
    Ok((db, held))
}

/// Writes a whole community in **one** transaction: `source` is handed the sink its batches go to (in
/// the order of [`Batch`]) and answers what it read; then the tables are counted, and the id sequences
/// moved past the highest ids. Only when they hold what was read does the transaction commit: a
/// failure anywhere — in the source, in a batch, in the count — rolls all of it back, so the database is
/// left as it was and the copy can simply be run again.
pub fn import_all(
    db: &Database,
    mut source: impl FnMut(&mut Sink<'_>) -> Result<Counts, RepoError>,
) -> Result<Counts, RepoError> {
    db.write(|conn| {
        pause_kept_counts(conn)?;
        let read = source(&mut |batch| insert(conn, &batch).map_err(RepoError::from))?;
        let written = count_rows(conn)?;
        if written != read {
            return Err(RepoError::internal(format!(
                "the copy would leave {written:?} in PostgreSQL, but {read:?} were read; nothing was kept"
            ))
            .into());
        }
        number_comments(conn)?;
        count_once(conn)?;
        start_mail_from_here(conn)?;
        // Last: `setval` is not undone by a rollback, so nothing that can still fail comes after it.
        reset_sequences(conn)?;
        Ok(written)
    })
}

/// Writes one batch, keeping its ids.
fn insert(conn: &mut Conn, batch: &Batch) -> Result<(), StoreError> {
    let utc = |time: chrono::DateTime<chrono::Utc>| time.naive_utc();
    // An event never changed keeps no time of change: its `updated_at` is its creation.
    let changed_at = |event: &plaza_domain::event::Event| (event.revision > 0).then(|| utc(event.updated_at));
    match batch {
        Batch::Users(rows) => {
            let rows: Vec<UserRow<'_>> = rows
                .iter()
                .map(|u| UserRow {
                    id: u.id.get(),
                    username: &u.username,
                    email: &u.email,
                    full_name: u.full_name.as_deref(),
                    avatar: u.avatar.as_deref(),
                    password_hash: &u.password_hash.0,
                    token_epoch: utc(u.token_epoch),
                    created_at: utc(u.created_at),
                    role: u.role.as_str(),
                    banned_at: u.ban.as_ref().map(|ban| utc(ban.since)),
                    banned_until: u.ban.as_ref().and_then(|ban| ban.until).map(utc),
                    ban_reason: u.ban.as_ref().map(|ban| ban.reason.as_str()),
                    deleted_at: u.deleted_at.map(utc),
                    locale: u.locale.as_str(),
                    email_verified_at: u.email_verified_at.map(utc),
                    email_notifications: u.notification_mail.as_str(),
                    time_zone: u.time_zone.as_str(),
                })
                .collect();
            diesel::insert_into(users::table).values(&rows).execute(conn)?;
        }
        Batch::Events(rows) => {
            let rows: Vec<EventRow<'_>> = rows
                .iter()
                .map(|e| EventRow {
                    id: e.id.get(),
                    name: &e.name,
                    event_time: utc(e.event_time),
                    description: &e.description,
                    duration_hours: e.duration_hours,
                    duration_minutes: e.duration_minutes,
                    tickets_sold: e.tickets_sold,
                    max_tickets: e.max_tickets,
                    owner_id: e.owner_id.get(),
                    created_at: utc(e.created_at),
                    search_tokens: search_tokens(&e.name, &e.description),
                    venue: e.place.venue.as_deref(),
                    address: e.place.address.as_deref(),
                    latitude: e.place.coordinates.map(|point| point.latitude()),
                    longitude: e.place.coordinates.map(|point| point.longitude()),
                    online_url: e.place.online_url.as_deref(),
                    image: e.image.as_ref().map(|image| image.name.as_str()),
                    image_alt: e.image.as_ref().map(|image| image.alt.as_str()),
                    revision: e.revision,
                    changed_at: changed_at(e),
                })
                .collect();
            diesel::insert_into(events::table).values(&rows).execute(conn)?;
        }
        Batch::Posts(rows) => {
            let rows: Vec<PostRow<'_>> = rows
                .iter()
                .map(|p| PostRow {
                    id: p.id.get(),
                    title: &p.title,
                    content: &p.content,
                    owner_id: p.owner_id.get(),
                    created_at: utc(p.created_at),
                    edited_at: p.edited_at.map(utc),
                })
                .collect();
            diesel::insert_into(posts::table).values(&rows).execute(conn)?;
        }
        Batch::Comments(rows) => {
            let rows: Vec<CommentRow<'_>> = rows
                .iter()
                .map(|c| CommentRow {
                    id: c.id.get(),
                    content: &c.content,
                    event_id: c.event_id.get(),
                    owner_id: c.owner_id.get(),
                    created_at: utc(c.created_at),
                    edited_at: c.edited_at.map(utc),
                    seq: -c.id.get(),
                })
                .collect();
            diesel::insert_into(comments::table).values(&rows).execute(conn)?;
        }
        Batch::CalendarFeeds(feeds) => {
            let rows: Vec<_> = feeds
                .iter()
                .map(|feed| {
                    (
                        calendar_feeds::user_id.eq(feed.user_id.get()),
                        calendar_feeds::secret_digest.eq(feed.secret_digest.as_str()),
                        calendar_feeds::created_at.eq(utc(feed.created_at)),
                    )
                })
                .collect();
            diesel::insert_into(calendar_feeds::table)
                .values(&rows)
                .execute(conn)?;
        }
        Batch::Participants(pairs) => {
            let rows: Vec<_> = pairs
                .iter()
                .map(|(event, user)| {
                    (
                        event_participants::event_id.eq(event.get()),
                        event_participants::user_id.eq(user.get()),
                    )
                })
                .collect();
            diesel::insert_into(event_participants::table)
                .values(&rows)
                .execute(conn)?;
        }
        Batch::Notifications(rows) => {
            let rows: Vec<NotificationRow<'_>> = rows
                .iter()
                .map(|n| NotificationRow {
                    id: n.id.get(),
                    message: &n.message,
                    created_at: utc(n.created_at),
                    sender: &n.sender,
                    sender_id: n.sender_id.get(),
                    owner_id: n.owner_id.get(),
                    event_id: n.event_id.map(|event| event.get()),
                    is_read: n.read,
                    kind: n.subject.kind(),
                    event_name: n.subject.event_name(),
                    quantity: n.subject.quantity(),
                    event_time: n.subject.event_time().map(utc),
                })
                .collect();
            diesel::insert_into(notifications::table)
                .values(&rows)
                .execute(conn)?;
        }
        Batch::Tickets(rows) => {
            for ticket in rows {
                diesel::sql_query(
                    "INSERT INTO tickets (id, event_id, holder_id, status, code, created_at, cancelled_at, \
                     checked_in_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind::<BigInt, _>(ticket.id.get())
                .bind::<BigInt, _>(ticket.event_id.get())
                .bind::<BigInt, _>(ticket.holder_id.get())
                .bind::<Text, _>(ticket.status.as_str())
                .bind::<Text, _>(&ticket.code)
                .bind::<Timestamp, _>(utc(ticket.created_at))
                .bind::<Nullable<Timestamp>, _>(ticket.cancelled_at.map(utc))
                .bind::<Nullable<Timestamp>, _>(ticket.checked_in_at.map(utc))
                .execute(conn)?;
            }
        }
        Batch::Waitlist(rows) => {
            for entry in rows {
                diesel::sql_query(
                    "INSERT INTO waitlist_entries (id, event_id, user_id, quantity, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind::<BigInt, _>(entry.id)
                .bind::<BigInt, _>(entry.event_id.get())
                .bind::<BigInt, _>(entry.user_id.get())
                .bind::<BigInt, _>(entry.quantity)
                .bind::<Timestamp, _>(utc(entry.created_at))
                .execute(conn)?;
            }
        }
        Batch::ModLog(rows) => {
            let rows: Vec<crate::modlog::Insert<'_>> = rows
                .iter()
                .map(|entry| crate::modlog::Insert {
                    id: Some(entry.id.get()),
                    moderator_id: entry.moderator.map(|id| id.get()),
                    action: entry.action.name(),
                    role: entry.action.role().map(|role| role.as_str()),
                    target_kind: entry.target.kind.as_str(),
                    target_id: entry.target.id,
                    reason: entry.reason.as_deref(),
                    until: entry.action.until().map(utc),
                    created_at: utc(entry.created_at),
                })
                .collect();
            diesel::insert_into(crate::schema::modlog::table)
                .values(&rows)
                .execute(conn)?;
        }
        Batch::RemovedComments(rows) => {
            for kept in rows {
                let comment = &kept.item;
                diesel::sql_query(
                    "INSERT INTO removed_comments \
                     (id, content, event_id, owner_id, created_at, edited_at, removed_at, removed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind::<BigInt, _>(comment.id.get())
                .bind::<Text, _>(&comment.content)
                .bind::<BigInt, _>(comment.event_id.get())
                .bind::<BigInt, _>(comment.owner_id.get())
                .bind::<Timestamp, _>(utc(comment.created_at))
                .bind::<Nullable<Timestamp>, _>(comment.edited_at.map(utc))
                .bind::<Timestamp, _>(utc(kept.removed_at))
                .bind::<Nullable<BigInt>, _>(kept.removed_by.map(|id| id.get()))
                .execute(conn)?;
            }
        }
        Batch::RemovedPosts(rows) => {
            for kept in rows {
                let post = &kept.item;
                diesel::sql_query(
                    "INSERT INTO removed_posts \
                     (id, title, content, owner_id, created_at, edited_at, removed_at, removed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind::<BigInt, _>(post.id.get())
                .bind::<Text, _>(&post.title)
                .bind::<Text, _>(&post.content)
                .bind::<BigInt, _>(post.owner_id.get())
                .bind::<Timestamp, _>(utc(post.created_at))
                .bind::<Nullable<Timestamp>, _>(post.edited_at.map(utc))
                .bind::<Timestamp, _>(utc(kept.removed_at))
                .bind::<Nullable<BigInt>, _>(kept.removed_by.map(|id| id.get()))
                .execute(conn)?;
            }
        }
        Batch::RemovedEvents(rows) => {
            for kept in rows {
                let event = &kept.item;
                let coordinates = event.place.coordinates;
                diesel::sql_query(
                    "INSERT INTO removed_events \
                     (id, name, event_time, description, duration_hours, duration_minutes, tickets_sold, \
                      max_tickets, owner_id, created_at, venue, address, latitude, longitude, online_url, \
                      revision, changed_at, removed_at, removed_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
                      $19)",
                )
                .bind::<BigInt, _>(event.id.get())
                .bind::<Text, _>(&event.name)
                .bind::<Timestamp, _>(utc(event.event_time))
                .bind::<Text, _>(&event.description)
                .bind::<BigInt, _>(event.duration_hours)
                .bind::<BigInt, _>(event.duration_minutes)
                .bind::<BigInt, _>(event.tickets_sold)
                .bind::<BigInt, _>(event.max_tickets)
                .bind::<BigInt, _>(event.owner_id.get())
                .bind::<Timestamp, _>(utc(event.created_at))
                .bind::<Nullable<Text>, _>(event.place.venue.as_deref())
                .bind::<Nullable<Text>, _>(event.place.address.as_deref())
                .bind::<Nullable<Double>, _>(coordinates.map(|point| point.latitude()))
                .bind::<Nullable<Double>, _>(coordinates.map(|point| point.longitude()))
                .bind::<Nullable<Text>, _>(event.place.online_url.as_deref())
                .bind::<BigInt, _>(event.revision)
                .bind::<Nullable<Timestamp>, _>(changed_at(event))
                .bind::<Timestamp, _>(utc(kept.removed_at))
                .bind::<Nullable<BigInt>, _>(kept.removed_by.map(|id| id.get()))
                .execute(conn)?;
            }
        }
        Batch::Reports(rows) => {
            for report in rows {
                let resolution = report.resolution.as_ref();
                diesel::sql_query(
                    "INSERT INTO reports \
                     (id, reporter_id, target_kind, target_id, author_id, reason, note, created_at, \
                      resolved_at, action, resolution_note, moderator_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind::<BigInt, _>(report.id.get())
                .bind::<BigInt, _>(report.reporter.get())
                .bind::<Text, _>(report.target.kind.as_str())
                .bind::<BigInt, _>(report.target.id)
                .bind::<BigInt, _>(report.author.get())
                .bind::<Text, _>(report.reason.as_str())
                .bind::<Text, _>(&report.note)
                .bind::<Timestamp, _>(utc(report.created_at))
                .bind::<Nullable<Timestamp>, _>(resolution.map(|done| utc(done.at)))
                .bind::<Nullable<Text>, _>(resolution.map(|done| done.action.as_str()))
                .bind::<Nullable<Text>, _>(resolution.map(|done| done.note.as_str()))
                .bind::<Nullable<BigInt>, _>(resolution.and_then(|done| done.moderator).map(|id| id.get()))
                .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// A count that triggers keep as rows are written, and how the copy counts it instead.
struct KeptCount {
    /// The table whose rows are counted.
    table: &'static str,
    /// The triggers that keep the count (some once a row, some once a statement).
    triggers: &'static [&'static str],
    /// How the count is made afresh from the copied rows: the statements the migration that made it
    /// began it with.
    recount: &'static [&'static str],
}

/// Every count the copy makes once at the end instead of row by row. In one transaction each batch
/// updates the same count rows again (the events' total, the counts of common search keys, one busy
/// event's tickets), and each update walks every version of its row the transaction made before it: a
/// million events, 1,000 to a statement, were on course for more than half an hour and slowing, and one
/// event's 100,000 tickets would be worse. So the triggers are off while the rows go in — `ALTER TABLE`
/// is transactional, so a failed copy leaves them on, and its lock holds other writers off until the
/// commit — and every count is made once when they are in. The comments' places in their runs
/// (`comment_buckets`) are counted by [`number_comments`], which numbers them first.
const KEPT_COUNTS: &[KeptCount] = &[
    KeptCount {
        table: "events",
        triggers: &[
            "event_total_follows",
            "event_time_buckets_insert",
            "search_key_counts_insert",
            "search_key_buckets_insert",
        ],
        recount: &[
            "UPDATE event_total SET events = (SELECT count(*) FROM events), search_version = search_version + 1",
            "DELETE FROM event_time_buckets",
            "INSERT INTO event_time_buckets (bucket, events) \
             SELECT event_bucket(event_time), count(*) FROM events GROUP BY 1",
            "DELETE FROM search_key_counts",
            "INSERT INTO search_key_counts (key, events) \
             SELECT key, count(*) FROM events, LATERAL search_keys(search_tokens) AS key GROUP BY key",
            "DELETE FROM search_key_buckets",
            "INSERT INTO search_key_buckets (key, bucket, events) \
             SELECT key, event_bucket(event_time), count(*) FROM events, LATERAL search_keys(search_tokens) AS key \
             GROUP BY 1, 2",
        ],
    },
    KeptCount {
        table: "comments",
        triggers: &["comment_totals_follow", "comment_buckets_follow"],
        recount: &[
            "DELETE FROM comment_totals",
            "INSERT INTO comment_totals (event_id, comments) SELECT event_id, count(*) FROM comments GROUP BY 1",
        ],
    },
    KeptCount {
        table: "notifications",
        // A new notification is counted by the statement that writes it (`notifications::insert_all`,
        // migration 000029), which the copy does not use, or by the id trigger when it comes without an
        // id, which no copied row does; this trigger follows reads and deletions.
        triggers: &["inbox_counts_follow"],
        recount: &[
            "DELETE FROM inbox_counts",
            "INSERT INTO inbox_counts (owner_id, total, unread) \
             SELECT owner_id, count(*), count(*) FILTER (WHERE NOT is_read) FROM notifications GROUP BY 1",
        ],
    },
    KeptCount {
        table: "tickets",
        triggers: &["ticket_counts_follow", "event_ticket_totals_follow"],
        recount: &[
            "DELETE FROM ticket_counts",
            "INSERT INTO ticket_counts (holder_id, status, count) \
             SELECT holder_id, status, count(*) FROM tickets GROUP BY 1, 2",
            "DELETE FROM event_ticket_totals",
            "INSERT INTO event_ticket_totals (event_id, count) SELECT event_id, count(*) FROM tickets GROUP BY 1",
        ],
    },
];

/// Turns off the triggers of [`KEPT_COUNTS`] for the rest of the transaction.
fn pause_kept_counts(conn: &mut Conn) -> Result<(), StoreError> {
    switch_kept_counts(conn, "DISABLE")
}

/// Makes every count of [`KEPT_COUNTS`] from the rows now in, and turns their triggers back on.
fn count_once(conn: &mut Conn) -> Result<(), StoreError> {
    for count in KEPT_COUNTS {
        for statement in count.recount {
            diesel::sql_query(*statement).execute(conn)?;
        }
    }
    switch_kept_counts(conn, "ENABLE")
}

fn switch_kept_counts(conn: &mut Conn, switch: &str) -> Result<(), StoreError> {
    for count in KEPT_COUNTS {
        for trigger in count.triggers {
            diesel::sql_query(format!("ALTER TABLE {} {switch} TRIGGER {trigger}", count.table))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Numbers every event's comments 1, 2, 3, … in list order (`created_at`, then `id`) and counts them
/// again per bucket (migration `2026-12-05-000027_comments_in_sequence`): the batches come in any order,
/// so the numbers can only be given once every comment is in. First every number is made unique and
/// negative, so that no row takes a number another still holds.
fn number_comments(conn: &mut Conn) -> Result<(), StoreError> {
    for statement in [
        "UPDATE comments SET seq = -id WHERE seq >= 0",
        "UPDATE comments SET seq = numbered.seq \
         FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY created_at, id) AS seq FROM comments) \
           AS numbered \
         WHERE numbered.id = comments.id",
        "DELETE FROM comment_buckets",
        "INSERT INTO comment_buckets (event_id, bucket, comments) \
         SELECT event_id, seq >> 8, count(*) FROM comments GROUP BY event_id, seq >> 8",
    ] {
        diesel::sql_query(statement).execute(conn)?;
    }
    Ok(())
}

/// Moves every id sequence past the highest id its table holds, and past every id the moderation log
/// names for that kind of thing: a removed item (whose copy stays behind) keeps its id to itself.
/// Notification mail carries on from the moved notifications, not from the first: none is mailed again,
/// and daily digests are due at once (they find nothing new and set their next time).
fn start_mail_from_here(conn: &mut Conn) -> Result<(), StoreError> {
    for statement in [
        "UPDATE mail_scan SET last_notification_id = (SELECT coalesce(max(id), 0) FROM notifications)",
        "UPDATE users SET notification_mail_cursor = coalesce((SELECT max(n.id) FROM notifications n \
         WHERE n.owner_id = users.id), 0)",
        "UPDATE users SET notification_mail_due_at = now() AT TIME ZONE 'UTC' WHERE email_notifications = 'daily'",
    ] {
        diesel::sql_query(statement).execute(conn)?;
    }
    Ok(())
}

fn reset_sequences(conn: &mut Conn) -> Result<(), StoreError> {
    for table in Table::ALL.iter().copied().filter(|table| has_id_sequence(*table)) {
        let table = table_name(table);
        let kind = match table {
            "comments" => "comment",
            "posts" => "post",
            "events" => "event",
            "users" => "user",
            _ => "",
        };
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             GREATEST(COALESCE((SELECT max(id) FROM {table}), 0), \
                      COALESCE((SELECT max(target_id) FROM modlog WHERE target_kind = '{kind}'), 0)) + 1, false)"
        ))
        .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables `migrate-data` leaves empty, and why. A table the migrations create must be here or
    /// copied (a [`Table`] of the transfer).
    const NOT_COPIED: &[(&str, &str)] = &[
        (
            "__diesel_schema_migrations",
            "the migrations' own record, written when they ran",
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
            "login_failures",
            "recent failed logins, kept for minutes; SQLite keeps none to copy",
        ),
        (
            "event_total",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "event_time_buckets",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "search_key_counts",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "search_key_buckets",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "comment_totals",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "comment_buckets",
            "counted again once the copied comments are numbered",
        ),
        (
            "inbox_counts",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "ticket_counts",
            "counted once all the copied rows are in (`count_once`)",
        ),
        (
            "event_ticket_totals",
            "counted once all the copied rows are in (`count_once`)",
        ),
    ];

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }

    #[test]
    fn every_table_the_migrations_create_is_copied_or_said_why_not() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let tables: Vec<String> = db
            .read(|conn| {
                Ok(diesel::sql_query(
                    "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
                )
                .load::<Name>(conn)?)
            })
            .unwrap()
            .into_iter()
            .map(|row| row.name)
            .collect();
        assert!(tables.iter().any(|name| name == "users"), "{tables:?}");
        let copied: Vec<&str> = Table::ALL.iter().map(|table| table_name(*table)).collect();
        plaza_port_contract::migrated_tables::every_table_is_copied_or_said_why_not(
            &tables, &copied, NOT_COPIED,
        );
        // What the copy checks itself against reads every copied table of this empty database.
        assert_eq!(counts(&db).unwrap(), Counts::default());
    }

    /// Every row of the counts kept from the events that a fresh count of the events disagrees with, each
    /// way (`-` before a row the fresh count has and the kept ones lack).
    fn counts_against_a_recount(url: &str) -> Vec<String> {
        let kept_and_recounted = [
            (
                "SELECT 'total ' || events FROM event_total",
                "SELECT 'total ' || count(*) FROM events",
            ),
            (
                "SELECT 'time ' || bucket || ' ' || events FROM event_time_buckets WHERE events <> 0",
                "SELECT 'time ' || event_bucket(event_time) || ' ' || count(*) FROM events \
                 GROUP BY event_bucket(event_time)",
            ),
            (
                "SELECT 'key ' || key || ' ' || events FROM search_key_counts WHERE events <> 0",
                "SELECT 'key ' || key || ' ' || count(*) \
                 FROM events, LATERAL search_keys(search_tokens) AS key GROUP BY key",
            ),
            (
                "SELECT 'key and time ' || key || ' ' || bucket || ' ' || events \
                 FROM search_key_buckets WHERE events <> 0",
                "SELECT 'key and time ' || key || ' ' || event_bucket(event_time) || ' ' || count(*) \
                 FROM events, LATERAL search_keys(search_tokens) AS key GROUP BY key, event_bucket(event_time)",
            ),
            (
                "SELECT 'inbox ' || owner_id || ' ' || total || ' ' || unread FROM inbox_counts WHERE total <> 0",
                "SELECT 'inbox ' || owner_id || ' ' || count(*) || ' ' || count(*) FILTER (WHERE NOT is_read) \
                 FROM notifications GROUP BY owner_id",
            ),
        ];
        kept_and_recounted
            .iter()
            .flat_map(|(kept, recounted)| {
                crate::testing::query_strings(
                    url,
                    &format!(
                        "SELECT value FROM (({kept}) EXCEPT ({recounted})) AS extra (value) \
                         UNION ALL SELECT '-' || value FROM (({recounted}) EXCEPT ({kept})) AS missing (value)"
                    ),
                )
            })
            .collect()
    }

    fn kept_count_triggers() -> impl Iterator<Item = &'static str> {
        KEPT_COUNTS
            .iter()
            .flat_map(|count| count.triggers.iter().copied())
    }

    fn counting_triggers_on(url: &str) -> usize {
        crate::testing::query_strings(
            url,
            "SELECT tgrelid::regclass || ' ' || tgname AS value FROM pg_trigger WHERE tgenabled = 'O'",
        )
        .iter()
        .filter(|on| {
            KEPT_COUNTS.iter().any(|count| {
                count
                    .triggers
                    .iter()
                    .any(|trigger| **on == format!("{} {trigger}", count.table))
            })
        })
        .count()
    }

    fn member(id: i64) -> plaza_domain::user::User {
        use plaza_domain::user::{Locale, NotificationMail, PasswordHash, TimeZoneName, User};
        let created = chrono::Utc::now();
        User {
            id: plaza_domain::UserId::from_stored(id),
            username: format!("member{id}"),
            email: format!("member{id}@example.org"),
            full_name: None,
            avatar: None,
            role: plaza_domain::role::Role::Member,
            ban: None,
            password_hash: PasswordHash("$2b$04$not-a-real-hash".into()),
            token_epoch: created,
            created_at: created,
            deleted_at: None,
            locale: Locale::En,
            email_verified_at: None,
            notification_mail: NotificationMail::Off,
            time_zone: TimeZoneName::UTC,
        }
    }

    /// Event `id` of member 1: five kinds of name, one hour after the one before (across some 140
    /// buckets of time).
    fn copied_event(id: i64) -> plaza_domain::event::Event {
        let kinds = [
            "garden party",
            "river walk",
            "music night",
            "音乐会",
            "quiet reading",
        ];
        let created = chrono::Utc::now();
        plaza_domain::event::Event {
            id: plaza_domain::EventId::from_stored(id),
            name: format!("{} {id}", kinds[(id % 5) as usize]),
            event_time: "2031-03-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                + chrono::Duration::hours(id),
            description: if id % 3 == 0 {
                "with music".into()
            } else {
                String::new()
            },
            duration_hours: 1,
            duration_minutes: 0,
            tickets_sold: 0,
            max_tickets: 10,
            owner_id: plaza_domain::UserId::from_stored(1),
            created_at: created,
            place: Default::default(),
            image: None,
            revision: 0,
            updated_at: created,
        }
    }

    /// Notification `id` to member 1, read when `id` is even.
    fn copied_notification(id: i64) -> plaza_domain::notification::Notification {
        plaza_domain::notification::Notification {
            id: plaza_domain::NotificationId::from_stored(id),
            message: format!("note {id}"),
            created_at: chrono::Utc::now(),
            sender: "member1".into(),
            sender_id: plaza_domain::UserId::from_stored(1),
            owner_id: plaza_domain::UserId::from_stored(1),
            event_id: None,
            subject: plaza_domain::notification::NotificationSubject::Message,
            read: id % 2 == 0,
        }
    }

    #[test]
    fn copied_rows_are_counted_once_at_the_end_and_the_counting_triggers_are_back_on_after() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let url = db.url().to_owned();
        let events: Vec<_> = (1..=2_500).map(copied_event).collect();
        assert_eq!(counting_triggers_on(&url), kept_count_triggers().count());

        // A copy that breaks half-way keeps nothing, and leaves the triggers on.
        let broken = import_all(&db, |sink| {
            sink(Batch::Users(vec![member(1)]))?;
            sink(Batch::Events(events[..1_000].to_vec()))?;
            Err(RepoError::internal("the source broke"))
        });
        assert!(broken.is_err());
        assert_eq!(counts(&db).unwrap(), Counts::default());
        assert_eq!(counting_triggers_on(&url), kept_count_triggers().count());

        import_all(&db, |sink| {
            sink(Batch::Users(vec![member(1)]))?;
            for batch in events.chunks(1_000) {
                sink(Batch::Events(batch.to_vec()))?;
            }
            sink(Batch::Notifications((1..=301).map(copied_notification).collect()))?;
            Ok(Counts {
                users: 1,
                events: 2_500,
                notifications: 301,
                ..Counts::default()
            })
        })
        .unwrap();
        assert_eq!(counts_against_a_recount(&url), Vec::<String>::new());
        let pairs = crate::testing::query_strings(
            &url,
            "SELECT count(*)::text AS value FROM search_key_buckets WHERE events > 0",
        );
        assert!(pairs[0].parse::<u64>().unwrap() > 1_000, "{pairs:?}");
        assert_eq!(counting_triggers_on(&url), kept_count_triggers().count());

        // Counted as they happen again: a new event and a deleted one.
        crate::testing::execute(
            &url,
            "INSERT INTO events (name, event_time, duration_hours, duration_minutes, max_tickets, owner_id, \
                                 created_at, search_tokens) \
             VALUES ('late', TIMESTAMP '2032-01-01', 1, 0, 10, 1, now(), ARRAY['late']); \
             DELETE FROM events WHERE id = 7",
        );
        assert_eq!(counts_against_a_recount(&url), Vec::<String>::new());
        assert_eq!(
            crate::testing::query_strings(&url, "SELECT events::text AS value FROM event_total"),
            ["2500"]
        );
        assert_eq!(
            crate::testing::query_strings(
                &url,
                "SELECT total || ' ' || unread AS value FROM inbox_counts WHERE owner_id = 1"
            ),
            ["301 151"]
        );
    }
}
