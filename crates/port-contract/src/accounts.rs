//! The contract of deleting one's account.

use chrono::{TimeZone, Utc};
use plaza_domain::role::Role;
use plaza_domain::user::{BanOrder, BanReason, DELETED_USER_NAME, deleted_account_email};
use plaza_domain::{Conflict, RepoError, Stores};

use crate::{Everyone, comment, event, inbox, new_user, note, now_ms, page, set_role, start, user};

pub fn a_deleted_account_keeps_its_name_and_words_and_loses_the_rest(stores: &Stores) {
    let (alice, bob, carol) = (user(stores, "alice"), user(stores, "bob"), user(stores, "carol"));
    let meetup = event(stores, alice, "Meetup", "", 1);
    stores.users.set_avatar(bob, Some("bob.png".into())).unwrap();
    let post_comment = |author, text: &str| {
        stores
            .comments
            .create_with_notifications(comment(meetup.id, author, text), Box::new(Everyone(author)))
            .unwrap()
    };
    post_comment(bob, "bob was here");
    stores
        .notifications
        .create(note(bob, alice, None, "hello bob"))
        .unwrap();
    let session = start(stores, bob, "bob's", false, now_ms());
    stores
        .users
        .ban(BanOrder {
            user: bob,
            by: alice,
            by_role: Role::Admin,
            reason: BanReason::parse("a warning").unwrap(),
            until: Some(Utc::now() + chrono::Duration::days(1)),
            at: Utc::now(),
        })
        .unwrap();

    let at = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    assert_eq!(
        stores.users.delete_account(bob, at).unwrap().as_deref(),
        Some("bob.png"),
        "the avatar file it named, for the caller to remove"
    );
    let gone = stores.users.find(bob).unwrap().expect("the row stays");
    assert_eq!(gone.deleted_at, Some(at));
    assert_eq!(gone.email, deleted_account_email(bob));
    assert_eq!(gone.password_hash.0, "", "no hash kept");
    assert_eq!((gone.full_name, gone.avatar, gone.ban), (None, None, None));
    assert_eq!((gone.username.as_str(), gone.role), ("bob", Role::Member));
    assert_eq!(
        stores.users.find_by_username("bob").unwrap(),
        None,
        "no login finds it"
    );
    assert_eq!(
        stores.users.find_signed_in(bob, session.id).unwrap(),
        None,
        "its sessions ended"
    );
    assert_eq!(inbox(stores, bob, false).1, 0, "its inbox is empty");
    assert!(matches!(
        stores.users.create(new_user("BOB")),
        Err(RepoError::Conflict(Conflict::UsernameTaken))
    ));
    let mut again = new_user("robert");
    again.email = plaza_domain::user::Email::parse("bob@example.org").unwrap();
    stores.users.create(again).expect("the address is free again");

    // What it wrote stays; it hears nothing more, and nothing can be sent to it.
    let words = stores.comments.list(meetup.id, page(0, 10)).unwrap();
    assert_eq!(words.items[0].owner_id, bob);
    let told = post_comment(carol, "carol too");
    assert_eq!(
        told.notifications.iter().map(|n| n.owner_id).collect::<Vec<_>>(),
        [alice]
    );
    assert!(matches!(
        stores
            .notifications
            .create(note(bob, alice, None, "still there?")),
        Err(RepoError::NotFound)
    ));
    let log = stores.modlog.list(page(0, 10)).unwrap();
    assert_eq!(log.items[0].target_username.as_deref(), Some(DELETED_USER_NAME));
    assert!(matches!(
        stores.users.delete_account(bob, at),
        Err(RepoError::NotFound)
    ));
}

pub fn the_last_admin_cannot_delete_their_account(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    set_role(stores, alice, Role::Admin, None).unwrap();
    assert!(matches!(
        stores.users.delete_account(alice, Utc::now()),
        Err(RepoError::Conflict(Conflict::LastAdmin))
    ));
    assert_eq!(stores.users.find(alice).unwrap().unwrap().deleted_at, None);
    set_role(stores, bob, Role::Admin, Some(alice)).unwrap();
    stores.users.delete_account(alice, Utc::now()).unwrap();
    assert!(matches!(
        stores.users.delete_account(bob, Utc::now()),
        Err(RepoError::Conflict(Conflict::LastAdmin))
    ));
}
