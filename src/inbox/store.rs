//! Gathers a caller's to-do items from the records, in a fixed number of queries per
//! role, and keeps the "read" marks.
use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate, Utc};
use entity::{contract, contract_clause, contract_milestone, contract_version, deliverable, disbursement, evaluation, inbox_read, objection, violation_report};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait, Set};

use super::{Item, Kind, CONFIRM_DAYS, DELIVER_AHEAD_DAYS, EVALUATION_DAYS, OBJECTION_DAYS, PAY_AHEAD_DAYS, PERIOD_NOTICE_DAYS};
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
    if caller.role == Role::Reviewer {
        for d in crate::disputes::store::open(db, caller.county_id).await? {
            let kind = crate::disputes::Kind::parse(&d.kind).map(|k| k.label()).unwrap_or("");
            out.push(Item::new(Kind::Arbitrate, d.id, format!("处理{kind}：{}", d.reason), format!("/disputes?status=open#dispute-{}", d.id)));
        }
    }
    if caller.role == Role::Approver {
        let sent = crate::assessment::store::sent(db, caller.county_id).await?;
        let titles: HashMap<i64, String> = in_county::<entity::admission::Entity>(caller.county_id)
            .filter(entity::admission::Column::Id.is_in(sent.iter().map(|a| a.admission_id)))
            .all(db)
            .await?
            .into_iter()
            .map(|a| (a.id, a.title))
            .collect();
        for a in sent {
            let link = format!("/admissions/assessment?period={}#decide-{}", a.period, a.admission_id);
            let title = titles.get(&a.admission_id).cloned().unwrap_or_default();
            out.push(Item::new(Kind::Assessment, a.id, format!("决定半年评估（{}）：{title}", a.period), link));
        }
    }
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

/// Each user's items as last computed: good while nothing was written in the county (every
/// write transaction bumps its generation, `platform::audit::generation`) and the date is
/// the same. Every page shows the unread count, so without it every page would gather the
/// inbox again. One server process holds it, like the login throttle.
#[derive(Default)]
/// Keyed by user and county: a city user looking into a county below has that county's inbox.
pub struct Cache(std::sync::Mutex<HashMap<(i64, i64), (u64, NaiveDate, Vec<Item>)>>);

pub async fn cached(st: &crate::AppState, caller: &Caller) -> AppResult<Vec<Item>> {
    let today = st.clock.today();
    // Read before gathering: a write committed meanwhile leaves the entry stale-marked.
    let generation = crate::platform::audit::generation(caller.county_id);
    let hit = st.inbox_cache.0.lock().ok().and_then(|c| c.get(&(caller.user_id, caller.county_id)).filter(|(g, d, _)| *g == generation && *d == today).map(|e| e.2.clone()));
    if let Some(items) = hit {
        return Ok(items);
    }
    let fresh = items(&st.db, caller, today).await?;
    if let Ok(mut c) = st.inbox_cache.0.lock() {
        c.insert((caller.user_id, caller.county_id), (generation, today, fresh.clone()));
    }
    Ok(fresh)
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
    crate::platform::audit::bump(caller.county_id);
    item.read = true;
    Ok(item)
}

async fn admissions(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate, out: &mut Vec<Item>) -> AppResult<()> {
    // Only the applications that can make an item for this role.
    let wanted: &[Status] = match caller.role {
        Role::Reviewer => &[Status::Submitted, Status::EnteredPendingApproval],
        Role::Approver => &[Status::Reviewed],
        Role::Department => &[Status::Submitted, Status::EnteredPendingApproval, Status::Reviewed, Status::Admitted, Status::InProgress, Status::Completed, Status::Expired, Status::Rejected],
        Role::Supervisor => &[Status::EnteredPendingApproval, Status::Reviewed, Status::Expired],
        _ => return Ok(()),
    };
    let mut q = crate::admission::store::visible(caller).filter(entity::admission::Column::Status.is_in(wanted.iter().map(|s| s.as_str())));
    if caller.role == Role::Supervisor {
        q = q.filter(entity::admission::Column::EnteredAt.is_not_null());
    }
    let rows = q.all(db).await?;
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
        // The department learns the decision on its application, for a fortnight.
        if caller.role == Role::Department {
            if let (Some(at), true) = (a.decided_at, matches!(status, Status::Admitted | Status::Rejected)) {
                if plus(at.date_naive(), super::DECISION_NOTICE_DAYS) >= today {
                    let title = match status {
                        Status::Admitted => format!("申请已批准准入：{}{}", a.title, a.approval_number.as_deref().map(|n| format!("（{n}）")).unwrap_or_default()),
                        _ => format!("申请未获批准：{}{}", a.title, a.decision_comment.as_deref().filter(|c| !c.is_empty()).map(|c| format!("（{c}）")).unwrap_or_default()),
                    };
                    out.push(Item::new(Kind::Decided, a.id, title, link(a.id)));
                }
            }
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
/// Each role reads only the rows its items need: the finance bureau's instalments due are
/// narrowed in SQL (active contracts, due within a week), the parties' items by status.
async fn contracts(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate, out: &mut Vec<Item>) -> AppResult<()> {
    if caller.role == Role::Finance {
        disputed_items(db, caller, out).await?;
        return pay_items(db, caller, today, out).await;
    }
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
    let number = |id: i64| cs.get(&id).map(|c| c.number.clone()).unwrap_or_default();
    // Versions waiting for signatures, and (for evaluations due) those in force.
    let versions = in_county::<contract_version::Entity>(county)
        .filter(contract_version::Column::ContractId.in_subquery(seen()))
        .filter(contract_version::Column::Status.is_in(["pending", "effective"]))
        .all(db)
        .await?;
    for v in versions.iter().filter(|v| v.status == "pending") {
        let Some(c) = cs.get(&v.contract_id) else { continue };
        let mine = if caller.role == Role::Department { v.department_signed_at } else { v.community_signed_at };
        if mine.is_none() {
            let what = if v.version == 1 { "签署合同" } else { "签署合同变更" };
            // The version is part of the id: a new amendment is new work.
            out.push(Item { id: format!("sign-{}-{}", c.id, v.version), ..Item::new(Kind::Sign, c.id, format!("{what}：{}（{}）", c.number, crate::money::Money::from_fen(v.amount_fen).grouped()), link(c.id)) });
        }
    }
    let wanted = if caller.role == Role::Department { vec!["submitted"] } else { vec!["submitted", "accepted", "rejected"] };
    let deliverables = in_county::<deliverable::Entity>(county).filter(deliverable::Column::ContractId.in_subquery(seen())).filter(deliverable::Column::Status.is_in(wanted)).all(db).await?;
    if caller.role == Role::Department {
        for d in &deliverables {
            out.push(Item::new(Kind::Accept, d.id, format!("验收服务成果：{} {}", number(d.contract_id), d.summary), link(d.contract_id)));
        }
    } else {
        // The latest deliverable of each clause; rejected means deliver again.
        let mut latest: HashMap<(i64, i64), &deliverable::Model> = HashMap::new();
        for d in &deliverables {
            let e = latest.entry((d.contract_id, d.clause_id)).or_insert(d);
            if d.id > e.id {
                *e = d;
            }
        }
        // Clauses to deliver, by the deadline of the instalment each releases.
        let cs_list: Vec<contract::Model> = cs.values().cloned().collect();
        let due = crate::tasks::store::deadlines_of(db, county, &cs_list).await?;
        for (contract_id, clauses) in &due {
            for k in clauses.iter().filter(|k| k.state == crate::tasks::DueState::Open && k.due <= plus(today, DELIVER_AHEAD_DAYS)) {
                let title = format!("提交服务成果：{} 第{}条 {}", number(*contract_id), k.number, k.title);
                out.push(Item::due(Kind::Deliver, k.clause_id, &title, format!("/contracts/{contract_id}?clause={}#deliverable-form", k.clause_id), k.due, today));
            }
        }
        for d in latest.values().filter(|d| d.status == "rejected") {
            let why = d.decision_comment.as_deref().unwrap_or("");
            // The clause's deadline, when the deliverable is of the version in force.
            let current = due.get(&d.contract_id).and_then(|ks| ks.iter().find(|k| k.state == crate::tasks::DueState::Rejected && k.clause_id == d.clause_id)).map(|k| k.due);
            out.push(Item { due: current, ..Item::new(Kind::Redeliver, d.id, format!("成果被退回，请重新提交：{}（{why}）", number(d.contract_id)), format!("/contracts/{}?clause={}#deliverable-form", d.contract_id, d.clause_id)) });
        }
        for p in in_county::<disbursement::Entity>(county).filter(disbursement::Column::ContractId.in_subquery(seen())).filter(disbursement::Column::Status.eq("paid")).all(db).await? {
            let amount = crate::money::Money::from_fen(p.amount_fen).grouped();
            // Answered by the finance bureau after a dispute: new work, with the answer, and
            // its own time to confirm from the answer.
            let (record, title, since) = match (&p.answer, p.answered_at) {
                (Some(a), Some(at)) => (format!("{}-{}", p.id, at.timestamp()), format!("财政局已答复异议（{a}），请确认收款：{} {amount}", number(p.contract_id)), at),
                _ => (p.id.to_string(), format!("确认收款：{} {amount}", number(p.contract_id)), p.paid_at),
            };
            out.push(Item::due(Kind::Confirm, record, &title, link(p.contract_id), plus(since.date_naive(), CONFIRM_DAYS), today));
        }
    }
    let evaluations = in_county::<evaluation::Entity>(county).filter(evaluation::Column::ContractId.in_subquery(seen())).all(db).await?;
    if caller.role == Role::Department {
        let in_force: HashMap<i64, &contract_version::Model> =
            versions.iter().filter(|v| v.status == "effective" && cs.get(&v.contract_id).is_some_and(|c| c.current_version == v.version)).map(|v| (v.contract_id, v)).collect();
        let done: HashSet<i64> = evaluations.iter().filter(|e| e.evaluator == "department").map(|e| e.contract_id).collect();
        for c in cs.values().filter(|c| matches!(c.status.as_str(), "completed" | "closed") && !done.contains(&c.id)) {
            if let Some(v) = in_force.get(&c.id) {
                out.push(Item::due(Kind::Evaluate, c.id, &format!("按合同条款评价：{}", c.number), link(c.id), plus(v.period_end, EVALUATION_DAYS), today));
            }
        }
    } else {
        let recent: Vec<&evaluation::Model> = evaluations.iter().filter(|e| plus(e.created_at.date_naive(), OBJECTION_DAYS) >= today).collect();
        let ids: Vec<i64> = recent.iter().map(|e| e.id).collect();
        let objected: HashSet<i64> = in_county::<objection::Entity>(county).filter(objection::Column::EvaluationId.is_in(ids)).all(db).await?.into_iter().map(|o| o.evaluation_id).collect();
        for e in recent.into_iter().filter(|e| !objected.contains(&e.id)) {
            let who = if e.evaluator == "department" { "主管部门" } else { "居民代表" };
            let result = crate::evaluation::Rating::parse(&e.overall).map(|r| r.label()).unwrap_or("");
            out.push(Item::new(Kind::Evaluation, e.id, format!("收到{who}评价：{}（{result}）", number(e.contract_id)), link(e.contract_id)));
        }
    }
    Ok(())
}

/// Payments the communities disputed, for the finance bureau to check and answer.
async fn disputed_items(db: &impl ConnectionTrait, caller: &Caller, out: &mut Vec<Item>) -> AppResult<()> {
    let county = caller.county_id;
    let ds = in_county::<disbursement::Entity>(county).filter(disbursement::Column::Status.eq("disputed")).all(db).await?;
    let ids: Vec<i64> = ds.iter().map(|d| d.contract_id).collect::<HashSet<_>>().into_iter().collect();
    let numbers = crate::contracts::store::numbers(db, county, ids).await?;
    for d in ds {
        let number = numbers.get(&d.contract_id).cloned().unwrap_or_default();
        let title = format!("核实并答复拨款异议：{number} {}（{}）", crate::money::Money::from_fen(d.amount_fen).grouped(), d.dispute_reason.as_deref().unwrap_or(""));
        // The dispute's time is part of the id: a second dispute of the same payment is new work.
        let at = d.receipt_at.map(|t| t.timestamp()).unwrap_or_default();
        out.push(Item::new(Kind::Disputed, format!("{}-{at}", d.id), title, format!("/contracts/{}#disbursement-{}", d.contract_id, d.id)));
    }
    Ok(())
}

/// Instalments of active contracts due within a week or overdue, not yet paid in full,
/// whose clause (if any) has an accepted deliverable: what the finance bureau pays next.
async fn pay_items(db: &impl ConnectionTrait, caller: &Caller, today: NaiveDate, out: &mut Vec<Item>) -> AppResult<()> {
    let county = caller.county_id;
    let active = || in_county::<contract::Entity>(county).filter(contract::Column::Status.eq("active")).select_only().column(contract::Column::Id).into_query();
    let due: Vec<contract_milestone::Model> = in_county::<contract_milestone::Entity>(county)
        .filter(contract_milestone::Column::ContractId.in_subquery(active()))
        .filter(contract_milestone::Column::Due.lte(plus(today, PAY_AHEAD_DAYS)))
        .all(db)
        .await?;
    let ids: Vec<i64> = due.iter().map(|m| m.contract_id).collect::<HashSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(());
    }
    // The rows the payment rule reads (`funds::schedule`), for all these contracts at once.
    let mut cs: HashMap<i64, contract::Model> = HashMap::new();
    let mut ms: HashMap<i64, Vec<contract_milestone::Model>> = HashMap::new();
    let mut clauses: HashMap<i64, Vec<(i64, i32)>> = HashMap::new();
    let mut accepted: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut paid: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let chunk = chunk.to_vec();
        cs.extend(in_county::<contract::Entity>(county).filter(contract::Column::Id.is_in(chunk.clone())).all(db).await?.into_iter().map(|c| (c.id, c)));
        for m in in_county::<contract_milestone::Entity>(county).filter(contract_milestone::Column::ContractId.is_in(chunk.clone())).all(db).await? {
            ms.entry(m.contract_id).or_default().push(m);
        }
        for p in in_county::<disbursement::Entity>(county).filter(disbursement::Column::ContractId.is_in(chunk.clone())).all(db).await? {
            paid.entry(p.contract_id).or_default().push((p.milestone_id, p.amount_fen));
        }
        for k in in_county::<contract_clause::Entity>(county).filter(contract_clause::Column::ContractId.is_in(chunk.clone())).all(db).await? {
            clauses.entry(k.contract_id).or_default().push((k.id, k.number));
        }
        for d in in_county::<deliverable::Entity>(county).filter(deliverable::Column::ContractId.is_in(chunk)).filter(deliverable::Column::Status.eq("accepted")).all(db).await? {
            accepted.entry(d.contract_id).or_default().push(d.clause_id);
        }
    }
    let mut schedules: HashMap<i64, crate::funds::schedule::Schedule> = HashMap::new();
    for m in &due {
        let Some(c) = cs.get(&m.contract_id) else { continue };
        if m.version != c.current_version {
            continue;
        }
        let s = schedules.entry(c.id).or_insert_with(|| {
            let (k, a, p) = (clauses.remove(&c.id), accepted.remove(&c.id), paid.remove(&c.id));
            crate::funds::store::schedule_of(c.current_version, ms.get(&c.id).map(Vec::as_slice).unwrap_or(&[]), k.unwrap_or_default(), a.unwrap_or_default(), p.unwrap_or_default())
        });
        let Some(i) = s.current().find(|i| i.id == m.id).cloned() else { continue };
        // Announced a week ahead: as payable on that day.
        let now = s.payable(&i, plus(today, PAY_AHEAD_DAYS)).now;
        if now.is_positive() {
            let title = format!("拨付：{} 第{}期 {}", c.number, m.seq, now.grouped());
            out.push(Item::due(Kind::Pay, m.id, &title, format!("/contracts/{}", c.id), m.due, today));
        }
    }
    Ok(())
}
