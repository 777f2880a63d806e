//! Storage and steps of admission applications, violation reports and notices, within
//! the caller's county and, where the domain says so, the caller's organisation.
use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Utc};
use entity::{admission, admission_event, admission_target, notice, organisation, screening_decision, violation_report};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules::{self, Application, Decision, Finding, OtherApplication, RuleItem};
use super::{approval_number, next, Action, Status};
use crate::lifecycle::{store as lifecycle, ContractStatus, Ending, TargetStatus};
use crate::lists::{store as lists, ItemStatus};
use crate::money::Money;
use crate::orgs::{OrgKind, Role};
use crate::platform::auth::Caller;
use crate::platform::audit::{with_comment, Entry, Tx};
use crate::platform::db::{begin_write, by_id_in_county, in_county, is_unique_violation};
use crate::platform::page::{self, ListFilter, Page, PageReq};
use crate::platform::error::{AppError, AppResult, FieldError};

/// The application as a department fills it in, already parsed.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    pub app: Application,
    pub target_community_ids: Vec<i64>,
    pub emergency: bool,
}

/// One opinion gathered by civil affairs from a named body (征求意见).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Opinion {
    pub body: String,
    pub opinion: String,
}

/// The applications a caller may see. Departments: their own. Communities: those that
/// reached them. Everyone else in the county: all but other people's drafts.
pub fn visible(caller: &Caller) -> Select<admission::Entity> {
    let q = in_county::<admission::Entity>(caller.county_id);
    match caller.role {
        Role::Department => q.filter(admission::Column::DepartmentId.eq(caller.org_id)),
        Role::Community => q.filter(
            admission::Column::Id.in_subquery(
                Query::select()
                    .column(admission_target::Column::AdmissionId)
                    .from(admission_target::Entity)
                    .and_where(Expr::col(admission_target::Column::CommunityId).eq(caller.org_id))
                    .and_where(Expr::col(admission_target::Column::Status).is_in([
                        TargetStatus::Admitted.as_str(),
                        TargetStatus::Entered.as_str(),
                        TargetStatus::Withdrawn.as_str(),
                        TargetStatus::Exited.as_str(),
                    ]))
                    .to_owned(),
            ),
        ),
        _ => q.filter(admission::Column::Status.ne(Status::Draft.as_str())),
    }
}

pub async fn find(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<admission::Model> {
    visible(caller).filter(admission::Column::Id.eq(id)).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn list(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<admission::Model>> {
    Ok(visible(caller).order_by_desc(admission::Column::Id).all(db).await?)
}


/// A page of the applications the caller may see, newest first.
pub async fn page(db: &impl ConnectionTrait, caller: &Caller, f: &ListFilter, req: PageReq) -> AppResult<Page<admission::Model>> {
    page::fetch(db, filtered(caller, f)?, admission::Column::Id, req, |a| a.id).await
}

/// The applications the caller may see, narrowed by the filter (lists and registers).
pub fn filtered(caller: &Caller, f: &ListFilter) -> AppResult<Select<admission::Entity>> {
    let mut q = visible(caller);
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(admission::Column::Status.eq(s));
    }
    if let Some(d) = f.department_id {
        q = q.filter(admission::Column::DepartmentId.eq(d));
    }
    if let Some(c) = f.community_id {
        q = q.filter(
            admission::Column::Id.in_subquery(
                Query::select().column(admission_target::Column::AdmissionId).from(admission_target::Entity).and_where(Expr::col(admission_target::Column::CommunityId).eq(c)).to_owned(),
            ),
        );
    }
    if let Some(y) = f.year {
        let start = |y: i32| chrono::NaiveDate::from_ymd_opt(y, 1, 1).map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        let y = crate::platform::input::check_year(y)?;
        let (Some(from), Some(to)) = (start(y), start(y + 1)) else { return Err(AppError::invalid("year", "年度不正确")) };
        q = q.filter(admission::Column::CreatedAt.gte(from)).filter(admission::Column::CreatedAt.lt(to));
    }
    if let Some(text) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(admission::Column::Title.contains(text));
    }
    Ok(q)
}

pub fn status_of(m: &admission::Model) -> Status {
    Status::parse(&m.status).unwrap_or(Status::Draft)
}

pub fn application_of(m: &admission::Model) -> Application {
    Application {
        title: m.title.clone(),
        description: m.description.clone(),
        basis: m.basis.clone(),
        work_plan: m.work_plan.clone(),
        staffing: m.staffing.clone(),
        period_start: m.period_start,
        period_end: m.period_end,
        budget: m.budget_fen.map(Money::from_fen),
        needs_professional_qualification: m.needs_professional_qualification,
        needs_enforcement_authority: m.needs_enforcement_authority,
        list_item_id: m.list_item_id,
        assist: m.origin == super::ORIGIN_ASSIST,
    }
}

/// The county's list items in force, as the rules see them, with the negative items the
/// levels above publish: in force for the county's screening from the day they are
/// published, before the county's next year inherits them.
pub async fn rule_items(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<RuleItem>> {
    let mut items: Vec<(i64, crate::lists::ListKind, crate::lists::ItemFields)> =
        lists::current_items(db, county_id, None).await?.iter().map(|m| (m.id, lists::kind_of(m), lists::fields_of(m))).collect();
    for m in crate::region::store::inherited_negative(db, county_id).await? {
        let (kind, above) = (lists::kind_of(&m), lists::fields_of(&m));
        match items.iter_mut().find(|(_, k, f)| *k == kind && f.title == above.title) {
            Some((_, _, f)) => *f = crate::lists::baseline::strengthen(f, &above),
            None => items.push((m.id, kind, above)),
        }
    }
    Ok(items
        .into_iter()
        .map(|(id, kind, f)| RuleItem {
            id,
            kind,
            code: f.code,
            title: f.title,
            category: f.category,
            keywords: f.keywords,
            needs_professional_qualification: f.needs_professional_qualification,
            needs_enforcement_authority: f.needs_enforcement_authority,
        })
        .collect())
}

pub async fn org_names(db: &impl ConnectionTrait, county_id: i64) -> AppResult<HashMap<i64, String>> {
    Ok(in_county::<organisation::Entity>(county_id).all(db).await?.into_iter().map(|o| (o.id, o.name)).collect())
}

/// The county's screening engine: seeded concepts, the county's own words, its negative
/// items.
pub async fn engine(db: &impl ConnectionTrait, county_id: i64, items: &[RuleItem]) -> AppResult<crate::screening::Engine> {
    Ok(rules::county_engine(crate::screening::store::county_engine(db, county_id).await?, items))
}

/// Runs the rule checks against the county's lists in force and its other active
/// applications; for a saved application, with the reviewer's decisions on its doubtful
/// findings.
pub async fn findings(db: &impl ConnectionTrait, county_id: i64, app: &Application, this: Option<i64>) -> AppResult<Vec<Finding>> {
    let items = rule_items(db, county_id).await?;
    let engine = engine(db, county_id, &items).await?;
    let names = org_names(db, county_id).await?;
    let others: Vec<OtherApplication> = in_county::<admission::Entity>(county_id)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| Some(a.id) != this && status_of(a).is_active())
        .map(|a| OtherApplication { id: a.id, title: a.title, department: names.get(&a.department_id).cloned().unwrap_or_default() })
        .collect();
    let mut f = rules::check(app, &engine, &items, &others);
    if let Some(id) = this {
        let users = crate::orgs::store::user_names(db, county_id).await?;
        for d in decisions(db, county_id, id).await? {
            let Some(decision) = Decision::parse(&d.decision) else { continue };
            let by = users.get(&d.decided_by).cloned().unwrap_or_default();
            for x in f.iter_mut().filter(|x| x.key == d.concept) {
                x.decide(decision, &d.reason, &by);
            }
        }
    }
    Ok(f)
}

/// The reviewer's decisions on an application's doubtful findings, in order.
pub async fn decisions(db: &impl ConnectionTrait, county_id: i64, admission_id: i64) -> AppResult<Vec<screening_decision::Model>> {
    Ok(in_county::<screening_decision::Entity>(county_id)
        .filter(screening_decision::Column::AdmissionId.eq(admission_id))
        .order_by_asc(screening_decision::Column::Id)
        .all(db)
        .await?)
}

fn blocked(blocking: Vec<&Finding>) -> AppResult<()> {
    if blocking.is_empty() {
        return Ok(());
    }
    let undecided = blocking.iter().filter(|f| f.awaits_decision()).count();
    let first = if undecided == blocking.len() {
        format!("有{undecided}项存疑的筛查结论须先由民政部门审核认定：{}", blocking[0].message)
    } else {
        blocking.iter().find(|f| !f.awaits_decision()).map(|f| f.message.clone()).unwrap_or_default()
    };
    Err(AppError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "ADMISSION_BLOCKED",
        format!("申请有{}项不符合准入规定，不能继续：{first}", blocking.len()),
    )
    .with_details(blocking.iter().map(|f| serde_json::to_value(f).expect("finding serialises")).collect()))
}

/// 422 ADMISSION_BLOCKED with the blocking findings, if there are any: every step towards
/// admission after submission, and drafting or amending a contract under it.
pub fn refuse_if_blocked(findings: &[Finding]) -> AppResult<()> {
    blocked(rules::blocking(findings))
}

/// At submission, doubtful findings go to the reviewer with the application.
pub fn refuse_submission_if_blocked(findings: &[Finding]) -> AppResult<()> {
    blocked(rules::blocking_submission(findings))
}

/// The civil affairs reviewer decides a doubtful finding of a submitted application:
/// confirms it (it keeps blocking) or overrides it with a written reason. Decided once;
/// strong findings cannot be overridden.
pub async fn decide_finding(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    key: &str,
    decision: Decision,
    reason: &str,
) -> AppResult<admission::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", if decision == Decision::Overridden { "推翻筛查结论须写明理由" } else { "请写明认定意见" }));
    }
    let txn = begin_write(db).await?;
    lifecycle::lock_money(&txn, Some(id), None, None).await?;
    let m = find(&txn, caller, id).await?;
    let status = status_of(&m);
    if !matches!(status, Status::Submitted | Status::EnteredPendingApproval | Status::Reviewed) {
        return Err(AppError::conflict("INVALID_STATE", format!("申请当前为“{}”，不能再认定筛查结论", status.label())));
    }
    let f = findings(&txn, caller.county_id, &application_of(&m), Some(id)).await?;
    let Some(found) = f.iter().find(|x| x.key == key) else {
        return Err(AppError::invalid("key", "该申请没有这项筛查结论"));
    };
    if found.strength != Some(crate::screening::Strength::Doubtful) {
        return Err(AppError::conflict(
            "FINDING_NOT_DECIDABLE",
            crate::citation::human("明确的筛查结论不能推翻：负面清单、执法资格和专业资质的禁止性规定由服务端强制执行（001 §二(四)(六)）"),
        ));
    }
    if found.decision.is_some() {
        return Err(AppError::conflict("ALREADY_DECIDED", "该筛查结论已认定"));
    }
    let evidence: Vec<_> = f.iter().filter(|x| x.key == key).flat_map(|x| x.evidence.clone()).collect();
    let inserted = screening_decision::ActiveModel {
        county_id: Set(caller.county_id),
        admission_id: Set(id),
        concept: Set(key.to_string()),
        code: Set(found.code.to_string()),
        strength: Set("doubtful".into()),
        evidence: Set(serde_json::to_string(&evidence).expect("evidence serialises")),
        decision: Set(decision.as_str().into()),
        reason: Set(reason.to_string()),
        decided_by: Set(caller.user_id),
        decided_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => return Err(AppError::conflict("ALREADY_DECIDED", "该筛查结论已认定")),
        other => other?,
    };
    let action = if decision == Decision::Overridden { "finding_override" } else { "finding_confirm" };
    record(&txn, caller, id, action, Some(status), status, &format!("{}：{reason}", found.message)).await?;
    txn.commit(vec![]).await?;
    Ok(m)
}

/// Checks what rules cannot: the named list item and the target communities exist in the
/// county, the title is there.
pub async fn check_draft(db: &impl ConnectionTrait, county_id: i64, d: &Draft) -> AppResult<()> {
    let mut errs = Vec::new();
    if d.app.title.trim().is_empty() {
        errs.push(FieldError { field: "title".into(), message: "请填写事项名称".into() });
    } else if d.app.title.chars().count() > 200 {
        errs.push(FieldError { field: "title".into(), message: "事项名称不超过200个字符".into() });
    }
    if d.target_community_ids.is_empty() {
        errs.push(FieldError { field: "target_community_ids".into(), message: "请选择至少一个进入的社区".into() });
    } else if d.target_community_ids.len() > 500 {
        errs.push(FieldError { field: "target_community_ids".into(), message: "一次申请进入的社区不超过500个".into() });
    }
    for (field, text) in [("description", &d.app.description), ("basis", &d.app.basis), ("work_plan", &d.app.work_plan), ("staffing", &d.app.staffing)] {
        if text.chars().count() > 5000 {
            errs.push(FieldError { field: field.into(), message: "内容不超过5000个字符".into() });
        }
    }
    let communities: Vec<i64> = in_county::<organisation::Entity>(county_id)
        .filter(organisation::Column::Kind.eq(OrgKind::Community.as_str()))
        .all(db)
        .await?
        .iter()
        .map(|o| o.id)
        .collect();
    if d.target_community_ids.iter().any(|id| !communities.contains(id)) {
        errs.push(FieldError { field: "target_community_ids".into(), message: "所选社区不属于本区/县".into() });
    }
    if let Some(item) = d.app.list_item_id {
        let ok = lists::find_item(db, county_id, item).await.ok().filter(|i| i.status == ItemStatus::Active.as_str());
        let current = lists::current_version(db, county_id).await?.map(|v| v.id);
        if ok.is_none_or(|i| Some(i.version_id) != current) {
            errs.push(FieldError { field: "list_item_id".into(), message: "所列清单事项不在现行清单中".into() });
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errs))
    }
}

/// The application's history (shown on its page) and the audit trail, in one step.
async fn record(
    db: &Tx,
    caller: &Caller,
    id: i64,
    action: &str,
    from: Option<Status>,
    to: Status,
    comment: &str,
) -> AppResult<()> {
    record_with(db, caller, id, action, from, to, comment, None, None).await
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn record_with(
    db: &Tx,
    caller: &Caller,
    id: i64,
    action: &str,
    from: Option<Status>,
    to: Status,
    comment: &str,
    before: Option<&admission::Model>,
    after: Option<&admission::Model>,
) -> AppResult<()> {
    let snapshot = |m: Option<&admission::Model>, status: Option<Status>| match m {
        Some(m) => serde_json::to_value(m).unwrap_or_default(),
        None => serde_json::json!({ "status": status.map(|s| s.as_str()) }),
    };
    let mut entry = Entry::by(caller, format!("admission.{action}"), "admission", id)
        .after(with_comment(snapshot(after, Some(to)), comment));
    if from.is_some() || before.is_some() {
        entry = entry.before(snapshot(before, from));
    }
    db.note(entry);
    admission_event::ActiveModel {
        county_id: Set(caller.county_id),
        admission_id: Set(id),
        user_id: Set(caller.user_id),
        action: Set(action.to_string()),
        from_status: Set(from.map(|s| s.as_str().to_string())),
        to_status: Set(to.as_str().to_string()),
        comment: Set(comment.trim().to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn fill(am: &mut admission::ActiveModel, d: &Draft) {
    am.title = Set(d.app.title.trim().to_string());
    am.description = Set(d.app.description.trim().to_string());
    am.basis = Set(d.app.basis.trim().to_string());
    am.work_plan = Set(d.app.work_plan.trim().to_string());
    am.staffing = Set(d.app.staffing.trim().to_string());
    am.period_start = Set(d.app.period_start);
    am.period_end = Set(d.app.period_end);
    am.budget_fen = Set(d.app.budget.map(Money::fen));
    am.emergency = Set(d.emergency);
    am.needs_professional_qualification = Set(d.app.needs_professional_qualification);
    am.needs_enforcement_authority = Set(d.app.needs_enforcement_authority);
    am.list_item_id = Set(d.app.list_item_id);
    am.updated_at = Set(Utc::now());
}

async fn set_targets(db: &impl ConnectionTrait, caller: &Caller, id: i64, communities: &[i64]) -> AppResult<()> {
    admission_target::Entity::delete_many().filter(admission_target::Column::AdmissionId.eq(id)).exec(db).await?;
    let mut seen = Vec::new();
    for c in communities {
        if seen.contains(c) {
            continue;
        }
        seen.push(*c);
        admission_target::ActiveModel {
            county_id: Set(caller.county_id),
            admission_id: Set(id),
            community_id: Set(*c),
            status: Set(TargetStatus::Pending.as_str().into()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// A department drafts an application for itself. Drafts may hold blocking findings;
/// they stop the application at submit.
pub async fn create(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, d: &Draft) -> AppResult<admission::Model> {
    check_draft(db, caller.county_id, d).await?;
    let txn = begin_write(db).await?;
    let now = Utc::now();
    let mut am = admission::ActiveModel {
        county_id: Set(caller.county_id),
        department_id: Set(caller.org_id),
        created_by: Set(caller.user_id),
        status: Set(Status::Draft.as_str().into()),
        opinions: Set("[]".into()),
        created_at: Set(now),
        origin: Set(crate::admission::ORIGIN_APPLICATION.into()),
        ..Default::default()
    };
    fill(&mut am, d);
    let m = am.insert(&txn).await?;
    set_targets(&txn, caller, m.id, &d.target_community_ids).await?;
    record_with(&txn, caller, m.id, "create", None, Status::Draft, "", None, Some(&m)).await?;
    txn.commit(vec![]).await?;
    Ok(m)
}

/// Only drafts change; after submission the application is what was checked and decided.
pub async fn update(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, d: &Draft) -> AppResult<admission::Model> {
    check_draft(db, caller.county_id, d).await?;
    let txn = begin_write(db).await?;
    let m = find(&txn, caller, id).await?;
    if m.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if status_of(&m) != Status::Draft {
        return Err(AppError::conflict(
            "INVALID_STATE",
            format!("申请当前为“{}”，已不能修改；如需变更请重新申请", status_of(&m).label()),
        ));
    }
    let before = m.clone();
    let mut am: admission::ActiveModel = m.into();
    fill(&mut am, d);
    let m = am.update(&txn).await?;
    set_targets(&txn, caller, id, &d.target_community_ids).await?;
    record_with(&txn, caller, id, "edit", Some(Status::Draft), Status::Draft, "", Some(&before), Some(&m)).await?;
    txn.commit(vec![]).await?;
    Ok(m)
}

/// What a step carries besides the action.
#[derive(Clone, Debug, Default)]
pub struct StepInput {
    pub comment: String,
    /// Review: the preliminary opinion, approve or not.
    pub approve: Option<bool>,
    pub opinions: Vec<Opinion>,
}

async fn next_seq(db: &impl ConnectionTrait, county_id: i64, year: i32) -> AppResult<i32> {
    let max: Option<Option<i32>> = in_county::<admission::Entity>(county_id)
        .select_only()
        .column_as(admission::Column::ApprovalSeq.max(), "m")
        .filter(admission::Column::ApprovalYear.eq(year))
        .into_tuple()
        .one(db)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// Takes one step of the procedure: right role, right state, rules checked again where
/// the application moves towards admission, history recorded; all or nothing.
pub async fn step(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    action: Action,
    input: &StepInput,
) -> AppResult<admission::Model> {
    // A decision can lose the race for its approval number; try again with the next one.
    for _ in 0..5 {
        match step_once(db, caller, id, action, input).await {
            Err(StepError::NumberTaken) => continue,
            Err(StepError::App(e)) => return Err(e),
            Ok(m) => return Ok(m),
        }
    }
    Err(AppError::conflict("CONCURRENT_UPDATE", "审批编号分配冲突，请重试"))
}

enum StepError {
    NumberTaken,
    App(AppError),
}

impl<E: Into<AppError>> From<E> for StepError {
    fn from(e: E) -> Self {
        StepError::App(e.into())
    }
}

async fn step_once(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    action: Action,
    input: &StepInput,
) -> Result<admission::Model, StepError> {
    let txn = begin_write(db).await?;
    // The admission row first: a payment or signature under it waits for the step.
    lifecycle::lock_money(&txn, Some(id), None, None).await?;
    let m = find(&txn, caller, id).await?;
    if caller.role != action.role() || (caller.role == Role::Department && m.department_id != caller.org_id) {
        return Err(AppError::forbidden().into());
    }
    let from = status_of(&m);
    let to = next(from, action, m.emergency).map_err(|msg| AppError::conflict("INVALID_STATE", msg))?;
    let comment = input.comment.trim();
    let towards_admission = match action {
        Action::Submit | Action::Decide { approve: true } => true,
        Action::Review => input.approve != Some(false),
        _ => false,
    };
    if towards_admission {
        let f = findings(&txn, caller.county_id, &application_of(&m), Some(m.id)).await?;
        if action == Action::Submit {
            refuse_submission_if_blocked(&f)?;
        } else {
            refuse_if_blocked(&f)?;
        }
    }
    let needs_comment = matches!(action, Action::Review | Action::Decide { approve: false } | Action::Revoke);
    if needs_comment && comment.is_empty() {
        return Err(AppError::invalid("comment", "请填写意见或理由").into());
    }
    if action == Action::Review && input.approve.is_none() {
        return Err(AppError::invalid("opinion", "请选择初审意见：同意或不同意").into());
    }
    // The task leaves its communities: the same as the leading group's "exit".
    if action == Action::Revoke {
        let m = exit_in(&txn, caller, id, comment).await?;
        txn.commit(vec![]).await?;
        return Ok(m);
    }

    let now = Utc::now();
    let today = now.date_naive();
    if action == (Action::Decide { approve: true }) && m.entered_at.is_some() && super::overdue(from, m.approval_deadline, today) {
        return Err(AppError::conflict(
            "EMERGENCY_OVERDUE",
            format!("先进后批事项须于{}前批准，已逾期：任务将撤出社区，如仍需开展请重新申请", m.approval_deadline.unwrap_or(today)),
        )
        .into());
    }
    let mut am: admission::ActiveModel = m.clone().into();
    am.status = Set(to.as_str().into());
    am.updated_at = Set(now);
    let mut extra_events: Vec<(&str, Status, String)> = Vec::new();
    // What the step does to the communities and the contracts: the lifecycle decides.
    let mut ending = None;
    match action {
        Action::Submit if m.emergency => {
            let days = entity::county::Entity::find_by_id(caller.county_id)
                .one(&txn)
                .await?
                .map(|c| c.emergency_approval_days)
                .unwrap_or(super::DEFAULT_EMERGENCY_DAYS);
            let deadline = today + Duration::days(days.into());
            am.entered_at = Set(Some(now));
            am.approval_deadline = Set(Some(deadline));
            lifecycle::targets_admitted(&txn, id).await?;
            extra_events.push(("enter", to, format!("紧急事项先进后批，须于{deadline}前完成审批；任务随购买服务合同进入社区")));
        }
        Action::Review => {
            am.review_opinion = Set(Some(if input.approve == Some(true) { "approve" } else { "reject" }.into()));
            am.review_comment = Set(Some(comment.to_string()));
            am.opinions = Set(serde_json::to_string(&input.opinions).expect("opinions serialise"));
        }
        Action::Decide { approve } => {
            am.decision_comment = Set(Some(comment.to_string()));
            am.decided_at = Set(Some(now));
            if approve {
                let year = today.year();
                let seq = next_seq(&txn, caller.county_id, year).await?;
                let county = entity::county::Entity::find_by_id(caller.county_id).one(&txn).await?.map(|c| c.name).unwrap_or_default();
                am.approval_year = Set(Some(year));
                am.approval_seq = Set(Some(seq));
                am.approval_number = Set(Some(approval_number(&county, year, seq)));
                lifecycle::targets_admitted(&txn, id).await?;
            } else if m.entered_at.is_some() {
                lifecycle::targets_out(&txn, id, TargetStatus::Withdrawn).await?;
                ending = Some(Ending::EmergencyRejected);
                extra_events.push(("withdraw", to, "先进后批事项未获批准，已从社区撤出；未付合同终止，已付款项报财政局结算".into()));
            }
        }
        _ => {}
    }
    // Guarded by the state read above, so two requests cannot both take the same step.
    let updated = admission::Entity::update_many()
        .set(am)
        .filter(admission::Column::Id.eq(id))
        .filter(admission::Column::Status.eq(from.as_str()))
        .exec(&txn)
        .await;
    match updated {
        Err(e) if is_unique_violation(&e) => return Err(StepError::NumberTaken),
        Err(e) => return Err(e.into()),
        Ok(r) if r.rows_affected != 1 => {
            return Err(AppError::conflict("INVALID_STATE", "申请已被他人处理，请刷新后查看").into())
        }
        Ok(_) => {}
    }
    record(&txn, caller, id, action.as_str(), Some(from), to, comment).await?;
    for (name, status, text) in extra_events {
        record(&txn, caller, id, name, Some(to), status, &text).await?;
    }
    let m = by_id_in_county::<admission::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    if let Some(ending) = ending {
        lifecycle::end_contracts(&txn, caller, &m, ending).await?;
    }
    // Filed with the level above as decided (备案, 001).
    if let Action::Decide { approve } = action {
        crate::region::store::file_admission(&txn, caller, &m, if approve { "批准准入" } else { "不予准入" }).await?;
    }
    txn.commit(vec![]).await?;
    Ok(m)
}

pub async fn targets(db: &impl ConnectionTrait, county_id: i64, id: i64) -> AppResult<Vec<admission_target::Model>> {
    Ok(in_county::<admission_target::Entity>(county_id)
        .filter(admission_target::Column::AdmissionId.eq(id))
        .order_by_asc(admission_target::Column::CommunityId)
        .all(db)
        .await?)
}

pub async fn events(db: &impl ConnectionTrait, county_id: i64, id: i64) -> AppResult<Vec<admission_event::Model>> {
    Ok(in_county::<admission_event::Entity>(county_id)
        .filter(admission_event::Column::AdmissionId.eq(id))
        .order_by_asc(admission_event::Column::Id)
        .all(db)
        .await?)
}

/// The county's settings (admin): the emergency approval period and, when given, the
/// registered OCDS prefix (blank: back to the default). Checked first, written together.
pub async fn set_settings(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, days: i32, ocid_prefix: Option<&str>) -> AppResult<()> {
    if !(1..=90).contains(&days) {
        return Err(AppError::invalid("emergency_approval_days", "先进后批的审批期限须为1至90天"));
    }
    let prefix = ocid_prefix.map(str::trim).map(|p| if p.is_empty() { None } else { Some(p.to_string()) });
    if let Some(Some(p)) = &prefix {
        if !crate::ocds::valid_prefix(p) {
            return Err(AppError::invalid("ocid_prefix", "OCDS 前缀须为“ocds-”加6位小写字母或数字（向开放合同数据标准登记所得）"));
        }
    }
    let county_id = caller.county_id;
    let txn = begin_write(db).await?;
    let before = entity::county::Entity::find_by_id(county_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    let mut update = entity::county::Entity::update_many().col_expr(entity::county::Column::EmergencyApprovalDays, Expr::value(days));
    if let Some(p) = &prefix {
        update = update.col_expr(entity::county::Column::OcidPrefix, Expr::value(p.clone()));
    }
    update.filter(entity::county::Column::Id.eq(county_id)).exec(&txn).await?;
    let after_prefix = prefix.unwrap_or_else(|| before.ocid_prefix.clone());
    txn.commit(vec![Entry::by(caller, "settings.update", "county", county_id)
        .before(serde_json::json!({"emergency_approval_days": before.emergency_approval_days, "ocid_prefix": before.ocid_prefix}))
        .after(serde_json::json!({"emergency_approval_days": days, "ocid_prefix": after_prefix}))])
    .await
}

pub async fn emergency_days(db: &impl ConnectionTrait, county_id: i64) -> AppResult<i32> {
    Ok(entity::county::Entity::find_by_id(county_id)
        .one(db)
        .await?
        .map(|c| c.emergency_approval_days)
        .unwrap_or(super::DEFAULT_EMERGENCY_DAYS))
}

// ---- Refusals and violation reports (擅自下沉), notices (通报) -----------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Reported,
    Confirmed,
    Dismissed,
}

impl ReportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Reported => "reported",
            ReportStatus::Confirmed => "confirmed",
            ReportStatus::Dismissed => "dismissed",
        }
    }
    pub fn parse(s: &str) -> ReportStatus {
        match s {
            "confirmed" => ReportStatus::Confirmed,
            "dismissed" => ReportStatus::Dismissed,
            _ => ReportStatus::Reported,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ReportStatus::Reported => "待处理",
            ReportStatus::Confirmed => "确认违规",
            ReportStatus::Dismissed => "不予认定",
        }
    }
}

/// The task leaves its communities in the caller's transaction (civil affairs' revoke
/// step, and the leading group's "exit" at the half-year assessment): its targets exit,
/// its unpaid contracts end (ADMISSION_REVOKED), what was paid stays for the finance
/// bureau to settle.
pub(crate) async fn exit_in(txn: &Tx, caller: &Caller, id: i64, comment: &str) -> AppResult<admission::Model> {
    lifecycle::lock_money(txn, Some(id), None, None).await?;
    let m = by_id_in_county::<admission::Entity>(caller.county_id, id).one(txn).await?.ok_or_else(AppError::not_found)?;
    let from = status_of(&m);
    let to = next(from, Action::Revoke, m.emergency).map_err(|msg| AppError::conflict("INVALID_STATE", msg))?;
    let done = admission::Entity::update_many()
        .col_expr(admission::Column::Status, Expr::value(to.as_str()))
        .col_expr(admission::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(admission::Column::Id.eq(id))
        .filter(admission::Column::Status.eq(from.as_str()))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(AppError::conflict("INVALID_STATE", "事项已被他人处理，请刷新后查看"));
    }
    lifecycle::targets_out(txn, id, TargetStatus::Exited).await?;
    record(txn, caller, id, Action::Revoke.as_str(), Some(from), to, comment).await?;
    let m = by_id_in_county::<admission::Entity>(caller.county_id, id).one(txn).await?.ok_or_else(AppError::not_found)?;
    lifecycle::end_contracts(txn, caller, &m, Ending::Revoked).await?;
    crate::region::store::file_admission(txn, caller, &m, "撤出社区").await?;
    Ok(m)
}

/// Reports a caller may see: a community its own, a department those about it, the
/// county's bodies all.
pub fn visible_reports(caller: &Caller) -> Select<violation_report::Entity> {
    let q = in_county::<violation_report::Entity>(caller.county_id);
    match caller.role {
        Role::Community => q.filter(violation_report::Column::CommunityId.eq(caller.org_id)),
        Role::Department => q.filter(violation_report::Column::DepartmentId.eq(caller.org_id)),
        _ => q,
    }
}

pub struct NewReport {
    pub department_id: i64,
    pub task: String,
    pub occurred_on: NaiveDate,
    pub evidence: String,
    /// Assist-list work assigned without money: the item (counts like unadmitted work).
    pub assist_item_id: Option<i64>,
}

/// A community refuses work that reached it without admission and reports it
/// (000 §二(三)2; 001 §二(三); 004 Yingjiang: 4 such cases found and reported in a year).
pub async fn file_report(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, r: NewReport) -> AppResult<violation_report::Model> {
    if caller.role != Role::Community {
        return Err(AppError::forbidden());
    }
    let mut errs = Vec::new();
    let dept = in_county::<organisation::Entity>(caller.county_id)
        .filter(organisation::Column::Id.eq(r.department_id))
        .one(db)
        .await?;
    if !dept.is_some_and(|d| d.kind != OrgKind::Community.as_str() && d.kind != OrgKind::County.as_str()) {
        errs.push(FieldError { field: "department_id".into(), message: "请选择下派工作的部门或乡镇（街道）".into() });
    }
    if r.task.trim().is_empty() {
        errs.push(FieldError { field: "task".into(), message: "请写明下派的是什么工作".into() });
    }
    if r.occurred_on > Utc::now().date_naive() {
        errs.push(FieldError { field: "occurred_on".into(), message: "发生日期不能晚于今天".into() });
    }
    if let Some(item) = r.assist_item_id {
        let assist = lists::current_items(db, caller.county_id, Some(crate::lists::ListKind::Assist)).await?;
        if !assist.iter().any(|i| i.id == item) {
            errs.push(FieldError { field: "assist_item_id".into(), message: "所选协助事项不在现行协助办理事项清单中".into() });
        }
    }
    if !errs.is_empty() {
        return Err(AppError::validation(errs));
    }
    let txn = begin_write(db).await?;
    let r = violation_report::ActiveModel {
        assist_item_id: Set(r.assist_item_id),
        county_id: Set(caller.county_id),
        community_id: Set(caller.org_id),
        reported_by: Set(caller.user_id),
        department_id: Set(r.department_id),
        task: Set(r.task.trim().into()),
        occurred_on: Set(r.occurred_on),
        evidence: Set(r.evidence.trim().into()),
        status: Set(ReportStatus::Reported.as_str().into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(vec![Entry::by(caller, "violation_report.file", "violation_report", r.id).after(&r)]).await?;
    Ok(r)
}

pub async fn reports(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<violation_report::Model>> {
    Ok(visible_reports(caller).order_by_desc(violation_report::Column::Id).all(db).await?)
}

/// A page of the reports the caller may see, newest first.
pub async fn reports_page(db: &impl ConnectionTrait, caller: &Caller, req: PageReq) -> AppResult<Page<violation_report::Model>> {
    page::fetch(db, visible_reports(caller), violation_report::Column::Id, req, |r| r.id).await
}

/// The reviewer confirms a violation or dismisses the report, with a reason.
pub async fn handle_report(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    confirm: bool,
    reason: &str,
) -> AppResult<violation_report::Model> {
    let r = visible_reports(caller).filter(violation_report::Column::Id.eq(id)).one(db).await?.ok_or_else(AppError::not_found)?;
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    if reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "请写明处理理由"));
    }
    if ReportStatus::parse(&r.status) != ReportStatus::Reported {
        return Err(AppError::conflict("INVALID_STATE", "该报告已处理"));
    }
    let status = if confirm { ReportStatus::Confirmed } else { ReportStatus::Dismissed };
    let txn = begin_write(db).await?;
    let res = violation_report::Entity::update_many()
        .col_expr(violation_report::Column::Status, Expr::value(status.as_str()))
        .col_expr(violation_report::Column::HandledBy, Expr::value(caller.user_id))
        .col_expr(violation_report::Column::HandlingReason, Expr::value(reason.trim()))
        .col_expr(violation_report::Column::HandledAt, Expr::value(Utc::now()))
        .filter(violation_report::Column::Id.eq(id))
        .filter(violation_report::Column::Status.eq(ReportStatus::Reported.as_str()))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("INVALID_STATE", "该报告已处理"));
    }
    let after = by_id_in_county::<violation_report::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, format!("violation_report.{}", status.as_str()), "violation_report", id).before(&r).after(&after)])
        .await?;
    Ok(after)
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct ViolationCount {
    pub department_id: i64,
    pub department: String,
    pub confirmed: i64,
}

/// Confirmed violations per department, most first.
pub async fn violation_counts(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<ViolationCount>> {
    let names = org_names(db, county_id).await?;
    let mut counts: HashMap<i64, i64> = HashMap::new();
    for r in in_county::<violation_report::Entity>(county_id)
        .filter(violation_report::Column::Status.eq(ReportStatus::Confirmed.as_str()))
        .all(db)
        .await?
    {
        *counts.entry(r.department_id).or_default() += 1;
    }
    let mut out: Vec<ViolationCount> = counts
        .into_iter()
        .map(|(id, n)| ViolationCount { department_id: id, department: names.get(&id).cloned().unwrap_or_default(), confirmed: n })
        .collect();
    out.sort_by(|a, b| b.confirmed.cmp(&a.confirmed).then(a.department.cmp(&b.department)));
    Ok(out)
}

/// Civil affairs publishes a notice (通报) of the confirmed violations not yet published.
/// Only the reviewer: the supervisor (督查) is read-only.
pub async fn publish_notice(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, title: &str) -> AppResult<notice::Model> {
    if caller.role != Role::Reviewer {
        return Err(AppError::forbidden());
    }
    if title.trim().is_empty() {
        return Err(AppError::invalid("title", "请填写通报标题"));
    }
    let txn = begin_write(db).await?;
    let pending = in_county::<violation_report::Entity>(caller.county_id)
        .filter(violation_report::Column::Status.eq(ReportStatus::Confirmed.as_str()))
        .filter(violation_report::Column::NoticeId.is_null())
        .order_by_asc(violation_report::Column::OccurredOn)
        .all(&txn)
        .await?;
    if pending.is_empty() {
        return Err(AppError::conflict("NOTHING_TO_PUBLISH", "没有尚未通报的已确认违规"));
    }
    let names = org_names(&txn, caller.county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut body = format!("经核查，以下{}起擅自向社区下沉工作事项的情况属实，予以通报：\n", pending.len());
    for (i, r) in pending.iter().enumerate() {
        body.push_str(&format!(
            "{}. {}，{}向{}下派“{}”，未经准入审批。处理意见：{}\n",
            i + 1,
            r.occurred_on,
            name(r.department_id),
            name(r.community_id),
            r.task,
            r.handling_reason.clone().unwrap_or_default()
        ));
    }
    body.push_str(&crate::citation::human("各部门、乡镇（街道）要严格执行城乡社区工作事项准入制度，严禁将清单之外的事务擅自下沉（004 迎江区）。"));
    let n = notice::ActiveModel {
        county_id: Set(caller.county_id),
        title: Set(title.trim().into()),
        body: Set(body),
        published_by: Set(caller.user_id),
        published_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    violation_report::Entity::update_many()
        .col_expr(violation_report::Column::NoticeId, Expr::value(n.id))
        .filter(violation_report::Column::Id.is_in(pending.iter().map(|r| r.id)))
        .exec(&txn)
        .await?;
    let reports: Vec<i64> = pending.iter().map(|r| r.id).collect();
    txn.commit(vec![Entry::by(caller, "notice.publish", "notice", n.id).after(serde_json::json!({"notice": &n, "reports": reports}))]).await?;
    Ok(n)
}

pub async fn notices(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<notice::Model>> {
    Ok(in_county::<notice::Entity>(county_id).order_by_desc(notice::Column::Id).all(db).await?)
}

/// A page of a county's notices, newest first.
pub async fn notices_page(db: &impl ConnectionTrait, county_id: i64, req: PageReq) -> AppResult<Page<notice::Model>> {
    page::fetch(db, in_county::<notice::Entity>(county_id), notice::Column::Id, req, |n| n.id).await
}

/// Changes an admission's status from `from` (guarded, so a concurrent step cannot also
/// take it) and records the step. For the lifecycle's own steps (deadlines).
pub async fn set_status(db: &Tx, caller: &Caller, a: &admission::Model, from: Status, to: Status, action: &str, comment: &str) -> AppResult<bool> {
    let res = admission::Entity::update_many()
        .col_expr(admission::Column::Status, Expr::value(to.as_str()))
        .col_expr(admission::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(admission::Column::Id.eq(a.id))
        .filter(admission::Column::Status.eq(from.as_str()))
        .exec(db)
        .await?;
    if res.rows_affected == 1 {
        record(db, caller, a.id, action, Some(from), to, comment).await?;
    }
    Ok(res.rows_affected == 1)
}

/// A contract of the task has ended: when none is still open and the work is done (or
/// every contract closed), the admission is revoked (工作完成后撤销).
pub async fn contract_closed(db: &Tx, caller: &Caller, admission_id: i64) -> AppResult<()> {
    let open = in_county::<entity::contract::Entity>(caller.county_id)
        .filter(entity::contract::Column::AdmissionId.eq(admission_id))
        .filter(entity::contract::Column::Status.is_not_in([ContractStatus::Closed.as_str(), ContractStatus::Terminated.as_str()]))
        .one(db)
        .await?
        .is_some();
    let Some(a) = by_id_in_county::<admission::Entity>(caller.county_id, admission_id).one(db).await? else { return Ok(()) };
    let from = lifecycle::admission_status(&a)?;
    let any = in_county::<entity::contract::Entity>(caller.county_id)
        .filter(entity::contract::Column::AdmissionId.eq(admission_id))
        .one(db)
        .await?
        .is_some();
    // An admission with no contract at all is revoked only when its period has ended.
    if open || (!any && from != Status::Completed) || next(from, Action::Revoke, a.emergency).is_err() {
        return Ok(());
    }
    if set_status(db, caller, &a, from, Status::Revoked, "revoke", "所有购买服务合同均已结案，准入事项退出社区（工作完成后撤销）").await? {
        lifecycle::targets_out(db, admission_id, TargetStatus::Exited).await?;
    }
    Ok(())
}
