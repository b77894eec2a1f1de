//! `GET /` and `GET /app/{path}`: the web client's page and files (embedded in the binary by `plaza-web`).
//! The client routes with the URL's fragment (`/#/events/5`), so no client path can shadow an API path.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;

/// Only the client's own files run — and the page's inline code, allowed by its hashes: the boot script,
/// and the bundled code and styles — and nothing can frame it. `img-src` allows `blob:` for the local
/// preview of an avatar before it is uploaded, and `data:` for the icons written into the styles.
pub fn content_security_policy() -> String {
    let inline = plaza_web::inline_sources();
    format!(
        "default-src 'self'; script-src 'self' {scripts}; style-src 'self' {styles}; \
         img-src 'self' blob: data:; connect-src 'self'; font-src 'self'; worker-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        scripts = inline.scripts,
        styles = inline.styles,
    )
}

/// The web client's page.
#[utoipa::path(
    get,
    path = "/",
    tag = "web",
    operation_id = "web_client",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String,
            headers(("ETag" = String), ("Content-Security-Policy" = String))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
    )
)]
pub async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let page = plaza_web::index().ok_or_else(|| ApiError::not_found("the web client is not built in"))?;
    Ok(serve(&req, page, Caching::Revalidate))
}

/// How long a browser may keep a file without asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caching {
    /// Ask every time (`no-cache`): the page, and files asked for without this build's version.
    Revalidate,
    /// Keep for a year without asking (`immutable`): a file under this build's version never changes.
    Forever,
}

/// A file of the web client (scripts, styles, images, translations).
#[utoipa::path(
    get,
    path = "/app/{path}",
    tag = "web",
    operation_id = "web_client_file",
    params(("path" = String, Path, description = "The file, e.g. `src/main.js`, or under this build's \
        version, `v-1a2b3c4d5e6f/src/main.js`: those are cached for good")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/javascript"),
            (String = "text/css"),
            (String = "image/svg+xml"),
            (Vec<u8> = "image/png"),
            (String = "application/json"),
        ), headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `If-None-Match` ETag"),
        (status = 404, response = crate::responses::NotFound),
    )
)]
pub async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (path, current) = plaza_web::unversioned(&path);
    let file = plaza_web::asset(path).ok_or_else(|| ApiError::not_found("no such file"))?;
    let mut response = serve(
        &req,
        file,
        if current {
            Caching::Forever
        } else {
            Caching::Revalidate
        },
    );
    if path == plaza_web::SERVICE_WORKER {
        // The worker lives under /app/ but keeps the page at /, so it may act for the whole site.
        response.headers_mut().insert(
            header::HeaderName::from_static("service-worker-allowed"),
            HeaderValue::from_static("/"),
        );
    }
    Ok(response)
}

/// The page names every file under this build's version (`/app/v-…/`), so those are cached for a year
/// without a question (`immutable`); the page itself, and a file asked for without the version or with an
/// older one, is revalidated on each load (`no-cache`) against its content hash (`ETag`): an unchanged
/// file costs a `304`, and a new release is picked up at the next load.
fn serve(req: &HttpRequest, file: plaza_web::Asset, caching: Caching) -> HttpResponse {
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == file.etag || tag.trim() == "*")
        });
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, file.etag.as_str()))
        .insert_header((
            header::CACHE_CONTROL,
            match caching {
                Caching::Revalidate => "no-cache",
                Caching::Forever => "public, max-age=31536000, immutable",
            },
        ))
        .insert_header((header::CONTENT_SECURITY_POLICY, content_security_policy()));
    if unchanged {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, file.content_type.as_str()))
        .body(file.bytes.into_owned())
}
