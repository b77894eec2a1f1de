//! The waitlist of a sold-out event, and what ticket holders read when places are given to them or their
//! event changes.

use std::sync::Arc;

use plaza_domain::event::TicketQuantity;
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::notification::{NewNotification, NotificationMessage, NotificationSubject, SenderName};
use plaza_domain::ticket::{EventSummary, TicketCode};
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::user::User;
use plaza_domain::waitlist::{WaitlistEntry, WaitlistRepository};
use plaza_domain::{EventId, Page, PageRequest, RepoError, UserId};

use crate::error::{AppError, OrNotFound};
use crate::secret::new_ticket_code;

#[derive(Clone)]
pub struct WaitlistService {
    waitlists: Arc<dyn WaitlistRepository>,
}

impl WaitlistService {
    pub fn new(waitlists: Arc<dyn WaitlistRepository>) -> Self {
        Self { waitlists }
    }

    /// Puts the caller at the end of `event`'s waitlist for `quantity` tickets: only while fewer than
    /// that are left (`Conflict::TicketsAvailable` otherwise: they can be bought), before the event
    /// starts, and once per person and event.
    pub fn join(
        &self,
        user: &User,
        event: EventId,
        quantity: TicketQuantity,
    ) -> Result<WaitlistEntry, AppError> {
        self.waitlists
            .join(event, user.id, quantity, crate::stored_now())
            .or_not_found("event")
    }

    /// Takes the caller off `event`'s waitlist; `NotFound` when they are not on it.
    pub fn leave(&self, user: &User, event: EventId) -> Result<(), AppError> {
        self.waitlists
            .leave(event, user.id)
            .or_not_found("waitlist entry")
    }

    /// The caller's place on `event`'s waitlist; `NotFound` when they are not on it.
    pub fn find(&self, user: &User, event: EventId) -> Result<WaitlistEntry, AppError> {
        self.waitlists
            .find(event, user.id)?
            .ok_or(AppError::NotFound("waitlist entry"))
    }

    /// The caller's entries, oldest first, each with its position.
    pub fn list(&self, user: &User, page: PageRequest) -> Result<Page<WaitlistEntry>, AppError> {
        Ok(self.waitlists.list_for(user.id, page)?)
    }
}

/// What holders read, in English (the message every client shows today). The sender of each is the
/// event's organiser: it is their event that gave places, moved or went away.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketNotices;

impl TicketNotices {
    pub fn boxed() -> Box<dyn HolderNotices> {
        Box::new(Self)
    }
}

/// "You have 2 tickets for “Rust meetup” from the waitlist."
pub fn places_given_message(event_name: &str, quantity: i64) -> String {
    let tickets = if quantity == 1 { "ticket" } else { "tickets" };
    format!("You have {quantity} {tickets} for \"{event_name}\" from the waitlist")
}

/// "“Rust meetup” now starts at 2027-01-20 18:00 UTC"
pub fn time_changed_message(event: &EventSummary) -> String {
    format!(
        "\"{}\" now starts at {}",
        event.name,
        event.event_time.format("%Y-%m-%d %H:%M UTC")
    )
}

/// "“Rust meetup” was cancelled by its organiser: your tickets no longer admit you"
pub fn event_deleted_message(event_name: &str) -> String {
    format!("\"{event_name}\" was cancelled by its organiser: your tickets no longer admit you")
}

fn notice(
    text: &str,
    subject: NotificationSubject,
    event: &EventSummary,
    organiser: &str,
    recipient: UserId,
    about: bool,
) -> Option<NewNotification> {
    let cut = |text: &str, max: usize| text.chars().take(max).collect::<String>();
    // The names were validated when they were stored and the texts are cut to their limits: a failure
    // is a bug, and a missing notice is better than a failed write.
    let (Ok(message), Ok(sender)) = (
        NotificationMessage::parse(cut(text, NotificationMessage::MAX_CHARS)),
        SenderName::parse(cut(organiser, SenderName::MAX_CHARS)),
    ) else {
        tracing::error!(event = %event.id, "a ticket holder's notification text is invalid");
        return None;
    };
    Some(NewNotification {
        message,
        sender,
        sender_id: event.owner_id,
        owner_id: recipient,
        event_id: about.then_some(event.id),
        subject,
    })
}

impl HolderNotices for TicketNotices {
    fn codes(&self, quantity: i64) -> Result<Vec<TicketCode>, RepoError> {
        (0..quantity)
            .map(|_| new_ticket_code().map_err(|error| RepoError::Internal(error.to_string().into())))
            .collect()
    }

    fn places_given(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
        quantity: i64,
    ) -> Option<NewNotification> {
        notice(
            &places_given_message(&event.name, quantity),
            NotificationSubject::PlacesGiven {
                event_name: event.name.clone(),
                quantity,
            },
            event,
            organiser,
            recipient,
            true,
        )
    }

    fn time_changed(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification> {
        notice(
            &time_changed_message(event),
            NotificationSubject::EventMoved {
                event_name: event.name.clone(),
                event_time: event.event_time,
            },
            event,
            organiser,
            recipient,
            true,
        )
    }

    fn event_deleted(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification> {
        // The event is gone: the notification points nowhere.
        notice(
            &event_deleted_message(&event.name),
            NotificationSubject::EventCancelled {
                event_name: event.name.clone(),
            },
            event,
            organiser,
            recipient,
            false,
        )
    }
}

/// Wakes the streams of everyone `notified` wrote to, once the write committed.
pub(crate) fn wake<T>(bus: &dyn NotificationBus, notified: Notified<T>) -> T {
    if !notified.recipients.is_empty() {
        let signals: Vec<Signal> = notified.recipients.iter().copied().map(Signal::Inbox).collect();
        bus.publish(&signals);
    }
    notified.value
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn rust_meetup() -> EventSummary {
        EventSummary {
            id: EventId::from_stored(5),
            name: "Rust meetup".into(),
            event_time: Utc.with_ymd_and_hms(2027, 1, 20, 18, 0, 0).unwrap(),
            owner_id: UserId::from_stored(1),
        }
    }

    #[test]
    fn holders_read_what_happened_from_the_organiser() {
        let notices = TicketNotices;
        let given = notices
            .places_given(&rust_meetup(), "Ada L.", UserId::from_stored(7), 2)
            .unwrap();
        assert_eq!(
            given.message.as_str(),
            "You have 2 tickets for \"Rust meetup\" from the waitlist"
        );
        assert_eq!(given.sender.as_str(), "Ada L.");
        assert_eq!(given.sender_id, UserId::from_stored(1));
        assert_eq!(given.owner_id, UserId::from_stored(7));
        assert_eq!(given.event_id, Some(EventId::from_stored(5)));
        assert_eq!(
            places_given_message("x", 1),
            "You have 1 ticket for \"x\" from the waitlist"
        );

        let moved = notices
            .time_changed(&rust_meetup(), "Ada L.", UserId::from_stored(7))
            .unwrap();
        assert_eq!(
            moved.message.as_str(),
            "\"Rust meetup\" now starts at 2027-01-20 18:00 UTC"
        );
        let deleted = notices
            .event_deleted(&rust_meetup(), "Ada L.", UserId::from_stored(7))
            .unwrap();
        assert!(deleted.message.as_str().contains("was cancelled"));
        assert_eq!(deleted.event_id, None, "the event is gone");
    }

    #[test]
    fn long_names_are_cut_to_fit_and_codes_are_fresh() {
        let mut event = rust_meetup();
        event.name = "n".repeat(2_000);
        let notice = TicketNotices
            .places_given(&event, &"o".repeat(500), UserId::from_stored(7), 3)
            .unwrap();
        assert_eq!(
            notice.message.as_str().chars().count(),
            NotificationMessage::MAX_CHARS
        );
        assert_eq!(notice.sender.as_str().chars().count(), SenderName::MAX_CHARS);
        let codes = TicketNotices.codes(3).unwrap();
        assert_eq!(codes.len(), 3);
        assert!(codes[0] != codes[1] && codes[1] != codes[2]);
    }
}
