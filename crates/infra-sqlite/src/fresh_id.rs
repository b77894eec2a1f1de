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

/// The id a new comment, post or event must take so that it is not a removed one's: SQLite gives a new
/// row the largest id of its table plus one, so removing the newest item would hand its id to the next
/// (and reports and the log name items by id). `None` (let SQLite choose) unless a removed copy holds the
/// largest id.
pub(crate) fn fresh_id(conn: &mut Conn, kind: TargetKind) -> QueryResult<Option<i64>> {
    let sql = match kind {
        TargetKind::Comment => {
            "SELECT CASE WHEN r.id >= coalesce(l.id, 0) THEN r.id + 1 END AS id \
             FROM (SELECT max(id) AS id FROM removed_comments) r, (SELECT max(id) AS id FROM comments) l"
        }
        TargetKind::Post => {
            "SELECT CASE WHEN r.id >= coalesce(l.id, 0) THEN r.id + 1 END AS id \
             FROM (SELECT max(id) AS id FROM removed_posts) r, (SELECT max(id) AS id FROM posts) l"
        }
        TargetKind::Event => {
            "SELECT CASE WHEN r.id >= coalesce(l.id, 0) THEN r.id + 1 END AS id \
             FROM (SELECT max(id) AS id FROM removed_events) r, (SELECT max(id) AS id FROM events) l"
        }
        TargetKind::User => return Ok(None),
    };
    Ok(Sql::new(sql).get_result::<FreshId>(conn)?.id)
}
