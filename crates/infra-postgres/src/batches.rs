//! Writes to one hot row, taken in turns: while one batch of writes holds the row, the writes that arrive
//! for it wait in line — on their own threads, holding no connection — and the next batch takes them all
//! at once. One transaction, one lock of the row and one WAL flush then serve many writes, and each is
//! still answered only after the commit that made it durable.
//!
//! Why: PostgreSQL holds a row's lock until the commit's WAL flush, so writes of one row one after the
//! other can never share a flush (writes of different rows do, by themselves). Sales of one popular event
//! ran at one flush each (docs/performance.md, issue 22). Grouping every write of an instance into one
//! transaction, a savepoint each, was tried before and not kept: a row locked by one savepoint and
//! updated by the next costs a MultiXact. A batch here is one transaction with no savepoints, built for
//! the kind of write it groups.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use plaza_domain::RepoError;

/// A write waiting for its turn, and where its answer goes.
type Waiter<T, R> = (T, Arc<Slot<T, R>>);

/// Lines of writes, one per key (an event's id), each led by the thread running its current batch.
pub(crate) struct Batches<T, R> {
    /// A key is here while a batch of it runs; its writes waiting for the next batch, in arrival order.
    lines: Mutex<HashMap<i64, VecDeque<Waiter<T, R>>>>,
    /// The most writes one batch takes (the rest wait for the next).
    most: usize,
}

enum Turn<T, R> {
    Waiting,
    /// This waiter runs the next batch (its own write first).
    Lead(Vec<Waiter<T, R>>),
    Done(R),
}

struct Slot<T, R> {
    turn: Mutex<Turn<T, R>>,
    changed: Condvar,
}

impl<T, R> Slot<T, R> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            turn: Mutex::new(Turn::Waiting),
            changed: Condvar::new(),
        })
    }

    fn give(&self, turn: Turn<T, R>) {
        *self.turn.lock().unwrap_or_else(PoisonError::into_inner) = turn;
        self.changed.notify_one();
    }

    fn wait(&self) -> Turn<T, R> {
        let mut turn = self.turn.lock().unwrap_or_else(PoisonError::into_inner);
        while matches!(*turn, Turn::Waiting) {
            turn = self.changed.wait(turn).unwrap_or_else(PoisonError::into_inner);
        }
        std::mem::replace(&mut *turn, Turn::Waiting)
    }
}

impl<T, R> std::fmt::Debug for Batches<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches")
            .field("running", &self.lines().len())
            .finish()
    }
}

impl<T, R> Batches<T, R> {
    pub(crate) fn new(most: usize) -> Self {
        Self {
            lines: Mutex::new(HashMap::new()),
            most: most.max(1),
        }
    }

    /// Runs `item` in a batch of `key`'s writes and answers what `work` answered for it. `work` gets the
    /// batch in arrival order and answers each write in that order; the thread that runs a batch is one
    /// of its writers. If `work` panics, the batch's other writers get `interrupted()` and the next batch
    /// still runs.
    pub(crate) fn run(
        &self,
        key: i64,
        item: T,
        work: impl FnOnce(Vec<T>) -> Vec<R>,
        interrupted: impl Fn() -> R,
    ) -> R {
        let slot = Slot::new();
        let batch = {
            let mut lines = self.lines();
            match lines.entry(key) {
                Entry::Occupied(mut line) => {
                    line.get_mut().push_back((item, slot.clone()));
                    drop(lines);
                    match slot.wait() {
                        Turn::Done(answer) => return answer,
                        Turn::Lead(batch) => batch,
                        Turn::Waiting => unreachable!("a slot is waited on until its turn changes"),
                    }
                }
                Entry::Vacant(line) => {
                    line.insert(VecDeque::new());
                    vec![(item, slot)]
                }
            }
        };
        let (items, slots): (Vec<T>, Vec<_>) = batch.into_iter().unzip();
        let answers = catch_unwind(AssertUnwindSafe(|| work(items)));
        self.pass_on(key);
        let mut answers = match answers {
            Ok(answers) => answers.into_iter(),
            Err(panic) => {
                for slot in &slots[1..] {
                    slot.give(Turn::Done(interrupted()));
                }
                resume_unwind(panic)
            }
        };
        let mine = answers.next().unwrap_or_else(&interrupted);
        for slot in &slots[1..] {
            slot.give(Turn::Done(answers.next().unwrap_or_else(&interrupted)));
        }
        mine
    }

    /// Hands the writes waiting for `key` to the first of them as the next batch, or ends the line.
    fn pass_on(&self, key: i64) {
        let mut lines = self.lines();
        let Some(line) = lines.get_mut(&key) else {
            return;
        };
        if line.is_empty() {
            lines.remove(&key);
            return;
        }
        let next: Vec<_> = line.drain(..line.len().min(self.most)).collect();
        drop(lines);
        let leader = next[0].1.clone();
        leader.give(Turn::Lead(next));
    }

    fn lines(&self) -> MutexGuard<'_, HashMap<i64, VecDeque<Waiter<T, R>>>> {
        // Nothing runs while the lock is held but the lines' own bookkeeping.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What the failed transaction of a batch answers each of its `writes`: a failure of the database's
/// (unreachable, full) is every write's; any other may be one write's doing (a row it names is gone),
/// so each then runs again as a batch of its own, through `alone`.
pub(crate) fn after_failure<T, O>(
    error: RepoError,
    writes: Vec<T>,
    mut alone: impl FnMut(Vec<T>) -> Vec<Result<O, RepoError>>,
) -> Vec<Result<O, RepoError>> {
    let every = |error: fn(String) -> RepoError, why: String| {
        writes.iter().map(|_| Err(error(why.clone()))).collect()
    };
    match error {
        error if writes.len() == 1 => vec![Err(error)],
        RepoError::Unavailable(why) => every(RepoError::Unavailable, why),
        RepoError::StorageFull(why) => every(RepoError::StorageFull, why),
        _ => writes.into_iter().flat_map(|write| alone(vec![write])).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::thread::{Scope, ScopedJoinHandle};

    type Numbers = Batches<u32, u32>;

    impl<T, R> Batches<T, R> {
        /// Returns once `writers` wait in `key`'s line.
        fn wait_for_line(&self, key: i64, writers: usize) {
            while self.lines().get(&key).map_or(0, VecDeque::len) < writers {
                std::thread::yield_now();
            }
        }
    }

    /// Starts a writer of `key` whose batch (its own write, 0) runs until `release` is waited on, and
    /// returns once that batch runs.
    fn held_open<'s>(
        scope: &'s Scope<'s, '_>,
        batches: &'s Numbers,
        key: i64,
        release: &'s Barrier,
    ) -> ScopedJoinHandle<'s, u32> {
        let running = std::sync::Arc::new(Barrier::new(2));
        let started = running.clone();
        let writer = scope.spawn(move || {
            let work = |items| {
                started.wait();
                release.wait();
                items
            };
            batches.run(key, 0, work, || u32::MAX)
        });
        running.wait();
        writer
    }

    /// Starts writers of `key` with `items`, each running a batch (if it leads one) with `work`, and
    /// returns once all of them wait in line.
    fn in_line<'s>(
        scope: &'s Scope<'s, '_>,
        batches: &'s Numbers,
        key: i64,
        items: std::ops::RangeInclusive<u32>,
        work: &'s (impl Fn(Vec<u32>) -> Vec<u32> + Sync),
    ) -> Vec<ScopedJoinHandle<'s, u32>> {
        let writers: Vec<_> = items
            .clone()
            .map(|n| scope.spawn(move || batches.run(key, n, work, || u32::MAX)))
            .collect();
        batches.wait_for_line(key, items.count());
        writers
    }

    /// While a batch runs, the writes that arrive wait and then run together, each answered its own.
    #[test]
    fn writes_arriving_during_a_batch_run_together_in_the_next_and_each_gets_its_answer() {
        let batches = Numbers::new(64);
        let sizes = Mutex::new(Vec::new());
        let tenfold = |items: Vec<u32>| {
            sizes.lock().unwrap().push(items.len());
            items.iter().map(|n| n * 10).collect()
        };
        let release = Barrier::new(2);
        std::thread::scope(|scope| {
            let first = held_open(scope, &batches, 7, &release);
            let later = in_line(scope, &batches, 7, 1..=5, &tenfold);
            release.wait();
            assert_eq!(first.join().unwrap(), 0);
            let answers: Vec<u32> = later.into_iter().map(|writer| writer.join().unwrap()).collect();
            assert_eq!(answers, [10, 20, 30, 40, 50]);
        });
        assert_eq!(*sizes.lock().unwrap(), [5], "one batch for the five");
        assert!(batches.lines().is_empty(), "the line ends with its last batch");
    }

    /// A batch takes at most `most` writes; writes of another key never wait for it.
    #[test]
    fn batches_are_bounded_and_keys_do_not_wait_for_each_other() {
        let batches = Numbers::new(2);
        let sizes = Mutex::new(Vec::new());
        let same = |items: Vec<u32>| {
            sizes.lock().unwrap().push(items.len());
            items
        };
        let release = Barrier::new(2);
        std::thread::scope(|scope| {
            let first = held_open(scope, &batches, 1, &release);
            assert_eq!(
                batches.run(2, 9, |items| items, || u32::MAX),
                9,
                "key 2 runs at once"
            );
            let later = in_line(scope, &batches, 1, 1..=5, &same);
            release.wait();
            first.join().unwrap();
            let mut answers: Vec<u32> = later.into_iter().map(|writer| writer.join().unwrap()).collect();
            answers.sort_unstable();
            assert_eq!(answers, [1, 2, 3, 4, 5]);
        });
        assert_eq!(*sizes.lock().unwrap(), [2, 2, 1]);
    }

    /// A batch whose work panics answers its other writers `interrupted()`, and the line goes on.
    #[test]
    fn a_panicking_batch_interrupts_its_writers_and_the_next_batch_still_runs() {
        let batches = Numbers::new(64);
        let broken = |_: Vec<u32>| -> Vec<u32> { panic!("the batch breaks") };
        let release = Barrier::new(2);
        std::thread::scope(|scope| {
            let first = held_open(scope, &batches, 3, &release);
            // Both wait for the second batch; whichever leads it panics in its work.
            let later = in_line(scope, &batches, 3, 1..=2, &broken);
            release.wait();
            assert_eq!(first.join().unwrap(), 0);
            let outcomes: Vec<_> = later.into_iter().map(|writer| writer.join().ok()).collect();
            assert!(
                outcomes == [None, Some(u32::MAX)] || outcomes == [Some(u32::MAX), None],
                "the leader's own thread panics, the other writer is told: {outcomes:?}"
            );
        });
        assert_eq!(batches.run(3, 5, |items| items, || u32::MAX), 5);
        assert!(batches.lines().is_empty());
    }
}
