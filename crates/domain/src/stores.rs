//! Every storage port of one store, as one value: what a storage adapter hands out (one constructor for
//! all of its ports) and what the use cases and the port contract take.

use std::sync::Arc;

use crate::calendar::CalendarRepository;
use crate::comment::CommentRepository;
use crate::email_verification::EmailVerificationRepository;
use crate::event::EventRepository;
use crate::health::StorageHealth;
use crate::live::StreamTicketStore;
use crate::login::SharedLoginFailures;
use crate::mail::MailOutbox;
use crate::modlog::ModLogRepository;
use crate::notification::NotificationRepository;
use crate::notification_mail::NotificationMailRepository;
use crate::password_reset::PasswordResetRepository;
use crate::post::PostRepository;
use crate::removal::RemovalRepository;
use crate::report::ReportRepository;
use crate::session::SessionRepository;
use crate::ticket::TicketRepository;
use crate::user::UserRepository;
use crate::waitlist::WaitlistRepository;

/// The repositories and other storage ports of one store. Adding a port means adding it here, and the
/// compiler then asks every adapter for it. Cheap to clone.
#[derive(Clone)]
pub struct Stores {
    /// Users, their credentials and avatars' names.
    pub users: Arc<dyn UserRepository>,
    /// Events and their ticket sales.
    pub events: Arc<dyn EventRepository>,
    /// The tickets sales made: who holds them, and giving them back.
    pub tickets: Arc<dyn TicketRepository>,
    /// Who waits for places at sold-out events.
    pub waitlists: Arc<dyn WaitlistRepository>,
    /// The private calendar feeds: their secrets, and the events each one lists.
    pub calendars: Arc<dyn CalendarRepository>,
    /// Mail waiting to be delivered.
    pub mail_outbox: Arc<dyn MailOutbox>,
    /// Password reset tokens (and the mails that carry them).
    pub password_resets: Arc<dyn PasswordResetRepository>,
    /// E-mail verification tokens (and the mails that carry them).
    pub email_verifications: Arc<dyn EmailVerificationRepository>,
    /// What notification mail is due, and to whom.
    pub notification_mail: Arc<dyn NotificationMailRepository>,
    /// Posts.
    pub posts: Arc<dyn PostRepository>,
    /// Comments, written together with the notifications they send.
    pub comments: Arc<dyn CommentRepository>,
    /// Inboxes.
    pub notifications: Arc<dyn NotificationRepository>,
    /// The moderation log (written by the ports whose acts it records).
    pub modlog: Arc<dyn ModLogRepository>,
    /// Removing comments, posts and events, and the copies kept of them.
    pub removals: Arc<dyn RemovalRepository>,
    /// Reports and their resolution.
    pub reports: Arc<dyn ReportRepository>,
    /// Sessions and the digests of their refresh tokens.
    pub sessions: Arc<dyn SessionRepository>,
    /// Whether the store answers.
    pub health: Arc<dyn StorageHealth>,
    /// The single-use tickets that open live streams.
    pub stream_tickets: Arc<dyn StreamTicketStore>,
    /// Failed logins counted where every instance on the store sees them: `Some` on a store several
    /// instances share (PostgreSQL), `None` where one process owns the store (SQLite), whose own count
    /// is then the whole count.
    pub login_failures: Option<Arc<dyn SharedLoginFailures>>,
}
