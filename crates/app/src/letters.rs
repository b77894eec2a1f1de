//! What Plaza's mails say, in each language a user can read Plaza in: every mail as plain text and as
//! HTML, from the same paragraphs.

use plaza_domain::mail::Mail;
use plaza_domain::notification::{Notification, NotificationSubject};
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
                Piece::Text(paragraph) => {
                    format!("<p>{}</p>\n", escape_html(paragraph).replace('\n', "<br>\n"))
                }
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
            unsubscribe: None,
            attachment: None,
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

/// The link that verifies an address: `url` holds the token. `name` is how the account is greeted.
pub(crate) fn email_verification(name: &str, username: &str, locale: Locale, url: &str) -> Letter {
    match locale {
        Locale::En => Letter::new(Locale::En, "Confirm your e-mail address for Plaza")
            .text(format!("Hello {name},"))
            .text(format!(
                "Please confirm that this is the address of the Plaza account \"{username}\"."
            ))
            .link("Confirm my address", url)
            .text(
                "The link works for 24 hours. If you did not give Plaza this address, ignore this mail: \
                 nothing is sent to it unless someone confirms it.",
            ),
        Locale::ZhCn => Letter::new(Locale::ZhCn, "确认你在 Plaza 的电子邮件地址")
            .text(format!("{name}，你好："))
            .text(format!("请确认这是 Plaza 账户“{username}”的电子邮件地址。"))
            .link("确认我的地址", url)
            .text("此链接 24 小时内有效。如果你没有向 Plaza 提供过这个地址，请忽略此邮件。"),
    }
}

/// One notification as a line of a mail, in `locale`.
fn notification_line(notification: &Notification, locale: Locale) -> String {
    let sender = &notification.sender;
    match (&notification.subject, locale) {
        (NotificationSubject::Comment { event_name }, Locale::En) => {
            format!("{sender} commented on \u{201c}{event_name}\u{201d}")
        }
        (NotificationSubject::Comment { event_name }, Locale::ZhCn) => {
            format!("{sender} 评论了\u{201c}{event_name}\u{201d}")
        }
        (NotificationSubject::PlacesGiven { event_name, .. }, Locale::En) => {
            format!("You have tickets to \u{201c}{event_name}\u{201d}")
        }
        (NotificationSubject::PlacesGiven { event_name, .. }, Locale::ZhCn) => {
            format!("你获得了\u{201c}{event_name}\u{201d}的门票")
        }
        (NotificationSubject::EventMoved { event_name, .. }, Locale::En) => {
            format!("\u{201c}{event_name}\u{201d} has moved")
        }
        (NotificationSubject::EventMoved { event_name, .. }, Locale::ZhCn) => {
            format!("\u{201c}{event_name}\u{201d}的时间有变")
        }
        (NotificationSubject::EventCancelled { event_name }, Locale::En) => {
            format!("\u{201c}{event_name}\u{201d} is cancelled")
        }
        (NotificationSubject::EventCancelled { event_name }, Locale::ZhCn) => {
            format!("\u{201c}{event_name}\u{201d}已取消")
        }
        (NotificationSubject::Message, _) => format!("{sender}: {}", notification.message),
    }
}

/// A time as `user` reads it: on their clocks, with their zone's name.
fn local_time(user: &User, at: chrono::DateTime<chrono::Utc>) -> String {
    let local = user.time_zone.local(at);
    match user.locale {
        Locale::En => format!(
            "{} ({})",
            local.format("%A %-d %B %Y, %H:%M"),
            user.time_zone.as_str()
        ),
        Locale::ZhCn => format!(
            "{}（{}）",
            local.format("%Y年%-m月%-d日 %H:%M"),
            user.time_zone.as_str()
        ),
    }
}

/// A mail listing `user`'s new notifications (`listed` of `unread` in all), with the link that turns such
/// mail off.
pub(crate) fn notifications(
    user: &User,
    listed: &[Notification],
    unread: i64,
    origin: &str,
    unsubscribe_page: &str,
    daily: bool,
) -> Letter {
    let locale = user.locale;
    let name = user.display_name();
    let lines: String = listed
        .iter()
        .map(|notification| format!("- {}", notification_line(notification, locale)))
        .collect::<Vec<_>>()
        .join("\n");
    let more = unread - listed.len() as i64;
    let inbox = format!("{origin}/#/notifications");
    match locale {
        Locale::En => {
            let subject = match (daily, unread) {
                (true, _) => format!("Your Plaza day: {unread} new notification{}", plural(unread)),
                (false, 1) => "A new notification on Plaza".to_owned(),
                (false, _) => format!("{unread} new notifications on Plaza"),
            };
            let mut letter = Letter::new(locale, subject)
                .text(format!("Hello {name},"))
                .text(lines);
            if more > 0 {
                letter = letter.text(format!("…and {more} more."));
            }
            letter.link("Open your notifications", inbox).text(format!(
                "You get this mail because notification mail is set to \"{}\" in your settings. \
                 Turn it off: {unsubscribe_page}",
                if daily { "daily" } else { "each" }
            ))
        }
        Locale::ZhCn => {
            let subject = if daily {
                format!("你的 Plaza 日报：{unread} 条新通知")
            } else {
                format!("Plaza 上有 {unread} 条新通知")
            };
            let mut letter = Letter::new(locale, subject)
                .text(format!("{name}，你好："))
                .text(lines);
            if more > 0 {
                letter = letter.text(format!("……还有 {more} 条。"));
            }
            letter.link("查看通知", inbox).text(format!(
                "你收到此邮件，是因为你在设置中选择了{}通知邮件。关闭：{unsubscribe_page}",
                if daily { "每日" } else { "逐条" }
            ))
        }
    }
}

fn plural(count: i64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Ticket news for `user`: places given by a waitlist, an event moved or cancelled.
pub(crate) fn ticket_news(user: &User, notification: &Notification, origin: &str) -> Letter {
    let locale = user.locale;
    let name = user.display_name();
    let event_page = notification
        .event_id
        .map(|id| format!("{origin}/#/events/{}", id.get()))
        .unwrap_or_else(|| format!("{origin}/#/tickets"));
    let subject = notification_line(notification, locale);
    let (greeting, details, link) = match (&notification.subject, locale) {
        (NotificationSubject::PlacesGiven { quantity, .. }, Locale::En) => (
            format!("Hello {name},"),
            format!(
                "Places came free and the waitlist gave you {quantity} ticket{}. Your tickets and their \
                 codes are under My tickets.",
                plural(*quantity)
            ),
            "Open the event",
        ),
        (NotificationSubject::PlacesGiven { quantity, .. }, Locale::ZhCn) => (
            format!("{name}，你好："),
            format!("有名额空出，候补名单为你分配了 {quantity} 张门票。你的门票及其验票码在“我的门票”中。"),
            "查看活动",
        ),
        (NotificationSubject::EventMoved { event_time, .. }, Locale::En) => (
            format!("Hello {name},"),
            format!(
                "An event you hold tickets to has a new time: it now starts {}. Your tickets stay valid.",
                local_time(user, *event_time)
            ),
            "Open the event",
        ),
        (NotificationSubject::EventMoved { event_time, .. }, Locale::ZhCn) => (
            format!("{name}，你好："),
            format!(
                "你持有门票的活动时间有变，现在开始于 {}。你的门票仍然有效。",
                local_time(user, *event_time)
            ),
            "查看活动",
        ),
        (NotificationSubject::EventCancelled { .. }, Locale::En) => (
            format!("Hello {name},"),
            "An event you held tickets to is cancelled: your tickets to it no longer admit anyone."
                .to_owned(),
            "Open My tickets",
        ),
        (NotificationSubject::EventCancelled { .. }, Locale::ZhCn) => (
            format!("{name}，你好："),
            "你持有门票的活动已取消，这些门票不再有效。".to_owned(),
            "查看我的门票",
        ),
        (_, Locale::En) => (
            format!("Hello {name},"),
            notification.message.clone(),
            "Open Plaza",
        ),
        (_, Locale::ZhCn) => (
            format!("{name}，你好："),
            notification.message.clone(),
            "打开 Plaza",
        ),
    };
    let target = match notification.subject {
        NotificationSubject::EventCancelled { .. } => format!("{origin}/#/tickets"),
        _ => event_page,
    };
    Letter::new(locale, subject)
        .text(greeting)
        .text(details)
        .link(link, target)
}

/// The buyer's confirmation: the event, when and where, and one line per ticket with its code.
pub(crate) fn tickets(
    user: &User,
    event: &plaza_domain::event::Event,
    codes: &[&str],
    origin: &str,
) -> Letter {
    let locale = user.locale;
    let name = user.display_name();
    let when = local_time(user, event.event_time);
    let place = [
        event.place.venue.as_deref(),
        event.place.address.as_deref(),
        event.place.online_url.as_deref(),
    ]
    .into_iter()
    .flatten()
    .map(|part| {
        part.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    })
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join(" · ");
    let list = codes
        .iter()
        .enumerate()
        .map(|(n, code)| match locale {
            Locale::En => format!("Ticket {}: {code}", n + 1),
            Locale::ZhCn => format!("第 {} 张：{code}", n + 1),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let tickets_page = format!("{origin}/#/tickets");
    let event_name = &event.name;
    match locale {
        Locale::En => {
            let mut letter = Letter::new(locale, format!("Your tickets to \u{201c}{event_name}\u{201d}"))
                .text(format!("Hello {name},"))
                .text(format!(
                    "You have {} ticket{} to \u{201c}{event_name}\u{201d}, {when}.",
                    codes.len(),
                    plural(codes.len() as i64)
                ));
            if !place.is_empty() {
                letter = letter.text(format!("Where: {place}"));
            }
            letter
                .text(format!(
                    "Show a code at the door (My tickets has each as a QR code):\n{list}"
                ))
                .link("Open My tickets", tickets_page)
                .text("The event is attached: open the file to add it to your calendar.")
        }
        Locale::ZhCn => {
            let mut letter = Letter::new(locale, format!("你的\u{201c}{event_name}\u{201d}门票"))
                .text(format!("{name}，你好："))
                .text(format!(
                    "你有 {} 张\u{201c}{event_name}\u{201d}的门票，时间：{when}。",
                    codes.len()
                ));
            if !place.is_empty() {
                letter = letter.text(format!("地点：{place}"));
            }
            letter
                .text(format!("入场时出示验票码（“我的门票”中有二维码）：\n{list}"))
                .link("查看我的门票", tickets_page)
                .text("附件是这个活动的日历文件，打开即可加入你的日历。")
        }
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
