//! Cross-origin access (CORS) for the configured origins, and the answers CORS gives by itself.
//!
//! `actix-cors` answers a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) without
//! calling anything inside it, and refuses one with a plain-text `400`. [`finish`] sits just outside it:
//! a refused preflight becomes `403 forbidden` in the contract's shape (a malformed one `400
//! bad_request`), with no `Access-Control-Allow-*` header, and every answer, CORS's own included, carries
//! the request id.

use std::future::Future;

use actix_cors::CorsError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::{Error, ResponseError};

use crate::error::ApiError;
use crate::{request_id, respond};

/// Cross-origin access for the configured origins (`*`: any), or `None` for none at all: by default only
/// pages served by Plaza itself may call it from a browser.
pub fn middleware(origins: &[String]) -> Option<actix_cors::Cors> {
    if origins.is_empty() {
        return None;
    }
    let mut cors = actix_cors::Cors::default()
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers([
            respond::TOTAL_COUNT,
            respond::UNREAD_COUNT,
            request_id::HEADER,
            header::RETRY_AFTER.as_str(),
        ])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    Some(cors)
}

/// `wrap_fn` middleware around CORS (and so around everything of Plaza's own), inside `TracingLogger`
/// (which assigns the request id): shapes CORS's refusals and echoes the request id on every answer.
pub fn finish<S, B>(
    req: ServiceRequest,
    service: &S,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody + 'static,
{
    let id = request_id::of(&req);
    let call = service.call(req);
    async move {
        let response = call.await?;
        let refusal = response
            .response()
            .error()
            .and_then(|error| error.as_error::<CorsError>())
            .map(refusal);
        let mut response = match refusal {
            Some(error) => {
                let (request, _) = response.into_parts();
                ServiceResponse::new(request, error.error_response())
            }
            None => response.map_into_boxed_body(),
        };
        request_id::echo(id, &mut response);
        Ok(response)
    }
}

/// A preflight CORS refused: not allowed is `403`, not readable is `400`.
fn refusal(error: &CorsError) -> ApiError {
    match error {
        CorsError::OriginNotAllowed => {
            ApiError::forbidden("this origin may not call the API from a browser (CORS_ALLOWED_ORIGINS)")
        }
        CorsError::MethodNotAllowed => {
            ApiError::forbidden("the method asked for is not allowed cross-origin")
        }
        CorsError::HeadersNotAllowed => ApiError::forbidden("a header asked for is not allowed cross-origin"),
        other => ApiError::bad_request(format!("malformed CORS preflight: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    #[actix_web::test]
    async fn a_cross_origin_caller_may_read_the_list_counts_the_request_id_and_retry_after() {
        let cors = middleware(&["https://app.example.org".to_owned()]).unwrap();
        let app = test::init_service(App::new().route("/", web::get().to(HttpResponse::Ok)).wrap(cors)).await;
        let request = test::TestRequest::get()
            .uri("/")
            .insert_header((header::ORIGIN, "https://app.example.org"))
            .to_request();
        let response = test::call_service(&app, request).await;
        let exposed = response
            .headers()
            .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let mut exposed: Vec<&str> = exposed.split(',').map(str::trim).collect();
        exposed.sort_unstable();
        assert_eq!(
            exposed,
            ["retry-after", "x-request-id", "x-total-count", "x-unread-count"]
        );
    }
}
