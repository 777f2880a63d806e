//! The lifecycle's storage: locks in a fixed order, the facts the rules of `mod.rs` need,
//! and the only writers of contract and target statuses, the closing of contracts, the
//! endings an admission imposes on its contracts, the deadline job and the checks
//! `verify-ledger` adds to the ledger's own.
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use entity::{admission, admission_event, admission_target, contract, contract_milestone, contract_version, deliverable, disbursement, evaluation, ledger_line, user};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use super::{
    admission_in_force, audit, contract_next, ready_to_close, AdmissionFacts, AdmissionRecord, Closing, ContractRecord, ContractStatus,
    ContractStep, Ending, Holding, PaymentRecord, Refusal, Snapshot, TargetStatus, Use, VersionStatus,
};
use crate::admission::Status as AdmissionStatus;
use crate::funds::Breach;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::audit::{Entry, Tx};
use crate::platform::db::{begin_write, by_id_in_county, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult};

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError::conflict(r.code, r.message)
    }
}

/// A contract's status, or a loud error for a value no code writes.
pub fn contract_status(c: &contract::Model) -> AppResult<ContractStatus> {
    ContractStatus::parse(&c.status).ok_or_else(|| AppError::internal(format!("contract {} has unknown status {:?}", c.id, c.status)))
}

pub fn admission_status(a: &admission::Model) -> AppResult<AdmissionStatus> {
    AdmissionStatus::parse(&a.status).ok_or_else(|| AppError::internal(format!("admission {} has unknown status {:?}", a.id, a.status)))
}

pub fn version_status(v: &contract_version::Model) -> AppResult<VersionStatus> {
    VersionStatus::parse(&v.status).ok_or_else(|| AppError::internal(format!("contract version {} has unknown status {:?}", v.id, v.status)))
}

pub fn facts(a: &admission::Model) -> AppResult<AdmissionFacts> {
    Ok(AdmissionFacts { status: admission_status(a)?, entered_early: a.entered_at.is_some(), deadline: a.approval_deadline })
}

/// Refuses the step unless the admission is in force today for this use.
pub fn require_in_force(a: &admission::Model, use_: Use) -> AppResult<()> {
    Ok(admission_in_force(&facts(a)?, Utc::now().date_naive(), use_)?)
}

/// Locks, on PostgreSQL, the rows every check-then-write on money depends on, always in
/// the same order (admission, then department, then contract) so two requests cannot
/// deadlock or both pass a check on stale balances. SQLite's write lock, taken when the
/// transaction began, already serialises writers.
pub async fn lock_money(txn: &impl ConnectionTrait, admission_id: Option<i64>, department_id: Option<i64>, contract_id: Option<i64>) -> AppResult<()> {
    if txn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(());
    }
    if let Some(id) = admission_id {
        admission::Entity::find_by_id(id).lock_exclusive().one(txn).await?;
    }
    if let Some(id) = department_id {
        // The department's organisation row stands for its budgets of every year.
        entity::organisation::Entity::find_by_id(id).lock_exclusive().one(txn).await?;
    }
    if let Some(id) = contract_id {
        contract::Entity::find_by_id(id).lock_exclusive().one(txn).await?;
    }
    Ok(())
}

/// Versions of the given contracts, by contract.
async fn versions_of(db: &impl ConnectionTrait, county_id: i64, ids: &[i64]) -> AppResult<HashMap<i64, Vec<contract_version::Model>>> {
    let mut out: HashMap<i64, Vec<contract_version::Model>> = HashMap::new();
    for v in in_county::<contract_version::Entity>(county_id).filter(contract_version::Column::ContractId.is_in(ids.iter().copied())).all(db).await? {
        out.entry(v.contract_id).or_default().push(v);
    }
    Ok(out)
}

/// Paid per contract, from the payments.
async fn paid_of(db: &impl ConnectionTrait, county_id: i64, ids: &[i64]) -> AppResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, i64)> = in_county::<disbursement::Entity>(county_id)
        .select_only()
        .column(disbursement::Column::ContractId)
        .column(disbursement::Column::AmountFen)
        .filter(disbursement::Column::ContractId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for (c, fen) in rows {
        *out.entry(c).or_default() += fen;
    }
    Ok(out)
}

fn holding(c: &contract::Model, versions: &[contract_version::Model], paid: i64) -> AppResult<Holding> {
    let amount = |pred: &dyn Fn(&contract_version::Model) -> bool| versions.iter().find(|v| pred(v)).map(|v| Money::from_fen(v.amount_fen));
    Ok(Holding {
        status: contract_status(c)?,
        in_force: amount(&|v| v.version == c.current_version).unwrap_or_default(),
        pending: amount(&|v| v.version != c.current_version && v.status == VersionStatus::Pending.as_str()),
        disbursed: Money::from_fen(paid),
    })
}

/// What every contract of an admission holds of its budget.
pub async fn holdings(db: &impl ConnectionTrait, a: &admission::Model) -> AppResult<Vec<(i64, Holding)>> {
    let cs = in_county::<contract::Entity>(a.county_id).filter(contract::Column::AdmissionId.eq(a.id)).all(db).await?;
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    let versions = versions_of(db, a.county_id, &ids).await?;
    let paid = paid_of(db, a.county_id, &ids).await?;
    cs.iter()
        .map(|c| Ok((c.id, holding(c, versions.get(&c.id).map(Vec::as_slice).unwrap_or(&[]), paid.get(&c.id).copied().unwrap_or(0))?)))
        .collect()
}

/// What is left of an admission's budget for `except` (or a new contract): the budget
/// less what every other contract holds.
pub async fn admission_room(db: &impl ConnectionTrait, a: &admission::Model, except: Option<i64>) -> AppResult<Money> {
    let others: Vec<Holding> = holdings(db, a).await?.into_iter().filter(|(id, _)| Some(*id) != except).map(|(_, h)| h).collect();
    Ok(Money::from_fen(super::admission_room(Money::from_fen(a.budget_fen.unwrap_or(0)), &others).max(0)))
}

/// 409 ADMISSION_BUDGET_EXCEEDED unless `amount` fits what is left for `contract`.
pub async fn require_admission_room(db: &impl ConnectionTrait, a: &admission::Model, contract: Option<i64>, amount: Money) -> AppResult<()> {
    let left = admission_room(db, a, contract).await?;
    if amount > left {
        return Err(AppError::conflict("ADMISSION_BUDGET_EXCEEDED", format!("合同金额超出准入事项剩余经费预算（剩余 {}）", left.grouped())));
    }
    Ok(())
}

/// Paid so far on each instalment of a contract, by its key, across all versions.
pub async fn paid_by_key(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<HashMap<i32, Money>> {
    let keys: HashMap<i64, i32> = in_county::<contract_milestone::Entity>(c.county_id)
        .filter(contract_milestone::Column::ContractId.eq(c.id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.key))
        .collect();
    let paid = in_county::<disbursement::Entity>(c.county_id).filter(disbursement::Column::ContractId.eq(c.id)).all(db).await?;
    Ok(super::paid_by_key(&keys, paid.into_iter().map(|d| (d.milestone_id, d.amount_fen))))
}

/// The one place a contract's status changes; each change goes to the audit trail.
async fn set_contract_status(txn: &Tx, caller: &Caller, c: &contract::Model, from: ContractStatus, to: ContractStatus, ending: Option<(&str, Option<&str>)>) -> AppResult<bool> {
    let mut q = contract::Entity::update_many()
        .col_expr(contract::Column::Status, Expr::value(to.as_str()))
        .col_expr(contract::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some((reason, code)) = ending {
        q = q
            .col_expr(contract::Column::TerminationReason, Expr::value(Some(reason.to_string())))
            .col_expr(contract::Column::TerminationCode, Expr::value(code.map(str::to_string)));
    }
    let res = q.filter(contract::Column::Id.eq(c.id)).filter(contract::Column::Status.eq(from.as_str())).exec(txn).await?;
    if res.rows_affected == 1 {
        let mut after = serde_json::json!({ "status": to.as_str() });
        if let Some((reason, code)) = ending {
            after["termination_reason"] = reason.into();
            after["termination_code"] = code.into();
        }
        txn.note(
            Entry::by(caller, format!("contract.{}", to.as_str()), "contract", c.id)
                .before(serde_json::json!({ "status": from.as_str() }))
                .after(after),
        );
    }
    Ok(res.rows_affected == 1)
}

async fn set_target(txn: &impl ConnectionTrait, admission_id: i64, community_id: Option<i64>, from: &[TargetStatus], to: TargetStatus) -> AppResult<()> {
    let mut q = admission_target::Entity::update_many()
        .col_expr(admission_target::Column::Status, Expr::value(to.as_str()))
        .col_expr(admission_target::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(admission_target::Column::AdmissionId.eq(admission_id))
        .filter(admission_target::Column::Status.is_in(from.iter().map(|s| s.as_str())));
    if let Some(c) = community_id {
        q = q.filter(admission_target::Column::CommunityId.eq(c));
    }
    q.exec(txn).await?;
    Ok(())
}

/// The admission's targets move on with a decision: approval (or an emergency entry)
/// admits the task in its communities; it enters one only with a signed contract.
pub async fn targets_admitted(txn: &impl ConnectionTrait, admission_id: i64) -> AppResult<()> {
    set_target(txn, admission_id, None, &[TargetStatus::Pending], TargetStatus::Admitted).await
}

/// The task leaves every community it was admitted to or entered.
pub async fn targets_out(txn: &impl ConnectionTrait, admission_id: i64, to: TargetStatus) -> AppResult<()> {
    set_target(txn, admission_id, None, &[TargetStatus::Pending, TargetStatus::Admitted, TargetStatus::Entered], to).await
}

/// A contract took effect: both parties signed its first version. The task enters the
/// community with it (费随事转).
pub async fn activate(txn: &Tx, caller: &Caller, c: &contract::Model) -> AppResult<()> {
    let from = contract_status(c)?;
    let to = contract_next(from, ContractStep::Activate)?;
    if !set_contract_status(txn, caller, c, from, to, None).await? {
        return Err(AppError::conflict("INVALID_STATE", "合同已被他人处理，请刷新"));
    }
    set_target(txn, c.admission_id, Some(c.community_id), &[TargetStatus::Admitted], TargetStatus::Entered).await
}

/// The department declares the work done.
pub async fn complete(txn: &Tx, caller: &Caller, c: &contract::Model) -> AppResult<()> {
    let from = contract_status(c)?;
    let to = contract_next(from, ContractStep::Complete)?;
    if !set_contract_status(txn, caller, c, from, to, None).await? {
        return Err(AppError::conflict("INVALID_STATE", "合同已被他人处理，请刷新"));
    }
    Ok(())
}

/// Ends a contract before its time: the unpaid rest of its commitment goes back to the
/// department's budget (what it paid stays consumed), a pending version dies with it, and
/// the task leaves the community unless another contract keeps it there.
pub async fn terminate(txn: &Tx, caller: &Caller, c: &contract::Model, reason: &str, code: Option<&str>) -> AppResult<()> {
    let from = contract_status(c)?;
    let to = contract_next(from, ContractStep::Terminate)?;
    if !set_contract_status(txn, caller, c, from, to, Some((reason, code))).await? {
        return Err(AppError::conflict("INVALID_STATE", "合同已被他人处理，请刷新"));
    }
    crate::funds::store::release_contract(txn, caller, c).await?;
    contract_version::Entity::update_many()
        .col_expr(contract_version::Column::Status, Expr::value(VersionStatus::Void.as_str()))
        .filter(contract_version::Column::ContractId.eq(c.id))
        .filter(contract_version::Column::Status.eq(VersionStatus::Pending.as_str()))
        .exec(txn)
        .await?;
    let still_held = in_county::<contract::Entity>(c.county_id)
        .filter(contract::Column::AdmissionId.eq(c.admission_id))
        .filter(contract::Column::CommunityId.eq(c.community_id))
        .filter(contract::Column::Status.is_in([ContractStatus::Active.as_str(), ContractStatus::Completed.as_str()]))
        .one(txn)
        .await?
        .is_some();
    if from != ContractStatus::Draft && !still_held {
        set_target(txn, c.admission_id, Some(c.community_id), &[TargetStatus::Entered], TargetStatus::Withdrawn).await?;
    }
    Ok(())
}

/// Closes the contract when its life is over (see `ready_to_close`); the task then exits
/// that community, and the admission is revoked when all its contracts have ended.
/// Every step that could be the last one calls this.
pub async fn settle(txn: &Tx, caller: &Caller, contract_id: i64) -> AppResult<bool> {
    let Some(c) = by_id_in_county::<contract::Entity>(caller.county_id, contract_id).one(txn).await? else { return Ok(false) };
    let from = contract_status(&c)?;
    if contract_next(from, ContractStep::Close).is_err() {
        return Ok(false);
    }
    let f = crate::funds::store::contract_funds(txn, &c).await?;
    let undecided = in_county::<deliverable::Entity>(c.county_id)
        .filter(deliverable::Column::ContractId.eq(c.id))
        .filter(deliverable::Column::Status.eq("submitted"))
        .one(txn)
        .await?
        .is_some();
    let evaluated = in_county::<evaluation::Entity>(c.county_id)
        .filter(evaluation::Column::ContractId.eq(c.id))
        .filter(evaluation::Column::Evaluator.eq("department"))
        .one(txn)
        .await?
        .is_some();
    let closing = Closing { amount: f.amount, disbursed: f.disbursed, confirmed: f.confirmed, undecided_deliverables: undecided, evaluated };
    if !ready_to_close(&closing) || !set_contract_status(txn, caller, &c, from, ContractStatus::Closed, None).await? {
        return Ok(false);
    }
    set_target(txn, c.admission_id, Some(c.community_id), &[TargetStatus::Entered], TargetStatus::Exited).await?;
    crate::admission::store::contract_closed(txn, caller, c.admission_id).await?;
    Ok(true)
}

/// An admission stops governing: each of its contracts that the ending stops is
/// terminated with the ending's code and reason. Returns how many.
pub async fn end_contracts(txn: &Tx, caller: &Caller, a: &admission::Model, ending: Ending) -> AppResult<usize> {
    let mut n = 0;
    for c in in_county::<contract::Entity>(a.county_id).filter(contract::Column::AdmissionId.eq(a.id)).order_by_asc(contract::Column::Id).all(txn).await? {
        if ending.ends(contract_status(&c)?) {
            lock_money(txn, None, None, Some(c.id)).await?;
            terminate(txn, caller, &c, ending.reason(), Some(ending.code())).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// The county's system actor, for what the deadline job does: an inactive account that
/// cannot log in, so that every recorded step still names who took it.
pub async fn system_caller(txn: &Tx, county_id: i64) -> AppResult<Caller> {
    let username = format!("zhunru.system.{county_id}");
    let find = || in_county::<user::Entity>(county_id).filter(user::Column::Username.eq(username.clone()));
    let u = match find().one(txn).await? {
        Some(u) => u,
        None => {
            let root = in_county::<entity::organisation::Entity>(county_id)
                .filter(entity::organisation::Column::ParentId.is_null())
                .one(txn)
                .await?
                .ok_or_else(|| AppError::internal(format!("county {county_id} has no root organisation")))?;
            let inserted = user::ActiveModel {
                county_id: Set(county_id),
                org_id: Set(root.id),
                username: Set(username.clone()),
                display_name: Set("系统（期限自动处理）".into()),
                role: Set(Role::Admin.as_str().into()),
                password_hash: Set("!".into()), // no password hashes to this
                active: Set(false),
                failed_logins: Set(0),
                locked_until: Set(None),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(txn)
            .await;
            match inserted {
                Ok(u) => {
                    txn.note(Entry::new(county_id, None, "user.create_system", "user", u.id).after(&u));
                    u
                }
                Err(e) if is_unique_violation(&e) => find().one(txn).await?.ok_or_else(AppError::not_found)?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Caller {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: Role::Admin,
        org_id: u.org_id,
        county_id,
        home_county_id: county_id,
        home_role: Role::Admin,
        session_id: 0,
    })
}

/// What one run of the deadline job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeadlineRun {
    /// Emergency entries withdrawn for want of approval in time.
    pub expired: usize,
    /// Admissions whose period ended.
    pub period_ended: usize,
    /// Contracts terminated or lapsed by either.
    pub contracts_ended: usize,
}

/// Applies the deadlines as of `today`: an emergency entry still unapproved after its
/// deadline is withdrawn (the task leaves its communities, its unpaid contracts end; what
/// was paid stays on record for the finance bureau to settle); an admission whose period
/// has ended is completed, its unsigned drafts lapse and, when no contract is still being
/// settled, it is revoked (工作完成后撤销). Idempotent: each change is a guarded update in
/// its own write transaction (the admission row locked on PostgreSQL), so several
/// instances running it at once change each record once.
pub async fn apply_deadlines(db: &DatabaseConnection, today: NaiveDate) -> AppResult<DeadlineRun> {
    let mut run = DeadlineRun::default();
    let overdue = admission::Entity::find()
        .filter(admission::Column::Status.is_in([AdmissionStatus::EnteredPendingApproval.as_str(), AdmissionStatus::Reviewed.as_str()]))
        .filter(admission::Column::EnteredAt.is_not_null())
        .filter(admission::Column::ApprovalDeadline.lt(today))
        .all(db)
        .await?;
    for a in overdue {
        let txn = begin_write(db).await?;
        lock_money(&txn, Some(a.id), None, None).await?;
        let Some(a) = by_id_in_county::<admission::Entity>(a.county_id, a.id).one(&txn).await? else { continue };
        let from = admission_status(&a)?;
        if !crate::admission::overdue(from, a.approval_deadline, today) || a.entered_at.is_none() {
            continue;
        }
        let system = system_caller(&txn, a.county_id).await?;
        if crate::admission::store::set_status(&txn, &system, &a, from, AdmissionStatus::Expired, "expire", &format!("先进后批事项于{}前未获批准，已撤出社区", a.approval_deadline.unwrap_or(today))).await? {
            targets_out(&txn, a.id, TargetStatus::Withdrawn).await?;
            run.contracts_ended += end_contracts(&txn, &system, &a, Ending::EmergencyOverdue).await?;
            // Decided by the deadline: filed with the level above like a decision.
            let expired = by_id_in_county::<admission::Entity>(a.county_id, a.id).one(&txn).await?.ok_or_else(AppError::not_found)?;
            crate::region::store::file_admission(&txn, &system, &expired, "逾期未批，撤出社区").await?;
            run.expired += 1;
            txn.commit(vec![]).await?;
        }
    }
    let ended = admission::Entity::find()
        .filter(admission::Column::Status.is_in([AdmissionStatus::Admitted.as_str(), AdmissionStatus::InProgress.as_str()]))
        .filter(admission::Column::PeriodEnd.lt(today))
        .all(db)
        .await?;
    for a in ended {
        let txn = begin_write(db).await?;
        lock_money(&txn, Some(a.id), None, None).await?;
        let Some(a) = by_id_in_county::<admission::Entity>(a.county_id, a.id).one(&txn).await? else { continue };
        let from = admission_status(&a)?;
        if !matches!(from, AdmissionStatus::Admitted | AdmissionStatus::InProgress) {
            continue;
        }
        let system = system_caller(&txn, a.county_id).await?;
        let end = a.period_end.unwrap_or(today);
        if crate::admission::store::set_status(&txn, &system, &a, from, AdmissionStatus::Completed, "period_end", &format!("工作期限已于{end}届满")).await? {
            run.contracts_ended += end_contracts(&txn, &system, &a, Ending::PeriodEnded).await?;
            set_target(&txn, a.id, None, &[TargetStatus::Admitted], TargetStatus::Exited).await?;
            crate::admission::store::contract_closed(&txn, &system, a.id).await?;
            run.period_ended += 1;
            txn.commit(vec![]).await?;
        }
    }
    Ok(run)
}

/// Runs `apply_deadlines` inside the server: now, then every `every`.
pub fn spawn_deadline_job(db: DatabaseConnection, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match apply_deadlines(&db, Utc::now().date_naive()).await {
                Ok(run) if run != DeadlineRun::default() => tracing::info!(?run, "deadlines applied"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e.message, "deadline job failed"),
            }
        }
    })
}

// ---- verify-ledger ------------------------------------------------------------------

/// Reads what `audit` checks, for one county.
pub async fn snapshot(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Snapshot> {
    let mut history: HashMap<i64, Vec<(chrono::DateTime<Utc>, AdmissionStatus)>> = HashMap::new();
    for e in in_county::<admission_event::Entity>(county_id).order_by_asc(admission_event::Column::Id).all(db).await? {
        let status = AdmissionStatus::parse(&e.to_status).ok_or_else(|| AppError::internal(format!("event {} has unknown status {:?}", e.id, e.to_status)))?;
        history.entry(e.admission_id).or_default().push((e.created_at, status));
    }
    let mut admissions = Vec::new();
    for a in in_county::<admission::Entity>(county_id).all(db).await? {
        admissions.push(AdmissionRecord {
            id: a.id,
            budget: Money::from_fen(a.budget_fen.unwrap_or(0)),
            entered_early: a.entered_at.is_some(),
            deadline: a.approval_deadline,
            status: admission_status(&a)?,
            history: history.remove(&a.id).unwrap_or_default(),
        });
    }
    let cs = in_county::<contract::Entity>(county_id).all(db).await?;
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    let versions = versions_of(db, county_id, &ids).await?;
    let milestones = in_county::<contract_milestone::Entity>(county_id).all(db).await?;
    let key_of: HashMap<i64, i32> = milestones.iter().map(|m| (m.id, m.key)).collect();
    let mut balances: HashMap<String, i64> = HashMap::new();
    for (account, debit, credit) in in_county::<ledger_line::Entity>(county_id)
        .select_only()
        .column(ledger_line::Column::Account)
        .column(ledger_line::Column::DebitFen)
        .column(ledger_line::Column::CreditFen)
        .into_tuple::<(String, i64, i64)>()
        .all(db)
        .await?
    {
        *balances.entry(account).or_default() += debit - credit;
    }
    let bal = |a: String| Money::from_fen(balances.get(&a).copied().unwrap_or(0));
    let mut contracts = Vec::new();
    for c in &cs {
        let vs = versions.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        let h = holding(c, vs, 0)?;
        let instalments: BTreeMap<i32, Money> = milestones
            .iter()
            .filter(|m| m.contract_id == c.id && m.version == c.current_version)
            .map(|m| (m.key, Money::from_fen(m.amount_fen)))
            .collect();
        contracts.push(ContractRecord {
            id: c.id,
            number: c.number.clone(),
            admission_id: c.admission_id,
            status: h.status,
            in_force: h.in_force,
            pending: h.pending,
            instalments,
            committed: bal(crate::funds::commit(c.id)),
            ledger_disbursed: Money::from_fen(bal(crate::funds::paid(c.id)).fen() + bal(crate::funds::received(c.id)).fen()),
        });
    }
    let payments = in_county::<disbursement::Entity>(county_id)
        .all(db)
        .await?
        .into_iter()
        .map(|d| PaymentRecord { id: d.id, contract_id: d.contract_id, key: key_of.get(&d.milestone_id).copied().unwrap_or(-1), amount: Money::from_fen(d.amount_fen), paid_at: d.paid_at })
        .collect();
    Ok(Snapshot { admissions, contracts, payments })
}

/// The lifecycle's limits over one county or all of them.
pub async fn verify(db: &impl ConnectionTrait, county_id: Option<i64>) -> AppResult<Vec<Breach>> {
    let counties: Vec<i64> = match county_id {
        Some(c) => vec![c],
        None => entity::county::Entity::find().all(db).await?.into_iter().map(|c| c.id).collect(),
    };
    let mut out = Vec::new();
    for c in counties {
        out.extend(audit(&snapshot(db, c).await?));
    }
    Ok(out)
}
