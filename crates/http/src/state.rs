//! What every handler can reach.

use plaza_app::Services;

use crate::settings::HttpSettings;

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
