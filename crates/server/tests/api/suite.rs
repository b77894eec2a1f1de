// The end-to-end test files: the one list both test binaries compile (`api` on SQLite, `api_postgres` on
// PostgreSQL; each includes this file and defines `sqlite_only!`/`postgres_only!`). A file runs on both
// stores unless it sits in one of the two blocks, with a `// why:` line saying why; the test at the bottom
// fails when a file in this directory is in no list, or in a block without a reason.

mod abuse;
mod account_deletion;
mod auth;
mod avatars;
mod calendar;
mod comments;
mod contract;
mod errors;
mod events;
mod export;
mod health;
mod live;
mod mail;
mod metrics;
mod moderation;
mod notifications;
mod posts;
mod reports;
mod sample;
mod sessions;
mod tickets;
mod users;

sqlite_only! {
    // why: it runs the real binary, whose start-up (the database file, its log line) is the SQLite one.
    mod logs;
    // why: backups, restores and signals to the real binary are about the SQLite file; the rate limits,
    // headers and HTTPS it also checks do not depend on the store, so once is enough.
    mod production;
    // why: SIGKILL durability and the memory of the real binary are the SQLite process's; on PostgreSQL,
    // `instances` checks that concurrent buyers never oversell, across two servers.
    mod reliability;
    // why: it fills the disk under the SQLite file; PostgreSQL's disk is its server's, not Plaza's.
    mod storage;
}

postgres_only! {
    // why: it stops and starts a PostgreSQL of its own under load; an SQLite file has no server to lose.
    mod faults;
    // why: several instances need a store they can share, which an SQLite file is not.
    mod instances;
    // why: `migrate-data` copies an SQLite database into PostgreSQL; it needs both.
    mod migrate;
}

#[cfg(test)]
mod suite_list {
    use std::collections::BTreeSet;
    use std::path::Path;

    /// Files of this directory that hold no tests of their own: the two roots, this list, shared helpers.
    const NOT_TEST_FILES: [&str; 4] = ["main", "postgres", "suite", "helpers"];

    #[test]
    fn every_test_file_runs_on_both_stores_or_says_why_not() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api");
        let list = std::fs::read_to_string(dir.join("suite.rs")).unwrap();
        let mut listed = BTreeSet::new();
        let mut block: Option<&str> = None;
        let mut reason_given = false;
        for line in list.lines().map(str::trim) {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            if let Some(name) = line.strip_suffix("! {") {
                block = Some(name);
            } else if line == "}" {
                block = None;
            } else if line.starts_with("// why: ") {
                reason_given = true;
            } else if let Some(name) = line.strip_prefix("mod ").and_then(|m| m.strip_suffix(';')) {
                if let Some(block) = block {
                    assert!(reason_given, "`{name}` runs only under {block}! without a `// why:` line");
                }
                reason_given = false;
                assert!(listed.insert(name.to_owned()), "`{name}` is listed twice");
            }
        }
        let files: BTreeSet<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
            .filter(|name| !NOT_TEST_FILES.contains(&name.as_str()))
            .collect();
        let unlisted: Vec<_> = files.difference(&listed).collect();
        assert!(unlisted.is_empty(), "test files that run on no store: {unlisted:?}");
        assert!(listed.len() >= 19, "the list was not read: {listed:?}");
    }
}
