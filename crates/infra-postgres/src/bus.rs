//! [`NotificationBus`] over PostgreSQL `LISTEN`/`NOTIFY`: every instance on the database hears the signals
//! of every other.
//!
//! Publishing is one `pg_notify` per batch of signals, sent after the change committed. Each instance keeps
//! one listening connection of its own, on a thread of its own, and hands what it hears to its
//! [`SignalSink`]. Payloads name users, never notifications (`i42` for user 42's inbox, `c42` for their
//! credentials, comma-separated), so they stay far below PostgreSQL's 8,000-byte limit, and nothing that
//! travels here needs to be trusted beyond "read this inbox again". When the listener loses its connection
//! it reconnects and delivers [`Signal::Resync`]: signals sent meanwhile are lost, so every stream reads
//! its inbox again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use plaza_domain::UserId;
use plaza_domain::live::{NotificationBus, Signal, SignalSink};

use crate::db::Database;
use crate::sql::Sql;

/// The channel Plaza's instances talk on.
pub const CHANNEL: &str = "plaza_live";

/// Payload bytes per `NOTIFY`, well under PostgreSQL's limit of 8,000.
const PAYLOAD_BYTES: usize = 4_000;

/// How often the listener looks for what arrived: the longest a signal waits on this side.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// How often the listener checks that its connection is alive, when nothing arrives: a connection the
/// server ended (a restart) says nothing until it is used, and until then this instance's streams hear
/// nothing of the other instances' writes.
const PING_EVERY: Duration = Duration::from_secs(1);

/// Waits between reconnection attempts, growing up to the last: one attempt a second while the database
/// is away is cheap, and the streams hear again within a second of its return.
const RECONNECT_WAITS: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];

/// The signals as payloads of at most [`PAYLOAD_BYTES`].
pub fn encode(signals: &[Signal]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut current = String::new();
    for signal in signals {
        let item = match signal {
            Signal::Inbox(user) => format!("i{user}"),
            Signal::Credentials(user) => format!("c{user}"),
            Signal::Resync => "r".to_owned(),
        };
        if !current.is_empty() && current.len() + 1 + item.len() > PAYLOAD_BYTES {
            payloads.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&item);
    }
    if !current.is_empty() {
        payloads.push(current);
    }
    payloads
}

/// The signals in a payload; anything not understood reads as [`Signal::Resync`], the safe answer.
pub fn decode(payload: &str) -> Vec<Signal> {
    payload
        .split(',')
        .map(|item| {
            let user = || UserId::parse(item.get(1..)?.parse::<i64>().ok()?).ok();
            match item.as_bytes().first() {
                Some(b'i') => user().map_or(Signal::Resync, Signal::Inbox),
                Some(b'c') => user().map_or(Signal::Resync, Signal::Credentials),
                _ => Signal::Resync,
            }
        })
        .collect()
}

/// The connection parameters of the bus's own connections: a dead server or network is noticed in
/// seconds (not after the kernel's retransmission timeout of many minutes).
const LIVELY: &str = "application_name=plaza-live&connect_timeout=5&keepalives=1&keepalives_idle=10&keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000";

fn lively(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{LIVELY}")
}

/// Publishes with `pg_notify` on a connection of its own, so that a write that has committed never
/// waits for a pooled connection to announce it. Each `pg_notify` is one short statement; publishers
/// take turns.
pub struct PgNotificationBus {
    url: String,
    connection: std::sync::Mutex<Option<PgConnection>>,
}

impl std::fmt::Debug for PgNotificationBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgNotificationBus").finish_non_exhaustive()
    }
}

impl PgNotificationBus {
    pub fn new(db: &Database) -> Self {
        Self {
            url: lively(db.url()),
            connection: std::sync::Mutex::new(None),
        }
    }

    fn send(&self, connection: &mut Option<PgConnection>, payload: &str) -> Result<(), String> {
        if connection.is_none() {
            *connection = Some(PgConnection::establish(&self.url).map_err(|error| error.to_string())?);
        }
        let conn = connection.as_mut().ok_or("no connection")?;
        Sql::new("SELECT pg_notify($1, $2)")
            .text(CHANNEL)
            .text(payload)
            .execute(conn)
            .map(drop)
            .map_err(|error| {
                // A broken connection is replaced at the next signal.
                *connection = None;
                error.to_string()
            })
    }
}

impl NotificationBus for PgNotificationBus {
    fn publish(&self, signals: &[Signal]) {
        // A panic while sending leaves at worst a connection that is replaced.
        let mut connection = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for payload in encode(signals) {
            // One retry on a fresh connection: the one kept may have been closed by the server meanwhile.
            let sent = self
                .send(&mut connection, &payload)
                .or_else(|_| self.send(&mut connection, &payload));
            if let Err(error) = sent {
                // The change is committed; its streams read it at their next signal or safety read.
                tracing::warn!(%error, "a live-notification signal could not be sent");
            }
        }
    }
}

/// This instance's listening connection; stops (within [`POLL_EVERY`]) when dropped.
pub struct Listener {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").finish_non_exhaustive()
    }
}

impl Listener {
    /// Starts listening on a connection of its own and delivering to `sink`, reconnecting for as long
    /// as it runs.
    pub fn start(db: &Database, sink: Arc<dyn SignalSink>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let url = lively(db.url());
        let stopping = stop.clone();
        let thread = std::thread::Builder::new()
            .name("plaza-listen".into())
            .spawn(move || listen(&url, sink.as_ref(), &stopping))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // Not joined: a thread blocked on a dying connection must not hold up a shutdown; it sees the flag
        // within `POLL_EVERY` of its next wake-up, and the process may well exit first.
        self.stop.store(true, Ordering::SeqCst);
        drop(self.thread.take());
    }
}

fn listen(url: &str, sink: &dyn SignalSink, stop: &AtomicBool) {
    let mut failures = 0usize;
    while !stop.load(Ordering::SeqCst) {
        let connected = PgConnection::establish(url).and_then(|mut conn| {
            diesel::sql_query(format!("LISTEN {CHANNEL}"))
                .execute(&mut conn)
                .map(|_| conn)
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)
        });
        match connected {
            Ok(mut conn) => {
                if failures > 0 {
                    tracing::info!("the live-notification listener is connected again");
                }
                failures = 0;
                // Whatever was signalled while no one listened is read again by every stream.
                sink.deliver(Signal::Resync);
                let error = hear(&mut conn, sink, stop);
                if let Some(error) = error {
                    tracing::warn!(%error, "the live-notification listener lost its connection");
                }
            }
            Err(error) => {
                let wait = RECONNECT_WAITS[failures.min(RECONNECT_WAITS.len() - 1)];
                failures += 1;
                tracing::warn!(%error, retry_in_ms = wait.as_millis(), "the live-notification listener cannot connect");
                sleep_unless_stopped(wait, stop);
            }
        }
    }
}

/// Delivers what arrives until the connection fails (its error) or the listener stops (`None`).
fn hear(conn: &mut PgConnection, sink: &dyn SignalSink, stop: &AtomicBool) -> Option<diesel::result::Error> {
    let mut last_ping = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        for heard in conn.notifications_iter() {
            match heard {
                Ok(notification) => decode(&notification.payload)
                    .into_iter()
                    .for_each(|signal| sink.deliver(signal)),
                Err(error) => return Some(error),
            }
        }
        if last_ping.elapsed() >= PING_EVERY {
            if let Err(error) = diesel::sql_query("SELECT 1").execute(conn) {
                return Some(error);
            }
            last_ping = Instant::now();
        }
        std::thread::sleep(POLL_EVERY);
    }
    None
}

fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) && Instant::now() < until {
        std::thread::sleep(POLL_EVERY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_stay_small() {
        let signals: Vec<Signal> = (1..=2_000)
            .map(|n| {
                if n % 3 == 0 {
                    Signal::Credentials(UserId::from_stored(n))
                } else {
                    Signal::Inbox(UserId::from_stored(n * 1_000_003))
                }
            })
            .chain([Signal::Resync])
            .collect();
        let payloads = encode(&signals);
        assert!(payloads.len() > 1, "2,000 signals need more than one payload");
        assert!(payloads.iter().all(|p| p.len() <= PAYLOAD_BYTES));
        let decoded: Vec<Signal> = payloads.iter().flat_map(|p| decode(p)).collect();
        assert_eq!(decoded, signals);
    }

    #[derive(Default)]
    struct Recorded(std::sync::Mutex<Vec<Signal>>);

    impl SignalSink for Recorded {
        fn deliver(&self, signal: Signal) {
            self.0.lock().unwrap().push(signal);
        }
    }

    fn wait_for(recorded: &Recorded, wanted: &[Signal]) -> Vec<Signal> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = recorded.0.lock().unwrap().clone();
            if wanted.iter().all(|w| now.contains(w)) || Instant::now() > deadline {
                return now;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn a_signal_published_by_one_instance_reaches_the_listener_of_another() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let open = || crate::db::test_database(&url, 2);
        let (instance_a, instance_b) = (open(), open());
        let heard = Arc::new(Recorded::default());
        let sink: Arc<dyn SignalSink> = heard.clone();
        let listener = Listener::start(&instance_b, sink).unwrap();
        assert_eq!(
            wait_for(&heard, &[Signal::Resync]),
            [Signal::Resync],
            "a (re)connected listener resyncs"
        );

        let many: Vec<Signal> = (1..=1_500)
            .map(|n| Signal::Inbox(UserId::from_stored(n)))
            .collect();
        let bus = PgNotificationBus::new(&instance_a);
        bus.publish(&many);
        bus.publish(&[Signal::Credentials(UserId::from_stored(7))]);
        let got = wait_for(
            &heard,
            &[
                Signal::Inbox(UserId::from_stored(1_500)),
                Signal::Credentials(UserId::from_stored(7)),
            ],
        );
        assert_eq!(
            got.len(),
            1_502,
            "a resync, 1,500 inboxes, one credentials: {got:?}"
        );
        assert_eq!(got[1..=1_500], many[..], "in order, across several payloads");
        assert_eq!(got.last(), Some(&Signal::Credentials(UserId::from_stored(7))));
        drop(listener);
    }

    #[test]
    fn a_listener_that_loses_its_connection_reconnects_and_resyncs() {
        let Some(url) = crate::testing::fresh_database() else {
            return;
        };
        let db = crate::db::test_database(&url, 2);
        let heard = Arc::new(Recorded::default());
        let sink: Arc<dyn SignalSink> = heard.clone();
        let _listener = Listener::start(&db, sink).unwrap();
        wait_for(&heard, &[Signal::Resync]);
        // What a failover or a restarted server does to the listening connection.
        crate::testing::execute(
            &url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'plaza-live' AND datname = current_database() \
             AND pid <> pg_backend_pid()",
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while heard.0.lock().unwrap().len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            *heard.0.lock().unwrap(),
            [Signal::Resync, Signal::Resync],
            "reconnected, and every stream told to read again"
        );
        PgNotificationBus::new(&db).publish(&[Signal::Inbox(UserId::from_stored(3))]);
        let got = wait_for(&heard, &[Signal::Inbox(UserId::from_stored(3))]);
        assert_eq!(
            got.last(),
            Some(&Signal::Inbox(UserId::from_stored(3))),
            "listening again"
        );
    }

    #[test]
    fn what_is_not_understood_is_a_resync() {
        assert_eq!(
            decode("i12,x,c,ifoo,c7"),
            [
                Signal::Inbox(UserId::from_stored(12)),
                Signal::Resync,
                Signal::Resync,
                Signal::Resync,
                Signal::Credentials(UserId::from_stored(7))
            ]
        );
        assert!(encode(&[]).is_empty());
    }
}
