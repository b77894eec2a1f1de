//! `GET /openapi.json` and the interactive docs at `/docs` (Swagger UI, served from files inside the binary:
//! the page loads nothing from another host).

use std::sync::{Arc, LazyLock};

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

static SWAGGER: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/openapi.json"])
            // The default validator badge fetches from validator.swagger.io.
            .validator_url("none")
            .persist_authorization(true)
            .try_it_out_enabled(true)
            .display_request_duration(true),
    )
});

/// Swagger UI's scripts are files of its own; it styles with inline `style` attributes and draws icons
/// from `data:` URLs.
const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'";

/// The OpenAPI document as served, put in the app's data by `app()`: it is built from the route table,
/// which names this module's handlers, so this module does not build it.
#[derive(Debug, Clone, Copy)]
pub struct Published(pub &'static str);

/// This document: OpenAPI 3.1, generated from the code.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "service",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
pub async fn openapi_json(document: web::Data<Published>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(document.0)
}

/// The interactive docs (Swagger UI): redirects to the page, whose relative links need a path that ends in
/// a file.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "service",
    operation_id = "docs",
    responses((status = 302, description = "To `/docs/index.html`",
        headers(("Location" = String, description = "`/docs/index.html`"))))
)]
pub async fn redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/index.html"))
        .finish()
}

/// Swagger UI's page and files, served from the binary.
#[utoipa::path(
    get,
    path = "/docs/{path}",
    tag = "service",
    operation_id = "docs_file",
    params(("path" = String, Path, description = "A file of Swagger UI, e.g. `index.html`")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/html"),
            (String = "text/css"),
            (String = "text/javascript"),
            (Vec<u8> = "image/png"),
        )),
        (status = 404, response = crate::responses::NotFound),
    )
)]
pub async fn swagger_ui(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    match utoipa_swagger_ui::serve(&path, SWAGGER.clone()) {
        Ok(Some(file)) => Ok(HttpResponse::Ok()
            .content_type(file.content_type)
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::CONTENT_SECURITY_POLICY, DOCS_CONTENT_SECURITY_POLICY))
            .body(file.bytes.into_owned())),
        Ok(None) => Err(ApiError::not_found("no such file")),
        Err(error) => Err(ApiError::internal(error.as_ref())),
    }
}
