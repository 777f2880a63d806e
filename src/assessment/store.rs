//! Recording, sending and deciding half-year assessments; each step one audited
//! transaction, each guarded by the stage it moves from.
use std::collections::HashMap;

use chrono::Utc;
use entity::assessment;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

use super::{ready_to_send, Conclusion, Period, Stage, View};
use crate::admission::store as admissions;
use crate::orgs::Role;
use crate::platform::audit::Entry;
use crate::platform::auth::Caller;
use crate::platform::db::{begin_write, in_county};
use crate::platform::error::{AppError, AppResult};

/// What civil affairs records.
#[derive(Clone, Debug, Default)]
pub struct Record {
    pub effect: String,
    pub views: Vec<View>,
    pub conclusion: Option<Conclusion>,
    pub comment: String,
}

pub fn views_of(m: &assessment::Model) -> Vec<View> {
    serde_json::from_str(&m.views).unwrap_or_default()
}

async fn find(db: &impl ConnectionTrait, county_id: i64, period: Period, admission_id: i64) -> AppResult<Option<assessment::Model>> {
    Ok(in_county::<assessment::Entity>(county_id)
        .filter(assessment::Column::Period.eq(period.to_string()))
        .filter(assessment::Column::AdmissionId.eq(admission_id))
        .one(db)
        .await?)
}

/// The county's assessments of a half, by task.
pub async fn of_period(db: &impl ConnectionTrait, county_id: i64, period: Period) -> AppResult<HashMap<i64, assessment::Model>> {
    Ok(in_county::<assessment::Entity>(county_id).filter(assessment::Column::Period.eq(period.to_string())).all(db).await?.into_iter().map(|a| (a.admission_id, a)).collect())
}

/// Assessments sent up and not yet decided, for the leading group's inbox.
pub async fn sent(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<assessment::Model>> {
    Ok(in_county::<assessment::Entity>(county_id).filter(assessment::Column::Stage.eq(Stage::Sent.as_str())).all(db).await?)
}

/// Civil affairs records (or corrects, until sent) a task's assessment for a half. The task
/// must be admitted (or have been) with a period overlapping the half, and every view
/// must name one of its communities.
pub async fn record(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, period: Period, admission_id: i64, r: &Record) -> AppResult<assessment::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let txn = begin_write(db).await?;
    let a = admissions::find(&txn, caller, admission_id).await?;
    if a.approval_number.is_none() || !period.covers(a.period_start, a.period_end) {
        return Err(AppError::invalid("admission_id", format!("该事项不是{}期间的已准入事项", period.label())));
    }
    let targets: Vec<i64> = admissions::targets(&txn, caller.county_id, a.id).await?.iter().map(|t| t.community_id).collect();
    if let Some(v) = r.views.iter().find(|v| !targets.contains(&v.community_id)) {
        return Err(AppError::invalid("views", format!("社区 {} 不是该事项进入的社区", v.community_id)));
    }
    let now = Utc::now();
    let views = serde_json::to_string(&r.views).expect("views serialise");
    let out = match find(&txn, caller.county_id, period, a.id).await? {
        Some(m) if m.stage != Stage::Draft.as_str() => return Err(AppError::conflict("ASSESSMENT_SENT", "评估已报领导小组，不能再修改")),
        Some(m) => {
            let before = m.clone();
            let mut am: assessment::ActiveModel = m.into();
            am.effect = Set(r.effect.trim().into());
            am.views = Set(views);
            am.conclusion = Set(r.conclusion.map(|c| c.as_str().into()));
            am.comment = Set(r.comment.trim().into());
            am.recorded_by = Set(caller.user_id);
            am.updated_at = Set(now);
            let m = am.update(&txn).await?;
            txn.note(Entry::by(caller, "assessment.record", "assessment", m.id).before(&before).after(&m));
            m
        }
        None => {
            let m = assessment::ActiveModel {
                county_id: Set(caller.county_id),
                admission_id: Set(a.id),
                period: Set(period.to_string()),
                effect: Set(r.effect.trim().into()),
                views: Set(views),
                conclusion: Set(r.conclusion.map(|c| c.as_str().into())),
                comment: Set(r.comment.trim().into()),
                stage: Set(Stage::Draft.as_str().into()),
                decision: Set(None),
                decision_comment: Set(None),
                recorded_by: Set(caller.user_id),
                decided_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                decided_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            txn.note(Entry::by(caller, "assessment.record", "assessment", m.id).after(&m));
            m
        }
    };
    txn.commit(vec![]).await?;
    Ok(out)
}

/// Civil affairs sends the assessment to the leading group.
pub async fn send(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, period: Period, admission_id: i64) -> AppResult<assessment::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let txn = begin_write(db).await?;
    admissions::find(&txn, caller, admission_id).await?;
    let m = find(&txn, caller.county_id, period, admission_id).await?.ok_or_else(|| AppError::conflict("ASSESSMENT_MISSING", "请先录入评估内容"))?;
    if m.stage != Stage::Draft.as_str() {
        return Err(AppError::conflict("ASSESSMENT_SENT", "评估已报领导小组"));
    }
    ready_to_send(&m.effect, m.conclusion.as_deref().and_then(Conclusion::parse), &views_of(&m)).map_err(|e| AppError::invalid("assessment", e))?;
    let out = move_stage(&txn, caller, &m, Stage::Sent, |_| {}).await?;
    txn.commit(vec![Entry::by(caller, "assessment.send", "assessment", m.id).before(&m).after(&out)]).await?;
    Ok(out)
}

/// The leading group decides: keep, improve, or exit — then the task leaves its
/// communities in the same transaction.
pub async fn decide(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, period: Period, admission_id: i64, decision: Conclusion, comment: &str) -> AppResult<assessment::Model> {
    if caller.role != Role::Approver {
        return Err(AppError::forbidden());
    }
    if comment.trim().is_empty() {
        return Err(AppError::invalid("comment", "请写明决定意见"));
    }
    let txn = begin_write(db).await?;
    admissions::find(&txn, caller, admission_id).await?;
    let m = find(&txn, caller.county_id, period, admission_id).await?.ok_or_else(|| AppError::conflict("ASSESSMENT_MISSING", "民政部门尚未报送评估"))?;
    if m.stage != Stage::Sent.as_str() {
        return Err(AppError::conflict("ASSESSMENT_NOT_SENT", if m.stage == Stage::Decided.as_str() { "已经决定" } else { "民政部门尚未报送评估" }));
    }
    let out = move_stage(&txn, caller, &m, Stage::Decided, |am| {
        am.decision = Set(Some(decision.as_str().into()));
        am.decision_comment = Set(Some(comment.trim().into()));
        am.decided_by = Set(Some(caller.user_id));
        am.decided_at = Set(Some(Utc::now()));
    })
    .await?;
    if decision == Conclusion::Exit {
        admissions::exit_in(&txn, caller, admission_id, &format!("{}评估，领导小组决定退出社区：{}", period.label(), comment.trim())).await?;
    }
    txn.commit(vec![Entry::by(caller, "assessment.decide", "assessment", m.id).before(&m).after(&out)]).await?;
    Ok(out)
}

/// Moves an assessment on from the stage it was read in; a race loses with a conflict.
async fn move_stage(txn: &crate::platform::audit::Tx, caller: &Caller, m: &assessment::Model, to: Stage, set: impl FnOnce(&mut assessment::ActiveModel)) -> AppResult<assessment::Model> {
    let mut am: assessment::ActiveModel = m.clone().into();
    am.stage = Set(to.as_str().into());
    am.updated_at = Set(Utc::now());
    set(&mut am);
    let done = assessment::Entity::update_many().set(am).filter(assessment::Column::Id.eq(m.id)).filter(assessment::Column::Stage.eq(m.stage.clone())).exec(txn).await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict("INVALID_STATE", "评估已被他人处理，请刷新"));
    }
    in_county::<assessment::Entity>(caller.county_id).filter(assessment::Column::Id.eq(m.id)).one(txn).await?.ok_or_else(AppError::not_found)
}
