//! Gathering tasks: a fixed number of queries over a set of contracts (one per table,
//! `IN (…)` over the contracts), whatever their number.
use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{admission, contract, contract_clause, contract_milestone, deliverable, disbursement};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;

use super::{deadlines, ClauseDue};
use crate::contracts::store::Status;
use crate::money::Money;
use crate::platform::auth::Caller;
use crate::platform::db::in_county;
use crate::platform::error::AppResult;
use crate::platform::page::{ListFilter, Page, PageReq};

/// One task a community holds: the contract it works under and where it stands.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Task {
    pub contract_id: i64,
    pub number: String,
    pub admission_id: i64,
    /// The admitted task's name (事项名称).
    pub task: String,
    /// Who bought the service (甲方).
    pub department_id: i64,
    pub department: String,
    pub community_id: i64,
    pub community: String,
    pub status: Status,
    pub status_label: &'static str,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[serde(flatten)]
    pub money: TaskMoney,
    /// Performance clauses not yet accepted, earliest deadline first (contracts in force).
    pub deliver: Vec<ClauseDue>,
}

/// A task's money from the community's side.
#[derive(Clone, Copy, Debug, Default, Serialize, ToSchema)]
pub struct TaskMoney {
    /// The contract's amount in force.
    pub amount: Money,
    /// Paid and confirmed by the community.
    pub received: Money,
    /// Paid, waiting for the community to confirm or dispute.
    pub to_confirm: Money,
    /// Paid, disputed by the community.
    pub disputed: Money,
    /// Still to be paid under the contract.
    pub owed: Money,
}

impl TaskMoney {
    pub fn add(&mut self, o: &TaskMoney) {
        let plus = |a: Money, b: Money| Money::from_fen(a.fen() + b.fen());
        self.amount = plus(self.amount, o.amount);
        self.received = plus(self.received, o.received);
        self.to_confirm = plus(self.to_confirm, o.to_confirm);
        self.disputed = plus(self.disputed, o.disputed);
        self.owed = plus(self.owed, o.owed);
    }
}

/// A page of the caller's tasks (the contracts it may see), newest first.
pub async fn page(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, req: PageReq) -> AppResult<Page<Task>> {
    let p = crate::contracts::store::page(db, caller, f, req).await?;
    let items = tasks(db, caller.county_id, p.items).await?;
    Ok(Page { items, next_cursor: p.next_cursor })
}

/// Every task the caller may see (a community's are few), newest first.
pub async fn all(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<Task>> {
    let cs = crate::contracts::store::list(db, caller).await?;
    tasks(db, caller.county_id, cs).await
}

/// The clauses still to deliver of each contract in force, by contract.
pub async fn deadlines_of(db: &impl ConnectionTrait, county_id: i64, cs: &[contract::Model]) -> AppResult<HashMap<i64, Vec<ClauseDue>>> {
    let active: Vec<&contract::Model> = cs.iter().filter(|c| c.status == Status::Active.as_str()).collect();
    let mut out = HashMap::new();
    for chunk in active.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.id).collect();
        let mut clauses: HashMap<i64, Vec<contract_clause::Model>> = HashMap::new();
        for k in in_county::<contract_clause::Entity>(county_id).filter(contract_clause::Column::ContractId.is_in(ids.clone())).all(db).await? {
            clauses.entry(k.contract_id).or_default().push(k);
        }
        let mut milestones: HashMap<i64, Vec<contract_milestone::Model>> = HashMap::new();
        for m in in_county::<contract_milestone::Entity>(county_id).filter(contract_milestone::Column::ContractId.is_in(ids.clone())).all(db).await? {
            milestones.entry(m.contract_id).or_default().push(m);
        }
        let mut delivered: HashMap<i64, Vec<deliverable::Model>> = HashMap::new();
        for d in in_county::<deliverable::Entity>(county_id).filter(deliverable::Column::ContractId.is_in(ids)).all(db).await? {
            delivered.entry(d.contract_id).or_default().push(d);
        }
        for c in chunk {
            let all = clauses.remove(&c.id).unwrap_or_default();
            let numbers: HashMap<i64, i32> = all.iter().map(|k| (k.id, k.number)).collect();
            let current: Vec<contract_clause::Model> = all.into_iter().filter(|k| k.version == c.current_version).collect();
            let ms: Vec<contract_milestone::Model> = milestones.remove(&c.id).unwrap_or_default().into_iter().filter(|m| m.version == c.current_version).collect();
            let due = deadlines(&current, &ms, &numbers, delivered.get(&c.id).map(Vec::as_slice).unwrap_or_default());
            out.insert(c.id, due);
        }
    }
    Ok(out)
}

async fn tasks(db: &impl ConnectionTrait, county_id: i64, cs: Vec<contract::Model>) -> AppResult<Vec<Task>> {
    if cs.is_empty() {
        return Ok(Vec::new());
    }
    let names = crate::admission::store::org_names(db, county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let funds = crate::funds::store::funds_of(db, county_id, &cs).await?;
    let mut due = deadlines_of(db, county_id, &cs).await?;
    let mut titles: HashMap<i64, String> = HashMap::new();
    let mut paid: HashMap<(i64, bool), i64> = HashMap::new();
    let mut periods: HashMap<i64, (NaiveDate, NaiveDate)> = HashMap::new();
    for chunk in cs.chunks(500) {
        let ids: Vec<i64> = chunk.iter().map(|c| c.id).collect();
        titles.extend(in_county::<admission::Entity>(county_id).filter(admission::Column::Id.is_in(chunk.iter().map(|c| c.admission_id))).all(db).await?.into_iter().map(|a| (a.id, a.title)));
        for d in in_county::<disbursement::Entity>(county_id).filter(disbursement::Column::ContractId.is_in(ids.clone())).filter(disbursement::Column::Status.is_in(["paid", "disputed"])).all(db).await? {
            *paid.entry((d.contract_id, d.status == "disputed")).or_default() += d.amount_fen;
        }
        let versions = in_county::<entity::contract_version::Entity>(county_id).filter(entity::contract_version::Column::ContractId.is_in(ids)).all(db).await?;
        for c in chunk {
            if let Some(v) = versions.iter().find(|v| v.contract_id == c.id && v.version == c.current_version) {
                periods.insert(c.id, (v.period_start, v.period_end));
            }
        }
    }
    let mut out = Vec::with_capacity(cs.len());
    for c in cs {
        let status = crate::lifecycle::store::contract_status(&c)?;
        let f = funds.get(&c.id).copied().unwrap_or_default().held(status);
        let (period_start, period_end) = periods.get(&c.id).copied().unwrap_or_default();
        let fen = |disputed: bool| Money::from_fen(paid.get(&(c.id, disputed)).copied().unwrap_or(0));
        out.push(Task {
            contract_id: c.id,
            number: c.number.clone(),
            admission_id: c.admission_id,
            task: titles.get(&c.admission_id).cloned().unwrap_or_default(),
            department_id: c.department_id,
            department: name(c.department_id),
            community_id: c.community_id,
            community: name(c.community_id),
            status,
            status_label: status.label(),
            period_start,
            period_end,
            money: TaskMoney { amount: f.amount, received: f.confirmed, to_confirm: fen(false), disputed: fen(true), owed: f.remaining },
            deliver: due.remove(&c.id).unwrap_or_default(),
        });
    }
    Ok(out)
}
