//! The waitlists of sold-out events (`waitlist_entries`, shared by every instance), their filling inside
//! the writes that free places, and the notices to ticket holders written in the writes that change or
//! delete an event. Every write that frees places or joins a line holds the event's row lock, so they
//! take turns per event across instances.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Text, Timestamp};
use diesel::{OptionalExtension, QueryableByName, RunQueryDsl};
use plaza_domain::event::TicketQuantity;
use plaza_domain::notification::NewNotification;
use plaza_domain::ticket::{EventSummary, HolderNotices, Notified, Sale};
use plaza_domain::waitlist::{FreePlaces, Waiting, WaitlistEntry, WaitlistRepository};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::sql::Sql;

/// An entry with its event and its position (entries `w`, events `e`).
macro_rules! entry_columns {
    () => {
        "w.user_id, w.quantity, w.created_at, e.id AS event_id, e.name AS event_name, e.event_time, \
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
    created_at: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = Text)]
    event_name: String,
    #[diesel(sql_type = Timestamp)]
    event_time: NaiveDateTime,
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
                event_time: row.event_time.and_utc(),
                owner_id: UserId::from_stored(row.event_owner_id),
            },
            user_id: UserId::from_stored(row.user_id),
            quantity: row.quantity,
            position: row.position.max(1).unsigned_abs(),
            created_at: row.created_at.and_utc(),
        }
    }
}

fn find(conn: &mut Conn, event: EventId, user: UserId) -> Result<Option<WaitlistEntry>, StoreError> {
    let row: Option<EntryRow> = Sql::new(concat!(
        "SELECT ",
        entry_columns!(),
        " FROM waitlist_entries w JOIN events e ON e.id = w.event_id WHERE w.event_id = $1 AND w.user_id = $2"
    ))
    .int(event.get())
    .int(user.get())
    .get_result(conn)
    .optional()?;
    Ok(row.map(WaitlistEntry::from))
}

#[derive(QueryableByName)]
struct EventPlaces {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Timestamp)]
    event_time: NaiveDateTime,
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

/// `event` as [`NoticeEvent`], its row locked until the transaction ends; `None` when it does not exist.
pub(crate) fn lock_event(conn: &mut Conn, event: EventId) -> Result<Option<NoticeEvent>, StoreError> {
    // The shown name as `User::display_name` picks it: the full name unless blank, else the user name.
    let row: Option<EventPlaces> = Sql::new(
        "SELECT e.name, e.event_time, e.owner_id, e.max_tickets, e.tickets_sold, \
         CASE WHEN btrim(COALESCE(u.full_name, '')) = '' THEN CASE WHEN u.deleted_at IS NULL THEN u.username ELSE 'deleted user' END ELSE u.full_name END AS organiser \
         FROM events e JOIN users u ON u.id = e.owner_id WHERE e.id = $1 FOR UPDATE OF e",
    )
    .int(event.get())
    .get_result(conn)
    .optional()?;
    Ok(row.map(|row| NoticeEvent {
        summary: EventSummary {
            id: event,
            name: row.name,
            event_time: row.event_time.and_utc(),
            owner_id: UserId::from_stored(row.owner_id),
        },
        free: FreePlaces::new(row.max_tickets, row.tickets_sold),
        organiser: row.organiser,
    }))
}

#[derive(QueryableByName)]
struct WaitingId {
    #[diesel(sql_type = BigInt)]
    id: i64,
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

/// Fills `event`'s waitlist from its free places, inside the write that freed them (which holds the
/// event's row lock): entries in join order, each whole or passed over ([`FreePlaces`]); a filled entry
/// becomes active tickets, leaves the line and gets a notice. Nothing once the event has started by
/// `now`. Answers the notices, for the caller to write with the rest of its write's ([`notify`]).
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
    }) = lock_event(conn, event)?
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
        let next: Option<WaitingId> = Sql::new(
            "SELECT w.id FROM generate_series(1, $2::bigint) AS wanted (n) \
             CROSS JOIN LATERAL (SELECT id FROM waitlist_entries \
                                 WHERE event_id = $1 AND quantity = wanted.n ORDER BY id LIMIT 1) AS w \
             ORDER BY w.id LIMIT 1",
        )
        .int(event.get())
        .int(free.left().min(TicketQuantity::MAX))
        .get_result(conn)
        .optional()?;
        let Some(next) = next else { break };
        // Locked as taken: an entry its user left meanwhile is gone once they have, and the next read
        // no longer sees it.
        let row: Option<WaitingRow> =
            Sql::new("SELECT id, user_id, quantity FROM waitlist_entries WHERE id = $1 FOR UPDATE")
                .int(next.id)
                .get_result(conn)
                .optional()?;
        let Some(row) = row else { continue };
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
        crate::issue::issue(conn, &[&sale])?;
        Sql::new("DELETE FROM waitlist_entries WHERE id = $1")
            .int(row.id)
            .execute(conn)?;
        taken += waiting.quantity;
        notes.extend(notices.places_given(&summary, &organiser, waiting.user_id, waiting.quantity));
    }
    if taken > 0 {
        Sql::new("UPDATE events SET tickets_sold = tickets_sold + $1 WHERE id = $2")
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

/// One notice per holder of an active ticket of `event`, as `notice` words it, for the caller to write
/// ([`notify`]). The caller holds the event's row lock, so no ticket is sold meanwhile.
pub(crate) fn tell_holders(
    conn: &mut Conn,
    event: &NoticeEvent,
    notice: impl Fn(&EventSummary, &str, UserId) -> Option<NewNotification>,
) -> Result<Vec<NewNotification>, StoreError> {
    let holders: Vec<Holder> = Sql::new(
        "SELECT DISTINCT holder_id FROM tickets WHERE event_id = $1 AND status = 'active' ORDER BY holder_id",
    )
    .int(event.summary.id.get())
    .load(conn)?;
    let notes: Vec<NewNotification> = holders
        .into_iter()
        .filter_map(|holder| {
            notice(
                &event.summary,
                &event.organiser,
                UserId::from_stored(holder.holder_id),
            )
        })
        .collect();
    Ok(notes)
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

/// [`WaitlistRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgWaitlists {
    db: Database,
}

impl PgWaitlists {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl WaitlistRepository for PgWaitlists {
    fn join(
        &self,
        event: EventId,
        user: UserId,
        quantity: TicketQuantity,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry, RepoError> {
        self.db.write(|conn| {
            // Under the event's row lock: no place frees or sells between this check and the insert.
            let found = lock_event(conn, event)?.ok_or(RepoError::NotFound)?;
            if found.summary.event_time <= now {
                return Err(RepoError::Conflict(Conflict::EventStarted).into());
            }
            if found.free.left() >= quantity.get() {
                return Err(RepoError::Conflict(Conflict::TicketsAvailable).into());
            }
            let inserted = Sql::new(
                "INSERT INTO waitlist_entries (event_id, user_id, quantity, created_at) VALUES ($1, $2, $3, $4) \
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
            find(conn, event, user)?
                .ok_or_else(|| RepoError::Internal("a waitlist entry just written was not found".into()).into())
        })
    }

    fn leave(&self, event: EventId, user: UserId) -> Result<(), RepoError> {
        self.db.write(|conn| {
            match Sql::new("DELETE FROM waitlist_entries WHERE event_id = $1 AND user_id = $2")
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
        self.db.look_up(|conn| find(conn, event, user))
    }

    fn list_for(&self, user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<EntryRow> = Sql::new(concat!(
                "SELECT ",
                entry_columns!(),
                " FROM waitlist_entries w JOIN events e ON e.id = w.event_id WHERE w.user_id = $1 \
                 ORDER BY w.id LIMIT $2 OFFSET $3"
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
            let total: Total =
                Sql::new("SELECT count(*) AS entries FROM waitlist_entries WHERE user_id = $1")
                    .int(user.get())
                    .get_result(conn)?;
            Ok(Page {
                items: rows.into_iter().map(WaitlistEntry::from).collect(),
                total: total.entries.unsigned_abs(),
            })
        })
    }
}
