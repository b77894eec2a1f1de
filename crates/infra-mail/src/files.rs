//! Mail as `.eml` files in a directory: the development default when no `SMTP_URL` is set, so that every
//! mail feature works on the embedded setup — open a file with any mail program, or read it as text.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use plaza_domain::mail::{DeliveryError, Mail, MailTransport};

use crate::message::{FromAddress, build};

/// [`MailTransport`] that writes each mail to `<dir>/<time>-<message id>.eml`.
#[derive(Debug, Clone)]
pub struct MailDir {
    dir: PathBuf,
    from: FromAddress,
}

impl MailDir {
    /// Writes into `dir`, created (readable by its owner only on Unix) when missing.
    pub fn open(dir: &Path, from: FromAddress) -> std::io::Result<Self> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            from,
        })
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// The part of a `Message-ID` safe in a file name.
fn file_stem(message_id: &str) -> String {
    message_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'))
        .take(100)
        .collect()
}

impl MailTransport for MailDir {
    fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let message = build(&self.from, mail)?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_millis())
            .unwrap_or_default();
        let name = format!("{stamp}-{}.eml", file_stem(&mail.message_id));
        let path = self.dir.join(&name);
        let partial = self.dir.join(format!(".{name}.part"));
        // Written aside and renamed: a reader never sees half a mail. The same mail written twice (a
        // retry) replaces nothing: the time differs.
        let written = fs::File::create(&partial)
            .and_then(|mut file| {
                file.write_all(&message.formatted())
                    .and_then(|()| file.sync_all())
            })
            .and_then(|()| fs::rename(&partial, &path));
        written.map_err(|error| DeliveryError::Retry(format!("writing {}: {error}", path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mail_is_one_complete_eml_file() {
        let dir = tempfile::tempdir().unwrap();
        let from = FromAddress::parse("Plaza <plaza@example.org>").unwrap();
        let mails = MailDir::open(&dir.path().join("mail"), from).unwrap();
        let mail = Mail {
            to: "lin@example.org".into(),
            subject: "设置新的 Plaza 密码".into(),
            text: "你好\n".into(),
            html: "<p>你好</p>\n".into(),
            message_id: "<abc123@example.org>".into(),
            unsubscribe: Some("https://plaza.example.org/unsubscribe?token=t".into()),
            attachment: Some(plaza_domain::mail::Attachment {
                name: "event-1.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
                body: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
            }),
        };
        mails.send(&mail).unwrap();
        let files: Vec<_> = fs::read_dir(mails.dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with("-abc123@example.org.eml"), "{name}");
        let text = fs::read_to_string(&files[0]).unwrap();
        assert!(text.contains("Message-ID: <abc123@example.org>"), "{text}");
        assert!(text.contains("To: lin@example.org"), "{text}");
        assert!(
            text.contains("Subject: =?utf-8?"),
            "a non-ASCII subject is encoded: {text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
        assert!(text.contains("multipart/mixed"), "with its attachment: {text}");
        assert!(text.contains("filename=\"event-1.ics\""), "{text}");
        assert!(
            text.contains("List-Unsubscribe: <https://plaza.example.org/unsubscribe?token=t>"),
            "{text}"
        );
        assert!(
            text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{text}"
        );
    }

    #[test]
    fn a_recipient_no_server_could_take_is_undeliverable() {
        let dir = tempfile::tempdir().unwrap();
        let from = FromAddress::parse("plaza@example.org").unwrap();
        let mails = MailDir::open(dir.path(), from).unwrap();
        let mail = Mail {
            to: "not an address".into(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            message_id: "<x@example.org>".into(),
            unsubscribe: None,
            attachment: None,
        };
        assert!(matches!(mails.send(&mail), Err(DeliveryError::Undeliverable(_))));
    }
}
