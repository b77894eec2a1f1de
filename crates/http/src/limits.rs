//! Per-client rate limits ([`RateLimits`](crate::settings::RateLimits): GCRA, from the `governor`
//! crate), keyed by the client's address ([`crate::client::address`]): a generous limit on every request,
//! and a tighter one on the unauthenticated writes that cost the server most (`POST /token`, `POST /users/`: a bcrypt hash each;
//! `POST /password-reset` and its `/confirm`: a mail or a hash). Either can be
//! turned off (`0`): a benchmark or a black-box test suite that drives thousands of requests from one
//! address does that. Over a limit: `429 rate_limited` with `Retry-After`.
//!
//! The login throttle of the contract (failed logins per address and user name) is separate and always on.

use actix_web::dev::ServiceRequest;
use actix_web::http::Method;
use actix_web::web;

use crate::error::ApiError;
use crate::settings::UnauthenticatedWrite;
use crate::state::AppState;

/// `POST /token`, `POST /users/` and the password reset routes, with or without the slash.
fn unauthenticated_write(req: &ServiceRequest) -> Option<UnauthenticatedWrite> {
    if req.method() != Method::POST {
        return None;
    }
    // As the router will read it (the limits run before paths are normalized): percent-decoded, with runs
    // of slashes as one, so `//token` or `/password%2Dreset` are counted like what they reach.
    let decoded = percent_encoding::percent_decode_str(req.path()).decode_utf8_lossy();
    let mut path = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    match path.trim_end_matches('/') {
        "/token" => Some(UnauthenticatedWrite::Login),
        "/users" => Some(UnauthenticatedWrite::Registration),
        "/password-reset" | "/password-reset/confirm" | "/email-verification/confirm" => {
            Some(UnauthenticatedWrite::Recovery)
        }
        _ => None,
    }
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
        .check(client, unauthenticated_write(req))
        .map_err(|seconds| {
            crate::metrics::refused(crate::metrics::Refusal::RateLimit);
            ApiError::rate_limited(
                format!("too many requests, try again in {seconds} seconds"),
                seconds,
            )
        })
}
