//! The inbox page, marking an item read, and the county report's download.
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use crate::inbox::{Item, Kind};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::web::{self, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new().route("/inbox", get(inbox_page)).route("/inbox/{id}/read", post(read));
    web::open(&Role::ALL, everyone).merge(web::open(super::api::COUNTY_READERS, Router::new().route("/county-report", get(county_report))))
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    layout: Layout,
    kind: Option<String>,
    total: usize,
    /// (kind, label, count) of the kinds present.
    kinds: Vec<(String, &'static str, usize)>,
    items: Vec<Item>,
}

#[derive(Deserialize)]
struct KindQuery {
    kind: Option<String>,
}

async fn inbox_page(State(st): State<AppState>, caller: Caller, Query(q): Query<KindQuery>) -> PageResult {
    let all = crate::inbox::store::cached(&st, &caller).await?;
    let kinds = crate::inbox::counts(&all).into_iter().map(|(k, n)| (k.as_str().to_string(), k.label(), n)).collect();
    let kind = q.kind.filter(|k| Kind::ALL.iter().any(|x| x.as_str() == k));
    let total = all.len();
    let items = all.into_iter().filter(|i| kind.as_deref().is_none_or(|k| i.kind.as_str() == k)).collect();
    render(axum::http::StatusCode::OK, &InboxPage { layout: Layout::for_caller(&st, &caller, "待办").await?, kind, total, kinds, items })
}

async fn read(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> PageResult {
    crate::inbox::store::mark_read(&st.db, &caller, &id, st.clock.today()).await?;
    Ok(Redirect::to("/inbox").into_response())
}

async fn county_report(State(st): State<AppState>, caller: Caller, Query(q): Query<super::county::ReportQuery>) -> PageResult {
    Ok(super::api::county_file(&st, &caller, &q).await?)
}
