//! `/comments/{event_id}`: comments on an event.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::comment::{Comment, CommentContent};
use plaza_domain::{EventId, PageRequest, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::events::EventIdParam;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::Field;
use crate::respond::{list, serialize_time};
use crate::responses::{BadRequest, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentResponse {
    pub id: i64,
    pub content: String,
    pub event_id: i64,
    pub owner_id: i64,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

impl From<Comment> for CommentResponse {
    fn from(comment: Comment) -> Self {
        Self {
            id: comment.id.get(),
            content: comment.content,
            event_id: comment.event_id.get(),
            owner_id: comment.owner_id.get(),
            created_at: comment.created_at,
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
