//! Workload (工作负担): how many tasks each community holds at a date, by origin — the
//! duty and assist lists (every community of the county carries them), tasks admitted for
//! it, emergency entries (先进后批) and funded assist work assigned to it — and the change
//! against the same date a year before (004: Hefei measured its communities' items fall
//! from 156 by 60 %). Communities roll up to their street (街道/乡镇).
//!
//! A task counts at a date when its period covers the date and it entered the community
//! (admitted there, in it, or done there); one withdrawn before its end does not count.
//! List items count from the first day of their version's year until their cancellation.
use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};
use entity::{admission, admission_target, list_item, organisation};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;

use crate::lifecycle::TargetStatus;
use crate::lists::ListKind;
use crate::orgs::OrgKind;
use crate::platform::db::in_county;
use crate::platform::error::AppResult;

/// Tasks held, by origin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// Items of the duty list (依法履职事项).
    pub duty: i64,
    /// Items of the assist list (依法协助事项).
    pub assist: i64,
    /// Of the assist items, those assigned to this community with funds (协助事项派单).
    pub assist_funded: i64,
    /// Tasks admitted for this community through the procedure.
    pub admitted: i64,
    /// Tasks that entered first and await or got approval (先进后批).
    pub emergency: i64,
    /// duty + assist + admitted + emergency (funded assist work is within assist).
    pub total: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.duty += o.duty;
        self.assist += o.assist;
        self.assist_funded += o.assist_funded;
        self.admitted += o.admitted;
        self.emergency += o.emergency;
        self.total += o.total;
    }
}

/// A task as the count sees it.
#[derive(Clone, Debug)]
pub struct Held {
    pub community_id: i64,
    pub origin: Origin,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Admitted,
    Emergency,
    AssistFunded,
}

/// A list item's life: in force from `from` until `until` (cancelled), if ever.
#[derive(Clone, Debug)]
pub struct ListEntry {
    pub kind: ListKind,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

/// What one community holds at `date`.
pub fn count(lists: &[ListEntry], held: &[Held], community_id: i64, date: NaiveDate) -> Counts {
    let on_list = |k: ListKind| lists.iter().filter(|e| e.kind == k && e.from <= date && e.until.is_none_or(|u| u > date)).count() as i64;
    let mut c = Counts { duty: on_list(ListKind::Duty), assist: on_list(ListKind::Assist), ..Default::default() };
    for h in held.iter().filter(|h| h.community_id == community_id && h.start <= date && date <= h.end) {
        match h.origin {
            Origin::Admitted => c.admitted += 1,
            Origin::Emergency => c.emergency += 1,
            Origin::AssistFunded => c.assist_funded += 1,
        }
    }
    c.total = c.duty + c.assist + c.admitted + c.emergency;
    c
}

/// The same day a year before (29 February → 28 February).
pub fn year_before(date: NaiveDate) -> NaiveDate {
    date.checked_sub_months(Months::new(12)).unwrap_or(date)
}

/// The change of the total, in whole percent of the year before (none from zero).
pub fn change_percent(now: &Counts, before: &Counts) -> Option<i64> {
    (before.total > 0).then(|| ((now.total - before.total) as f64 * 100.0 / before.total as f64).round() as i64)
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Load {
    /// The community or street.
    pub org_id: i64,
    pub name: String,
    /// A community's street (街道/乡镇), if it belongs to one.
    pub street_id: Option<i64>,
    pub at: Counts,
    pub year_before: Counts,
    /// The change of the total against the year before.
    pub change: i64,
    /// The same in whole percent of the year before; null when it held nothing.
    pub change_percent: Option<i64>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Workload {
    pub date: NaiveDate,
    pub compared_to: NaiveDate,
    pub communities: Vec<Load>,
    /// Each street's communities added up.
    pub streets: Vec<Load>,
}

/// The county's workloads at `date` (communities, and streets rolled up).
pub async fn workload(db: &impl ConnectionTrait, county_id: i64, date: NaiveDate) -> AppResult<Workload> {
    gather(db, county_id, None, date).await
}

/// One community's workload (its home page), reading only its own tasks.
pub async fn of_community(db: &impl ConnectionTrait, county_id: i64, community_id: i64, date: NaiveDate) -> AppResult<Option<Load>> {
    Ok(gather(db, county_id, Some(community_id), date).await?.communities.into_iter().next())
}

async fn gather(db: &impl ConnectionTrait, county_id: i64, only: Option<i64>, date: NaiveDate) -> AppResult<Workload> {
    let before = year_before(date);
    let lists = list_entries(db, county_id, date.year()).await?;
    let lists_before = list_entries(db, county_id, before.year()).await?;
    let held = held(db, county_id, only).await?;
    let orgs = in_county::<organisation::Entity>(county_id).order_by_asc(organisation::Column::Id).all(db).await?;
    let streets: HashMap<i64, &organisation::Model> = orgs.iter().filter(|o| o.kind == OrgKind::Street.as_str()).map(|o| (o.id, o)).collect();
    let mut communities = Vec::new();
    for o in orgs.iter().filter(|o| o.kind == OrgKind::Community.as_str() && only.is_none_or(|id| id == o.id)) {
        let (at, was) = (count(&lists, &held, o.id, date), count(&lists_before, &held, o.id, before));
        let street_id = o.parent_id.filter(|p| streets.contains_key(p));
        communities.push(load(o.id, o.name.clone(), street_id, at, was));
    }
    let mut rolled: Vec<Load> = Vec::new();
    for (id, s) in &streets {
        let (mut at, mut was) = (Counts::default(), Counts::default());
        for c in communities.iter().filter(|c| c.street_id == Some(*id)) {
            at.add(&c.at);
            was.add(&c.year_before);
        }
        rolled.push(load(*id, s.name.clone(), None, at, was));
    }
    rolled.sort_by_key(|l| l.org_id);
    Ok(Workload { date, compared_to: before, communities, streets: rolled })
}

fn load(org_id: i64, name: String, street_id: Option<i64>, at: Counts, was: Counts) -> Load {
    Load { org_id, name, street_id, change: at.total - was.total, change_percent: change_percent(&at, &was), at, year_before: was }
}

/// The duty and assist items of the year's lists (the latest version up to that year).
async fn list_entries(db: &impl ConnectionTrait, county_id: i64, year: i32) -> AppResult<Vec<ListEntry>> {
    let Some(v) = in_county::<entity::list_version::Entity>(county_id)
        .filter(entity::list_version::Column::Year.lte(year))
        .order_by_desc(entity::list_version::Column::Year)
        .one(db)
        .await?
    else {
        return Ok(Vec::new());
    };
    let items = in_county::<list_item::Entity>(county_id).filter(list_item::Column::VersionId.eq(v.id)).all(db).await?;
    let first_day = NaiveDate::from_ymd_opt(v.year, 1, 1).ok_or_else(|| crate::platform::error::AppError::internal("list year out of range"))?;
    Ok(items
        .iter()
        .filter_map(|i| {
            let kind = crate::lists::store::kind_of(i);
            // A version's items count for its whole year (the lists are annual, and a year's
            // rows are often keyed in after it began); a cancelled one until its cancellation.
            (kind != ListKind::Negative).then_some(ListEntry { kind, from: first_day, until: (i.status != crate::lists::ItemStatus::Active.as_str()).then(|| i.updated_at.date_naive()) })
        })
        .collect())
}

/// Every task that entered a community (or the one community `only`), with its period.
async fn held(db: &impl ConnectionTrait, county_id: i64, only: Option<i64>) -> AppResult<Vec<Held>> {
    let mut targets = in_county::<admission_target::Entity>(county_id);
    if let Some(c) = only {
        targets = targets.filter(admission_target::Column::CommunityId.eq(c));
    }
    let targets = targets.all(db).await?;
    let mut tasks: HashMap<i64, admission::Model> = HashMap::new();
    let ids: Vec<i64> = targets.iter().map(|t| t.admission_id).collect();
    for chunk in ids.chunks(500) {
        tasks.extend(in_county::<admission::Entity>(county_id).filter(admission::Column::Id.is_in(chunk.to_vec())).all(db).await?.into_iter().map(|a| (a.id, a)));
    }
    let mut out = Vec::new();
    for t in targets {
        if !matches!(TargetStatus::parse(&t.status), Some(TargetStatus::Admitted | TargetStatus::Entered | TargetStatus::Exited)) {
            continue;
        }
        let Some(a) = tasks.get(&t.admission_id) else { continue };
        let (Some(start), Some(end)) = (a.period_start, a.period_end) else { continue };
        let origin = if a.origin == crate::admission::ORIGIN_ASSIST {
            Origin::AssistFunded
        } else if a.emergency {
            Origin::Emergency
        } else {
            Origin::Admitted
        };
        out.push(Held { community_id: t.community_id, origin, start, end });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_community_holds_its_lists_and_the_tasks_whose_period_covers_the_date() {
        let lists = vec![
            ListEntry { kind: ListKind::Duty, from: d("2026-01-01"), until: None },
            ListEntry { kind: ListKind::Duty, from: d("2026-01-01"), until: Some(d("2026-06-30")) },
            ListEntry { kind: ListKind::Assist, from: d("2026-03-01"), until: None },
        ];
        let held = vec![
            Held { community_id: 1, origin: Origin::Admitted, start: d("2026-03-01"), end: d("2026-04-30") },
            Held { community_id: 1, origin: Origin::Emergency, start: d("2026-04-01"), end: d("2026-12-31") },
            Held { community_id: 1, origin: Origin::AssistFunded, start: d("2026-04-01"), end: d("2026-04-30") },
            Held { community_id: 2, origin: Origin::Admitted, start: d("2026-01-01"), end: d("2026-12-31") },
        ];
        let c = count(&lists, &held, 1, d("2026-04-15"));
        assert_eq!(c, Counts { duty: 2, assist: 1, assist_funded: 1, admitted: 1, emergency: 1, total: 5 });
        // The period's last day counts; the day after does not. A cancelled item leaves.
        assert_eq!(count(&lists, &held, 1, d("2026-04-30")).admitted, 1);
        let c = count(&lists, &held, 1, d("2026-07-01"));
        assert_eq!(c, Counts { duty: 1, assist: 1, assist_funded: 0, admitted: 0, emergency: 1, total: 3 });
        assert_eq!(count(&lists, &held, 1, d("2026-02-01")).total, 2, "before the assist item and the tasks");
    }

    #[test]
    fn the_change_is_against_the_same_day_a_year_before() {
        assert_eq!(year_before(d("2026-11-30")), d("2025-11-30"));
        assert_eq!(year_before(d("2028-02-29")), d("2027-02-28"));
        let was = Counts { total: 156, ..Default::default() };
        let now = Counts { total: 62, ..Default::default() };
        assert_eq!(change_percent(&now, &was), Some(-60), "Hefei: 156 items cut by 60 %");
        assert_eq!(change_percent(&now, &Counts::default()), None);
    }
}
