//! Micro-benchmarks of what dominates Plaza's hot paths (docs/performance.md): token verification, search
//! and deep pages at 100,000 events, the comment fan-out and the ticket purchase through the repositories,
//! and the same two writes as a raw Diesel loop on the same kind of temporary database — how near each
//! write runs to what the storage itself can do.
//!
//! `cargo bench -p plaza-bench` (about three minutes; the data set is built once, first).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use plaza_app::token::{JwtTokenCodec, TokenCodec};
use plaza_bench::seed::{self, COMMON_WORD, RARE_WORD};
use plaza_domain::comment::{CommentContent, CommentRepository, FanOut, NewComment};
use plaza_domain::event::{Event, EventQuery, EventRepository, TimeWindow};
use plaza_domain::notification::{NewNotification, NotificationMessage, SenderName};
use plaza_domain::search::SearchTerms;
use plaza_domain::ticket::{Sale, TicketCode};
use plaza_domain::{EventId, PageRequest, UserId};
use plaza_infra_sqlite::{Database, DatabaseConfig, SqliteCommentRepository, SqliteEventRepository};

const EVENTS: usize = 100_000;
const USERS: i64 = 100;
/// Earlier commenters of the fan-out event: each comment notifies them and the owner.
const FAN_OUT: i64 = 50;
/// The events the writes go to: past the seeded ones.
const FAN_OUT_EVENT: i64 = EVENTS as i64 + 1;
const TICKET_EVENT: i64 = EVENTS as i64 + 2;

struct Community {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    db: Database,
}

/// 100,000 events with the load benchmark's texts, 100 users, an event with 50 earlier commenters and one
/// with room for any number of tickets; the search index, positions and counts built by Plaza's own
/// start-up rebuild.
fn community() -> &'static Community {
    static COMMUNITY: OnceLock<Community> = OnceLock::new();
    COMMUNITY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("plaza.db");
        let config = DatabaseConfig::new(&path);
        drop(Database::open(&config).expect("the schema is created"));
        let mut conn = raw_connection(&path);
        conn.batch_execute(&format!(
            "BEGIN;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS})
             INSERT INTO users (username, email, password_hash, password_changed_at, created_at)
             SELECT 'member' || i, 'member' || i || '@example.org', 'x', '2026-01-01 00:00:00',
                    '2026-01-01 00:00:00' FROM n;"
        ))
        .expect("users are inserted");
        for i in 0..EVENTS + 2 {
            let body = seed::event_body(i);
            let text = |field: &str| body[field].as_str().unwrap_or_default().to_owned();
            let time: DateTime<Utc> = text("event_time").parse().expect("seeded times are RFC 3339");
            diesel::sql_query(
                "INSERT INTO events (name, event_time, description, duration_hours, duration_minutes, \
                                     tickets_sold, max_tickets, owner_id, created_at) \
                 VALUES (?, ?, ?, 1, 0, 0, ?, 1, '2026-01-01 00:00:00')",
            )
            .bind::<Text, _>(text("name"))
            .bind::<diesel::sql_types::Timestamp, _>(time.naive_utc())
            .bind::<Text, _>(text("description"))
            .bind::<BigInt, _>(if i as i64 + 1 == TICKET_EVENT {
                i64::MAX / 2
            } else {
                100
            })
            .execute(&mut conn)
            .expect("an event is inserted");
        }
        conn.batch_execute(&format!(
            "INSERT INTO event_participants (event_id, user_id)
             SELECT {FAN_OUT_EVENT}, id FROM users WHERE id BETWEEN 2 AND {};
             UPDATE search_index_state SET version = 0;
             COMMIT;",
            FAN_OUT + 1
        ))
        .expect("participants are inserted");
        drop(conn);
        let db = Database::open(&config).expect("the index is rebuilt");
        Community { _dir: dir, path, db }
    })
}

fn raw_connection(path: &std::path::Path) -> SqliteConnection {
    let mut conn = SqliteConnection::establish(path.to_str().expect("a UTF-8 temporary path"))
        .expect("the database opens");
    conn.batch_execute(
        // The busy timeout first: switching to WAL waits for the lock too (the store opened just before
        // may still be letting go of the file).
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON;",
    )
    .expect("the pragmas are set");
    conn
}

fn token_verification(c: &mut Criterion) {
    let codec =
        JwtTokenCodec::new(b"a benchmark secret of at least thirty-two bytes", 30).expect("a valid secret");
    let token = codec
        .issue(
            UserId::from_stored(7),
            Utc::now() - chrono::Duration::days(1),
            None,
            Utc::now(),
        )
        .expect("a token is issued")
        .access_token;
    c.bench_function("token: verify a valid token", |b| {
        b.iter(|| {
            codec
                .decode(std::hint::black_box(&token))
                .expect("the token is valid")
        });
    });
}

fn query(search: Option<&str>, skip: i64, limit: i64) -> EventQuery {
    EventQuery {
        search: search.and_then(SearchTerms::parse),
        // What the API asks by default: the events still to come.
        window: TimeWindow::Upcoming(Utc::now()),
        page: PageRequest::new(Some(skip), Some(limit)).expect("a valid page"),
    }
}

fn reads_at_100_000_events(c: &mut Criterion) {
    let events = SqliteEventRepository::new(community().db.clone());
    let mut group = c.benchmark_group("100,000 events");
    for (name, search, skip) in [
        ("first page", None, 0),
        ("page at skip=50000", None, 50_000),
        ("search, rare word", Some(RARE_WORD), 0),
        ("search, common word", Some(COMMON_WORD), 0),
        ("search, common word, skip=5000", Some(COMMON_WORD), 5_000),
        ("search, Chinese pair", Some(seed::CJK_QUERY), 0),
        ("search, two common words", Some(seed::TWO_COMMON_WORDS), 0),
    ] {
        let query = query(search, skip, 10);
        group.bench_function(name, |b| {
            b.iter(|| events.list(&query).expect("the page is read"));
        });
    }
    group.bench_function("event by id", |b| {
        b.iter(|| events.find(EventId::from_stored(5)).expect("the event is read"));
    });
    group.finish();
}

/// The use case's rule, as the app applies it: the owner and every earlier commenter but the author.
struct NotifyParticipants {
    author: UserId,
}

impl FanOut for NotifyParticipants {
    fn notifications(&self, event: &Event, participants: &[UserId]) -> Vec<NewNotification> {
        let mut recipients: Vec<UserId> = participants.to_vec();
        recipients.push(event.owner_id);
        recipients.sort_unstable();
        recipients.dedup();
        recipients
            .into_iter()
            .filter(|user| *user != self.author)
            .map(|owner_id| NewNotification {
                message: NotificationMessage::parse("member1 commented on an event you follow")
                    .expect("a valid message"),
                sender: SenderName::parse("member1").expect("a valid sender"),
                sender_id: self.author,
                owner_id,
                event_id: Some(event.id),
                subject: plaza_domain::notification::NotificationSubject::Comment {
                    event_name: event.name.clone(),
                },
            })
            .collect()
    }
}

fn writes_through_the_repositories(c: &mut Criterion) {
    let db = community().db.clone();
    let comments = SqliteCommentRepository::new(db.clone());
    let events = SqliteEventRepository::new(db);
    let author = UserId::from_stored(USERS);
    let mut group = c.benchmark_group("writes, one at a time");
    group.bench_function("comment with 50-recipient fan-out", |b| {
        b.iter(|| {
            let comment = NewComment {
                content: CommentContent::parse("benchmark comment").expect("valid content"),
                event_id: EventId::from_stored(FAN_OUT_EVENT),
                owner_id: author,
            };
            let posted = comments
                .create_with_notifications(comment, Box::new(NotifyParticipants { author }))
                .expect("the comment is written");
            assert_eq!(posted.notifications.len(), 51);
        });
    });
    // Each purchase writes a ticket with a code of its own, as the use case's would.
    let mut sold = 0u64;
    group.bench_function("ticket purchase", |b| {
        b.iter(|| {
            sold += 1;
            events
                .purchase(Sale {
                    receipt: None,
                    event: EventId::from_stored(TICKET_EVENT),
                    holder: author,
                    codes: vec![
                        TicketCode::parse(&format!("bench-ticket-{sold:020}")).expect("a valid code"),
                    ],
                    now: chrono::DateTime::UNIX_EPOCH,
                })
                .expect("a ticket is sold")
        });
    });
    group.finish();
}

/// The same writes with nothing around them: one connection, one transaction each (or `per_transaction`
/// of them), statements written out by hand.
fn raw_diesel_writes(c: &mut Criterion) {
    let mut conn = raw_connection(&community().path);
    let recipients: Vec<String> = (1..=FAN_OUT + 1)
        .map(|owner| {
            format!(
                "('member{USERS} commented', '2026-11-26 12:00:00', 'member{USERS}', {USERS}, {owner}, {FAN_OUT_EVENT})"
            )
        })
        .collect();
    let notifications = format!(
        "INSERT INTO notifications (message, created_at, sender, sender_id, owner_id, event_id) VALUES {}",
        recipients.join(", ")
    );
    let comment = format!(
        "INSERT INTO comments (content, event_id, owner_id, created_at, seq) \
         SELECT 'raw comment', {FAN_OUT_EVENT}, {USERS}, '2026-11-26 12:00:00', coalesce(max(seq), 0) + 1 \
         FROM comments WHERE event_id = {FAN_OUT_EVENT}"
    );
    let mut group = c.benchmark_group("raw Diesel");
    for per_transaction in [1usize, 16] {
        group.bench_function(
            format!("comment + 51 notifications, {per_transaction} per transaction"),
            |b| {
                b.iter(|| {
                    conn.batch_execute("BEGIN IMMEDIATE")
                        .expect("the write lock is taken");
                    for _ in 0..per_transaction {
                        diesel::sql_query(&comment)
                            .execute(&mut conn)
                            .expect("the comment is inserted");
                        diesel::sql_query(&notifications)
                            .execute(&mut conn)
                            .expect("the notifications are inserted");
                    }
                    conn.batch_execute("COMMIT").expect("the transaction commits");
                });
            },
        );
    }
    group.bench_function("conditional ticket UPDATE, 1 per transaction", |b| {
        b.iter(|| {
            conn.batch_execute("BEGIN IMMEDIATE")
                .expect("the write lock is taken");
            let sold = diesel::sql_query(
                "UPDATE events SET tickets_sold = tickets_sold + 1 \
                 WHERE id = ? AND tickets_sold + 1 <= max_tickets",
            )
            .bind::<BigInt, _>(TICKET_EVENT)
            .execute(&mut conn)
            .expect("the update runs");
            assert_eq!(sold, 1);
            conn.batch_execute("COMMIT").expect("the transaction commits");
        });
    });
    group.finish();
}

criterion_group!(
    name = hot_paths;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = token_verification, reads_at_100_000_events, writes_through_the_repositories, raw_diesel_writes
);
criterion_main!(hot_paths);
