//! `GET /health`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: &'static str,
    pub database: &'static str,
}

/// `200` after a real query answers, `503` when the database cannot be reached.
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let health = state.services.health.clone();
    match web::block(move || health.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(HealthResponse {
            status: "ok",
            database: "ok",
        })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "health check: database unavailable");
            Err(ApiError::unavailable("the database cannot be reached"))
        }
        Err(error) => Err(ApiError::internal(&error)),
    }
}
