//! A user's role as the contract writes it.

use plaza_domain::role::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a user may do beyond their own things: `member` (everyone, by default), `moderator` (removes
/// what anyone wrote, bans members), `admin` (also sets roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    Member,
    Moderator,
    Admin,
}

impl From<Role> for RoleName {
    fn from(role: Role) -> Self {
        match role {
            Role::Member => RoleName::Member,
            Role::Moderator => RoleName::Moderator,
            Role::Admin => RoleName::Admin,
        }
    }
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Self {
        match role {
            RoleName::Member => Role::Member,
            RoleName::Moderator => Role::Moderator,
            RoleName::Admin => Role::Admin,
        }
    }
}
