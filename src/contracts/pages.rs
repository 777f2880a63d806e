//! Pages of contracts: the list, the template picker and draft form with a preview, the
//! contract with its versions and both signatures, amendments, PDF download.
use std::collections::HashMap;

use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::Form;
use chrono::NaiveDate;
use serde::Deserialize;

use super::api::{self, ContractOut};
use super::store::{self, Amendment, NewContract, Source, Status, RATIONALES};
use crate::admission::assist::Assignment;
use super::template::Template;
use super::Instalment;
use crate::admission::store as admissions;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::error::AppError;
use crate::platform::page::{ListFilter, PageQuery};
use crate::web::{self, form_errors, render, Layout, PageError, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let everyone = Router::new()
        .route("/contracts", get(list_page))
        .route("/contracts/{id}", get(detail_page))
        .route("/contracts/{id}/pdf", get(pdf));
    // Signing, completing, closing, terminating: the two parties only (the store checks
    // which side may do what); everyone else, the supervisor included, only reads.
    let parties = Router::new().route("/contracts/{id}/step", post(step));
    let department = Router::new()
        .route("/contracts/new", get(new_form).post(new_submit))
        .route("/contracts/{id}/amend", post(amend_submit));
    web::open(ALL_ROLES, everyone)
        .merge(web::open(&[Role::Department, Role::Community], parties))
        .merge(web::open(&[Role::Department], department))
}

#[derive(askama::Template)]
#[template(path = "contracts/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ContractOut>,
    filter: ListFilter,
    pager: web::Pager,
    /// A department's items of the assist list in force, to assign with funds.
    assist_items: Vec<(i64, String)>,
}

impl ListPage {
    fn status_is(&self, s: &str) -> bool {
        self.filter.status.as_deref() == Some(s)
    }
    fn statuses(&self) -> [Status; 5] {
        Status::ALL
    }
}

async fn list_page(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let page = store::page(&st.db, &caller, &f, p.parse()?).await?;
    let pager = web::Pager::new("/contracts", raw.as_deref(), page.next_cursor.as_deref());
    let rows = api::contracts_out(&st.db, page.items).await?;
    let assist_items = if caller.role == Role::Department { assist_items_of(&st, &caller).await? } else { Vec::new() };
    render(StatusCode::OK, &ListPage { layout: Layout::for_caller(&st, &caller, "购买服务合同").await?, rows, filter: f, pager, assist_items })
}

/// The assist-list items in force that name the caller's department.
async fn assist_items_of(st: &AppState, caller: &Caller) -> Result<Vec<(i64, String)>, AppError> {
    let own = crate::orgs::store::find_org(&st.db, caller.county_id, caller.org_id).await?.name;
    Ok(crate::lists::store::current_items(&st.db, caller.county_id, Some(crate::lists::ListKind::Assist))
        .await?
        .into_iter()
        .filter(|i| crate::admission::assist::assigns(i, &own))
        .map(|i| (i.id, format!("{} {}", i.code, i.title)))
        .collect())
}

/// The draft form. Its template variables arrive as `var_<name>` fields, so the form is
/// read as name–value pairs rather than into fixed fields.
#[derive(Default, Clone)]
struct DraftForm {
    admission_id: i64,
    /// Assist-list work (协助事项派单) in place of an admitted task; 0 when none.
    assist_item_id: i64,
    guidance: String,
    staffing: String,
    budget: String,
    budget_reason: String,
    template_id: String,
    community_id: i64,
    amount: String,
    period_start: String,
    period_end: String,
    action: String,
    rest: HashMap<String, String>,
}

impl DraftForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> DraftForm {
        let mut f = DraftForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "admission_id" => f.admission_id = v.trim().parse().unwrap_or_default(),
                "assist_item_id" => f.assist_item_id = v.trim().parse().unwrap_or_default(),
                "guidance" => f.guidance = v,
                "staffing" => f.staffing = v,
                "budget" => f.budget = v,
                "budget_reason" => f.budget_reason = v,
                "community_id" => f.community_id = v.trim().parse().unwrap_or_default(),
                "template_id" => f.template_id = v,
                "amount" => f.amount = v,
                "period_start" => f.period_start = v,
                "period_end" => f.period_end = v,
                "action" => f.action = v,
                _ => {
                    f.rest.insert(k, v);
                }
            }
        }
        f
    }

    fn var(&self, name: &str) -> String {
        self.rest.get(&format!("var_{name}")).cloned().unwrap_or_default()
    }

    fn to_new(&self) -> Result<NewContract, AppError> {
        let date = |field: &str, s: &str| -> Result<Option<NaiveDate>, AppError> {
            if s.trim().is_empty() {
                return Ok(None);
            }
            crate::platform::input::parse_date(s).map(Some).map_err(|m| AppError::invalid(field, m))
        };
        let source = if self.assist_item_id > 0 {
            let budget = self.budget.trim();
            Source::Assist(Assignment {
                item_id: self.assist_item_id,
                guidance: self.guidance.clone(),
                staffing: self.staffing.clone(),
                budget: if budget.is_empty() { None } else { Some(Money::parse_amount(budget).map_err(|e| AppError::invalid("budget", e.to_string()))?) },
                budget_reason: self.budget_reason.clone(),
            })
        } else {
            Source::Admission(self.admission_id)
        };
        Ok(NewContract {
            source,
            community_id: self.community_id,
            template_id: self.template_id.clone(),
            amount: Money::parse_amount(&self.amount).map_err(|e| AppError::invalid("amount", e.to_string()))?,
            period_start: date("period_start", &self.period_start)?,
            period_end: date("period_end", &self.period_end)?,
            variables: self
                .rest
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("var_").map(|n| (n.to_string(), v.clone())))
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        })
    }
}

struct Choice {
    id: i64,
    label: String,
    selected: bool,
}

struct VarField {
    name: String,
    label: String,
    kind: &'static str,
    required: bool,
    value: String,
    choices: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "contracts/form.html")]
struct FormPage {
    layout: Layout,
    f: DraftForm,
    task: String,
    budget_left: String,
    /// The assist item's funding standard, in words.
    funding: Option<String>,
    templates: Vec<(String, String, bool)>,
    communities: Vec<Choice>,
    vars: Vec<VarField>,
    preview: Option<(Vec<(u32, String, String, bool)>, Vec<Instalment>)>,
    errors: Vec<String>,
}

#[derive(Deserialize)]
struct NewQuery {
    #[serde(default)]
    admission_id: i64,
    /// Assist-list work in place of an admitted task.
    #[serde(default)]
    assist_item_id: i64,
    template_id: Option<String>,
}

fn var_fields(t: &Template, f: &DraftForm) -> Vec<VarField> {
    t.variables
        .iter()
        .map(|v| VarField {
            name: v.name.clone(),
            label: v.label.clone(),
            kind: match v.ty {
                super::template::VarType::Date => "date",
                super::template::VarType::Choice => "choice",
                _ => "text",
            },
            required: v.required,
            value: Some(f.var(&v.name)).filter(|s| !s.is_empty()).or_else(|| v.default.clone()).unwrap_or_default(),
            choices: v.choices.clone(),
        })
        .collect()
}

async fn form_render(
    st: &AppState,
    caller: &Caller,
    f: DraftForm,
    preview: Option<(Vec<(u32, String, String, bool)>, Vec<Instalment>)>,
    errors: Vec<String>,
    status: StatusCode,
) -> PageResult {
    let names = admissions::org_names(&st.db, caller.county_id).await?;
    let mut funding = None;
    let (task, budget_left, communities): (String, String, Vec<Choice>) = if f.assist_item_id > 0 {
        // Assist work goes to any community of the county; its budget is set here.
        let item = crate::lists::store::find_item(&st.db, caller.county_id, f.assist_item_id).await?;
        let communities = crate::orgs::store::list_orgs(&st.db, caller.county_id)
            .await?
            .into_iter()
            .filter(|o| o.kind == crate::orgs::OrgKind::Community.as_str())
            .map(|o| Choice { id: o.id, label: o.name, selected: o.id == f.community_id })
            .collect();
        funding = crate::lists::funding::Funding::of(&item).map(|f| f.label());
        (format!("{}（协助事项 {}）", item.title, item.code), String::new(), communities)
    } else {
        let a = admissions::find(&st.db, caller, f.admission_id).await?;
        let communities = admissions::targets(&st.db, caller.county_id, a.id)
            .await?
            .into_iter()
            .filter(|t| matches!(crate::lifecycle::TargetStatus::parse(&t.status), Some(crate::lifecycle::TargetStatus::Admitted | crate::lifecycle::TargetStatus::Entered)))
            .map(|t| Choice { id: t.community_id, label: names.get(&t.community_id).cloned().unwrap_or_default(), selected: t.community_id == f.community_id })
            .collect();
        let left = crate::lifecycle::store::admission_room(&st.db, &a, None).await?;
        (a.title, left.grouped(), communities)
    };
    let t = store::template(&st.templates, &f.template_id).unwrap_or(&st.templates[0]);
    let page = FormPage {
        layout: Layout::for_caller(st, caller, "起草购买服务合同").await?,
        templates: st.templates.iter().map(|x| (x.id.clone(), x.title.clone(), x.id == t.id)).collect(),
        vars: var_fields(t, &f),
        task,
        budget_left,
        funding,
        f: DraftForm { template_id: t.id.clone(), ..f },
        communities,
        preview,
        errors,
    };
    render(status, &page)
}

async fn new_form(State(st): State<AppState>, caller: Caller, Query(q): Query<NewQuery>) -> PageResult {
    let mut f = DraftForm { admission_id: q.admission_id, assist_item_id: q.assist_item_id, template_id: q.template_id.unwrap_or_default(), ..Default::default() };
    // An admitted task's draft starts from the template its period suggests and from what
    // is left of its budget (the clerk changes either).
    if f.assist_item_id == 0 && f.admission_id > 0 {
        let a = admissions::find(&st.db, &caller, f.admission_id).await?;
        if let (Some(start), Some(end), true) = (a.period_start, a.period_end, f.template_id.is_empty()) {
            f.template_id = super::template::suggested(start, end).to_string();
        }
        let left = crate::lifecycle::store::admission_room(&st.db, &a, None).await?;
        if left.is_positive() {
            f.amount = left.to_string();
        }
    }
    form_render(&st, &caller, f, None, vec![], StatusCode::OK).await
}

/// Preview (render without saving) or save the draft.
async fn new_submit(State(st): State<AppState>, caller: Caller, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let f = DraftForm::from_pairs(pairs);
    if f.action == "template" {
        return form_render(&st, &caller, f, None, vec![], StatusCode::OK).await;
    }
    let new = match f.to_new() {
        Ok(n) => n,
        Err(e) => return form_render(&st, &caller, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if f.action == "preview" {
        return match store::preview(&st.db, &st.templates, &caller, &new).await {
            Ok(p) => form_render(&st, &caller, f, Some(p), vec![], StatusCode::OK).await,
            Err(e) => form_render(&st, &caller, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
        };
    }
    match store::draft(&st.db, &st.templates, &caller, new).await {
        Ok(c) => Ok(Redirect::to(&format!("/contracts/{}?done=drafted", c.id)).into_response()),
        Err(e) => form_render(&st, &caller, f, None, form_errors(e)?, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

/// An instalment with money left, as the finance bureau's pay form shows it.
struct PayRow {
    id: i64,
    seq: i32,
    due: NaiveDate,
    left: Money,
    /// What may be paid now (the form's amount); zero: no form, `held` says why.
    now: Money,
    held: Option<String>,
    /// A fresh idempotency key for the form.
    key: String,
}

#[derive(askama::Template)]
#[template(path = "contracts/detail.html")]
struct DetailPage {
    layout: Layout,
    c: ContractOut,
    can_sign: bool,
    is_department: bool,
    is_community: bool,
    is_finance: bool,
    /// The finance bureau answers disputed payments, whatever became of the contract.
    can_answer: bool,
    funds: crate::funds::store::ContractFunds,
    disbursements: Vec<crate::funds::api::DisbursementOut>,
    deliverables: Vec<crate::funds::api::DeliverableOut>,
    evaluations: Vec<crate::evaluation::api::EvaluationOut>,
    eval_form: Vec<crate::evaluation::FormItem>,
    /// Who may still evaluate: "department", "residents" or nothing.
    can_evaluate: Option<&'static str>,
    rule: &'static str,
    /// Instalments of the version in force with money left to pay.
    payable: Vec<PayRow>,
    rationales: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    notice: Option<&'static str>,
    /// The clause preselected in the deliverable form.
    clause: Option<i64>,
    disputes: Vec<crate::disputes::api::DisputeOut>,
    /// Deliverables the community may take to arbitration.
    arbitrable: Vec<i64>,
    /// The community may contest the department's termination.
    can_contest: bool,
}

impl DetailPage {
    fn termination_reasons(&self) -> [(&'static str, &'static str); 4] {
        store::TERMINATION_REASONS
    }
    fn termination_reason(&self) -> &'static str {
        self.c.termination_reason_code.as_deref().map(store::termination_reason_label).unwrap_or("")
    }
    fn may_arbitrate(&self, deliverable: &i64) -> bool {
        self.arbitrable.contains(deliverable)
    }
    fn chosen(&self, clause: &i64) -> bool {
        self.clause == Some(*clause)
    }
    fn status_is(&self, s: &str) -> bool {
        self.c.status.as_str() == s
    }
    fn clause_label(&self, id: &Option<i64>) -> String {
        match id.and_then(|id| self.c.clauses.iter().find(|k| k.id == id)) {
            Some(k) => format!("第{}条验收后支付", super::pdf::chinese_number(k.number as u32)),
            None => "到期支付".into(),
        }
    }
    fn version_status(&self, s: &str) -> &'static str {
        match s {
            "pending" => "待签署",
            "effective" => "生效",
            "superseded" => "已被变更取代",
            _ => "作废",
        }
    }
    fn clause_title(&self, id: &i64) -> String {
        self.c
            .versions
            .iter()
            .flat_map(|v| v.clauses.iter())
            .find(|k| k.id == *id)
            .map(|k| format!("第{}条 {}", super::pdf::chinese_number(k.number as u32), k.title))
            .unwrap_or_default()
    }
    fn receipt_label(&self, s: &str) -> &'static str {
        match s {
            "confirmed" => "已确认到账",
            "disputed" => "有异议",
            _ => "待社区确认",
        }
    }
    /// A file's size as a clerk reads it.
    fn size_label(&self, bytes: &i64) -> String {
        match *bytes {
            b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
            b if b >= 1024 => format!("{} KB", (b + 1023) / 1024),
            b => format!("{b} 字节"),
        }
    }
    fn deliverable_label(&self, s: &str) -> &'static str {
        match s {
            "accepted" => "验收合格",
            "rejected" => "退回",
            _ => "待验收",
        }
    }
    fn evaluator_label(&self, e: &str) -> &'static str {
        if e == "residents" { "居民代表评价" } else { "购买方（部门）评价" }
    }
    fn cn(&self, n: &i32) -> String {
        super::pdf::chinese_number(*n as u32)
    }
}

pub async fn detail_render(st: &AppState, caller: &Caller, id: i64, status: StatusCode, errors: Vec<String>, notice: Option<&'static str>) -> PageResult {
    detail_render_with(st, caller, id, status, errors, notice, None).await
}

/// The contract page with a clause chosen in the deliverable form (a task's "提交成果" link).
async fn detail_render_with(st: &AppState, caller: &Caller, id: i64, status: StatusCode, errors: Vec<String>, notice: Option<&'static str>, clause: Option<i64>) -> PageResult {
    let c = api::contract_out(st, store::find(&st.db, caller, id).await?).await?;
    let is_department = caller.role == Role::Department && c.department_id == caller.org_id;
    let is_community = caller.role == Role::Community && c.community_id == caller.org_id;
    let awaiting = if c.status == Status::Draft {
        c.versions.iter().find(|v| v.version == c.version)
    } else {
        c.pending_amendment.as_ref()
    };
    let can_sign = awaiting.is_some_and(|v| {
        (is_department && v.department_signed_at.is_none()) || (is_community && v.community_signed_at.is_none())
    }) && matches!(c.status, Status::Draft | Status::Active);
    let model = store::find(&st.db, caller, id).await?;
    let funds = crate::funds::store::contract_funds(&st.db, &model).await?;
    let ds = crate::funds::store::disbursements_of(&st.db, caller.county_id, id).await?;
    // The payment's own rule (`funds::schedule`), never restated here.
    let schedule = crate::funds::store::schedule(&st.db, &model).await?;
    let today = chrono::Utc::now().date_naive();
    let payable = schedule
        .current()
        .filter_map(|i| {
            let p = schedule.payable(i, today);
            p.left.is_positive().then(|| PayRow { id: i.id, seq: i.seq, due: i.due, left: p.left, now: p.now, held: p.held, key: crate::platform::auth::random_key() })
        })
        .collect();
    let delivered = crate::funds::store::deliverables_of(&st.db, caller.county_id, id).await?;
    let disputes: Vec<crate::disputes::api::DisputeOut> = crate::disputes::store::of_contract(&st.db, caller.county_id, id).await?.into_iter().map(Into::into).collect();
    // The community may ask for arbitration of a clause's latest deliverable once it was
    // rejected twice (numbers identify clauses across versions).
    let arbitrable: Vec<i64> = if is_community && matches!(c.status, Status::Active | Status::Completed) {
        let number_of = |id: i64| c.versions.iter().flat_map(|v| v.clauses.iter()).find(|k| k.id == id).map(|k| k.number);
        crate::disputes::arbitrable_deliverables(&delivered, number_of)
            .into_iter()
            .filter(|id| !disputes.iter().any(|x| x.kind == crate::disputes::Kind::Deliverable && x.subject_id == *id))
            .collect()
    } else {
        Vec::new()
    };
    let can_contest = is_community
        && c.status == Status::Terminated
        && c.termination_reason_code.is_some()
        && !disputes.iter().any(|x| x.kind == crate::disputes::Kind::Termination);
    let deliverables = crate::funds::api::DeliverableOut::all(&st.db, caller.county_id, delivered).await?;
    let evaluations = crate::evaluation::api::evaluation_outs(st, &model).await?;
    let evaluable = matches!(c.status, Status::Active | Status::Completed);
    let can_evaluate = if !evaluable {
        None
    } else if is_department && !evaluations.iter().any(|e| e.evaluator == "department") {
        Some("department")
    } else if is_community && !evaluations.iter().any(|e| e.evaluator == "residents") {
        Some("residents")
    } else {
        None
    };
    let page = DetailPage {
        layout: Layout::for_caller(st, caller, c.number.clone()).await?,
        eval_form: crate::evaluation::store::form(&st.db, &model).await?,
        evaluations,
        can_evaluate,
        rule: crate::evaluation::OVERALL_RULE,
        is_community,
        is_finance: caller.role == Role::Finance && matches!(c.status, Status::Active | Status::Completed),
        can_answer: caller.role == Role::Finance,
        funds,
        disbursements: ds.iter().map(Into::into).collect(),
        deliverables,
        payable,
        c,
        can_sign,
        is_department,
        rationales: RATIONALES.to_vec(),
        errors,
        notice,
        clause,
        disputes,
        arbitrable,
        can_contest,
    };
    render(status, &page)
}


#[derive(Deserialize)]
struct ClauseQuery {
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    clause: Option<i64>,
}

async fn detail_page(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(q): Query<web::DoneQuery>, Query(k): Query<ClauseQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("drafted") => Some("合同草稿已生成，等待双方签署"),
        Some("signed") => Some("已签署"),
        Some("amended") => Some("变更已提出，双方签署后生效"),
        Some("step") => Some("已办理"),
        Some("paid") => Some("已拨付"),
        Some("receipt") => Some("已记录到账确认"),
        Some("disputed") => Some("已记录异议，财政局核实后答复；答复后请再确认到账"),
        Some("answered") => Some("已答复异议，等待社区重新确认到账"),
        Some("delivered") => Some("成果已提交，等待部门验收"),
        Some("decided") => Some("已验收"),
        Some("evaluated") => Some("评价已提交"),
        Some("objected") => Some("书面异议已提交，与评价一并保存，由民政部门处理"),
        Some("arbitration") => Some("已提交民政部门处理"),
        _ => None,
    };
    detail_render_with(&st, &caller, id, StatusCode::OK, vec![], notice, k.clause).await
}

#[derive(Deserialize)]
struct StepForm {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reason_code: String,
}

async fn step(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<StepForm>) -> PageResult {
    let (r, done) = match f.action.as_str() {
        "sign" => (store::sign(&st.db, &st.templates, &caller, id).await, "signed"),
        "complete" => (store::transition(&st.db, &caller, id, Status::Completed).await, "step"),
        "close" => (store::transition(&st.db, &caller, id, Status::Closed).await, "step"),
        "terminate" => (store::terminate(&st.db, &caller, id, &f.reason_code, &f.reason).await, "step"),
        _ => return Err(PageError(AppError::invalid("action", "未知操作"))),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done={done}")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

/// The amendment form: fixed fields and a `clause_<number>` text per clause.
async fn amend_submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let parsed = (|| -> Result<Amendment, AppError> {
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let amount = get("amount");
        Ok(Amendment {
            rationale_code: get("rationale_code"),
            rationale: get("rationale"),
            amount: if amount.trim().is_empty() { None } else { Some(amount.parse().map_err(|e: crate::money::MoneyError| AppError::invalid("amount", e.to_string()))?) },
            period_start: date(&get("period_start")),
            period_end: date(&get("period_end")),
            clause_texts: pairs.iter().filter_map(|(k, v)| Some((k.strip_prefix("clause_")?.parse().ok()?, v.clone()))).collect(),
        })
    })();
    let r = match parsed {
        Ok(am) => store::amend(&st.db, &st.templates, &caller, id, am).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=amended")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

async fn pdf(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> PageResult {
    let c = api::contract_out(&st, store::find(&st.db, &caller, id).await?).await?;
    Ok(super::pdf::contract_response(&st, &caller, &c).await?)
}
