//! Calendar feeds: the upcoming events a search finds, and a person's own private feed (the
//! events they organise or hold tickets to) at an address holding a secret that only they were given.
//! Which events a feed holds is decided here; writing them as iCalendar is the HTTP adapter's part.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use plaza_domain::PageRequest;
use plaza_domain::calendar::CalendarRepository;
use plaza_domain::event::{Event, EventRepository, TimeWindow};
use plaza_domain::user::{User, UserRepository};

use crate::auth::refuse_banned;
use crate::error::{AppError, OrNotFound};
use crate::events::event_query;
use crate::secret::{digest, new_secret};

/// The most events one feed lists: a calendar application reads the whole feed on every refresh.
pub const FEED_LIMIT: u32 = 500;

/// How far back a private feed reaches: events that started up to 30 days ago stay in it, so that a
/// calendar still shows what one went to last week.
pub fn private_feed_history() -> TimeDelta {
    TimeDelta::days(30)
}

/// A private feed: whose it is, and their events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateFeed {
    pub owner: User,
    pub events: Vec<Event>,
}

#[derive(Clone)]
pub struct CalendarService {
    events: Arc<dyn EventRepository>,
    calendars: Arc<dyn CalendarRepository>,
    users: Arc<dyn UserRepository>,
}

impl CalendarService {
    pub fn new(
        events: Arc<dyn EventRepository>,
        calendars: Arc<dyn CalendarRepository>,
        users: Arc<dyn UserRepository>,
    ) -> Self {
        Self {
            events,
            calendars,
            users,
        }
    }

    /// The first [`FEED_LIMIT`] events not started by `now` that `search` finds (every such event without
    /// one), in list order: the public feed is the list of upcoming events, as a calendar.
    pub fn upcoming(&self, search: Option<&str>, now: DateTime<Utc>) -> Result<Vec<Event>, AppError> {
        match event_query(search, TimeWindow::Upcoming(now), PageRequest::first(FEED_LIMIT)) {
            Some(query) => Ok(self.events.list(&query)?.items),
            None => Ok(Vec::new()),
        }
    }

    /// A new secret for `user`'s private feed, which stops the address of any earlier one from working.
    /// Only its digest is stored: the secret is shown this once.
    pub fn new_secret(&self, user: &User) -> Result<String, AppError> {
        let secret = new_secret()?;
        self.calendars
            .set_secret(user.id, &digest(&secret), Utc::now().trunc_subsecs(3))
            .or_not_found("user")?;
        Ok(secret)
    }

    /// When `user` made the private feed address that works now; `None` when there is none.
    pub fn secret_made_at(&self, user: &User) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(self.calendars.made_at(user.id)?)
    }

    /// Turns `user`'s private feed off: its address opens nothing from then on.
    pub fn turn_off(&self, user: &User) -> Result<(), AppError> {
        Ok(self.calendars.clear_secret(user.id)?)
    }

    /// The private feed whose address holds `secret`, as of `now`: the events its owner organises or holds
    /// tickets to, from [`private_feed_history`] ago on, at most [`FEED_LIMIT`]. `404` for a secret that
    /// opens no feed (never given, replaced, or its account deleted); `403 account_banned` while its owner
    /// is banned, as for every other credential of theirs.
    pub fn private_feed(&self, secret: &str, now: DateTime<Utc>) -> Result<PrivateFeed, AppError> {
        let owner = match self.calendars.owner_of(&digest(secret))? {
            Some(id) => self.users.find(id)?,
            None => None,
        }
        .filter(|owner| !owner.is_deleted())
        .ok_or(AppError::NotFound("calendar"))?;
        refuse_banned(&owner, now)?;
        let events = self
            .calendars
            .events_of(owner.id, now - private_feed_history(), FEED_LIMIT)?;
        Ok(PrivateFeed { owner, events })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::tests::event;
    use crate::users::tests::user;
    use mockall::predicate::eq;
    use plaza_domain::calendar::MockCalendarRepository;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::user::{Ban, MockUserRepository};
    use plaza_domain::{RepoError, UserId};

    fn service(
        events: MockEventRepository,
        calendars: MockCalendarRepository,
        users: MockUserRepository,
    ) -> CalendarService {
        CalendarService::new(Arc::new(events), Arc::new(calendars), Arc::new(users))
    }

    #[test]
    fn the_public_feed_is_the_upcoming_list_up_to_the_feed_limit() {
        let now = Utc::now();
        let mut events = MockEventRepository::new();
        events
            .expect_list()
            .withf(move |query| {
                query.window == TimeWindow::Upcoming(now)
                    && query.page == PageRequest::first(FEED_LIMIT)
                    && query.search.as_ref().map(|terms| terms.terms().len()) == Some(2)
            })
            .times(1)
            .returning(|_| {
                Ok(plaza_domain::Page {
                    items: vec![event(1, 7), event(2, 7)],
                    total: 2,
                })
            });
        let feed = service(events, MockCalendarRepository::new(), MockUserRepository::new())
            .upcoming(Some("rust meetup"), now)
            .unwrap();
        assert_eq!(feed.iter().map(|e| e.id.get()).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(PageRequest::first(FEED_LIMIT).limit(), 500);
    }

    #[test]
    fn a_search_without_a_word_is_an_empty_feed_without_asking_the_store() {
        let feed = service(
            MockEventRepository::new(),
            MockCalendarRepository::new(),
            MockUserRepository::new(),
        )
        .upcoming(Some(" ;,! "), Utc::now())
        .unwrap();
        assert!(feed.is_empty());
    }

    #[test]
    fn a_new_secret_is_stored_only_as_its_digest_and_differs_each_time() {
        let mut calendars = MockCalendarRepository::new();
        let stored = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = stored.clone();
        calendars
            .expect_set_secret()
            .withf(|user, _, _| *user == UserId::from_stored(4))
            .times(2)
            .returning(move |_, digest, _| {
                seen.lock().unwrap().push(digest.to_owned());
                Ok(())
            });
        let calendar = service(MockEventRepository::new(), calendars, MockUserRepository::new());
        let first = calendar.new_secret(&user(4, "ada")).unwrap();
        let second = calendar.new_secret(&user(4, "ada")).unwrap();
        assert_ne!(first, second);
        assert!(first.len() >= 43, "at least 256 bits in URL-safe base64");
        assert_eq!(*stored.lock().unwrap(), [digest(&first), digest(&second)]);
    }

    #[test]
    fn a_secret_for_a_deleted_account_is_not_found() {
        let mut calendars = MockCalendarRepository::new();
        calendars
            .expect_set_secret()
            .returning(|_, _, _| Err(RepoError::NotFound));
        let refused = service(MockEventRepository::new(), calendars, MockUserRepository::new())
            .new_secret(&user(4, "ada"));
        assert!(matches!(refused, Err(AppError::NotFound("user"))), "{refused:?}");
    }

    /// A store that knows one feed, `secret`'s, as `owner`'s.
    fn feed_of(owner: User, secret: &'static str) -> (MockCalendarRepository, MockUserRepository) {
        let mut calendars = MockCalendarRepository::new();
        let id = owner.id;
        calendars
            .expect_owner_of()
            .returning(move |asked| Ok((asked == digest(secret)).then_some(id)));
        let mut users = MockUserRepository::new();
        users
            .expect_find()
            .with(eq(id))
            .returning(move |_| Ok(Some(owner.clone())));
        (calendars, users)
    }

    #[test]
    fn a_private_feed_lists_its_owners_events_from_thirty_days_back() {
        let now = Utc::now();
        let (mut calendars, users) = feed_of(user(4, "ada"), "s3cret");
        calendars
            .expect_events_of()
            .with(
                eq(UserId::from_stored(4)),
                eq(now - TimeDelta::days(30)),
                eq(FEED_LIMIT),
            )
            .times(1)
            .returning(|_, _, _| Ok(vec![event(9, 4)]));
        let feed = service(MockEventRepository::new(), calendars, users)
            .private_feed("s3cret", now)
            .unwrap();
        assert_eq!(feed.owner.username, "ada");
        assert_eq!(feed.events.iter().map(|e| e.id.get()).collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn an_unknown_secret_or_a_deleted_owner_opens_nothing() {
        let (calendars, users) = feed_of(user(4, "ada"), "s3cret");
        let calendar = service(MockEventRepository::new(), calendars, users);
        let unknown = calendar.private_feed("guess", Utc::now());
        assert!(
            matches!(unknown, Err(AppError::NotFound("calendar"))),
            "{unknown:?}"
        );

        let mut gone = user(5, "bob");
        gone.deleted_at = Some(Utc::now());
        let (calendars, users) = feed_of(gone, "old");
        let deleted = service(MockEventRepository::new(), calendars, users).private_feed("old", Utc::now());
        assert!(
            matches!(deleted, Err(AppError::NotFound("calendar"))),
            "{deleted:?}"
        );
    }

    #[test]
    fn a_banned_owners_feed_is_refused_while_the_ban_holds() {
        let now = Utc::now();
        let mut banned = user(4, "ada");
        banned.ban = Some(Ban {
            reason: "spam".into(),
            until: Some(now + TimeDelta::hours(1)),
            since: now,
        });
        let (calendars, users) = feed_of(banned, "s3cret");
        let refused = service(MockEventRepository::new(), calendars, users).private_feed("s3cret", now);
        assert!(matches!(refused, Err(AppError::Banned(_))), "{refused:?}");
    }
}
