//! Another Rust service reusing Plaza's domain: it builds the domain's validated values, keeps posts in a
//! store of its own (an in-memory [`PostRepository`]), and works through the port alone, as Plaza's use
//! cases do with the SQLite and PostgreSQL adapters.
//!
//! Run it with `cargo run -p plaza-domain --example in_memory_store`. It asserts what it prints, so it
//! fails when the domain's rules change (`cargo test -p plaza-domain` builds it too).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use plaza_domain::event::{Capacity, EventName, MaxTickets, TicketQuantity};
use plaza_domain::post::{NewPost, Post, PostChanges, PostContent, PostRepository, PostTitle};
use plaza_domain::user::{Email, Username};
use plaza_domain::{Page, PageRequest, PostId, RepoError, UserId, ValidationErrors};

/// Posts in a map, under ids this store hands out. Every method of the port, nothing more.
#[derive(Default)]
struct InMemoryPosts {
    rows: Mutex<BTreeMap<PostId, Post>>,
}

impl InMemoryPosts {
    fn rows(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<PostId, Post>>, RepoError> {
        self.rows
            .lock()
            .map_err(|_| RepoError::internal("a writer panicked while holding the posts"))
    }
}

impl PostRepository for InMemoryPosts {
    fn create(&self, post: NewPost) -> Result<Post, RepoError> {
        let mut rows = self.rows()?;
        let next = rows.keys().next_back().map_or(1, |id| id.get() + 1);
        let stored = Post {
            id: post_id(next),
            title: post.title.into_inner(),
            content: post.content.into_inner(),
            owner_id: post.owner_id,
            created_at: Utc::now(),
            edited_at: None,
        };
        rows.insert(stored.id, stored.clone());
        Ok(stored)
    }

    fn find(&self, id: PostId) -> Result<Option<Post>, RepoError> {
        Ok(self.rows()?.get(&id).cloned())
    }

    /// Newest first (`created_at`, then `id`, descending), as the port asks.
    fn list(&self, owner: Option<UserId>, page: PageRequest) -> Result<Page<Post>, RepoError> {
        let mut posts: Vec<Post> = self
            .rows()?
            .values()
            .filter(|post| owner.is_none_or(|owner| post.owner_id == owner))
            .cloned()
            .collect();
        posts.sort_by_key(|post| std::cmp::Reverse((post.created_at, post.id)));
        let total = posts.len() as u64;
        let skip = usize::try_from(page.skip()).unwrap_or(usize::MAX);
        let items = posts.into_iter().skip(skip).take(page.limit() as usize).collect();
        Ok(Page { items, total })
    }

    fn update(&self, id: PostId, changes: PostChanges, now: DateTime<Utc>) -> Result<Post, RepoError> {
        let mut rows = self.rows()?;
        let post = rows.get_mut(&id).ok_or(RepoError::NotFound)?;
        if let Some(title) = changes.title {
            post.title = title.into_inner();
        }
        if let Some(content) = changes.content {
            post.content = content.into_inner();
        }
        post.edited_at = Some(now);
        Ok(post.clone())
    }

    fn delete(&self, id: PostId) -> Result<(), RepoError> {
        self.rows()?.remove(&id).map(|_| ()).ok_or(RepoError::NotFound)
    }
}

/// An id this store handed out.
fn post_id(raw: i64) -> PostId {
    PostId::from_stored(raw)
}

/// The id of one of the service's accounts, which a store of its own assigned.
fn user_id(raw: i64) -> UserId {
    UserId::from_stored(raw)
}

/// A post from raw input, every invalid field reported at once, as Plaza's use cases do.
fn new_post(owner: UserId, title: &str, content: &str) -> Result<NewPost, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let title = errors.check("title", PostTitle::parse(title));
    let content = errors.check("content", PostContent::parse(content));
    match (title, content) {
        (Some(title), Some(content)) => Ok(NewPost {
            title,
            content,
            owner_id: owner,
        }),
        _ => Err(errors),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Values exist only valid; what is refused says why.
    let alice = Username::parse("alice_1").map_err(|e| e.0)?;
    let email = Email::parse("alice@example.org").map_err(|e| e.0)?;
    println!(
        "accepted user name {:?} and e-mail {:?}",
        alice.as_str(),
        email.as_str()
    );
    let refused = Username::parse("al").expect_err("two characters are too few");
    println!("refused user name \"al\": {refused}");
    assert_eq!(refused.0, "must be 3 to 32 characters");
    assert!(Email::parse("alice@localhost").is_err(), "a domain needs a dot");

    let name = EventName::parse("Rust meetup").map_err(|e| e.0)?;
    let max = MaxTickets::parse(50).map_err(|e| e.0)?;
    let capacity = Capacity::new(0, max).map_err(|e| e.0)?;
    println!(
        "event {:?}: {} of {} tickets sold",
        name.as_str(),
        capacity.sold(),
        capacity.max().get()
    );
    let oversold = Capacity::new(51, max).expect_err("more sold than the maximum");
    println!("refused 51 sold of 50: {oversold}");
    assert_eq!(oversold.0, "must not exceed max_tickets (50)");
    assert!(EventName::parse(" \t").is_err(), "white space only is empty");
    assert!(TicketQuantity::parse(0).is_err() && TicketQuantity::parse(100).is_ok());
    assert!(
        UserId::parse(0).is_err() && UserId::parse(7).is_ok(),
        "ids are positive"
    );
    let page = PageRequest::new(Some(-1), Some(0)).expect_err("both fields are out of range");
    println!("refused page: {page}");
    assert_eq!(
        page.0.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
        ["skip", "limit"]
    );

    // The service's own store, used only through the domain's port.
    let store = InMemoryPosts::default();
    let posts: &dyn PostRepository = &store;
    let (ann, bob) = (user_id(1), user_id(2));
    let first = posts.create(new_post(ann, "Hello", "First post.")?)?;
    let second = posts.create(new_post(bob, "Meetup notes", "Slides are online.")?)?;
    let third = posts.create(new_post(ann, "Again", "A second post by Ann.")?)?;
    println!("created posts {}, {} and {}", first.id, second.id, third.id);
    assert_eq!((first.id, third.id), (post_id(1), post_id(3)));

    let invalid = new_post(ann, "", &"x".repeat(PostContent::MAX_CHARS + 1)).expect_err("both fields");
    println!("refused post: {invalid}");
    let fields: Vec<_> = invalid.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "content"]);

    assert_eq!(
        posts.find(second.id)?.map(|post| post.title),
        Some("Meetup notes".to_owned())
    );
    assert_eq!(posts.find(post_id(99))?, None);

    let newest = posts.list(None, PageRequest::new(None, Some(2))?)?;
    let ids: Vec<PostId> = newest.items.iter().map(|post| post.id).collect();
    println!("first page of {}: {ids:?}", newest.total);
    assert_eq!((ids, newest.total), (vec![third.id, second.id], 3));
    let by_ann = posts.list(Some(ann), PageRequest::default())?;
    assert_eq!(by_ann.map(|post| post.id).items, [third.id, first.id]);

    let edited = posts.update(
        second.id,
        PostChanges {
            title: None,
            content: Some(PostContent::parse("Slides and video are online.").map_err(|e| e.0)?),
        },
        Utc::now(),
    )?;
    println!("edited post {} at {:?}", edited.id, edited.edited_at);
    assert_eq!(
        (edited.title.as_str(), edited.content.as_str()),
        ("Meetup notes", "Slides and video are online.")
    );
    assert!(edited.edited_at.is_some() && second.edited_at.is_none());

    posts.delete(first.id)?;
    assert!(matches!(posts.delete(first.id), Err(RepoError::NotFound)));
    assert_eq!(posts.list(None, PageRequest::default())?.total, 2);
    println!("deleted post {}; deleting it again: not found", first.id);
    Ok(())
}
