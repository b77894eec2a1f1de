//! `/users/…`: registration, profiles, the caller.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_app::users::{MAX_BATCH_IDS, Profile};
use plaza_domain::user::{Email, FullName, Password, User, Username};
use plaza_domain::{PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::respond::{list, serialize_time};
use crate::state::AppState;

/// A user as others see them; `email` only when the caller is that user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: i64,
    pub username: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// Where the avatar image is served, relative to the API's root.
    pub avatar_url: Option<String>,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

impl UserResponse {
    /// What anyone may see.
    pub fn public(user: User) -> Self {
        Self {
            id: user.id.get(),
            username: user.username,
            email: None,
            full_name: user.full_name,
            avatar_url: user.avatar.map(|name| format!("/avatars/{name}")),
            created_at: user.created_at,
        }
    }

    /// What the user themself sees.
    pub fn private(user: User) -> Self {
        let email = user.email.clone();
        Self {
            email: Some(email),
            ..Self::public(user)
        }
    }

    /// Private when `viewer` is the user, public otherwise.
    pub fn for_viewer(user: User, viewer: Option<&User>) -> Self {
        if viewer.is_some_and(|viewer| viewer.id == user.id) {
            Self::private(user)
        } else {
            Self::public(user)
        }
    }
}

/// A registration or a full profile replacement. `hashed_password` is the original design's name for the
/// same plain password; the server hashes it either way.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UserBody {
    pub username: String,
    pub email: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub hashed_password: Option<String>,
}

impl UserBody {
    /// The validated profile and password (`None` only when `password_required` is false and none came).
    fn into_domain(self, password_required: bool) -> Result<(Profile, Option<Password>), ApiError> {
        let mut errors = ValidationErrors::default();
        let username = errors.check("username", Username::parse(self.username));
        let email = errors.check("email", Email::parse(self.email));
        let full_name = errors.check_opt("full_name", self.full_name, FullName::parse);
        let (field, raw_password) = match (self.password, self.hashed_password) {
            (Some(password), _) => ("password", Some(password)),
            (None, hashed) => ("hashed_password", hashed),
        };
        let password = match raw_password {
            Some(raw) => errors.check(field, Password::parse(raw)).map(Some),
            None if password_required => {
                errors.push("password", "field required");
                None
            }
            None => Some(None),
        };
        match (username, email, full_name, password) {
            (Some(username), Some(email), Some(full_name), Some(password)) if errors.is_empty() => Ok((
                Profile {
                    username,
                    email,
                    full_name,
                },
                password,
            )),
            _ => Err(errors.into()),
        }
    }
}

/// `POST /users/`: register. The response is the new user, e-mail included.
pub async fn register(state: web::Data<AppState>, body: ApiJson<UserBody>) -> Result<HttpResponse, ApiError> {
    let (profile, password) = body.0.into_domain(true)?;
    let password = password.ok_or_else(|| ApiError::invalid_field("password", "field required"))?;
    let user = blocking(move || state.services.users.register(profile, &password)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}

/// `GET /users/me`.
pub async fn me(caller: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::private(caller.0))
}

/// `GET /users/{user_id}`: public; the e-mail only for the user themself.
pub async fn get(
    state: web::Data<AppState>,
    id: PathId<UserId>,
    viewer: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let user = blocking(move || state.services.users.get(id.0)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::for_viewer(user, viewer.0.as_ref())))
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    /// Comma-separated ids: `1,2,3`.
    ids: Option<String>,
    skip: Option<i64>,
    limit: Option<i64>,
}

/// `GET /users/?ids=1,2,3`: public profiles of up to 100 users in one call; unknown ids are left out.
/// Without `ids`, every user, paged.
pub async fn list_users(
    state: web::Data<AppState>,
    query: ApiQuery<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let users = match query.ids {
        Some(raw) => {
            let ids = parse_ids(&raw)?;
            let page = PageRequest::with_default_limit(query.skip, query.limit, MAX_BATCH_IDS as u32)?;
            let found = blocking(move || state.services.users.get_many(&ids)).await?;
            let total = found.len() as u64;
            let items = found
                .into_iter()
                .skip(usize::try_from(page.skip()).unwrap_or(usize::MAX))
                .take(page.limit() as usize)
                .collect();
            plaza_domain::Page { items, total }
        }
        None => {
            let page = PageRequest::new(query.skip, query.limit)?;
            blocking(move || state.services.users.list(page)).await?
        }
    };
    Ok(list(users.map(UserResponse::public), &[]))
}

/// Comma-separated positive ids; how many may be asked for at once is the use case's rule.
fn parse_ids(raw: &str) -> Result<Vec<UserId>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<i64>().ok().filter(|id| *id > 0).map(UserId))
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::bad_request("ids must be comma-separated positive integers"))
}

/// `PUT /users/{user_id}`: the user themself replaces their profile; no password keeps the old one, a
/// left-out `full_name` clears it (a `PUT` replaces the whole profile).
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<UserId>,
    body: ApiJson<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let (profile, password) = body.0.into_domain(false)?;
    let user = blocking(move || {
        state
            .services
            .users
            .update(&caller.0, id.0, profile, password.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}
