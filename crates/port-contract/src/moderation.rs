//! The contract of removal and reports.

use chrono::{TimeZone, Utc};
use plaza_domain::Stores;
use plaza_domain::event::TicketQuantity;
use plaza_domain::modlog::{ModAction, ModTarget, TargetKind};
use plaza_domain::post::{NewPost, PostContent, PostTitle};
use plaza_domain::removal::{Removable, Removal};
use plaza_domain::report::{
    NewReport, ReportAction, ReportNote, ReportReason, ReportStatus, ResolveOrder, ResolvingBan,
};
use plaza_domain::role::Role;
use plaza_domain::user::BanReason;
use plaza_domain::{CommentId, Conflict, EventId, PostId, RepoError, UserId};

use crate::{comment, event, notices, page, sale, sale_time, search_names, user};

fn removal(item: Removable, by: UserId) -> Removal {
    Removal {
        item,
        by,
        reason: Some("spam".into()),
        at: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    }
}

fn post(stores: &Stores, owner: UserId, title: &str) -> PostId {
    stores
        .posts
        .create(NewPost {
            title: PostTitle::parse(title).unwrap(),
            content: PostContent::parse("buy now").unwrap(),
            owner_id: owner,
        })
        .unwrap()
        .id
}

fn said(stores: &Stores, event: EventId, author: UserId, text: &str) -> CommentId {
    stores
        .comments
        .create_with_notifications(comment(event, author, text), Box::new(crate::To(vec![], author)))
        .unwrap()
        .comment
        .id
}

pub fn a_removed_item_leaves_every_list_and_is_kept_apart(stores: &Stores) {
    let (alice, bob, carol) = (user(stores, "alice"), user(stores, "bob"), user(stores, "carol"));
    let show = event(stores, bob, "Spam fair", "cheap watches", 3);
    let kept = event(stores, bob, "Book club", "reading", 4);
    stores
        .events
        .purchase(sale(
            show.id,
            carol,
            TicketQuantity::parse(1).unwrap(),
            sale_time(),
        ))
        .unwrap();
    let spam = said(stores, kept.id, bob, "cheap watches here");
    let fine = said(stores, kept.id, carol, "see you there");
    let advert = post(stores, bob, "Watches");

    for item in [Removable::Comment(spam), Removable::Post(advert)] {
        let removed = stores.removals.remove(removal(item, alice), notices()).unwrap();
        assert_eq!((removed.value, removed.recipients), (None, vec![]));
    }
    let removed_event = stores
        .removals
        .remove(removal(Removable::Event(show.id), alice), notices())
        .unwrap();
    assert_eq!(
        removed_event.recipients,
        vec![carol],
        "the holder is told, as by a delete"
    );

    // Gone from every list, search and lookup.
    let comments = stores.comments.list(kept.id, page(0, 10)).unwrap();
    assert_eq!(
        (
            comments.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            comments.total
        ),
        (vec![fine], 1)
    );
    assert_eq!(stores.comments.find(kept.id, spam).unwrap(), None);
    assert_eq!(stores.posts.find(advert).unwrap(), None);
    assert_eq!(stores.posts.list(None, page(0, 10)).unwrap().total, 0);
    assert_eq!(stores.events.find(show.id).unwrap(), None);
    assert_eq!(search_names(stores, "watches"), Vec::<String>::new());
    assert_eq!(search_names(stores, ""), vec!["Book club".to_owned()]);

    // Kept apart, as they were.
    let copy = stores.removals.removed_comment(kept.id, spam).unwrap().unwrap();
    assert_eq!(
        (copy.item.content.as_str(), copy.item.owner_id),
        ("cheap watches here", bob)
    );
    assert_eq!(
        (copy.removed_at, copy.removed_by),
        (removal(Removable::Comment(spam), alice).at, Some(alice))
    );
    assert_eq!(
        stores.removals.removed_comment(show.id, spam).unwrap(),
        None,
        "a removed comment is found on its own event only"
    );
    assert_eq!(stores.removals.removed_comment(kept.id, fine).unwrap(), None);
    let copy = stores.removals.removed_post(advert).unwrap().unwrap();
    assert_eq!((copy.item.title.as_str(), copy.item.owner_id), ("Watches", bob));
    let copy = stores.removals.removed_event(show.id).unwrap().unwrap();
    assert_eq!(
        (
            copy.item.name.as_str(),
            copy.item.tickets_sold,
            copy.item.event_time
        ),
        ("Spam fair", 1, show.event_time)
    );
    assert_eq!(stores.removals.removed_event(kept.id).unwrap(), None);

    // Logged, newest first.
    let log = stores.modlog.list(page(0, 10)).unwrap();
    let targets: Vec<(ModAction, ModTarget)> = log.items.iter().map(|e| (e.action, e.target)).collect();
    assert_eq!(
        targets,
        [
            (ModAction::Remove, Removable::Event(show.id).target()),
            (ModAction::Remove, Removable::Post(advert).target()),
            (ModAction::Remove, Removable::Comment(spam).target()),
        ]
    );
    assert!(
        log.items
            .iter()
            .all(|e| e.moderator == Some(alice) && e.reason.as_deref() == Some("spam"))
    );

    // A removed item's id is never given to a new one (reports and the log name items by id), though it
    // was the newest of its kind.
    let next_post = post(stores, bob, "Next");
    let next_event = event(stores, bob, "Next event", "", 5);
    let next_comment = said(stores, kept.id, bob, "next");
    assert!(next_post > advert && next_event.id > show.id && next_comment > fine);
    assert_eq!(
        stores.removals.removed_post(advert).unwrap().unwrap().item.title,
        "Watches"
    );

    // Removing what is not there changes nothing.
    assert!(matches!(
        stores
            .removals
            .remove(removal(Removable::Post(advert), alice), notices()),
        Err(RepoError::NotFound)
    ));
    assert_eq!(stores.modlog.list(page(0, 10)).unwrap().total, 3);
}

fn report(reporter: UserId, target: ModTarget, reason: ReportReason) -> NewReport {
    NewReport {
        reporter,
        target,
        reason,
        note: ReportNote::parse("please look").unwrap(),
        at: Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(),
    }
}

fn order(report: plaza_domain::ReportId, action: ReportAction, by: UserId, by_role: Role) -> ResolveOrder {
    ResolveOrder {
        report,
        action,
        note: ReportNote::parse("handled").unwrap(),
        by,
        by_role,
        ban: (action == ReportAction::Ban).then(|| ResolvingBan {
            reason: BanReason::parse("spam").unwrap(),
            until: None,
        }),
        removal_reason: "spam: handled".into(),
        at: Utc.with_ymd_and_hms(2026, 6, 2, 12, 0, 0).unwrap(),
    }
}

pub fn reports_are_filed_once_listed_and_resolved_together(stores: &Stores) {
    let (mod_, bob, carol, dan) = (
        user(stores, "mod"),
        user(stores, "bob"),
        user(stores, "carol"),
        user(stores, "dan"),
    );
    let club = event(stores, carol, "Book club", "reading", 4);
    let spam = said(stores, club.id, bob, "cheap watches here");
    let target = Removable::Comment(spam).target();

    let first = stores
        .reports
        .create(report(carol, target, ReportReason::Spam))
        .unwrap();
    assert_eq!(
        (
            first.reporter,
            first.target,
            first.reason,
            first.note.as_str(),
            first.status()
        ),
        (
            carol,
            target,
            ReportReason::Spam,
            "please look",
            ReportStatus::Open
        )
    );
    let content = first.content.clone().unwrap();
    assert_eq!(
        (
            content.author,
            content.author_username.as_deref(),
            content.author_role,
            content.text.as_str()
        ),
        (bob, Some("bob"), Some(Role::Member), "cheap watches here")
    );
    assert_eq!(
        (content.event_id, content.removed, content.title),
        (Some(club.id.get()), false, None)
    );
    assert!(matches!(
        stores
            .reports
            .create(report(carol, target, ReportReason::Harassment)),
        Err(RepoError::Conflict(Conflict::AlreadyReported))
    ));
    let second = stores
        .reports
        .create(report(dan, target, ReportReason::Other))
        .unwrap();
    let about_bob = stores
        .reports
        .create(report(dan, ModTarget::user(bob), ReportReason::Harassment))
        .unwrap();
    assert_eq!(about_bob.content.unwrap().title.as_deref(), Some("bob"));
    for missing in [
        ModTarget {
            kind: TargetKind::Comment,
            id: 9_999,
        },
        ModTarget {
            kind: TargetKind::Post,
            id: 9_999,
        },
        ModTarget {
            kind: TargetKind::Event,
            id: 9_999,
        },
        ModTarget::user(UserId::from_stored(9_999)),
    ] {
        assert!(
            matches!(
                stores.reports.create(report(dan, missing, ReportReason::Spam)),
                Err(RepoError::NotFound)
            ),
            "{missing:?}"
        );
    }

    let open = stores.reports.list(ReportStatus::Open, page(0, 10)).unwrap();
    assert_eq!(
        (open.items.iter().map(|r| r.id).collect::<Vec<_>>(), open.total),
        (vec![first.id, second.id, about_bob.id], 3),
        "oldest first"
    );
    // What each reporter filed, in id order, a batch at a time.
    let filed = |reporter, after, limit| -> Vec<plaza_domain::ReportId> {
        stores
            .reports
            .filed_by(reporter, after, limit)
            .unwrap()
            .into_iter()
            .map(|report| report.id)
            .collect()
    };
    assert_eq!(filed(dan, None, 10), [second.id, about_bob.id]);
    assert_eq!(filed(dan, None, 1), [second.id]);
    assert_eq!(filed(dan, Some(second.id), 10), [about_bob.id]);
    assert_eq!(filed(carol, None, 10), [first.id]);
    assert!(filed(bob, None, 10).is_empty());
    assert!(
        stores
            .reports
            .filed_by(dan, None, 10)
            .unwrap()
            .iter()
            .all(|r| r.content.is_none())
    );
    assert_eq!(
        stores
            .reports
            .list(ReportStatus::Resolved, page(0, 10))
            .unwrap()
            .total,
        0
    );

    // Removing resolves every open report on the comment, and only those.
    let resolved = stores
        .reports
        .resolve(
            order(first.id, ReportAction::Remove, mod_, Role::Moderator),
            notices(),
        )
        .unwrap()
        .value
        .0;
    let resolution = resolved.resolution.clone().unwrap();
    assert_eq!(
        (
            resolution.action,
            resolution.note.as_str(),
            resolution.moderator,
            resolution.moderator_username.as_deref()
        ),
        (ReportAction::Remove, "handled", Some(mod_), Some("mod"))
    );
    let content = resolved.content.unwrap();
    assert!(content.removed, "moderators still read what was removed");
    assert_eq!(content.text, "cheap watches here");
    assert_eq!(stores.comments.find(club.id, spam).unwrap(), None);
    assert_eq!(
        stores.reports.find(second.id).unwrap().unwrap().status(),
        ReportStatus::Resolved
    );
    let open = stores.reports.list(ReportStatus::Open, page(0, 10)).unwrap();
    assert_eq!(
        open.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![about_bob.id]
    );
    assert_eq!(
        stores
            .reports
            .list(ReportStatus::Resolved, page(0, 10))
            .unwrap()
            .total,
        2
    );
    assert!(matches!(
        stores.reports.resolve(
            order(second.id, ReportAction::Dismiss, mod_, Role::Moderator),
            notices()
        ),
        Err(RepoError::Conflict(Conflict::ReportResolved))
    ));
    let log = stores.modlog.list(page(0, 10)).unwrap();
    assert_eq!(
        (
            log.items[0].action,
            log.items[0].target,
            log.items[0].reason.as_deref()
        ),
        (ModAction::Remove, target, Some("spam: handled"))
    );

    // A ban out of the moderator's reach writes nothing: the report stays open.
    stores
        .users
        .set_role(plaza_domain::modlog::RoleChange {
            user: bob,
            role: Role::Moderator,
            by: None,
            reason: None,
        })
        .unwrap();
    assert!(matches!(
        stores.reports.resolve(
            order(about_bob.id, ReportAction::Ban, mod_, Role::Moderator),
            notices()
        ),
        Err(RepoError::Conflict(Conflict::OutOfReach))
    ));
    assert_eq!(
        stores.reports.find(about_bob.id).unwrap().unwrap().status(),
        ReportStatus::Open
    );
    assert_eq!(stores.users.find(bob).unwrap().unwrap().ban, None);
    // An admin may.
    let banned = stores
        .reports
        .resolve(
            order(about_bob.id, ReportAction::Ban, mod_, Role::Admin),
            notices(),
        )
        .unwrap()
        .value
        .0;
    assert_eq!(banned.resolution.unwrap().action, ReportAction::Ban);
    assert_eq!(
        stores.users.find(bob).unwrap().unwrap().ban.unwrap().reason,
        "spam"
    );
    assert_eq!(
        stores.modlog.list(page(0, 10)).unwrap().items[0].action,
        ModAction::Ban { until: None }
    );

    // What its author deleted meanwhile is resolved without a removal.
    let gone = post(stores, carol, "Deleted soon");
    let on_gone = stores
        .reports
        .create(report(dan, Removable::Post(gone).target(), ReportReason::Spam))
        .unwrap();
    stores.posts.delete(gone).unwrap();
    let logged = stores.modlog.list(page(0, 1)).unwrap().total;
    let resolved = stores
        .reports
        .resolve(
            order(on_gone.id, ReportAction::Remove, mod_, Role::Moderator),
            notices(),
        )
        .unwrap()
        .value;
    assert_eq!(
        (resolved.0.status(), resolved.0.content, resolved.1),
        (ReportStatus::Resolved, None, None)
    );
    assert_eq!(
        stores.modlog.list(page(0, 1)).unwrap().total,
        logged,
        "nothing removed, nothing logged"
    );
    assert_eq!(stores.removals.removed_post(gone).unwrap(), None);
    // A reported id is never given to a new post, though the reported one was deleted.
    assert!(post(stores, carol, "After") > gone);

    assert!(matches!(
        stores.reports.resolve(
            order(
                plaza_domain::ReportId::from_stored(9_999),
                ReportAction::Dismiss,
                mod_,
                Role::Admin
            ),
            notices()
        ),
        Err(RepoError::NotFound)
    ));
}
