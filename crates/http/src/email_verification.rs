//! E-mail verification: another link on request, and opening one.

use actix_web::{HttpResponse, web};
use plaza_domain::ValidationErrors;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, blocking};
use crate::field::Field;
use crate::password_reset::DetailResponse;
use crate::responses::{PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;

/// The answer to a request for another link.
pub const LINK_SENT: &str =
    "A link to confirm your address is on its way to it. The link works for 24 hours.";

/// The answer once an address is confirmed.
pub const ADDRESS_CONFIRMED: &str = "Your e-mail address is confirmed.";

/// Opening a verification link.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EmailVerificationConfirmBody {
    /// The `token` of the link in the mail.
    #[serde(default)]
    #[schema(value_type = String, required = true)]
    pub token: Field<String>,
}

/// Mails the caller another link that confirms their address (at most 3 an hour).
#[utoipa::path(
    post,
    path = "/users/me/email-verification",
    tag = "users",
    operation_id = "resend_email_verification",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 202, description = "A link is on its way to the caller's address", body = DetailResponse),
        (status = 401, response = Unauthorized),
        (status = 409, description = "`already_verified`: the address is confirmed already", body = ErrorBody),
        (status = 429, description = "`rate_limited`: three links were sent within the hour; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn resend(state: web::Data<AppState>, caller: AuthUser) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.email_verification.resend(&caller.0)).await?;
    Ok(HttpResponse::Accepted()
        .insert_header(("Cache-Control", "no-store"))
        .json(DetailResponse { detail: LINK_SENT }))
}

/// Confirms the address a verification link was mailed to. No token needed: the link's is the credential.
#[utoipa::path(
    post,
    path = "/email-verification/confirm",
    tag = "users",
    operation_id = "confirm_email_verification",
    request_body = EmailVerificationConfirmBody,
    responses(
        (status = 200, description = "The address is confirmed", body = DetailResponse),
        (status = 400, description = "`invalid_token`: the link was used, expired (24 hours), never sent, or is for an address the account no longer has; `validation_failed`: `token` missing", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
        (status = 429, description = "`rate_limited`: too many requests from this client; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn confirm(
    state: web::Data<AppState>,
    body: ApiJson<EmailVerificationConfirmBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let Some(token) = body.0.token.required("token", &mut errors, Ok) else {
        return Err(errors.into());
    };
    blocking(move || state.services.email_verification.confirm(&token)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(DetailResponse {
            detail: ADDRESS_CONFIRMED,
        }))
}
