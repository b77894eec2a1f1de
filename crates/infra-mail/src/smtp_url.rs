//! `SMTP_URL`: where the mail server is and how to talk to it.
//!
//! - `smtp://user:pass@host:587` — STARTTLS, required: a server that does not offer it gets no mail (and
//!   no password) in the clear. Port 587 unless given.
//! - `smtps://user:pass@host:465` — TLS from the first byte (implicit TLS). Port 465 unless given.
//! - `smtp://host:2525?tls=none` — no TLS at all, accepted only for a loopback host (a test server, a
//!   relay on the same machine). Port 25 unless given.
//!
//! User and password are percent-decoded. Anything else in the URL is refused, so that a typo never
//! quietly turns encryption off.

use std::net::IpAddr;

use percent_encoding::percent_decode_str;
use url::Url;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which the server must offer.
    StartTls,
    /// TLS from the start.
    Implicit,
    /// None (loopback only).
    Plaintext,
}

/// A parsed `SMTP_URL`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// User and password, when the URL has them.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish_non_exhaustive()
    }
}

/// Why an `SMTP_URL` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SMTP_URL: {0}")]
pub struct SmtpUrlError(String);

fn refuse<T>(why: impl Into<String>) -> Result<T, SmtpUrlError> {
    Err(SmtpUrlError(why.into()))
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpUrl {
    /// Reads `raw`; see the module's documentation for what is accepted.
    pub fn parse(raw: &str) -> Result<Self, SmtpUrlError> {
        let url = match Url::parse(raw.trim()) {
            Ok(url) => url,
            Err(error) => {
                return refuse(format!(
                    "not a URL ({error}); e.g. smtp://user:pass@mail.example.org:587"
                ));
            }
        };
        let mut security = match url.scheme() {
            "smtp" => Security::StartTls,
            "smtps" => Security::Implicit,
            other => {
                return refuse(format!(
                    "the scheme must be smtp:// (STARTTLS) or smtps:// (TLS), not {other}://"
                ));
            }
        };
        for (name, value) in url.query_pairs() {
            match (name.as_ref(), value.as_ref()) {
                ("tls", "none") if security == Security::StartTls => security = Security::Plaintext,
                ("tls", "none") => return refuse("smtps:// is TLS: ?tls=none goes with smtp:// only"),
                _ => {
                    return refuse(format!(
                        "unknown parameter {name}={value} (only tls=none, for a loopback server)"
                    ));
                }
            }
        }
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.to_owned(),
            _ => return refuse("no host"),
        };
        if security == Security::Plaintext && !is_loopback(&host) {
            return refuse(format!(
                "?tls=none sends mail and passwords in the clear: only for a server on this machine \
                 (localhost, 127.0.0.1, [::1]), not {host}"
            ));
        }
        if !matches!(url.path(), "" | "/") || url.fragment().is_some() {
            return refuse("no path or fragment: smtp://user:pass@host:port");
        }
        let decode = |part: &str| {
            percent_decode_str(part)
                .decode_utf8()
                .map(|text| text.into_owned())
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, password) => {
                let (Ok(user), Ok(password)) = (decode(user), decode(password.unwrap_or_default())) else {
                    return refuse("the user or password is not UTF-8 once percent-decoded");
                };
                Some((user, password))
            }
        };
        let port = url.port().unwrap_or(match security {
            Security::StartTls => 587,
            Security::Implicit => 465,
            Security::Plaintext => 25,
        });
        Ok(Self {
            host: host.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
            security,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_means_starttls_required_and_smtps_implicit_tls() {
        let url = SmtpUrl::parse("smtp://me%40example.org:p%3Ass@mail.example.org").unwrap();
        assert_eq!(url.security, Security::StartTls);
        assert_eq!(url.port, 587);
        assert_eq!(url.host, "mail.example.org");
        assert_eq!(
            url.credentials,
            Some(("me@example.org".to_owned(), "p:ss".to_owned()))
        );
        let url = SmtpUrl::parse("smtps://mail.example.org:2465").unwrap();
        assert_eq!(
            (url.security, url.port, url.credentials),
            (Security::Implicit, 2465, None)
        );
    }

    #[test]
    fn plaintext_only_for_a_server_on_this_machine() {
        for loopback in [
            "smtp://127.0.0.1:2525?tls=none",
            "smtp://localhost?tls=none",
            "smtp://[::1]:25?tls=none",
        ] {
            let url = SmtpUrl::parse(loopback).unwrap();
            assert_eq!(url.security, Security::Plaintext, "{loopback}");
        }
        assert_eq!(SmtpUrl::parse("smtp://[::1]:25?tls=none").unwrap().host, "::1");
        let refused = SmtpUrl::parse("smtp://mail.example.org?tls=none").unwrap_err();
        assert!(refused.to_string().contains("in the clear"), "{refused}");
        assert!(SmtpUrl::parse("smtps://127.0.0.1?tls=none").is_err());
    }

    #[test]
    fn anything_unexpected_is_refused_rather_than_guessed() {
        for wrong in [
            "mail.example.org:587",
            "http://mail.example.org",
            "smtp://mail.example.org?tls=off",
            "smtp://mail.example.org?starttls=never",
            "smtp://mail.example.org/inbox",
            "smtp://",
        ] {
            assert!(SmtpUrl::parse(wrong).is_err(), "{wrong} was accepted");
        }
    }

    #[test]
    fn the_password_stays_out_of_debug_output() {
        let url = SmtpUrl::parse("smtp://user:hunter22@mail.example.org").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("user"));
    }
}
