//! Gathers a caller's to-do items from the records, in a fixed number of queries per
//! role, and keeps the "read" marks.
use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate, Utc};
use entity::{contract, contract_clause, contract_milestone, contract_version, deliverable, disbursement, evaluation, inbox_read, objection, violation_report};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};

use super::{Item, Kind, CONFIRM_DAYS, EVALUATION_DAYS, OBJECTION_DAYS, PAY_AHEAD_DAYS, PERIOD_NOTICE_DAYS};
use crate::admission::Status;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::db::in_county;
use crate::platform::error::{AppError, AppResult};

fn plus(d: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 { d + Days::new(days as u64) } else { d - Days::new((-days) as u64) }
}

/// The caller's items as of `today`, most urgent first, with their read marks.
pub async fn items(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate) -> AppResult<Vec<Item>> {
    let mut out = Vec::new();
    admissions(db, caller, today, &mut out).await?;
    if matches!(caller.role, Role::Department | Role::Community | Role::Finance) {
        contracts(db, caller, today, &mut out).await?;
    }
    reports(db, caller, &mut out).await?;
    let read: HashSet<String> = in_county::<inbox_read::Entity>(caller.county_id)
        .filter(inbox_read::Column::UserId.eq(caller.user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.item_key)
        .collect();
    for i in &mut out {
        i.read = read.contains(&i.id);
    }
    super::sort(&mut out);
    Ok(out)
}

/// Marks one of the caller's current items read; an id that is not among them is 404.
pub async fn mark_read(db: &impl ConnectionTrait, caller: &Caller, id: &str, today: NaiveDate) -> AppResult<Item> {
    let mut item = items(db, caller, today).await?.into_iter().find(|i| i.id == id).ok_or_else(AppError::not_found)?;
    let mark = inbox_read::ActiveModel { user_id: Set(caller.user_id), item_key: Set(item.id.clone()), county_id: Set(caller.county_id), read_at: Set(Utc::now()) };
    // Twice is the same as once.
    inbox_read::Entity::insert(mark)
        .on_conflict(OnConflict::columns([inbox_read::Column::UserId, inbox_read::Column::ItemKey]).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    item.read = true;
    Ok(item)
}

async fn admissions(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate, out: &mut Vec<Item>) -> AppResult<()> {
    let open = [Status::Submitted, Status::EnteredPendingApproval, Status::Reviewed, Status::Admitted, Status::InProgress, Status::Completed, Status::Expired];
    let rows = crate::admission::store::visible(caller).filter(entity::admission::Column::Status.is_in(open.map(|s| s.as_str()))).all(db).await?;
    let link = |id: i64| format!("/admissions/{id}");
    for a in rows {
        let status = crate::admission::store::status_of(&a);
        let early = a.entered_at.is_some();
        match (caller.role, status) {
            (Role::Reviewer, Status::Submitted | Status::EnteredPendingApproval) => out.push(match a.approval_deadline.filter(|_| early) {
                Some(d) => Item::due(Kind::Review, a.id, &format!("初审：{}", a.title), link(a.id), d, today),
                None => Item::new(Kind::Review, a.id, format!("初审：{}", a.title), link(a.id)),
            }),
            (Role::Approver, Status::Reviewed) => out.push(match a.approval_deadline.filter(|_| early) {
                Some(d) => Item::due(Kind::Decide, a.id, &format!("审批：{}", a.title), link(a.id), d, today),
                None => Item::new(Kind::Decide, a.id, format!("审批：{}", a.title), link(a.id)),
            }),
            _ => {}
        }
        // An emergency entry's deadline: near or passed, for those who must act or watch;
        // withdrawn at the deadline, it stays a week so the department learns of it.
        let watches = matches!(caller.role, Role::Department | Role::Supervisor);
        if let (true, true, Some(d)) = (watches, early, a.approval_deadline) {
            let pending = matches!(status, Status::EnteredPendingApproval | Status::Reviewed);
            let expired_lately = status == Status::Expired && plus(d, 7) >= today;
            if (pending && super::stage(d, today) != super::Stage::Ahead) || expired_lately {
                let what = if status == Status::Expired { "先进后批事项逾期未获批准，已撤出社区" } else { "先进后批事项待批准" };
                out.push(Item::due(Kind::Emergency, a.id, &format!("{what}：{}", a.title), link(a.id), d, today));
            }
        }
        // The end of an admitted task's period: ahead of it, and a while after.
        if caller.role == Role::Department && matches!(status, Status::Admitted | Status::InProgress | Status::Completed) {
            if let Some(end) = a.period_end {
                if plus(today, PERIOD_NOTICE_DAYS) >= end && plus(end, PERIOD_NOTICE_DAYS) >= today {
                    out.push(Item::due(Kind::PeriodEnd, a.id, &format!("准入期限 {end} 届满：{}", a.title), link(a.id), end, today));
                }
            }
        }
    }
    Ok(())
}

async fn reports(db: &impl ConnectionTrait, caller: &Caller, out: &mut Vec<Item>) -> AppResult<()> {
    if !matches!(caller.role, Role::Reviewer | Role::Department) {
        return Ok(());
    }
    let rows = crate::admission::store::visible_reports(caller).filter(violation_report::Column::Status.eq("reported")).all(db).await?;
    for r in rows {
        let title = if caller.role == Role::Reviewer { format!("核查擅自下沉报告：{}", r.task) } else { format!("本单位被报告擅自下沉：{}", r.task) };
        out.push(Item::new(Kind::Report, r.id, title, "/reports".into()));
    }
    Ok(())
}

/// Signatures, deliverables, payments and evaluations on the contracts the caller sees.
async fn contracts(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate, out: &mut Vec<Item>) -> AppResult<()> {
    let county = caller.county_id;
    let cs: HashMap<i64, contract::Model> = crate::contracts::store::visible(caller)
        .filter(contract::Column::Status.is_in(["draft", "active", "completed", "closed"]))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    if cs.is_empty() {
        return Ok(());
    }
    let seen = || crate::contracts::store::visible(caller).select_only().column(contract::Column::Id).into_query();
    let link = |id: i64| format!("/contracts/{id}");
    let versions = in_county::<contract_version::Entity>(county).filter(contract_version::Column::ContractId.in_subquery(seen())).all(db).await?;
    match caller.role {
        Role::Department | Role::Community => {
            for v in versions.iter().filter(|v| v.status == "pending") {
                let Some(c) = cs.get(&v.contract_id) else { continue };
                let mine = if caller.role == Role::Department { v.department_signed_at } else { v.community_signed_at };
                if mine.is_none() {
                    let what = if v.version == 1 { "签署合同" } else { "签署合同变更" };
                    // The version is part of the id: a new amendment is new work.
                    out.push(Item { id: format!("sign-{}-{}", c.id, v.version), ..Item::new(Kind::Sign, c.id, format!("{what}：{}（{}）", c.number, crate::money::Money::from_fen(v.amount_fen).grouped()), link(c.id)) });
                }
            }
        }
        _ => {}
    }
    let deliverables = in_county::<deliverable::Entity>(county).filter(deliverable::Column::ContractId.in_subquery(seen())).all(db).await?;
    match caller.role {
        Role::Department => {
            for d in deliverables.iter().filter(|d| d.status == "submitted") {
                let number = cs.get(&d.contract_id).map(|c| c.number.as_str()).unwrap_or_default();
                out.push(Item::new(Kind::Accept, d.id, format!("验收服务成果：{number} {}", d.summary), link(d.contract_id)));
            }
        }
        Role::Community => {
            // The latest deliverable of each clause; rejected means deliver again.
            let mut latest: HashMap<(i64, i64), &deliverable::Model> = HashMap::new();
            for d in &deliverables {
                let e = latest.entry((d.contract_id, d.clause_id)).or_insert(d);
                if d.id > e.id {
                    *e = d;
                }
            }
            for d in latest.values().filter(|d| d.status == "rejected") {
                let number = cs.get(&d.contract_id).map(|c| c.number.as_str()).unwrap_or_default();
                let why = d.decision_comment.as_deref().unwrap_or("");
                out.push(Item::new(Kind::Redeliver, d.id, format!("成果被退回，请重新提交：{number}（{why}）"), link(d.contract_id)));
            }
        }
        _ => {}
    }
    let payments = in_county::<disbursement::Entity>(county).filter(disbursement::Column::ContractId.in_subquery(seen())).all(db).await?;
    if caller.role == Role::Community {
        for p in payments.iter().filter(|p| p.status == "paid") {
            let number = cs.get(&p.contract_id).map(|c| c.number.as_str()).unwrap_or_default();
            let due = plus(p.paid_at.date_naive(), CONFIRM_DAYS);
            let title = format!("确认收款：{number} {}", crate::money::Money::from_fen(p.amount_fen).grouped());
            out.push(Item::due(Kind::Confirm, p.id, &title, link(p.contract_id), due, today));
        }
    }
    if caller.role == Role::Finance {
        pay_items(db, caller, &cs, &deliverables, &payments, today, out).await?;
    }
    let current: HashMap<i64, &contract_version::Model> =
        versions.iter().filter(|v| cs.get(&v.contract_id).is_some_and(|c| c.current_version == v.version)).map(|v| (v.contract_id, v)).collect();
    let evaluations = in_county::<evaluation::Entity>(county).filter(evaluation::Column::ContractId.in_subquery(seen())).all(db).await?;
    if caller.role == Role::Department {
        let done: HashSet<i64> = evaluations.iter().filter(|e| e.evaluator == "department").map(|e| e.contract_id).collect();
        for c in cs.values().filter(|c| matches!(c.status.as_str(), "completed" | "closed") && !done.contains(&c.id)) {
            if let Some(v) = current.get(&c.id) {
                out.push(Item::due(Kind::Evaluate, c.id, &format!("按合同条款评价：{}", c.number), link(c.id), plus(v.period_end, EVALUATION_DAYS), today));
            }
        }
    }
    if caller.role == Role::Community {
        let ids: Vec<i64> = evaluations.iter().map(|e| e.id).collect();
        let objected: HashSet<i64> = in_county::<objection::Entity>(county).filter(objection::Column::EvaluationId.is_in(ids)).all(db).await?.into_iter().map(|o| o.evaluation_id).collect();
        for e in evaluations.iter().filter(|e| !objected.contains(&e.id) && plus(e.created_at.date_naive(), OBJECTION_DAYS) >= today) {
            let number = cs.get(&e.contract_id).map(|c| c.number.as_str()).unwrap_or_default();
            let who = if e.evaluator == "department" { "主管部门" } else { "居民代表" };
            out.push(Item::new(Kind::Evaluation, e.id, format!("收到{who}评价：{number}（{}）", crate::evaluation::Rating::parse(&e.overall).map(|r| r.label()).unwrap_or("")), link(e.contract_id)));
        }
    }
    Ok(())
}

/// Instalments of active contracts due within a week or overdue, not yet paid in full,
/// whose clause (if any) has an accepted deliverable: what the finance bureau pays next.
#[allow(clippy::too_many_arguments)]
async fn pay_items(
    db: &impl ConnectionTrait,
    caller: &Caller,
    cs: &HashMap<i64, contract::Model>,
    deliverables: &[deliverable::Model],
    payments: &[disbursement::Model],
    today: NaiveDate,
    out: &mut Vec<Item>,
) -> AppResult<()> {
    let active: Vec<i64> = cs.values().filter(|c| c.status == "active").map(|c| c.id).collect();
    if active.is_empty() {
        return Ok(());
    }
    let milestones = in_county::<contract_milestone::Entity>(caller.county_id).filter(contract_milestone::Column::ContractId.is_in(active.clone())).all(db).await?;
    let clauses = in_county::<contract_clause::Entity>(caller.county_id).filter(contract_clause::Column::ContractId.is_in(active)).all(db).await?;
    let number_of: HashMap<i64, (i64, i32)> = clauses.iter().map(|k| (k.id, (k.contract_id, k.number))).collect();
    let accepted: HashSet<(i64, i32)> = deliverables.iter().filter(|d| d.status == "accepted").filter_map(|d| number_of.get(&d.clause_id).copied()).collect();
    let key_of: HashMap<i64, (i64, i32)> = milestones.iter().map(|m| (m.id, (m.contract_id, m.key))).collect();
    let mut paid: HashMap<(i64, i32), i64> = HashMap::new();
    for p in payments {
        if let Some(k) = key_of.get(&p.milestone_id) {
            *paid.entry(*k).or_default() += p.amount_fen;
        }
    }
    for m in &milestones {
        let Some(c) = cs.get(&m.contract_id) else { continue };
        if m.version != c.current_version || plus(today, PAY_AHEAD_DAYS) < m.due {
            continue;
        }
        let left = m.amount_fen - paid.get(&(m.contract_id, m.key)).copied().unwrap_or(0);
        let releasable = m.clause_id.is_none_or(|k| number_of.get(&k).is_some_and(|n| accepted.contains(n)));
        if left > 0 && releasable {
            let title = format!("拨付：{} 第{}期 {}", c.number, m.seq, crate::money::Money::from_fen(left).grouped());
            out.push(Item::due(Kind::Pay, m.id, &title, format!("/contracts/{}", c.id), m.due, today));
        }
    }
    Ok(())
}
