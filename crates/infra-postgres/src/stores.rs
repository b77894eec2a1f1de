//! Every storage port over one PostgreSQL database, from one constructor.

use std::sync::Arc;

use plaza_domain::Stores;

use crate::account_links::PgAccountLinks;
use crate::calendar::PgCalendars;
use crate::comments::PgCommentRepository;
use crate::db::Database;
use crate::events::PgEventRepository;
use crate::login_failures::PgLoginFailures;
use crate::mail::PgMail;
use crate::modlog::PgModLog;
use crate::notification_mail::PgNotificationMail;
use crate::notifications::PgNotificationRepository;
use crate::posts::PgPostRepository;
use crate::removal::PgRemovals;
use crate::reports::PgReports;
use crate::sessions::PgSessions;
use crate::stream_tickets::PgStreamTickets;
use crate::tickets::PgTickets;
use crate::users::PgUserRepository;
use crate::waitlist::PgWaitlists;

impl Database {
    /// Every port of the store over this database, failed logins included: instances sharing the
    /// database count them together.
    pub fn stores(&self) -> Stores {
        Stores {
            users: Arc::new(PgUserRepository::new(self.clone())),
            events: Arc::new(PgEventRepository::new(self.clone())),
            tickets: Arc::new(PgTickets::new(self.clone())),
            waitlists: Arc::new(PgWaitlists::new(self.clone())),
            calendars: Arc::new(PgCalendars::new(self.clone())),
            mail_outbox: Arc::new(PgMail::new(self.clone())),
            password_resets: Arc::new(PgAccountLinks::new(self.clone())),
            email_verifications: Arc::new(PgAccountLinks::new(self.clone())),
            notification_mail: Arc::new(PgNotificationMail::new(self.clone())),
            posts: Arc::new(PgPostRepository::new(self.clone())),
            comments: Arc::new(PgCommentRepository::new(self.clone())),
            notifications: Arc::new(PgNotificationRepository::new(self.clone())),
            modlog: Arc::new(PgModLog::new(self.clone())),
            removals: Arc::new(PgRemovals::new(self.clone())),
            reports: Arc::new(PgReports::new(self.clone())),
            health: Arc::new(self.clone()),
            stream_tickets: Arc::new(PgStreamTickets::new(self.clone())),
            sessions: Arc::new(PgSessions::new(self.clone())),
            login_failures: Some(Arc::new(PgLoginFailures::new(self.clone()))),
        }
    }
}
