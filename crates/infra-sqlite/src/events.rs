//! Events in the `events` table, searched through the `events_search` index.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::Sqlite;
use plaza_domain::event::{
    Capacity, Event, EventChanges, EventImage, EventQuery, EventRepository, ImageAlt, NewEvent, TimeWindow,
};
use plaza_domain::place::StoredPlace;
use plaza_domain::search::SearchTerms;
use plaza_domain::ticket::Sale;
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, UserId};

use crate::conn::{Conn, now};
use crate::db::Database;
use crate::error::StoreError;
use crate::order::Boundary;
use crate::schema::events;
use crate::schema::events::SqlType as EventColumns;
use crate::search::{
    Indexed, SearchRange, count_in, index_event, page, prepare, reindex_event, unindex_event,
};
use crate::sql::Sql;
use crate::time::StoredTime;
use crate::waitlist;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = events, check_for_backend(Sqlite))]
pub(crate) struct EventRow {
    id: i64,
    name: String,
    event_time: StoredTime,
    description: String,
    duration_hours: i64,
    duration_minutes: i64,
    tickets_sold: i64,
    max_tickets: i64,
    owner_id: i64,
    created_at: StoredTime,
    venue: Option<String>,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    image: Option<String>,
    image_alt: Option<String>,
    revision: i64,
    changed_at: Option<StoredTime>,
}

impl EventRow {
    fn indexed(&self) -> Indexed<'_> {
        Indexed {
            event_time: self.event_time.0,
            name: &self.name,
            description: &self.description,
        }
    }
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Event {
            id: EventId::from_stored(row.id),
            name: row.name,
            event_time: row.event_time.utc(),
            description: row.description,
            duration_hours: row.duration_hours,
            duration_minutes: row.duration_minutes,
            tickets_sold: row.tickets_sold,
            max_tickets: row.max_tickets,
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.utc(),
            place: StoredPlace {
                venue: row.venue,
                address: row.address,
                coordinates: StoredPlace::coordinates_from(row.latitude, row.longitude),
                online_url: row.online_url,
            },
            image: row
                .image
                .zip(row.image_alt)
                .map(|(name, alt)| EventImage { name, alt }),
            revision: row.revision,
            updated_at: row.changed_at.unwrap_or(row.created_at).utc(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct EventInsert<'a> {
    /// Set only when SQLite would otherwise reuse a removed item's id ([`crate::fresh_id::fresh_id`]).
    id: Option<i64>,
    name: &'a str,
    event_time: NaiveDateTime,
    description: &'a str,
    duration_hours: i64,
    duration_minutes: i64,
    tickets_sold: i64,
    max_tickets: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    venue: Option<&'a str>,
    address: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<&'a str>,
}

#[derive(AsChangeset)]
#[diesel(table_name = events)]
struct EventUpdate<'a> {
    name: Option<&'a str>,
    event_time: Option<NaiveDateTime>,
    description: Option<&'a str>,
    duration_hours: Option<i64>,
    duration_minutes: Option<i64>,
    max_tickets: Option<i64>,
    venue: Option<Option<&'a str>>,
    address: Option<Option<&'a str>>,
    latitude: Option<Option<f64>>,
    longitude: Option<Option<f64>>,
    online_url: Option<Option<&'a str>>,
}

impl<'a> EventUpdate<'a> {
    fn new(changes: &'a EventChanges) -> Self {
        let place = &changes.place;
        Self {
            name: changes.name.as_ref().map(|name| name.as_str()),
            event_time: changes.event_time.map(stored_time),
            description: changes.description.as_ref().map(|text| text.as_str()),
            duration_hours: changes.duration_hours.map(|hours| hours.get()),
            duration_minutes: changes.duration_minutes.map(|minutes| minutes.get()),
            max_tickets: changes.max_tickets.map(|max| max.get()),
            venue: place
                .venue
                .as_ref()
                .map(|venue| venue.as_ref().map(|v| v.as_str())),
            address: place
                .address
                .as_ref()
                .map(|address| address.as_ref().map(|a| a.as_str())),
            latitude: place.coordinates.map(|point| point.map(|p| p.latitude())),
            longitude: place.coordinates.map(|point| point.map(|p| p.longitude())),
            online_url: place
                .online_url
                .as_ref()
                .map(|url| url.as_ref().map(|u| u.as_str())),
        }
    }
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    events: i64,
}

#[derive(QueryableByName)]
struct TotalAndVersion {
    #[diesel(sql_type = BigInt)]
    events: i64,
    #[diesel(sql_type = BigInt)]
    search_version: i64,
}

/// How many events there are, and the search index's version (see [`crate::search::count_in`]), in one
/// read of their row.
fn event_total_and_index_version(conn: &mut Conn) -> QueryResult<(i64, i64)> {
    Sql::new("SELECT events, search_version FROM event_total WHERE id = 1")
        .get_result::<TotalAndVersion>(conn)
        .map(|row| (row.events, row.search_version))
}

/// Where a time window's events lie among all events in list order: a window is always one run of the
/// list, so it is known by how many events come before its boundary.
#[derive(Debug, Clone, Copy)]
enum Split {
    /// Every event, in list order.
    All,
    /// The events from `position` on (`None`: no event is that late), after the `before` earlier ones.
    From { position: Option<i64>, before: i64 },
    /// The `before` events below `position` (`None`: every event), read backwards.
    Below { position: Option<i64>, before: i64 },
}

/// The split of the list for `window`, among the `all` events of index `version` (both read in `conn`'s
/// snapshot).
fn split(db: &Database, conn: &mut Conn, window: TimeWindow, all: i64, version: i64) -> QueryResult<Split> {
    Ok(match window {
        TimeWindow::All => Split::All,
        TimeWindow::Upcoming(now) => {
            let Boundary { position, before } = db.boundaries.at(conn, version, all, stored_time(now))?;
            Split::From { position, before }
        }
        TimeWindow::Past(now) => {
            let Boundary { position, before } = db.boundaries.at(conn, version, all, stored_time(now))?;
            Split::Below { position, before }
        }
    })
}

/// A page of the events of `split` and how many it holds: positions counted through the bucket totals, so
/// neither the boundary nor a deep page costs a walk over the events before it.
fn list_page(
    conn: &mut Conn,
    split: Split,
    all: i64,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<EventRow>)> {
    match split {
        Split::All => Ok((all, crate::order::page(conn, offset, limit)?)),
        Split::From { before, .. } => {
            let total = all - before;
            let rows = if offset < total {
                crate::order::page(conn, before + offset, limit)?
            } else {
                Vec::new()
            };
            Ok((total, rows))
        }
        Split::Below { before, .. } => {
            // The past, latest first, is the list read backwards from its boundary.
            let end = before - offset;
            if end <= 0 {
                return Ok((before, Vec::new()));
            }
            let start = (end - limit).max(0);
            let mut rows = crate::order::page(conn, start, end - start)?;
            rows.reverse();
            Ok((before, rows))
        }
    }
}

/// A search page and its total, in one snapshot, on the search connections.
fn search(db: &Database, terms: &SearchTerms, query: &EventQuery) -> Result<Page<Event>, RepoError> {
    let (offset, limit) = query.page.offset_and_limit();
    db.read_for_search(|conn| {
        let (all, version) = event_total_and_index_version(conn)?;
        let prepared = prepare(conn, &db.search_counts, version, terms)?;
        let count_in = |conn: &mut Conn, range| count_in(conn, &db.search_counts, version, &prepared, range);
        let (range, complement) = match split(db, conn, query.window, all, version)? {
            Split::All => (SearchRange::All, None),
            Split::From { position: None, .. } => {
                return Ok(Page {
                    items: Vec::new(),
                    total: 0,
                });
            }
            Split::From {
                position: Some(position),
                before,
            } => (
                SearchRange::From(position),
                Some((SearchRange::BelowBackwards(position), all - before, before)),
            ),
            Split::Below { position: None, .. } => (SearchRange::AllBackwards, None),
            Split::Below {
                position: Some(position),
                before,
            } => (
                SearchRange::BelowBackwards(position),
                Some((SearchRange::From(position), before, all - before)),
            ),
        };
        let total = match (prepared.counted, complement) {
            (Some(matches), None) => matches,
            // With every match counted already, count the matches on the side of the boundary that holds
            // fewer events and take them from the whole.
            (Some(matches), Some((other, inside, outside))) if outside < inside => {
                matches - count_in(conn, other)?
            }
            _ => count_in(conn, range)?,
        };
        let total = total.unsigned_abs();
        if total <= offset.unsigned_abs() {
            return Ok(Page {
                items: Vec::new(),
                total,
            });
        }
        let rows: Vec<EventRow> = page(conn, &prepared, range, offset, limit)?;
        Ok(Page {
            items: rows.into_iter().map(Event::from).collect(),
            total,
        })
    })
}

/// Deletes the event `id` inside the caller's write, telling its ticket holders through `notices`; answers
/// the event as it was and who was told. `NotFound` when it is not there.
pub(crate) fn delete_in(
    conn: &mut Conn,
    id: EventId,
    notices: &dyn HolderNotices,
) -> Result<(Event, Vec<UserId>), StoreError> {
    let event = find(conn, id)?.ok_or(RepoError::NotFound)?;
    let told = waitlist::notice_event(conn, id)?.ok_or(RepoError::NotFound)?;
    let notes = waitlist::tell_holders(conn, &told, |event, organiser, holder| {
        notices.event_deleted(event, organiser, holder)
    })?;
    let recipients = waitlist::notify(conn, &notes, crate::conn::now().and_utc())?;
    let indexed = Indexed {
        event_time: event.event_time.naive_utc(),
        name: &event.name,
        description: &event.description,
    };
    unindex_event(conn, id.get(), indexed)?;
    diesel::delete(events::table.find(id.get())).execute(conn)?;
    Ok((event, recipients))
}

/// [`feed_of`]'s statement, given the user three times, then the start, the limit, the start, the limit.
const FEED_SQL: &str = concat!(
    "WITH RECURSIVE held(event_id) AS ( \
           SELECT min(event_id) FROM tickets WHERE holder_id = ? AND status <> 'cancelled' \
           UNION ALL \
           SELECT (SELECT min(event_id) FROM tickets \
                   WHERE holder_id = ? AND status <> 'cancelled' AND event_id > held.event_id) \
           FROM held WHERE held.event_id IS NOT NULL), \
         feed(feed_id) AS ( \
           SELECT id FROM (SELECT id FROM events INDEXED BY events_by_owner_time \
             WHERE owner_id = ? AND event_time >= ? ORDER BY event_time, id LIMIT ?) \
           UNION SELECT event_id FROM held WHERE event_id IS NOT NULL) \
         SELECT ",
    event_columns!(),
    " FROM feed CROSS JOIN events ON events.id = feed.feed_id \
         WHERE event_time >= ? ORDER BY event_time, id LIMIT ?"
);

/// The events `user` organises or holds a place at (an active or checked-in ticket) that start at or after
/// `from`, in list order, at most `limit`. The organised side is read through the owner's time index and
/// cut at `limit`; the held side steps from one held event to the next through `tickets_held_events`
/// (one look-up per event, however many tickets of it the holder has), so the cost follows the events
/// involved, not the tickets or the whole table.
pub(crate) fn feed_of(
    conn: &mut Conn,
    user: UserId,
    from: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Event>, StoreError> {
    let from = stored_time(from);
    let rows: Vec<EventRow> = Sql::new(FEED_SQL)
        .int(user.get())
        .int(user.get())
        .int(user.get())
        .timestamp(from)
        .int(limit)
        .timestamp(from)
        .int(limit)
        .rows::<EventColumns>()
        .load(conn)?;
    Ok(rows.into_iter().map(Event::from).collect())
}

pub(crate) fn find(conn: &mut Conn, id: EventId) -> Result<Option<Event>, StoreError> {
    Ok(events::table
        .find(id.get())
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .map(Event::from))
}

/// [`EventRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqliteEventRepository {
    db: Database,
}

impl SqliteEventRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// An event time as every store keeps it: to the microsecond, finer digits dropped (PostgreSQL's
/// timestamps hold no more).
fn stored_time(time: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    use chrono::SubsecRound;
    time.naive_utc().trunc_subsecs(6)
}

impl EventRepository for SqliteEventRepository {
    fn create(&self, event: NewEvent) -> Result<Event, RepoError> {
        self.db.write(move |conn| {
            let id = crate::fresh_id::fresh_id(conn, plaza_domain::modlog::TargetKind::Event)?;
            let row: EventRow = diesel::insert_into(events::table)
                .values(EventInsert {
                    id,
                    name: event.name.as_str(),
                    event_time: stored_time(event.event_time),
                    description: event.description.as_str(),
                    duration_hours: event.duration_hours.get(),
                    duration_minutes: event.duration_minutes.get(),
                    tickets_sold: event.capacity.sold(),
                    max_tickets: event.capacity.max().get(),
                    owner_id: event.owner_id.get(),
                    created_at: now(),
                    venue: event.place.venue.as_ref().map(|venue| venue.as_str()),
                    address: event.place.address.as_ref().map(|address| address.as_str()),
                    latitude: event.place.coordinates.map(|point| point.latitude()),
                    longitude: event.place.coordinates.map(|point| point.longitude()),
                    online_url: event.place.online_url.as_ref().map(|url| url.as_str()),
                })
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            index_event(conn, row.id, row.indexed())?;
            Ok(row.into())
        })
    }

    fn find(&self, id: EventId) -> Result<Option<Event>, RepoError> {
        self.db.read_one(|conn| find(conn, id))
    }

    fn list(&self, query: &EventQuery) -> Result<Page<Event>, RepoError> {
        if let Some(terms) = &query.search {
            return search(&self.db, terms, query);
        }
        let (offset, limit) = query.page.offset_and_limit();
        self.db.read(|conn| {
            let (all, version) = event_total_and_index_version(conn)?;
            let split = split(&self.db, conn, query.window, all, version)?;
            let (total, rows) = list_page(conn, split, all, offset, limit)?;
            Ok(Page {
                items: rows.into_iter().map(Event::from).collect(),
                total: total.unsigned_abs(),
            })
        })
    }

    fn list_by_owner(
        &self,
        owner: UserId,
        window: TimeWindow,
        page: PageRequest,
    ) -> Result<Page<Event>, RepoError> {
        let (offset, limit) = page.offset_and_limit();
        self.db.read(|conn| {
            // One organiser's events are few: counted and paged through their own index.
            let (bound, total_sql, page_sql) = match window {
                TimeWindow::All => (
                    None,
                    "SELECT count(*) AS events FROM events WHERE owner_id = ?",
                    concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM events INDEXED BY events_by_owner_time WHERE owner_id = ? \
                         ORDER BY event_time, id LIMIT ? OFFSET ?"
                    ),
                ),
                TimeWindow::Upcoming(now) => (
                    Some(now),
                    "SELECT count(*) AS events FROM events WHERE owner_id = ? AND event_time >= ?",
                    concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM events INDEXED BY events_by_owner_time WHERE owner_id = ? AND event_time >= ? \
                         ORDER BY event_time, id LIMIT ? OFFSET ?"
                    ),
                ),
                TimeWindow::Past(now) => (
                    Some(now),
                    "SELECT count(*) AS events FROM events WHERE owner_id = ? AND event_time < ?",
                    concat!(
                        "SELECT ",
                        event_columns!(),
                        " FROM events INDEXED BY events_by_owner_time WHERE owner_id = ? AND event_time < ? \
                         ORDER BY event_time DESC, id DESC LIMIT ? OFFSET ?"
                    ),
                ),
            };
            let bind = |sql: &'static str| {
                let query = Sql::new(sql).int(owner.get());
                match bound {
                    Some(now) => query.timestamp(stored_time(now)),
                    None => query,
                }
            };
            let total = bind(total_sql).get_result::<Total>(conn)?.events;
            let rows: Vec<EventRow> = bind(page_sql)
                .int(limit)
                .int(offset)
                .rows::<EventColumns>()
                .load(conn)?;
            Ok(Page {
                items: rows.into_iter().map(Event::from).collect(),
                total: total.unsigned_abs(),
            })
        })
    }

    fn update(
        &self,
        id: EventId,
        changes: EventChanges,
        now: DateTime<Utc>,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<Event>, RepoError> {
        self.db.write(move |conn| {
            let current = find(conn, id)?.ok_or(RepoError::NotFound)?;
            // Values it already has change nothing: no write, no new revision, nobody told.
            if !changes.alters(&current) {
                return Ok(Notified::quietly(current));
            }
            let update = EventUpdate::new(&changes);
            // Inside the immediate transaction no purchase can land between this check and the write.
            if changes
                .max_tickets
                .is_some_and(|max| Capacity::new(current.tickets_sold, max).is_err())
            {
                return Err(RepoError::Conflict(Conflict::CapacityBelowSold).into());
            }
            let row: EventRow = diesel::update(events::table.find(id.get()))
                .set((
                    &update,
                    events::revision.eq(events::revision + 1),
                    events::changed_at.eq(stored_time(now)),
                ))
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            let before = Indexed {
                event_time: current.event_time.naive_utc(),
                name: &current.name,
                description: &current.description,
            };
            reindex_event(conn, row.id, before, row.indexed())?;
            let updated = Event::from(row);
            let moved = updated.event_time != current.event_time;
            let mut notes = Vec::new();
            if moved {
                let event = waitlist::notice_event(conn, id)?.ok_or(RepoError::NotFound)?;
                notes = waitlist::tell_holders(conn, &event, |event, organiser, holder| {
                    notices.time_changed(event, organiser, holder)
                })?;
            }
            // New places, or places an event moved back before its start offers again: the line first.
            let offered = moved || updated.max_tickets > current.max_tickets;
            if offered {
                notes.extend(waitlist::fill(conn, id, now, notices.as_ref())?);
            }
            // One write of every notice, in recipient order (on PostgreSQL, the order inbox rows lock in).
            let recipients = waitlist::notify(conn, &notes, now)?;
            // A fill may have sold places: answer the count as it now is.
            let value = if offered {
                find(conn, id)?.ok_or(RepoError::NotFound)?
            } else {
                updated
            };
            Ok(Notified { value, recipients })
        })
    }

    fn delete(&self, id: EventId, notices: Box<dyn HolderNotices>) -> Result<Notified<()>, RepoError> {
        self.db.write(move |conn| {
            let (_, recipients) = delete_in(conn, id, notices.as_ref())?;
            Ok(Notified {
                value: (),
                recipients,
            })
        })
    }

    fn set_image(
        &self,
        id: EventId,
        name: String,
        alt: ImageAlt,
    ) -> Result<(Event, Option<String>), RepoError> {
        self.db.write(move |conn| {
            let replaced = find(conn, id)?.ok_or(RepoError::NotFound)?.image;
            let row: EventRow = diesel::update(events::table.find(id.get()))
                .set((events::image.eq(name), events::image_alt.eq(alt.into_inner())))
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            Ok((row.into(), replaced.map(|image| image.name)))
        })
    }

    fn purchase(&self, sale: Sale) -> Result<Event, RepoError> {
        self.db.write(move |conn| {
            // Check and write in one statement: the row changes only if the event has not started and the
            // sale still fits.
            let sold: Option<EventRow> = Sql::new(concat!(
                "UPDATE events SET tickets_sold = tickets_sold + ? ",
                "WHERE id = ? AND tickets_sold + ? <= max_tickets AND event_time > ? RETURNING ",
                event_columns!()
            ))
            .int(sale.quantity())
            .int(sale.event.get())
            .int(sale.quantity())
            .timestamp(stored_time(sale.now))
            .rows::<EventColumns>()
            .get_result(conn)
            .optional()?;
            match sold {
                Some(row) => {
                    crate::issue::issue(conn, &sale)?;
                    if let Some(receipt) = &sale.receipt {
                        crate::mail::enqueue(conn, receipt)?;
                    }
                    Ok(row.into())
                }
                None => Err(StoreError::from(Event::why_unsold(
                    find(conn, sale.event)?,
                    sale.now,
                ))),
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::db::tests::temp_db;
    use crate::users::SqliteUserRepository;
    use crate::users::tests::new_user;
    use chrono::{TimeZone, Utc};
    use plaza_domain::PageRequest;
    use plaza_domain::event::{
        Capacity, DurationHours, DurationMinutes, EventDescription, EventName, MaxTickets, TicketQuantity,
    };
    use plaza_domain::user::UserRepository;

    pub(crate) fn new_event(owner: UserId, name: &str, description: &str, day: u32, max: i64) -> NewEvent {
        NewEvent {
            name: EventName::parse(name).unwrap(),
            event_time: Utc.with_ymd_and_hms(2027, 1, day, 18, 0, 0).unwrap(),
            description: EventDescription::parse(description).unwrap(),
            duration_hours: DurationHours::parse(2).unwrap(),
            duration_minutes: DurationMinutes::parse(30).unwrap(),
            capacity: Capacity::new(0, MaxTickets::parse(max).unwrap()).unwrap(),
            owner_id: owner,
            place: Default::default(),
        }
    }

    fn setup() -> (tempfile::TempDir, Database, SqliteEventRepository, UserId) {
        let (dir, db) = temp_db();
        let owner = SqliteUserRepository::new(db.clone())
            .create(new_user("owner"))
            .unwrap()
            .id;
        (dir, db.clone(), SqliteEventRepository::new(db), owner)
    }

    fn search(repo: &SqliteEventRepository, text: &str) -> Vec<String> {
        let query = EventQuery {
            search: SearchTerms::parse(text),
            window: TimeWindow::All,
            page: PageRequest::default(),
        };
        repo.list(&query)
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.name)
            .collect()
    }

    #[test]
    fn lists_in_time_order_with_totals() {
        let (_dir, _db, repo, owner) = setup();
        for (name, day) in [("third", 3), ("first", 1), ("second", 2)] {
            repo.create(new_event(owner, name, "", day, 10)).unwrap();
        }
        let page = repo
            .list(&EventQuery {
                search: None,
                window: TimeWindow::All,
                page: PageRequest::new(Some(1), Some(5)).unwrap(),
            })
            .unwrap();
        assert_eq!(page.total, 3);
        assert_eq!(
            page.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["second", "third"]
        );
    }

    #[test]
    fn search_matches_word_prefixes_in_name_or_description_ignoring_case() {
        let (_dir, _db, repo, owner) = setup();
        repo.create(new_event(owner, "Rust Meetup", "talks and pizza", 1, 10))
            .unwrap();
        repo.create(new_event(
            owner,
            "Knitting circle",
            "bring your own RUST-coloured yarn",
            2,
            10,
        ))
        .unwrap();
        repo.create(new_event(owner, "Café night", "100% fun", 3, 10))
            .unwrap();
        assert_eq!(search(&repo, "meet"), ["Rust Meetup"]);
        assert_eq!(search(&repo, "rust"), ["Rust Meetup", "Knitting circle"]);
        assert_eq!(search(&repo, "PIZZA rust"), ["Rust Meetup"]);
        assert_eq!(search(&repo, "cafe"), ["Café night"]);
        assert!(search(&repo, "nothing-like-this").is_empty());
    }

    #[test]
    fn search_syntax_in_user_text_is_data() {
        let (_dir, _db, repo, owner) = setup();
        repo.create(new_event(owner, "Rust Meetup", "near the station", 1, 10))
            .unwrap();
        for text in [
            r#""unterminated"#,
            "a AND",
            "NEAR(",
            "rust OR",
            "*",
            "%",
            "_",
            "') OR 1=1 --",
            "rust\"*",
        ] {
            let query = EventQuery {
                search: SearchTerms::parse(text),
                window: TimeWindow::All,
                page: PageRequest::default(),
            };
            assert!(repo.list(&query).is_ok(), "{text}");
        }
        assert_eq!(
            search(&repo, "NEAR"),
            ["Rust Meetup"],
            "NEAR is a word, not an operator"
        );
        assert!(
            search(&repo, "rust OR pizza").is_empty(),
            "OR is a word, not an operator"
        );
    }

    #[test]
    fn the_index_follows_updates_and_deletes() {
        let (_dir, _db, repo, owner) = setup();
        let event = repo.create(new_event(owner, "Old name", "", 1, 10)).unwrap();
        let changes = EventChanges {
            name: Some(EventName::parse("Fresh title").unwrap()),
            ..Default::default()
        };
        repo.update(
            event.id,
            changes,
            chrono::Utc::now(),
            plaza_port_contract::notices(),
        )
        .map(|n| n.value)
        .unwrap();
        assert!(search(&repo, "old").is_empty());
        assert_eq!(search(&repo, "fresh"), ["Fresh title"]);
        repo.delete(event.id, plaza_port_contract::notices()).unwrap();
        assert!(search(&repo, "fresh").is_empty());
        assert!(matches!(
            repo.delete(event.id, plaza_port_contract::notices()),
            Err(RepoError::NotFound)
        ));
    }

    /// Events with overlapping words in several scripts, at times that repeat (so ties are ordered by id).
    fn varied_corpus(repo: &SqliteEventRepository, owner: UserId, count: u64) -> Vec<Event> {
        const WORDS: [&str; 20] = [
            "music",
            "musical",
            "musician",
            "musicians",
            "Rust",
            "rusty",
            "meetup",
            "meet",
            "Café",
            "cafe",
            "周末音乐会",
            "音乐",
            "公园",
            "東京タワー",
            "タワー",
            "bread",
            "b",
            // Letters by Rust's rule that a Unicode tokenizer would take for symbols or separators.
            "🅿",
            "free🅿",
            "ǅx",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |bound: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % bound).unwrap()
        };
        (0..count)
            .map(|_| {
                let name_words = 1 + next(3);
                let name = (0..name_words)
                    .map(|_| WORDS[next(WORDS.len() as u64)])
                    .collect::<Vec<_>>()
                    .join(" ");
                let description_words = next(5);
                let description = (0..description_words)
                    .map(|_| WORDS[next(WORDS.len() as u64)])
                    .collect::<Vec<_>>()
                    .join(" ");
                let day = u32::try_from(1 + next(20)).unwrap();
                let mut event = new_event(owner, &name, &description, day, 10);
                if next(3) == 0 {
                    // Every column of a page's rows read back in its place (a venue and an address are
                    // both text, the coordinates both numbers).
                    event.place = plaza_domain::place::Place {
                        venue: Some(plaza_domain::place::Venue::parse("Hall").unwrap()),
                        address: Some(plaza_domain::place::Address::parse("1 Street").unwrap()),
                        coordinates: Some(plaza_domain::place::Coordinates::new(48.2, 16.3).unwrap()),
                        online_url: Some(
                            plaza_domain::place::OnlineUrl::parse("https://example.org/").unwrap(),
                        ),
                    };
                }
                repo.create(event).unwrap()
            })
            .collect()
    }

    /// The ids matching `terms` by the domain's rule alone, in list order.
    fn matches_by_rule(events: &[Event], terms: &SearchTerms) -> Vec<i64> {
        let mut matching: Vec<&Event> = events
            .iter()
            .filter(|event| {
                let mut tokens = plaza_domain::search::index_tokens(&event.name);
                tokens.extend(plaza_domain::search::index_tokens(&event.description));
                terms.terms().iter().all(|term| {
                    tokens.iter().any(|token| {
                        if term.prefix {
                            token.starts_with(&term.token)
                        } else {
                            *token == term.token
                        }
                    })
                })
            })
            .collect();
        matching.sort_by_key(|event| (event.event_time, event.id.get()));
        matching.iter().map(|event| event.id.get()).collect()
    }

    const QUERIES: [&str; 24] = [
        "🅿",
        "free 🅿",
        "free",
        "ǅ",
        "mus",
        "music",
        "musical",
        "musician",
        "musicians",
        "m",
        "rust",
        "café",
        "CAFE",
        "音",
        "音乐",
        "乐会",
        "周末 音乐",
        "タワー",
        "meet rust",
        "b",
        "bread music 公园",
        "musician bread",
        "musical rust",
        "nothing",
    ];

    /// The events of `window` among `in_list_order`, in the window's order (the past latest first).
    fn listed_in<'a>(window: TimeWindow, in_list_order: impl Iterator<Item = &'a Event>) -> Vec<&'a Event> {
        let mut listed: Vec<&Event> = in_list_order
            .filter(|event| match window {
                TimeWindow::All => true,
                TimeWindow::Upcoming(now) => event.event_time >= now,
                TimeWindow::Past(now) => event.event_time < now,
            })
            .collect();
        if matches!(window, TimeWindow::Past(_)) {
            listed.reverse();
        }
        listed
    }

    fn assert_search_agrees_with_the_rule(db: &Database, events: &[Event]) {
        let in_list_order = {
            let mut sorted: Vec<&Event> = events.iter().collect();
            sorted.sort_by_key(|event| (event.event_time, event.id.get()));
            sorted.iter().map(|event| event.id.get()).collect::<Vec<_>>()
        };
        let by_position = db
            .read(|conn| {
                Ok(
                    diesel::sql_query("SELECT event_id AS id FROM event_order ORDER BY position")
                        .load::<IdRow>(conn)?
                        .into_iter()
                        .map(|row| row.id)
                        .collect::<Vec<_>>(),
                )
            })
            .unwrap();
        assert_eq!(by_position, in_list_order, "positions sort like the list");
        // The plain list through the repository, whose remembered boundary outlives each call, in every
        // window, its events whole (read by position) as they were written.
        let repository = SqliteEventRepository::new(db.clone());
        let now = Utc.with_ymd_and_hms(2027, 1, 8, 12, 0, 0).unwrap();
        let windows = [TimeWindow::All, TimeWindow::Upcoming(now), TimeWindow::Past(now)];
        let by_id = |id: &i64| events.iter().find(|event| event.id.get() == *id).unwrap();
        for window in windows {
            let listed = listed_in(window, in_list_order.iter().map(by_id));
            for (skip, limit) in [(0usize, 20usize), (7, 5), (listed.len().saturating_sub(3), 10)] {
                let page = repository
                    .list(&EventQuery {
                        search: None,
                        window,
                        page: PageRequest::new(
                            Some(i64::try_from(skip).unwrap()),
                            Some(i64::try_from(limit).unwrap()),
                        )
                        .unwrap(),
                    })
                    .unwrap();
                assert_eq!(page.total, listed.len() as u64, "{window:?}");
                let want: Vec<Event> = listed
                    .iter()
                    .skip(skip)
                    .take(limit)
                    .map(|event| (*event).clone())
                    .collect();
                assert_eq!(page.items, want, "{window:?} {skip}+{limit}");
            }
        }
        for text in QUERIES {
            let terms = SearchTerms::parse(text).unwrap();
            let expected = matches_by_rule(events, &terms);
            let prepared = db
                .read(|conn| {
                    Ok(prepare(
                        conn,
                        &plaza_domain::count_memo::CountMemo::new(1),
                        0,
                        &terms,
                    )?)
                })
                .unwrap();
            let counted = db
                .read(|conn| {
                    Ok(count_in(
                        conn,
                        &plaza_domain::count_memo::CountMemo::new(1),
                        0,
                        &prepared,
                        SearchRange::All,
                    )?)
                })
                .unwrap();
            assert_eq!(counted.unsigned_abs(), expected.len() as u64, "count of {text}");
            if let Some(kept) = prepared.counted {
                assert_eq!(kept, counted, "kept count of {text}");
            }
            // Through the repository, whose memos outlive each call (the counts it remembers are
            // of the index version they were read at), in every window.
            for window in windows {
                let want: Vec<i64> = listed_in(window, expected.iter().map(by_id))
                    .iter()
                    .map(|event| event.id.get())
                    .collect();
                let page = repository
                    .list(&EventQuery {
                        search: Some(terms.clone()),
                        window,
                        page: PageRequest::new(Some(0), Some(100)).unwrap(),
                    })
                    .unwrap();
                assert_eq!(page.total, want.len() as u64, "total of {text} in {window:?}");
                let got: Vec<i64> = page.items.iter().map(|event| event.id.get()).collect();
                assert_eq!(
                    got,
                    want.into_iter().take(100).collect::<Vec<_>>(),
                    "{text} in {window:?}"
                );
            }
            for (offset, limit) in [(0usize, 10usize), (5, 7), (30, 50), (0, 1_000)] {
                let want: Vec<i64> = expected.iter().copied().skip(offset).take(limit).collect();
                let got: Vec<i64> = db
                    .read(|conn| {
                        Ok(page::<EventRow>(
                            conn,
                            &prepared,
                            SearchRange::All,
                            i64::try_from(offset).unwrap(),
                            i64::try_from(limit).unwrap(),
                        )?)
                    })
                    .unwrap()
                    .into_iter()
                    .map(|row| row.id)
                    .collect();
                assert_eq!(got, want, "page {offset}+{limit} of {text}");
            }
        }
    }

    #[derive(QueryableByName)]
    struct IdRow {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    #[test]
    fn search_pages_and_counts_agree_with_the_rule_through_edits() {
        let (_dir, db, repo, owner) = setup();
        let mut events = varied_corpus(&repo, owner, 300);
        assert_search_agrees_with_the_rule(&db, &events);

        // Renames, moves in time (into crowded days: positions are spread out again and again) and
        // deletions keep every position, count and page right.
        for (at, event) in events.iter_mut().enumerate().filter(|(at, _)| at % 7 == 0) {
            let day = 1 + u32::try_from(at % 3).unwrap();
            let changes = EventChanges {
                name: Some(
                    EventName::parse(if at % 2 == 0 {
                        "Rust bread"
                    } else {
                        "音乐 musician"
                    })
                    .unwrap(),
                ),
                event_time: Some(Utc.with_ymd_and_hms(2027, 1, day, 9, 0, 0).unwrap()),
                ..Default::default()
            };
            *event = repo
                .update(
                    event.id,
                    changes,
                    chrono::Utc::now(),
                    plaza_port_contract::notices(),
                )
                .map(|n| n.value)
                .unwrap();
        }
        let deleted: Vec<EventId> = events.iter().step_by(11).map(|event| event.id).collect();
        for id in &deleted {
            repo.delete(*id, plaza_port_contract::notices()).unwrap();
        }
        events.retain(|event| !deleted.contains(&event.id));
        assert_search_agrees_with_the_rule(&db, &events);
        let total = repo
            .list(&EventQuery {
                search: None,
                window: TimeWindow::All,
                page: PageRequest::default(),
            })
            .unwrap()
            .total;
        assert_eq!(total, events.len() as u64);

        // A rebuild from scratch gives the same answers.
        db.execute_batch("UPDATE search_index_state SET version = 0")
            .unwrap();
        let mut conn = db.dedicated_connection().unwrap();
        crate::search::rebuild_if_stale(&mut conn).unwrap();
        assert_search_agrees_with_the_rule(&db, &events);
    }

    #[test]
    fn pages_read_indexes_in_list_order_without_sorting_the_matches() {
        let (_dir, db, repo, owner) = setup();
        varied_corpus(&repo, owner, 50);
        db.execute_batch("ANALYZE;").unwrap();
        let plan_of = |sql: &str| db.query_plan(sql).unwrap();

        // The statements as they run, their parameters unbound: with stable query plans (see
        // `db::stable_query_plans`) SQLite plans them without their values, so this is the plan they get.
        let search = plan_of(SearchRange::All.page_sql());
        for range in [SearchRange::From(0), SearchRange::BelowBackwards(0)] {
            let windowed = plan_of(range.page_sql());
            assert!(
                !windowed
                    .iter()
                    .any(|line| line.contains("TEMP B-TREE") || line.starts_with("SCAN o")),
                "{range:?}: {windowed:?}"
            );
        }
        let owned = plan_of(
            "SELECT id FROM events INDEXED BY events_by_owner_time WHERE owner_id = ? AND event_time < ? \
             ORDER BY event_time DESC, id DESC LIMIT ?",
        );
        assert!(
            !owned.iter().any(|line| line.contains("TEMP B-TREE")),
            "{owned:?}"
        );
        assert!(
            search
                .iter()
                .any(|line| line.contains("events_search VIRTUAL TABLE INDEX")),
            "{search:?}"
        );
        assert!(
            search.iter().any(|line| line.contains("COVERING INDEX")),
            "{search:?}"
        );
        assert!(
            !search
                .iter()
                .any(|line| line.contains("TEMP B-TREE") || line.starts_with("SCAN o")),
            "{search:?}"
        );

        // The list's page skips positions in their own index, in a subquery, and reads only the page's
        // events (sorting those few rows back into the subquery's order).
        let list = plan_of(crate::order::PAGE_SQL);
        assert_eq!(
            list.iter()
                .filter(|line| !line.contains("TEMP B-TREE FOR ORDER BY"))
                .cloned()
                .collect::<Vec<_>>(),
            [
                "CO-ROUTINE page",
                "SEARCH event_order USING COVERING INDEX sqlite_autoindex_event_order_1 (position>?)",
                "SCAN page",
                "SEARCH events USING INTEGER PRIMARY KEY (rowid=?)",
            ],
            "{list:?}"
        );
    }

    #[test]
    fn a_private_feed_steps_through_the_held_events_and_sorts_only_what_it_found() {
        let (_dir, db, repo, owner) = setup();
        varied_corpus(&repo, owner, 50);
        db.execute_batch("ANALYZE;").unwrap();
        let plan = db.query_plan(super::FEED_SQL).unwrap();
        assert!(
            plan.iter()
                .filter(|line| line.contains("tickets_held_events"))
                .count()
                >= 2,
            "both steps of the held events use their index: {plan:?}"
        );
        assert!(
            plan.iter().any(|line| line.contains("events_by_owner_time")),
            "{plan:?}"
        );
        assert!(
            !plan
                .iter()
                .any(|line| line.starts_with("SCAN events") || line.starts_with("SCAN tickets")),
            "no table is read whole: {plan:?}"
        );
    }

    #[test]
    fn search_finds_chinese_and_japanese_words_inside_runs() {
        let (_dir, _db, repo, owner) = setup();
        repo.create(new_event(owner, "周末音乐会", "在公园举行的户外活动", 1, 10))
            .unwrap();
        repo.create(new_event(owner, "東京タワー見学", "みんなで行きましょう", 2, 10))
            .unwrap();
        repo.create(new_event(owner, "Rust 勉強会 in Tokyo", "Café talks", 3, 10))
            .unwrap();
        for query in ["周末", "音乐", "音乐会", "公园", "户外活动", "乐"] {
            assert_eq!(search(&repo, query), ["周末音乐会"], "{query}");
        }
        for query in ["タワー", "京タ", "見学", "行き"] {
            assert_eq!(search(&repo, query), ["東京タワー見学"], "{query}");
        }
        assert_eq!(search(&repo, "勉強 rust"), ["Rust 勉強会 in Tokyo"]);
        assert_eq!(search(&repo, "cafe TOK"), ["Rust 勉強会 in Tokyo"]);
        assert!(
            search(&repo, "音乐节").is_empty(),
            "a pair that is not in the text"
        );
    }

    #[test]
    fn purchases_stop_at_capacity() {
        let (_dir, _db, repo, owner) = setup();
        let event = repo.create(new_event(owner, "Small", "", 1, 5)).unwrap();
        let three = TicketQuantity::parse(3).unwrap();
        assert_eq!(
            repo.purchase(plaza_port_contract::sale(
                event.id,
                owner,
                three,
                chrono::DateTime::UNIX_EPOCH
            ))
            .unwrap()
            .tickets_sold,
            3
        );
        assert!(matches!(
            repo.purchase(plaza_port_contract::sale(
                event.id,
                owner,
                three,
                chrono::DateTime::UNIX_EPOCH
            )),
            Err(RepoError::Conflict(Conflict::SoldOut))
        ));
        assert_eq!(
            repo.purchase(plaza_port_contract::sale(
                event.id,
                owner,
                TicketQuantity::parse(2).unwrap(),
                chrono::DateTime::UNIX_EPOCH
            ))
            .unwrap()
            .tickets_sold,
            5
        );
        assert!(matches!(
            repo.purchase(plaza_port_contract::sale(
                EventId::from_stored(999),
                owner,
                three,
                chrono::DateTime::UNIX_EPOCH
            )),
            Err(RepoError::NotFound)
        ));
    }

    #[test]
    fn capacity_cannot_drop_below_sales() {
        let (_dir, _db, repo, owner) = setup();
        let event = repo.create(new_event(owner, "Small", "", 1, 5)).unwrap();
        repo.purchase(plaza_port_contract::sale(
            event.id,
            owner,
            TicketQuantity::parse(4).unwrap(),
            chrono::DateTime::UNIX_EPOCH,
        ))
        .unwrap();
        let lower = |max| EventChanges {
            max_tickets: Some(MaxTickets::parse(max).unwrap()),
            ..Default::default()
        };
        assert!(matches!(
            repo.update(
                event.id,
                lower(3),
                chrono::Utc::now(),
                plaza_port_contract::notices()
            )
            .map(|n| n.value),
            Err(RepoError::Conflict(Conflict::CapacityBelowSold))
        ));
        assert_eq!(
            repo.update(
                event.id,
                lower(4),
                chrono::Utc::now(),
                plaza_port_contract::notices()
            )
            .map(|n| n.value)
            .unwrap()
            .max_tickets,
            4
        );
        assert!(matches!(
            repo.update(
                EventId::from_stored(999),
                lower(4),
                chrono::Utc::now(),
                plaza_port_contract::notices()
            ),
            Err(RepoError::NotFound)
        ));
    }

    #[test]
    fn concurrent_purchases_never_oversell() {
        let (_dir, _db, repo, owner) = setup();
        let event = repo.create(new_event(owner, "Popular", "", 1, 50)).unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let repo = repo.clone();
                std::thread::spawn(move || {
                    (0..20)
                        .filter(|_| {
                            repo.purchase(plaza_port_contract::sale(
                                event.id,
                                owner,
                                TicketQuantity::parse(1).unwrap(),
                                chrono::DateTime::UNIX_EPOCH,
                            ))
                            .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        let sold: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sold, 50);
        assert_eq!(repo.find(event.id).unwrap().unwrap().tickets_sold, 50);
    }

    #[test]
    fn the_search_index_is_merged_into_one_segment_and_not_again_before_its_time() {
        use crate::search_merge::{
            LOOK_EVERY, MERGE_ABOVE_SEGMENTS, MERGE_AT_MOST_EVERY, SearchMerge, segments,
        };
        use diesel::connection::SimpleConnection;

        let (_dir, db, repo, owner) = setup();
        // A larger segment written in one transaction (entries of no event, at positions no event has),
        // then a small one for each event until there are more than a search may read.
        db.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
             INSERT INTO events_search (rowid, tokens) SELECT 9000000000000000000 + i, 'filler w' || (i % 50) FROM n",
        )
        .unwrap();
        let mut conn = db.dedicated_connection().unwrap();
        conn.batch_execute("PRAGMA busy_timeout = 5000;").unwrap();
        let mut merge = SearchMerge::default();
        let mut events = 0;
        while segments(&mut conn).unwrap() <= MERGE_ABOVE_SEGMENTS {
            assert_eq!(
                merge.try_step(&mut conn).unwrap(),
                LOOK_EVERY,
                "no merge of a few segments"
            );
            events += 1;
            assert!(events < 200, "new events add segments");
            repo.create(new_event(
                owner,
                &format!("event {events}"),
                "jazz night",
                1 + events % 28,
                10,
            ))
            .unwrap();
        }
        let before = segments(&mut conn).unwrap();
        let jazz_total = |repo: &SqliteEventRepository| {
            let query = EventQuery {
                search: SearchTerms::parse("jazz"),
                window: TimeWindow::All,
                page: PageRequest::default(),
            };
            repo.list(&query).unwrap().total
        };
        let found = search(&repo, "jazz");
        assert_eq!(jazz_total(&repo), u64::from(events));

        let mut steps = 0;
        while merge.try_step(&mut conn).unwrap() != LOOK_EVERY {
            steps += 1;
            assert!(steps < 1_000, "a merge ends");
        }
        assert_eq!(
            segments(&mut conn).unwrap(),
            1,
            "{before} segments merged in {steps} steps"
        );
        assert_eq!(search(&repo, "jazz"), found, "a merge changes no answer");

        let mut late = 0;
        while segments(&mut conn).unwrap() <= MERGE_ABOVE_SEGMENTS {
            late += 1;
            assert!(late < 200, "new events add segments again");
            repo.create(new_event(owner, &format!("late {late}"), "jazz", 28, 10))
                .unwrap();
        }
        let now = segments(&mut conn).unwrap();
        assert_eq!(jazz_total(&repo), u64::from(events + late));
        let wait = merge.try_step(&mut conn).unwrap();
        assert!(wait > LOOK_EVERY, "the next merge waits for its time: {wait:?}");
        assert_eq!(
            segments(&mut conn).unwrap(),
            now,
            "no second merge within {MERGE_AT_MOST_EVERY:?}"
        );
    }
}
