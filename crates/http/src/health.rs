//! `GET /health`, and the probes `GET /livez` and `GET /readyz`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// Liveness: `200` as long as the process serves HTTP. It touches nothing, so it stays `200` while the
/// database is down or the server drains: an orchestrator restarts a process only when this fails.
#[utoipa::path(
    get,
    path = "/livez",
    tag = "service",
    operation_id = "liveness",
    responses((status = 200, description = "The process is alive", body = LivenessResponse))
)]
pub async fn liveness() -> HttpResponse {
    HttpResponse::Ok().json(LivenessResponse { status: "alive" })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LivenessResponse {
    /// `alive`.
    #[schema(value_type = String, example = "alive")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    /// `ok`.
    #[schema(value_type = String, example = "ok")]
    pub status: &'static str,
    /// `ok`.
    #[schema(value_type = String, example = "ok")]
    pub database: &'static str,
}

/// The database answered a real query, and the instance is not draining: what `/health` and `/readyz`
/// both answer on.
async fn check_ready(state: &web::Data<AppState>) -> Result<(), ApiError> {
    if state.settings.lifecycle.is_draining() {
        return Err(ApiError::unavailable("the server is shutting down"));
    }
    let health = state.services.health.clone();
    match web::block(move || health.ping()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database unavailable");
            // The store's own words when it knows the database is gone (since when); never a connection
            // error, which could name the database's host.
            let detail = match &error {
                plaza_domain::RepoError::Unavailable(why)
                    if why.starts_with(plaza_domain::error::DATABASE_UNREACHABLE) =>
                {
                    why.clone()
                }
                _ => "the database cannot be reached".to_owned(),
            };
            Err(ApiError::unavailable(detail))
        }
        Err(error) => Err(ApiError::internal(&error)),
    }
}

/// Readiness: `200` after a real query against the database answers; `503` when it cannot be reached, or
/// while the server shuts down (so that load balancers stop sending traffic first).
#[utoipa::path(
    get,
    path = "/health",
    tag = "service",
    operation_id = "health",
    responses(
        (status = 200, description = "The service and its database answer", body = HealthResponse),
        (status = 503, response = crate::responses::Unavailable),
    )
)]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    check_ready(&state).await?;
    Ok(HttpResponse::Ok().json(HealthResponse {
        status: "ok",
        database: "ok",
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessResponse {
    /// `ready`.
    #[schema(value_type = String, example = "ready")]
    pub status: &'static str,
}

/// Readiness for a load balancer or a Kubernetes `readinessProbe`: `200` once the migrations have run (the
/// server listens only after them), while the database answers a real query and the instance is not
/// draining; `503 unavailable` otherwise. The same judgement as `/health`, in the probe's name.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "service",
    operation_id = "readiness",
    responses(
        (status = 200, description = "Ready for traffic", body = ReadinessResponse),
        (status = 503, response = crate::responses::Unavailable),
    )
)]
pub async fn readiness(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    check_ready(&state).await?;
    Ok(HttpResponse::Ok().json(ReadinessResponse { status: "ready" }))
}
