//! The waitlists of sold-out events (`waitlist_entries`), their filling inside the writes that free
//! places, and the notices to ticket holders written in the writes that change or delete an event.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{OptionalExtension, QueryableByName, RunQueryDsl};
use plaza_domain::event::TicketQuantity;
use plaza_domain::notification::NewNotification;
use plaza_domain::ticket::{EventSummary, HolderNotices, Notified, Sale};
use plaza_domain::waitlist::{FreePlaces, StoredEntry, Waiting, WaitlistEntry, WaitlistRepository};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, UserId};

use crate::conn::Conn;
use crate::db::Database;
use crate::error::StoreError;
use crate::sql::Sql;
use crate::time::StoredTime;

/// An entry with its event and its position (entries `w`, events `e`).
macro_rules! entry_columns {
    () => {
        "w.id, w.user_id, w.quantity, w.created_at, e.id AS event_id, e.name AS event_name, e.event_time, \
         e.owner_id AS event_owner_id, \
         (SELECT count(*) FROM waitlist_entries l WHERE l.event_id = w.event_id AND l.id <= w.id) AS position"
    };
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Timestamp)]
    created_at: StoredTime,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    event_name: String,
    #[diesel(sql_type = Timestamp)]
    event_time: StoredTime,
    #[diesel(sql_type = BigInt)]
    event_owner_id: i64,
    #[diesel(sql_type = BigInt)]
    position: i64,
}

impl From<EntryRow> for WaitlistEntry {
    fn from(row: EntryRow) -> Self {
        WaitlistEntry {
            event: EventSummary {
                id: EventId::from_stored(row.event_id),
                name: row.event_name,
                event_time: row.event_time.utc(),
                owner_id: UserId::from_stored(row.event_owner_id),
            },
            user_id: UserId::from_stored(row.user_id),
            quantity: row.quantity,
            position: row.position.max(1).unsigned_abs(),
            created_at: row.created_at.utc(),
        }
    }
}

fn find(conn: &mut Conn, event: EventId, user: UserId) -> Result<Option<WaitlistEntry>, StoreError> {
    let row: Option<EntryRow> = Sql::new(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM waitlist_entries w JOIN events e ON e.id = w.event_id WHERE w.event_id = ? AND w.user_id = ?"
    ))
    .int(event.get())
    .int(user.get())
    .get_result(conn)
    .optional()?;
    Ok(row.map(WaitlistEntry::from))
}

/// What a fill or a notice reads of an event: its summary, its places and its organiser's name.
#[derive(QueryableByName)]
struct EventPlaces {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Timestamp)]
    event_time: StoredTime,
    #[diesel(sql_type = BigInt)]
    owner_id: i64,
    #[diesel(sql_type = BigInt)]
    max_tickets: i64,
    #[diesel(sql_type = BigInt)]
    tickets_sold: i64,
    #[diesel(sql_type = Text)]
    organiser: String,
}

/// An event as a notice names it, with its free places and its organiser's shown name.
pub(crate) struct NoticeEvent {
    pub(crate) summary: EventSummary,
    pub(crate) free: FreePlaces,
    pub(crate) organiser: String,
}

/// `event` as [`NoticeEvent`], or `None` when it does not exist.
pub(crate) fn notice_event(conn: &mut Conn, event: EventId) -> Result<Option<NoticeEvent>, StoreError> {
    // The shown name as `User::display_name` picks it: the full name unless blank, else the user name.
    let row: Option<EventPlaces> = Sql::new(
        "SELECT e.name, e.event_time, e.owner_id, e.max_tickets, e.tickets_sold, \
         CASE WHEN trim(COALESCE(u.full_name, '')) = '' THEN CASE WHEN u.deleted_at IS NULL THEN u.username ELSE 'deleted user' END ELSE u.full_name END AS organiser \
         FROM events e JOIN users u ON u.id = e.owner_id WHERE e.id = ?",
    )
    .int(event.get())
    .get_result(conn)
    .optional()?;
    Ok(row.map(|row| NoticeEvent {
        summary: EventSummary {
            id: event,
            name: row.name,
            event_time: row.event_time.utc(),
            owner_id: UserId::from_stored(row.owner_id),
        },
        free: FreePlaces::new(row.max_tickets, row.tickets_sold),
        organiser: row.organiser,
    }))
}

#[derive(QueryableByName)]
struct WaitingRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
}

/// The earliest entry of an event (`?2`) that wants at most `?1` tickets.
const NEXT_THAT_FITS: &str = "WITH RECURSIVE wanted(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM wanted WHERE n < ?) \
     SELECT id, user_id, quantity FROM waitlist_entries WHERE id = \
     (SELECT min((SELECT id FROM waitlist_entries WHERE event_id = ? AND quantity = wanted.n \
                  ORDER BY id LIMIT 1)) FROM wanted)";

/// Fills `event`'s waitlist from its free places, inside the write that freed them: entries in join
/// order, each whole or passed over ([`FreePlaces`]); a filled entry becomes active tickets, leaves the
/// line and gets a notice. Nothing once the event has started by `now`. Answers the notices, for the
/// caller to write with the rest of its write's ([`notify`]).
pub(crate) fn fill(
    conn: &mut Conn,
    event: EventId,
    now: DateTime<Utc>,
    notices: &dyn HolderNotices,
) -> Result<Vec<NewNotification>, StoreError> {
    let Some(NoticeEvent {
        summary,
        mut free,
        organiser,
    }) = notice_event(conn, event)?
    else {
        return Ok(Vec::new());
    };
    if summary.event_time <= now {
        return Ok(Vec::new());
    }
    let mut notes: Vec<NewNotification> = Vec::new();
    let mut taken = 0;
    // The earliest entry that fits what is left: one seek per quantity up to it, in the
    // `(event_id, quantity, id)` index, so a fill costs what it fills however long the line is. An entry
    // it does not reach is larger than what is left: passed over, as the rule says.
    while free.left() > 0 {
        let next: Option<WaitingRow> = Sql::new(NEXT_THAT_FITS)
            .int(free.left().min(TicketQuantity::MAX))
            .int(event.get())
            .get_result(conn)
            .optional()?;
        let Some(row) = next else { break };
        let waiting = Waiting {
            user_id: UserId::from_stored(row.user_id),
            quantity: row.quantity,
        };
        if !free.take(waiting) {
            return Err(
                RepoError::Internal("the waitlist read an entry larger than the free places".into()).into(),
            );
        }
        let sale = Sale {
            receipt: None,
            event,
            holder: waiting.user_id,
            codes: notices.codes(waiting.quantity)?,
            now,
        };
        crate::issue::issue(conn, &sale)?;
        Sql::new("DELETE FROM waitlist_entries WHERE id = ?")
            .int(row.id)
            .execute(conn)?;
        taken += waiting.quantity;
        notes.extend(notices.places_given(&summary, &organiser, waiting.user_id, waiting.quantity));
    }
    if taken > 0 {
        Sql::new("UPDATE events SET tickets_sold = tickets_sold + ? WHERE id = ?")
            .int(taken)
            .int(event.get())
            .execute(conn)?;
    }
    Ok(notes)
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = BigInt)]
    holder_id: i64,
}

/// Every holder of an active ticket of `event`, each once, in id order.
pub(crate) fn active_holders(conn: &mut Conn, event: EventId) -> Result<Vec<UserId>, StoreError> {
    let rows: Vec<Holder> = Sql::new(
        "SELECT DISTINCT holder_id FROM tickets WHERE event_id = ? AND status = 'active' ORDER BY holder_id",
    )
    .int(event.get())
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| UserId::from_stored(row.holder_id))
        .collect())
}

/// One notice per holder of an active ticket of `event`, as `notice` words it, for the caller to write
/// ([`notify`]).
pub(crate) fn tell_holders(
    conn: &mut Conn,
    event: &NoticeEvent,
    notice: impl Fn(&EventSummary, &str, UserId) -> Option<NewNotification>,
) -> Result<Vec<NewNotification>, StoreError> {
    let holders = active_holders(conn, event.summary.id)?;
    let notes: Vec<NewNotification> = holders
        .iter()
        .filter_map(|&holder| notice(&event.summary, &event.organiser, holder))
        .collect();
    Ok(notes)
}

#[derive(QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    quantity: i64,
    #[diesel(sql_type = Timestamp)]
    created_at: StoredTime,
}

/// Up to `limit` entries with ids above `after`, in id order: what `migrate-data` reads out.
pub(crate) fn after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<StoredEntry>, StoreError> {
    let rows: Vec<StoredRow> = Sql::new(
        "SELECT id, event_id, user_id, quantity, created_at FROM waitlist_entries WHERE id > ? ORDER BY id LIMIT ?",
    )
    .int(after)
    .int(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| StoredEntry {
            id: row.id,
            event_id: EventId::from_stored(row.event_id),
            user_id: UserId::from_stored(row.user_id),
            quantity: row.quantity,
            created_at: row.created_at.utc(),
        })
        .collect())
}

/// Writes a write's notices to holders together, at `now`, and answers who got one, each once, in the
/// order of the notices.
pub(crate) fn notify(
    conn: &mut Conn,
    notes: &[NewNotification],
    now: DateTime<Utc>,
) -> Result<Vec<UserId>, StoreError> {
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    crate::notifications::insert_all(conn, notes, now.naive_utc())?;
    Ok(Notified::recipients_of(notes))
}

/// [`WaitlistRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteWaitlists {
    db: Database,
}

impl SqliteWaitlists {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl WaitlistRepository for SqliteWaitlists {
    fn join(
        &self,
        event: EventId,
        user: UserId,
        quantity: TicketQuantity,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry, RepoError> {
        self.db.write(move |conn| {
            // One writer runs at a time: nothing sells or frees between this read and the insert.
            let found = notice_event(conn, event)?.ok_or(RepoError::NotFound)?;
            if found.summary.event_time <= now {
                return Err(RepoError::Conflict(Conflict::EventStarted).into());
            }
            if found.free.left() >= quantity.get() {
                return Err(RepoError::Conflict(Conflict::TicketsAvailable).into());
            }
            let inserted = Sql::new(
                "INSERT INTO waitlist_entries (event_id, user_id, quantity, created_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (event_id, user_id) DO NOTHING",
            )
            .int(event.get())
            .int(user.get())
            .int(quantity.get())
            .timestamp(now.naive_utc())
            .execute(conn)?;
            if inserted == 0 {
                return Err(RepoError::Conflict(Conflict::AlreadyWaiting).into());
            }
            find(conn, event, user)?.ok_or_else(|| {
                RepoError::Internal("a waitlist entry just written was not found".into()).into()
            })
        })
    }

    fn leave(&self, event: EventId, user: UserId) -> Result<(), RepoError> {
        self.db.write(move |conn| {
            match Sql::new("DELETE FROM waitlist_entries WHERE event_id = ? AND user_id = ?")
                .int(event.get())
                .int(user.get())
                .execute(conn)?
            {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            }
        })
    }

    fn find(&self, event: EventId, user: UserId) -> Result<Option<WaitlistEntry>, RepoError> {
        self.db.read_one(|conn| find(conn, event, user))
    }

    fn list_for(&self, user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<EntryRow> = Sql::new(concat!(
                "SELECT ",
                entry_columns!(),
                " FROM waitlist_entries w JOIN events e ON e.id = w.event_id WHERE w.user_id = ? \
                 ORDER BY w.id LIMIT ? OFFSET ?"
            ))
            .int(user.get())
            .int(i64::from(page.limit()))
            .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
            .load(conn)?;
            #[derive(QueryableByName)]
            struct Total {
                #[diesel(sql_type = BigInt)]
                entries: i64,
            }
            // One person waits for few events: counted through their own index.
            let total: Total = Sql::new("SELECT count(*) AS entries FROM waitlist_entries WHERE user_id = ?")
                .int(user.get())
                .get_result(conn)?;
            Ok(Page {
                items: rows.into_iter().map(WaitlistEntry::from).collect(),
                total: total.entries.unsigned_abs(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::temp_db;

    #[test]
    fn a_fill_seeks_the_first_entry_that_fits_without_walking_the_line() {
        let (_dir, db) = temp_db();
        let plan = db
            // As it runs: parameters unbound, planned without their values (stable query plans).
            .query_plan(NEXT_THAT_FITS)
            .unwrap();
        let entries: Vec<&String> = plan
            .iter()
            .filter(|step| step.contains("waitlist_entries"))
            .collect();
        assert!(
            entries
                .iter()
                .any(|step| step.contains("waitlist_by_quantity (event_id=? AND quantity=?)")),
            "{plan:?}"
        );
        assert!(
            entries.iter().all(|step| step.starts_with("SEARCH")),
            "no scan of the line: {plan:?}"
        );
    }
}
