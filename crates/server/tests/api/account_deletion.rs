//! `DELETE /users/me`: the account goes, its name stays taken, what it wrote stays by "deleted user", and
//! nothing in the store holds its e-mail address or password hash any more.

use plaza_infra_sqlite::Database;
use serde_json::json;

use crate::avatars::{PNG, multipart, upload};
use crate::helpers::{PASSWORD, TestApp};

/// A `SELECT … AS value` run on one store.
type Query = Box<dyn Fn(&str) -> Vec<String>>;

/// Runs a `SELECT … AS value` on the app's store, whichever it is.
fn querier(app: &TestApp) -> Query {
    if app.config.on_postgres() {
        let url = app.config.database_url.clone();
        Box::new(move |sql| plaza_infra_postgres::testing::query_strings(&url, sql))
    } else {
        let db = Database::open(&app.config.database().unwrap()).unwrap();
        Box::new(move |sql| db.query_strings(sql).unwrap())
    }
}

/// Every column, in every table, that holds a value containing `needle`: as `table.column`.
fn stored_anywhere(app: &TestApp, needle: &str) -> Vec<String> {
    assert!(!needle.contains('\''), "a needle the queries below can quote");
    let query = querier(app);
    let (columns, position) = if app.config.on_postgres() {
        (
            "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
             WHERE table_schema = current_schema()",
            "strpos",
        )
    } else {
        (
            "SELECT t.name || '.' || c.name AS value FROM sqlite_schema t, pragma_table_info(t.name) c \
             WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%'",
            "instr",
        )
    };
    query(columns)
        .into_iter()
        .filter(|column| {
            let (table, name) = column.split_once('.').unwrap();
            !query(&format!(
                "SELECT '{column}' AS value FROM \"{table}\" \
                 WHERE {position}(CAST(\"{name}\" AS TEXT), '{needle}') > 0 LIMIT 1"
            ))
            .is_empty()
        })
        .collect()
}

fn stored_hash(app: &TestApp, user: i64) -> String {
    let found = querier(app)(&format!("SELECT password_hash AS value FROM users WHERE id = {user}"));
    found.into_iter().next().expect("the user's row")
}

#[test]
fn a_deleted_account_leaves_its_words_by_deleted_user_and_no_address_or_hash_anywhere() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    upload(&app, &bob_token, bob, multipart("file", "image/png", PNG)).assert_ok();
    app.send_json(
        "PUT",
        &format!("/users/{bob}"),
        Some(&bob_token),
        &json!({"username": "bob", "email": "bob@example.org", "full_name": "Bob Bobbington"}),
    )
    .assert_ok();
    let alices = app.create_event(&alice_token, json!({"name": "Alice's fair"}))["id"].as_i64().unwrap();
    let bobs = app.create_event(&bob_token, json!({"name": "Bob's fair"}))["id"].as_i64().unwrap();
    app.post_json(&format!("/comments/{alices}"), Some(&bob_token), &json!({"content": "bob was here"}))
        .assert_ok();
    app.post_json(&format!("/comments/{bobs}"), Some(&alice_token), &json!({"content": "nice fair"}))
        .assert_ok();
    app.post_json("/posts/", Some(&bob_token), &json!({"title": "Bob writes", "content": "b"}))
        .assert_ok();
    app.post_json(&format!("/events/{alices}/tickets"), Some(&bob_token), &json!({"quantity": 1}))
        .assert_ok();
    let hash = stored_hash(&app, bob);
    assert!(hash.starts_with("$2"), "a bcrypt hash is stored: {hash}");
    assert!(!stored_anywhere(&app, "bob@example.org").is_empty(), "the scan finds what is there");
    assert!(
        stored_anywhere(&app, "Bob Bobbington").contains(&"notifications.sender".to_owned()),
        "his comment told Alice, by his name"
    );

    let wrong = app.send_json("DELETE", "/users/me", Some(&bob_token), &json!({"password": "not my password"}));
    wrong.assert_invalid("password");
    app.send_json("DELETE", "/users/me", Some(&bob_token), &json!({}))
        .assert_invalid("password");
    assert_eq!(app.get_as(&bob_token, "/users/me").status, 200, "nothing happened yet");

    let deleted = app.send_json("DELETE", "/users/me", Some(&bob_token), &json!({"password": PASSWORD}));
    assert_eq!(deleted.status, 204, "{:?}", String::from_utf8_lossy(&deleted.body));
    assert_eq!(std::fs::read_dir(&app.config.avatar_dir).unwrap().count(), 0, "the avatar file went");

    assert_eq!(stored_anywhere(&app, "bob@example.org"), Vec::<String>::new());
    assert_eq!(stored_anywhere(&app, &hash), Vec::<String>::new());
    assert_eq!(stored_anywhere(&app, "Bob Bobbington"), Vec::<String>::new(), "nor his name");
    let told = &app.get_as(&alice_token, "/notifications").assert_ok()[0];
    assert_eq!(
        (&told["sender"], &told["message"], &told["params"]["commenter_name"]),
        (&json!("deleted user"), &json!("deleted user commented on \"Alice's fair\""), &json!("deleted user"))
    );
    app.get_as(&bob_token, "/users/me").assert_error(401, "unauthorized");
    app.login("bob", PASSWORD).assert_error(401, "unauthorized");

    let shown = app.get(&format!("/users/{bob}")).assert_ok();
    assert_eq!(
        (&shown["username"], &shown["deleted"], &shown["full_name"], &shown["avatar_url"]),
        (&json!("deleted user"), &json!(true), &json!(null), &json!(null))
    );
    assert!(shown.get("email").is_none());
    let alive = app.get(&format!("/users/{alice}")).assert_ok();
    assert_eq!(alive["deleted"], false);
    let comments = app.get(&format!("/comments/{alices}")).assert_ok();
    assert_eq!((&comments[0]["content"], &comments[0]["owner_id"]), (&json!("bob was here"), &json!(bob)));
    app.get(&format!("/events/{bobs}")).assert_ok();
    let attendees = app.get_as(&alice_token, &format!("/events/{alices}/attendees")).assert_ok();
    assert_eq!(attendees[0]["username"], "deleted user", "{attendees}");

    // Its name stays taken; its address is free for a new account.
    app.post_json(
        "/users/",
        None,
        &json!({"username": "BOB", "email": "someone@example.org", "password": PASSWORD}),
    )
    .assert_error(409, "username_taken");
    app.post_json(
        "/users/",
        None,
        &json!({"username": "robert", "email": "bob@example.org", "password": PASSWORD}),
    )
    .assert_ok();
    // A deleted account hears nothing more and is sent nothing; nobody moderates it.
    app.post_json(&format!("/comments/{alices}"), Some(&alice_token), &json!({"content": "bob?"}))
        .assert_ok();
    app.make_admin("alice");
    app.post_json("/notifications/", Some(&alice_token), &json!({"message": "hi", "sender": "Alice", "owner_id": bob}))
        .assert_error(404, "not_found");
    app.post_json(&format!("/users/{bob}/ban"), Some(&alice_token), &json!({"reason": "x"}))
        .assert_error(404, "not_found");
    app.post_json(
        "/reports",
        Some(&alice_token),
        &json!({"target": {"kind": "user", "id": bob}, "reason": "other"}),
    )
    .assert_error(404, "not_found");
}

#[test]
fn the_last_admin_cannot_delete_their_account() {
    let app = TestApp::spawn();
    let (_alice, alice_token) = app.user("alice");
    app.make_admin("alice");
    let refused = app.send_json("DELETE", "/users/me", Some(&alice_token), &json!({"password": PASSWORD}));
    refused.assert_error(409, "last_admin");
    assert_eq!(app.get_as(&alice_token, "/users/me").status, 200);
}
