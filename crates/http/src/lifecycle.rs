//! While the server drains before shutting down, every response asks its client to close the connection,
//! so keep-alive clients move to a fresh connection (to another instance, or to this one until it stops
//! accepting) instead of having an idle connection closed under them.

use actix_web::dev::ServiceResponse;
use actix_web::http::ConnectionType;
use actix_web::web;

use crate::state::AppState;

/// Asks the client to close its connection when the server is draining.
pub fn close_if_draining<B>(response: &mut ServiceResponse<B>) {
    let draining = response
        .request()
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.settings.lifecycle.is_draining());
    if draining {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
}
