//! JSON API of admission (API.md "Admission"), violation reports and notices.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{admission, notice, violation_report};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::rules::{Application, Decision, Finding};
use super::store::{self, Draft, NewReport, Opinion, ReportStatus, StepInput, ViolationCount};
use super::{action_label, in_communities, overdue, Action, Status};
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody, FieldError};
use crate::platform::db::in_county;
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, ListFilter, Page, PageQuery};
use std::collections::HashMap;
use crate::AppState;

const DEPARTMENT: &[Role] = &[Role::Department];
const REVIEWER: &[Role] = &[Role::Reviewer];
const APPROVER: &[Role] = &[Role::Approver];
const COMMUNITY: &[Role] = &[Role::Community];
const ADMIN: &[Role] = &[Role::Admin];

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(public_notices)).merge(super::public::api_routes())
}

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new()
        .routes(routes!(list_admissions))
        .routes(routes!(get_admission))
        .routes(routes!(assessment))
        .routes(routes!(document_pdf))
        .routes(routes!(list_reports))
        .routes(routes!(report_summary))
        .routes(routes!(list_notices))
        .routes(routes!(get_settings));
    let department = OpenApiRouter::new()
        .routes(routes!(precheck))
        .routes(routes!(create))
        .routes(routes!(update))
        .routes(routes!(submit))
        .routes(routes!(start))
        .routes(routes!(complete));
    let reviewer = OpenApiRouter::new()
        .routes(routes!(review))
        .routes(routes!(decide_finding))
        .routes(routes!(revoke))
        .routes(routes!(handle_report))
        // Notices (通报) are issued by civil affairs only: the supervisor (督查) reads
        // and follows them up but changes nothing (tests/authz.md).
        .routes(routes!(publish_notice));
    let approver = OpenApiRouter::new().routes(routes!(decide));
    let community = OpenApiRouter::new().routes(routes!(file_report));
    let admin = OpenApiRouter::new().routes(routes!(put_settings));
    auth::open(ALL_ROLES, everyone)
        .merge(auth::open(DEPARTMENT, department))
        .merge(auth::open(REVIEWER, reviewer))
        .merge(auth::open(APPROVER, approver))
        .merge(auth::open(COMMUNITY, community))
        .merge(auth::open(ADMIN, admin))
}

/// The application form (准入审批表), as API.md fixes it.
#[derive(Deserialize, ToSchema, Default, Clone)]
pub struct ApplicationIn {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Legal or document basis (文件依据).
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub work_plan: String,
    #[serde(default)]
    pub target_community_ids: Vec<i64>,
    /// YYYY-MM-DD
    pub period_start: Option<String>,
    /// YYYY-MM-DD
    pub period_end: Option<String>,
    #[serde(default)]
    pub staffing: String,
    /// Decimal string with up to two places, e.g. "3000.00".
    #[schema(value_type = Option<String>, example = "3000.00")]
    pub budget: Option<serde_json::Value>,
    #[serde(default)]
    pub emergency: bool,
    #[serde(default)]
    pub needs_professional_qualification: bool,
    #[serde(default)]
    pub needs_enforcement_authority: bool,
    pub list_item_id: Option<i64>,
}

fn parse_date(field: &str, v: &Option<String>, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
    match crate::platform::input::parse_date(s) {
        Ok(d) => Some(d),
        Err(message) => {
            errs.push(FieldError { field: field.into(), message });
            None
        }
    }
}

impl ApplicationIn {
    /// Malformed values are input errors (422 VALIDATION_FAILED); missing or
    /// unacceptable ones are left to the rule checks, which explain them.
    pub fn parse(&self) -> AppResult<Draft> {
        let mut errs = Vec::new();
        let period_start = parse_date("period_start", &self.period_start, &mut errs);
        let period_end = parse_date("period_end", &self.period_end, &mut errs);
        let budget = match &self.budget {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
            Some(serde_json::Value::String(s)) => match Money::parse_amount(s) {
                Ok(m) => Some(m),
                Err(e) => {
                    errs.push(FieldError { field: "budget".into(), message: e.to_string() });
                    None
                }
            },
            Some(_) => {
                errs.push(FieldError { field: "budget".into(), message: "金额须以字符串表示，如 \"3000.00\"".into() });
                None
            }
        };
        if !errs.is_empty() {
            return Err(AppError::validation(errs));
        }
        Ok(Draft {
            app: Application {
                title: self.title.clone(),
                description: self.description.clone(),
                basis: self.basis.clone(),
                period_start,
                period_end,
                budget,
                needs_professional_qualification: self.needs_professional_qualification,
                needs_enforcement_authority: self.needs_enforcement_authority,
                list_item_id: self.list_item_id,
                work_plan: self.work_plan.clone(),
                staffing: self.staffing.clone(),
                assist: false,
            },
            target_community_ids: self.target_community_ids.clone(),
            emergency: self.emergency,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct FindingsOut {
    pub findings: Vec<Finding>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct TargetOut {
    pub community_id: i64,
    pub community: String,
    /// pending | entered | withdrawn | exited
    pub status: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct EventOut {
    pub action: String,
    pub action_label: &'static str,
    pub from_status: Option<String>,
    pub to_status: String,
    pub comment: String,
    pub user_id: i64,
    pub user_name: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AdmissionOut {
    pub id: i64,
    pub status: Status,
    pub status_label: &'static str,
    /// `application`, or `assist`: an assignment of an assist-list item (协助事项派单), which
    /// needs no admission and is created with its contract.
    pub origin: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub work_plan: String,
    pub staffing: String,
    pub department_id: i64,
    pub department: String,
    pub target_community_ids: Vec<i64>,
    pub targets: Vec<TargetOut>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub budget: Option<Money>,
    pub emergency: bool,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub list_item_id: Option<i64>,
    pub approval_number: Option<String>,
    /// Emergency entries: the date by which approval must come.
    pub approval_deadline: Option<NaiveDate>,
    pub overdue: bool,
    /// In the communities now (entered early, or admitted and not exited).
    pub in_communities: bool,
    pub review_opinion: Option<String>,
    pub review_comment: Option<String>,
    pub opinions: Vec<Opinion>,
    pub decision_comment: Option<String>,
    /// An assist assignment whose budget differs from the item's funding standard: the
    /// department's reason.
    pub budget_reason: Option<String>,
    /// The rule checks' findings: on the detail view and the answers to steps; left out
    /// of lists (they read the county's lists and every other active application).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<Finding>>,
    pub history: Vec<EventOut>,
    pub created_at: DateTime<Utc>,
}

impl AdmissionOut {
    /// The findings, or none when they were not computed (a list).
    pub fn findings(&self) -> &[Finding] {
        self.findings.as_deref().unwrap_or_default()
    }
}

/// Everything about one application, as the caller may see it.
/// Applications as the API and the pages show them, in a fixed number of queries for
/// any number of them. The rule findings read the county's lists and every other active
/// application, so they are computed for the detail view and the steps, not for lists.
pub async fn admissions_out(db: &impl sea_orm::ConnectionTrait, county_id: i64, ms: Vec<admission::Model>, with_findings: bool) -> AppResult<Vec<AdmissionOut>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let ids: Vec<i64> = ms.iter().map(|m| m.id).collect();
    let mut targets: HashMap<i64, Vec<entity::admission_target::Model>> = HashMap::new();
    for t in in_county::<entity::admission_target::Entity>(county_id)
        .filter(entity::admission_target::Column::AdmissionId.is_in(ids.iter().copied()))
        .order_by_asc(entity::admission_target::Column::CommunityId)
        .all(db)
        .await?
    {
        targets.entry(t.admission_id).or_default().push(t);
    }
    let mut events: HashMap<i64, Vec<entity::admission_event::Model>> = HashMap::new();
    for e in in_county::<entity::admission_event::Entity>(county_id)
        .filter(entity::admission_event::Column::AdmissionId.is_in(ids.iter().copied()))
        .order_by_asc(entity::admission_event::Column::Id)
        .all(db)
        .await?
    {
        events.entry(e.admission_id).or_default().push(e);
    }
    let org_ids: Vec<i64> = ms.iter().map(|m| m.department_id).chain(targets.values().flatten().map(|t| t.community_id)).collect();
    let names: HashMap<i64, String> =
        in_county::<entity::organisation::Entity>(county_id).filter(entity::organisation::Column::Id.is_in(org_ids)).all(db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let user_ids: Vec<i64> = events.values().flatten().map(|e| e.user_id).collect();
    let users: HashMap<i64, String> =
        in_county::<entity::user::Entity>(county_id).filter(entity::user::Column::Id.is_in(user_ids)).all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
    let today = Utc::now().date_naive();
    let mut out = Vec::with_capacity(ms.len());
    for m in ms {
        let findings = if with_findings { Some(store::findings(db, county_id, &store::application_of(&m), Some(m.id)).await?) } else { None };
        let targets: Vec<TargetOut> = targets
            .remove(&m.id)
            .unwrap_or_default()
            .into_iter()
            .map(|t| TargetOut { community_id: t.community_id, community: names.get(&t.community_id).cloned().unwrap_or_default(), status: t.status })
            .collect();
        let history = events
            .remove(&m.id)
            .unwrap_or_default()
            .into_iter()
            .map(|e| EventOut {
                action_label: action_label(&e.action),
                action: e.action,
                from_status: e.from_status,
                to_status: e.to_status,
                comment: e.comment,
                user_name: users.get(&e.user_id).cloned().unwrap_or_default(),
                user_id: e.user_id,
                at: e.created_at,
            })
            .collect();
        let status = store::status_of(&m);
        let assist = m.origin == super::ORIGIN_ASSIST;
        out.push(AdmissionOut {
            id: m.id,
            status,
            status_label: if assist && status == Status::Admitted { "协助事项派单" } else { status.label() },
            origin: m.origin.clone(),
            department: names.get(&m.department_id).cloned().unwrap_or_default(),
            department_id: m.department_id,
            target_community_ids: targets.iter().map(|t| t.community_id).collect(),
            targets,
            title: m.title,
            description: m.description,
            basis: m.basis,
            work_plan: m.work_plan,
            staffing: m.staffing,
            period_start: m.period_start,
            period_end: m.period_end,
            budget: m.budget_fen.map(Money::from_fen),
            emergency: m.emergency,
            needs_professional_qualification: m.needs_professional_qualification,
            needs_enforcement_authority: m.needs_enforcement_authority,
            list_item_id: m.list_item_id,
            approval_number: m.approval_number,
            overdue: overdue(status, m.approval_deadline, today),
            in_communities: in_communities(status, m.entered_at.is_some()),
            approval_deadline: m.approval_deadline,
            review_opinion: m.review_opinion,
            review_comment: m.review_comment,
            opinions: serde_json::from_str(&m.opinions).unwrap_or_default(),
            decision_comment: m.decision_comment,
            budget_reason: m.budget_reason,
            findings,
            history,
            created_at: m.created_at,
        });
    }
    Ok(out)
}

/// One application with its rule findings.
pub async fn admission_out(st: &AppState, county_id: i64, m: admission::Model) -> AppResult<AdmissionOut> {
    admissions_out(&st.db, county_id, vec![m], true).await?.pop().ok_or_else(AppError::not_found)
}


/// Runs the rule checks on an application without saving anything.
#[utoipa::path(post, path = "/admissions/precheck", tag = "admission", security(("bearer" = [])), request_body = ApplicationIn,
    responses((status = 200, body = FindingsOut), (status = 422, body = ErrorBody)))]
async fn precheck(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ApplicationIn>) -> AppResult<Json<FindingsOut>> {
    let d = b.parse()?;
    store::check_draft(&st.db, caller.county_id, &d).await?;
    Ok(Json(FindingsOut { findings: store::findings(&st.db, caller.county_id, &d.app, None).await? }))
}

/// Drafts an application for the caller's department.
#[utoipa::path(post, path = "/admissions", tag = "admission", security(("bearer" = [])), request_body = ApplicationIn,
    responses((status = 201, body = AdmissionOut), (status = 422, body = ErrorBody)))]
async fn create(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ApplicationIn>) -> AppResult<(StatusCode, Json<AdmissionOut>)> {
    let d = b.parse()?;
    let m = store::create(&st.db, &caller, &d).await?;
    Ok((StatusCode::CREATED, Json(admission_out(&st, caller.county_id, m).await?)))
}

/// Changes a draft (only drafts change).
#[utoipa::path(put, path = "/admissions/{id}", tag = "admission", security(("bearer" = [])), request_body = ApplicationIn,
    responses((status = 200, body = AdmissionOut), (status = 409, description = "INVALID_STATE", body = ErrorBody)))]
async fn update(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<ApplicationIn>) -> AppResult<Json<AdmissionOut>> {
    let d = b.parse()?;
    let m = store::update(&st.db, &caller, id, &d).await?;
    Ok(Json(admission_out(&st, caller.county_id, m).await?))
}

/// The applications the caller may see, newest first, a page at a time (without rule
/// findings: see the detail view).
#[utoipa::path(get, path = "/admissions", tag = "admission", security(("bearer" = [])), params(ListFilter, PageQuery),
    responses((status = 200, body = Page<AdmissionOut>), (status = 422, body = ErrorBody)))]
async fn list_admissions(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>) -> AppResult<Json<Page<AdmissionOut>>> {
    let page = store::page(&st.db, &caller, &f, p.parse()?).await?;
    Ok(Json(Page { items: admissions_out(&st.db, caller.county_id, page.items, false).await?, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/admissions/{id}", tag = "admission", security(("bearer" = [])),
    responses((status = 200, body = AdmissionOut), (status = 404, body = ErrorBody)))]
async fn get_admission(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<AdmissionOut>> {
    let m = store::find(&st.db, &caller, id).await?;
    Ok(Json(admission_out(&st, caller.county_id, m).await?))
}

async fn take_step(st: &AppState, caller: &Caller, id: i64, action: Action, input: StepInput) -> AppResult<Json<AdmissionOut>> {
    let m = store::step(&st.db, caller, id, action, &input).await?;
    Ok(Json(admission_out(st, caller.county_id, m).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct CommentIn {
    #[serde(default)]
    pub comment: String,
}

/// Submits a draft; an emergency enters the communities at once (先进后批).
#[utoipa::path(post, path = "/admissions/{id}/submit", tag = "admission", security(("bearer" = [])),
    responses((status = 200, body = AdmissionOut), (status = 422, description = "ADMISSION_BLOCKED", body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<AdmissionOut>> {
    take_step(&st, &caller, id, Action::Submit, StepInput::default()).await
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewIn {
    /// approve | reject: the preliminary opinion (初步意见).
    pub opinion: String,
    #[serde(default)]
    pub comment: String,
    /// Opinions gathered from named bodies (征求意见).
    #[serde(default)]
    pub opinions: Vec<Opinion>,
}

fn approve_or_reject(field: &str, v: &str) -> AppResult<bool> {
    match v {
        "approve" => Ok(true),
        "reject" => Ok(false),
        _ => Err(AppError::invalid(field, "须为 approve（同意）或 reject（不同意）")),
    }
}

/// Civil affairs' review: opinions gathered, preliminary opinion with reason (reviewer).
#[utoipa::path(post, path = "/admissions/{id}/review", tag = "admission", security(("bearer" = [])), request_body = ReviewIn,
    responses((status = 200, body = AdmissionOut), (status = 422, description = "ADMISSION_BLOCKED | VALIDATION_FAILED", body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn review(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<ReviewIn>) -> AppResult<Json<AdmissionOut>> {
    let r = b;
    let approve = approve_or_reject("opinion", &r.opinion)?;
    let opinions: Vec<Opinion> = r.opinions.into_iter().filter(|o| !o.body.trim().is_empty()).collect();
    take_step(&st, &caller, id, Action::Review, StepInput { comment: r.comment, approve: Some(approve), opinions }).await
}

#[derive(Deserialize, ToSchema)]
pub struct FindingDecisionIn {
    /// The finding's `key` (its screening concept).
    pub key: String,
    /// confirmed | overridden
    pub decision: String,
    /// Required: why the finding stands, or why it is not what the rule forbids.
    #[serde(default)]
    pub reason: String,
}

/// Civil affairs decides a doubtful screening finding (reviewer): confirmed, it keeps
/// blocking; overridden with a written reason, it no longer blocks, and the reason is kept
/// with the application, shown to the approver and on the approval document.
#[utoipa::path(post, path = "/admissions/{id}/findings/decide", tag = "admission", security(("bearer" = [])), request_body = FindingDecisionIn,
    responses((status = 200, body = AdmissionOut), (status = 422, body = ErrorBody),
        (status = 409, description = "FINDING_NOT_DECIDABLE (a strong finding), ALREADY_DECIDED, INVALID_STATE", body = ErrorBody)))]
async fn decide_finding(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<FindingDecisionIn>) -> AppResult<Json<AdmissionOut>> {
    let decision = Decision::parse(b.decision.trim())
        .ok_or_else(|| AppError::invalid("decision", "认定结果须为 confirmed（确认）或 overridden（推翻）"))?;
    let m = store::decide_finding(&st.db, &caller, id, b.key.trim(), decision, &b.reason).await?;
    Ok(Json(admission_out(&st, caller.county_id, m).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DecideIn {
    /// approve | reject
    pub decision: String,
    #[serde(default)]
    pub comment: String,
}

/// The leading group's decision: admitted with an approval number, or rejected (approver).
#[utoipa::path(post, path = "/admissions/{id}/decide", tag = "admission", security(("bearer" = [])), request_body = DecideIn,
    responses((status = 200, body = AdmissionOut), (status = 422, description = "ADMISSION_BLOCKED", body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn decide(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DecideIn>) -> AppResult<Json<AdmissionOut>> {
    let r = b;
    let approve = approve_or_reject("decision", &r.decision)?;
    take_step(&st, &caller, id, Action::Decide { approve }, StepInput { comment: r.comment, ..Default::default() }).await
}

/// The department starts the admitted work in the communities.
#[utoipa::path(post, path = "/admissions/{id}/start", tag = "admission", security(("bearer" = [])),
    responses((status = 200, body = AdmissionOut), (status = 409, body = ErrorBody)))]
async fn start(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<AdmissionOut>> {
    take_step(&st, &caller, id, Action::Start, StepInput::default()).await
}

/// The department reports the work done.
#[utoipa::path(post, path = "/admissions/{id}/complete", tag = "admission", security(("bearer" = [])),
    responses((status = 200, body = AdmissionOut), (status = 409, body = ErrorBody)))]
async fn complete(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<AdmissionOut>> {
    take_step(&st, &caller, id, Action::Complete, StepInput::default()).await
}

/// Revokes the admission: the task exits the communities (工作完成后撤销) (reviewer).
#[utoipa::path(post, path = "/admissions/{id}/revoke", tag = "admission", security(("bearer" = [])), request_body = CommentIn,
    responses((status = 200, body = AdmissionOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn revoke(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<CommentIn>) -> AppResult<Json<AdmissionOut>> {
    let c = b;
    take_step(&st, &caller, id, Action::Revoke, StepInput { comment: c.comment, ..Default::default() }).await
}

#[derive(Serialize, ToSchema, Clone)]
pub struct AssessmentRow {
    pub id: i64,
    pub title: String,
    pub department: String,
    pub approval_number: Option<String>,
    pub status: Status,
    pub status_label: &'static str,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub communities: Vec<String>,
    pub community_ids: Vec<i64>,
    pub budget: Option<Money>,
    /// Funds delivered to the communities (disbursed under the task's contracts).
    pub funds_delivered: Option<Money>,
    /// The department's satisfaction per community (合同条款评定), e.g. "幸福社区：满意".
    pub satisfaction: Vec<String>,
    pub overdue: bool,
}

/// Half-year assessment (每半年评估, 004 Yingjiang): every task admitted or entered in the
/// county, with status, period and budget.
#[utoipa::path(get, path = "/admissions/assessment", tag = "admission", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<AssessmentRow>), (status = 403, body = ErrorBody)))]
async fn assessment(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<AssessmentRow>>> {
    Ok(Json(page::of_positions(assessment_rows(&st, &caller).await?, pq.parse()?)))
}

/// What has reached the communities for a task (the disbursements of its contracts) and
/// how the department rated each community against the contract's clauses.
async fn funds_and_satisfaction(st: &AppState, a: &admission::Model, names: &std::collections::HashMap<i64, String>) -> AppResult<(Money, Vec<String>)> {
    use crate::platform::db::in_county;
    use sea_orm::{ColumnTrait, QueryFilter};
    let mut total = 0;
    let mut satisfaction = Vec::new();
    for c in in_county::<entity::contract::Entity>(a.county_id).filter(entity::contract::Column::AdmissionId.eq(a.id)).all(&st.db).await? {
        total += crate::funds::store::contract_funds(&st.db, &c).await?.disbursed.fen();
        for e in crate::evaluation::api::evaluation_outs(st, &c).await?.into_iter().filter(|e| e.evaluator == "department") {
            satisfaction.push(format!("{}：{}", names.get(&c.community_id).cloned().unwrap_or_default(), e.overall_label));
        }
    }
    Ok((Money::from_fen(total), satisfaction))
}

pub async fn assessment_rows(st: &AppState, caller: &Caller) -> AppResult<Vec<AssessmentRow>> {
    if matches!(caller.role, Role::Community | Role::Department) {
        return Err(AppError::forbidden());
    }
    let names = store::org_names(&st.db, caller.county_id).await?;
    let today = Utc::now().date_naive();
    let mut rows = Vec::new();
    for m in store::list(&st.db, caller).await? {
        let status = store::status_of(&m);
        if !(status.is_admitted() || status == Status::Revoked || m.entered_at.is_some()) {
            continue;
        }
        let (delivered, satisfaction) = funds_and_satisfaction(st, &m, &names).await?;
        let community_ids: Vec<i64> = store::targets(&st.db, caller.county_id, m.id).await?.iter().map(|t| t.community_id).collect();
        let communities = community_ids.iter().map(|id| names.get(id).cloned().unwrap_or_default()).collect();
        rows.push(AssessmentRow {
            id: m.id,
            department: names.get(&m.department_id).cloned().unwrap_or_default(),
            approval_number: m.approval_number.clone(),
            status,
            status_label: status.label(),
            period_start: m.period_start,
            period_end: m.period_end,
            communities,
            community_ids,
            budget: m.budget_fen.map(Money::from_fen),
            funds_delivered: Some(delivered),
            satisfaction,
            overdue: overdue(status, m.approval_deadline, today),
            title: m.title,
        });
    }
    Ok(rows)
}

#[derive(Deserialize, ToSchema)]
pub struct ReportIn {
    /// The department (or street) that pushed the work down.
    pub department_id: i64,
    /// What was pushed down.
    #[serde(default)]
    pub task: String,
    /// YYYY-MM-DD
    #[serde(default)]
    pub occurred_on: String,
    /// Evidence: notices received, messages, names.
    #[serde(default)]
    pub evidence: String,
    /// When the work is an item of the assist list that came without money (无经费的协助
    /// 事项, 001 §二(三)): the item. Refused and counted like unadmitted work.
    pub assist_item_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportOut {
    pub id: i64,
    pub community_id: i64,
    pub community: String,
    pub department_id: i64,
    pub department: String,
    pub task: String,
    pub occurred_on: NaiveDate,
    pub evidence: String,
    pub status: ReportStatus,
    pub status_label: &'static str,
    pub handling_reason: Option<String>,
    pub published: bool,
    /// `unadmitted` (work outside the lists, not admitted) or `unfunded_assist` (assist-list
    /// work assigned without money).
    pub kind: &'static str,
    pub assist_item_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

pub async fn report_outs(st: &AppState, county_id: i64, rs: Vec<violation_report::Model>) -> AppResult<Vec<ReportOut>> {
    let names = store::org_names(&st.db, county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(rs
        .into_iter()
        .map(|r| {
            let status = ReportStatus::parse(&r.status);
            ReportOut {
                id: r.id,
                community: name(r.community_id),
                community_id: r.community_id,
                department: name(r.department_id),
                department_id: r.department_id,
                task: r.task,
                occurred_on: r.occurred_on,
                evidence: r.evidence,
                status,
                status_label: status.label(),
                handling_reason: r.handling_reason,
                published: r.notice_id.is_some(),
                kind: if r.assist_item_id.is_some() { "unfunded_assist" } else { "unadmitted" },
                assist_item_id: r.assist_item_id,
                created_at: r.created_at,
            }
        })
        .collect())
}

/// A community refuses work that reached it without admission and reports it (擅自下沉).
#[utoipa::path(post, path = "/reports", tag = "admission", security(("bearer" = [])), request_body = ReportIn,
    responses((status = 201, body = ReportOut), (status = 422, body = ErrorBody)))]
async fn file_report(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ReportIn>) -> AppResult<(StatusCode, Json<ReportOut>)> {
    let r = b;
    let occurred_on = crate::platform::input::parse_date(&r.occurred_on).map_err(|m| AppError::invalid("occurred_on", m))?;
    let m = store::file_report(&st.db, &caller, NewReport { department_id: r.department_id, task: r.task, occurred_on, evidence: r.evidence, assist_item_id: r.assist_item_id }).await?;
    let out = report_outs(&st, caller.county_id, vec![m]).await?.remove(0);
    Ok((StatusCode::CREATED, Json(out)))
}

/// Reports the caller may see: a community its own, a department those about it.
#[utoipa::path(get, path = "/reports", tag = "admission", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<ReportOut>)))]
async fn list_reports(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<ReportOut>>> {
    let p = store::reports_page(&st.db, &caller, pq.parse()?).await?;
    Ok(Json(Page { items: report_outs(&st, caller.county_id, p.items).await?, next_cursor: p.next_cursor }))
}

#[derive(Deserialize, ToSchema)]
pub struct HandleIn {
    /// confirmed | dismissed
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
}

/// The reviewer confirms the violation or dismisses the report, with a reason.
#[utoipa::path(post, path = "/reports/{id}/handle", tag = "admission", security(("bearer" = [])), request_body = HandleIn,
    responses((status = 200, body = ReportOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn handle_report(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<HandleIn>) -> AppResult<Json<ReportOut>> {
    let h = b;
    let confirm = match h.outcome.as_str() {
        "confirmed" => true,
        "dismissed" => false,
        _ => return Err(AppError::invalid("outcome", "须为 confirmed（确认违规）或 dismissed（不予认定）")),
    };
    let m = store::handle_report(&st.db, &caller, id, confirm, &h.reason).await?;
    Ok(Json(report_outs(&st, caller.county_id, vec![m]).await?.remove(0)))
}

/// Confirmed violations per department.
#[utoipa::path(get, path = "/reports/summary", tag = "admission", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<ViolationCount>)))]
async fn report_summary(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<ViolationCount>>> {
    Ok(Json(page::of_positions(store::violation_counts(&st.db, caller.county_id).await?, pq.parse()?)))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
}

impl From<notice::Model> for NoticeOut {
    fn from(n: notice::Model) -> Self {
        NoticeOut { id: n.id, title: n.title, body: n.body, published_at: n.published_at }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct NoticeIn {
    #[serde(default)]
    pub title: String,
}

/// Publishes a notice (通报) of the confirmed violations not yet published (reviewer).
#[utoipa::path(post, path = "/notices", tag = "admission", security(("bearer" = [])), request_body = NoticeIn,
    responses((status = 201, body = NoticeOut), (status = 409, description = "NOTHING_TO_PUBLISH", body = ErrorBody)))]
async fn publish_notice(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<NoticeIn>) -> AppResult<(StatusCode, Json<NoticeOut>)> {
    let n = store::publish_notice(&st.db, &caller, &b.title).await?;
    Ok((StatusCode::CREATED, Json(n.into())))
}

#[utoipa::path(get, path = "/notices", tag = "admission", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<NoticeOut>)))]
async fn list_notices(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<NoticeOut>>> {
    Ok(Json(store::notices_page(&st.db, caller.county_id, pq.parse()?).await?.map(Into::into)))
}

/// Published notices of a county, for the public. No token.
#[utoipa::path(get, path = "/public/{county_id}/notices", tag = "admission", params(("county_id" = i64, Path), PageQuery),
    responses((status = 200, body = Page<NoticeOut>), (status = 404, body = ErrorBody)))]
async fn public_notices(State(st): State<AppState>, Path(county_id): Path<i64>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<NoticeOut>>> {
    crate::lists::api::county_name(&st, county_id).await?;
    Ok(Json(store::notices_page(&st.db, county_id, pq.parse()?).await?.map(Into::into)))
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SettingsIO {
    /// Days an emergency entry (先进后批) has to be approved.
    pub emergency_approval_days: i32,
    /// The county's registered OCDS prefix (`ocds-` and six lowercase letters or digits)
    /// for the ocids of its open data; left out: unchanged; blank: the default.
    #[serde(default)]
    pub ocid_prefix: Option<String>,
}

#[utoipa::path(get, path = "/county/settings", tag = "admission", security(("bearer" = [])), responses((status = 200, body = SettingsIO)))]
async fn get_settings(State(st): State<AppState>, caller: Caller) -> AppResult<Json<SettingsIO>> {
    let county = <entity::county::Entity as sea_orm::EntityTrait>::find_by_id(caller.county_id).one(&st.db).await?.ok_or_else(AppError::not_found)?;
    Ok(Json(SettingsIO { emergency_approval_days: county.emergency_approval_days, ocid_prefix: county.ocid_prefix }))
}

/// The county's settings (admin).
#[utoipa::path(put, path = "/county/settings", tag = "admission", security(("bearer" = [])), request_body = SettingsIO,
    responses((status = 200, body = SettingsIO), (status = 422, body = ErrorBody)))]
async fn put_settings(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<SettingsIO>) -> AppResult<Json<SettingsIO>> {
    store::set_settings(&st.db, &caller, b.emergency_approval_days, b.ocid_prefix.as_deref()).await?;
    get_settings(State(st), caller).await
}

/// The approval document (准入批准文书) of an admitted task, as a PDF.
pub async fn document_pdf_response(st: &AppState, caller: &Caller, id: i64) -> AppResult<axum::response::Response> {
    let m = store::find(&st.db, caller, id).await?;
    if m.approval_number.is_none() {
        return Err(AppError::not_found());
    }
    let decided_on = m.decided_at.map(|d| d.format("%Y年%m月%d日").to_string()).unwrap_or_default();
    let a = admission_out(st, caller.county_id, m).await?;
    let county = crate::lists::api::county_name(st, caller.county_id).await?;
    let doc = super::pdf::approval_doc(&a, &county, &decided_on);
    let bytes = crate::pdf::render_off_thread(doc).await?;
    crate::platform::audit::exported(&st.db, caller, "approval_pdf", "admission", Some(id)).await?;
    Ok(crate::web::file_download(bytes, "application/pdf", &format!("{}.pdf", a.approval_number.unwrap_or_default()), true))
}

#[utoipa::path(get, path = "/admissions/{id}/document.pdf", tag = "admission", security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn document_pdf(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<axum::response::Response> {
    document_pdf_response(&st, &caller, id).await
}
