//! JSON API of contracts (API.md "Contracts").
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{contract, contract_version};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, rationale_label, Amendment, NewContract, Source, Status};
use crate::admission::assist::Assignment;
use super::template::{Schedule, Variable};
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody, FieldError};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, ListFilter, Page, PageQuery};
use crate::platform::db::in_county;
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new()
        .routes(routes!(list_templates))
        .routes(routes!(list_contracts))
        .routes(routes!(get_contract))
        .routes(routes!(contract_pdf));
    let parties = OpenApiRouter::new().routes(routes!(sign));
    let department = OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(amend))
        .routes(routes!(withdraw_amendment))
        .routes(routes!(complete))
        .routes(routes!(close))
        .routes(routes!(terminate));
    auth::open(ALL_ROLES, everyone)
        .merge(auth::open(&[Role::Department, Role::Community], parties))
        .merge(auth::open(&[Role::Department], department))
}

#[derive(Serialize, ToSchema)]
pub struct TemplateOut {
    pub id: String,
    pub title: String,
    pub variables: Vec<Variable>,
    pub clauses: Vec<TemplateClauseOut>,
    pub schedule: Schedule,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateClauseOut {
    pub number: u32,
    pub title: String,
    pub text: String,
    pub performance: bool,
}

/// The contract templates, with their typed variables.
#[utoipa::path(get, path = "/contract-templates", tag = "contracts", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<TemplateOut>), (status = 422, body = ErrorBody)))]
async fn list_templates(State(st): State<AppState>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<TemplateOut>>> {
    Ok(Json(page::of_positions(
        st.templates
            .iter()
            .map(|t| TemplateOut {
                id: t.id.clone(),
                title: t.title.clone(),
                variables: t.variables.clone(),
                clauses: t.clauses.iter().map(|c| TemplateClauseOut { number: c.number, title: c.title.clone(), text: c.text.clone(), performance: c.performance }).collect(),
                schedule: t.schedule.clone(),
            })
            .collect(),
        pq.parse()?,
    )))
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ClauseOut {
    pub id: i64,
    pub number: i32,
    pub title: String,
    pub text: String,
    pub performance: bool,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct MilestoneOut {
    pub id: i64,
    pub due: NaiveDate,
    pub amount: Money,
    /// The performance clause whose accepted deliverable releases it; null: paid when due.
    pub clause_id: Option<i64>,
}

#[derive(Serialize, ToSchema, Clone)]
#[schema(as = ContractVersionOut)]
pub struct VersionOut {
    pub version: i32,
    /// pending | effective | superseded | void
    pub status: String,
    pub amount: Money,
    pub amount_capitals: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub rationale_code: Option<String>,
    pub rationale_label: &'static str,
    pub rationale: String,
    pub department_signed_at: Option<DateTime<Utc>>,
    pub department_signer: Option<String>,
    pub community_signed_at: Option<DateTime<Utc>>,
    pub community_signer: Option<String>,
    pub clauses: Vec<ClauseOut>,
    pub milestones: Vec<MilestoneOut>,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ContractOut {
    pub id: i64,
    pub number: String,
    pub admission_id: i64,
    /// `application` (an admitted task) or `assist` (assist-list work, no admission).
    pub origin: String,
    /// The assist-list item the work was assigned from.
    pub assist_item_id: Option<i64>,
    pub task: String,
    pub approval_number: Option<String>,
    pub template_id: String,
    pub department_id: i64,
    pub department: String,
    pub community_id: i64,
    pub community: String,
    pub status: Status,
    pub status_label: &'static str,
    /// The version in force (for a draft: the one awaiting signatures).
    pub version: i32,
    pub amount: Money,
    pub amount_capitals: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub clauses: Vec<ClauseOut>,
    pub milestones: Vec<MilestoneOut>,
    pub department_signed_at: Option<DateTime<Utc>>,
    pub community_signed_at: Option<DateTime<Utc>>,
    /// An amendment waiting for both signatures.
    pub pending_amendment: Option<VersionOut>,
    /// Every version, oldest first.
    pub versions: Vec<VersionOut>,
    pub variables: HashMap<String, String>,
    pub termination_reason: Option<String>,
    /// Set when the system ended the contract: EMERGENCY_REJECTED, EMERGENCY_OVERDUE,
    /// ADMISSION_REVOKED or PERIOD_ENDED.
    pub termination_code: Option<String>,
    /// Why the department ended it (see `/contracts/{id}/terminate`).
    pub termination_reason_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The rows a page of contracts needs, loaded in a fixed number of queries (one per
/// table, `IN (…)` over the page's contracts), whatever the page's length.
struct Related {
    names: HashMap<i64, String>,
    users: HashMap<i64, String>,
    admissions: HashMap<i64, entity::admission::Model>,
    versions: HashMap<i64, Vec<contract_version::Model>>,
    clauses: HashMap<(i64, i32), Vec<ClauseOut>>,
    milestones: HashMap<(i64, i32), Vec<MilestoneOut>>,
}

async fn related(db: &impl sea_orm::ConnectionTrait, county_id: i64, cs: &[contract::Model]) -> AppResult<Related> {
    use entity::{admission, contract_clause, contract_milestone, organisation, user};
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    let orgs: Vec<i64> = cs.iter().flat_map(|c| [c.department_id, c.community_id]).collect();
    let names = in_county::<organisation::Entity>(county_id).filter(organisation::Column::Id.is_in(orgs)).all(db).await?.into_iter().map(|o| (o.id, o.name)).collect();
    let admissions = in_county::<admission::Entity>(county_id)
        .filter(admission::Column::Id.is_in(cs.iter().map(|c| c.admission_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let mut versions: HashMap<i64, Vec<contract_version::Model>> = HashMap::new();
    for v in in_county::<contract_version::Entity>(county_id)
        .filter(contract_version::Column::ContractId.is_in(ids.iter().copied()))
        .order_by_asc(contract_version::Column::Version)
        .all(db)
        .await?
    {
        versions.entry(v.contract_id).or_default().push(v);
    }
    let signers: Vec<i64> = versions.values().flatten().flat_map(|v| [v.department_signed_by, v.community_signed_by]).flatten().collect();
    let users = in_county::<user::Entity>(county_id).filter(user::Column::Id.is_in(signers)).all(db).await?.into_iter().map(|u| (u.id, u.display_name)).collect();
    let mut clauses: HashMap<(i64, i32), Vec<ClauseOut>> = HashMap::new();
    for k in in_county::<contract_clause::Entity>(county_id)
        .filter(contract_clause::Column::ContractId.is_in(ids.iter().copied()))
        .order_by_asc(contract_clause::Column::Number)
        .all(db)
        .await?
    {
        clauses.entry((k.contract_id, k.version)).or_default().push(ClauseOut { id: k.id, number: k.number, title: k.title, text: k.text, performance: k.performance });
    }
    let mut milestones: HashMap<(i64, i32), Vec<MilestoneOut>> = HashMap::new();
    for m in in_county::<contract_milestone::Entity>(county_id)
        .filter(contract_milestone::Column::ContractId.is_in(ids.iter().copied()))
        .order_by_asc(contract_milestone::Column::Seq)
        .all(db)
        .await?
    {
        milestones.entry((m.contract_id, m.version)).or_default().push(MilestoneOut { id: m.id, due: m.due, amount: Money::from_fen(m.amount_fen), clause_id: m.clause_id });
    }
    Ok(Related { names, users, admissions, versions, clauses, milestones })
}

fn version_out(r: &Related, c: &contract::Model, v: &contract_version::Model) -> VersionOut {
    let amount = Money::from_fen(v.amount_fen);
    let name = |id: Option<i64>| id.and_then(|i| r.users.get(&i).cloned());
    let key = (c.id, v.version);
    VersionOut {
        version: v.version,
        status: v.status.clone(),
        amount,
        amount_capitals: amount.capitals(),
        period_start: v.period_start,
        period_end: v.period_end,
        rationale_label: v.rationale_code.as_deref().map(rationale_label).unwrap_or(""),
        rationale_code: v.rationale_code.clone(),
        rationale: v.rationale.clone(),
        department_signed_at: v.department_signed_at,
        department_signer: name(v.department_signed_by),
        community_signed_at: v.community_signed_at,
        community_signer: name(v.community_signed_by),
        clauses: r.clauses.get(&key).cloned().unwrap_or_default(),
        milestones: r.milestones.get(&key).cloned().unwrap_or_default(),
        created_at: v.created_at,
    }
}

fn assemble(r: &Related, c: contract::Model) -> AppResult<ContractOut> {
    let a = r.admissions.get(&c.admission_id).ok_or_else(AppError::not_found)?;
    let versions: Vec<VersionOut> = r.versions.get(&c.id).map(|vs| vs.iter().map(|v| version_out(r, &c, v)).collect()).unwrap_or_default();
    let current = versions.iter().find(|v| v.version == c.current_version).cloned().ok_or_else(|| AppError::internal("contract without its version"))?;
    let pending_amendment = versions.iter().find(|v| v.status == "pending" && v.version != c.current_version).cloned();
    let status = crate::lifecycle::store::contract_status(&c)?;
    Ok(ContractOut {
        id: c.id,
        number: c.number,
        admission_id: c.admission_id,
        origin: a.origin.clone(),
        assist_item_id: a.list_item_id.filter(|_| a.origin == crate::admission::ORIGIN_ASSIST),
        task: a.title.clone(),
        approval_number: a.approval_number.clone(),
        template_id: c.template_id,
        department: r.names.get(&c.department_id).cloned().unwrap_or_default(),
        department_id: c.department_id,
        community: r.names.get(&c.community_id).cloned().unwrap_or_default(),
        community_id: c.community_id,
        status,
        status_label: status.label(),
        version: current.version,
        amount: current.amount,
        amount_capitals: current.amount_capitals.clone(),
        period_start: current.period_start,
        period_end: current.period_end,
        clauses: current.clauses.clone(),
        milestones: current.milestones.clone(),
        department_signed_at: current.department_signed_at,
        community_signed_at: current.community_signed_at,
        pending_amendment,
        versions,
        variables: serde_json::from_str(&c.variables).unwrap_or_default(),
        termination_reason: c.termination_reason,
        termination_code: c.termination_code,
        termination_reason_code: c.termination_reason_code,
        created_at: c.created_at,
    })
}

/// Contracts as the API and the pages show them, every version included; the same read
/// model for one contract and for a page of them.
pub async fn contracts_out(db: &impl sea_orm::ConnectionTrait, cs: Vec<contract::Model>) -> AppResult<Vec<ContractOut>> {
    let Some(county_id) = cs.first().map(|c| c.county_id) else { return Ok(Vec::new()) };
    debug_assert!(cs.iter().all(|c| c.county_id == county_id));
    let r = related(db, county_id, &cs).await?;
    cs.into_iter().map(|c| assemble(&r, c)).collect()
}

/// Everything about one contract, every version included.
pub async fn contract_out(st: &AppState, c: contract::Model) -> AppResult<ContractOut> {
    contracts_out(&st.db, vec![c]).await?.pop().ok_or_else(AppError::not_found)
}

#[derive(Deserialize, ToSchema)]
pub struct ContractIn {
    /// The admitted task; or, in its place, `assist_item_id`.
    pub admission_id: Option<i64>,
    /// An item of the county's assist list in force (协助事项派单): the contract needs no
    /// admission; `period_start` and `period_end` are then required, and `guidance`,
    /// `staffing` and `budget` describe the assignment.
    pub assist_item_id: Option<i64>,
    /// Assist work: how the department guides it (the item's description if empty).
    #[serde(default)]
    pub guidance: String,
    /// Assist work: who does it.
    #[serde(default)]
    pub staffing: String,
    /// Assist work: the task's budget, a decimal string; the contract's amount if absent.
    #[schema(value_type = Option<String>, example = "3000.00")]
    pub budget: Option<serde_json::Value>,
    /// Assist work: why `budget` differs from what the item's funding standard gives for
    /// the period; required then (`VALIDATION_FAILED` on `budget_reason`).
    #[serde(default)]
    pub budget_reason: String,
    pub community_id: i64,
    pub template_id: String,
    /// Decimal string, e.g. "3000.00".
    #[schema(value_type = String, example = "3000.00")]
    pub amount: serde_json::Value,
    #[serde(default)]
    pub variables: HashMap<String, serde_json::Value>,
    /// Defaults to the admission's period.
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
}

/// Money from JSON: a decimal string, never a number.
pub fn money_field(field: &str, v: &serde_json::Value) -> AppResult<Money> {
    match v {
        serde_json::Value::String(s) => Money::parse_amount(s).map_err(|e| AppError::invalid(field, e.to_string())),
        _ => Err(AppError::invalid(field, "金额须以字符串表示，如 \"3000.00\"")),
    }
}

/// Template variables arrive as strings (numbers are accepted and written as text).
pub fn variable_values(raw: &HashMap<String, serde_json::Value>) -> AppResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    let mut errs = Vec::new();
    for (k, v) in raw {
        match v {
            serde_json::Value::String(s) => {
                out.insert(k.clone(), s.clone());
            }
            serde_json::Value::Number(n) => {
                out.insert(k.clone(), n.to_string());
            }
            serde_json::Value::Null => {}
            _ => errs.push(FieldError { field: format!("variables.{k}"), message: "变量值须为文字".into() }),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(errs))
    }
}

/// Drafts a contract from the department's admitted application for one community.
#[utoipa::path(post, path = "/contracts", tag = "contracts", security(("bearer" = [])), request_body = ContractIn,
    responses((status = 201, body = ContractOut), (status = 409, description = "ADMISSION_BUDGET_EXCEEDED | ADMISSION_NOT_ADMITTED", body = ErrorBody),
              (status = 422, description = "VALIDATION_FAILED | ADMISSION_BLOCKED | TEMPLATE_NOT_FOR_COMMUNITY", body = ErrorBody)))]
async fn create(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ContractIn>) -> AppResult<(StatusCode, Json<ContractOut>)> {
    let source = match (b.admission_id, b.assist_item_id) {
        (Some(id), None) => Source::Admission(id),
        (None, Some(item_id)) => Source::Assist(Assignment {
            item_id,
            guidance: b.guidance.clone(),
            staffing: b.staffing.clone(),
            budget: b.budget.as_ref().filter(|v| !v.is_null()).map(|v| money_field("budget", v)).transpose()?,
            budget_reason: b.budget_reason.clone(),
        }),
        (Some(_), Some(_)) => return Err(AppError::invalid("assist_item_id", "准入事项与协助事项只能选择其一")),
        (None, None) => return Err(AppError::invalid("admission_id", "请选择准入事项（或协助事项 assist_item_id）")),
    };
    let new = NewContract {
        source,
        community_id: b.community_id,
        template_id: b.template_id,
        amount: money_field("amount", &b.amount)?,
        period_start: b.period_start,
        period_end: b.period_end,
        variables: variable_values(&b.variables)?,
    };
    let c = store::draft(&st.db, &st.templates, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(contract_out(&st, c).await?)))
}

/// The contracts the caller may see, newest first, a page at a time.
#[utoipa::path(get, path = "/contracts", tag = "contracts", security(("bearer" = [])), params(ListFilter, PageQuery),
    responses((status = 200, body = Page<ContractOut>), (status = 422, body = ErrorBody)))]
async fn list_contracts(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>) -> AppResult<Json<Page<ContractOut>>> {
    let page = store::page(&st.db, &caller, &f, p.parse()?).await?;
    Ok(Json(Page { items: contracts_out(&st.db, page.items).await?, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 404, body = ErrorBody)))]
async fn get_contract(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ContractOut>> {
    let c = store::find(&st.db, &caller, id).await?;
    Ok(Json(contract_out(&st, c).await?))
}

/// Signs the version awaiting signatures, for the caller's side (the purchasing
/// department or the community). Active once both sides have signed.
#[utoipa::path(post, path = "/contracts/{id}/sign", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 403, body = ErrorBody), (status = 409, description = "ALREADY_SIGNED | NOTHING_TO_SIGN", body = ErrorBody)))]
async fn sign(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ContractOut>> {
    let c = store::sign(&st.db, &st.templates, &caller, id).await?;
    Ok(Json(contract_out(&st, c).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct ClauseTextIn {
    pub number: u32,
    pub text: String,
}

#[derive(Deserialize, ToSchema)]
pub struct AmendmentIn {
    /// SCOPE_CHANGE | PERIOD_EXTENSION | BUDGET_ADJUSTMENT | POLICY_CHANGE | CORRECTION
    pub rationale_code: String,
    #[serde(default)]
    pub rationale: String,
    #[schema(value_type = Option<String>)]
    pub amount: Option<serde_json::Value>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    #[serde(default)]
    pub clauses: Vec<ClauseTextIn>,
}

/// Proposes an amendment (amount, period, clause text): a new version, in force once both
/// sides sign it.
#[utoipa::path(post, path = "/contracts/{id}/amendments", tag = "contracts", security(("bearer" = [])), request_body = AmendmentIn,
    responses((status = 201, body = ContractOut), (status = 409, description = "INVALID_STATE | AMENDMENT_PENDING | ADMISSION_BUDGET_EXCEEDED | BUDGET_EXCEEDED | AMOUNT_BELOW_PAID | ADMISSION_NOT_ADMITTED", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn amend(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<AmendmentIn>) -> AppResult<(StatusCode, Json<ContractOut>)> {
    let amount = match &b.amount {
        Some(v) if !v.is_null() => Some(money_field("amount", v)?),
        _ => None,
    };
    let am = Amendment {
        rationale_code: b.rationale_code,
        rationale: b.rationale,
        amount,
        period_start: b.period_start,
        period_end: b.period_end,
        clause_texts: b.clauses.into_iter().map(|c| (c.number, c.text)).collect(),
    };
    let c = store::amend(&st.db, &st.templates, &caller, id, am).await?;
    Ok((StatusCode::CREATED, Json(contract_out(&st, c).await?)))
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonIn {
    #[serde(default)]
    pub reason: String,
}

/// The department withdraws its pending amendment; the version in force stays.
#[utoipa::path(post, path = "/contracts/{id}/amendments/withdraw", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 409, description = "NOTHING_TO_WITHDRAW", body = ErrorBody)))]
async fn withdraw_amendment(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ContractOut>> {
    let c = store::withdraw_amendment(&st.db, &caller, id).await?;
    Ok(Json(contract_out(&st, c).await?))
}

/// The department reports the contract performed.
#[utoipa::path(post, path = "/contracts/{id}/complete", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 409, body = ErrorBody)))]
async fn complete(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ContractOut>> {
    let c = store::transition(&st.db, &caller, id, Status::Completed).await?;
    Ok(Json(contract_out(&st, c).await?))
}

/// The department closes a completed contract.
#[utoipa::path(post, path = "/contracts/{id}/close", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, body = ContractOut), (status = 409, body = ErrorBody)))]
async fn close(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<ContractOut>> {
    let c = store::transition(&st.db, &caller, id, Status::Closed).await?;
    Ok(Json(contract_out(&st, c).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TerminationIn {
    /// COMMUNITY_BREACH | TASK_WITHDRAWN | MUTUAL_AGREEMENT | FORCE_MAJEURE
    #[serde(default)]
    pub reason_code: String,
    #[serde(default)]
    pub reason: String,
}

/// The department terminates the contract, with a reason code and a reason. The community
/// may contest it within 30 days (`/contracts/{id}/termination-objection`).
#[utoipa::path(post, path = "/contracts/{id}/terminate", tag = "contracts", security(("bearer" = [])), request_body = TerminationIn,
    responses((status = 200, body = ContractOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn terminate(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<TerminationIn>) -> AppResult<Json<ContractOut>> {
    let c = store::terminate(&st.db, &caller, id, &b.reason_code, &b.reason).await?;
    Ok(Json(contract_out(&st, c).await?))
}

/// The contract as a PDF (application/pdf).
#[utoipa::path(get, path = "/contracts/{id}/pdf", tag = "contracts", security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn contract_pdf(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<axum::response::Response> {
    let c = store::find(&st.db, &caller, id).await?;
    let out = contract_out(&st, c).await?;
    super::pdf::contract_response(&st, &caller, &out).await
}
