//! Tickets as records, in the `tickets` table shared by every instance: made by a purchase
//! (`events::purchase`), listed, given back.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};
use plaza_domain::ticket::{
    Attendee, CheckIn, CheckInNonce, EventSummary, HeldTicket, Ticket, TicketCode, TicketRepository,
    TicketStatus,
};
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, TicketId, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::sql::Sql;

/// A ticket's columns with its event's, as [`Row`] reads them (tickets `t`, events `e`).
macro_rules! held_columns {
    () => {
        "t.id, t.event_id, t.holder_id, t.status, t.code, t.created_at, t.cancelled_at, t.checked_in_at, \
         e.name AS event_name, e.event_time, e.owner_id AS event_owner_id"
    };
}

/// A ticket's own columns, in both lists' rows.
#[derive(diesel::QueryableByName)]
struct TicketColumns {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    event_id: i64,
    #[diesel(sql_type = BigInt)]
    holder_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    code: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    cancelled_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    checked_in_at: Option<NaiveDateTime>,
}

impl TryFrom<TicketColumns> for Ticket {
    type Error = StoreError;

    fn try_from(row: TicketColumns) -> Result<Self, StoreError> {
        let status = TicketStatus::parse(&row.status)
            .map_err(|_| RepoError::Internal(format!("unknown ticket status {:?}", row.status).into()))?;
        Ok(Ticket {
            id: TicketId::from_stored(row.id),
            event_id: EventId::from_stored(row.event_id),
            holder_id: UserId::from_stored(row.holder_id),
            status,
            code: row.code,
            created_at: row.created_at.and_utc(),
            cancelled_at: row.cancelled_at.map(|time| time.and_utc()),
            checked_in_at: row.checked_in_at.map(|time| time.and_utc()),
        })
    }
}

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(embed)]
    ticket: TicketColumns,
    #[diesel(sql_type = Text)]
    event_name: String,
    #[diesel(sql_type = Timestamp)]
    event_time: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    event_owner_id: i64,
}

impl TryFrom<Row> for HeldTicket {
    type Error = StoreError;

    fn try_from(row: Row) -> Result<Self, StoreError> {
        let ticket = Ticket::try_from(row.ticket)?;
        Ok(HeldTicket {
            event: EventSummary {
                id: ticket.event_id,
                name: row.event_name,
                event_time: row.event_time.and_utc(),
                owner_id: UserId::from_stored(row.event_owner_id),
            },
            ticket,
        })
    }
}

/// A ticket's columns with its holder's names (tickets `t`, users `u`), as [`AttendeeRow`] reads them.
macro_rules! attendee_columns {
    () => {
        "t.id, t.event_id, t.holder_id, t.status, t.code, t.created_at, t.cancelled_at, t.checked_in_at, \
         CASE WHEN u.deleted_at IS NULL THEN u.username ELSE 'deleted user' END AS username, u.full_name"
    };
}

#[derive(diesel::QueryableByName)]
struct AttendeeRow {
    #[diesel(embed)]
    ticket: TicketColumns,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Nullable<Text>)]
    full_name: Option<String>,
}

impl TryFrom<AttendeeRow> for Attendee {
    type Error = StoreError;

    fn try_from(row: AttendeeRow) -> Result<Self, StoreError> {
        Ok(Attendee {
            ticket: Ticket::try_from(row.ticket)?,
            username: row.username,
            full_name: row.full_name,
        })
    }
}

fn attendees(rows: Vec<AttendeeRow>) -> Result<Vec<Attendee>, StoreError> {
    rows.into_iter().map(Attendee::try_from).collect()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

fn held(rows: Vec<Row>) -> Result<Vec<HeldTicket>, StoreError> {
    rows.into_iter().map(HeldTicket::try_from).collect()
}

/// The ticket with its event; `for update` locks the ticket's row until the transaction ends.
fn find(conn: &mut Conn, id: TicketId, for_update: bool) -> Result<Option<HeldTicket>, StoreError> {
    let query = if for_update {
        concat!(
            "SELECT ",
            held_columns!(),
            " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = $1 FOR UPDATE OF t"
        )
    } else {
        concat!(
            "SELECT ",
            held_columns!(),
            " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = $1"
        )
    };
    let rows: Vec<Row> = Sql::new(query).int(id.get()).load(conn)?;
    Ok(held(rows)?.into_iter().next())
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(diesel::QueryableByName)]
struct Scanned {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    check_in_nonce: Option<String>,
}

/// [`TicketRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgTickets {
    db: Database,
}

impl PgTickets {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl TicketRepository for PgTickets {
    fn list_held(
        &self,
        holder: UserId,
        status: Option<TicketStatus>,
        page: PageRequest,
    ) -> Result<Page<HeldTicket>, RepoError> {
        // `$2` null asks for every status.
        let status = status.map(TicketStatus::as_str);
        self.db.read(|conn| {
            let rows: Vec<Row> = Sql::new(concat!(
                "SELECT ",
                held_columns!(),
                " FROM tickets t JOIN events e ON e.id = t.event_id \
                 WHERE t.holder_id = $1 AND ($2::text IS NULL OR t.status = $2) \
                 ORDER BY t.id DESC LIMIT $3 OFFSET $4"
            ))
            .int(holder.get())
            .nullable_text(status)
            .int(i64::from(page.limit()))
            .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
            .load(conn)?;
            let count: Vec<Count> = Sql::new(
                "SELECT COALESCE(SUM(count), 0)::BIGINT AS count FROM ticket_counts \
                 WHERE holder_id = $1 AND ($2::text IS NULL OR status = $2)",
            )
            .int(holder.get())
            .nullable_text(status)
            .load(conn)?;
            Ok(Page {
                items: held(rows)?,
                total: count.first().map_or(0, |count| count.count.max(0) as u64),
            })
        })
    }

    fn find(&self, id: TicketId) -> Result<Option<HeldTicket>, RepoError> {
        self.db.look_up(|conn| find(conn, id, false))
    }

    fn cancel(
        &self,
        id: TicketId,
        holder: UserId,
        now: DateTime<Utc>,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<HeldTicket>, RepoError> {
        self.db.write(|conn| {
            // Locked: of two cancellations racing, the second waits and then sees the first's answer.
            let Some(found) = find(conn, id, true)?.filter(|found| found.ticket.holder_id == holder) else {
                return Err(RepoError::NotFound.into());
            };
            match found.ticket.status {
                TicketStatus::Cancelled => return Err(RepoError::Conflict(Conflict::AlreadyCancelled).into()),
                TicketStatus::CheckedIn => return Err(RepoError::Conflict(Conflict::AlreadyCheckedIn).into()),
                TicketStatus::Active => {}
            }
            if found.event.event_time <= now {
                return Err(RepoError::Conflict(Conflict::EventStarted).into());
            }
            Sql::new("UPDATE tickets SET status = 'cancelled', cancelled_at = $1 WHERE id = $2")
                .timestamp(now.naive_utc())
                .int(id.get())
                .execute(conn)?;
            // The start is checked again under the event's row lock: an owner moving it into the past
            // while this cancellation ran wins, and the ticket is kept.
            let freed = Sql::new(
                "UPDATE events SET tickets_sold = tickets_sold - 1 WHERE id = $1 AND event_time > $2",
            )
            .int(found.event.id.get())
            .timestamp(now.naive_utc())
            .execute(conn)?;
            if freed == 0 {
                return Err(RepoError::Conflict(Conflict::EventStarted).into());
            }
            // Still under the event's row lock: the freed place goes to the waitlist before anyone else.
            let notes = crate::waitlist::fill(conn, found.event.id, now, notices.as_ref())?;
            let recipients = crate::waitlist::notify(conn, &notes, now)?;
            let cancelled = find(conn, id, false)?
                .ok_or_else(|| RepoError::Internal("a cancelled ticket was not found".into()))?;
            Ok(Notified {
                value: cancelled,
                recipients,
            })
        })
    }

    fn attendees(&self, event: EventId, page: PageRequest) -> Result<Page<Attendee>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<AttendeeRow> = Sql::new(concat!(
                "SELECT ",
                attendee_columns!(),
                " FROM tickets t JOIN users u ON u.id = t.holder_id WHERE t.event_id = $1 \
                 ORDER BY t.id LIMIT $2 OFFSET $3"
            ))
            .int(event.get())
            .int(i64::from(page.limit()))
            .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
            .load(conn)?;
            let count: Vec<Count> = Sql::new("SELECT count FROM event_ticket_totals WHERE event_id = $1")
                .int(event.get())
                .load(conn)?;
            Ok(Page {
                items: attendees(rows)?,
                total: count.first().map_or(0, |count| count.count.max(0) as u64),
            })
        })
    }

    fn attendees_after(
        &self,
        event: EventId,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Vec<Attendee>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<AttendeeRow> = Sql::new(concat!(
                "SELECT ",
                attendee_columns!(),
                " FROM tickets t JOIN users u ON u.id = t.holder_id WHERE t.event_id = $1 AND t.id > $2 \
                 ORDER BY t.id LIMIT $3"
            ))
            .int(event.get())
            .int(after.map_or(0, TicketId::get))
            .int(i64::from(limit))
            .load(conn)?;
            attendees(rows)
        })
    }

    fn check_in(
        &self,
        event: EventId,
        code: &TicketCode,
        nonce: &CheckInNonce,
        now: DateTime<Utc>,
    ) -> Result<CheckIn, RepoError> {
        let held = |conn: &mut Conn, id: i64| -> Result<HeldTicket, StoreError> {
            find(conn, TicketId::from_stored(id), false)?
                .ok_or_else(|| RepoError::Internal("a scanned ticket was not found".into()).into())
        };
        self.db.write(|conn| {
            // Check and write in one statement: of two doors scanning one code at once, the second waits
            // for the first's row lock, then finds the ticket no longer active.
            let admitted: Vec<Id> = Sql::new(
                "UPDATE tickets SET status = 'checked_in', checked_in_at = $3, check_in_nonce = $4 \
                 WHERE code = $1 AND event_id = $2 AND status = 'active' RETURNING id",
            )
            .text(code.as_str())
            .int(event.get())
            .timestamp(now.naive_utc())
            .text(nonce.as_str())
            .load(conn)?;
            if let Some(row) = admitted.first() {
                return Ok(CheckIn::Admitted(held(conn, row.id)?));
            }
            let scanned: Vec<Scanned> =
                Sql::new("SELECT id, status, check_in_nonce FROM tickets WHERE code = $1 AND event_id = $2")
                    .text(code.as_str())
                    .int(event.get())
                    .load(conn)?;
            let Some(scanned) = scanned.into_iter().next() else {
                return Err(RepoError::NotFound.into());
            };
            match scanned.status.as_str() {
                "cancelled" => Err(RepoError::Conflict(Conflict::TicketCancelled).into()),
                _ if scanned.check_in_nonce.as_deref() == Some(nonce.as_str()) => {
                    Ok(CheckIn::Admitted(held(conn, scanned.id)?))
                }
                _ => Ok(CheckIn::AlreadyCheckedIn(held(conn, scanned.id)?)),
            }
        })
    }
}
