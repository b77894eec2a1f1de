//! Removal: a moderator or an admin (or, for comments, the event's owner) takes someone else's comment,
//! post or event out of the community. The item leaves every list, search and count as a deletion would;
//! a copy is kept apart, with who removed it and when, so that its author and the moderators can still see
//! what was removed and the moderation log keeps meaning something.

use chrono::{DateTime, Utc};

use crate::comment::Comment;
use crate::error::RepoError;
use crate::event::Event;
use crate::ids::{CommentId, EventId, PostId, UserId};
use crate::modlog::{ModTarget, TargetKind};
use crate::post::Post;
use crate::ticket::{HolderNotices, Notified};

/// What can be removed: a comment, a post or an event (accounts are banned, not removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Removable {
    /// A comment (its id is unique among all comments).
    Comment(CommentId),
    /// A post.
    Post(PostId),
    /// An event; its ticket holders are told, as when its owner deletes it.
    Event(EventId),
}

impl Removable {
    /// The target as the moderation log records it.
    pub fn target(self) -> ModTarget {
        match self {
            Removable::Comment(id) => ModTarget {
                kind: TargetKind::Comment,
                id: id.get(),
            },
            Removable::Post(id) => ModTarget {
                kind: TargetKind::Post,
                id: id.get(),
            },
            Removable::Event(id) => ModTarget {
                kind: TargetKind::Event,
                id: id.get(),
            },
        }
    }

    /// The removable item a target names; `None` for an account.
    pub fn of(target: ModTarget) -> Option<Self> {
        match target.kind {
            TargetKind::Comment => Some(Removable::Comment(CommentId::from_stored(target.id))),
            TargetKind::Post => Some(Removable::Post(PostId::from_stored(target.id))),
            TargetKind::Event => Some(Removable::Event(EventId::from_stored(target.id))),
            TargetKind::User => None,
        }
    }
}

/// A removal to carry out: the item leaves the lists, its copy is kept, and the moderation log records it,
/// in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removal {
    /// What is removed.
    pub item: Removable,
    /// Who removes it.
    pub by: UserId,
    /// Why, as the moderation log shows it; `None` when no reason was given.
    pub reason: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A removed item as kept apart: the item as it was when removed, and when that was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed<T> {
    /// The item as it was (an event's picture is not kept: its file goes with the removal).
    pub item: T,
    /// When it was removed.
    pub removed_at: DateTime<Utc>,
    /// Who removed it; `None` once their account is gone.
    pub removed_by: Option<UserId>,
}

/// Removing items and reading the copies kept of them.
#[cfg_attr(feature = "mocks", mockall::automock)]
pub trait RemovalRepository: Send + Sync {
    /// Carries out `removal` in one transaction: keeps the copy, deletes the item as its author's delete
    /// would (an event's ticket holders are told through `notices`, as when its owner deletes it), and
    /// records a `remove` entry in the moderation log. `NotFound` when the item is not there. Answers the
    /// name of a removed event's picture, whose file the caller deletes.
    fn remove(
        &self,
        removal: Removal,
        notices: Box<dyn HolderNotices>,
    ) -> Result<Notified<Option<String>>, RepoError>;
    /// The removed comment `id` on `event`, or `None`.
    fn removed_comment(&self, event: EventId, id: CommentId) -> Result<Option<Removed<Comment>>, RepoError>;
    /// The removed post `id`, or `None`.
    fn removed_post(&self, id: PostId) -> Result<Option<Removed<Post>>, RepoError>;
    /// The removed event `id`, or `None`.
    fn removed_event(&self, id: EventId) -> Result<Option<Removed<Event>>, RepoError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removable_items_are_the_targets_they_name_and_accounts_are_not_removable() {
        for item in [
            Removable::Comment(CommentId::from_stored(3)),
            Removable::Post(PostId::from_stored(4)),
            Removable::Event(EventId::from_stored(5)),
        ] {
            assert_eq!(Removable::of(item.target()), Some(item));
        }
        assert_eq!(Removable::of(ModTarget::user(UserId::from_stored(6))), None);
    }
}
