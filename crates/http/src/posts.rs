//! `/posts/…`.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::post::{NewPost, Post, PostContent, PostTitle};
use plaza_domain::{PageRequest, PostId, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::respond::{list, serialize_time};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub owner_id: i64,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
}

impl From<Post> for PostResponse {
    fn from(post: Post) -> Self {
        Self {
            id: post.id.get(),
            title: post.title,
            content: post.content,
            owner_id: post.owner_id.get(),
            created_at: post.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePostBody {
    pub title: String,
    pub content: String,
}

#[derive(Debug, Deserialize)]
pub struct PostListQuery {
    skip: Option<i64>,
    limit: Option<i64>,
    owner_id: Option<i64>,
}

/// `POST /posts/`.
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreatePostBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let title = errors.check("title", PostTitle::parse(body.0.title));
    let content = errors.check("content", PostContent::parse(body.0.content));
    let (Some(title), Some(content)) = (title, content) else {
        return Err(errors.into());
    };
    let new = NewPost {
        title,
        content,
        owner_id: caller.0.id,
    };
    let post = blocking(move || state.services.posts.create(new)).await?;
    Ok(HttpResponse::Ok().json(PostResponse::from(post)))
}

/// `GET /posts/`: newest first, optionally one author's.
pub async fn list_posts(
    state: web::Data<AppState>,
    query: ApiQuery<PostListQuery>,
) -> Result<HttpResponse, ApiError> {
    let PostListQuery {
        skip,
        limit,
        owner_id,
    } = query.0;
    let page = PageRequest::new(skip, limit);
    let mut errors = page.clone().err().unwrap_or_default();
    if owner_id.is_some_and(|id| id <= 0) {
        errors.push("owner_id", "must be a positive integer");
    }
    let page = match page {
        Ok(page) if errors.is_empty() => page,
        _ => return Err(errors.into()),
    };
    let posts = blocking(move || state.services.posts.list(owner_id.map(UserId), page)).await?;
    Ok(list(posts.map(PostResponse::from), &[]))
}

/// `GET /posts/{post_id}`.
pub async fn get(state: web::Data<AppState>, id: PathId<PostId>) -> Result<HttpResponse, ApiError> {
    let post = blocking(move || state.services.posts.get(id.0)).await?;
    Ok(HttpResponse::Ok().json(PostResponse::from(post)))
}

/// `DELETE /posts/{post_id}`: the author only.
pub async fn delete(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<PostId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.posts.delete(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
