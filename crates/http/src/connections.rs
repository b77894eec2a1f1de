//! Connections per client address. Each accepted connection takes a slot for its client (registered by
//! the server when the connection opens, given back when it closes); a client past its cap gets `429` on
//! that connection's first request, which is then closed. So one address cannot hold every file
//! descriptor the process has, whatever it does with its connections. IPv6 clients count per `/64`, the
//! block one subscriber usually gets.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::dev::ServiceRequest;
use actix_web::http::ConnectionType;
use actix_web::{HttpResponse, ResponseError};

use crate::error::ApiError;

/// How many connections one client address may have open at once.
#[derive(Debug)]
pub struct ConnectionLimit {
    max_per_client: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place in its client's count.
#[derive(Debug)]
pub struct ConnectionSlot {
    limit: Arc<ConnectionLimit>,
    client: IpAddr,
    over_limit: bool,
}

impl ConnectionLimit {
    /// `0` turns the cap off.
    pub fn new(max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max_per_client,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `peer`.
    pub fn open(self: &Arc<Self>, peer: IpAddr) -> ConnectionSlot {
        let client = client_key(peer);
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(client).or_default();
        *count += 1;
        ConnectionSlot {
            limit: self.clone(),
            client,
            over_limit: self.max_per_client > 0 && *count > self.max_per_client,
        }
    }

    /// Connections `peer`'s client has open now.
    pub fn open_from(&self, peer: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&client_key(peer)).copied().unwrap_or(0)
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.limit.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.client);
            }
        }
    }
}

/// IPv4 addresses as they are; IPv6 by their `/64`.
fn client_key(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
        v4 => v4,
    }
}

/// Whether the request's connection is one too many for its client.
pub fn is_excess(req: &ServiceRequest) -> bool {
    req.conn_data::<ConnectionSlot>()
        .is_some_and(|slot| slot.over_limit)
}

/// The answer to an excess connection: `429`, and the connection closed.
pub fn refusal() -> HttpResponse {
    crate::metrics::refused(crate::metrics::Refusal::Connections);
    let mut response = ApiError::rate_limited("too many connections from your address", 1).error_response();
    response.head_mut().set_connection_type(ConnectionType::Close);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_client_and_gives_slots_back() {
        let limit = ConnectionLimit::new(2);
        let peer: IpAddr = "10.0.0.1".parse().unwrap();
        let first = limit.open(peer);
        let second = limit.open(peer);
        let third = limit.open(peer);
        assert!(!first.over_limit && !second.over_limit && third.over_limit);
        assert!(
            !limit.open("10.0.0.2".parse().unwrap()).over_limit,
            "another client"
        );
        drop((first, third));
        assert_eq!(limit.open_from(peer), 1);
        assert!(!limit.open(peer).over_limit);
        drop(second);
        assert_eq!(limit.open_from(peer), 0);
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let limit = ConnectionLimit::new(1);
        let _one = limit.open("2001:db8:1:2::1".parse().unwrap());
        assert!(limit.open("2001:db8:1:2:ffff::9".parse().unwrap()).over_limit);
        assert!(!limit.open("2001:db8:1:3::1".parse().unwrap()).over_limit);
        assert_eq!(limit.open_from("::ffff:10.0.0.1".parse().unwrap()), 0);
    }

    #[test]
    fn zero_means_no_cap() {
        let limit = ConnectionLimit::new(0);
        let slots: Vec<_> = (0..1000)
            .map(|_| limit.open("10.0.0.1".parse().unwrap()))
            .collect();
        assert!(slots.iter().all(|slot| !slot.over_limit));
    }
}
