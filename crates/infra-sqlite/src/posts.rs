//! Posts in the `posts` table.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sqlite::Sqlite;
use plaza_domain::post::{NewPost, Post, PostChanges, PostRepository};
use plaza_domain::{Page, PageRequest, PostId, RepoError, UserId};

use crate::conn::now;
use crate::db::Database;
use crate::schema::posts;
use crate::time::StoredTime;

#[derive(Queryable, QueryableByName, Selectable)]
#[diesel(table_name = posts, check_for_backend(Sqlite))]
pub(crate) struct PostRow {
    id: i64,
    title: String,
    content: String,
    owner_id: i64,
    created_at: StoredTime,
    edited_at: Option<NaiveDateTime>,
}

impl From<PostRow> for Post {
    fn from(row: PostRow) -> Self {
        Post {
            id: PostId::from_stored(row.id),
            title: row.title,
            content: row.content,
            owner_id: UserId::from_stored(row.owner_id),
            created_at: row.created_at.utc(),
            edited_at: row.edited_at.map(|time| time.and_utc()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = posts)]
struct PostInsert<'a> {
    /// Set only when SQLite would otherwise reuse a removed item's id ([`crate::fresh_id::fresh_id`]).
    id: Option<i64>,
    title: &'a str,
    content: &'a str,
    owner_id: i64,
    created_at: NaiveDateTime,
}

fn by_owner(owner: Option<UserId>) -> posts::BoxedQuery<'static, Sqlite> {
    match owner {
        Some(owner) => posts::table.filter(posts::owner_id.eq(owner.get())).into_boxed(),
        None => posts::table.into_boxed(),
    }
}

/// [`PostRepository`] over SQLite.
#[derive(Debug, Clone)]
pub struct SqlitePostRepository {
    db: Database,
}

impl SqlitePostRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

impl PostRepository for SqlitePostRepository {
    fn create(&self, post: NewPost) -> Result<Post, RepoError> {
        self.db.write(move |conn| {
            let id = crate::fresh_id::fresh_id(conn, plaza_domain::modlog::TargetKind::Post)?;
            let row = diesel::insert_into(posts::table)
                .values(PostInsert {
                    id,
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
        self.db.read_one(|conn| {
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
        self.db.write(move |conn| {
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
            move |conn| match diesel::delete(posts::table.find(id.get())).execute(conn)? {
                0 => Err(RepoError::NotFound.into()),
                _ => Ok(()),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::tests::temp_db;
    use crate::users::SqliteUserRepository;
    use crate::users::tests::new_user;
    use plaza_domain::post::{PostContent, PostTitle};
    use plaza_domain::user::UserRepository;

    fn new_post(owner: UserId, title: &str) -> NewPost {
        NewPost {
            title: PostTitle::parse(title).unwrap(),
            content: PostContent::parse("body").unwrap(),
            owner_id: owner,
        }
    }

    #[test]
    fn lists_newest_first_optionally_by_author() {
        let (_dir, db) = temp_db();
        let users = SqliteUserRepository::new(db.clone());
        let (alice, bob) = (
            users.create(new_user("alice")).unwrap().id,
            users.create(new_user("bob")).unwrap().id,
        );
        let repo = SqlitePostRepository::new(db);
        for (owner, title) in [(alice, "a1"), (bob, "b1"), (alice, "a2")] {
            repo.create(new_post(owner, title)).unwrap();
        }
        let titles = |page: Page<Post>| page.items.into_iter().map(|p| p.title).collect::<Vec<_>>();
        let all = repo.list(None, PageRequest::default()).unwrap();
        assert_eq!(all.total, 3);
        assert_eq!(titles(all), ["a2", "b1", "a1"]);
        let alices = repo
            .list(Some(alice), PageRequest::new(Some(1), Some(10)).unwrap())
            .unwrap();
        assert_eq!(alices.total, 2);
        assert_eq!(titles(alices), ["a1"]);
    }

    #[test]
    fn finds_and_deletes() {
        let (_dir, db) = temp_db();
        let owner = SqliteUserRepository::new(db.clone())
            .create(new_user("alice"))
            .unwrap()
            .id;
        let repo = SqlitePostRepository::new(db);
        let post = repo.create(new_post(owner, "hello")).unwrap();
        assert_eq!(repo.find(post.id).unwrap(), Some(post.clone()));
        repo.delete(post.id).unwrap();
        assert_eq!(repo.find(post.id).unwrap(), None);
        assert!(matches!(repo.delete(post.id), Err(RepoError::NotFound)));
    }

    #[test]
    fn a_post_needs_an_existing_author() {
        let (_dir, db) = temp_db();
        let repo = SqlitePostRepository::new(db);
        assert!(matches!(
            repo.create(new_post(UserId::from_stored(42), "orphan")),
            Err(RepoError::NotFound)
        ));
    }
}
