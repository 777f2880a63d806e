//! Storage and steps of contracts: drafting from an admission, signing, amendments,
//! completion, closing and termination. Every write is one transaction.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use entity::{admission, contract, contract_clause, contract_milestone, contract_version};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::template::{fill, Template};
use super::{instalments, Instalment};
use crate::admission::store as admissions;
use crate::admission::Status as AdmissionStatus;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::db::{begin_write, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult, FieldError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Active,
    Completed,
    Closed,
    Terminated,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Active => "active",
            Status::Completed => "completed",
            Status::Closed => "closed",
            Status::Terminated => "terminated",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "active" => Status::Active,
            "completed" => Status::Completed,
            "closed" => Status::Closed,
            "terminated" => Status::Terminated,
            _ => Status::Draft,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "草稿（待双方签署）",
            Status::Active => "履行中",
            Status::Completed => "已完成",
            Status::Closed => "已结案",
            Status::Terminated => "已终止",
        }
    }
}

/// Why a contract is amended (变更事由), a stable code with its Chinese name.
pub const RATIONALES: [(&str, &str); 5] = [
    ("SCOPE_CHANGE", "服务内容调整"),
    ("PERIOD_EXTENSION", "服务期限调整"),
    ("BUDGET_ADJUSTMENT", "服务经费调整"),
    ("POLICY_CHANGE", "政策或依据变化"),
    ("CORRECTION", "文字更正"),
];

pub fn rationale_label(code: &str) -> &'static str {
    RATIONALES.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

/// Contracts a caller may see: the two parties theirs (drafts included), the county's
/// bodies every signed one.
pub fn visible(caller: &Caller) -> Select<contract::Entity> {
    let q = in_county::<contract::Entity>(caller.county_id);
    match caller.role {
        Role::Department => q.filter(contract::Column::DepartmentId.eq(caller.org_id)),
        Role::Community => q.filter(contract::Column::CommunityId.eq(caller.org_id)),
        _ => q.filter(contract::Column::Status.ne(Status::Draft.as_str())),
    }
}

pub async fn find(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<contract::Model> {
    visible(caller).filter(contract::Column::Id.eq(id)).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn list(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<contract::Model>> {
    Ok(visible(caller).order_by_desc(contract::Column::Id).all(db).await?)
}

pub async fn versions(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Vec<contract_version::Model>> {
    Ok(in_county::<contract_version::Entity>(c.county_id)
        .filter(contract_version::Column::ContractId.eq(c.id))
        .order_by_asc(contract_version::Column::Version)
        .all(db)
        .await?)
}

pub async fn clauses(db: &impl ConnectionTrait, c: &contract::Model, version: i32) -> AppResult<Vec<contract_clause::Model>> {
    Ok(in_county::<contract_clause::Entity>(c.county_id)
        .filter(contract_clause::Column::ContractId.eq(c.id))
        .filter(contract_clause::Column::Version.eq(version))
        .order_by_asc(contract_clause::Column::Number)
        .all(db)
        .await?)
}

pub async fn milestones(db: &impl ConnectionTrait, c: &contract::Model, version: i32) -> AppResult<Vec<contract_milestone::Model>> {
    Ok(in_county::<contract_milestone::Entity>(c.county_id)
        .filter(contract_milestone::Column::ContractId.eq(c.id))
        .filter(contract_milestone::Column::Version.eq(version))
        .order_by_asc(contract_milestone::Column::Seq)
        .all(db)
        .await?)
}

/// The amount a contract holds of its admission's budget: its version in force.
async fn held(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Money> {
    let v = in_county::<contract_version::Entity>(c.county_id)
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Version.eq(c.current_version))
        .one(db)
        .await?;
    Ok(v.map(|v| Money::from_fen(v.amount_fen)).unwrap_or_default())
}

/// What is left of an admission's budget for one more contract (or a bigger amendment
/// of `except`): the budget less every other contract not terminated.
pub async fn budget_left(db: &impl ConnectionTrait, a: &admission::Model, except: Option<i64>) -> AppResult<Money> {
    let budget = Money::from_fen(a.budget_fen.unwrap_or(0));
    let others = in_county::<contract::Entity>(a.county_id)
        .filter(contract::Column::AdmissionId.eq(a.id))
        .filter(contract::Column::Status.ne(Status::Terminated.as_str()))
        .all(db)
        .await?;
    let mut used = Money::ZERO;
    for c in others.iter().filter(|c| Some(c.id) != except) {
        used = used.checked_add(held(db, c).await?).ok_or_else(|| AppError::internal("amount overflow"))?;
    }
    Ok(budget.checked_sub(used).unwrap_or_default())
}

/// The admission may carry contracts: admitted, or entered early and not yet decided.
fn admission_open(a: &admission::Model) -> bool {
    let s = admissions::status_of(a);
    matches!(s, AdmissionStatus::Admitted | AdmissionStatus::InProgress)
        || (a.entered_at.is_some() && matches!(s, AdmissionStatus::EnteredPendingApproval | AdmissionStatus::Reviewed))
}

/// Rules 1 and 2 again, at the contract: the task's checks, and the template itself.
async fn check_rules(db: &impl ConnectionTrait, a: &admission::Model, t: &Template) -> AppResult<()> {
    let f = admissions::findings(db, a.county_id, &admissions::application_of(a), Some(a.id)).await?;
    admissions::refuse_if_blocked(&f)?;
    if let Some(why) = t.barred_for_community() {
        return Err(AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "TEMPLATE_NOT_FOR_COMMUNITY", why));
    }
    Ok(())
}

pub struct NewContract {
    pub admission_id: i64,
    pub community_id: i64,
    pub template_id: String,
    pub amount: Money,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub variables: HashMap<String, String>,
}

/// Checks filled-in variables against the template: required ones present (defaults
/// used), each of its type, none unknown.
pub fn check_variables(t: &Template, given: &HashMap<String, String>) -> AppResult<HashMap<String, String>> {
    let mut errs = Vec::new();
    let mut out = HashMap::new();
    for k in given.keys() {
        if !t.variables.iter().any(|v| &v.name == k) {
            errs.push(FieldError { field: format!("variables.{k}"), message: format!("模板“{}”没有变量“{k}”", t.title) });
        }
    }
    for v in &t.variables {
        let value = given.get(&v.name).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).or_else(|| v.default.clone());
        match value {
            None if v.required => errs.push(FieldError { field: format!("variables.{}", v.name), message: format!("请填写“{}”", v.label) }),
            None => {
                out.insert(v.name.clone(), String::new());
            }
            Some(value) => match v.check(&value) {
                Ok(ok) => {
                    out.insert(v.name.clone(), ok);
                }
                Err(m) => errs.push(FieldError { field: format!("variables.{}", v.name), message: m }),
            },
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::validation(errs))
    }
}

pub fn template<'a>(templates: &'a [Template], id: &str) -> AppResult<&'a Template> {
    templates.iter().find(|t| t.id == id).ok_or_else(|| AppError::invalid("template_id", "没有这个合同模板"))
}

async fn next_number(db: &impl ConnectionTrait, county_id: i64, year: i32) -> AppResult<i32> {
    let max: Option<Option<i32>> = in_county::<contract::Entity>(county_id)
        .select_only()
        .column_as(contract::Column::NumberSeq.max(), "m")
        .filter(contract::Column::NumberYear.eq(year))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// The values the clause texts are filled with.
#[allow(clippy::too_many_arguments)]
fn values(
    county: &str,
    names: &HashMap<i64, String>,
    a: &admission::Model,
    parties: (i64, i64),
    number: &str,
    amount: Money,
    start: NaiveDate,
    end: NaiveDate,
    vars: &HashMap<String, String>,
) -> HashMap<String, String> {
    let mut v = vars.clone();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    for (k, val) in [
        ("county", county.to_string()),
        ("department", name(parties.0)),
        ("community", name(parties.1)),
        ("task", a.title.clone()),
        ("approval_number", a.approval_number.clone().unwrap_or_else(|| "先进后批，待批准".into())),
        ("contract_number", number.to_string()),
        ("amount", amount.to_string()),
        ("amount_capitals", amount.capitals()),
        ("period_start", start.to_string()),
        ("period_end", end.to_string()),
    ] {
        v.insert(k.to_string(), val);
    }
    v
}

/// Every text of a contract must print: a character the font lacks would be a blank box.
fn check_printable(texts: &HashMap<u32, String>) -> AppResult<()> {
    let all: String = texts.values().map(String::as_str).collect();
    let lacking = crate::pdf::missing(&all);
    if lacking.is_empty() {
        return Ok(());
    }
    Err(AppError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "UNSUPPORTED_CHARACTER",
        format!("以下字符无法打印在合同上，请改用常用汉字：{}", lacking.iter().collect::<String>()),
    ))
}

/// Writes the clauses and milestones of one version.
#[allow(clippy::too_many_arguments)]
async fn write_version_body(
    db: &impl ConnectionTrait,
    c: &contract::Model,
    version: i32,
    t: &Template,
    texts: &HashMap<u32, String>,
    plan: &[Instalment],
) -> AppResult<()> {
    let mut clause_ids = HashMap::new();
    for ct in &t.clauses {
        let m = contract_clause::ActiveModel {
            county_id: Set(c.county_id),
            contract_id: Set(c.id),
            version: Set(version),
            number: Set(ct.number as i32),
            title: Set(ct.title.clone()),
            text: Set(texts.get(&ct.number).cloned().unwrap_or_default()),
            performance: Set(ct.performance),
            ..Default::default()
        }
        .insert(db)
        .await?;
        clause_ids.insert(ct.number, m.id);
    }
    for (i, p) in plan.iter().enumerate() {
        contract_milestone::ActiveModel {
            county_id: Set(c.county_id),
            contract_id: Set(c.id),
            version: Set(version),
            seq: Set(i as i32 + 1),
            due: Set(p.due),
            amount_fen: Set(p.amount.fen()),
            clause_id: Set(p.clause.and_then(|n| clause_ids.get(&n).copied())),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn check_period(a: &admission::Model, start: NaiveDate, end: NaiveDate) -> AppResult<()> {
    if end < start {
        return Err(AppError::invalid("period_end", "合同结束日期早于开始日期"));
    }
    let (Some(s), Some(e)) = (a.period_start, a.period_end) else {
        return Err(AppError::invalid("period_start", "准入事项没有工作期限"));
    };
    if start < s || end > e {
        return Err(AppError::invalid("period_start", format!("合同期限须在准入期限{s}至{e}之内")));
    }
    Ok(())
}

fn budget_exceeded(left: Money) -> AppError {
    AppError::conflict("ADMISSION_BUDGET_EXCEEDED", format!("合同金额超出准入事项剩余经费预算（剩余 {}）", left.grouped()))
}

/// Everything a draft must satisfy before it is written: the department's own admission,
/// admitted (or entered early); a community the task entered; rules 1 and 2 again; a
/// period inside the admission's; an amount within what is left of its budget.
async fn check_draft(
    db: &impl ConnectionTrait,
    caller: &Caller,
    t: &Template,
    new: &NewContract,
) -> AppResult<(admission::Model, NaiveDate, NaiveDate)> {
    let a = admissions::find(db, caller, new.admission_id)
        .await
        .map_err(|_| AppError::invalid("admission_id", "没有这个准入事项，或不是本部门的"))?;
    if a.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if !admission_open(&a) {
        return Err(AppError::conflict(
        "ADMISSION_NOT_ADMITTED",
        format!("准入事项当前为“{}”，只有已准入（或先进后批已进入）的事项才能签订购买服务合同", admissions::status_of(&a).label()),
        ));
    }
    let entered = admissions::targets(db, a.county_id, a.id)
        .await?
        .iter()
        .any(|tg| tg.community_id == new.community_id && tg.status == "entered");
    if !entered {
        return Err(AppError::invalid("community_id", "该社区不是本准入事项已进入的社区"));
    }
    check_rules(db, &a, t).await?;
    let start = new.period_start.or(a.period_start).ok_or_else(|| AppError::invalid("period_start", "请填写合同开始日期"))?;
    let end = new.period_end.or(a.period_end).ok_or_else(|| AppError::invalid("period_end", "请填写合同结束日期"))?;
    check_period(&a, start, end)?;
    let left = budget_left(db, &a, None).await?;
    if new.amount > left {
        return Err(budget_exceeded(left));
    }
    Ok((a, start, end))
}

/// What the form itself must get right: a known template, its variables, an amount.
fn check_input<'a>(templates: &'a [Template], new: &NewContract) -> AppResult<(&'a Template, HashMap<String, String>)> {
    let t = template(templates, &new.template_id)?;
    let vars = check_variables(t, &new.variables)?;
    if !new.amount.is_positive() {
        return Err(AppError::invalid("amount", "合同金额须大于零"));
    }
    Ok((t, vars))
}

/// What a draft would say, without saving it: the form's preview.
pub async fn preview(
    db: &impl ConnectionTrait,
    templates: &[Template],
    caller: &Caller,
    new: &NewContract,
) -> AppResult<(Vec<(u32, String, String, bool)>, Vec<Instalment>)> {
    let (t, vars) = check_input(templates, new)?;
    let (a, start, end) = check_draft(db, caller, t, new).await?;
    let county = crate::lists::api::county_name_in(db, caller.county_id).await?;
    let names = admissions::org_names(db, caller.county_id).await?;
    let vals = values(&county, &names, &a, (caller.org_id, new.community_id), "（签订后编号）", new.amount, start, end, &vars);
    let texts: HashMap<u32, String> = t.clauses.iter().map(|ct| (ct.number, fill(&ct.text, &vals))).collect();
    check_printable(&texts)?;
    let clauses = t.clauses.iter().map(|ct| (ct.number, ct.title.clone(), texts[&ct.number].clone(), ct.performance)).collect();
    Ok((clauses, instalments(&t.schedule, new.amount, start, end)))
}

/// A department drafts a contract from its admitted (or emergency-entered) application
/// for one of the communities the task entered.
pub async fn draft(
    db: &(impl ConnectionTrait + TransactionTrait),
    templates: &[Template],
    caller: &Caller,
    new: NewContract,
) -> AppResult<contract::Model> {
    let (t, vars) = check_input(templates, &new)?;
    for _ in 0..5 {
        let txn = begin_write(db).await?;
        let (a, start, end) = check_draft(&txn, caller, t, &new).await?;
        let now = Utc::now();
        let year = now.year();
        let seq = next_number(&txn, caller.county_id, year).await?;
        let county = crate::lists::api::county_name_in(&txn, caller.county_id).await?;
        let inserted = contract::ActiveModel {
            county_id: Set(caller.county_id),
            admission_id: Set(a.id),
            department_id: Set(caller.org_id),
            community_id: Set(new.community_id),
            template_id: Set(t.id.clone()),
            number: Set(format!("{county}购服〔{year}〕{seq}号")),
            number_year: Set(year),
            number_seq: Set(seq),
            status: Set(Status::Draft.as_str().into()),
            current_version: Set(1),
            variables: Set(serde_json::to_string(&vars).expect("variables serialise")),
            termination_reason: Set(None),
            created_by: Set(caller.user_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await;
        let c = match inserted {
            Err(e) if is_unique_violation(&e) => continue, // lost the race for the number
            other => other?,
        };
        contract_version::ActiveModel {
            county_id: Set(c.county_id),
            contract_id: Set(c.id),
            version: Set(1),
            amount_fen: Set(new.amount.fen()),
            period_start: Set(start),
            period_end: Set(end),
            status: Set("pending".into()),
            rationale_code: Set(None),
            rationale: Set(String::new()),
            created_by: Set(caller.user_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let names = admissions::org_names(&txn, c.county_id).await?;
        let vals = values(&county, &names, &a, (c.department_id, c.community_id), &c.number, new.amount, start, end, &vars);
        let texts = t.clauses.iter().map(|ct| (ct.number, fill(&ct.text, &vals))).collect();
        check_printable(&texts)?;
        write_version_body(&txn, &c, 1, t, &texts, &instalments(&t.schedule, new.amount, start, end)).await?;
        txn.commit().await?;
        return Ok(c);
    }
    Err(AppError::conflict("CONCURRENT_UPDATE", "合同编号分配冲突，请重试"))
}

/// The version waiting for signatures: the first draft, or a pending amendment.
async fn pending_version(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Option<contract_version::Model>> {
    Ok(in_county::<contract_version::Entity>(c.county_id)
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Status.eq("pending"))
        .one(db)
        .await?)
}

/// One party signs the version waiting for signatures. When both have, it takes effect:
/// the first makes the contract active, an amendment replaces the version in force.
pub async fn sign(db: &(impl ConnectionTrait + TransactionTrait), templates: &[Template], caller: &Caller, id: i64) -> AppResult<contract::Model> {
    let txn = begin_write(db).await?;
    let c = find(&txn, caller, id).await?;
    let party_department = caller.role == Role::Department && c.department_id == caller.org_id;
    let party_community = caller.role == Role::Community && c.community_id == caller.org_id;
    if !party_department && !party_community {
        return Err(AppError::forbidden());
    }
    let status = Status::parse(&c.status);
    if !matches!(status, Status::Draft | Status::Active) {
        return Err(AppError::conflict("INVALID_STATE", format!("合同当前为“{}”，不能签署", status.label())));
    }
    let Some(v) = pending_version(&txn, &c).await? else {
        return Err(AppError::conflict("NOTHING_TO_SIGN", "没有待签署的合同文本"));
    };
    let already = if party_department { v.department_signed_at.is_some() } else { v.community_signed_at.is_some() };
    if already {
        return Err(AppError::conflict("ALREADY_SIGNED", "您方已签署此版本，等待对方签署"));
    }
    // The rules are checked once more before anything binds the community.
    let a = admission::Entity::find_by_id(c.admission_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    check_rules(&txn, &a, template(templates, &c.template_id)?).await?;
    let now = Utc::now();
    let mut am: contract_version::ActiveModel = v.clone().into();
    if party_department {
        am.department_signed_by = Set(Some(caller.user_id));
        am.department_signed_at = Set(Some(now));
    } else {
        am.community_signed_by = Set(Some(caller.user_id));
        am.community_signed_at = Set(Some(now));
    }
    let both = (party_department || v.department_signed_at.is_some()) && (party_community || v.community_signed_at.is_some());
    if both {
        am.status = Set("effective".into());
    }
    // Guarded on the row as read: two signatures racing cannot both land on a stale copy.
    let res = contract_version::Entity::update_many()
        .set(am)
        .filter(contract_version::Column::Id.eq(v.id))
        .filter(contract_version::Column::Status.eq("pending"))
        .filter(if party_department {
            contract_version::Column::DepartmentSignedAt.is_null()
        } else {
            contract_version::Column::CommunitySignedAt.is_null()
        })
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("ALREADY_SIGNED", "您方已签署此版本"));
    }
    if both {
        // The contract binds money now: commit it against the department's budget, or
        // refuse the signature (409 BUDGET_EXCEEDED) and change nothing.
        crate::funds::store::commit_contract(&txn, caller, &c, v.period_start, Money::from_fen(v.amount_fen)).await?;
        if v.version > 1 {
            contract_version::Entity::update_many()
                .col_expr(contract_version::Column::Status, Expr::value("superseded"))
                .filter(contract_version::Column::ContractId.eq(c.id))
                .filter(contract_version::Column::Version.eq(c.current_version))
                .exec(&txn)
                .await?;
        }
        contract::Entity::update_many()
            .col_expr(contract::Column::Status, Expr::value(Status::Active.as_str()))
            .col_expr(contract::Column::CurrentVersion, Expr::value(v.version))
            .col_expr(contract::Column::UpdatedAt, Expr::value(now))
            .filter(contract::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
    }
    let c = contract::Entity::find_by_id(c.id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(c)
}

pub struct Amendment {
    pub rationale_code: String,
    pub rationale: String,
    pub amount: Option<Money>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// New text for clauses, by number.
    pub clause_texts: HashMap<u32, String>,
}

/// The department proposes an amendment of an active contract: a new version that takes
/// effect only when both sides have signed it; the version in force stays until then.
pub async fn amend(
    db: &(impl ConnectionTrait + TransactionTrait),
    templates: &[Template],
    caller: &Caller,
    id: i64,
    am: Amendment,
) -> AppResult<contract::Model> {
    if !RATIONALES.iter().any(|(c, _)| *c == am.rationale_code) {
        let codes: Vec<&str> = RATIONALES.iter().map(|(c, _)| *c).collect();
        return Err(AppError::invalid("rationale_code", format!("变更事由代码须为：{}", codes.join("、"))));
    }
    if am.rationale.trim().is_empty() {
        return Err(AppError::invalid("rationale", "请写明变更理由"));
    }
    let txn = begin_write(db).await?;
    let c = find(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if Status::parse(&c.status) != Status::Active {
        return Err(AppError::conflict("INVALID_STATE", "只有履行中的合同可以变更"));
    }
    if pending_version(&txn, &c).await?.is_some() {
        return Err(AppError::conflict("AMENDMENT_PENDING", "已有待签署的变更，请先完成签署"));
    }
    let t = template(templates, &c.template_id)?;
    let a = admission::Entity::find_by_id(c.admission_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    check_rules(&txn, &a, t).await?;
    let cur = in_county::<contract_version::Entity>(c.county_id)
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Version.eq(c.current_version))
        .one(&txn)
        .await?
        .ok_or_else(AppError::not_found)?;
    let amount = am.amount.unwrap_or(Money::from_fen(cur.amount_fen));
    let start = am.period_start.unwrap_or(cur.period_start);
    let end = am.period_end.unwrap_or(cur.period_end);
    if !amount.is_positive() {
        return Err(AppError::invalid("amount", "合同金额须大于零"));
    }
    check_period(&a, start, end)?;
    let left = budget_left(&txn, &a, Some(c.id)).await?;
    if amount > left {
        return Err(budget_exceeded(left));
    }
    let old_clauses = clauses(&txn, &c, c.current_version).await?;
    for n in am.clause_texts.keys() {
        if !old_clauses.iter().any(|oc| oc.number as u32 == *n) {
            return Err(AppError::invalid("clauses", format!("合同没有第{n}条")));
        }
    }
    let changed_money_or_period = amount.fen() != cur.amount_fen || start != cur.period_start || end != cur.period_end;
    if !changed_money_or_period && am.clause_texts.iter().all(|(n, t)| old_clauses.iter().any(|oc| oc.number as u32 == *n && oc.text == *t)) {
        return Err(AppError::invalid("", "变更内容与现行合同相同"));
    }
    let version = cur.version.max(versions(&txn, &c).await?.iter().map(|v| v.version).max().unwrap_or(1)) + 1;
    contract_version::ActiveModel {
        county_id: Set(c.county_id),
        contract_id: Set(c.id),
        version: Set(version),
        amount_fen: Set(amount.fen()),
        period_start: Set(start),
        period_end: Set(end),
        status: Set("pending".into()),
        rationale_code: Set(Some(am.rationale_code.clone())),
        rationale: Set(am.rationale.trim().into()),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Clause texts: the amended ones as written; the rest re-rendered when amount or
    // period changed (they quote them), otherwise kept.
    let county = crate::lists::api::county_name_in(&txn, c.county_id).await?;
    let names = admissions::org_names(&txn, c.county_id).await?;
    let vars: HashMap<String, String> = serde_json::from_str(&c.variables).unwrap_or_default();
    let vals = values(&county, &names, &a, (c.department_id, c.community_id), &c.number, amount, start, end, &vars);
    let texts: HashMap<u32, String> = t
        .clauses
        .iter()
        .map(|ct| {
            let text = am.clause_texts.get(&ct.number).cloned().unwrap_or_else(|| {
                let old = old_clauses.iter().find(|oc| oc.number as u32 == ct.number).map(|oc| oc.text.clone()).unwrap_or_default();
                if changed_money_or_period { fill(&ct.text, &vals) } else { old }
            });
            (ct.number, text)
        })
        .collect();
    check_printable(&texts)?;
    write_version_body(&txn, &c, version, t, &texts, &instalments(&t.schedule, amount, start, end)).await?;
    txn.commit().await?;
    Ok(c)
}

/// Moves a contract on: complete (department, active), close (department, completed, once
/// paid, confirmed and evaluated), terminate (department, with a reason, before it is closed).
pub async fn transition(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, to: Status, reason: &str) -> AppResult<contract::Model> {
    let txn = begin_write(db).await?;
    let c = find(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    let from = Status::parse(&c.status);
    let ok = matches!(
        (from, to),
        (Status::Active, Status::Completed) | (Status::Completed, Status::Closed) | (Status::Draft | Status::Active | Status::Completed, Status::Terminated)
    );
    if !ok {
        return Err(AppError::conflict("INVALID_STATE", format!("合同当前为“{}”，不能改为“{}”", from.label(), to.label())));
    }
    if to == Status::Terminated && reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "请写明终止理由"));
    }
    if to == Status::Closed {
        // Closing is the end of the contract's life, with its own conditions (issue of
        // evaluation): the same check that closes it by itself.
        if !crate::evaluation::store::maybe_close(&txn, caller, c.id).await? {
            return Err(AppError::conflict(
                "NOT_READY_TO_CLOSE",
                "合同尚不能结案：须所有交付成果已验收、合同金额已全部拨付并经社区确认到账、部门已按合同条款完成评价",
            ));
        }
        let c = contract::Entity::find_by_id(id).one(&txn).await?.ok_or_else(AppError::not_found)?;
        txn.commit().await?;
        return Ok(c);
    }
    let res = contract::Entity::update_many()
        .col_expr(contract::Column::Status, Expr::value(to.as_str()))
        .col_expr(contract::Column::TerminationReason, Expr::value(if to == Status::Terminated { Some(reason.trim().to_string()) } else { None }))
        .col_expr(contract::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contract::Column::Id.eq(id))
        .filter(contract::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("INVALID_STATE", "合同已被他人处理，请刷新"));
    }
    if to == Status::Terminated {
        crate::funds::store::release_contract(&txn, caller, &c).await?;
        // A pending amendment dies with the contract.
        contract_version::Entity::update_many()
            .col_expr(contract_version::Column::Status, Expr::value("void"))
            .filter(contract_version::Column::ContractId.eq(id))
            .filter(contract_version::Column::Status.eq("pending"))
            .exec(&txn)
            .await?;
    }
    let c = contract::Entity::find_by_id(id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit().await?;
    Ok(c)
}
