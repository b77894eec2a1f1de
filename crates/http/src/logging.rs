//! One log line per request, written when its response starts: method, path, route template, client,
//! user agent, request id, the caller's user id (when a token named one), status and latency in
//! milliseconds — as text, or as one JSON object per line (`LOG_FORMAT=json`). Query values are redacted (`?access_token=***`: tokens and passwords sent in a URL stay out of
//! the log), and the user agent is recorded quoted and escaped, so a client cannot forge fields or lines.
//! Errors are not logged a second time: the line carries the status, and a `500` logs its cause chain
//! inside this span (see `ApiError::internal`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Uri;
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// Builds the request span for `TracingLogger`.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let client = crate::client::address(request.request())
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %redacted(request.uri()),
            client = %client,
            user_agent = ?user_agent.unwrap_or_default(),
            request_id = %request_id,
            route = tracing::field::Empty,
            user_id = tracing::field::Empty,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let status = match outcome {
            Ok(response) => response.response().status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("status", status.as_u16());
        // `metrics::observe` has written the route and the latency into the span by now.
        tracing::info!(parent: &span, "request");
    }
}

/// The path with every query value replaced by `***`; parameter names stay, so the line still says what
/// was asked. A private calendar's address is its credential: its secret is replaced too.
pub fn redacted(uri: &Uri) -> String {
    let path = match uri.path().strip_prefix("/calendar/") {
        Some(_) => "/calendar/***.ics",
        None => uri.path(),
    };
    match uri.query() {
        None | Some("") => path.to_owned(),
        Some(query) => {
            let names: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((name, _)) => format!("{}=***", escape(name)),
                    None => escape(pair),
                })
                .collect();
            format!("{path}?{}", names.join("&"))
        }
    }
}

/// A parameter name as it may appear in a log line: anything but letters, digits and `_.-[]` becomes `?`.
fn escape(name: &str) -> String {
    name.chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-[]%".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_never_reach_the_log() {
        let uri: Uri = "/token?username=alice&password=hunter22&grant_type"
            .parse()
            .unwrap();
        assert_eq!(redacted(&uri), "/token?username=***&password=***&grant_type");
        let uri: Uri = "/events/?access_token=eyJhbGciOi.x.y".parse().unwrap();
        assert_eq!(redacted(&uri), "/events/?access_token=***");
        let uri: Uri = "/health".parse().unwrap();
        assert_eq!(redacted(&uri), "/health");
        let uri: Uri = "/calendar/hS0secretsecret.ics".parse().unwrap();
        assert_eq!(redacted(&uri), "/calendar/***.ics");
        let uri: Uri = "/calendar/hS0secretsecret.ics?x=1".parse().unwrap();
        assert_eq!(redacted(&uri), "/calendar/***.ics?x=***");
        let uri: Uri = "/events/calendar.ics?search=fair".parse().unwrap();
        assert_eq!(redacted(&uri), "/events/calendar.ics?search=***");
    }
}
