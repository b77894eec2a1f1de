//! What Plaza's mails say, in each language a user can read Plaza in: every mail as plain text and as
//! HTML, from the same paragraphs.

use plaza_domain::mail::Mail;
use plaza_domain::user::{Locale, User};

/// One piece of a mail's body.
enum Piece {
    /// A paragraph of text.
    Text(String),
    /// A link on a line of its own (a button in HTML).
    Link { label: String, url: String },
}

/// A mail's words, before they become a [`Mail`].
pub(crate) struct Letter {
    locale: Locale,
    subject: String,
    pieces: Vec<Piece>,
}

impl Letter {
    fn new(locale: Locale, subject: impl Into<String>) -> Self {
        Self {
            locale,
            subject: subject.into(),
            pieces: Vec::new(),
        }
    }

    fn text(mut self, paragraph: impl Into<String>) -> Self {
        self.pieces.push(Piece::Text(paragraph.into()));
        self
    }

    fn link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.pieces.push(Piece::Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }

    /// The mail to `to`, with this `Message-ID`.
    pub(crate) fn into_mail(self, to: &str, message_id: String) -> Mail {
        let text = self
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(paragraph) => paragraph.clone(),
                Piece::Link { label, url } => format!("{label}:\n{url}"),
            })
            .collect::<Vec<_>>()
            .join("\n\n");
        let body: String = self
            .pieces
            .iter()
            .map(|piece| match piece {
                Piece::Text(paragraph) => format!("<p>{}</p>\n", escape_html(paragraph)),
                Piece::Link { label, url } => format!(
                    "<p><a href=\"{}\" style=\"display:inline-block;padding:10px 18px;background:#1f5fbf;\
                     color:#ffffff;border-radius:6px;text-decoration:none\">{}</a></p>\n\
                     <p style=\"font-size:13px;color:#555555\">{}</p>\n",
                    escape_html(url),
                    escape_html(label),
                    escape_html(url)
                ),
            })
            .collect();
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"{}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
             <body style=\"font-family:sans-serif;line-height:1.5;color:#1a1a1a\">\n{body}</body>\n</html>\n",
            self.locale.as_str(),
            escape_html(&self.subject)
        );
        Mail {
            to: to.to_owned(),
            subject: self.subject,
            text: format!("{text}\n"),
            html,
            message_id,
        }
    }
}

/// Text made safe inside HTML elements and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The link to choose a new password: `url` holds the token.
pub(crate) fn password_reset(user: &User, url: &str) -> Letter {
    let name = user.display_name();
    match user.locale {
        Locale::En => Letter::new(Locale::En, "Choose a new password for Plaza")
            .text(format!("Hello {name},"))
            .text(format!(
                "Someone (we hope you) asked to choose a new password for the Plaza account \"{}\".",
                user.username
            ))
            .link("Choose a new password", url)
            .text(
                "The link works once, for 30 minutes. If you did not ask for it, ignore this mail: your \
                 password stays as it is.",
            ),
        Locale::ZhCn => Letter::new(Locale::ZhCn, "设置新的 Plaza 密码")
            .text(format!("{name}，你好："))
            .text(format!(
                "有人（希望是你）请求为 Plaza 账户“{}”设置新密码。",
                user.username
            ))
            .link("设置新密码", url)
            .text("此链接只能使用一次，30 分钟内有效。如果这不是你的请求，请忽略此邮件，你的密码不会改变。"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_text_keeps_the_words() {
        let mail = Letter::new(Locale::En, "A <b> & \"c\"")
            .text("1 < 2 & 'x'")
            .link("Go", "https://plaza.example/#/a?b=1&c=2")
            .into_mail("a@example.org", "<id@example.org>".into());
        assert_eq!(mail.subject, "A <b> & \"c\"");
        assert!(mail.text.contains("1 < 2 & 'x'"));
        assert!(mail.text.contains("Go:\nhttps://plaza.example/#/a?b=1&c=2"));
        assert!(mail.html.contains("<p>1 &lt; 2 &amp; &#39;x&#39;</p>"));
        assert!(
            mail.html
                .contains("href=\"https://plaza.example/#/a?b=1&amp;c=2\"")
        );
        assert!(
            mail.html
                .contains("<title>A &lt;b&gt; &amp; &quot;c&quot;</title>")
        );
        assert!(!mail.html.contains("<b>"));
    }
}
