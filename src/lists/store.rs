//! Storage of the lists: versions, items and the change log, within one county.
use chrono::{Datelike, Utc};
use entity::{list_change, list_item, list_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{plan_import, ChangeAction, ChangeBasis, IncomingItem, ItemFields, ItemStatus, ListKind, Planned, VersionItem};
use crate::platform::auth::Caller;
use crate::platform::audit::{with_comment, Entry, Tx};
use crate::platform::db::{begin_write, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult};

pub fn fields_of(m: &list_item::Model) -> ItemFields {
    ItemFields {
        code: m.code.clone(),
        title: m.title.clone(),
        description: m.description.clone(),
        basis: m.basis.clone(),
        department: m.department.clone(),
        category: m.category.clone(),
        keywords: serde_json::from_str(&m.keywords).unwrap_or_default(),
        needs_professional_qualification: m.needs_professional_qualification,
        needs_enforcement_authority: m.needs_enforcement_authority,
        negative_reason: m.negative_reason.clone(),
    }
}

pub fn kind_of(m: &list_item::Model) -> ListKind {
    ListKind::parse(&m.kind).unwrap_or(ListKind::Duty)
}

pub fn version_item(m: &list_item::Model) -> VersionItem {
    VersionItem { id: m.id, kind: kind_of(m), status: ItemStatus::parse(&m.status), fields: fields_of(m) }
}

/// What the change log keeps of an item before and after a change.
#[derive(Serialize, serde::Deserialize, ToSchema, Clone, Debug)]
pub struct Snapshot {
    pub kind: ListKind,
    pub status: ItemStatus,
    #[serde(flatten)]
    pub fields: ItemFields,
    /// An assist item's funding standard (absent from older entries and other items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funding: Option<super::funding::Funding>,
}

fn snapshot(m: &list_item::Model) -> String {
    let s = Snapshot { kind: kind_of(m), status: ItemStatus::parse(&m.status), fields: fields_of(m), funding: super::funding::Funding::of(m) };
    serde_json::to_string(&s).expect("snapshot serialises")
}

pub async fn versions(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<list_version::Model>> {
    Ok(in_county::<list_version::Entity>(county_id).order_by_asc(list_version::Column::Year).all(db).await?)
}

/// The version in force: the latest year started.
pub async fn current_version(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Option<list_version::Model>> {
    Ok(in_county::<list_version::Entity>(county_id).order_by_desc(list_version::Column::Year).one(db).await?)
}

pub async fn version_of_year(db: &impl ConnectionTrait, county_id: i64, year: i32) -> AppResult<list_version::Model> {
    in_county::<list_version::Entity>(county_id)
        .filter(list_version::Column::Year.eq(year))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, "NOT_FOUND", format!("没有{year}年度的清单")))
}

/// The given year's version, or the current one.
pub async fn resolve_version(db: &impl ConnectionTrait, county_id: i64, year: Option<i32>) -> AppResult<Option<list_version::Model>> {
    match year {
        Some(y) => version_of_year(db, county_id, y).await.map(Some),
        None => current_version(db, county_id).await,
    }
}

pub async fn items_of(
    db: &impl ConnectionTrait,
    county_id: i64,
    version_id: i64,
    kind: Option<ListKind>,
) -> AppResult<Vec<list_item::Model>> {
    let mut q = in_county::<list_item::Entity>(county_id).filter(list_item::Column::VersionId.eq(version_id));
    if let Some(k) = kind {
        q = q.filter(list_item::Column::Kind.eq(k.as_str()));
    }
    let mut items = q.all(db).await?;
    items.sort_by(|a, b| (kind_of(a), &a.code).cmp(&(kind_of(b), &b.code)));
    Ok(items)
}

/// Active items of the version in force: what the public sees and what rules apply.
pub async fn current_items(db: &impl ConnectionTrait, county_id: i64, kind: Option<ListKind>) -> AppResult<Vec<list_item::Model>> {
    let Some(v) = current_version(db, county_id).await? else { return Ok(vec![]) };
    let items = items_of(db, county_id, v.id, kind).await?;
    Ok(items.into_iter().filter(|i| i.status == ItemStatus::Active.as_str()).collect())
}

pub async fn find_item(db: &impl ConnectionTrait, county_id: i64, id: i64) -> AppResult<list_item::Model> {
    in_county::<list_item::Entity>(county_id)
        .filter(list_item::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)
}

pub async fn changes_of_item(db: &impl ConnectionTrait, county_id: i64, item_id: i64) -> AppResult<Vec<list_change::Model>> {
    Ok(in_county::<list_change::Entity>(county_id)
        .filter(list_change::Column::ItemId.eq(item_id))
        .order_by_asc(list_change::Column::Id)
        .all(db)
        .await?)
}

pub async fn changes_of_version(db: &impl ConnectionTrait, county_id: i64, version_id: i64) -> AppResult<Vec<list_change::Model>> {
    Ok(in_county::<list_change::Entity>(county_id)
        .filter(list_change::Column::VersionId.eq(version_id))
        .order_by_desc(list_change::Column::Id)
        .all(db)
        .await?)
}

fn check_change(kind: ListKind, fields: &ItemFields, basis: &ChangeBasis) -> AppResult<()> {
    let mut errs = fields.check(kind).err().unwrap_or_default();
    errs.extend(basis.check().err().unwrap_or_default());
    if errs.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errs))
    }
}

async fn log_change(
    db: &Tx,
    caller: &Caller,
    item: &list_item::Model,
    action: ChangeAction,
    basis: &ChangeBasis,
    before: Option<String>,
) -> AppResult<()> {
    let json = |s: &str| serde_json::from_str::<serde_json::Value>(s).unwrap_or_default();
    let mut entry = Entry::by(caller, format!("list_item.{}", action.as_str()), "list_item", item.id)
        .after(with_comment(json(&snapshot(item)), &format!("{} {}", basis.reason.trim(), basis.document.trim())));
    if let Some(b) = &before {
        entry = entry.before(json(b));
    }
    db.note(entry);
    list_change::ActiveModel {
        county_id: Set(caller.county_id),
        version_id: Set(item.version_id),
        item_id: Set(item.id),
        action: Set(action.as_str().to_string()),
        reason: Set(basis.reason.trim().to_string()),
        document: Set(basis.document.trim().to_string()),
        before: Set(before),
        after: Set(snapshot(item)),
        user_id: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The version changes go into: the current one, started for this year if the county
/// has none yet.
async fn working_version(db: &Tx, caller: &Caller) -> AppResult<list_version::Model> {
    if let Some(v) = current_version(db, caller.county_id).await? {
        return Ok(v);
    }
    let v = list_version::ActiveModel {
        county_id: Set(caller.county_id),
        year: Set(Utc::now().year()),
        based_on_year: Set(None),
        created_by: Set(Some(caller.user_id)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    inherit_baseline(db, caller, v.id).await?;
    db.note(Entry::by(caller, "list_version.start", "list_version", v.id).after(&v));
    Ok(v)
}

fn code_taken(code: &str) -> AppError {
    AppError::conflict("ITEM_CODE_TAKEN", format!("本年度清单中已有编号为“{code}”的事项（含已取消的），请换一个编号"))
}

async fn insert_item(
    db: &impl ConnectionTrait,
    caller: &Caller,
    version_id: i64,
    kind: ListKind,
    f: &ItemFields,
    baseline: bool,
) -> AppResult<list_item::Model> {
    let now = Utc::now();
    list_item::ActiveModel {
        baseline: Set(baseline),
        county_id: Set(caller.county_id),
        version_id: Set(version_id),
        kind: Set(kind.as_str().to_string()),
        code: Set(f.code.clone()),
        title: Set(f.title.clone()),
        description: Set(f.description.clone()),
        basis: Set(f.basis.clone()),
        department: Set(f.department.clone()),
        category: Set(f.category.clone()),
        keywords: Set(serde_json::to_string(&f.keywords).expect("keywords serialise")),
        needs_professional_qualification: Set(f.needs_professional_qualification),
        needs_enforcement_authority: Set(f.needs_enforcement_authority),
        negative_reason: Set(f.negative_reason.clone()),
        status: Set(ItemStatus::Active.as_str().to_string()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| if is_unique_violation(&e) { code_taken(&f.code) } else { e.into() })
}

async fn update_fields(db: &impl ConnectionTrait, item: list_item::Model, f: &ItemFields) -> AppResult<list_item::Model> {
    let mut am: list_item::ActiveModel = item.into();
    am.title = Set(f.title.clone());
    am.description = Set(f.description.clone());
    am.basis = Set(f.basis.clone());
    am.department = Set(f.department.clone());
    am.category = Set(f.category.clone());
    am.keywords = Set(serde_json::to_string(&f.keywords).expect("keywords serialise"));
    am.needs_professional_qualification = Set(f.needs_professional_qualification);
    am.needs_enforcement_authority = Set(f.needs_enforcement_authority);
    am.negative_reason = Set(f.negative_reason.clone());
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

async fn set_cancelled(db: &impl ConnectionTrait, item: list_item::Model) -> AppResult<list_item::Model> {
    let mut am: list_item::ActiveModel = item.into();
    am.status = Set(ItemStatus::Cancelled.as_str().to_string());
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// 新增: a new item in the current year's lists.
pub async fn add_item(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    kind: ListKind,
    fields: ItemFields,
    basis: &ChangeBasis,
) -> AppResult<list_item::Model> {
    let fields = fields.normalised();
    check_change(kind, &fields, basis)?;
    let txn = begin_write(db).await?;
    let v = working_version(&txn, caller).await?;
    let taken = in_county::<list_item::Entity>(caller.county_id)
        .filter(list_item::Column::VersionId.eq(v.id))
        .filter(list_item::Column::Code.eq(&fields.code))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(code_taken(&fields.code));
    }
    let item = insert_item(&txn, caller, v.id, kind, &fields, false).await?;
    log_change(&txn, caller, &item, ChangeAction::Add, basis, None).await?;
    txn.commit(vec![]).await?;
    Ok(item)
}

/// The baseline negative list a jurisdiction inherits: the eight items of 001 and the
/// negative lists in force of the levels above it.
pub async fn baseline_for(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<ItemFields>> {
    let above = crate::region::store::inherited_negative(db, county_id).await?;
    Ok(super::baseline::merge(super::baseline::items(), above.iter().map(fields_of)))
}

/// Puts the baseline negative list into a version: an item already there under the same
/// title becomes a baseline item (with the baseline's words and bans added); a missing one
/// is added (under its baseline code, or prefixed when the county used that code for
/// something else). An item that no longer is in the baseline (the level above cancelled
/// it) becomes the county's own again.
async fn inherit_baseline(txn: &impl ConnectionTrait, caller: &Caller, version_id: i64) -> AppResult<()> {
    let have = items_of(txn, caller.county_id, version_id, Some(super::baseline::KIND)).await?;
    let baseline = baseline_for(txn, caller.county_id).await?;
    for f in &baseline {
        match have.iter().find(|i| i.title == f.title && i.status == ItemStatus::Active.as_str()) {
            Some(i) => {
                let own = fields_of(i);
                let stronger = super::baseline::strengthen(&own, f);
                let item = if stronger != own { update_fields(txn, i.clone(), &stronger).await? } else { i.clone() };
                if !item.baseline {
                    let mut am: list_item::ActiveModel = item.into();
                    am.baseline = Set(true);
                    am.update(txn).await?;
                }
            }
            None => {
                let mut f = f.clone();
                if have.iter().any(|i| i.code == f.code) {
                    f.code = format!("基线{}", f.code);
                }
                insert_item(txn, caller, version_id, super::baseline::KIND, &f, true).await?;
            }
        }
    }
    for i in have.iter().filter(|i| i.baseline && !baseline.iter().any(|b| b.title == i.title)) {
        let mut am: list_item::ActiveModel = i.clone().into();
        am.baseline = Set(false);
        am.update(txn).await?;
    }
    Ok(())
}

fn baseline_refused(item: &list_item::Model, why: &str) -> AppError {
    AppError::conflict("BASELINE_ITEM", super::baseline::refusal(&item.title, why))
}

/// An item that may still be changed: active, in the version in force.
async fn changeable(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<list_item::Model> {
    let item = find_item(db, caller.county_id, id).await?;
    let current = current_version(db, caller.county_id).await?;
    if current.map(|v| v.id) != Some(item.version_id) {
        return Err(AppError::conflict("LIST_VERSION_CLOSED", "往年的清单只可查阅，只能变更本年度（现行）清单中的事项"));
    }
    if item.status == ItemStatus::Cancelled.as_str() {
        return Err(AppError::conflict("ITEM_CANCELLED", "该事项已取消，不能再变更"));
    }
    Ok(item)
}

/// 调整: new content for an item; its code and list stay.
pub async fn adjust_item(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    fields: ItemFields,
    basis: &ChangeBasis,
) -> AppResult<list_item::Model> {
    let txn = begin_write(db).await?;
    let item = changeable(&txn, caller, id).await?;
    let kind = kind_of(&item);
    let mut fields = fields.normalised();
    if fields.code.is_empty() {
        fields.code = item.code.clone();
    }
    if fields.code != item.code {
        return Err(AppError::invalid("code", "调整不能修改编号；如需拆分或合并，请取消原事项并新增"));
    }
    check_change(kind, &fields, basis)?;
    if fields == fields_of(&item) {
        return Err(AppError::invalid("", "内容没有变化"));
    }
    if let Some(why) = item.baseline.then(|| super::baseline::weakening(&fields_of(&item), &fields)).flatten() {
        return Err(baseline_refused(&item, &why));
    }
    let before = snapshot(&item);
    let item = update_fields(&txn, item, &fields).await?;
    log_change(&txn, caller, &item, ChangeAction::Adjust, basis, Some(before)).await?;
    txn.commit(vec![]).await?;
    Ok(item)
}

async fn set_funding_of(db: &impl ConnectionTrait, item: list_item::Model, f: Option<super::funding::Funding>) -> AppResult<list_item::Model> {
    let mut am: list_item::ActiveModel = item.into();
    am.funding_fen = Set(f.map(|f| f.amount.fen()));
    am.funding_unit = Set(f.map(|f| f.unit.as_str().to_string()));
    am.updated_at = Set(Utc::now());
    Ok(am.update(db).await?)
}

/// Civil affairs sets (or clears) the funding standard of an assist item in force, with a
/// reason and document like any change; it stays through imports and is carried into the
/// next year.
pub async fn set_funding(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    id: i64,
    funding: Option<super::funding::Funding>,
    basis: &ChangeBasis,
) -> AppResult<list_item::Model> {
    if caller.role != crate::orgs::Role::Reviewer {
        return Err(AppError::forbidden());
    }
    basis.check().map_err(AppError::validation)?;
    if funding.is_some_and(|f| !f.amount.is_positive()) {
        return Err(AppError::invalid("amount", "经费标准须大于零"));
    }
    let txn = begin_write(db).await?;
    let item = changeable(&txn, caller, id).await?;
    if kind_of(&item) != ListKind::Assist {
        return Err(AppError::invalid("", "只有协助办理事项清单中的事项有经费标准"));
    }
    if super::funding::Funding::of(&item) == funding {
        return Err(AppError::invalid("", "经费标准没有变化"));
    }
    let before = snapshot(&item);
    let item = set_funding_of(&txn, item, funding).await?;
    log_change(&txn, caller, &item, ChangeAction::Adjust, basis, Some(before)).await?;
    txn.commit(vec![]).await?;
    Ok(item)
}

/// 取消: the item leaves the lists in force; it stays readable with its history.
pub async fn cancel_item(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, basis: &ChangeBasis) -> AppResult<list_item::Model> {
    basis.check().map_err(AppError::validation)?;
    let txn = begin_write(db).await?;
    let item = changeable(&txn, caller, id).await?;
    if item.baseline {
        return Err(baseline_refused(&item, "不能取消"));
    }
    let before = snapshot(&item);
    let item = set_cancelled(&txn, item).await?;
    log_change(&txn, caller, &item, ChangeAction::Cancel, basis, Some(before)).await?;
    txn.commit(vec![]).await?;
    Ok(item)
}

/// The annual review: a new year's version starts with the active items of the current
/// one (cancelled items are not carried over).
pub async fn start_year(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, year: i32) -> AppResult<list_version::Model> {
    let this_year = Utc::now().year();
    if year > this_year + 1 {
        return Err(AppError::invalid("year", format!("最多只能开始{}年度的清单", this_year + 1)));
    }
    let txn = begin_write(db).await?;
    let current = current_version(&txn, caller.county_id).await?;
    if let Some(c) = &current {
        if year <= c.year {
            return Err(AppError::conflict("YEAR_NOT_AFTER_CURRENT", format!("新年度须晚于现行的{}年度", c.year)));
        }
    }
    let v = list_version::ActiveModel {
        county_id: Set(caller.county_id),
        year: Set(year),
        based_on_year: Set(current.as_ref().map(|c| c.year)),
        created_by: Set(Some(caller.user_id)),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("YEAR_NOT_AFTER_CURRENT", format!("{year}年度的清单已经开始"))
        } else {
            e.into()
        }
    })?;
    if let Some(c) = current {
        for item in items_of(&txn, caller.county_id, c.id, None).await? {
            if item.status == ItemStatus::Active.as_str() {
                let copy = insert_item(&txn, caller, v.id, kind_of(&item), &fields_of(&item), item.baseline).await?;
                if let Some(f) = super::funding::Funding::of(&item) {
                    set_funding_of(&txn, copy, Some(f)).await?;
                }
            }
        }
    }
    inherit_baseline(&txn, caller, v.id).await?;
    txn.commit(vec![Entry::by(caller, "list_version.start", "list_version", v.id).after(&v)]).await?;
    Ok(v)
}

#[derive(Serialize, ToSchema, Default, Debug)]
pub struct ImportSummary {
    pub added: usize,
    pub adjusted: usize,
    pub cancelled: usize,
    /// Baseline negative items the sheet left out: kept, since a county cannot cancel them.
    pub baseline_kept: Vec<String>,
    /// True when nothing was written (a preview).
    pub dry_run: bool,
    /// Each change, item by item: what a preview shows before anything is cancelled
    /// (issue 29: it showed counts only).
    pub changes: Vec<ImportChange>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct ImportChange {
    /// 新增 | 调整 | 取消
    pub action: &'static str,
    pub list: &'static str,
    pub code: String,
    pub title: String,
}

/// Applies a parsed workbook to the current year's lists as ordinary changes, all in one
/// transaction; a conflicting row fails the whole import.
pub async fn import(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    incoming: &[IncomingItem],
    basis: &ChangeBasis,
    dry_run: bool,
) -> AppResult<ImportSummary> {
    basis.check().map_err(AppError::validation)?;
    let txn = begin_write(db).await?;
    let v = working_version(&txn, caller).await?;
    let current: Vec<VersionItem> = items_of(&txn, caller.county_id, v.id, None).await?.iter().map(version_item).collect();
    let plan = plan_import(&current, incoming).map_err(import_errors)?;
    let mut sum = ImportSummary { dry_run, ..Default::default() };
    for step in plan {
        match step {
            Planned::Add(kind, f) => {
                sum.added += 1;
                sum.changes.push(ImportChange { action: "新增", list: kind.label(), code: f.code.clone(), title: f.title.clone() });
                if !dry_run {
                    let item = insert_item(&txn, caller, v.id, kind, &f, false).await?;
                    log_change(&txn, caller, &item, ChangeAction::Add, basis, None).await?;
                }
            }
            Planned::Adjust { item_id, fields } => {
                let item = find_item(&txn, caller.county_id, item_id).await?;
                if let Some(why) = item.baseline.then(|| super::baseline::weakening(&fields_of(&item), &fields)).flatten() {
                    return Err(baseline_refused(&item, &why));
                }
                sum.adjusted += 1;
                sum.changes.push(ImportChange { action: "调整", list: kind_of(&item).label(), code: item.code.clone(), title: item.title.clone() });
                if !dry_run {
                    let before = snapshot(&item);
                    let item = update_fields(&txn, item, &fields).await?;
                    log_change(&txn, caller, &item, ChangeAction::Adjust, basis, Some(before)).await?;
                }
            }
            Planned::Cancel { item_id } => {
                let item = find_item(&txn, caller.county_id, item_id).await?;
                // A sheet that leaves out a baseline item does not cancel it.
                if item.baseline {
                    sum.baseline_kept.push(item.title.clone());
                    continue;
                }
                sum.cancelled += 1;
                sum.changes.push(ImportChange { action: "取消", list: kind_of(&item).label(), code: item.code.clone(), title: item.title.clone() });
                if !dry_run {
                    let before = snapshot(&item);
                    let item = set_cancelled(&txn, item).await?;
                    log_change(&txn, caller, &item, ChangeAction::Cancel, basis, Some(before)).await?;
                }
            }
        }
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit(vec![Entry::by(caller, "list.import", "list_version", v.id).after(serde_json::json!({
            "added": sum.added, "adjusted": sum.adjusted, "cancelled": sum.cancelled,
        }))])
        .await?;
    }
    Ok(sum)
}

/// The 422 of a workbook that cannot be imported: every bad row in `details`.
pub fn import_errors(rows: Vec<super::RowError>) -> AppError {
    let n = rows.len();
    AppError::new(
        axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        "IMPORT_INVALID",
        format!("导入文件有{n}处错误，未导入任何内容"),
    )
    .with_details(rows.into_iter().map(|r| serde_json::to_value(r).expect("row error serialises")).collect())
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct YearCount {
    pub year: i32,
    pub duty: i64,
    pub assist: i64,
    pub negative: i64,
    pub total: i64,
}

/// Active items per list and year: the annual review aims at fewer each year (004).
pub async fn year_report(db: &(impl ConnectionTrait + TransactionTrait), county_id: i64) -> AppResult<Vec<YearCount>> {
    let vs = versions(db, county_id).await?;
    let counts: Vec<(i64, String, i64)> = in_county::<list_item::Entity>(county_id)
        .select_only()
        .column(list_item::Column::VersionId)
        .column(list_item::Column::Kind)
        .column_as(list_item::Column::Id.count(), "n")
        .filter(list_item::Column::Status.eq(ItemStatus::Active.as_str()))
        .group_by(list_item::Column::VersionId)
        .group_by(list_item::Column::Kind)
        .into_tuple()
        .all(db)
        .await?;
    Ok(vs
        .iter()
        .map(|v| {
            let n = |k: ListKind| {
                counts.iter().filter(|(vid, kind, _)| *vid == v.id && kind == k.as_str()).map(|c| c.2).sum::<i64>()
            };
            let (duty, assist, negative) = (n(ListKind::Duty), n(ListKind::Assist), n(ListKind::Negative));
            YearCount { year: v.year, duty, assist, negative, total: duty + assist + negative }
        })
        .collect())
}
