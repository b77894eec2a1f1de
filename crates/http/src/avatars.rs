//! Images: avatar upload (`PUT /users/{user_id}/avatar`), event pictures (`PUT /events/{event_id}/image`),
//! and their download (`GET /avatars/{name}`, `GET /images/{name}`: one store, served the same way).

use actix_files::NamedFile;
use actix_multipart::MultipartError;
use actix_multipart::form::bytes::Bytes as FileBytes;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_web::http::header::{self, ContentDisposition, DispositionType};
use actix_web::{HttpRequest, HttpResponse, web};
use plaza_domain::avatar::ImageKind;
use plaza_domain::event::ImageAlt;
use plaza_domain::{EventId, UserId, ValidationErrors};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::blocking;
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::state::AppState;
use crate::users::{UserIdParam, UserResponse};

/// The avatar form: one file field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AvatarForm {
    /// A PNG, JPEG, GIF or WebP image (recognised by its bytes), at most 2 MiB and 8192 pixels wide and
    /// high. It is stored re-encoded: scaled down to at most 512 pixels, as JPEG (photos) or PNG.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
}

/// The upload as read: the first `file` field, kept in memory up to [`ImageKind::MAX_BYTES`]; other
/// fields are read past and dropped.
#[derive(MultipartForm)]
pub struct AvatarUpload {
    file: Option<FileBytes>,
}

/// What the rest of a form (boundaries, headers, small fields) may add to the image before it is refused.
const FORM_OVERHEAD: usize = 64 * 1024;

/// The form limits: the image at most [`ImageKind::MAX_BYTES`] (the one place that rule lives), the whole
/// form at most that plus [`FORM_OVERHEAD`]; both `413`, refused as soon as they are passed.
pub fn form_config() -> MultipartFormConfig {
    MultipartFormConfig::default()
        .memory_limit(ImageKind::MAX_BYTES)
        .total_limit(ImageKind::MAX_BYTES + FORM_OVERHEAD)
        .error_handler(|error, _| multipart_error(error).into())
}

fn multipart_error(error: MultipartError) -> ApiError {
    match error {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible
        | MultipartError::BoundaryMissing => {
            ApiError::unsupported_media_type("the image must be sent as multipart/form-data")
        }
        MultipartError::Payload(actix_web::error::PayloadError::Overflow) => ApiError::payload_too_large(
            format!("the image exceeds {} MiB", ImageKind::MAX_BYTES / (1024 * 1024)),
        ),
        MultipartError::Payload(ref error) if crate::deadline::is_timeout(error) => {
            ApiError::request_timeout()
        }
        other => ApiError::bad_request(format!("the multipart body could not be read: {other}")),
    }
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
    form: MultipartForm<AvatarUpload>,
) -> Result<HttpResponse, ApiError> {
    let image = form
        .into_inner()
        .file
        .ok_or_else(|| ApiError::invalid_field("file", crate::field::REQUIRED))?
        .data;
    let user = blocking(move || state.services.users.set_avatar(&caller.0, id.0, &image)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::private(user)))
}

/// Removes the caller's avatar, and its image file: the profile shows none again. Removing an avatar
/// that is not there changes nothing and answers the same.
#[utoipa::path(
    delete,
    path = "/users/{user_id}/avatar",
    tag = "users",
    operation_id = "remove_avatar",
    params(UserIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The user, with `avatar_url` null", body = UserResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    )
)]
pub async fn remove(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: crate::extract::PathId<UserId>,
) -> Result<HttpResponse, ApiError> {
    let user = blocking(move || state.services.users.remove_avatar(&caller.0, id.0)).await?;
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
        (status = 200, description = "The image: PNG or JPEG (uploads are re-encoded)", content(
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
        ), headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 206, description = "The part asked for with `Range`"),
        (status = 304, description = "Unchanged since `If-None-Match` / `If-Modified-Since`"),
        (status = 404, response = NotFound),
        (status = 412, description = "`precondition_failed`: `If-Match` / `If-Unmodified-Since` did not hold",
            body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`: the `Range` asked for is outside the image",
            body = ErrorBody, headers(("Content-Range" = String, description = "`bytes */<length>`"))),
    )
)]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    serve(req, state, name.into_inner()).await
}

/// An event's picture, with its content type. Only names the server handed out (in `image_url`) resolve.
#[utoipa::path(
    get,
    path = "/images/{name}",
    tag = "events",
    operation_id = "get_image",
    params(("name" = String, Path, description = "The file name from an event's `image_url`")),
    responses(
        (status = 200, description = "The image: PNG or JPEG (uploads are re-encoded)", content(
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
        ), headers(("ETag" = String), ("Last-Modified" = String))),
        (status = 206, description = "The part asked for with `Range`"),
        (status = 304, description = "Unchanged since `If-None-Match` / `If-Modified-Since`"),
        (status = 404, response = NotFound),
        (status = 412, description = "`precondition_failed`: `If-Match` / `If-Unmodified-Since` did not hold",
            body = ErrorBody),
        (status = 416, description = "`range_not_satisfiable`: the `Range` asked for is outside the image",
            body = ErrorBody, headers(("Content-Range" = String, description = "`bytes */<length>`"))),
    )
)]
pub async fn download_image(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    serve(req, state, name.into_inner()).await
}

/// The event picture form: the image and what it shows.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct EventImageForm {
    /// A PNG, JPEG, GIF or WebP image (recognised by its bytes), at most 2 MiB and 8192 pixels wide and
    /// high. It is stored re-encoded: scaled down to at most 1600 pixels, as JPEG (photos) or PNG.
    #[schema(value_type = String, format = Binary, content_media_type = "application/octet-stream")]
    file: Vec<u8>,
    /// What the picture shows, for people who cannot see it (its `alt` text): 1–300 characters on one
    /// line.
    #[schema(min_length = 1, max_length = 300)]
    alt: String,
}

/// The upload as read: the first `file` and `alt` fields; other fields are read past and dropped.
#[derive(MultipartForm)]
pub struct EventImageUpload {
    file: Option<FileBytes>,
    alt: Option<actix_multipart::form::text::Text<String>>,
}

/// Gives an event its picture (only its owner may), replacing the one it had: a PNG, JPEG, GIF or WebP
/// image, judged by its bytes, at most 2 MiB, with `alt`, what it shows.
#[utoipa::path(
    put,
    path = "/events/{event_id}/image",
    tag = "events",
    operation_id = "upload_event_image",
    params(crate::events::EventIdParam),
    request_body(content = EventImageForm, content_type = "multipart/form-data"),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The event with its new `image_url` and `image_alt`",
            body = crate::events::EventResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn upload_event_image(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: crate::extract::PathId<EventId>,
    form: MultipartForm<EventImageUpload>,
) -> Result<HttpResponse, ApiError> {
    let EventImageUpload { file, alt } = form.into_inner();
    let mut errors = ValidationErrors::default();
    let alt = match alt {
        None => {
            errors.push("alt", crate::field::REQUIRED);
            None
        }
        Some(text) => errors.check("alt", ImageAlt::parse(text.into_inner())),
    };
    if file.is_none() {
        errors.push("file", crate::field::REQUIRED);
    }
    let (Some(file), Some(alt)) = (file, alt) else {
        return Err(errors.into());
    };
    let image = file.data;
    let event = blocking(move || state.services.events.set_image(&caller.0, id.0, &image, alt)).await?;
    Ok(HttpResponse::Ok().json(crate::events::EventResponse::from(event)))
}

/// RFC 9110 (14.2): a `Range` the server cannot read is ignored and the whole content is sent; actix-files
/// would answer it `416` (and one that is not text `400`), so it is taken off the request before any
/// handler sees it. A range it can read but that lies outside the file stays `416`; one no file could
/// satisfy (`bytes=-0`, numbers past 2^64) is ignored too, which RFC 9110 also allows.
pub(crate) fn ignore_unreadable_range(req: &mut actix_web::dev::ServiceRequest) {
    let unreadable = req.headers().get(header::RANGE).is_some_and(|value| {
        value.to_str().map_or(true, |text| {
            // Other units than bytes are ignored by actix-files itself.
            let in_bytes = text
                .split_once('=')
                .is_none_or(|(unit, _)| unit.trim().eq_ignore_ascii_case("bytes"));
            // The size only decides whether a readable range overlaps the content: against the largest,
            // a failure or no range at all (`bytes=`) means the header itself cannot be read.
            in_bytes && actix_files::HttpRange::parse(text, u64::MAX).map_or(true, |ranges| ranges.is_empty())
        })
    });
    if unreadable {
        req.headers_mut().remove(header::RANGE);
    }
}

async fn serve(req: HttpRequest, state: web::Data<AppState>, name: String) -> Result<HttpResponse, ApiError> {
    let avatar = blocking(move || state.services.users.avatar(&name)).await?;
    let file = NamedFile::from_file(avatar.file, &avatar.path)
        .map_err(|error| ApiError::internal(&error))?
        .set_content_type(
            avatar
                .kind
                .mime_type()
                .parse()
                .map_err(|error| ApiError::internal(&error))?,
        )
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Inline,
            parameters: Vec::new(),
        });
    let mut response = file.into_response(&req);
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    // A new upload gets a new name: an avatar's content never changes.
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}
