//! The answers many routes share (`400`, `401`, `404`, `503`, ...), as OpenAPI response components: a
//! handler's `#[utoipa::path]` names them (`(status = 404, response = NotFound)`), and the document
//! (`openapi`) lists them once under `components/responses`. Every one carries an [`ErrorBody`].

use utoipa::ToResponse;

use crate::error::ErrorBody;

/// `400`: `bad_request` (a body that is not JSON or form data, a query or path parameter that cannot be
/// parsed) or `validation_failed` (a field missing, of the wrong type or out of range; `errors` names
/// every one).
#[derive(ToResponse)]
pub struct BadRequest(pub ErrorBody);

/// `401 unauthorized`: no token, a malformed, forged or expired token, a token older than the user's last
/// password change, or wrong credentials.
#[derive(ToResponse)]
#[response(headers(("WWW-Authenticate" = String, description = "Always `Bearer`")))]
pub struct Unauthorized(pub ErrorBody);

/// `403 forbidden`: authenticated, but not the owner of what is being changed (or not a moderator or
/// admin where one is needed); or `403 account_banned`: the caller's account is banned (`ban` says why and
/// until when).
#[derive(ToResponse)]
pub struct Forbidden(pub ErrorBody);

/// `403 account_banned`: the account is banned; `ban` says why and until when. Its tokens, sessions and
/// logins are refused until the ban ends or is lifted.
#[derive(ToResponse)]
pub struct AccountBanned(pub ErrorBody);

/// `404 not_found`: the resource does not exist.
#[derive(ToResponse)]
pub struct NotFound(pub ErrorBody);

/// `413 payload_too_large`: a JSON or form body over 256 KiB, an avatar over 2 MiB.
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ErrorBody);

/// `415 unsupported_media_type`: the body's `Content-Type` is not one this route takes.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(pub ErrorBody);

/// `429 rate_limited`: too many attempts or connections from this client; retry after `Retry-After`
/// seconds.
#[derive(ToResponse)]
#[response(headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))]
pub struct RateLimited(pub ErrorBody);

/// `503 unavailable`: the database cannot be reached or stayed busy, every search connection is busy, or
/// password hashing or avatar decoding is saturated (then with `Retry-After`); try again shortly.
#[derive(ToResponse)]
pub struct Unavailable(pub ErrorBody);

/// `408 request_timeout`: the request body stopped arriving; the connection is closed.
#[derive(ToResponse)]
pub struct RequestTimeout(pub ErrorBody);

/// `500 internal`: a bug. The body says only `internal error`; the cause is logged under `X-Request-Id`.
#[derive(ToResponse)]
pub struct Internal(pub ErrorBody);
