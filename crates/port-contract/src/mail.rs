//! The contract of the mail outbox and of password reset tokens.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, TimeZone, Utc};
use plaza_domain::email_verification::NewVerification;
use plaza_domain::mail::{Backlog, Mail, OutgoingMail};
use plaza_domain::password_reset::{Issued, MAX_MAILS_PER_WINDOW, NewReset, TOKEN_LIFETIME};
use plaza_domain::user::PasswordHash;
use plaza_domain::user::{Email, NewUser, UserChanges, Username};
use plaza_domain::{Stores, UserId};

use crate::user;

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 8, minute, 0).unwrap()
}

fn outgoing(user: Option<UserId>, n: usize, written: DateTime<Utc>) -> OutgoingMail {
    OutgoingMail {
        user,
        mail: Mail {
            to: format!("person{n}@example.org"),
            subject: format!("设置新的 Plaza 密码 {n}"),
            text: format!("text {n}\n"),
            html: format!("<p>html {n}</p>\n"),
            message_id: format!("<mail-{n}@example.org>"),
            unsubscribe: (n % 2 == 1).then(|| format!("https://plaza.example.org/unsubscribe?token={n}")),
            attachment: (n % 3 == 1).then(|| plaza_domain::mail::Attachment {
                name: format!("event-{n}.ics"),
                content_type: "text/calendar; charset=utf-8".into(),
                body: "BEGIN:VCALENDAR\r\nSUMMARY:会\r\nEND:VCALENDAR\r\n".into(),
            }),
        },
        created_at: written,
        expires_at: (n % 4 == 2).then(|| written + Duration::minutes(30)),
    }
}

fn reset(user: UserId, token: &str, created: DateTime<Utc>) -> NewReset {
    NewReset {
        user,
        token_digest: format!("{token:0>64}"),
        created_at: created,
        expires_at: created + TOKEN_LIFETIME,
        mail: OutgoingMail {
            mail: Mail {
                message_id: format!("<reset-{token}@example.org>"),
                ..outgoing(None, 0, created).mail
            },
            ..outgoing(Some(user), 0, created)
        },
    }
}

fn digest(token: &str) -> String {
    format!("{token:0>64}")
}

pub fn the_outbox_hands_each_due_mail_to_one_claim_per_lease(stores: &Stores) {
    let outbox = &stores.mail_outbox;
    assert_eq!(outbox.next_due().unwrap(), None);
    let first = outbox.enqueue(outgoing(None, 1, at(0))).unwrap();
    let second = outbox.enqueue(outgoing(None, 2, at(1))).unwrap();
    let third = outbox.enqueue(outgoing(None, 3, at(2))).unwrap();
    assert_eq!(outbox.next_due().unwrap(), Some(at(0)));
    assert!(
        outbox
            .claim(at(0) - Duration::seconds(1), at(30), 10)
            .unwrap()
            .is_empty(),
        "none due yet"
    );

    let claimed = outbox.claim(at(5), at(15), 2).unwrap();
    let ids: Vec<_> = claimed.iter().map(|mail| mail.id).collect();
    assert_eq!(ids, [first, second], "the oldest due first, at most the limit");
    assert_eq!(
        claimed[0].mail,
        outgoing(None, 1, at(0)).mail,
        "every byte as written"
    );
    assert_eq!(claimed[0].created_at, at(0));
    assert_eq!(claimed[0].attempts, 1);
    let rest = outbox.claim(at(5), at(15), 10).unwrap();
    assert_eq!(
        rest.iter().map(|mail| mail.id).collect::<Vec<_>>(),
        [third],
        "leased mail is not claimed again"
    );
    assert!(outbox.claim(at(10), at(20), 10).unwrap().is_empty());
    assert_eq!(
        outbox.next_due().unwrap(),
        Some(at(15)),
        "due again when the leases end"
    );

    assert_eq!(
        claimed[1].expires_at,
        Some(at(1) + Duration::minutes(30)),
        "its expiry kept"
    );
    assert_eq!(claimed[0].expires_at, None);
    outbox.delivered(first, 1).unwrap();
    outbox.retry_at(second, 1, at(40), "451 try later").unwrap();
    outbox.give_up(third, 1, "550 no such user").unwrap();
    assert_eq!(
        outbox.next_due().unwrap(),
        Some(at(40)),
        "delivered and given-up mail is not due"
    );
    assert!(outbox.claim(at(39), at(50), 10).unwrap().is_empty());
    let again = outbox.claim(at(40), at(50), 10).unwrap();
    assert_eq!(
        again
            .iter()
            .map(|mail| (mail.id, mail.attempts))
            .collect::<Vec<_>>(),
        [(second, 2)]
    );
    assert_eq!(
        again[0].mail.message_id, "<mail-2@example.org>",
        "a retry keeps its Message-ID"
    );
    outbox.delivered(second, 2).unwrap();
    assert_eq!(outbox.next_due().unwrap(), None);
}

pub fn the_backlog_counts_the_mails_still_waiting(stores: &Stores) {
    let outbox = &stores.mail_outbox;
    assert_eq!(outbox.backlog().unwrap(), Backlog::default());
    let first = outbox.enqueue(outgoing(None, 1, at(0))).unwrap();
    let second = outbox.enqueue(outgoing(None, 2, at(3))).unwrap();
    let third = outbox.enqueue(outgoing(None, 3, at(7))).unwrap();
    assert_eq!(
        outbox.backlog().unwrap(),
        Backlog {
            waiting: 3,
            oldest: Some(at(0))
        }
    );
    let claimed = outbox.claim(at(10), at(20), 2).unwrap();
    assert_eq!(
        outbox.backlog().unwrap().waiting,
        3,
        "a mail being delivered still waits"
    );
    outbox.delivered(first, claimed[0].attempts).unwrap();
    outbox
        .give_up(second, claimed[1].attempts, "550 no such user")
        .unwrap();
    assert_eq!(
        outbox.backlog().unwrap(),
        Backlog {
            waiting: 1,
            oldest: Some(at(7))
        },
        "delivered and given-up mail no longer waits"
    );
    let last = outbox.claim(at(10), at(20), 10).unwrap();
    outbox.delivered(third, last[0].attempts).unwrap();
    assert_eq!(outbox.backlog().unwrap(), Backlog::default());
}

pub fn a_claim_whose_lease_ended_no_longer_speaks_for_the_mail(stores: &Stores) {
    let outbox = &stores.mail_outbox;
    let mail = outbox.enqueue(outgoing(None, 7, at(0))).unwrap();
    let first = outbox.claim(at(1), at(11), 1).unwrap();
    assert_eq!(first[0].attempts, 1);
    // The first claimer is slow: its lease ends and a second claim takes the mail.
    let second = outbox.claim(at(11), at(21), 1).unwrap();
    assert_eq!((second[0].id, second[0].attempts), (mail, 2));
    outbox.delivered(mail, 1).unwrap();
    outbox.retry_at(mail, 1, at(12), "late").unwrap();
    outbox.give_up(mail, 1, "late").unwrap();
    assert_eq!(
        outbox.next_due().unwrap(),
        Some(at(21)),
        "the first claim's reports change nothing: the mail is the second claim's"
    );
    outbox.delivered(mail, 2).unwrap();
    assert_eq!(outbox.next_due().unwrap(), None);
}

pub fn claims_at_the_same_time_never_share_a_mail(stores: &Stores) {
    const MAILS: usize = 60;
    const CLAIMERS: usize = 4;
    for n in 0..MAILS {
        stores.mail_outbox.enqueue(outgoing(None, n, at(0))).unwrap();
    }
    let start = Arc::new(Barrier::new(CLAIMERS));
    let claimers: Vec<_> = (0..CLAIMERS)
        .map(|_| {
            let outbox = stores.mail_outbox.clone();
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let mut mine = Vec::new();
                loop {
                    let batch = outbox.claim(at(1), at(30), 3).unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|mail| mail.mail.message_id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for claimer in claimers {
        all.extend(claimer.join().unwrap());
    }
    let distinct: BTreeSet<_> = all.iter().collect();
    assert_eq!(all.len(), MAILS, "every mail claimed once: {all:?}");
    assert_eq!(distinct.len(), MAILS);
}

pub fn a_reset_token_works_once_and_takes_the_others_with_it(stores: &Stores) {
    let alice = user(stores, "alice");
    let found = stores
        .users
        .find_by_email("ALICE@example.ORG")
        .unwrap()
        .map(|u| u.id);
    assert_eq!(found, Some(alice), "addresses are found ignoring ASCII case");
    assert_eq!(stores.users.find_by_email("alice@example.or").unwrap(), None);
    let before = stores.users.find(alice).unwrap().unwrap();

    let resets = &stores.password_resets;
    assert_eq!(resets.issue(reset(alice, "first", at(0))).unwrap(), Issued::Sent);
    assert_eq!(resets.issue(reset(alice, "second", at(1))).unwrap(), Issued::Sent);
    let mails = stores.mail_outbox.claim(at(2), at(30), 10).unwrap();
    assert_eq!(mails.len(), 2, "each token's mail is written with it");

    assert_eq!(
        resets
            .redeem(&digest("unknown"), at(3), PasswordHash("$2b$04$x".into()))
            .unwrap(),
        None
    );
    let redeemed = resets
        .redeem(&digest("first"), at(3), PasswordHash("$2b$04$new".into()))
        .unwrap();
    assert_eq!(redeemed, Some(alice));
    let after = stores.users.find(alice).unwrap().unwrap();
    assert_eq!(after.password_hash.0, "$2b$04$new");
    assert!(
        after.token_epoch >= at(3) && after.token_epoch > before.token_epoch,
        "every session ends"
    );
    assert_eq!(
        resets
            .redeem(&digest("first"), at(4), PasswordHash("$2b$04$again".into()))
            .unwrap(),
        None,
        "spent"
    );
    assert_eq!(
        resets
            .redeem(&digest("second"), at(4), PasswordHash("$2b$04$again".into()))
            .unwrap(),
        None,
        "an earlier token of the account went with it"
    );
    assert_eq!(
        stores.users.find(alice).unwrap().unwrap().password_hash.0,
        "$2b$04$new"
    );

    let bob = user(stores, "bob");
    resets.issue(reset(bob, "bobs", at(0))).unwrap();
    assert_eq!(
        resets
            .redeem(
                &digest("bobs"),
                at(0) + TOKEN_LIFETIME,
                PasswordHash("$2b$04$late".into())
            )
            .unwrap(),
        None,
        "expired after 30 minutes"
    );
}

pub fn resets_are_throttled_per_account_and_end_with_it(stores: &Stores) {
    let carol = user(stores, "carol");
    let resets = &stores.password_resets;
    for n in 0..MAX_MAILS_PER_WINDOW {
        let token = format!("carol{n}");
        assert_eq!(resets.issue(reset(carol, &token, at(n))).unwrap(), Issued::Sent);
    }
    assert_eq!(
        resets.issue(reset(carol, "carolmore", at(10))).unwrap(),
        Issued::Throttled
    );
    assert_eq!(
        resets
            .redeem(&digest("carolmore"), at(11), PasswordHash("$2b$04$x".into()))
            .unwrap(),
        None
    );
    assert_eq!(
        resets
            .issue(reset(carol, "carolnext", at(0) + Duration::hours(1)))
            .unwrap(),
        Issued::Sent,
        "an hour after the first"
    );
    let missing = UserId::from_stored(999_999);
    assert_eq!(
        resets.issue(reset(missing, "nobody", at(0))).unwrap(),
        Issued::NoAccount
    );

    stores.users.delete_account(carol, at(20)).unwrap();
    assert_eq!(
        resets.issue(reset(carol, "deleted", at(59))).unwrap(),
        Issued::NoAccount
    );
    assert_eq!(
        resets
            .redeem(&digest("carolnext"), at(21), PasswordHash("$2b$04$x".into()))
            .unwrap(),
        None,
        "a deleted account's tokens are gone"
    );
    assert!(
        stores
            .mail_outbox
            .claim(at(59), at(59) + Duration::hours(1), 100)
            .unwrap()
            .is_empty(),
        "and so are the mails not yet sent to it"
    );
}

fn verification(email: &str, token: &str, created: DateTime<Utc>) -> NewVerification {
    NewVerification {
        token_digest: digest(token),
        email: email.to_owned(),
        created_at: created,
        expires_at: created + Duration::hours(24),
        mail: Mail {
            message_id: format!("<verify-{token}@example.org>"),
            to: email.to_owned(),
            ..outgoing(None, 0, created).mail
        },
    }
}

pub fn an_address_is_verified_by_a_link_to_it_and_a_new_address_starts_over(stores: &Stores) {
    let alice = user(stores, "alice");
    assert_eq!(
        stores.users.find(alice).unwrap().unwrap().email_verified_at,
        None,
        "a new account"
    );
    let links = &stores.email_verifications;
    assert_eq!(
        links
            .issue(alice, verification("alice@example.org", "one", at(0)))
            .unwrap(),
        Issued::Sent
    );
    assert_eq!(
        links
            .issue(alice, verification("alice@example.org", "two", at(1)))
            .unwrap(),
        Issued::Sent
    );
    assert_eq!(
        stores.mail_outbox.claim(at(2), at(30), 10).unwrap().len(),
        2,
        "each link's mail written"
    );
    assert_eq!(links.confirm(&digest("unknown"), at(2)).unwrap(), None);
    assert_eq!(
        links
            .confirm(&digest("one"), at(0) + Duration::hours(24))
            .unwrap(),
        None,
        "expired after a day"
    );
    assert_eq!(links.confirm(&digest("one"), at(3)).unwrap(), Some(alice));
    assert_eq!(
        stores.users.find(alice).unwrap().unwrap().email_verified_at,
        Some(at(3))
    );
    assert_eq!(
        links.confirm(&digest("two"), at(4)).unwrap(),
        None,
        "the others went with it"
    );

    // A new address: unverified, a new link in the same write, and links to the old address open nothing.
    assert_eq!(
        links
            .issue(
                alice,
                verification("alice@example.org", "stale", at(5) + Duration::hours(2))
            )
            .unwrap(),
        Issued::Sent
    );
    let moved = stores
        .users
        .update(
            alice,
            UserChanges {
                username: Username::parse("alice").unwrap(),
                email: Email::parse("alice@elsewhere.org").unwrap(),
                full_name: None,
                password: None,
                locale: None,
                notification_mail: None,
                verification: Some(verification(
                    "alice@elsewhere.org",
                    "moved",
                    at(6) + Duration::hours(2),
                )),
            },
        )
        .unwrap();
    assert_eq!(moved.email_verified_at, None);
    assert_eq!(
        links
            .confirm(&digest("stale"), at(7) + Duration::hours(2))
            .unwrap(),
        None
    );
    let mails = stores
        .mail_outbox
        .claim(at(7) + Duration::hours(2), at(30) + Duration::hours(2), 10)
        .unwrap();
    assert!(
        mails.iter().any(|mail| mail.mail.to == "alice@elsewhere.org"),
        "{mails:?}"
    );
    assert_eq!(
        links
            .confirm(&digest("moved"), at(8) + Duration::hours(2))
            .unwrap(),
        Some(alice)
    );

    // A link for an address the account gave up verifies nothing.
    let bob = stores
        .users
        .create(NewUser {
            verification: Some(verification("bob@example.org", "bobs", at(0))),
            ..crate::new_user("bob")
        })
        .unwrap();
    let change = |email: &str| UserChanges {
        username: Username::parse("bob").unwrap(),
        email: Email::parse(email).unwrap(),
        full_name: None,
        password: None,
        locale: None,
        notification_mail: None,
        verification: None,
    };
    stores.users.update(bob.id, change("bob@new.org")).unwrap();
    assert_eq!(links.confirm(&digest("bobs"), at(1)).unwrap(), None);
    stores.users.update(bob.id, change("BOB@example.org")).unwrap();
    assert_eq!(
        links.confirm(&digest("bobs"), at(1)).unwrap(),
        Some(bob.id),
        "back to its address (as the unique index compares it): the link works again"
    );
    for n in 0..MAX_MAILS_PER_WINDOW {
        let token = format!("t{n}");
        links
            .issue(bob.id, verification("bob@example.org", &token, at(10 + n)))
            .unwrap();
    }
    assert_eq!(
        links
            .issue(bob.id, verification("bob@example.org", "more", at(20)))
            .unwrap(),
        Issued::Throttled
    );
}

fn newest_mark(stores: &Stores) -> i64 {
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let mut last = 0;
    while let Some(batch) = stores.notification_mail.scan(far, 1000).unwrap() {
        assert!(
            stores
                .notification_mail
                .scanned(&batch, Vec::new(), at(0))
                .unwrap()
        );
        last = batch.up_to;
    }
    last
}

pub fn notification_mail_follows_new_notifications_once(stores: &Stores) {
    use plaza_domain::notification::{NewNotification, NotificationSubject};
    use plaza_domain::user::{MailSchedule, NotificationMail, TimeZoneName};
    let far = Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap();
    let mail_store = &stores.notification_mail;
    let sender = user(stores, "sender");
    let eager = user(stores, "eager");
    let quiet = user(stores, "quiet");
    let unverified = user(stores, "unverified");
    // Notifications from before mail was on are never mailed.
    stores
        .notifications
        .create(crate::note(eager, sender, None, "before"))
        .unwrap();
    newest_mark(stores);
    for (who, preference) in [
        (eager, NotificationMail::Each),
        (unverified, NotificationMail::Each),
        (quiet, NotificationMail::Off),
    ] {
        let name = stores.users.find(who).unwrap().unwrap().username;
        stores
            .users
            .update(
                who,
                UserChanges {
                    username: Username::parse(name.clone()).unwrap(),
                    email: Email::parse(format!("{name}@example.org")).unwrap(),
                    full_name: None,
                    password: None,
                    locale: None,
                    notification_mail: Some(MailSchedule {
                        preference,
                        time_zone: TimeZoneName::parse("Asia/Shanghai").unwrap(),
                        next_digest: None,
                    }),
                    verification: None,
                },
            )
            .unwrap();
    }
    for (who, address, token) in [
        (eager, "eager@example.org", "eager"),
        (quiet, "quiet@example.org", "quiet"),
    ] {
        stores
            .email_verifications
            .issue(who, verification(address, token, at(0)))
            .unwrap();
        stores.email_verifications.confirm(&digest(token), at(0)).unwrap();
    }
    stores
        .email_verifications
        .confirm(&digest("eager"), at(0))
        .unwrap();
    for verification_mail in stores.mail_outbox.claim(at(0), at(1), 100).unwrap() {
        stores
            .mail_outbox
            .delivered(verification_mail.id, verification_mail.attempts)
            .unwrap();
    }
    let read_me = stores
        .notifications
        .create(crate::note(eager, sender, None, "read before mail"))
        .unwrap();
    stores.notifications.mark_read(eager, read_me.id).unwrap();
    let hello = stores
        .notifications
        .create(crate::note(eager, sender, None, "hello"))
        .unwrap();
    stores
        .notifications
        .create(crate::note(unverified, sender, None, "hi"))
        .unwrap();
    stores
        .notifications
        .create(crate::note(quiet, sender, None, "psst"))
        .unwrap();
    let news = stores
        .notifications
        .create(NewNotification {
            subject: NotificationSubject::EventCancelled {
                event_name: "Fair".into(),
            },
            ..crate::note(quiet, sender, None, "\"Fair\" is cancelled")
        })
        .unwrap();
    // The same news to an address nobody confirmed is not mailed: it may not be the account's.
    stores
        .notifications
        .create(NewNotification {
            subject: NotificationSubject::EventCancelled {
                event_name: "Fair".into(),
            },
            ..crate::note(unverified, sender, None, "\"Fair\" is cancelled")
        })
        .unwrap();

    assert_eq!(
        mail_store.scan(Utc::now() - Duration::hours(1), 1000).unwrap(),
        None,
        "nothing was written an hour ago"
    );
    let batch = mail_store.scan(far, 1000).unwrap().unwrap();
    assert_eq!(batch.up_to, news.id.get() + 1);
    assert_eq!(batch.news.len(), 1, "the ticket news, whatever the preference");
    assert_eq!((batch.news[0].0.id, batch.news[0].1.id), (quiet, news.id));
    let ticket_mail = outgoing(Some(quiet), 99, at(10));
    assert!(mail_store.scanned(&batch, vec![ticket_mail], at(10)).unwrap());
    assert!(
        !mail_store.scanned(&batch, Vec::new(), at(10)).unwrap(),
        "recorded once only"
    );
    assert_eq!(mail_store.scan(far, 1000).unwrap(), None);
    let queued = stores.mail_outbox.claim(at(10), at(20), 10).unwrap();
    assert_eq!(queued.len(), 1, "the ticket news mail, once");

    let due = mail_store.due(at(10), at(0), at(15), 10, 50).unwrap();
    assert_eq!(due.len(), 1, "only the verified account on each: {due:?}");
    let turn = &due[0];
    assert_eq!(turn.user.id, eager);
    let listed: Vec<_> = turn.notifications.iter().map(|n| n.message.as_str()).collect();
    assert_eq!(
        listed,
        ["hello"],
        "unread, after mail was turned on, no ticket news"
    );
    assert_eq!(turn.unread, 1);
    assert!(turn.newest >= hello.id.get());
    assert!(
        mail_store.due(at(11), at(0), at(15), 10, 50).unwrap().is_empty(),
        "leased"
    );
    assert!(
        !mail_store
            .mailed(
                eager,
                at(14),
                Some(outgoing(Some(eager), 101, at(11))),
                turn.newest,
                None
            )
            .unwrap(),
        "a claim that is not the current one writes nothing"
    );
    assert!(
        mail_store
            .mailed(
                eager,
                at(15),
                Some(outgoing(Some(eager), 100, at(11))),
                turn.newest,
                None
            )
            .unwrap()
    );
    let written = stores.mail_outbox.claim(at(11), at(12), 10).unwrap();
    assert_eq!(written.len(), 1, "only the current claim's mail: {written:?}");
    assert!(
        mail_store.due(at(16), at(0), at(30), 10, 50).unwrap().is_empty(),
        "nothing due once mailed"
    );

    // Something new within ten minutes of that mail waits for the ten minutes to pass.
    stores
        .notifications
        .create(crate::note(eager, sender, None, "again"))
        .unwrap();
    let batch = mail_store.scan(far, 1000).unwrap().unwrap();
    assert!(mail_store.scanned(&batch, Vec::new(), at(12)).unwrap());
    assert!(
        mail_store.due(at(13), at(3), at(20), 10, 50).unwrap().is_empty(),
        "mailed at 11, after 3"
    );
    let later = mail_store.due(at(22), at(12), at(30), 10, 50).unwrap();
    assert_eq!(later.len(), 1);
    assert_eq!(
        later[0].notifications.len(),
        1,
        "only what came after the last mail"
    );

    assert!(mail_store.turn_off(eager).unwrap());
    let off = stores.users.find(eager).unwrap().unwrap();
    assert_eq!(off.notification_mail, NotificationMail::Off);
    assert!(!mail_store.turn_off(UserId::from_stored(999_999)).unwrap());
}
