//! The thread that delivers the mail outbox while the server runs: it asks when the next mail is due (a
//! cheap read), sleeps until then — at most [`POLL`], so mail written by other instances on a shared store
//! goes out soon too — or until this instance rings the doorbell, and delivers what is due.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use plaza_app::{Doorbell, MailService, NotificationMailService};

/// The most scan and due rounds of notification mail between two looks at the outbox.
const CATCH_UP_ROUNDS: usize = 20;

/// The longest the worker sleeps before it looks at the outbox again.
pub const POLL: Duration = Duration::from_secs(5);

/// The running worker; dropping it stops the thread after its current delivery.
#[derive(Debug)]
pub struct MailWorker {
    doorbell: Arc<Doorbell>,
    _thread: JoinHandle<()>,
}

impl MailWorker {
    pub fn start(mail: MailService, notifications: NotificationMailService) -> std::io::Result<Self> {
        let doorbell = mail.doorbell().clone();
        let thread = std::thread::Builder::new()
            .name("mail-delivery".into())
            .spawn(move || run(&mail, &notifications))?;
        Ok(Self {
            doorbell,
            _thread: thread,
        })
    }
}

impl Drop for MailWorker {
    fn drop(&mut self) {
        self.doorbell.stop();
    }
}

/// Writes the notification mail that is due (ticket news, each, daily) to the outbox.
fn write_notification_mail(notifications: &NotificationMailService) {
    let round = std::panic::catch_unwind(AssertUnwindSafe(|| notifications.catch_up(CATCH_UP_ROUNDS)));
    match round {
        Ok(Ok(_)) => {}
        Ok(Err(error)) => tracing::warn!(%error, "notification mail round failed"),
        Err(_) => tracing::error!("notification mail round panicked"),
    }
}

fn run(mail: &MailService, notifications: &NotificationMailService) {
    loop {
        write_notification_mail(notifications);
        let wait = match mail.next_due() {
            // A panic (in the transport, say) ends the round, not the thread: the mail it was on is due
            // again when its lease ends, and counts an attempt each time, so it is given up in a day.
            Ok(Some(due)) if due <= Utc::now() => {
                match std::panic::catch_unwind(AssertUnwindSafe(|| mail.deliver_due())) {
                    // Whatever was due has been delivered or given a later time: look again at once.
                    Ok(Ok(_)) => Duration::ZERO,
                    Ok(Err(error)) => {
                        tracing::warn!(%error, "mail delivery round failed");
                        POLL
                    }
                    Err(_) => {
                        tracing::error!("mail delivery round panicked");
                        POLL
                    }
                }
            }
            Ok(Some(due)) => (due - Utc::now()).to_std().unwrap_or(Duration::ZERO).min(POLL),
            Ok(None) => POLL,
            Err(error) => {
                tracing::warn!(%error, "cannot read the mail outbox");
                POLL
            }
        };
        if !mail.doorbell().wait(wait) {
            return;
        }
    }
}
