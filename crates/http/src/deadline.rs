//! Request bodies must keep arriving: a body that stalls for `body_idle`, or takes longer than
//! `body_total` in all (see [`crate::HttpSettings`]), ends in an error that the extractors answer with `408`, and
//! the connection is closed. Without this a client could send `Content-Length: 1000`, one byte, and hold a
//! connection (and its file descriptor) forever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::state::AppState;
use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::rt::time::{Instant, Sleep, sleep, sleep_until};
use actix_web::web::{self, Bytes};
use futures_util::Stream;

/// A payload that fails with [`io::ErrorKind::TimedOut`] when it stalls or runs too long.
struct Deadline {
    inner: Payload,
    idle_for: Duration,
    idle: Pin<Box<Sleep>>,
    total: Pin<Box<Sleep>>,
    expired: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let next = Instant::now() + self.idle_for;
                self.idle.as_mut().reset(next);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => Poll::Ready(other),
            Poll::Pending => {
                let stalled = self.idle.as_mut().poll(cx).is_ready();
                let too_long = self.total.as_mut().poll(cx).is_ready();
                if stalled || too_long {
                    self.expired = true;
                    Poll::Ready(Some(Err(PayloadError::Io(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the request body did not arrive in time",
                    )))))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

/// Whether a request says it carries a body.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(header::TRANSFER_ENCODING)
        || headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

/// Puts the request's body, if it has one, under the deadline.
pub fn apply(req: &mut ServiceRequest) {
    if !has_body(req) {
        return;
    }
    let settings = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.clone())
        .unwrap_or_default();
    let inner = req.take_payload();
    let started = Instant::now();
    req.set_payload(Payload::Stream {
        payload: Box::pin(Deadline {
            inner,
            idle_for: settings.body_idle,
            idle: Box::pin(sleep(settings.body_idle)),
            total: Box::pin(sleep_until(started + settings.body_total)),
            expired: false,
        }),
    });
}

/// Whether a payload error is the deadline's.
pub fn is_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(io) if io.kind() == io::ErrorKind::TimedOut)
}
