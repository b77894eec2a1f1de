use crate::helpers::{Response, TestApp};

const BOUNDARY: &str = "plaza-test-boundary";
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR fake but well-headed png";
const GIF: &[u8] = b"GIF89a tiny";

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
    assert_eq!(image.body, PNG);
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
        new_url.ends_with(".gif"),
        "the type comes from the bytes: {new_url}"
    );
    assert_eq!(app.get(new_url).header("content-type"), Some("image/gif"));
    app.get(&url).assert_error(404, "not_found");
    assert_eq!(stored_files(&app), 1, "the replaced file is gone");
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
