//! The Plaza server: configuration, wiring and the sample community, shared by the `plaza` binary and the
//! end-to-end tests (which run the very same wiring on a temporary database).

pub mod config;
pub mod sample;
pub mod wiring;

use std::time::Duration;

use anyhow::Context;
use plaza_http::connections::ConnectionLimit;

pub use config::Config;

/// A client that stops reading (a full receive window, say after pipelining requests it never reads the
/// answers to) would otherwise hold its connection forever: the kernel closes a connection whose sent
/// data stays unacknowledged for `timeout`, zero-window probes included.
fn cut_off_clients_that_stop_reading(tcp: &actix_web::rt::net::TcpStream, timeout: Duration) {
    if timeout.is_zero() {
        return;
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(error) = socket2::SockRef::from(tcp).set_tcp_user_timeout(Some(timeout)) {
        tracing::debug!(%error, "cannot set TCP_USER_TIMEOUT");
    }
}

/// Binds `config.host:config.port` and returns the server, not yet running, with the port it bound (so
/// that port 0 works) — the caller awaits it.
pub fn server(config: &Config) -> anyhow::Result<(actix_web::dev::Server, u16)> {
    let services = wiring::services(config)?;
    let state = plaza_http::AppState {
        services,
        settings: plaza_http::HttpSettings {
            body_idle: Duration::from_millis(config.body_idle_timeout_ms),
            ..Default::default()
        },
    };
    let connections = ConnectionLimit::new(config.max_connections_per_client);
    let write_timeout = Duration::from_secs(config.response_write_timeout_secs);
    let mut server = actix_web::HttpServer::new(move || plaza_http::app(state.clone())).on_connect(
        move |connection, data| {
            if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
                if let Ok(peer) = tcp.peer_addr() {
                    data.insert(connections.open(peer.ip()));
                }
                cut_off_clients_that_stop_reading(tcp, write_timeout);
            }
        },
    );
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = server
        .bind((config.host.as_str(), config.port))
        .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
    let port = server
        .addrs()
        .first()
        .map(|address| address.port())
        .unwrap_or(config.port);
    Ok((server.run(), port))
}
