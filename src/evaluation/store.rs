//! Storage of evaluations and objections, and the end of a contract's life: when its
//! deliverables are decided, its money paid and confirmed and it is evaluated, it closes.
use chrono::Utc;
use entity::{contract, deliverable, evaluation, evaluation_item, objection};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use super::{check, overall, EvalError, FormItem};
use crate::contracts::store::{self as contracts, Status};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::db::{begin_write, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult};

/// The form: one item per performance clause of the version in force.
pub async fn form(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Vec<FormItem>> {
    Ok(contracts::clauses(db, c, c.current_version)
        .await?
        .into_iter()
        .filter(|k| k.performance)
        .map(|k| FormItem { clause_id: k.id, number: k.number, title: k.title })
        .collect())
}

fn eval_error(e: EvalError) -> AppError {
    match e {
        EvalError::NotInContract(m) => AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "CRITERION_NOT_IN_CONTRACT", m),
        EvalError::Invalid { field, message } => AppError::invalid(&field, message),
    }
}

/// The department (or, for residents' representatives, the community) rates the
/// contract's performance clauses.
pub async fn submit(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    contract_id: i64,
    residents: bool,
    items: &[serde_json::Value],
) -> AppResult<evaluation::Model> {
    let txn = begin_write(db).await?;
    let c = contracts::find(&txn, caller, contract_id).await?;
    let allowed = if residents {
        caller.role == Role::Community && c.community_id == caller.org_id
    } else {
        caller.role == Role::Department && c.department_id == caller.org_id
    };
    if !allowed {
        return Err(AppError::forbidden());
    }
    if !matches!(Status::parse(&c.status), Status::Active | Status::Completed) {
        return Err(AppError::conflict("INVALID_STATE", "只有生效的合同可以评价"));
    }
    let ratings = check(&form(&txn, &c).await?, items).map_err(eval_error)?;
    let e = evaluation::ActiveModel {
        county_id: Set(c.county_id),
        contract_id: Set(c.id),
        evaluator: Set(if residents { "residents" } else { "department" }.into()),
        overall: Set(overall(&ratings).as_str().into()),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| if is_unique_violation(&e) { AppError::conflict("ALREADY_EVALUATED", "该合同已评价") } else { e.into() })?;
    for r in &ratings {
        evaluation_item::ActiveModel {
            county_id: Set(c.county_id),
            evaluation_id: Set(e.id),
            clause_id: Set(r.clause_id),
            rating: Set(r.rating.as_str().into()),
            comment: Set(r.comment.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    maybe_close(&txn, caller, c.id).await?;
    txn.commit().await?;
    Ok(e)
}

pub async fn evaluations_of(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<Vec<(evaluation::Model, Vec<evaluation_item::Model>, Vec<objection::Model>)>> {
    let mut out = Vec::new();
    for e in in_county::<evaluation::Entity>(c.county_id)
        .filter(evaluation::Column::ContractId.eq(c.id))
        .order_by_asc(evaluation::Column::Id)
        .all(db)
        .await?
    {
        let items = in_county::<evaluation_item::Entity>(c.county_id).filter(evaluation_item::Column::EvaluationId.eq(e.id)).all(db).await?;
        let objections = in_county::<objection::Entity>(c.county_id).filter(objection::Column::EvaluationId.eq(e.id)).all(db).await?;
        out.push((e, items, objections));
    }
    Ok(out)
}

/// The community files a written objection; it is kept with the evaluation.
pub async fn object(db: &impl ConnectionTrait, caller: &Caller, evaluation_id: i64, text: &str) -> AppResult<objection::Model> {
    let e = in_county::<evaluation::Entity>(caller.county_id)
        .filter(evaluation::Column::Id.eq(evaluation_id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let c = contracts::find(db, caller, e.contract_id).await?;
    if caller.role != Role::Community || c.community_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if text.trim().is_empty() {
        return Err(AppError::invalid("text", "请写明异议内容"));
    }
    Ok(objection::ActiveModel {
        county_id: Set(c.county_id),
        evaluation_id: Set(e.id),
        text: Set(text.trim().into()),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Closes the contract when its life is over: every deliverable decided, the whole amount
/// paid and every payment confirmed, the department's evaluation done. The task then
/// exits that community, and the admission when all its contracts have closed.
pub async fn maybe_close(txn: &impl ConnectionTrait, caller: &Caller, contract_id: i64) -> AppResult<bool> {
    let Some(c) = contract::Entity::find_by_id(contract_id).one(txn).await? else { return Ok(false) };
    if !matches!(Status::parse(&c.status), Status::Active | Status::Completed) {
        return Ok(false);
    }
    let f = crate::funds::store::contract_funds(txn, &c).await?;
    let paid_and_confirmed = !f.remaining.is_positive() && f.confirmed == f.disbursed;
    let pending = in_county::<deliverable::Entity>(c.county_id)
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
    if !(paid_and_confirmed && !pending && evaluated) {
        return Ok(false);
    }
    let res = contract::Entity::update_many()
        .col_expr(contract::Column::Status, Expr::value(Status::Closed.as_str()))
        .col_expr(contract::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(contract::Column::Id.eq(c.id))
        .filter(contract::Column::Status.eq(c.status.clone()))
        .exec(txn)
        .await?;
    if res.rows_affected == 1 {
        crate::admission::store::contract_closed(txn, caller, c.admission_id, c.community_id).await?;
    }
    Ok(res.rows_affected == 1)
}
