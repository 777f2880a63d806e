//! Raising and deciding disputes. Each change is one audited transaction; the decision
//! changes the disputed record in the same transaction (an accepted deliverable releases
//! its instalment at once).
use chrono::Utc;
use entity::{contract, contract_clause, deliverable, dispute, evaluation};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, TransactionTrait};

use super::{arbitrable_deliverables, Decision, Kind, Status, TERMINATION_OBJECTION_DAYS};
use crate::contracts::store as contracts;
use crate::orgs::Role;
use crate::platform::audit::{Entry, Tx};
use crate::platform::auth::Caller;
use crate::platform::db::{begin_write, by_id_in_county, in_county};
use crate::platform::error::{AppError, AppResult};
use crate::platform::page::{self, Page, PageReq};

fn not_available(message: &str) -> AppError {
    AppError::conflict("DISPUTE_NOT_AVAILABLE", message.to_string())
}

fn reason_of(reason: &str) -> AppResult<String> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(AppError::invalid("reason", "请写明理由"));
    }
    Ok(r.to_string())
}

/// The community's own contract, or 403.
async fn own_contract(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<contract::Model> {
    let c = contracts::find(db, caller, id).await?;
    if caller.role != Role::Community || c.community_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

/// A new open dispute raised by the caller.
fn opened(caller: &Caller, kind: Kind, contract_id: i64, subject_id: i64, reason: String) -> dispute::ActiveModel {
    dispute::ActiveModel {
        county_id: Set(caller.county_id),
        kind: Set(kind.as_str().into()),
        contract_id: Set(contract_id),
        subject_id: Set(subject_id),
        reason: Set(reason),
        status: Set(Status::Open.as_str().into()),
        decision_reason: Set(None),
        raised_by: Set(caller.user_id),
        decided_by: Set(None),
        created_at: Set(Utc::now()),
        decided_at: Set(None),
        ..Default::default()
    }
}

async fn insert(txn: &Tx, caller: &Caller, kind: Kind, contract_id: i64, subject_id: i64, reason: String) -> AppResult<dispute::Model> {
    // One per thing disputed: the unique index (county, kind, subject) answers a second one.
    let d = opened(caller, kind, contract_id, subject_id, reason)
    .insert(txn)
    .await
    .map_err(|e| if crate::platform::db::is_unique_violation(&e) { AppError::conflict("DISPUTE_EXISTS", "已经提出过，正在或已经由民政部门处理") } else { e.into() })?;
    txn.note(Entry::by(caller, format!("dispute.raise.{}", kind.as_str()), "dispute", d.id).after(&d));
    Ok(d)
}

/// The community asks civil affairs to arbitrate a deliverable the department rejected a
/// second time (the latest deliverable of its clause).
pub async fn request_arbitration(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, deliverable_id: i64, reason: &str) -> AppResult<dispute::Model> {
    let reason = reason_of(reason)?;
    let txn = begin_write(db).await?;
    let d = by_id_in_county::<deliverable::Entity>(caller.county_id, deliverable_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    let c = own_contract(&txn, caller, d.contract_id).await?;
    if !matches!(c.status.as_str(), "active" | "completed") {
        return Err(not_available("合同已结束，不能申请仲裁"));
    }
    // The clause's deliverables across versions: clauses keep their numbers, not their ids.
    let clauses = in_county::<contract_clause::Entity>(c.county_id).filter(contract_clause::Column::ContractId.eq(c.id)).all(&txn).await?;
    let all = in_county::<deliverable::Entity>(c.county_id).filter(deliverable::Column::ContractId.eq(c.id)).all(&txn).await?;
    let number_of = |id: i64| clauses.iter().find(|k| k.id == id).map(|k| k.number);
    if !arbitrable_deliverables(&all, number_of).contains(&d.id) {
        return Err(not_available("同一条款的成果被部门退回两次后，方可对最近一次退回申请民政部门仲裁"));
    }
    let out = insert(&txn, caller, Kind::Deliverable, c.id, d.id, reason).await?;
    txn.commit(vec![]).await?;
    Ok(out)
}

/// An objection to an evaluation opens its dispute (once; later objections join it).
pub async fn open_for_objection(txn: &Tx, caller: &Caller, e: &evaluation::Model, text: &str) -> AppResult<()> {
    let model = opened(caller, Kind::Evaluation, e.contract_id, e.id, text.trim().to_string());
    let on_conflict = OnConflict::columns([dispute::Column::CountyId, dispute::Column::Kind, dispute::Column::SubjectId]).do_nothing().to_owned();
    let inserted = dispute::Entity::insert(model).on_conflict(on_conflict).exec_without_returning(txn).await?;
    if inserted > 0 {
        txn.note(Entry::by(caller, "dispute.raise.evaluation", "evaluation", e.id).after(serde_json::json!({"reason": text.trim()})));
    }
    Ok(())
}

/// The community contests the department's termination of its contract, within
/// `TERMINATION_OBJECTION_DAYS`.
pub async fn contest_termination(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, contract_id: i64, reason: &str) -> AppResult<dispute::Model> {
    let reason = reason_of(reason)?;
    let txn = begin_write(db).await?;
    let c = own_contract(&txn, caller, contract_id).await?;
    if c.status != "terminated" || c.termination_reason_code.is_none() {
        return Err(not_available("只能对部门终止的合同提出异议"));
    }
    if (Utc::now() - c.updated_at).num_days() > TERMINATION_OBJECTION_DAYS {
        return Err(not_available(&format!("合同终止已超过{TERMINATION_OBJECTION_DAYS}天，不能再提出异议")));
    }
    let out = insert(&txn, caller, Kind::Termination, c.id, c.id, reason).await?;
    txn.commit(vec![]).await?;
    Ok(out)
}

/// Civil affairs decides an open dispute with a reason. Overturning a rejection accepts
/// the deliverable (its instalment may then be paid).
pub async fn decide(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, decision: Decision, reason: &str) -> AppResult<dispute::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let reason = reason_of(reason)?;
    let txn = begin_write(db).await?;
    let d = by_id_in_county::<dispute::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    let kind = Kind::parse(&d.kind).ok_or_else(|| AppError::internal("unknown dispute kind"))?;
    let now = Utc::now();
    // Only an open dispute is decided, and only once, even when two decisions race.
    let done = dispute::Entity::update_many()
        .col_expr(dispute::Column::Status, Expr::value(decision.outcome().as_str()))
        .col_expr(dispute::Column::DecisionReason, Expr::value(reason.clone()))
        .col_expr(dispute::Column::DecidedBy, Expr::value(caller.user_id))
        .col_expr(dispute::Column::DecidedAt, Expr::value(now))
        .filter(dispute::Column::Id.eq(id))
        .filter(dispute::Column::Status.eq(Status::Open.as_str()))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(AppError::conflict("DISPUTE_DECIDED", "该争议已经处理"));
    }
    if kind == Kind::Deliverable && decision == Decision::Overturn {
        let before = by_id_in_county::<deliverable::Entity>(caller.county_id, d.subject_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
        let changed = deliverable::Entity::update_many()
            .col_expr(deliverable::Column::Status, Expr::value("accepted"))
            .col_expr(deliverable::Column::DecisionComment, Expr::value(format!("经民政部门仲裁，认定符合合同条款：{reason}")))
            .col_expr(deliverable::Column::DecidedBy, Expr::value(caller.user_id))
            .col_expr(deliverable::Column::DecidedAt, Expr::value(now))
            .filter(deliverable::Column::Id.eq(d.subject_id))
            .filter(deliverable::Column::Status.eq("rejected"))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 0 {
            return Err(AppError::conflict("INVALID_STATE", "该成果已不是被退回状态"));
        }
        let after = by_id_in_county::<deliverable::Entity>(caller.county_id, d.subject_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
        txn.note(Entry::by(caller, "deliverable.accepted", "deliverable", after.id).before(&before).after(&after));
        crate::lifecycle::store::settle(&txn, caller, d.contract_id).await?;
    }
    let after = by_id_in_county::<dispute::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, format!("dispute.{}", after.status), "dispute", id).before(&d).after(&after)]).await?;
    Ok(after)
}

/// The disputes on the contracts the caller may see, newest first.
pub async fn page(db: &impl ConnectionTrait, caller: &Caller, status: Option<Status>, contract_id: Option<i64>, req: PageReq) -> AppResult<Page<dispute::Model>> {
    let seen = contracts::visible(caller).select_only().column(contract::Column::Id).into_query();
    let mut q = in_county::<dispute::Entity>(caller.county_id).filter(dispute::Column::ContractId.in_subquery(seen));
    if let Some(s) = status {
        q = q.filter(dispute::Column::Status.eq(s.as_str()));
    }
    if let Some(c) = contract_id {
        q = q.filter(dispute::Column::ContractId.eq(c));
    }
    page::fetch(db, q, dispute::Column::Id, req, |d| d.id).await
}

/// A contract's disputes, oldest first.
pub async fn of_contract(db: &impl ConnectionTrait, county_id: i64, contract_id: i64) -> AppResult<Vec<dispute::Model>> {
    Ok(in_county::<dispute::Entity>(county_id).filter(dispute::Column::ContractId.eq(contract_id)).order_by_asc(dispute::Column::Id).all(db).await?)
}

/// Open disputes of the county, for civil affairs' inbox.
pub async fn open(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<dispute::Model>> {
    Ok(in_county::<dispute::Entity>(county_id).filter(dispute::Column::Status.eq(Status::Open.as_str())).order_by_asc(dispute::Column::Id).all(db).await?)
}
