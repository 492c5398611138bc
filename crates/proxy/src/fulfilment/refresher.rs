//! The catalogue refresher: the catalogue is fetched again every TTL (and at least
//! daily), so that widgets are served from memory and never wait for the upstream.

use crate::state::AppState;

/// One refresh; a failure keeps the last good catalogue and is counted as an upstream
/// error.
pub async fn refresh(state: &AppState) {
    if let Err(e) = state.catalog.refresh().await {
        state.upstream_error(e);
    }
}
