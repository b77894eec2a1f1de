//! Tests of the sub-journal VFS that opening a database installs ([`crate::journal`]), through SQLite
//! itself: savepoints and statements rolled back from memory and from the file a journal moved to.

use crate::journal::{CLOSED, COUNTS, FILE_CLOSED, HELD, IN_MEMORY_AT_MOST, MOVED, OPENED};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// The budget is the process's: these tests, which fill it or need most of it, take turns.
static BUDGET: Mutex<()> = Mutex::new(());

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn rows(conn: &mut SqliteConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .expect("the count runs")
        .n
}

/// A database with `rows` rows of a page each, and a copy of them to compare with.
fn rows_of_a_page(rows: u32) -> (tempfile::TempDir, SqliteConnection) {
    // Opening a database installs the VFS (once per process).
    let (dir, _db) = super::tests::temp_db();
    let path = dir.path().join("journal.db");
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).expect("a connection opens");
    conn.batch_execute(&format!(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
         INSERT INTO t SELECT i, randomblob(3000) FROM n;
         CREATE TABLE original AS SELECT * FROM t;"
    ))
    .expect("the rows are written");
    (dir, conn)
}

fn unchanged(conn: &mut SqliteConnection) -> i64 {
    rows(
        conn,
        "SELECT count(*) AS n FROM t JOIN original USING (id) WHERE t.body = original.body",
    )
}

/// Journals this thread opened, moved to a file, and closed, since `before`.
fn journals_since(before: [u32; 4]) -> [u32; 4] {
    let now = COUNTS.with(std::cell::Cell::get);
    [OPENED, MOVED, CLOSED, FILE_CLOSED].map(|event| now[event] - before[event])
}

fn journals_now() -> [u32; 4] {
    COUNTS.with(std::cell::Cell::get)
}

/// More pages than the budget holds.
fn past_the_bound() -> u32 {
    u32::try_from(IN_MEMORY_AT_MOST / 4096).expect("the bound is small") + 500
}

#[test]
fn a_savepoint_rolled_back_from_memory_puts_every_page_back() {
    let _turn = BUDGET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, mut conn) = rows_of_a_page(300);
    let before = journals_now();
    // 200 pages (800 KB): past SQLite's own 64 KiB, within the bound.
    conn.batch_execute("BEGIN IMMEDIATE; SAVEPOINT s; UPDATE t SET body = zeroblob(3000) WHERE id <= 200;")
        .expect("the update runs");
    assert_eq!(
        unchanged(&mut conn),
        100,
        "inside the savepoint, 200 rows changed"
    );
    conn.batch_execute("ROLLBACK TO s; RELEASE s; UPDATE t SET body = x'00' WHERE id = 300; COMMIT;")
        .expect("the savepoint rolls back and the transaction commits");
    assert_eq!(
        unchanged(&mut conn),
        299,
        "every page put back; the write after it kept"
    );
    assert_eq!(
        journals_since(before),
        [1, 0, 1, 0],
        "one journal, in memory only, closed"
    );
}

#[test]
fn a_journal_past_the_bound_moves_to_a_file_and_still_rolls_back() {
    let _turn = BUDGET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let pages = past_the_bound();
    let (_dir, mut conn) = rows_of_a_page(pages);
    let before = journals_now();
    conn.batch_execute(
        "BEGIN IMMEDIATE;
         SAVEPOINT small; UPDATE t SET body = zeroblob(3000) WHERE id <= 100; RELEASE small;
         SAVEPOINT large; UPDATE t SET body = zeroblob(3000);",
    )
    .expect("the updates run");
    assert_eq!(unchanged(&mut conn), 0);
    conn.batch_execute(
        "ROLLBACK TO large; RELEASE large;
         SAVEPOINT after; UPDATE t SET body = zeroblob(5) WHERE id > 100 AND id <= 150; ROLLBACK TO after;
         RELEASE after; COMMIT;",
    )
    .expect("both savepoints roll back and the transaction commits");
    assert_eq!(
        unchanged(&mut conn),
        i64::from(pages) - 100,
        "the large savepoint and the one after it put back; the small one kept"
    );
    assert_eq!(
        journals_since(before),
        [1, 1, 1, 1],
        "one journal, moved to a file once, closed with its file"
    );
}

#[test]
fn every_transaction_closes_its_journal_and_the_file_it_moved_to() {
    let _turn = BUDGET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, mut conn) = rows_of_a_page(past_the_bound());
    let before = journals_now();
    for _ in 0..3 {
        conn.batch_execute(
            "BEGIN IMMEDIATE; SAVEPOINT s; UPDATE t SET body = zeroblob(3000); ROLLBACK TO s; RELEASE s;
             SAVEPOINT small; UPDATE t SET body = zeroblob(3000) WHERE id <= 100; ROLLBACK TO small;
             RELEASE small; COMMIT;",
        )
        .expect("the transaction runs");
    }
    assert_eq!(unchanged(&mut conn), i64::from(past_the_bound()));
    assert_eq!(
        journals_since(before),
        [3, 3, 3, 3],
        "a journal a transaction, each moved, each closed with its file"
    );
    // The budget is back to what other tests' journals hold: far from full.
    assert!(HELD.load(Ordering::Relaxed) < IN_MEMORY_AT_MOST / 2);
}

#[test]
fn a_statement_failing_half_way_is_put_back_through_the_journal() {
    let _turn = BUDGET.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (_dir, mut conn) = rows_of_a_page(300);
    let before = journals_now();
    conn.batch_execute("BEGIN IMMEDIATE;")
        .expect("the transaction begins");
    // Rows 1 to 249 change (a megabyte of pages) before row 250 breaks NOT NULL.
    let failed =
        conn.batch_execute("UPDATE t SET body = CASE WHEN id = 250 THEN NULL ELSE zeroblob(3000) END;");
    assert!(failed.is_err(), "the statement fails on row 250");
    conn.batch_execute("COMMIT;").expect("the transaction commits");
    assert_eq!(
        unchanged(&mut conn),
        300,
        "the statement's changes put back, none kept"
    );
    assert_eq!(journals_since(before), [1, 0, 1, 0], "its journal, in memory");
}
