//! Reports in the `reports` table; resolving one carries out its action in the same write.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use plaza_domain::modlog::{ModTarget, TargetKind};
use plaza_domain::page::{Page, PageRequest};
use plaza_domain::removal::{Removable, Removal};
use plaza_domain::report::{
    NewReport, Report, ReportAction, ReportReason, ReportRepository, ReportStatus, ReportedContent,
    Resolution, ResolveOrder,
};
use plaza_domain::role::Role;
use plaza_domain::ticket::{HolderNotices, Notified};
use plaza_domain::user::BanOrder;
use plaza_domain::{Conflict, RepoError, ReportId, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::sql::Sql;
use chrono::NaiveDateTime;

#[derive(QueryableByName)]
struct ReportRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    reporter_id: i64,
    #[diesel(sql_type = Text)]
    target_kind: String,
    #[diesel(sql_type = BigInt)]
    target_id: i64,
    #[diesel(sql_type = BigInt)]
    author_id: i64,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    note: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    resolved_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    action: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    resolution_note: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    moderator_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    moderator_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    author_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    author_role: Option<String>,
}

macro_rules! report_select {
    () => {
        "SELECT r.id, r.reporter_id, r.target_kind, r.target_id, r.author_id, r.reason, r.note, r.created_at, \
         r.resolved_at, r.action, r.resolution_note, r.moderator_id, CASE WHEN m.deleted_at IS NULL THEN m.username ELSE 'deleted user' END AS moderator_username, \
         CASE WHEN a.deleted_at IS NULL THEN a.username ELSE 'deleted user' END AS author_username, a.role AS author_role \
         FROM reports r LEFT JOIN users m ON m.id = r.moderator_id LEFT JOIN users a ON a.id = r.author_id "
    };
}

/// A reported item's text as it is now, live or removed.
#[derive(QueryableByName)]
struct ContentRow {
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Text)]
    text: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    event_id: Option<i64>,
    #[diesel(sql_type = BigInt)]
    removed: i64,
}

fn content_query(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Comment => {
            "SELECT NULL::TEXT AS title, content AS text, event_id, 0::BIGINT AS removed FROM comments WHERE id = $1 \
             UNION ALL SELECT NULL::TEXT, content, event_id, 1::BIGINT FROM removed_comments WHERE id = $1"
        }
        TargetKind::Post => {
            "SELECT title, content AS text, NULL::BIGINT AS event_id, 0::BIGINT AS removed FROM posts WHERE id = $1 \
             UNION ALL SELECT title, content, NULL, 1::BIGINT FROM removed_posts WHERE id = $1"
        }
        TargetKind::Event => {
            "SELECT name AS title, description AS text, NULL::BIGINT AS event_id, 0::BIGINT AS removed FROM events WHERE id = $1 \
             UNION ALL SELECT name, description, NULL, 1::BIGINT FROM removed_events WHERE id = $1"
        }
        TargetKind::User => {
            "SELECT CASE WHEN deleted_at IS NULL THEN username ELSE 'deleted user' END AS title, coalesce(full_name, '') AS text, NULL::BIGINT AS event_id, 0::BIGINT AS removed \
             FROM users WHERE id = $1"
        }
    }
}

#[derive(QueryableByName)]
struct Username {
    #[diesel(sql_type = Text)]
    username: String,
}

/// The account's user name while it lives: a missing or deleted author is not banned.
fn username(conn: &mut Conn, id: i64) -> QueryResult<Option<String>> {
    Ok(
        Sql::new("SELECT username FROM users WHERE id = $1 AND deleted_at IS NULL")
            .int(id)
            .get_result::<Username>(conn)
            .optional()?
            .map(|row| row.username),
    )
}

fn content(
    conn: &mut Conn,
    target: ModTarget,
    author: i64,
    author_username: Option<String>,
    author_role: Option<String>,
) -> Result<Option<ReportedContent>, StoreError> {
    let Some(row) = Sql::new(content_query(target.kind))
        .int(target.id)
        .get_result::<ContentRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    Ok(Some(ReportedContent {
        author: UserId::from_stored(author),
        author_username,
        author_role: author_role
            .map(|role| Role::parse(&role).map_err(StoreError::corrupt))
            .transpose()?,
        title: row.title,
        text: row.text,
        event_id: row.event_id,
        removed: row.removed != 0,
    }))
}

fn report(conn: &mut Conn, row: ReportRow) -> Result<Report, StoreError> {
    let (author, author_username, author_role) = (
        row.author_id,
        row.author_username.clone(),
        row.author_role.clone(),
    );
    let mut report = report_without_content(row)?;
    report.content = content(conn, report.target, author, author_username, author_role)?;
    Ok(report)
}

fn report_without_content(row: ReportRow) -> Result<Report, StoreError> {
    let target = ModTarget {
        kind: TargetKind::parse(&row.target_kind).map_err(StoreError::corrupt)?,
        id: row.target_id,
    };
    let resolution = match (row.resolved_at, row.action) {
        (Some(at), Some(action)) => Some(Resolution {
            action: ReportAction::parse(&action).map_err(StoreError::corrupt)?,
            note: row.resolution_note.unwrap_or_default(),
            moderator: row.moderator_id.map(UserId::from_stored),
            moderator_username: row.moderator_username,
            at: at.and_utc(),
        }),
        _ => None,
    };
    Ok(Report {
        id: ReportId::from_stored(row.id),
        reporter: UserId::from_stored(row.reporter_id),
        target,
        author: UserId::from_stored(row.author_id),
        reason: ReportReason::parse(&row.reason).map_err(StoreError::corrupt)?,
        note: row.note,
        created_at: row.created_at.and_utc(),
        resolution,
        content: None,
    })
}

fn find(conn: &mut Conn, id: ReportId) -> Result<Option<Report>, StoreError> {
    let row: Option<ReportRow> = Sql::new(concat!(report_select!(), "WHERE r.id = $1"))
        .int(id.get())
        .get_result(conn)
        .optional()?;
    row.map(|row| report(conn, row)).transpose()
}

#[derive(QueryableByName)]
struct Author {
    #[diesel(sql_type = BigInt)]
    author: i64,
}

/// The author of a live target, or `None` when it is not there (a deleted account is not).
fn author(conn: &mut Conn, target: ModTarget) -> QueryResult<Option<i64>> {
    Sql::new(match target.kind {
        TargetKind::Comment => "SELECT owner_id AS author FROM comments WHERE id = $1",
        TargetKind::Post => "SELECT owner_id AS author FROM posts WHERE id = $1",
        TargetKind::Event => "SELECT owner_id AS author FROM events WHERE id = $1",
        TargetKind::User => "SELECT id AS author FROM users WHERE id = $1 AND deleted_at IS NULL",
    })
    .int(target.id)
    .get_result::<Author>(conn)
    .optional()
    .map(|row| row.map(|row| row.author))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// [`ReportRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgReports {
    db: Database,
}

impl PgReports {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl ReportRepository for PgReports {
    fn create(&self, new: NewReport) -> Result<Report, RepoError> {
        self.db.write(|conn| {
            let author = author(conn, new.target)?.ok_or(RepoError::NotFound)?;
            let open = Sql::new(
                "SELECT count(*) AS count FROM reports \
                 WHERE reporter_id = $1 AND target_kind = $2 AND target_id = $3 AND resolved_at IS NULL",
            )
            .int(new.reporter.get())
            .text(new.target.kind.as_str())
            .int(new.target.id)
            .get_result::<Count>(conn)?;
            if open.count > 0 {
                return Err(RepoError::Conflict(Conflict::AlreadyReported).into());
            }
            // A report racing this one past the check above meets the unique index: `AlreadyReported`.
            let id = Sql::new(
                "INSERT INTO reports (reporter_id, target_kind, target_id, author_id, reason, note, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id AS author",
            )
            .int(new.reporter.get())
            .text(new.target.kind.as_str())
            .int(new.target.id)
            .int(author)
            .text(new.reason.as_str())
            .text(new.note.as_str())
            .timestamp(new.at.naive_utc())
            .get_result::<Author>(conn)?
            .author;
            find(conn, ReportId::from_stored(id))?.ok_or_else(|| RepoError::NotFound.into())
        })
    }

    fn find(&self, id: ReportId) -> Result<Option<Report>, RepoError> {
        self.db.read(|conn| find(conn, id))
    }

    fn filed_by(
        &self,
        reporter: UserId,
        after: Option<ReportId>,
        limit: u32,
    ) -> Result<Vec<Report>, RepoError> {
        self.db.read(|conn| {
            let rows: Vec<ReportRow> = Sql::new(concat!(
                report_select!(),
                "WHERE r.reporter_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3"
            ))
            .int(reporter.get())
            .int(after.map_or(0, ReportId::get))
            .int(i64::from(limit))
            .load(conn)?;
            rows.into_iter().map(report_without_content).collect()
        })
    }

    fn list(&self, status: ReportStatus, page: PageRequest) -> Result<Page<Report>, RepoError> {
        self.db.read(|conn| {
            let (offset, limit) = page.offset_and_limit();
            let (count, rows) = match status {
                ReportStatus::Open => (
                    "SELECT count(*) AS count FROM reports WHERE resolved_at IS NULL",
                    concat!(
                        report_select!(),
                        "WHERE r.resolved_at IS NULL ORDER BY r.id LIMIT $1 OFFSET $2"
                    ),
                ),
                ReportStatus::Resolved => (
                    "SELECT count(*) AS count FROM reports WHERE resolved_at IS NOT NULL",
                    concat!(
                        report_select!(),
                        "WHERE r.resolved_at IS NOT NULL ORDER BY r.id LIMIT $1 OFFSET $2"
                    ),
                ),
            };
            let total = Sql::new(count).get_result::<Count>(conn)?.count;
            let rows: Vec<ReportRow> = Sql::new(rows).int(limit).int(offset).load(conn)?;
            let items = rows
                .into_iter()
                .map(|row| report(conn, row))
                .collect::<Result<_, _>>()?;
            Ok(Page {
                items,
                total: total.unsigned_abs(),
            })
        })
    }

    fn resolve(
        &self,
        order: ResolveOrder,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<(Report, Option<String>)>, RepoError> {
        self.db.write(|conn| {
            // Locked: two moderators resolving it at once act one after the other.
            let row: ReportRow = Sql::new(concat!(report_select!(), "WHERE r.id = $1 FOR UPDATE OF r"))
                .int(order.report.get())
                .get_result(conn)
                .optional()?
                .ok_or(RepoError::NotFound)?;
            if row.resolved_at.is_some() {
                return Err(RepoError::Conflict(Conflict::ReportResolved).into());
            }
            let target = ModTarget {
                kind: TargetKind::parse(&row.target_kind).map_err(StoreError::corrupt)?,
                id: row.target_id,
            };
            let mut recipients = Vec::new();
            let mut image = None;
            if order.action != ReportAction::Dismiss
                && let Some(item) = Removable::of(target)
            {
                let removal = Removal {
                    item,
                    by: order.by,
                    reason: Some(order.removal_reason.clone()),
                    at: order.at,
                };
                match crate::removal::remove_in(conn, &removal, notices.as_ref()) {
                    Ok(removed) => (recipients, image) = removed,
                    // Gone already (deleted by its author, removed through another report): nothing to
                    // remove, and nothing was written.
                    Err(StoreError {
                        error: RepoError::NotFound,
                        ..
                    }) => {}
                    Err(other) => return Err(other),
                }
            }
            if let Some(ban) = &order.ban
                && username(conn, row.author_id)?.is_some()
            {
                let banned = crate::users::ban_in(
                    conn,
                    &BanOrder {
                        user: UserId::from_stored(row.author_id),
                        by: order.by,
                        by_role: order.by_role,
                        reason: ban.reason.clone(),
                        until: ban.until,
                        at: order.at,
                    },
                );
                match banned {
                    // Deleted since it was looked at: nobody is left to ban, as when it was gone before.
                    Ok(())
                    | Err(StoreError {
                        error: RepoError::NotFound,
                        ..
                    }) => {}
                    Err(other) => return Err(other),
                }
            }
            Sql::new(
                "UPDATE reports SET resolved_at = $1, action = $2, resolution_note = $3, moderator_id = $4 \
                 WHERE target_kind = $5 AND target_id = $6 AND resolved_at IS NULL",
            )
            .timestamp(order.at.naive_utc())
            .text(order.action.as_str())
            .text(order.note.as_str())
            .int(order.by.get())
            .text(target.kind.as_str())
            .int(target.id)
            .execute(conn)?;
            let report = find(conn, order.report)?.ok_or(RepoError::NotFound)?;
            Ok(Notified {
                value: (report, image),
                recipients,
            })
        })
    }
}
