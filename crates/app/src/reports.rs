//! Reports: members flag what breaks the community's rules; moderators and admins work through them,
//! oldest first, and resolve each by dismissing it, removing the item, or removing it and banning its
//! author.

use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use plaza_domain::live::{NotificationBus, Signal};
use plaza_domain::modlog::{ModTarget, TargetKind};
use plaza_domain::report::{
    NewReport, Report, ReportAction, ReportNote, ReportReason, ReportRepository, ReportStatus, ResolveOrder,
    ResolvingBan,
};
use plaza_domain::ticket::Notified;
use plaza_domain::user::{BanReason, User, UserRepository};
use plaza_domain::{Conflict, Page, PageRequest, RepoError, ReportId, ValidationErrors};

use crate::error::{AppError, Found};
use crate::moderation::{NOT_ABOVE_THEM, NOT_YOURSELF, out_of_reach};
use crate::removal::Remover;
use crate::waitlist::TicketNotices;

/// What a member hears who asks for the reports or would resolve one.
pub const ONLY_MODERATORS_READ_REPORTS: &str = "only a moderator or an admin may read or resolve reports";
/// Why an account's report cannot be resolved by removal.
pub const ACCOUNTS_ARE_NOT_REMOVED: &str =
    "an account cannot be removed: dismiss the report, or ban the account";

#[derive(Clone)]
pub struct ReportService {
    reports: Arc<dyn ReportRepository>,
    users: Arc<dyn UserRepository>,
    remover: Remover,
    bus: Arc<dyn NotificationBus>,
}

impl ReportService {
    pub fn new(
        reports: Arc<dyn ReportRepository>,
        users: Arc<dyn UserRepository>,
        remover: Remover,
        bus: Arc<dyn NotificationBus>,
    ) -> Self {
        Self {
            reports,
            users,
            remover,
            bus,
        }
    }

    /// Files `reporter`'s report on `target`. `NotFound` (naming the kind) when the target is not there,
    /// `Conflict::AlreadyReported` while the reporter's earlier report on it is open.
    pub fn file(
        &self,
        reporter: &User,
        target: ModTarget,
        reason: ReportReason,
        note: ReportNote,
    ) -> Result<Report, AppError> {
        self.reports
            .create(NewReport {
                reporter: reporter.id,
                target,
                reason,
                note,
                at: crate::stored_now(),
            })
            .map_err(|error| match error {
                RepoError::NotFound => AppError::NotFound(target.kind.as_str()),
                other => other.into(),
            })
    }

    /// The reports with `status`, oldest first, for a moderator or an admin.
    pub fn list(
        &self,
        actor: &User,
        status: ReportStatus,
        page: PageRequest,
    ) -> Result<Page<Report>, AppError> {
        if !actor.role.moderates() {
            return Err(AppError::Forbidden(ONLY_MODERATORS_READ_REPORTS));
        }
        Ok(self.reports.list(status, page)?)
    }

    /// Resolves report `id` as `actor` (a moderator or an admin) with `action`, and with it every open
    /// report on the same item. `Remove` removes the item; `Ban` removes it too (unless it is an account)
    /// and bans its author, until `until` (`None`: until lifted) — as [`ModerationService::ban`] would,
    /// with the same limits. The log gives the moderator's note as the reason, or else the report's reason.
    ///
    /// [`ModerationService::ban`]: crate::moderation::ModerationService::ban
    pub fn resolve(
        &self,
        actor: &User,
        id: ReportId,
        action: ReportAction,
        note: ReportNote,
        until: Option<DateTime<Utc>>,
    ) -> Result<Report, AppError> {
        if !actor.role.moderates() {
            return Err(AppError::Forbidden(ONLY_MODERATORS_READ_REPORTS));
        }
        let report = self.reports.find(id).found("report")?;
        // Said before anything about the action: whatever it was, it is too late for it. (The store checks
        // again, for two moderators resolving it at once.)
        if report.resolution.is_some() {
            return Err(AppError::Conflict(Conflict::ReportResolved));
        }
        if action == ReportAction::Remove && report.target.kind == TargetKind::User {
            return Err(ValidationErrors::single("action", ACCOUNTS_ARE_NOT_REMOVED).into());
        }
        let at = crate::stored_now();
        let reason = match note.as_str().trim() {
            "" => format!("reported as {}", report.reason.as_str()),
            said => said.to_owned(),
        };
        let ban = if action == ReportAction::Ban {
            Some(self.ban_terms(actor, &report, &reason, until, at)?)
        } else {
            if until.is_some() {
                return Err(ValidationErrors::single("until", "only a ban has an end").into());
            }
            None
        };
        let resolved = self
            .reports
            .resolve(
                ResolveOrder {
                    report: id,
                    action,
                    note,
                    by: actor.id,
                    by_role: actor.role,
                    ban,
                    removal_reason: reason,
                    at,
                },
                TicketNotices::boxed(),
            )
            .map_err(|error| match error {
                RepoError::NotFound => AppError::NotFound("report"),
                // Promoted since `ban_terms` looked.
                RepoError::Conflict(Conflict::OutOfReach) => AppError::Forbidden(NOT_ABOVE_THEM),
                other => other.into(),
            })?;
        let Notified {
            value: (report, image),
            recipients,
        } = resolved;
        self.remover.after_removal(Notified {
            value: image,
            recipients,
        })?;
        if action == ReportAction::Ban {
            // Their streams re-check their token at once, here and on every other instance.
            self.bus.publish(&[Signal::Credentials(report.author)]);
        }
        Ok(report)
    }

    /// The ban a `Ban` resolution gives the report's author, when `actor` may give it.
    fn ban_terms(
        &self,
        actor: &User,
        report: &Report,
        reason: &str,
        until: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> Result<ResolvingBan, AppError> {
        // Kept to the millisecond, as every store keeps times.
        let until = until.map(|until| until.trunc_subsecs(3));
        if until.is_some_and(|until| until <= at) {
            return Err(ValidationErrors::single("until", "must be in the future").into());
        }
        if report.author == actor.id {
            return Err(AppError::Forbidden(NOT_YOURSELF));
        }
        if let Some(author) = self.users.find(report.author)?
            && !actor.role.may_ban(author.role)
        {
            return Err(AppError::Forbidden(out_of_reach(author.role)));
        }
        let reason = BanReason::parse(reason.chars().take(1_000).collect::<String>())
            .map_err(|invalid| ValidationErrors::single("note", invalid.0))?;
        Ok(ResolvingBan { reason, until })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::tests::user;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::report::MockReportRepository;
    use plaza_domain::role::Role;
    use plaza_domain::user::MockUserRepository;
    use plaza_domain::{CommentId, UserId};

    fn someone(id: i64, role: Role) -> User {
        User {
            role,
            ..user(id, &format!("user{id}"))
        }
    }

    fn open_report(author: i64, kind: TargetKind) -> Report {
        Report {
            id: ReportId::from_stored(5),
            reporter: UserId::from_stored(3),
            target: ModTarget { kind, id: 8 },
            author: UserId::from_stored(author),
            reason: ReportReason::Spam,
            note: String::new(),
            created_at: Utc::now(),
            resolution: None,
            content: None,
        }
    }

    fn service(
        reports: MockReportRepository,
        users: MockUserRepository,
        bus: MockNotificationBus,
    ) -> ReportService {
        ReportService::new(
            Arc::new(reports),
            Arc::new(users),
            crate::removal::tests::unused(),
            Arc::new(bus),
        )
    }

    fn quiet() -> MockNotificationBus {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        bus
    }

    fn note(text: &str) -> ReportNote {
        ReportNote::parse(text).unwrap()
    }

    #[test]
    fn only_moderators_and_admins_read_and_resolve_reports() {
        let mut reports = MockReportRepository::new();
        reports.expect_list().never();
        reports.expect_find().never();
        let service = service(reports, MockUserRepository::new(), quiet());
        let member = someone(1, Role::Member);
        assert!(matches!(
            service.list(&member, ReportStatus::Open, PageRequest::new(None, None).unwrap()),
            Err(AppError::Forbidden(ONLY_MODERATORS_READ_REPORTS))
        ));
        assert!(matches!(
            service.resolve(
                &member,
                ReportId::from_stored(5),
                ReportAction::Dismiss,
                note(""),
                None
            ),
            Err(AppError::Forbidden(ONLY_MODERATORS_READ_REPORTS))
        ));
    }

    #[test]
    fn a_missing_target_is_named_by_its_kind() {
        let mut reports = MockReportRepository::new();
        reports.expect_create().returning(|_| Err(RepoError::NotFound));
        let service = service(reports, MockUserRepository::new(), quiet());
        let target = ModTarget {
            kind: TargetKind::Comment,
            id: CommentId::from_stored(9).get(),
        };
        assert!(matches!(
            service.file(&someone(1, Role::Member), target, ReportReason::Spam, note("")),
            Err(AppError::NotFound("comment"))
        ));
    }

    #[test]
    fn a_ban_resolution_bans_the_author_within_the_moderators_reach_and_ends_their_streams() {
        let mut reports = MockReportRepository::new();
        reports
            .expect_find()
            .returning(|_| Ok(Some(open_report(2, TargetKind::Comment))));
        reports
            .expect_resolve()
            .times(1)
            .withf(|order, _| {
                let ban = order.ban.as_ref().unwrap();
                order.action == ReportAction::Ban
                    && ban.reason.as_str() == "reported as spam"
                    && order.removal_reason == "reported as spam"
                    && order.by_role == Role::Moderator
            })
            .returning(|order, _| {
                let mut report = open_report(2, TargetKind::Comment);
                report.resolution = Some(plaza_domain::report::Resolution {
                    action: order.action,
                    note: order.note.as_str().to_owned(),
                    moderator: Some(order.by),
                    moderator_username: None,
                    at: order.at,
                });
                Ok(Notified {
                    value: (report, None),
                    recipients: vec![],
                })
            });
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|id| {
            let role = if id.get() == 2 { Role::Member } else { Role::Admin };
            Ok(Some(someone(id.get(), role)))
        });
        let mut bus = MockNotificationBus::new();
        bus.expect_publish()
            .times(1)
            .withf(|signals| signals == [Signal::Credentials(UserId::from_stored(2))])
            .return_const(());
        let service = service(reports, users, bus);
        let moderator = someone(9, Role::Moderator);
        let resolved = service
            .resolve(
                &moderator,
                ReportId::from_stored(5),
                ReportAction::Ban,
                note(" "),
                None,
            )
            .unwrap();
        assert_eq!(resolved.status(), ReportStatus::Resolved);
    }

    #[test]
    fn refused_resolutions_write_nothing() {
        let mut reports = MockReportRepository::new();
        reports.expect_find().returning(|id| {
            Ok(Some(match id.get() {
                1 => open_report(7, TargetKind::User),
                2 => open_report(8, TargetKind::Post),
                _ => open_report(9, TargetKind::Post),
            }))
        });
        reports.expect_resolve().never();
        let mut users = MockUserRepository::new();
        users.expect_find().returning(|id| {
            let role = if id.get() == 8 {
                Role::Moderator
            } else {
                Role::Member
            };
            Ok(Some(someone(id.get(), role)))
        });
        let service = service(reports, users, quiet());
        let moderator = someone(9, Role::Moderator);
        let resolve = |id, action, until| {
            service.resolve(&moderator, ReportId::from_stored(id), action, note(""), until)
        };
        assert!(matches!(
            resolve(1, ReportAction::Remove, None),
            Err(AppError::Validation(_))
        ));
        assert!(matches!(
            resolve(2, ReportAction::Ban, None),
            Err(AppError::Forbidden(NOT_ABOVE_THEM))
        ));
        assert!(matches!(
            resolve(3, ReportAction::Ban, None),
            Err(AppError::Forbidden(NOT_YOURSELF))
        ));
        let past = Utc::now() - chrono::Duration::hours(1);
        assert!(matches!(
            resolve(1, ReportAction::Ban, Some(past)),
            Err(AppError::Validation(_))
        ));
        let later = Utc::now() + chrono::Duration::hours(1);
        assert!(matches!(
            resolve(1, ReportAction::Dismiss, Some(later)),
            Err(AppError::Validation(_))
        ));
    }
}
