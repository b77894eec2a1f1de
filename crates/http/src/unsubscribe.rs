//! `POST /unsubscribe?token=…`: the one-click unsubscribe of RFC 8058. Mail programs send
//! `List-Unsubscribe=One-Click` as a form body; the body is not read (any is accepted), the token in the
//! address is the credential. A `GET` does nothing: link checkers open links in mail, and must not
//! unsubscribe anyone — the mail's own link opens a page that asks first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiQuery, blocking};
use crate::password_reset::DetailResponse;
use crate::state::AppState;

/// The answer once notification mail is off.
pub const TURNED_OFF: &str = "Notification mail is off. Turn it on again in Settings whenever you like.";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The token of the mail's unsubscribe link.
    pub token: String,
}

/// Turns off the notification mail of the account the token names, without logging in.
#[utoipa::path(
    post,
    path = "/unsubscribe",
    tag = "users",
    operation_id = "unsubscribe",
    params(UnsubscribeQuery),
    responses(
        (status = 200, description = "Notification mail is off", body = DetailResponse),
        (status = 400, description = "`invalid_token`: the link names no account; `bad_request`: no `token`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many requests from this client; see `Retry-After`", body = ErrorBody),
    )
)]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    query: ApiQuery<UnsubscribeQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.0.token;
    blocking(move || state.services.notification_mail.unsubscribe(&token)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(DetailResponse { detail: TURNED_OFF }))
}
