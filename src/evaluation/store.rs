//! Storage of evaluations and objections, and the end of a contract's life: when its
//! deliverables are decided, its money paid and confirmed and it is evaluated, it closes.
use chrono::Utc;
use entity::{contract, evaluation, evaluation_item, objection};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use super::{check, overall, EvalError, FormItem};
use crate::contracts::store::{self as contracts, Status};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::audit::Entry;
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
    if !matches!(crate::lifecycle::store::contract_status(&c)?, Status::Active | Status::Completed) {
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
    crate::lifecycle::store::settle(&txn, caller, c.id).await?;
    let rated: Vec<serde_json::Value> = ratings.iter().map(|r| serde_json::json!({"clause_id": r.clause_id, "rating": r.rating.as_str(), "comment": r.comment})).collect();
    txn.commit(vec![Entry::by(caller, "evaluation.submit", "evaluation", e.id).after(serde_json::json!({"evaluation": &e, "items": rated}))]).await?;
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
pub async fn object(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, evaluation_id: i64, text: &str) -> AppResult<objection::Model> {
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
    let txn = begin_write(db).await?;
    let o = objection::ActiveModel {
        county_id: Set(c.county_id),
        evaluation_id: Set(e.id),
        text: Set(text.trim().into()),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The objection goes to civil affairs to decide (the first one opens the dispute).
    crate::disputes::store::open_for_objection(&txn, caller, &e, text).await?;
    txn.commit(vec![Entry::by(caller, "objection.file", "objection", o.id).after(&o)]).await?;
    Ok(o)
}
