//! `plaza migrate-data`: the sample community moved from SQLite to PostgreSQL answers the same; a source
//! that is not a Plaza database of this version is refused untouched, and a copy that fails leaves the
//! target as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use plaza_domain::transfer::Counts;
use plaza_infra_postgres::{PgConfig, import, testing};
use serde_json::Value;

use crate::helpers::TestApp;

#[test]
fn a_sqlite_community_moves_to_postgres_and_answers_the_same() {
    let Some(url) = plaza_infra_postgres::testing::fresh_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = plaza::Config::in_dir(dir.path(), 4);
    let file = dir.path().join("plaza.db");
    let services = plaza::wiring::services(&sqlite).unwrap();
    plaza::sample::load(&services).unwrap();
    // A ban, so that the copy is seen to keep one (the sample has none: its users must log in).
    let admin = services.users.get(plaza_domain::UserId::from_stored(1)).unwrap();
    let dave = services.moderation.holders(plaza_domain::role::Role::Member, plaza_domain::PageRequest::new(None, Some(100)).unwrap()).unwrap().items.into_iter().find(|user| user.username == "dave").unwrap();
    services
        .moderation
        .ban(&admin, dave.id, plaza_domain::user::BanReason::parse("copied with the rest").unwrap(), Some(chrono::Utc::now() + chrono::Duration::days(1)))
        .unwrap();
    // A report resolved by removing a comment, and one left open: the queue and the removed copy move.
    let carol = services.users.get(plaza_domain::UserId::from_stored(3)).unwrap();
    let first_event = plaza_domain::EventId::from_stored(1);
    let comment = services.comments.list(first_event, plaza_domain::PageRequest::new(None, Some(1)).unwrap()).unwrap().items.remove(0);
    let target = plaza_domain::removal::Removable::Comment(comment.id).target();
    let reason = plaza_domain::report::ReportReason::Spam;
    let note = || plaza_domain::report::ReportNote::parse("moved along").unwrap();
    let removed = services.reports.file(&dave, target, reason, note()).unwrap();
    services.reports.file(&carol, plaza_domain::modlog::ModTarget::user(dave.id), reason, note()).unwrap();
    services
        .reports
        .resolve(&admin, removed.id, plaza_domain::report::ReportAction::Remove, note(), None)
        .unwrap();
    // A changed event (its SEQUENCE and time of change) and a private calendar address: a subscribed
    // calendar keeps working after the move, and reads the same feed.
    let first = services.events.get(first_event).unwrap();
    let organiser = services.users.get(first.owner_id).unwrap();
    let renamed = plaza_domain::event::EventChanges {
        name: Some(plaza_domain::event::EventName::parse("Renamed before the move").unwrap()),
        ..Default::default()
    };
    services.events.update(&organiser, first_event, renamed).unwrap();
    let secret = services.calendar.new_secret(&organiser).unwrap();
    drop(services);

    let moved = plaza::migrate::migrate_data(&file, &url).unwrap();
    assert_eq!(moved.calendar_feeds, 1, "{moved:?}");
    assert_eq!((moved.reports, moved.removed_comments), (2, 1), "{moved:?}");
    assert_eq!(moved.users, 4);
    assert!(moved.events >= 4 && moved.comments > 0 && moved.participants > 0 && moved.notifications > 0);
    assert!(moved.tickets > 0, "{moved:?}");
    assert_eq!(moved.modlog, 4, "the sample's two role changes, the ban and the removal");
    let again = plaza::migrate::migrate_data(&file, &url).unwrap_err().to_string();
    assert!(again.contains("not empty"), "{again}");

    // One address for both, so that the feeds' links and UIDs do not name each server's own port.
    let public = || Some("https://plaza.example.org".to_owned());
    let old = TestApp::spawn_with(|config| {
        config.database_url = file.to_string_lossy().into_owned();
        config.public_url = public();
    });
    let new = TestApp::spawn_with(|config| {
        config.database_url = url.clone();
        config.public_url = public();
    });
    assert!(!old.config.on_postgres() && new.config.on_postgres());
    let same = |path: &str| {
        let (before, after) = (old.get(path), new.get(path));
        assert_eq!(before.status, after.status, "{path}");
        assert_eq!(
            before.header("x-total-count"),
            after.header("x-total-count"),
            "{path}"
        );
        assert_eq!(before.body, after.body, "{path}");
        if before.status == 200 {
            before.json()
        } else {
            Value::Null
        }
    };
    for path in [format!("/calendar/{secret}.ics"), "/events/1/calendar.ics".to_owned()] {
        let (before, after) = (old.get(&path), new.get(&path));
        assert_eq!((before.status, &before.body), (after.status, &after.body), "{path}");
        assert_eq!(before.status, 200, "{path}");
    }
    let moved_feed = String::from_utf8(new.get(&format!("/calendar/{secret}.ics")).body).unwrap();
    assert!(moved_feed.contains("SUMMARY:Renamed before the move\r\n"), "{moved_feed}");
    assert!(moved_feed.contains("SEQUENCE:1\r\n"), "{moved_feed}");
    let events = same("/events/?limit=100");
    let users = same("/users/?limit=100");
    assert!(
        users.as_array().unwrap().iter().any(|user| user["role"] == "admin"),
        "the roles moved: {users}"
    );
    same("/users/?role=moderator");
    let log = same("/modlog?limit=100");
    assert_eq!(log.as_array().unwrap().len(), 4, "{log}");
    same("/posts/?limit=100");
    same("/events/?search=a");
    for event in events.as_array().unwrap() {
        same(&format!("/events/{}", event["id"]));
        same(&format!("/comments/{}?limit=100", event["id"]));
    }

    // The accounts moved with their passwords, and each inbox with its read marks.
    let login = |app: &TestApp| {
        app.login("alice", plaza::sample::SAMPLE_PASSWORD).assert_ok()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (old_token, new_token) = (login(&old), login(&new));
    let (before, after) = (
        old.get_as(&old_token, "/notifications/?limit=100"),
        new.get_as(&new_token, "/notifications/?limit=100"),
    );
    // The ban moved: alice, an admin, sees it on both.
    let (before_ban, after_ban) = (
        old.get_as(&old_token, &format!("/users/{}", dave.id)).json(),
        new.get_as(&new_token, &format!("/users/{}", dave.id)).json(),
    );
    assert_eq!(before_ban["ban"]["reason"], "copied with the rest");
    assert_eq!(before_ban, after_ban);
    // So did the reports, and the removed comment alice (an admin) still reads.
    for path in ["/reports?status=open", "/reports?status=resolved"] {
        let (old_list, new_list) = (old.get_as(&old_token, path), new.get_as(&new_token, path));
        assert_eq!((old_list.status, &old_list.body), (new_list.status, &new_list.body), "{path}");
        assert_eq!(old_list.header("x-total-count"), Some("1"), "{path}");
    }
    let copy = format!("/events/1/comments/{}", comment.id.get());
    let (old_copy, new_copy) = (old.get_as(&old_token, &copy), new.get_as(&new_token, &copy));
    assert_eq!(old_copy.json()["removed"], true);
    assert_eq!((old_copy.status, &old_copy.body), (new_copy.status, &new_copy.body));
    assert_eq!(before.body, after.body);
    assert_eq!(before.header("x-unread-count"), after.header("x-unread-count"));
    // And the tickets with their holders and codes.
    for user in ["alice", "bob", "carol"] {
        let token = |app: &TestApp| {
            app.login(user, plaza::sample::SAMPLE_PASSWORD).assert_ok()["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let (before, after) = (
            old.get_as(&token(&old), "/users/me/tickets?limit=100"),
            new.get_as(&token(&new), "/users/me/tickets?limit=100"),
        );
        assert_eq!((before.status, &before.body), (after.status, &after.body), "{user}");
    }

    // New rows take ids past the moved ones.
    let highest = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .max()
        .unwrap();
    let created = new.create_event(&new_token, serde_json::json!({}));
    assert!(created["id"].as_i64().unwrap() > highest, "{created}");
}

/// A stopped Plaza's database holding the sample community, written by the binary (so that no connection
/// of this process holds it open).
fn stopped_sample(dir: &Path) -> PathBuf {
    let file = dir.join("plaza.db");
    let output = Command::new(env!("CARGO_BIN_EXE_plaza"))
        .args(["init-db", "--sample-data", "--bcrypt-cost", "4"])
        .arg("--database-url")
        .arg(&file)
        .arg("--avatar-dir")
        .arg(dir.join("avatars"))
        .env_remove("JWT_SECRET")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    file
}

/// Every file directly in `dir` with its bytes (a directory with none).
fn snapshot(dir: &Path) -> Vec<(String, Option<Vec<u8>>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = entry
                .file_type()
                .unwrap()
                .is_file()
                .then(|| std::fs::read(entry.path()).unwrap());
            (name, bytes)
        })
        .collect();
    files.sort();
    files
}

/// `plaza migrate-data --from FROM --to TO`, refused: its message.
fn refused_migration(from: &Path, to: &str) -> String {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_plaza"))
        .args(["migrate-data", "--from"])
        .arg(from)
        .args(["--to", to])
        .env_remove("JWT_SECRET")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{stderr}");
    stderr
}

#[test]
fn a_file_that_is_not_a_plaza_database_is_refused_and_left_as_it_was() {
    let Some(url) = testing::fresh_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("recipes.db");
    plaza_infra_sqlite::execute_on_file(
        &foreign,
        "CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT NOT NULL); \
         INSERT INTO recipes (name) VALUES ('soup');",
    )
    .unwrap();
    let notes = dir.path().join("notes.db");
    std::fs::write(&notes, "not a database, just notes\n".repeat(300)).unwrap();
    let before = snapshot(dir.path());

    let refusal = refused_migration(&foreign, &url);
    assert!(refusal.contains("not a Plaza database"), "{refusal}");
    let refusal = refused_migration(&notes, &url);
    assert!(refusal.contains("as a SQLite database"), "{refusal}");
    assert_eq!(
        snapshot(dir.path()),
        before,
        "no table added, no file written beside them"
    );
}

#[test]
fn the_source_is_never_changed_not_even_when_the_copy_is_refused() {
    let Some(url) = testing::fresh_database() else {
        return;
    };
    // A Plaza database of this version, into a database that is not empty.
    let dir = tempfile::tempdir().unwrap();
    let file = stopped_sample(dir.path());
    plaza::migrate::migrate_data(&file, &url).unwrap();
    let before = snapshot(dir.path());
    let refusal = refused_migration(&file, &url);
    assert!(refusal.contains("not empty"), "{refusal}");
    assert_eq!(snapshot(dir.path()), before);

    // A Plaza database one migration behind this Plaza: refused, not migrated.
    let older_dir = tempfile::tempdir().unwrap();
    let older = stopped_sample(older_dir.path());
    let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/sqlite");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    let undo = std::fs::read_to_string(names.last().unwrap().join("down.sql")).unwrap();
    plaza_infra_sqlite::execute_on_file(
        &older,
        &format!(
            "{undo}\nDELETE FROM __diesel_schema_migrations \
             WHERE version = (SELECT max(version) FROM __diesel_schema_migrations);"
        ),
    )
    .unwrap();
    let before = snapshot(older_dir.path());
    let empty = testing::fresh_database().unwrap();
    let refusal = refused_migration(&older, &empty);
    assert!(refusal.contains("older"), "{refusal}");
    assert_eq!(snapshot(older_dir.path()), before);

    // A Plaza database a newer Plaza wrote (a migration this one does not know): refused.
    let newer_dir = tempfile::tempdir().unwrap();
    let newer = stopped_sample(newer_dir.path());
    plaza_infra_sqlite::execute_on_file(
        &newer,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231000000');",
    )
    .unwrap();
    let before = snapshot(newer_dir.path());
    let refusal = refused_migration(&newer, &empty);
    assert!(refusal.contains("newer"), "{refusal}");
    assert_eq!(snapshot(newer_dir.path()), before);
}

#[test]
fn a_copy_that_fails_midway_leaves_the_target_empty_and_can_be_run_again() {
    let Some(url) = testing::fresh_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = stopped_sample(dir.path());
    let target = plaza_infra_postgres::Database::open(&PgConfig {
        url: url.clone(),
        pool_size: 1,
        connection_timeout: Duration::from_secs(10),
    })
    .unwrap();
    // Notifications are copied last: refusing them fails the copy after every other table was written.
    testing::execute(
        &url,
        "ALTER TABLE notifications ADD CONSTRAINT refuses_every_row CHECK (id < 0)",
    );
    let error = format!("{:#}", plaza::migrate::migrate_data(&file, &url).unwrap_err());
    assert!(error.contains("refuses_every_row"), "{error}");
    assert_eq!(
        import::counts(&target).unwrap(),
        Counts::default(),
        "nothing of the failed copy stays"
    );

    testing::execute(
        &url,
        "ALTER TABLE notifications DROP CONSTRAINT refuses_every_row",
    );
    let moved = plaza::migrate::migrate_data(&file, &url).unwrap();
    assert_eq!(moved.users, 4);
    assert!(moved.notifications > 0);
    assert_eq!(import::counts(&target).unwrap(), moved);
}
