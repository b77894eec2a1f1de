//! Events and ticket sales.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use plaza_domain::avatar::AvatarStore;
use plaza_domain::event::{
    Capacity, DurationHours, DurationMinutes, Event, EventChanges, EventDescription, EventName, EventQuery,
    EventRepository, ImageAlt, NewEvent, TicketQuantity, TimeWindow,
};
use plaza_domain::live::NotificationBus;
use plaza_domain::place::Place;
use plaza_domain::removal::Removable;
use plaza_domain::search::SearchTerms;
use plaza_domain::ticket::Sale;
use plaza_domain::user::User;
use plaza_domain::{Conflict, EventId, Page, PageRequest, RepoError, UserId, ValidationErrors};

use crate::avatar_image::{AvatarImages, ReencodedAvatars};
use crate::error::{AppError, Found, OrNotFound};
use crate::removal::{Remover, Seen};
use crate::secret::new_ticket_code;
use crate::waitlist::{TicketNotices, wake};

/// A new event as its publisher describes it; whose it is, is the use case's to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    pub name: EventName,
    pub event_time: DateTime<Utc>,
    pub description: EventDescription,
    pub duration_hours: DurationHours,
    pub duration_minutes: DurationMinutes,
    pub capacity: Capacity,
    pub place: Place,
}

/// Which events a list holds by their start: the `when` of the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum When {
    /// Not started yet, soonest first: what people look for, so the default.
    #[default]
    Upcoming,
    /// Started already, latest first.
    Past,
    /// Every event, earliest first: the list as it was before `when` existed.
    All,
}

impl When {
    /// The window as of `now`.
    pub fn at(self, now: DateTime<Utc>) -> TimeWindow {
        match self {
            When::Upcoming => TimeWindow::Upcoming(now),
            When::Past => TimeWindow::Past(now),
            When::All => TimeWindow::All,
        }
    }
}

/// The list query for `search` (its words, when it holds any text) over `window`; `None` when the search
/// holds text but no word (only punctuation, say), which matches nothing.
pub(crate) fn event_query(search: Option<&str>, window: TimeWindow, page: PageRequest) -> Option<EventQuery> {
    let search = match search.map(str::trim).filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => Some(SearchTerms::parse(text)?),
    };
    Some(EventQuery { search, window, page })
}

#[derive(Clone)]
pub struct EventService {
    events: Arc<dyn EventRepository>,
    /// Where pictures are kept (the avatars' store: names are the store's, never a client's).
    images: Arc<dyn AvatarStore>,
    /// How an uploaded picture becomes what is stored.
    reencode: Arc<dyn AvatarImages>,
    /// Wakes the streams of ticket holders told of a change.
    bus: Arc<dyn NotificationBus>,
    remover: Remover,
    verified_email: crate::email_verification::VerifiedEmailRule,
    /// Where buyers' confirmations point, and the delivery thread to wake; `None` (tests): none is written.
    receipts: Option<(Arc<crate::mail::MailSettings>, Arc<crate::mail::Doorbell>)>,
}

impl EventService {
    pub fn new(
        events: Arc<dyn EventRepository>,
        images: Arc<dyn AvatarStore>,
        reencode: Arc<dyn AvatarImages>,
        bus: Arc<dyn NotificationBus>,
        remover: Remover,
    ) -> Self {
        Self {
            events,
            images,
            reencode,
            bus,
            remover,
            verified_email: Default::default(),
            receipts: None,
        }
    }

    /// Mails each buyer a confirmation with the tickets' codes and the event as a calendar file.
    pub fn with_receipts(
        mut self,
        settings: Arc<crate::mail::MailSettings>,
        doorbell: Arc<crate::mail::Doorbell>,
    ) -> Self {
        self.receipts = Some((settings, doorbell));
        self
    }

    /// Requires a verified address of whoever creates (`REQUIRE_VERIFIED_EMAIL`).
    pub fn with_verified_email_rule(mut self, rule: crate::email_verification::VerifiedEmailRule) -> Self {
        self.verified_email = rule;
        self
    }

    /// Gives an event a picture (only its owner may), described by `alt`. The upload is decoded and
    /// re-encoded first, at most [`ReencodedAvatars::EVENT_IMAGE_SIDE`] pixels a side: what is stored is
    /// only ever pixels. The picture it replaces is removed.
    pub fn set_image(
        &self,
        actor: &User,
        id: EventId,
        image: &[u8],
        alt: ImageAlt,
    ) -> Result<Event, AppError> {
        self.owned_by(actor, id)?;
        let (kind, clean) = self
            .reencode
            .normalize_within(image, ReencodedAvatars::EVENT_IMAGE_SIDE)?;
        let name = self.images.save(kind, &clean)?;
        match self.events.set_image(id, name.clone(), alt) {
            Ok((event, replaced)) => {
                if let Some(old) = replaced {
                    self.forget_image(&old);
                }
                Ok(event)
            }
            Err(error) => {
                // The event went away meanwhile: the new file belongs to nothing.
                self.forget_image(&name);
                Err(match error {
                    RepoError::NotFound => AppError::NotFound("event"),
                    other => other.into(),
                })
            }
        }
    }

    /// A file nothing refers to any more is only wasted space: failing to remove it fails no request.
    fn forget_image(&self, name: &str) {
        if let Err(error) = self.images.delete(name) {
            tracing::warn!(%error, file = %name, "could not remove an event picture");
        }
    }

    /// Publishes an event; whoever publishes it owns it.
    pub fn create(&self, actor: &User, draft: EventDraft) -> Result<Event, AppError> {
        crate::email_verification::refuse_unverified(self.verified_email, actor)?;
        let EventDraft {
            name,
            event_time,
            description,
            duration_hours,
            duration_minutes,
            capacity,
            place,
        } = draft;
        ends_in_time(
            event_time,
            duration_hours.get(),
            duration_minutes.get(),
            "event_time",
        )?;
        Ok(self.events.create(NewEvent {
            name,
            event_time,
            description,
            duration_hours,
            duration_minutes,
            capacity,
            owner_id: actor.id,
            place,
        })?)
    }

    pub fn get(&self, id: EventId) -> Result<Event, AppError> {
        self.events.find(id).found("event")
    }

    /// The event `id` as `viewer` sees it: a removed event only to its owner, moderators and admins.
    pub fn seen(&self, viewer: Option<&User>, id: EventId) -> Result<Seen<Event>, AppError> {
        match self.events.find(id)? {
            Some(event) => Ok(Seen::live(event)),
            None => self.remover.seen_removed(
                viewer,
                "event",
                |event: &Event| event.owner_id,
                |removals| removals.removed_event(id),
            ),
        }
    }

    /// A page of the events `when` selects, in its order, only those matching `search` when it holds any
    /// text. A search with no word in it (only punctuation, say) matches nothing.
    pub fn list(&self, search: Option<&str>, when: When, page: PageRequest) -> Result<Page<Event>, AppError> {
        match event_query(search, when.at(Utc::now()), page) {
            Some(query) => Ok(self.events.list(&query)?),
            None => Ok(Page {
                items: Vec::new(),
                total: 0,
            }),
        }
    }

    /// A page of the events one person published, as `when` selects them; `404` for no such person.
    pub fn list_by_owner(
        &self,
        owner: &User,
        when: When,
        page: PageRequest,
    ) -> Result<Page<Event>, AppError> {
        let owner: UserId = owner.id;
        Ok(self.events.list_by_owner(owner, when.at(Utc::now()), page)?)
    }

    /// Only the owner may change an event, and never `max_tickets` below the tickets already sold. In the
    /// same transaction, a new start is told to every holder of an active ticket, and a raised
    /// `max_tickets` fills the waitlist.
    pub fn update(&self, actor: &User, id: EventId, changes: EventChanges) -> Result<Event, AppError> {
        let current = self.owned_by(actor, id)?;
        if changes.event_time.is_some()
            || changes.duration_hours.is_some()
            || changes.duration_minutes.is_some()
        {
            let hours = changes
                .duration_hours
                .map_or(current.duration_hours, DurationHours::get);
            let minutes = changes
                .duration_minutes
                .map_or(current.duration_minutes, DurationMinutes::get);
            // The field the client sent is the one to blame.
            let field = if changes.event_time.is_some() {
                "event_time"
            } else if changes.duration_hours.is_some() {
                "duration_hours"
            } else {
                "duration_minutes"
            };
            ends_in_time(
                changes.event_time.unwrap_or(current.event_time),
                hours,
                minutes,
                field,
            )?;
        }
        let updated = self
            .events
            .update(id, changes, crate::stored_now(), TicketNotices::boxed())
            .map_err(|error| match error {
                RepoError::Conflict(Conflict::CapacityBelowSold) => {
                    AppError::Validation(ValidationErrors::single(
                        "max_tickets",
                        "must not be below the number of tickets already sold",
                    ))
                }
                RepoError::NotFound => AppError::NotFound("event"),
                other => other.into(),
            })?;
        Ok(wake(self.bus.as_ref(), updated))
    }

    /// Its owner deletes an event; its comments, tickets and waitlist go with it, and every holder of an
    /// active ticket is told. A moderator or an admin removes it the same way, keeping a copy apart and
    /// logging it.
    pub fn delete(&self, actor: &User, id: EventId) -> Result<(), AppError> {
        let event = self.get(id)?;
        if event.owner_id != actor.id {
            if !actor.role.moderates() {
                return Err(AppError::Forbidden(
                    "only the event's owner, a moderator or an admin may delete it",
                ));
            }
            return self.remover.remove(actor, Removable::Event(id), None);
        }
        let deleted = self
            .events
            .delete(id, TicketNotices::boxed())
            .or_not_found("event")?;
        wake(self.bus.as_ref(), deleted);
        if let Some(image) = event.image {
            self.forget_image(&image.name);
        }
        Ok(())
    }

    /// Buys `quantity` tickets, all or none, held by `buyer`, each with a fresh secret code:
    /// `Conflict::SoldOut` when too few are left, `Conflict::EventStarted` once the event has started.
    /// Any signed-in user may buy, the event's owner included, as many times as they like. The start and
    /// the capacity are checked in the same write as the sale, so an owner moving the start into the past
    /// cannot race a purchase past it.
    pub fn purchase(&self, buyer: &User, id: EventId, quantity: TicketQuantity) -> Result<Event, AppError> {
        let codes: Vec<_> = (0..quantity.get())
            .map(|_| new_ticket_code())
            .collect::<Result<_, _>>()?;
        let now = crate::stored_now();
        // Only to an address its owner confirmed: an unconfirmed one may be someone else's, and the mail
        // would carry words the event's organiser chose.
        let receipt = match &self.receipts {
            Some((settings, _)) if buyer.email_verified_at.is_some() => {
                self.receipt(settings, buyer, id, &codes, now)?
            }
            _ => None,
        };
        let mails = receipt.is_some();
        let sold = self
            .events
            .purchase(Sale {
                event: id,
                holder: buyer.id,
                codes,
                now,
                receipt,
            })
            .or_not_found("event")?;
        if mails && let Some((_, doorbell)) = &self.receipts {
            doorbell.ring();
        }
        Ok(sold)
    }

    /// The buyer's confirmation of a sale of `codes` to event `id`, with the event as an iCalendar file:
    /// written from the event as read just before the sale (the sale itself decides whether it happens).
    /// `None` when there is no such event (the sale then answers `404`).
    fn receipt(
        &self,
        settings: &crate::mail::MailSettings,
        buyer: &User,
        id: EventId,
        codes: &[plaza_domain::ticket::TicketCode],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<plaza_domain::mail::OutgoingMail>, AppError> {
        let Some(event) = self.events.find(id)? else {
            return Ok(None);
        };
        let codes: Vec<&str> = codes.iter().map(|code| code.as_str()).collect();
        let mut mail = crate::letters::tickets(buyer, &event, &codes, &settings.origin)
            .into_mail(&buyer.email, settings.message_id()?);
        mail.attachment = Some(plaza_domain::mail::Attachment {
            name: format!("event-{}.ics", id.get()),
            content_type: "text/calendar; charset=utf-8".into(),
            body: crate::ical::calendar(
                std::slice::from_ref(&event),
                &event.name,
                &settings.origin,
                crate::ical::Kind::Single,
            ),
        });
        Ok(Some(plaza_domain::mail::OutgoingMail {
            user: Some(buyer.id),
            mail,
            created_at: now,
            expires_at: None,
        }))
    }

    fn owned_by(&self, actor: &User, id: EventId) -> Result<Event, AppError> {
        let event = self.get(id)?;
        if event.owner_id != actor.id {
            return Err(AppError::Forbidden("only the event's owner may change it"));
        }
        Ok(event)
    }
}

/// An event starting at `start` for `hours` and `minutes` must end within the years it may start in; when
/// it would not, `field` is named as the invalid one.
fn ends_in_time(start: DateTime<Utc>, hours: i64, minutes: i64, field: &str) -> Result<(), AppError> {
    plaza_domain::event::ends_in_time(start, hours, minutes)
        .map_err(|invalid| AppError::Validation(ValidationErrors::single(field, invalid.0)))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::UserId;
    use plaza_domain::event::{EventImage, MaxTickets, MockEventRepository};
    use plaza_domain::live::{MockNotificationBus, Signal};
    use plaza_domain::ticket::Notified;

    pub(crate) fn event(id: i64, owner: i64) -> Event {
        Event {
            id: EventId::from_stored(id),
            name: "Rust meetup".into(),
            event_time: Utc::now() + chrono::Duration::days(30),
            description: String::new(),
            duration_hours: 2,
            duration_minutes: 0,
            tickets_sold: 0,
            max_tickets: 10,
            owner_id: UserId::from_stored(owner),
            created_at: Utc::now(),
            place: Default::default(),
            image: None,
            revision: 0,
            updated_at: Utc::now(),
        }
    }

    /// The service over `events`, with image ports that must not be touched.
    fn service(events: MockEventRepository) -> EventService {
        EventService::new(
            Arc::new(events),
            Arc::new(plaza_domain::avatar::MockAvatarStore::new()),
            Arc::new(crate::avatar_image::MockAvatarImages::new()),
            Arc::new(plaza_domain::live::MockNotificationBus::new()),
            crate::removal::tests::unused(),
        )
    }

    #[test]
    fn a_picture_is_reencoded_stored_and_replaces_the_old_one_which_is_removed() {
        use plaza_domain::avatar::{ImageKind, MockAvatarStore};
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| {
            let mut found = event(id.get(), 1);
            found.image = Some(EventImage {
                name: "old.png".into(),
                alt: "before".into(),
            });
            Ok(Some(found))
        });
        events
            .expect_set_image()
            .times(1)
            .withf(|id, name, alt| id.get() == 5 && name == "new.jpg" && alt.as_str() == "A crowded hall")
            .returning(|id, name, alt| {
                let mut changed = event(id.get(), 1);
                changed.image = Some(EventImage {
                    name,
                    alt: alt.into_inner(),
                });
                Ok((changed, Some("old.png".into())))
            });
        events
            .expect_delete()
            .times(1)
            .returning(|_, _| Ok(Notified::quietly(())));
        let mut reencode = crate::avatar_image::MockAvatarImages::new();
        reencode
            .expect_normalize_within()
            .times(1)
            .withf(|bytes, side| bytes == b"uploaded" && *side == ReencodedAvatars::EVENT_IMAGE_SIDE)
            .returning(|_, _| Ok((ImageKind::Jpeg, b"clean".to_vec())));
        let mut images = MockAvatarStore::new();
        images
            .expect_save()
            .times(1)
            .withf(|kind, bytes| *kind == ImageKind::Jpeg && bytes == b"clean")
            .returning(|_, _| Ok("new.jpg".into()));
        images
            .expect_delete()
            .times(2)
            .withf(|name| name == "old.png")
            .returning(|_| Ok(()));
        let service = EventService::new(
            Arc::new(events),
            Arc::new(images),
            Arc::new(reencode),
            Arc::new(plaza_domain::live::MockNotificationBus::new()),
            crate::removal::tests::unused(),
        );
        let owner = user(1, "owner");
        let alt = ImageAlt::parse("A crowded hall").unwrap();

        assert!(matches!(
            service.set_image(
                &user(2, "other"),
                EventId::from_stored(5),
                b"uploaded",
                alt.clone()
            ),
            Err(AppError::Forbidden(_))
        ));
        let changed = service
            .set_image(&owner, EventId::from_stored(5), b"uploaded", alt)
            .unwrap();
        assert_eq!(changed.image.unwrap().name, "new.jpg");
        // Deleting the event removes its picture too (the mock's find still answers old.png).
        service.delete(&owner, EventId::from_stored(5)).unwrap();
    }

    #[test]
    fn only_the_owner_changes_or_deletes() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        events.expect_update().never();
        events.expect_delete().never();
        let service = service(events);
        let stranger = user(2, "bob");
        assert!(matches!(
            service.update(&stranger, EventId::from_stored(5), EventChanges::default()),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            service.delete(&stranger, EventId::from_stored(5)),
            Err(AppError::Forbidden(_))
        ));
    }

    #[test]
    fn holders_told_of_a_change_or_a_deletion_are_woken_once_it_committed() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        events.expect_update().times(1).returning(|id, _, _, _| {
            Ok(Notified {
                value: event(id.get(), 1),
                recipients: vec![UserId::from_stored(3)],
            })
        });
        events.expect_delete().times(1).returning(|_, _| {
            Ok(Notified {
                value: (),
                recipients: vec![UserId::from_stored(3), UserId::from_stored(4)],
            })
        });
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals: &[Signal]| signals == [Signal::Inbox(UserId::from_stored(3))])
            .times(1)
            .return_const(());
        bus.expect_publish()
            .withf(|signals: &[Signal]| {
                signals
                    == [
                        Signal::Inbox(UserId::from_stored(3)),
                        Signal::Inbox(UserId::from_stored(4)),
                    ]
            })
            .times(1)
            .return_const(());
        let service = EventService::new(
            Arc::new(events),
            Arc::new(plaza_domain::avatar::MockAvatarStore::new()),
            Arc::new(crate::avatar_image::MockAvatarImages::new()),
            Arc::new(bus),
            crate::removal::tests::unused(),
        );
        let owner = user(1, "alice");
        service
            .update(&owner, EventId::from_stored(5), EventChanges::default())
            .unwrap();
        service.delete(&owner, EventId::from_stored(5)).unwrap();
    }

    #[test]
    fn lowering_capacity_below_sales_is_a_validation_error() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        events
            .expect_update()
            .returning(|_, _, _, _| Err(RepoError::Conflict(Conflict::CapacityBelowSold)));
        let service = service(events);
        let changes = EventChanges {
            max_tickets: Some(MaxTickets::parse(1).unwrap()),
            ..Default::default()
        };
        match service.update(&user(1, "alice"), EventId::from_stored(5), changes) {
            Err(AppError::Validation(errors)) => assert_eq!(errors.0[0].field, "max_tickets"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn purchases_report_sold_out_and_missing_events() {
        let mut events = MockEventRepository::new();
        events.expect_purchase().returning(|sale| {
            if sale.event == EventId::from_stored(1) {
                Err(RepoError::Conflict(Conflict::SoldOut))
            } else {
                Err(RepoError::NotFound)
            }
        });
        let service = service(events);
        let two = TicketQuantity::parse(2).unwrap();
        let buyer = user(7, "carol");
        assert!(matches!(
            service.purchase(&buyer, EventId::from_stored(1), two),
            Err(AppError::Conflict(Conflict::SoldOut))
        ));
        assert!(matches!(
            service.purchase(&buyer, EventId::from_stored(2), two),
            Err(AppError::NotFound("event"))
        ));
    }

    #[test]
    fn an_event_that_has_started_sells_nothing_as_of_the_moment_of_the_purchase() {
        let mut events = MockEventRepository::new();
        let before = crate::stored_now();
        events
            .expect_purchase()
            .times(1)
            .withf(move |sale| sale.now >= before && sale.now <= Utc::now())
            .returning(|_| Err(RepoError::Conflict(Conflict::EventStarted)));
        let service = service(events);
        let one = TicketQuantity::parse(1).unwrap();
        assert!(matches!(
            service.purchase(&user(2, "bob"), EventId::from_stored(5), one),
            Err(AppError::Conflict(Conflict::EventStarted))
        ));
    }

    #[test]
    fn lists_ask_for_the_window_of_their_when_as_of_now() {
        let mut events = MockEventRepository::new();
        let before = Utc::now();
        events
            .expect_list()
            .withf(move |query: &EventQuery| {
                matches!(query.window, TimeWindow::Upcoming(now) if now >= before && now <= Utc::now())
            })
            .times(1)
            .returning(|_| Ok(Page { items: Vec::new(), total: 0 }));
        events
            .expect_list_by_owner()
            .withf(move |owner, window, _| {
                *owner == UserId::from_stored(3) && matches!(window, TimeWindow::Past(now) if *now >= before)
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    items: Vec::new(),
                    total: 0,
                })
            });
        let service = service(events);
        let page = PageRequest::default();
        service.list(None, When::default(), page).unwrap();
        service.list_by_owner(&user(3, "cleo"), When::Past, page).unwrap();
        assert_eq!(When::All.at(before), TimeWindow::All);
    }

    #[test]
    fn anyone_signed_in_buys_the_owner_included_and_holds_tickets_with_fresh_codes() {
        use std::sync::Mutex;
        let codes = Arc::new(Mutex::new(Vec::new()));
        let seen = codes.clone();
        let mut events = MockEventRepository::new();
        events.expect_purchase().times(2).returning(move |sale| {
            seen.lock()
                .unwrap()
                .extend(sale.codes.iter().map(|code| code.as_str().to_owned()));
            let mut bought = event(sale.event.get(), 1);
            bought.tickets_sold = sale.quantity();
            assert_eq!(sale.holder.get(), if sale.quantity() == 1 { 1 } else { 2 });
            Ok(bought)
        });
        let service = service(events);
        let (one, three) = (
            TicketQuantity::parse(1).unwrap(),
            TicketQuantity::parse(3).unwrap(),
        );
        let bought = service
            .purchase(&user(1, "alice"), EventId::from_stored(5), one)
            .unwrap();
        assert_eq!(bought.tickets_sold, 1);
        let bought = service
            .purchase(&user(2, "bob"), EventId::from_stored(5), three)
            .unwrap();
        assert_eq!(bought.tickets_sold, 3);
        let mut codes = codes.lock().unwrap().clone();
        assert_eq!(codes.len(), 4);
        assert!(
            codes.iter().all(|code| code.len() == 43),
            "256 bits each: {codes:?}"
        );
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 4, "every code differs");
    }

    fn draft() -> EventDraft {
        EventDraft {
            name: EventName::parse("Rust meetup").unwrap(),
            event_time: Utc::now(),
            description: EventDescription::parse("").unwrap(),
            duration_hours: DurationHours::parse(2).unwrap(),
            duration_minutes: DurationMinutes::parse(0).unwrap(),
            capacity: Capacity::new(0, MaxTickets::parse(10).unwrap()).unwrap(),
            place: Place::default(),
        }
    }

    #[test]
    fn whoever_publishes_an_event_owns_it() {
        let mut events = MockEventRepository::new();
        events
            .expect_create()
            .withf(|new: &NewEvent| {
                new.owner_id == UserId::from_stored(2) && new.name.as_ref() == "Rust meetup"
            })
            .times(1)
            .returning(|new| Ok(event(8, new.owner_id.get())));
        let service = service(events);
        let created = service.create(&user(2, "bob"), draft()).unwrap();
        assert_eq!(created.owner_id, UserId::from_stored(2));
    }

    #[test]
    fn an_event_must_end_by_the_end_of_year_9999() {
        use chrono::TimeZone;
        let mut events = MockEventRepository::new();
        events.expect_create().never();
        events.expect_find().returning(|id| {
            let mut found = event(id.get(), 2);
            found.event_time = Utc.with_ymd_and_hms(9999, 12, 31, 20, 0, 0).unwrap();
            Ok(Some(found))
        });
        events.expect_update().never();
        let service = service(events);
        let late = EventDraft {
            event_time: Utc.with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap(),
            ..draft()
        };
        let field_of = |result: Result<Event, AppError>| match result {
            Err(AppError::Validation(errors)) => errors.0[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        };
        assert_eq!(field_of(service.create(&user(2, "bob"), late)), "event_time");
        // The stored event starts at 20:00 on the last day and lasts 2 hours: 4 more hours pass midnight.
        let longer = EventChanges {
            duration_hours: Some(DurationHours::parse(4).unwrap()),
            ..EventChanges::default()
        };
        assert_eq!(
            field_of(service.update(&user(2, "bob"), EventId::from_stored(3), longer)),
            "duration_hours"
        );
        let later = EventChanges {
            event_time: Some(Utc.with_ymd_and_hms(9999, 12, 31, 23, 0, 0).unwrap()),
            ..EventChanges::default()
        };
        assert_eq!(
            field_of(service.update(&user(2, "bob"), EventId::from_stored(3), later)),
            "event_time"
        );
    }

    #[test]
    fn a_search_without_a_word_matches_nothing_without_asking_storage() {
        let mut events = MockEventRepository::new();
        events.expect_list().never();
        let service = service(events);
        let page = PageRequest::new(Some(0), Some(5)).unwrap();
        let found = service.list(Some(" %*- "), When::All, page).unwrap();
        assert!(found.items.is_empty());
        assert_eq!(found.total, 0);
    }

    #[test]
    fn a_blank_search_lists_everything_and_words_become_terms() {
        let mut events = MockEventRepository::new();
        let page = PageRequest::new(Some(20), Some(5)).unwrap();
        events
            .expect_list()
            .withf(move |query: &EventQuery| query.search.is_none() && query.page == page)
            .times(2)
            .returning(|_| {
                Ok(Page {
                    items: vec![event(1, 1)],
                    total: 21,
                })
            });
        events
            .expect_list()
            .withf(move |query: &EventQuery| query.search == SearchTerms::parse("rust") && query.page == page)
            .times(1)
            .returning(|_| {
                Ok(Page {
                    items: Vec::new(),
                    total: 3,
                })
            });
        let service = service(events);
        assert_eq!(service.list(None, When::All, page).unwrap().total, 21);
        assert_eq!(service.list(Some("   "), When::All, page).unwrap().total, 21);
        assert_eq!(service.list(Some("  Rust "), When::All, page).unwrap().total, 3);
    }
}
