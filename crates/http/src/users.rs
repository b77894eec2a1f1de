//! `/users/…`: registration, profiles, the caller.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_app::users::{MAX_BATCH_IDS, Profile};
use plaza_domain::user::{Email, FullName, Locale, NotificationMail, Password, TimeZoneName, User, Username};
use plaza_domain::{PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::{Field, Optional};
use crate::respond::{list, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::role::RoleName;
use crate::state::AppState;

/// A user as others see them; `email` only when the caller is that user.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: i64,
    pub username: String,
    /// Only when the caller is this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = Email)]
    pub email: Option<String>,
    /// The language the user reads Plaza in (`"en"` or `"zh-CN"`); only when the caller is this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = String, pattern = "^(en|zh-CN)$")]
    pub locale: Option<&'static str>,
    /// Whether a link mailed to `email` was opened; only when the caller is this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub email_verified: Option<bool>,
    /// Mail about notifications (`"off"`, `"each"`, `"daily"`); only when the caller is this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = String, pattern = "^(off|each|daily)$")]
    pub email_notifications: Option<&'static str>,
    /// An IANA time zone name (daily digests go out at 08:00 there); only when the caller is this user.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, value_type = String)]
    pub time_zone: Option<&'static str>,
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// Where the avatar image is served, relative to the API's root: `/avatars/<name>`.
    #[schema(required = true)]
    pub avatar_url: Option<String>,
    /// Public: what the user may do beyond their own things.
    pub role: RoleName,
    /// The ban that holds on the user, shown only to moderators and admins; left out otherwise, and
    /// when no ban holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub ban: Option<UserBan>,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// `true` once the account's owner deleted it: `username` is then `"deleted user"`, `full_name` and
    /// `avatar_url` are `null`, and what they wrote stays, shown as by "deleted user".
    pub deleted: bool,
}

/// A ban on a user, as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBan {
    pub reason: String,
    /// When it lifts itself; `null`: until a moderator lifts it.
    #[serde(serialize_with = "crate::tickets::serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub until: Option<DateTime<Utc>>,
    /// When it was given.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub since: DateTime<Utc>,
}

impl UserResponse {
    /// What anyone may see.
    pub fn public(user: User) -> Self {
        let deleted = user.is_deleted();
        Self {
            ban: None,
            id: user.id.get(),
            username: user.shown_username().to_owned(),
            deleted,
            email: None,
            locale: None,
            email_verified: None,
            email_notifications: None,
            time_zone: None,
            full_name: user.full_name.filter(|_| !deleted),
            avatar_url: user
                .avatar
                .filter(|_| !deleted)
                .map(|name| format!("/avatars/{name}")),
            role: user.role.into(),
            created_at: user.created_at,
        }
    }

    /// What the user themself sees.
    pub fn private(user: User) -> Self {
        let email = user.email.clone();
        let locale = user.locale.as_str();
        Self {
            email: Some(email),
            locale: Some(locale),
            email_verified: Some(user.email_verified_at.is_some()),
            email_notifications: Some(user.notification_mail.as_str()),
            time_zone: Some(user.time_zone.as_str()),
            ..Self::public(user)
        }
    }

    /// Private when `viewer` is the user, public otherwise; with the ban that holds when `viewer`
    /// moderates.
    pub fn for_viewer(user: User, viewer: Option<&User>) -> Self {
        let ban = viewer
            .filter(|viewer| viewer.role.moderates())
            .and_then(|_| user.active_ban(Utc::now()))
            .map(|ban| UserBan {
                reason: ban.reason.clone(),
                until: ban.until,
                since: ban.since,
            });
        let response = if viewer.is_some_and(|viewer| viewer.id == user.id) {
            Self::private(user)
        } else {
            Self::public(user)
        };
        Self { ban, ..response }
    }
}

/// A registration: a password is required, as `password` or — the original design's name for the same
/// plain password — `hashed_password`. The server hashes it either way.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterBody {
    /// 3–32 of `A-Z a-z 0-9 _ . -`, unique ignoring case.
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: Field<String>,
    /// Unique ignoring case.
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    pub email: Field<String>,
    /// Shown to others instead of the user name; `null` or left out: none.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub full_name: Field<String>,
    /// 8–72 bytes; `null` counts as not sent.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 8, max_length = 72)]
    pub password: Field<String>,
    /// The same plain password under the original design's name; used when `password` is not sent, and
    /// checked like it whenever it is sent.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 8, max_length = 72)]
    pub hashed_password: Field<String>,
    /// The language the user reads Plaza in: `"en"` or `"zh-CN"`; left out or `null`: `"en"`.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(en|zh-CN)$")]
    pub locale: Field<String>,
}

/// A full replacement of the caller's profile: a left-out `full_name` clears it, a left-out password keeps
/// the old one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUserBody {
    #[serde(default)]
    #[schema(value_type = String, required = true, pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: Field<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, format = Email, max_length = 254)]
    pub email: Field<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub full_name: Field<String>,
    /// A new password, 8–72 bytes; changing it invalidates every token issued before.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 8, max_length = 72)]
    pub password: Field<String>,
    /// The same under the original design's name.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 8, max_length = 72)]
    pub hashed_password: Field<String>,
    /// The language the user reads Plaza in: `"en"` or `"zh-CN"`; left out or `null`: unchanged.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(en|zh-CN)$")]
    pub locale: Field<String>,
    /// Mail about notifications: `"off"`, `"each"` (at most one mail per 10 minutes) or `"daily"` (08:00
    /// in `time_zone`); left out or `null`: unchanged.
    #[serde(default)]
    #[schema(value_type = Option<String>, pattern = "^(off|each|daily)$")]
    pub email_notifications: Field<String>,
    /// An IANA time zone name (`Europe/Berlin`); left out or `null`: unchanged.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub time_zone: Field<String>,
}

/// The fields both bodies share.
struct UserFields {
    username: Field<String>,
    email: Field<String>,
    full_name: Field<String>,
    password: Field<String>,
    hashed_password: Field<String>,
    locale: Field<String>,
    email_notifications: Field<String>,
    time_zone: Field<String>,
}

impl From<RegisterBody> for UserFields {
    fn from(body: RegisterBody) -> Self {
        Self {
            username: body.username,
            email: body.email,
            full_name: body.full_name,
            password: body.password,
            hashed_password: body.hashed_password,
            locale: body.locale,
            email_notifications: Field::Absent,
            time_zone: Field::Absent,
        }
    }
}

impl From<UpdateUserBody> for UserFields {
    fn from(body: UpdateUserBody) -> Self {
        Self {
            username: body.username,
            email: body.email,
            full_name: body.full_name,
            password: body.password,
            hashed_password: body.hashed_password,
            locale: body.locale,
            email_notifications: body.email_notifications,
            time_zone: body.time_zone,
        }
    }
}

impl UserFields {
    /// The validated profile and password (`None` only when `password_required` is false and none came).
    fn into_domain(self, password_required: bool) -> Result<(Profile, Option<Password>), ApiError> {
        let mut errors = ValidationErrors::default();
        let username = self.username.required("username", &mut errors, Username::parse);
        let email = self.email.required("email", &mut errors, Email::parse);
        let full_name = self.full_name.optional("full_name", &mut errors, FullName::parse);
        let locale = self
            .locale
            .optional("locale", &mut errors, |raw| Locale::parse(&raw));
        let notification_mail =
            self.email_notifications
                .optional("email_notifications", &mut errors, |raw| {
                    NotificationMail::parse(&raw)
                });
        let time_zone = self
            .time_zone
            .optional("time_zone", &mut errors, |raw| TimeZoneName::parse(&raw));
        // Both names are checked when both are sent; `password` wins.
        let password = self.password.optional("password", &mut errors, Password::parse);
        let hashed = self
            .hashed_password
            .optional("hashed_password", &mut errors, Password::parse);
        let password = match (password, hashed) {
            (Optional::Given(password), _) | (Optional::Absent, Optional::Given(password)) => Some(password),
            (Optional::Absent, Optional::Absent) => {
                if password_required {
                    errors.push("password", crate::field::REQUIRED);
                }
                None
            }
            // Refused, and recorded.
            _ => None,
        };
        match (username, email) {
            (Some(username), Some(email)) if errors.is_empty() => Ok((
                Profile {
                    username,
                    email,
                    full_name: full_name.given(),
                    locale: locale.given(),
                    notification_mail: notification_mail.given(),
                    time_zone: time_zone.given(),
                },
                password,
            )),
            _ => Err(errors.into()),
        }
    }
}

/// Registers an account. The response is the new user, e-mail included.
#[utoipa::path(
    post,
    path = "/users/",
    tag = "users",
    operation_id = "register",
    request_body = RegisterBody,
    responses(
        (status = 200, description = "The new user, with the e-mail", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 409, description = "`username_taken` or `email_taken` (ignoring case)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn register(
    state: web::Data<AppState>,
    body: ApiJson<RegisterBody>,
) -> Result<HttpResponse, ApiError> {
    let (profile, password) = UserFields::from(body.0).into_domain(true)?;
    let password = password.ok_or_else(|| ApiError::invalid_field("password", "field required"))?;
    let user = blocking(move || state.services.users.register(profile, &password)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}

/// The caller, e-mail included.
#[utoipa::path(
    get,
    path = "/users/me",
    tag = "users",
    operation_id = "me",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller", body = UserResponse),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn me(caller: AuthUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::private(caller.0))
}

/// Deleting one's own account: the password again, so that a token left on a shared computer is not
/// enough.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteAccountBody {
    /// The account's current password.
    #[schema(format = Password)]
    pub password: String,
}

/// Deletes the caller's account for good. Its e-mail address, password hash, display name and avatar are
/// erased at once, every session and stream of it ends, its inbox and waitlist places go; its user name
/// stays taken, and the events, posts and comments it wrote stay, shown as by "deleted user".
#[utoipa::path(
    delete,
    path = "/users/me",
    tag = "users",
    operation_id = "delete_me",
    request_body = DeleteAccountBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "The account is deleted"),
        (status = 400, description = "`validation_failed` on `password` when it is missing or not the account's", body = ErrorBody),
        (status = 401, response = Unauthorized),
        (status = 409, description = "`last_admin`: the community's only admin cannot leave before naming another", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn delete_me(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<DeleteAccountBody>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.users.delete_account(&caller.0, &body.0.password)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A user's profile: public; the e-mail only when the caller is that user. A token is optional, but one
/// that is sent must be valid.
#[utoipa::path(
    get,
    path = "/users/{user_id}",
    tag = "users",
    operation_id = "get_user",
    params(UserIdParam),
    security((), ("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    id: PathId<UserId>,
    viewer: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let user = blocking(move || state.services.users.get(id.0)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::for_viewer(user, viewer.0.as_ref())))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Up to 100 comma-separated user ids, e.g. `1,2,3`; duplicates are ignored.
    #[param(nullable = false, pattern = "^[0-9]+(,[0-9]+)*$", example = "1,2,3")]
    ids: Option<String>,
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    /// Default 10, or 100 with `ids`.
    #[param(nullable = false, minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Only the users who hold this role (not with `ids`).
    #[param(nullable = false)]
    role: Option<RoleName>,
}

/// The `user_id` path parameter.
#[derive(IntoParams)]
#[into_params(names("user_id"), parameter_in = Path)]
pub struct UserIdParam(
    /// The user's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// Public profiles (never the e-mail): with `ids`, of up to 100 users in one call, unknown ids left out;
/// with `role`, the users who hold it (the moderators, say), by id, paged; with neither, every user by id,
/// paged. `ids` and `role` together are `400`.
#[utoipa::path(
    get,
    path = "/users/",
    tag = "users",
    operation_id = "list_users",
    params(UsersQuery),
    responses(
        (status = 200, description = "Users, by id", body = [UserResponse],
            headers(("X-Total-Count" = u64, description = "Users found, before `skip` and `limit`"))),
        (status = 204, description = "No user on this page",
            headers(("X-Total-Count" = u64, description = "Users found, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list_users(
    state: web::Data<AppState>,
    query: ApiQuery<UsersQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let users = match (query.ids, query.role) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("use either ids or role, not both")),
        (None, Some(role)) => {
            let page = PageRequest::new(query.skip, query.limit)?;
            blocking(move || state.services.moderation.holders(role.into(), page)).await?
        }
        (Some(raw), None) => {
            let ids = parse_ids(&raw)?;
            let page = PageRequest::with_default_limit(query.skip, query.limit, MAX_BATCH_IDS as u32)?;
            blocking(move || state.services.users.get_many(&ids, page)).await?
        }
        (None, None) => {
            let page = PageRequest::new(query.skip, query.limit)?;
            blocking(move || state.services.users.list(page)).await?
        }
    };
    Ok(list(users.map(UserResponse::public), &[]))
}

/// Comma-separated positive ids; how many may be asked for at once is the use case's rule. An empty list
/// (`ids=`) is left to that rule; an empty element (`4,,4`, `4,`) is a malformed list.
fn parse_ids(raw: &str) -> Result<Vec<UserId>, ApiError> {
    if raw.trim().is_empty() {
        return Ok(Vec::new());
    }
    raw.split(',')
        .map(str::trim)
        .map(|part| part.parse::<i64>().ok().and_then(|id| UserId::parse(id).ok()))
        .collect::<Option<_>>()
        .ok_or_else(|| ApiError::bad_request("ids must be comma-separated positive integers"))
}

/// Replaces the caller's own profile: no password keeps the old one, a left-out `full_name` clears it.
#[utoipa::path(
    put,
    path = "/users/{user_id}",
    tag = "users",
    operation_id = "update_user",
    params(UserIdParam),
    request_body = UpdateUserBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The changed user, with the e-mail", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`username_taken` or `email_taken` (ignoring case)", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<UserId>,
    body: ApiJson<UpdateUserBody>,
) -> Result<HttpResponse, ApiError> {
    let (profile, password) = UserFields::from(body.0).into_domain(false)?;
    let user = blocking(move || {
        state
            .services
            .users
            .update(&caller.0, id.0, profile, password.as_ref())
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}
