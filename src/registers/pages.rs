//! The register files for the pages (session cookie): the list pages' filter forms
//! submit to `/registers/{name}` with an export button, so the file holds what the page
//! was narrowed to.
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::store::RegisterOptions;
use crate::platform::page::ListFilter;
use crate::platform::auth::Caller;
use crate::web::{self, PageError};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    web::open(super::api::READERS, Router::new().route("/registers/{name}", get(download)))
}

async fn download(State(st): State<AppState>, caller: Caller, Path(name): Path<String>, Query(f): Query<ListFilter>, Query(o): Query<RegisterOptions>) -> Result<Response, PageError> {
    Ok(super::api::download(&st, &caller, &name, &f, &o).await?)
}
