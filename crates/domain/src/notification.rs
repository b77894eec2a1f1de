//! Notifications and the notification repository port.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{EventId, NotificationId, UserId};
use crate::page::{Page, PageRequest};
use crate::text::bounded_text;

bounded_text!(
    /// A notification's text: 1–1,000 characters.
    NotificationMessage,
    1,
    1_000,
    Prose
);
bounded_text!(
    /// The sender's name as shown: 1–100 characters.
    SenderName,
    1,
    100,
    Name
);

/// What a notification is about, in parts a client puts into words in its reader's language; `message`
/// beside it keeps the English sentence for clients that do not know the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationSubject {
    /// Someone's own words (sent directly), or a notification written before notifications had kinds:
    /// the message is all there is.
    Message,
    /// The sender commented on the notification's event.
    Comment {
        /// The event's name when the comment was written.
        event_name: String,
    },
    /// The waitlist gave the recipient tickets.
    PlacesGiven {
        /// The event's name then.
        event_name: String,
        /// How many tickets.
        quantity: i64,
    },
    /// The event the recipient holds tickets to moved.
    EventMoved {
        /// The event's name then.
        event_name: String,
        /// When it starts now.
        event_time: DateTime<Utc>,
    },
    /// The event the recipient held tickets to was cancelled (deleted by its organiser, or removed).
    EventCancelled {
        /// The event's name when it went.
        event_name: String,
    },
}

impl NotificationSubject {
    /// Every kind, by its name in the contract.
    pub const KINDS: [&'static str; 5] = [
        "message",
        "comment",
        "places_given",
        "event_moved",
        "event_cancelled",
    ];

    /// Its kind's name in the contract (and the stored `kind` column).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Comment { .. } => "comment",
            Self::PlacesGiven { .. } => "places_given",
            Self::EventMoved { .. } => "event_moved",
            Self::EventCancelled { .. } => "event_cancelled",
        }
    }

    /// The event's name, for the kinds about an event.
    pub fn event_name(&self) -> Option<&str> {
        match self {
            Self::Message => None,
            Self::Comment { event_name }
            | Self::PlacesGiven { event_name, .. }
            | Self::EventMoved { event_name, .. }
            | Self::EventCancelled { event_name } => Some(event_name),
        }
    }

    /// How many tickets, for [`PlacesGiven`](Self::PlacesGiven).
    pub fn quantity(&self) -> Option<i64> {
        match self {
            Self::PlacesGiven { quantity, .. } => Some(*quantity),
            _ => None,
        }
    }

    /// The new start, for [`EventMoved`](Self::EventMoved).
    pub fn event_time(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::EventMoved { event_time, .. } => Some(*event_time),
            _ => None,
        }
    }

    /// Read back from its stored parts; a kind whose parts are missing (which the stores' checks do not
    /// let in) reads as a plain message, so its `message` is still shown.
    pub fn from_stored(
        kind: &str,
        event_name: Option<String>,
        quantity: Option<i64>,
        event_time: Option<DateTime<Utc>>,
    ) -> Self {
        match (kind, event_name, quantity, event_time) {
            ("comment", Some(event_name), _, _) => Self::Comment { event_name },
            ("places_given", Some(event_name), Some(quantity), _) => {
                Self::PlacesGiven { event_name, quantity }
            }
            ("event_moved", Some(event_name), _, Some(event_time)) => Self::EventMoved {
                event_name,
                event_time,
            },
            ("event_cancelled", Some(event_name), _, _) => Self::EventCancelled { event_name },
            _ => Self::Message,
        }
    }
}

/// A stored notification. `owner_id` is the recipient; `sender_id` the account that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Given by the store; for one owner, ids grow in the order notifications were written.
    pub id: NotificationId,
    /// The text, as accepted by [`NotificationMessage`].
    pub message: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// The sender's name as shown when it was sent ([`SenderName`]); not updated when they rename.
    pub sender: String,
    /// The account that sent it or whose comment caused it.
    pub sender_id: UserId,
    /// The recipient, the only account that may read it.
    pub owner_id: UserId,
    /// The event a comment notification is about.
    pub event_id: Option<EventId>,
    /// What it is about, for the reader's language.
    pub subject: NotificationSubject,
    /// Whether the recipient has marked it read; `false` when written.
    pub read: bool,
}

/// A notification to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    /// The text.
    pub message: NotificationMessage,
    /// The sender's name as it will be shown.
    pub sender: SenderName,
    /// The account sending it.
    pub sender_id: UserId,
    /// The recipient; the store answers `NotFound` when the account does not exist.
    pub owner_id: UserId,
    /// The event a comment notification is about; `None` for a direct one.
    pub event_id: Option<EventId>,
    /// What it is about, for the reader's language.
    pub subject: NotificationSubject,
}

/// Which of a recipient's notifications to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationQuery {
    /// The recipient whose notifications are listed; nobody else's ever are.
    pub owner: UserId,
    /// Only those not yet read.
    pub unread_only: bool,
    /// Which slice of the ordered list.
    pub page: PageRequest,
}

/// A place in one owner's notifications, in id order: before the first, or at one notification. A stream
/// reads what comes after its cursor; "mark all read" marks what comes up to one. Ordered like the ids,
/// with [`InboxCursor::Start`] before all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InboxCursor {
    /// Before every notification (a client's `0`).
    Start,
    /// At this notification: it and every lower id are behind the cursor.
    At(NotificationId),
}

impl InboxCursor {
    /// The place a client's number names: `0` is the start, a positive number a notification id; `None`
    /// below zero.
    pub fn parse(raw: i64) -> Option<Self> {
        match raw {
            0 => Some(Self::Start),
            _ => NotificationId::parse(raw).ok().map(Self::At),
        }
    }

    /// The number of this place, for adapters to compare ids with: `0` for the start, else the id.
    pub fn get(self) -> i64 {
        match self {
            Self::Start => 0,
            Self::At(id) => id.get(),
        }
    }
}

impl From<NotificationId> for InboxCursor {
    fn from(id: NotificationId) -> Self {
        Self::At(id)
    }
}

/// What an open stream reads when woken, in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxSince {
    /// The owner's notifications with an id above the one asked for, lowest id first.
    pub notifications: Vec<Notification>,
    /// All of the owner's unread notifications.
    pub unread: u64,
    /// The owner's highest notification id, if they have any.
    pub newest: Option<NotificationId>,
}

/// Storage of notifications.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait NotificationRepository: Send + Sync {
    /// `NotFound` when the recipient does not exist.
    fn create(&self, notification: NewNotification) -> Result<Notification, RepoError>;
    /// How many notifications `sender` sent directly (not as a comment's fan-out) since `since`.
    fn sent_since(&self, sender: UserId, since: DateTime<Utc>) -> Result<u64, RepoError>;
    /// Newest first (by `id`, descending: the order notifications are written in), with the owner's unread
    /// count read in the same snapshot as the page.
    fn list(&self, query: NotificationQuery) -> Result<(Page<Notification>, u64), RepoError>;
    /// `owner`'s notifications with an id above `after` (none when `after` is `None`), lowest first and at
    /// most `limit`, with the unread count and the newest id. For one owner, ids must become visible in
    /// the order they were given: a reader that has seen id `n` never later finds a new id below `n`.
    fn since(&self, owner: UserId, after: Option<InboxCursor>, limit: u32) -> Result<InboxSince, RepoError>;
    /// Marks one of `owner`'s notifications read; `NotFound` for an id that is not theirs.
    fn mark_read(&self, owner: UserId, id: NotificationId) -> Result<Notification, RepoError>;
    /// Marks `owner`'s notifications read, only those with `id <= up_to` when given; returns how many
    /// changed from unread to read.
    fn mark_all_read(&self, owner: UserId, up_to: Option<InboxCursor>) -> Result<u64, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_is_read_back_from_its_stored_parts() {
        let at = Utc::now();
        let subjects = [
            NotificationSubject::Message,
            NotificationSubject::Comment {
                event_name: "Meetup".into(),
            },
            NotificationSubject::PlacesGiven {
                event_name: "Meetup".into(),
                quantity: 2,
            },
            NotificationSubject::EventMoved {
                event_name: "Meetup".into(),
                event_time: at,
            },
            NotificationSubject::EventCancelled {
                event_name: "Meetup".into(),
            },
        ];
        for subject in subjects {
            assert!(NotificationSubject::KINDS.contains(&subject.kind()));
            let back = NotificationSubject::from_stored(
                subject.kind(),
                subject.event_name().map(str::to_owned),
                subject.quantity(),
                subject.event_time(),
            );
            assert_eq!(back, subject);
        }
        assert_eq!(
            NotificationSubject::from_stored("places_given", Some("Meetup".into()), None, None),
            NotificationSubject::Message,
            "a kind without its parts is shown by its message"
        );
        assert_eq!(
            NotificationSubject::from_stored("unknown", None, None, None),
            NotificationSubject::Message
        );
    }

    #[test]
    fn a_cursor_is_zero_or_an_id_and_sorts_like_the_ids() {
        let seven = NotificationId::from_stored(7);
        assert_eq!(InboxCursor::parse(0), Some(InboxCursor::Start));
        assert_eq!(InboxCursor::parse(7), Some(InboxCursor::At(seven)));
        assert_eq!(InboxCursor::parse(-1), None);
        assert_eq!(InboxCursor::Start.get(), 0);
        assert_eq!(InboxCursor::from(seven).get(), 7);
        assert!(InboxCursor::Start < InboxCursor::At(NotificationId::from_stored(1)));
        assert!(InboxCursor::At(NotificationId::from_stored(2)) < InboxCursor::At(seven));
    }
}
