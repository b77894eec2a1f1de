//! Who the client is: the one address that every per-client rule (login throttling, rate limits,
//! connection caps) and the log use.
//!
//! It is the TCP peer — unless the peer is a configured trusted proxy (`TRUSTED_PROXIES`): then it is read
//! from `X-Forwarded-For`, walked from the right (the entry the nearest proxy appended) past every trusted
//! hop, or else from `Forwarded: for=…`. From any other peer those headers are ignored: any client can set
//! them.

use std::net::IpAddr;
use std::str::FromStr;

use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, web};

use crate::settings::{TrustedProxies, canonical};
use crate::state::AppState;

/// The proxies whose forwarding headers are believed, as this app was given them.
fn trusted_proxies(req: &HttpRequest) -> Option<&TrustedProxies> {
    req.app_data::<web::Data<AppState>>()
        .map(|state| &state.settings.trusted_proxies)
}

/// The client's address for `req` (see the module documentation).
pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match trusted_proxies(req) {
        Some(trusted) => client_of(peer, req.headers(), trusted),
        None => canonical(peer),
    })
}

/// The scheme and host the client used, as a trusted proxy in front says (`X-Forwarded-Proto` and
/// `X-Forwarded-Host`, or else `Forwarded: proto=…;host=…`; the first entry: the proxy the client reached).
/// `None` for either when the peer is not a trusted proxy or does not say, or for a scheme other than
/// `http`/`https`.
pub fn forwarded_scheme_and_host(req: &HttpRequest) -> (Option<String>, Option<String>) {
    let from_proxy = req
        .peer_addr()
        .zip(trusted_proxies(req))
        .is_some_and(|(peer, trusted)| trusted.contains(canonical(peer.ip())));
    if !from_proxy {
        return (None, None);
    }
    let headers = req.headers();
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    let forwarded = |name: &str| {
        forwarded_elements(headers)
            .next()
            .and_then(|element| parameter(element, name))
            .map(str::to_owned)
    };
    let scheme = first("x-forwarded-proto")
        .or_else(|| forwarded("proto"))
        .map(|scheme| scheme.to_ascii_lowercase())
        .filter(|scheme| scheme == "http" || scheme == "https");
    let host = first("x-forwarded-host").or_else(|| forwarded("host"));
    (scheme, host)
}

/// The client behind `peer`, given the request's headers.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if trusted.is_empty() || !trusted.contains(peer) {
        return peer;
    }
    let mut hops = forwarded_for(headers);
    if hops.is_empty() {
        hops = forwarded(headers);
    }
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            // An entry that is not an address ends the walk: the last one walked is the best known.
            None => break,
            Some(ip) => {
                client = canonical(ip);
                if !trusted.contains(client) {
                    break;
                }
            }
        }
    }
    client
}

/// The entries of every `X-Forwarded-For` header, in order; `None` for one that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|entry| parse_node(entry.trim()))
        .collect()
}

/// The `for=` parameters of every `Forwarded` header (RFC 7239), in order.
fn forwarded(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    forwarded_elements(headers)
        .filter_map(|element| parameter(element, "for").map(parse_node))
        .collect()
}

/// The elements of every `Forwarded` header (RFC 7239), in order: one per proxy, the client's first.
fn forwarded_elements(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all("forwarded")
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
}

/// The value of parameter `name` in one `Forwarded` element, unquoted.
fn parameter<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:443`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(node) {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return IpAddr::from_str(rest.split(']').next()?).ok();
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    IpAddr::from_str(host).ok()
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = TrustedProxies::parse("10.0.0.1").unwrap();
        let spoofed = headers(&[("X-Forwarded-For", "1.1.1.1"), ("Forwarded", "for=2.2.2.2")]);
        assert_eq!(
            client_of(ip("203.0.113.9"), &spoofed, &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_of(ip("203.0.113.9"), &spoofed, &TrustedProxies::default()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let trusted = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        // The client forged the left entry; the proxies appended the rest.
        let chain = headers(&[("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(client_of(ip("192.168.1.1"), &chain, &trusted), ip("198.51.100.7"));
        let two_headers = headers(&[
            ("X-Forwarded-For", "6.6.6.6"),
            ("X-Forwarded-For", "198.51.100.7:4431"),
        ]);
        assert_eq!(
            client_of(ip("10.9.9.9"), &two_headers, &trusted),
            ip("198.51.100.7")
        );
        let forwarded = headers(&[(
            "Forwarded",
            r#"for="[2001:db8::7]:443";proto=https, for=10.1.1.1"#,
        )]);
        assert_eq!(client_of(ip("10.0.0.5"), &forwarded, &trusted), ip("2001:db8::7"));
        assert_eq!(
            client_of(ip("10.0.0.5"), &HeaderMap::new(), &trusted),
            ip("10.0.0.5"),
            "no header"
        );
        let garbage = headers(&[("X-Forwarded-For", "198.51.100.7, nonsense")]);
        assert_eq!(client_of(ip("10.0.0.5"), &garbage, &trusted), ip("10.0.0.5"));
    }
}
