//! Plaza's use cases. Each service holds the rules of one concept — who may change what, who is notified
//! when a comment lands, what a ticket purchase may do — over the domain's ports. Services are synchronous
//! (storage is), so callers on an async runtime run them on a blocking pool.

pub mod auth;
pub mod avatar_image;
pub mod calendar;
pub mod comments;
pub mod email_verification;
pub mod error;
pub mod events;
pub mod ical;
pub mod letters;
pub mod limit;
pub mod live;
pub mod mail;
pub mod moderation;
pub mod notification_mail;
pub mod notifications;
pub mod overview;
pub mod password;
pub mod password_reset;
pub mod personal_data;
pub mod posts;
pub mod removal;
pub mod reports;
pub mod secret;
pub mod stream;
pub mod throttle;
pub mod tickets;
pub mod token;
pub mod unsubscribe;
pub mod users;
pub mod waitlist;

pub use auth::AuthService;
pub use avatar_image::{AvatarImages, ReencodedAvatars};
pub use calendar::CalendarService;
pub use comments::CommentService;
pub use email_verification::{EmailVerificationService, VerifiedEmailRule};
pub use error::AppError;
pub use events::EventService;
pub use limit::WorkLimit;
pub use live::{Hub, LiveService, StreamLimits};
pub use mail::{Doorbell, MailService, MailSettings};
pub use moderation::ModerationService;
pub use notification_mail::NotificationMailService;
pub use notifications::NotificationService;
pub use overview::OverviewService;
pub use password::{BcryptHasher, PasswordHasher};
pub use password_reset::PasswordResetService;
pub use personal_data::{PersonalData, PersonalDataService};
pub use posts::PostService;
pub use removal::{Remover, Seen};
pub use reports::ReportService;
pub use tickets::TicketService;
pub use token::{IssuedToken, JwtTokenCodec, TokenCodec};
pub use unsubscribe::UnsubscribeKey;
pub use users::UserService;
pub use waitlist::WaitlistService;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use plaza_domain::Stores;
use plaza_domain::avatar::AvatarStore;
use plaza_domain::health::StorageHealth;
use plaza_domain::live::NotificationBus;
use plaza_domain::mail::MailTransport;

/// Now, to the millisecond: the precision every store keeps and every answer gives, so that a time read
/// back is the time written, on SQLite and on PostgreSQL alike.
pub(crate) fn stored_now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(3)
}

/// The adapters the use cases run on; the binary chooses them.
#[derive(Clone)]
pub struct Ports {
    /// Every storage port, from the store's one constructor (`Database::stores`).
    pub stores: Stores,
    pub avatars: Arc<dyn AvatarStore>,
    pub avatar_images: Arc<dyn AvatarImages>,
    pub passwords: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenCodec>,
    /// Carries "this inbox changed" to the open streams of every instance.
    pub bus: Arc<dyn NotificationBus>,
    /// This instance's open streams, where the bus delivers.
    pub hub: Arc<Hub>,
    /// Where mail goes: a mail server, or files.
    pub mail: Arc<dyn MailTransport>,
    /// What mails link to and how their ids are made.
    pub mail_settings: MailSettings,
    /// Whether creating events, posts and comments needs a verified address.
    pub verified_email: VerifiedEmailRule,
    /// Signs one-click unsubscribe links.
    pub unsubscribe: UnsubscribeKey,
}

/// Every use case, wired to one set of ports. Cheap to clone.
#[derive(Clone)]
pub struct Services {
    /// Calendar feeds, public and private.
    pub calendar: CalendarService,
    pub users: UserService,
    pub auth: AuthService,
    pub events: EventService,
    pub posts: PostService,
    pub comments: CommentService,
    /// An event's page in one read: the event, a page of comments, the people they name.
    pub overview: OverviewService,
    pub notifications: NotificationService,
    /// The tickets people hold.
    pub tickets: TicketService,
    /// Who waits for places at sold-out events.
    pub waitlist: WaitlistService,
    /// Roles and the moderation log.
    pub moderation: ModerationService,
    /// Reports and their resolution.
    pub reports: ReportService,
    /// Everything kept about one person, for them to take away.
    pub personal_data: PersonalDataService,
    pub live: LiveService,
    /// Delivering the mail outbox.
    pub mail: MailService,
    /// Choosing a new password with a link sent by mail.
    pub password_resets: PasswordResetService,
    /// Verifying addresses with a link sent by mail.
    pub email_verification: EmailVerificationService,
    /// Mail about notifications, and turning it off.
    pub notification_mail: NotificationMailService,
    pub health: Arc<dyn StorageHealth>,
}

impl Services {
    /// Builds each use case once, from the ports alone: what a store offers (failed logins that every
    /// instance sees, on a shared store) is wired here, before any service that holds another is made.
    pub fn new(ports: Ports) -> Self {
        let Ports {
            stores,
            avatars,
            avatar_images,
            passwords,
            tokens,
            bus,
            hub,
            mail,
            mail_settings,
            verified_email,
            unsubscribe,
        } = ports;
        let doorbell = Arc::new(Doorbell::default());
        let mail_settings = Arc::new(mail_settings);
        let auth = AuthService::new(stores.users.clone(), passwords.clone(), tokens, stores.sessions)
            .with_bus(bus.clone());
        let auth = match stores.login_failures {
            Some(shared) => auth.with_shared_failures(shared),
            None => auth,
        };
        let remover = Remover::new(stores.removals.clone(), avatars.clone(), bus.clone());
        Self {
            mail: MailService::new(stores.mail_outbox, mail, doorbell.clone()),
            password_resets: PasswordResetService::new(
                stores.users.clone(),
                stores.password_resets,
                passwords.clone(),
                bus.clone(),
                mail_settings.clone(),
                doorbell.clone(),
            ),
            notification_mail: NotificationMailService::new(
                stores.notification_mail,
                mail_settings.clone(),
                Arc::new(unsubscribe),
                doorbell.clone(),
            ),
            email_verification: EmailVerificationService::new(
                stores.email_verifications,
                mail_settings.clone(),
                doorbell.clone(),
            ),
            calendar: CalendarService::new(stores.events.clone(), stores.calendars, stores.users.clone()),
            personal_data: PersonalDataService::new(
                stores.events.clone(),
                stores.posts.clone(),
                stores.comments.clone(),
                stores.tickets.clone(),
                stores.waitlists.clone(),
                stores.notifications.clone(),
                stores.reports.clone(),
            ),
            reports: ReportService::new(stores.reports, stores.users.clone(), remover.clone(), bus.clone()),
            overview: OverviewService::new(
                stores.events.clone(),
                stores.comments.clone(),
                stores.users.clone(),
            ),
            moderation: ModerationService::new(stores.users.clone(), stores.modlog, bus.clone()),
            users: UserService::new(
                stores.users,
                passwords,
                avatars.clone(),
                avatar_images.clone(),
                bus.clone(),
            )
            .with_verification_mail(mail_settings.clone(), doorbell.clone()),
            live: LiveService::new(
                hub,
                stores.notifications.clone(),
                stores.stream_tickets,
                auth.clone(),
            ),
            auth,
            events: EventService::new(
                stores.events.clone(),
                avatars,
                avatar_images,
                bus.clone(),
                remover.clone(),
            )
            .with_verified_email_rule(verified_email)
            .with_receipts(mail_settings.clone(), doorbell.clone()),
            posts: PostService::new(stores.posts, remover.clone()).with_verified_email_rule(verified_email),
            tickets: TicketService::new(stores.tickets, stores.events.clone(), bus.clone()),
            waitlist: WaitlistService::new(stores.waitlists),
            comments: CommentService::new(stores.events, stores.comments, bus.clone(), remover)
                .with_verified_email_rule(verified_email),
            notifications: NotificationService::new(stores.notifications, bus),
            health: stores.health,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::avatar_image::MockAvatarImages;
    use crate::password::MockPasswordHasher;
    use plaza_domain::avatar::MockAvatarStore;
    use plaza_domain::comment::MockCommentRepository;
    use plaza_domain::event::MockEventRepository;
    use plaza_domain::health::MockStorageHealth;
    use plaza_domain::live::{MockNotificationBus, MockStreamTicketStore};
    use plaza_domain::login::{MockSharedLoginFailures, SharedLoginFailures};
    use plaza_domain::notification::MockNotificationRepository;
    use plaza_domain::post::MockPostRepository;
    use plaza_domain::user::MockUserRepository;

    /// Ports that answer nothing (a call fails the test), with `login_failures` as given.
    fn ports(login_failures: Option<Arc<dyn SharedLoginFailures>>) -> Ports {
        Ports {
            stores: Stores {
                users: Arc::new(MockUserRepository::new()),
                events: Arc::new(MockEventRepository::new()),
                calendars: Arc::new(plaza_domain::calendar::MockCalendarRepository::new()),
                posts: Arc::new(MockPostRepository::new()),
                comments: Arc::new(MockCommentRepository::new()),
                notifications: Arc::new(MockNotificationRepository::new()),
                health: Arc::new(MockStorageHealth::new()),
                stream_tickets: Arc::new(MockStreamTicketStore::new()),
                sessions: Arc::new(plaza_domain::session::MockSessionRepository::new()),
                tickets: Arc::new(plaza_domain::ticket::MockTicketRepository::new()),
                waitlists: Arc::new(plaza_domain::waitlist::MockWaitlistRepository::new()),
                modlog: Arc::new(plaza_domain::modlog::MockModLogRepository::new()),
                removals: Arc::new(plaza_domain::removal::MockRemovalRepository::new()),
                reports: Arc::new(plaza_domain::report::MockReportRepository::new()),
                mail_outbox: Arc::new(plaza_domain::mail::MockMailOutbox::new()),
                password_resets: Arc::new(plaza_domain::password_reset::MockPasswordResetRepository::new()),
                notification_mail: Arc::new(
                    plaza_domain::notification_mail::MockNotificationMailRepository::new(),
                ),
                email_verifications: Arc::new(
                    plaza_domain::email_verification::MockEmailVerificationRepository::new(),
                ),
                login_failures,
            },
            avatars: Arc::new(MockAvatarStore::new()),
            avatar_images: Arc::new(MockAvatarImages::new()),
            passwords: Arc::new(MockPasswordHasher::new()),
            tokens: Arc::new(JwtTokenCodec::new(&[7u8; 32], 30).unwrap()),
            bus: Arc::new(MockNotificationBus::new()),
            hub: Hub::new(StreamLimits::default()),
            mail: Arc::new(plaza_domain::mail::MockMailTransport::new()),
            mail_settings: MailSettings {
                origin: "http://localhost:8001".into(),
                domain: "localhost".into(),
            },
            verified_email: VerifiedEmailRule::default(),
            unsubscribe: UnsubscribeKey::new(&[7u8; 32]),
        }
    }

    #[test]
    fn the_one_auth_service_counts_failed_logins_where_the_store_shares_them() {
        let mut shared = MockSharedLoginFailures::new();
        shared
            .expect_reserve()
            .times(1)
            .returning(|_, _, _, _| Ok(Err(42)));
        let services = Services::new(ports(Some(Arc::new(shared))));
        // Refused by the shared count before the user is even looked up (the users mock would panic).
        assert!(matches!(
            services.auth.check_credentials("c", "alice", "pw"),
            Err(AppError::RateLimited(42))
        ));
    }
}
