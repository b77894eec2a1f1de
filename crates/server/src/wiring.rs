//! Concrete adapters into use cases: the one place that picks the store the use cases run on (SQLite or
//! PostgreSQL, as `DATABASE_URL` says: see `Config::store`), opens it, and hands its ports
//! (`Database::stores()`) and the bus that store needs to the services. The commands for one store only
//! (backups of the SQLite file, `migrate-data`) are in `backup` and `migrate`.

use std::sync::Arc;

use anyhow::Context;
use plaza_app::live::InProcessBus;
use plaza_app::{
    BcryptHasher, Hub, JwtTokenCodec, MailSettings, Ports, ReencodedAvatars, Services, WorkLimit,
};
use plaza_domain::Stores;
use plaza_domain::live::{NotificationBus, SignalSink};
use plaza_domain::mail::MailTransport;
use plaza_infra_fs::FsAvatarStore;
use plaza_infra_mail::{FromAddress, MailDir, SmtpMailer, SmtpUrl};
use plaza_infra_postgres::bus::{Listener, PgNotificationBus};
use secrecy::ExposeSecret;

use crate::config::{Config, Store};

/// The database the use cases run on, for what only the binary does with it.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Backups, the final checkpoint and the write statistics are the SQLite file's.
    Sqlite(plaza_infra_sqlite::Database),
    /// PostgreSQL's own tools back it up; several instances share it.
    Postgres(plaza_infra_postgres::Database),
}

impl Storage {
    /// The SQLite database, when that is the store.
    pub fn sqlite(&self) -> Option<&plaza_infra_sqlite::Database> {
        match self {
            Storage::Sqlite(db) => Some(db),
            Storage::Postgres(_) => None,
        }
    }
}

/// The use cases, and the storage they run on.
pub struct Wired {
    pub services: Services,
    pub database: Storage,
    /// On PostgreSQL, this instance's connection listening for other instances' signals; it stops when
    /// dropped.
    pub listener: Option<Listener>,
}

/// Whether `error` says only that no connection to the database could be made now (PostgreSQL not up
/// yet, the network down, a login it refuses): worth trying again. A migration that fails, or anything
/// else, is not: waiting would not mend it.
pub fn is_unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<plaza_domain::RepoError>(),
            Some(plaza_domain::RepoError::Unavailable(why))
                if why.starts_with(plaza_infra_postgres::CANNOT_CONNECT)
        )
    })
}

/// Opens the store `DATABASE_URL` names (creating and migrating it), with every port over it.
fn open(config: &Config) -> anyhow::Result<(Stores, Storage)> {
    Ok(match config.store()? {
        Store::Sqlite(sqlite) => {
            let db = plaza_infra_sqlite::Database::open(&sqlite).context("opening the database")?;
            (db.stores(), Storage::Sqlite(db))
        }
        Store::Postgres(postgres) => {
            let db =
                plaza_infra_postgres::Database::open(&postgres).context("opening the PostgreSQL database")?;
            (db.stores(), Storage::Postgres(db))
        }
    })
}

/// Where mail goes — the server `SMTP_URL` names, else `.eml` files in `MAIL_DIR` — and what its links and
/// ids hold.
fn mail(config: &Config) -> anyhow::Result<(Arc<dyn MailTransport>, MailSettings)> {
    let from = FromAddress::parse(&config.mail_from)?;
    let settings = MailSettings {
        origin: config.mail_origin()?,
        domain: from.domain().to_owned(),
    };
    let transport: Arc<dyn MailTransport> = match &config.smtp_url {
        Some(url) => {
            let url = SmtpUrl::parse(url.expose_secret())?;
            Arc::new(SmtpMailer::new(&url, from).map_err(anyhow::Error::msg)?)
        }
        None => {
            let dir = config.mail_dir();
            Arc::new(
                MailDir::open(&dir, from)
                    .with_context(|| format!("opening the mail directory {}", dir.display()))?,
            )
        }
    };
    Ok((transport, settings))
}

/// Opens (creating and migrating) the database and the avatar directory, and wires the use cases.
pub fn services(config: &Config) -> anyhow::Result<Services> {
    wire(config).map(|wired| wired.services)
}

/// Like [`services`], keeping the database handle.
pub fn wire(config: &Config) -> anyhow::Result<Wired> {
    // What can be checked without the database is, first: a bad setting stops start-up at once instead
    // of waiting for a database to come up.
    // (A secret to be generated beside the SQLite file is made once the file's directory exists.)
    if config.jwt_secret.is_some() || config.on_postgres() {
        config.jwt_secret()?;
    }
    let (stores, database) = open(config)?;
    let (mail, mail_settings) = mail(config)?;
    let avatars = FsAvatarStore::open(&config.avatar_dir)
        .with_context(|| format!("opening the avatar directory {}", config.avatar_dir.display()))?;
    let passwords =
        BcryptHasher::new(config.bcrypt_cost, WorkLimit::for_this_machine()).map_err(anyhow::Error::msg)?;
    let secret = config.jwt_secret()?;
    let tokens =
        JwtTokenCodec::new(&secret, config.access_token_expire_minutes).map_err(anyhow::Error::msg)?;
    let hub = Hub::new(config.stream_limits());
    // One process on SQLite: signals go straight to its streams. On PostgreSQL they travel through the
    // database, so that every instance's streams hear every instance's commits.
    let (bus, listener): (Arc<dyn NotificationBus>, Option<Listener>) = match &database {
        Storage::Sqlite(_) => (Arc::new(InProcessBus::new(hub.clone())), None),
        Storage::Postgres(db) => {
            let sink: Arc<dyn SignalSink> = hub.clone();
            let listener = Listener::start(db, sink).context("starting the live-notification listener")?;
            (Arc::new(PgNotificationBus::new(db)), Some(listener))
        }
    };
    // Instances sharing a PostgreSQL database count failed logins together: its `stores()` offers them.
    let services = Services::new(Ports {
        stores,
        avatars: Arc::new(avatars),
        avatar_images: Arc::new(ReencodedAvatars::bounded()),
        passwords: Arc::new(passwords),
        tokens: Arc::new(tokens),
        bus,
        hub,
        mail,
        mail_settings,
        verified_email: plaza_app::VerifiedEmailRule {
            required: config.require_verified_email,
        },
        unsubscribe: plaza_app::UnsubscribeKey::new(&secret),
    });
    Ok(Wired {
        services,
        database,
        listener,
    })
}
