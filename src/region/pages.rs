//! `/region`: the filings (备案) of the user's jurisdiction and those under it, and the
//! way into a county below (read-only) and back.
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::api::{FilingOut, READERS};
use super::store;
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::platform::page::PageQuery;
use crate::web::{self, form_errors, render, DoneQuery, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let readers = Router::new().route("/region", get(region_page));
    let reviewer = Router::new().route("/lists/filing", post(file_lists));
    // Open to every role: it is also how a session looking into a county below (acting
    // as that county's supervisor) returns home.
    let everyone = Router::new().route("/region/view", post(view));
    web::open(READERS, readers).merge(web::open(&[Role::Reviewer], reviewer)).merge(web::open(ALL_ROLES, everyone))
}

#[derive(Template)]
#[template(path = "region.html")]
struct RegionPage {
    layout: Layout,
    overview: store::Overview,
    filings: Vec<(FilingOut, String)>,
    next_cursor: Option<String>,
    /// Civil affairs at home may file its lists.
    can_file: bool,
    viewing_below: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

async fn region_page(State(st): State<AppState>, caller: Caller, Query(d): Query<DoneQuery>, Query(pq): Query<PageQuery>) -> PageResult {
    let notice = match d.done.as_deref() {
        Some("filed") => Some("清单已报送备案"),
        Some("home") => Some("已返回本级"),
        _ => None,
    };
    render_page(&st, &caller, pq, vec![], notice, StatusCode::OK).await
}

async fn render_page(st: &AppState, caller: &Caller, pq: PageQuery, errors: Vec<String>, notice: Option<&'static str>, status: StatusCode) -> PageResult {
    let overview = store::overview(&st.db, caller).await?;
    let f = store::FilingFilter { county_id: None, kind: None, year: None };
    let page = store::filings(&st.db, caller, &f, pq.parse()?).await?;
    let names: std::collections::HashMap<i64, String> = overview.below.iter().chain([&overview.own]).map(|b| (b.id, b.name.clone())).collect();
    let next_cursor = page.next_cursor;
    let filings = page.items.into_iter().map(|f| {
        let name = names.get(&f.county_id).cloned().unwrap_or_default();
        (FilingOut::from(f), name)
    });
    let page = RegionPage {
        layout: Layout::for_caller(st, caller, "备案与下级").await?,
        overview,
        filings: filings.collect(),
        next_cursor,
        can_file: caller.role == Role::Reviewer && !caller.viewing_below(),
        viewing_below: caller.viewing_below(),
        errors,
        notice,
    };
    render(status, &page)
}

async fn file_lists(State(st): State<AppState>, caller: Caller) -> PageResult {
    match store::file_lists(&st.db, &caller).await {
        Ok(_) => Ok(Redirect::to("/region?done=filed").into_response()),
        Err(e) => render_page(&st, &caller, PageQuery::default(), form_errors(e)?, None, StatusCode::CONFLICT).await,
    }
}

#[derive(Deserialize)]
struct ViewForm {
    /// A jurisdiction's id, or `home`.
    #[serde(default)]
    county_id: String,
}

async fn view(State(st): State<AppState>, caller: Caller, Form(f): Form<ViewForm>) -> PageResult {
    let id = match f.county_id.trim() {
        "home" => caller.home_county_id,
        s => s.parse().map_err(|_| AppError::invalid("county_id", "请选择要查看的下级行政区"))?,
    };
    store::view(&st.db, &caller, id).await?;
    Ok(Redirect::to(if id == caller.home_county_id { "/region?done=home" } else { "/" }).into_response())
}
