//! `/admissions/assessment`: the half-year assessment. Civil affairs records each task's
//! effect, the views gathered per community and its conclusion, and sends it up; the
//! leading group decides; the others read.
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::api::{period, rows, PeriodRow};
use super::store::{self, Record};
use super::{Conclusion, Period, View};
use crate::evaluation::Rating;
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::web::{self, form_errors, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new().route("/admissions/assessment", get(page));
    let reviewer = Router::new().route("/admissions/assessment/{period}/{id}", post(record));
    let approver = Router::new().route("/admissions/assessment/{period}/{id}/decide", post(decide));
    web::open(ALL_ROLES, everyone).merge(web::open(&[Role::Reviewer], reviewer)).merge(web::open(&[Role::Approver], approver))
}

#[derive(Template)]
#[template(path = "admissions/assessment.html")]
struct Page {
    layout: Layout,
    period: Period,
    rows: Vec<PeriodRow>,
    /// Community names by id, for the views.
    names: std::collections::HashMap<i64, String>,
    is_reviewer: bool,
    is_approver: bool,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl Page {
    fn conclusions(&self) -> [Conclusion; 3] {
        Conclusion::ALL
    }
    fn ratings(&self) -> [Rating; 3] {
        [Rating::Satisfied, Rating::BasicallySatisfied, Rating::Unsatisfied]
    }
    fn name(&self, id: &i64) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
    /// The view recorded for a community of a row, if any.
    fn view(&self, r: &PeriodRow, community: &i64) -> Option<View> {
        r.assessment.as_ref().and_then(|a| a.views.iter().find(|v| v.community_id == *community).cloned())
    }
    /// Civil affairs may still change it (not sent yet).
    fn editable(&self, r: &PeriodRow) -> bool {
        r.assessment.as_ref().is_none_or(|a| a.stage == super::Stage::Draft)
    }
    fn is_current(&self, h: &Period) -> bool {
        *h == self.period
    }
    fn halves(&self) -> Vec<Period> {
        let p = self.period;
        let before = if p.second { Period { year: p.year, second: false } } else { Period { year: p.year - 1, second: true } };
        let after = if p.second { Period { year: p.year + 1, second: false } } else { Period { year: p.year, second: true } };
        vec![before, p, after]
    }
}

#[derive(Deserialize)]
struct PageQuery {
    period: Option<String>,
    done: Option<String>,
}

async fn page(State(st): State<AppState>, caller: Caller, Query(q): Query<PageQuery>) -> PageResult {
    let p = match q.period.as_deref() {
        Some(s) => period(s)?,
        None => Period::of(st.clock.today()),
    };
    let notice = q.done.as_deref().map(|d| match d {
        "sent" => "已报领导小组",
        "decided" => "已决定",
        _ => "已保存",
    });
    render_page(&st, &caller, p, vec![], notice, StatusCode::OK).await
}

async fn render_page(st: &AppState, caller: &Caller, p: Period, errors: Vec<String>, notice: Option<&'static str>, status: StatusCode) -> PageResult {
    let rows = rows(st, caller, p).await?;
    let names = crate::admission::store::org_names(&st.db, caller.county_id).await?;
    let layout = Layout::for_caller(st, caller, "准入事项半年评估").await?;
    render(status, &Page { layout, period: p, rows, names, is_reviewer: caller.role == Role::Reviewer, is_approver: caller.role == Role::Approver, errors, notice })
}

/// The reviewer's form: effect, conclusion, comment, and per community `residents_{id}` and
/// `deputies_{id}`; `action` = save | send.
async fn record(State(st): State<AppState>, caller: Caller, Path((p, id)): Path<(String, i64)>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let p = period(&p)?;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut views: Vec<View> = Vec::new();
    for (k, v) in &pairs {
        let (field, community) = match k.split_once('_') {
            Some((f @ ("residents" | "deputies"), c)) => (f, c.parse::<i64>().map_err(|_| AppError::invalid(k, "社区编号无效"))?),
            _ => continue,
        };
        let view = match views.iter_mut().find(|x| x.community_id == community) {
            Some(x) => x,
            None => {
                views.push(View { community_id: community, residents: None, deputies: String::new() });
                views.last_mut().expect("pushed")
            }
        };
        if field == "residents" {
            view.residents = Rating::parse(v);
        } else {
            view.deputies = v.trim().to_string();
        }
    }
    let r = Record { effect: get("effect"), views, conclusion: Conclusion::parse(&get("conclusion")), comment: get("comment") };
    let mut result = store::record(&st.db, &caller, p, id, &r).await.map(|_| "saved");
    if result.is_ok() && get("action") == "send" {
        result = store::send(&st.db, &caller, p, id).await.map(|_| "sent");
    }
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/admissions/assessment?period={p}&done={done}#task-{id}")).into_response()),
        Err(e) => render_page(&st, &caller, p, form_errors(e)?, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

#[derive(Deserialize)]
struct DecideForm {
    decision: String,
    #[serde(default)]
    comment: String,
}

async fn decide(State(st): State<AppState>, caller: Caller, Path((p, id)): Path<(String, i64)>, Form(f): Form<DecideForm>) -> PageResult {
    let p = period(&p)?;
    let decision = Conclusion::parse(&f.decision).ok_or_else(|| AppError::invalid("decision", "请选择保留、改进或退出"))?;
    match store::decide(&st.db, &caller, p, id, decision, &f.comment).await {
        Ok(_) => Ok(Redirect::to(&format!("/admissions/assessment?period={p}&done=decided#task-{id}")).into_response()),
        Err(e) => render_page(&st, &caller, p, form_errors(e)?, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}
