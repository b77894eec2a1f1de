//! What a user may do in the community beyond their own things: roles, and the rules between them.

use crate::error::Invalid;

/// A user's standing: every account is a member; moderators look after what others write; admins also
/// choose who moderates. Public (shown on every profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    /// The default: may act on their own things only.
    #[default]
    Member,
    /// Bans members (and, once removal exists, removes what anyone wrote).
    Moderator,
    /// A moderator who also sets roles and bans moderators; never banned (demoted first).
    Admin,
}

impl Role {
    /// Every role, from the least to the most trusted.
    pub const ALL: [Role; 3] = [Role::Member, Role::Moderator, Role::Admin];

    /// The role's name as the contract and the store write it: `member`, `moderator`, `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    /// Reads a role's name as [`as_str`](Self::as_str) writes it; nothing else (not even another case).
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == raw)
            .ok_or_else(|| Invalid::new("must be one of \"member\", \"moderator\", \"admin\""))
    }

    /// Whether the role looks after the community: a moderator or an admin.
    pub fn moderates(self) -> bool {
        matches!(self, Role::Moderator | Role::Admin)
    }

    /// Whether the role sets others' roles.
    pub fn administers(self) -> bool {
        self == Role::Admin
    }

    /// Whether someone of this role may ban (and lift the ban of) someone of `other`'s: a moderator bans
    /// members, an admin members and moderators. Nobody bans an admin (an admin demotes them first), so a
    /// community is never left with only banned admins.
    pub fn may_ban(self, other: Role) -> bool {
        match self {
            Role::Admin => other != Role::Admin,
            Role::Moderator => other == Role::Member,
            Role::Member => false,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_what_they_write_and_nothing_else() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        for bad in ["", "Admin", "owner", " member"] {
            assert!(Role::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Role::default(), Role::Member);
    }

    #[test]
    fn moderators_ban_members_and_admins_also_moderators_but_nobody_an_admin() {
        assert!(!Role::Member.moderates());
        assert!(Role::Moderator.moderates() && Role::Admin.moderates());
        assert!(Role::Admin.administers() && !Role::Moderator.administers());
        assert!(Role::Moderator.may_ban(Role::Member));
        assert!(!Role::Moderator.may_ban(Role::Moderator));
        assert!(!Role::Moderator.may_ban(Role::Admin));
        assert!(Role::Admin.may_ban(Role::Moderator));
        assert!(!Role::Admin.may_ban(Role::Admin), "an admin is demoted first");
        assert!(!Role::Member.may_ban(Role::Member));
    }
}
