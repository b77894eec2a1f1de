//! One client must not take the service down: expensive searches, bodies that never finish, clients that
//! never read, too many connections, login floods. Each test drives the abuse from real sockets against the
//! real server and checks that everyone else is still answered.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, event_body};

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_owned()
}

/// Sends raw bytes on a new connection, leaving it open.
fn open_with(app: &TestApp, bytes: &[u8]) -> TcpStream {
    let mut socket = TcpStream::connect(address(app)).unwrap();
    socket.write_all(bytes).unwrap();
    socket
}

/// Reads until the server closes the connection or `patience` passes; returns what came and whether it
/// was closed.
fn read_until_closed(socket: &mut TcpStream, patience: Duration) -> (String, bool) {
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let deadline = Instant::now() + patience;
    let mut received = Vec::new();
    let mut buffer = [0u8; 65536];
    while Instant::now() < deadline {
        match socket.read(&mut buffer) {
            Ok(0) => return (String::from_utf8_lossy(&received).into_owned(), true),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return (String::from_utf8_lossy(&received).into_owned(), true),
        }
    }
    (String::from_utf8_lossy(&received).into_owned(), false)
}

#[test]
fn abusive_searches_in_parallel_leave_other_reads_answered() {
    let app = TestApp::spawn_with(|config| config.workers = Some(4));
    let (_id, token) = app.user("alice");
    let long = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu ".repeat(140);
    let first = app.create_event(&token, event_body(json!({"description": long})));
    for i in 0..60 {
        app.create_event(
            &token,
            event_body(json!({"name": format!("Event {i}"), "description": long})),
        );
    }
    let abusive = format!(
        "/events/?search={}",
        "a b c d e f g h i j k l m n o p".replace(' ', "%20")
    );
    let searches: Vec<_> = (0..32)
        .map(|_| {
            let (base, path) = (app.base.clone(), abusive.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                (0..4)
                    .map(|_| {
                        agent
                            .get(format!("{base}{path}"))
                            .call()
                            .map(|response| response.status().as_u16())
                            .unwrap_or(0)
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    let mut others = Vec::new();
    for _ in 0..20 {
        others.push(app.get(&format!("/events/{}", first["id"])).status);
        others.push(app.get("/health").status);
    }
    let searched: Vec<u16> = searches.into_iter().flat_map(|t| t.join().unwrap()).collect();
    assert!(
        others.iter().all(|status| *status == 200),
        "other reads: {others:?}"
    );
    assert!(
        searched.iter().all(|status| matches!(status, 200 | 204 | 503)),
        "searches are answered, or told to come back: {searched:?}"
    );
    assert!(searched.contains(&200) || searched.contains(&204), "{searched:?}");
}

#[test]
fn a_body_that_never_finishes_is_408_and_the_connection_closed() {
    let app = TestApp::spawn_with(|config| config.body_idle_timeout_ms = 300);
    let mut stalled = open_with(
        &app,
        b"POST /users/ HTTP/1.1\r\nHost: plaza\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    );
    let (answer, closed) = read_until_closed(&mut stalled, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert!(closed, "the connection is closed after the 408");
    assert_eq!(app.get("/health").status, 200);
}

#[test]
fn connections_past_a_clients_cap_are_refused_and_closed() {
    let app = TestApp::spawn_with(|config| config.max_connections_per_client = 3);
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(address(&app)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fourth = open_with(&app, b"GET /health HTTP/1.1\r\nHost: plaza\r\n\r\n");
    let (answer, closed) = read_until_closed(&mut fourth, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after: 1"), "{answer}");
    assert!(closed);
    drop(idle);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        app.get("/health").status,
        200,
        "slots come back when connections close"
    );
}

#[test]
fn a_client_that_pipelines_and_never_reads_is_cut_off() {
    let app = TestApp::spawn_with(|config| config.response_write_timeout_secs = 1);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let target: std::net::SocketAddr = address(&app).parse().unwrap();
    socket.connect(&target.into()).unwrap();
    let mut stream: TcpStream = socket.into();
    let request = b"GET /openapi.json HTTP/1.1\r\nHost: plaza\r\n\r\n".repeat(200);
    stream.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = stream.write_all(&request);
    // Never read. The server's answers fill both buffers; then it waits on us, and gives up.
    std::thread::sleep(Duration::from_secs(8));
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0usize;
    stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let ended = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break true,
            Ok(n) => total += n,
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(error) if error.kind() == std::io::ErrorKind::TimedOut => break false,
            Err(_) => break true,
        }
    };
    assert!(
        ended,
        "the server cut the connection off (read {total} bytes before the end)"
    );
    assert!(
        total < 200 * 90_000,
        "it did not wait to deliver every answer: {total} bytes"
    );
    assert_eq!(app.get("/health").status, 200);
}

#[test]
fn parallel_wrong_passwords_get_no_more_checks_than_sequential_ones() {
    let app = TestApp::spawn_with(|config| config.bcrypt_cost = 8);
    app.register("victim");
    let attempts: Vec<_> = (0..40)
        .map(|_| {
            let base = app.base.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                agent
                    .post(format!("{base}/token"))
                    .content_type("application/x-www-form-urlencoded")
                    .send("username=victim&password=wrong-guess-1")
                    .map(|response| response.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let statuses: Vec<u16> = attempts.into_iter().map(|t| t.join().unwrap()).collect();
    let checked = statuses.iter().filter(|status| **status == 401).count();
    assert!(checked <= 10, "at most 10 password checks: {statuses:?}");
    assert!(
        statuses.iter().all(|status| matches!(status, 401 | 429 | 503)),
        "{statuses:?}"
    );
    // Sequential attempts use the rest of the allowance, and not one more.
    for _ in checked..10 {
        app.login("victim", "wrong-guess-2")
            .assert_error(401, "unauthorized");
    }
    let after = app.login("victim", PASSWORD);
    after.assert_error(429, "rate_limited");
}

#[test]
fn bytes_past_the_72nd_do_not_log_in() {
    let app = TestApp::spawn();
    let password = "p".repeat(72);
    let body = json!({"username": "longpw", "email": "longpw@example.org", "password": password});
    app.post_json("/users/", None, &body).assert_ok();
    assert_eq!(app.login("longpw", &password).status, 200);
    app.login("longpw", &format!("{password}zzz"))
        .assert_error(401, "unauthorized");
}

#[test]
fn a_sender_can_only_send_so_many_notifications() {
    let app = TestApp::spawn();
    let (_alice, alice) = app.user("alice");
    let (bob, _) = app.user("bob");
    let body = json!({"message": "buy my stuff", "sender": "Admin", "owner_id": bob});
    for _ in 0..20 {
        app.post_json("/notifications/", Some(&alice), &body).assert_ok();
    }
    let refused = app.post_json("/notifications/", Some(&alice), &body);
    refused.assert_error(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());
}
