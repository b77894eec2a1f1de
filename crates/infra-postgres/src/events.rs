//! Events in the `events` table, their search tokens and their ticket sales.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt};
use plaza_domain::event::{
    Capacity, Event, EventChanges, EventImage, EventQuery, EventRepository, ImageAlt, NewEvent, TimeWindow,
};
use plaza_domain::place::StoredPlace;
use plaza_domain::search::{SearchTerms, index_tokens};
use plaza_domain::ticket::Sale;
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, UserId};

use crate::batches::{self, Batches};
use crate::db::{Conn, Database, now};
use crate::error::StoreError;
use crate::schema::events;
use crate::search::{self, PageIds, Searched, Waiting};
use crate::sql::Sql;
use crate::waitlist;

/// The columns of [`EventRow`], for hand-written statements that answer an event.
macro_rules! event_columns {
    () => {
        event_columns!("")
    };
    // Each column as a field of the row `$row` (a composite value), under the column's own name.
    ($row:literal) => {
        event_columns!(@ $row; id, name, event_time, description, duration_hours, duration_minutes,
            tickets_sold, max_tickets, owner_id, created_at, venue, address, latitude, longitude,
            online_url, image, image_alt, revision, changed_at)
    };
    (@ $row:literal; $first:ident $(, $column:ident)*) => {
        concat!($row, stringify!($first) $(, ", ", $row, stringify!($column))*)
    };
}

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = events, check_for_backend(Pg))]
pub(crate) struct EventRow {
    id: i64,
    name: String,
    event_time: NaiveDateTime,
    description: String,
    duration_hours: i64,
    duration_minutes: i64,
    tickets_sold: i64,
    max_tickets: i64,
    owner_id: i64,
    created_at: NaiveDateTime,
    venue: Option<String>,
    address: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
    image: Option<String>,
    image_alt: Option<String>,
    revision: i64,
    changed_at: Option<NaiveDateTime>,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Event {
            id: EventId::from_stored(row.id),
            name: row.name,
            event_time: row.event_time.and_utc(),
            description: row.description,
            duration_hours: row.duration_hours,
            duration_minutes: row.duration_minutes,
            tickets_sold: row.tickets_sold,
            max_tickets: row.max_tickets,
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.and_utc(),
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
            updated_at: row.changed_at.unwrap_or(row.created_at).and_utc(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct EventInsert<'a> {
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
    search_tokens: Option<Vec<String>>,
    venue: Option<Option<&'a str>>,
    address: Option<Option<&'a str>>,
    latitude: Option<Option<f64>>,
    longitude: Option<Option<f64>>,
    online_url: Option<Option<&'a str>>,
}

/// The tokens an event is found by (the domain's rule), each once.
pub(crate) fn search_tokens(name: &str, description: &str) -> Vec<String> {
    let mut tokens = index_tokens(name);
    tokens.extend(index_tokens(description));
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// Deletes the event `id` inside the caller's transaction, telling its ticket holders through `notices`;
/// answers who was told. `NotFound` when it is not there.
pub(crate) fn delete_in(
    conn: &mut Conn,
    id: EventId,
    notices: &dyn HolderNotices,
) -> Result<Vec<UserId>, StoreError> {
    // Locked: no ticket sells between telling the holders and the delete.
    let event = waitlist::lock_event(conn, id)?.ok_or(RepoError::NotFound)?;
    let notes = waitlist::tell_holders(conn, &event, |event, organiser, holder| {
        notices.event_deleted(event, organiser, holder)
    })?;
    let recipients = waitlist::notify(conn, &notes, now().and_utc())?;
    diesel::delete(events::table.find(id.get())).execute(conn)?;
    Ok(recipients)
}

pub(crate) fn find(conn: &mut Conn, id: EventId) -> Result<Option<Event>, StoreError> {
    Ok(events::table
        .find(id.get())
        .select(EventRow::as_select())
        .first(conn)
        .optional()?
        .map(Event::from))
}

/// The event, locked for the rest of the transaction: comments on it, and changes of it, run one after
/// the other.
pub(crate) fn find_for_update(conn: &mut Conn, id: EventId) -> Result<Option<Event>, StoreError> {
    Ok(events::table
        .find(id.get())
        .select(EventRow::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .map(Event::from))
}

/// A private feed's event ids, in list order.
#[derive(QueryableByName)]
struct FeedIds {
    #[diesel(sql_type = Array<BigInt>)]
    ids: Vec<i64>,
}

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
    let feed: FeedIds = Sql::new(
        "WITH RECURSIVE held(event_id) AS ( \
           SELECT min(event_id) FROM tickets WHERE holder_id = $1 AND status <> 'cancelled' \
           UNION ALL \
           SELECT (SELECT min(event_id) FROM tickets \
                   WHERE holder_id = $1 AND status <> 'cancelled' AND event_id > held.event_id) \
           FROM held WHERE held.event_id IS NOT NULL), \
         feed(id) AS ( \
           (SELECT id FROM events WHERE owner_id = $1 AND event_time >= $2 ORDER BY event_time, id LIMIT $3) \
           UNION SELECT event_id FROM held WHERE event_id IS NOT NULL) \
         SELECT array(SELECT e.id FROM feed JOIN events e ON e.id = feed.id \
           WHERE e.event_time >= $2 ORDER BY e.event_time, e.id LIMIT $3) AS ids",
    )
    .int(user.get())
    .timestamp(from.naive_utc())
    .int(limit)
    .get_result(conn)?;
    load_in_order(conn, &feed.ids)
}

/// The events with these ids, in the order of `ids` (a feed's are up to 500: each found by a map, not a
/// walk of the list).
fn load_in_order(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Event>, StoreError> {
    let mut rows: Vec<EventRow> = events::table
        .filter(events::id.eq_any(ids))
        .select(EventRow::as_select())
        .load(conn)?;
    let order: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(at, id)| (*id, at)).collect();
    rows.sort_by_key(|row| order.get(&row.id).copied().unwrap_or(usize::MAX));
    Ok(rows.into_iter().map(Event::from).collect())
}

/// A page of an event list (migration `2026-12-05-000026`'s function: PostgreSQL keeps its statements'
/// plans) with its events, each row with the list's total: one statement, which sees one snapshot
/// without a transaction, where the ids and then their events in a transaction took four round trips.
const LIST_PAGE: &str = concat!(
    "SELECT total, ",
    event_columns!(),
    " FROM event_list_page($1, $2, $3, $4) AS page \
     CROSS JOIN LATERAL unnest(page.ids) WITH ORDINALITY AS listed (listed_id, at) \
     JOIN events ON events.id = listed.listed_id \
     ORDER BY listed.at"
);
/// The same page's total and ids alone.
const LIST_IDS: &str = "SELECT total, ids FROM event_list_page($1, $2, $3, $4)";
/// A page of a search with its events and total (migration `2026-12-06-000031`'s function): one statement
/// where a search took five round trips (docs/performance.md, issue 22, thirteenth part). No rows when the
/// page is empty or the function needs a count the caller did not know.
const SEARCH_PAGE: &str = concat!(
    "SELECT total, ",
    event_columns!("(event)."),
    " FROM event_search_page($1, $2, $3, CAST($4 AS tsquery), $5, $6, $7, $8, $9)"
);

/// A row of [`LIST_PAGE`] or [`SEARCH_PAGE`].
#[derive(QueryableByName)]
struct ListedEvent {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(embed)]
    event: EventRow,
}

impl ListedEvent {
    /// The page these rows are, each carrying its total; `None` for no rows, which say nothing of it.
    fn page_of(rows: Vec<Self>) -> Option<Page<Event>> {
        let total = rows.first()?.total;
        Some(Page {
            total: total.unsigned_abs(),
            items: rows.into_iter().map(|row| row.event.into()).collect(),
        })
    }
}

/// [`EventRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgEventRepository {
    db: Database,
    /// Sales of one event wait for the batch before theirs (`crate::batches`).
    sales: Arc<Batches<Sale, Result<Event, RepoError>>>,
    /// The sizes the last search read, for the next one to find its count in the memo before it asks
    /// the database (`search::one_statement`).
    search_sizes: Arc<search::LastSizes>,
}

impl PgEventRepository {
    pub fn new(db: Database) -> Self {
        Self {
            db,
            sales: Arc::new(Batches::new(SALES_PER_BATCH)),
            search_sizes: Arc::default(),
        }
    }

    /// A page of the list of every event, or of one side of an instant: [`LIST_PAGE`], or when that
    /// finds no rows (which say nothing of the total), the total and ids and then their events in one
    /// snapshot.
    fn list_page(&self, window: TimeWindow, offset: i64, limit: i64) -> Result<Page<Event>, RepoError> {
        let (list, instant) = match window {
            TimeWindow::All => ("all", DateTime::UNIX_EPOCH),
            TimeWindow::Upcoming(now) => ("upcoming", now),
            TimeWindow::Past(now) => ("past", now),
        };
        let listed = |text: &'static str| {
            Sql::new(text)
                .text(list)
                .timestamp(instant.naive_utc())
                .int(limit)
                .int(offset)
        };
        let rows: Vec<ListedEvent> = self.db.look_up(|conn| Ok(listed(LIST_PAGE).load(conn)?))?;
        if let Some(page) = ListedEvent::page_of(rows) {
            return Ok(page);
        }
        self.db.read(|conn| {
            let page: PageIds = listed(LIST_IDS).get_result(conn)?;
            Ok(Page {
                items: load_in_order(conn, &page.ids)?,
                total: page.total.unsigned_abs(),
            })
        })
    }

    fn remembered(&self) -> search::Remembered<'_> {
        search::Remembered {
            counts: &self.db.search_counts,
            sizes: &self.search_sizes,
        }
    }

    /// A page of a search in one statement ([`SEARCH_PAGE`]), when the count it needs is known (or none
    /// is); `None` when the page is empty (no rows tell its total) or the count is not known for the
    /// sizes the database has now: [`search::page`] then reads it, and counts.
    fn search_in_one_statement(
        &self,
        terms: &SearchTerms,
        window: TimeWindow,
        offset: i64,
        limit: i64,
    ) -> Result<Option<Page<Event>>, RepoError> {
        let search = search::one_statement(self.remembered(), terms, window);
        let rows: Vec<ListedEvent> = self.db.look_up_for_search(|conn| {
            Ok(Sql::new(SEARCH_PAGE)
                .text(search.list)
                .timestamp(search.instant)
                .nullable_text(search.key.clone())
                .text(&search.query)
                .int(limit)
                .int(offset)
                .nullable_int(search.known.map(|known| known.version))
                .nullable_int(search.known.map(|known| known.before))
                .nullable_int(search.known.map(|known| known.count))
                .load(conn)?)
        })?;
        Ok(ListedEvent::page_of(rows))
    }
}

/// How many times a search waits for other searches' counts without its connection before it waits
/// holding it.
const ROUNDS_WAITED_WITHOUT_A_CONNECTION: u32 = 3;

impl EventRepository for PgEventRepository {
    fn create(&self, event: NewEvent) -> Result<Event, RepoError> {
        self.db.write(|conn| {
            let row: EventRow = diesel::insert_into(events::table)
                .values(EventInsert {
                    name: event.name.as_str(),
                    event_time: event.event_time.naive_utc(),
                    description: event.description.as_str(),
                    duration_hours: event.duration_hours.get(),
                    duration_minutes: event.duration_minutes.get(),
                    tickets_sold: event.capacity.sold(),
                    max_tickets: event.capacity.max().get(),
                    owner_id: event.owner_id.get(),
                    created_at: now(),
                    search_tokens: search_tokens(event.name.as_str(), event.description.as_str()),
                    venue: event.place.venue.as_ref().map(|venue| venue.as_str()),
                    address: event.place.address.as_ref().map(|address| address.as_str()),
                    latitude: event.place.coordinates.map(|point| point.latitude()),
                    longitude: event.place.coordinates.map(|point| point.longitude()),
                    online_url: event.place.online_url.as_ref().map(|url| url.as_str()),
                })
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            Ok(row.into())
        })
    }

    fn find(&self, id: EventId) -> Result<Option<Event>, RepoError> {
        self.db.look_up(|conn| find(conn, id))
    }

    fn list(&self, query: &EventQuery) -> Result<Page<Event>, RepoError> {
        let (offset, limit) = query.page.offset_and_limit();
        // Past every list there could be, and far enough from the end of `BIGINT` that adding to it or
        // taking from it in SQL never overflows (PostgreSQL may work out a `CASE` branch it does not take).
        let offset = offset.min(1 << 62);
        let Some(terms) = &query.search else {
            return self.list_page(query.window, offset, limit);
        };
        if let Some(page) = self.search_in_one_statement(terms, query.window, offset, limit)? {
            return Ok(page);
        }
        let mut rounds_waited = 0;
        loop {
            // A search waits for another's count without its connection, and searches again: the count
            // is then remembered (or, if it failed, this search may be the one to count). Past a few
            // rounds (counts failing or the events changing meanwhile) it waits holding its connection,
            // so that it ends.
            let wait = if rounds_waited < ROUNDS_WAITED_WITHOUT_A_CONNECTION {
                Waiting::No
            } else {
                Waiting::Yes
            };
            let searched = self.db.read_for_search(|conn| {
                let searched =
                    search::page(conn, self.remembered(), terms, query.window, offset, limit, wait)?;
                Ok(match searched {
                    Searched::Page(page) => Ok(Page {
                        items: load_in_order(conn, &page.ids)?,
                        total: page.total.unsigned_abs(),
                    }),
                    Searched::CountedElsewhere(key) => Err(key),
                })
            })?;
            match searched {
                Ok(page) => return Ok(page),
                Err(key) => {
                    self.db.search_counts.wait_for_count(&key);
                    rounds_waited += 1;
                }
            }
        }
    }

    fn list_by_owner(
        &self,
        owner: UserId,
        window: TimeWindow,
        page: PageRequest,
    ) -> Result<Page<Event>, RepoError> {
        let (offset, limit) = page.offset_and_limit();
        self.db.read(|conn| {
            // One organiser's events are few: counted and paged on their own index.
            let (condition, order, now) = match window {
                TimeWindow::All => ("true", "event_time, id", chrono::DateTime::UNIX_EPOCH.naive_utc()),
                TimeWindow::Upcoming(now) => ("event_time >= $2", "event_time, id", now.naive_utc()),
                TimeWindow::Past(now) => ("event_time < $2", "event_time DESC, id DESC", now.naive_utc()),
            };
            let page: PageIds = Sql::shaped(format!(
                "SELECT (SELECT count(*) FROM events WHERE owner_id = $1 AND {condition}) AS total, \
                 array(SELECT id FROM events WHERE owner_id = $1 AND {condition} \
                       ORDER BY {order} LIMIT $3 OFFSET $4) AS ids"
            ))
            .int(owner.get())
            .timestamp(now)
            .int(limit)
            .int(offset)
            .get_result(conn)?;
            Ok(Page {
                items: load_in_order(conn, &page.ids)?,
                total: page.total.unsigned_abs(),
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
        self.db.write(|conn| {
            let current = find_for_update(conn, id)?.ok_or(RepoError::NotFound)?;
            let text_changed = changes.name.is_some() || changes.description.is_some();
            let place = &changes.place;
            let update = EventUpdate {
                name: changes.name.as_ref().map(|name| name.as_str()),
                event_time: changes.event_time.map(|time| time.naive_utc()),
                description: changes.description.as_ref().map(|text| text.as_str()),
                duration_hours: changes.duration_hours.map(|hours| hours.get()),
                duration_minutes: changes.duration_minutes.map(|minutes| minutes.get()),
                max_tickets: changes.max_tickets.map(|max| max.get()),
                search_tokens: text_changed.then(|| {
                    search_tokens(
                        changes
                            .name
                            .as_ref()
                            .map_or(current.name.as_str(), |name| name.as_str()),
                        changes
                            .description
                            .as_ref()
                            .map_or(current.description.as_str(), |text| text.as_str()),
                    )
                }),
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
            };
            // Values it already has change nothing: no write, no new revision, nobody told.
            if !changes.alters(&current) {
                return Ok(Notified::quietly(current));
            }
            // The row is locked: no purchase can land between this check and the write.
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
                    events::changed_at.eq(now.naive_utc()),
                ))
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            let updated = Event::from(row);
            let moved = updated.event_time != current.event_time;
            let mut notes = Vec::new();
            if moved {
                let event = waitlist::lock_event(conn, id)?.ok_or(RepoError::NotFound)?;
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
        self.db.write(|conn| {
            let recipients = delete_in(conn, id, notices.as_ref())?;
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
        let alt = alt.into_inner();
        self.db.write(|conn| {
            // Locked: of two pictures given at once, each replaces the one the other left.
            let replaced = find_for_update(conn, id)?.ok_or(RepoError::NotFound)?.image;
            let row: EventRow = diesel::update(events::table.find(id.get()))
                .set((events::image.eq(&name), events::image_alt.eq(&alt)))
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            Ok((row.into(), replaced.map(|image| image.name)))
        })
    }

    /// In a batch with the other sales of the event that arrive while one runs (`batches`): see
    /// [`sell`](PgEventRepository::sell).
    fn purchase(&self, sale: Sale) -> Result<Event, RepoError> {
        self.sales.run(
            sale.event.get(),
            sale,
            |sales| self.sell(sales),
            || {
                Err(RepoError::Unavailable(
                    "the sale was interrupted; try again".into(),
                ))
            },
        )
    }
}

/// The most sales of one event decided in one transaction.
const SALES_PER_BATCH: usize = 64;

impl PgEventRepository {
    /// Sells `sales`, all of one event, in one transaction: the event's row locked once, each sale
    /// decided in order on the event as the ones before it left it ([`Event::sell`], the rule the
    /// conditional `UPDATE` of a single sale had), the count moved once and every ticket written in one
    /// statement. A failure one sale could cause (its buyer deleted meanwhile, say) is not the others'
    /// ([`batches::after_failure`]).
    fn sell(&self, sales: Vec<Sale>) -> Vec<Result<Event, RepoError>> {
        let event = sales[0].event;
        let decided = self.db.write(|conn| {
            let Some(mut current) = find_for_update(conn, event)? else {
                return Ok(sales.iter().map(|_| Err(RepoError::NotFound)).collect());
            };
            let answers: Vec<Result<Event, RepoError>> = sales
                .iter()
                .map(|sale| {
                    current = current.sell(sale).map_err(RepoError::Conflict)?;
                    Ok(current.clone())
                })
                .collect();
            let sold: Vec<&Sale> = sales
                .iter()
                .zip(&answers)
                .filter_map(|(sale, answer)| answer.is_ok().then_some(sale))
                .collect();
            if !sold.is_empty() {
                Sql::new("UPDATE events SET tickets_sold = tickets_sold + $2 WHERE id = $1")
                    .int(event.get())
                    .int(sold.iter().map(|sale| sale.quantity()).sum())
                    .execute(conn)?;
                crate::issue::issue(conn, &sold)?;
                for receipt in sold.iter().filter_map(|sale| sale.receipt.as_ref()) {
                    crate::mail::enqueue(conn, receipt)?;
                }
            }
            Ok(answers)
        });
        match decided {
            Ok(answers) => answers,
            Err(error) => batches::after_failure(error, sales, |alone| self.sell(alone)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::{Text, Timestamp as SqlTimestamp};
    use plaza_domain::search::SearchTerms;

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Counted {
        #[diesel(sql_type = BigInt)]
        bucket: i64,
        #[diesel(sql_type = BigInt)]
        events: i64,
    }

    /// While one search counts the matches of two words, the searches that need that count wait for it
    /// holding no search connection (there are two): a search of another word goes on meanwhile, and
    /// then they take that count.
    #[test]
    fn searches_waiting_for_a_count_hold_no_connection() {
        use std::sync::mpsc;
        use std::time::Duration;

        let Some(db) = crate::db::small_database() else {
            return;
        };
        let owner = crate::db::add_people(&db, &["owner"])[0];
        for tokens in ["{aa,bb}", "{aa,bb}", "{cc}"] {
            crate::db::add_event(&db, owner, "now()", 10, tokens);
        }
        let events = PgEventRepository::new(db.clone());
        let query = |words: &str| EventQuery {
            search: Some(SearchTerms::parse(words).unwrap()),
            window: TimeWindow::All,
            page: PageRequest::new(None, None).unwrap(),
        };
        let version = db
            .read(|conn| {
                Ok(diesel::sql_query("SELECT search_version AS id FROM event_total")
                    .get_result::<Id>(conn)?)
            })
            .unwrap()
            .id;
        // The count a search of "aa bb" among every event makes (`search::count_matches`), begun by
        // someone else and held until the test ends it.
        let key = format!(
            "true 0 {}",
            search::tsquery(&SearchTerms::parse("aa bb").unwrap())
        );
        let (counting, started) = mpsc::channel();
        let (finish, finished) = mpsc::channel::<()>();
        let counter = std::thread::spawn({
            let db = db.clone();
            move || {
                db.search_counts.get_or_count(&key, version, || {
                    counting.send(()).unwrap();
                    finished.recv().unwrap();
                    Ok::<_, ()>(2)
                })
            }
        });
        started.recv().unwrap();
        let waiting: Vec<_> = (0..3)
            .map(|_| {
                let (events, query) = (events.clone(), query("aa bb"));
                std::thread::spawn(move || events.list(&query))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let (answer, other) = mpsc::channel();
        std::thread::spawn({
            let (events, query) = (events.clone(), query("cc"));
            move || answer.send(events.list(&query))
        });
        let other = other.recv_timeout(Duration::from_secs(5));
        finish.send(()).unwrap();
        let other = other.expect("a search of another word waited for the count's connections");
        assert_eq!(other.unwrap().total, 1);
        assert_eq!(counter.join().unwrap(), Ok(2));
        for search in waiting {
            let page = search.join().unwrap().unwrap();
            assert_eq!((page.total, page.items.len()), (2, 2));
        }
    }

    /// The answer of stepping over every row: what the bucket counts must agree with.
    fn stepped(conn: &mut Conn, condition: &str, order: &str, now: NaiveDateTime, offset: i64) -> Vec<i64> {
        diesel::sql_query(format!(
            "SELECT id FROM events WHERE {condition} ORDER BY {order} LIMIT 10 OFFSET $2"
        ))
        .bind::<SqlTimestamp, _>(now)
        .bind::<BigInt, _>(offset)
        .load::<Id>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
    }

    fn counted(conn: &mut Conn, sql: &str) -> Vec<Counted> {
        diesel::sql_query(sql).load::<Counted>(conn).unwrap()
    }

    fn check_every_page(db: &Database, events: &PgEventRepository, now: DateTime<Utc>) {
        let naive = now.naive_utc();
        let windows = [
            (TimeWindow::All, "$1 IS NOT NULL", "event_time, id"),
            (TimeWindow::Upcoming(now), "event_time >= $1", "event_time, id"),
            (
                TimeWindow::Past(now),
                "event_time < $1",
                "event_time DESC, id DESC",
            ),
        ];
        for (window, condition, order) in windows {
            let total: i64 = db
                .read(|conn| {
                    Ok(
                        diesel::sql_query(format!("SELECT count(*) AS id FROM events WHERE {condition}"))
                            .bind::<SqlTimestamp, _>(naive)
                            .get_result::<Id>(conn)?
                            .id,
                    )
                })
                .unwrap();
            let far = i64::MAX;
            for offset in [
                0, 5, 999, 1_000, 1_001, 1_234, 1_500, 1_995, 2_500, 2_995, 2_999, 3_000, 4_000, far,
            ] {
                let page = events
                    .list(&EventQuery {
                        search: None,
                        window,
                        page: PageRequest::new(Some(offset), Some(10)).unwrap(),
                    })
                    .unwrap_or_else(|error| panic!("{window:?} at {offset}: {error:?}"));
                let expected = db
                    .read(|conn| Ok(stepped(conn, condition, order, naive, offset)))
                    .unwrap();
                let ids: Vec<i64> = page.items.iter().map(|event| event.id.get()).collect();
                assert_eq!(ids, expected, "{window:?} at {offset}");
                assert_eq!(page.total, total.unsigned_abs(), "{window:?}");
            }
        }
    }

    /// 3,000 events of one owner; `time` and `tokens` are SQL expressions of `g`, 3,000 down to 1.
    fn seed(db: &Database, time: &str, tokens: &str) {
        db.write(|conn| {
            diesel::sql_query(
                "INSERT INTO users (username, email, password_hash, password_changed_at, created_at) \
                 VALUES ('owner', 'owner@example.org', 'x', now(), now())",
            )
            .execute(conn)?;
            diesel::sql_query(format!(
                "INSERT INTO events (name, event_time, duration_hours, duration_minutes, max_tickets, \
                                     owner_id, created_at, search_tokens) \
                 SELECT 'event ' || g, {time}, 1, 0, 10, (SELECT id FROM users), now(), {tokens} \
                 FROM generate_series(3000, 1, -1) AS g"
            ))
            .execute(conn)?;
            Ok(())
        })
        .unwrap();
    }

    /// Checks one page of a search and its total against reading every match; answers the total.
    fn check_search_page(
        db: &Database,
        events: &PgEventRepository,
        terms: &SearchTerms,
        window: TimeWindow,
        offset: i64,
    ) -> u64 {
        let (condition, order, instant) = match window {
            TimeWindow::All => ("$3 IS NOT NULL", "event_time, id", chrono::DateTime::UNIX_EPOCH),
            TimeWindow::Upcoming(now) => ("event_time >= $3", "event_time, id", now),
            TimeWindow::Past(now) => ("event_time < $3", "event_time DESC, id DESC", now),
        };
        let page = events
            .list(&EventQuery {
                search: Some(terms.clone()),
                window,
                page: PageRequest::new(Some(offset), Some(10)).unwrap(),
            })
            .unwrap_or_else(|error| panic!("{terms:?} {window:?} at {offset}: {error:?}"));
        let matching: Vec<i64> = db
            .read(|conn| {
                Ok(diesel::sql_query(format!(
                    "SELECT id FROM events WHERE search_vector @@ CAST($1 AS tsquery) AND {condition} \
                     ORDER BY {order} LIMIT 1000000 OFFSET $2"
                ))
                .bind::<Text, _>(search::tsquery(terms))
                .bind::<BigInt, _>(0)
                .bind::<SqlTimestamp, _>(instant.naive_utc())
                .load::<Id>(conn)?)
            })
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect();
        let from = usize::try_from(offset).unwrap().min(matching.len());
        let expected = &matching[from..(from + 10).min(matching.len())];
        let total = u64::try_from(matching.len()).unwrap();
        let ids: Vec<i64> = page.items.iter().map(|event| event.id.get()).collect();
        assert_eq!(ids, expected, "{terms:?} {window:?} at {offset}");
        assert_eq!(page.total, total, "{terms:?} {window:?}");
        // The same page read in separate statements, as when no count is known or the page is empty
        // (`list` reads it in one statement when it can)...
        let separately = db
            .read_for_search(|conn| {
                search::page(conn, events.remembered(), terms, window, offset, 10, Waiting::Yes)
            })
            .unwrap();
        let Searched::Page(separately) = separately else {
            panic!("a search that waits for its count gets a page")
        };
        assert_eq!(
            separately.ids, expected,
            "separately: {terms:?} {window:?} at {offset}"
        );
        assert_eq!(
            separately.total.unsigned_abs(),
            total,
            "separately: {terms:?} {window:?}"
        );
        // ... and in one statement, once its count, if it needs one, is remembered (by either reading):
        // every page with matches.
        let at_once = events.search_in_one_statement(terms, window, offset, 10).unwrap();
        assert_eq!(
            at_once.is_some(),
            total > offset.unsigned_abs(),
            "{terms:?} {window:?} at {offset}"
        );
        if let Some(at_once) = at_once {
            let ids: Vec<i64> = at_once.items.iter().map(|event| event.id.get()).collect();
            assert_eq!(ids, expected, "at once: {terms:?} {window:?} at {offset}");
            assert_eq!(at_once.total, total, "at once: {terms:?} {window:?}");
        }
        total
    }

    #[test]
    fn a_search_page_is_the_same_whichever_way_it_is_read() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        // Every other event is about music, one in a hundred about zanzibar, the latest fifth are late:
        // common enough to walk for, but none among the first rows a walk reads. Times repeat in threes.
        seed(
            &db,
            "TIMESTAMP '2031-03-01' + (g / 3) * INTERVAL '1 hour'",
            "CASE WHEN g % 100 = 7 THEN ARRAY['zanzibar', 'musical'] \
                  WHEN g % 2 = 0 THEN ARRAY['music', 'festival'] ELSE ARRAY['quiet'] END \
             || CASE WHEN g > 2400 THEN ARRAY['late'] ELSE ARRAY[]::TEXT[] END",
        );
        let events = PgEventRepository::new(db.clone());
        for (search, matches) in [
            ("music", 1_530),
            ("zanzibar", 30),
            ("music festival", 1_500),
            ("late", 600),
            ("quiet late", 294),
            ("nothing", 0),
        ] {
            let terms = SearchTerms::parse(search).unwrap();
            let mut ways = std::collections::BTreeSet::new();
            for offset in [0, 3, 10, 100, 750, 1_000, 1_495, 1_529, 1_530, 2_000] {
                let total = check_search_page(&db, &events, &terms, TimeWindow::All, offset);
                assert_eq!(total, matches, "{search}");
                ways.insert(
                    search::walk_length(offset, 10, i64::try_from(matches).unwrap(), 3_000).is_some(),
                );
            }
            // A search of several words walks the list or sorts its matches (one word walks for its
            // first pages or reads its buckets' events).
            if search == "music festival" {
                assert_eq!(ways.len(), 2, "both ways were tried");
            }
            if search == "quiet late" {
                assert!(ways.contains(&true), "a walk was tried, and fell back to sorting");
            }
            // One side of an instant with fewer past events than upcoming ones, and one with more.
            for instant in ["2031-03-21T00:30:00Z", "2031-04-05T00:00:00Z"] {
                let now = instant.parse::<DateTime<Utc>>().unwrap();
                for window in [TimeWindow::Upcoming(now), TimeWindow::Past(now)] {
                    for offset in [0, 3, 100, 700, 1_300, 2_000] {
                        check_search_page(&db, &events, &terms, window, offset);
                    }
                }
            }
        }

        // The kept counts follow edits of the text and of the time (into other buckets, and within one)
        // and deletes, and agree with the index, in all and bucket by bucket.
        db.write(|conn| {
            diesel::sql_query(
                "UPDATE events SET search_tokens = ARRAY['music', 'changed', 'musicality'] WHERE id % 5 = 0",
            )
            .execute(conn)?;
            diesel::sql_query(
                "UPDATE events SET event_time = event_time + INTERVAL '4 days' WHERE id % 7 = 0",
            )
            .execute(conn)?;
            diesel::sql_query(
                "UPDATE events SET event_time = event_time + INTERVAL '1 minute', \
                                   search_tokens = search_tokens || ARRAY['zanzibar'] WHERE id % 17 = 0",
            )
            .execute(conn)?;
            diesel::sql_query("UPDATE events SET search_tokens = '{}' WHERE id % 13 = 0").execute(conn)?;
            diesel::sql_query("DELETE FROM events WHERE id % 11 = 3").execute(conn)?;
            Ok(())
        })
        .unwrap();
        let kept = "SELECT key AS value FROM search_key_counts WHERE events > 0 \
                    ORDER BY key COLLATE \"C\"";
        let recounted = "SELECT key || ' ' || count(*) AS value FROM events, LATERAL search_keys(search_tokens) \
                         AS key GROUP BY key ORDER BY key COLLATE \"C\"";
        let with_counts = "SELECT key || ' ' || events AS value FROM search_key_counts WHERE events > 0 \
                           ORDER BY key COLLATE \"C\"";
        let url = db.url().to_owned();
        assert_eq!(
            crate::testing::query_strings(&url, with_counts),
            crate::testing::query_strings(&url, recounted)
        );
        assert!(crate::testing::query_strings(&url, kept).len() > 20);
        let per_bucket = "SELECT key || ' ' || bucket || ' ' || events AS value FROM search_key_buckets \
                          WHERE events <> 0 ORDER BY key COLLATE \"C\", bucket";
        let recounted_per_bucket = "SELECT key || ' ' || event_bucket(event_time) || ' ' || count(*) AS value \
                                    FROM events, LATERAL search_keys(search_tokens) AS key \
                                    GROUP BY key, event_bucket(event_time) \
                                    ORDER BY key COLLATE \"C\", event_bucket(event_time)";
        assert_eq!(
            crate::testing::query_strings(&url, per_bucket),
            crate::testing::query_strings(&url, recounted_per_bucket)
        );
        for (search, query) in [
            ("music", "'music':*"),
            ("musica", "'musica':*"),
            ("changed", "'changed':*"),
            ("l", "'l':*"),
            ("zanzibar", "'zanzibar':*"),
        ] {
            let page = events
                .list(&EventQuery {
                    search: SearchTerms::parse(search),
                    window: TimeWindow::All,
                    page: PageRequest::new(None, None).unwrap(),
                })
                .unwrap();
            let indexed = crate::testing::query_strings(
                &url,
                &format!(
                    "SELECT count(*)::TEXT AS value FROM events WHERE search_vector @@ CAST($${query}$$ AS tsquery)"
                ),
            );
            assert_eq!(page.total.to_string(), indexed[0], "{search}");
            // Pages on both sides of an instant, read from the edited counts.
            let terms = SearchTerms::parse(search).unwrap();
            let now = "2031-03-21T00:30:00Z".parse::<DateTime<Utc>>().unwrap();
            for window in [TimeWindow::All, TimeWindow::Upcoming(now), TimeWindow::Past(now)] {
                for offset in [0, 7, 90, 600] {
                    check_search_page(&db, &events, &terms, window, offset);
                }
            }
        }
    }

    /// The walks a search makes in list order (migration `2026-12-06-000031`) are planned once for every
    /// value, under the settings the functions give them (the first pages' walks with sequential and
    /// bitmap scans off, a bucket's with bitmap scans off): each plan must still walk the time index, not
    /// read every event and sort them — on events not stored in the order of their times.
    #[test]
    fn a_search_walks_the_time_index_with_the_plans_it_keeps() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        seed(
            &db,
            "TIMESTAMP '2031-03-01' + ((g * 7919) % 3000) * INTERVAL '1 hour'",
            "CASE WHEN g % 2 = 0 THEN ARRAY['music'] ELSE ARRAY['quiet'] END",
        );
        let url = db.url().to_owned();
        let mut conn = PgConnection::establish(&url).unwrap();
        // The statements as the functions hold them, their PL/pgSQL variables as parameters.
        diesel::connection::SimpleConnection::batch_execute(
            &mut conn,
            "ANALYZE events;
             SET plan_cache_mode = force_generic_plan;
             PREPARE first_pages (tsquery, bigint, bigint, bigint) AS
               SELECT array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                            ORDER BY event_time, id LIMIT $2 * 4) AS walked
                            WHERE search_vector @@ $1 ORDER BY event_time, id LIMIT $3 OFFSET $4);
             PREPARE first_upcoming_pages (tsquery, timestamp, bigint, bigint, bigint) AS
               SELECT array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                            WHERE event_time >= $2
                                            ORDER BY event_time, id LIMIT $3 * 4) AS walked
                            WHERE search_vector @@ $1 ORDER BY event_time, id LIMIT $4 OFFSET $5);
             PREPARE first_past_pages (tsquery, timestamp, bigint, bigint, bigint) AS
               SELECT array(SELECT id FROM (SELECT id, event_time, search_vector FROM events
                                            WHERE event_time < $2
                                            ORDER BY event_time DESC, id DESC LIMIT $3 * 4) AS walked
                            WHERE search_vector @@ $1
                            ORDER BY event_time DESC, id DESC LIMIT $4 OFFSET $5);
             PREPARE bucket (tsquery, timestamp, timestamp, bigint, bigint) AS
               SELECT array(SELECT id FROM events WHERE search_vector @@ $1
                            AND event_time >= $2 AND event_time < $3
                            ORDER BY event_time, id LIMIT $4 OFFSET $5);
             PREPARE bucket_latest_first (tsquery, timestamp, timestamp, bigint, bigint) AS
               SELECT array(SELECT id FROM events WHERE search_vector @@ $1
                            AND event_time >= $2 AND event_time < $3
                            ORDER BY event_time DESC, id DESC LIMIT $4 OFFSET $5);
             CREATE FUNCTION plan_of(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
             DECLARE line text;
             BEGIN FOR line IN EXECUTE 'EXPLAIN ' || statement LOOP RETURN NEXT line; END LOOP; END $$;",
        )
        .unwrap();
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = Text)]
            line: String,
        }
        let correlation = crate::testing::query_strings(
            &url,
            "SELECT correlation::TEXT AS value FROM pg_stats \
             WHERE tablename = 'events' AND attname = 'event_time'",
        );
        let correlation: f64 = correlation[0].parse().unwrap();
        assert!(
            correlation.abs() < 0.2,
            "times stored out of order: {correlation}"
        );
        let first_pages = "SET enable_seqscan = off; SET enable_bitmapscan = off";
        let bucket = "SET enable_seqscan = on; SET enable_bitmapscan = off";
        for (settings, execute) in [
            (first_pages, "EXECUTE first_pages('''music'':*', 20, 10, 0)"),
            (
                first_pages,
                "EXECUTE first_upcoming_pages('''music'':*', '2031-03-20', 20, 10, 0)",
            ),
            (
                first_pages,
                "EXECUTE first_past_pages('''music'':*', '2031-03-20', 20, 10, 0)",
            ),
            (
                bucket,
                "EXECUTE bucket('''music'':*', '2031-03-02', '2031-03-03', 10, 0)",
            ),
            (
                bucket,
                "EXECUTE bucket_latest_first('''music'':*', '2031-03-02', '2031-03-03', 10, 0)",
            ),
        ] {
            diesel::connection::SimpleConnection::batch_execute(&mut conn, settings).unwrap();
            let plan: Vec<String> = diesel::sql_query(format!(
                "SELECT plan_of('{}') AS line",
                execute.replace('\'', "''")
            ))
            .load::<Line>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| row.line)
            .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("Index Scan"), "{execute}:\n{plan}");
            assert!(plan.contains("events_by_time"), "{execute}:\n{plan}");
            assert!(!plan.contains("Sort"), "{execute}:\n{plan}");
            assert!(plan.contains("$1"), "a generic plan: {execute}:\n{plan}");
        }
    }

    #[test]
    fn deep_pages_and_both_sides_of_an_instant_through_bucket_counts_match_stepping_over_every_row() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        // 3,000 events across about 45 days (about 60 buckets of ~18 hours, three events to a time, and
        // buckets with nothing in them), so a page can start in any bucket and ties are broken by id.
        seed(
            &db,
            "TIMESTAMP '2031-03-01' + (g / 3) * INTERVAL '1 hour' \
               + CASE WHEN g > 1500 THEN INTERVAL '3 days' ELSE INTERVAL '0' END",
            "'{}'",
        );
        let events = PgEventRepository::new(db.clone());
        let recount = "SELECT event_bucket(event_time) AS bucket, count(*) AS events FROM events \
                       GROUP BY 1 ORDER BY 1";
        let kept = "SELECT bucket, events FROM event_time_buckets WHERE events > 0 ORDER BY bucket";
        let buckets = db.read(|conn| Ok(counted(conn, kept))).unwrap();
        assert!(buckets.len() > 40, "{} buckets", buckets.len());
        assert_eq!(buckets, db.read(|conn| Ok(counted(conn, recount))).unwrap());

        let middle = "2031-03-20T07:13:00Z".parse::<DateTime<Utc>>().unwrap();
        // Before every event, among them (two instants: one leaves deep pages to the upcoming side, the
        // other to the past), after every event.
        let instants = [
            "2031-01-01T00:00:00Z",
            "2031-03-20T07:13:00Z",
            "2031-04-12T05:13:00Z",
            "2032-01-01T00:00:00Z",
        ];
        for now in instants.map(|instant| instant.parse::<DateTime<Utc>>().unwrap()) {
            check_every_page(&db, &events, now);
        }

        // Times that move to other buckets (one statement moving many, one moving one), and deletes,
        // keep the counts true.
        db.write(|conn| {
            diesel::sql_query(
                "UPDATE events SET event_time = event_time + INTERVAL '5 days' WHERE id % 7 = 0",
            )
            .execute(conn)?;
            diesel::sql_query("UPDATE events SET event_time = TIMESTAMP '2030-06-01' WHERE id = 11")
                .execute(conn)?;
            diesel::sql_query("DELETE FROM events WHERE id % 11 = 3").execute(conn)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(
            db.read(|conn| Ok(counted(conn, kept))).unwrap(),
            db.read(|conn| Ok(counted(conn, recount))).unwrap()
        );
        check_every_page(&db, &events, middle);
    }

    /// One batch of sales: each decided on the event as the sales before it in the batch left it, the
    /// count moved by what sold, each buyer holding its own tickets; a sale whose buyer does not exist
    /// fails alone.
    #[test]
    fn a_batch_of_sales_answers_each_as_it_left_the_event_and_a_bad_sale_fails_alone() {
        let Some(db) = crate::db::small_database() else {
            return;
        };
        let [first, second] = crate::db::add_people(&db, &["buyer1", "buyer2"])[..] else {
            unreachable!("two accounts for two names")
        };
        let show = crate::db::add_event(&db, first, "TIMESTAMP '2027-01-01 18:00'", 6, "{}");
        let events = PgEventRepository::new(db.clone());
        let nobody = UserId::from_stored(9_999);
        let before = "2026-06-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let sale = |holder, quantity| {
            let quantity = plaza_domain::event::TicketQuantity::parse(quantity).unwrap();
            plaza_port_contract::sale(show, holder, quantity, before)
        };
        let sold = |answers: Vec<Result<Event, RepoError>>| -> Vec<Result<i64, String>> {
            answers
                .into_iter()
                .map(|answer| {
                    answer
                        .map(|event| event.tickets_sold)
                        .map_err(|error| error.to_string())
                })
                .collect()
        };
        let answers = events.sell(vec![
            sale(first, 2),
            sale(second, 3),
            sale(first, 2),
            sale(second, 1),
        ]);
        let sold_out = Err(RepoError::Conflict(Conflict::SoldOut).to_string());
        assert_eq!(sold(answers), [Ok(2), Ok(5), sold_out.clone(), Ok(6)]);
        assert_eq!(events.find(show).unwrap().unwrap().tickets_sold, 6);

        db.write(|conn| {
            diesel::sql_query("UPDATE events SET max_tickets = 10").execute(conn)?;
            Ok(())
        })
        .unwrap();
        let answers = events.sell(vec![sale(second, 1), sale(nobody, 1), sale(first, 2)]);
        let not_found = || Err(RepoError::NotFound.to_string());
        assert_eq!(
            sold(answers),
            [Ok(7), not_found(), Ok(9)],
            "the others sold alone"
        );
        assert_eq!(events.find(show).unwrap().unwrap().tickets_sold, 9);
        let held = |holder: UserId| -> i64 {
            db.read(|conn| {
                Ok(
                    Sql::new("SELECT count(*) AS id FROM tickets WHERE holder_id = $1")
                        .int(holder.get())
                        .get_result::<Id>(conn)?
                        .id,
                )
            })
            .unwrap()
        };
        assert_eq!((held(first), held(second), held(nobody)), (4, 5, 0));

        let started = "2027-01-01T18:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let late = plaza_port_contract::sale(
            show,
            first,
            plaza_domain::event::TicketQuantity::parse(1).unwrap(),
            started,
        );
        let answers = events.sell(vec![late, sale(second, 1)]);
        let started = Err(RepoError::Conflict(Conflict::EventStarted).to_string());
        assert_eq!(sold(answers), [started, Ok(10)]);
        let gone = plaza_port_contract::sale(
            EventId::from_stored(9_999),
            first,
            plaza_domain::event::TicketQuantity::parse(1).unwrap(),
            before,
        );
        assert_eq!(sold(events.sell(vec![gone])), [not_found()]);
    }
}
