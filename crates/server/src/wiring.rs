//! Concrete adapters into use cases: the one place that knows which storage Plaza runs on.

use std::sync::Arc;

use anyhow::Context;
use plaza_app::{BcryptHasher, HashingLimit, Ports, ReencodedAvatars, Services, TokenCodec};
use plaza_infra_fs::FsAvatarStore;
use plaza_infra_sqlite::{
    Database, SqliteCommentRepository, SqliteEventRepository, SqliteNotificationRepository,
    SqlitePostRepository, SqliteUserRepository,
};

use crate::config::Config;

/// The use cases, and the storage they run on (for what only the binary does with it: backups, the final
/// checkpoint).
pub struct Wired {
    pub services: Services,
    pub database: Database,
}

/// Opens (creating and migrating) the database and the avatar directory, and wires the use cases.
pub fn services(config: &Config) -> anyhow::Result<Services> {
    wire(config).map(|wired| wired.services)
}

/// Like [`services`], keeping the database handle.
pub fn wire(config: &Config) -> anyhow::Result<Wired> {
    let db = Database::open(&config.database()?).context("opening the database")?;
    let avatars = FsAvatarStore::open(&config.avatar_dir)
        .with_context(|| format!("opening the avatar directory {}", config.avatar_dir.display()))?;
    let passwords = BcryptHasher::new(config.bcrypt_cost, HashingLimit::for_this_machine())
        .map_err(anyhow::Error::msg)?;
    let tokens = TokenCodec::new(&config.jwt_secret()?, config.access_token_expire_minutes)
        .map_err(anyhow::Error::msg)?;
    let services = Services::new(Ports {
        users: Arc::new(SqliteUserRepository::new(db.clone())),
        events: Arc::new(SqliteEventRepository::new(db.clone())),
        posts: Arc::new(SqlitePostRepository::new(db.clone())),
        comments: Arc::new(SqliteCommentRepository::new(db.clone())),
        notifications: Arc::new(SqliteNotificationRepository::new(db.clone())),
        avatars: Arc::new(avatars),
        avatar_images: Arc::new(ReencodedAvatars),
        passwords: Arc::new(passwords),
        tokens: Arc::new(tokens),
        health: Arc::new(db.clone()),
    });
    Ok(Wired {
        services,
        database: db,
    })
}
