//! The HTTP layer's Prometheus series, recorded through the `metrics` facade: whatever recorder the binary
//! installs (none without `METRICS_ADDR`, when recording costs next to nothing) receives them.
//!
//! Labels stay few whatever clients send: the route is the template that matched (`/events/{event_id}`,
//! never the path asked), `unmatched` when none did; the method is one of the nine standard ones or
//! `OTHER`; the status is the number answered.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::Method;

pub const REQUESTS: &str = "plaza_http_requests_total";
pub const DURATION: &str = "plaza_http_request_duration_seconds";
pub const IN_FLIGHT: &str = "plaza_http_requests_in_flight";
pub const REFUSALS: &str = "plaza_refusals_total";

/// The route label of a request no route matched (a `404`, or a refusal before routing of a path that
/// names no route).
pub const UNMATCHED: &str = "unmatched";

/// Why a request was turned away before it was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The client's address was over its request rate (`429`).
    RateLimit,
    /// The client's address had too many connections open (`429`).
    Connections,
    /// Too many failed logins for the account or the address (`429` from `POST /token`).
    LoginThrottle,
    /// A notification stream over the per-user or per-instance limit.
    Streams,
}

impl Refusal {
    fn label(self) -> &'static str {
        match self {
            Refusal::RateLimit => "rate_limit",
            Refusal::Connections => "connections",
            Refusal::LoginThrottle => "login_throttle",
            Refusal::Streams => "streams",
        }
    }
}

/// Counts a refusal.
pub fn refused(reason: Refusal) {
    metrics::counter!(REFUSALS, "reason" => reason.label()).increment(1);
}

/// Says what each series means, for the exposition's `# HELP` lines.
pub fn describe() {
    metrics::describe_counter!(
        REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Time from a request's arrival to its response's head, by route template and method"
    );
    metrics::describe_gauge!(IN_FLIGHT, "HTTP requests being served now");
    metrics::describe_counter!(
        REFUSALS,
        "Requests turned away by a limit: rate_limit, connections, login_throttle, streams"
    );
    // Shown at 0 from the start, so that a rate over them has a beginning.
    for reason in [
        Refusal::RateLimit,
        Refusal::Connections,
        Refusal::LoginThrottle,
        Refusal::Streams,
    ] {
        metrics::counter!(REFUSALS, "reason" => reason.label()).absolute(0);
    }
}

/// Middleware (`wrap_fn`) inside the request span: counts the request, times it, and writes its route
/// template and latency into the span, where the request's log line finds them.
pub fn observe<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    let started = Instant::now();
    let method = method_label(req.method());
    let in_flight = InFlight::enter();
    let call = service.call(req);
    async move {
        let outcome = call.await;
        let elapsed = started.elapsed();
        drop(in_flight);
        let (route, status) = match &outcome {
            Ok(response) => (
                response
                    .request()
                    .match_pattern()
                    .unwrap_or_else(|| UNMATCHED.to_owned()),
                response.status(),
            ),
            Err(error) => (UNMATCHED.to_owned(), error.as_response_error().status_code()),
        };
        let span = tracing::Span::current();
        span.record("route", route.as_str());
        span.record("latency_ms", elapsed.as_secs_f64() * 1000.0);
        metrics::histogram!(DURATION, "route" => route.clone(), "method" => method)
            .record(elapsed.as_secs_f64());
        metrics::counter!(
            REQUESTS,
            "route" => route,
            "method" => method,
            "status" => status.as_u16().to_string()
        )
        .increment(1);
        outcome
    }
}

/// One request in flight, for as long as it lives: a request whose client goes away is dropped, not
/// completed, and leaves the gauge all the same.
struct InFlight;

impl InFlight {
    fn enter() -> Self {
        metrics::gauge!(IN_FLIGHT).increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT).decrement(1.0);
    }
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_up_method_does_not_become_a_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let invented = Method::from_bytes(b"BREW").expect("a token is a valid method");
        assert_eq!(method_label(&invented), "OTHER");
    }
}
