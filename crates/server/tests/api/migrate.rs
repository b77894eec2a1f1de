//! `plaza migrate-data`: the sample community moved from SQLite to PostgreSQL answers the same.

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
    plaza::sample::load(&plaza::wiring::services(&sqlite).unwrap()).unwrap();

    let moved = plaza::migrate::migrate_data(&file, &url).unwrap();
    assert_eq!(moved.users, 4);
    assert!(moved.events >= 4 && moved.comments > 0 && moved.participants > 0 && moved.notifications > 0);
    let again = plaza::migrate::migrate_data(&file, &url).unwrap_err().to_string();
    assert!(again.contains("not empty"), "{again}");

    let old = TestApp::spawn_with(|config| config.database_url = file.to_string_lossy().into_owned());
    let new = TestApp::spawn_with(|config| config.database_url = url.clone());
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
    let events = same("/events/?limit=100");
    same("/users/?limit=100");
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
    assert_eq!(before.body, after.body);
    assert_eq!(before.header("x-unread-count"), after.header("x-unread-count"));

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
