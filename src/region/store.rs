//! Jurisdictions above the county, filings and looking into a county below.
use std::collections::HashMap;

use chrono::{Datelike, Utc};
use entity::{admission, admission_target, county, filing, list_item, session};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use serde::Serialize;

use super::{FilingKind, Level};
use crate::lists::{self, ItemStatus, ListKind};
use crate::platform::audit::{Entry, Tx};
use crate::platform::auth::Caller;
use crate::platform::db::{begin_write, in_counties, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult};
use crate::platform::page::{self, Page, PageReq};

/// Every jurisdiction as (id, parent): the table is small (one row per county, city and
/// province of a deployment).
pub async fn tree(db: &impl ConnectionTrait) -> AppResult<Vec<(i64, Option<i64>)>> {
    Ok(county::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.parent_id)).collect())
}

pub async fn jurisdiction(db: &impl ConnectionTrait, id: i64) -> AppResult<county::Model> {
    county::Entity::find_by_id(id).one(db).await?.ok_or_else(AppError::not_found)
}

pub async fn by_name(db: &impl ConnectionTrait, name: &str) -> AppResult<county::Model> {
    county::Entity::find()
        .filter(county::Column::Name.eq(name.trim()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::invalid("parent", format!("没有名为“{}”的行政区", name.trim())))
}

pub fn level_of(c: &county::Model) -> Level {
    Level::parse(&c.level).unwrap_or(Level::County)
}

/// The jurisdictions under `root`, nearest first.
pub async fn under(db: &impl ConnectionTrait, root: i64) -> AppResult<Vec<i64>> {
    Ok(super::under(&tree(db).await?, root))
}

/// The jurisdictions above `id`, nearest first.
pub async fn above(db: &impl ConnectionTrait, id: i64) -> AppResult<Vec<i64>> {
    Ok(super::above(&tree(db).await?, id))
}

/// The negative items in force of the jurisdictions above `county_id`: the baseline it
/// inherits beside the eight of 001 (nearest level first).
pub async fn inherited_negative(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Vec<list_item::Model>> {
    let mut out = Vec::new();
    for id in above(db, county_id).await? {
        out.extend(lists::store::current_items(db, id, Some(ListKind::Negative)).await?);
    }
    Ok(out)
}

#[derive(Serialize)]
struct ListsContent {
    year: i32,
    items: Vec<FiledItem>,
}

#[derive(Serialize)]
struct FiledItem {
    kind: &'static str,
    code: String,
    title: String,
    category: String,
    department: String,
    basis: String,
    keywords: Vec<String>,
    needs_professional_qualification: bool,
    needs_enforcement_authority: bool,
    baseline: bool,
}

/// The lists in force of a jurisdiction as they would be filed: (year, version id,
/// content, digest); none before its first version.
pub async fn lists_content(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Option<(i32, i64, String, String)>> {
    let Some(v) = lists::store::current_version(db, county_id).await? else {
        return Ok(None);
    };
    let mut items: Vec<FiledItem> = lists::store::items_of(db, county_id, v.id, None)
        .await?
        .iter()
        .filter(|m| m.status == ItemStatus::Active.as_str())
        .map(|m| {
            let f = lists::store::fields_of(m);
            FiledItem {
                kind: lists::store::kind_of(m).as_str(),
                code: f.code,
                title: f.title,
                category: f.category,
                department: f.department,
                basis: f.basis,
                keywords: f.keywords,
                needs_professional_qualification: f.needs_professional_qualification,
                needs_enforcement_authority: f.needs_enforcement_authority,
                baseline: m.baseline,
            }
        })
        .collect();
    items.sort_by(|a, b| (a.kind, &a.code).cmp(&(b.kind, &b.code)));
    let content = serde_json::to_string(&ListsContent { year: v.year, items }).expect("lists serialise");
    let digest = super::digest(&content);
    Ok(Some((v.year, v.id, content, digest)))
}

struct NewFiling {
    kind: FilingKind,
    record_id: i64,
    year: i32,
    title: String,
    content: String,
    follows_id: Option<i64>,
}

async fn insert_filing(txn: &Tx, caller: &Caller, n: NewFiling) -> AppResult<filing::Model> {
    let region = jurisdiction(txn, caller.county_id).await?.parent_id;
    let f = filing::ActiveModel {
        county_id: Set(caller.county_id),
        region_id: Set(region),
        kind: Set(n.kind.as_str().into()),
        record_id: Set(n.record_id),
        year: Set(n.year),
        title: Set(n.title),
        digest: Set(super::digest(&n.content)),
        content: Set(n.content),
        follows_id: Set(n.follows_id),
        filed_by: Set(Some(caller.user_id)),
        filed_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| if is_unique_violation(&e) { already_filed() } else { e.into() })?;
    txn.note(Entry::by(caller, format!("filing.{}", n.kind.as_str()), "filing", f.id).after(&f));
    Ok(f)
}

fn already_filed() -> AppError {
    AppError::conflict("ALREADY_FILED", "清单已报送备案，此后没有变化")
}

/// Civil affairs files the lists in force with the level above (each year, and again
/// after they change). Filing what is already filed is refused; of two racing filings one
/// is taken (each names the filing it follows, unique per county).
pub async fn file_lists(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller) -> AppResult<filing::Model> {
    if caller.role != crate::orgs::Role::Reviewer {
        return Err(AppError::forbidden());
    }
    let txn = begin_write(db).await?;
    let Some((year, version_id, content, digest)) = lists_content(&txn, caller.county_id).await? else {
        return Err(AppError::conflict("NO_LISTS", "本级还没有清单，无法报送备案"));
    };
    let last = latest_lists(&txn, caller.county_id).await?;
    if last.as_ref().is_some_and(|l| l.digest == digest) {
        return Err(already_filed());
    }
    let name = jurisdiction(&txn, caller.county_id).await?.name;
    let new = NewFiling {
        kind: FilingKind::Lists,
        record_id: version_id,
        year,
        title: format!("{name}{year}年度社区工作事项清单"),
        content,
        follows_id: Some(last.map_or(0, |l| l.id)),
    };
    let f = insert_filing(&txn, caller, new).await?;
    txn.commit(vec![]).await?;
    Ok(f)
}

#[derive(Serialize)]
struct AdmissionContent<'a> {
    id: i64,
    title: &'a str,
    department_id: i64,
    status: &'a str,
    emergency: bool,
    origin: &'a str,
    approval_number: Option<&'a str>,
    decision_comment: Option<&'a str>,
    basis: &'a str,
    period_start: Option<chrono::NaiveDate>,
    period_end: Option<chrono::NaiveDate>,
    budget_fen: Option<i64>,
    communities: Vec<i64>,
    event: &'a str,
}

/// An admission as decided (or exited), filed in the transaction that decides it.
pub async fn file_admission(txn: &Tx, caller: &Caller, m: &admission::Model, event: &str) -> AppResult<filing::Model> {
    let communities = in_county::<admission_target::Entity>(caller.county_id)
        .filter(admission_target::Column::AdmissionId.eq(m.id))
        .order_by_asc(admission_target::Column::CommunityId)
        .all(txn)
        .await?
        .into_iter()
        .map(|t| t.community_id)
        .collect();
    let content = AdmissionContent {
        id: m.id,
        title: &m.title,
        department_id: m.department_id,
        status: &m.status,
        emergency: m.emergency,
        origin: &m.origin,
        approval_number: m.approval_number.as_deref(),
        decision_comment: m.decision_comment.as_deref(),
        basis: &m.basis,
        period_start: m.period_start,
        period_end: m.period_end,
        budget_fen: m.budget_fen,
        communities,
        event,
    };
    let content = serde_json::to_string(&content).expect("admission serialises");
    let year = m.decided_at.map(|d| d.year()).unwrap_or_else(|| Utc::now().year());
    let title = format!("{}（{event}）", m.title);
    insert_filing(txn, caller, NewFiling { kind: FilingKind::Admission, record_id: m.id, year, title, content, follows_id: None }).await
}

async fn latest_lists(db: &impl ConnectionTrait, county_id: i64) -> AppResult<Option<filing::Model>> {
    Ok(in_county::<filing::Entity>(county_id)
        .filter(filing::Column::Kind.eq(FilingKind::Lists.as_str()))
        .order_by_desc(filing::Column::Id)
        .one(db)
        .await?)
}

/// The jurisdictions whose filings the caller reads: its own and those under it.
async fn readable(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Vec<i64>> {
    let mut ids = vec![caller.home_county_id];
    ids.extend(under(db, caller.home_county_id).await?);
    Ok(ids)
}

pub struct FilingFilter {
    pub county_id: Option<i64>,
    pub kind: Option<FilingKind>,
    pub year: Option<i32>,
}

/// Filings of the caller's jurisdiction and those under it, newest first.
pub async fn filings(db: &impl ConnectionTrait, caller: &Caller, f: &FilingFilter, req: PageReq) -> AppResult<Page<filing::Model>> {
    let mut ids = readable(db, caller).await?;
    if let Some(c) = f.county_id {
        if !ids.contains(&c) {
            return Err(AppError::not_found());
        }
        ids = vec![c];
    }
    let mut q = in_counties::<filing::Entity>(&ids);
    if let Some(k) = f.kind {
        q = q.filter(filing::Column::Kind.eq(k.as_str()));
    }
    if let Some(y) = f.year {
        q = q.filter(filing::Column::Year.eq(y));
    }
    page::fetch(db, q, filing::Column::Id, req, |r| r.id).await
}

/// Where a jurisdiction's filings stand, as the level above (or itself) sees them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegionStanding)]
pub struct Standing {
    pub id: i64,
    pub name: String,
    pub level: Level,
    pub parent_id: Option<i64>,
    /// The year of the lists in force; none before its first lists.
    pub lists_year: Option<i32>,
    /// When the lists were last filed, and for which year.
    pub lists_filed_at: Option<chrono::DateTime<Utc>>,
    pub lists_filed_year: Option<i32>,
    /// The lists in force differ from what was last filed (or were never filed).
    pub lists_changed_since_filing: bool,
    /// Admissions filed this year.
    pub admissions_filed_this_year: u64,
    pub last_filed_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = RegionOverview)]
pub struct Overview {
    /// The caller's own jurisdiction.
    #[serde(flatten)]
    pub own: Standing,
    /// The jurisdictions under it, nearest first.
    pub below: Vec<Standing>,
}

async fn standing(db: &impl ConnectionTrait, c: &county::Model) -> AppResult<Standing> {
    let current = lists_content(db, c.id).await?;
    let filed = latest_lists(db, c.id).await?;
    let recent = in_county::<filing::Entity>(c.id).order_by_desc(filing::Column::Id).one(db).await?;
    let admissions_filed_this_year = in_county::<filing::Entity>(c.id)
        .filter(filing::Column::Kind.eq(FilingKind::Admission.as_str()))
        .filter(filing::Column::Year.eq(Utc::now().year()))
        .count(db)
        .await?;
    Ok(Standing {
        id: c.id,
        name: c.name.clone(),
        level: level_of(c),
        parent_id: c.parent_id,
        lists_year: current.as_ref().map(|c| c.0),
        lists_filed_at: filed.as_ref().map(|f| f.filed_at),
        lists_filed_year: filed.as_ref().map(|f| f.year),
        lists_changed_since_filing: match (&current, &filed) {
            (Some(c), Some(f)) => c.3 != f.digest,
            (Some(_), None) => true,
            (None, _) => false,
        },
        admissions_filed_this_year,
        last_filed_at: recent.map(|f| f.filed_at),
    })
}

/// The caller's jurisdiction and those under it, with where their filings stand.
pub async fn overview(db: &impl ConnectionTrait, caller: &Caller) -> AppResult<Overview> {
    let all: HashMap<i64, county::Model> = county::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut tree: Vec<(i64, Option<i64>)> = all.values().map(|c| (c.id, c.parent_id)).collect();
    tree.sort();
    let home = all.get(&caller.home_county_id).ok_or_else(AppError::not_found)?;
    let mut below = Vec::new();
    for id in super::under(&tree, home.id) {
        below.push(standing(db, &all[&id]).await?);
    }
    Ok(Overview { own: standing(db, home).await?, below })
}

/// The session looks into `county_id` (a jurisdiction under the user's own, read-only) or
/// returns home (`county_id` = the user's own). Anything else is not found.
pub async fn view(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, county_id: i64) -> AppResult<county::Model> {
    let allowed = county_id == caller.home_county_id
        || (super::oversees(caller.home_role) && under(db, caller.home_county_id).await?.contains(&county_id));
    if !allowed {
        return Err(AppError::not_found());
    }
    let target = jurisdiction(db, county_id).await?;
    let txn = begin_write(db).await?;
    session::Entity::update_many()
        .col_expr(session::Column::CountyId, sea_orm::sea_query::Expr::value(county_id))
        .filter(session::Column::Id.eq(caller.session_id))
        .filter(session::Column::UserId.eq(caller.user_id))
        .exec(&txn)
        .await?;
    let action = if county_id == caller.home_county_id { "region.return" } else { "region.view" };
    txn.commit(vec![Entry::new(caller.home_county_id, Some(caller.user_id), action, "county", county_id)]).await?;
    Ok(target)
}
