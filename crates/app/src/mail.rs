//! Delivering the outbox: a worker calls [`MailService::deliver_due`] whenever mail is due (and when rung,
//! see [`Doorbell`]); each mail claimed is handed to the transport, and the outcome recorded — delivered
//! mails leave the outbox, failed ones wait ([`retry_after`]) and are given up after a day.
//!
//! Which failure can repeat a mail: the transport returns `Ok` only once the server accepted the mail, and
//! the outbox records the delivery right after. If the process stops (or the store cannot be written) in
//! between — or the server accepted the mail but its answer was lost — the mail is claimed again when its
//! lease ([`LEASE`]) ends, and sent a second time, with the same `Message-ID`. Nothing else sends a mail
//! twice: a claim takes each mail for one claimer at a time, on every store.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use plaza_domain::mail::{Backlog, DeliveryError, MailOutbox, MailTransport, QueuedMail, retry_after};

use crate::error::AppError;
use crate::stored_now;

/// Mails delivered in one round (each claimed on its own).
pub const BATCH: u32 = 10;

/// How long a claim holds its mail: far longer than one delivery takes at the transport's timeouts (20 s a
/// step), so that no mail is claimed again while it is being sent.
pub const LEASE: TimeDelta = TimeDelta::minutes(10);

/// Where mail links and `Message-ID`s point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// The address people reach Plaza at, without a trailing slash (`PUBLIC_URL`): every link in a mail
    /// starts with it. Never taken from a request: a forged `Host` would otherwise send a reset link
    /// somewhere else.
    pub origin: String,
    /// The domain of `Message-ID`s (the sender's).
    pub domain: String,
}

impl MailSettings {
    /// A new `Message-ID`: 128 random bits at the sender's domain, angle brackets included.
    pub fn message_id(&self) -> Result<String, AppError> {
        let mut bits = [0u8; 16];
        getrandom::fill(&mut bits).map_err(|error| AppError::internal(error.to_string()))?;
        let hex: String = bits.iter().map(|byte| format!("{byte:02x}")).collect();
        Ok(format!("<{hex}@{}>", self.domain))
    }
}

/// Wakes the delivery worker when a mail was written on this instance, so it goes out at once rather than
/// at the next poll; and tells the worker to stop.
#[derive(Debug, Default)]
pub struct Doorbell {
    state: Mutex<Bell>,
    rung: Condvar,
}

#[derive(Debug, Default)]
struct Bell {
    rung: bool,
    stopped: bool,
}

impl Doorbell {
    /// Mail is waiting.
    pub fn ring(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.rung = true;
        self.rung.notify_all();
    }

    /// The worker should stop.
    pub fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        state.stopped = true;
        self.rung.notify_all();
    }

    /// Waits until rung, stopped or `timeout` passed; `false` once stopped.
    pub fn wait(&self, timeout: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (mut state, _) = self
            .rung
            .wait_timeout_while(state, timeout, |state| !state.rung && !state.stopped)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        state.rung = false;
        !state.stopped
    }
}

/// What one round of deliveries did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    /// Mails claimed.
    pub claimed: usize,
    /// Accepted by the server.
    pub delivered: usize,
    /// Failed, to be tried again.
    pub retrying: usize,
    /// Failed for good.
    pub given_up: usize,
}

#[derive(Clone)]
pub struct MailService {
    outbox: Arc<dyn MailOutbox>,
    transport: Arc<dyn MailTransport>,
    doorbell: Arc<Doorbell>,
}

impl MailService {
    pub fn new(
        outbox: Arc<dyn MailOutbox>,
        transport: Arc<dyn MailTransport>,
        doorbell: Arc<Doorbell>,
    ) -> Self {
        Self {
            outbox,
            transport,
            doorbell,
        }
    }

    /// The worker's doorbell.
    pub fn doorbell(&self) -> &Arc<Doorbell> {
        &self.doorbell
    }

    /// The mails waiting to be delivered, for the metrics.
    pub fn backlog(&self) -> Result<Backlog, AppError> {
        Ok(self.outbox.backlog()?)
    }

    /// When the earliest waiting mail is due (a read: cheap to ask often).
    pub fn next_due(&self) -> Result<Option<DateTime<Utc>>, AppError> {
        Ok(self.outbox.next_due()?)
    }

    /// Delivers up to [`BATCH`] due mails, one after the other, each claimed just before it is sent: a
    /// lease covers one delivery (at most a few SMTP steps of [`LEASE`]'s length), never a queue of them.
    pub fn deliver_due(&self) -> Result<Round, AppError> {
        let mut round = Round::default();
        while round.claimed < BATCH as usize {
            let now = stored_now();
            let Some(queued) = self.outbox.claim(now, now + LEASE, 1)?.into_iter().next() else {
                break;
            };
            round.claimed += 1;
            self.deliver(queued, now, &mut round)?;
        }
        Ok(round)
    }

    fn deliver(&self, queued: QueuedMail, now: DateTime<Utc>, round: &mut Round) -> Result<(), AppError> {
        let (id, attempts) = (queued.id, queued.attempts);
        if queued.expires_at.is_some_and(|expiry| expiry <= now) {
            self.outbox
                .give_up(id, attempts, "its link expired before it could be delivered")?;
            round.given_up += 1;
            tracing::warn!(
                mail = id.get(),
                attempts,
                "mail given up: its link expired before delivery"
            );
            return Ok(());
        }
        match self.transport.send(&queued.mail) {
            Ok(()) => {
                self.outbox.delivered(id, attempts)?;
                round.delivered += 1;
                tracing::info!(mail = id.get(), attempts, "mail delivered");
            }
            Err(DeliveryError::Undeliverable(why)) => {
                let why = without_addresses(&why);
                self.outbox.give_up(id, attempts, &why)?;
                round.given_up += 1;
                tracing::error!(mail = id.get(), error = %why, "mail cannot be sent: given up");
            }
            Err(DeliveryError::Retry(why)) => {
                let why = without_addresses(&why);
                match retry_after(queued.created_at, attempts, stored_now()) {
                    Some(at) => {
                        self.outbox.retry_at(id, attempts, at, &why)?;
                        round.retrying += 1;
                        tracing::warn!(
                            mail = id.get(),
                            attempts,
                            retry_at = %at,
                            error = %why,
                            "mail delivery failed: will retry"
                        );
                    }
                    None => {
                        self.outbox.give_up(id, attempts, &why)?;
                        round.given_up += 1;
                        tracing::error!(
                            mail = id.get(),
                            attempts,
                            error = %why,
                            "mail delivery failed for a day: given up"
                        );
                    }
                }
            }
        }
        Ok(())
    }
}

/// A server's answer without the addresses it may quote (`550 <bob@example.org> unknown`): what is logged
/// and kept of a failure names no recipient.
fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains('@') { "<address>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use plaza_domain::MailId;
    use plaza_domain::mail::{GIVE_UP_AFTER, Mail, MockMailOutbox, MockMailTransport};

    fn queued(id: i64, written: DateTime<Utc>, attempts: u32) -> QueuedMail {
        QueuedMail {
            id: MailId::from_stored(id),
            mail: Mail {
                to: format!("{id}@example.org"),
                subject: "s".into(),
                text: "t".into(),
                html: "h".into(),
                message_id: format!("<{id}@example.org>"),
                unsubscribe: None,
                attachment: None,
            },
            created_at: written,
            attempts,
            expires_at: None,
        }
    }

    fn service(outbox: MockMailOutbox, transport: MockMailTransport) -> MailService {
        MailService::new(
            Arc::new(outbox),
            Arc::new(transport),
            Arc::new(Doorbell::default()),
        )
    }

    /// An outbox that hands out `mails` one claim at a time, each leased for [`LEASE`].
    fn handing_out(mails: Vec<QueuedMail>) -> MockMailOutbox {
        let mut outbox = MockMailOutbox::new();
        let mut waiting = mails.into_iter();
        outbox
            .expect_claim()
            .withf(|now, lease, limit| *lease - *now == LEASE && *limit == 1)
            .returning(move |_, _, _| Ok(waiting.next().into_iter().collect()));
        outbox
    }

    #[test]
    fn each_claimed_mail_is_recorded_as_delivered_retried_or_given_up() {
        let now = Utc::now();
        let mut expired = queued(5, now, 1);
        expired.expires_at = Some(now - TimeDelta::seconds(1));
        let mut outbox = handing_out(vec![
            queued(1, now, 1),
            queued(2, now, 3),
            queued(3, now - GIVE_UP_AFTER - TimeDelta::seconds(1), 40),
            queued(4, now, 1),
            expired,
        ]);
        outbox
            .expect_delivered()
            .withf(|id, attempts| id.get() == 1 && *attempts == 1)
            .times(1)
            .returning(|_, _| Ok(()));
        outbox
            .expect_retry_at()
            .withf(move |id, attempts, at, error| {
                let wait = *at - Utc::now();
                id.get() == 2
                    && *attempts == 3
                    && wait > TimeDelta::seconds(110)
                    && wait <= TimeDelta::seconds(120)
                    && error == "550 <address> refused"
            })
            .times(1)
            .returning(|_, _, _, _| Ok(()));
        outbox
            .expect_give_up()
            .withf(|id, _, _| [3, 4, 5].contains(&id.get()))
            .times(3)
            .returning(|_, _, _| Ok(()));
        let mut transport = MockMailTransport::new();
        transport
            .expect_send()
            .times(4)
            .returning(|mail| match mail.to.as_str() {
                "1@example.org" => Ok(()),
                "4@example.org" => Err(DeliveryError::Undeliverable("bad address".into())),
                _ => Err(DeliveryError::Retry("550 <2@example.org> refused".into())),
            });
        let round = service(outbox, transport).deliver_due().unwrap();
        assert_eq!(
            round,
            Round {
                claimed: 5,
                delivered: 1,
                retrying: 1,
                given_up: 3
            },
            "the expired one is given up unsent"
        );
    }

    #[test]
    fn a_round_ends_after_a_batch_and_when_nothing_is_due() {
        let now = Utc::now();
        let mut outbox = handing_out((1..=BATCH as i64 + 2).map(|id| queued(id, now, 1)).collect());
        outbox.expect_delivered().returning(|_, _| Ok(()));
        let mut transport = MockMailTransport::new();
        transport.expect_send().returning(|_| Ok(()));
        let mail = service(outbox, transport);
        assert_eq!(mail.deliver_due().unwrap().delivered, BATCH as usize);
        assert_eq!(mail.deliver_due().unwrap().delivered, 2);
        assert_eq!(mail.deliver_due().unwrap(), Round::default());
    }

    #[test]
    fn a_failure_to_record_a_delivery_stops_the_round() {
        let now = Utc::now();
        let mut outbox = handing_out(vec![queued(1, now, 1), queued(2, now, 1)]);
        outbox
            .expect_delivered()
            .times(1)
            .returning(|_, _| Err(plaza_domain::RepoError::Unavailable("disk full".into())));
        let mut transport = MockMailTransport::new();
        // The second mail is not claimed: the store is failing.
        transport.expect_send().times(1).returning(|_| Ok(()));
        assert!(service(outbox, transport).deliver_due().is_err());
    }

    #[test]
    fn failures_are_kept_without_the_addresses_they_quote() {
        assert_eq!(
            without_addresses("550 5.1.1 <bob@example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
        assert_eq!(without_addresses("connection refused"), "connection refused");
    }

    #[test]
    fn the_doorbell_wakes_the_worker_and_stopping_ends_it() {
        let bell = Arc::new(Doorbell::default());
        let ringer = bell.clone();
        let started = std::time::Instant::now();
        let thread = std::thread::spawn(move || ringer.ring());
        assert!(bell.wait(Duration::from_secs(30)), "rung, not stopped");
        assert!(started.elapsed() < Duration::from_secs(30));
        thread.join().unwrap();
        bell.stop();
        assert!(!bell.wait(Duration::from_secs(30)));
    }
}
