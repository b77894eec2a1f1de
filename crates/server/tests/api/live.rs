//! `GET /notifications/stream`: live notifications as Server-Sent Events, read here over a raw socket the
//! way a browser's `EventSource` reads them.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Response, TestApp};

/// One event of a stream (comments are skipped).
#[derive(Debug, Clone)]
pub struct Sse {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

impl Sse {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }
}

/// An open stream: its headers, and its events as they arrive.
pub struct EventStream {
    pub headers: std::collections::HashMap<String, String>,
    events: mpsc::Receiver<Sse>,
    socket: TcpStream,
}

impl EventStream {
    /// Opens `path`; a refusal comes back as the plain response.
    pub fn open(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Result<Self, Response> {
        Self::open_at(&app.base, path, headers)
    }

    /// Opens `path` on the server at `base` (`http://host:port`).
    pub fn open_at(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<Self, Response> {
        let address = base.trim_start_matches("http://");
        let mut socket = TcpStream::connect(address).unwrap();
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept: text/event-stream\r\n");
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        socket.write_all(request.as_bytes()).unwrap();
        let mut reader = BufReader::new(socket.try_clone().unwrap());
        let mut status_line = String::new();
        reader.read_line(&mut status_line).unwrap();
        let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut headers = std::collections::HashMap::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        if status != 200 {
            let length: usize = headers.get("content-length").map_or(0, |l| l.parse().unwrap());
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            return Err(Response {
                status,
                headers,
                body,
            });
        }
        assert_eq!(
            headers.get("transfer-encoding").map(String::as_str),
            Some("chunked")
        );
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || read_events(reader, &sender));
        Ok(Self {
            headers,
            events,
            socket,
        })
    }

    /// Opens `path` with a bearer token and `extra` headers; panics on a refusal.
    pub fn open_as(app: &TestApp, token: &str, path: &str, extra: &[(&str, &str)]) -> Self {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        headers.extend_from_slice(extra);
        Self::open(app, path, &headers)
            .unwrap_or_else(|refused| panic!("stream refused: {} {:?}", refused.status, refused.body))
    }

    /// The next event within `wait`, if any; `None` also when the stream ended.
    pub fn next_within(&self, wait: Duration) -> Option<Sse> {
        self.events.recv_timeout(wait).ok()
    }

    /// The next event, which must arrive within 10 s.
    #[track_caller]
    pub fn next(&self) -> Sse {
        self.next_within(Duration::from_secs(10))
            .expect("an event within 10 s")
    }

    /// The next event, which must be of `kind`.
    #[track_caller]
    pub fn expect(&self, kind: &str) -> Sse {
        let event = self.next();
        assert_eq!(event.event, kind, "{event:?}");
        event
    }

    /// The next event within `wait`: `Ok(None)` when none came, `Err(())` when the stream has ended.
    #[allow(clippy::result_unit_err)]
    #[allow(dead_code, reason = "used by the fault tests, which run on PostgreSQL only")]
    pub fn poll(&self, wait: Duration) -> Result<Option<Sse>, ()> {
        match self.events.recv_timeout(wait) {
            Ok(event) => Ok(Some(event)),
            Err(mpsc::RecvTimeoutError::Timeout) => Ok(None),
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(()),
        }
    }

    /// Whether the server closed the stream within `wait`, after any events still in flight.
    pub fn ends_within(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            match self
                .events
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return true,
                Err(mpsc::RecvTimeoutError::Timeout) => return false,
            }
        }
    }

    /// Drops the connection the way a client losing its network would.
    pub fn close(self) {
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

/// Decodes the chunked body into SSE events until the connection ends.
fn read_events(mut reader: BufReader<TcpStream>, sender: &mpsc::Sender<Sse>) {
    let mut pending = String::new();
    loop {
        let mut size_line = String::new();
        if reader.read_line(&mut size_line).unwrap_or(0) == 0 {
            return;
        }
        let Ok(size) = usize::from_str_radix(size_line.trim(), 16) else {
            return;
        };
        if size == 0 {
            return;
        }
        let mut chunk = vec![0; size + 2];
        if reader.read_exact(&mut chunk).is_err() {
            return;
        }
        pending.push_str(std::str::from_utf8(&chunk[..size]).unwrap());
        while let Some(end) = pending.find("\n\n") {
            let block: String = pending.drain(..end + 2).collect();
            let mut event = Sse {
                event: "message".into(),
                id: None,
                data: String::new(),
            };
            let mut is_comment = true;
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event: ") {
                    event.event = value.into();
                    is_comment = false;
                } else if let Some(value) = line.strip_prefix("id: ") {
                    event.id = Some(value.into());
                } else if let Some(value) = line.strip_prefix("data: ") {
                    event.data.push_str(value);
                    is_comment = false;
                }
            }
            if !is_comment && sender.send(event).is_err() {
                return;
            }
        }
    }
}

/// Every notification id of the user's inbox, lowest first.
pub fn inbox_ids(app: &crate::helpers::Client, token: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for skip in (0..).step_by(100) {
        let page = app.get_as(token, &format!("/notifications/?skip={skip}&limit=100"));
        if page.status == 204 {
            break;
        }
        let items = page.assert_ok();
        let items = items.as_array().unwrap();
        ids.extend(items.iter().map(|n| n["id"].as_i64().unwrap()));
        if items.len() < 100 {
            break;
        }
    }
    ids.sort_unstable();
    ids
}

fn send_to_self(app: &TestApp, token: &str, message: &str) -> Value {
    app.post_json(
        "/notifications/",
        Some(token),
        &json!({"message": message, "sender": "me"}),
    )
    .assert_ok()
}

#[test]
fn a_comment_reaches_the_event_owners_stream_as_it_happens() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let (_, bob) = app.user("bob");
    let event = app.create_event(&alice, json!({"name": "Rust meetup"}));
    let stream = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    assert_eq!(stream.headers["content-type"], "text/event-stream");
    assert_eq!(stream.headers["cache-control"], "no-cache");
    assert_eq!(stream.headers["x-accel-buffering"], "no");
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
    // HEAD answers the stream's head at once, without holding a stream.
    let head = app.call_as("HEAD", &alice, "/notifications/stream");
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-type"), Some("text/event-stream"));
    assert_eq!(head.header("x-accel-buffering"), Some("no"));

    app.post_json(
        &format!("/comments/{}", event["id"]),
        Some(&bob),
        &json!({"content": "see you there"}),
    )
    .assert_ok();
    let arrived = stream.expect("notification");
    let listed = app.get_as(&alice, "/notifications/").assert_ok()[0].clone();
    assert_eq!(arrived.json(), listed, "the same object as the list");
    assert_eq!(
        arrived.id,
        Some(listed["id"].to_string()),
        "id: is the notification's"
    );
    assert_eq!(listed["message"], "bob commented on \"Rust meetup\"");
    assert_eq!(stream.expect("unread").json(), json!({"unread": 1}));

    // Read from another device: the count follows, with no notification event.
    app.call_as("POST", &alice, &format!("/notifications/{}/read", listed["id"]))
        .assert_ok();
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
    send_to_self(&app, &alice, "one");
    send_to_self(&app, &alice, "two");
    let mut messages = Vec::new();
    while messages.len() < 2 {
        let event = stream.next();
        if event.event == "notification" {
            messages.push(event.json()["message"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(messages, ["one", "two"], "in id order");
    app.post_json("/notifications/read-all", Some(&alice), &json!({}))
        .assert_ok();
    let mut last = stream.expect("unread");
    while last.json()["unread"] != 0 {
        last = stream.expect("unread");
    }
    assert!(
        stream.next_within(Duration::from_millis(300)).is_none(),
        "nothing for anyone else's inbox"
    );
}

#[test]
fn a_stream_replays_after_an_id_and_last_event_id_wins_over_after() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let ids: Vec<i64> = (1..=3)
        .map(|i| {
            send_to_self(&app, &alice, &format!("n{i}"))["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let replay = EventStream::open_as(
        &app,
        &alice,
        &format!("/notifications/stream?after={}", ids[0]),
        &[],
    );
    assert_eq!(replay.expect("notification").id, Some(ids[1].to_string()));
    assert_eq!(replay.expect("notification").id, Some(ids[2].to_string()));
    assert_eq!(replay.expect("unread").json(), json!({"unread": 3}));

    let resumed = EventStream::open_as(
        &app,
        &alice,
        "/notifications/stream?after=0",
        &[("Last-Event-ID", &ids[1].to_string())],
    );
    assert_eq!(resumed.expect("notification").json()["message"], "n3");
    assert_eq!(resumed.expect("unread").json(), json!({"unread": 3}));

    let fresh = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    assert_eq!(
        fresh.expect("unread").json(),
        json!({"unread": 3}),
        "without after, no replay"
    );
    assert!(fresh.next_within(Duration::from_millis(300)).is_none());

    let auth = format!("Bearer {alice}");
    let bad = EventStream::open(
        &app,
        "/notifications/stream?after=-1",
        &[("Authorization", &auth)],
    );
    bad.err().unwrap().assert_invalid("after");
    let bad = EventStream::open(
        &app,
        "/notifications/stream",
        &[("Authorization", &auth), ("Last-Event-ID", "not-an-id")],
    );
    bad.err().unwrap().assert_error(400, "bad_request");
}

#[test]
fn a_ticket_opens_one_stream_once_and_nothing_else_does() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    app.request("POST", "/notifications/stream/ticket", &[], None)
        .assert_error(401, "unauthorized");
    let issued = app
        .call_as("POST", &alice, "/notifications/stream/ticket")
        .assert_ok();
    assert_eq!(issued["expires_in"], 60);
    let ticket = issued["ticket"].as_str().unwrap();
    assert!(ticket.len() >= 40, "{ticket}");
    let path = format!("/notifications/stream?ticket={ticket}&after=0");
    let stream = EventStream::open(&app, &path, &[]).unwrap_or_else(|r| panic!("{r:?}"));
    assert_eq!(stream.expect("unread").json(), json!({"unread": 0}));
    send_to_self(&app, &alice, "live");
    assert_eq!(stream.expect("notification").json()["message"], "live");

    for path in [
        path.as_str(),
        "/notifications/stream?ticket=forged",
        "/notifications/stream",
    ] {
        let refused = EventStream::open(&app, path, &[]).err().expect("refused");
        refused.assert_error(401, "unauthorized");
    }
    let refused = EventStream::open(
        &app,
        "/notifications/stream",
        &[("Authorization", "Bearer not-a-token")],
    );
    refused.err().unwrap().assert_error(401, "unauthorized");
}

#[test]
fn authentication_comes_before_the_query_and_a_ticket_is_spent_by_a_bad_query() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    for path in [
        "/notifications/stream?after=abc",
        "/notifications/stream?after=-1",
        "/notifications/stream?after=1&after=2",
        "/notifications/stream?ticket=forged&after=abc",
    ] {
        let refused = EventStream::open(&app, path, &[]).err().expect("refused");
        refused.assert_error(401, "unauthorized");
        assert!(refused.header("x-request-id").is_some(), "{path}");
    }

    let ticket = app
        .call_as("POST", &alice, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = EventStream::open(
        &app,
        &format!("/notifications/stream?ticket={ticket}&after=abc"),
        &[],
    );
    bad.err().expect("refused").assert_error(400, "bad_request");
    let again = EventStream::open(
        &app,
        &format!("/notifications/stream?ticket={ticket}&after=0"),
        &[],
    );
    again
        .err()
        .expect("the ticket was spent by the refused attempt")
        .assert_error(401, "unauthorized");

    let auth = format!("Bearer {alice}");
    for path in [
        "/notifications/stream?after=abc",
        "/notifications/stream?after=1&after=2",
    ] {
        let bad = EventStream::open(&app, path, &[("Authorization", &auth)]);
        bad.err().expect("refused").assert_error(400, "bad_request");
    }
}

#[test]
fn a_password_change_ends_the_streams_of_older_tokens() {
    let app = TestApp::spawn();
    let (alice_id, alice) = app.user("alice");
    let stream = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    stream.expect("unread");
    let ticket = app
        .call_as("POST", &alice, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    app.send_json(
        "PUT",
        &format!("/users/{alice_id}"),
        Some(&alice),
        &json!({"username": "alice", "email": "alice@example.org", "password": "a new password 123"}),
    )
    .assert_ok();
    assert_eq!(stream.expect("end").json(), json!({"reason": "signed_out"}));
    assert!(stream.ends_within(Duration::from_secs(5)), "the server closes it");
    let refused = EventStream::open(&app, &format!("/notifications/stream?ticket={ticket}"), &[]);
    refused
        .err()
        .expect("a ticket of the old token")
        .assert_error(401, "unauthorized");
}

#[test]
fn ending_a_session_ends_its_streams_and_tickets_and_no_other() {
    let app = TestApp::spawn();
    let (_, phone) = app.user("alice");
    let laptop = app.login("alice", crate::helpers::PASSWORD).assert_ok();
    let laptop = laptop["access_token"].as_str().unwrap().to_owned();
    let phone_stream = EventStream::open_as(&app, &phone, "/notifications/stream", &[]);
    phone_stream.expect("unread");
    let laptop_stream = EventStream::open_as(&app, &laptop, "/notifications/stream", &[]);
    laptop_stream.expect("unread");
    let ticket = app
        .call_as("POST", &phone, "/notifications/stream/ticket")
        .assert_ok()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(app.call_as("POST", &phone, "/logout").status, 204);
    assert_eq!(phone_stream.expect("end").json(), json!({"reason": "signed_out"}));
    assert!(phone_stream.ends_within(Duration::from_secs(5)), "the server closes it");
    EventStream::open(&app, &format!("/notifications/stream?ticket={ticket}"), &[])
        .err()
        .expect("a ticket of the ended session")
        .assert_error(401, "unauthorized");
    // The laptop's session goes on: its stream still delivers.
    send_to_self(&app, &laptop, "still here");
    assert_eq!(laptop_stream.expect("notification").json()["message"], "still here");
}

#[test]
fn a_stream_ends_when_its_token_expires() {
    let app = TestApp::spawn();
    let (alice_id, _) = app.user("alice");
    // A token must be issued after the second of the last password change (registration).
    std::thread::sleep(Duration::from_millis(1_100));
    let now = chrono::Utc::now().timestamp();
    // Expired 8 s ago: still inside the 10 s leeway for 2 s more.
    let claims = json!({"sub": alice_id.to_string(), "iat": now, "exp": now - 8});
    let secret = app.config.jwt_secret().unwrap();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&secret),
    )
    .unwrap();
    let started = Instant::now();
    let stream = EventStream::open_as(&app, &token, "/notifications/stream", &[]);
    stream.expect("unread");
    assert_eq!(stream.expect("end").json(), json!({"reason": "token_expired"}));
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "ended at expiry, not later"
    );
    assert!(stream.ends_within(Duration::from_secs(5)));
}

#[test]
fn streams_are_limited_per_user_and_in_all() {
    let app = TestApp::spawn_with(|config| {
        config.streams_per_user = 2;
        config.streams_total = 3;
    });
    let (_, alice) = app.user("alice");
    let (_, bob) = app.user("bob");
    let (_, carol) = app.user("carol");
    let first = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    let _second = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    let auth = |token: &str| format!("Bearer {token}");
    let refused = EventStream::open(&app, "/notifications/stream", &[("Authorization", &auth(&alice))])
        .err()
        .expect("a third stream for Alice");
    refused.assert_error(429, "rate_limited");
    assert!(refused.header("retry-after").is_some());
    let _bob = EventStream::open_as(&app, &bob, "/notifications/stream", &[]);
    let refused = EventStream::open(&app, "/notifications/stream", &[("Authorization", &auth(&carol))])
        .err()
        .expect("a fourth stream on the server");
    refused.assert_error(503, "unavailable");
    assert!(refused.header("retry-after").is_some());

    // A client that goes away frees its place.
    first.expect("unread");
    first.close();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match EventStream::open(&app, "/notifications/stream", &[("Authorization", &auth(&carol))]) {
            Ok(stream) => {
                stream.expect("unread");
                break;
            }
            Err(refused) if Instant::now() < deadline => assert_eq!(refused.status, 503),
            Err(refused) => panic!("the closed stream's place was never freed: {refused:?}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn draining_ends_streams_at_once_and_refuses_new_ones() {
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let stream = EventStream::open_as(&app, &alice, "/notifications/stream", &[]);
    stream.expect("unread");
    let started = Instant::now();
    app.lifecycle.start_draining();
    assert_eq!(stream.expect("end").json(), json!({"reason": "shutting_down"}));
    assert!(stream.ends_within(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(5));
    let auth = format!("Bearer {alice}");
    let refused = EventStream::open(&app, "/notifications/stream", &[("Authorization", &auth)]);
    refused
        .err()
        .expect("no new stream while draining")
        .assert_error(503, "unavailable");
}

/// The promise of `Last-Event-ID`: a client that drops its connection again and again while comments
/// keep arriving ends up with every notification of its inbox exactly once, in order.
#[test]
fn reconnecting_while_comments_are_posted_loses_and_repeats_nothing() {
    const COMMENTS: usize = 90;
    let app = TestApp::spawn();
    let (_, alice) = app.user("alice");
    let event = app.create_event(&alice, json!({}));
    let authors: Vec<String> = (0..3).map(|i| app.user(&format!("author{i}")).1).collect();
    let path = format!("/comments/{}", event["id"]);
    let received = std::thread::scope(|scope| {
        let poster = scope.spawn(|| {
            for i in 0..COMMENTS {
                let author = &authors[i % authors.len()];
                app.post_json(&path, Some(author), &json!({"content": format!("comment {i}")}))
                    .assert_ok();
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        let mut received: Vec<i64> = Vec::new();
        let mut connections = 0;
        loop {
            let last = received.last().map_or("0".to_owned(), i64::to_string);
            let stream =
                EventStream::open_as(&app, &alice, "/notifications/stream", &[("Last-Event-ID", &last)]);
            connections += 1;
            // Take a few notifications, then drop the connection mid-stream.
            let mut taken = 0;
            while let Some(event) = stream.next_within(Duration::from_secs(2)) {
                if event.event == "notification" {
                    received.push(event.id.unwrap().parse().unwrap());
                    taken += 1;
                    if taken == 7 {
                        break;
                    }
                }
            }
            let idle = taken < 7;
            stream.close();
            if idle && poster.is_finished() {
                break;
            }
        }
        poster.join().unwrap();
        assert!(connections >= 10, "reconnected {connections} times");
        received
    });
    let stored = inbox_ids(&app, &alice);
    assert_eq!(stored.len(), COMMENTS, "each comment notified the owner");
    let unique: BTreeSet<i64> = received.iter().copied().collect();
    assert_eq!(unique.len(), received.len(), "no duplicate: {received:?}");
    assert_eq!(received, stored, "no gap, in id order");
}
