//! `/notifications/…`: the caller's inbox.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::notification::{Notification, NotificationMessage, NotificationQuery, SenderName};
use plaza_domain::{NotificationId, PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, OptionalJson, PathId, blocking, flag};
use crate::respond::{list, serialize_time};
use crate::state::AppState;

/// The header with the caller's unread count, on every list response.
pub const UNREAD_COUNT: &str = "X-Unread-Count";

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: i64,
    pub message: String,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    pub sender: String,
    pub sender_id: i64,
    /// The recipient.
    pub owner_id: i64,
    /// The event a comment notification is about.
    pub event_id: Option<i64>,
    pub read: bool,
}

impl From<Notification> for NotificationResponse {
    fn from(notification: Notification) -> Self {
        Self {
            id: notification.id.get(),
            message: notification.message,
            created_at: notification.created_at,
            sender: notification.sender,
            sender_id: notification.sender_id.get(),
            owner_id: notification.owner_id.get(),
            event_id: notification.event_id.map(|id| id.get()),
            read: notification.read,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateNotificationBody {
    pub message: String,
    pub sender: String,
    /// The recipient; the caller when left out.
    #[serde(default)]
    pub owner_id: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct NotificationListQuery {
    skip: Option<i64>,
    limit: Option<i64>,
    #[serde(default, deserialize_with = "flag")]
    unread_only: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadAllBody {
    /// Only notifications with an id up to this one are marked read; left out or `null`, all of them.
    #[serde(default)]
    pub up_to_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAllResponse {
    /// How many notifications changed from unread to read.
    pub updated: u64,
}

/// `POST /notifications/`: from the caller to `owner_id` (default: the caller).
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreateNotificationBody>,
) -> Result<HttpResponse, ApiError> {
    let CreateNotificationBody {
        message,
        sender,
        owner_id,
    } = body.0;
    let mut errors = ValidationErrors::default();
    let message = errors.check("message", NotificationMessage::parse(message));
    let sender = errors.check("sender", SenderName::parse(sender));
    if owner_id.is_some_and(|id| id <= 0) {
        errors.push("owner_id", "must be a positive integer");
    }
    let (Some(message), Some(sender)) = (message, sender) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let notification = blocking(move || {
        state
            .services
            .notifications
            .send(&caller.0, message, sender, owner_id.map(UserId))
    })
    .await?;
    Ok(HttpResponse::Ok().json(NotificationResponse::from(notification)))
}

/// `GET /notifications/`: the caller's, newest first, with `X-Unread-Count`.
pub async fn list_notifications(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: ApiQuery<NotificationListQuery>,
) -> Result<HttpResponse, ApiError> {
    let NotificationListQuery {
        skip,
        limit,
        unread_only,
    } = query.0;
    let page = PageRequest::new(skip, limit)?;
    let query = NotificationQuery {
        owner: caller.0.id,
        unread_only: unread_only.unwrap_or(false),
        page,
    };
    let (notifications, unread) = blocking(move || state.services.notifications.list(query)).await?;
    Ok(list(
        notifications.map(NotificationResponse::from),
        &[(UNREAD_COUNT, unread.to_string())],
    ))
}

/// `POST /notifications/{id}/read`: `404` for an id that is not the caller's.
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<NotificationId>,
) -> Result<HttpResponse, ApiError> {
    let notification = blocking(move || state.services.notifications.mark_read(&caller.0, id.0)).await?;
    Ok(HttpResponse::Ok().json(NotificationResponse::from(notification)))
}

/// `POST /notifications/read-all`: optional `{"up_to_id": n}` so a client never clears what it has not shown.
pub async fn mark_all_read(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: OptionalJson<ReadAllBody>,
) -> Result<HttpResponse, ApiError> {
    let up_to = body.0.and_then(|body| body.up_to_id);
    if up_to.is_some_and(|id| id < 0) {
        return Err(ApiError::invalid_field(
            "up_to_id",
            "must be greater than or equal to 0",
        ));
    }
    let updated = blocking(move || {
        state
            .services
            .notifications
            .mark_all_read(&caller.0, up_to.map(NotificationId))
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReadAllResponse { updated }))
}
