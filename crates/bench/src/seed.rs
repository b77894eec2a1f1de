//! A realistic community, written through Plaza's own API (so the data is exactly what the API writes):
//! events with varied words — one word in about 40% of them, one in 1%, some in Chinese — users, posts, an
//! event whose comments notify 50 people, an event with thousands of comments, and an inbox with ten
//! thousand notifications.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A word in about 40% of the events.
pub const COMMON_WORD: &str = "music";
/// Two words each in a third or more of the events, together in about one in seven.
pub const TWO_COMMON_WORDS: &str = "music festival";
pub const TWO_COMMON_WORDS_ENCODED: &str = "music%20festival";
/// A word in 1% of the events.
pub const RARE_WORD: &str = "zanzibar";
/// A pair of Chinese characters inside the names of about 5% of the events.
pub const CJK_QUERY: &str = "音乐";
pub const CJK_QUERY_ENCODED: &str = "%E9%9F%B3%E4%B9%90";

pub(crate) const PASSWORD: &str = "benchmark-password";
/// Members who own the plain events, in turn (and the clients the measured waitlist uses).
pub(crate) const SEEDERS: usize = 8;
/// Parallel clients while seeding: enough that the server's one SQLite writer finds many writes waiting
/// and commits them together (with 8, each transaction held about 8 events and made an FTS5 segment of
/// its own, and seeding was the writer's merging and WAL writes).
const SEEDING_CLIENTS: usize = 32;

const WORDS: [&str; 64] = [
    "garden",
    "river",
    "picnic",
    "lecture",
    "market",
    "concert",
    "workshop",
    "festival",
    "harbour",
    "library",
    "museum",
    "theatre",
    "cinema",
    "bakery",
    "cycling",
    "hiking",
    "chess",
    "pottery",
    "painting",
    "poetry",
    "dance",
    "yoga",
    "running",
    "swimming",
    "climbing",
    "sailing",
    "cooking",
    "tasting",
    "coffee",
    "tea",
    "board",
    "games",
    "quiz",
    "trivia",
    "science",
    "history",
    "robots",
    "coding",
    "rust",
    "python",
    "startup",
    "networking",
    "meetup",
    "volunteer",
    "cleanup",
    "charity",
    "auction",
    "fair",
    "parade",
    "lantern",
    "harvest",
    "winter",
    "summer",
    "spring",
    "autumn",
    "evening",
    "morning",
    "weekend",
    "night",
    "family",
    "kids",
    "elders",
    "neighbours",
    "friends",
];
const CJK_NAMES: [&str; 4] = ["周末音乐会", "社区音乐节", "公园音乐晚会", "音乐与诗歌之夜"];

/// How much to seed.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    pub events: usize,
    pub users: usize,
    /// Earlier commenters of the fan-out event: each comment on it notifies them and the owner.
    pub fan_out_commenters: usize,
    /// Comments of the busiest event.
    pub busy_comments: usize,
    /// Notifications of the busiest inbox.
    pub inbox_notifications: usize,
    pub posts: usize,
    /// Role changes an admin makes (each a moderation log entry), at every run.
    pub role_changes: usize,
}

impl Sizes {
    pub fn full() -> Self {
        Self {
            events: 100_000,
            users: 1_000,
            fan_out_commenters: 50,
            busy_comments: 5_000,
            inbox_notifications: 10_000,
            posts: 1_000,
            role_changes: 1_000,
        }
    }

    pub fn smoke() -> Self {
        Self {
            events: 600,
            users: 80,
            fan_out_commenters: 10,
            busy_comments: 150,
            inbox_notifications: 200,
            posts: 20,
            role_changes: 20,
        }
    }
}

/// What the scenarios need from the seeded data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seeded {
    pub deep_skip: usize,
    pub plain_event: i64,
    pub some_user: i64,
    pub busy_event: i64,
    pub busy_skip: usize,
    /// Members are named `member{n:05}`; the run signs them in afresh (tokens expire, data is reused).
    pub inbox_member: usize,
    pub fan_out_event: i64,
    pub fan_out_recipients: usize,
    pub fan_out_members: Vec<usize>,
    pub ticket_event: i64,
    pub ticket_member: usize,
    /// Who owns the ticket event, and so checks its tickets in (the first member created it).
    #[serde(default)]
    pub ticket_owner: usize,
}

/// Fresh tokens of the members the scenarios act as.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub inbox: String,
    pub fan_out: Vec<String>,
    pub ticket: String,
    /// The ticket event's owner, at its door.
    pub door: String,
}

pub(crate) fn member(n: usize) -> String {
    format!("member{n:05}")
}

/// Signs in the members the scenarios act as.
pub fn sign_in(base: &str, seeded: &Seeded) -> anyhow::Result<Tokens> {
    let agent = agent();
    let token = |n: usize| login(&agent, base, &member(n), PASSWORD);
    Ok(Tokens {
        inbox: token(seeded.inbox_member)?,
        fan_out: seeded
            .fan_out_members
            .iter()
            .map(|n| token(*n))
            .collect::<anyhow::Result<_>>()?,
        ticket: token(seeded.ticket_member)?,
        door: token(seeded.ticket_owner)?,
    })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// POSTs JSON; like a well-behaved client, waits and tries again when told to (`503`/`429` with
/// `Retry-After`).
fn post(agent: &ureq::Agent, url: &str, token: Option<&str>, body: &Value) -> anyhow::Result<Value> {
    for _ in 0..20 {
        let mut request = agent.post(url).content_type("application/json");
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request
            .send(body.to_string())
            .with_context(|| format!("POST {url}"))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
        let bytes = response.body_mut().read_to_vec()?;
        if let (503 | 429, Some(seconds)) = (status.as_u16(), retry_after) {
            std::thread::sleep(Duration::from_millis(200).max(Duration::from_secs(seconds) / 4));
            continue;
        }
        if !status.is_success() {
            bail!("POST {url}: {status} {}", String::from_utf8_lossy(&bytes));
        }
        return Ok(serde_json::from_slice(&bytes)?);
    }
    bail!("POST {url}: still told to wait after 20 tries")
}

fn login(agent: &ureq::Agent, base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let mut response = agent
        .post(format!("{base}/token"))
        .content_type("application/x-www-form-urlencoded")
        .send(format!("username={username}&password={password}"))?;
    let body: Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("login of {username} failed: {body}"))
}

/// A small deterministic generator (xorshift), so every run seeds the same community.
struct Words(u64);

impl Words {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick(&mut self) -> &'static str {
        WORDS[(self.next() % WORDS.len() as u64) as usize]
    }

    fn phrase(&mut self, words: usize) -> String {
        (0..words).map(|_| self.pick()).collect::<Vec<_>>().join(" ")
    }
}

/// The seeded event number `i` (the same every run), as the API is sent it: [`event_body`] for the API,
/// [`crate::bulk`] for the store.
#[derive(Debug, Clone, Serialize)]
pub struct PlainEvent {
    pub name: String,
    pub event_time: DateTime<Utc>,
    pub description: String,
    pub duration_hours: i64,
    pub duration_minutes: i64,
    pub max_tickets: i64,
}

impl PlainEvent {
    pub fn new(i: usize) -> Self {
        let words = &mut Words(0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1));
        let mut name = words.phrase(3);
        if i % 20 == 7 {
            name = format!("{} {}", CJK_NAMES[i % CJK_NAMES.len()], words.pick());
        }
        let mut description = words.phrase(25);
        if words.next() % 100 < 40 {
            description.push(' ');
            description.push_str(COMMON_WORD);
        }
        if i % 100 == 42 {
            description.push(' ');
            description.push_str(RARE_WORD);
        }
        // Every number is in range (a month of 1 to 12, a day of at most 28, an hour below 24), so the
        // time always exists.
        let (month, day) = ((1 + i % 12) as u32, (1 + i % 28) as u32);
        let (hour, minute) = ((i % 24) as u32, (i % 60) as u32);
        let event_time = Utc
            .with_ymd_and_hms(2031, month, day, hour, minute, 0)
            .single()
            .expect("a day of at most 28 exists in every month of 2031, in UTC");
        Self {
            name,
            event_time,
            description,
            duration_hours: 1 + (i % 5) as i64,
            duration_minutes: ((i * 7) % 60) as i64,
            max_tickets: 100 + (i % 400) as i64,
        }
    }
}

/// The `POST /events/` body of the seeded event number `i` (the same every run).
pub fn event_body(i: usize) -> Value {
    json!(PlainEvent::new(i))
}

/// Runs `work(index, agent)` for every index in `0..count`, on `clients` threads.
fn in_parallel(
    clients: usize,
    count: usize,
    work: impl Fn(usize, &ureq::Agent) -> anyhow::Result<()> + Send + Sync + 'static,
) -> anyhow::Result<()> {
    let work = Arc::new(work);
    let threads: Vec<_> = (0..clients)
        .map(|seeder| {
            let work = work.clone();
            std::thread::spawn(move || {
                let agent = agent();
                (seeder..count)
                    .step_by(clients)
                    .try_for_each(|index| work(index, &agent))
            })
        })
        .collect();
    for thread in threads {
        thread
            .join()
            .map_err(|_| anyhow!("a seeding thread panicked"))??;
    }
    Ok(())
}

/// Accounts and plain events already written through the store ([`crate::bulk`]).
#[derive(Debug, Clone)]
pub struct Stored {
    /// The id of each member, by number.
    pub user_ids: Vec<i64>,
    /// The id of plain event number 0.
    pub first_event: i64,
}

/// Seeds the community into the server at `base`: all of it through the API, or what `stored` lacks
/// when the accounts and the plain events were written through the store.
pub fn seed(base: &str, sizes: &Sizes, stored: Option<Stored>) -> anyhow::Result<Seeded> {
    let started = Instant::now();
    let base_owned = base.to_owned();
    let needed = sizes.fan_out_commenters + 30;
    if sizes.users < needed {
        bail!("{} users are too few: the scenarios need {needed}", sizes.users);
    }
    let ids = match &stored {
        Some(stored) => stored.user_ids.clone(),
        None => accounts(base, sizes)?,
    };
    let agent = agent();
    let token = |i: usize| login(&agent, base, &member(i), PASSWORD);
    let tokens: Vec<String> = (0..needed).map(token).collect::<anyhow::Result<_>>()?;
    println!(
        "  {} users in {:.1} s",
        sizes.users,
        started.elapsed().as_secs_f64()
    );
    let owners: Arc<Vec<String>> = Arc::new(tokens[..SEEDERS].to_vec());
    let plain_event = match &stored {
        Some(stored) => stored.first_event,
        None => plain_events(base, sizes, owners.clone())?,
    };
    println!(
        "  {} events in {:.1} s",
        sizes.events,
        started.elapsed().as_secs_f64()
    );

    let special = |name: &str, owner: &str, max_tickets: i64| -> anyhow::Result<i64> {
        let body = json!({"name": name, "event_time": "2031-06-01T18:00:00Z", "description": "benchmark",
            "duration_hours": 2, "duration_minutes": 0, "max_tickets": max_tickets});
        post(&agent, &format!("{base}/events/"), Some(owner), &body)?["id"]
            .as_i64()
            .ok_or_else(|| anyhow!("no event id"))
    };
    let fan_out_event = special("Fan-out discussion", &tokens[0], 10)?;
    let busy_event = special("Busy discussion", &tokens[0], 10)?;
    let ticket_event = special("Big concert", &tokens[0], 1_000_000)?;
    let inbox_owner = sizes.fan_out_commenters + 1;
    let inbox_event = special("Inbox of ten thousand", &tokens[inbox_owner], 10)?;

    // The fan-out event: each of its participants comments once.
    let participants: Vec<String> = tokens[1..=sizes.fan_out_commenters].to_vec();
    for participant in &participants {
        post(
            &agent,
            &format!("{base}/comments/{fan_out_event}"),
            Some(participant),
            &json!({"content": "count me in"}),
        )?;
    }
    // The busy event: thousands of comments by twenty people.
    let talkers: Arc<Vec<String>> = Arc::new(tokens[needed - 20..].to_vec());
    {
        let (base, talkers) = (base_owned.clone(), talkers.clone());
        in_parallel(SEEDING_CLIENTS, sizes.busy_comments, move |i, agent| {
            post(
                agent,
                &format!("{base}/comments/{busy_event}"),
                Some(&talkers[i % talkers.len()]),
                &json!({"content": format!("busy comment {i}")}),
            )
            .map(drop)
        })?;
    }
    // The inbox: two people comment on one owner's event, again and again.
    let pair: Arc<Vec<String>> = Arc::new(vec![
        tokens[inbox_owner + 1].clone(),
        tokens[inbox_owner + 2].clone(),
    ]);
    {
        let (base, pair) = (base_owned.clone(), pair.clone());
        in_parallel(SEEDING_CLIENTS, sizes.inbox_notifications, move |i, agent| {
            post(
                agent,
                &format!("{base}/comments/{inbox_event}"),
                Some(&pair[i % 2]),
                &json!({"content": format!("inbox comment {i}")}),
            )
            .map(drop)
        })?;
    }
    {
        let (base, owners) = (base_owned.clone(), owners.clone());
        in_parallel(SEEDING_CLIENTS, sizes.posts, move |i, agent| {
            post(
                agent,
                &format!("{base}/posts/"),
                Some(&owners[i % owners.len()]),
                &json!({"title": format!("Post {i}"), "content": "A few words about the community."}),
            )
            .map(drop)
        })?;
    }
    println!(
        "  comments, notifications and posts in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Seeded {
        deep_skip: sizes.events / 2,
        plain_event,
        some_user: ids[ids.len() / 2],
        busy_event,
        busy_skip: sizes
            .busy_comments
            .saturating_sub(1_000)
            .max(sizes.busy_comments * 4 / 5),
        inbox_member: inbox_owner,
        fan_out_event,
        fan_out_recipients: sizes.fan_out_commenters,
        fan_out_members: (1..=sizes.fan_out_commenters).collect(),
        ticket_event,
        ticket_member: 1,
        ticket_owner: 0,
    })
}

/// Registers every member through the API; answers their ids, by number.
fn accounts(base: &str, sizes: &Sizes) -> anyhow::Result<Vec<i64>> {
    let ids = Arc::new(std::sync::Mutex::new(vec![0i64; sizes.users]));
    {
        let (base, ids) = (base.to_owned(), ids.clone());
        in_parallel(SEEDING_CLIENTS, sizes.users, move |i, agent| {
            let user = post(
                agent,
                &format!("{base}/users/"),
                None,
                &json!({
                    "username": member(i),
                    "email": format!("{}@example.org", member(i)),
                    "full_name": format!("Member {i}"),
                    "password": PASSWORD,
                }),
            )?;
            ids.lock().map_err(|_| anyhow!("poisoned"))?[i] = user["id"].as_i64().unwrap_or(0);
            Ok(())
        })?;
    }
    let ids = ids.lock().map_err(|_| anyhow!("poisoned"))?.clone();
    Ok(ids)
}

/// Creates every plain event through the API, each owned by one of `owners` in turn; answers the id of
/// the first.
fn plain_events(base: &str, sizes: &Sizes, owners: Arc<Vec<String>>) -> anyhow::Result<i64> {
    let first_event = Arc::new(std::sync::Mutex::new(None::<i64>));
    {
        let (base, first_event) = (base.to_owned(), first_event.clone());
        in_parallel(SEEDING_CLIENTS, sizes.events, move |i, agent| {
            let event = post(
                agent,
                &format!("{base}/events/"),
                Some(&owners[i % owners.len()]),
                &event_body(i),
            )?;
            if i == 0 {
                *first_event.lock().map_err(|_| anyhow!("poisoned"))? = event["id"].as_i64();
            }
            Ok(())
        })?;
    }
    let first = *first_event.lock().map_err(|_| anyhow!("poisoned"))?;
    first.ok_or_else(|| anyhow!("the first event has no id"))
}

/// A user registered at the measured server's own bcrypt cost, for the login scenario: a new one each
/// run, so a reused data set works too.
pub fn bcrypt_user(base: &str) -> anyhow::Result<(String, String)> {
    let agent = agent();
    let username = format!("login-benchmark-{}", std::process::id());
    post(
        &agent,
        &format!("{base}/users/"),
        None,
        &json!({
            "username": username, "email": format!("{username}@example.org"), "password": PASSWORD,
        }),
    )?;
    Ok((username, PASSWORD.into()))
}

/// A new private calendar address of the user signed in with `token`: its path, `/calendar/<secret>.ics`.
pub fn calendar_path(base: &str, token: &str) -> anyhow::Result<String> {
    let made = post(
        &agent(),
        &format!("{base}/users/me/calendar-secret"),
        Some(token),
        &Value::Null,
    )?;
    let secret = made["secret"].as_str().context("the answer names a secret")?;
    Ok(format!("/calendar/{secret}.ics"))
}

/// Up to `most` codes of the active tickets `token`'s member holds, newest first.
pub fn ticket_codes(base: &str, token: &str, most: usize) -> anyhow::Result<Vec<String>> {
    let agent = agent();
    let mut codes = Vec::new();
    while codes.len() < most {
        let mut response = agent
            .get(format!(
                "{base}/users/me/tickets?status=active&limit=100&skip={}",
                codes.len()
            ))
            .header("Authorization", format!("Bearer {token}"))
            .call()?;
        if response.status() == 204 {
            break;
        }
        let page: Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
        let Some(page) = page.as_array().filter(|page| !page.is_empty()) else {
            break;
        };
        codes.extend(
            page.iter()
                .filter_map(|ticket| ticket["code"].as_str().map(str::to_owned)),
        );
    }
    codes.truncate(most);
    Ok(codes)
}

/// What one attendee CSV download cost.
#[derive(Debug, Clone, Copy)]
pub struct CsvExport {
    pub rows: usize,
    pub bytes: usize,
    pub millis: f64,
    /// The server's resident memory before the download, and the most seen while it ran.
    pub rss_before_kib: u64,
    pub rss_peak_kib: u64,
}

/// Downloads the attendee list at `url` as CSV, sampling the server's memory (`rss`) every few
/// milliseconds meanwhile.
pub fn csv_export(
    url: &str,
    token: &str,
    rss: impl Fn() -> Option<u64> + Send + Sync,
) -> anyhow::Result<CsvExport> {
    let before = rss().unwrap_or(0);
    let peak = std::sync::atomic::AtomicU64::new(before);
    let done = AtomicBool::new(false);
    let started = std::time::Instant::now();
    let body = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                if let Some(now) = rss() {
                    peak.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        });
        let read = (|| -> anyhow::Result<Vec<u8>> {
            let mut response = agent()
                .get(url)
                .header("Authorization", format!("Bearer {token}"))
                .header("Accept", "text/csv")
                .call()?;
            Ok(response.body_mut().with_config().limit(1 << 30).read_to_vec()?)
        })();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        read
    })?;
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let rows = body
        .split(|byte| *byte == b'\n')
        .filter(|line| !line.is_empty())
        .count()
        .saturating_sub(1);
    Ok(CsvExport {
        rows,
        bytes: body.len(),
        millis,
        rss_before_kib: before,
        rss_peak_kib: peak.into_inner(),
    })
}

/// How many tickets the event has sold.
pub fn tickets_sold(base: &str, event: i64) -> anyhow::Result<i64> {
    let mut response = agent().get(format!("{base}/events/{event}")).call()?;
    let body: Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
    body["tickets_sold"]
        .as_i64()
        .ok_or_else(|| anyhow!("no tickets_sold in {body}"))
}

/// Samples the event's comment count every second while `counting`, recording the comments added in each.
pub fn count_comments_each_second(
    base: &str,
    event: i64,
    counting: &AtomicBool,
    out: &std::sync::Mutex<Vec<u64>>,
) {
    let agent = agent();
    let total = || -> Option<u64> {
        let response = agent
            .get(format!("{base}/comments/{event}?limit=1"))
            .call()
            .ok()?;
        response
            .headers()
            .get("x-total-count")?
            .to_str()
            .ok()?
            .parse()
            .ok()
    };
    let Some(mut last) = total() else { return };
    let mut tick = Instant::now();
    while counting.load(Ordering::SeqCst) {
        tick += Duration::from_secs(1);
        std::thread::sleep(tick.saturating_duration_since(Instant::now()));
        if !counting.load(Ordering::SeqCst) {
            break;
        }
        if let Some(now) = total() {
            if let Ok(mut seconds) = out.lock() {
                seconds.push(now.saturating_sub(last));
            }
            last = now;
        }
    }
}

/// What handing freed places to a waitlist cost.
#[derive(Debug, Clone, Copy)]
pub struct WaitlistFills {
    /// Cancellations made, each of which filled one waiting entry.
    pub fills: usize,
    pub millis: f64,
}

/// Members `first..first + count` (by name) wait for one place each at a new sold-out event of the door's
/// owner, whose places the ticket holder bought; then the holder gives every ticket back on `SEEDERS`
/// connections, and each cancellation fills the next entry in the same transaction. Checks that every
/// place went to the line (the event stays full, the line empty).
pub fn waitlist_fills(
    base: &str,
    door: &str,
    holder: &str,
    first: usize,
    count: usize,
) -> anyhow::Result<WaitlistFills> {
    let agent = agent();
    let body = json!({"name": "Waitlist concert", "event_time": "2031-06-01T18:00:00Z",
        "description": "benchmark", "duration_hours": 2, "duration_minutes": 0, "max_tickets": count});
    let event = post(&agent, &format!("{base}/events/"), Some(door), &body)?["id"]
        .as_i64()
        .ok_or_else(|| anyhow!("no event id"))?;
    let tickets = format!("{base}/events/{event}/tickets");
    let mut bought = 0;
    while bought < count {
        let quantity = (count - bought).min(100);
        post(&agent, &tickets, Some(holder), &json!({"quantity": quantity}))?;
        bought += quantity;
    }
    let waiters: Vec<String> = (first..first + count)
        .map(|n| login(&agent, base, &member(n), PASSWORD))
        .collect::<anyhow::Result<_>>()?;
    let waiters = Arc::new(waiters);
    {
        let (base, waiters) = (base.to_owned(), waiters.clone());
        in_parallel(SEEDING_CLIENTS, count, move |i, agent| {
            post(
                agent,
                &format!("{base}/events/{event}/waitlist"),
                Some(&waiters[i]),
                &json!({"quantity": 1}),
            )
            .map(drop)
        })?;
    }
    // The holder's newest tickets are this event's.
    let mut ids = Vec::new();
    while ids.len() < count {
        let mut response = agent
            .get(format!("{base}/users/me/tickets?limit=100&skip={}", ids.len()))
            .header("Authorization", format!("Bearer {holder}"))
            .call()?;
        let page: Value = serde_json::from_slice(&response.body_mut().read_to_vec()?)?;
        let Some(page) = page.as_array().filter(|page| !page.is_empty()) else {
            break;
        };
        ids.extend(
            page.iter()
                .filter(|ticket| ticket["event_id"] == event)
                .filter_map(|ticket| ticket["id"].as_i64()),
        );
    }
    anyhow::ensure!(ids.len() == count, "found {} of the {count} tickets", ids.len());
    let ids = Arc::new(ids);
    let started = Instant::now();
    {
        let (base, holder, ids) = (base.to_owned(), holder.to_owned(), ids.clone());
        in_parallel(SEEDERS, count, move |i, agent| {
            post(
                agent,
                &format!("{base}/tickets/{}/cancel", ids[i]),
                Some(&holder),
                &json!({}),
            )
            .map(drop)
        })?;
    }
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let sold = tickets_sold(base, event)?;
    anyhow::ensure!(
        sold == count as i64,
        "the waitlist took {sold} of the {count} freed places"
    );
    Ok(WaitlistFills { fills: count, millis })
}

/// What [`moderation`] made.
pub struct Moderation {
    /// Entries in the moderation log.
    pub logged: u64,
    /// Reports this run filed (a run on reused data finds its reports filed already).
    pub filed: usize,
    /// Reports this run left waiting for a moderator.
    pub open_reports: usize,
    /// The admin's token, to read the reports with.
    pub admin_token: String,
}

/// Gives the community people in charge, a moderation log and a report queue to read: `member00000` is
/// made an admin from the command line (`plaza admin set-role`, as an operator would), then gives
/// `changes` members the moderator's role, and takes it back from every other one, each change with a
/// reason (so the log grows by `changes` entries, and half of those members stay moderators); then
/// reports `changes` events (one report each) and dismisses every other report.
pub fn moderation(
    plaza: &std::path::Path,
    database: &std::ffi::OsStr,
    base: &str,
    changes: usize,
) -> anyhow::Result<Moderation> {
    let output = std::process::Command::new(plaza)
        .args(["admin", "set-role", &member(0), "admin", "--database-url"])
        .arg(database)
        .env("JWT_SECRET", "the-benchmark's-own-secret-of-enough-bytes")
        .env("LOG_LEVEL", "warn")
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "plaza admin set-role failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let agent = agent();
    let admin = login(&agent, base, &member(0), PASSWORD)?;
    let read = |url: String, token: Option<&str>| -> anyhow::Result<Value> {
        let mut request = agent.get(url);
        if let Some(token) = token {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        Ok(serde_json::from_slice(
            &request.call()?.body_mut().read_to_vec()?,
        )?)
    };
    let me = read(format!("{base}/users/me"), Some(&admin))?["id"].as_i64();
    let users = read(format!("{base}/users/?limit=100"), None)?;
    // Everyone but the admin, who is the last one.
    let ids: Vec<i64> = users
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|user| user["id"].as_i64())
                .filter(|id| Some(*id) != me)
                .collect()
        })
        .unwrap_or_default();
    anyhow::ensure!(!ids.is_empty(), "no members to give roles to");
    for change in 0..changes {
        let id = ids[(change / 2) % ids.len()];
        let role = if change % 2 == 0 { "moderator" } else { "member" };
        let mut response = agent
            .put(format!("{base}/users/{id}/role"))
            .content_type("application/json")
            .header("Authorization", &format!("Bearer {admin}"))
            .send(json!({"role": role, "reason": format!("change {change}")}).to_string())?;
        anyhow::ensure!(
            response.status().is_success(),
            "PUT /users/{id}/role: {} {}",
            response.status(),
            String::from_utf8_lossy(&response.body_mut().read_to_vec()?)
        );
    }
    // `None` for a report an earlier run on the same data filed already (`409`): it stays as it was.
    let post = |path: String, body: Value| -> anyhow::Result<Option<Value>> {
        let mut response = agent
            .post(format!("{base}{path}"))
            .content_type("application/json")
            .header("Authorization", &format!("Bearer {admin}"))
            .send(body.to_string())?;
        let bytes = response.body_mut().read_to_vec()?;
        if response.status() == 409 && path == "/reports" {
            return Ok(None);
        }
        anyhow::ensure!(
            response.status().is_success(),
            "POST {path}: {} {}",
            response.status(),
            String::from_utf8_lossy(&bytes)
        );
        Ok(Some(serde_json::from_slice(&bytes)?))
    };
    let (mut open_reports, mut filed_now) = (0, 0);
    for report in 0..changes {
        let event = i64::try_from(report + 1)?;
        let Some(filed) = post(
            "/reports".into(),
            json!({"target": {"kind": "event", "id": event}, "reason": "spam", "note": format!("report {report}")}),
        )?
        else {
            continue;
        };
        filed_now += 1;
        if report % 2 == 1 {
            post(
                format!("/reports/{}/resolve", filed["id"]),
                json!({"action": "dismiss"}),
            )?;
        } else {
            open_reports += 1;
        }
    }
    let response = agent.get(format!("{base}/modlog?limit=1")).call()?;
    let logged = response
        .headers()
        .get("x-total-count")
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .ok_or_else(|| anyhow!("GET /modlog has no X-Total-Count"))?;
    Ok(Moderation {
        logged,
        filed: filed_now,
        open_reports,
        admin_token: admin,
    })
}
