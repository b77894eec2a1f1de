//! `/comments/{event_id}`: comments on an event.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::comment::{Comment, CommentContent};
use plaza_domain::{EventId, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::respond::{list, serialize_time};
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
    pub content: String,
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    skip: Option<i64>,
    limit: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.skip, self.limit)?)
    }
}

/// `POST /comments/{event_id}`: the comment, and in the same transaction a notification to the event's
/// owner and every earlier commenter (each once, never the author).
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    event: PathId<EventId>,
    body: ApiJson<CreateCommentBody>,
) -> Result<HttpResponse, ApiError> {
    let content = CommentContent::parse(body.0.content)
        .map_err(|invalid| ApiError::invalid_field("content", invalid.0))?;
    let comment = blocking(move || state.services.comments.post(&caller.0, event.0, content)).await?;
    Ok(HttpResponse::Ok().json(CommentResponse::from(comment)))
}

/// `GET /comments/{event_id}`: oldest first; `404` when the event does not exist.
pub async fn list_comments(
    state: web::Data<AppState>,
    event: PathId<EventId>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.0.page()?;
    let comments = blocking(move || state.services.comments.list(event.0, page)).await?;
    Ok(list(comments.map(CommentResponse::from), &[]))
}
