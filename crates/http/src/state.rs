//! What every handler can reach.

use plaza_app::Services;

/// The use cases, shared by every worker.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}
