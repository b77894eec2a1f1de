//! Savepoint journals kept in memory, up to a bound.
//!
//! Each write runs in a savepoint of its own (the writer's group commit), and SQLite opens one around
//! every statement that changes several rows and may fail half-way. Before a page first changes inside a
//! savepoint, SQLite copies it, as it was, into the *sub-journal*, to put it back if the savepoint is
//! rolled back. SQLite keeps that journal in memory up to 64 KiB, and from then on, for the rest of the
//! transaction, in a temporary file: a comment to 50 people changes about 73 pages (300 KB), so each of
//! a batch's comments wrote them to a file again, two `pwrite`s a page — a quarter of the writer thread's
//! time in the comment fan-out benchmark. SQLite's own ways out both fail something: `temp_store =
//! MEMORY` keeps every sub-journal in memory without a bound (deleting an event of 158,713 tickets held
//! 37 MiB), and a threshold of 128 KiB or more breaks the first write larger than it (docs/performance.md,
//! issue 22, twelfth part).
//!
//! So Plaza registers this VFS as the process's default: SQLite's own for every file, except that a
//! sub-journal lives in memory while all of them together hold at most [`IN_MEMORY_AT_MOST`], and
//! otherwise moves, with what it holds, to a temporary file of SQLite's own VFS. SQLite closes a
//! sub-journal when its transaction ends, which frees the memory (a connection in exclusive locking mode,
//! or a TEMP database, keeps its sub-journal open until the connection closes: Plaza uses neither, and
//! the bound holds for them too).
//!
//! SQLite reads, writes and closes a sub-journal, nothing else (`xTruncate` only on its own in-memory
//! journals): the table of methods has what SQLite's own in-memory journal has (`MemJournalMethods`), no
//! locks, no file controls.
//!
//! Tested through SQLite itself, on databases opened as the adapter opens them (`db_journal_tests.rs`).
#![allow(
    unsafe_code,
    reason = "a VFS is a table of C callbacks SQLite calls with raw pointers"
)]

use std::alloc::{Layout, alloc_zeroed, dealloc};
use std::ffi::{c_int, c_void};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use libsqlite3_sys as ffi;

/// The most memory the process's sub-journals hold together: about 1,000 pages, the journal of a
/// comment to some 650 people (one to 50 journals 73 pages). Only the writer thread writes while serving,
/// so in practice this is one journal's bound.
pub(crate) const IN_MEMORY_AT_MOST: usize = 4 << 20;

/// The bytes the process's in-memory sub-journals have allocated.
pub(crate) static HELD: AtomicUsize = AtomicUsize::new(0);

/// How much of a journal moving to its file goes in one write: SQLite's Unix layer keeps 17 bits of a
/// write's length (`seekAndWriteFd`), so a write of 128 KiB would write nothing.
const MOVE_PIECE: usize = 64 * 1024;

/// SQLite's default VFS, which this one hands every other file to.
struct Parent(NonNull<ffi::sqlite3_vfs>);

// SAFETY: SQLite's VFS objects are process-wide and never freed; SQLite calls them from any thread.
unsafe impl Send for Parent {}
// SAFETY: as above; this module only reads the object through it.
unsafe impl Sync for Parent {}

static PARENT: OnceLock<Parent> = OnceLock::new();

/// Registers the VFS as the default of every connection opened from now on. Called once, before the
/// first connection opens; answers SQLite's result code.
pub(crate) fn install() -> c_int {
    // SAFETY: `sqlite3_vfs_find(NULL)` answers the default VFS (SQLite's own, registered at
    // initialisation) or null. The copy keeps its callbacks and their `pAppData`; only the name, the
    // size of a file and `xOpen` change. The copy is leaked: SQLite keeps the pointer for the life of
    // the process.
    unsafe {
        let Some(parent) = NonNull::new(ffi::sqlite3_vfs_find(ptr::null())) else {
            return ffi::SQLITE_ERROR;
        };
        if PARENT.set(Parent(parent)).is_err() {
            return ffi::SQLITE_MISUSE;
        }
        let mut vfs = *parent.as_ptr();
        let our_size = c_int::try_from(size_of::<JournalFile>()).unwrap_or(c_int::MAX);
        vfs.szOsFile = vfs.szOsFile.max(our_size);
        vfs.zName = c"plaza".as_ptr();
        vfs.pNext = ptr::null_mut();
        vfs.xOpen = Some(open);
        ffi::sqlite3_vfs_register(Box::into_raw(Box::new(vfs)), 1)
    }
}

fn parent() -> Option<*mut ffi::sqlite3_vfs> {
    PARENT.get().map(|parent| parent.0.as_ptr())
}

/// What SQLite sees of a sub-journal: the file header it expects first, then ours.
#[repr(C)]
struct JournalFile {
    base: ffi::sqlite3_file,
    journal: *mut Journal,
}

struct Journal {
    bytes: Vec<u8>,
    /// The flags SQLite opened it with, for the file it may move to.
    flags: c_int,
    /// Once moved: the file of SQLite's own VFS, in an allocation of that VFS's file size.
    file: Option<NonNull<ffi::sqlite3_file>>,
}

#[cfg(test)]
thread_local! {
    /// Sub-journals this thread opened, moved to a file and closed, and files it closed after a move.
    pub(crate) static COUNTS: std::cell::Cell<[u32; 4]> = const { std::cell::Cell::new([0; 4]) };
}

/// Counts a journal's event on this thread, for the tests (never panics, even while the thread ends).
#[cfg(test)]
fn count(event: usize) {
    let _ = COUNTS.try_with(|counts| {
        let mut now = counts.get();
        now[event] += 1;
        counts.set(now);
    });
}
#[cfg(not(test))]
fn count(_event: usize) {}

pub(crate) const OPENED: usize = 0;
pub(crate) const MOVED: usize = 1;
pub(crate) const CLOSED: usize = 2;
pub(crate) const FILE_CLOSED: usize = 3;

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const std::ffi::c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(parent) = parent() else {
        return ffi::SQLITE_ERROR;
    };
    if flags & ffi::SQLITE_OPEN_SUBJOURNAL == 0 {
        // SAFETY: SQLite's own open, with the arguments SQLite gave, into an allocation of at least its
        // file size (ours is never smaller).
        return unsafe {
            match (*parent).xOpen {
                Some(open) => open(parent, name, file, flags, out_flags),
                None => ffi::SQLITE_ERROR,
            }
        };
    }
    count(OPENED);
    let journal = Box::new(Journal {
        bytes: Vec::new(),
        flags,
        file: None,
    });
    // SAFETY: SQLite hands an allocation of `szOsFile` bytes (at least a `JournalFile`, suitably
    // aligned) for the file; `out_flags` is null or points to an int.
    unsafe {
        ptr::write(
            file.cast::<JournalFile>(),
            JournalFile {
                base: ffi::sqlite3_file { pMethods: &METHODS },
                journal: Box::into_raw(journal),
            },
        );
        if !out_flags.is_null() {
            *out_flags = flags;
        }
    }
    ffi::SQLITE_OK
}

static METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(close),
    xRead: Some(read),
    xWrite: Some(write),
    xTruncate: Some(truncate),
    xSync: Some(sync),
    xFileSize: Some(file_size),
    xLock: None,
    xUnlock: None,
    xCheckReservedLock: None,
    xFileControl: None,
    xSectorSize: None,
    xDeviceCharacteristics: None,
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The journal behind a file this VFS opened.
///
/// # Safety
/// `file` is a sub-journal opened by [`open`] and not yet closed, used by one thread at a time (SQLite
/// uses a connection's files only from the call on that connection).
unsafe fn journal<'a>(file: *mut ffi::sqlite3_file) -> &'a mut Journal {
    // SAFETY: as the function's contract says.
    unsafe { &mut *(*file.cast::<JournalFile>()).journal }
}

/// The file a journal moved to, and its methods; `None` while the journal is in memory.
///
/// # Safety
/// The moved-to file is open in SQLite's own VFS (it stays open until the journal closes).
unsafe fn moved<'a>(journal: &Journal) -> Option<(*mut ffi::sqlite3_file, &'a ffi::sqlite3_io_methods)> {
    // SAFETY: an open file's methods stay valid until it is closed.
    journal
        .file
        .map(|file| (file.as_ptr(), unsafe { &*(*file.as_ptr()).pMethods }))
}

unsafe extern "C" fn close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file once; the journal was boxed by `open`.
    let mut journal = unsafe { Box::from_raw((*file.cast::<JournalFile>()).journal) };
    count(CLOSED);
    release(&mut journal.bytes);
    match journal.file {
        // SAFETY: the moved-to file is open; it is closed once, then its allocation freed.
        Some(moved) => unsafe { close_moved(moved) },
        None => ffi::SQLITE_OK,
    }
}

/// Closes a file of SQLite's own VFS and frees its allocation.
///
/// # Safety
/// `file` came from [`move_to_file`]; its `pMethods` is null or its open methods.
unsafe fn close_moved(file: NonNull<ffi::sqlite3_file>) -> c_int {
    // SAFETY: as the function's contract says.
    unsafe {
        let closed = match (*file.as_ptr())
            .pMethods
            .as_ref()
            .and_then(|methods| methods.xClose)
        {
            Some(close) => {
                count(FILE_CLOSED);
                close(file.as_ptr())
            }
            None => ffi::SQLITE_OK,
        };
        if let Some(layout) = file_layout() {
            dealloc(file.as_ptr().cast(), layout);
        }
        closed
    }
}

/// Frees what a journal holds in memory, and gives it back to the process's budget.
fn release(bytes: &mut Vec<u8>) {
    HELD.fetch_sub(bytes.capacity(), Ordering::Relaxed);
    *bytes = Vec::new();
}

/// Makes room for `end` bytes in memory, within the process's budget; `false` when there is none.
fn make_room(bytes: &mut Vec<u8>, end: usize) -> bool {
    let had = bytes.capacity();
    if end <= had {
        return true;
    }
    // Doubling, as a Vec would, without passing the budget for it.
    let wanted = end.max(had.saturating_mul(2)).min(IN_MEMORY_AT_MOST.max(end));
    let more = wanted - had;
    if HELD.fetch_add(more, Ordering::Relaxed) + more > IN_MEMORY_AT_MOST
        || bytes.try_reserve_exact(wanted - bytes.len()).is_err()
    {
        HELD.fetch_sub(more, Ordering::Relaxed);
        return false;
    }
    // `try_reserve_exact` may give more than asked: count what the Vec holds.
    HELD.fetch_add(bytes.capacity() - wanted, Ordering::Relaxed);
    true
}

/// The allocation a file of SQLite's own VFS needs.
fn file_layout() -> Option<Layout> {
    // SAFETY: the parent VFS is SQLite's, alive for the process.
    let size = unsafe { (*parent()?).szOsFile };
    Layout::from_size_align(usize::try_from(size).ok()?.max(1), 16).ok()
}

/// Moves what a journal holds to a temporary file of SQLite's own VFS, which from then on serves it.
/// On failure the journal stays in memory, whole, and the error is answered.
fn move_to_file(journal: &mut Journal) -> c_int {
    let (Some(parent), Some(layout)) = (parent(), file_layout()) else {
        return ffi::SQLITE_ERROR;
    };
    // SAFETY: a zeroed allocation of the parent's file size is what its `xOpen` fills in; a sub-journal
    // has no name (SQLite's VFS makes a temporary file, deleted on close, for it). Every write is of a
    // piece of `bytes`, shorter than 128 KiB, at its own offset.
    unsafe {
        let Some(file) = NonNull::new(alloc_zeroed(layout).cast::<ffi::sqlite3_file>()) else {
            return ffi::SQLITE_NOMEM;
        };
        let opened = match (*parent).xOpen {
            Some(open) => open(parent, ptr::null(), file.as_ptr(), journal.flags, ptr::null_mut()),
            None => ffi::SQLITE_ERROR,
        };
        if opened != ffi::SQLITE_OK {
            close_moved(file);
            return opened;
        }
        let Some(write) = (*(*file.as_ptr()).pMethods).xWrite else {
            close_moved(file);
            return ffi::SQLITE_IOERR_WRITE;
        };
        for (index, piece) in journal.bytes.chunks(MOVE_PIECE).enumerate() {
            let length = c_int::try_from(piece.len()).unwrap_or(c_int::MAX);
            let offset = i64::try_from(index * MOVE_PIECE).unwrap_or(i64::MAX);
            let written = write(file.as_ptr(), piece.as_ptr().cast(), length, offset);
            if written != ffi::SQLITE_OK {
                close_moved(file);
                return written;
            }
        }
        release(&mut journal.bytes);
        journal.file = Some(file);
    }
    count(MOVED);
    ffi::SQLITE_OK
}

unsafe extern "C" fn read(
    file: *mut ffi::sqlite3_file,
    buffer: *mut c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite's contract for xRead: a file we opened, and `amount` writable bytes at `buffer`.
    unsafe {
        let journal = journal(file);
        if let Some((real, methods)) = moved(journal) {
            return methods
                .xRead
                .map_or(ffi::SQLITE_IOERR_READ, |read| read(real, buffer, amount, offset));
        }
        let (Ok(amount), Ok(offset)) = (usize::try_from(amount), usize::try_from(offset)) else {
            return ffi::SQLITE_IOERR_READ;
        };
        let held = journal.bytes.get(offset..).unwrap_or_default();
        let available = held.len().min(amount);
        // The buffer may be uninitialised: written through its pointer, never read or made a slice.
        let out = buffer.cast::<u8>();
        ptr::copy_nonoverlapping(held.as_ptr(), out, available);
        if available < amount {
            // A short read fills the rest with zeros (SQLite's VFS contract).
            ptr::write_bytes(out.add(available), 0, amount - available);
            return ffi::SQLITE_IOERR_SHORT_READ;
        }
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn write(
    file: *mut ffi::sqlite3_file,
    buffer: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: SQLite's contract for xWrite: a file we opened, and `amount` readable bytes at `buffer`.
    unsafe {
        let journal = journal(file);
        if journal.file.is_none() {
            let (Ok(length), Ok(start)) = (usize::try_from(amount), usize::try_from(offset)) else {
                return ffi::SQLITE_IOERR_WRITE;
            };
            let Some(end) = start.checked_add(length) else {
                return ffi::SQLITE_IOERR_WRITE;
            };
            if length == 0 {
                return ffi::SQLITE_OK;
            }
            if make_room(&mut journal.bytes, end) {
                let data = std::slice::from_raw_parts(buffer.cast::<u8>(), length);
                let bytes = &mut journal.bytes;
                if start > bytes.len() {
                    bytes.resize(start, 0);
                }
                let overlap = (bytes.len() - start).min(length);
                bytes[start..start + overlap].copy_from_slice(&data[..overlap]);
                bytes.extend_from_slice(&data[overlap..]);
                return ffi::SQLITE_OK;
            }
            let moved_now = move_to_file(journal);
            if moved_now != ffi::SQLITE_OK {
                return moved_now;
            }
        }
        moved(journal).map_or(ffi::SQLITE_IOERR_WRITE, |(real, methods)| {
            methods.xWrite.map_or(ffi::SQLITE_IOERR_WRITE, |write| {
                write(real, buffer, amount, offset)
            })
        })
    }
}

/// Never called on a sub-journal (above); shrinks only.
unsafe extern "C" fn truncate(file: *mut ffi::sqlite3_file, size: i64) -> c_int {
    // SAFETY: a file we opened.
    unsafe {
        let journal = journal(file);
        if let Some((real, methods)) = moved(journal) {
            return methods
                .xTruncate
                .map_or(ffi::SQLITE_IOERR_TRUNCATE, |truncate| truncate(real, size));
        }
        match usize::try_from(size) {
            Ok(size) => {
                journal.bytes.truncate(size);
                ffi::SQLITE_OK
            }
            Err(_) => ffi::SQLITE_IOERR_TRUNCATE,
        }
    }
}

unsafe extern "C" fn sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: a file we opened.
    unsafe {
        moved(journal(file)).map_or(ffi::SQLITE_OK, |(real, methods)| {
            methods.xSync.map_or(ffi::SQLITE_OK, |sync| sync(real, flags))
        })
    }
}

unsafe extern "C" fn file_size(file: *mut ffi::sqlite3_file, size: *mut i64) -> c_int {
    // SAFETY: a file we opened; `size` points to an i64.
    unsafe {
        let journal = journal(file);
        if let Some((real, methods)) = moved(journal) {
            return methods
                .xFileSize
                .map_or(ffi::SQLITE_IOERR_FSTAT, |file_size| file_size(real, size));
        }
        *size = i64::try_from(journal.bytes.len()).unwrap_or(i64::MAX);
    }
    ffi::SQLITE_OK
}
