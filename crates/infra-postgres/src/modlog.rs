//! The moderation log in the `modlog` table: written beside the act it records, read newest first.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use plaza_domain::modlog::{ModAction, ModLogEntry, ModLogRepository, ModTarget, TargetKind};
use plaza_domain::{ModLogId, Page, PageRequest, RepoError, UserId};

use crate::db::{Conn, Database};
use crate::error::StoreError;
use crate::schema::modlog;
use crate::sql::Sql;

/// An entry to write, in the transaction of the act it records.
pub(crate) struct Record<'a> {
    pub(crate) moderator: Option<UserId>,
    pub(crate) action: ModAction,
    pub(crate) target: ModTarget,
    pub(crate) reason: Option<&'a str>,
    pub(crate) at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = modlog)]
pub(crate) struct Insert<'a> {
    pub(crate) id: Option<i64>,
    pub(crate) moderator_id: Option<i64>,
    pub(crate) action: &'a str,
    pub(crate) role: Option<&'a str>,
    pub(crate) target_kind: &'a str,
    pub(crate) target_id: i64,
    pub(crate) reason: Option<&'a str>,
    pub(crate) until: Option<NaiveDateTime>,
    pub(crate) created_at: NaiveDateTime,
}

pub(crate) fn record(conn: &mut Conn, entry: Record<'_>) -> Result<(), StoreError> {
    diesel::insert_into(modlog::table)
        .values(Insert {
            id: None,
            moderator_id: entry.moderator.map(UserId::get),
            action: entry.action.name(),
            role: entry.action.role().map(|role| role.as_str()),
            target_kind: entry.target.kind.as_str(),
            target_id: entry.target.id,
            reason: entry.reason,
            until: entry.action.until().map(|until| until.naive_utc()),
            created_at: entry.at,
        })
        .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    moderator_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    moderator_username: Option<String>,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<Text>)]
    role: Option<String>,
    #[diesel(sql_type = Text)]
    target_kind: String,
    #[diesel(sql_type = BigInt)]
    target_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    target_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamp>)]
    until: Option<NaiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

fn entries(rows: Vec<EntryRow>) -> Result<Vec<ModLogEntry>, StoreError> {
    rows.into_iter()
        .map(|row| {
            // The table's CHECKs admit only what these read; anything else is a broken store.
            let action = ModAction::from_stored(
                &row.action,
                row.role.as_deref(),
                row.until.map(|until| until.and_utc()),
            )
            .map_err(|invalid| RepoError::internal(invalid.0))?;
            let kind =
                TargetKind::parse(&row.target_kind).map_err(|invalid| RepoError::internal(invalid.0))?;
            Ok(ModLogEntry {
                id: ModLogId::from_stored(row.id),
                moderator: row.moderator_id.map(UserId::from_stored),
                moderator_username: row.moderator_username,
                action,
                target: ModTarget {
                    kind,
                    id: row.target_id,
                },
                target_username: row.target_username,
                reason: row.reason,
                created_at: row.created_at.and_utc(),
            })
        })
        .collect()
}

/// [`ModLogRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgModLog {
    db: Database,
}

impl PgModLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl ModLogRepository for PgModLog {
    fn list(&self, page: PageRequest) -> Result<Page<ModLogEntry>, RepoError> {
        self.db.read(|conn| {
            let (offset, limit) = page.offset_and_limit();
            let total: i64 = modlog::table.count().get_result(conn)?;
            let rows = Sql::new(
                "SELECT m.id, m.moderator_id, CASE WHEN mu.deleted_at IS NULL THEN mu.username ELSE 'deleted user' END AS moderator_username, m.action, m.role, \
                 m.target_kind, m.target_id, CASE WHEN tu.deleted_at IS NULL THEN tu.username ELSE 'deleted user' END AS target_username, m.reason, m.until, m.created_at \
                 FROM modlog m \
                 LEFT JOIN users mu ON mu.id = m.moderator_id \
                 LEFT JOIN users tu ON m.target_kind = 'user' AND tu.id = m.target_id \
                 ORDER BY m.id DESC LIMIT $1 OFFSET $2",
            )
            .int(limit)
            .int(offset)
            .load(conn)?;
            Ok(Page {
                items: entries(rows)?,
                total: total.unsigned_abs(),
            })
        })
    }
}
