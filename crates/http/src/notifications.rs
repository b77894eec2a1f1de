//! `/notifications/…`: the caller's inbox.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::notification::{
    InboxCursor, Notification, NotificationMessage, NotificationSubject, SenderName,
};
use plaza_domain::{NotificationId, PageRequest, UserId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, OptionalJson, PathId, blocking, flag};
use crate::field::{Field, Optional};
use crate::respond::{UNREAD_COUNT, list, serialize_time};
use crate::responses::{BadRequest, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: i64,
    pub message: String,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// Free text chosen by whoever sent it: show it beside the sending account, never instead of it.
    pub sender: String,
    /// The account that caused the notification (the commenter, or the caller of `POST /notifications/`).
    pub sender_id: i64,
    /// The recipient.
    pub owner_id: i64,
    /// The event a comment, places-given or moved notification is about; `null` for the others, and once
    /// the event is gone.
    #[schema(required = true)]
    pub event_id: Option<i64>,
    pub read: bool,
    /// What it is about: a client writes it in its reader's language from `kind` and `params`, and shows
    /// `message` (English) for a kind it does not know — more will come, so this is a string, not a closed
    /// list. Today: `message`, `comment`, `places_given`, `event_moved`, `event_cancelled`.
    #[schema(value_type = String, example = "comment")]
    pub kind: NotificationKind,
    pub params: NotificationParams,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone's own words (`POST /notifications/`), or one written before notifications had kinds:
    /// `message` is all there is; `params` is empty.
    Message,
    /// `sender_id` commented on an event: `params` has `event_id` (`null` once the event is gone),
    /// `event_name`, `commenter_id`, `commenter_name`.
    Comment,
    /// The waitlist gave the recipient tickets: `event_id` (`null` once the event is gone), `event_name`,
    /// `quantity`.
    PlacesGiven,
    /// An event the recipient holds tickets to moved: `event_id` (`null` once the event is gone),
    /// `event_name`, `event_time` (the new start).
    EventMoved,
    /// An event the recipient held tickets to was cancelled: `event_name`.
    EventCancelled,
}

/// The parts of a notification a client puts into words; which are present depends on `kind`.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct NotificationParams {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = true)]
    pub event_id: Option<Option<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub event_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub commenter_id: Option<i64>,
    /// The commenter's name as shown when they commented (their full name, or user name).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub commenter_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, minimum = 1)]
    pub quantity: Option<i64>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::tickets::serialize_optional_time"
    )]
    #[schema(nullable = false, value_type = Option<String>, format = DateTime)]
    pub event_time: Option<DateTime<Utc>>,
}

impl NotificationParams {
    fn of(notification: &Notification) -> (NotificationKind, Self) {
        let event_id = notification.event_id.map(|id| id.get());
        match &notification.subject {
            NotificationSubject::Message => (NotificationKind::Message, Self::default()),
            NotificationSubject::Comment { event_name } => (
                NotificationKind::Comment,
                Self {
                    event_id: Some(event_id),
                    event_name: Some(event_name.clone()),
                    commenter_id: Some(notification.sender_id.get()),
                    commenter_name: Some(notification.sender.clone()),
                    ..Self::default()
                },
            ),
            NotificationSubject::PlacesGiven { event_name, quantity } => (
                NotificationKind::PlacesGiven,
                Self {
                    event_id: Some(event_id),
                    event_name: Some(event_name.clone()),
                    quantity: Some(*quantity),
                    ..Self::default()
                },
            ),
            NotificationSubject::EventMoved {
                event_name,
                event_time,
            } => (
                NotificationKind::EventMoved,
                Self {
                    event_id: Some(event_id),
                    event_name: Some(event_name.clone()),
                    event_time: Some(*event_time),
                    ..Self::default()
                },
            ),
            NotificationSubject::EventCancelled { event_name } => (
                NotificationKind::EventCancelled,
                Self {
                    event_name: Some(event_name.clone()),
                    ..Self::default()
                },
            ),
        }
    }
}

impl From<Notification> for NotificationResponse {
    fn from(notification: Notification) -> Self {
        let (kind, params) = NotificationParams::of(&notification);
        Self {
            kind,
            params,
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
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 1000)]
    pub message: Field<String>,
    /// A name to show as the sender; the sending account is recorded as `sender_id` regardless.
    #[serde(default)]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 100)]
    pub sender: Field<String>,
    /// The recipient; the caller when left out or `null`.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1)]
    pub owner_id: Field<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationListQuery {
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
    /// Only unread notifications: `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    #[serde(default, deserialize_with = "flag")]
    #[param(value_type = bool, nullable = false, default = false)]
    unread_only: Option<bool>,
}

/// The `id` path parameter of a notification.
#[derive(IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub struct NotificationIdParam(
    /// The notification's id, a positive integer.
    #[param(minimum = 1)]
    pub i64,
);

/// Which notifications to mark read. The body is optional; an empty body marks all of them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadAllBody {
    /// Only notifications with an id up to this one; left out or `null`, all of them. Send the highest id
    /// the user has been shown, so that nothing unseen is cleared.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub up_to_id: Field<i64>,
}

fn non_negative(id: i64) -> Result<InboxCursor, plaza_domain::Invalid> {
    InboxCursor::parse(id).ok_or_else(|| plaza_domain::Invalid::new("must be greater than or equal to 0"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadAllResponse {
    /// How many notifications changed from unread to read.
    pub updated: u64,
}

/// Sends a notification from the caller to `owner_id` (default: the caller). The caller is recorded as
/// `sender_id`.
#[utoipa::path(
    post,
    path = "/notifications/",
    tag = "notifications",
    operation_id = "send_notification",
    request_body = CreateNotificationBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The new notification", body = NotificationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
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
    let message = message.required("message", &mut errors, NotificationMessage::parse);
    let sender = sender.required("sender", &mut errors, SenderName::parse);
    let owner_id = owner_id.optional("owner_id", &mut errors, UserId::parse);
    let (Some(message), Some(sender)) = (message, sender) else {
        return Err(errors.into());
    };
    let owner_id = match owner_id {
        Optional::Absent => None,
        Optional::Given(owner_id) => Some(owner_id),
        Optional::Invalid => return Err(errors.into()),
    };
    let notification = blocking(move || {
        state
            .services
            .notifications
            .send(&caller.0, message, sender, owner_id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(NotificationResponse::from(notification)))
}

/// The caller's notifications, newest first (by `id`, descending), with the unread count.
#[utoipa::path(
    get,
    path = "/notifications/",
    tag = "notifications",
    operation_id = "list_notifications",
    params(NotificationListQuery),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A page of the caller's notifications", body = [NotificationResponse],
            headers(
                ("X-Total-Count" = u64, description = "Notifications matching, before `skip` and `limit`"),
                ("X-Unread-Count" = u64, description = "All of the caller's unread notifications"),
            )),
        (status = 204, description = "No notification on this page",
            headers(
                ("X-Total-Count" = u64, description = "Notifications matching, before `skip` and `limit`"),
                ("X-Unread-Count" = u64, description = "All of the caller's unread notifications"),
            )),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    )
)]
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
    let unread_only = unread_only.unwrap_or(false);
    let (notifications, unread) =
        blocking(move || state.services.notifications.list(&caller.0, unread_only, page)).await?;
    Ok(list(
        notifications.map(NotificationResponse::from),
        &[(UNREAD_COUNT, unread.to_string())],
    ))
}

/// Marks one of the caller's notifications read; `404` for an id that is not the caller's.
#[utoipa::path(
    post,
    path = "/notifications/{id}/read",
    tag = "notifications",
    operation_id = "mark_notification_read",
    params(NotificationIdParam),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The notification, read", body = NotificationResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    )
)]
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<NotificationId>,
) -> Result<HttpResponse, ApiError> {
    let notification = blocking(move || state.services.notifications.mark_read(&caller.0, id.0)).await?;
    Ok(HttpResponse::Ok().json(NotificationResponse::from(notification)))
}

/// Marks the caller's notifications read: all of them, or with `up_to_id` only those with an id up to it.
#[utoipa::path(
    post,
    path = "/notifications/read-all",
    tag = "notifications",
    operation_id = "mark_all_notifications_read",
    request_body(content = Option<ReadAllBody>, content_type = "application/json",
        description = "Optional: an empty body marks every notification read"),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "How many changed from unread to read", body = ReadAllResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn mark_all_read(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: OptionalJson<ReadAllBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let up_to = match body.0 {
        None => None,
        Some(body) => match body.up_to_id.optional("up_to_id", &mut errors, non_negative) {
            Optional::Absent => None,
            Optional::Given(up_to) => Some(up_to),
            Optional::Invalid => return Err(errors.into()),
        },
    };
    let updated = blocking(move || state.services.notifications.mark_all_read(&caller.0, up_to)).await?;
    Ok(HttpResponse::Ok().json(ReadAllResponse { updated }))
}
