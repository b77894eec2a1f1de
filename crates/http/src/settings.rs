//! How the HTTP adapter treats clients: the settings the binary hands in ([`HttpSettings`]) and the types
//! they are made of. Nothing here reads a request's state: `client`, `limits` and `lifecycle` apply these
//! settings to requests.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;

/// How the HTTP adapter treats clients.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The longest a request body may pause between two chunks before it is answered `408`.
    pub body_idle: Duration,
    /// The longest a whole request body may take.
    pub body_total: Duration,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Per-client request rates.
    pub rate_limits: Arc<RateLimits>,
    /// Origins other than Plaza's own that browsers may call it from (CORS); `*` for any.
    pub cors_origins: Vec<String>,
    /// Whether responses carry `Strict-Transport-Security` (when Plaza serves HTTPS itself).
    pub hsts: bool,
    /// Whether the server is shutting down.
    pub lifecycle: Arc<Lifecycle>,
    /// The address people reach Plaza at (`PUBLIC_URL`, as an origin: `https://plaza.example.org`), for
    /// links that leave the page (calendar feeds); `None`: each request's own scheme and `Host`.
    pub public_origin: Option<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_idle: Duration::from_secs(10),
            body_total: Duration::from_secs(60),
            trusted_proxies: TrustedProxies::default(),
            rate_limits: Arc::new(RateLimits::default()),
            cors_origins: Vec::new(),
            hsts: false,
            lifecycle: Arc::default(),
            public_origin: None,
        }
    }
}

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and CIDR blocks: `127.0.0.1, 10.0.0.0/8, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                IpNet::from_str(item)
                    .or_else(|_| IpAddr::from_str(item).map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR block"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// IPv4-mapped IPv6 addresses as the IPv4 addresses they are.
pub(crate) fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Forgotten keys are swept out once per this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The limits of one server, shared by its workers.
/// The unauthenticated writes that cost a bcrypt hash each, limited apart from the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthenticatedWrite {
    /// `POST /token`.
    Login,
    /// `POST /users/`.
    Registration,
    /// `POST /password-reset` and `POST /password-reset/confirm`: a mail each, or a bcrypt hash.
    Recovery,
}

#[derive(Debug, Default)]
pub struct RateLimits {
    everything: Option<DefaultKeyedRateLimiter<IpAddr>>,
    logins: Option<DefaultKeyedRateLimiter<IpAddr>>,
    registrations: Option<DefaultKeyedRateLimiter<IpAddr>>,
    recoveries: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

impl RateLimits {
    /// `per_second` requests of any kind (with bursts of twice that), and `auth_per_minute` of `POST /token`
    /// and, separately, of `POST /users/`, per client, with bursts of three times that: the people behind
    /// one address (a venue's Wi-Fi) who log in at once all get in, and a flood from one address still
    /// runs dry within the minute. `0` turns either off.
    pub fn new(per_second: u32, auth_per_minute: u32) -> Self {
        let per_minute = |rate: NonZeroU32| {
            let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(2));
            DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        };
        Self {
            everything: NonZeroU32::new(per_second).map(|rate| {
                let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
                DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
            }),
            logins: NonZeroU32::new(auth_per_minute).map(per_minute),
            registrations: NonZeroU32::new(auth_per_minute).map(per_minute),
            recoveries: NonZeroU32::new(auth_per_minute).map(per_minute),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds)` when `client` must wait before this request.
    pub fn check(&self, client: IpAddr, write: Option<UnauthenticatedWrite>) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for limiter in [
                &self.everything,
                &self.logins,
                &self.registrations,
                &self.recoveries,
            ]
            .into_iter()
            .flatten()
            {
                limiter.retain_recent();
            }
        }
        let limiters = [
            self.everything.as_ref(),
            match write {
                Some(UnauthenticatedWrite::Login) => self.logins.as_ref(),
                Some(UnauthenticatedWrite::Registration) => self.registrations.as_ref(),
                Some(UnauthenticatedWrite::Recovery) => self.recoveries.as_ref(),
                None => None,
            },
        ];
        for limiter in limiters.into_iter().flatten() {
            if let Err(not_until) = limiter.check_key(&client) {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
            }
        }
        Ok(())
    }
}

/// The server's phase, for readiness: once draining, `/health` answers `503` (so a load balancer stops
/// sending traffic), every response asks the client to close its connection, and live streams end.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    streams: Option<Arc<plaza_app::Hub>>,
}

impl Lifecycle {
    /// A lifecycle whose draining also ends the streams of `streams` (and refuses new ones).
    pub fn ending_streams(streams: Arc<plaza_app::Hub>) -> Self {
        Self {
            draining: AtomicBool::new(false),
            streams: Some(streams),
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        if let Some(streams) = &self.streams {
            streams.close();
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn parses_addresses_and_blocks_and_refuses_anything_else() {
        let trusted = TrustedProxies::parse(" 127.0.0.1 ,::1, 172.16.0.0/12 ").unwrap();
        assert!(trusted.contains(ip("127.0.0.1")));
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(trusted.contains(ip("172.31.255.255")));
        assert!(!trusted.contains(ip("172.32.0.1")));
        assert!(TrustedProxies::parse("localhost").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
    }

    #[test]
    fn each_client_gets_its_own_allowance_with_bursts_of_three_minutes() {
        let login = Some(UnauthenticatedWrite::Login);
        let limits = RateLimits::new(0, 3);
        for _ in 0..9 {
            assert!(limits.check(ip("10.0.0.1"), login).is_ok());
        }
        let wait = limits.check(ip("10.0.0.1"), login).unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(limits.check(ip("10.0.0.2"), login).is_ok(), "another client");
        assert!(
            limits.check(ip("10.0.0.1"), None).is_ok(),
            "other requests are not limited here"
        );
        assert!(
            limits
                .check(ip("10.0.0.1"), Some(UnauthenticatedWrite::Registration))
                .is_ok(),
            "registrations have their own allowance"
        );
    }

    #[test]
    fn the_general_limit_allows_bursts_of_twice_the_rate() {
        let limits = RateLimits::new(5, 0);
        let allowed = (0..50)
            .filter(|_| limits.check(ip("10.0.0.1"), None).is_ok())
            .count();
        assert!((10..=11).contains(&allowed), "{allowed}");
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = RateLimits::new(0, 0);
        assert!((0..10_000).all(|_| {
            limits
                .check(ip("10.0.0.1"), Some(UnauthenticatedWrite::Login))
                .is_ok()
        }));
    }
}
