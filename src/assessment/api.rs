//! The half-year assessment over the API.
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use entity::assessment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, Record};
use super::{Conclusion, Period, Stage, View};
use crate::admission::api::AssessmentRow;
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let readers = OpenApiRouter::new().routes(routes!(period_rows));
    let reviewer = OpenApiRouter::new().routes(routes!(record)).routes(routes!(send));
    let approver = OpenApiRouter::new().routes(routes!(decide));
    auth::open(ALL_ROLES, readers).merge(auth::open(&[Role::Reviewer], reviewer)).merge(auth::open(&[Role::Approver], approver))
}

pub fn period(s: &str) -> AppResult<Period> {
    Period::parse(s).ok_or_else(|| AppError::invalid("period", "半年度须写作 2026-H1（上半年）或 2026-H2（下半年）"))
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AssessmentOut {
    pub id: i64,
    pub period: String,
    pub effect: String,
    pub views: Vec<View>,
    /// Civil affairs' conclusion.
    pub conclusion: Option<Conclusion>,
    pub conclusion_label: &'static str,
    pub comment: String,
    pub stage: Stage,
    pub stage_label: &'static str,
    /// The leading group's decision.
    pub decision: Option<Conclusion>,
    pub decision_label: &'static str,
    pub decision_comment: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<assessment::Model> for AssessmentOut {
    fn from(m: assessment::Model) -> Self {
        let conclusion = m.conclusion.as_deref().and_then(Conclusion::parse);
        let decision = m.decision.as_deref().and_then(Conclusion::parse);
        let stage = Stage::parse(&m.stage).unwrap_or(Stage::Draft);
        AssessmentOut {
            id: m.id,
            views: store::views_of(&m),
            period: m.period,
            effect: m.effect,
            conclusion,
            conclusion_label: conclusion.map(Conclusion::label).unwrap_or(""),
            comment: m.comment,
            stage,
            stage_label: stage.label(),
            decision,
            decision_label: decision.map(Conclusion::label).unwrap_or(""),
            decision_comment: m.decision_comment,
            updated_at: m.updated_at,
            decided_at: m.decided_at,
        }
    }
}

/// A task of the half with its figures and its assessment, if recorded.
#[derive(Serialize, ToSchema, Clone)]
pub struct PeriodRow {
    #[serde(flatten)]
    pub task: AssessmentRow,
    pub assessment: Option<AssessmentOut>,
}

/// Every task admitted in the county whose period overlaps the half, with the funds
/// delivered, the department's ratings and the half's assessment.
pub async fn rows(st: &AppState, caller: &Caller, p: Period) -> AppResult<Vec<PeriodRow>> {
    let mut done = store::of_period(&st.db, caller.county_id, p).await?;
    Ok(crate::admission::api::assessment_rows(st, caller)
        .await?
        .into_iter()
        .filter(|r| r.approval_number.is_some() && p.covers(r.period_start, r.period_end))
        .map(|task| PeriodRow { assessment: done.remove(&task.id).map(Into::into), task })
        .collect())
}

/// The half-year assessment of a half (`2026-H1`, `2026-H2`): the county's bodies.
#[utoipa::path(get, path = "/assessments/{period}", tag = "admission", security(("bearer" = [])), params(("period" = String, Path), PageQuery),
    responses((status = 200, body = Page<PeriodRow>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn period_rows(State(st): State<AppState>, caller: Caller, Path(p): Path<String>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<PeriodRow>>> {
    let p = period(&p)?;
    Ok(Json(page::of_positions(rows(&st, &caller, p).await?, pq.parse()?)))
}

#[derive(Deserialize, ToSchema)]
pub struct RecordIn {
    /// The effect of the task in the communities (实施效果).
    #[serde(default)]
    pub effect: String,
    /// Residents' ratings and deputies' opinions, per community of the task.
    #[serde(default)]
    pub views: Vec<View>,
    pub conclusion: Option<Conclusion>,
    #[serde(default)]
    pub comment: String,
}

/// Civil affairs records (until it is sent) a task's assessment for the half.
#[utoipa::path(put, path = "/assessments/{period}/{admission_id}", tag = "admission", security(("bearer" = [])), params(("period" = String, Path), ("admission_id" = i64, Path)),
    request_body = RecordIn, responses((status = 200, body = AssessmentOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn record(State(st): State<AppState>, caller: Caller, Path((p, id)): Path<(String, i64)>, ApiJson(b): ApiJson<RecordIn>) -> AppResult<Json<AssessmentOut>> {
    let p = period(&p)?;
    let r = Record { effect: b.effect, views: b.views, conclusion: b.conclusion, comment: b.comment };
    Ok(Json(store::record(&st.db, &caller, p, id, &r).await?.into()))
}

/// Civil affairs sends the assessment to the leading group (effect, conclusion and at least
/// one community's views needed).
#[utoipa::path(post, path = "/assessments/{period}/{admission_id}/send", tag = "admission", security(("bearer" = [])), params(("period" = String, Path), ("admission_id" = i64, Path)),
    responses((status = 200, body = AssessmentOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send(State(st): State<AppState>, caller: Caller, Path((p, id)): Path<(String, i64)>) -> AppResult<Json<AssessmentOut>> {
    let p = period(&p)?;
    Ok(Json(store::send(&st.db, &caller, p, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
pub struct AssessmentDecisionIn {
    pub decision: Conclusion,
    #[serde(default)]
    pub comment: String,
}

/// The leading group decides: keep, improve, or exit (the task leaves its communities).
#[utoipa::path(post, path = "/assessments/{period}/{admission_id}/decide", tag = "admission", security(("bearer" = [])), params(("period" = String, Path), ("admission_id" = i64, Path)),
    request_body = AssessmentDecisionIn, responses((status = 200, body = AssessmentOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide(State(st): State<AppState>, caller: Caller, Path((p, id)): Path<(String, i64)>, ApiJson(b): ApiJson<AssessmentDecisionIn>) -> AppResult<Json<AssessmentOut>> {
    let p = period(&p)?;
    Ok(Json(store::decide(&st.db, &caller, p, id, b.decision, &b.comment).await?.into()))
}
