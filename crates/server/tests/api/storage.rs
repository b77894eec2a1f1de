//! A full disk under the SQLite store: a small filesystem (tmpfs) the test mounts, then fills. Mounting
//! needs root; without it the test says why — and fails under CI, which runs as root, as with the
//! browser.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

use crate::binary::Plaza;
use crate::helpers::Client;

/// A tmpfs of `size` mounted on a temporary directory, unmounted when dropped.
pub struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    /// Mounts it, or `None` after saying why not (a panic under CI).
    pub fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir.path())
            .output();
        let why = match mounted {
            Ok(output) if output.status.success() => return Some(Self { dir }),
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            Err(error) => error.to_string(),
        };
        let ci = std::env::var("CI").is_ok_and(|value| !value.is_empty() && value != "false" && value != "0");
        assert!(!ci, "full-disk tests cannot mount a small filesystem under CI: {why}");
        eprintln!("full-disk tests: SKIPPED — cannot mount a small filesystem (run as root): {why}");
        None
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file of zeros until the disk is full; removing it frees the space again.
    pub fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0_u8; 16 * 1024];
        while file.write_all(&chunk).is_ok() {}
        // The last partial chunk: byte by byte up to the very end.
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazy: whatever still has a file open there (a server shutting down) does not keep it mounted.
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

#[test]
fn a_full_disk_refuses_writes_with_storage_full_keeps_reads_and_recovers_without_a_restart() {
    let Some(disk) = SmallDisk::mount("16m") else {
        return;
    };
    // The binary (the release build under `bench/faults`) on the small disk: its database, avatars and
    // mail all live there.
    let plaza = Plaza::start(disk.path(), &[], &[]).unwrap();
    let app = Client::new(&plaza.base);
    let (_, token) = app.user("alice");
    let event = app.create_event(&token, json!({"name": "On a small disk"}))["id"]
        .as_i64()
        .unwrap();
    let comments = format!("/comments/{event}");
    let long = "a comment long enough to fill pages quickly ".repeat(40);
    let filler = disk.fill();

    // Whatever room the database still had in its own files is used up first; then writes are refused.
    let mut acknowledged = 0;
    let refused = loop {
        let response = app.post_json(&comments, Some(&token), &json!({ "content": long }));
        match response.status {
            200 => acknowledged += 1,
            503 => break response,
            other => panic!(
                "a write on a full disk answered {other}: {}",
                String::from_utf8_lossy(&response.body)
            ),
        }
        assert!(acknowledged < 20_000, "the disk never filled up");
    };
    let body = refused.json();
    assert_eq!(body["code"], "storage_full", "{body}");
    assert!(body["detail"].as_str().unwrap().contains("nothing was written"));
    assert_eq!(refused.header("retry-after"), Some("60"));
    // Nothing half-written, and reads go on.
    for _ in 0..3 {
        assert_eq!(
            app.post_json(&comments, Some(&token), &json!({ "content": long }))
                .assert_error(503, "storage_full")["code"],
            "storage_full"
        );
    }
    let stored = |app: &Client| {
        let listed = app.get(&format!("{comments}?limit=1"));
        match listed.status {
            204 => 0,
            200 => listed.header("x-total-count").unwrap().parse::<i64>().unwrap(),
            other => panic!("listing comments answered {other}"),
        }
    };
    assert_eq!(stored(&app), acknowledged, "every acknowledged comment, and only those");
    assert_eq!(app.get(&format!("/events/{event}")).status, 200);
    assert_eq!(app.get("/events/?search=disk").status, 200);
    assert_eq!(app.get("/health").status, 200, "the database answers");

    std::fs::remove_file(&filler).unwrap();
    let after = app.post_json(&comments, Some(&token), &json!({ "content": "room again" }));
    assert_eq!(after.status, 200, "{}", String::from_utf8_lossy(&after.body));
    assert_eq!(stored(&app), acknowledged + 1);
    let report = plaza_infra_sqlite::verify_backup(&disk.path().join("plaza.db"))
        .expect("PRAGMA integrity_check is ok");
    assert!(report.bytes > 0);
}

#[test]
fn a_backup_that_runs_out_of_space_keeps_the_older_ones_and_leaves_no_part_behind() {
    let Some(disk) = SmallDisk::mount("4m") else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let mut config = plaza::Config::in_dir(data.path(), 4);
    config.backup_dir = Some(disk.path().join("backups"));
    config.backup_keep = 1;
    let wired = plaza::wiring::wire(&config).unwrap();
    plaza::sample::load(&wired.services).unwrap();
    let database = wired.database.sqlite().unwrap();

    assert!(plaza::backup::run_scheduled(database, &config), "a first backup fits");
    let listed = || {
        let mut names: Vec<String> = std::fs::read_dir(disk.path().join("backups"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let first = listed();
    assert!(first.iter().any(|name| name.ends_with(".db")), "{first:?}");

    let filler = disk.fill();
    // Backups are named by the second.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert!(
        !plaza::backup::run_scheduled(database, &config),
        "a backup cannot fit on a full disk"
    );
    assert_eq!(listed(), first, "the older backup is kept, nothing of the failed one remains");
    let old = disk.path().join("backups").join(first.iter().find(|name| name.ends_with(".db")).unwrap());
    plaza_infra_sqlite::verify_backup(&old).expect("the kept backup is whole");

    std::fs::remove_file(filler).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    assert!(plaza::backup::run_scheduled(database, &config), "with room again, backups go on");
    assert_ne!(listed(), first, "the new one replaced the old (BACKUP_KEEP=1)");
}
