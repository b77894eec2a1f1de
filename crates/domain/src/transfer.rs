//! A whole community moved between stores (`plaza migrate-data`): what one adapter reads out and another
//! writes in, in batches, keeping every id. The entities are the stored ones, so nothing is re-validated
//! or re-derived on the way (a password hash, a token epoch, a read mark all arrive as they were).

use crate::comment::Comment;
use crate::event::Event;
use crate::notification::Notification;
use crate::post::Post;
use crate::user::User;
use crate::{EventId, RepoError, UserId};

/// Rows of one table, in id order. Batches arrive table by table, in an order that keeps every reference
/// valid: users, events, posts, comments, participants, notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// Accounts, with their password hashes and token epochs.
    Users(Vec<User>),
    /// Events, with their tickets sold.
    Events(Vec<Event>),
    /// Posts, with their authors and creation times.
    Posts(Vec<Post>),
    /// Comments on events.
    Comments(Vec<Comment>),
    /// Who has commented on which event (what the comment fan-out reads).
    Participants(Vec<(EventId, UserId)>),
    /// Notifications, with their read marks.
    Notifications(Vec<Notification>),
}

/// How many rows of each table a store holds (or a transfer moved).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows of [`Batch::Users`].
    pub users: u64,
    /// Rows of [`Batch::Events`].
    pub events: u64,
    /// Rows of [`Batch::Posts`].
    pub posts: u64,
    /// Rows of [`Batch::Comments`].
    pub comments: u64,
    /// Rows of [`Batch::Participants`]: (event, commenter) pairs.
    pub participants: u64,
    /// Rows of [`Batch::Notifications`].
    pub notifications: u64,
}

impl Counts {
    /// Adds a batch's rows.
    pub fn add(&mut self, batch: &Batch) {
        let (count, rows) = match batch {
            Batch::Users(rows) => (&mut self.users, rows.len()),
            Batch::Events(rows) => (&mut self.events, rows.len()),
            Batch::Posts(rows) => (&mut self.posts, rows.len()),
            Batch::Comments(rows) => (&mut self.comments, rows.len()),
            Batch::Participants(rows) => (&mut self.participants, rows.len()),
            Batch::Notifications(rows) => (&mut self.notifications, rows.len()),
        };
        *count += u64::try_from(rows).unwrap_or(u64::MAX);
    }
}

/// Where batches go.
pub type Sink<'a> = dyn FnMut(Batch) -> Result<(), RepoError> + 'a;
