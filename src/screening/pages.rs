//! The 筛查词库 page: the concepts in force with their words, civil affairs' additions and
//! removals (the change log), and the overrides of doubtful findings by reviewer.
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::api::{changes_of, concepts_of, overrides_of, ConceptOut, OverridesOut, TermChangeOut};
use super::store::{self, NewTerm};
use super::TermKind;
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::web::{self, form_errors, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new().route("/screening", get(page));
    let reviewer = Router::new().route("/screening/terms", post(add_submit)).route("/screening/terms/{id}/remove", post(remove_submit));
    web::open(ALL_ROLES, everyone).merge(web::open(&[Role::Reviewer], reviewer))
}

#[derive(Template)]
#[template(path = "screening.html")]
struct Page {
    layout: Layout,
    concepts: Vec<ConceptOut>,
    changes: Vec<TermChangeOut>,
    overrides: OverridesOut,
    can_edit: bool,
    kinds: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

async fn page_render(st: &AppState, caller: &Caller, status: StatusCode, errors: Vec<String>, notice: Option<&'static str>) -> PageResult {
    let page = Page {
        layout: Layout::for_caller(st, caller, "筛查词库").await?,
        concepts: concepts_of(st, caller.county_id).await?,
        changes: changes_of(st, caller.county_id).await?,
        overrides: overrides_of(st, caller).await?,
        can_edit: caller.role == Role::Reviewer,
        kinds: TermKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect(),
        errors,
        notice,
    };
    render(status, &page)
}

async fn page(State(st): State<AppState>, caller: Caller, Query(q): Query<web::DoneQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("added") => Some("已增加"),
        Some("removed") => Some("已删除"),
        _ => None,
    };
    page_render(&st, &caller, StatusCode::OK, vec![], notice).await
}

#[derive(Deserialize)]
struct AddForm {
    concept: String,
    kind: String,
    pattern: String,
    #[serde(default)]
    reason: String,
}

async fn add_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<AddForm>) -> PageResult {
    match store::add_term(&st.db, &caller, NewTerm { concept: f.concept, kind: f.kind, pattern: f.pattern, reason: f.reason }).await {
        Ok(_) => Ok(Redirect::to("/screening?done=added").into_response()),
        Err(e) => page_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    reason: String,
}

async fn remove_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<RemoveForm>) -> PageResult {
    match store::remove_term(&st.db, &caller, id, &f.reason).await {
        Ok(_) => Ok(Redirect::to("/screening?done=removed").into_response()),
        Err(e) => page_render(&st, &caller, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}
