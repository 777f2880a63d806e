//! Disputes over the API: the community raises them, civil affairs decides, every party
//! of the contract and the county's bodies read them.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use entity::dispute;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{store, Decision, Kind, Status};
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new().routes(routes!(list_disputes));
    let community = OpenApiRouter::new().routes(routes!(arbitration)).routes(routes!(contest_termination));
    let reviewer = OpenApiRouter::new().routes(routes!(decide));
    auth::open(ALL_ROLES, everyone).merge(auth::open(&[Role::Community], community)).merge(auth::open(&[Role::Reviewer], reviewer))
}

#[derive(Serialize, ToSchema)]
pub struct DisputeOut {
    pub id: i64,
    pub kind: Kind,
    pub kind_label: &'static str,
    pub contract_id: i64,
    /// The deliverable, evaluation or contract disputed.
    pub subject_id: i64,
    /// The community's reason.
    pub reason: String,
    pub status: Status,
    /// What was decided, in words.
    pub outcome: &'static str,
    pub decision_reason: Option<String>,
    pub raised_by: i64,
    pub decided_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<dispute::Model> for DisputeOut {
    fn from(d: dispute::Model) -> Self {
        let kind = Kind::parse(&d.kind).unwrap_or(Kind::Deliverable);
        let status = Status::parse(&d.status).unwrap_or(Status::Open);
        DisputeOut {
            id: d.id,
            kind,
            kind_label: kind.label(),
            contract_id: d.contract_id,
            subject_id: d.subject_id,
            reason: d.reason,
            outcome: match status {
                Status::Open => "待民政部门处理",
                Status::Upheld => "维持部门决定",
                Status::Overturned => kind.overturned_label(),
            },
            status,
            decision_reason: d.decision_reason,
            raised_by: d.raised_by,
            decided_by: d.decided_by,
            created_at: d.created_at,
            decided_at: d.decided_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct DisputeReasonIn {
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, ToSchema)]
pub struct DisputeDecideIn {
    /// `uphold`: the department's act stands; `overturn`: the community is right.
    pub decision: Decision,
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisputeFilter {
    /// open | upheld | overturned
    pub status: Option<String>,
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub contract_id: Option<i64>,
}

/// The disputes on the contracts the caller may see, newest first.
#[utoipa::path(get, path = "/disputes", tag = "disputes", security(("bearer" = [])), params(DisputeFilter, PageQuery),
    responses((status = 200, body = Page<DisputeOut>), (status = 422, body = ErrorBody)))]
async fn list_disputes(State(st): State<AppState>, caller: Caller, Query(f): Query<DisputeFilter>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<DisputeOut>>> {
    let status = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(Status::parse(s).ok_or_else(|| AppError::invalid("status", "状态须为 open、upheld 或 overturned"))?),
        None => None,
    };
    Ok(Json(store::page(&st.db, &caller, status, f.contract_id, pq.parse()?).await?.map(Into::into)))
}

/// The community asks civil affairs to arbitrate a deliverable rejected a second time.
/// 409 DISPUTE_NOT_AVAILABLE before the second rejection; DISPUTE_EXISTS when asked already.
#[utoipa::path(post, path = "/deliverables/{id}/arbitration", tag = "disputes", security(("bearer" = [])), request_body = DisputeReasonIn,
    responses((status = 201, body = DisputeOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn arbitration(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DisputeReasonIn>) -> AppResult<(StatusCode, Json<DisputeOut>)> {
    Ok((StatusCode::CREATED, Json(store::request_arbitration(&st.db, &caller, id, &b.reason).await?.into())))
}

/// The community contests the department's termination of its contract (within 30 days).
#[utoipa::path(post, path = "/contracts/{id}/termination-objection", tag = "disputes", security(("bearer" = [])), request_body = DisputeReasonIn,
    responses((status = 201, body = DisputeOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn contest_termination(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DisputeReasonIn>) -> AppResult<(StatusCode, Json<DisputeOut>)> {
    Ok((StatusCode::CREATED, Json(store::contest_termination(&st.db, &caller, id, &b.reason).await?.into())))
}

/// Civil affairs decides an open dispute, with a reason. Overturning a rejection accepts
/// the deliverable. 409 DISPUTE_DECIDED when decided already.
#[utoipa::path(post, path = "/disputes/{id}/decide", tag = "disputes", security(("bearer" = [])), request_body = DisputeDecideIn,
    responses((status = 200, body = DisputeOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn decide(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DisputeDecideIn>) -> AppResult<Json<DisputeOut>> {
    Ok(Json(store::decide(&st.db, &caller, id, b.decision, &b.reason).await?.into()))
}
