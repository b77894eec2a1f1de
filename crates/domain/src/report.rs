//! Reports: a member tells the moderators that a comment, post, event or account breaks the community's
//! rules; a moderator resolves it by dismissing it, removing the item, or banning its author.

use chrono::{DateTime, Utc};

use crate::error::{Invalid, RepoError};
use crate::ids::{ReportId, UserId};
use crate::modlog::ModTarget;
use crate::page::{Page, PageRequest};
use crate::role::Role;
use crate::text::bounded_text;
use crate::ticket::{HolderNotices, Notified};
use crate::user::BanReason;

bounded_text!(
    /// What a reporter or a moderator adds in their own words: at most 1,000 characters, may be empty.
    ReportNote,
    0,
    1_000,
    Prose
);

/// Reads one of a fixed set of names, or says which names there are.
fn one_of<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str, raw: &str) -> Result<T, Invalid> {
    all.iter()
        .copied()
        .find(|value| name(*value) == raw)
        .ok_or_else(|| {
            let names: Vec<String> = all.iter().map(|value| format!("{:?}", name(*value))).collect();
            Invalid::new(format!("must be one of {}", names.join(", ")))
        })
}

/// Why something is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportReason {
    /// Advertising, flooding, or anything posted in bulk.
    Spam,
    /// Aimed at hurting someone.
    Harassment,
    /// Against the law.
    Illegal,
    /// Anything else; the note says what.
    Other,
}

impl ReportReason {
    /// Every reason.
    pub const ALL: [ReportReason; 4] = [
        ReportReason::Spam,
        ReportReason::Harassment,
        ReportReason::Illegal,
        ReportReason::Other,
    ];

    /// As the contract and the store write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportReason::Spam => "spam",
            ReportReason::Harassment => "harassment",
            ReportReason::Illegal => "illegal",
            ReportReason::Other => "other",
        }
    }

    /// Reads a reason as [`as_str`](Self::as_str) writes it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        one_of(&Self::ALL, Self::as_str, raw)
    }
}

/// Whether a report waits for a moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Not resolved yet.
    Open,
    /// A moderator resolved it.
    Resolved,
}

impl ReportStatus {
    /// Both statuses.
    pub const ALL: [ReportStatus; 2] = [ReportStatus::Open, ReportStatus::Resolved];

    /// As the contract and the store write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Open => "open",
            ReportStatus::Resolved => "resolved",
        }
    }

    /// Reads a status as [`as_str`](Self::as_str) writes it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        one_of(&Self::ALL, Self::as_str, raw)
    }
}

/// What a moderator does about a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    /// Nothing is wrong: the item stays.
    Dismiss,
    /// The item is removed (not for a reported account).
    Remove,
    /// The item is removed (when it is not an account) and its author banned.
    Ban,
}

impl ReportAction {
    /// Every action.
    pub const ALL: [ReportAction; 3] = [ReportAction::Dismiss, ReportAction::Remove, ReportAction::Ban];

    /// As the contract and the store write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::Dismiss => "dismiss",
            ReportAction::Remove => "remove",
            ReportAction::Ban => "ban",
        }
    }

    /// Reads an action as [`as_str`](Self::as_str) writes it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        one_of(&Self::ALL, Self::as_str, raw)
    }
}

/// A report to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReport {
    /// Who reports.
    pub reporter: UserId,
    /// What is reported.
    pub target: ModTarget,
    /// Why.
    pub reason: ReportReason,
    /// In the reporter's words; may be empty.
    pub note: ReportNote,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a report is about, as it is now: for moderators deciding on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedContent {
    /// Who wrote it (the account itself, for a reported account).
    pub author: UserId,
    /// The author's user name, while the account exists.
    pub author_username: Option<String>,
    /// The author's role now, while the account exists: whether a moderator may ban them.
    pub author_role: Option<crate::role::Role>,
    /// The title: a post's title, an event's name, an account's user name; `None` for a comment.
    pub title: Option<String>,
    /// The text: a comment's or a post's body, an event's description, an account's full name.
    pub text: String,
    /// The event a reported comment is on, for reading it in context.
    pub event_id: Option<i64>,
    /// Whether it was removed (moderators still read it).
    pub removed: bool,
}

/// How a report was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// What was done.
    pub action: ReportAction,
    /// The moderator's note; may be empty.
    pub note: String,
    /// Who resolved it, while the account exists.
    pub moderator: Option<UserId>,
    /// Their user name now.
    pub moderator_username: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Given by the store; later reports have larger ids.
    pub id: ReportId,
    /// Who reported it.
    pub reporter: UserId,
    /// What is reported.
    pub target: ModTarget,
    /// Who wrote it when it was reported (the account itself, for a reported account): whom a ban
    /// resolving it bans, even once the item is gone.
    pub author: UserId,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's note.
    pub note: String,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
    /// `None` while open.
    pub resolution: Option<Resolution>,
    /// The reported item as it is now; `None` once it is gone (deleted by its author, or its account
    /// deleted).
    pub content: Option<ReportedContent>,
}

impl Report {
    /// Open or resolved.
    pub fn status(&self) -> ReportStatus {
        match self.resolution {
            None => ReportStatus::Open,
            Some(_) => ReportStatus::Resolved,
        }
    }
}

/// A ban that resolving a report gives the reported item's author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvingBan {
    /// Why, as the ban notice and the moderation log show it.
    pub reason: BanReason,
    /// When it lifts itself; `None`: until lifted.
    pub until: Option<DateTime<Utc>>,
}

/// A report to resolve; the store carries out the action and resolves every open report on the same
/// target, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveOrder {
    /// The report.
    pub report: ReportId,
    /// What to do.
    pub action: ReportAction,
    /// The moderator's note; may be empty.
    pub note: ReportNote,
    /// The moderator or admin who resolves it.
    pub by: UserId,
    /// Their role, checked again against the author's inside the write when banning.
    pub by_role: Role,
    /// The ban, for [`ReportAction::Ban`].
    pub ban: Option<ResolvingBan>,
    /// The reason the moderation log gives for a removal.
    pub removal_reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Storage of reports.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ReportRepository: Send + Sync {
    /// Files a report, with the target's author found now. `NotFound` when the target is not there (a
    /// removed item is not there), `Conflict::AlreadyReported` when the reporter has an open report on
    /// the same target.
    fn create(&self, report: NewReport) -> Result<Report, RepoError>;
    /// The report `id`, or `None`.
    fn find(&self, id: ReportId) -> Result<Option<Report>, RepoError>;
    /// Up to `limit` of the reports `reporter` filed, with ids above `after` (from the start when `None`),
    /// oldest first, without the reported content: what they take away with their data.
    fn filed_by(
        &self,
        reporter: UserId,
        after: Option<ReportId>,
        limit: u32,
    ) -> Result<Vec<Report>, RepoError>;
    /// The reports with this status, oldest first, each with the reported item as it is now.
    fn list(&self, status: ReportStatus, page: PageRequest) -> Result<Page<Report>, RepoError>;
    /// Carries out `order` in one transaction: removes the reported item for `Remove` and `Ban` (when it is
    /// still there and is not an account; its ticket holders told through `notices`), bans its author for
    /// `Ban` (`Conflict::OutOfReach` when `by_role` may not), logs each act, and resolves the report and
    /// every other open report on the same target. `NotFound` for a missing report,
    /// `Conflict::ReportResolved` for a resolved one. Answers the report as resolved, and the name of a
    /// removed event's picture, whose file the caller deletes.
    fn resolve(
        &self,
        order: ResolveOrder,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<(Report, Option<String>)>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_statuses_and_actions_read_back_what_they_write() {
        for reason in ReportReason::ALL {
            assert_eq!(ReportReason::parse(reason.as_str()), Ok(reason));
        }
        for status in ReportStatus::ALL {
            assert_eq!(ReportStatus::parse(status.as_str()), Ok(status));
        }
        for action in ReportAction::ALL {
            assert_eq!(ReportAction::parse(action.as_str()), Ok(action));
        }
        let refused = ReportReason::parse("rude").unwrap_err();
        assert!(refused.to_string().contains("\"spam\""), "{refused}");
        assert!(ReportAction::parse("Dismiss").is_err());
    }

    #[test]
    fn notes_may_be_empty_and_are_bounded() {
        assert!(ReportNote::parse("").is_ok());
        assert!(ReportNote::parse("x".repeat(1_000)).is_ok());
        assert!(ReportNote::parse("x".repeat(1_001)).is_err());
    }
}
