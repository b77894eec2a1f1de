//! The waitlist of a sold-out event, and what ticket holders are told when their event changes.
//!
//! Someone who wants more tickets than are left joins the event's waitlist with the quantity they want.
//! Whenever places free up (a ticket given back, `max_tickets` raised) the entries are offered the free
//! places **in join order, whole**: an entry takes all the tickets it asked for if that many are free,
//! else it is passed over for now and keeps its place in line, so that one large entry never blocks
//! smaller ones behind it ([`FreePlaces`]). A filled entry leaves the list and becomes active tickets
//! for its user, in the same transaction that freed the places. So after every write, no entry waits for
//! fewer tickets than are free.

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::event::TicketQuantity;
use crate::ids::{EventId, UserId};
use crate::page::{Page, PageRequest};
use crate::ticket::EventSummary;

/// Someone's place on an event's waitlist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitlistEntry {
    /// The event they wait for.
    pub event: EventSummary,
    /// Who waits.
    pub user_id: UserId,
    /// How many tickets they want, all or none.
    pub quantity: i64,
    /// Their place in line: 1 for the first of the event's entries.
    pub position: u64,
    /// When they joined.
    pub created_at: DateTime<Utc>,
}

/// An entry as stored: what `migrate-data` copies. Its position is derived from `id` (join order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Its place in every line it is in: entries of one event are filled in `id` order.
    pub id: i64,
    /// The event it waits for.
    pub event_id: EventId,
    /// Who waits.
    pub user_id: UserId,
    /// How many tickets they want.
    pub quantity: i64,
    /// When they joined.
    pub created_at: DateTime<Utc>,
}

/// An entry as a fill reads it, in join order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// Who waits.
    pub user_id: UserId,
    /// How many tickets they want.
    pub quantity: i64,
}

/// The free places of an event while its waitlist is filled: the fill rule, written once. Entries are
/// offered places in join order; [`take`](Self::take) gives an entry its whole quantity when that many
/// are left, and otherwise nothing (the entry is passed over and keeps its place). A store applies it to
/// the entries it reads in join order inside the freeing transaction, and may skip reading entries
/// larger than [`left`](Self::left), which would be passed over anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreePlaces(i64);

impl FreePlaces {
    /// `max_tickets - tickets_sold` of the event; none when that is negative.
    pub fn new(max_tickets: i64, tickets_sold: i64) -> Self {
        Self(max_tickets.saturating_sub(tickets_sold).max(0))
    }

    /// Places still free.
    pub fn left(self) -> i64 {
        self.0
    }

    /// Whether `entry` is filled now: if so, its places are taken.
    pub fn take(&mut self, entry: Waiting) -> bool {
        let fits = entry.quantity > 0 && entry.quantity <= self.0;
        if fits {
            self.0 -= entry.quantity;
        }
        fits
    }

    /// Which of `waiting` (in join order) `self` fills: their indexes, in join order.
    pub fn fill(mut self, waiting: &[Waiting]) -> Vec<usize> {
        (0..waiting.len()).filter(|&i| self.take(waiting[i])).collect()
    }
}

/// Storage of waitlists. Entries are filled by the writes that free places
/// ([`crate::ticket::TicketRepository::cancel`], [`crate::event::EventRepository::update`]).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait WaitlistRepository: Send + Sync {
    /// Puts `user` on `event`'s waitlist for `quantity` tickets at `now`, at the end of the line, in one
    /// check-and-write: `NotFound` for no such event; `Conflict::EventStarted` once it has started by
    /// `now`; `Conflict::TicketsAvailable` while at least `quantity` tickets are left (they can be
    /// bought); `Conflict::AlreadyWaiting` when `user` is on it already.
    fn join(
        &self,
        event: EventId,
        user: UserId,
        quantity: TicketQuantity,
        now: DateTime<Utc>,
    ) -> Result<WaitlistEntry, RepoError>;
    /// Takes `user` off `event`'s waitlist; `NotFound` when they are not on it.
    fn leave(&self, event: EventId, user: UserId) -> Result<(), RepoError>;
    /// `user`'s entry on `event`'s waitlist, if any.
    fn find(&self, event: EventId, user: UserId) -> Result<Option<WaitlistEntry>, RepoError>;
    /// Every entry of `user`, oldest first, a page at a time.
    fn list_for(&self, user: UserId, page: PageRequest) -> Result<Page<WaitlistEntry>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantities: &[i64]) -> Vec<Waiting> {
        quantities
            .iter()
            .enumerate()
            .map(|(i, &quantity)| Waiting {
                user_id: UserId::from_stored(i as i64 + 1),
                quantity,
            })
            .collect()
    }

    #[test]
    fn entries_are_filled_whole_in_join_order_and_a_large_one_does_not_block_smaller_ones() {
        assert_eq!(FreePlaces::new(10, 7).fill(&line(&[2, 1, 1])), [0, 1]);
        assert_eq!(FreePlaces::new(10, 7).fill(&line(&[5, 2, 4, 1])), [1, 3]);
        assert_eq!(FreePlaces::new(10, 10).fill(&line(&[1])), Vec::<usize>::new());
        assert_eq!(FreePlaces::new(10, 12).left(), 0, "oversold counts as none free");
        assert_eq!(FreePlaces::new(3, 0).fill(&line(&[3, 1])), [0]);
    }

    #[test]
    fn the_fill_never_passes_over_an_entry_that_fits_for_a_later_one() {
        // Every line of up to five entries of 1..=4 tickets, with 0..=6 places free.
        for free in 0..=6 {
            for n in 0..=5u32 {
                for combination in 0..4i64.pow(n) {
                    let quantities: Vec<i64> = (0..n).map(|k| combination / 4i64.pow(k) % 4 + 1).collect();
                    let waiting = line(&quantities);
                    let filled = FreePlaces::new(free, 0).fill(&waiting);
                    let mut left = free;
                    for (i, entry) in waiting.iter().enumerate() {
                        let was_filled = filled.contains(&i);
                        // An entry is filled exactly when it fits what the earlier ones left.
                        assert_eq!(
                            was_filled,
                            entry.quantity <= left,
                            "{quantities:?} with {free} free"
                        );
                        if was_filled {
                            left -= entry.quantity;
                        }
                    }
                    let taken: i64 = filled.iter().map(|&i| waiting[i].quantity).sum();
                    assert!(taken <= free, "never more than is free");
                }
            }
        }
    }
}
