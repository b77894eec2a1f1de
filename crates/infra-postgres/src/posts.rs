//! Posts in the `posts` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use plaza_domain::post::{NewPost, Post, PostChanges, PostRepository};
use plaza_domain::{Page, PageRequest, PostId, RepoError, UserId};

use crate::db::{Database, now};
use crate::schema::posts;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = posts, check_for_backend(Pg))]
pub(crate) struct PostRow {
    id: i64,
    title: String,
    content: String,
    owner_id: i64,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

impl From<PostRow> for Post {
    fn from(row: PostRow) -> Self {
        Post {
            id: PostId::from_stored(row.id),
            title: row.title,
            content: row.content,
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.and_utc(),
            edited_at: row.edited_at.map(|time| time.and_utc()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
struct PostInsert<'a> {
    title: &'a str,
    content: &'a str,
    owner_id: i64,
    created_at: NaiveDateTime,
}

fn by_owner(owner: Option<UserId>) -> posts::BoxedQuery<'static, Pg> {
    match owner {
        Some(owner) => posts::table.filter(posts::owner_id.eq(owner.get())).into_boxed(),
        None => posts::table.into_boxed(),
    }
}

/// [`PostRepository`] over PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgPostRepository {
    db: Database,
}

impl PgPostRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl PostRepository for PgPostRepository {
    fn create(&self, post: NewPost) -> Result<Post, RepoError> {
        self.db.write(|conn| {
            let row = diesel::insert_into(posts::table)
                .values(PostInsert {
                    title: post.title.as_str(),
                    content: post.content.as_str(),
                    owner_id: post.owner_id.get(),
                    created_at: now(),
                })
                .returning(PostRow::as_returning())
                .get_result(conn)?;
            Ok(row.into())
        })
    }

    fn find(&self, id: PostId) -> Result<Option<Post>, RepoError> {
        self.db.read(|conn| {
            Ok(posts::table
                .find(id.get())
                .select(PostRow::as_select())
                .first(conn)
                .optional()?
                .map(Post::from))
        })
    }

    fn list(&self, owner: Option<UserId>, page: PageRequest) -> Result<Page<Post>, RepoError> {
        self.db.read(|conn| {
            let (offset, limit) = page.offset_and_limit();
            let total: i64 = by_owner(owner).count().get_result(conn)?;
            let rows = by_owner(owner)
                .order((posts::created_at.desc(), posts::id.desc()))
                .offset(offset)
                .limit(limit)
                .select(PostRow::as_select())
                .load(conn)?;
            Ok(Page {
                items: rows.into_iter().map(Post::from).collect(),
                total: total.unsigned_abs(),
            })
        })
    }

    fn update(&self, id: PostId, changes: PostChanges, now: DateTime<Utc>) -> Result<Post, RepoError> {
        self.db.write(|conn| {
            let row = diesel::update(posts::table.find(id.get()))
                .set((
                    changes
                        .title
                        .as_ref()
                        .map(|title| posts::title.eq(title.as_str())),
                    changes
                        .content
                        .as_ref()
                        .map(|content| posts::content.eq(content.as_str())),
                    posts::edited_at.eq(Some(now.naive_utc())),
                ))
                .returning(PostRow::as_returning())
                .get_result(conn)
                .optional()?;
            Ok(row.ok_or(RepoError::NotFound)?.into())
        })
    }

    fn delete(&self, id: PostId) -> Result<(), RepoError> {
        self.db.write(
            |conn| match diesel::delete(posts::table.find(id.get())).execute(conn)? {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            },
        )
    }
}
