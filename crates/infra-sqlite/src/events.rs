//! Events in the `events` table, searched through the `events_search` index.

use chrono::NaiveDateTime;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::Sqlite;
use plaza_domain::event::{Event, EventChanges, EventQuery, EventRepository, NewEvent, TicketQuantity};
use plaza_domain::search::SearchTerms;
use plaza_domain::{Conflict, EventId, Page, RepoError, UserId};

use crate::db::{Conn, Database, now, offset_limit};
use crate::error::StoreError;
use crate::schema::events;
use crate::search::{index_event, match_expression, unindex_event};

#[derive(Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(Sqlite))]
struct EventRow {
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
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Self {
        Event {
            id: EventId(row.id),
            name: row.name,
            event_time: row.event_time.and_utc(),
            description: row.description,
            duration_hours: row.duration_hours,
            duration_minutes: row.duration_minutes,
            tickets_sold: row.tickets_sold,
            max_tickets: row.max_tickets,
            owner_id: UserId(row.owner_id),
            created_at: row.created_at.and_utc(),
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
}

impl EventUpdate<'_> {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.event_time.is_none()
            && self.description.is_none()
            && self.duration_hours.is_none()
            && self.duration_minutes.is_none()
            && self.max_tickets.is_none()
    }
}

/// The events whose tokens match `expression`.
fn matching(expression: &str) -> events::BoxedQuery<'static, Sqlite> {
    events::table
        .filter(
            sql::<Bool>("events.id IN (SELECT rowid FROM events_search WHERE events_search MATCH ")
                .bind::<Text, _>(expression.to_owned())
                .sql(")"),
        )
        .into_boxed()
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// How many events match: read from the index alone.
fn count_matching(conn: &mut Conn, expression: &str) -> QueryResult<i64> {
    diesel::sql_query("SELECT count(*) AS count FROM events_search WHERE events_search MATCH ?")
        .bind::<Text, _>(expression)
        .get_result::<Count>(conn)
        .map(|row| row.count)
}

/// One page of `selected`, in list order.
fn ordered_page(
    selected: events::BoxedQuery<'static, Sqlite>,
    query: &EventQuery,
) -> events::BoxedQuery<'static, Sqlite> {
    let (offset, limit) = offset_limit(query.page);
    selected
        .order((events::event_time.asc(), events::id.asc()))
        .offset(offset)
        .limit(limit)
}

fn page_of(
    conn: &mut Conn,
    selected: events::BoxedQuery<'static, Sqlite>,
    query: &EventQuery,
) -> QueryResult<Vec<Event>> {
    Ok(ordered_page(selected, query)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Event::from)
        .collect())
}

/// A search page and its total, in one snapshot, on the search connections.
fn search(db: &Database, terms: &SearchTerms, query: &EventQuery) -> Result<Page<Event>, RepoError> {
    let expression = match_expression(terms);
    db.read_for_search(|conn| {
        let total = count_matching(conn, &expression)?;
        let items = page_of(conn, matching(&expression), query)?;
        Ok(Page {
            items,
            total: total.unsigned_abs(),
        })
    })
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

impl EventRepository for SqliteEventRepository {
    fn create(&self, event: NewEvent) -> Result<Event, RepoError> {
        self.db.write(move |conn| {
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
                })
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            index_event(conn, row.id, &row.name, &row.description)?;
            Ok(row.into())
        })
    }

    fn find(&self, id: EventId) -> Result<Option<Event>, RepoError> {
        self.db.read(|conn| find(conn, id))
    }

    fn list(&self, query: &EventQuery) -> Result<Page<Event>, RepoError> {
        if let Some(terms) = &query.search {
            return search(&self.db, terms, query);
        }
        self.db.read(|conn| {
            let total: i64 = events::table.count().get_result(conn)?;
            let items = page_of(conn, events::table.into_boxed(), query)?;
            Ok(Page {
                items,
                total: total.unsigned_abs(),
            })
        })
    }

    fn update(&self, id: EventId, changes: EventChanges) -> Result<Event, RepoError> {
        self.db.write(move |conn| {
            let update = EventUpdate {
                name: changes.name.as_ref().map(|name| name.as_str()),
                event_time: changes.event_time.map(|time| time.naive_utc()),
                description: changes.description.as_ref().map(|text| text.as_str()),
                duration_hours: changes.duration_hours.map(|hours| hours.get()),
                duration_minutes: changes.duration_minutes.map(|minutes| minutes.get()),
                max_tickets: changes.max_tickets.map(|max| max.get()),
            };
            let current = find(conn, id)?.ok_or(RepoError::NotFound)?;
            if update.is_empty() {
                return Ok(current);
            }
            // Inside the immediate transaction no purchase can land between this check and the write.
            if update.max_tickets.is_some_and(|max| max < current.tickets_sold) {
                return Err(RepoError::Conflict(Conflict::CapacityBelowSold).into());
            }
            let row: EventRow = diesel::update(events::table.find(id.get()))
                .set(&update)
                .returning(EventRow::as_returning())
                .get_result(conn)?;
            if update.name.is_some() || update.description.is_some() {
                index_event(conn, row.id, &row.name, &row.description)?;
            }
            Ok(row.into())
        })
    }

    fn delete(&self, id: EventId) -> Result<(), RepoError> {
        self.db.write(
            move |conn| match diesel::delete(events::table.find(id.get())).execute(conn)? {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(unindex_event(conn, id.get())?),
            },
        )
    }

    fn purchase(&self, id: EventId, quantity: TicketQuantity) -> Result<Event, RepoError> {
        self.db.write(move |conn| {
            // Check and write in one statement: the row changes only if the sale still fits.
            let sold = diesel::update(
                events::table
                    .find(id.get())
                    .filter((events::tickets_sold + quantity.get()).le(events::max_tickets)),
            )
            .set(events::tickets_sold.eq(events::tickets_sold + quantity.get()))
            .returning(EventRow::as_returning())
            .get_result(conn)
            .optional()?;
            match sold {
                Some(row) => Ok(row.into()),
                None if find(conn, id)?.is_some() => Err(RepoError::Conflict(Conflict::SoldOut).into()),
                None => Err(RepoError::NotFound.into()),
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
        Capacity, DurationHours, DurationMinutes, EventDescription, EventName, MaxTickets,
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
        repo.update(event.id, changes).unwrap();
        assert!(search(&repo, "old").is_empty());
        assert_eq!(search(&repo, "fresh"), ["Fresh title"]);
        repo.delete(event.id).unwrap();
        assert!(search(&repo, "fresh").is_empty());
        assert!(matches!(repo.delete(event.id), Err(RepoError::NotFound)));
    }

    /// The SQL of a query object with its bound values written in as literals, for `EXPLAIN`.
    fn with_literals(query: &events::BoxedQuery<'static, Sqlite>, binds: &[&str]) -> String {
        let sql = diesel::debug_query::<Sqlite, _>(query).to_string();
        let sql = sql.split(" -- binds:").next().unwrap().to_owned();
        binds.iter().fold(sql, |sql, bind| sql.replacen('?', bind, 1))
    }

    #[test]
    fn search_over_100_000_events_uses_the_index_not_a_scan() {
        let (_dir, db, repo, owner) = setup();
        db.execute_batch(&format!(
            "INSERT INTO events (name, event_time, description, duration_hours, duration_minutes, \
                                 tickets_sold, max_tickets, owner_id, created_at) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
             SELECT 'Event ' || i || CASE WHEN i % 1000 = 0 THEN ' meetup' ELSE '' END, \
                    '2027-01-01 10:00:00', 'generated', 1, 0, 0, 10, {owner}, '2026-01-01 00:00:00' FROM n; \
             INSERT INTO events_search (rowid, tokens) \
             SELECT id, lower(name) || ' generated' FROM events; \
             ANALYZE;"
        ))
        .unwrap();
        let query = EventQuery {
            search: SearchTerms::parse("MEETUP"),
            page: PageRequest::default(),
        };
        let page = repo.list(&query).unwrap();
        assert_eq!(page.total, 100);
        assert_eq!(page.items.len(), 10);

        // The very query the repository runs, with its values written in.
        let expression = match_expression(query.search.as_ref().unwrap());
        let sql = with_literals(
            &ordered_page(matching(&expression), &query),
            &[&format!("'{}'", expression.replace('\'', "''")), "10", "0"],
        );
        assert!(sql.contains("events_search MATCH"), "{sql}");
        let plan = db.query_plan(&sql).unwrap();
        assert!(
            plan.iter()
                .any(|line| line.contains("events_search VIRTUAL TABLE INDEX")),
            "{plan:?}"
        );
        assert!(
            !plan
                .iter()
                .any(|line| line.starts_with("SCAN events") && !line.contains("INDEX")),
            "{plan:?}"
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
        assert_eq!(repo.purchase(event.id, three).unwrap().tickets_sold, 3);
        assert!(matches!(
            repo.purchase(event.id, three),
            Err(RepoError::Conflict(Conflict::SoldOut))
        ));
        assert_eq!(
            repo.purchase(event.id, TicketQuantity::parse(2).unwrap())
                .unwrap()
                .tickets_sold,
            5
        );
        assert!(matches!(
            repo.purchase(EventId(999), three),
            Err(RepoError::NotFound)
        ));
    }

    #[test]
    fn capacity_cannot_drop_below_sales() {
        let (_dir, _db, repo, owner) = setup();
        let event = repo.create(new_event(owner, "Small", "", 1, 5)).unwrap();
        repo.purchase(event.id, TicketQuantity::parse(4).unwrap())
            .unwrap();
        let lower = |max| EventChanges {
            max_tickets: Some(MaxTickets::parse(max).unwrap()),
            ..Default::default()
        };
        assert!(matches!(
            repo.update(event.id, lower(3)),
            Err(RepoError::Conflict(Conflict::CapacityBelowSold))
        ));
        assert_eq!(repo.update(event.id, lower(4)).unwrap().max_tickets, 4);
        assert!(matches!(
            repo.update(EventId(999), lower(4)),
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
                        .filter(|_| repo.purchase(event.id, TicketQuantity::parse(1).unwrap()).is_ok())
                        .count()
                })
            })
            .collect();
        let sold: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(sold, 50);
        assert_eq!(repo.find(event.id).unwrap().unwrap().tickets_sold, 50);
    }
}
