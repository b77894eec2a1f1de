//! Reports (`/reports`): members flag what breaks the rules; moderators and admins resolve them.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use plaza_domain::modlog::{ModTarget, TargetKind};
use plaza_domain::report::{Report, ReportAction, ReportNote, ReportReason, ReportStatus};
use plaza_domain::{Invalid, PageRequest, ReportId, ValidationErrors};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthUser;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, PathId, blocking};
use crate::field::Field;
use crate::moderation::{ModeratorResponse, TargetKindName};
use crate::respond::{list, parse_time, serialize_time};
use crate::responses::{
    BadRequest, Forbidden, NotFound, PayloadTooLarge, Unauthorized, UnsupportedMediaType,
};
use crate::role::RoleName;
use crate::state::AppState;

/// What is reported: a kind and that thing's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportTarget {
    pub kind: TargetKindName,
    /// The comment's, post's, event's or user's id.
    #[schema(minimum = 1)]
    pub id: i64,
}

/// Why something is reported.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportReasonName {
    Spam,
    Harassment,
    Illegal,
    Other,
}

impl From<ReportReason> for ReportReasonName {
    fn from(reason: ReportReason) -> Self {
        match reason {
            ReportReason::Spam => Self::Spam,
            ReportReason::Harassment => Self::Harassment,
            ReportReason::Illegal => Self::Illegal,
            ReportReason::Other => Self::Other,
        }
    }
}

/// What a moderator did about a report.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportActionName {
    Dismiss,
    Remove,
    Ban,
}

impl From<ReportAction> for ReportActionName {
    fn from(action: ReportAction) -> Self {
        match action {
            ReportAction::Dismiss => Self::Dismiss,
            ReportAction::Remove => Self::Remove,
            ReportAction::Ban => Self::Ban,
        }
    }
}

/// Open or resolved.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatusName {
    Open,
    Resolved,
}

/// The reported item as it is now, for moderators deciding on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedContentResponse {
    /// Who wrote it (the account itself, for a reported account); `username` is `null` once the account
    /// is gone.
    pub author: ReportedAuthor,
    /// A post's title, an event's name, an account's user name; `null` for a comment.
    #[schema(required = true)]
    pub title: Option<String>,
    /// A comment's or post's text, an event's description, an account's full name.
    pub text: String,
    /// The event a reported comment is on (read it in context there); `null` for other kinds.
    #[schema(required = true)]
    pub event_id: Option<i64>,
    /// Whether it was removed (moderators still read it here).
    pub removed: bool,
}

/// The author of a reported item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportedAuthor {
    pub id: i64,
    #[schema(required = true)]
    pub username: Option<String>,
    /// Their role now (whether a moderator may ban them); `null` once the account is gone.
    #[schema(required = true)]
    pub role: Option<RoleName>,
}

/// How a report was resolved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionResponse {
    pub action: ReportActionName,
    /// The moderator's note; may be empty.
    pub note: String,
    /// Who resolved it; `null` once their account is gone.
    #[schema(required = true)]
    pub moderator: Option<ModeratorResponse>,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub resolved_at: DateTime<Utc>,
}

/// A report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResponse {
    pub id: i64,
    pub target: ReportTarget,
    pub reason: ReportReasonName,
    /// The reporter's note; may be empty.
    pub note: String,
    pub status: ReportStatusName,
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// `null` while open.
    #[schema(required = true)]
    pub resolution: Option<ResolutionResponse>,
    /// The reported item as it is now, in `GET /reports` and resolutions (moderators only); `null` when
    /// it is gone, and always `null` in the answer to the reporter.
    #[schema(required = true)]
    pub content: Option<ReportedContentResponse>,
}

impl ReportResponse {
    /// The report as a moderator reads it: with the reported item.
    fn for_moderators(report: Report) -> Self {
        let content = report.content.clone().map(|content| ReportedContentResponse {
            author: ReportedAuthor {
                id: content.author.get(),
                username: content.author_username,
                role: content.author_role.map(RoleName::from),
            },
            title: content.title,
            text: content.text,
            event_id: content.event_id,
            removed: content.removed,
        });
        Self {
            content,
            ..Self::for_reporter(report)
        }
    }

    /// The report as its reporter reads it: what they sent, without the item (which they know).
    pub(crate) fn for_reporter(report: Report) -> Self {
        let status = match report.status() {
            ReportStatus::Open => ReportStatusName::Open,
            ReportStatus::Resolved => ReportStatusName::Resolved,
        };
        Self {
            id: report.id.get(),
            target: ReportTarget {
                kind: report.target.kind.into(),
                id: report.target.id,
            },
            reason: report.reason.into(),
            note: report.note,
            status,
            created_at: report.created_at,
            resolution: report.resolution.map(|resolution| ResolutionResponse {
                action: resolution.action.into(),
                note: resolution.note,
                moderator: resolution
                    .moderator
                    .zip(resolution.moderator_username)
                    .map(|(id, username)| ModeratorResponse {
                        id: id.get(),
                        username,
                    }),
                resolved_at: resolution.at,
            }),
            content: None,
        }
    }
}

/// A report to file.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateReportBody {
    #[serde(default)]
    #[schema(value_type = ReportTarget, required = true)]
    pub target: Field<serde_json::Value>,
    #[serde(default)]
    #[schema(value_type = ReportReasonName, required = true)]
    pub reason: Field<String>,
    /// In the reporter's words; at most 1,000 characters. Left out or `null`: empty.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub note: Field<String>,
}

/// Reads `{"kind": …, "id": …}`, each part's error under its own name.
fn target(raw: serde_json::Value, errors: &mut ValidationErrors) -> Option<ModTarget> {
    let serde_json::Value::Object(fields) = raw else {
        errors.push("target", "must be an object with \"kind\" and \"id\"");
        return None;
    };
    let kind = match fields.get("kind") {
        None | Some(serde_json::Value::Null) => {
            errors.push("target.kind", crate::field::REQUIRED);
            None
        }
        Some(serde_json::Value::String(kind)) => errors.check("target.kind", TargetKind::parse(kind)),
        Some(_) => {
            errors.push("target.kind", "must be a string");
            None
        }
    };
    let id = match fields.get("id") {
        None | Some(serde_json::Value::Null) => {
            errors.push("target.id", crate::field::REQUIRED);
            None
        }
        Some(id) => errors.check(
            "target.id",
            id.as_i64()
                .filter(|id| *id >= 1)
                .ok_or_else(|| Invalid::new("must be a positive integer")),
        ),
    };
    Some(ModTarget { kind: kind?, id: id? })
}

/// Reports a comment, post, event or account to the moderators. One open report per reporter and
/// target (`409 already_reported`); a missing (or removed) target is `404`.
#[utoipa::path(
    post,
    path = "/reports",
    tag = "moderation",
    operation_id = "create_report",
    request_body = CreateReportBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The report, open", body = ReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
        (status = 409, description = "`already_reported`: the caller's earlier report on it is still open",
            body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: AuthUser,
    body: ApiJson<CreateReportBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let body = body.0;
    let target = body
        .target
        .required("target", &mut errors, Ok)
        .and_then(|raw| target(raw, &mut errors));
    let reason = body
        .reason
        .required("reason", &mut errors, |raw| ReportReason::parse(&raw));
    let note = body.note.optional("note", &mut errors, ReportNote::parse);
    let (Some(target), Some(reason)) = (target, reason) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let note = note
        .given()
        .unwrap_or_else(|| ReportNote::parse("").expect("an empty note is a note"));
    let report = blocking(move || state.services.reports.file(&caller.0, target, reason, note)).await?;
    Ok(HttpResponse::Ok().json(ReportResponse::for_reporter(report)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportsQuery {
    /// `open` (the default) or `resolved`.
    #[param(nullable = false, value_type = Option<ReportStatusName>)]
    status: Option<String>,
    #[param(nullable = false, minimum = 0, default = 0)]
    skip: Option<i64>,
    #[param(nullable = false, minimum = 1, maximum = 100, default = 10)]
    limit: Option<i64>,
}

/// The reports, oldest first, each with the reported item as it is now: the moderators' queue. Only
/// moderators and admins may read it.
#[utoipa::path(
    get,
    path = "/reports",
    tag = "moderation",
    operation_id = "list_reports",
    params(ReportsQuery),
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "A page of reports, oldest first", body = [ReportResponse],
            headers(("X-Total-Count" = u64, description = "Reports with this status"))),
        (status = 204, description = "No report on this page",
            headers(("X-Total-Count" = u64, description = "Reports with this status"))),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    )
)]
pub async fn list_reports(
    state: web::Data<AppState>,
    caller: AuthUser,
    query: ApiQuery<ReportsQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    let status = match query.status.as_deref() {
        None => ReportStatus::Open,
        Some(raw) => {
            ReportStatus::parse(raw).map_err(|invalid| ValidationErrors::single("status", invalid.0))?
        }
    };
    let page = PageRequest::new(query.skip, query.limit)?;
    let reports = blocking(move || state.services.reports.list(&caller.0, status, page)).await?;
    Ok(list(reports.map(ReportResponse::for_moderators), &[]))
}

#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // read by `PathId`; here for the document
pub struct ReportIdParam {
    /// The report's id, a positive integer.
    #[param(minimum = 1)]
    report_id: i64,
}

/// What a moderator does about a report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveReportBody {
    /// `dismiss` (nothing is wrong), `remove` (remove the item; not for an account), or `ban` (remove the
    /// item, unless it is an account, and ban its author).
    #[serde(default)]
    #[schema(value_type = ReportActionName, required = true)]
    pub action: Field<String>,
    /// The moderator's note, at most 1,000 characters: the reason the moderation log (and a ban notice)
    /// gives; left out or empty, the log says "reported as" and the report's reason.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 1000)]
    pub note: Field<String>,
    /// For `ban`: when the ban lifts itself, in the future; `null` or left out: until lifted.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub until: Field<String>,
}

/// Resolves a report, and with it every other open report on the same item, carrying out `action` in
/// the same transaction: each removal and ban is logged in the moderation log. Moderators and admins
/// only; a ban follows the limits of `POST /users/{user_id}/ban`.
#[utoipa::path(
    post,
    path = "/reports/{report_id}/resolve",
    tag = "moderation",
    operation_id = "resolve_report",
    params(ReportIdParam),
    request_body = ResolveReportBody,
    security(("OAuth2PasswordBearer" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "The report, resolved, with the item as it now is", body = ReportResponse),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, description = "`report_resolved`: it was resolved already", body = ErrorBody),
        (status = 413, response = PayloadTooLarge),
        (status = 415, response = UnsupportedMediaType),
    )
)]
pub async fn resolve(
    state: web::Data<AppState>,
    caller: AuthUser,
    id: PathId<ReportId>,
    body: ApiJson<ResolveReportBody>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = ValidationErrors::default();
    let body = body.0;
    let action = body
        .action
        .required("action", &mut errors, |raw| ReportAction::parse(&raw));
    let note = body.note.optional("note", &mut errors, ReportNote::parse);
    let until = body
        .until
        .optional("until", &mut errors, |raw| parse_time(&raw).map_err(Invalid::new));
    let Some(action) = action.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let note = note
        .given()
        .unwrap_or_else(|| ReportNote::parse("").expect("an empty note is a note"));
    let report = blocking(move || {
        state
            .services
            .reports
            .resolve(&caller.0, id.0, action, note, until.given())
    })
    .await?;
    Ok(HttpResponse::Ok().json(ReportResponse::for_moderators(report)))
}
