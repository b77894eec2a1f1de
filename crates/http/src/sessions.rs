//! `POST /logout` and `/users/me/sessions`: the caller's sessions (one per login and device), listed and
//! ended.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_app::auth::SessionView;
use plaza_domain::SessionId;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthSession, AuthUser, LeavingSession};
use crate::error::ApiError;
use crate::extract::{PathId, blocking};
use crate::respond::serialize_time;
use crate::responses::{BadRequest, NotFound, Unauthorized};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: i64,
    /// The device it was started on, as it described itself (its `User-Agent`, cut to 200 characters).
    pub device: String,
    /// Started with "Remember me": it lasts 30 days from its last renewal instead of 12 hours.
    pub remember_me: bool,
    /// When the login happened.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When it was last renewed (or started).
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: DateTime<Utc>,
    /// When it ends unless renewed before.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: DateTime<Utc>,
    /// Whether it is the session of the token that asked.
    pub current: bool,
}

impl From<SessionView> for SessionResponse {
    fn from(view: SessionView) -> Self {
        let session = view.session;
        Self {
            id: session.id.get(),
            device: session.device,
            remember_me: session.remember,
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            expires_at: session.expires_at,
            current: view.current,
        }
    }
}

/// The `session_id` path parameter.
#[derive(IntoParams)]
#[into_params(names("session_id"), parameter_in = Path)]
pub struct SessionIdParam(
    /// The session's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// Ends the caller's session: its refresh token and every access token issued in it stop working (an
/// open live stream of it closes). `204` also when the token belongs to no session (tokens from before
/// sessions were kept simply expire). A banned account may log out too.
#[utoipa::path(
    post,
    path = "/logout",
    tag = "auth",
    operation_id = "logout",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn logout(state: web::Data<AppState>, caller: LeavingSession) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.auth.logout(&caller.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's sessions that have not ended or expired, the most recently used first (at most 200: a
/// new login beyond that ends the least recently used). `current` marks the one asking. Always `200`
/// with an array, never paged.
#[utoipa::path(
    get,
    path = "/users/me/sessions",
    tag = "auth",
    operation_id = "my_sessions",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's sessions", body = [SessionResponse],
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn list(state: web::Data<AppState>, caller: AuthSession) -> Result<HttpResponse, ApiError> {
    let sessions = blocking(move || state.services.auth.sessions(&caller.0)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(
            sessions
                .into_iter()
                .map(SessionResponse::from)
                .collect::<Vec<_>>(),
        ))
}

/// Ends one of the caller's sessions (signs that device out): its refresh token and access tokens stop
/// working. `404` when the caller has no such session (someone else's is not found either).
#[utoipa::path(
    delete,
    path = "/users/me/sessions/{session_id}",
    tag = "auth",
    operation_id = "end_session",
    params(SessionIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn end(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<SessionId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.auth.end_session(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
