//! `GET /events/{event_id}/overview`: what an event's page shows first, in one answer.

use actix_web::{HttpResponse, web};
use plaza_domain::EventId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::comments::{CommentResponse, PageQuery};
use crate::error::ApiError;
use crate::events::{EventIdParam, EventResponse};
use crate::extract::{ApiQuery, PathId, blocking};
use crate::responses::{BadRequest, NotFound};
use crate::state::AppState;
use crate::users::UserResponse;

/// An event, one page of its comments, and the public profiles of everyone they name.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOverviewResponse {
    pub event: EventResponse,
    /// The page of comments asked for with `skip` and `limit`, oldest first (as `GET /comments/{event_id}`).
    pub comments: Vec<CommentResponse>,
    /// How many comments the event has, whatever the page.
    pub comments_total: u64,
    /// The event's owner and the authors of these comments, each once, by id (public profiles; an
    /// account that no longer exists is left out).
    pub people: Vec<UserResponse>,
}

/// The event, a page of its comments and the people they name: what the client's event page shows
/// first, in one round trip instead of three. `skip` and `limit` page the comments, as in
/// `GET /comments/{event_id}`.
#[utoipa::path(
    get,
    path = "/events/{event_id}/overview",
    tag = "events",
    operation_id = "get_event_overview",
    params(EventIdParam, PageQuery),
    responses(
        (status = 200, description = "The event with a page of its comments", body = EventOverviewResponse),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    id: PathId<EventId>,
    query: ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.0.page()?;
    let overview = blocking(move || state.services.overview.event(id.0, page)).await?;
    Ok(HttpResponse::Ok().json(EventOverviewResponse {
        event: EventResponse::from(overview.event),
        comments_total: overview.comments.total,
        comments: overview
            .comments
            .items
            .into_iter()
            .map(CommentResponse::from)
            .collect(),
        people: overview.people.into_iter().map(UserResponse::public).collect(),
    }))
}
