//! Removal of someone else's comment, post or event by those who look after the community, and what a
//! removed item shows to the few who may still see it.

use std::sync::Arc;

use plaza_domain::avatar::AvatarStore;
use plaza_domain::live::NotificationBus;
use plaza_domain::removal::{Removable, Removal, RemovalRepository, Removed};
use plaza_domain::user::User;
use plaza_domain::{RepoError, UserId};

use crate::error::AppError;
use crate::waitlist::{TicketNotices, wake};

/// An item as a reader sees it: live, or removed (only its author and moderators see those).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<T> {
    /// The item.
    pub item: T,
    /// Whether it was removed.
    pub removed: bool,
}

impl<T> Seen<T> {
    /// A live item.
    pub fn live(item: T) -> Self {
        Self { item, removed: false }
    }
}

/// Carries out removals and says who may still see a removed item. Shared by the services whose items can
/// be removed: the rule of who may remove what stays with each of them.
#[derive(Clone)]
pub struct Remover {
    removals: Arc<dyn RemovalRepository>,
    /// Where a removed event's picture is deleted.
    images: Arc<dyn AvatarStore>,
    /// Wakes the streams of ticket holders told that an event was removed.
    bus: Arc<dyn NotificationBus>,
}

impl Remover {
    pub fn new(
        removals: Arc<dyn RemovalRepository>,
        images: Arc<dyn AvatarStore>,
        bus: Arc<dyn NotificationBus>,
    ) -> Self {
        Self {
            removals,
            images,
            bus,
        }
    }

    /// Removes `item` as `actor` (whose right to has been checked), logged with `reason`; an event's
    /// ticket holders are told, as when its owner deletes it, and its picture's file goes.
    pub(crate) fn remove(
        &self,
        actor: &User,
        item: Removable,
        reason: Option<String>,
    ) -> Result<(), AppError> {
        let removal = Removal {
            item,
            by: actor.id,
            reason,
            at: crate::stored_now(),
        };
        let notified =
            self.removals
                .remove(removal, TicketNotices::boxed())
                .map_err(|error| match error {
                    RepoError::NotFound => AppError::NotFound(item.target().kind.as_str()),
                    other => other.into(),
                })?;
        self.after_removal(notified)
    }

    /// Wakes whoever a removal told and deletes the file of a removed event's picture.
    pub(crate) fn after_removal(
        &self,
        notified: plaza_domain::ticket::Notified<Option<String>>,
    ) -> Result<(), AppError> {
        if let Some(image) = wake(self.bus.as_ref(), notified)
            && let Err(error) = self.images.delete(&image)
        {
            tracing::warn!(%error, file = %image, "could not remove a removed event's picture");
        }
        Ok(())
    }

    /// A removed item found by `find`, when `viewer` may see it: its author, a moderator or an admin.
    /// `NotFound` (naming `what`) for anyone else, and when there is no such removed item either.
    pub(crate) fn seen_removed<T>(
        &self,
        viewer: Option<&User>,
        what: &'static str,
        author: impl Fn(&T) -> UserId,
        find: impl FnOnce(&dyn RemovalRepository) -> Result<Option<Removed<T>>, RepoError>,
    ) -> Result<Seen<T>, AppError> {
        let Some(viewer) = viewer else {
            return Err(AppError::NotFound(what));
        };
        match find(self.removals.as_ref())? {
            Some(removed) if viewer.role.moderates() || author(&removed.item) == viewer.id => Ok(Seen {
                item: removed.item,
                removed: true,
            }),
            _ => Err(AppError::NotFound(what)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use plaza_domain::avatar::MockAvatarStore;
    use plaza_domain::live::MockNotificationBus;
    use plaza_domain::removal::MockRemovalRepository;

    /// A remover over `removals`, with no picture to delete and no stream to wake.
    pub(crate) fn remover(removals: MockRemovalRepository) -> Remover {
        let mut bus = MockNotificationBus::new();
        bus.expect_publish().never();
        Remover::new(
            Arc::new(removals),
            Arc::new(MockAvatarStore::new()),
            Arc::new(bus),
        )
    }

    /// A remover that must not be used.
    pub(crate) fn unused() -> Remover {
        remover(MockRemovalRepository::new())
    }
}
