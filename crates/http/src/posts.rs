//! `/posts/…`.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::post::{Post, PostChanges, PostContent, PostTitle};
use plaza_domain::{PageRequest, PostId, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::Field;
use crate::respond::{list, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::state::AppState;
use crate::tickets::serialize_optional_time;

#[derive(Debug, Serialize, ToSchema)]
pub struct PostResponse {
    pub id: i64,
    pub title: String,
    pub content: String,
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

impl From<Post> for PostResponse {
    fn from(post: Post) -> Self {
        Self {
            id: post.id.get(),
            title: post.title,
            content: post.content,
            owner_id: post.owner_id.get(),
            created_at: post.created_at,
            edited_at: post.edited_at,
            removed: false,
        }
    }
}

impl From<plaza_app::Seen<Post>> for PostResponse {
    fn from(seen: plaza_app::Seen<Post>) -> Self {
        Self {
            removed: seen.removed,
            ..Self::from(seen.item)
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreatePostBody {
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub title: Field<String>,
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 50000)]
    pub content: Field<String>,
}

/// The fields to change, each optional; `null` is not a value for either, and an empty object changes
/// nothing.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatchPostBody {
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 200)]
    pub title: Field<String>,
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 50000)]
    pub content: Field<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostListQuery {
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
    /// Only this author's posts.
    #[param(nullable = false, minimum = 1)]
    owner_id: Option<i64>,
}

/// The `post_id` path parameter.
#[derive(IntoParams)]
#[into_params(names("post_id"), parameter_in = Path)]
pub struct PostIdParam(
    /// The post's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// Writes a post as the caller.
#[utoipa::path(
    post,
    path = "/posts/",
    tag = "posts",
    operation_id = "create_post",
    request_body = CreatePostBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The new post", body = PostResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, description = "`email_unverified`: this Plaza requires a verified address to write (`REQUIRE_VERIFIED_EMAIL`); `account_banned`", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreatePostBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let title = body.0.title.required("title", &mut errors, PostTitle::parse);
    let content = body
        .0
        .content
        .required("content", &mut errors, PostContent::parse);
    let (Some(title), Some(content)) = (title, content) else {
        return Err(errors.into());
    };
    let post = blocking(move || state.services.posts.create(&caller.0, title, content)).await?;
    Ok(HttpResponse::Ok().json(PostResponse::from(post)))
}

/// Lists posts, newest first (`created_at`, then `id`, descending), optionally one author's.
#[utoipa::path(
    get,
    path = "/posts/",
    tag = "posts",
    operation_id = "list_posts",
    params(PostListQuery),
    responses(
        (status = 200, description = "A page of posts", body = [PostResponse],
            headers(("X-Total-Count" = u64, description = "Posts matching, before `skip` and `limit`"))),
        (status = 204, description = "No post on this page",
            headers(("X-Total-Count" = u64, description = "Posts matching, before `skip` and `limit`"))),
        (status = 400, response = BadRequest),
    )
)]
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
    let owner_id = match owner_id.map(UserId::parse).transpose() {
        Ok(owner_id) => owner_id,
        Err(invalid) => {
            errors.push("owner_id", invalid.0);
            None
        }
    };
    let page = match page {
        Ok(page) if errors.is_empty() => page,
        _ => return Err(errors.into()),
    };
    let posts = blocking(move || state.services.posts.list(owner_id, page)).await?;
    Ok(list(posts.map(PostResponse::from), &[]))
}

/// One post. A post a moderator removed is `404`, except to its author, moderators and admins, who read
/// it with `"removed": true`. A token is optional, but one that is sent must be valid.
#[utoipa::path(
    get,
    path = "/posts/{post_id}",
    tag = "posts",
    operation_id = "get_post",
    params(PostIdParam),
    security((), ("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The post", body = PostResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    id: PathId<PostId>,
    viewer: MaybeAuthUser,
) -> Result<HttpResponse, ApiError> {
    let post = blocking(move || state.services.posts.seen(viewer.0.as_ref(), id.0)).await?;
    Ok(HttpResponse::Ok().json(PostResponse::from(post)))
}

/// Edits a post; only its author may. The changed post carries `edited_at`; an empty object changes
/// nothing and returns the post as it is.
#[utoipa::path(
    patch,
    path = "/posts/{post_id}",
    tag = "posts",
    operation_id = "update_post",
    params(PostIdParam),
    request_body = PatchPostBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The post as it now reads", body = PostResponse),
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
    id: PathId<PostId>,
    body: ApiJson<PatchPostBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let title = body
        .0
        .title
        .optional_not_null("title", &mut errors, PostTitle::parse);
    let content = body
        .0
        .content
        .optional_not_null("content", &mut errors, PostContent::parse);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let changes = PostChanges {
        title: title.given(),
        content: content.given(),
    };
    let post = blocking(move || state.services.posts.update(&caller.0, id.0, changes)).await?;
    Ok(HttpResponse::Ok().json(PostResponse::from(post)))
}

/// Deletes a post: its author deletes it; a moderator or an admin removes it (logged in the moderation
/// log; a copy is kept for them and the author).
#[utoipa::path(
    delete,
    path = "/posts/{post_id}",
    tag = "posts",
    operation_id = "delete_post",
    params(PostIdParam),
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
    id: PathId<PostId>,
) -> Result<HttpResponse, ApiError> {
    blocking(move || state.services.posts.delete(&caller.0, id.0)).await?;
    Ok(HttpResponse::NoContent().finish())
}
