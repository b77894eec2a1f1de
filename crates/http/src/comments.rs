//! `/comments/{event_id}`: comments on an event.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::comment::{Comment, CommentContent};
use plaza_domain::{CommentId, EventId, PageRequest, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorBody};
use crate::events::EventIdParam;
use crate::extract::{ApiJson, ApiQuery, PathId, PathIds, blocking};
use crate::field::Field;
use crate::respond::{list, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::state::AppState;
use crate::tickets::serialize_optional_time;

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    pub id: i64,
    pub content: String,
    pub event_id: i64,
    pub owner_id: i64,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// When the author last edited it; `null` if never.
    #[serde(serialize_with = "serialize_optional_time")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<DateTime<Utc>>,
    /// Only on an item that was removed by a moderator, as its author, moderators and admins still see
    /// it: `true`. Absent on everything else (nobody else can read a removed item).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schema(required = false)]
    pub removed: bool,
}

impl From<Comment> for CommentResponse {
    fn from(comment: Comment) -> Self {
        Self {
            id: comment.id.get(),
            content: comment.content,
            event_id: comment.event_id.get(),
            owner_id: comment.owner_id.get(),
            created_at: comment.created_at,
            edited_at: comment.edited_at,
            removed: false,
        }
    }
}

impl From<plaza_app::Seen<Comment>> for CommentResponse {
    fn from(seen: plaza_app::Seen<Comment>) -> Self {
        Self {
            removed: seen.removed,
            ..Self::from(seen.item)
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateCommentBody {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000)]
    pub content: Field<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.skip, self.limit)?)
    }
}

/// Comments on an event as the caller. In the same transaction, notifies the event's owner and every
/// earlier commenter, each once, never the author.
#[utoipa::path(
    post,
    path = "/comments/{event_id}",
    tag = "comments",
    operation_id = "create_comment",
    params(EventIdParam),
    request_body = CreateCommentBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The new comment", body = CommentResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`email_unverified`: this Plaza requires a verified address to write (`REQUIRE_VERIFIED_EMAIL`); `account_banned`", body = ErrorBody),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    event: PathId<EventId>,
    body: ApiJson<CreateCommentBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let Some(content) = body
        .0
        .content
        .required("content", &mut errors, CommentContent::parse)
    else {
        return Err(errors.into());
    };
    let comment = blocking(move || state.services.comments.post(&caller.0, event.0, content)).await?;
    Ok(HttpResponse::Ok().json(CommentResponse::from(comment.comment)))
}

/// An event's comments, oldest first; `404` when the event does not exist.
#[utoipa::path(
    get,
    path = "/comments/{event_id}",
    tag = "comments",
    operation_id = "list_comments",
    params(EventIdParam, PageQuery),
    responses(
        (status = 200, description = "A page of comments", body = [CommentResponse],
            headers(("X-Total-Count" = u64, description = "The event's comments, before `skip` and `limit`"))),
        (status = 204, description = "No comment on this page",
            headers(("X-Total-Count" = u64, description = "The event's comments, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn list_comments(
    state: web::Data<AppState>,
    event: PathId<EventId>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.0.page()?;
    let comments = blocking(move || state.services.comments.list(event.0, page)).await?;
    Ok(list(comments.map(CommentResponse::from), &[]))
}

/// The `event_id` and `comment_id` path parameters.
#[derive(IntoParams)]
#[into_params(names("event_id", "comment_id"), parameter_in = Path)]
pub struct EventCommentParams(
    /// The event's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
    /// The comment's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// One comment on an event. A comment that was removed (by the event's owner, a moderator or an admin) is
/// `404`, except to its author, moderators and admins, who read it with `"removed": true`. A token is
/// optional, but one that is sent must be valid.
#[utoipa::path(
    get,
    path = "/events/{event_id}/comments/{comment_id}",
    tag = "comments",
    operation_id = "get_comment",
    params(EventCommentParams),
    security((), ("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The comment", body = CommentResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    ids: PathIds<EventId, CommentId>,
    viewer: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let PathIds(event, comment) = ids;
    let comment = blocking(move || state.services.comments.seen(viewer.0.as_ref(), event, comment)).await?;
    Ok(HttpResponse::Ok().json(CommentResponse::from(comment)))
}

/// Changes the text of one's own comment; it then carries `edited_at`. Nobody is notified again.
#[utoipa::path(
    patch,
    path = "/events/{event_id}/comments/{comment_id}",
    tag = "comments",
    operation_id = "update_comment",
    params(EventCommentParams),
    request_body = CreateCommentBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The comment as it now reads", body = CommentResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    caller: AuthUser,
    ids: PathIds<EventId, CommentId>,
    body: ApiJson<CreateCommentBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let Some(content) = body
        .0
        .content
        .required("content", &mut errors, CommentContent::parse)
    else {
        return Err(errors.into());
    };
    let PathIds(event, comment) = ids;
    let comment = blocking(move || state.services.comments.edit(&caller.0, event, comment, content)).await?;
    Ok(HttpResponse::Ok().json(CommentResponse::from(comment)))
}

/// Deletes a comment: its author deletes it; the event's owner, a moderator or an admin removes it (logged
/// in the moderation log; a copy is kept for them and the author). The notifications it caused stay.
#[utoipa::path(
    delete,
    path = "/events/{event_id}/comments/{comment_id}",
    tag = "comments",
    operation_id = "delete_comment",
    params(EventCommentParams),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    ids: PathIds<EventId, CommentId>,
) -> Result<HttpResponse, ApiError> {
    let PathIds(event, comment) = ids;
    blocking(move || state.services.comments.delete(&caller.0, event, comment)).await?;
    Ok(HttpResponse::NoContent().finish())
}
