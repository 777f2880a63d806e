//! Pages of funds: placeholder until the templates land.
use axum::Router;

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
}
