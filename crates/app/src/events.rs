//! Events and ticket sales.

use std::sync::Arc;

use plaza_domain::event::{Event, EventChanges, EventQuery, EventRepository, NewEvent, TicketQuantity};
use plaza_domain::user::User;
use plaza_domain::{Conflict, EventId, Page, RepoError, ValidationErrors};

use crate::error::{AppError, Found, OrNotFound};

#[derive(Clone)]
pub struct EventService {
    events: Arc<dyn EventRepository>,
}

impl EventService {
    pub fn new(events: Arc<dyn EventRepository>) -> Self {
        Self { events }
    }

    /// `event.owner_id` is the caller; the HTTP layer builds it from the authenticated user.
    pub fn create(&self, event: NewEvent) -> Result<Event, AppError> {
        Ok(self.events.create(event)?)
    }

    pub fn get(&self, id: EventId) -> Result<Event, AppError> {
        self.events.find(id).found("event")
    }

    pub fn list(&self, query: &EventQuery) -> Result<Page<Event>, AppError> {
        Ok(self.events.list(query)?)
    }

    /// Only the owner may change an event, and never `max_tickets` below the tickets already sold.
    pub fn update(&self, actor: &User, id: EventId, changes: EventChanges) -> Result<Event, AppError> {
        self.owned_by(actor, id)?;
        self.events.update(id, changes).map_err(|error| match error {
            RepoError::Conflict(Conflict::CapacityBelowSold) => {
                AppError::Validation(ValidationErrors::single(
                    "max_tickets",
                    "must not be below the number of tickets already sold",
                ))
            }
            RepoError::NotFound => AppError::NotFound("event"),
            other => other.into(),
        })
    }

    /// Only the owner may delete an event; its comments go with it.
    pub fn delete(&self, actor: &User, id: EventId) -> Result<(), AppError> {
        self.owned_by(actor, id)?;
        self.events.delete(id).or_not_found("event")
    }

    /// Buys `quantity` tickets, all or none: `Conflict::SoldOut` when too few are left.
    pub fn purchase(&self, id: EventId, quantity: TicketQuantity) -> Result<Event, AppError> {
        self.events.purchase(id, quantity).or_not_found("event")
    }

    fn owned_by(&self, actor: &User, id: EventId) -> Result<Event, AppError> {
        let event = self.get(id)?;
        if event.owner_id != actor.id {
            return Err(AppError::Forbidden("only the event's owner may change it"));
        }
        Ok(event)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::users::tests::user;
    use chrono::Utc;
    use plaza_domain::UserId;
    use plaza_domain::event::{MaxTickets, MockEventRepository};

    pub(crate) fn event(id: i64, owner: i64) -> Event {
        Event {
            id: EventId(id),
            name: "Rust meetup".into(),
            event_time: Utc::now(),
            description: String::new(),
            duration_hours: 2,
            duration_minutes: 0,
            tickets_sold: 0,
            max_tickets: 10,
            owner_id: UserId(owner),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn only_the_owner_changes_or_deletes() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        events.expect_update().never();
        events.expect_delete().never();
        let service = EventService::new(Arc::new(events));
        let stranger = user(2, "bob");
        assert!(matches!(
            service.update(&stranger, EventId(5), EventChanges::default()),
            Err(AppError::Forbidden(_))
        ));
        assert!(matches!(
            service.delete(&stranger, EventId(5)),
            Err(AppError::Forbidden(_))
        ));
    }

    #[test]
    fn lowering_capacity_below_sales_is_a_validation_error() {
        let mut events = MockEventRepository::new();
        events.expect_find().returning(|id| Ok(Some(event(id.get(), 1))));
        events
            .expect_update()
            .returning(|_, _| Err(RepoError::Conflict(Conflict::CapacityBelowSold)));
        let service = EventService::new(Arc::new(events));
        let changes = EventChanges {
            max_tickets: Some(MaxTickets::parse(1).unwrap()),
            ..Default::default()
        };
        match service.update(&user(1, "alice"), EventId(5), changes) {
            Err(AppError::Validation(errors)) => assert_eq!(errors.0[0].field, "max_tickets"),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn purchases_report_sold_out_and_missing_events() {
        let mut events = MockEventRepository::new();
        events.expect_purchase().returning(|id, _| {
            if id == EventId(1) {
                Err(RepoError::Conflict(Conflict::SoldOut))
            } else {
                Err(RepoError::NotFound)
            }
        });
        let service = EventService::new(Arc::new(events));
        let two = TicketQuantity::parse(2).unwrap();
        assert!(matches!(
            service.purchase(EventId(1), two),
            Err(AppError::Conflict(Conflict::SoldOut))
        ));
        assert!(matches!(
            service.purchase(EventId(2), two),
            Err(AppError::NotFound("event"))
        ));
    }
}
