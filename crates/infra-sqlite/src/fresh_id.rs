//! Ids that are never a removed item's.

use diesel::prelude::*;
use plaza_domain::modlog::TargetKind;

use crate::conn::Conn;
use crate::sql::Sql;

#[derive(QueryableByName)]
struct FreshId {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    id: Option<i64>,
}

/// The id a new comment, post or event must take so that it names nothing that was ever named by one of
/// its kind: SQLite gives a new row the largest id of its table plus one, so deleting or removing the
/// newest item would hand its id to the next — and reports and the moderation log name items by id (a
/// report on a deleted comment must not come to name someone else's). `None` (let SQLite choose) unless
/// a removed copy, a report or a log entry names an id at least as large as the table's largest.
pub(crate) fn fresh_id(conn: &mut Conn, kind: TargetKind) -> QueryResult<Option<i64>> {
    let sql = match kind {
        TargetKind::Comment => {
            "SELECT CASE WHEN n.id >= coalesce(l.id, 0) THEN n.id + 1 END AS id FROM \
             (SELECT max(id) AS id FROM (SELECT max(id) AS id FROM removed_comments \
              UNION ALL SELECT max(target_id) FROM reports WHERE target_kind = 'comment' \
              UNION ALL SELECT max(target_id) FROM modlog WHERE target_kind = 'comment')) n, \
             (SELECT max(id) AS id FROM comments) l"
        }
        TargetKind::Post => {
            "SELECT CASE WHEN n.id >= coalesce(l.id, 0) THEN n.id + 1 END AS id FROM \
             (SELECT max(id) AS id FROM (SELECT max(id) AS id FROM removed_posts \
              UNION ALL SELECT max(target_id) FROM reports WHERE target_kind = 'post' \
              UNION ALL SELECT max(target_id) FROM modlog WHERE target_kind = 'post')) n, \
             (SELECT max(id) AS id FROM posts) l"
        }
        TargetKind::Event => {
            "SELECT CASE WHEN n.id >= coalesce(l.id, 0) THEN n.id + 1 END AS id FROM \
             (SELECT max(id) AS id FROM (SELECT max(id) AS id FROM removed_events \
              UNION ALL SELECT max(target_id) FROM reports WHERE target_kind = 'event' \
              UNION ALL SELECT max(target_id) FROM modlog WHERE target_kind = 'event')) n, \
             (SELECT max(id) AS id FROM events) l"
        }
        TargetKind::User => return Ok(None),
    };
    Ok(Sql::new(sql).get_result::<FreshId>(conn)?.id)
}
