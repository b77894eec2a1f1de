//! Per-client rate limits (GCRA, from the `governor` crate), keyed by the client's address
//! ([`crate::client::address`]): a generous limit on every request, and a tighter one on the unauthenticated
//! writes that cost the server most (`POST /token`, `POST /users/`: a bcrypt hash each). Either can be
//! turned off (`0`): a benchmark or a black-box test suite that drives thousands of requests from one
//! address does that. Over a limit: `429 rate_limited` with `Retry-After`.
//!
//! The login throttle of the contract (failed logins per address and user name) is separate and always on.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::web;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use crate::error::ApiError;
use crate::state::AppState;

/// Forgotten keys are swept out once per this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The limits of one server, shared by its workers.
#[derive(Debug, Default)]
pub struct RateLimits {
    everything: Option<DefaultKeyedRateLimiter<IpAddr>>,
    unauthenticated_writes: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
}

impl RateLimits {
    /// `per_second` requests of any kind (with bursts of twice that), and `auth_per_minute` of `POST /token`
    /// and `POST /users/`, per client; `0` turns either off.
    pub fn new(per_second: u32, auth_per_minute: u32) -> Self {
        Self {
            everything: NonZeroU32::new(per_second).map(|rate| {
                let burst = rate.saturating_mul(NonZeroU32::MIN.saturating_add(1));
                DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
            }),
            unauthenticated_writes: NonZeroU32::new(auth_per_minute)
                .map(|rate| DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate))),
            checks: AtomicU64::new(0),
        }
    }

    /// `Err(seconds)` when `client` must wait before this request.
    pub fn check(&self, client: IpAddr, unauthenticated_write: bool) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for limiter in [&self.everything, &self.unauthenticated_writes]
                .into_iter()
                .flatten()
            {
                limiter.retain_recent();
            }
        }
        let limiters = [
            self.everything.as_ref(),
            self.unauthenticated_writes
                .as_ref()
                .filter(|_| unauthenticated_write),
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

/// `POST /token` and `POST /users/`, with or without the slash.
fn is_unauthenticated_write(req: &ServiceRequest) -> bool {
    req.method() == Method::POST && matches!(req.path().trim_end_matches('/'), "/token" | "/users")
}

/// `Err` (`429 rate_limited` with `Retry-After`) when the request's client is over a limit.
pub fn check(req: &ServiceRequest) -> Result<(), ApiError> {
    let (Some(state), Some(client)) = (
        req.app_data::<web::Data<AppState>>(),
        crate::client::address(req.request()),
    ) else {
        return Ok(());
    };
    state
        .settings
        .rate_limits
        .check(client, is_unauthenticated_write(req))
        .map_err(|seconds| {
            ApiError::rate_limited(
                format!("too many requests, try again in {seconds} seconds"),
                seconds,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_client_gets_its_own_allowance() {
        let limits = RateLimits::new(0, 3);
        for _ in 0..3 {
            assert!(limits.check(ip("10.0.0.1"), true).is_ok());
        }
        let wait = limits.check(ip("10.0.0.1"), true).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(limits.check(ip("10.0.0.2"), true).is_ok(), "another client");
        assert!(
            limits.check(ip("10.0.0.1"), false).is_ok(),
            "other requests are not limited here"
        );
    }

    #[test]
    fn the_general_limit_allows_bursts_of_twice_the_rate() {
        let limits = RateLimits::new(5, 0);
        let allowed = (0..50)
            .filter(|_| limits.check(ip("10.0.0.1"), false).is_ok())
            .count();
        assert!((10..=11).contains(&allowed), "{allowed}");
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let limits = RateLimits::new(0, 0);
        assert!((0..10_000).all(|_| limits.check(ip("10.0.0.1"), true).is_ok()));
    }
}
