//! A county's own screening words: civil affairs adds them to the seeded concepts and may
//! take its own words back, never the seeded ones (a county can tighten the screening,
//! not loosen it). Nothing is deleted: each word keeps who added it and why, and who
//! removed it and why, so the table is the change log.
use chrono::Utc;
use entity::screening_term;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

use super::{base, Engine, Pattern, TermKind};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::audit::Entry;
use crate::platform::db::{begin_write, by_id_in_county, in_county};
use crate::platform::error::{AppError, AppResult, FieldError};

/// The seeded concepts with the county's words in force.
pub async fn county_engine(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Engine> {
    let mut e = base().clone();
    for t in terms(db, county_id).await?.into_iter().filter(|t| t.removed_at.is_none()) {
        if let (Some(kind), Some(c)) = (TermKind::parse(&t.kind), e.concept_mut(&t.concept)) {
            // Checked when added; a word that no longer parses is skipped, not fatal.
            let _ = c.add(&t.pattern, kind);
        }
    }
    Ok(e)
}

/// Every word the county ever added, newest first, removed ones included.
pub async fn terms(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<screening_term::Model>> {
    Ok(in_county::<screening_term::Entity>(county_id).order_by_desc(screening_term::Column::Id).all(db).await?)
}

pub struct NewTerm {
    pub concept: String,
    pub kind: String,
    pub pattern: String,
    pub reason: String,
}

/// Civil affairs adds a word to a concept, with the reason for the change log.
pub async fn add_term(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, t: NewTerm) -> AppResult<screening_term::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let mut errs = Vec::new();
    if base().concept(&t.concept).is_none() {
        errs.push(FieldError { field: "concept".into(), message: "没有这个筛查概念".into() });
    }
    let kind = TermKind::parse(&t.kind);
    if kind.is_none() {
        errs.push(FieldError { field: "kind".into(), message: "词的类型须为 action、topic、doubtful 或 exclude".into() });
    }
    if t.pattern.chars().count() > 100 {
        errs.push(FieldError { field: "pattern".into(), message: "词或组合不超过100个字符".into() });
    } else if let Err(m) = Pattern::parse(&t.pattern, kind.unwrap_or(TermKind::Topic)) {
        errs.push(FieldError { field: "pattern".into(), message: m });
    }
    if t.reason.trim().is_empty() {
        errs.push(FieldError { field: "reason".into(), message: "请写明增加的理由".into() });
    }
    if !errs.is_empty() {
        return Err(AppError::validation(errs));
    }
    let current = county_engine(db, caller.county_id).await?;
    let known = current.concept(&t.concept).is_some_and(|c| c.patterns.iter().any(|p| p.source == t.pattern.trim() && Some(p.kind) == kind));
    if known {
        return Err(AppError::conflict("TERM_EXISTS", "该概念已有这个词"));
    }
    let txn = begin_write(db).await?;
    let term = screening_term::ActiveModel {
        county_id: Set(caller.county_id),
        concept: Set(t.concept),
        kind: Set(t.kind),
        pattern: Set(t.pattern.trim().to_string()),
        reason: Set(t.reason.trim().to_string()),
        added_by: Set(caller.user_id),
        added_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(vec![Entry::by(caller, "screening_term.add", "screening_term", term.id).after(&term)]).await?;
    Ok(term)
}

/// Civil affairs takes back a word the county added, with the reason.
pub async fn remove_term(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, reason: &str) -> AppResult<screening_term::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    if reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "请写明删除的理由"));
    }
    let t = in_county::<screening_term::Entity>(caller.county_id)
        .filter(screening_term::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let txn = begin_write(db).await?;
    let res = screening_term::Entity::update_many()
        .col_expr(screening_term::Column::RemovedBy, Expr::value(caller.user_id))
        .col_expr(screening_term::Column::RemovedAt, Expr::value(Utc::now()))
        .col_expr(screening_term::Column::RemovalReason, Expr::value(reason.trim()))
        .filter(screening_term::Column::Id.eq(t.id))
        .filter(screening_term::Column::RemovedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("INVALID_STATE", "该词已删除"));
    }
    let after = by_id_in_county::<screening_term::Entity>(caller.county_id, t.id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, "screening_term.remove", "screening_term", t.id).before(&t).after(&after)]).await?;
    Ok(after)
}
