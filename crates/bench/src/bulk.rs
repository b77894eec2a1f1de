//! A PostgreSQL run's accounts and plain events, written through the store rather than the API.
//!
//! Through the API every event is a request and a commit of its own, and PostgreSQL's share of one (the
//! search keys, their counts per bucket of time, the indexes) made a million events take 26.7 minutes.
//! Here they go through the writing side of `plaza migrate-data` (`plaza_infra_postgres::import`): the
//! same rows the API would write (the same search tokens, kept by the same triggers), 1,000 to a
//! statement, in one transaction that commits only when every row is in. The special events, the
//! comments, the notifications and the posts still go through the API ([`crate::seed::seed`]), so each
//! kind of row the scenarios read was written at least once the way a user writes it.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use plaza_domain::event::Event;
use plaza_domain::place::StoredPlace;
use plaza_domain::role::Role;
use plaza_domain::transfer::{Batch, Counts};
use plaza_domain::user::{Locale, NotificationMail, PasswordHash, TimeZoneName, User, token_epoch};
use plaza_domain::{EventId, RepoError, UserId};
use plaza_infra_postgres::import;

use crate::seed::{PASSWORD, PlainEvent, SEEDERS, Sizes, Stored, member};

/// Rows to a statement: what `plaza migrate-data` writes at a time.
const BATCH: usize = 1_000;
/// The seeding accounts' bcrypt cost, as the API seeding gives them (a hash keeps its cost; the
/// measured server runs at the production cost for the accounts it makes).
const SEEDING_BCRYPT_COST: u32 = 4;
/// How many members own the plain events: the API seeding's parallel clients, one owner each.
const OWNERS: i64 = SEEDERS as i64;

/// Writes `sizes.users` members (`member00000`, …, all with the benchmark's password) and
/// `sizes.events` plain events ([`PlainEvent`], owned in turn by the first eight members) into the empty
/// PostgreSQL database at `url`, running its migrations first.
pub fn seed(url: &str, sizes: &Sizes) -> anyhow::Result<Stored> {
    let (db, before) = import::open_target(url).context("opening the PostgreSQL database")?;
    if before != Counts::default() {
        bail!("the PostgreSQL database is not empty ({before:?}): seed into a new, empty database");
    }
    let hash = PasswordHash(bcrypt::hash(PASSWORD, SEEDING_BCRYPT_COST)?);
    let now = Utc::now();
    let users = count(sizes.users)?;
    let events = count(sizes.events)?;
    if users < OWNERS {
        bail!("{users} users are too few: {OWNERS} own the events");
    }
    import::import_all(&db, |sink| {
        for ids in (1..=users).collect::<Vec<_>>().chunks(BATCH) {
            sink(Batch::Users(
                ids.iter().map(|&id| account(id, &hash, now)).collect(),
            ))?;
        }
        for first in (1..=events).step_by(BATCH) {
            let last = (first + BATCH as i64 - 1).min(events);
            sink(Batch::Events(
                (first..=last).map(|id| plain_event(id, now)).collect(),
            ))?;
        }
        Ok(Counts {
            users: users.unsigned_abs(),
            events: events.unsigned_abs(),
            ..Counts::default()
        })
    })
    .context("writing the accounts and events (nothing was kept)")?;
    Ok(Stored {
        user_ids: (1..=users).collect(),
        first_event: 1,
    })
}

fn count(rows: usize) -> Result<i64, RepoError> {
    i64::try_from(rows).map_err(|_| RepoError::internal(format!("{rows} rows are too many")))
}

/// Member number `id - 1`, as registration through the API makes one.
fn account(id: i64, hash: &PasswordHash, now: DateTime<Utc>) -> User {
    let number = usize::try_from(id - 1).expect("ids count from 1");
    User {
        id: UserId::from_stored(id),
        username: member(number),
        email: format!("{}@example.org", member(number)),
        full_name: Some(format!("Member {number}")),
        avatar: None,
        role: Role::Member,
        ban: None,
        password_hash: hash.clone(),
        token_epoch: token_epoch::at_registration(now),
        created_at: now,
        deleted_at: None,
        locale: Locale::default(),
        email_verified_at: None,
        notification_mail: NotificationMail::default(),
        time_zone: TimeZoneName::UTC,
    }
}

/// Plain event number `id - 1`, owned by member `(id - 1) % 8` (whose id is one more), as the API
/// seeding has the first eight members create them in turn.
fn plain_event(id: i64, now: DateTime<Utc>) -> Event {
    let number = usize::try_from(id - 1).expect("ids count from 1");
    let plain = PlainEvent::new(number);
    Event {
        id: EventId::from_stored(id),
        name: plain.name,
        event_time: plain.event_time,
        description: plain.description,
        duration_hours: plain.duration_hours,
        duration_minutes: plain.duration_minutes,
        tickets_sold: 0,
        max_tickets: plain.max_tickets,
        owner_id: UserId::from_stored((id - 1) % OWNERS + 1),
        created_at: now,
        place: StoredPlace::default(),
        image: None,
        revision: 0,
        updated_at: now,
    }
}

#[cfg(test)]
mod tests {
    use plaza_domain::event::{EventQuery, EventRepository, TimeWindow};
    use plaza_domain::search::SearchTerms;
    use plaza_domain::user::UserRepository;
    use plaza_domain::{EventId, PageRequest};
    use plaza_infra_postgres::{Database, PgEventRepository, PgUserRepository, testing};

    use super::*;
    use crate::seed::{CJK_QUERY, RARE_WORD};

    fn open(url: &str) -> Database {
        import::open_target(url).expect("the test database opens").0
    }

    fn search_total(events: &PgEventRepository, words: &str) -> u64 {
        events
            .list(&EventQuery {
                search: SearchTerms::parse(words),
                window: TimeWindow::All,
                page: PageRequest::new(Some(0), Some(10)).expect("a valid page"),
            })
            .expect("the search runs")
            .total
    }

    #[test]
    fn the_store_holds_the_events_the_api_would_be_sent_searchable_and_owned_by_members_who_can_sign_in() {
        let Some(url) = testing::fresh_database() else {
            return;
        };
        // More than two statements' worth, the last one short.
        let sizes = Sizes {
            events: 2 * BATCH + 345,
            users: 60,
            ..Sizes::smoke()
        };
        let stored = seed(&url, &sizes).expect("an empty database is seeded");
        assert_eq!(stored.user_ids.len(), sizes.users);

        let db = open(&url);
        let events = PgEventRepository::new(db.clone());
        for number in [0, 7, 42, 999, 1_000, sizes.events - 1] {
            let id = stored.first_event + i64::try_from(number).expect("a small number");
            let event = events
                .find(EventId::from_stored(id))
                .expect("the read runs")
                .unwrap_or_else(|| panic!("event number {number} is stored"));
            let plain = PlainEvent::new(number);
            assert_eq!(
                (&event.name, &event.description, event.event_time),
                (&plain.name, &plain.description, plain.event_time),
                "event number {number}"
            );
            assert_eq!(
                (event.duration_hours, event.duration_minutes, event.max_tickets),
                (plain.duration_hours, plain.duration_minutes, plain.max_tickets)
            );
            assert_eq!(event.tickets_sold, 0);
            assert_eq!(event.owner_id.get(), stored.user_ids[number % SEEDERS]);
        }
        assert!(
            events
                .find(EventId::from_stored(2 * BATCH as i64 + 346))
                .unwrap()
                .is_none()
        );

        // The triggers made the search keys of every row: the words are found where the generator put
        // them, in every batch.
        let generated = |holds: &dyn Fn(&PlainEvent) -> bool| {
            (0..sizes.events)
                .filter(|&number| holds(&PlainEvent::new(number)))
                .count() as u64
        };
        let rare = generated(&|plain| plain.description.contains(RARE_WORD));
        assert_eq!(rare, 24, "the generator puts the rare word in one event in 100");
        assert_eq!(search_total(&events, RARE_WORD), rare);
        let chinese = generated(&|plain| plain.name.contains(CJK_QUERY));
        assert!(chinese > 100);
        assert_eq!(search_total(&events, CJK_QUERY), chinese);

        let users = PgUserRepository::new(db.clone());
        let member = users
            .find_by_username(&member(5))
            .expect("the read runs")
            .expect("member 5 is stored");
        assert_eq!(member.id.get(), stored.user_ids[5]);
        assert!(bcrypt::verify(PASSWORD, &member.password_hash.0).expect("a bcrypt hash"));
        assert!(member.token_epoch < Utc::now(), "a token issued now is accepted");

        // The id sequences were moved past the rows, so the API's next event and account follow them.
        let next = testing::query_strings(&url, "SELECT nextval('events_id_seq')::text AS value");
        assert_eq!(next, [(sizes.events + 1).to_string()]);

        // A second seeding is refused and leaves the database as it was.
        let again = seed(&url, &sizes).expect_err("a seeded database is not seeded again");
        assert!(format!("{again:#}").contains("not empty"), "{again:#}");
        let counts = import::counts(&db).expect("the count runs");
        assert_eq!(
            (counts.users, counts.events),
            (sizes.users as u64, sizes.events as u64)
        );
    }
}
