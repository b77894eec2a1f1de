//! Who the client is: the address every per-client rule (login throttling, limits) and the log use.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's address: the TCP peer. A forwarded-for header is not evidence, since any client can set
/// one.
pub fn address(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|peer| peer.ip())
}
