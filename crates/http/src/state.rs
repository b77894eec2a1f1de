//! What every handler can reach.

use std::time::Duration;

use plaza_app::Services;

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
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            body_idle: Duration::from_secs(10),
            body_total: Duration::from_secs(60),
        }
    }
}
