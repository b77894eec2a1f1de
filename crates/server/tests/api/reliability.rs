//! Reliability under the conditions that break services: SIGKILL mid-write, many concurrent writers, and
//! forged tokens.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

use crate::binary::Plaza;
use crate::helpers::{PASSWORD, TestApp, event_body};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn json_of(response: &mut ureq::http::Response<ureq::Body>) -> Value {
    serde_json::from_slice(&response.body_mut().read_to_vec().unwrap_or_default()).unwrap_or(Value::Null)
}

fn token_for(base: &str, username: &str) -> String {
    let agent = agent();
    let body =
        json!({"username": username, "email": format!("{username}@example.org"), "password": PASSWORD});
    agent
        .post(format!("{base}/users/"))
        .content_type("application/json")
        .send(body.to_string())
        .unwrap();
    let mut response = agent
        .post(format!("{base}/token"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username={username}&password={PASSWORD}"))
        .unwrap();
    json_of(&mut response)["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn every_acknowledged_write_survives_sigkill_cycles() {
    let data = tempfile::tempdir().unwrap();
    let mut acknowledged: Vec<i64> = Vec::new();
    let mut token = None;
    for cycle in 0..3 {
        let plaza = Plaza::start(data.path(), &[], &[]).unwrap();
        let base = plaza.base.clone();
        // The same user and token every cycle: the generated secret survives the crash too.
        let token = token.get_or_insert_with(|| token_for(&base, "crasher")).clone();
        for id in &acknowledged {
            let status = agent()
                .get(format!("{base}/events/{id}"))
                .call()
                .unwrap()
                .status();
            assert_eq!(
                status, 200,
                "cycle {cycle}: event {id} was acknowledged and is gone"
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (base, token, stop) = (base.clone(), token.clone(), stop.clone());
                std::thread::spawn(move || {
                    let agent = agent();
                    let mut ids = Vec::new();
                    for i in 0.. {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let result = agent
                            .post(format!("{base}/events/"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .content_type("application/json")
                            .send(event_body(json!({"name": format!("c{cycle} w{w} e{i}")})).to_string());
                        match result {
                            Ok(mut response) if response.status() == 200 => {
                                ids.push(json_of(&mut response)["id"].as_i64().unwrap())
                            }
                            Ok(response) => assert!(response.status() != 500, "a 500 under load"),
                            Err(_) => break, // killed
                        }
                    }
                    ids
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(700));
        let mut plaza = plaza;
        plaza.child.kill().unwrap(); // SIGKILL, mid-write
        plaza.child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        let written: Vec<i64> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        assert!(
            written.len() > 20,
            "cycle {cycle}: writes were going on ({})",
            written.len()
        );
        acknowledged.extend(written);
    }
    let plaza = Plaza::start(data.path(), &[], &[]).unwrap();
    let missing: Vec<&i64> = acknowledged
        .iter()
        .filter(|id| {
            agent()
                .get(format!("{}/events/{id}", plaza.base))
                .call()
                .unwrap()
                .status()
                != 200
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    drop(plaza);
    let report = plaza_infra_sqlite::verify_backup(&data.path().join("plaza.db")).unwrap();
    assert_eq!(report.rows[1].0, "events");
    assert!(report.rows[1].1 >= acknowledged.len() as i64);
    println!(
        "SIGKILL cycles: {} acknowledged writes, 0 lost, integrity ok",
        acknowledged.len()
    );
}

#[test]
fn sixty_four_writers_never_oversell_fail_or_misnotify() {
    let app = TestApp::spawn_with(|config| config.workers = Some(4));
    let (owner, owner_token) = app.user("owner");
    let events: Vec<i64> = (0..3)
        .map(|i| {
            app.create_event(
                &owner_token,
                json!({"name": format!("Busy {i}"), "max_tickets": 150}),
            )["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let writers: Vec<(i64, String)> = (0..16).map(|i| app.user(&format!("writer{i}"))).collect();
    let threads: Vec<_> = (0..64)
        .map(|t| {
            let base = app.base.clone();
            let (id, token) = writers[t % writers.len()].clone();
            let (events, owner_token) = (events.clone(), owner_token.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let auth = format!("Bearer {token}");
                let mut statuses: Vec<u16> = Vec::new();
                let mut bought: BTreeMap<i64, i64> = BTreeMap::new();
                for i in 0..12usize {
                    let event = events[(t + i) % events.len()];
                    let response = match i % 4 {
                        0 | 1 => agent
                            .post(format!("{base}/comments/{event}"))
                            .header("Authorization", &auth)
                            .content_type("application/json")
                            .send(json!({"content": format!("{id} says hi {i}")}).to_string()),
                        2 => agent
                            .post(format!("{base}/events/{event}/tickets"))
                            .header("Authorization", &auth)
                            .content_type("application/json")
                            .send(json!({"quantity": 3}).to_string()),
                        _ => agent
                            .patch(format!("{base}/events/{event}"))
                            .header("Authorization", &format!("Bearer {owner_token}"))
                            .content_type("application/json")
                            .send(json!({"description": format!("edited by {t} {i}")}).to_string()),
                    };
                    let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
                    if i % 4 == 2 && status == 200 {
                        *bought.entry(event).or_default() += 3;
                    }
                    statuses.push(status);
                }
                (statuses, bought)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut bought: BTreeMap<i64, i64> = BTreeMap::new();
    for thread in threads {
        let (seen, sold) = thread.join().unwrap();
        statuses.extend(seen);
        for (event, tickets) in sold {
            *bought.entry(event).or_default() += tickets;
        }
    }
    let failures: Vec<&u16> = statuses.iter().filter(|s| !matches!(s, 200 | 409)).collect();
    assert!(
        failures.is_empty(),
        "no 5xx, no lock errors, no lost connections: {failures:?}"
    );

    for event in &events {
        let stored = app.get(&format!("/events/{event}")).assert_ok();
        let sold = stored["tickets_sold"].as_i64().unwrap();
        assert!(sold <= stored["max_tickets"].as_i64().unwrap(), "never oversold");
        assert_eq!(
            sold,
            bought.get(event).copied().unwrap_or(0),
            "every acknowledged sale, and only those"
        );
    }

    // The notifications each comment caused, recomputed from the comments in commit order.
    let mut expected: BTreeMap<i64, usize> = BTreeMap::new();
    for event in &events {
        let mut comments: Vec<Value> = Vec::new();
        for skip in (0..).step_by(100) {
            let page = app.get(&format!("/comments/{event}?skip={skip}&limit=100"));
            if page.status == 204 {
                break;
            }
            comments.extend(page.assert_ok().as_array().unwrap().iter().cloned());
        }
        comments.sort_by_key(|c| c["id"].as_i64());
        let mut participants: HashSet<i64> = HashSet::new();
        for comment in comments {
            let author = comment["owner_id"].as_i64().unwrap();
            let mut recipients: HashSet<i64> = participants.clone();
            recipients.insert(owner);
            recipients.remove(&author);
            for recipient in recipients {
                *expected.entry(recipient).or_default() += 1;
            }
            participants.insert(author);
        }
    }
    let mut everyone = writers.clone();
    everyone.push((owner, owner_token));
    for (id, token) in everyone {
        let inbox = app.get_as(&token, "/notifications/?limit=1");
        let total: usize = inbox.header("x-total-count").unwrap().parse().unwrap();
        assert_eq!(
            total,
            expected.get(&id).copied().unwrap_or(0),
            "user {id}'s notifications"
        );
    }
}

/// A token with `header` and `claims`, signed with `key` under `algorithm` (or unsigned for `None`).
fn token(header: &Value, claims: &Value, sign: Option<(&[u8], jsonwebtoken::Algorithm)>) -> String {
    let b64 = |value: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string());
    let input = format!("{}.{}", b64(header), b64(claims));
    let signature = match sign {
        Some((key, algorithm)) => jsonwebtoken::crypto::sign(
            input.as_bytes(),
            &jsonwebtoken::EncodingKey::from_secret(key),
            algorithm,
        )
        .unwrap(),
        None => String::new(),
    };
    format!("{input}.{signature}")
}

#[test]
fn tampered_tokens_are_refused() {
    let app = TestApp::spawn();
    let (alice, alice_token) = app.user("alice");
    let (bob, bob_token) = app.user("bob");
    let secret = app.config.jwt_secret().unwrap();
    let now = chrono::Utc::now().timestamp();
    let hs256 = json!({"alg": "HS256", "typ": "JWT"});
    let claims = |sub: i64| json!({"sub": sub.to_string(), "iat": now, "exp": now + 600});
    let good = token(
        &hs256,
        &claims(alice),
        Some((&secret, jsonwebtoken::Algorithm::HS256)),
    );
    app.get_as(&good, "/users/me").assert_ok();

    let mut flipped = good.clone().into_bytes();
    let last = flipped.len() - 3;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let forged = [
        (
            "alg none",
            token(&json!({"alg": "none", "typ": "JWT"}), &claims(alice), None),
        ),
        ("alg None", token(&json!({"alg": "None"}), &claims(alice), None)),
        (
            "HS512",
            token(
                &json!({"alg": "HS512"}),
                &claims(alice),
                Some((&secret, jsonwebtoken::Algorithm::HS512)),
            ),
        ),
        (
            "HS384",
            token(
                &json!({"alg": "HS384"}),
                &claims(alice),
                Some((&secret, jsonwebtoken::Algorithm::HS384)),
            ),
        ),
        (
            "another key",
            token(
                &hs256,
                &claims(alice),
                Some((
                    b"not-the-server-secret-but-32-bytes!",
                    jsonwebtoken::Algorithm::HS256,
                )),
            ),
        ),
        ("flipped signature", String::from_utf8(flipped).unwrap()),
        (
            "expired",
            token(
                &hs256,
                &json!({"sub": alice.to_string(), "iat": now - 7200, "exp": now - 3600}),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "future nbf",
            token(
                &hs256,
                &json!({"sub": alice.to_string(), "iat": now, "exp": now + 600, "nbf": now + 600}),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "future iat",
            token(
                &hs256,
                &json!({"sub": alice.to_string(), "iat": now + 86_400, "exp": now + 90_000}),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "no such user",
            token(
                &hs256,
                &claims(9_999),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "sub not a number",
            token(
                &hs256,
                &json!({"sub": "alice", "iat": now, "exp": now + 600}),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "no exp",
            token(
                &hs256,
                &json!({"sub": alice.to_string(), "iat": now}),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        (
            "crit",
            token(
                &json!({"alg": "HS256", "crit": ["exp"]}),
                &claims(alice),
                Some((&secret, jsonwebtoken::Algorithm::HS256)),
            ),
        ),
        ("garbage", "a.b.c".to_owned()),
    ];
    for (what, token) in forged {
        let response = app.get_as(&token, "/users/me");
        assert_eq!(response.status, 401, "{what}");
        response.assert_error(401, "unauthorized");
    }
    // A real token of another user: authenticated, but not allowed to change alice.
    let profile = json!({"username": "alice", "email": "alice@example.org"});
    app.send_json("PUT", &format!("/users/{alice}"), Some(&bob_token), &profile)
        .assert_error(403, "forbidden");
    app.send_json(
        "PUT",
        &format!("/users/{bob}"),
        Some(&alice_token),
        &json!({"username": "bob", "email": "b@example.org"}),
    )
    .assert_error(403, "forbidden");
}

/// The process's peak resident memory so far (`VmHWM`), in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/<pid>/status");
    kib / 1024
}

/// A PNG of `width` × `height` RGBA pixels that compresses to little: what an attacker sends to make the
/// server decode far more than it received.
fn large_png(width: u32, height: u32) -> Vec<u8> {
    let pixels = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x / 64 % 2 * 255) as u8, (y / 64 % 2 * 255) as u8, 0, 255])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(pixels)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    png
}

/// A real 2 × 2 PNG whose header claims `width` × `height` pixels (its checksum mended): what a 260 KB
/// 8192 × 8192 PNG looks like to the server until it decodes, without making one here.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = crate::avatars::PNG.to_vec();
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = !0u32;
    for byte in &png[12..29] {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    png[29..33].copy_from_slice(&(!crc).to_be_bytes());
    png
}

/// 12 parallel uploads of an 8192 × 8192 PNG (~260 KB, 256 MiB to decode) took the server from 17 MB
/// to 3.7 GB; the largest image still accepted (16 megapixels) is decoded a few at a time. Either way the
/// server stays under 512 MiB and answers everyone else.
#[test]
fn a_flood_of_huge_avatars_keeps_memory_bounded_and_others_answered() {
    let data = tempfile::tempdir().unwrap();
    let plaza = Plaza::start(data.path(), &[], &[]).unwrap();
    let base = plaza.base.clone();
    let token = token_for(&base, "flooder");
    let me = json_of(
        &mut agent()
            .get(format!("{base}/users/me"))
            .header("Authorization", format!("Bearer {token}"))
            .call()
            .unwrap(),
    )["id"]
        .as_i64()
        .unwrap();
    let upload = |png: Arc<Vec<u8>>| {
        let (base, token) = (base.clone(), token.clone());
        std::thread::spawn(move || {
            let body = crate::avatars::multipart("file", "image/png", &png);
            let response = agent()
                .put(format!("{base}/users/{me}/avatar"))
                .header("Authorization", format!("Bearer {token}"))
                .content_type("multipart/form-data; boundary=plaza-test-boundary")
                .send(body)
                .unwrap();
            (
                response.status().as_u16(),
                response.headers().contains_key("retry-after"),
            )
        })
    };
    let huge = Arc::new(png_claiming(8192, 8192));
    let largest = Arc::new(large_png(4096, 4096));
    assert!(
        huge.len() < 2 << 20 && largest.len() < 2 << 20,
        "both within the 2 MiB body limit"
    );

    let mut health = Vec::new();
    for (png, accepted) in [(huge, false), (largest, true)] {
        let uploads: Vec<_> = (0..12).map(|_| upload(png.clone())).collect();
        for _ in 0..5 {
            let started = std::time::Instant::now();
            let status = agent()
                .get(format!("{base}/health"))
                .call()
                .unwrap()
                .status()
                .as_u16();
            health.push((status, started.elapsed()));
        }
        let answers: Vec<(u16, bool)> = uploads.into_iter().map(|u| u.join().unwrap()).collect();
        let statuses: Vec<u16> = answers.iter().map(|(status, _)| *status).collect();
        if accepted {
            assert!(
                statuses.contains(&200),
                "the largest accepted image is stored: {statuses:?}"
            );
            assert!(
                answers
                    .iter()
                    .all(|(status, retry)| *status == 200 || (*status == 503 && *retry)),
                "stored, or told when to come back: {answers:?}"
            );
        } else {
            assert!(
                statuses.iter().all(|s| *s == 413),
                "8192 × 8192 is refused: {statuses:?}"
            );
        }
    }
    let peak = peak_rss_mib(plaza.child.id());
    println!("avatar flood: peak RSS {peak} MiB; /health during it: {health:?}");
    assert!(peak <= 512, "peak RSS {peak} MiB");
    assert!(health.iter().all(|(status, _)| *status == 200), "{health:?}");
}

#[test]
fn mail_written_before_a_sigkill_is_delivered_after_the_restart_once() {
    use crate::smtp_sink::{SmtpSink, free_port, reset_mails, smtp_server_here, wait_for_mails};
    if !smtp_server_here("mail across a SIGKILL") {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    // The mail server is down while the mail is written, and the process is killed before it comes up.
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let env = [("SMTP_URL", url.as_str()), ("PUBLIC_URL", "https://plaza.example.org")];
    let mut plaza = Plaza::start(data.path(), &[], &env).unwrap();
    token_for(&plaza.base, "kay");
    let asked = agent()
        .post(format!("{}/password-reset", plaza.base))
        .content_type("application/json")
        .send(json!({"email": "kay@example.org"}).to_string())
        .unwrap();
    assert_eq!(asked.status().as_u16(), 202);
    std::thread::sleep(Duration::from_secs(2));
    plaza.child.kill().unwrap();
    plaza.child.wait().unwrap();

    let kept = tempfile::tempdir().unwrap();
    let _sink = SmtpSink::start(kept.path(), port);
    let _again = Plaza::start(data.path(), &[], &env).unwrap();
    // Its first attempt failed before the kill: the next is due 30 seconds after it.
    let arrived = wait_for_mails(kept.path(), 1, Duration::from_secs(90));
    assert_eq!(arrived[0]["rcpt_tos"][0], "kay@example.org");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(reset_mails(kept.path()).len(), 1, "once");
}
