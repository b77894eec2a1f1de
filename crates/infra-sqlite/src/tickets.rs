//! Tickets as records, in the `tickets` table: made by a purchase (`events::purchase`), listed, given back.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use diesel::{QueryableByName, RunQueryDsl};
use plaza_domain::ticket::{
    Attendee, CheckIn, CheckInNonce, EventSummary, HeldTicket, Ticket, TicketCode, TicketRepository,
    TicketStatus,
};
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, TicketId, UserId};

use crate::conn::Conn;
use crate::db::Database;
use crate::error::StoreError;
use crate::sql::Sql;
use crate::time::StoredTime;

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
    created_at: StoredTime,
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
            created_at: row.created_at.utc(),
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
    event_time: StoredTime,
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
                event_time: row.event_time.utc(),
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

fn find(conn: &mut Conn, id: TicketId) -> Result<Option<HeldTicket>, StoreError> {
    let rows: Vec<Row> = Sql::new(concat!(
        "SELECT ",
        held_columns!(),
        " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id = ?"
    ))
    .int(id.get())
    .load(conn)?;
    Ok(held(rows)?.into_iter().next())
}

/// The ticket of `event` with this code, and the nonce of the scan that checked it in.
fn find_by_code(
    conn: &mut Conn,
    event: EventId,
    code: &str,
) -> Result<Option<(HeldTicket, Option<String>)>, StoreError> {
    let rows: Vec<Scanned> = Sql::new(concat!(
        "SELECT ",
        held_columns!(),
        ", t.check_in_nonce FROM tickets t JOIN events e ON e.id = t.event_id \
         WHERE t.code = ? AND t.event_id = ?"
    ))
    .text(code)
    .int(event.get())
    .load(conn)?;
    let Some(scanned) = rows.into_iter().next() else {
        return Ok(None);
    };
    Ok(Some((
        HeldTicket::try_from(scanned.held)?,
        scanned.check_in_nonce,
    )))
}

/// A ticket found by its code, with the nonce of the scan that checked it in: one read per scan.
#[derive(diesel::QueryableByName)]
struct Scanned {
    #[diesel(embed)]
    held: Row,
    #[diesel(sql_type = Nullable<Text>)]
    check_in_nonce: Option<String>,
}

/// Up to `limit` tickets with ids above `after`, in id order: what `migrate-data` reads out.
pub(crate) fn after(conn: &mut Conn, after: i64, limit: i64) -> Result<Vec<Ticket>, StoreError> {
    let rows: Vec<Row> = Sql::new(concat!(
        "SELECT ",
        held_columns!(),
        " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.id > ? ORDER BY t.id LIMIT ?"
    ))
    .int(after)
    .int(limit)
    .load(conn)?;
    Ok(held(rows)?.into_iter().map(|held| held.ticket).collect())
}

/// [`TicketRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteTickets {
    db: Database,
}

impl SqliteTickets {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl TicketRepository for SqliteTickets {
    fn list_held(
        &self,
        holder: UserId,
        status: Option<TicketStatus>,
        page: PageRequest,
    ) -> Result<Page<HeldTicket>, RepoError> {
        self.db.read(|conn| {
            let (rows, count): (Vec<Row>, Vec<Count>) = match status {
                None => (
                    Sql::new(concat!(
                        "SELECT ",
                        held_columns!(),
                        " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.holder_id = ? \
                         ORDER BY t.id DESC LIMIT ? OFFSET ?"
                    ))
                    .int(holder.get())
                    .int(i64::from(page.limit()))
                    .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
                    .load(conn)?,
                    Sql::new(
                        "SELECT COALESCE(SUM(count), 0) AS count FROM ticket_counts WHERE holder_id = ?",
                    )
                    .int(holder.get())
                    .load(conn)?,
                ),
                Some(status) => (
                    Sql::new(concat!(
                        "SELECT ",
                        held_columns!(),
                        " FROM tickets t JOIN events e ON e.id = t.event_id \
                         WHERE t.holder_id = ? AND t.status = ? ORDER BY t.id DESC LIMIT ? OFFSET ?"
                    ))
                    .int(holder.get())
                    .text(status.as_str())
                    .int(i64::from(page.limit()))
                    .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
                    .load(conn)?,
                    Sql::new("SELECT count FROM ticket_counts WHERE holder_id = ? AND status = ?")
                        .int(holder.get())
                        .text(status.as_str())
                        .load(conn)?,
                ),
            };
            Ok(Page {
                items: held(rows)?,
                total: count.first().map_or(0, |count| count.count.max(0) as u64),
            })
        })
    }

    fn find(&self, id: TicketId) -> Result<Option<HeldTicket>, RepoError> {
        self.db.read_one(|conn| find(conn, id))
    }

    fn cancel(
        &self,
        id: TicketId,
        holder: UserId,
        now: DateTime<Utc>,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<HeldTicket>, RepoError> {
        self.db.write(move |conn| {
            let Some(found) = find(conn, id)?.filter(|found| found.ticket.holder_id == holder) else {
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
            // One writer runs at a time, so nothing changed since the read above.
            Sql::new("UPDATE tickets SET status = 'cancelled', cancelled_at = ? WHERE id = ?")
                .timestamp(now.naive_utc())
                .int(id.get())
                .execute(conn)?;
            Sql::new("UPDATE events SET tickets_sold = tickets_sold - 1 WHERE id = ? AND event_time > ?")
                .int(found.event.id.get())
                .timestamp(now.naive_utc())
                .execute(conn)?;
            let notes = crate::waitlist::fill(conn, found.event.id, now, notices.as_ref())?;
            let recipients = crate::waitlist::notify(conn, &notes, now)?;
            let cancelled = find(conn, id)?
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
                " FROM tickets t JOIN users u ON u.id = t.holder_id WHERE t.event_id = ? \
                 ORDER BY t.id LIMIT ? OFFSET ?"
            ))
            .int(event.get())
            .int(i64::from(page.limit()))
            .int(i64::try_from(page.skip()).unwrap_or(i64::MAX))
            .load(conn)?;
            let count: Vec<Count> = Sql::new("SELECT count FROM event_ticket_totals WHERE event_id = ?")
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
        self.db.read_one(|conn| {
            let rows: Vec<AttendeeRow> = Sql::new(concat!(
                "SELECT ",
                attendee_columns!(),
                " FROM tickets t JOIN users u ON u.id = t.holder_id WHERE t.event_id = ? AND t.id > ? \
                 ORDER BY t.id LIMIT ?"
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
        let (code, nonce) = (code.as_str().to_owned(), nonce.as_str().to_owned());
        self.db.write(move |conn| {
            let Some((found, scanned_with)) = find_by_code(conn, event, &code)? else {
                return Err(RepoError::NotFound.into());
            };
            match found.ticket.status {
                TicketStatus::Cancelled => Err(RepoError::Conflict(Conflict::TicketCancelled).into()),
                TicketStatus::CheckedIn if scanned_with.as_deref() == Some(nonce.as_str()) => {
                    Ok(CheckIn::Admitted(found))
                }
                TicketStatus::CheckedIn => Ok(CheckIn::AlreadyCheckedIn(found)),
                TicketStatus::Active => {
                    // One writer runs at a time, so the ticket is still active.
                    Sql::new(
                        "UPDATE tickets SET status = 'checked_in', checked_in_at = ?, check_in_nonce = ? \
                         WHERE id = ?",
                    )
                    .timestamp(now.naive_utc())
                    .text(nonce)
                    .int(found.ticket.id.get())
                    .execute(conn)?;
                    let admitted = find(conn, found.ticket.id)?
                        .ok_or_else(|| RepoError::Internal("a checked-in ticket was not found".into()))?;
                    Ok(CheckIn::Admitted(admitted))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::db::tests::temp_db;

    /// "My tickets" reads one page from the holder's index, newest first, and its total from the counts:
    /// the cost follows the page, not how many tickets the holder has.
    #[test]
    fn a_holders_tickets_are_read_from_their_index_and_counted_from_the_totals() {
        let (_dir, db) = temp_db();
        for (sql, index) in [
            (
                concat!(
                    "SELECT ",
                    held_columns!(),
                    " FROM tickets t JOIN events e ON e.id = t.event_id WHERE t.holder_id = ? \
                     ORDER BY t.id DESC LIMIT ? OFFSET ?"
                ),
                "tickets_by_holder",
            ),
            (
                concat!(
                    "SELECT ",
                    held_columns!(),
                    " FROM tickets t JOIN events e ON e.id = t.event_id \
                     WHERE t.holder_id = ? AND t.status = ? ORDER BY t.id DESC LIMIT ? OFFSET ?"
                ),
                "tickets_by_holder_and_status",
            ),
        ] {
            let plan = db.query_plan(sql).unwrap();
            assert!(plan.iter().any(|step| step.contains(index)), "{plan:?}");
            assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
        }
        let attendees = db
            .query_plan(concat!(
                "SELECT ",
                attendee_columns!(),
                " FROM tickets t JOIN users u ON u.id = t.holder_id WHERE t.event_id = ? AND t.id > ? \
                 ORDER BY t.id LIMIT ?"
            ))
            .unwrap();
        assert!(
            attendees.iter().any(|step| step.contains("tickets_by_event")),
            "{attendees:?}"
        );
        assert!(
            !attendees.iter().any(|step| step.contains("TEMP B-TREE")),
            "{attendees:?}"
        );
        let count = db
            .query_plan("SELECT COALESCE(SUM(count), 0) AS count FROM ticket_counts WHERE holder_id = ?")
            .unwrap();
        assert!(count.iter().any(|step| step.contains("PRIMARY KEY")), "{count:?}");
    }
}
