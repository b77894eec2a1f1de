//! The Plaza server: configuration, wiring and the sample community, shared by the `plaza` binary and the
//! end-to-end tests (which run the very same wiring on a temporary database).

pub mod config;
pub mod sample;
pub mod wiring;

use anyhow::Context;

pub use config::Config;

/// Binds `config.host:config.port` and returns the server, not yet running, with the port it bound (so
/// that port 0 works) — the caller awaits it.
pub fn server(config: &Config) -> anyhow::Result<(actix_web::dev::Server, u16)> {
    let services = wiring::services(config)?;
    let state = plaza_http::AppState { services };
    let mut server = actix_web::HttpServer::new(move || plaza_http::app(state.clone()));
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
