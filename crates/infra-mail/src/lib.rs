//! Plaza's mail adapters for the domain's [`MailTransport`](plaza_domain::mail::MailTransport): an SMTP
//! client ([`SmtpMailer`], `lettre` with rustls) configured by `SMTP_URL`, and a directory of `.eml`
//! files ([`MailDir`]) for development without a mail server.

mod files;
mod message;
mod smtp;
mod smtp_url;

pub use files::MailDir;
pub use message::{FromAddress, InvalidFrom};
pub use smtp::SmtpMailer;
pub use smtp_url::{Security, SmtpUrl, SmtpUrlError};
