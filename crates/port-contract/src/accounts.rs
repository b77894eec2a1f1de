//! The contract of an account's own choices: leaving, the language it reads in, and what its
//! notifications are about.

use chrono::{TimeZone, Utc};
use plaza_domain::notification::NotificationSubject;
use plaza_domain::role::Role;
use plaza_domain::user::{
    BanOrder, BanReason, DELETED_USER_NAME, Email, Locale, UserChanges, Username, deleted_account_email,
};
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
    // One written before notifications had kinds: a comment's sentence, kept as a plain message.
    stores
        .notifications
        .create(note(alice, bob, None, "Sender commented on \"Old times\""))
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

    // What it sent others no longer names it.
    let (alices, _, _) = inbox(stores, alice, false);
    assert!(
        alices.contains(&"deleted user commented on \"Meetup\"".to_owned())
            && alices.contains(&"deleted user commented on \"Old times\"".to_owned()),
        "{alices:?}"
    );
    assert!(
        newest(stores, alice)
            .iter()
            .filter(|n| n.sender_id == bob)
            .all(|n| n.sender == DELETED_USER_NAME)
    );

    // Nothing changes it any more, nor signs it in.
    assert!(matches!(
        stores.sessions.start(crate::new_session(bob, "late", now_ms())),
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        set_role(stores, bob, Role::Admin, None),
        Err(RepoError::NotFound)
    ));
    assert!(matches!(
        stores.users.set_avatar(bob, Some("x.png".into())),
        Err(RepoError::NotFound)
    ));
    let mut ban = BanOrder {
        user: bob,
        by: alice,
        by_role: Role::Admin,
        reason: BanReason::parse("late").unwrap(),
        until: None,
        at: Utc::now(),
    };
    assert!(matches!(stores.users.ban(ban.clone()), Err(RepoError::NotFound)));
    ban.user = carol;
    stores.users.ban(ban).unwrap();
    assert!(matches!(
        stores.users.lift_ban(bob, alice, Utc::now()),
        Err(RepoError::NotFound)
    ));
    let back = UserChanges {
        username: Username::parse("bob").unwrap(),
        email: Email::parse("bob2@example.org").unwrap(),
        full_name: None,
        password: None,
        locale: None,
        notification_mail: None,
        verification: None,
    };
    assert!(matches!(stores.users.update(bob, back), Err(RepoError::NotFound)));
    assert_eq!(
        stores.users.find(bob).unwrap().unwrap().email,
        deleted_account_email(bob)
    );
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

pub fn a_user_keeps_their_locale_until_they_change_it(stores: &Stores) {
    let alice = user(stores, "alice");
    assert_eq!(stores.users.find(alice).unwrap().unwrap().locale, Locale::En);
    let mut chinese = new_user("bob");
    chinese.locale = Locale::ZhCn;
    let bob = stores.users.create(chinese).unwrap();
    assert_eq!(bob.locale, Locale::ZhCn, "as registered");
    let changes = |locale| UserChanges {
        username: Username::parse("alice").unwrap(),
        email: Email::parse("alice@example.org").unwrap(),
        full_name: None,
        password: None,
        locale,
        notification_mail: None,
        verification: None,
    };
    assert_eq!(
        stores
            .users
            .update(alice, changes(Some(Locale::ZhCn)))
            .unwrap()
            .locale,
        Locale::ZhCn
    );
    assert_eq!(
        stores.users.update(alice, changes(None)).unwrap().locale,
        Locale::ZhCn,
        "a change that does not name it keeps it"
    );
    assert_eq!(stores.users.find(alice).unwrap().unwrap().locale, Locale::ZhCn);
}

pub fn a_notification_keeps_what_it_is_about(stores: &Stores) {
    let (alice, bob) = (user(stores, "alice"), user(stores, "bob"));
    let at = Utc.with_ymd_and_hms(2027, 3, 4, 18, 30, 0).unwrap();
    let subjects = [
        NotificationSubject::Message,
        NotificationSubject::Comment {
            event_name: "Jazz night".into(),
        },
        NotificationSubject::PlacesGiven {
            event_name: "Jazz night".into(),
            quantity: 3,
        },
        NotificationSubject::EventMoved {
            event_name: "Jazz night".into(),
            event_time: at,
        },
        NotificationSubject::EventCancelled {
            event_name: "Jazz night".into(),
        },
    ];
    for subject in &subjects {
        let mut new = note(bob, alice, None, "x");
        new.subject = subject.clone();
        assert_eq!(
            &stores.notifications.create(new).unwrap().subject,
            subject,
            "as written"
        );
    }
    let meetup = event(stores, bob, "Jazz night", "", 1);
    let posted = stores
        .comments
        .create_with_notifications(
            comment(meetup.id, alice, "hi"),
            Box::new(crate::To(vec![bob], alice)),
        )
        .unwrap();
    assert_eq!(
        posted.notifications[0].subject.kind(),
        "comment",
        "a fan-out's too"
    );
    let mut read: Vec<NotificationSubject> =
        newest(stores, bob).into_iter().rev().map(|n| n.subject).collect();
    read.truncate(subjects.len());
    assert_eq!(read, subjects, "as read back, oldest first");
}

/// `owner`'s ten newest notifications, newest first.
fn newest(stores: &Stores, owner: plaza_domain::UserId) -> Vec<plaza_domain::notification::Notification> {
    let (listed, _) = stores
        .notifications
        .list(plaza_domain::notification::NotificationQuery {
            owner,
            unread_only: false,
            page: page(0, 10),
        })
        .unwrap();
    listed.items
}
