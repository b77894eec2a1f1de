//! `POST /token`: the OAuth2 password flow, as FastAPI clients expect it.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::{blocking, is_json, media_type, parse_json, read_body};
use crate::state::AppState;

/// Credentials, as a form (`application/x-www-form-urlencoded`) or JSON. OAuth2's `grant_type`, `scope`
/// and client fields are accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    #[schema(value_type = String, example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

async fn credentials(req: HttpRequest, mut payload: Payload) -> Result<TokenRequest, ApiError> {
    let media = media_type(&req).unwrap_or_default();
    let is_form = media == "application/x-www-form-urlencoded";
    if !is_form && !is_json(&media) {
        return Err(ApiError::unsupported_media_type(
            "send the credentials as a URL-encoded form or JSON",
        ));
    }
    let body = read_body(&req, &mut payload).await?;
    if is_json(&media) {
        return parse_json(&body);
    }
    if let Some(name) = crate::extract::pair_with_nul(&body) {
        return Err(ApiError::invalid_field(name, crate::extract::NUL_REFUSED));
    }
    serde_urlencoded::from_bytes::<TokenRequest>(&body).map_err(|error| {
        let message = error.to_string();
        match message.strip_prefix("missing field `") {
            Some(rest) => {
                ApiError::invalid_field(rest.split('`').next().unwrap_or_default(), "field required")
            }
            None => ApiError::bad_request(format!("the form could not be parsed: {message}")),
        }
    })
}

/// The credentials of a token request, whichever way they were sent, and the address they came from.
#[derive(Debug)]
pub struct Credentials {
    request: TokenRequest,
    client: String,
}

impl FromRequest for Credentials {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let client = crate::client::address(req)
            .map(|address| address.to_string())
            .unwrap_or_default();
        Box::pin(
            credentials(req.clone(), payload.take())
                .map(|result| result.map(|request| Credentials { request, client })),
        )
    }
}

/// Exchanges a user name (any case) and password for a bearer token (the OAuth2 password flow). After 10
/// failed attempts for one user name from one client address within 5 minutes, further attempts are
/// `429` until the oldest failure ages out.
#[utoipa::path(
    post,
    path = "/token",
    tag = "auth",
    operation_id = "login",
    request_body(
        description = "The credentials, as a form or as JSON. OAuth2's `grant_type`, `scope` and client fields are accepted and ignored.",
        content(
            (TokenRequest = "application/x-www-form-urlencoded"),
            (TokenRequest = "application/json"),
        )
    ),
    responses(
        (status = 200, description = "A bearer token", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = crate::responses::BadRequest),
        (status = 401, response = crate::responses::Unauthorized),
        (status = 413, response = crate::responses::PayloadTooLarge),
        (status = 415, response = crate::responses::UnsupportedMediaType),
        (status = 429, response = crate::responses::RateLimited),
    )
)]
pub async fn issue(state: web::Data<AppState>, credentials: Credentials) -> Result<HttpResponse, ApiError> {
    let Credentials {
        request: TokenRequest { username, password },
        client,
    } = credentials;
    let token = blocking(move || state.services.auth.login(&client, &username, &password)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse {
            access_token: token.access_token,
            token_type: "bearer",
            expires_in: token.expires_in,
        }))
}
