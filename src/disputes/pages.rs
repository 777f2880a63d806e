//! `/disputes`: civil affairs decides; everyone else reads. The community raises disputes
//! from the contract page.
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::api::DisputeOut;
use super::{store, Decision, Status};
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::platform::page::PageQuery;
use crate::web::{self, form_errors, render, Layout, PageError, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new().route("/disputes", get(list_page));
    let community = Router::new()
        .route("/deliverables/{id}/arbitration", post(arbitration))
        .route("/contracts/{id}/termination-objection", post(contest_termination));
    let reviewer = Router::new().route("/disputes/{id}/decide", post(decide));
    web::open(ALL_ROLES, everyone).merge(web::open(&[Role::Community], community)).merge(web::open(&[Role::Reviewer], reviewer))
}

#[derive(Template)]
#[template(path = "disputes.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<(DisputeOut, String)>,
    can_decide: bool,
    open_only: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    done: Option<String>,
}

async fn list_page(State(st): State<AppState>, caller: Caller, Query(q): Query<ListQuery>, Query(pq): Query<PageQuery>) -> PageResult {
    render_list(&st, &caller, q.status.as_deref() == Some("open"), pq, vec![], q.done.is_some().then_some("已处理"), StatusCode::OK).await
}

async fn render_list(st: &AppState, caller: &Caller, open_only: bool, pq: PageQuery, errors: Vec<String>, notice: Option<&'static str>, status: StatusCode) -> PageResult {
    let page = store::page(&st.db, caller, open_only.then_some(Status::Open), None, pq.parse()?).await?;
    let numbers = crate::contracts::store::numbers(&st.db, caller.county_id, page.items.iter().map(|d| d.contract_id).collect()).await?;
    let rows = page.items.into_iter().map(|d| {
        let n = numbers.get(&d.contract_id).cloned().unwrap_or_default();
        (DisputeOut::from(d), n)
    });
    render(
        status,
        &ListPage { layout: Layout::for_caller(st, caller, "争议与仲裁").await?, rows: rows.collect(), can_decide: caller.role == Role::Reviewer, open_only, errors, notice },
    )
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

async fn arbitration(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<ReasonForm>) -> PageResult {
    let (d, _) = crate::funds::store::find_deliverable(&st.db, &caller, id).await?;
    match store::request_arbitration(&st.db, &caller, id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{}?done=arbitration", d.contract_id)).into_response()),
        Err(e) => crate::contracts::pages::detail_render(&st, &caller, d.contract_id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

async fn contest_termination(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<ReasonForm>) -> PageResult {
    match store::contest_termination(&st.db, &caller, id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=arbitration")).into_response()),
        Err(e) => crate::contracts::pages::detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct DecideForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

async fn decide(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<DecideForm>) -> PageResult {
    let decision = match f.decision.as_str() {
        "uphold" => Decision::Uphold,
        "overturn" => Decision::Overturn,
        _ => return Err(PageError(AppError::invalid("decision", "请选择维持或改判"))),
    };
    match store::decide(&st.db, &caller, id, decision, &f.reason).await {
        Ok(_) => Ok(Redirect::to("/disputes?done=1").into_response()),
        Err(e) => render_list(&st, &caller, false, PageQuery::default(), form_errors(e)?, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
