//! The tickets people hold: listing them, showing one, giving one back.

use std::sync::Arc;

use plaza_domain::event::EventRepository;
use plaza_domain::live::NotificationBus;
use plaza_domain::ticket::{
    Attendee, CheckIn, CheckInNonce, HeldTicket, TicketCode, TicketRepository, TicketStatus,
};
use plaza_domain::user::User;
use plaza_domain::{EventId, Page, PageRequest, TicketId};

use crate::error::{AppError, Found, OrNotFound};
use crate::waitlist::{TicketNotices, wake};

#[derive(Clone)]
pub struct TicketService {
    tickets: Arc<dyn TicketRepository>,
    events: Arc<dyn EventRepository>,
    bus: Arc<dyn NotificationBus>,
}

impl TicketService {
    pub fn new(
        tickets: Arc<dyn TicketRepository>,
        events: Arc<dyn EventRepository>,
        bus: Arc<dyn NotificationBus>,
    ) -> Self {
        Self { tickets, events, bus }
    }

    /// The caller's own tickets, newest first, only those in `status` when given.
    pub fn held_by(
        &self,
        holder: &User,
        status: Option<TicketStatus>,
        page: PageRequest,
    ) -> Result<Page<HeldTicket>, AppError> {
        Ok(self.tickets.list_held(holder.id, status, page)?)
    }

    /// One ticket, for its holder or its event's owner; to anyone else it does not exist (`NotFound`), so
    /// that nobody learns which ticket ids are taken.
    pub fn get(&self, viewer: &User, id: TicketId) -> Result<HeldTicket, AppError> {
        let held = self.tickets.find(id).found("ticket")?;
        if held.ticket.holder_id == viewer.id || held.event.owner_id == viewer.id {
            Ok(held)
        } else {
            Err(AppError::NotFound("ticket"))
        }
    }

    /// Gives the caller's ticket back: its place is freed and, in the same transaction, offered to the
    /// event's waitlist; whoever it fills is notified. Only its holder may (`NotFound` for anyone else,
    /// the event's owner included); refused once the ticket is cancelled or used, or the event has
    /// started.
    pub fn cancel(&self, holder: &User, id: TicketId) -> Result<HeldTicket, AppError> {
        let cancelled = self
            .tickets
            .cancel(id, holder.id, crate::stored_now(), TicketNotices::boxed())
            .or_not_found("ticket")?;
        Ok(wake(self.bus.as_ref(), cancelled))
    }

    /// A page of `event`'s attendee list (every ticket with its holder, in the order they were sold), for
    /// its owner only (`Forbidden` for anyone else; `NotFound` for a missing event).
    pub fn attendees(
        &self,
        owner: &User,
        event: EventId,
        page: PageRequest,
    ) -> Result<Page<Attendee>, AppError> {
        self.ensure_owner(owner, event, "only the event's owner sees who holds its tickets")?;
        Ok(self.tickets.attendees(event, page)?)
    }

    /// The next batch of `event`'s attendee list after `after`, for its owner: what an export reads, batch
    /// by batch. The owner is checked at every batch, so an export stops if the event changes hands or
    /// goes away.
    pub fn attendees_after(
        &self,
        owner: &User,
        event: EventId,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Vec<Attendee>, AppError> {
        self.ensure_owner(owner, event, "only the event's owner sees who holds its tickets")?;
        Ok(self.tickets.attendees_after(event, after, limit)?)
    }

    /// `NotFound` for a missing event, `Forbidden` (saying `why`) unless `owner` owns it.
    fn ensure_owner(&self, owner: &User, event: EventId, why: &'static str) -> Result<(), AppError> {
        let found = self.events.find(event).found("event")?;
        if found.owner_id == owner.id {
            Ok(())
        } else {
            Err(AppError::Forbidden(why))
        }
    }

    /// A scan of `code` at the door of `event`, which only its owner may run (`Forbidden` for anyone
    /// else, whatever the code; `NotFound` for a missing event, or for a code no ticket of this event
    /// has — text that is not a ticket code at all, another QR code or a typo, included).
    pub fn check_in(
        &self,
        door: &User,
        event: EventId,
        code: &str,
        nonce: &CheckInNonce,
    ) -> Result<CheckIn, AppError> {
        self.ensure_owner(door, event, "only the event's owner checks its tickets in")?;
        let code = TicketCode::parse(code).map_err(|_| AppError::NotFound("ticket"))?;
        self.tickets
            .check_in(event, &code, nonce, crate::stored_now())
            .or_not_found("ticket")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::live::{MockNotificationBus, Signal};
    use plaza_domain::ticket::Notified;
    use plaza_domain::ticket::{EventSummary, MockTicketRepository, Ticket};
    use plaza_domain::{Conflict, EventId, RepoError, UserId};

    fn held(id: i64, holder: i64, owner: i64) -> HeldTicket {
        let now = Utc::now();
        HeldTicket {
            ticket: Ticket {
                id: TicketId::from_stored(id),
                event_id: EventId::from_stored(9),
                holder_id: UserId::from_stored(holder),
                status: TicketStatus::Active,
                code: "c".repeat(43),
                created_at: now,
                cancelled_at: None,
                checked_in_at: None,
            },
            event: EventSummary {
                id: EventId::from_stored(9),
                name: "Rust meetup".into(),
                event_time: now,
                owner_id: UserId::from_stored(owner),
            },
        }
    }

    #[test]
    fn a_ticket_is_shown_to_its_holder_and_its_events_owner_and_to_nobody_else() {
        let mut tickets = MockTicketRepository::new();
        tickets
            .expect_find()
            .returning(|id| Ok((id.get() == 4).then(|| held(4, 2, 1))));
        let service = TicketService::new(Arc::new(tickets), Arc::new(MockEventRepository::new()), quiet());
        let id = TicketId::from_stored(4);
        assert_eq!(service.get(&user(2, "holder"), id).unwrap().ticket.id, id);
        assert_eq!(service.get(&user(1, "owner"), id).unwrap().ticket.id, id);
        assert!(matches!(
            service.get(&user(3, "stranger"), id),
            Err(AppError::NotFound("ticket"))
        ));
        assert!(matches!(
            service.get(&user(2, "holder"), TicketId::from_stored(5)),
            Err(AppError::NotFound("ticket"))
        ));
    }

    #[test]
    fn cancelling_asks_the_store_for_the_callers_ticket_as_of_now_and_names_what_is_missing() {
        let before = crate::stored_now();
        let mut tickets = MockTicketRepository::new();
        tickets
            .expect_cancel()
            .withf(move |id, holder, now, _| {
                id.get() == 4 && holder.get() == 2 && *now >= before && *now <= Utc::now()
            })
            .times(1)
            .returning(|_, _, _, _| Err(RepoError::Conflict(Conflict::AlreadyCheckedIn)));
        tickets
            .expect_cancel()
            .returning(|_, _, _, _| Err(RepoError::NotFound));
        let service = TicketService::new(Arc::new(tickets), Arc::new(MockEventRepository::new()), quiet());
        assert!(matches!(
            service.cancel(&user(2, "holder"), TicketId::from_stored(4)),
            Err(AppError::Conflict(Conflict::AlreadyCheckedIn))
        ));
        assert!(matches!(
            service.cancel(&user(2, "holder"), TicketId::from_stored(5)),
            Err(AppError::NotFound("ticket"))
        ));
    }

    /// A bus nothing may be published to.
    fn quiet() -> Arc<MockNotificationBus> {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        Arc::new(bus)
    }

    #[test]
    fn a_cancellation_that_fills_the_waitlist_wakes_the_people_it_gave_places_to() {
        let mut tickets = MockTicketRepository::new();
        tickets.expect_cancel().times(1).returning(|id, _, _, notices| {
            // The store asks for the filled entry's codes inside its write.
            assert_eq!(notices.codes(2).unwrap().len(), 2);
            Ok(Notified {
                value: held(id.get(), 2, 1),
                recipients: vec![UserId::from_stored(7), UserId::from_stored(8)],
            })
        });
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .withf(|signals: &[Signal]| {
                signals
                    == [
                        Signal::Inbox(UserId::from_stored(7)),
                        Signal::Inbox(UserId::from_stored(8)),
                    ]
            })
            .times(1)
            .return_const(());
        let service = TicketService::new(
            Arc::new(tickets),
            Arc::new(MockEventRepository::new()),
            Arc::new(bus),
        );
        let cancelled = service
            .cancel(&user(2, "holder"), TicketId::from_stored(4))
            .unwrap();
        assert_eq!(cancelled.ticket.id, TicketId::from_stored(4));
    }

    #[test]
    fn a_list_is_the_callers_own_with_the_status_asked_for() {
        let mut tickets = MockTicketRepository::new();
        tickets
            .expect_list_held()
            .withf(|holder, status, page| {
                holder.get() == 2 && *status == Some(TicketStatus::Cancelled) && page.limit() == 5
            })
            .times(1)
            .returning(|_, _, _| {
                Ok(Page {
                    items: vec![held(4, 2, 1)],
                    total: 1,
                })
            });
        let service = TicketService::new(Arc::new(tickets), Arc::new(MockEventRepository::new()), quiet());
        let page = service
            .held_by(
                &user(2, "holder"),
                Some(TicketStatus::Cancelled),
                PageRequest::new(None, Some(5)).unwrap(),
            )
            .unwrap();
        assert_eq!(page.total, 1);
    }

    #[test]
    fn only_the_events_owner_checks_in_and_a_missing_code_is_a_missing_ticket() {
        let mut events = MockEventRepository::new();
        events
            .expect_find()
            .returning(|id| Ok((id.get() == 9).then(|| crate::events::tests::event(9, 1))));
        let mut tickets = MockTicketRepository::new();
        tickets
            .expect_check_in()
            .withf(|event, code, nonce, _| {
                event.get() == 9 && code.as_str() == "c".repeat(43) && nonce.as_str() == "scan-1"
            })
            .times(1)
            .returning(|_, _, _, _| Ok(CheckIn::Admitted(held(4, 2, 1))));
        tickets
            .expect_check_in()
            .returning(|_, _, _, _| Err(RepoError::NotFound));
        let service = TicketService::new(Arc::new(tickets), Arc::new(events), quiet());
        let code = "c".repeat(43);
        let nonce = CheckInNonce::parse("scan-1").unwrap();
        let event = EventId::from_stored(9);
        for code in [code.as_str(), "not a code"] {
            assert!(
                matches!(
                    service.check_in(&user(2, "holder"), event, code, &nonce),
                    Err(AppError::Forbidden(_))
                ),
                "the door is the owner's, whatever the code"
            );
        }
        assert!(matches!(
            service.check_in(&user(1, "owner"), event, "https://example.org/other-qr", &nonce),
            Err(AppError::NotFound("ticket"))
        ));
        assert!(matches!(
            service.check_in(&user(1, "owner"), EventId::from_stored(8), &code, &nonce),
            Err(AppError::NotFound("event"))
        ));
        assert!(matches!(
            service.check_in(&user(1, "owner"), event, &code, &nonce),
            Ok(CheckIn::Admitted(_))
        ));
        let other = "d".repeat(43);
        assert!(matches!(
            service.check_in(&user(1, "owner"), event, &other, &nonce),
            Err(AppError::NotFound("ticket"))
        ));
    }

    #[test]
    fn codes_are_fresh_and_valid() {
        use crate::secret::new_ticket_code;
        let a = new_ticket_code().unwrap();
        let b = new_ticket_code().unwrap();
        assert_ne!(a, b);
        assert!(TicketCode::parse(a.as_str()).is_ok());
    }
}
