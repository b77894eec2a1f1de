//! The one setting of the system allocator Plaza changes: blocks of 128 KiB and more are always mapped
//! on their own and given back to the system when freed.
//!
//! glibc maps such blocks by default, but the first time one is freed it raises that threshold to the
//! freed block's size (up to 32 MiB) and serves later ones from its arenas, where freed memory mostly
//! stays with the process. A calendar feed of 500 events is about 250 KB of text, built on whichever
//! blocking thread is free, and each of those threads' arenas kept what the feeds left behind: in the
//! benchmark at a million events the three 500-event feed scenarios took the server's peak RSS from
//! 46 MiB to 95–97 MiB. With the threshold fixed, the same run peaked at 87.8 MiB (set by
//! `MALLOC_MMAP_THRESHOLD_=131072`) and 92.4 MiB (set here), the feeds 10–16% slower: each large block is
//! now a mapping, its page faults and its unmapping (docs/performance.md, issue 22, eleventh part).

/// The threshold glibc starts with, kept: a block this large costs a mapping and its page faults, which
/// a block of a few kilobytes (every JSON page) must not.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAP_AT_LEAST: usize = 128 * 1024;

/// Fixes glibc's mapping threshold at 128 KiB; `false` when the allocator refused. Elsewhere (another C
/// library), nothing to do. Called first thing in `main`, before any other thread exists: glibc reads
/// the setting without a lock when it allocates.
pub fn map_large_blocks_on_their_own() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let threshold = libc::c_int::try_from(MAP_AT_LEAST).expect("128 KiB fits in a C int");
        #[allow(unsafe_code)]
        // SAFETY: `mallopt` sets one of the allocator's parameters (any value up to 32 MiB is valid for
        // this one). It takes only the main arena's lock, and other threads read the parameter without
        // one: `main` calls this before it starts any thread, and the unit test below, among other tests'
        // threads, only races a word-sized setting that every value of leaves allocation correct.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, threshold) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        true
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Bytes the allocator holds in blocks mapped on their own (glibc's `hblkhd`).
    fn mapped_bytes() -> usize {
        #[allow(unsafe_code)]
        // SAFETY: `mallinfo2` only reads the allocator's statistics.
        unsafe { libc::mallinfo2() }.hblkhd
    }

    /// How much the mapped bytes grow while a second large block is held, after a first one was freed.
    fn growth_for_a_block_asked_for_again(block: usize) -> usize {
        drop(std::hint::black_box(vec![1_u8; block]));
        let before = mapped_bytes();
        let again = std::hint::black_box(vec![2_u8; block]);
        let grown = mapped_bytes().saturating_sub(before);
        drop(again);
        grown
    }

    /// A large block freed and asked for again is mapped again, not served from an arena (where glibc's
    /// raised threshold would put it). Other tests of this binary may free mapped blocks between the two
    /// readings, so the check asks for half the block's growth and looks up to three times; without the
    /// setting the growth is 0 every time.
    #[test]
    fn a_large_block_freed_and_asked_for_again_is_mapped_again() {
        const BLOCK: usize = 8 * 1024 * 1024;
        assert!(map_large_blocks_on_their_own(), "glibc accepts the threshold");
        let growths: Vec<usize> = (0..3)
            .map(|_| growth_for_a_block_asked_for_again(BLOCK))
            .collect();
        assert!(
            growths.iter().any(|&grown| grown >= BLOCK / 2),
            "a second block of {BLOCK} bytes was not mapped on its own (mapped bytes grew by {growths:?})"
        );
    }
}
