//! Avatar upload (`PUT /users/{user_id}/avatar`) and download (`GET /avatars/{name}`).

use actix_multipart::{Multipart, MultipartError};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::TryStreamExt;
use plaza_domain::UserId;
use plaza_domain::avatar::ImageKind;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{blocking, media_type};
use crate::openapi::{BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;
use crate::users::{UserIdParam, UserResponse};

/// The avatar form: one file field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AvatarForm {
    /// A PNG, JPEG, GIF or WebP image (recognised by its bytes), at most 2 MiB.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// The form field that carries the image.
const FILE_FIELD: &str = "file";

fn too_large() -> ApiError {
    ApiError::payload_too_large(format!(
        "the avatar exceeds {} MiB",
        ImageKind::MAX_BYTES / (1024 * 1024)
    ))
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => {
            ApiError::unsupported_media_type("the avatar must be sent as multipart/form-data")
        }
        other => ApiError::bad_request(format!("the multipart body could not be read: {other}")),
    }
}

/// What the rest of a form (boundaries, headers, small fields) may add to the image before it is refused.
const FORM_OVERHEAD: usize = 64 * 1024;

/// Reads the `file` field, keeping at most 2 MiB in memory: the upload is refused the moment the image,
/// or the whole form, passes its limit, before the rest is read. Other fields are skipped.
async fn read_file(mut form: Multipart) -> Result<Vec<u8>, ApiError> {
    let mut form_bytes = 0usize;
    let mut image = None;
    while let Some(mut field) = form.try_next().await.map_err(multipart_error)? {
        let is_file = image.is_none() && field.name() == Some(FILE_FIELD);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(multipart_error)? {
            form_bytes += chunk.len();
            if form_bytes > ImageKind::MAX_BYTES + FORM_OVERHEAD {
                return Err(too_large());
            }
            if is_file {
                if bytes.len() + chunk.len() > ImageKind::MAX_BYTES {
                    return Err(too_large());
                }
                bytes.extend_from_slice(&chunk);
            }
        }
        if is_file {
            image = Some(bytes);
        }
    }
    image.ok_or_else(|| ApiError::invalid_field(FILE_FIELD, "field required"))
}

/// Sets the caller's avatar: a PNG, JPEG, GIF or WebP image, judged by its bytes, at most 2 MiB.
#[utoipa::path(
    put,
    path = "/users/{user_id}/avatar",
    tag = "users",
    operation_id = "upload_avatar",
    params(UserIdParam),
    request_body(content = AvatarForm, content_type = "multipart/form-data"),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user with the new `avatar_url`", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: crate::extract::PathId<UserId>,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    if media_type(&req).is_none_or(|media| media != "multipart/form-data") {
        return Err(ApiError::unsupported_media_type(
            "the avatar must be sent as multipart/form-data",
        ));
    }
    let image = read_file(form).await?;
    let user = blocking(move || state.services.users.set_avatar(&caller.0, id.0, &image)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}

/// An avatar image, with its content type. Only names the server handed out (in `avatar_url`) resolve.
#[utoipa::path(
    get,
    path = "/avatars/{name}",
    tag = "users",
    operation_id = "get_avatar",
    params(("name" = String, Path, description = "The file name from a user's `avatar_url`")),
    responses(
        (status = 200, description = "The image", content(
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"),
        )),
        (status = 404, response = NotFound),
    )
)]
pub async fn download(state: web::Data<AppState>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let (kind, bytes) = blocking(move || state.services.users.avatar(&name)).await?;
    Ok(HttpResponse::Ok()
        .content_type(kind.mime_type())
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "public, max-age=31536000, immutable"))
        .body(bytes))
}
