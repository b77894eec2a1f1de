//! Roles (`PUT /users/{user_id}/role`) and the public moderation log (`GET /modlog`).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::modlog::{ModAction, ModLogEntry, ModReason, TargetKind};
use plaza_domain::role::Role;
use plaza_domain::user::BanReason;
use plaza_domain::{PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::Field;
use crate::respond::{list, parse_time, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::role::RoleName;
use crate::state::AppState;
use crate::tickets::serialize_optional_time;
use crate::users::{UserIdParam, UserResponse};

/// A new role for a user, and why (shown in the moderation log).
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetRoleBody {
    #[serde(default)]
    #[schema(value_type = RoleName, required = true)]
    pub role: Field<String>,
    /// Why, for the moderation log; at most 1,000 characters.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub reason: Field<String>,
}

/// Gives a user a role; only an admin may. Giving the role the user holds changes nothing and logs
/// nothing. The last admin cannot step down (`409 last_admin`): make another admin first.
#[utoipa::path(
    put,
    path = "/users/{user_id}/role",
    tag = "moderation",
    operation_id = "set_user_role",
    params(UserIdParam),
    request_body = SetRoleBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user with their role now (the e-mail only if it is the caller)",
            body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`last_admin`: the community's last admin cannot stop being one",
            body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn set_role(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<UserId>,
    body: ApiJson<SetRoleBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let role = body.0.role.required("role", &mut errors, |raw| Role::parse(&raw));
    let reason = body.0.reason.optional("reason", &mut errors, ModReason::parse);
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    // An empty reason is no reason: the log shows `null`, as for one left out.
    let reason = reason.given().filter(|reason| !reason.as_str().trim().is_empty());
    let caller = caller.0;
    let viewer = caller.clone();
    let user = blocking(move || state.services.moderation.set_role(&caller, id.0, role, reason)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::for_viewer(user, Some(&viewer))))
}

/// Someone named in the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModeratorResponse {
    pub id: i64,
    pub username: String,
}

/// What a moderator acted on.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModTargetResponse {
    pub kind: TargetKindName,
    /// The thing's id among things of its kind (it may no longer exist).
    pub id: i64,
    /// The user's name now, when the target is an account that still exists; otherwise `null`.
    #[schema(required = true)]
    pub username: Option<String>,
}

/// The kind of thing a moderator acted on.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TargetKindName {
    Comment,
    Post,
    Event,
    User,
}

impl From<TargetKind> for TargetKindName {
    fn from(kind: TargetKind) -> Self {
        match kind {
            TargetKind::Comment => TargetKindName::Comment,
            TargetKind::Post => TargetKindName::Post,
            TargetKind::Event => TargetKindName::Event,
            TargetKind::User => TargetKindName::User,
        }
    }
}

/// What was done: `set_role` (the target user's role became `role`), `ban` (until `until`), `unban`,
/// `remove` (the target comment, post or event was removed; its text is not shown here).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModActionName {
    SetRole,
    Ban,
    Unban,
    Remove,
}

/// One act of moderation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModLogEntryResponse {
    pub id: i64,
    pub action: ModActionName,
    /// For `set_role`: the role given; otherwise `null`.
    #[schema(required = true)]
    pub role: Option<RoleName>,
    /// Who acted; `null` when it was done from the command line (`plaza admin`).
    #[schema(required = true)]
    pub moderator: Option<ModeratorResponse>,
    pub target: ModTargetResponse,
    /// Why, in the moderator's words; `null` when none was given.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// For `ban`: when it lifts itself (`null`: until lifted); `null` for every other action.
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub until: Option<DateTime<Utc>>,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

impl From<ModLogEntry> for ModLogEntryResponse {
    fn from(entry: ModLogEntry) -> Self {
        let action = match entry.action {
            ModAction::SetRole(_) => ModActionName::SetRole,
            ModAction::Ban { .. } => ModActionName::Ban,
            ModAction::Unban => ModActionName::Unban,
            ModAction::Remove => ModActionName::Remove,
        };
        Self {
            id: entry.id.get(),
            action,
            role: entry.action.role().map(RoleName::from),
            moderator: entry
                .moderator
                .zip(entry.moderator_username)
                .map(|(id, username)| ModeratorResponse {
                    id: id.get(),
                    username,
                }),
            target: ModTargetResponse {
                kind: entry.target.kind.into(),
                id: entry.target.id,
                username: entry.target_username,
            },
            reason: entry.reason,
            until: entry.action.until(),
            created_at: entry.created_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModLogQuery {
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
}

/// The moderation log, newest first: every role change, removal, ban and lifted ban with who made it, to
/// what and why (a removed item's text is not shown). Public, so a community can see how it is run.
#[utoipa::path(
    get,
    path = "/modlog",
    tag = "moderation",
    operation_id = "list_modlog",
    params(ModLogQuery),
    responses(
        (status = 200, description = "A page of the log, newest first", body = [ModLogEntryResponse],
            headers(("X-Total-Count" = u64, description = "Entries in the log"))),
        (status = 204, description = "No entry on this page",
            headers(("X-Total-Count" = u64, description = "Entries in the log"))),
        (status = 400, response = BadRequest),
    )
)]
pub async fn list_modlog(
    state: web::Data<AppState>,
    query: ApiQuery<ModLogQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(query.0.skip, query.0.limit)?;
    let entries = blocking(move || state.services.moderation.log(page)).await?;
    Ok(list(entries.map(ModLogEntryResponse::from), &[]))
}

/// A ban: why (told to the banned user and shown in the moderation log) and until when.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BanUserBody {
    /// 1–1,000 characters.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1000)]
    pub reason: Field<String>,
    /// When the ban lifts itself, in the future; `null` or left out: until a moderator lifts it.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Field<String>,
}

/// Bans a user: from their next request on, on every instance, their tokens and logins are refused with
/// `403 account_banned` (with the reason and `until`), and their open streams end. Moderators ban
/// members; admins ban members and moderators; nobody bans an admin or themself. Banning someone already
/// banned replaces the ban.
#[utoipa::path(
    post,
    path = "/users/{user_id}/ban",
    tag = "moderation",
    operation_id = "ban_user",
    params(UserIdParam),
    request_body = BanUserBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The banned user, with `ban`", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn ban(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<UserId>,
    body: ApiJson<BanUserBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let reason = body.0.reason.required("reason", &mut errors, BanReason::parse);
    let until = body.0.until.optional("until", &mut errors, |raw| {
        parse_time(&raw).map_err(plaza_domain::Invalid::new)
    });
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let caller = caller.0;
    let viewer = caller.clone();
    let user = blocking(move || {
        state
            .services
            .moderation
            .ban(&caller, id.0, reason, until.given())
    })
    .await?;
    Ok(HttpResponse::Ok().json(UserResponse::for_viewer(user, Some(&viewer))))
}

/// Lifts a user's ban (moderators for members, admins for members and moderators); without a ban,
/// nothing changes.
#[utoipa::path(
    delete,
    path = "/users/{user_id}/ban",
    tag = "moderation",
    operation_id = "lift_ban",
    params(UserIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user, without `ban`", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn lift_ban(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<UserId>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let viewer = caller.clone();
    let user = blocking(move || state.services.moderation.lift_ban(&caller, id.0)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::for_viewer(user, Some(&viewer))))
}
