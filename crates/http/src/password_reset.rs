//! `/password-reset`: a link by mail to choose a new password, and choosing it.
//!
//! Asking answers `202` at once, with the same body, whether or not an account has the address: the
//! look-up and the mail happen after the answer, so neither the answer nor its timing tells. What a client
//! can be told (`400` for an address that is not one, `429` over the per-client limit) says nothing about
//! any account.

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{HttpResponse, web};
use plaza_domain::ValidationErrors;
use plaza_domain::user::{Email, Password};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, blocking};
use crate::field::Field;
use crate::responses::{BadRequest, PayloadTooLarge, UnsupportedMediaType};
use crate::state::AppState;

/// The answer to every request for a link.
pub const LINK_REQUESTED: &str = "If an account uses this address, a link to choose a new password is on \
     its way to it. The link works once, for 30 minutes.";

/// The answer once a new password is chosen.
pub const PASSWORD_CHOSEN: &str =
    "Your password has been changed and every session has ended. Log in with the new password.";

/// The most password reset requests waiting for their look-up at once, in this process.
const MAX_PENDING: usize = 64;

static PENDING: AtomicUsize = AtomicUsize::new(0);

/// One waiting request, counted until dropped.
struct Pending;

impl Pending {
    fn enter() -> Option<Self> {
        PENDING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |now| {
                (now < MAX_PENDING).then_some(now + 1)
            })
            .ok()
            .map(|_| Pending)
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        PENDING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Asking for a reset link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetBody {
    /// The address of the account (compared ignoring the case of ASCII letters).
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    pub email: Field<String>,
}

/// Choosing a new password with a reset link's token.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordResetConfirmBody {
    /// The `token` of the link in the mail.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    pub token: Field<String>,
    /// The new password, 8–72 bytes.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 8, max_length = 72, format = Password)]
    pub password: Field<String>,
}

/// A sentence for the person who asked.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetailResponse {
    pub detail: &'static str,
}

/// Mails a link to choose a new password to the account registered with `email`, if there is one. The
/// answer is the same either way and comes at once; at most 3 links go to one account per hour (more
/// requests are answered alike and send nothing).
#[utoipa::path(
    post,
    path = "/password-reset",
    tag = "auth",
    operation_id = "request_password_reset",
    request_body = PasswordResetBody,
    responses(
        (status = 202, description = "Asked: a link is mailed if an account uses the address", body = DetailResponse),
        (status = 400, response = BadRequest),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, description = "`rate_limited`: too many requests from this client; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn request(
    state: web::Data<AppState>,
    body: ApiJson<PasswordResetBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let email = body.0.email.required("email", &mut errors, Email::parse);
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let resets = state.services.password_resets.clone();
    // Not awaited: the answer must not wait for (or be timed by) the look-up and the mail. At most
    // `MAX_PENDING` wait at once; past that a request is answered the same and dropped (a flood from many
    // addresses must not fill the blocking pool every other request needs).
    match Pending::enter() {
        Some(pending) => drop(actix_web::rt::task::spawn_blocking(move || {
            let _pending = pending;
            if let Err(error) = resets.request(email.as_str()) {
                tracing::error!(%error, "a password reset request failed");
            }
        })),
        None => tracing::warn!("password reset requests are queued past their limit: one was dropped"),
    }
    Ok(HttpResponse::Accepted()
        .insert_header(("Cache-Control", "no-store"))
        .json(DetailResponse {
            detail: LINK_REQUESTED,
        }))
}

/// Makes `password` the password of the account the link was mailed to. The token works once: then every
/// reset link of the account, every session, every access token and every open stream of it stop
/// working.
#[utoipa::path(
    post,
    path = "/password-reset/confirm",
    tag = "auth",
    operation_id = "confirm_password_reset",
    request_body = PasswordResetConfirmBody,
    responses(
        (status = 200, description = "The new password is set", body = DetailResponse),
        (status = 400, description = "`invalid_token`: the link was used, expired (30 minutes) or never sent; `validation_failed`: `token` or `password` missing, or the password breaks its rules", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, description = "`rate_limited`: too many requests from this client; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn confirm(
    state: web::Data<AppState>,
    body: ApiJson<PasswordResetConfirmBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let body = body.0;
    let token = body.token.required("token", &mut errors, Ok);
    let password = body.password.required("password", &mut errors, Password::parse);
    let (Some(token), Some(password)) = (token, password) else {
        return Err(errors.into());
    };
    blocking(move || state.services.password_resets.confirm(&token, &password)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(DetailResponse {
            detail: PASSWORD_CHOSEN,
        }))
}
