//! Start-up while the database cannot be reached yet (PostgreSQL starting beside Plaza, a network not up):
//! the port is bound at once and answers as a probe expects — `/livez` `200`, `/readyz` and `/health`
//! `503`, everything else `503` with `Retry-After` — while the store is opened again and again with a
//! growing pause. Once it opens, the real server takes over the same socket: connections arriving in
//! between wait in its backlog, none is refused.

use std::net::TcpListener;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use anyhow::Context;
use plaza_http::ApiError;

use crate::Opened;
use crate::config::Config;

/// The first pause between two attempts; each next one doubles, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const LONGEST_PAUSE: Duration = Duration::from_secs(10);

/// Binds `config.host:config.port` as the server would: every address the host resolves to (`localhost`
/// is two), with actix-web's backlog.
pub fn bind(config: &Config) -> anyhow::Result<Vec<TcpListener>> {
    use std::net::ToSocketAddrs;
    let cannot = || format!("cannot listen on {}:{}", config.host, config.port);
    let mut listeners = Vec::new();
    for address in (config.host.as_str(), config.port)
        .to_socket_addrs()
        .with_context(cannot)?
    {
        let socket = socket2::Socket::new(
            socket2::Domain::for_address(address),
            socket2::Type::STREAM,
            Some(socket2::Protocol::TCP),
        )
        .with_context(cannot)?;
        socket.set_reuse_address(true).with_context(cannot)?;
        if address.is_ipv6() {
            // As actix-web does: an IPv6 socket does not also take the IPv4 port bound beside it.
            socket.set_only_v6(true).with_context(cannot)?;
        }
        socket.bind(&address.into()).with_context(cannot)?;
        socket.listen(1024).with_context(cannot)?;
        listeners.push(socket.into());
    }
    if listeners.is_empty() {
        anyhow::bail!("{}: the host resolves to no address", cannot());
    }
    Ok(listeners)
}

/// What every request hears while Plaza waits for its database.
async fn not_ready(req: HttpRequest) -> HttpResponse {
    if req.path() == "/livez" {
        return HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(r#"{"status":"alive"}"#);
    }
    let mut response =
        ApiError::unavailable("starting: waiting for the database; try again shortly").error_response();
    response.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("5"),
    );
    response
}

/// The stand-in server on clones of `listeners` (HTTPS when a certificate is configured), running. It
/// keeps no connection alive and stops within a second, so the hand-over never waits on a client.
pub fn stand_in(config: &Config, listeners: &[TcpListener]) -> anyhow::Result<actix_web::dev::Server> {
    let certificates = match (&config.tls_cert_path, &config.tls_key_path) {
        (Some(cert), Some(key)) => Some(crate::tls::Certificates::load(cert, key)?),
        _ => None,
    };
    let mut server = actix_web::HttpServer::new(|| actix_web::App::new().default_service(web::to(not_ready)))
        .workers(1)
        .keep_alive(actix_web::http::KeepAlive::Disabled)
        .shutdown_timeout(1)
        .disable_signals();
    for listener in listeners {
        let listener = listener.try_clone().context("sharing the listening socket")?;
        server = match &certificates {
            Some(certificates) => server.listen_rustls_0_23(listener, certificates.server_config()?)?,
            None => server.listen(listener)?,
        };
    }
    Ok(server.run())
}

/// Opens the store, again and again while the database cannot be reached, saying so each time. Any
/// other failure (a bad setting, a database another Plaza holds) ends it at once.
pub fn open_when_reachable(config: &Config) -> anyhow::Result<Opened> {
    let mut pause = FIRST_PAUSE;
    loop {
        match crate::open(config) {
            Err(error) if crate::wiring::is_unreachable(&error) => {
                tracing::warn!(
                    cause = format!("{error:#}"),
                    retry_in_ms = u64::try_from(pause.as_millis()).unwrap_or(u64::MAX),
                    "the database cannot be reached yet; /readyz answers 503 until it can"
                );
                std::thread::sleep(pause);
                pause = (pause * 2).min(LONGEST_PAUSE);
            }
            opened => return opened,
        }
    }
}
