//! A whole community moved between stores (`plaza migrate-data`): what one adapter reads out and another
//! writes in, in batches, keeping every id. The entities are the stored ones, so nothing is re-validated
//! or re-derived on the way (a password hash, a token epoch, a read mark all arrive as they were).

use crate::calendar::StoredFeed;
use crate::comment::Comment;
use crate::event::Event;
use crate::modlog::ModLogEntry;
use crate::notification::Notification;
use crate::post::Post;
use crate::removal::Removed;
use crate::report::Report;
use crate::ticket::Ticket;
use crate::user::User;
use crate::waitlist::StoredEntry;
use crate::{EventId, RepoError, UserId};

/// Rows of one table, in id order. Batches arrive table by table, in an order that keeps every reference
/// valid: users, events, posts, comments, participants, notifications, tickets, waitlist entries, the
/// moderation log, the removed copies, the reports, the private calendar feeds.
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
    /// Tickets, with their codes and where they stand.
    Tickets(Vec<Ticket>),
    /// Waitlist entries, in join order.
    Waitlist(Vec<StoredEntry>),
    /// The moderation log, oldest first (the user names read with an entry are not written back).
    ModLog(Vec<ModLogEntry>),
    /// Copies of removed comments, by id.
    RemovedComments(Vec<Removed<Comment>>),
    /// Copies of removed posts, by id.
    RemovedPosts(Vec<Removed<Post>>),
    /// Copies of removed events, by id.
    RemovedEvents(Vec<Removed<Event>>),
    /// Reports, open and resolved, oldest first (the reported content and the names read with a report
    /// are not written back).
    Reports(Vec<Report>),
    /// Private calendar feeds (the digests of their secrets), by user.
    CalendarFeeds(Vec<StoredFeed>),
}

/// Declares [`Table`] and its complete list [`Table::ALL`] from one list of names.
macro_rules! tables {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// What a transfer copies: one kind of row each, which every adapter maps to its table (an
        /// exhaustive `match`, so a new kind is a compile error until each store says where it lives).
        /// The adapters' tests check the other way round: every table their migrations create is one of
        /// these, or on their list of tables not copied (derived, ephemeral), with the reason.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Table {
            $($(#[$doc])* $name,)*
        }

        impl Table {
            /// Every kind, in the order the batches arrive.
            pub const ALL: &'static [Table] = &[$(Table::$name),*];
        }
    };
}

tables!(
    /// [`Batch::Users`].
    Users,
    /// [`Batch::Events`].
    Events,
    /// [`Batch::Posts`].
    Posts,
    /// [`Batch::Comments`].
    Comments,
    /// [`Batch::Participants`].
    Participants,
    /// [`Batch::Notifications`].
    Notifications,
    /// [`Batch::Tickets`].
    Tickets,
    /// [`Batch::Waitlist`].
    Waitlist,
    /// [`Batch::ModLog`].
    ModLog,
    /// [`Batch::RemovedComments`].
    RemovedComments,
    /// [`Batch::RemovedPosts`].
    RemovedPosts,
    /// [`Batch::RemovedEvents`].
    RemovedEvents,
    /// [`Batch::Reports`].
    Reports,
    /// [`Batch::CalendarFeeds`].
    CalendarFeeds,
);

impl Batch {
    /// The kind of rows it holds.
    pub fn table(&self) -> Table {
        match self {
            Batch::Users(_) => Table::Users,
            Batch::Events(_) => Table::Events,
            Batch::Posts(_) => Table::Posts,
            Batch::Comments(_) => Table::Comments,
            Batch::Participants(_) => Table::Participants,
            Batch::Notifications(_) => Table::Notifications,
            Batch::Tickets(_) => Table::Tickets,
            Batch::Waitlist(_) => Table::Waitlist,
            Batch::ModLog(_) => Table::ModLog,
            Batch::RemovedComments(_) => Table::RemovedComments,
            Batch::RemovedPosts(_) => Table::RemovedPosts,
            Batch::RemovedEvents(_) => Table::RemovedEvents,
            Batch::Reports(_) => Table::Reports,
            Batch::CalendarFeeds(_) => Table::CalendarFeeds,
        }
    }

    /// How many rows it holds.
    pub fn len(&self) -> usize {
        match self {
            Batch::Users(rows) => rows.len(),
            Batch::Events(rows) => rows.len(),
            Batch::Posts(rows) => rows.len(),
            Batch::Comments(rows) => rows.len(),
            Batch::Participants(rows) => rows.len(),
            Batch::Notifications(rows) => rows.len(),
            Batch::Tickets(rows) => rows.len(),
            Batch::Waitlist(rows) => rows.len(),
            Batch::ModLog(rows) => rows.len(),
            Batch::RemovedComments(rows) => rows.len(),
            Batch::RemovedPosts(rows) => rows.len(),
            Batch::RemovedEvents(rows) => rows.len(),
            Batch::Reports(rows) => rows.len(),
            Batch::CalendarFeeds(rows) => rows.len(),
        }
    }

    /// Whether it holds no row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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
    /// Rows of [`Batch::Tickets`].
    pub tickets: u64,
    /// Rows of [`Batch::Waitlist`].
    pub waitlist: u64,
    /// Rows of [`Batch::ModLog`].
    pub modlog: u64,
    /// Rows of [`Batch::RemovedComments`].
    pub removed_comments: u64,
    /// Rows of [`Batch::RemovedPosts`].
    pub removed_posts: u64,
    /// Rows of [`Batch::RemovedEvents`].
    pub removed_events: u64,
    /// Rows of [`Batch::Reports`].
    pub reports: u64,
    /// Rows of [`Batch::CalendarFeeds`].
    pub calendar_feeds: u64,
}

impl Counts {
    /// Adds a batch's rows.
    pub fn add(&mut self, batch: &Batch) {
        let rows = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        *self.of_mut(batch.table()) += rows;
    }

    /// The rows of one kind.
    pub fn of(&self, table: Table) -> u64 {
        let mut counts = *self;
        *counts.of_mut(table)
    }

    /// The count of one kind, to set or add to.
    pub fn of_mut(&mut self, table: Table) -> &mut u64 {
        match table {
            Table::Users => &mut self.users,
            Table::Events => &mut self.events,
            Table::Posts => &mut self.posts,
            Table::Comments => &mut self.comments,
            Table::Participants => &mut self.participants,
            Table::Notifications => &mut self.notifications,
            Table::Tickets => &mut self.tickets,
            Table::Waitlist => &mut self.waitlist,
            Table::ModLog => &mut self.modlog,
            Table::RemovedComments => &mut self.removed_comments,
            Table::RemovedPosts => &mut self.removed_posts,
            Table::RemovedEvents => &mut self.removed_events,
            Table::Reports => &mut self.reports,
            Table::CalendarFeeds => &mut self.calendar_feeds,
        }
    }
}

/// Where batches go.
pub type Sink<'a> = dyn FnMut(Batch) -> Result<(), RepoError> + 'a;
