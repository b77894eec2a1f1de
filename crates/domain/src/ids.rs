//! Newtype ids, so an event id can never be passed where a user id is expected.
//!
//! Every id is a positive integer: the stores number rows from 1. An id is built either from a number a
//! client sent ([`UserId::parse`] and its siblings, which refuse zero and below) or from a number a store
//! assigned ([`UserId::from_stored`], for adapters reading their own rows back).

use std::fmt;

use crate::error::Invalid;

/// What [`UserId::parse`] and its siblings answer for zero or a negative number.
pub const NOT_POSITIVE: &str = "must be a positive integer";

/// What every id type offers, for code generic over them (an HTTP path parameter, say).
pub trait Id: Copy {
    /// The id `raw` names, or [`NOT_POSITIVE`]: see [`UserId::parse`].
    fn parse(raw: i64) -> Result<Self, Invalid>;
    /// The number: see [`UserId::get`].
    fn get(self) -> i64;
}

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// The id `raw` names: `Err` ([`NOT_POSITIVE`]) for zero or a negative number, which no
            /// store assigns.
            pub fn parse(raw: i64) -> Result<Self, Invalid> {
                if raw > 0 {
                    Ok(Self(raw))
                } else {
                    Err(Invalid::new(NOT_POSITIVE))
                }
            }

            /// An id a store assigned, read back from it: for adapters only, which trust their own
            /// numbering (positive, checked in debug builds). A number from anywhere else goes
            /// through [`Self::parse`].
            pub const fn from_stored(raw: i64) -> Self {
                debug_assert!(raw > 0, "a stored id is positive");
                Self(raw)
            }

            /// The number, for adapters and responses.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl Id for $name {
            fn parse(raw: i64) -> Result<Self, Invalid> {
                Self::parse(raw)
            }

            fn get(self) -> i64 {
                self.get()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies an event.
    EventId
);
id_type!(
    /// Identifies a post.
    PostId
);
id_type!(
    /// Identifies a comment on an event.
    CommentId
);
id_type!(
    /// Identifies a notification.
    NotificationId
);
id_type!(
    /// Identifies a session (one login on one device).
    SessionId
);
id_type!(
    /// Identifies a ticket.
    TicketId
);
id_type!(
    /// Identifies an entry of the moderation log.
    ModLogId
);
id_type!(
    /// Identifies a report.
    ReportId
);
id_type!(
    /// Identifies a mail in the outbox.
    MailId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positive_numbers_are_ids() {
        assert_eq!(UserId::parse(1).map(UserId::get), Ok(1));
        assert_eq!(EventId::parse(i64::MAX).map(EventId::get), Ok(i64::MAX));
        for raw in [0, -1, i64::MIN] {
            assert_eq!(PostId::parse(raw), Err(Invalid::new(NOT_POSITIVE)));
        }
        assert_eq!(NotificationId::from_stored(42).to_string(), "42");
    }
}
