//! What every handler can reach.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use plaza_app::Services;

use crate::client::TrustedProxies;
use crate::limits::RateLimits;

/// The use cases and the HTTP adapter's own settings, shared by every worker.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub settings: HttpSettings,
}

impl AppState {
    /// The use cases with the default settings.
    pub fn new(services: Services) -> Self {
        Self {
            services,
            settings: HttpSettings::default(),
        }
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// How the HTTP adapter treats clients.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// The longest a request body may pause between two chunks before it is answered `408`.
    pub body_idle: Duration,
    /// The longest a whole request body may take.
    pub body_total: Duration,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Per-client request rates.
    pub rate_limits: Arc<RateLimits>,
    /// Origins other than Plaza's own that browsers may call it from (CORS); `*` for any.
    pub cors_origins: Vec<String>,
    /// Whether responses carry `Strict-Transport-Security` (when Plaza serves HTTPS itself).
    pub hsts: bool,
    /// Whether the server is shutting down.
    pub lifecycle: Arc<Lifecycle>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_idle: Duration::from_secs(10),
            body_total: Duration::from_secs(60),
            trusted_proxies: TrustedProxies::default(),
            rate_limits: Arc::new(RateLimits::default()),
            cors_origins: Vec::new(),
            hsts: false,
            lifecycle: Arc::default(),
        }
    }
}

/// The server's phase, for readiness: once draining, `/health` answers `503` (so a load balancer stops
/// sending traffic), every response asks the client to close its connection, and live streams end.
#[derive(Debug, Default)]
pub struct Lifecycle {
    draining: AtomicBool,
    streams: Option<Arc<plaza_app::Hub>>,
}

impl Lifecycle {
    /// A lifecycle whose draining also ends the streams of `streams` (and refuses new ones).
    pub fn ending_streams(streams: Arc<plaza_app::Hub>) -> Self {
        Self {
            draining: AtomicBool::new(false),
            streams: Some(streams),
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
        if let Some(streams) = &self.streams {
            streams.close();
        }
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}
