//! The storage ports' contract, written once: what every adapter of `plaza-domain`'s repository ports
//! must answer, whatever the database behind it. An adapter crate runs the whole suite against fresh,
//! empty stores of its own with [`contract_tests!`]:
//!
//! ```ignore
//! fn fresh() -> Option<plaza_port_contract::FreshStore> { /* a new empty database, its `stores()` */ }
//! plaza_port_contract::contract_tests!(fresh);
//! ```
//!
//! Each check is a plain function of [`Stores`]; a failed expectation panics, which fails the test that
//! called it. What only one store can be asked (query plans, fault injection in its own SQL) stays in
//! that adapter's own tests.
#![allow(clippy::unwrap_used)] // a failed expectation is a failed test

use std::sync::{Arc, Barrier};

use chrono::{TimeZone, Utc};
use plaza_domain::comment::{CommentContent, FanOut, NewComment};
use plaza_domain::event::{
    Capacity, DurationHours, DurationMinutes, Event, EventChanges, EventDescription, EventImage, EventName,
    EventQuery, ImageAlt, MaxTickets, NewEvent, TicketQuantity, TimeWindow,
};
use plaza_domain::live::StreamTicket;
use plaza_domain::modlog::{ModAction, ModReason, ModTarget, RoleChange};
use plaza_domain::notification::{
    InboxCursor, NewNotification, NotificationMessage, NotificationQuery, NotificationSubject, SenderName,
};
use plaza_domain::place::{Address, Coordinates, OnlineUrl, Place, PlaceChanges, StoredPlace, Venue};
use plaza_domain::post::{NewPost, PostChanges, PostContent, PostTitle};
use plaza_domain::role::Role;
use plaza_domain::search::SearchTerms;
use plaza_domain::session::{Device, Expiry, MAX_PER_USER, NewSession, Renewal, Session};
use plaza_domain::ticket::HolderNotices;
use plaza_domain::ticket::{
    CheckIn, CheckInNonce, EventSummary, HeldTicket, Sale, TicketCode, TicketRepository, TicketStatus,
};
use plaza_domain::user::{
    BanOrder, BanReason, Email, FullName, Locale, NewUser, PasswordChange, PasswordHash, UserChanges,
    Username,
};
use plaza_domain::{
    CommentId, Conflict, EventId, NotificationId, PageRequest, PostId, RepoError, SessionId, TicketId, UserId,
};

pub use plaza_domain::Stores;

mod accounts;
mod calendar;
mod mail;
pub mod migrated_tables;
mod moderation;

pub use accounts::{
    a_deleted_account_keeps_its_name_and_words_and_loses_the_rest, a_notification_keeps_what_it_is_about,
    a_user_keeps_their_locale_until_they_change_it, the_last_admin_cannot_delete_their_account,
};
pub use calendar::{
    a_calendar_secret_opens_one_feed_until_it_is_replaced,
    a_private_feed_lists_what_its_owner_organises_or_holds_once_in_order,
    an_events_changes_are_counted_for_calendars,
};
pub use mail::{
    a_claim_whose_lease_ended_no_longer_speaks_for_the_mail,
    a_reset_token_works_once_and_takes_the_others_with_it,
    an_address_is_verified_by_a_link_to_it_and_a_new_address_starts_over,
    claims_at_the_same_time_never_share_a_mail, notification_mail_follows_new_notifications_once,
    resets_are_throttled_per_account_and_end_with_it, the_backlog_counts_the_mails_still_waiting,
    the_outbox_hands_each_due_mail_to_one_claim_per_lease,
};
pub use moderation::{
    a_removed_item_leaves_every_list_and_is_kept_apart, reports_are_filed_once_listed_and_resolved_together,
};

/// One adapter's ports over one fresh, empty store, as its one constructor gives them (for instance
/// `Database::stores`), and whatever must live as long as that store.
pub struct FreshStore {
    /// What the checks run on.
    pub stores: Stores,
    /// A temporary directory, a database to drop: kept until the check is over.
    pub keep_alive: Box<dyn std::any::Any + Send + Sync>,
}

/// Generates one `#[test]` per contract check, each on fresh stores from `$fresh()`, which returns
/// `Option<FreshStore>`: `None` when the store cannot be had here (the adapter says why, once).
#[macro_export]
macro_rules! contract_tests {
    ($fresh:path) => {
        $crate::contract_tests!(@each $fresh;
            users_are_created_and_found,
            an_events_changes_are_counted_for_calendars,
            a_calendar_secret_opens_one_feed_until_it_is_replaced,
            a_private_feed_lists_what_its_owner_organises_or_holds_once_in_order,
            the_outbox_hands_each_due_mail_to_one_claim_per_lease,
            the_backlog_counts_the_mails_still_waiting,
            a_claim_whose_lease_ended_no_longer_speaks_for_the_mail,
            an_address_is_verified_by_a_link_to_it_and_a_new_address_starts_over,
            notification_mail_follows_new_notifications_once,
            claims_at_the_same_time_never_share_a_mail,
            a_reset_token_works_once_and_takes_the_others_with_it,
            resets_are_throttled_per_account_and_end_with_it,
            user_names_and_emails_are_unique_ignoring_case,
            only_ascii_letters_are_folded_in_names_and_emails,
            nul_in_looked_up_text_finds_nothing,
            a_password_change_moves_the_token_epoch_forward,
            an_upgraded_hash_keeps_the_epoch_and_never_undoes_a_change,
            a_new_avatar_returns_the_one_it_replaces,
            a_removed_avatar_returns_the_one_it_was,
            a_deleted_account_keeps_its_name_and_words_and_loses_the_rest,
            the_last_admin_cannot_delete_their_account,
            a_user_keeps_their_locale_until_they_change_it,
            a_notification_keeps_what_it_is_about,
            users_are_listed_and_found_in_id_order,
            a_role_change_is_kept_listed_and_logged,
            the_last_admin_keeps_the_role,
            racing_demotions_of_two_admins_leave_one,
            a_ban_is_kept_lifted_and_logged,
            a_removed_item_leaves_every_list_and_is_kept_apart,
            reports_are_filed_once_listed_and_resolved_together,
            events_list_by_time_then_id_with_totals,
            time_windows_split_the_list_at_an_instant,
            an_organisers_events_are_listed_by_window,
            places_are_kept_and_changed_part_by_part,
            a_picture_is_kept_listed_and_replaced,
            event_times_are_kept_to_the_microsecond,
            search_follows_the_rule,
            search_follows_edits_and_deletes,
            several_word_totals_follow_every_change,
            purchases_stop_at_capacity,
            a_started_event_sells_nothing_from_its_start_on,
            purchases_follow_the_capacity_rule,
            capacity_cannot_drop_below_sales,
            concurrent_purchases_never_oversell,
            racing_sales_of_several_sizes_are_each_answered_as_they_left_the_event,
            a_purchase_issues_tickets_held_by_its_buyer,
            a_ticket_is_given_back_once_by_its_holder_before_the_start,
            racing_cancellations_of_one_ticket_cancel_it_once,
            a_ticket_is_checked_in_once_and_a_retried_scan_is_answered_the_same,
            racing_check_ins_of_one_code_admit_it_once,
            an_events_attendees_are_listed_in_sale_order_with_their_holders,
            a_waitlist_is_joined_only_while_too_few_are_left_once_per_person,
            freed_places_fill_the_waitlist_whole_in_join_order,
            places_offered_again_by_moving_an_event_before_its_start_go_to_the_line,
            holders_are_told_once_when_their_event_moves_or_goes,
            racing_cancellations_joins_and_purchases_never_lose_or_oversell_a_place,
            posts_list_newest_first_optionally_by_author,
            a_post_is_edited_field_by_field_and_says_when,
            a_comment_notifies_the_owner_and_earlier_commenters_once,
            comments_at_the_same_moment_each_notify_the_other,
            a_failed_notification_leaves_no_comment,
            commenting_on_a_missing_event_is_not_found,
            comment_pages_of_a_missing_event_are_not_found_and_past_the_end_are_empty,
            deleting_an_event_takes_its_comments_and_keeps_the_notifications,
            a_comment_is_edited_and_deleted_only_on_its_own_event,
            an_authors_comments_are_read_in_id_order_across_events,
            deep_comment_pages_are_slices_of_the_list_through_deletions,
            notifications_list_newest_first_with_the_unread_count,
            marking_read_is_per_owner_and_up_to_an_id,
            sent_since_counts_direct_notifications_only,
            a_notification_naming_a_missing_account_or_event_is_not_found,
            an_inbox_is_read_after_an_id_in_id_order,
            a_reader_following_an_inbox_misses_nothing_while_writers_race,
            stream_tickets_are_redeemed_once_before_they_expire,
            sessions_renew_once_and_a_spent_token_ends_them,
            sessions_expire_are_listed_and_ended_per_user,
            an_account_keeps_its_most_recently_used_sessions,
            a_user_is_found_signed_in_only_while_their_session_is_open,
            racing_renewals_of_one_token_renew_once,
            the_store_answers_pings,
        );
    };
    (@each $fresh:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                if let Some(fresh) = $fresh() {
                    $crate::$check(&fresh.stores);
                }
            }
        )*
    };
}

pub(crate) fn new_user(name: &str) -> NewUser {
    NewUser {
        username: Username::parse(name).unwrap(),
        email: Email::parse(format!("{name}@example.org")).unwrap(),
        full_name: Some(FullName::parse(format!("{name} Example")).unwrap()),
        password_hash: PasswordHash("$2b$04$not-a-real-hash".into()),
        locale: Locale::En,
        verification: None,
    }
}

pub(crate) fn user(stores: &Stores, name: &str) -> UserId {
    stores.users.create(new_user(name)).unwrap().id
}

fn new_event(owner: UserId, name: &str, description: &str, day: u32, max: i64) -> NewEvent {
    NewEvent {
        name: EventName::parse(name).unwrap(),
        event_time: Utc.with_ymd_and_hms(2027, 1, day, 18, 0, 0).unwrap(),
        description: EventDescription::parse(description).unwrap(),
        duration_hours: DurationHours::parse(2).unwrap(),
        duration_minutes: DurationMinutes::parse(30).unwrap(),
        capacity: Capacity::new(0, MaxTickets::parse(max).unwrap()).unwrap(),
        owner_id: owner,
        place: Place::default(),
    }
}

fn event(stores: &Stores, owner: UserId, name: &str, description: &str, day: u32) -> Event {
    stores
        .events
        .create(new_event(owner, name, description, day, 10))
        .unwrap()
}

/// When the purchases of the checks happen: before every event they make (those are in 2027).
/// A sale of `quantity` tickets to `holder` at `now`, each with a code no other sale of this process has
/// (adapters' own tests use it too).
pub fn sale(event: EventId, holder: UserId, quantity: TicketQuantity, now: chrono::DateTime<Utc>) -> Sale {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let codes = (0..quantity.get())
        .map(|_| {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            TicketCode::parse(&format!("code-{}-{n:020}", std::process::id())).unwrap()
        })
        .collect();
    Sale {
        receipt: None,
        event,
        holder,
        codes,
        now,
    }
}

/// A [`HolderNotices`] for the checks: codes like [`sale`]'s, and notices that say what happened.
pub struct TestNotices;

/// [`TestNotices`], boxed as the ports take them.
pub fn notices() -> Box<dyn HolderNotices> {
    Box::new(TestNotices)
}

impl HolderNotices for TestNotices {
    fn codes(&self, quantity: i64) -> Result<Vec<TicketCode>, RepoError> {
        let quantity =
            TicketQuantity::parse(quantity).map_err(|error| RepoError::Internal(error.to_string().into()))?;
        Ok(sale(
            EventId::from_stored(1),
            UserId::from_stored(1),
            quantity,
            sale_time(),
        )
        .codes)
    }

    fn places_given(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
        quantity: i64,
    ) -> Option<NewNotification> {
        let subject = NotificationSubject::PlacesGiven {
            event_name: event.name.clone(),
            quantity,
        };
        Some(told(
            event,
            organiser,
            recipient,
            &format!("given {quantity}"),
            subject,
        ))
    }

    fn time_changed(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification> {
        let subject = NotificationSubject::EventMoved {
            event_name: event.name.clone(),
            event_time: event.event_time,
        };
        Some(told(event, organiser, recipient, "moved", subject))
    }

    fn event_deleted(
        &self,
        event: &EventSummary,
        organiser: &str,
        recipient: UserId,
    ) -> Option<NewNotification> {
        let subject = NotificationSubject::EventCancelled {
            event_name: event.name.clone(),
        };
        Some(told(event, organiser, recipient, "deleted", subject))
    }
}

/// A notice "`what` `event name`" from the organiser.
fn told(
    event: &EventSummary,
    organiser: &str,
    recipient: UserId,
    what: &str,
    subject: NotificationSubject,
) -> NewNotification {
    // A cancelled event is gone: the notice points nowhere.
    let about = !matches!(subject, NotificationSubject::EventCancelled { .. });
    NewNotification {
        message: NotificationMessage::parse(format!("{what} {}", event.name)).unwrap(),
        sender: SenderName::parse(organiser).unwrap(),
        sender_id: event.owner_id,
        owner_id: recipient,
        event_id: about.then_some(event.id),
        subject,
    }
}

/// Changes an event as the owner does, at [`sale_time`], answering the event.
fn change(stores: &Stores, id: EventId, changes: EventChanges) -> Result<Event, RepoError> {
    stores
        .events
        .update(id, changes, sale_time(), notices())
        .map(|notified| notified.value)
}

/// Deletes an event as the owner does.
fn remove(stores: &Stores, id: EventId) -> Result<(), RepoError> {
    stores.events.delete(id, notices()).map(|notified| notified.value)
}

/// Gives a ticket back, answering it.
fn give_back(
    tickets: &dyn TicketRepository,
    id: TicketId,
    holder: UserId,
    now: chrono::DateTime<Utc>,
) -> Result<HeldTicket, RepoError> {
    tickets
        .cancel(id, holder, now, notices())
        .map(|notified| notified.value)
}

fn sale_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

fn page(skip: i64, limit: i64) -> PageRequest {
    PageRequest::new(Some(skip), Some(limit)).unwrap()
}

fn search_names(stores: &Stores, text: &str) -> Vec<String> {
    let query = EventQuery {
        search: SearchTerms::parse(text),
        window: TimeWindow::All,
        page: page(0, 100),
    };
    let found = stores.events.list(&query).unwrap();
    assert_eq!(found.total as usize, found.items.len(), "total of {text:?}");
    found.items.into_iter().map(|event| event.name).collect()
}

fn comment(event: EventId, author: UserId, text: &str) -> NewComment {
    NewComment {
        content: CommentContent::parse(text).unwrap(),
        event_id: event,
        owner_id: author,
    }
}

pub(crate) fn note(to: UserId, from: UserId, event: Option<EventId>, text: &str) -> NewNotification {
    NewNotification {
        message: NotificationMessage::parse(text).unwrap(),
        sender: SenderName::parse("Sender").unwrap(),
        sender_id: from,
        owner_id: to,
        event_id: event,
        subject: NotificationSubject::Message,
    }
}

/// What a comment's notification holds: the event, and that it was a comment on it.
fn commented(to: UserId, from: UserId, event: &Event) -> NewNotification {
    NewNotification {
        subject: NotificationSubject::Comment {
            event_name: event.name.clone(),
        },
        // The sentence the app writes: it begins with the sender's name.
        ..note(
            to,
            from,
            Some(event.id),
            &format!("Sender commented on \"{}\"", event.name),
        )
    }
}

/// The app's rule, simplified: the owner and every participant, each once, never the author (adapters'
/// own tests use it too).
pub struct Everyone(pub UserId);

impl FanOut for Everyone {
    fn notifications(&self, event: &Event, participants: &[UserId]) -> Vec<NewNotification> {
        let mut recipients = vec![event.owner_id];
        recipients.extend_from_slice(participants);
        recipients.sort_unstable();
        recipients.dedup();
        recipients
            .into_iter()
            .filter(|to| *to != self.0)
            .map(|to| commented(to, self.0, event))
            .collect()
    }
}

/// Sends to fixed recipients, whoever they are.
pub struct To(pub Vec<UserId>, pub UserId);

impl FanOut for To {
    fn notifications(&self, event: &Event, _: &[UserId]) -> Vec<NewNotification> {
        self.0.iter().map(|to| commented(*to, self.1, event)).collect()
    }
}

pub(crate) fn inbox(stores: &Stores, owner: UserId, unread_only: bool) -> (Vec<String>, u64, u64) {
    let (page, unread) = stores
        .notifications
        .list(NotificationQuery {
            owner,
            unread_only,
            page: page(0, 100),
        })
        .unwrap();
    (
        page.items.into_iter().map(|n| n.message).collect(),
        page.total,
        unread,
    )
}

pub fn users_are_created_and_found(stores: &Stores) {
    let alice = stores.users.create(new_user("alice")).unwrap();
    assert!(alice.id.get() > 0);
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.full_name.as_deref(), Some("alice Example"));
    assert!(
        alice.token_epoch < alice.created_at,
        "registration is not a password change"
    );
    assert_eq!(stores.users.find(alice.id).unwrap(), Some(alice.clone()));
    assert_eq!(stores.users.find_by_username("ALICE").unwrap(), Some(alice));
    assert_eq!(stores.users.find(UserId::from_stored(9_999)).unwrap(), None);
    assert_eq!(stores.users.find_by_username("nobody").unwrap(), None);
}

pub fn user_names_and_emails_are_unique_ignoring_case(stores: &Stores) {
    user(stores, "alice");
    let mut same_name = new_user("Alice");
    same_name.email = Email::parse("other@example.org").unwrap();
    assert!(matches!(
        stores.users.create(same_name),
        Err(RepoError::Conflict(Conflict::UsernameTaken))
    ));
    let mut same_email = new_user("bob");
    same_email.email = Email::parse("ALICE@example.org").unwrap();
    assert!(matches!(
        stores.users.create(same_email),
        Err(RepoError::Conflict(Conflict::EmailTaken))
    ));
    let bob = user(stores, "bob");
    let taking_alice = UserChanges {
        username: Username::parse("ALICE").unwrap(),
        email: Email::parse("bob@example.org").unwrap(),
        full_name: None,
        password: None,
        locale: None,
        notification_mail: None,
        verification: None,
    };
    assert!(matches!(
        stores.users.update(bob, taking_alice),
        Err(RepoError::Conflict(Conflict::UsernameTaken))
    ));
}

/// Lookalike letters are other letters: `lower()` in PostgreSQL folds U+212A KELVIN SIGN into `k` and
/// U+0130 into `i`; the contract folds A-Z only, as SQLite's `NOCASE` does.
pub fn only_ascii_letters_are_folded_in_names_and_emails(stores: &Stores) {
    let kiki = user(stores, "kiki");
    assert_eq!(
        stores.users.find_by_username("KIKI").unwrap().map(|u| u.id),
        Some(kiki)
    );
    assert_eq!(stores.users.find_by_username("\u{212A}iki").unwrap(), None);
    assert_eq!(stores.users.find_by_username("k\u{130}ki").unwrap(), None);

    let with_email = |name: &str, email: &str| {
        let mut new = new_user(name);
        new.email = Email::parse(email).unwrap();
        stores.users.create(new)
    };
    with_email("kelvin", "\u{212A}elvin@example.org").unwrap();
    with_email("kelly", "kelvin@example.org").expect("an ASCII k is not the KELVIN SIGN");
    with_email("ida", "\u{130}da@example.org").unwrap();
    with_email("ida2", "ida@example.org").expect("i is not U+0130");
    assert!(matches!(
        with_email("kelvin2", "KELVIN@example.org"),
        Err(RepoError::Conflict(Conflict::EmailTaken))
    ));
}

/// NUL cannot be stored as text on every database (PostgreSQL refuses it); validated values never hold it,
/// and text that is only looked up finds nothing instead of failing.
pub fn nul_in_looked_up_text_finds_nothing(stores: &Stores) {
    user(stores, "alice");
    assert_eq!(stores.users.find_by_username("ali\0ce").unwrap(), None);
    assert_eq!(stores.users.find_by_username("\0").unwrap(), None);
    assert_eq!(stores.stream_tickets.redeem("key\0", Utc::now()).unwrap(), None);
    let owner = user(stores, "owner");
    event(stores, owner, "Jazz night", "", 1);
    assert_eq!(
        search_names(stores, "jazz\0night"),
        ["Jazz night"],
        "NUL separates words"
    );
}

pub fn a_password_change_moves_the_token_epoch_forward(stores: &Stores) {
    let alice = stores.users.create(new_user("alice")).unwrap();
    let changes = |password: Option<&str>| UserChanges {
        username: Username::parse("alice2").unwrap(),
        email: Email::parse("alice2@example.org").unwrap(),
        full_name: None,
        password: password.map(|hash| PasswordChange {
            hash: PasswordHash(hash.into()),
        }),
        locale: None,
        notification_mail: None,
        verification: None,
    };
    let renamed = stores.users.update(alice.id, changes(None)).unwrap();
    assert_eq!((renamed.username.as_str(), renamed.full_name), ("alice2", None));
    assert_eq!(
        renamed.token_epoch, alice.token_epoch,
        "no password, no new epoch"
    );
    let first = stores
        .users
        .update(alice.id, changes(Some("$2b$04$first")))
        .unwrap();
    let second = stores
        .users
        .update(alice.id, changes(Some("$2b$04$second")))
        .unwrap();
    assert_eq!(second.password_hash.0, "$2b$04$second");
    assert!(first.token_epoch > alice.token_epoch);
    assert!(
        second.token_epoch > first.token_epoch,
        "each change moves the epoch on"
    );
    assert!(matches!(
        stores.users.update(UserId::from_stored(9_999), changes(None)),
        Err(RepoError::NotFound)
    ));
}

pub fn an_upgraded_hash_keeps_the_epoch_and_never_undoes_a_change(stores: &Stores) {
    let alice = stores.users.create(new_user("alice")).unwrap();
    let stronger = PasswordHash("$2b$12$stronger".into());
    assert!(
        stores
            .users
            .upgrade_password_hash(alice.id, &alice.password_hash, &stronger)
            .unwrap()
    );
    let upgraded = stores.users.find(alice.id).unwrap().unwrap();
    assert_eq!(upgraded.password_hash, stronger);
    assert_eq!(
        upgraded.token_epoch, alice.token_epoch,
        "the same password: tokens stay valid"
    );
    // A stale upgrade (the hash it started from is gone) changes nothing.
    let late = PasswordHash("$2b$12$late".into());
    assert!(
        !stores
            .users
            .upgrade_password_hash(alice.id, &alice.password_hash, &late)
            .unwrap()
    );
    assert_eq!(
        stores.users.find(alice.id).unwrap().unwrap().password_hash,
        stronger
    );
    assert!(
        !stores
            .users
            .upgrade_password_hash(UserId::from_stored(9_999), &stronger, &late)
            .unwrap()
    );
}

pub fn a_new_avatar_returns_the_one_it_replaces(stores: &Stores) {
    let alice = user(stores, "alice");
    let (with_first, previous) = stores.users.set_avatar(alice, Some("a.png".into())).unwrap();
    assert_eq!((with_first.avatar.as_deref(), previous), (Some("a.png"), None));
    let (_, previous) = stores.users.set_avatar(alice, Some("b.png".into())).unwrap();
    assert_eq!(previous.as_deref(), Some("a.png"));
    assert!(matches!(
        stores
            .users
            .set_avatar(UserId::from_stored(9_999), Some("c.png".into())),
        Err(RepoError::NotFound)
    ));
}

pub fn a_removed_avatar_returns_the_one_it_was(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    stores.users.set_avatar(alice, Some("a.png".into())).unwrap();
    stores.users.set_avatar(bob, Some("b.png".into())).unwrap();
    let (without, previous) = stores.users.set_avatar(alice, None).unwrap();
    assert_eq!((without.avatar, previous.as_deref()), (None, Some("a.png")));
    assert_eq!(stores.users.find(alice).unwrap().unwrap().avatar, None);
    assert_eq!(
        stores.users.set_avatar(alice, None).unwrap().1,
        None,
        "nothing to remove the second time"
    );
    assert_eq!(
        stores.users.find(bob).unwrap().unwrap().avatar.as_deref(),
        Some("b.png"),
        "only alice's"
    );
    assert!(matches!(
        stores.users.set_avatar(UserId::from_stored(9_999), None),
        Err(RepoError::NotFound)
    ));
}

pub fn users_are_listed_and_found_in_id_order(stores: &Stores) {
    let ids: Vec<UserId> = ["carol", "alice", "bob"]
        .iter()
        .map(|name| user(stores, name))
        .collect();
    let listed = stores.users.list(page(1, 10)).unwrap();
    assert_eq!(listed.total, 3);
    assert_eq!(listed.items.iter().map(|u| u.id).collect::<Vec<_>>(), ids[1..]);
    let found = stores
        .users
        .find_many(&[ids[2], UserId::from_stored(9_999), ids[0]])
        .unwrap();
    assert_eq!(found.iter().map(|u| u.id).collect::<Vec<_>>(), [ids[0], ids[2]]);
}

pub(crate) fn set_role(
    stores: &Stores,
    user: UserId,
    role: Role,
    by: Option<UserId>,
) -> Result<Role, RepoError> {
    stores
        .users
        .set_role(RoleChange {
            user,
            role,
            by,
            reason: Some(ModReason::parse(format!("made {role}")).unwrap()),
        })
        .map(|user| user.role)
}

pub fn a_role_change_is_kept_listed_and_logged(stores: &Stores) {
    let (alice, bob, carol) = (user(stores, "alice"), user(stores, "bob"), user(stores, "carol"));
    assert_eq!(
        stores.users.find(alice).unwrap().unwrap().role,
        Role::Member,
        "the default"
    );
    assert_eq!(set_role(stores, alice, Role::Admin, None).unwrap(), Role::Admin);
    assert_eq!(
        set_role(stores, carol, Role::Moderator, Some(alice)).unwrap(),
        Role::Moderator
    );
    assert_eq!(
        set_role(stores, bob, Role::Moderator, Some(alice)).unwrap(),
        Role::Moderator
    );
    assert_eq!(
        set_role(stores, bob, Role::Moderator, Some(alice)).unwrap(),
        Role::Moderator,
        "giving the role held changes nothing"
    );
    assert_eq!(stores.users.find(bob).unwrap().unwrap().role, Role::Moderator);
    assert_eq!(
        stores.users.find_by_username("carol").unwrap().unwrap().role,
        Role::Moderator
    );

    let moderators = stores.users.list_by_role(Role::Moderator, page(0, 10)).unwrap();
    assert_eq!(moderators.total, 2);
    assert_eq!(
        moderators.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        [bob, carol]
    );
    let later = stores.users.list_by_role(Role::Moderator, page(1, 10)).unwrap();
    assert_eq!((later.total, later.items.len()), (2, 1));
    assert_eq!(
        stores.users.list_by_role(Role::Admin, page(0, 10)).unwrap().total,
        1
    );

    let log = stores.modlog.list(page(0, 10)).unwrap();
    assert_eq!(log.total, 3, "one entry per change, none for the repeat");
    let newest = &log.items[0];
    assert_eq!(newest.action, ModAction::SetRole(Role::Moderator));
    assert_eq!(newest.target, ModTarget::user(bob));
    assert_eq!(newest.target_username.as_deref(), Some("bob"));
    assert_eq!(
        (newest.moderator, newest.moderator_username.as_deref()),
        (Some(alice), Some("alice"))
    );
    assert_eq!(newest.reason.as_deref(), Some("made moderator"));
    let first = &log.items[2];
    assert_eq!(
        (first.action, first.moderator, first.moderator_username.as_deref()),
        (ModAction::SetRole(Role::Admin), None, None),
        "from the command line: nobody's"
    );
    assert!(
        log.items[0].id > log.items[1].id && log.items[1].id > log.items[2].id,
        "newest first"
    );
    assert!(newest.created_at >= first.created_at);
    let second_page = stores.modlog.list(page(2, 10)).unwrap();
    assert_eq!((second_page.total, second_page.items.len()), (3, 1));
    assert_eq!(second_page.items[0].id, first.id);

    assert!(matches!(
        set_role(stores, UserId::from_stored(9_999), Role::Admin, Some(alice)),
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        stores.modlog.list(page(0, 10)).unwrap().total,
        3,
        "nothing logged for a miss"
    );
}

pub fn the_last_admin_keeps_the_role(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    set_role(stores, alice, Role::Admin, None).unwrap();
    for role in [Role::Member, Role::Moderator] {
        assert!(matches!(
            set_role(stores, alice, role, Some(alice)),
            Err(RepoError::Conflict(Conflict::LastAdmin))
        ));
    }
    assert_eq!(
        stores.users.find(alice).unwrap().unwrap().role,
        Role::Admin,
        "unchanged"
    );
    assert_eq!(
        stores.modlog.list(page(0, 10)).unwrap().total,
        1,
        "nothing logged when refused"
    );
    set_role(stores, bob, Role::Admin, Some(alice)).unwrap();
    assert_eq!(
        set_role(stores, alice, Role::Member, Some(bob)).unwrap(),
        Role::Member
    );
    assert!(matches!(
        set_role(stores, bob, Role::Member, Some(bob)),
        Err(RepoError::Conflict(Conflict::LastAdmin))
    ));
}

pub fn racing_demotions_of_two_admins_leave_one(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    set_role(stores, alice, Role::Admin, None).unwrap();
    set_role(stores, bob, Role::Admin, None).unwrap();
    for _ in 0..5 {
        let barrier = Arc::new(Barrier::new(2));
        let outcomes: Vec<Result<Role, RepoError>> = std::thread::scope(|scope| {
            let racers: Vec<_> = [(alice, bob), (bob, alice)]
                .into_iter()
                .map(|(target, by)| {
                    let barrier = barrier.clone();
                    scope.spawn(move || {
                        barrier.wait();
                        set_role(stores, target, Role::Member, Some(by))
                    })
                })
                .collect();
            racers.into_iter().map(|racer| racer.join().unwrap()).collect()
        });
        let demoted = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(demoted, 1, "exactly one demotion wins: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|outcome| matches!(outcome, Err(RepoError::Conflict(Conflict::LastAdmin))))
        );
        assert_eq!(
            stores.users.list_by_role(Role::Admin, page(0, 10)).unwrap().total,
            1
        );
        // Both admins again for the next round.
        set_role(stores, alice, Role::Admin, None).unwrap();
        set_role(stores, bob, Role::Admin, None).unwrap();
    }
}

pub fn a_ban_is_kept_lifted_and_logged(stores: &Stores) {
    let (alice, bob, carol) = (user(stores, "alice"), user(stores, "bob"), user(stores, "carol"));
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let until = at + chrono::Duration::days(7);
    let order = |user, until| BanOrder {
        user,
        by: alice,
        by_role: Role::Admin,
        reason: BanReason::parse("spam, again").unwrap(),
        until,
        at,
    };
    let banned = stores.users.ban(order(bob, Some(until))).unwrap();
    let ban = banned.ban.clone().unwrap();
    assert_eq!(
        (ban.reason.as_str(), ban.until, ban.since),
        ("spam, again", Some(until), at)
    );
    assert!(banned.active_ban(at).is_some() && banned.active_ban(until).is_none());
    let session = start(stores, bob, "bob's", false, now_ms());
    assert_eq!(
        stores.users.find_signed_in(bob, session.id).unwrap().unwrap().ban,
        Some(ban.clone()),
        "what every request reads carries the ban"
    );
    assert_eq!(
        stores.users.find_by_username("bob").unwrap().unwrap().ban,
        Some(ban)
    );
    assert_eq!(stores.users.find(carol).unwrap().unwrap().ban, None, "only bob's");

    // A ban for good replaces it.
    assert_eq!(
        stores.users.ban(order(bob, None)).unwrap().ban.unwrap().until,
        None
    );
    let lifted = stores.users.lift_ban(bob, alice, at).unwrap();
    assert_eq!(lifted.ban, None);
    assert_eq!(stores.users.find(bob).unwrap().unwrap().ban, None);
    assert_eq!(
        stores.users.lift_ban(bob, alice, at).unwrap().ban,
        None,
        "nothing to lift"
    );

    // A ban that ran out is cleared without an entry: nobody lifted it.
    stores.users.ban(order(carol, Some(until))).unwrap();
    assert_eq!(stores.users.lift_ban(carol, alice, until).unwrap().ban, None);

    let log = stores.modlog.list(page(0, 10)).unwrap();
    let actions: Vec<ModAction> = log.items.iter().map(|entry| entry.action).collect();
    assert_eq!(
        actions,
        [
            ModAction::Ban { until: Some(until) },
            ModAction::Unban,
            ModAction::Ban { until: None },
            ModAction::Ban { until: Some(until) },
        ],
        "newest first; one entry per act"
    );
    assert!(log.items.iter().all(|entry| entry.moderator == Some(alice)));
    assert_eq!(log.items[0].target, ModTarget::user(carol));
    assert_eq!(log.items[3].reason.as_deref(), Some("spam, again"));
    assert_eq!(log.items[1].reason, None);
    assert_eq!(log.items[3].created_at, at);

    assert!(matches!(
        stores.users.ban(order(UserId::from_stored(9_999), None)),
        Err(RepoError::NotFound)
    ));

    // The acting role is held against the user's role as the ban's transaction finds it.
    set_role(stores, carol, Role::Moderator, None).unwrap();
    let by_moderator = BanOrder {
        by_role: Role::Moderator,
        ..order(carol, None)
    };
    assert!(matches!(
        stores.users.ban(by_moderator),
        Err(RepoError::Conflict(Conflict::OutOfReach))
    ));
    set_role(stores, carol, Role::Admin, None).unwrap();
    // Nobody bans an admin.
    assert!(matches!(
        stores.users.ban(order(carol, None)),
        Err(RepoError::Conflict(Conflict::OutOfReach))
    ));
    assert_eq!(
        stores.users.find(carol).unwrap().unwrap().ban,
        None,
        "nothing written"
    );
    assert_eq!(
        stores.modlog.list(page(0, 10)).unwrap().total,
        6,
        "nothing logged for a refusal"
    );
    assert!(matches!(
        stores.users.lift_ban(UserId::from_stored(9_999), alice, at),
        Err(RepoError::NotFound)
    ));
}

pub fn events_list_by_time_then_id_with_totals(stores: &Stores) {
    let owner = user(stores, "owner");
    let late = event(stores, owner, "Late", "", 9);
    let early = event(stores, owner, "Early", "", 1);
    let tie = event(stores, owner, "Same time as late", "", 9);
    let all = stores
        .events
        .list(&EventQuery {
            search: None,
            window: TimeWindow::All,
            page: page(0, 10),
        })
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        all.items.iter().map(|e| e.id).collect::<Vec<_>>(),
        [early.id, late.id, tie.id]
    );
    let second = stores
        .events
        .list(&EventQuery {
            search: None,
            window: TimeWindow::All,
            page: page(1, 1),
        })
        .unwrap();
    assert_eq!((second.total, second.items[0].id), (3, late.id));
    let beyond = stores
        .events
        .list(&EventQuery {
            search: None,
            window: TimeWindow::All,
            page: page(5, 10),
        })
        .unwrap();
    assert_eq!((beyond.total, beyond.items.len()), (3, 0));
    assert_eq!(stores.events.find(early.id).unwrap(), Some(early));
    assert_eq!(stores.events.find(EventId::from_stored(9_999)).unwrap(), None);
}

/// `Upcoming(now)` lists the events starting at or after `now` in list order, `Past(now)` the others latest
/// first, both paged and counted like the whole list, searched or not; checked against that rule on a list
/// with ties, at instants before, between, on and after the events.
pub fn time_windows_split_the_list_at_an_instant(stores: &Stores) {
    let owner = user(stores, "owner");
    let mut events = Vec::new();
    for (at, day) in [3u32, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7]
        .into_iter()
        .enumerate()
    {
        let text = if at % 3 == 0 { "rust talks" } else { "knitting" };
        events.push(event(stores, owner, &format!("Event {at}"), text, day));
    }
    let day = |d: u32, h: u32| Utc.with_ymd_and_hms(2027, 1, d, h, 0, 0).unwrap();
    for now in [
        day(1, 0),
        day(3, 18),
        day(5, 17),
        day(5, 18),
        day(5, 19),
        day(9, 19),
        day(20, 0),
    ] {
        for search in [None, Some("rust"), Some("knit")] {
            let matching: Vec<&Event> = events
                .iter()
                .filter(|e| search.is_none_or(|s| e.description.contains(s)))
                .collect();
            let mut upcoming: Vec<EventId> = Vec::new();
            let mut past: Vec<EventId> = Vec::new();
            let mut ordered = matching.clone();
            ordered.sort_by_key(|e| (e.event_time, e.id));
            for e in &ordered {
                if e.event_time >= now {
                    upcoming.push(e.id);
                } else {
                    past.push(e.id);
                }
            }
            past.reverse();
            for (window, expected) in [
                (TimeWindow::Upcoming(now), &upcoming),
                (TimeWindow::Past(now), &past),
            ] {
                for (skip, limit) in [(0, 100), (0, 1), (1, 2), (3, 3), (5, 10), (20, 5)] {
                    let found = stores
                        .events
                        .list(&EventQuery {
                            search: search.and_then(SearchTerms::parse),
                            window,
                            page: page(skip, limit),
                        })
                        .unwrap();
                    let want: Vec<EventId> = expected
                        .iter()
                        .copied()
                        .skip(skip as usize)
                        .take(limit as usize)
                        .collect();
                    let what = format!("{window:?} {search:?} {skip}+{limit}");
                    assert_eq!(found.total as usize, expected.len(), "total of {what}");
                    assert_eq!(
                        found.items.iter().map(|e| e.id).collect::<Vec<_>>(),
                        want,
                        "{what}"
                    );
                }
            }
        }
    }
}

/// One organiser's events, by the same windows, and nobody else's.
pub fn an_organisers_events_are_listed_by_window(stores: &Stores) {
    let alice = user(stores, "alice");
    let bob = user(stores, "bob");
    let first = event(stores, alice, "First", "", 2);
    let third = event(stores, alice, "Third", "", 6);
    let second = event(stores, alice, "Second", "", 4);
    event(stores, bob, "Bob's", "", 5);
    let now = Utc.with_ymd_and_hms(2027, 1, 4, 18, 0, 0).unwrap();
    let ids = |window, skip, limit| {
        let found = stores
            .events
            .list_by_owner(alice, window, page(skip, limit))
            .unwrap();
        (found.total, found.items.iter().map(|e| e.id).collect::<Vec<_>>())
    };
    assert_eq!(
        ids(TimeWindow::All, 0, 10),
        (3, vec![first.id, second.id, third.id])
    );
    assert_eq!(
        ids(TimeWindow::Upcoming(now), 0, 10),
        (2, vec![second.id, third.id])
    );
    assert_eq!(ids(TimeWindow::Upcoming(now), 1, 10), (2, vec![third.id]));
    assert_eq!(ids(TimeWindow::Past(now), 0, 10), (1, vec![first.id]));
    assert_eq!(ids(TimeWindow::All, 1, 1), (3, vec![second.id]));
    let nobody = user(stores, "nobody");
    let none = stores
        .events
        .list_by_owner(nobody, TimeWindow::All, page(0, 10))
        .unwrap();
    assert_eq!((none.total, none.items.len()), (0, 0));
}

/// Every part of a place comes back as it was given (coordinates to the last bit), changes one part at a
/// time, and an event without one has none.
pub fn a_picture_is_kept_listed_and_replaced(stores: &Stores) {
    let owner = user(stores, "organiser");
    let pictured = event(stores, owner, "Pictured", "", 3);
    let other = event(stores, owner, "Other", "", 4);
    assert_eq!(pictured.image, None);
    let alt = |text: &str| ImageAlt::parse(text).unwrap();

    let (changed, replaced) = stores
        .events
        .set_image(pictured.id, "first.jpg".into(), alt("A full hall"))
        .unwrap();
    assert_eq!(replaced, None);
    let first = EventImage {
        name: "first.jpg".into(),
        alt: "A full hall".into(),
    };
    assert_eq!(changed.image.as_ref(), Some(&first));
    assert_eq!(changed.name, "Pictured", "nothing else changes");
    assert_eq!(
        stores.events.find(pictured.id).unwrap().unwrap().image,
        Some(first)
    );

    let (changed, replaced) = stores
        .events
        .set_image(pictured.id, "second.png".into(), alt("舞台上的乐队"))
        .unwrap();
    assert_eq!(replaced.as_deref(), Some("first.jpg"));
    assert_eq!(
        changed.image.as_ref().map(|image| image.alt.as_str()),
        Some("舞台上的乐队")
    );
    let listed = stores
        .events
        .list(&EventQuery {
            search: None,
            window: TimeWindow::All,
            page: page(0, 10),
        })
        .unwrap();
    let images: Vec<Option<&str>> = listed
        .items
        .iter()
        .map(|event| event.image.as_ref().map(|image| image.name.as_str()))
        .collect();
    assert_eq!(images, [Some("second.png"), None], "lists carry the picture");
    assert_eq!(stores.events.find(other.id).unwrap().unwrap().image, None);
    assert!(matches!(
        stores
            .events
            .set_image(EventId::from_stored(999_999), "x.png".into(), alt("x")),
        Err(RepoError::NotFound)
    ));
}

pub fn places_are_kept_and_changed_part_by_part(stores: &Stores) {
    let owner = user(stores, "owner");
    let bare = event(stores, owner, "Somewhere", "", 1);
    assert_eq!(bare.place, StoredPlace::default());
    let mut new = new_event(owner, "Meetup", "", 2, 10);
    new.place = Place {
        venue: Some(Venue::parse("Café Central").unwrap()),
        address: Some(Address::parse("Herrengasse 14\n1010 Wien").unwrap()),
        coordinates: Some(Coordinates::new(48.210_033_123_456_78, -16.363_449_987_654_32).unwrap()),
        online_url: Some(OnlineUrl::parse("https://meet.example.org/rust?room=1").unwrap()),
    };
    let created = stores.events.create(new.clone()).unwrap();
    assert_eq!(created.place, StoredPlace::from(new.place.clone()));
    assert_eq!(
        stores.events.find(created.id).unwrap().unwrap().place,
        created.place
    );
    let changed = change(
        stores,
        created.id,
        EventChanges {
            place: PlaceChanges {
                venue: Some(None),
                coordinates: Some(Some(Coordinates::new(-90.0, 180.0).unwrap())),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let expected = StoredPlace {
        venue: None,
        coordinates: Some(Coordinates::new(-90.0, 180.0).unwrap()),
        ..created.place.clone()
    };
    assert_eq!(changed.place, expected);
    assert_eq!(changed.name, "Meetup", "the rest kept");
    let listed = stores
        .events
        .list(&EventQuery {
            search: SearchTerms::parse("meetup"),
            window: TimeWindow::All,
            page: page(0, 10),
        })
        .unwrap();
    assert_eq!(listed.items[0].place, expected, "lists carry the place too");
    let cleared = change(
        stores,
        created.id,
        EventChanges {
            place: PlaceChanges {
                address: Some(None),
                coordinates: Some(None),
                online_url: Some(None),
                venue: None,
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(cleared.place, StoredPlace::default());
}

/// Every store keeps event times to the microsecond, finer digits dropped, on creation and on edit,
/// whatever the day (the domain's `event::event_time` says the same before a time reaches a store).
pub fn event_times_are_kept_to_the_microsecond(stores: &Stores) {
    let owner = user(stores, "owner");
    let last_second = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
    let sent = last_second + chrono::Duration::nanoseconds(999_999_999);
    let kept = last_second + chrono::Duration::microseconds(999_999);
    let mut new = new_event(owner, "Midnight", "", 1, 10);
    new.event_time = sent;
    let created = stores.events.create(new).unwrap();
    assert_eq!(created.event_time, kept, "not rounded into the next year");
    assert_eq!(stores.events.find(created.id).unwrap().unwrap().event_time, kept);
    let next_day = last_second + chrono::Duration::nanoseconds(1_000_000_500);
    let edited = change(
        stores,
        created.id,
        EventChanges {
            event_time: Some(next_day),
            ..EventChanges::default()
        },
    )
    .unwrap();
    let expected = last_second + chrono::Duration::seconds(1);
    assert_eq!(edited.event_time, expected);
    assert_eq!(
        stores.events.find(created.id).unwrap().unwrap().event_time,
        expected
    );
}

pub fn search_follows_the_rule(stores: &Stores) {
    let owner = user(stores, "owner");
    event(stores, owner, "Rust Meetup", "talks and pizza", 1);
    event(stores, owner, "Café crawl", "coffee", 2);
    event(stores, owner, "周末音乐会", "在公园举行的户外活动", 3);
    event(stores, owner, "東京タワー", "夜景", 4);
    event(stores, owner, "Free 🅿 parking", "", 5);
    event(stores, owner, "Musical evening", "rust belt songs", 6);
    assert_eq!(search_names(stores, "meet"), ["Rust Meetup"], "a word's start");
    assert_eq!(
        search_names(stores, "rust"),
        ["Rust Meetup", "Musical evening"],
        "name or description, list order"
    );
    assert_eq!(search_names(stores, "rust meet"), ["Rust Meetup"], "every term");
    assert_eq!(
        search_names(stores, "CAFE"),
        ["Café crawl"],
        "case and accents ignored"
    );
    assert_eq!(search_names(stores, "café"), ["Café crawl"]);
    assert_eq!(
        search_names(stores, "音乐"),
        ["周末音乐会"],
        "a pair inside a run"
    );
    assert_eq!(search_names(stores, "音乐会"), ["周末音乐会"]);
    assert_eq!(search_names(stores, "公园"), ["周末音乐会"], "in the description");
    assert_eq!(search_names(stores, "タワー"), ["東京タワー"]);
    assert_eq!(search_names(stores, "🅿"), ["Free 🅿 parking"]);
    assert_eq!(search_names(stores, "free 🅿"), ["Free 🅿 parking"]);
    assert!(search_names(stores, "meetups").is_empty(), "longer than any word");
    assert!(
        search_names(stores, "pizza \"' * OR NEAR( -x").is_empty(),
        "syntax is data"
    );
    let paged = stores
        .events
        .list(&EventQuery {
            search: SearchTerms::parse("rust"),
            window: TimeWindow::All,
            page: page(1, 1),
        })
        .unwrap();
    assert_eq!(paged.total, 2);
    assert_eq!(
        paged.items.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        ["Musical evening"]
    );
}

pub fn search_follows_edits_and_deletes(stores: &Stores) {
    let owner = user(stores, "owner");
    let picnic = event(stores, owner, "Picnic", "bring bread", 1);
    let concert = event(stores, owner, "Concert", "", 2);
    change(
        stores,
        picnic.id,
        EventChanges {
            name: Some(EventName::parse("Garden party").unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(search_names(stores, "picnic").is_empty());
    assert_eq!(search_names(stores, "garden"), ["Garden party"]);
    assert_eq!(
        search_names(stores, "bread"),
        ["Garden party"],
        "the description kept"
    );
    change(
        stores,
        concert.id,
        EventChanges {
            event_time: Some(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
            description: Some(EventDescription::parse("bread and music").unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        search_names(stores, "bread"),
        ["Concert", "Garden party"],
        "moved first in time"
    );
    remove(stores, concert.id).unwrap();
    assert_eq!(search_names(stores, "bread"), ["Garden party"]);
    assert!(matches!(remove(stores, concert.id), Err(RepoError::NotFound)));
}

/// The total of a search of several words (counted in the index, and possibly remembered between two
/// changes of the events) follows every change at once: a new match, an edit that drops or adds a word,
/// a move across the instant of a time window, a deletion.
pub fn several_word_totals_follow_every_change(stores: &Stores) {
    let owner = user(stores, "owner");
    let now = Utc.with_ymd_and_hms(2027, 1, 10, 0, 0, 0).unwrap();
    let total = |window: TimeWindow| {
        let query = EventQuery {
            search: SearchTerms::parse("music dance"),
            window,
            page: page(0, 100),
        };
        let found = stores.events.list(&query).unwrap();
        assert_eq!(found.total as usize, found.items.len(), "in {window:?}");
        found.total
    };
    let totals = || {
        [
            total(TimeWindow::All),
            total(TimeWindow::Upcoming(now)),
            total(TimeWindow::Past(now)),
        ]
    };
    let jazz = event(stores, owner, "Jazz night", "music and dance", 12);
    event(stores, owner, "Quiet reading", "no music", 13);
    assert_eq!(totals(), [1, 1, 0]);
    assert_eq!(totals(), [1, 1, 0], "asked again, unchanged");
    let folk = event(stores, owner, "Folk", "dance to live music", 14);
    assert_eq!(totals(), [2, 2, 0], "a new match");
    let describe = |id, text: &str| {
        change(
            stores,
            id,
            EventChanges {
                description: Some(EventDescription::parse(text).unwrap()),
                ..Default::default()
            },
        )
        .unwrap()
    };
    describe(jazz.id, "music only");
    assert_eq!(totals(), [1, 1, 0], "an edit that drops a word");
    describe(jazz.id, "music, dance and more");
    assert_eq!(totals(), [2, 2, 0], "an edit that adds it back");
    change(
        stores,
        folk.id,
        EventChanges {
            event_time: Some(Utc.with_ymd_and_hms(2027, 1, 2, 18, 0, 0).unwrap()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(totals(), [2, 1, 1], "a move to before the instant");
    remove(stores, folk.id).unwrap();
    assert_eq!(totals(), [1, 1, 0], "a deletion");
}

pub fn a_started_event_sells_nothing_from_its_start_on(stores: &Stores) {
    let owner = user(stores, "organiser");
    let show = stores
        .events
        .create(new_event(owner, "Matinee", "", 3, 10))
        .unwrap();
    let one = TicketQuantity::parse(1).unwrap();
    let just_before = show.event_time - chrono::Duration::microseconds(1);
    assert_eq!(
        stores
            .events
            .purchase(sale(show.id, owner, one, just_before))
            .unwrap()
            .tickets_sold,
        1
    );
    for now in [show.event_time, show.event_time + chrono::Duration::hours(1)] {
        assert!(
            matches!(
                stores.events.purchase(sale(show.id, owner, one, now)),
                Err(RepoError::Conflict(Conflict::EventStarted))
            ),
            "at {now}"
        );
    }
    let full = stores
        .events
        .create(new_event(owner, "Full house", "", 4, 1))
        .unwrap();
    stores
        .events
        .purchase(sale(full.id, owner, one, sale_time()))
        .unwrap();
    assert!(
        matches!(
            stores.events.purchase(sale(full.id, owner, one, full.event_time)),
            Err(RepoError::Conflict(Conflict::EventStarted))
        ),
        "a started event is started, full or not"
    );
    assert_eq!(
        stores.events.find(show.id).unwrap().unwrap().tickets_sold,
        1,
        "refusals sell nothing"
    );
}

pub fn purchases_stop_at_capacity(stores: &Stores) {
    let owner = user(stores, "owner");
    let show = stores.events.create(new_event(owner, "Show", "", 1, 5)).unwrap();
    let three = TicketQuantity::parse(3).unwrap();
    assert_eq!(
        stores
            .events
            .purchase(sale(show.id, owner, three, sale_time()))
            .unwrap()
            .tickets_sold,
        3
    );
    assert!(matches!(
        stores.events.purchase(sale(show.id, owner, three, sale_time())),
        Err(RepoError::Conflict(Conflict::SoldOut))
    ));
    let two = TicketQuantity::parse(2).unwrap();
    assert_eq!(
        stores
            .events
            .purchase(sale(show.id, owner, two, sale_time()))
            .unwrap()
            .tickets_sold,
        5
    );
    assert!(matches!(
        stores
            .events
            .purchase(sale(EventId::from_stored(9_999), owner, two, sale_time())),
        Err(RepoError::NotFound)
    ));
}

/// The store's own check-and-write (SQL, so that racing buyers cannot oversell) against the domain's
/// rule ([`Capacity::allows`]) around the boundary: an empty event, a purchase that exactly fills it,
/// one ticket over, nothing left, the largest capacity; and `max_tickets` just below, at and above the
/// sales. The store must agree with the rule in every case, and a refused purchase changes nothing.
pub fn purchases_follow_the_capacity_rule(stores: &Stores) {
    let owner = user(stores, "owner");
    let mut cases = 0;
    for max in [0, 1, 2, 10, 100, MaxTickets::MAX] {
        for quantity in [1, 2, 99, TicketQuantity::MAX] {
            let mut solds = vec![
                0,
                max - quantity - 1,
                max - quantity,
                max - quantity + 1,
                max - 1,
                max,
            ];
            solds.retain(|sold| (0..=max).contains(sold));
            solds.sort_unstable();
            solds.dedup();
            for sold in solds {
                cases += 1;
                let max_tickets = MaxTickets::parse(max).unwrap();
                let quantity = TicketQuantity::parse(quantity).unwrap();
                let capacity = Capacity::new(sold, max_tickets).unwrap();
                let show = stores
                    .events
                    .create(NewEvent {
                        capacity,
                        ..new_event(owner, &format!("Show {cases}"), "", 1, max)
                    })
                    .unwrap();
                assert_eq!((show.tickets_sold, show.max_tickets), (sold, max));
                let case = format!("{sold} sold of {max}, buying {}", quantity.get());
                let expected = capacity.sell(quantity);
                match (
                    stores
                        .events
                        .purchase(sale(show.id, owner, quantity, sale_time())),
                    expected,
                ) {
                    (Ok(bought), Some(after)) => assert_eq!(bought.tickets_sold, after.sold(), "{case}"),
                    (Err(RepoError::Conflict(Conflict::SoldOut)), None) => {}
                    (answer, _) => {
                        panic!("{case}: the store answered {answer:?}, the rule says {expected:?}")
                    }
                }
                let now_sold = expected.map_or(sold, Capacity::sold);
                let stored = stores.events.find(show.id).unwrap().unwrap();
                assert_eq!(stored.tickets_sold, now_sold, "{case}: what is stored");
                for new_max in [now_sold - 1, now_sold, now_sold + 1] {
                    let Ok(new_max) = MaxTickets::parse(new_max) else {
                        continue;
                    };
                    let changes = EventChanges {
                        max_tickets: Some(new_max),
                        ..Default::default()
                    };
                    let allowed = Capacity::allows(now_sold, 0, new_max.get());
                    match change(stores, show.id, changes) {
                        Ok(event) => assert!(allowed, "{case}: max_tickets {} taken", event.max_tickets),
                        Err(RepoError::Conflict(Conflict::CapacityBelowSold)) => {
                            assert!(!allowed, "{case}: max_tickets {} refused", new_max.get());
                        }
                        Err(error) => panic!("{case}: {error:?}"),
                    }
                }
            }
        }
    }
    assert!(cases > 50, "{cases} cases");
}

pub fn capacity_cannot_drop_below_sales(stores: &Stores) {
    let owner = user(stores, "owner");
    let show = stores.events.create(new_event(owner, "Show", "", 1, 10)).unwrap();
    stores
        .events
        .purchase(sale(
            show.id,
            owner,
            TicketQuantity::parse(4).unwrap(),
            sale_time(),
        ))
        .unwrap();
    let to = |max| EventChanges {
        max_tickets: Some(MaxTickets::parse(max).unwrap()),
        ..Default::default()
    };
    assert!(matches!(
        change(stores, show.id, to(3)),
        Err(RepoError::Conflict(Conflict::CapacityBelowSold))
    ));
    assert_eq!(change(stores, show.id, to(4)).unwrap().max_tickets, 4);
    assert!(matches!(
        change(stores, EventId::from_stored(9_999), to(4)),
        Err(RepoError::NotFound)
    ));
}

pub fn concurrent_purchases_never_oversell(stores: &Stores) {
    let owner = user(stores, "owner");
    let show = stores.events.create(new_event(owner, "Show", "", 1, 50)).unwrap();
    let threads = 8;
    let start = Arc::new(Barrier::new(threads));
    let sold: usize = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (events, start) = (stores.events.clone(), start.clone());
                scope.spawn(move || {
                    start.wait();
                    (0..20)
                        .filter(|_| {
                            events
                                .purchase(sale(
                                    show.id,
                                    owner,
                                    TicketQuantity::parse(1).unwrap(),
                                    sale_time(),
                                ))
                                .is_ok()
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).sum()
    });
    assert_eq!(sold, 50, "every ticket sold once, none more");
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 50);
}

/// Racing sales of different sizes (a store may decide several at once): each acknowledged sale is
/// answered with the event as it left it — in the order the sales took effect, each answer is the one
/// before plus its own tickets — the stored count is the last answer, and every buyer holds exactly the
/// tickets of its acknowledged sales, with their codes. Nothing else than `SoldOut` is refused.
pub fn racing_sales_of_several_sizes_are_each_answered_as_they_left_the_event(stores: &Stores) {
    let owner = user(stores, "owner");
    let show = stores.events.create(new_event(owner, "Show", "", 1, 60)).unwrap();
    let threads = 8;
    let buyers: Vec<UserId> = (0..threads).map(|n| user(stores, &format!("buyer{n}"))).collect();
    let start = Arc::new(Barrier::new(threads));
    let acknowledged: Vec<(UserId, i64, Vec<String>, i64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = buyers
            .iter()
            .map(|&buyer| {
                let (events, start) = (stores.events.clone(), start.clone());
                scope.spawn(move || {
                    start.wait();
                    let mut sold = Vec::new();
                    for round in 0..12 {
                        let quantity = 1 + (round + buyer.get()) % 3;
                        let sale = sale(
                            show.id,
                            buyer,
                            TicketQuantity::parse(quantity).unwrap(),
                            sale_time(),
                        );
                        let codes: Vec<String> =
                            sale.codes.iter().map(|code| code.as_str().to_owned()).collect();
                        match events.purchase(sale) {
                            Ok(event) => sold.push((buyer, quantity, codes, event.tickets_sold)),
                            Err(RepoError::Conflict(Conflict::SoldOut)) => {}
                            Err(error) => panic!("buyer {buyer:?}: {error:?}"),
                        }
                    }
                    sold
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().unwrap())
            .collect()
    });
    let mut chain: Vec<(i64, i64)> = acknowledged
        .iter()
        .map(|(_, quantity, _, after)| (*after, *quantity))
        .collect();
    chain.sort_unstable();
    let mut before = 0;
    for (after, quantity) in &chain {
        assert_eq!(
            *after,
            before + quantity,
            "answers in the order of the sales: {chain:?}"
        );
        before = *after;
    }
    assert!(before > 60 - 3, "sold until no sale of up to 3 fits: {before}");
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, before);
    let attendees = stores.tickets.attendees(show.id, page(0, 100)).unwrap();
    assert_eq!(attendees.total, before.unsigned_abs());
    for buyer in &buyers {
        let mut held: Vec<&str> = attendees
            .items
            .iter()
            .filter(|attendee| attendee.ticket.holder_id == *buyer)
            .map(|attendee| attendee.ticket.code.as_str())
            .collect();
        let mut bought: Vec<&str> = acknowledged
            .iter()
            .filter(|(whose, ..)| whose == buyer)
            .flat_map(|(_, _, codes, _)| codes.iter().map(String::as_str))
            .collect();
        held.sort_unstable();
        bought.sort_unstable();
        assert_eq!(held, bought, "buyer {buyer:?} holds what it bought");
    }
}

pub fn a_purchase_issues_tickets_held_by_its_buyer(stores: &Stores) {
    let (owner, buyer, other) = (
        user(stores, "owner"),
        user(stores, "buyer"),
        user(stores, "other"),
    );
    // Two tickets sold before tickets were records: counted, without rows.
    let show = stores
        .events
        .create(NewEvent {
            capacity: Capacity::new(2, MaxTickets::parse(10).unwrap()).unwrap(),
            ..new_event(owner, "Show", "", 1, 10)
        })
        .unwrap();
    let first = sale(show.id, buyer, TicketQuantity::parse(3).unwrap(), sale_time());
    let second = sale(show.id, buyer, TicketQuantity::parse(2).unwrap(), sale_time());
    let mut codes: Vec<String> = [&second, &first]
        .iter()
        .flat_map(|sale| sale.codes.iter().rev().map(|code| code.as_str().to_owned()))
        .collect();
    assert_eq!(stores.events.purchase(first).unwrap().tickets_sold, 5);
    assert_eq!(stores.events.purchase(second).unwrap().tickets_sold, 7);
    let refused = sale(show.id, buyer, TicketQuantity::parse(4).unwrap(), sale_time());
    assert!(matches!(
        stores.events.purchase(refused),
        Err(RepoError::Conflict(Conflict::SoldOut))
    ));

    let held = stores.tickets.list_held(buyer, None, page(0, 10)).unwrap();
    assert_eq!(held.total, 5, "a refused sale issues nothing");
    let ids: Vec<i64> = held.items.iter().map(|held| held.ticket.id.get()).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] > pair[1]),
        "newest first: {ids:?}"
    );
    let listed: Vec<String> = held.items.iter().map(|held| held.ticket.code.clone()).collect();
    assert_eq!(listed, codes, "the codes of the sale, newest first");
    for item in &held.items {
        assert_eq!(item.ticket.status, TicketStatus::Active);
        assert_eq!((item.ticket.event_id, item.ticket.holder_id), (show.id, buyer));
        assert_eq!(item.ticket.created_at, sale_time());
        assert_eq!(
            (item.ticket.cancelled_at, item.ticket.checked_in_at),
            (None, None)
        );
        assert_eq!(
            (
                item.event.id,
                item.event.name.as_str(),
                item.event.event_time,
                item.event.owner_id
            ),
            (show.id, "Show", show.event_time, owner)
        );
    }
    let second_page = stores.tickets.list_held(buyer, None, page(3, 10)).unwrap();
    assert_eq!((second_page.items.len(), second_page.total), (2, 5));
    assert_eq!(
        stores
            .tickets
            .list_held(buyer, Some(TicketStatus::Active), page(0, 10))
            .unwrap()
            .total,
        5
    );
    for status in [TicketStatus::Cancelled, TicketStatus::CheckedIn] {
        let none = stores
            .tickets
            .list_held(buyer, Some(status), page(0, 10))
            .unwrap();
        assert_eq!((none.items.len(), none.total), (0, 0), "{status}");
    }
    let nobodys = stores.tickets.list_held(other, None, page(0, 10)).unwrap();
    assert_eq!((nobodys.items.len(), nobodys.total), (0, 0));

    let found = stores.tickets.find(held.items[0].ticket.id).unwrap().unwrap();
    assert_eq!(found, held.items[0]);
    assert_eq!(
        stores.tickets.find(TicketId::from_stored(9_999_999)).unwrap(),
        None
    );
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 5);
}

/// An organiser's show of `max` places and a buyer who bought `quantity` of them.
fn show_with_tickets(stores: &Stores, max: i64, quantity: i64) -> (UserId, UserId, Event) {
    let (owner, buyer) = (user(stores, "owner"), user(stores, "buyer"));
    let show = stores
        .events
        .create(new_event(owner, "Show", "", 1, max))
        .unwrap();
    let show = stores
        .events
        .purchase(sale(
            show.id,
            buyer,
            TicketQuantity::parse(quantity).unwrap(),
            sale_time(),
        ))
        .unwrap();
    (owner, buyer, show)
}

pub fn a_ticket_is_given_back_once_by_its_holder_before_the_start(stores: &Stores) {
    let (owner, buyer, show) = show_with_tickets(stores, 5, 2);
    let held = stores.tickets.list_held(buyer, None, page(0, 10)).unwrap();
    let (ticket, kept) = (held.items[0].ticket.id, held.items[1].ticket.id);
    let later = sale_time() + chrono::Duration::minutes(5);

    for someone_else in [owner, user(stores, "stranger")] {
        assert!(matches!(
            give_back(stores.tickets.as_ref(), ticket, someone_else, later),
            Err(RepoError::NotFound)
        ));
    }
    assert!(matches!(
        give_back(
            stores.tickets.as_ref(),
            TicketId::from_stored(9_999_999),
            buyer,
            later
        ),
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        give_back(stores.tickets.as_ref(), kept, buyer, show.event_time),
        Err(RepoError::Conflict(Conflict::EventStarted))
    ));
    assert_eq!(
        stores.events.find(show.id).unwrap().unwrap().tickets_sold,
        2,
        "refusals change nothing"
    );

    let cancelled = give_back(stores.tickets.as_ref(), ticket, buyer, later)
        .unwrap()
        .ticket;
    assert_eq!(cancelled.status, TicketStatus::Cancelled);
    assert_eq!(cancelled.cancelled_at, Some(later));
    assert_eq!(cancelled.checked_in_at, None);
    assert_eq!(
        stores.events.find(show.id).unwrap().unwrap().tickets_sold,
        1,
        "the place is free"
    );
    assert!(matches!(
        give_back(stores.tickets.as_ref(), ticket, buyer, later),
        Err(RepoError::Conflict(Conflict::AlreadyCancelled))
    ));
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 1);
    let by_status = |status| {
        stores
            .tickets
            .list_held(buyer, Some(status), page(0, 10))
            .unwrap()
            .items
            .into_iter()
            .map(|held| held.ticket.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(by_status(TicketStatus::Cancelled), [ticket]);
    assert_eq!(by_status(TicketStatus::Active), [kept]);
    assert_eq!(stores.tickets.find(ticket).unwrap().unwrap().ticket, cancelled);
    // The freed place sells again.
    stores
        .events
        .purchase(sale(show.id, owner, TicketQuantity::parse(4).unwrap(), later))
        .unwrap();
}

pub fn racing_cancellations_of_one_ticket_cancel_it_once(stores: &Stores) {
    let (_owner, buyer, show) = show_with_tickets(stores, 5, 1);
    let ticket = stores.tickets.list_held(buyer, None, page(0, 1)).unwrap().items[0]
        .ticket
        .id;
    let threads = 8;
    let start = Arc::new(Barrier::new(threads));
    let cancelled = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (tickets, start) = (stores.tickets.clone(), start.clone());
                scope.spawn(move || {
                    start.wait();
                    match give_back(tickets.as_ref(), ticket, buyer, sale_time()) {
                        Ok(_) => 1,
                        Err(RepoError::Conflict(Conflict::AlreadyCancelled)) => 0,
                        Err(error) => panic!("{error:?}"),
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .sum::<usize>()
    });
    assert_eq!(cancelled, 1);
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 0);
}

pub fn a_ticket_is_checked_in_once_and_a_retried_scan_is_answered_the_same(stores: &Stores) {
    let (owner, buyer, show) = show_with_tickets(stores, 5, 3);
    let other = stores.events.create(new_event(owner, "Other", "", 2, 5)).unwrap();
    let held = stores.tickets.list_held(buyer, None, page(0, 10)).unwrap().items;
    let code = |index: usize| TicketCode::parse(&held[index].ticket.code).unwrap();
    let nonce = |text: &str| CheckInNonce::parse(text).unwrap();
    let at = sale_time() + chrono::Duration::hours(1);

    let first = stores
        .tickets
        .check_in(show.id, &code(0), &nonce("door-a-1"), at)
        .unwrap();
    let CheckIn::Admitted(admitted) = first.clone() else {
        panic!("the first scan admits: {first:?}")
    };
    assert_eq!(admitted.ticket.id, held[0].ticket.id);
    assert_eq!(admitted.ticket.status, TicketStatus::CheckedIn);
    assert_eq!(admitted.ticket.checked_in_at, Some(at));
    let later = at + chrono::Duration::minutes(1);
    assert_eq!(
        stores
            .tickets
            .check_in(show.id, &code(0), &nonce("door-a-1"), later)
            .unwrap(),
        first,
        "the same scan retried gets the first answer again"
    );
    match stores
        .tickets
        .check_in(show.id, &code(0), &nonce("door-b-7"), later)
        .unwrap()
    {
        CheckIn::AlreadyCheckedIn(used) => assert_eq!(used.ticket.checked_in_at, Some(at)),
        answer => panic!("a second scan is refused: {answer:?}"),
    }
    assert!(
        matches!(
            stores
                .tickets
                .check_in(other.id, &code(1), &nonce("door-a-2"), at),
            Err(RepoError::NotFound)
        ),
        "another event's ticket admits nobody here"
    );
    let unknown = TicketCode::parse(&"u".repeat(43)).unwrap();
    assert!(matches!(
        stores.tickets.check_in(show.id, &unknown, &nonce("door-a-3"), at),
        Err(RepoError::NotFound)
    ));
    give_back(stores.tickets.as_ref(), held[1].ticket.id, buyer, at).unwrap();
    assert!(matches!(
        stores.tickets.check_in(show.id, &code(1), &nonce("door-a-4"), at),
        Err(RepoError::Conflict(Conflict::TicketCancelled))
    ));
    assert!(
        matches!(
            give_back(stores.tickets.as_ref(), held[0].ticket.id, buyer, at),
            Err(RepoError::Conflict(Conflict::AlreadyCheckedIn))
        ),
        "a used ticket is kept"
    );
    let by_status = |status| {
        stores
            .tickets
            .list_held(buyer, Some(status), page(0, 10))
            .unwrap()
            .total
    };
    assert_eq!(
        (
            by_status(TicketStatus::Active),
            by_status(TicketStatus::CheckedIn),
            by_status(TicketStatus::Cancelled)
        ),
        (1, 1, 1)
    );
    assert_eq!(
        stores.events.find(show.id).unwrap().unwrap().tickets_sold,
        2,
        "a checked-in ticket keeps its place"
    );
}

pub fn racing_check_ins_of_one_code_admit_it_once(stores: &Stores) {
    let (_owner, buyer, show) = show_with_tickets(stores, 5, 1);
    let code = TicketCode::parse(
        &stores.tickets.list_held(buyer, None, page(0, 1)).unwrap().items[0]
            .ticket
            .code,
    )
    .unwrap();
    let doors = 8;
    let start = Arc::new(Barrier::new(doors));
    let admitted = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..doors)
            .map(|door| {
                let (tickets, start, code) = (stores.tickets.clone(), start.clone(), code.clone());
                scope.spawn(move || {
                    start.wait();
                    let nonce = CheckInNonce::parse(&format!("door-{door}")).unwrap();
                    match tickets.check_in(show.id, &code, &nonce, sale_time()).unwrap() {
                        CheckIn::Admitted(_) => 1,
                        CheckIn::AlreadyCheckedIn(_) => 0,
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .sum::<usize>()
    });
    assert_eq!(admitted, 1, "one door lets the ticket in");
}

pub fn an_events_attendees_are_listed_in_sale_order_with_their_holders(stores: &Stores) {
    let (owner, ann, bo) = (user(stores, "owner"), user(stores, "anne"), user(stores, "boris"));
    let show = stores.events.create(new_event(owner, "Show", "", 1, 50)).unwrap();
    let other = stores
        .events
        .create(new_event(owner, "Other", "", 2, 50))
        .unwrap();
    let buy = |event: EventId, holder, quantity| {
        stores
            .events
            .purchase(sale(
                event,
                holder,
                TicketQuantity::parse(quantity).unwrap(),
                sale_time(),
            ))
            .unwrap();
    };
    buy(show.id, ann, 2);
    buy(other.id, ann, 1);
    buy(show.id, bo, 3);
    let bos = stores.tickets.list_held(bo, None, page(0, 10)).unwrap().items;
    give_back(stores.tickets.as_ref(), bos[0].ticket.id, bo, sale_time()).unwrap();

    let listed = stores.tickets.attendees(show.id, page(0, 10)).unwrap();
    assert_eq!(
        listed.total, 5,
        "every ticket of the event, the cancelled one included"
    );
    let ids: Vec<i64> = listed.items.iter().map(|a| a.ticket.id.get()).collect();
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "in sale order: {ids:?}"
    );
    let holders: Vec<&str> = listed.items.iter().map(|a| a.username.as_str()).collect();
    assert_eq!(holders, ["anne", "anne", "boris", "boris", "boris"]);
    for attendee in &listed.items {
        let holder = stores.users.find(attendee.ticket.holder_id).unwrap().unwrap();
        assert_eq!(attendee.full_name, holder.full_name);
        assert_eq!(attendee.ticket.event_id, show.id);
    }
    assert_eq!(
        listed
            .items
            .iter()
            .filter(|a| a.ticket.status == TicketStatus::Cancelled)
            .count(),
        1
    );
    let second = stores.tickets.attendees(show.id, page(2, 2)).unwrap();
    assert_eq!((second.total, second.items.len()), (5, 2));
    assert_eq!(second.items[0].ticket.id.get(), ids[2]);

    let mut batched = Vec::new();
    let mut after = None;
    loop {
        let batch = stores.tickets.attendees_after(show.id, after, 2).unwrap();
        let Some(last) = batch.last() else { break };
        after = Some(last.ticket.id);
        batched.extend(batch.iter().map(|a| a.ticket.id.get()));
    }
    assert_eq!(batched, ids, "the batches read the whole list once, in order");
    assert_eq!(
        stores
            .tickets
            .attendees(EventId::from_stored(9_999), page(0, 10))
            .unwrap()
            .total,
        0
    );
}

fn quantity(n: i64) -> TicketQuantity {
    TicketQuantity::parse(n).unwrap()
}

/// The users waiting for `event`, in line order, with what they wait for.
fn line(stores: &Stores, users: &[UserId], event: EventId) -> Vec<(UserId, i64, u64)> {
    let mut waiting: Vec<_> = users
        .iter()
        .filter_map(|&user| stores.waitlists.find(event, user).unwrap())
        .map(|entry| (entry.user_id, entry.quantity, entry.position))
        .collect();
    waiting.sort_by_key(|&(_, _, position)| position);
    waiting
}

/// How many active tickets `holder` has for `event`.
fn active_tickets(stores: &Stores, holder: UserId, event: EventId) -> usize {
    stores
        .tickets
        .list_held(holder, Some(TicketStatus::Active), page(0, 100))
        .unwrap()
        .items
        .iter()
        .filter(|held| held.ticket.event_id == event)
        .count()
}

pub fn a_waitlist_is_joined_only_while_too_few_are_left_once_per_person(stores: &Stores) {
    let (owner, _buyer, show) = show_with_tickets(stores, 5, 3);
    let (ann, bob) = (user(stores, "ann"), user(stores, "bob"));
    let now = sale_time();
    assert!(matches!(
        stores.waitlists.join(show.id, ann, quantity(2), now),
        Err(RepoError::Conflict(Conflict::TicketsAvailable))
    ));
    assert!(matches!(
        stores
            .waitlists
            .join(EventId::from_stored(9_999_999), ann, quantity(3), now),
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        stores.waitlists.join(show.id, ann, quantity(3), show.event_time),
        Err(RepoError::Conflict(Conflict::EventStarted))
    ));
    let first = stores.waitlists.join(show.id, ann, quantity(3), now).unwrap();
    assert_eq!((first.user_id, first.quantity, first.position), (ann, 3, 1));
    assert_eq!((first.event.id, first.event.name.as_str()), (show.id, "Show"));
    assert_eq!(first.created_at, now);
    assert!(matches!(
        stores.waitlists.join(show.id, ann, quantity(4), now),
        Err(RepoError::Conflict(Conflict::AlreadyWaiting))
    ));
    let second = stores.waitlists.join(show.id, bob, quantity(5), now).unwrap();
    assert_eq!(second.position, 2);
    let other = stores.events.create(new_event(owner, "Other", "", 2, 1)).unwrap();
    stores
        .events
        .purchase(sale(other.id, owner, quantity(1), now))
        .unwrap();
    stores.waitlists.join(other.id, bob, quantity(1), now).unwrap();

    let bobs = stores.waitlists.list_for(bob, page(0, 10)).unwrap();
    assert_eq!(bobs.total, 2);
    let places: Vec<_> = bobs
        .items
        .iter()
        .map(|entry| (entry.event.id, entry.position))
        .collect();
    assert_eq!(
        places,
        [(show.id, 2), (other.id, 1)],
        "oldest first, each with its place"
    );
    assert_eq!(
        stores.waitlists.list_for(bob, page(1, 10)).unwrap().items.len(),
        1
    );

    stores.waitlists.leave(show.id, ann).unwrap();
    assert!(matches!(
        stores.waitlists.leave(show.id, ann),
        Err(RepoError::NotFound)
    ));
    assert_eq!(stores.waitlists.find(show.id, ann).unwrap(), None);
    assert_eq!(
        stores.waitlists.find(show.id, bob).unwrap().unwrap().position,
        1,
        "the line moves up"
    );
    assert_eq!(stores.waitlists.list_for(ann, page(0, 10)).unwrap().total, 0);
}

pub fn freed_places_fill_the_waitlist_whole_in_join_order(stores: &Stores) {
    let (owner, buyer, show) = show_with_tickets(stores, 5, 5);
    let now = sale_time();
    let [ann, bob, cat, dan] = ["ann", "bob", "cat", "dan"].map(|name| user(stores, name));
    for (who, wants) in [(ann, 3), (bob, 1), (cat, 2), (dan, 1)] {
        stores.waitlists.join(show.id, who, quantity(wants), now).unwrap();
    }
    let everyone = [ann, bob, cat, dan];
    let held: Vec<TicketId> = stores
        .tickets
        .list_held(buyer, None, page(0, 10))
        .unwrap()
        .items
        .iter()
        .map(|held| held.ticket.id)
        .collect();

    // One place: Ann (3) is passed over, Bob (1) behind her takes it; Dan (1) is further back.
    let freed = stores.tickets.cancel(held[0], buyer, now, notices()).unwrap();
    assert_eq!(freed.recipients, [bob]);
    assert_eq!(freed.value.ticket.status, TicketStatus::Cancelled);
    assert_eq!(active_tickets(stores, bob, show.id), 1);
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 5);
    assert_eq!(
        line(stores, &everyone, show.id),
        [(ann, 3, 1), (cat, 2, 2), (dan, 1, 3)]
    );
    assert_eq!(inbox(stores, bob, false).0, ["given 1 Show"]);

    // Another place: neither Ann (3) nor Cat (2) fits, Dan (1) at the back does.
    let freed = stores.tickets.cancel(held[1], buyer, now, notices()).unwrap();
    assert_eq!(freed.recipients, [dan]);
    assert_eq!(line(stores, &everyone, show.id), [(ann, 3, 1), (cat, 2, 2)]);
    // One place fits nobody: it stays free, and the line stays as it is.
    let freed = stores.tickets.cancel(held[2], buyer, now, notices()).unwrap();
    assert!(freed.recipients.is_empty(), "{:?}", freed.recipients);
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 4);
    assert_eq!(line(stores, &everyone, show.id), [(ann, 3, 1), (cat, 2, 2)]);
    // Two places: still not Ann's three; Cat's two.
    let freed = stores.tickets.cancel(held[3], buyer, now, notices()).unwrap();
    assert_eq!(freed.recipients, [cat]);
    assert_eq!(active_tickets(stores, cat, show.id), 2);
    assert_eq!(stores.events.find(show.id).unwrap().unwrap().tickets_sold, 5);
    assert_eq!(line(stores, &everyone, show.id), [(ann, 3, 1)]);

    // Raising the capacity fills from the front, whole.
    let raised = stores
        .events
        .update(
            show.id,
            EventChanges {
                max_tickets: Some(MaxTickets::parse(8).unwrap()),
                ..Default::default()
            },
            now,
            notices(),
        )
        .unwrap();
    assert!(raised.recipients.contains(&ann), "{:?}", raised.recipients);
    assert_eq!(active_tickets(stores, ann, show.id), 3);
    assert_eq!(
        raised.value.tickets_sold,
        stores.events.find(show.id).unwrap().unwrap().tickets_sold,
        "the answer counts what the fill sold"
    );
    assert!(raised.value.tickets_sold <= 8);
    assert!(line(stores, &everyone, show.id).is_empty());
    let sold_as_records: usize = [buyer, ann, bob, cat, dan]
        .iter()
        .map(|&who| active_tickets(stores, who, show.id))
        .sum();
    assert_eq!(
        raised.value.tickets_sold, sold_as_records as i64,
        "every place is a ticket"
    );
    assert!(inbox(stores, ann, false).0.contains(&"given 3 Show".to_owned()));
    assert_eq!(inbox(stores, ann, false).0.len(), 1, "told once");
    let _ = owner;
}

pub fn places_offered_again_by_moving_an_event_before_its_start_go_to_the_line(stores: &Stores) {
    let (_owner, buyer, show) = show_with_tickets(stores, 2, 2);
    let ann = user(stores, "ann");
    let now = sale_time();
    stores.waitlists.join(show.id, ann, quantity(2), now).unwrap();
    let change = |changes: EventChanges| stores.events.update(show.id, changes, now, notices()).unwrap();
    // Moved into the past and given room: a started event fills nothing.
    change(EventChanges {
        event_time: Some(now - chrono::Duration::days(1)),
        ..Default::default()
    });
    let raised = change(EventChanges {
        max_tickets: Some(MaxTickets::parse(4).unwrap()),
        ..Default::default()
    });
    assert!(raised.recipients.is_empty());
    assert_eq!(raised.value.tickets_sold, 2);
    // Moved back before its start: the free places go to the line, not to whoever buys first.
    let moved = change(EventChanges {
        event_time: Some(show.event_time),
        ..Default::default()
    });
    // The buyer hears of the new time; Ann, of her places: each once.
    let mut told = moved.recipients.clone();
    told.sort();
    let mut expected = vec![buyer, ann];
    expected.sort();
    assert_eq!(told, expected);
    assert_eq!(
        moved.value.tickets_sold, 4,
        "the answer counts the places the line took"
    );
    assert_eq!(active_tickets(stores, ann, show.id), 2);
    assert_eq!(stores.waitlists.find(show.id, ann).unwrap(), None);
    assert_eq!(inbox(stores, ann, false).0, ["given 2 Show"]);
}

pub fn holders_are_told_once_when_their_event_moves_or_goes(stores: &Stores) {
    let (owner, buyer, show) = show_with_tickets(stores, 10, 2);
    let (ann, gone) = (user(stores, "ann"), user(stores, "gone"));
    let now = sale_time();
    stores
        .events
        .purchase(sale(show.id, ann, quantity(1), now))
        .unwrap();
    stores
        .events
        .purchase(sale(show.id, gone, quantity(1), now))
        .unwrap();
    let given_back = stores.tickets.list_held(gone, None, page(0, 1)).unwrap().items[0]
        .ticket
        .id;
    give_back(stores.tickets.as_ref(), given_back, gone, now).unwrap();

    let renamed = stores
        .events
        .update(
            show.id,
            EventChanges {
                name: Some(EventName::parse("Show!").unwrap()),
                ..Default::default()
            },
            now,
            notices(),
        )
        .unwrap();
    assert!(renamed.recipients.is_empty(), "a new name alone tells nobody");
    let moved = stores
        .events
        .update(
            show.id,
            EventChanges {
                event_time: Some(show.event_time + chrono::Duration::days(1)),
                ..Default::default()
            },
            now,
            notices(),
        )
        .unwrap();
    let mut told = moved.recipients.clone();
    told.sort();
    let mut holders = vec![buyer, ann];
    holders.sort();
    assert_eq!(
        told, holders,
        "each holder once (the buyer holds two); not who gave theirs back"
    );
    assert_eq!(inbox(stores, buyer, false).0, ["moved Show!"]);
    assert!(inbox(stores, gone, false).0.is_empty());
    assert!(inbox(stores, owner, false).0.is_empty());

    let deleted = stores.events.delete(show.id, notices()).unwrap();
    let mut told = deleted.recipients.clone();
    told.sort();
    assert_eq!(told, holders);
    assert_eq!(inbox(stores, ann, false).0, ["deleted Show!", "moved Show!"]);
    assert!(matches!(
        stores.events.delete(show.id, notices()),
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        stores.tickets.list_held(ann, None, page(0, 10)).unwrap().total,
        0,
        "its tickets go with it"
    );
}

pub fn racing_cancellations_joins_and_purchases_never_lose_or_oversell_a_place(stores: &Stores) {
    let max = 12;
    let owner = user(stores, "owner");
    let show = stores
        .events
        .create(new_event(owner, "Race", "", 1, max))
        .unwrap();
    let holders: Vec<UserId> = (0..max).map(|n| user(stores, &format!("holder{n}"))).collect();
    for &holder in &holders {
        stores
            .events
            .purchase(sale(show.id, holder, quantity(1), sale_time()))
            .unwrap();
    }
    let joiners: Vec<UserId> = (0..12).map(|n| user(stores, &format!("joiner{n}"))).collect();
    let buyers: Vec<UserId> = (0..6).map(|n| user(stores, &format!("buyer{n}"))).collect();
    let start = Arc::new(Barrier::new(holders.len() + joiners.len() + buyers.len()));
    std::thread::scope(|scope| {
        for &holder in &holders {
            let (tickets, start) = (stores.tickets.clone(), start.clone());
            scope.spawn(move || {
                let mine = tickets.list_held(holder, None, page(0, 1)).unwrap().items[0]
                    .ticket
                    .id;
                start.wait();
                give_back(tickets.as_ref(), mine, holder, sale_time()).unwrap();
            });
        }
        for (n, &joiner) in joiners.iter().enumerate() {
            let (waitlists, events, start) = (stores.waitlists.clone(), stores.events.clone(), start.clone());
            scope.spawn(move || {
                let wants = quantity(1 + n as i64 % 3);
                start.wait();
                // Wait, or buy when enough are left; a purchase racing away the places sends back to the line.
                for _ in 0..50 {
                    match waitlists.join(show.id, joiner, wants, sale_time()) {
                        Ok(_) => return,
                        Err(RepoError::Conflict(Conflict::TicketsAvailable)) => {}
                        Err(error) => panic!("{error:?}"),
                    }
                    match events.purchase(sale(show.id, joiner, wants, sale_time())) {
                        Ok(_) => return,
                        Err(RepoError::Conflict(Conflict::SoldOut)) => {}
                        Err(error) => panic!("{error:?}"),
                    }
                }
                panic!("neither joined nor bought");
            });
        }
        for &buyer in &buyers {
            let (events, start) = (stores.events.clone(), start.clone());
            scope.spawn(move || {
                start.wait();
                match events.purchase(sale(show.id, buyer, quantity(1), sale_time())) {
                    Ok(_) | Err(RepoError::Conflict(Conflict::SoldOut)) => {}
                    Err(error) => panic!("{error:?}"),
                }
            });
        }
    });
    let sold = stores.events.find(show.id).unwrap().unwrap().tickets_sold;
    let everyone: Vec<UserId> = holders.iter().chain(&joiners).chain(&buyers).copied().collect();
    let active: usize = everyone
        .iter()
        .map(|&who| active_tickets(stores, who, show.id))
        .sum();
    assert!(sold <= max, "never oversold: {sold}");
    assert_eq!(
        sold, active as i64,
        "every counted place is an active ticket, none lost"
    );
    let waiting = line(stores, &joiners, show.id);
    for &(joiner, wants, _) in &waiting {
        assert!(
            wants > max - sold,
            "{joiner:?} waits for {wants} with {} free",
            max - sold
        );
        assert_eq!(
            active_tickets(stores, joiner, show.id),
            0,
            "waiting and served at once"
        );
    }
    for (position, entry) in waiting.iter().enumerate() {
        assert_eq!(entry.2, position as u64 + 1, "positions are 1, 2, 3…");
    }
    for (n, &joiner) in joiners.iter().enumerate() {
        let got = active_tickets(stores, joiner, show.id);
        assert!(got == 0 || got == 1 + n % 3, "whole or nothing: {got}");
    }
}

pub fn a_post_is_edited_field_by_field_and_says_when(stores: &Stores) {
    let alice = user(stores, "alice");
    let written = stores
        .posts
        .create(NewPost {
            title: PostTitle::parse("Draft title").unwrap(),
            content: PostContent::parse("First words").unwrap(),
            owner_id: alice,
        })
        .unwrap();
    assert_eq!(written.edited_at, None, "not edited when written");
    let other = stores
        .posts
        .create(NewPost {
            title: PostTitle::parse("Untouched").unwrap(),
            content: PostContent::parse("Stays").unwrap(),
            owner_id: alice,
        })
        .unwrap();

    let t1 = now_ms();
    let retitled = stores
        .posts
        .update(
            written.id,
            PostChanges {
                title: Some(PostTitle::parse("Final title").unwrap()),
                content: None,
            },
            t1,
        )
        .unwrap();
    assert_eq!(
        (retitled.title.as_str(), retitled.content.as_str()),
        ("Final title", "First words"),
        "only the title changes"
    );
    assert_eq!(
        (retitled.id, retitled.owner_id, retitled.created_at),
        (written.id, alice, written.created_at)
    );
    assert_eq!(retitled.edited_at, Some(t1));
    let t2 = t1 + chrono::Duration::seconds(5);
    let rewritten = stores
        .posts
        .update(
            written.id,
            PostChanges {
                title: None,
                content: Some(PostContent::parse("Better words").unwrap()),
            },
            t2,
        )
        .unwrap();
    assert_eq!(
        (
            rewritten.title.as_str(),
            rewritten.content.as_str(),
            rewritten.edited_at
        ),
        ("Final title", "Better words", Some(t2))
    );
    assert_eq!(stores.posts.find(written.id).unwrap(), Some(rewritten));
    assert_eq!(
        stores.posts.find(other.id).unwrap(),
        Some(other),
        "only that post"
    );
    assert!(matches!(
        stores
            .posts
            .update(PostId::from_stored(i64::MAX), PostChanges::default(), t2),
        Err(RepoError::NotFound)
    ));
}

pub fn posts_list_newest_first_optionally_by_author(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let post = |owner, title: &str| {
        stores
            .posts
            .create(NewPost {
                title: PostTitle::parse(title).unwrap(),
                content: PostContent::parse("body").unwrap(),
                owner_id: owner,
            })
            .unwrap()
    };
    let first = post(alice, "first");
    post(bob, "second");
    post(alice, "third");
    let titles = |owner| {
        let listed = stores.posts.list(owner, page(0, 10)).unwrap();
        (
            listed.total,
            listed.items.into_iter().map(|p| p.title).collect::<Vec<_>>(),
        )
    };
    assert_eq!(
        titles(None),
        (3, vec!["third".into(), "second".into(), "first".into()])
    );
    assert_eq!(titles(Some(alice)), (2, vec!["third".into(), "first".into()]));
    assert_eq!(stores.posts.find(first.id).unwrap(), Some(first.clone()));
    stores.posts.delete(first.id).unwrap();
    assert_eq!(stores.posts.find(first.id).unwrap(), None);
    assert!(matches!(stores.posts.delete(first.id), Err(RepoError::NotFound)));
}

pub fn a_comment_notifies_the_owner_and_earlier_commenters_once(stores: &Stores) {
    let (alice, bob, carol) = (user(stores, "alice"), user(stores, "bob"), user(stores, "carol"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    let posted = |author, text: &str| {
        stores
            .comments
            .create_with_notifications(comment(meetup.id, author, text), Box::new(Everyone(author)))
            .unwrap()
    };
    let first = posted(bob, "first");
    assert_eq!(
        first.notifications.iter().map(|n| n.owner_id).collect::<Vec<_>>(),
        [alice]
    );
    assert!(first.notifications[0].id.get() > 0, "returned as stored");
    assert_eq!(first.notifications[0].event_id, Some(meetup.id));
    posted(carol, "second");
    let third = posted(bob, "third");
    let mut told: Vec<UserId> = third.notifications.iter().map(|n| n.owner_id).collect();
    told.sort_unstable();
    assert_eq!(
        told,
        [alice, carol],
        "the owner and the other participant, once each"
    );
    let listed = stores.comments.list(meetup.id, page(0, 10)).unwrap();
    assert_eq!(listed.total, 3);
    assert_eq!(
        listed
            .items
            .iter()
            .map(|c| c.content.as_str())
            .collect::<Vec<_>>(),
        ["first", "second", "third"]
    );
    let deeper = stores.comments.list(meetup.id, page(2, 10)).unwrap();
    assert_eq!((deeper.total, deeper.items[0].content.as_str()), (3, "third"));
    assert_eq!(inbox(stores, alice, false).1, 3);
}

pub fn comments_at_the_same_moment_each_notify_the_other(stores: &Stores) {
    let owner = user(stores, "owner");
    for round in 0..5 {
        let (first, second) = (
            user(stores, &format!("first{round}")),
            user(stores, &format!("second{round}")),
        );
        let meetup = event(stores, owner, "Meetup", "", 1);
        let start = Arc::new(Barrier::new(2));
        let told: Vec<Vec<UserId>> = std::thread::scope(|scope| {
            [first, second]
                .map(|author| {
                    let (comments, start) = (stores.comments.clone(), start.clone());
                    scope.spawn(move || {
                        start.wait();
                        comments
                            .create_with_notifications(
                                comment(meetup.id, author, "me too"),
                                Box::new(Everyone(author)),
                            )
                            .unwrap()
                            .notifications
                            .iter()
                            .map(|n| n.owner_id)
                            .collect()
                    })
                })
                .into_iter()
                .map(|handle| handle.join().unwrap())
                .collect()
        });
        let heard_of_the_other = told[0].contains(&second) || told[1].contains(&first);
        assert!(
            heard_of_the_other,
            "whichever commits second notifies the first (round {round}): {told:?}"
        );
    }
}

pub fn a_failed_notification_leaves_no_comment(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    // The second recipient does not exist: its insert fails, and the whole write with it.
    let result = stores.comments.create_with_notifications(
        comment(meetup.id, bob, "lost"),
        Box::new(To(vec![alice, UserId::from_stored(9_999)], bob)),
    );
    assert!(result.is_err());
    assert_eq!(stores.comments.list(meetup.id, page(0, 10)).unwrap().total, 0);
    assert_eq!(
        inbox(stores, alice, false).1,
        0,
        "no notification survives either"
    );
    let later = stores
        .comments
        .create_with_notifications(comment(meetup.id, alice, "after"), Box::new(Everyone(alice)))
        .unwrap();
    assert!(
        later.notifications.is_empty(),
        "the failed author did not join the participants"
    );
}

pub fn commenting_on_a_missing_event_is_not_found(stores: &Stores) {
    let bob = user(stores, "bob");
    let result = stores.comments.create_with_notifications(
        comment(EventId::from_stored(9_999), bob, "hi"),
        Box::new(Everyone(bob)),
    );
    assert!(matches!(result, Err(RepoError::NotFound)));
}

/// The store tells a missing event from an empty page in the same read (the use case asks nothing else).
pub fn comment_pages_of_a_missing_event_are_not_found_and_past_the_end_are_empty(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let quiet = event(stores, alice, "Quiet", "", 1);
    let talked = event(stores, alice, "Talked", "", 2);
    for text in ["one", "two", "three"] {
        stores
            .comments
            .create_with_notifications(comment(talked.id, bob, text), Box::new(To(vec![], bob)))
            .unwrap();
    }
    let empty = stores.comments.list(quiet.id, page(0, 10)).unwrap();
    assert_eq!((empty.items.len(), empty.total), (0, 0));
    for skip in [3, 5_000] {
        let past = stores.comments.list(talked.id, page(skip, 10)).unwrap();
        assert_eq!((past.items.len(), past.total), (0, 3), "skip {skip}");
    }
    let last = stores.comments.list(talked.id, page(2, 10)).unwrap();
    assert_eq!((last.items[0].content.as_str(), last.total), ("three", 3));
    for skip in [0, 5_000] {
        assert!(
            matches!(
                stores.comments.list(EventId::from_stored(9_999), page(skip, 10)),
                Err(RepoError::NotFound)
            ),
            "skip {skip}"
        );
    }
}

pub fn deleting_an_event_takes_its_comments_and_keeps_the_notifications(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    let hi = stores
        .comments
        .create_with_notifications(comment(meetup.id, bob, "hi"), Box::new(Everyone(bob)))
        .unwrap()
        .comment;
    remove(stores, meetup.id).unwrap();
    assert_eq!(stores.comments.find(meetup.id, hi.id).unwrap(), None);
    assert!(matches!(
        stores.comments.list(meetup.id, page(0, 10)),
        Err(RepoError::NotFound)
    ));
    let (page, _) = stores
        .notifications
        .list(NotificationQuery {
            owner: alice,
            unread_only: false,
            page: page(0, 10),
        })
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].event_id, None, "the inbox outlives the event");
}

pub fn an_authors_comments_are_read_in_id_order_across_events(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let first = event(stores, alice, "First", "", 3);
    let second = event(stores, alice, "Second", "", 4);
    let write = |event: EventId, author: UserId, text: &str| {
        stores
            .comments
            .create_with_notifications(comment(event, author, text), Box::new(To(vec![], author)))
            .unwrap()
            .comment
            .id
    };
    let mine = [
        write(second.id, bob, "one"),
        write(first.id, bob, "two"),
        write(second.id, bob, "three"),
    ];
    write(first.id, alice, "not bob's");
    let texts = |after, limit| -> Vec<String> {
        stores
            .comments
            .by_author(bob, after, limit)
            .unwrap()
            .into_iter()
            .map(|comment| comment.content)
            .collect()
    };
    assert_eq!(texts(None, 10), ["one", "two", "three"]);
    assert_eq!(texts(None, 2), ["one", "two"]);
    assert_eq!(texts(Some(mine[1]), 2), ["three"]);
    assert_eq!(texts(Some(mine[2]), 2), Vec::<String>::new());
    assert!(
        stores
            .comments
            .by_author(UserId::from_stored(9_999), None, 5)
            .unwrap()
            .is_empty()
    );
}

/// Every page of a long discussion, near or deep, is the slice of the list that stepping through it would
/// give, also after deletions in the middle (which leave gaps where the stores number comments and count
/// them in buckets) and with another event's comments written in between.
pub fn deep_comment_pages_are_slices_of_the_list_through_deletions(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let talk = event(stores, alice, "Talk", "", 1);
    let other = event(stores, alice, "Other", "", 2);
    let mut listed = Vec::new();
    for i in 0..900 {
        let on = if i % 3 == 0 { other.id } else { talk.id };
        let written = stores
            .comments
            .create_with_notifications(comment(on, bob, &format!("c{i}")), Box::new(To(vec![], bob)))
            .unwrap()
            .comment;
        if on == talk.id {
            listed.push(written.id);
        }
    }
    let gone: Vec<CommentId> = listed
        .iter()
        .enumerate()
        .filter(|(at, _)| at % 7 == 0 || (60..140).contains(at) || *at == listed.len() - 1)
        .map(|(_, id)| *id)
        .collect();
    for id in &gone {
        stores.comments.delete(talk.id, *id).unwrap();
    }
    listed.retain(|id| !gone.contains(id));
    let last = stores
        .comments
        .create_with_notifications(comment(talk.id, alice, "last"), Box::new(To(vec![], alice)))
        .unwrap()
        .comment;
    listed.push(last.id);
    let total = listed.len();
    assert!(total > 300, "enough comments for deep pages: {total}");
    for skip in [
        0,
        1,
        63,
        64,
        255,
        256,
        257,
        300,
        320,
        400,
        520,
        total - 5,
        total - 1,
        total,
        total + 10,
    ] {
        for limit in [1, 7, 50] {
            let page = stores.comments.list(talk.id, page(skip as i64, limit)).unwrap();
            let expected: Vec<CommentId> = listed.iter().skip(skip).take(limit as usize).copied().collect();
            let got: Vec<CommentId> = page.items.iter().map(|c| c.id).collect();
            assert_eq!(got, expected, "skip {skip}, limit {limit}");
            assert_eq!(page.total, total as u64, "skip {skip}, limit {limit}");
        }
    }
}

pub fn a_comment_is_edited_and_deleted_only_on_its_own_event(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    let other = event(stores, alice, "Other", "", 2);
    let write = |author, text: &str| {
        stores
            .comments
            .create_with_notifications(comment(meetup.id, author, text), Box::new(Everyone(author)))
            .unwrap()
            .comment
    };
    let (first, second, third) = (write(bob, "one"), write(alice, "two"), write(bob, "three"));
    assert_eq!(first.edited_at, None);
    assert_eq!(
        stores.comments.find(meetup.id, second.id).unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        stores.comments.find(other.id, second.id).unwrap(),
        None,
        "a comment is found only on its own event"
    );

    let now = now_ms();
    let words = || CommentContent::parse("one, edited").unwrap();
    let edited = stores.comments.update(meetup.id, first.id, words(), now).unwrap();
    assert_eq!(
        (
            edited.content.as_str(),
            edited.edited_at,
            edited.created_at,
            edited.owner_id
        ),
        ("one, edited", Some(now), first.created_at, bob)
    );
    assert!(matches!(
        stores.comments.update(other.id, first.id, words(), now),
        Err(RepoError::NotFound)
    ));
    let listed = |event| -> (u64, Vec<String>) {
        let listed = stores.comments.list(event, page(0, 10)).unwrap();
        (
            listed.total,
            listed.items.into_iter().map(|c| c.content).collect(),
        )
    };
    assert_eq!(
        listed(meetup.id),
        (3, vec!["one, edited".into(), "two".into(), "three".into()]),
        "an edit keeps the comment's place"
    );

    assert!(matches!(
        stores.comments.delete(other.id, second.id),
        Err(RepoError::NotFound)
    ));
    stores.comments.delete(meetup.id, second.id).unwrap();
    assert!(matches!(
        stores.comments.delete(meetup.id, second.id),
        Err(RepoError::NotFound)
    ));
    assert_eq!(stores.comments.find(meetup.id, second.id).unwrap(), None);
    assert_eq!(
        listed(meetup.id),
        (2, vec!["one, edited".into(), "three".into()]),
        "the total and the pages follow a deletion"
    );
    assert_eq!(
        stores.comments.list(meetup.id, page(1, 10)).unwrap().items,
        vec![third.clone()]
    );
    // A comment written after a deletion comes last, and the notifications already sent stay.
    let fourth = write(alice, "four");
    assert_eq!(
        listed(meetup.id).1,
        ["one, edited", "three", "four"].map(String::from)
    );
    assert!(fourth.id > third.id);
    let (inbox, _) = stores
        .notifications
        .list(NotificationQuery {
            owner: alice,
            unread_only: false,
            page: page(0, 10),
        })
        .unwrap();
    assert!(
        !inbox.items.is_empty(),
        "bob's comments told alice, and that stays"
    );
}

pub fn notifications_list_newest_first_with_the_unread_count(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let first = stores
        .notifications
        .create(note(alice, bob, None, "one"))
        .unwrap();
    assert_eq!((first.read, first.sender_id, first.owner_id), (false, bob, alice));
    stores
        .notifications
        .create(note(alice, bob, None, "two"))
        .unwrap();
    stores
        .notifications
        .create(note(bob, alice, None, "for bob"))
        .unwrap();
    assert_eq!(
        inbox(stores, alice, false),
        (vec!["two".into(), "one".into()], 2, 2)
    );
    stores.notifications.mark_read(alice, first.id).unwrap();
    assert_eq!(inbox(stores, alice, true), (vec!["two".into()], 1, 1));
    assert_eq!(inbox(stores, alice, false).1, 2);
    assert!(matches!(
        stores
            .notifications
            .create(note(UserId::from_stored(9_999), bob, None, "nobody")),
        Err(RepoError::NotFound)
    ));
}

pub fn marking_read_is_per_owner_and_up_to_an_id(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let ids: Vec<_> = (0..4)
        .map(|i| {
            stores
                .notifications
                .create(note(alice, bob, None, &format!("n{i}")))
                .unwrap()
                .id
        })
        .collect();
    let for_bob = stores
        .notifications
        .create(note(bob, alice, None, "bob's"))
        .unwrap();
    assert!(matches!(
        stores.notifications.mark_read(alice, for_bob.id),
        Err(RepoError::NotFound)
    ));
    assert_eq!(
        stores
            .notifications
            .mark_all_read(alice, Some(ids[1].into()))
            .unwrap(),
        2
    );
    assert_eq!(inbox(stores, alice, false).2, 2);
    assert_eq!(stores.notifications.mark_all_read(alice, None).unwrap(), 2);
    assert_eq!(
        stores.notifications.mark_all_read(alice, None).unwrap(),
        0,
        "only changes count"
    );
    assert_eq!(inbox(stores, bob, false).2, 1, "another inbox untouched");
}

/// Stores may check what a notification names in their own way (PostgreSQL once a statement, SQLite by
/// foreign keys); either way nothing is written that names what is not there.
pub fn a_notification_naming_a_missing_account_or_event_is_not_found(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    let nobody = UserId::from_stored(9_999);
    let gone = EventId::from_stored(9_999);
    for (to, from, about) in [
        (nobody, bob, None),
        (alice, nobody, None),
        (alice, bob, Some(gone)),
    ] {
        assert!(
            matches!(
                stores.notifications.create(note(to, from, about, "hi")),
                Err(RepoError::NotFound)
            ),
            "to {to:?} from {from:?} about {about:?}"
        );
    }
    assert_eq!(
        inbox(stores, alice, false).1,
        0,
        "nothing written, nothing counted"
    );
    let about_the_meetup = stores
        .notifications
        .create(note(alice, bob, Some(meetup.id), "hi"))
        .unwrap();
    assert_eq!(about_the_meetup.event_id, Some(meetup.id));
    assert_eq!(inbox(stores, alice, false).1, 1);
}

pub fn sent_since_counts_direct_notifications_only(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let before = Utc::now() - chrono::Duration::minutes(1);
    stores
        .notifications
        .create(note(alice, bob, None, "direct"))
        .unwrap();
    let meetup = event(stores, alice, "Meetup", "", 1);
    stores
        .comments
        .create_with_notifications(comment(meetup.id, bob, "hi"), Box::new(Everyone(bob)))
        .unwrap();
    assert_eq!(stores.notifications.sent_since(bob, before).unwrap(), 1);
    assert_eq!(
        stores
            .notifications
            .sent_since(bob, Utc::now() + chrono::Duration::minutes(1))
            .unwrap(),
        0
    );
}

pub fn an_inbox_is_read_after_an_id_in_id_order(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let empty = stores
        .notifications
        .since(alice, Some(InboxCursor::Start), 10)
        .unwrap();
    assert_eq!(
        (empty.notifications.len(), empty.unread, empty.newest),
        (0, 0, None)
    );
    let mut mine = Vec::new();
    for i in 0..5 {
        mine.push(
            stores
                .notifications
                .create(note(alice, bob, None, &format!("a{i}")))
                .unwrap()
                .id,
        );
        stores
            .notifications
            .create(note(bob, alice, None, "for bob"))
            .unwrap();
    }
    stores.notifications.mark_read(alice, mine[0]).unwrap();

    let counts_only = stores.notifications.since(alice, None, 10).unwrap();
    assert!(
        counts_only.notifications.is_empty(),
        "no id given, no notifications read"
    );
    assert_eq!((counts_only.unread, counts_only.newest), (4, Some(mine[4])));

    let after_first = stores
        .notifications
        .since(alice, Some(mine[0].into()), 2)
        .unwrap();
    let ids: Vec<_> = after_first.notifications.iter().map(|n| n.id).collect();
    assert_eq!(
        ids,
        [mine[1], mine[2]],
        "lowest first, at most the limit, only the owner's"
    );
    assert!(
        after_first
            .notifications
            .iter()
            .all(|n| n.owner_id == alice && !n.read)
    );
    assert_eq!(after_first.notifications[0].message, "a1");
    let rest = stores
        .notifications
        .since(alice, Some(mine[2].into()), 100)
        .unwrap();
    assert_eq!(
        rest.notifications.iter().map(|n| n.id).collect::<Vec<_>>(),
        [mine[3], mine[4]]
    );
    assert!(
        stores
            .notifications
            .since(alice, Some(mine[4].into()), 100)
            .unwrap()
            .notifications
            .is_empty()
    );
}

/// What a live stream does: read "after the last id seen" again and again while comments and direct
/// notifications for the same recipient commit concurrently. Every notification must be seen exactly
/// once: for one recipient, ids must become visible in the order they are given.
pub fn a_reader_following_an_inbox_misses_nothing_while_writers_race(stores: &Stores) {
    const WRITERS: usize = 4;
    const EACH: usize = 24; // 96 in all: one page of the list
    let alice = user(stores, "alice");
    let writers: Vec<UserId> = (0..WRITERS)
        .map(|i| user(stores, &format!("writer{i}")))
        .collect();
    let events: Vec<Event> = writers
        .iter()
        .enumerate()
        .map(|(i, w)| event(stores, *w, &format!("Event {i}"), "", 1))
        .collect();
    // Alice takes part in every event, so each comment there notifies her (and the event's owner).
    for meetup in &events {
        stores
            .comments
            .create_with_notifications(comment(meetup.id, alice, "hello"), Box::new(Everyone(alice)))
            .unwrap();
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let barrier = Barrier::new(WRITERS);
    let seen = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut seen = Vec::new();
            let mut cursor = InboxCursor::Start;
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let batch = stores.notifications.since(alice, Some(cursor), 7).unwrap();
                for n in &batch.notifications {
                    assert!(InboxCursor::At(n.id) > cursor, "ids after the cursor, in order");
                    cursor = InboxCursor::At(n.id);
                    seen.push(n.id);
                }
                if finished && batch.notifications.is_empty() {
                    return seen;
                }
            }
        });
        let handles: Vec<_> = writers
            .iter()
            .zip(&events)
            .map(|(writer, meetup)| {
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    for i in 0..EACH {
                        if i % 2 == 0 {
                            stores
                                .comments
                                .create_with_notifications(
                                    comment(meetup.id, *writer, "news"),
                                    Box::new(Everyone(*writer)),
                                )
                                .unwrap();
                        } else {
                            stores
                                .notifications
                                .create(note(alice, *writer, None, "direct"))
                                .unwrap();
                        }
                    }
                })
            })
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap()
    });
    let (all, _) = stores
        .notifications
        .list(NotificationQuery {
            owner: alice,
            unread_only: false,
            page: page(0, 100),
        })
        .unwrap();
    let mut stored: Vec<NotificationId> = all.items.iter().map(|n| n.id).collect();
    stored.sort_unstable();
    assert_eq!(stored.len(), WRITERS * EACH, "every write notified Alice");
    assert_eq!(
        seen, stored,
        "the reader saw each notification once, none skipped"
    );
}

pub fn stream_tickets_are_redeemed_once_before_they_expire(stores: &Stores) {
    let alice = user(stores, "alice");
    let now = Utc::now();
    let ticket = StreamTicket {
        user: alice,
        token_issued_at: 1_700_000_000,
        token_expires_at: 1_700_001_800,
        session: None,
    };
    let soon = now + chrono::Duration::seconds(60);
    stores.stream_tickets.store("key-1", ticket, soon, now).unwrap();
    stores.stream_tickets.store("key-2", ticket, soon, now).unwrap();
    assert_eq!(stores.stream_tickets.redeem("unknown", now).unwrap(), None);
    assert_eq!(stores.stream_tickets.redeem("key-1", now).unwrap(), Some(ticket));
    assert_eq!(
        stores.stream_tickets.redeem("key-1", now).unwrap(),
        None,
        "single use"
    );
    let later = soon + chrono::Duration::seconds(1);
    assert_eq!(
        stores.stream_tickets.redeem("key-2", later).unwrap(),
        None,
        "expired"
    );
    // Storing sweeps expired tickets; a fresh one stays redeemable.
    stores
        .stream_tickets
        .store("key-3", ticket, later + chrono::Duration::seconds(60), later)
        .unwrap();
    assert_eq!(
        stores.stream_tickets.redeem("key-3", later).unwrap(),
        Some(ticket)
    );
}

/// Now, to the millisecond (what every store keeps).
pub(crate) fn now_ms() -> chrono::DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(3)
}

pub(crate) fn start(
    stores: &Stores,
    user: UserId,
    key: &str,
    remember: bool,
    at: chrono::DateTime<Utc>,
) -> Session {
    stores
        .sessions
        .start(NewSession {
            remember,
            ..new_session(user, key, at)
        })
        .unwrap()
}

/// A session for `user` to start at `at`, on the device `key` names.
pub(crate) fn new_session(user: UserId, key: &str, at: chrono::DateTime<Utc>) -> NewSession {
    NewSession {
        user,
        device: Device::describe(Some(&format!("device of {key}"))),
        remember: false,
        signed_in_at: at.timestamp(),
        refresh_key: key.into(),
        now: at,
        expires_at: at + chrono::Duration::hours(1),
    }
}

fn expiry(at: chrono::DateTime<Utc>) -> Expiry {
    Expiry {
        remembered: at + chrono::Duration::days(30),
        otherwise: at + chrono::Duration::hours(12),
    }
}

pub fn sessions_renew_once_and_a_spent_token_ends_them(stores: &Stores) {
    let alice = user(stores, "alice");
    let t0 = now_ms();
    let started = start(stores, alice, "a0", false, t0);
    assert_eq!(
        (
            started.user,
            started.device.as_str(),
            started.remember,
            started.signed_in_at
        ),
        (alice, "device of a0", false, t0.timestamp())
    );
    assert_eq!((started.created_at, started.last_used_at), (t0, t0));
    assert_eq!(started.expires_at, t0 + chrono::Duration::hours(1));
    assert_eq!(stores.sessions.find(started.id).unwrap(), Some(started.clone()));

    let t1 = t0 + chrono::Duration::minutes(20);
    let Renewal::Renewed(renewed) = stores.sessions.renew("a0", "a1", t1, expiry(t1)).unwrap() else {
        panic!("a current token renews");
    };
    assert_eq!(renewed.id, started.id);
    assert_eq!((renewed.created_at, renewed.last_used_at), (t0, t1));
    assert_eq!(
        renewed.expires_at,
        expiry(t1).otherwise,
        "not remembered: the shorter lifetime"
    );
    // A stream ticket of the session goes when the session does.
    let ticket = StreamTicket {
        user: alice,
        token_issued_at: t1.timestamp(),
        token_expires_at: t1.timestamp() + 1800,
        session: Some(started.id),
    };
    let soon = t1 + chrono::Duration::seconds(60);
    stores.stream_tickets.store("ticket", ticket, soon, t1).unwrap();

    assert_eq!(
        stores.sessions.renew("a0", "a2", t1, expiry(t1)).unwrap(),
        Renewal::Reused {
            session: started.id,
            user: alice
        },
        "a spent token presented again"
    );
    assert_eq!(
        stores.sessions.find(started.id).unwrap(),
        None,
        "the whole session ended"
    );
    assert_eq!(
        stores.sessions.renew("a1", "a3", t1, expiry(t1)).unwrap(),
        Renewal::Unknown,
        "its newest token ended with it"
    );
    assert_eq!(stores.stream_tickets.redeem("ticket", t1).unwrap(), None);
    assert_eq!(
        stores
            .sessions
            .renew("never issued", "x", t1, expiry(t1))
            .unwrap(),
        Renewal::Unknown
    );
    assert_eq!(
        stores.sessions.renew("a\0", "x", t1, expiry(t1)).unwrap(),
        Renewal::Unknown
    );

    // A remembered session renews for the longer lifetime, token after token.
    let kept = start(stores, alice, "k0", true, t1);
    let mut key = "k0".to_owned();
    for step in 1..=3 {
        let at = t1 + chrono::Duration::minutes(step);
        let next = format!("k{step}");
        let Renewal::Renewed(session) = stores.sessions.renew(&key, &next, at, expiry(at)).unwrap() else {
            panic!("step {step} renews");
        };
        assert_eq!((session.id, session.expires_at), (kept.id, expiry(at).remembered));
        key = next;
    }
    assert!(matches!(
        stores.sessions.renew("k1", "x", t1, expiry(t1)).unwrap(),
        Renewal::Reused { .. }
    ));
}

pub fn sessions_expire_are_listed_and_ended_per_user(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let t0 = now_ms();
    let a1 = start(stores, alice, "a1", false, t0);
    let a2 = start(stores, alice, "a2", true, t0 + chrono::Duration::seconds(1));
    let b1 = start(stores, bob, "b1", false, t0);
    let ids = |user, at| -> Vec<SessionId> {
        stores
            .sessions
            .list(user, at)
            .unwrap()
            .into_iter()
            .map(|session| session.id)
            .collect()
    };
    assert_eq!(ids(alice, t0), [a2.id, a1.id], "the most recently used first");
    assert_eq!(ids(bob, t0), [b1.id]);
    let t1 = t0 + chrono::Duration::seconds(2);
    assert!(matches!(
        stores.sessions.renew("a1", "a1'", t1, expiry(t1)).unwrap(),
        Renewal::Renewed(_)
    ));
    assert_eq!(ids(alice, t1), [a1.id, a2.id], "renewing uses a session");

    assert!(!stores.sessions.end(bob, a1.id).unwrap(), "not bob's");
    assert!(stores.sessions.find(a1.id).unwrap().is_some());
    assert!(stores.sessions.end(alice, a1.id).unwrap());
    assert!(!stores.sessions.end(alice, a1.id).unwrap(), "ended already");
    assert_eq!(
        stores.sessions.renew("a1'", "x", t1, expiry(t1)).unwrap(),
        Renewal::Unknown
    );

    // Past its expiry a session is neither listed nor renewed, and renewing ends it.
    let late = a2.expires_at + chrono::Duration::seconds(1);
    assert_eq!(ids(alice, late), Vec::<SessionId>::new());
    assert_eq!(
        stores.sessions.renew("a2", "x", late, expiry(late)).unwrap(),
        Renewal::Unknown
    );
    assert_eq!(stores.sessions.find(a2.id).unwrap(), None);

    assert_eq!(stores.sessions.end_all(bob).unwrap(), 1);
    assert_eq!(ids(bob, t0), Vec::<SessionId>::new());
    // Ended sessions' numbers are not given again.
    let again = start(stores, bob, "b2", false, t0);
    assert!(again.id > a2.id && again.id > b1.id, "{again:?}");
}

pub fn a_user_is_found_signed_in_only_while_their_session_is_open(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let t0 = now_ms();
    let a1 = start(stores, alice, "a1", false, t0);
    let b1 = start(stores, bob, "b1", false, t0);
    let signed_in = |user, session| {
        stores
            .users
            .find_signed_in(user, session)
            .unwrap()
            .map(|found| found.id)
    };
    assert_eq!(signed_in(alice, a1.id), Some(alice));
    assert_eq!(
        stores.users.find_signed_in(alice, a1.id).unwrap(),
        stores.users.find(alice).unwrap(),
        "the whole account, as `find` reads it"
    );
    assert_eq!(signed_in(bob, b1.id), Some(bob));
    assert_eq!(signed_in(alice, b1.id), None, "bob's session is not alice's");
    assert_eq!(signed_in(UserId::from_stored(i64::MAX), a1.id), None);
    assert_eq!(signed_in(alice, SessionId::from_stored(i64::MAX)), None);

    // Its expiry is for the caller to judge: a session past it still names its user until it ends.
    let late = a1.expires_at + chrono::Duration::days(1);
    assert_eq!(stores.sessions.list(alice, late).unwrap(), Vec::new());
    assert_eq!(signed_in(alice, a1.id), Some(alice));
    assert!(stores.sessions.end(alice, a1.id).unwrap());
    assert_eq!(signed_in(alice, a1.id), None, "ended");
    assert_eq!(signed_in(bob, b1.id), Some(bob), "bob's session goes on");
}

pub fn an_account_keeps_its_most_recently_used_sessions(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let t0 = now_ms();
    let bobs = start(stores, bob, "bob", false, t0);
    let first: Vec<Session> = (0..MAX_PER_USER)
        .map(|n| {
            start(
                stores,
                alice,
                &format!("s{n}"),
                false,
                t0 + chrono::Duration::seconds(n),
            )
        })
        .collect();
    let at = t0 + chrono::Duration::seconds(MAX_PER_USER);
    assert_eq!(
        stores.sessions.list(alice, at).unwrap().len() as i64,
        MAX_PER_USER
    );
    // The oldest is used again, so the second oldest is the least recently used.
    assert!(matches!(
        stores.sessions.renew("s0", "s0'", at, expiry(at)).unwrap(),
        Renewal::Renewed(_)
    ));
    let one_more = start(stores, alice, "new", false, at + chrono::Duration::seconds(1));
    let listed: Vec<SessionId> = stores
        .sessions
        .list(alice, at)
        .unwrap()
        .into_iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(listed.len() as i64, MAX_PER_USER);
    assert_eq!(listed[0], one_more.id);
    assert!(listed.contains(&first[0].id));
    assert!(!listed.contains(&first[1].id), "the least recently used ended");
    assert_eq!(stores.sessions.find(first[1].id).unwrap(), None);
    assert!(
        stores.sessions.find(bobs.id).unwrap().is_some(),
        "other accounts keep theirs"
    );
}

pub fn racing_renewals_of_one_token_renew_once(stores: &Stores) {
    let alice = user(stores, "alice");
    let t0 = now_ms();
    let session = start(stores, alice, "raced", true, t0);
    const RACERS: usize = 8;
    let barrier = Arc::new(Barrier::new(RACERS));
    let answers: Vec<Renewal> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..RACERS)
            .map(|n| {
                let barrier = barrier.clone();
                scope.spawn(move || {
                    barrier.wait();
                    let at = now_ms();
                    stores
                        .sessions
                        .renew("raced", &format!("next {n}"), at, expiry(at))
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let renewed = answers
        .iter()
        .filter(|a| matches!(a, Renewal::Renewed(_)))
        .count();
    let reused = answers
        .iter()
        .filter(|a| matches!(a, Renewal::Reused { .. }))
        .count();
    assert_eq!(renewed, 1, "{answers:?}");
    assert!(
        reused >= 1,
        "the others found the token spent, or the session ended: {answers:?}"
    );
    assert_eq!(
        renewed + reused + answers.iter().filter(|a| **a == Renewal::Unknown).count(),
        RACERS
    );
    assert_eq!(
        stores.sessions.find(session.id).unwrap(),
        None,
        "reuse ended the session"
    );
}

pub fn the_store_answers_pings(stores: &Stores) {
    stores.health.ping().unwrap();
}
