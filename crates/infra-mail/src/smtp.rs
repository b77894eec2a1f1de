//! Mail through an SMTP server.

use std::time::Duration;

use lettre::Transport;
use lettre::transport::smtp::SmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use plaza_domain::mail::{DeliveryError, Mail, MailTransport};

use crate::message::{FromAddress, build};
use crate::smtp_url::{Security, SmtpUrl};

/// How long one step of a conversation with the server may take (connecting, each command): a server that
/// hangs fails the attempt, which is retried later.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// [`MailTransport`] over SMTP: a connection per mail (mail is rare; no pool to go stale).
pub struct SmtpMailer {
    transport: SmtpTransport,
    from: FromAddress,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A client of the server `url` names, sending as `from`. Nothing is connected yet.
    pub fn new(url: &SmtpUrl, from: FromAddress) -> Result<Self, String> {
        let builder = match url.security {
            Security::StartTls => SmtpTransport::starttls_relay(&url.host),
            Security::Implicit => SmtpTransport::relay(&url.host),
            Security::Plaintext => Ok(SmtpTransport::builder_dangerous(url.host.as_str())),
        }
        .map_err(|error| format!("SMTP_URL: {error}"))?;
        let mut builder = builder.port(url.port).timeout(Some(TIMEOUT));
        if let Some((user, password)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

impl MailTransport for SmtpMailer {
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let message = build(&self.from, mail)?;
        // Every failure is worth another try, permanent answers (5xx) too: a server that refuses today (a
        // full mailbox, a misconfiguration) may accept tomorrow, and the outbox gives up after a day.
        self.transport
            .send(&message)
            .map(drop)
            .map_err(|error| DeliveryError::Retry(describe(&error)))
    }
}

/// The error and its causes on one line (lettre's own message is terse: "network error").
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
