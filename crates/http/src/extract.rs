//! Turning requests into typed input, with every failure in the contract's shape: JSON bodies, path ids,
//! query strings, and running blocking use cases off the async workers.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use plaza_app::AppError;
use plaza_domain::ids::Id;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::error::ApiError;

/// The largest JSON (or form) body accepted.
pub const JSON_LIMIT: usize = 256 * 1024;

/// Runs a use case on the blocking pool; storage and bcrypt must never stall an async worker.
pub async fn blocking<T, F>(work: F) -> Result<T, ApiError>
where
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    match web::block(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(error) => Err(ApiError::internal(&error)),
    }
}

/// The media type of a request, lower-cased, without parameters.
pub(crate) fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    )
}

pub(crate) fn is_json(media_type: &str) -> bool {
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

/// Reads the whole body up to [`JSON_LIMIT`]: `413` beyond it, `408` when it stalls (see
/// [`crate::deadline`]), `400` when the connection breaks.
pub(crate) async fn read_body(req: &HttpRequest, payload: &mut Payload) -> Result<web::Bytes, ApiError> {
    web::Bytes::from_request(req, payload)
        .await
        .map_err(|error| match error.as_error::<PayloadError>() {
            Some(PayloadError::Overflow) => {
                ApiError::payload_too_large(format!("request body exceeds {} KiB", JSON_LIMIT / 1024))
            }
            Some(error) if crate::deadline::is_timeout(error) => ApiError::request_timeout(),
            _ => ApiError::bad_request("the request body could not be read"),
        })
}

/// Reads a JSON body. `415` unless `Content-Type` says JSON; with `empty_is_none`, an empty body (with
/// or without a `Content-Type`) is `None` instead.
async fn read_json<T: DeserializeOwned>(
    req: HttpRequest,
    mut payload: Payload,
    empty_is_none: bool,
) -> Result<Option<T>, ApiError> {
    let declared_json = media_type(&req).is_some_and(|media| is_json(&media));
    let not_json = || ApiError::unsupported_media_type("the request body must be application/json");
    if !declared_json && !empty_is_none {
        return Err(not_json());
    }
    let body = read_body(&req, &mut payload).await?;
    if empty_is_none && body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !declared_json {
        return Err(not_json());
    }
    parse_json(&body).map(Some)
}

/// A JSON body: `415` unless `Content-Type` says JSON, `413` over 256 KiB, `400 bad_request` when it is not
/// JSON at all, `400 validation_failed` (naming the field) when a field is missing or of the wrong type.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req.clone(), payload.take(), false);
        Box::pin(async move {
            body.await?
                .map(ApiJson)
                .ok_or_else(|| ApiError::bad_request("the request body is empty"))
        })
    }
}

/// Like [`ApiJson`], but an empty body (with or without a `Content-Type`) is `None`.
#[derive(Debug)]
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json(req.clone(), payload.take(), true);
        Box::pin(async move { body.await.map(OptionalJson) })
    }
}

/// Parses JSON, telling a broken document (`bad_request`) from a well-formed one with wrong fields
/// (`validation_failed`, with the field's path). The document is checked whole before any field is looked
/// at, so trailing garbage after a valid prefix is a broken document too.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let document: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!(
            "the request body is not valid JSON: {}",
            without_position(&error.to_string())
        ))
    })?;
    if !document.is_object() {
        // Field-by-field structs would also read a JSON array positionally: `[]` must not mean "no fields".
        return Err(ApiError::invalid_field("body", "must be a JSON object"));
    }
    if let Some(field) = field_with_nul(&document, "") {
        return Err(ApiError::invalid_field(field, NUL_REFUSED));
    }
    serde_path_to_error::deserialize(document).map_err(|error| {
        let path = error.path().to_string();
        let message = without_position(&error.into_inner().to_string());
        let (field, message) = match message.strip_prefix("missing field `") {
            Some(rest) => {
                let name = rest.split('`').next().unwrap_or_default();
                let field = if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                };
                (field, "field required".to_owned())
            }
            None if path == "." => ("body".to_owned(), message),
            None => (path, message),
        };
        ApiError::invalid_field(field, message)
    })
}

/// Why text holding U+0000 is refused wherever it enters: no store keeps it alike (PostgreSQL text
/// cannot hold it at all), and no name, word or address needs it.
pub(crate) const NUL_REFUSED: &str = "must not contain the NUL character (U+0000)";

/// The path of the first string (or key) in `value` that holds NUL, as field errors name fields.
fn field_with_nul(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        let key = key.replace('\0', "\u{FFFD}");
        if path.is_empty() {
            key
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => Some(if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| {
            field_with_nul(
                item,
                &format!("{}[{index}]", if path.is_empty() { "body" } else { path }),
            )
        }),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                Some(join(key))
            } else {
                field_with_nul(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// The first name in URL-encoded `pairs` (a form or a query string) whose name or value holds NUL.
pub(crate) fn pair_with_nul(encoded: &[u8]) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(encoded).ok()?;
    pairs
        .into_iter()
        .find(|(name, value)| name.contains('\0') || value.contains('\0'))
        .map(|(name, _)| name.replace('\0', "\u{FFFD}"))
}

/// serde_json appends " at line L column C", which helps nobody reading a field error.
fn without_position(message: &str) -> String {
    message.split(" at line ").next().unwrap_or(message).to_owned()
}

/// A positive integer id from the route's single path parameter: anything else is `400 bad_request`.
#[derive(Debug, Clone, Copy)]
pub struct PathId<T>(pub T);

impl<T: Id + 'static> FromRequest for PathId<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.match_info().iter().next() {
            Some((name, raw)) => path_id(name, raw).map(PathId),
            None => Err(ApiError::internal(&std::io::Error::other(
                "PathId used on a route without parameters",
            ))),
        };
        ready(parsed)
    }
}

/// Two positive integer ids from the route's two path parameters, in their order in the route
/// (`/events/{event_id}/comments/{comment_id}`): anything else is `400 bad_request`, naming the first
/// parameter that is not one.
#[derive(Debug, Clone, Copy)]
pub struct PathIds<A, B>(pub A, pub B);

impl<A: Id + 'static, B: Id + 'static> FromRequest for PathIds<A, B> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut params = req.match_info().iter();
        let parsed = match (params.next(), params.next()) {
            (Some((first_name, first)), Some((second_name, second))) => {
                path_id(first_name, first).and_then(|first| Ok(PathIds(first, path_id(second_name, second)?)))
            }
            _ => Err(ApiError::internal(&std::io::Error::other(
                "PathIds used on a route without two parameters",
            ))),
        };
        ready(parsed)
    }
}

/// The path parameter `name`, whose text is `raw`, as an id.
fn path_id<T: Id>(name: &str, raw: &str) -> Result<T, ApiError> {
    // Digits only: Rust's integer parsing would also take a leading `+`, which a query parameter refuses.
    Some(raw)
        .filter(|raw| raw.bytes().all(|byte| byte.is_ascii_digit()))
        .and_then(|raw| raw.parse::<i64>().ok())
        .and_then(|id| T::parse(id).ok())
        .ok_or_else(|| ApiError::bad_request(format!("path parameter {name} must be a positive integer")))
}

/// Query parameters: `400 bad_request` when one cannot be parsed as its type.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(name) = pair_with_nul(req.query_string().as_bytes()) {
            return ready(Err(ApiError::bad_request(format!(
                "query parameter {name} {NUL_REFUSED}"
            ))));
        }
        ready(
            serde_urlencoded::from_str::<T>(req.query_string())
                .map(ApiQuery)
                .map_err(|error| ApiError::bad_request(format!("invalid query parameter: {error}"))),
        )
    }
}

/// A boolean as people write one, in any case: `true/false`, `1/0`, `yes/no`, `on/off`.
pub fn flag_word(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A query flag as people write them ([`flag_word`]).
pub fn flag<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    let raw = Option::<String>::deserialize(deserializer)?;
    raw.map(|raw| {
        flag_word(&raw).ok_or_else(|| serde::de::Error::custom(format!("expected a boolean, not {raw:?}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[allow(dead_code)]
        name: String,
        #[allow(dead_code)]
        count: i64,
    }

    fn error_of(body: &str) -> (String, Option<String>) {
        let error = parse_json::<Body>(body.as_bytes()).unwrap_err();
        let field = error.body().errors.as_ref().map(|errors| errors[0].field.clone());
        (error.code().to_owned(), field)
    }

    #[test]
    fn tells_broken_json_from_wrong_fields() {
        assert_eq!(error_of("{").0, "bad_request");
        assert_eq!(error_of("").0, "bad_request");
        assert_eq!(error_of(r#"{"name":"x","count":1} trailing"#).0, "bad_request");
        assert_eq!(
            error_of(r#"{"name":"x"}"#),
            ("validation_failed".into(), Some("count".into()))
        );
        assert_eq!(
            error_of(r#"{"name":"x","count":"many"}"#),
            ("validation_failed".into(), Some("count".into()))
        );
        assert_eq!(error_of("[1]"), ("validation_failed".into(), Some("body".into())));
        assert_eq!(error_of("[]"), ("validation_failed".into(), Some("body".into())));
        assert_eq!(
            error_of("\"text\""),
            ("validation_failed".into(), Some("body".into()))
        );
        assert!(parse_json::<Body>(br#"{"name":"x","count":1,"extra":true}"#).is_ok());
    }

    #[test]
    fn nul_anywhere_in_a_document_names_its_field() {
        let field_of = |body: &str| {
            let error = parse_json::<serde_json::Value>(body.as_bytes()).unwrap_err();
            assert_eq!(error.code(), "validation_failed");
            error.body().errors.as_ref().unwrap()[0].field.clone()
        };
        assert_eq!(field_of(r#"{"name":"a\u0000b","count":1}"#), "name");
        assert_eq!(field_of(r#"{"outer":{"inner":"\u0000"}}"#), "outer.inner");
        assert_eq!(field_of(r#"{"list":["ok","\u0000"]}"#), "list[1]");
        assert_eq!(field_of(r#"{"a\u0000":1}"#), "a\u{FFFD}");
        assert!(parse_json::<serde_json::Value>(br#"{"name":"a\u0001b"}"#).is_ok());
    }

    #[test]
    fn nul_in_a_form_or_query_is_found_by_name() {
        assert_eq!(
            pair_with_nul(b"username=a%00b&password=x"),
            Some("username".into())
        );
        assert_eq!(pair_with_nul(b"a%00=1"), Some("a\u{FFFD}".into()));
        assert_eq!(pair_with_nul(b"username=ab&password=x"), None);
    }

    #[test]
    fn invalid_utf8_is_a_bad_request() {
        let error = parse_json::<Body>(b"{\"name\":\"\xff\xfe\",\"count\":1}").unwrap_err();
        assert_eq!(error.code(), "bad_request");
    }
}
