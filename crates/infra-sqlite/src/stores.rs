//! Every storage port over one SQLite database, from one constructor.

use std::sync::Arc;

use plaza_domain::Stores;

use crate::account_links::SqliteAccountLinks;
use crate::calendar::SqliteCalendars;
use crate::comments::SqliteCommentRepository;
use crate::db::Database;
use crate::events::SqliteEventRepository;
use crate::mail::SqliteMail;
use crate::modlog::SqliteModLog;
use crate::notification_mail::SqliteNotificationMail;
use crate::notifications::SqliteNotificationRepository;
use crate::posts::SqlitePostRepository;
use crate::removal::SqliteRemovals;
use crate::reports::SqliteReports;
use crate::sessions::SqliteSessions;
use crate::stream_tickets::SqliteStreamTickets;
use crate::tickets::SqliteTickets;
use crate::users::SqliteUserRepository;
use crate::waitlist::SqliteWaitlists;

impl Database {
    /// Every port of the store over this database. Failed logins are not shared: one process owns a
    /// SQLite file, and its own count is the whole count.
    pub fn stores(&self) -> Stores {
        Stores {
            users: Arc::new(SqliteUserRepository::new(self.clone())),
            events: Arc::new(SqliteEventRepository::new(self.clone())),
            tickets: Arc::new(SqliteTickets::new(self.clone())),
            waitlists: Arc::new(SqliteWaitlists::new(self.clone())),
            calendars: Arc::new(SqliteCalendars::new(self.clone())),
            mail_outbox: Arc::new(SqliteMail::new(self.clone())),
            password_resets: Arc::new(SqliteAccountLinks::new(self.clone())),
            email_verifications: Arc::new(SqliteAccountLinks::new(self.clone())),
            notification_mail: Arc::new(SqliteNotificationMail::new(self.clone())),
            posts: Arc::new(SqlitePostRepository::new(self.clone())),
            comments: Arc::new(SqliteCommentRepository::new(self.clone())),
            notifications: Arc::new(SqliteNotificationRepository::new(self.clone())),
            modlog: Arc::new(SqliteModLog::new(self.clone())),
            removals: Arc::new(SqliteRemovals::new(self.clone())),
            reports: Arc::new(SqliteReports::new(self.clone())),
            health: Arc::new(self.clone()),
            stream_tickets: Arc::new(SqliteStreamTickets::new(self.clone())),
            sessions: Arc::new(SqliteSessions::new(self.clone())),
            login_failures: None,
        }
    }
}
