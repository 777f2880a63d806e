//! JSON API of funds and deliverables (API.md "Funds and deliverables").
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Datelike, Utc};
use entity::{deliverable, disbursement};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, DepartmentFunds};
use super::Breach;
use crate::contracts::api::money_field;
use crate::contracts::store as contracts;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new()
        .routes(routes!(contract_funds))
        .routes(routes!(list_deliverables))
        .routes(routes!(list_disbursements))
        .routes(routes!(summary))
        .routes(routes!(get_budget));
    let finance = OpenApiRouter::new().routes(routes!(put_budget)).routes(routes!(disburse)).routes(routes!(answer_dispute));
    let upload = OpenApiRouter::new()
        .routes(routes!(attach))
        .layer(axum::extract::DefaultBodyLimit::max(super::photo::MAX_PHOTO + 64 * 1024));
    let community = OpenApiRouter::new()
        .routes(routes!(confirm))
        .routes(routes!(dispute))
        .routes(routes!(submit_deliverable))
        .merge(upload);
    let everyone = everyone.routes(routes!(download));
    let department = OpenApiRouter::new().routes(routes!(accept)).routes(routes!(reject));
    let admin = OpenApiRouter::new().routes(routes!(verify));
    auth::open(ALL_ROLES, everyone)
        .merge(auth::open(&[Role::Finance], finance))
        .merge(auth::open(&[Role::Community], community))
        .merge(auth::open(&[Role::Department], department))
        .merge(auth::open(&[Role::Admin, Role::Finance, Role::Supervisor], admin))
}

#[derive(Deserialize, ToSchema)]
pub struct BudgetIn {
    #[schema(value_type = String, example = "500000.00")]
    pub amount: serde_json::Value,
    /// Needed when changing a budget already set.
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct BudgetOut {
    pub department_id: i64,
    pub year: i32,
    pub amount: Money,
    pub committed: Money,
    pub available: Money,
    /// Every setting and adjustment, oldest first.
    pub history: Vec<store::BudgetChange>,
}

async fn budget_out(st: &AppState, county_id: i64, dept: i64, year: i32) -> AppResult<BudgetOut> {
    let years = store::contract_years(&st.db, county_id).await?;
    let f = store::department_funds(&st.db, county_id, year, &years).await?.into_iter().find(|d| d.department_id == dept).ok_or_else(AppError::not_found)?;
    let history = store::budget_history(&st.db, county_id, dept, year).await?;
    Ok(BudgetOut { department_id: dept, year, amount: f.budget, committed: f.committed, available: f.available, history })
}

/// The finance bureau sets a department's purchase-of-service budget (预算指标) for a year.
#[utoipa::path(put, path = "/budgets/{department_id}/{year}", tag = "funds", security(("bearer" = [])), request_body = BudgetIn,
    responses((status = 200, body = BudgetOut), (status = 409, description = "BUDGET_BELOW_COMMITTED", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_budget(State(st): State<AppState>, caller: Caller, Path((dept, year)): Path<(i64, i32)>, ApiJson(b): ApiJson<BudgetIn>) -> AppResult<Json<BudgetOut>> {
    let amount = money_field("amount", &b.amount)?;
    store::set_budget(&st.db, &caller, dept, year, amount, &b.reason).await?;
    Ok(Json(budget_out(&st, caller.county_id, dept, year).await?))
}

#[utoipa::path(get, path = "/budgets/{department_id}/{year}", tag = "funds", security(("bearer" = [])),
    responses((status = 200, body = BudgetOut), (status = 404, body = ErrorBody)))]
async fn get_budget(State(st): State<AppState>, caller: Caller, Path((dept, year)): Path<(i64, i32)>) -> AppResult<Json<BudgetOut>> {
    if caller.role == Role::Community || (caller.role == Role::Department && caller.org_id != dept) {
        return Err(AppError::not_found());
    }
    Ok(Json(budget_out(&st, caller.county_id, dept, year).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DisbursementIn {
    pub contract_id: i64,
    pub milestone_id: i64,
    #[schema(value_type = String, example = "900.00")]
    pub amount: serde_json::Value,
    /// The finance bureau's voucher number (凭证号), at most 50 characters.
    #[serde(default)]
    pub voucher: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct DisbursementOut {
    pub id: i64,
    pub contract_id: i64,
    pub milestone_id: i64,
    pub amount: Money,
    /// paid | confirmed | disputed
    pub status: String,
    pub paid_at: DateTime<Utc>,
    pub receipt_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
    /// The voucher number (凭证号) the finance bureau gave.
    pub voucher: Option<String>,
    /// The finance bureau's answer to the community's last dispute.
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<&disbursement::Model> for DisbursementOut {
    fn from(d: &disbursement::Model) -> Self {
        DisbursementOut {
            id: d.id,
            contract_id: d.contract_id,
            milestone_id: d.milestone_id,
            amount: Money::from_fen(d.amount_fen),
            status: d.status.clone(),
            paid_at: d.paid_at,
            receipt_at: d.receipt_at,
            dispute_reason: d.dispute_reason.clone(),
            voucher: d.voucher.clone(),
            answer: d.answer.clone(),
            answered_at: d.answered_at,
        }
    }
}

/// The finance bureau pays (part of) a milestone to the community. `Idempotency-Key` is
/// required: a replay returns the first answer and pays nothing more.
#[utoipa::path(post, path = "/disbursements", tag = "funds", security(("bearer" = [])), request_body = DisbursementIn,
    params(("Idempotency-Key" = String, Header, description = "one key per intended payment")),
    responses((status = 201, body = DisbursementOut),
              (status = 409, description = "CONTRACT_AMOUNT_EXCEEDED | MILESTONE_ALREADY_PAID | MILESTONE_NOT_DUE", body = ErrorBody),
              (status = 422, description = "IDEMPOTENCY_KEY_REQUIRED | IDEMPOTENCY_KEY_REUSED | VALIDATION_FAILED", body = ErrorBody)))]
async fn disburse(State(st): State<AppState>, caller: Caller, headers: HeaderMap, ApiJson(b): ApiJson<DisbursementIn>) -> AppResult<Response> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let amount = money_field("amount", &b.amount)?;
    let answer = store::disburse(&st.db, &caller, &key, b.contract_id, b.milestone_id, amount, b.voucher.as_deref(), |d| {
        serde_json::to_string(&DisbursementOut::from(d)).expect("serialises")
    })
    .await?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED);
    Ok((status, [(axum::http::header::CONTENT_TYPE, "application/json")], answer.body).into_response())
}

/// The receiving community confirms the money arrived (确认到账).
#[utoipa::path(post, path = "/disbursements/{id}/confirm", tag = "funds", security(("bearer" = [])),
    responses((status = 200, body = DisbursementOut), (status = 409, body = ErrorBody)))]
async fn confirm(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<DisbursementOut>> {
    Ok(Json((&store::receipt(&st.db, &caller, id, None).await?).into()))
}

#[derive(Deserialize, ToSchema)]
pub struct DisputeIn {
    #[serde(default)]
    pub reason: String,
}

/// The community disputes a payment, with a reason; finance sees the disputes.
#[utoipa::path(post, path = "/disbursements/{id}/dispute", tag = "funds", security(("bearer" = [])), request_body = DisputeIn,
    responses((status = 200, body = DisbursementOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn dispute(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DisputeIn>) -> AppResult<Json<DisbursementOut>> {
    Ok(Json((&store::receipt(&st.db, &caller, id, Some(&b.reason)).await?).into()))
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerIn {
    /// What the check found, e.g. the date the money arrived and the voucher number.
    #[serde(default)]
    pub answer: String,
}

/// The finance bureau answers a disputed payment; it goes back to the community to confirm.
#[utoipa::path(post, path = "/disbursements/{id}/answer", tag = "funds", security(("bearer" = [])), request_body = AnswerIn,
    responses((status = 200, body = DisbursementOut), (status = 409, description = "NOT_DISPUTED", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn answer_dispute(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<AnswerIn>) -> AppResult<Json<DisbursementOut>> {
    Ok(Json((&store::answer_dispute(&st.db, &caller, id, &b.answer).await?).into()))
}

#[derive(Serialize, ToSchema)]
pub struct FundsOut {
    pub amount: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    pub remaining: Money,
    /// Committed against the department's budget and not yet paid.
    pub committed: Money,
    pub disbursements: Vec<DisbursementOut>,
}

/// A contract's money (API.md): amount, disbursed, confirmed, remaining.
#[utoipa::path(get, path = "/contracts/{id}/funds", tag = "funds", security(("bearer" = [])),
    responses((status = 200, body = FundsOut), (status = 404, body = ErrorBody)))]
async fn contract_funds(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<FundsOut>> {
    let c = contracts::find(&st.db, &caller, id).await?;
    let f = store::contract_funds(&st.db, &c).await?;
    let ds = store::disbursements_of(&st.db, c.county_id, c.id).await?;
    Ok(Json(FundsOut {
        amount: f.amount,
        disbursed: f.disbursed,
        confirmed: f.confirmed,
        remaining: f.remaining,
        committed: f.committed,
        disbursements: ds.iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct DisbursementQuery {
    /// paid | confirmed | disputed
    pub status: Option<String>,
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub contract_id: Option<i64>,
}

/// Payments the caller may see (a community: its own), newest first, e.g.
/// `?status=disputed` for finance.
#[utoipa::path(get, path = "/disbursements", tag = "funds", security(("bearer" = [])), params(DisbursementQuery, PageQuery),
    responses((status = 200, body = Page<DisbursementOut>), (status = 422, body = ErrorBody)))]
async fn list_disbursements(State(st): State<AppState>, caller: Caller, Query(q): Query<DisbursementQuery>, Query(p): Query<PageQuery>) -> AppResult<Json<Page<DisbursementOut>>> {
    let page = store::disbursements_page(&st.db, &caller, q.status.as_deref(), q.contract_id, p.parse()?).await?;
    Ok(Json(page.map(|d| (&d).into())))
}

#[derive(Serialize, ToSchema)]
pub struct SummaryOut {
    pub year: i32,
    pub departments: Vec<DepartmentFunds>,
    #[serde(flatten)]
    pub overview: store::Overview,
}

#[derive(Deserialize, IntoParams)]
pub struct YearQuery {
    pub year: Option<i32>,
    /// Payments unconfirmed for more than this many days are listed (default 7).
    pub days: Option<i64>,
}

/// Money per department (budget, committed, disbursed, confirmed), per contract, per
/// community and for the county; disputed payments; payments unconfirmed for more than
/// `days`; admitted tasks with no money (must be none).
#[utoipa::path(get, path = "/funds/summary", tag = "funds", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = SummaryOut)))]
async fn summary(State(st): State<AppState>, caller: Caller, Query(q): Query<YearQuery>) -> AppResult<Json<SummaryOut>> {
    if caller.role == Role::Community {
        return Err(AppError::forbidden());
    }
    let year = q.year.unwrap_or_else(|| Utc::now().year());
    let years = store::contract_years(&st.db, caller.county_id).await?;
    let mut departments = store::department_funds(&st.db, caller.county_id, year, &years).await?;
    if caller.role == Role::Department {
        departments.retain(|d| d.department_id == caller.org_id);
    }
    let overview = store::overview(&st.db, &caller, q.days.unwrap_or(7).clamp(1, 365), Some((year, &years))).await?;
    Ok(Json(SummaryOut { year, departments, overview }))
}

#[derive(Deserialize, ToSchema)]
pub struct DeliverableIn {
    pub clause_id: i64,
    #[serde(default)]
    pub summary: String,
}

#[derive(Serialize, ToSchema)]
pub struct DeliverableOut {
    pub id: i64,
    pub contract_id: i64,
    pub clause_id: i64,
    pub summary: String,
    /// submitted | accepted | rejected
    pub status: String,
    pub decision_comment: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The evidence sent with it (each downloadable at `/attachments/{id}`).
    pub attachments: Vec<AttachmentOut>,
}

impl DeliverableOut {
    /// The deliverable with its attachments, picked from those of several deliverables.
    pub fn with(d: deliverable::Model, all: &[store::AttachmentMeta]) -> Self {
        let attachments = all.iter().filter(|a| a.deliverable_id == d.id).cloned().collect();
        DeliverableOut { id: d.id, contract_id: d.contract_id, clause_id: d.clause_id, summary: d.summary, status: d.status, decision_comment: d.decision_comment, created_at: d.created_at, attachments }
    }

    /// A deliverable and its attachments, read for it alone.
    pub async fn of(db: &impl sea_orm::ConnectionTrait, d: deliverable::Model) -> AppResult<Self> {
        let all = store::attachments_of(db, d.county_id, &[d.id]).await?;
        Ok(Self::with(d, &all))
    }

    /// Deliverables with their attachments, read in one query per 500.
    pub async fn all(db: &impl sea_orm::ConnectionTrait, county_id: i64, ds: Vec<deliverable::Model>) -> AppResult<Vec<Self>> {
        let ids: Vec<i64> = ds.iter().map(|d| d.id).collect();
        let all = store::attachments_of(db, county_id, &ids).await?;
        Ok(ds.into_iter().map(|d| Self::with(d, &all)).collect())
    }
}

/// The community submits a deliverable against a performance clause.
#[utoipa::path(post, path = "/contracts/{id}/deliverables", tag = "funds", security(("bearer" = [])), request_body = DeliverableIn,
    responses((status = 201, body = DeliverableOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn submit_deliverable(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<DeliverableIn>) -> AppResult<(StatusCode, Json<DeliverableOut>)> {
    let d = store::submit_deliverable(&st.db, &caller, id, b.clause_id, &b.summary).await?;
    Ok((StatusCode::CREATED, Json(DeliverableOut::with(d, &[]))))
}

#[utoipa::path(get, path = "/contracts/{id}/deliverables", tag = "funds", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<DeliverableOut>)))]
async fn list_deliverables(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<DeliverableOut>>> {
    let c = contracts::find(&st.db, &caller, id).await?;
    let ds = DeliverableOut::all(&st.db, c.county_id, store::deliverables_of(&st.db, c.county_id, c.id).await?).await?;
    Ok(Json(page::of_slice(ds, pq.parse()?, |x| x.id)))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = DeliverableCommentIn)]
pub struct CommentIn {
    #[serde(default)]
    pub comment: String,
}

/// The department accepts a deliverable (the comment cites the clause).
#[utoipa::path(post, path = "/deliverables/{id}/accept", tag = "funds", security(("bearer" = [])), request_body = CommentIn,
    responses((status = 200, body = DeliverableOut), (status = 409, body = ErrorBody)))]
async fn accept(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<CommentIn>) -> AppResult<Json<DeliverableOut>> {
    Ok(Json(DeliverableOut::of(&st.db, store::decide_deliverable(&st.db, &caller, id, true, &b.comment).await?).await?))
}

/// The department rejects a deliverable, saying which requirement of the clause it misses.
#[utoipa::path(post, path = "/deliverables/{id}/reject", tag = "funds", security(("bearer" = [])), request_body = CommentIn,
    responses((status = 200, body = DeliverableOut), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn reject(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<CommentIn>) -> AppResult<Json<DeliverableOut>> {
    Ok(Json(DeliverableOut::of(&st.db, store::decide_deliverable(&st.db, &caller, id, false, &b.comment).await?).await?))
}

/// An attachment as the API shows it (its bytes at `/attachments/{id}`).
pub use store::AttachmentMeta as AttachmentOut;

/// Attaches a file (multipart field `file`: PDF, JPG, PNG, DOCX or XLSX, at most 5 MB; a
/// JPG or PNG photo up to 20 MB, stored scaled to 1600 pixels with its original's hash).
#[utoipa::path(post, path = "/deliverables/{id}/attachments", tag = "funds", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "file"),
    responses((status = 201, body = AttachmentOut), (status = 422, body = ErrorBody)))]
async fn attach(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, mut mp: Multipart) -> AppResult<(StatusCode, Json<AttachmentOut>)> {
    store::may_attach(&st.db, &caller, id).await?;
    while let Some(field) = mp.next_field().await.map_err(|e| AppError::invalid("file", format!("上传内容无法读取：{e}")))? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_string();
            let data = field.bytes().await.map_err(|_| AppError::invalid("file", store::TOO_LARGE))?;
            let upload = store::prepare_upload(&name, data.to_vec()).await?;
            let a = store::attach(&st.db, &caller, id, upload).await?;
            return Ok((StatusCode::CREATED, Json(a.into())));
        }
    }
    Err(AppError::invalid("file", "请选择附件"))
}

/// Downloads an attachment: those who may see the deliverable's contract.
#[utoipa::path(get, path = "/attachments/{id}", tag = "funds", security(("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream", description = "the file as uploaded"), (status = 404, body = ErrorBody)))]
async fn download(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<axum::response::Response> {
    Ok(file_response(store::find_attachment(&st.db, &caller, id).await?))
}

/// The stored file, as a download (never rendered inline: a file is not a page), with
/// its SHA-256 so the receiver can check it.
pub fn file_response(a: entity::attachment::Model) -> axum::response::Response {
    let mut r = crate::web::file_download(a.data, &a.content_type, &a.filename, false);
    if let Ok(v) = axum::http::HeaderValue::from_str(&a.sha256) {
        r.headers_mut().insert("x-content-sha256", v);
    }
    r
}

#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    pub ok: bool,
    pub breaches: Vec<Breach>,
}

/// Checks every ledger invariant of the county.
#[utoipa::path(get, path = "/admin/ledger/verify", tag = "funds", security(("bearer" = [])), responses((status = 200, body = VerifyOut)))]
async fn verify(State(st): State<AppState>, caller: Caller) -> AppResult<Json<VerifyOut>> {
    let breaches = store::verify_ledger(&st.db, Some(caller.county_id)).await?;
    Ok(Json(VerifyOut { ok: breaches.is_empty(), breaches }))
}
