//! Plaza's use cases. Each service holds the rules of one concept — who may change what, who is notified
//! when a comment lands, what a ticket purchase may do — over the domain's ports. Services are synchronous
//! (storage is), so callers on an async runtime run them on a blocking pool.

pub mod auth;
pub mod avatar_image;
pub mod comments;
pub mod error;
pub mod events;
pub mod limit;
pub mod live;
pub mod notifications;
pub mod password;
pub mod posts;
pub mod stream;
pub mod throttle;
pub mod token;
pub mod users;

pub use auth::AuthService;
pub use avatar_image::{AvatarImages, ReencodedAvatars};
pub use comments::CommentService;
pub use error::AppError;
pub use events::EventService;
pub use limit::WorkLimit;
pub use live::{Hub, LiveService, StreamLimits};
pub use notifications::NotificationService;
pub use password::{BcryptHasher, PasswordHasher};
pub use posts::PostService;
pub use token::{IssuedToken, JwtTokenCodec, TokenCodec};
pub use users::UserService;

use std::sync::Arc;

use plaza_domain::avatar::AvatarStore;
use plaza_domain::comment::CommentRepository;
use plaza_domain::event::EventRepository;
use plaza_domain::health::StorageHealth;
use plaza_domain::live::{NotificationBus, StreamTicketStore};
use plaza_domain::notification::NotificationRepository;
use plaza_domain::post::PostRepository;
use plaza_domain::user::UserRepository;

/// The adapters the use cases run on; the binary chooses them.
#[derive(Clone)]
pub struct Ports {
    pub users: Arc<dyn UserRepository>,
    pub events: Arc<dyn EventRepository>,
    pub posts: Arc<dyn PostRepository>,
    pub comments: Arc<dyn CommentRepository>,
    pub notifications: Arc<dyn NotificationRepository>,
    pub avatars: Arc<dyn AvatarStore>,
    pub avatar_images: Arc<dyn AvatarImages>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    pub health: Arc<dyn StorageHealth>,
    /// Carries "this inbox changed" to the open streams of every instance.
    pub bus: Arc<dyn NotificationBus>,
    /// This instance's open streams, where the bus delivers.
    pub hub: Arc<Hub>,
    pub stream_tickets: Arc<dyn StreamTicketStore>,
}

/// Every use case, wired to one set of ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub users: UserService,
    pub auth: AuthService,
    pub events: EventService,
    pub posts: PostService,
    pub comments: CommentService,
    pub notifications: NotificationService,
    pub live: LiveService,
    pub health: Arc<dyn StorageHealth>,
}

impl Services {
    /// Counts failed logins in `shared` too, which every instance on the same store sees.
    #[must_use]
    pub fn with_shared_login_failures(
        mut self,
        shared: Arc<dyn plaza_domain::login::SharedLoginFailures>,
    ) -> Self {
        self.auth = self.auth.with_shared_failures(shared);
        self.live = self.live.with_auth(self.auth.clone());
        self
    }

    pub fn new(ports: Ports) -> Self {
        let auth = AuthService::new(ports.users.clone(), ports.passwords.clone(), ports.tokens.clone());
        Self {
            users: UserService::new(
                ports.users.clone(),
                ports.passwords.clone(),
                ports.avatars.clone(),
                ports.avatar_images.clone(),
                ports.bus.clone(),
            ),
            live: LiveService::new(
                ports.hub,
                ports.notifications.clone(),
                ports.stream_tickets,
                auth.clone(),
            ),
            auth,
            events: EventService::new(ports.events.clone()),
            posts: PostService::new(ports.posts.clone()),
            comments: CommentService::new(ports.events.clone(), ports.comments.clone(), ports.bus.clone()),
            notifications: NotificationService::new(ports.notifications.clone(), ports.bus),
            health: ports.health,
        }
    }
}
