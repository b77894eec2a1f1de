//! The contract of the mail outbox and of password reset tokens.

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use chrono::{DateTime, Duration, TimeZone, Utc};
use plaza_domain::mail::{Mail, OutgoingMail};
use plaza_domain::password_reset::{Issued, MAX_MAILS_PER_WINDOW, NewReset, TOKEN_LIFETIME};
use plaza_domain::user::PasswordHash;
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
        },
        created_at: written,
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

    outbox.delivered(first).unwrap();
    outbox.retry_at(second, at(40), "451 try later").unwrap();
    outbox.give_up(third, "550 no such user").unwrap();
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
    outbox.delivered(second).unwrap();
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
