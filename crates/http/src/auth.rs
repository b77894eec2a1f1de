//! The caller, from an `Authorization: Bearer <token>` header. Every protected route takes an
//! [`AuthUser`]; a route without one is public.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use plaza_app::auth::{Session, VerifiedToken};
use plaza_domain::user::User;

use crate::error::ApiError;
use crate::extract::blocking;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("not authenticated"))?
        .to_str()
        .map_err(|_| ApiError::unauthorized("malformed Authorization header"))?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("expected a Bearer token"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("expected a Bearer token"));
    }
    Ok(token.trim().to_owned())
}

/// The authenticated caller with their token's lifetime (for what must end with the token).
#[derive(Debug, Clone)]
pub struct AuthSession(pub Session);

/// The session of a bearer token, checked by `check` (banned accounts refused, or not).
fn session_of(
    req: &HttpRequest,
    check: fn(&plaza_app::AuthService, &VerifiedToken) -> Result<Session, plaza_app::AppError>,
) -> LocalBoxFuture<'static, Result<Session, ApiError>> {
    // A token that fails on its own (forged, malformed, expired) is refused at the first poll, without the
    // blocking pool: actix polls a handler's extractors together and answers the first error, so a path or
    // a body that is invalid too must not win that race by chance (an unauthenticated caller learns
    // nothing but `401`). The store is asked on the blocking pool, with the token already decoded.
    let verified = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal(&std::io::Error::other("AppState is not registered")))
        .and_then(|state| {
            let token = state.services.auth.verify_token(&bearer_token(req)?)?;
            Ok((state, token))
        });
    Box::pin(async move {
        let (state, token) = verified?;
        let session = blocking(move || check(&state.services.auth, &token)).await?;
        // The request's log line names who asked (never their name or address).
        tracing::Span::current().record("user_id", session.user.id.get());
        Ok(session)
    })
}

impl FromRequest for AuthSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = session_of(req, plaza_app::AuthService::session_of);
        Box::pin(async move { session.await.map(AuthSession) })
    }
}

/// The caller's session even when their account is banned: for logging out, which a banned user may
/// still do, so that nothing of theirs stays open for the ban's lifting.
#[derive(Debug, Clone)]
pub struct LeavingSession(pub Session);

impl FromRequest for LeavingSession {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = session_of(req, plaza_app::AuthService::session_even_if_banned_of);
        Box::pin(async move { session.await.map(LeavingSession) })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = AuthSession::from_request(req, payload);
        Box::pin(async move { session.await.map(|session| AuthUser(session.0.user)) })
    }
}

/// The caller when a token is sent, `None` when none is; a token that is sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<User>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(header::AUTHORIZATION) {
            return Box::pin(async { Ok(MaybeAuthUser(None)) });
        }
        let caller = AuthUser::from_request(req, payload);
        Box::pin(async move { caller.await.map(|caller| MaybeAuthUser(Some(caller.0))) })
    }
}
