//! Counts a store cannot keep, remembered for as long as what they count stays the same.
//!
//! A search of several words is counted by intersecting the words' lists of matches, which costs as many
//! steps as the shorter list holds — 140,000 for two common words in a million events — on every request.
//! Nothing can keep such counts ahead of time (there is one per pair of words), but the same searches are
//! asked again and again between two changes of the events' text or times. A store keeps a number that
//! every such change raises in the change's own transaction (its *version*), reads it in the same snapshot
//! as the count, and files the count under it here: a count is only ever answered for the version it was
//! made at, so a change is seen by the very next search, on every instance that reads the same number.
//!
//! Searches that miss the same count at the same time wait for one of them to count it: right after a
//! change, the 64 clients of a popular search would otherwise all count at once, on every search
//! connection, each slower for the others (at a million events two common words took 0.5 s alone and
//! over 2 s each together, past the searches' statement timeout).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};

/// Counts by key, each valid for one version of the data; at most `capacity` of them.
#[derive(Debug)]
pub struct CountMemo {
    capacity: usize,
    entries: Mutex<HashMap<String, Filed>>,
    /// One turn per key being counted now: who holds it counts, who waits for it may find it filed.
    counting: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

#[derive(Debug, Clone, Copy)]
struct Filed {
    version: i64,
    count: i64,
}

/// Whether a caller waits while another counts the key it wants.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    Wait,
    DoNotWait,
}

/// Keys longer than this are not remembered: a search of that many characters is rare, and the memo's
/// memory stays bounded by `capacity` keys of this length.
const LONGEST_KEY: usize = 512;

impl Default for CountMemo {
    /// 4,096 counts: each a key of at most 512 octets and two numbers, so a few MiB at most.
    fn default() -> Self {
        Self::new(4096)
    }
}

impl CountMemo {
    /// A memo of at most `capacity` counts.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
            counting: Mutex::new(HashMap::new()),
        }
    }

    /// The count filed under `key` at `version`, if there is one.
    pub fn get(&self, key: &str, version: i64) -> Option<i64> {
        self.lock()
            .get(key)
            .filter(|filed| filed.version == version)
            .map(|filed| filed.count)
    }

    /// Files `count` under `key` at `version`. A full memo first forgets the counts of other versions,
    /// and forgets everything when they were all of this one (a flood of different searches then costs
    /// what it would without the memo, and no more memory).
    pub fn put(&self, key: &str, version: i64, count: i64) {
        if key.len() > LONGEST_KEY {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.retain(|_, filed| filed.version == version);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key.to_owned(), Filed { version, count });
    }

    /// Forgets every count: for a store whose versions may be issued again for other data (a database
    /// restored to an earlier point, or replaced by a replica that had not seen the latest changes).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The count under `key` at `version`, counted by `count` when it is not filed (and then filed).
    /// While another caller counts the same key, this one waits for it and takes its count if it was
    /// made at `version` (and counts itself if not, or if that count failed).
    pub fn get_or_count<E>(
        &self,
        key: &str,
        version: i64,
        count: impl FnOnce() -> Result<i64, E>,
    ) -> Result<i64, E> {
        let counted = self.counted_in_turn(key, version, Waiting::Wait, count)?;
        Ok(counted.expect("a caller that waits for its turn always gets a count"))
    }

    /// As [`Self::get_or_count`], but `None` at once while another caller counts `key`, instead of
    /// waiting: for a caller that holds something the count needs (a database connection, of which
    /// there are few), to let go of it, [`Self::wait_for_count`], and ask again.
    pub fn get_or_count_unless_counting<E>(
        &self,
        key: &str,
        version: i64,
        count: impl FnOnce() -> Result<i64, E>,
    ) -> Result<Option<i64>, E> {
        self.counted_in_turn(key, version, Waiting::DoNotWait, count)
    }

    /// Returns once nobody is counting `key` (at once if nobody is now).
    pub fn wait_for_count(&self, key: &str) {
        let Some(turn) = unpoisoned(&self.counting).get(key).map(Arc::clone) else {
            return;
        };
        drop(unpoisoned(&turn));
        self.let_go(key, turn);
    }

    fn counted_in_turn<E>(
        &self,
        key: &str,
        version: i64,
        waiting: Waiting,
        count: impl FnOnce() -> Result<i64, E>,
    ) -> Result<Option<i64>, E> {
        if let Some(count) = self.get(key, version) {
            return Ok(Some(count));
        }
        if key.len() > LONGEST_KEY {
            // Never filed, so a waiter would only count again after the first.
            return count().map(Some);
        }
        let turn = Arc::clone(unpoisoned(&self.counting).entry(key.to_owned()).or_default());
        let held = match waiting {
            Waiting::Wait => Some(unpoisoned(&turn)),
            Waiting::DoNotWait => match turn.try_lock() {
                Ok(held) => Some(held),
                Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            },
        };
        let result = held.map(|_turn| match self.get(key, version) {
            Some(filed) => Ok(filed),
            None => count().inspect(|&counted| self.put(key, version, counted)),
        });
        self.let_go(key, turn);
        result.transpose()
    }

    /// Lets go of a hold on `key`'s turn; the last to let go forgets it (each lets go under the map's
    /// lock, so exactly one of them sees no other holder).
    fn let_go(&self, key: &str, turn: Arc<Mutex<()>>) {
        let mut counting = unpoisoned(&self.counting);
        drop(turn);
        if counting.get(key).is_some_and(|turn| Arc::strong_count(turn) == 1) {
            counting.remove(key);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Filed>> {
        unpoisoned(&self.entries)
    }
}

/// A lock of `mutex`, even if a holder panicked: each map is changed by one insert, retain or remove,
/// so it is whole, and a turn guards no data.
fn unpoisoned<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_answered_only_for_the_version_it_was_made_at() {
        let memo = CountMemo::new(8);
        assert_eq!(memo.get("music festival", 3), None);
        memo.put("music festival", 3, 140);
        assert_eq!(memo.get("music festival", 3), Some(140));
        assert_eq!(memo.get("music festival", 4), None);
        assert_eq!(memo.get("music", 3), None);
        memo.put("music festival", 4, 141);
        assert_eq!(memo.get("music festival", 3), None);
        assert_eq!(memo.get("music festival", 4), Some(141));
    }

    #[test]
    fn get_or_count_counts_once_per_version_and_passes_errors_on() {
        let memo = CountMemo::new(8);
        let mut counted = 0;
        for _ in 0..3 {
            let count = memo.get_or_count("a b", 1, || {
                counted += 1;
                Ok::<_, ()>(7)
            });
            assert_eq!(count, Ok(7));
        }
        assert_eq!(counted, 1);
        assert_eq!(
            memo.get_or_count("a b", 2, || Err("unavailable")),
            Err("unavailable")
        );
        assert_eq!(memo.get("a b", 2), None, "a failed count is not filed");
        assert_eq!(memo.get_or_count("a b", 2, || Ok::<_, ()>(8)), Ok(8));
    }

    #[test]
    fn searches_that_miss_the_same_count_at_once_wait_for_one_count() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, Barrier};
        use std::time::Duration;

        let memo = Arc::new(CountMemo::new(8));
        let counted = Arc::new(AtomicUsize::new(0));
        let start = Arc::new(Barrier::new(8));
        let searches: Vec<_> = (0..8)
            .map(|_| {
                let (memo, counted, start) = (memo.clone(), counted.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    memo.get_or_count("music festival", 1, || {
                        counted.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        Ok::<_, ()>(140)
                    })
                })
            })
            .collect();
        for search in searches {
            assert_eq!(search.join().expect("a search thread panicked"), Ok(140));
        }
        assert_eq!(counted.load(Ordering::SeqCst), 1, "one counted, seven waited");
        assert!(unpoisoned(&memo.counting).is_empty(), "no turn is left behind");
        // A waiter for another version counts for itself.
        assert_eq!(
            memo.get_or_count("music festival", 2, || Ok::<_, ()>(141)),
            Ok(141)
        );
    }

    #[test]
    fn a_caller_that_may_not_wait_is_told_another_counts_and_waits_for_it_apart() {
        use std::sync::mpsc;

        let memo = Arc::new(CountMemo::new(8));
        let (counting, started) = mpsc::channel();
        let (finish, finished) = mpsc::channel::<()>();
        let counter = std::thread::spawn({
            let memo = memo.clone();
            move || {
                memo.get_or_count("music festival", 1, || {
                    counting.send(()).expect("the test waits for the count to start");
                    finished.recv().expect("the test ends the count");
                    Ok::<_, ()>(140)
                })
            }
        });
        started.recv().expect("the counter started");
        let never = || -> Result<i64, ()> { panic!("counted while another counts the same key") };
        assert_eq!(
            memo.get_or_count_unless_counting("music festival", 1, never),
            Ok(None)
        );
        assert_eq!(
            memo.get_or_count_unless_counting("music", 1, || Ok::<_, ()>(9)),
            Ok(Some(9)),
            "other keys are counted meanwhile"
        );
        let waiter = std::thread::spawn({
            let memo = memo.clone();
            move || {
                memo.wait_for_count("music festival");
                memo.get("music festival", 1)
            }
        });
        finish.send(()).expect("the counter waits");
        assert_eq!(counter.join().expect("the counter panicked"), Ok(140));
        assert_eq!(waiter.join().expect("the waiter panicked"), Some(140));
        assert_eq!(
            memo.get_or_count_unless_counting("music festival", 1, never),
            Ok(Some(140))
        );
        memo.wait_for_count("nobody counts this");
        assert!(unpoisoned(&memo.counting).is_empty(), "no turn is left behind");
    }

    #[test]
    fn a_full_memo_forgets_old_versions_first_and_never_grows_past_its_capacity() {
        let memo = CountMemo::new(3);
        memo.put("old", 1, 1);
        memo.put("a", 2, 10);
        memo.put("b", 2, 20);
        memo.put("c", 2, 30);
        assert_eq!(memo.get("old", 1), None, "the other version's count went first");
        assert_eq!(
            (memo.get("a", 2), memo.get("b", 2), memo.get("c", 2)),
            (Some(10), Some(20), Some(30))
        );
        memo.put("b", 2, 21);
        assert_eq!(memo.get("a", 2), Some(10), "refiling a key does not evict");
        memo.put("d", 2, 40);
        assert_eq!(memo.get("d", 2), Some(40));
        assert!(memo.lock().len() <= 3);
        assert_eq!(memo.get("a", 2), None, "all of one version: forgotten together");
    }

    #[test]
    fn cleared_counts_are_gone() {
        let memo = CountMemo::new(4);
        memo.put("a", 1, 5);
        memo.clear();
        assert_eq!(memo.get("a", 1), None);
    }

    #[test]
    fn very_long_keys_are_not_remembered() {
        let memo = CountMemo::new(4);
        let long = "word ".repeat(200);
        memo.put(&long, 1, 5);
        assert_eq!(memo.get(&long, 1), None);
    }
}
