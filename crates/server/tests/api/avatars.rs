use crate::helpers::{Response, TestApp};

const BOUNDARY: &str = "plaza-test-boundary";
/// A real 2 × 2 PNG (uploads are decoded, so test images must be images).
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x02\x00\x00\x00\x02\x08\x06\x00\x00\x00\x72\xb6\x0d\x24\x00\x00\x00\x11\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\xf0\x1f\x84\x19\x60\x0c\x00\x47\xca\x07\xf9\x67\x59\x6e\xb7\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";
/// A real 1 × 1 GIF.
const GIF: &[u8] = b"\x47\x49\x46\x38\x39\x61\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";

pub fn multipart(field: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"me.png\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub fn upload(app: &TestApp, token: &str, user: i64, body: Vec<u8>) -> Response {
    let auth = format!("Bearer {token}");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.request(
        "PUT",
        &format!("/users/{user}/avatar"),
        &[("Authorization", &auth), ("Content-Type", &content_type)],
        Some(body),
    )
}

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(&app.config.avatar_dir).unwrap().count()
}

#[test]
fn an_uploaded_avatar_is_served_with_its_type_and_a_replacement_removes_the_old_file() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let user = upload(&app, &token, alice, multipart("file", "image/png", PNG)).assert_ok();
    let url = user["avatar_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/avatars/") && url.ends_with(".png"), "{url}");
    assert_eq!(user["email"], "alice@example.org");

    let image = app.get(&url);
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert!(image.body.starts_with(b"\x89PNG"), "an image, re-encoded");
    assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
    let etag = image.header("etag").expect("served with an ETag").to_owned();
    let again = app.request("GET", &url, &[("If-None-Match", &etag)], None);
    assert_eq!(again.status, 304);
    let part = app.request("GET", &url, &[("Range", "bytes=0-3")], None);
    assert_eq!((part.status, part.body.as_slice()), (206, &b"\x89PNG"[..]));
    for failed in [
        app.request("GET", &url, &[("If-Match", "\"another\"")], None),
        app.request(
            "GET",
            &url,
            &[("If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")],
            None,
        ),
    ] {
        failed.assert_error(412, "precondition_failed");
        assert!(failed.header("x-request-id").is_some());
    }
    let outside = app.request("GET", &url, &[("Range", "bytes=999999-")], None);
    outside.assert_error(416, "range_not_satisfiable");
    assert!(outside.header("content-range").is_some(), "{:?}", outside.headers);
    // A `Range` that cannot be read is ignored (RFC 9110, 14.2): the whole image.
    for malformed in ["garbage", "bytes=", "bytes=3-1", "bytes=abc-"] {
        let whole = app.request("GET", &url, &[("Range", malformed)], None);
        assert_eq!((whole.status, whole.body.as_slice()), (200, image.body.as_slice()), "{malformed}");
    }
    assert_eq!(
        app.get(&format!("/users/{alice}")).assert_ok()["avatar_url"],
        url.as_str()
    );

    let replaced = upload(
        &app,
        &token,
        alice,
        multipart("file", "application/octet-stream", GIF),
    )
    .assert_ok();
    let new_url = replaced["avatar_url"].as_str().unwrap();
    assert!(
        new_url.ends_with(".png"),
        "a GIF is stored re-encoded, as PNG: {new_url}"
    );
    let served = app.get(new_url);
    assert_eq!(served.header("content-type"), Some("image/png"));
    assert!(served.body.starts_with(b"\x89PNG"));
    app.get(&url).assert_error(404, "not_found");
    assert_eq!(stored_files(&app), 1, "the replaced file is gone");
}

#[test]
fn a_removed_avatar_takes_its_file_and_only_its_owner_removes_it() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let url = upload(&app, &alice_token, alice, multipart("file", "image/png", PNG)).assert_ok()
        ["avatar_url"]
        .as_str()
        .unwrap()
        .to_owned();
    upload(&app, &bob_token, bob, multipart("file", "image/png", PNG)).assert_ok();
    let avatar = format!("/users/{alice}/avatar");
    app.call_as("DELETE", &bob_token, &avatar)
        .assert_error(403, "forbidden");
    app.request("DELETE", &avatar, &[], None)
        .assert_error(401, "unauthorized");
    app.call_as("DELETE", &alice_token, "/users/999999/avatar")
        .assert_error(404, "not_found");
    assert_eq!(app.get(&url).status, 200, "refused removals left it in place");

    let removed = app.call_as("DELETE", &alice_token, &avatar).assert_ok();
    assert_eq!(removed["avatar_url"], serde_json::Value::Null);
    assert_eq!(removed["email"], "alice@example.org");
    app.get(&url).assert_error(404, "not_found");
    assert_eq!(
        app.get(&format!("/users/{alice}")).assert_ok()["avatar_url"],
        serde_json::Value::Null
    );
    assert_eq!(stored_files(&app), 1, "alice's file is gone, bob's stays");
    assert!(
        app.get(&format!("/users/{bob}")).assert_ok()["avatar_url"].is_string(),
        "bob keeps his"
    );
    // Removing it again changes nothing.
    let again = app.call_as("DELETE", &alice_token, &avatar).assert_ok();
    assert_eq!(again["avatar_url"], serde_json::Value::Null);
}

#[test]
fn an_image_with_a_page_hidden_in_it_is_served_as_pixels_only() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let mut polyglot = PNG.to_vec();
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let user = upload(&app, &token, alice, multipart("file", "image/png", &polyglot)).assert_ok();
    let served = app.get(user["avatar_url"].as_str().unwrap());
    assert_eq!(served.status, 200);
    assert!(
        !served.body.windows(7).any(|w| w == b"<script"),
        "what was appended to the image is not served back"
    );
}

#[test]
fn text_claiming_to_be_png_is_415() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    upload(
        &app,
        &token,
        alice,
        multipart("file", "image/png", b"I am definitely a PNG"),
    )
    .assert_error(415, "unsupported_media_type");
    assert_eq!(stored_files(&app), 0);
}

#[test]
fn two_mebibytes_pass_and_one_byte_more_is_413() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let mut exact = PNG.to_vec();
    exact.resize(2 * 1024 * 1024, 0);
    upload(&app, &token, alice, multipart("file", "image/png", &exact)).assert_ok();
    exact.push(0);
    upload(&app, &token, alice, multipart("file", "image/png", &exact))
        .assert_error(413, "payload_too_large");
    assert_eq!(stored_files(&app), 1);
}

#[test]
fn uploads_need_the_owner_a_file_field_and_multipart() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (_bob, bob_token) = app.user("bob");
    upload(&app, &bob_token, alice, multipart("file", "image/png", PNG)).assert_error(403, "forbidden");
    upload(&app, &alice_token, alice, multipart("picture", "image/png", PNG)).assert_invalid("file");
    let auth = format!("Bearer {alice_token}");
    app.request(
        "PUT",
        &format!("/users/{alice}/avatar"),
        &[("Authorization", &auth), ("Content-Type", "image/png")],
        Some(PNG.to_vec()),
    )
    .assert_error(415, "unsupported_media_type");
    let no_auth = app.request("PUT", &format!("/users/{alice}/avatar"), &[], Some(PNG.to_vec()));
    no_auth.assert_error(401, "unauthorized");
}

#[test]
fn the_avatar_route_reads_nothing_but_avatars() {
    let app = TestApp::spawn();
    std::fs::write(app.config.avatar_dir.join("notes.txt"), "private").unwrap();
    for path in [
        "/avatars/notes.txt",
        "/avatars/..%2fplaza.db",
        "/avatars/%2e%2e%2fplaza.db",
        "/avatars/..%2f..%2f..%2fetc%2fpasswd",
        "/avatars/....//plaza.db",
        "/avatars/00000000000000000000000000000000.png",
    ] {
        let response = app.get(path);
        assert_eq!(response.status, 404, "{path}");
        assert!(!String::from_utf8_lossy(&response.body).contains("private"));
    }
    let db = app.get("/avatars/../plaza.db");
    assert_ne!(db.status, 200, "dot segments never reach the file system");
}

#[test]
fn a_form_that_streams_past_its_limit_in_other_fields_is_413() {
    let app = TestApp::spawn();
    let (alice, token) = app.user("alice");
    let filler = vec![b'x'; 2 * 1024 * 1024 + 100 * 1024];
    let mut body = multipart("padding", "text/plain", &filler);
    body.truncate(body.len() - format!("\r\n--{BOUNDARY}--\r\n").len());
    body.extend_from_slice(format!("\r\n--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend_from_slice(PNG);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    upload(&app, &token, alice, body).assert_error(413, "payload_too_large");
}

/// A multipart body with a `file` field (a PNG) and, when given, an `alt` field.
pub fn picture_form(alt: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    if let Some(alt) = alt {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\n{alt}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(&multipart("file", "image/png", PNG));
    body
}

pub fn put_picture(app: &TestApp, token: &str, event: &serde_json::Value, body: Vec<u8>) -> Response {
    let auth = format!("Bearer {token}");
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    app.request(
        "PUT",
        &format!("/events/{}/image", event["id"]),
        &[("Authorization", &auth), ("Content-Type", &content_type)],
        Some(body),
    )
}

#[test]
fn an_event_picture_is_reencoded_served_with_its_alt_and_replaced() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let event = app.create_event(&alice, serde_json::json!({}));
    assert_eq!(event["image_url"], serde_json::Value::Null);
    assert_eq!(event["image_alt"], serde_json::Value::Null);
    let files_before = stored_files(&app);

    let pictured = put_picture(&app, &alice, &event, picture_form(Some("The hall, full of people"))).assert_ok();
    let url = pictured["image_url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/images/") && url.ends_with(".png"), "{url}");
    assert_eq!(pictured["image_alt"], "The hall, full of people");
    assert_eq!(pictured["name"], event["name"]);
    let image = app.get(&url);
    assert_eq!(image.status, 200);
    assert_eq!(image.header("content-type"), Some("image/png"));
    assert!(image.body.starts_with(b"\x89PNG"));
    assert_eq!(
        image.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let listed = app.get("/events/?when=all").assert_ok();
    assert_eq!(listed[0]["image_url"], url.as_str(), "lists carry the picture");
    assert_eq!(stored_files(&app), files_before + 1);

    // A new picture replaces the old one, whose file goes.
    let replaced = put_picture(&app, &alice, &event, picture_form(Some("舞台"))).assert_ok();
    assert_ne!(replaced["image_url"], url.as_str());
    assert_eq!(replaced["image_alt"], "舞台");
    app.get(&url).assert_error(404, "not_found");
    assert_eq!(stored_files(&app), files_before + 1);

    // Deleting the event removes its picture.
    let deleted = app.call_as("DELETE", &alice, &format!("/events/{}", event["id"]));
    assert_eq!(deleted.status, 204);
    assert_eq!(stored_files(&app), files_before);
}

#[test]
fn an_event_picture_needs_the_owner_a_file_and_its_alt_text() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let (_, bob) = app.user("bob");
    let event = app.create_event(&alice, serde_json::json!({}));
    put_picture(&app, &bob, &event, picture_form(Some("mine now")))
        .assert_error(403, "forbidden");
    put_picture(&app, &alice, &event, picture_form(None)).assert_invalid("alt");
    put_picture(&app, &alice, &event, picture_form(Some("   "))).assert_invalid("alt");
    put_picture(&app, &alice, &event, picture_form(Some(&"x".repeat(301)))).assert_invalid("alt");
    put_picture(&app, &alice, &event, picture_form(Some("line\u{202e}turn"))).assert_invalid("alt");
    let no_file = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA picture\r\n--{BOUNDARY}--\r\n"
    );
    put_picture(&app, &alice, &event, no_file.into_bytes()).assert_invalid("file");
    let mut text = Vec::new();
    text.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nA picture\r\n").as_bytes(),
    );
    text.extend_from_slice(&multipart("file", "image/png", b"I am definitely a PNG"));
    put_picture(&app, &alice, &event, text).assert_error(415, "unsupported_media_type");
    let missing = serde_json::json!({"id": 999_999});
    put_picture(&app, &alice, &missing, picture_form(Some("x"))).assert_error(404, "not_found");
    app.request("GET", "/images/nothing-here.png", &[], None)
        .assert_error(404, "not_found");
    let unchanged = app.get(&format!("/events/{}", event["id"])).assert_ok();
    assert_eq!(unchanged["image_url"], serde_json::Value::Null);
}
