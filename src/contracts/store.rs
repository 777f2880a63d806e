//! Storage and steps of contracts: drafting from an admission, signing, amendments,
//! completion, closing and termination. Every write is one transaction.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate, Utc};
use entity::{admission, contract, contract_clause, contract_milestone, contract_version};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set, TransactionTrait};

use super::template::{fill, Template};
use super::{instalments, Instalment};
use crate::lifecycle::{self as life, amount_not_below_paid, carry_plan, store as lifecycle, ContractStep, Planned, Settled, TargetStatus, Use, VersionStatus};
use crate::admission::store as admissions;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::audit::Entry;
use crate::platform::db::{begin_write, by_id_in_county, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult, FieldError};
use crate::platform::page::{self, ListFilter, Page, PageReq};

pub use crate::lifecycle::ContractStatus as Status;

/// Why a contract is amended (变更事由), a stable code with its Chinese name.
pub const RATIONALES: [(&str, &str); 5] = [
    ("SCOPE_CHANGE", "服务内容调整"),
    ("PERIOD_EXTENSION", "服务期限调整"),
    ("BUDGET_ADJUSTMENT", "服务经费调整"),
    ("POLICY_CHANGE", "政策或依据变化"),
    ("CORRECTION", "文字更正"),
];

/// Why a department ends a contract before its time (a department's termination needs one).
pub const TERMINATION_REASONS: [(&str, &str); 4] = [
    ("COMMUNITY_BREACH", "社区未按合同条款履约"),
    ("TASK_WITHDRAWN", "工作任务取消或依据废止"),
    ("MUTUAL_AGREEMENT", "双方协商一致"),
    ("FORCE_MAJEURE", "不可抗力"),
];

pub fn termination_reason_label(code: &str) -> &'static str {
    TERMINATION_REASONS.iter().find(|(c, _)| *c == code).map(|(_, l)| *l).unwrap_or("")
}

/// Contract numbers by id, for lists that name contracts.
pub async fn numbers(db: &impl ConnectionTrait, county_id: i64, ids: Vec<i64>) -> AppResult<HashMap<i64, String>> {
    Ok(in_county::<contract::Entity>(county_id).filter(contract::Column::Id.is_in(ids)).all(db).await?.into_iter().map(|c| (c.id, c.number)).collect())
}

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

/// The contract as it stands once its admission, department and contract rows are
/// locked (in the lifecycle's fixed order): what every money step checks against.
async fn find_locked(txn: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<contract::Model> {
    let c = find(txn, caller, id).await?;
    lifecycle::lock_money(txn, Some(c.admission_id), Some(c.department_id), Some(c.id)).await?;
    find(txn, caller, id).await
}

pub async fn list(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<contract::Model>> {
    Ok(visible(caller).order_by_desc(contract::Column::Id).all(db).await?)
}


/// A page of the contracts the caller may see, newest first.
pub async fn page(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, req: PageReq) -> AppResult<Page<contract::Model>> {
    page::fetch(db, filtered(caller, f)?, contract::Column::Id, req, |c| c.id).await
}

/// The contracts the caller may see, narrowed by the filter (lists and registers).
pub fn filtered(caller: &Caller, f: &ListFilter) -> AppResult<Select<contract::Entity>> {
    let mut q = visible(caller);
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(contract::Column::Status.eq(s));
    }
    if let Some(d) = f.department_id {
        q = q.filter(contract::Column::DepartmentId.eq(d));
    }
    if let Some(c) = f.community_id {
        q = q.filter(contract::Column::CommunityId.eq(c));
    }
    if let Some(y) = f.year {
        crate::platform::input::check_year(y)?;
        q = q.filter(contract::Column::NumberYear.eq(y));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let titled = sea_orm::sea_query::Query::select()
            .column(entity::admission::Column::Id)
            .from(entity::admission::Entity)
            .and_where(entity::admission::Column::CountyId.eq(caller.county_id))
            .and_where(entity::admission::Column::Title.contains(text))
            .to_owned();
        q = q.filter(sea_orm::Condition::any().add(contract::Column::Number.contains(text)).add(contract::Column::AdmissionId.in_subquery(titled)));
    }
    Ok(q)
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

/// Rules 1 and 2 again, at the contract: the task's checks, and the template itself.
async fn check_rules(db: &impl ConnectionTrait, a: &admission::Model, t: &Template) -> AppResult<()> {
    let f = admissions::findings(db, a.county_id, &admissions::application_of(a), Some(a.id)).await?;
    admissions::refuse_if_blocked(&f)?;
    if let Some(why) = t.barred_for_community() {
        return Err(AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "TEMPLATE_NOT_FOR_COMMUNITY", why));
    }
    Ok(())
}

/// What a contract is drawn from: an admitted (or emergency-entered) task, or an
/// assignment of an assist-list item (`admission::assist`).
#[derive(Clone, Debug)]
pub enum Source {
    Admission(i64),
    Assist(crate::admission::assist::Assignment),
}

pub struct NewContract {
    pub source: Source,
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
        ("approval_number", match &a.approval_number {
            Some(n) => n.clone(),
            None if a.origin == crate::admission::ORIGIN_ASSIST => crate::admission::assist::GROUND.into(),
            None => "先进后批，待批准".into(),
        }),
        ("ground", match &a.approval_number {
            _ if a.origin == crate::admission::ORIGIN_ASSIST => format!("依据{county}协助办理事项清单派单（协助事项无需准入审批）"),
            Some(n) => format!("经{county}准入审批（批准文号：{n}）"),
            None => format!("经{county}准入（先进后批，待批准）"),
        }),
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

/// The ISO dates (YYYY-MM-DD, as clause texts quote them) written in a text.
pub fn dates_in(text: &str) -> Vec<NaiveDate> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.clone().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    (0..b.len().saturating_sub(9))
        .filter(|&i| (i == 0 || !b[i - 1].is_ascii_digit()) && digits(i..i + 4) && b[i + 4] == b'-' && digits(i + 5..i + 7) && b[i + 7] == b'-' && digits(i + 8..i + 10) && !b.get(i + 10).is_some_and(u8::is_ascii_digit))
        .filter_map(|i| NaiveDate::parse_from_str(&text[i..i + 10], "%Y-%m-%d").ok())
        .collect()
}

/// A contract says one thing: every date a performance clause sets (a delivery by …) lies
/// within the period, for a draft as for an amendment that moves the period (issue 26:
/// a period shortened to 25 December while a clause still required delivery by the 31st).
fn check_dates_in_period(t: &Template, texts: &HashMap<u32, String>, start: NaiveDate, end: NaiveDate) -> AppResult<()> {
    let mut errs = Vec::new();
    for ct in t.clauses.iter().filter(|ct| ct.performance) {
        let text = texts.get(&ct.number).map(String::as_str).unwrap_or_default();
        if let Some(d) = dates_in(text).into_iter().find(|d| *d < start || *d > end) {
            errs.push(FieldError { field: "period_end".into(), message: format!("第{}条约定的日期{d}不在合同期限{start}至{end}之内：请一并修改该条款或期限", ct.number) });
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errs))
    }
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
    plan: &[Planned],
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
    write_milestones(db, c, version, &clause_ids, plan).await
}

async fn write_milestones(db: &impl ConnectionTrait, c: &contract::Model, version: i32, clause_ids: &HashMap<u32, i64>, plan: &[Planned]) -> AppResult<()> {
    for (i, p) in plan.iter().enumerate() {
        contract_milestone::ActiveModel {
            county_id: Set(c.county_id),
            contract_id: Set(c.id),
            version: Set(version),
            seq: Set(i as i32 + 1),
            key: Set(p.key),
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

/// The schedule of a new version of `c` for `amount` over the period: the template's
/// schedule, with every instalment already paid on the version in force kept under its
/// key (see `lifecycle::carry_plan`). The first version simply numbers its instalments.
async fn plan_for(db: &impl ConnectionTrait, c: &contract::Model, t: &Template, amount: Money, start: NaiveDate, end: NaiveDate) -> AppResult<Vec<Planned>> {
    let fresh = instalments(&t.schedule, amount, start, end);
    let monthly = matches!(t.schedule, super::template::Schedule::Monthly { .. });
    let all = in_county::<contract_milestone::Entity>(c.county_id).filter(contract_milestone::Column::ContractId.eq(c.id)).all(db).await?;
    let next_key = all.iter().map(|m| m.key).max().unwrap_or(0) + 1;
    let paid = lifecycle::paid_by_key(db, c).await?;
    let clause_numbers: HashMap<i64, u32> = clauses(db, c, c.current_version).await?.iter().map(|k| (k.id, k.number as u32)).collect();
    let settled: Vec<Settled> = all
        .iter()
        .filter(|m| m.version == c.current_version)
        .map(|m| Settled {
            key: m.key,
            seq: m.seq,
            due: m.due,
            clause: m.clause_id.and_then(|id| clause_numbers.get(&id).copied()),
            paid: paid.get(&m.key).copied().unwrap_or_default(),
        })
        .collect();
    Ok(carry_plan(&fresh, &settled, next_key, monthly)?)
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

/// Everything a draft must satisfy before it is written: the department's own admission,
/// admitted (or entered early); a community the task entered; rules 1 and 2 again; a
/// period inside the admission's; an amount within what is left of its budget.
async fn check_draft(
    db: &impl ConnectionTrait,
    caller: &Caller,
    t: &Template,
    new: &NewContract,
) -> AppResult<(admission::Model, NaiveDate, NaiveDate)> {
    let admission_id = match &new.source {
        Source::Admission(id) => *id,
        Source::Assist(x) => return check_assignment(db, caller, t, new, x).await,
    };
    let a = admissions::find(db, caller, admission_id)
        .await
        .map_err(|_| AppError::invalid("admission_id", "没有这个准入事项，或不是本部门的"))?;
    if a.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    lifecycle::require_in_force(&a, Use::Bind)?;
    let admitted_there = admissions::targets(db, a.county_id, a.id)
        .await?
        .iter()
        .any(|tg| tg.community_id == new.community_id && matches!(TargetStatus::parse(&tg.status), Some(TargetStatus::Admitted | TargetStatus::Entered)));
    if !admitted_there {
        return Err(AppError::invalid("community_id", "该社区不是本准入事项准入的社区"));
    }
    check_rules(db, &a, t).await?;
    let start = new.period_start.or(a.period_start).ok_or_else(|| AppError::invalid("period_start", "请填写合同开始日期"))?;
    let end = new.period_end.or(a.period_end).ok_or_else(|| AppError::invalid("period_end", "请填写合同结束日期"))?;
    check_period(&a, start, end)?;
    lifecycle::require_admission_room(db, &a, None, new.amount).await?;
    Ok((a, start, end))
}

/// A draft from an assist-list item: a community of the county, a period of its own, the
/// assignment's checks (`assist::prepare`) and the template's.
async fn check_assignment(
    db: &impl ConnectionTrait,
    caller: &Caller,
    t: &Template,
    new: &NewContract,
    x: &crate::admission::assist::Assignment,
) -> AppResult<(admission::Model, NaiveDate, NaiveDate)> {
    let community = in_county::<entity::organisation::Entity>(caller.county_id).filter(entity::organisation::Column::Id.eq(new.community_id)).one(db).await?;
    if !community.is_some_and(|o| o.kind == crate::orgs::OrgKind::Community.as_str()) {
        return Err(AppError::invalid("community_id", "没有这个社区"));
    }
    // The assist list runs by the year: by default from today to the year's end.
    let start = new.period_start.unwrap_or_else(|| Utc::now().date_naive());
    let end = match new.period_end {
        Some(e) => e,
        None => NaiveDate::from_ymd_opt(start.year(), 12, 31).ok_or_else(|| AppError::invalid("period_start", "日期无效"))?,
    };
    // The window every date of the system keeps (a year -1 here once broke the registers).
    if let Err(e) = crate::platform::input::check_date(start) {
        return Err(AppError::invalid("period_start", e));
    }
    if let Err(e) = crate::platform::input::check_date(end) {
        return Err(AppError::invalid("period_end", e));
    }
    if (end - start).num_days() > crate::platform::input::MAX_PERIOD_DAYS {
        return Err(AppError::invalid("period_end", "协助事项派单期限不得超过5年，请按年度派单"));
    }
    if end < start {
        return Err(AppError::invalid("period_end", "合同结束日期早于开始日期"));
    }
    let a = crate::admission::assist::prepare(db, caller, x, start, end, new.amount).await?;
    if let Some(why) = t.barred_for_community() {
        return Err(AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "TEMPLATE_NOT_FOR_COMMUNITY", why));
    }
    Ok((a, start, end))
}

/// What the form itself must get right: a known template, its variables, an amount.
/// What a department writes into a contract is screened like an application (001 §二(四)
/// and §二(六): no negative-list work, no service needing a qualification or enforcement,
/// rated only by the clauses, never by target assessment or 一票否决). Any finding, strong
/// or doubtful, refuses: there is no reviewer between a draft and its signature. 422
/// TARGET_ASSESSMENT (or the finding's code) names the variable or clause and the words.
/// `before` holds texts already in force: a concept they carry already (the task's own
/// title in clause 1, decided at admission) is not the amendment's doing.
fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect()
}

pub async fn screen_texts(db: &impl ConnectionTrait, county_id: i64, fields: &[(String, String)], before: &[(String, String)]) -> AppResult<()> {
    let items = admissions::rule_items(db, county_id).await?;
    let engine = admissions::engine(db, county_id, &items).await?;
    let had: Vec<(String, String)> = engine
        .scan(&refs(before))
        .into_iter()
        .flat_map(|h| h.evidence.into_iter().map(move |e| (e.field, h.concept.clone())))
        .collect();
    let found: Vec<_> = crate::admission::rules::screening_findings(&engine, &items, &refs(fields))
        .into_iter()
        .filter(|f| !f.evidence.iter().all(|e| had.iter().any(|(field, c)| *field == e.field && Some(c) == f.concept.as_ref())))
        .collect();
    let Some(first) = found.iter().find(|f| f.code == "TARGET_ASSESSMENT").or(found.first()) else { return Ok(()) };
    Err(AppError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        first.code,
        format!("合同内容不得写入：{}", first.message),
    )
    .with_details(found.iter().map(|f| serde_json::to_value(f).expect("finding serialises")).collect()))
}

/// The department's own words in a contract: its text variables.
fn written_variables(t: &Template, vars: &HashMap<String, String>) -> Vec<(String, String)> {
    t.variables
        .iter()
        .filter(|v| v.ty == crate::contracts::template::VarType::Text)
        .filter_map(|v| vars.get(&v.name).map(|x| (format!("variables.{}", v.name), x.clone())))
        .collect()
}

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
    screen_texts(db, caller.county_id, &written_variables(t, &vars), &[]).await?;
    let (a, start, end) = check_draft(db, caller, t, new).await?;
    let county = crate::lists::api::county_name_in(db, caller.county_id).await?;
    let names = admissions::org_names(db, caller.county_id).await?;
    let vals = values(&county, &names, &a, (caller.org_id, new.community_id), "（签订后编号）", new.amount, start, end, &vars);
    let texts: HashMap<u32, String> = t.clauses.iter().map(|ct| (ct.number, fill(&ct.text, &vals))).collect();
    check_printable(&texts)?;
    check_dates_in_period(t, &texts, start, end)?;
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
    screen_texts(db, caller.county_id, &written_variables(t, &vars), &[]).await?;
    for _ in 0..5 {
        let txn = begin_write(db).await?;
        if let Source::Admission(id) = &new.source {
            lifecycle::lock_money(&txn, Some(*id), None, None).await?;
        }
        let (a, start, end) = check_draft(&txn, caller, t, &new).await?;
        // An assignment is saved with its contract: one task, one community.
        let a = match &new.source {
            Source::Assist(_) => crate::admission::assist::save(&txn, caller, a, new.community_id).await?,
            Source::Admission(_) => a,
        };
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
            termination_code: Set(None),
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
            status: Set(VersionStatus::Pending.as_str().into()),
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
        check_dates_in_period(t, &texts, start, end)?;
        let plan = carry_plan(&instalments(&t.schedule, new.amount, start, end), &[], 1, false)?;
        write_version_body(&txn, &c, 1, t, &texts, &plan).await?;
        txn.commit(vec![Entry::by(caller, "contract.draft", "contract", c.id)
            .after(serde_json::json!({"contract": &c, "amount": new.amount.to_string(), "period_start": start, "period_end": end}))])
        .await?;
        return Ok(c);
    }
    Err(AppError::conflict("CONCURRENT_UPDATE", "合同编号分配冲突，请重试"))
}

/// The department ends its contract before its time, with a reason code and a reason;
/// the community may contest it (`disputes`).
pub async fn terminate(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, code: &str, reason: &str) -> AppResult<contract::Model> {
    let mut errs = Vec::new();
    if termination_reason_label(code).is_empty() {
        errs.push(FieldError { field: "reason_code".into(), message: format!("请选择终止原因：{}", TERMINATION_REASONS.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("、")) });
    }
    if reason.trim().is_empty() {
        errs.push(FieldError { field: "reason".into(), message: "请写明终止理由".into() });
    }
    if !errs.is_empty() {
        return Err(AppError::validation(errs));
    }
    let txn = begin_write(db).await?;
    let c = find_locked(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    lifecycle::terminate(&txn, caller, &c, reason.trim(), None).await?;
    contract::Entity::update_many()
        .col_expr(contract::Column::TerminationReasonCode, sea_orm::sea_query::Expr::value(code))
        .filter(contract::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let c = by_id_in_county::<contract::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, "contract.termination_reason", "contract", id).after(serde_json::json!({"reason_code": code, "reason": reason.trim()}))]).await?;
    Ok(c)
}

/// The version waiting for signatures: the first draft, or a pending amendment.
async fn pending_version(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Option<contract_version::Model>> {
    Ok(in_county::<contract_version::Entity>(c.county_id)
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Status.eq(VersionStatus::Pending.as_str()))
        .one(db)
        .await?)
}

/// One party signs the version waiting for signatures. When both have, it takes effect:
/// the first makes the contract active (and the task enters the community), an amendment
/// replaces the version in force. The last signature checks everything again under lock:
/// the admission in force, its budget, the department's budget, nothing below what was
/// paid; the schedule is rebuilt against what has been paid by then.
pub async fn sign(db: &(impl ConnectionTrait + TransactionTrait), templates: &[Template], caller: &Caller, id: i64) -> AppResult<contract::Model> {
    let txn = begin_write(db).await?;
    let c = find_locked(&txn, caller, id).await?;
    let party_department = caller.role == Role::Department && c.department_id == caller.org_id;
    let party_community = caller.role == Role::Community && c.community_id == caller.org_id;
    if !party_department && !party_community {
        return Err(AppError::forbidden());
    }
    let status = lifecycle::contract_status(&c)?;
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
    let a = by_id_in_county::<admission::Entity>(c.county_id, c.admission_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    lifecycle::require_in_force(&a, Use::Bind)?;
    let t = template(templates, &c.template_id)?;
    check_rules(&txn, &a, t).await?;
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
    let amount = Money::from_fen(v.amount_fen);
    if both {
        am.status = Set(VersionStatus::Effective.as_str().into());
        lifecycle::require_admission_room(&txn, &a, Some(c.id), amount).await?;
        // The department's budget, less what its other pending amendments ask for.
        let in_force = if status == Status::Draft { 0 } else { versions(&txn, &c).await?.iter().find(|x| x.version == c.current_version).map_or(0, |x| x.amount_fen) };
        crate::funds::store::require_department_room(&txn, &c, v.period_start, Money::from_fen((v.amount_fen - in_force).max(0))).await?;
        if v.version > 1 {
            // Payments may have been made since the amendment was proposed.
            let paid = crate::funds::store::contract_funds(&txn, &c).await?.disbursed;
            amount_not_below_paid(amount, paid)?;
            let plan = plan_for(&txn, &c, t, amount, v.period_start, v.period_end).await?;
            contract_milestone::Entity::delete_many()
                .filter(contract_milestone::Column::ContractId.eq(c.id))
                .filter(contract_milestone::Column::Version.eq(v.version))
                .exec(&txn)
                .await?;
            let clause_ids = clauses(&txn, &c, v.version).await?.iter().map(|k| (k.number as u32, k.id)).collect();
            write_milestones(&txn, &c, v.version, &clause_ids, &plan).await?;
        }
    }
    let res = contract_version::Entity::update_many()
        .set(am)
        .filter(contract_version::Column::Id.eq(v.id))
        .filter(contract_version::Column::Status.eq(VersionStatus::Pending.as_str()))
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
        crate::funds::store::commit_contract(&txn, caller, &c, v.period_start, amount).await?;
        if v.version > 1 {
            contract_version::Entity::update_many()
                .col_expr(contract_version::Column::Status, Expr::value(VersionStatus::Superseded.as_str()))
                .filter(contract_version::Column::ContractId.eq(c.id))
                .filter(contract_version::Column::Version.eq(c.current_version))
                .exec(&txn)
                .await?;
        }
        contract::Entity::update_many()
            .col_expr(contract::Column::CurrentVersion, Expr::value(v.version))
            .col_expr(contract::Column::UpdatedAt, Expr::value(now))
            .filter(contract::Column::Id.eq(c.id))
            .exec(&txn)
            .await?;
        if status == Status::Draft {
            lifecycle::activate(&txn, caller, &c).await?;
        } else {
            // An amendment down to what is paid and confirmed may end the contract's life.
            lifecycle::settle(&txn, caller, c.id).await?;
        }
    }
    let c = by_id_in_county::<contract::Entity>(c.county_id, c.id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    let side = if party_department { "department" } else { "community" };
    txn.commit(vec![Entry::by(caller, "contract.sign", "contract", c.id)
        .before(serde_json::json!({"version": v.version, "status": v.status}))
        .after(serde_json::json!({"version": v.version, "signed_by": side, "in_force": both, "amount": amount.to_string()}))])
    .await?;
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
    let c = find_locked(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if lifecycle::contract_status(&c)? != Status::Active {
        return Err(AppError::conflict("INVALID_STATE", "只有履行中的合同可以变更"));
    }
    if pending_version(&txn, &c).await?.is_some() {
        return Err(AppError::conflict("AMENDMENT_PENDING", "已有待签署的变更，请先完成签署"));
    }
    let t = template(templates, &c.template_id)?;
    let a = by_id_in_county::<admission::Entity>(c.county_id, c.admission_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    lifecycle::require_in_force(&a, Use::Bind)?;
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
    // Never below what has been paid; a pending amendment counts against the admission's
    // and the department's budget until it is signed or withdrawn.
    amount_not_below_paid(amount, crate::funds::store::contract_funds(&txn, &c).await?.disbursed)?;
    lifecycle::require_admission_room(&txn, &a, Some(c.id), amount).await?;
    let increase = Money::from_fen((amount.fen() - cur.amount_fen).max(0));
    crate::funds::store::require_department_room(&txn, &c, cur.period_start, increase).await?;
    let old_clauses = clauses(&txn, &c, c.current_version).await?;
    for n in am.clause_texts.keys() {
        if !old_clauses.iter().any(|oc| oc.number as u32 == *n) {
            return Err(AppError::invalid("clauses", format!("合同没有第{n}条")));
        }
    }
    let changed: Vec<(String, String)> = am
        .clause_texts
        .iter()
        .filter(|(n, text)| !old_clauses.iter().any(|oc| oc.number as u32 == **n && oc.text == **text))
        .map(|(n, text)| (format!("clauses.{n}"), text.clone()))
        .collect();
    let before: Vec<(String, String)> =
        old_clauses.iter().filter(|oc| am.clause_texts.contains_key(&(oc.number as u32))).map(|oc| (format!("clauses.{}", oc.number), oc.text.clone())).collect();
    screen_texts(&txn, c.county_id, &changed, &before).await?;
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
        status: Set(VersionStatus::Pending.as_str().into()),
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
    check_dates_in_period(t, &texts, start, end)?;
    let plan = plan_for(&txn, &c, t, amount, start, end).await?;
    write_version_body(&txn, &c, version, t, &texts, &plan).await?;
    let changed_clauses: Vec<&String> = changed.iter().map(|(k, _)| k).collect();
    txn.commit(vec![Entry::by(caller, "contract.amend", "contract", c.id)
        .before(serde_json::json!({"version": cur.version, "amount": Money::from_fen(cur.amount_fen).to_string(), "period_start": cur.period_start, "period_end": cur.period_end}))
        .after(serde_json::json!({"version": version, "amount": amount.to_string(), "period_start": start, "period_end": end,
            "rationale_code": am.rationale_code, "rationale": am.rationale.trim(), "clauses": changed_clauses}))])
    .await?;
    Ok(c)
}

/// The department withdraws its amendment before the community has signed it all: the
/// version in force stays, and what the proposal held of the budgets is free again.
pub async fn withdraw_amendment(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64) -> AppResult<contract::Model> {
    let txn = begin_write(db).await?;
    let c = find_locked(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    let res = contract_version::Entity::update_many()
        .col_expr(contract_version::Column::Status, Expr::value(VersionStatus::Void.as_str()))
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Version.gt(c.current_version))
        .filter(contract_version::Column::Status.eq(VersionStatus::Pending.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("NOTHING_TO_WITHDRAW", "没有待签署的合同变更"));
    }
    let c = by_id_in_county::<contract::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, "contract.withdraw_amendment", "contract", c.id)]).await?;
    Ok(c)
}

/// Moves a contract on: complete (department, active), close (department, once paid,
/// confirmed and evaluated). Termination has its own step (`terminate`).
/// The lifecycle decides each; this checks who asks.
pub async fn transition(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, to: Status) -> AppResult<contract::Model> {
    let txn = begin_write(db).await?;
    let c = find_locked(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    match to {
        Status::Completed => lifecycle::complete(&txn, caller, &c).await?,
        Status::Closed => {
            life::contract_next(lifecycle::contract_status(&c)?, ContractStep::Close)?;
            if !lifecycle::settle(&txn, caller, c.id).await? {
                return Err(AppError::conflict(
                    "NOT_READY_TO_CLOSE",
                    "合同尚不能结案：须所有交付成果已验收、合同金额已全部拨付并经社区确认到账、部门已按合同条款完成评价",
                ));
            }
        }
        // A department's termination goes through `terminate` (reason code and reason).
        Status::Terminated | Status::Draft | Status::Active => {
            return Err(AppError::conflict("INVALID_STATE", format!("合同不能改为“{}”", to.label())));
        }
    }
    let c = by_id_in_county::<contract::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![]).await?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dates_a_clause_writes_are_found_and_nothing_else() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(dates_in("乙方于2026-12-31前向甲方交付：台账。"), [d(12, 31)]);
        assert_eq!(dates_in("2026-03-01至2026-04-30，共12026-01-011次"), [d(3, 1), d(4, 30)]);
        assert!(dates_in("依据示范区〔2026〕3号，2026-02-30 不是日期").is_empty());
    }
}
