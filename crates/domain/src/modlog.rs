//! The moderation log: every act of moderation (role changes, removals, bans and their lifting), with who
//! did it, to what, and why. Public, so a community can see how it is run.

use chrono::{DateTime, Utc};

use crate::error::{Invalid, RepoError};
use crate::ids::{ModLogId, UserId};
use crate::page::{Page, PageRequest};
use crate::role::Role;
use crate::text::bounded_text;

bounded_text!(
    /// Why a moderator acted: at most 1,000 characters, may be empty.
    ModReason,
    0,
    1_000,
    Prose
);

/// What kind of thing a moderator acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TargetKind {
    /// A comment on an event.
    Comment,
    /// A post.
    Post,
    /// An event.
    Event,
    /// An account.
    User,
}

impl TargetKind {
    /// Every kind.
    pub const ALL: [TargetKind; 4] = [
        TargetKind::Comment,
        TargetKind::Post,
        TargetKind::Event,
        TargetKind::User,
    ];

    /// The kind as the contract and the store write it: `comment`, `post`, `event`, `user`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Comment => "comment",
            TargetKind::Post => "post",
            TargetKind::Event => "event",
            TargetKind::User => "user",
        }
    }

    /// Reads a kind as [`as_str`](Self::as_str) writes it.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of \"comment\", \"post\", \"event\", \"user\""))
    }
}

/// What a moderator acted on: a kind and that thing's id (which may no longer exist).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ModTarget {
    /// The kind of thing.
    pub kind: TargetKind,
    /// Its id among things of its kind.
    pub id: i64,
}

impl ModTarget {
    /// An account as the target.
    pub fn user(id: UserId) -> Self {
        Self {
            kind: TargetKind::User,
            id: id.get(),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModAction {
    /// The target user's role became this one.
    SetRole(Role),
    /// The target user was banned, until then (`None`: until lifted).
    Ban {
        /// When the ban lifts itself.
        until: Option<DateTime<Utc>>,
    },
    /// The target user's ban was lifted.
    Unban,
    /// The target comment, post or event was removed.
    Remove,
}

impl ModAction {
    /// The action's name as the contract and the store write it.
    pub fn name(self) -> &'static str {
        match self {
            ModAction::SetRole(_) => "set_role",
            ModAction::Ban { .. } => "ban",
            ModAction::Unban => "unban",
            ModAction::Remove => "remove",
        }
    }

    /// The role it gave, for [`SetRole`](Self::SetRole).
    pub fn role(self) -> Option<Role> {
        match self {
            ModAction::SetRole(role) => Some(role),
            _ => None,
        }
    }

    /// When the ban it gave lifts itself, for [`Ban`](Self::Ban).
    pub fn until(self) -> Option<DateTime<Utc>> {
        match self {
            ModAction::Ban { until } => until,
            _ => None,
        }
    }

    /// The action from what a store keeps of it: its [`name`](Self::name), its [`role`](Self::role) and
    /// its [`until`](Self::until).
    pub fn from_stored(
        name: &str,
        role: Option<&str>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Self, Invalid> {
        match (name, role) {
            ("set_role", Some(role)) => Role::parse(role).map(ModAction::SetRole),
            ("ban", None) => Ok(ModAction::Ban { until }),
            ("unban", None) => Ok(ModAction::Unban),
            ("remove", None) => Ok(ModAction::Remove),
            _ => Err(Invalid::new(format!(
                "not a moderation action: {name:?} with role {role:?}"
            ))),
        }
    }
}

/// One act of moderation, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModLogEntry {
    /// Given by the store; later entries have larger ids.
    pub id: ModLogId,
    /// Who acted: `None` for the command line (`plaza admin`), or an account since deleted.
    pub moderator: Option<UserId>,
    /// The moderator's user name now, when there is one (read with the entry, not stored in it).
    pub moderator_username: Option<String>,
    /// What was done.
    pub action: ModAction,
    /// To what.
    pub target: ModTarget,
    /// The target user's name now, when the target is an account that still exists (read with the
    /// entry).
    pub target_username: Option<String>,
    /// Why, in the moderator's words, if they gave a reason.
    pub reason: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A role to give, with who gives it and why; the store writes the change and its log entry in one
/// transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChange {
    /// Whose role changes.
    pub user: UserId,
    /// The role from now on.
    pub role: Role,
    /// The admin who gives it, or `None` from the command line.
    pub by: Option<UserId>,
    /// Why, if said.
    pub reason: Option<ModReason>,
}

/// Reading the moderation log. Entries are written by the stores' other ports, in the transaction of the
/// act they record (a role change by [`UserRepository::set_role`](crate::user::UserRepository::set_role),
/// a ban by [`UserRepository::ban`](crate::user::UserRepository::ban)).
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait ModLogRepository: Send + Sync {
    /// The log, newest first.
    fn list(&self, page: PageRequest) -> Result<Page<ModLogEntry>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_kinds_read_back_what_they_write() {
        for kind in TargetKind::ALL {
            assert_eq!(TargetKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(TargetKind::parse("Comment").is_err());
        assert_eq!(ModTarget::user(UserId::from_stored(7)).kind, TargetKind::User);
    }

    #[test]
    fn actions_read_back_what_a_store_keeps_of_them() {
        let actions = Role::ALL.into_iter().map(ModAction::SetRole).chain([
            ModAction::Ban { until: None },
            ModAction::Ban {
                until: Some(DateTime::UNIX_EPOCH),
            },
            ModAction::Unban,
            ModAction::Remove,
        ]);
        for action in actions {
            let stored = action.role().map(Role::as_str);
            assert_eq!(
                ModAction::from_stored(action.name(), stored, action.until()),
                Ok(action)
            );
        }
        assert!(ModAction::from_stored("set_role", None, None).is_err());
        assert!(ModAction::from_stored("ban", Some("admin"), None).is_err());
        assert!(ModAction::from_stored("explode", Some("admin"), None).is_err());
    }

    #[test]
    fn reasons_are_bounded_prose() {
        assert!(ModReason::parse("").is_ok());
        assert!(ModReason::parse("spam,\nagain").is_ok());
        assert!(ModReason::parse("x".repeat(1_000)).is_ok());
        assert!(ModReason::parse("x".repeat(1_001)).is_err());
    }
}
