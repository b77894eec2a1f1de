//! `POST /token`: the OAuth2 password flow, as FastAPI clients expect it, and `POST /token/refresh`, which
//! renews a session with its refresh token.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use plaza_app::auth::SignedIn;
use plaza_domain::FieldError;
use plaza_domain::session::Device;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::extract::{blocking, is_json, media_type, parse_json, read_body};
use crate::state::AppState;

/// Credentials, as a form (`application/x-www-form-urlencoded`) or JSON. OAuth2's `grant_type`, `scope`
/// and client fields are accepted and ignored.
#[derive(Debug, ToSchema)]
pub struct TokenRequest {
    pub username: String,
    pub password: String,
    /// Stay signed in on this device: the session lasts 30 days from its last renewal instead of 12
    /// hours. `true`/`false`; a form may also send `on`/`off`, `1`/`0` or `yes`/`no`.
    #[schema(value_type = bool, default = false, required = false)]
    pub remember_me: bool,
}

/// A JSON value as serde names one it did not expect (`integer \`5\``, `null`).
fn unexpected(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(value) => format!("boolean `{value}`"),
        Value::Number(number) if number.is_f64() => format!("floating point `{number}`"),
        Value::Number(number) => format!("integer `{number}`"),
        Value::String(text) => format!("string {text:?}"),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    }
}

impl TokenRequest {
    /// Reads the fields of a form or a JSON object, reporting every invalid one at once.
    fn from_fields(fields: &serde_json::Map<String, serde_json::Value>) -> Result<Self, ApiError> {
        use serde_json::Value;
        let mut errors = Vec::new();
        let mut text = |name: &str| match fields.get(name) {
            Some(Value::String(text)) => Some(text.clone()),
            found => {
                let message = match found {
                    None => "field required".to_owned(),
                    // Worded as every other body's wrong type is (serde's words).
                    Some(other) => format!("invalid type: {}, expected a string", unexpected(other)),
                };
                errors.push(FieldError {
                    field: name.to_owned(),
                    message,
                });
                None
            }
        };
        let (username, password) = (text("username"), text("password"));
        let remember_me = match fields.get("remember_me") {
            None => Some(false),
            Some(Value::Bool(value)) => Some(*value),
            // An empty form field is an unticked box; a checkbox sends `on`.
            Some(Value::String(word)) if word.is_empty() => Some(false),
            Some(Value::String(word)) => crate::extract::flag_word(word),
            Some(_) => None,
        };
        if remember_me.is_none() {
            errors.push(FieldError {
                field: "remember_me".to_owned(),
                message: "must be true or false".to_owned(),
            });
        }
        match (username, password, remember_me) {
            (Some(username), Some(password), Some(remember_me)) => Ok(Self {
                username,
                password,
                remember_me,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// A session's renewal.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token the last login or renewal answered; it can be used once.
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    #[schema(value_type = String, example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Renews the session once (`POST /token/refresh`) for a new access token and the next refresh
    /// token. Keep it secret: presenting it a second time ends the session.
    pub refresh_token: String,
    /// Seconds until the session ends unless renewed.
    pub refresh_expires_in: i64,
    /// The session (see `GET /users/me/sessions`).
    pub session_id: i64,
}

impl From<SignedIn> for TokenResponse {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            access_token: signed_in.access.access_token,
            token_type: "bearer",
            expires_in: signed_in.access.expires_in,
            refresh_token: signed_in.refresh_token,
            refresh_expires_in: signed_in.refresh_expires_in,
            session_id: signed_in.session.get(),
        }
    }
}

fn issued(signed_in: SignedIn) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenResponse::from(signed_in))
}

/// A body as OAuth2 clients send theirs: a JSON document, read, or a URL-encoded form, still in bytes.
enum Body<T> {
    Json(T),
    Form(actix_web::web::Bytes),
}

/// Reads a body sent as a URL-encoded form or as JSON.
async fn read_form_or_json<T: DeserializeOwned>(
    req: HttpRequest,
    mut payload: Payload,
) -> Result<Body<T>, ApiError> {
    let media = media_type(&req).unwrap_or_default();
    let is_form = media == "application/x-www-form-urlencoded";
    if !is_form && !is_json(&media) {
        return Err(ApiError::unsupported_media_type(
            "send the body as a URL-encoded form or JSON",
        ));
    }
    let body = read_body(&req, &mut payload).await?;
    if is_json(&media) {
        return parse_json(&body).map(Body::Json);
    }
    if let Some(name) = crate::extract::pair_with_nul(&body) {
        return Err(ApiError::invalid_field(name, crate::extract::NUL_REFUSED));
    }
    Ok(Body::Form(body))
}

/// The fields of a form or a JSON object by name (a form's field sent twice: its last value).
async fn fields(
    req: HttpRequest,
    payload: Payload,
) -> Result<serde_json::Map<String, serde_json::Value>, ApiError> {
    let body = match read_form_or_json(req, payload).await? {
        Body::Json(document) => return Ok(document),
        Body::Form(body) => body,
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|error| ApiError::bad_request(format!("the form could not be parsed: {error}")))?;
    Ok(pairs
        .into_iter()
        .map(|(name, value)| (name, serde_json::Value::String(value)))
        .collect())
}

/// A body sent as a URL-encoded form or as JSON, as `T`.
async fn form_or_json<T: DeserializeOwned>(req: HttpRequest, payload: Payload) -> Result<T, ApiError> {
    let body = match read_form_or_json(req, payload).await? {
        Body::Json(document) => return Ok(document),
        Body::Form(body) => body,
    };
    serde_urlencoded::from_bytes::<T>(&body).map_err(|error| {
        let message = error.to_string();
        match message.strip_prefix("missing field `") {
            Some(rest) => {
                ApiError::invalid_field(rest.split('`').next().unwrap_or_default(), "field required")
            }
            None => ApiError::bad_request(format!("the form could not be parsed: {message}")),
        }
    })
}

/// The credentials of a token request, whichever way they were sent, the address they came from, and
/// the device they came from (its `User-Agent`).
#[derive(Debug)]
pub struct Credentials {
    request: TokenRequest,
    client: String,
    device: Device,
}

impl FromRequest for Credentials {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let client = crate::client::address(req)
            .map(|address| address.to_string())
            .unwrap_or_default();
        let device = Device::describe(
            req.headers()
                .get(header::USER_AGENT)
                .and_then(|value| value.to_str().ok()),
        );
        Box::pin(fields(req.clone(), payload.take()).map(|result| {
            Ok(Credentials {
                request: TokenRequest::from_fields(&result?)?,
                client,
                device,
            })
        }))
    }
}

/// Exchanges a user name (any case) and password for a bearer token (the OAuth2 password flow) and starts
/// a session on the calling device (named after its `User-Agent`): the answer also holds the session's
/// first refresh token. After 10 failed attempts for one user name from one client address within 5
/// minutes, further attempts are `429` until the oldest failure ages out.
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
        (status = 200, description = "A bearer token and the session's refresh token", body = TokenResponse,
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
        request: TokenRequest {
            username,
            password,
            remember_me,
        },
        client,
        device,
    } = credentials;
    let signed_in = blocking(move || {
        let login = state
            .services
            .auth
            .login(&client, &username, &password, device, remember_me);
        if let Err(plaza_app::AppError::RateLimited(_)) = &login {
            crate::metrics::refused(crate::metrics::Refusal::LoginThrottle);
        }
        login
    })
    .await?;
    Ok(issued(signed_in))
}

/// A renewal request's body, as a form or JSON.
#[derive(Debug)]
pub struct Refresh(RefreshRequest);

impl FromRequest for Refresh {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        Box::pin(form_or_json(req.clone(), payload.take()).map(|result| result.map(Refresh)))
    }
}

/// Renews a session: spends the refresh token for a new access token and the session's next refresh
/// token. A refresh token presented a second time is `401 refresh_token_reused`, and the whole session
/// ends (each of its tokens, and its access tokens, stop working): someone else holds a copy. An unknown
/// or expired refresh token, or one of a session that has ended (logout, password change, ended from
/// another device), is `401 unauthorized`.
#[utoipa::path(
    post,
    path = "/token/refresh",
    tag = "auth",
    operation_id = "refresh_token",
    request_body(
        description = "The refresh token, as JSON or a form.",
        content(
            (RefreshRequest = "application/json"),
            (RefreshRequest = "application/x-www-form-urlencoded"),
        )
    ),
    responses(
        (status = 200, description = "A new access token and the next refresh token", body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = crate::responses::BadRequest),
        (status = 401, response = crate::responses::Unauthorized),
        (status = 413, response = crate::responses::PayloadTooLarge),
        (status = 415, response = crate::responses::UnsupportedMediaType),
    )
)]
pub async fn refresh(state: web::Data<AppState>, body: Refresh) -> Result<HttpResponse, ApiError> {
    let Refresh(RefreshRequest { refresh_token }) = body;
    let signed_in = blocking(move || state.services.auth.refresh(&refresh_token)).await?;
    Ok(issued(signed_in))
}
