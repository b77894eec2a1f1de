//! The contract of calendar feeds: an event's changes counted for calendars, a private feed's secret, and
//! the events a private feed lists.

use chrono::{TimeZone, Utc};
use plaza_domain::event::{EventChanges, EventName, MaxTickets, TicketQuantity};
use plaza_domain::{PageRequest, RepoError, Stores, UserId};

use crate::{change, event, notices, sale, sale_time, user};

pub fn an_events_changes_are_counted_for_calendars(stores: &Stores) {
    let alice = user(stores, "alice");
    let created = event(stores, alice, "Meetup", "", 3);
    assert_eq!(created.revision, 0);
    assert_eq!(
        created.updated_at, created.created_at,
        "never changed: changed when created"
    );

    let renamed = change(
        stores,
        created.id,
        EventChanges {
            name: Some(EventName::parse("Rust meetup").unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(renamed.revision, 1);
    assert_eq!(renamed.updated_at, sale_time(), "the time the change was made at");
    assert_eq!(renamed.created_at, created.created_at);

    // Nothing to change, the values it has, a sale, or a picture: what a calendar shows stays as it was.
    assert_eq!(
        change(stores, created.id, EventChanges::default())
            .unwrap()
            .revision,
        1
    );
    let same = EventChanges {
        name: Some(EventName::parse("Rust meetup").unwrap()),
        duration_hours: Some(plaza_domain::event::DurationHours::parse(created.duration_hours).unwrap()),
        ..Default::default()
    };
    assert_eq!(
        change(stores, created.id, same).unwrap().revision,
        1,
        "saved unchanged"
    );
    let buyer = user(stores, "bob");
    let one = TicketQuantity::parse(1).unwrap();
    let sold = stores
        .events
        .purchase(sale(created.id, buyer, one, sale_time()))
        .unwrap();
    assert_eq!((sold.revision, sold.updated_at), (1, sale_time()));

    let later = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let bigger = stores
        .events
        .update(
            created.id,
            EventChanges {
                max_tickets: Some(MaxTickets::parse(20).unwrap()),
                ..Default::default()
            },
            later,
            notices(),
        )
        .unwrap()
        .value;
    assert_eq!((bigger.revision, bigger.updated_at), (2, later));
    let read = stores.events.find(created.id).unwrap().unwrap();
    assert_eq!((read.revision, read.updated_at), (2, later), "as read back");
    let listed = stores
        .events
        .list_by_owner(
            alice,
            plaza_domain::event::TimeWindow::All,
            PageRequest::default(),
        )
        .unwrap();
    assert_eq!(listed.items, [read]);
}

pub fn a_calendar_secret_opens_one_feed_until_it_is_replaced(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let digest = |c: char| c.to_string().repeat(64);
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 30, 0).unwrap();
    let later = Utc.with_ymd_and_hms(2026, 3, 2, 9, 30, 0).unwrap();
    assert_eq!(stores.calendars.owner_of(&digest('a')).unwrap(), None);
    assert_eq!(stores.calendars.made_at(alice).unwrap(), None);
    stores.calendars.set_secret(alice, &digest('a'), at).unwrap();
    stores.calendars.set_secret(bob, &digest('b'), at).unwrap();
    assert_eq!(stores.calendars.owner_of(&digest('a')).unwrap(), Some(alice));
    assert_eq!(stores.calendars.owner_of(&digest('b')).unwrap(), Some(bob));

    stores.calendars.set_secret(alice, &digest('c'), later).unwrap();
    assert_eq!(stores.calendars.owner_of(&digest('a')).unwrap(), None, "replaced");
    assert_eq!(stores.calendars.owner_of(&digest('c')).unwrap(), Some(alice));
    assert_eq!(
        stores.calendars.owner_of(&digest('b')).unwrap(),
        Some(bob),
        "others' stay"
    );

    assert!(matches!(
        stores
            .calendars
            .set_secret(UserId::from_stored(999_999), &digest('d'), at),
        Err(RepoError::NotFound)
    ));
    stores.users.delete_account(alice, Utc::now()).unwrap();
    assert_eq!(
        stores.calendars.owner_of(&digest('c')).unwrap(),
        None,
        "gone with the account"
    );
    assert!(matches!(
        stores.calendars.set_secret(alice, &digest('e'), at),
        Err(RepoError::NotFound)
    ));
}

pub fn a_private_feed_lists_what_its_owner_organises_or_holds_once_in_order(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let own = event(stores, alice, "Own", "", 5);
    let held = event(stores, bob, "Held", "", 3);
    let twice = event(stores, bob, "Twice", "", 4);
    let given_back = event(stores, bob, "Given back", "", 6);
    let bobs = event(stores, bob, "Bob's only", "", 7);
    let early = event(stores, alice, "Before the feed begins", "", 1);
    let one = TicketQuantity::parse(1).unwrap();
    let two = TicketQuantity::parse(2).unwrap();
    let buy = |event, quantity| {
        stores
            .events
            .purchase(sale(event, alice, quantity, sale_time()))
            .unwrap()
    };
    buy(held.id, one);
    buy(twice.id, two);
    buy(twice.id, one);
    buy(own.id, one);
    buy(given_back.id, one);
    let ticket = stores
        .tickets
        .list_held(alice, None, PageRequest::default())
        .unwrap()
        .items
        .into_iter()
        .find(|held| held.event.id == given_back.id)
        .unwrap();
    stores
        .tickets
        .cancel(ticket.ticket.id, alice, sale_time(), notices())
        .unwrap();
    let _ = bobs;

    let from = Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap();
    let names = |limit| -> Vec<String> {
        stores
            .calendars
            .events_of(alice, from, limit)
            .unwrap()
            .into_iter()
            .map(|event| event.name)
            .collect()
    };
    assert_eq!(names(500), ["Held", "Twice", "Own"]);
    assert_eq!(names(2), ["Held", "Twice"], "the first, in list order");
    let from_own = stores.calendars.events_of(alice, own.event_time, 500).unwrap();
    assert_eq!(
        from_own,
        [stores.events.find(own.id).unwrap().unwrap()],
        "from its start on"
    );
    assert!(
        stores.calendars.events_of(bob, from, 500).unwrap().len() == 4,
        "bob organises four"
    );
    let _ = early;
}
