//! The rows of each register, read through the same scoped, filtered queries as the
//! lists (a register never shows what the caller's list would not), in a fixed number of
//! queries per register (batches of ids, not a query per row).
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use entity::{admission_target, contract, contract_version, evaluation, evaluation_item, ledger_entry, ledger_line, objection};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{col, Cell, Kind, Register, MAX_ROWS};
use crate::admission::store::{self as admissions, ReportStatus};
use crate::contracts::store as contracts;
use crate::funds::store::ContractFunds;
use crate::funds::Book;
use crate::evaluation::Rating;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::db::in_county;
use crate::platform::error::{AppError, AppResult};
use crate::platform::page::ListFilter;

/// Ids per `IN (…)` batch: well under both databases' limits on bound parameters.
const BATCH: usize = 500;

/// What only a register takes, beside the lists' filters (`ListFilter`).
#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegisterOptions {
    /// xlsx (default) | csv
    pub format: Option<String>,
    /// Funds and violations: from this date (YYYY-MM-DD), inclusive.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Funds and violations: to this date, inclusive.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

impl RegisterOptions {
    /// The date window, checked: both ends within the window every date has, in order.
    fn window(&self) -> AppResult<(Option<NaiveDate>, Option<NaiveDate>)> {
        for (field, d) in [("from", self.from), ("to", self.to)] {
            if let Some(d) = d {
                crate::platform::input::check_date(d).map_err(|m| AppError::invalid(field, m))?;
            }
        }
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if f > t {
                return Err(AppError::invalid("to", "结束日期不能早于开始日期"));
            }
        }
        Ok((self.from, self.to))
    }
}

/// The filters in words, printed under the register's title.
fn scope(f: &ListFilter, o: &RegisterOptions, names: &HashMap<i64, String>) -> String {
    let mut parts = Vec::new();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| id.to_string());
    if let Some(d) = f.department_id {
        parts.push(format!("部门：{}", name(d)));
    }
    if let Some(c) = f.community_id {
        parts.push(format!("社区：{}", name(c)));
    }
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        parts.push(format!("状态：{s}"));
    }
    if let Some(y) = f.year {
        parts.push(format!("年度：{y}"));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        parts.push(format!("含“{q}”"));
    }
    if o.from.is_some() || o.to.is_some() {
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        parts.push(format!("{} 至 {}", day(o.from), day(o.to)));
    }
    let made = format!("制表日期：{}", Utc::now().date_naive());
    if parts.is_empty() {
        format!("范围：全部　{made}")
    } else {
        format!("范围：{}　{made}", parts.join("，"))
    }
}

/// Builds the named register for the caller.
pub async fn build(db: &impl ConnectionTrait, caller: &Caller, name: &str, f: &ListFilter, o: &RegisterOptions) -> AppResult<Register> {
    let names = admissions::org_names(db, caller.county_id).await?;
    let county = crate::lists::api::county_name_in(db, caller.county_id).await?;
    let mut r = match name {
        "admissions" => admission_register(db, caller, f, &names).await?,
        "contracts" => contract_register(db, caller, f, &names).await?,
        "funds" => funds_register(db, caller, f, o, &names).await?,
        "violations" => violation_register(db, caller, f, o, &names).await?,
        "evaluations" => evaluation_register(db, caller, f, &names).await?,
        _ => return Err(AppError::not_found()),
    };
    r.title = format!("{county}{}", r.title);
    r.scope = scope(f, o, &names);
    Ok(r)
}

/// A query's rows, oldest first, at most `MAX_ROWS` of them (more is refused).
async fn capped<E: EntityTrait>(db: &impl ConnectionTrait, q: Select<E>, id: E::Column) -> AppResult<Vec<E::Model>> {
    let rows = q.order_by_asc(id).limit(MAX_ROWS as u64 + 1).all(db).await?;
    too_many(&rows)?;
    Ok(rows)
}

fn too_many<T>(rows: &[T]) -> AppResult<()> {
    if rows.len() > MAX_ROWS {
        return Err(AppError::invalid("filters", format!("台账超过 {MAX_ROWS} 行，请缩小筛选范围（如按年度或部门）")));
    }
    Ok(())
}

async fn admission_register(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, names: &HashMap<i64, String>) -> AppResult<Register> {
    let rows = capped(db, admissions::filtered(caller, f)?, entity::admission::Column::Id).await?;
    let mut communities: HashMap<i64, i64> = HashMap::new();
    for ids in rows.chunks(BATCH) {
        for t in in_county::<admission_target::Entity>(caller.county_id).filter(admission_target::Column::AdmissionId.is_in(ids.iter().map(|a| a.id))).all(db).await? {
            *communities.entry(t.admission_id).or_default() += 1;
        }
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(Register {
        title: "准入事项台账".into(),
        scope: String::new(),
        columns: vec![
            col("准入文号", Kind::Text, 22.0),
            col("事项名称", Kind::Text, 30.0),
            col("申请部门", Kind::Text, 16.0),
            col("状态", Kind::Text, 14.0),
            col("先进后批", Kind::Text, 9.0),
            col("涉及社区数", Kind::Int, 10.0),
            col("经费预算（元）", Kind::Money, 15.0),
            col("开始日期", Kind::Date, 12.0),
            col("结束日期", Kind::Date, 12.0),
            col("申请日期", Kind::Date, 12.0),
            col("决定日期", Kind::Date, 12.0),
        ],
        rows: rows
            .iter()
            .map(|a| {
                vec![
                    a.approval_number.clone().unwrap_or_default().into(),
                    a.title.as_str().into(),
                    name(a.department_id).into(),
                    admissions::status_of(a).label().into(),
                    if a.emergency { "是" } else { "否" }.into(),
                    communities.get(&a.id).copied().unwrap_or(0).into(),
                    a.budget_fen.map(Money::from_fen).into(),
                    a.period_start.into(),
                    a.period_end.into(),
                    a.created_at.date_naive().into(),
                    a.decided_at.map(|d| d.date_naive()).into(),
                ]
            })
            .collect(),
    })
}

async fn contract_register(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, names: &HashMap<i64, String>) -> AppResult<Register> {
    let cs = capped(db, contracts::filtered(caller, f)?, contract::Column::Id).await?;
    let titles = admission_titles(db, caller).await?;
    let mut current: HashMap<i64, contract_version::Model> = HashMap::new();
    let mut books = Book::default();
    for batch in cs.chunks(BATCH) {
        let wanted: HashMap<i64, i32> = batch.iter().map(|c| (c.id, c.current_version)).collect();
        for v in in_county::<contract_version::Entity>(caller.county_id).filter(contract_version::Column::ContractId.is_in(wanted.keys().copied())).all(db).await? {
            if wanted.get(&v.contract_id) == Some(&v.version) {
                current.insert(v.contract_id, v);
            }
        }
        books.0.extend(crate::funds::store::contract_books(db, caller.county_id, batch).await?.0);
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(Register {
        title: "购买服务合同台账".into(),
        scope: String::new(),
        columns: vec![
            col("合同编号", Kind::Text, 22.0),
            col("服务事项", Kind::Text, 28.0),
            col("购买部门", Kind::Text, 16.0),
            col("承接社区", Kind::Text, 14.0),
            col("状态", Kind::Text, 10.0),
            // The amount in force, as the API, the PDF and the open data say; beside it what
            // the funds hold of it (a terminated contract: what it paid), so that 计入经费 =
            // 已拨付 + 未拨付 on every row (issue 26: one contract, one amount per column).
            col("合同金额（元）", Kind::Money, 15.0),
            col("计入经费（元）", Kind::Money, 15.0),
            col("已拨付（元）", Kind::Money, 15.0),
            col("已确认到账（元）", Kind::Money, 15.0),
            col("未拨付（元）", Kind::Money, 15.0),
            col("开始日期", Kind::Date, 12.0),
            col("结束日期", Kind::Date, 12.0),
            col("签订日期", Kind::Date, 12.0),
        ],
        rows: cs
            .iter()
            .map(|c| {
                let v = current.get(&c.id);
                let status = crate::lifecycle::store::contract_status(c)?;
                let in_force = Money::from_fen(v.map(|v| v.amount_fen).unwrap_or(0));
                let fu = ContractFunds::from_book(c.id, in_force, &books).held(status);
                let signed = v.and_then(|v| match (v.department_signed_at, v.community_signed_at) {
                    (Some(a), Some(b)) => Some(a.max(b).date_naive()),
                    _ => None,
                });
                Ok(vec![
                    c.number.as_str().into(),
                    titles.get(&c.admission_id).cloned().unwrap_or_default().into(),
                    name(c.department_id).into(),
                    name(c.community_id).into(),
                    status.label().into(),
                    in_force.into(),
                    fu.amount.into(),
                    fu.disbursed.into(),
                    fu.confirmed.into(),
                    fu.remaining.into(),
                    v.map(|v| v.period_start).into(),
                    v.map(|v| v.period_end).into(),
                    signed.into(),
                ])
            })
            .collect::<AppResult<_>>()?,
    })
}

async fn admission_titles(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<HashMap<i64, String>> {
    Ok(in_county::<entity::admission::Entity>(caller.county_id)
        .select_only()
        .column(entity::admission::Column::Id)
        .column(entity::admission::Column::Title)
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The five movements of money, each in its own column so every column adds up.
const MOVEMENTS: [(&str, &str, &str); 5] = [
    ("budget", "budget:", "预算安排（元）"),
    ("commitment", "commit:", "合同承诺（元）"),
    ("release", "budget:", "释放回预算（元）"),
    ("disbursement", "paid:", "拨付（元）"),
    ("receipt", "received:", "社区确认到账（元）"),
];

fn movement_label(kind: &str) -> &'static str {
    match kind {
        "budget" => "预算安排/调整",
        "commitment" => "合同生效承诺",
        "release" => "释放未付经费",
        "disbursement" => "拨付",
        "receipt" => "确认到账",
        _ => "其他",
    }
}

/// The journal of a department, a community or the county over a date range: one row per
/// movement, its amount in the column of its kind (a budget cut is negative).
async fn funds_register(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, o: &RegisterOptions, names: &HashMap<i64, String>) -> AppResult<Register> {
    let (from, to) = o.window()?;
    let mut q = in_county::<ledger_entry::Entity>(caller.county_id);
    if let Some(d) = from {
        q = q.filter(ledger_entry::Column::CreatedAt.gte(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
    }
    if let Some(d) = to.and_then(|d| d.succ_opt()) {
        q = q.filter(ledger_entry::Column::CreatedAt.lt(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()));
    }
    // A department sees its own money, a community the money of its contracts.
    let department = if caller.role == Role::Department { Some(caller.org_id) } else { f.department_id };
    if let Some(d) = department {
        q = q.filter(ledger_entry::Column::DepartmentId.eq(d));
    }
    let community = if caller.role == Role::Community { Some(caller.org_id) } else { f.community_id };
    let contracts_here: HashMap<i64, contract::Model> = {
        let mut cq = in_county::<contract::Entity>(caller.county_id);
        if let Some(c) = community {
            cq = cq.filter(contract::Column::CommunityId.eq(c));
        }
        cq.all(db).await?.into_iter().map(|c| (c.id, c)).collect()
    };
    if community.is_some() {
        let ids: Vec<i64> = contracts_here.keys().copied().collect();
        q = q.filter(ledger_entry::Column::ContractId.is_in(ids));
    }
    let entries = capped(db, q, ledger_entry::Column::Id).await?;
    // Each movement's budget year: a budget's own, a contract's that of its first commitment
    // (a January payment of last year's contract is last year's money). With a year, only
    // that year's movements (issue 29: the 2026 register counted the 2027 budget set in December).
    let years = crate::funds::store::contract_years(db, caller.county_id).await?;
    let budget_year = |e: &ledger_entry::Model| e.year.or_else(|| e.contract_id.and_then(|c| years.get(&c).copied()));
    let entries: Vec<ledger_entry::Model> = entries.into_iter().filter(|e| f.year.is_none_or(|y| budget_year(e) == Some(y))).collect();
    let mut amounts: HashMap<i64, i64> = HashMap::new();
    for batch in entries.chunks(BATCH) {
        let kinds: HashMap<i64, &str> = batch.iter().map(|e| (e.id, e.kind.as_str())).collect();
        for l in in_county::<ledger_line::Entity>(caller.county_id).filter(ledger_line::Column::EntryId.is_in(kinds.keys().copied())).all(db).await? {
            let prefix = MOVEMENTS.iter().find(|(k, _, _)| Some(k) == kinds.get(&l.entry_id)).map(|(_, p, _)| *p);
            if prefix.is_some_and(|p| l.account.starts_with(p)) {
                *amounts.entry(l.entry_id).or_default() += l.debit_fen - l.credit_fen;
            }
        }
    }
    let name = |id: Option<i64>| id.and_then(|i| names.get(&i).cloned()).unwrap_or_default();
    let mut columns = vec![
        col("日期", Kind::Date, 12.0),
        col("凭证号", Kind::Int, 8.0),
        col("预算年度", Kind::Int, 9.0),
        col("业务", Kind::Text, 14.0),
        col("部门", Kind::Text, 16.0),
        col("社区", Kind::Text, 14.0),
        col("合同编号", Kind::Text, 22.0),
        col("摘要", Kind::Text, 30.0),
    ];
    columns.extend(MOVEMENTS.iter().map(|(_, _, h)| col(h, Kind::Money, 15.0)));
    let rows = entries
        .iter()
        .map(|e| {
            let c = e.contract_id.and_then(|id| contracts_here.get(&id));
            let mut row: Vec<Cell> = vec![
                e.created_at.date_naive().into(),
                e.id.into(),
                budget_year(e).map(|y| Cell::from(y as i64)).unwrap_or(Cell::Empty),
                movement_label(&e.kind).into(),
                name(e.department_id).into(),
                name(c.map(|c| c.community_id)).into(),
                c.map(|c| c.number.clone()).unwrap_or_default().into(),
                e.memo.as_str().into(),
            ];
            row.extend(MOVEMENTS.iter().map(|(k, _, _)| if *k == e.kind { Cell::Money(Money::from_fen(amounts.get(&e.id).copied().unwrap_or(0))) } else { Cell::Empty }));
            row
        })
        .collect();
    Ok(Register { title: "经费台账".into(), scope: String::new(), columns, rows })
}

async fn violation_register(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, o: &RegisterOptions, names: &HashMap<i64, String>) -> AppResult<Register> {
    use entity::violation_report::Column as V;
    let (from, to) = o.window()?;
    let mut q = admissions::visible_reports(caller);
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(V::Status.eq(s));
    }
    if let Some(d) = f.department_id {
        q = q.filter(V::DepartmentId.eq(d));
    }
    if let Some(c) = f.community_id {
        q = q.filter(V::CommunityId.eq(c));
    }
    if let Some(d) = from {
        q = q.filter(V::OccurredOn.gte(d));
    }
    if let Some(d) = to {
        q = q.filter(V::OccurredOn.lte(d));
    }
    let rows = capped(db, q, V::Id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(Register {
        title: "擅自下沉工作事项通报台账".into(),
        scope: String::new(),
        columns: vec![
            col("发生日期", Kind::Date, 12.0),
            col("下派单位", Kind::Text, 16.0),
            col("社区", Kind::Text, 14.0),
            col("下派工作", Kind::Text, 30.0),
            col("处理结果", Kind::Text, 10.0),
            col("处理意见", Kind::Text, 30.0),
            col("处理日期", Kind::Date, 12.0),
            col("上报日期", Kind::Date, 12.0),
        ],
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.occurred_on.into(),
                    name(r.department_id).into(),
                    name(r.community_id).into(),
                    r.task.as_str().into(),
                    ReportStatus::parse(&r.status).label().into(),
                    r.handling_reason.clone().unwrap_or_default().into(),
                    r.handled_at.map(|d| d.date_naive()).into(),
                    r.created_at.date_naive().into(),
                ]
            })
            .collect(),
    })
}

async fn evaluation_register(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, names: &HashMap<i64, String>) -> AppResult<Register> {
    // The status filter is a contract's; an evaluation register lists evaluations.
    let cf = ListFilter { status: None, ..f.clone() };
    let cs: HashMap<i64, contract::Model> = contracts::filtered(caller, &cf)?.all(db).await?.into_iter().map(|c| (c.id, c)).collect();
    let titles = admission_titles(db, caller).await?;
    let ids: Vec<i64> = cs.keys().copied().collect();
    let mut evals = Vec::new();
    for batch in ids.chunks(BATCH) {
        evals.extend(in_county::<evaluation::Entity>(caller.county_id).filter(evaluation::Column::ContractId.is_in(batch.iter().copied())).all(db).await?);
    }
    evals.sort_by_key(|e| e.id);
    too_many(&evals)?;
    let mut ratings: HashMap<i64, [i64; 3]> = HashMap::new();
    let mut objections: HashMap<i64, i64> = HashMap::new();
    for batch in evals.chunks(BATCH) {
        let eids: Vec<i64> = batch.iter().map(|e| e.id).collect();
        for it in in_county::<evaluation_item::Entity>(caller.county_id).filter(evaluation_item::Column::EvaluationId.is_in(eids.iter().copied())).all(db).await? {
            let slot = match Rating::parse(&it.rating) {
                Some(Rating::Satisfied) => 0,
                Some(Rating::BasicallySatisfied) => 1,
                _ => 2,
            };
            ratings.entry(it.evaluation_id).or_default()[slot] += 1;
        }
        for o in in_county::<objection::Entity>(caller.county_id).filter(objection::Column::EvaluationId.is_in(eids.iter().copied())).all(db).await? {
            *objections.entry(o.evaluation_id).or_default() += 1;
        }
    }
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(Register {
        title: "服务评价台账".into(),
        scope: String::new(),
        columns: vec![
            col("合同编号", Kind::Text, 22.0),
            col("服务事项", Kind::Text, 28.0),
            col("购买部门", Kind::Text, 16.0),
            col("承接社区", Kind::Text, 14.0),
            col("评价方", Kind::Text, 10.0),
            col("总体结果", Kind::Text, 10.0),
            col("满意条款数", Kind::Int, 10.0),
            col("基本满意条款数", Kind::Int, 12.0),
            col("不满意条款数", Kind::Int, 11.0),
            col("异议数", Kind::Int, 8.0),
            col("评价日期", Kind::Date, 12.0),
        ],
        rows: evals
            .iter()
            .filter_map(|e| {
                let c = cs.get(&e.contract_id)?;
                let r = ratings.get(&e.id).copied().unwrap_or_default();
                let overall = Rating::parse(&e.overall).map(|r| r.label()).unwrap_or("");
                let evaluator = if e.evaluator == "residents" { "居民代表" } else { "购买部门" };
                Some(vec![
                    c.number.as_str().into(),
                    titles.get(&c.admission_id).cloned().unwrap_or_default().into(),
                    name(c.department_id).into(),
                    name(c.community_id).into(),
                    evaluator.into(),
                    overall.into(),
                    r[0].into(),
                    r[1].into(),
                    r[2].into(),
                    objections.get(&e.id).copied().unwrap_or(0).into(),
                    e.created_at.date_naive().into(),
                ])
            })
            .collect(),
    })
}
