//! A domain [`Mail`] as an RFC 5322 message: `multipart/alternative` with the plain text first and the
//! HTML second, both UTF-8 (inside `multipart/mixed` with the attachment when there is one); the subject
//! encoded as RFC 2047 when it is not ASCII; the stored `Message-ID`; and for mail a preference turns
//! off, `List-Unsubscribe` with `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use plaza_domain::mail::{DeliveryError, Mail};

/// The sender, `MAIL_FROM` (`Plaza <plaza@example.org>` or a bare address).
#[derive(Debug, Clone)]
pub struct FromAddress(Mailbox);

/// `MAIL_FROM` is not an address.
#[derive(Debug, Clone, thiserror::Error)]
#[error("MAIL_FROM: {0:?} is not an address like \"Plaza <plaza@example.org>\" or plaza@example.org")]
pub struct InvalidFrom(String);

impl FromAddress {
    pub fn parse(raw: &str) -> Result<Self, InvalidFrom> {
        raw.trim()
            .parse::<Mailbox>()
            .map(Self)
            .map_err(|_| InvalidFrom(raw.to_owned()))
    }

    /// The domain of the address (for `Message-ID`s).
    pub fn domain(&self) -> &str {
        self.0.email.domain()
    }
}

/// `mail` from `from`, ready to send or to write.
pub(crate) fn build(from: &FromAddress, mail: &Mail) -> Result<Message, DeliveryError> {
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|error| DeliveryError::Undeliverable(format!("recipient address: {error}")))?;
    let undeliverable =
        |what: &str, error: &dyn std::fmt::Display| DeliveryError::Undeliverable(format!("{what}: {error}"));
    let mut builder = Message::builder()
        .from(from.0.clone())
        .to(to)
        .subject(mail.subject.as_str())
        .message_id(Some(mail.message_id.clone()));
    if let Some(url) = &mail.unsubscribe {
        builder = builder
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let bodies = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(mail.html.clone()),
        );
    let message = match &mail.attachment {
        None => builder.multipart(bodies),
        Some(file) => {
            let content_type = ContentType::parse(&file.content_type)
                .map_err(|error| undeliverable("attachment type", &error))?;
            builder.multipart(
                MultiPart::mixed()
                    .multipart(bodies)
                    .singlepart(Attachment::new(file.name.clone()).body(file.body.clone(), content_type)),
            )
        }
    };
    message.map_err(|error| undeliverable("building the message", &error))
}
