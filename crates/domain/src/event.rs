//! Events, their tickets, and the event repository port.

use chrono::{DateTime, Utc};

use crate::error::{Invalid, RepoError};
use crate::ids::{EventId, UserId};
use crate::page::{Page, PageRequest};
use crate::place::{Place, PlaceChanges, StoredPlace};
use crate::search::SearchTerms;
use crate::text::bounded_text;
use crate::ticket::{HolderNotices, Notified};

bounded_text!(
    /// An event's name: 1–200 characters, not only white space.
    EventName,
    1,
    200,
    Name
);

bounded_text!(
    /// An event's description: at most 10,000 characters; may be empty.
    EventDescription,
    0,
    10_000,
    Prose
);

bounded_text!(
    /// What an event's picture shows, in the organiser's words, for people who cannot see it (its `alt`
    /// text): 1–300 characters on one line.
    ImageAlt,
    1,
    300,
    Name
);

/// An event's picture: the stored image's name in the image store, and its `alt` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventImage {
    /// The file's name in the image store (chosen by the store).
    pub name: String,
    /// What it shows ([`ImageAlt`]).
    pub alt: String,
}

/// Declares an integer value that only exists within `min..=max`.
macro_rules! bounded_int {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// The smallest value accepted.
            pub const MIN: i64 = $min;
            /// The largest value accepted.
            pub const MAX: i64 = $max;

            /// Accepts `raw` within [`MIN`](Self::MIN)`..=`[`MAX`](Self::MAX); anything else is refused
            /// with "must be between MIN and MAX".
            pub fn parse(raw: i64) -> Result<Self, Invalid> {
                if (Self::MIN..=Self::MAX).contains(&raw) {
                    Ok(Self(raw))
                } else {
                    Err(Invalid::new(format!("must be between {} and {}", Self::MIN, Self::MAX)))
                }
            }

            /// The number, known to be within the bounds.
            pub fn get(self) -> i64 {
                self.0
            }
        }
    };
}

bounded_int!(
    /// Whole hours of an event's length: 0–8,784 (a leap year).
    DurationHours,
    0,
    8_784
);
bounded_int!(
    /// The minutes past the whole hours: 0–59.
    DurationMinutes,
    0,
    59
);
bounded_int!(
    /// How many tickets an event may sell: 0–1,000,000.
    MaxTickets,
    0,
    1_000_000
);
bounded_int!(
    /// How many tickets one purchase buys: 1–100.
    TicketQuantity,
    1,
    100
);

/// Tickets sold against the maximum: `0 <= sold <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    sold: i64,
    max: MaxTickets,
}

impl Capacity {
    /// The capacity rule, written once: `sold` tickets and `more` on top stay within `max`
    /// (`sold + more <= max`, none of them negative). An event is created and kept within it, its
    /// `max_tickets` never drops below it, and a purchase of `more` tickets happens only when it holds.
    /// Each store also says it in its own SQL — a purchase's check-and-write in one conditional `UPDATE`,
    /// which is what keeps racing buyers from overselling, and a `CHECK` on the table — and the port
    /// contract (`purchases_follow_the_capacity_rule`) holds that SQL to this function at the boundary.
    pub fn allows(sold: i64, more: i64, max: i64) -> bool {
        sold >= 0 && more >= 0 && sold.checked_add(more).is_some_and(|total| total <= max)
    }

    /// Errors name the field at fault: `tickets_sold` when it is negative or above the maximum.
    pub fn new(sold: i64, max: MaxTickets) -> Result<Self, Invalid> {
        if sold < 0 {
            return Err(Invalid::new("must be greater than or equal to 0"));
        }
        if !Self::allows(sold, 0, max.get()) {
            return Err(Invalid::new(format!(
                "must not exceed max_tickets ({})",
                max.get()
            )));
        }
        Ok(Self { sold, max })
    }

    /// The capacity after a purchase of `quantity` tickets, or `None` when they do not fit (sold out).
    pub fn sell(self, quantity: TicketQuantity) -> Option<Self> {
        Self::allows(self.sold, quantity.get(), self.max.get()).then(|| Self {
            sold: self.sold + quantity.get(),
            max: self.max,
        })
    }

    /// Tickets sold so far: never negative, never above [`max`](Self::max).
    pub fn sold(self) -> i64 {
        self.sold
    }

    /// How many tickets the event may sell in all.
    pub fn max(self) -> MaxTickets {
        self.max
    }
}

/// When an event starts, as every store keeps it: to the microsecond (finer digits are dropped, as
/// PostgreSQL's timestamps would), never a leap second (`23:59:60`), which one store would keep and
/// another turn into the next day, and in a year of four digits once in UTC
/// ([`in_four_digit_years`](crate::time::in_four_digit_years)).
pub fn event_time(time: DateTime<Utc>) -> Result<DateTime<Utc>, Invalid> {
    use chrono::{SubsecRound, Timelike};
    if time.nanosecond() >= 1_000_000_000 {
        return Err(Invalid::new("must not be a leap second (23:59:60)"));
    }
    Ok(crate::time::in_four_digit_years(time)?.trunc_subsecs(6))
}

/// Whether an event starting at `start` (as [`event_time()`] accepts it) and lasting `hours` and
/// `minutes` (as [`DurationHours`] and [`DurationMinutes`] accept them, or as a stored event holds them)
/// also ends before year 10000: its calendar entry writes the end as well as the start.
pub fn ends_in_time(start: DateTime<Utc>, hours: i64, minutes: i64) -> Result<(), Invalid> {
    use crate::time::LAST_YEAR;
    use chrono::{Datelike, TimeDelta};
    let end = TimeDelta::try_hours(hours)
        .zip(TimeDelta::try_minutes(minutes))
        .and_then(|(hours, minutes)| hours.checked_add(&minutes))
        .and_then(|length| start.checked_add_signed(length));
    match end {
        Some(end) if end.year() <= LAST_YEAR => Ok(()),
        _ => Err(Invalid::new(format!(
            "must leave the event (start and duration) ending before {}-01-01T00:00:00Z",
            LAST_YEAR + 1
        ))),
    }
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Given by the store when the event was created.
    pub id: EventId,
    /// The name, as accepted by [`EventName`].
    pub name: String,
    /// When the event starts, to the microsecond (see [`event_time()`]).
    pub event_time: DateTime<Utc>,
    /// The description, as accepted by [`EventDescription`]; may be empty.
    pub description: String,
    /// Whole hours of its length ([`DurationHours`]).
    pub duration_hours: i64,
    /// Minutes past the whole hours ([`DurationMinutes`]).
    pub duration_minutes: i64,
    /// Tickets sold so far: `0 <= tickets_sold <= max_tickets`, moved only by
    /// [`EventRepository::purchase`].
    pub tickets_sold: i64,
    /// How many tickets the event may sell ([`MaxTickets`]).
    pub max_tickets: i64,
    /// The account that created the event and may change or delete it.
    pub owner_id: UserId,
    /// When the store created it.
    pub created_at: DateTime<Utc>,
    /// Where it happens.
    pub place: StoredPlace,
    /// Its picture, if the organiser gave one.
    pub image: Option<EventImage>,
    /// How many times it was changed ([`EventRepository::update`]): 0 as created. Calendars read it as the
    /// event's `SEQUENCE`, so that a subscriber's copy of the event is replaced by the newer one.
    pub revision: i64,
    /// When it was created or last changed ([`EventRepository::update`]); a new picture or a sale does not
    /// count, as neither changes what a calendar shows.
    pub updated_at: DateTime<Utc>,
}

impl Event {
    /// Whether it has started by `now`: from its start on, its tickets no longer sell, and it is listed
    /// among the past events.
    pub fn has_started(&self, now: DateTime<Utc>) -> bool {
        self.event_time <= now
    }

    /// The event as `sale` leaves it — the same rule as a store's conditional update, for a store that
    /// decides several sales of one event at once: refused with `EventStarted` once it has started by the
    /// sale's `now`, else with `SoldOut` when the tickets do not fit.
    pub fn sell(&self, sale: &crate::ticket::Sale) -> Result<Event, crate::Conflict> {
        if self.has_started(sale.now) {
            return Err(crate::Conflict::EventStarted);
        }
        if !Capacity::allows(self.tickets_sold, sale.quantity(), self.max_tickets) {
            return Err(crate::Conflict::SoldOut);
        }
        Ok(Event {
            tickets_sold: self.tickets_sold + sale.quantity(),
            ..self.clone()
        })
    }

    /// Why a purchase that changed nothing was refused, from the event as it is now (`None`: there is no
    /// such event): it has started, or else the sale did not fit.
    pub fn why_unsold(event: Option<Event>, now: DateTime<Utc>) -> RepoError {
        match event {
            None => RepoError::NotFound,
            Some(event) if event.has_started(now) => RepoError::Conflict(crate::Conflict::EventStarted),
            Some(_) => RepoError::Conflict(crate::Conflict::SoldOut),
        }
    }
}

/// An event to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Its name.
    pub name: EventName,
    /// When it starts; pass it through [`event_time()`] so that every store keeps the same instant.
    pub event_time: DateTime<Utc>,
    /// Its description; may be empty.
    pub description: EventDescription,
    /// Whole hours of its length.
    pub duration_hours: DurationHours,
    /// Minutes past the whole hours.
    pub duration_minutes: DurationMinutes,
    /// The tickets it starts with sold, and how many it may sell.
    pub capacity: Capacity,
    /// The account creating it, which becomes its owner.
    pub owner_id: UserId,
    /// Where it happens.
    pub place: Place,
}

/// A partial update; `None` leaves a field as it is. Sales change only through purchases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventChanges {
    /// A new name.
    pub name: Option<EventName>,
    /// A new start, passed through [`event_time()`].
    pub event_time: Option<DateTime<Utc>>,
    /// A new description (an empty one clears it).
    pub description: Option<EventDescription>,
    /// New whole hours of its length.
    pub duration_hours: Option<DurationHours>,
    /// New minutes past the whole hours.
    pub duration_minutes: Option<DurationMinutes>,
    /// A new maximum; refused by the store when below the tickets already sold.
    pub max_tickets: Option<MaxTickets>,
    /// Changes to where it happens.
    pub place: PlaceChanges,
}

impl EventChanges {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        let Self {
            name,
            event_time,
            description,
            duration_hours,
            duration_minutes,
            max_tickets,
            place,
        } = self;
        name.is_none()
            && event_time.is_none()
            && description.is_none()
            && duration_hours.is_none()
            && duration_minutes.is_none()
            && max_tickets.is_none()
            && place.is_empty()
    }
}

impl EventChanges {
    /// Whether applying them to `event` would change anything: a field sent with the value it already has
    /// changes nothing, so saving an event unchanged leaves its `revision` (a calendar's `SEQUENCE`) as it
    /// was.
    pub fn alters(&self, event: &Event) -> bool {
        fn differs<T: PartialEq + ?Sized>(new: Option<&T>, old: &T) -> bool {
            new.is_some_and(|new| new != old)
        }
        let text =
            |new: Option<&Option<&str>>, old: &Option<String>| new.is_some_and(|new| *new != old.as_deref());
        let place = &self.place;
        differs(self.name.as_ref().map(|name| name.as_str()), event.name.as_str())
            || differs(self.event_time.as_ref(), &event.event_time)
            || differs(
                self.description.as_ref().map(|text| text.as_str()),
                event.description.as_str(),
            )
            || differs(
                self.duration_hours.map(|h| h.get()).as_ref(),
                &event.duration_hours,
            )
            || differs(
                self.duration_minutes.map(|m| m.get()).as_ref(),
                &event.duration_minutes,
            )
            || differs(self.max_tickets.map(|m| m.get()).as_ref(), &event.max_tickets)
            || text(
                place
                    .venue
                    .as_ref()
                    .map(|v| v.as_ref().map(|v| v.as_str()))
                    .as_ref(),
                &event.place.venue,
            )
            || text(
                place
                    .address
                    .as_ref()
                    .map(|a| a.as_ref().map(|a| a.as_str()))
                    .as_ref(),
                &event.place.address,
            )
            || differs(place.coordinates.as_ref(), &event.place.coordinates)
            || text(
                place
                    .online_url
                    .as_ref()
                    .map(|u| u.as_ref().map(|u| u.as_str()))
                    .as_ref(),
                &event.place.online_url,
            )
    }
}

/// Which events to list by their start, as of an instant the use case fixes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimeWindow {
    /// Events starting at or after the instant, soonest first (`event_time`, then `id`).
    Upcoming(DateTime<Utc>),
    /// Events that started before the instant, latest first (`event_time`, then `id`, both descending):
    /// the exact reverse of the list order.
    Past(DateTime<Utc>),
    /// Every event in list order (`event_time`, then `id`).
    #[default]
    All,
}

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Only events whose name or description holds every term; `None` lists them all.
    pub search: Option<SearchTerms>,
    /// Only events on one side of an instant, and in which order.
    pub window: TimeWindow,
    /// Which slice of the ordered list.
    pub page: PageRequest,
}

/// Storage of events.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait EventRepository: Send + Sync {
    /// Stores a new event under a new id and returns it as stored.
    fn create(&self, event: NewEvent) -> Result<Event, RepoError>;
    /// The event with this id, or `None`.
    fn find(&self, id: EventId) -> Result<Option<Event>, RepoError>;
    /// The events `query` asks for, in the order of its [`TimeWindow`].
    fn list(&self, query: &EventQuery) -> Result<Page<Event>, RepoError>;
    /// The events `owner` created, within `window` and in its order.
    fn list_by_owner(
        &self,
        owner: UserId,
        window: TimeWindow,
        page: PageRequest,
    ) -> Result<Page<Event>, RepoError>;
    /// `NotFound`, or `Conflict::CapacityBelowSold` when `max_tickets` would drop below the tickets sold
    /// at the moment of the write. A change moves `revision` up by one and `updated_at` to `now`; one
    /// that alters nothing ([`EventChanges::alters`]) writes nothing. In the same transaction: when `event_time` changes, each holder of an
    /// active ticket is told once ([`HolderNotices::time_changed`]); when `max_tickets` rises and the
    /// event has not started by `now`, the waitlist is filled from the new places
    /// ([`crate::waitlist::FreePlaces`]).
    fn update(
        &self,
        id: EventId,
        changes: EventChanges,
        now: DateTime<Utc>,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<Event>, RepoError>;
    /// Removes the event with its comments, tickets and waitlist, telling each holder of an active ticket
    /// once ([`HolderNotices::event_deleted`]) in the same transaction. `NotFound` when there is none.
    fn delete(&self, id: EventId, notices: Box<dyn HolderNotices>) -> Result<Notified<()>, RepoError>;
    /// Gives the event the picture stored as `name`, described by `alt`, and answers the event with the
    /// name of the picture it replaced (to be removed from the image store). `NotFound` when there is
    /// no such event.
    fn set_image(
        &self,
        id: EventId,
        name: String,
        alt: ImageAlt,
    ) -> Result<(Event, Option<String>), RepoError>;
    /// Makes `sale`: adds its quantity to the tickets sold in one atomic check-and-write, if the event
    /// has not started by `sale.now` and the sale fits, and stores its tickets (active, held by its
    /// buyer) in the same transaction. `Conflict::EventStarted` when the event has started
    /// ([`Event::has_started`]), `Conflict::SoldOut` when the sale would pass `max_tickets`, `NotFound`
    /// when there is no such event; nothing is written then.
    fn purchase(&self, sale: crate::ticket::Sale) -> Result<Event, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn event_times_are_kept_to_the_microsecond_and_never_a_leap_second() {
        use chrono::{NaiveDate, TimeZone};
        let precise =
            Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(
            event_time(precise).unwrap(),
            Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap() + chrono::Duration::microseconds(123_456)
        );
        let leap = NaiveDate::from_ymd_opt(2026, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        assert!(event_time(leap).is_err());
    }

    #[test]
    fn event_times_stay_in_four_digit_years_in_utc() {
        let read = |raw: &str| event_time(chrono::DateTime::parse_from_rfc3339(raw).unwrap().to_utc());
        assert!(read("9999-12-31T23:59:59Z").is_ok());
        assert!(read("0000-01-01T00:00:00Z").is_ok());
        // An offset carries these past the ends once they are in UTC.
        assert!(read("9999-12-31T23:59:59-05:00").is_err());
        assert!(read("0000-01-01T00:00:00+05:00").is_err());
    }

    #[test]
    fn an_event_ends_by_the_end_of_year_9999() {
        let start = Utc.with_ymd_and_hms(9999, 12, 31, 22, 0, 0).unwrap();
        assert!(ends_in_time(start, 1, 59).is_ok());
        assert!(ends_in_time(start, 2, 0).is_err());
        assert!(ends_in_time(start, DurationHours::MAX, DurationMinutes::MAX).is_err());
        assert!(ends_in_time(start, i64::MAX, i64::MAX).is_err(), "no overflow");
        let early = Utc.with_ymd_and_hms(9998, 12, 31, 0, 0, 0).unwrap();
        assert!(ends_in_time(early, 8_760, 0).is_ok());
        assert!(ends_in_time(early, 8_784, 0).is_err());
    }

    #[test]
    fn numbers_stay_in_their_ranges() {
        assert!(DurationHours::parse(8_784).is_ok());
        assert!(DurationHours::parse(8_785).is_err());
        assert!(DurationMinutes::parse(59).is_ok());
        assert_eq!(
            DurationMinutes::parse(60).unwrap_err().0,
            "must be between 0 and 59"
        );
        assert!(DurationMinutes::parse(-1).is_err());
        assert!(MaxTickets::parse(1_000_001).is_err());
        assert!(TicketQuantity::parse(0).is_err());
        assert!(TicketQuantity::parse(-3).is_err());
        assert!(TicketQuantity::parse(100).is_ok());
        assert!(TicketQuantity::parse(101).is_err());
    }

    #[test]
    fn capacity_never_starts_oversold() {
        let max = MaxTickets::parse(10).unwrap();
        assert_eq!(Capacity::new(10, max).unwrap().sold(), 10);
        assert!(Capacity::new(11, max).unwrap_err().0.contains("max_tickets"));
        assert!(Capacity::new(-1, max).is_err());
    }

    #[test]
    fn a_purchase_fits_up_to_the_last_ticket() {
        let max = MaxTickets::parse(10).unwrap();
        let quantity = |n| TicketQuantity::parse(n).unwrap();
        let sold = |capacity: Option<Capacity>| capacity.map(Capacity::sold);
        assert_eq!(sold(Capacity::new(7, max).unwrap().sell(quantity(3))), Some(10));
        assert_eq!(sold(Capacity::new(7, max).unwrap().sell(quantity(4))), None);
        assert_eq!(sold(Capacity::new(10, max).unwrap().sell(quantity(1))), None);
        assert_eq!(
            sold(
                Capacity::new(0, MaxTickets::parse(0).unwrap())
                    .unwrap()
                    .sell(quantity(1))
            ),
            None
        );
        assert!(Capacity::allows(0, 0, 0));
        assert!(Capacity::allows(5, 5, 10));
        assert!(!Capacity::allows(5, 6, 10));
        assert!(!Capacity::allows(-1, 1, 10));
        assert!(!Capacity::allows(1, -1, 10));
        assert!(!Capacity::allows(i64::MAX, 1, i64::MAX));
    }

    #[test]
    fn a_sale_fits_until_the_last_ticket_and_never_once_the_event_has_started() {
        let start = Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap();
        let event = Event {
            event_time: start,
            tickets_sold: 7,
            max_tickets: 10,
            ..meetup()
        };
        let sale = |quantity: usize, now| crate::ticket::Sale {
            event: event.id,
            holder: UserId::from_stored(2),
            codes: (0..quantity)
                .map(|_| crate::ticket::TicketCode::parse(&"c".repeat(22)).unwrap())
                .collect(),
            now,
            receipt: None,
        };
        let before = start - chrono::Duration::seconds(1);
        let sold = event.sell(&sale(3, before)).unwrap();
        assert_eq!(
            sold,
            Event {
                tickets_sold: 10,
                ..event.clone()
            },
            "only the count moves"
        );
        assert_eq!(sold.sell(&sale(1, before)), Err(crate::Conflict::SoldOut));
        assert_eq!(event.sell(&sale(4, before)), Err(crate::Conflict::SoldOut));
        assert_eq!(event.sell(&sale(1, start)), Err(crate::Conflict::EventStarted));
        assert_eq!(
            event.sell(&sale(4, start)),
            Err(crate::Conflict::EventStarted),
            "started comes first"
        );
    }

    fn meetup() -> Event {
        Event {
            id: EventId::from_stored(1),
            name: "Meetup".into(),
            event_time: Utc.with_ymd_and_hms(2027, 1, 1, 18, 0, 0).unwrap(),
            description: "Talks".into(),
            duration_hours: 2,
            duration_minutes: 0,
            tickets_sold: 0,
            max_tickets: 10,
            owner_id: UserId::from_stored(1),
            created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            place: StoredPlace {
                venue: Some("Hall".into()),
                ..Default::default()
            },
            image: None,
            revision: 0,
            updated_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn changes_alter_an_event_only_where_a_value_differs() {
        let event = meetup();
        let same = EventChanges {
            name: Some(EventName::parse("Meetup").unwrap()),
            description: Some(EventDescription::parse("Talks").unwrap()),
            duration_hours: Some(DurationHours::parse(2).unwrap()),
            event_time: Some(event.event_time),
            place: PlaceChanges {
                venue: Some(Some(crate::place::Venue::parse("Hall").unwrap())),
                address: Some(None),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(!same.alters(&event), "every value sent is the one it has");
        assert!(!EventChanges::default().alters(&event));
        let renamed = EventChanges {
            name: Some(EventName::parse("Meetup 2").unwrap()),
            ..same.clone()
        };
        assert!(renamed.alters(&event));
        let moved = EventChanges {
            place: PlaceChanges {
                venue: Some(None),
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(moved.alters(&event), "the venue removed");
        let longer = EventChanges {
            duration_minutes: Some(DurationMinutes::parse(30).unwrap()),
            ..Default::default()
        };
        assert!(longer.alters(&event));
    }

    #[test]
    fn names_and_descriptions_have_limits() {
        assert!(EventName::parse("").is_err());
        assert!(EventName::parse("x".repeat(200)).is_ok());
        assert!(EventName::parse("x".repeat(201)).is_err());
        assert!(EventDescription::parse("").is_ok());
        assert!(EventDescription::parse("x".repeat(10_000)).is_ok());
        assert!(EventDescription::parse("x".repeat(10_001)).is_err());
    }
}
