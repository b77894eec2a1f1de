//! Running in production: rate limits, trusted proxies, security headers, CORS, HTTPS, backups and
//! restores, and a clean shutdown — against the real server, and the real binary where signals matter.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::binary::Plaza;
use crate::helpers::{PASSWORD, TestApp, event_body};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

#[test]
fn unauthenticated_writes_are_rate_limited_per_client() {
    // 3 a minute: bursts of 9, for logins and registrations each.
    let app = TestApp::spawn_with(|config| config.rate_limit_auth_per_minute = 3);
    app.register("alice");
    for _ in 0..9 {
        app.login("alice", PASSWORD).assert_ok();
    }
    let limited = app.login("alice", PASSWORD);
    limited.assert_error(429, "rate_limited");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    for i in 1..9 {
        app.register(&format!("user{i}"));
    }
    let body = json!({"username": "bob", "email": "bob@example.org", "password": PASSWORD});
    app.post_json("/users/", None, &body)
        .assert_error(429, "rate_limited");
    assert_eq!(
        app.get("/events/").status,
        204,
        "other routes are not under this limit"
    );
}

#[test]
fn responses_are_compressed_but_images_and_the_live_stream_are_not() {
    let app = TestApp::spawn();
    for encoding in ["br", "gzip"] {
        let script = app.request("GET", "/app/src/main.js", &[("Accept-Encoding", encoding)], None);
        assert_eq!(script.status, 200);
        assert_eq!(script.header("content-encoding"), Some(encoding));
        assert_eq!(script.header("vary"), Some("accept-encoding"));
    }
    let plain = app.request("GET", "/app/src/main.js", &[("Accept-Encoding", "identity")], None);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(String::from_utf8_lossy(&plain.body).contains("import"));

    let (_id, token) = app.user("alice");
    let bearer = format!("Bearer {token}");
    let stream = app.request(
        "HEAD",
        "/notifications/stream",
        &[("Accept-Encoding", "br, gzip"), ("Authorization", &bearer)],
        None,
    );
    assert_eq!(stream.status, 200);
    assert_ne!(stream.header("content-encoding"), Some("br"));
    assert_ne!(stream.header("content-encoding"), Some("gzip"));
}

#[test]
fn every_route_has_a_generous_limit_per_client() {
    let app = TestApp::spawn_with(|config| config.rate_limit_per_second = 2);
    let statuses: Vec<u16> = (0..12).map(|_| app.get("/health").status).collect();
    assert!(
        statuses.iter().take(4).all(|s| *s == 200),
        "a burst of twice the rate: {statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    let limited = app.get("/health");
    if limited.status == 429 {
        limited.assert_error(429, "rate_limited");
        assert!(limited.header("retry-after").is_some());
    }
}

/// Logs in as `username` with a wrong password, from `forwarded_for` as the proxy says.
fn wrong_login_via(app: &TestApp, username: &str, forwarded_for: &str) -> u16 {
    app.request(
        "POST",
        "/token",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", forwarded_for),
        ],
        Some(format!("username={username}&password=not-it-at-all").into_bytes()),
    )
    .status
}

#[test]
fn forwarded_for_from_an_untrusted_peer_changes_nothing() {
    let app = TestApp::spawn();
    app.register("alice");
    // Each attempt claims another address; the peer is what counts.
    for i in 0..10 {
        assert_eq!(wrong_login_via(&app, "alice", &format!("203.0.113.{i}")), 401);
    }
    assert_eq!(wrong_login_via(&app, "alice", "198.51.100.99"), 429);
}

#[test]
fn forwarded_for_from_a_trusted_proxy_names_the_client() {
    let app = TestApp::spawn_with(|config| config.trusted_proxies = "127.0.0.1".into());
    app.register("alice");
    for _ in 0..10 {
        assert_eq!(wrong_login_via(&app, "alice", "203.0.113.7"), 401);
    }
    assert_eq!(
        wrong_login_via(&app, "alice", "203.0.113.7"),
        429,
        "that client is throttled"
    );
    assert_eq!(
        wrong_login_via(&app, "alice", "6.6.6.6, 198.51.100.1"),
        401,
        "another client is not, and the forged left entry is ignored"
    );
}

#[test]
fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn();
    for response in [
        app.get("/health"),
        app.get("/nowhere"),
        app.get("/users/me"),
        app.get("/"),
    ] {
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert_eq!(
            response.header("strict-transport-security"),
            None,
            "no HSTS over plain HTTP"
        );
    }
}

fn preflight(app: &TestApp, origin: &str) -> crate::helpers::Response {
    app.request(
        "OPTIONS",
        "/events/",
        &[
            ("Origin", origin),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "authorization, content-type"),
        ],
        None,
    )
}

#[test]
fn cross_origin_access_only_for_the_configured_origins() {
    let closed = TestApp::spawn();
    let response = preflight(&closed, "https://evil.example");
    assert_eq!(response.header("access-control-allow-origin"), None);

    let open = TestApp::spawn_with(|config| config.cors_allowed_origins = "https://app.example.org".into());
    let allowed = preflight(&open, "https://app.example.org");
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    let methods = allowed
        .header("access-control-allow-methods")
        .unwrap()
        .to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let refused = preflight(&open, "https://evil.example");
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert!(refused.status >= 400);
    let simple = open.request("GET", "/events/", &[("Origin", "https://app.example.org")], None);
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://app.example.org")
    );
    let exposed = simple
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-total-count"), "{exposed}");
}

/// Whether `response` grants anything cross-origin.
fn grants_cross_origin_access(response: &crate::helpers::Response) -> bool {
    response
        .headers
        .keys()
        .any(|name| name.starts_with("access-control-allow-"))
}

#[test]
fn a_refused_preflight_is_403_in_the_error_shape_and_every_cors_answer_has_a_request_id() {
    let open = TestApp::spawn_with(|config| config.cors_allowed_origins = "https://app.example.org".into());
    let allowed = preflight(&open, "https://app.example.org");
    assert_eq!(allowed.status, 200);
    assert!(allowed.header("x-request-id").is_some(), "{:?}", allowed.headers);

    let refusals = [
        preflight(&open, "https://evil.example"),
        open.request(
            "OPTIONS",
            "/events/",
            &[
                ("Origin", "https://app.example.org"),
                ("Access-Control-Request-Method", "PROPFIND"),
            ],
            None,
        ),
        open.request(
            "OPTIONS",
            "/events/",
            &[
                ("Origin", "https://app.example.org"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "x-not-allowed"),
            ],
            None,
        ),
    ];
    for refused in &refusals {
        refused.assert_error(403, "forbidden");
        assert!(!grants_cross_origin_access(refused), "{:?}", refused.headers);
        assert!(refused.header("x-request-id").is_some(), "{:?}", refused.headers);
        assert_eq!(refused.header("x-content-type-options"), Some("nosniff"));
    }

    let no_origin = open.request(
        "OPTIONS",
        "/events/",
        &[("Access-Control-Request-Method", "POST")],
        None,
    );
    no_origin.assert_error(400, "bad_request");
    assert!(!grants_cross_origin_access(&no_origin));
    assert!(no_origin.header("x-request-id").is_some());

    let foreign = open.request("GET", "/events/", &[("Origin", "https://evil.example")], None);
    assert_eq!(foreign.status, 204);
    assert!(!grants_cross_origin_access(&foreign), "{:?}", foreign.headers);
    assert!(foreign.header("x-request-id").is_some());

    let closed = TestApp::spawn();
    let preflight = preflight(&closed, "https://app.example.org");
    preflight.assert_error(405, "method_not_allowed");
    assert!(!grants_cross_origin_access(&preflight));
    assert!(preflight.header("x-request-id").is_some());
}

/// A self-signed certificate for 127.0.0.1, as PEM files in `dir`; returns its DER for the client.
fn certificate(dir: &std::path::Path) -> Vec<u8> {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    std::fs::write(dir.join("cert.pem"), generated.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).unwrap();
    generated.cert.der().to_vec()
}

fn trusting(der: &[u8]) -> ureq::Agent {
    let roots =
        ureq::tls::RootCerts::Specific(Arc::new(vec![ureq::tls::Certificate::from_der(der).to_owned()]));
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .build()
        .into()
}

#[test]
fn https_is_served_with_a_certificate_that_verifies_and_hsts() {
    let certs = tempfile::tempdir().unwrap();
    let der = certificate(certs.path());
    let app = TestApp::spawn_with(|config| {
        config.tls_cert_path = Some(certs.path().join("cert.pem"));
        config.tls_key_path = Some(certs.path().join("key.pem"));
    });
    assert!(app.base.starts_with("https://"), "{}", app.base);
    let mut response = trusting(&der).get(format!("{}/health", app.base)).call().unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("strict-transport-security").is_some());
    let body: Value = serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
    assert_eq!(body["status"], "ok");
    let untrusted = agent().get(format!("{}/health", app.base)).call();
    assert!(
        untrusted.is_err(),
        "a client that does not trust the certificate is refused"
    );
}

#[test]
fn the_binary_reloads_its_certificate_on_sighup_and_redirects_plain_http() {
    let data = tempfile::tempdir().unwrap();
    let first = certificate(data.path());
    let cert = data.path().join("cert.pem");
    let key = data.path().join("key.pem");
    let plaza = Plaza::start(
        data.path(),
        &[],
        &[
            ("TLS_CERT_PATH", cert.to_str().unwrap()),
            ("TLS_KEY_PATH", key.to_str().unwrap()),
            ("HTTP_REDIRECT_PORT", "0"),
            ("PUBLIC_URL", "https://plaza.test:8443/"),
        ],
    )
    .unwrap();
    assert!(plaza.base.starts_with("https://"), "{}", plaza.base);
    assert_eq!(
        trusting(&first)
            .get(format!("{}/livez", plaza.base))
            .call()
            .unwrap()
            .status(),
        200
    );

    let renewed = tempfile::tempdir().unwrap();
    let second = certificate(renewed.path());
    std::fs::copy(renewed.path().join("cert.pem"), &cert).unwrap();
    std::fs::copy(renewed.path().join("key.pem"), &key).unwrap();
    let pid = plaza.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let fresh = trusting(&second).get(format!("{}/livez", plaza.base)).call();
        if fresh.is_ok_and(|response| response.status() == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate is never served"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        trusting(&first)
            .get(format!("{}/livez", plaza.base))
            .call()
            .is_err(),
        "the old certificate is no longer served"
    );

    let redirect_port = plaza
        .drain_log()
        .iter()
        .find_map(|line| {
            line.split("plain HTTP on port ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next()?.parse::<u16>().ok())
        })
        .expect("the redirect port is logged");
    let response = agent()
        .post(format!("http://127.0.0.1:{redirect_port}/token?x=1"))
        .send("")
        .unwrap();
    assert_eq!(response.status(), 308);
    assert_eq!(
        response.headers().get("location").unwrap().to_str().unwrap(),
        "https://plaza.test:8443/token?x=1",
        "to PUBLIC_URL, whatever Host the client sent"
    );
    for request in [
        "GET /token?x=1 HTTP/1.1\r\nHost: evil.example\r\n",
        "GET /token?x=1 HTTP/1.1\r\nHost: evil.example:80\r\n",
        "GET http://evil.example/token?x=1 HTTP/1.1\r\nHost: evil.example\r\n",
        "GET /token?x=1 HTTP/1.1\r\nHost: plaza.test@evil.example\r\n",
        "GET /token?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: evil.example\r\n\
         Forwarded: host=evil.example\r\n",
    ] {
        let (status, location) = raw_redirect(redirect_port, request);
        assert_eq!(status, 308, "{request}");
        assert_eq!(
            location.as_deref(),
            Some("https://plaza.test:8443/token?x=1"),
            "{request}"
        );
    }
}

/// Sends `head` (a request line and headers, without the blank line) to the plain-HTTP port; returns the
/// status and the `Location` of the answer.
fn raw_redirect(port: u16, head: &str) -> (u16, Option<String>) {
    use std::io::{BufRead, BufReader, Write};
    let mut socket = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    socket
        .write_all(format!("{head}Connection: close\r\n\r\n").as_bytes())
        .unwrap();
    let mut reader = BufReader::new(socket);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut location = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("location")
        {
            location = Some(value.trim().to_owned());
        }
    }
    (status, location)
}

#[test]
fn the_https_redirect_needs_public_url_and_plaza_refuses_to_start_without_it() {
    let data = tempfile::tempdir().unwrap();
    certificate(data.path());
    let cert = data.path().join("cert.pem");
    let key = data.path().join("key.pem");
    let started = |public_url: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_plaza"));
        command
            .args([
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--bcrypt-cost",
                "4",
            ])
            .arg("--database-url")
            .arg(data.path().join("plaza.db"))
            .arg("--avatar-dir")
            .arg(data.path().join("avatars"))
            .env_remove("JWT_SECRET")
            .env_remove("PUBLIC_URL")
            .env("TLS_CERT_PATH", &cert)
            .env("TLS_KEY_PATH", &key)
            .env("HTTP_REDIRECT_PORT", "0")
            .current_dir(data.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        if let Some(url) = public_url {
            command.env("PUBLIC_URL", url);
        }
        let mut child = command.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("plaza started with HTTP_REDIRECT_PORT and PUBLIC_URL {public_url:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let output = child.wait_with_output().unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let missing = started(None);
    assert!(
        missing.contains("HTTP_REDIRECT_PORT") && missing.contains("PUBLIC_URL"),
        "{missing}"
    );
    for wrong in [
        "plaza.example.org",
        "http://plaza.example.org",
        "https://plaza.example.org/plaza",
        "https://user@plaza.example.org",
        "https://plaza.example.org/?x=1",
    ] {
        let refused = started(Some(wrong));
        assert!(refused.contains("PUBLIC_URL"), "{wrong}: {refused}");
    }
}

/// Creates events from `writers` threads until `stop`; returns the ids acknowledged, with when.
fn write_events(
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    writers: usize,
) -> Vec<std::thread::JoinHandle<Vec<(Instant, i64)>>> {
    (0..writers)
        .map(|w| {
            let (base, token, stop) = (base.clone(), token.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut acknowledged = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    i += 1;
                    let result = agent
                        .post(format!("{base}/events/"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .content_type("application/json")
                        .send(event_body(json!({"name": format!("w{w} e{i}")})).to_string());
                    if let Ok(mut response) = result
                        && response.status() == 200
                    {
                        let body: Value =
                            serde_json::from_slice(&response.body_mut().read_to_vec().unwrap()).unwrap();
                        acknowledged.push((Instant::now(), body["id"].as_i64().unwrap()));
                    }
                }
                acknowledged
            })
        })
        .collect()
}

fn plaza_command(
    args: &[&str],
    database: &std::path::Path,
    avatars: &std::path::Path,
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plaza"))
        .args(args)
        .arg("--database-url")
        .arg(database)
        .arg("--avatar-dir")
        .arg(avatars)
        .env_remove("JWT_SECRET")
        .output()
        .unwrap()
}

#[test]
fn a_backup_under_load_restores_every_write_acknowledged_before_it_began() {
    let app = TestApp::spawn();
    let (_id, token) = app.user("alice");
    let stop = Arc::new(AtomicBool::new(false));
    let writers = write_events(app.base.clone(), token.clone(), stop.clone(), 4);
    std::thread::sleep(Duration::from_millis(400));
    let backup_dir = tempfile::tempdir().unwrap();
    let target = backup_dir.path().join("plaza-backup.db");
    let database = app.config.database().unwrap().path;
    let began = Instant::now();
    let backup = plaza_command(
        &["backup", target.to_str().unwrap()],
        &database,
        &app.config.avatar_dir,
    );
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    let acknowledged: Vec<(Instant, i64)> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    let stdout = String::from_utf8_lossy(&backup.stdout);
    assert!(
        backup.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(
        stdout.contains("integrity ok") && stdout.contains("events"),
        "{stdout}"
    );
    let before: Vec<i64> = acknowledged
        .iter()
        .filter(|(at, _)| *at < began)
        .map(|(_, id)| *id)
        .collect();
    assert!(before.len() > 10, "writes were going on: {}", before.len());
    assert!(backup_dir.path().join("plaza-backup.db.jwt_secret").exists());

    // Restoring under a running server is refused.
    let refused = plaza_command(
        &["restore", target.to_str().unwrap()],
        &database,
        &app.config.avatar_dir,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("another Plaza process"));

    let fresh = tempfile::tempdir().unwrap();
    let restored_db = fresh.path().join("plaza.db");
    let restored_avatars = fresh.path().join("avatars");
    let restore = plaza_command(
        &["restore", target.to_str().unwrap()],
        &restored_db,
        &restored_avatars,
    );
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    let restored = TestApp::spawn_with(|config| {
        config.database_url = restored_db.to_string_lossy().into_owned();
        config.avatar_dir = restored_avatars.clone();
    });
    for id in &before {
        assert_eq!(
            restored.get(&format!("/events/{id}")).status,
            200,
            "event {id} was acknowledged before the backup"
        );
    }
    restored.get_as(&token, "/users/me").assert_ok();
}

/// `plaza ARGS` as a shell with the usual umask (022) starts it, whatever the test runner's umask is.
fn plaza_under_umask_022(args: &[OsString]) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", r#"umask 022 && exec "$0" "$@""#])
        .arg(env!("CARGO_BIN_EXE_plaza"))
        .args(args)
        .env_remove("JWT_SECRET")
        .env("LOG_LEVEL", "info")
        .env("RATE_LIMIT_PER_SECOND", "0")
        .env("RATE_LIMIT_AUTH_PER_MINUTE", "0");
    command
}

/// `words`, then the flags naming Plaza's database and avatars under `data`.
fn args_over(data: &Path, words: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = words.iter().map(OsString::from).collect();
    args.extend([
        "--database-url".into(),
        data.join("plaza.db").into_os_string(),
        "--avatar-dir".into(),
        data.join("avatars").into_os_string(),
    ]);
    args
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_database_its_wal_its_folder_and_backups_are_private_under_umask_022() {
    use std::io::{BufRead, BufReader};
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let serve = [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--bcrypt-cost",
        "4",
    ];
    /// Stopped however the test ends.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Server(
        plaza_under_umask_022(&args_over(&data, &serve))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("plaza reports its address").unwrap();
        if let Some(address) = line.split("listening on ").nth(1) {
            break address.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    let body = json!({"username": "alice", "email": "alice@example.org", "password": PASSWORD});
    let created = agent()
        .post(format!("{base}/users/"))
        .content_type("application/json")
        .send(body.to_string())
        .unwrap();
    assert!(created.status().is_success(), "{}", created.status());

    // While the server runs: the folder it created, the database, and the files SQLite makes beside it.
    assert_eq!(mode(&data), 0o700, "the data folder");
    for file in ["plaza.db", "plaza.db-wal", "plaza.db-shm", "jwt_secret"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }

    // A backup, and the folder made for it, while the server runs.
    let backups = root.path().join("backups");
    let target = backups.join("nightly.db");
    let backup = plaza_under_umask_022(&args_over(&data, &["backup", target.to_str().unwrap()]))
        .output()
        .unwrap();
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert_eq!(mode(&backups), 0o700, "the backup folder");
    assert_eq!(mode(&target), 0o600, "the backup");
    assert_eq!(mode(&backups.join("nightly.db.jwt_secret")), 0o600);
    drop(server);

    // A restore writes a private database, even from a backup someone made readable to all.
    std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let restored = root.path().join("restored");
    let restore = plaza_under_umask_022(&args_over(&restored, &["restore", target.to_str().unwrap()]))
        .output()
        .unwrap();
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert_eq!(mode(&restored), 0o700, "the restored data folder");
    assert_eq!(mode(&restored.join("plaza.db")), 0o600, "the restored database");
    assert_eq!(mode(&restored.join("jwt_secret")), 0o600);
}

/// What clients saw while the server shut down.
#[derive(Default)]
struct Tally {
    answered: AtomicUsize,
    server_errors: AtomicUsize,
    draining: AtomicUsize,
    resets: AtomicUsize,
}

/// Sixteen clients write and check `/health`, each leaving when readiness fails, as behind a load
/// balancer; meanwhile SIGTERM.
#[test]
fn sigterm_drains_finishes_requests_and_exits_cleanly() {
    let data = tempfile::tempdir().unwrap();
    let plaza = Plaza::start(data.path(), &[], &[("SHUTDOWN_DRAIN_SECS", "2")]).unwrap();
    let base = plaza.base.clone();
    let register = json!({"username": "loader", "email": "loader@example.org", "password": PASSWORD});
    let client = agent();
    client
        .post(format!("{base}/users/"))
        .content_type("application/json")
        .send(register.to_string())
        .unwrap();
    let mut login = client
        .post(format!("{base}/token"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username=loader&password={PASSWORD}"))
        .unwrap();
    let token: Value = serde_json::from_slice(&login.body_mut().read_to_vec().unwrap()).unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let tally = Arc::new(Tally::default());
    let loaders: Vec<_> = (0..16)
        .map(|w| {
            let (base, token, tally) = (base.clone(), token.clone(), tally.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let started = Instant::now();
                for i in 0.. {
                    let result = if i % 3 == 0 {
                        agent.get(format!("{base}/health")).call()
                    } else {
                        agent
                            .post(format!("{base}/events/"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .content_type("application/json")
                            .send(event_body(json!({"name": format!("load {w} {i}")})).to_string())
                    };
                    match result {
                        // Like a load balancer: once readiness fails, send this server nothing new.
                        Ok(response) if response.status() == 503 && i % 3 == 0 => {
                            tally.draining.fetch_add(1, Ordering::SeqCst);
                            tally.answered.fetch_add(1, Ordering::SeqCst);
                            break;
                        }
                        Ok(response) => {
                            if response.status().is_server_error() {
                                tally.server_errors.fetch_add(1, Ordering::SeqCst);
                            }
                            tally.answered.fetch_add(1, Ordering::SeqCst);
                        }
                        Err(ureq::Error::Io(error))
                            if error.kind() == std::io::ErrorKind::ConnectionRefused =>
                        {
                            break;
                        }
                        Err(ureq::Error::ConnectionFailed) => break,
                        Err(error) => {
                            eprintln!("reset: {error:?}");
                            tally.resets.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    if started.elapsed() > Duration::from_secs(30) {
                        break;
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let pid = plaza.child.id().to_string();
    let signalled = Instant::now();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut plaza = plaza;
    let status = loop {
        if let Some(status) = plaza.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(40),
            "Plaza did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    for loader in loaders {
        loader.join().unwrap();
    }
    assert!(status.success(), "exit status {status:?}");
    assert!(signalled.elapsed() >= Duration::from_secs(2), "it drained first");
    let (answered, errors, draining, resets) = (
        tally.answered.load(Ordering::SeqCst),
        tally.server_errors.load(Ordering::SeqCst),
        tally.draining.load(Ordering::SeqCst),
        tally.resets.load(Ordering::SeqCst),
    );
    println!("SIGTERM under 16 clients: {answered} answered, {errors} 5xx, {resets} reset");
    assert_eq!(draining, 16, "every client heard /health say it was draining");
    assert_eq!(errors, 0, "no 5xx but /health's");
    assert_eq!(resets, 0, "no accepted connection was reset");
    let log = plaza.drain_log().join("\n");
    assert!(log.contains("Plaza stopped"), "{log}");
    let wal = data.path().join("plaza.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the WAL was checkpointed"
    );
}

#[test]
fn liveness_touches_nothing_and_readiness_ends_with_the_drain() {
    let app = TestApp::spawn();
    let response = app.get("/livez");
    assert_eq!(response.assert_ok()["status"], "alive");
    assert_eq!(app.request("HEAD", "/livez", &[], None).status, 200);
    assert_eq!(app.get("/readyz").assert_ok()["status"], "ready");
    assert_eq!(app.request("HEAD", "/readyz", &[], None).status, 200);
    app.lifecycle.start_draining();
    assert_eq!(app.get("/livez").status, 200, "alive while draining");
    app.get("/health").assert_error(503, "unavailable");
    app.get("/readyz").assert_error(503, "unavailable");
    assert_eq!(app.get("/events/").header("connection"), Some("close"));
}

/// The page runs only the inline code it was built with: every inline script and style it carries is
/// named by its hash in the policy, and nothing else inline is allowed.
#[test]
fn the_page_allows_exactly_its_own_inline_code_and_its_worker_may_keep_it() {
    use base64::Engine;
    use sha2::Digest;
    let app = TestApp::spawn();
    let page = app.get("/");
    assert_eq!(page.status, 200);
    let policy = page.header("content-security-policy").expect("the page has a policy").to_owned();
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let inline = |open: &str, close: &str| -> Vec<String> {
        html.split(open)
            .skip(1)
            .map(|rest| rest.split_once(close).expect("the element is closed").0.to_owned())
            .collect()
    };
    let hash = |text: &str| {
        let digest = sha2::Sha256::digest(text.as_bytes());
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
    };
    let scripts: Vec<String> = [inline("<script>", "</script>"), inline("<script type=\"module\">", "</script>")].concat();
    let styles = inline("<style>", "</style>");
    assert_eq!(scripts.len(), 2, "the boot script and the bundle");
    assert_eq!(styles.len(), 1, "the bundled styles");
    let directive = |name: &str| {
        policy
            .split(';')
            .map(str::trim)
            .find(|part| part.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {policy}"))
            .to_owned()
    };
    let script_src = directive("script-src ");
    let style_src = directive("style-src ");
    for script in &scripts {
        assert!(script_src.contains(&hash(script)), "{script_src} allows {:.80}", script);
    }
    assert_eq!(script_src.matches("'sha256-").count(), 2, "{script_src}");
    assert!(style_src.contains(&hash(&styles[0])), "{style_src}");
    assert_eq!(style_src.matches("'sha256-").count(), 1, "{style_src}");

    let worker = app.get("/app/sw.js");
    assert_eq!(worker.status, 200);
    assert_eq!(worker.header("service-worker-allowed"), Some("/"));
    assert_eq!(worker.header("cache-control"), Some("no-cache"));
    assert!(worker.header("content-type").is_some_and(|kind| kind.starts_with("text/javascript")));
    let script = String::from_utf8_lossy(&worker.body);
    let version = html
        .split("<meta name=\"plaza-assets\" content=\"/app/v-")
        .nth(1)
        .and_then(|rest| rest.split_once('"'))
        .expect("the page names its version")
        .0;
    assert!(script.contains(&format!("'{version}'")), "the worker is this build's: {script}");
    assert_eq!(app.get("/app/boot.js").status, 404, "the boot script lives only in the page");
}
