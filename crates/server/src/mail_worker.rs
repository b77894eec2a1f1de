//! The thread that delivers the mail outbox while the server runs: it asks when the next mail is due (a
//! cheap read), sleeps until then — at most [`POLL`], so mail written by other instances on a shared store
//! goes out soon too — or until this instance rings the doorbell, and delivers what is due.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::Utc;
use plaza_app::{Doorbell, MailService};

/// The longest the worker sleeps before it looks at the outbox again.
pub const POLL: Duration = Duration::from_secs(5);

/// The running worker; dropping it stops the thread after its current delivery.
#[derive(Debug)]
pub struct MailWorker {
    doorbell: Arc<Doorbell>,
    _thread: JoinHandle<()>,
}

impl MailWorker {
    pub fn start(mail: MailService) -> std::io::Result<Self> {
        let doorbell = mail.doorbell().clone();
        let thread = std::thread::Builder::new()
            .name("mail-delivery".into())
            .spawn(move || run(&mail))?;
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

fn run(mail: &MailService) {
    loop {
        let wait = match mail.next_due() {
            Ok(Some(due)) if due <= Utc::now() => match mail.deliver_due() {
                // Whatever was due has been delivered or given a later time: look again at once.
                Ok(_) => Duration::ZERO,
                Err(error) => {
                    tracing::warn!(%error, "mail delivery round failed");
                    POLL
                }
            },
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
