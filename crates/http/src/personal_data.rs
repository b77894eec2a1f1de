//! `GET /users/me/export`: everything Plaza keeps about the caller, as one JSON document to download.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthSession;
use crate::calendar::CalendarSecretState;
use crate::comments::CommentResponse;
use crate::error::ApiError;
use crate::events::EventResponse;
use crate::extract::blocking;
use crate::notifications::NotificationResponse;
use crate::posts::PostResponse;
use crate::reports::ReportResponse;
use crate::respond::serialize_time;
use crate::responses::Unauthorized;
use crate::sessions::SessionResponse;
use crate::state::AppState;
use crate::tickets::TicketResponse;
use crate::users::UserResponse;
use crate::waitlist::WaitlistEntryResponse;

/// Everything Plaza keeps about the caller. The password is kept only as a hash, which is not given out.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalDataResponse {
    /// When this document was made.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub exported_at: DateTime<Utc>,
    /// The account, e-mail included.
    pub user: UserResponse,
    /// The events the caller published, in list order (by start).
    pub events: Vec<EventResponse>,
    /// The caller's posts, newest first.
    pub posts: Vec<PostResponse>,
    /// The caller's comments on every event, oldest first.
    pub comments: Vec<CommentResponse>,
    /// The tickets the caller holds or held, newest first, codes included.
    pub tickets: Vec<TicketResponse>,
    /// The caller's places on waitlists.
    pub waitlist: Vec<WaitlistEntryResponse>,
    /// The caller's inbox, oldest first.
    pub notifications: Vec<NotificationResponse>,
    /// The caller's open sessions (devices signed in), most recently used first.
    pub sessions: Vec<SessionResponse>,
    /// The reports the caller filed, oldest first, with how they were resolved.
    pub reports: Vec<ReportResponse>,
    /// Whether the caller has a private calendar address, and since when (Plaza keeps only a digest of the
    /// address, which is not given out).
    pub calendar_feed: CalendarSecretState,
}

/// Everything Plaza keeps about the caller, as one JSON document: profile, events, posts, comments,
/// tickets, waitlist places, notifications, sessions and the reports they filed — theirs only. Sent as a download
/// (`Content-Disposition: attachment`), never cached.
#[utoipa::path(
    get,
    path = "/users/me/export",
    tag = "users",
    operation_id = "export_my_data",
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's data", body = PersonalDataResponse,
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"plaza-<username>.json\"`"),
                ("Cache-Control" = String, description = "`no-store`"),
            )),
        (status = 401, response = Unauthorized),
    )
)]
pub async fn export(state: web::Data<AppState>, caller: AuthSession) -> Result<HttpResponse, ApiError> {
    let session = caller.0;
    let (data, sessions, feed) = blocking(move || {
        let data = state.services.personal_data.export(&session.user)?;
        let sessions = state.services.auth.sessions(&session)?;
        let feed = state.services.calendar.secret_made_at(&session.user)?;
        Ok((data, sessions, feed))
    })
    .await?;
    // User names are ASCII letters, digits, `_`, `.` and `-`: safe in a header's quoted file name.
    let filename = format!("plaza-{}.json", data.user.username);
    let document = PersonalDataResponse {
        exported_at: data.exported_at,
        user: UserResponse::private(data.user),
        events: data.events.into_iter().map(EventResponse::from).collect(),
        posts: data.posts.into_iter().map(PostResponse::from).collect(),
        comments: data.comments.into_iter().map(CommentResponse::from).collect(),
        tickets: data.tickets.into_iter().map(TicketResponse::from).collect(),
        waitlist: data
            .waitlist
            .into_iter()
            .map(WaitlistEntryResponse::from)
            .collect(),
        notifications: data
            .notifications
            .into_iter()
            .map(NotificationResponse::from)
            .collect(),
        sessions: sessions.into_iter().map(SessionResponse::from).collect(),
        reports: data
            .reports
            .into_iter()
            .map(ReportResponse::for_reporter)
            .collect(),
        calendar_feed: CalendarSecretState::of(feed),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .json(document))
}
