//! Tickets as records: each ticket a purchase sells is a row held by its buyer, with a secret code that
//! admits it at the door.
//!
//! An event's `tickets_sold` counts its active and checked-in tickets, plus whatever was sold before
//! tickets were records (those stay counted, without rows). Cancelling a ticket frees its place.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::{Invalid, RepoError};
use crate::ids::{EventId, TicketId, UserId};
use crate::notification::NewNotification;
use crate::page::{Page, PageRequest};

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    /// Held, not used yet: it admits its holder once.
    Active,
    /// Given back by its holder: its place went to someone else (or is free).
    Cancelled,
    /// Scanned at the door.
    CheckedIn,
}

impl TicketStatus {
    /// Every status, in the order of a ticket's life.
    pub const ALL: [TicketStatus; 3] = [Self::Active, Self::CheckedIn, Self::Cancelled];

    /// The name the API and the stores use.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
            Self::CheckedIn => "checked_in",
        }
    }

    /// The status named `name` ([`Self::as_str`]).
    pub fn parse(name: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == name)
            .ok_or_else(|| Invalid::new("must be one of active, cancelled, checked_in"))
    }

    /// Whether a ticket in this status holds a place (and counts in `tickets_sold`).
    pub const fn holds_a_place(self) -> bool {
        matches!(self, Self::Active | Self::CheckedIn)
    }
}

impl fmt::Display for TicketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A ticket's admission secret: at least 128 random bits as URL-safe base64 text (the use case makes
/// 256), so that nobody guesses one. Only the holder and the event's owner ever see it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TicketCode(String);

impl TicketCode {
    /// The fewest characters a code has: 22 base64 characters carry 132 bits.
    pub const MIN_CHARS: usize = 22;
    /// The most characters a code has.
    pub const MAX_CHARS: usize = 64;

    /// `raw` as a code: 22 to 64 characters of the URL-safe base64 alphabet (`A–Z a–z 0–9 - _`).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let fits = (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&raw.len())
            && raw
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
        if fits {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "must be 22 to 64 characters of letters, digits, '-' and '_'",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TicketCode {
    // A secret stays out of logs and panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketCode(…)")
    }
}

/// What a door scanner sends with each scan, so that a retry (after an answer was lost) is told apart
/// from a second scan: 1 to 100 visible ASCII characters, chosen by the scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInNonce(String);

impl CheckInNonce {
    /// The most characters a nonce has.
    pub const MAX_CHARS: usize = 100;

    /// `raw` as a nonce: 1 to 100 visible ASCII characters (no space or control character).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if (1..=Self::MAX_CHARS).contains(&raw.len()) && raw.bytes().all(|byte| byte.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new("must be 1 to 100 visible ASCII characters"))
        }
    }

    /// The nonce.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a scan at the door found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckIn {
    /// Let in: this scan (or the first scan of the same nonce, repeated) checked the ticket in.
    Admitted(HeldTicket),
    /// Used already, by another scan: `checked_in_at` says when.
    AlreadyCheckedIn(HeldTicket),
}

/// A sale to make: one ticket per code, all held by `holder`, all or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    /// The event the tickets admit to.
    pub event: EventId,
    /// Who buys them.
    pub holder: UserId,
    /// One fresh code per ticket: as many as a [`crate::event::TicketQuantity`] allows.
    pub codes: Vec<TicketCode>,
    /// When the sale happens: an event that has started by then sells nothing.
    pub now: DateTime<Utc>,
    /// The buyer's confirmation, written to the outbox in the sale's transaction (only if it sells).
    pub receipt: Option<crate::mail::OutgoingMail>,
}

impl Sale {
    /// How many tickets it sells.
    pub fn quantity(&self) -> i64 {
        self.codes.len() as i64
    }
}

/// A stored ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// The event it admits to.
    pub event_id: EventId,
    /// Who holds it.
    pub holder_id: UserId,
    /// Where it stands.
    pub status: TicketStatus,
    /// The admission secret ([`TicketCode`]).
    pub code: String,
    /// When it was sold.
    pub created_at: DateTime<Utc>,
    /// When its holder gave it back.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it was scanned at the door.
    pub checked_in_at: Option<DateTime<Utc>>,
}

/// What a ticket's reader needs of its event: a list of tickets names each one's event, and who may see
/// a ticket depends on the event's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// Its id.
    pub id: EventId,
    /// Its name.
    pub name: String,
    /// When it starts.
    pub event_time: DateTime<Utc>,
    /// Whose it is.
    pub owner_id: UserId,
}

/// A ticket with its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldTicket {
    /// The ticket.
    pub ticket: Ticket,
    /// Its event.
    pub event: EventSummary,
}

/// A ticket of an event, with who holds it: a line of the organiser's attendee list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The ticket.
    pub ticket: Ticket,
    /// Its holder's user name.
    pub username: String,
    /// Its holder's full name, if they gave one.
    pub full_name: Option<String>,
}

/// What the use case decides for ticket holders when a write frees places or changes an event; the
/// storage adapter asks it inside that write, for the people it finds there, so that the tickets, the
/// waitlist and the notifications commit together.
pub trait HolderNotices: Send {
    /// Fresh admission codes for the `quantity` tickets a filled entry receives.
    fn codes(&self, quantity: i64) -> Result<Vec<TicketCode>, RepoError>;
    /// What `recipient` reads when the waitlist gave them `quantity` tickets for `event`, organised by
    /// the account `event.owner_id` called `organiser`.
    fn places_given(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
        quantity: i64,
    ) -> Option<NewNotification>;
    /// What a holder of `event`'s tickets reads when it moved to `event.event_time`.
    fn time_changed(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification>;
    /// What a holder of `event`'s tickets reads when it was deleted.
    fn event_deleted(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification>;
}

/// A write's answer with the people it notified: their live streams are woken once it committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified<T> {
    /// What the write answers.
    pub value: T,
    /// Everyone a notification was written for, each once.
    pub recipients: Vec<UserId>,
}

impl Notified<()> {
    /// Everyone `notes` are for, each once, in the order of the notes.
    pub fn recipients_of(notes: &[NewNotification]) -> Vec<UserId> {
        let mut recipients: Vec<UserId> = Vec::with_capacity(notes.len());
        for note in notes {
            if !recipients.contains(&note.owner_id) {
                recipients.push(note.owner_id);
            }
        }
        recipients
    }
}

impl<T> Notified<T> {
    /// `value`, notifying nobody.
    pub fn quietly(value: T) -> Self {
        Self {
            value,
            recipients: Vec::new(),
        }
    }
}

/// Storage of tickets. Tickets are made by a purchase ([`crate::event::EventRepository::purchase`]).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait TicketRepository: Send + Sync {
    /// `holder`'s tickets, newest first (by id), only those in `status` when given.
    fn list_held(
        &self,
        holder: UserId,
        status: Option<TicketStatus>,
        page: PageRequest,
    ) -> Result<Page<HeldTicket>, RepoError>;
    /// The ticket with this id, with its event, or `None`.
    fn find(&self, id: TicketId) -> Result<Option<HeldTicket>, RepoError>;
    /// Gives `holder`'s ticket back in one transaction and answers it as it then is: the ticket becomes
    /// cancelled at `now`, its event's `tickets_sold` drops by one, and the freed place goes to the
    /// waitlist ([`crate::waitlist::FreePlaces`]; `notices` makes the new tickets' codes and the filled
    /// entries' notifications). `NotFound` when there is no such ticket or `holder` does not hold it;
    /// `Conflict::AlreadyCancelled`, `Conflict::AlreadyCheckedIn`, or `Conflict::EventStarted` once the
    /// event has started by `now` ([`crate::event::Event::has_started`]). Two cancellations of one ticket
    /// racing cancel it once.
    fn cancel(
        &self,
        id: TicketId,
        holder: UserId,
        now: DateTime<Utc>,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<HeldTicket>, RepoError>;
    /// Every ticket of `event` (any status) with its holder, in ticket id order (the order they were
    /// sold), a page at a time, with the event's total.
    fn attendees(&self, event: EventId, page: PageRequest) -> Result<Page<Attendee>, RepoError>;
    /// Up to `limit` tickets of `event` with ids above `after` (from the start when `None`), in id order:
    /// the whole list read in batches, however long it is.
    fn attendees_after(
        &self,
        event: EventId,
        after: Option<TicketId>,
        limit: u32,
    ) -> Result<Vec<Attendee>, RepoError>;
    /// Scans `code` at `event`'s door at `now`, in one atomic check-and-write: an active ticket becomes
    /// checked in (remembering `nonce`) and is [`CheckIn::Admitted`]; a checked-in one is admitted again
    /// only for the same `nonce` (a retry), else [`CheckIn::AlreadyCheckedIn`]. `Conflict::TicketCancelled`
    /// for a cancelled ticket; `NotFound` for a code no ticket of `event` has. Two scans of one code racing
    /// admit it once.
    fn check_in(
        &self,
        event: EventId,
        code: &TicketCode,
        nonce: &CheckInNonce,
        now: DateTime<Utc>,
    ) -> Result<CheckIn, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_as_written_and_only_held_ones_take_a_place() {
        for status in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(status.as_str()).unwrap(), status);
        }
        assert!(TicketStatus::parse("Active").is_err());
        assert!(TicketStatus::parse("").is_err());
        assert!(TicketStatus::Active.holds_a_place());
        assert!(TicketStatus::CheckedIn.holds_a_place());
        assert!(!TicketStatus::Cancelled.holds_a_place());
    }

    #[test]
    fn a_writes_recipients_are_each_named_once_in_the_order_of_its_notices() {
        let note = |to: i64| NewNotification {
            message: crate::notification::NotificationMessage::parse("moved").unwrap(),
            sender: crate::notification::SenderName::parse("Ada").unwrap(),
            sender_id: UserId::from_stored(1),
            owner_id: UserId::from_stored(to),
            event_id: None,
            subject: crate::notification::NotificationSubject::Message,
        };
        let ids = |raw: &[i64]| raw.iter().copied().map(UserId::from_stored).collect::<Vec<_>>();
        assert_eq!(
            Notified::recipients_of(&[note(3), note(2), note(3), note(5)]),
            ids(&[3, 2, 5])
        );
        assert!(Notified::recipients_of(&[]).is_empty());
    }

    #[test]
    fn nonces_are_short_visible_ascii() {
        assert_eq!(
            CheckInNonce::parse("door-1:scan-42").unwrap().as_str(),
            "door-1:scan-42"
        );
        for bad in ["", " ", "a b", "tab\t", &"n".repeat(101), "é"] {
            assert!(CheckInNonce::parse(bad).is_err(), "{bad:?}");
        }
        assert!(CheckInNonce::parse(&"n".repeat(100)).is_ok());
    }

    #[test]
    fn codes_are_long_url_safe_text_and_stay_out_of_debug_output() {
        let code = TicketCode::parse("q2x0-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789a").unwrap();
        assert_eq!(code.as_str().len(), 43);
        assert_eq!(format!("{code:?}"), "TicketCode(…)");
        for bad in [
            "",
            "short",
            &"a".repeat(21),
            &"a".repeat(65),
            "aaaaaaaaaaaaaaaaaaaaa+/",
            "aaaaaaaaaaaaaaaaaaaa a",
            "ääääääääääääääääääääää",
        ] {
            assert!(TicketCode::parse(bad).is_err(), "{bad}");
        }
        assert!(TicketCode::parse(&"a".repeat(22)).is_ok());
        assert!(TicketCode::parse(&"a".repeat(64)).is_ok());
    }
}
