//! Pages of the lists: placeholder until the page templates land.
use axum::Router;

use crate::AppState;

pub fn public_routes() -> Router<AppState> {
    Router::new()
}

pub fn routes() -> Router<AppState> {
    Router::new()
}
