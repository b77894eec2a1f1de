//! The errors the domain speaks: invalid values and what storage can answer.

use std::fmt;

/// Why one value is invalid; the caller knows which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

impl Invalid {
    /// An error saying what is wrong, worded to follow the field's name ("must be …").
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One invalid field of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The input field at fault, as the client named it (`max_tickets`, `limit`, …).
    pub field: String,
    /// What is wrong with it, as in [`Invalid`].
    pub message: String,
}

/// Every invalid field of one input, collected so a client can fix them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// A single invalid field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// Records the error of `result`, if any, under `field`, and hands back the value when valid.
    pub fn check<T>(&mut self, field: &str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.0.push(FieldError {
                    field: field.to_owned(),
                    message,
                });
                None
            }
        }
    }

    /// Like [`check`](Self::check) for an optional input: absent stays absent.
    pub fn check_opt<T, R>(
        &mut self,
        field: &str,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match raw {
            None => Some(None),
            Some(raw) => self.check(field, parse(raw)).map(Some),
        }
    }

    /// Records that `field` is invalid, for rules that span fields or need no parser.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Whether no field was found invalid.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A uniqueness or capacity rule that a write would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Another account has this user name, compared without regard to ASCII case.
    UsernameTaken,
    /// Another account has this e-mail address, compared without regard to ASCII case.
    EmailTaken,
    /// The purchase would take `tickets_sold` past `max_tickets`.
    SoldOut,
    /// A new `max_tickets` below the tickets already sold.
    CapacityBelowSold,
    /// The event has started: its tickets no longer sell, nor can they be given back.
    EventStarted,
    /// The ticket was given back already.
    AlreadyCancelled,
    /// The ticket was used at the door already.
    AlreadyCheckedIn,
    /// The ticket was given back: it admits nobody.
    TicketCancelled,
    /// At least the tickets asked for are left: buy them instead of waiting.
    TicketsAvailable,
    /// The user is on this event's waitlist already.
    AlreadyWaiting,
    /// The change would leave the community without an admin.
    LastAdmin,
    /// The user's role is beyond the acting moderator's reach (it changed since they looked).
    OutOfReach,
    /// The reporter has an open report on this target already.
    AlreadyReported,
    /// The report was resolved already.
    ReportResolved,
    /// The account's address is verified already.
    AlreadyVerified,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Conflict::UsernameTaken => "user name already taken",
            Conflict::EmailTaken => "e-mail already registered",
            Conflict::SoldOut => "not enough tickets left",
            Conflict::CapacityBelowSold => "max_tickets below tickets already sold",
            Conflict::EventStarted => "the event has already started: its tickets no longer sell",
            Conflict::AlreadyCancelled => "the ticket is cancelled already",
            Conflict::AlreadyCheckedIn => "the ticket was checked in already",
            Conflict::TicketCancelled => "the ticket was cancelled: it admits nobody",
            Conflict::TicketsAvailable => "enough tickets are left: buy them instead of waiting",
            Conflict::AlreadyWaiting => "already on this event's waitlist",
            Conflict::LastAdmin => {
                "the community's last admin cannot stop being one: make another admin first"
            }
            Conflict::OutOfReach => "the user's role puts them beyond the reach of this ban",
            Conflict::AlreadyReported => "you have reported this already; a moderator will look at it",
            Conflict::ReportResolved => "the report was resolved already",
            Conflict::AlreadyVerified => "this address is verified already",
        })
    }
}

/// How a store's [`RepoError::Unavailable`] begins while it knows its database cannot be reached (and
/// refuses at once rather than wait): worded for clients, naming no host, so the HTTP layer may pass it on.
pub const DATABASE_UNREACHABLE: &str = "the database cannot be reached";

/// What a storage port can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// The row the operation is about does not exist.
    #[error("not found")]
    NotFound,
    /// The write would break a uniqueness or capacity rule; nothing was written.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// Storage cannot be reached or stayed busy past its timeout; worth retrying later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// The store's disk is full: nothing was written. Reads go on, and writes work again once space is
    /// freed.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// Anything else: a bug or a broken store. Never shown to clients.
    #[error("storage failure")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RepoError {
    /// Wraps any error as [`RepoError::Internal`].
    pub fn internal(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(error.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_invalid_field() {
        let mut errors = ValidationErrors::default();
        let ok: Option<u8> = errors.check("a", Ok(1));
        let bad: Option<u8> = errors.check("b", Err(Invalid::new("too big")));
        let absent: Option<Option<u8>> = errors.check_opt("c", None::<u8>, |_| Err(Invalid::new("never")));
        assert_eq!(ok, Some(1));
        assert_eq!(bad, None);
        assert_eq!(absent, Some(None));
        assert_eq!(
            errors.0,
            vec![FieldError {
                field: "b".into(),
                message: "too big".into()
            }]
        );
        assert!(errors.to_string().contains("b: too big"));
    }
}
