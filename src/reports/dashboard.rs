//! A role's dashboard: its to-do counts (from the inbox) and the key figures of what it
//! may see, from the ledger: funds per department and per community, admitted tasks and
//! list sizes per year, payments awaiting the community's receipt by age.
use chrono::{Datelike, NaiveDate};
use entity::admission;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;

use super::charts::BarChart;
use super::yuan;
use crate::funds::store::{CommunityFunds, DepartmentFunds, Totals};
use crate::inbox::Kind;
use crate::lists::store::YearCount;
use crate::money::Money;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::error::AppResult;

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TodoCount {
    pub kind: Kind,
    pub label: &'static str,
    pub count: usize,
    /// The inbox filtered to this kind.
    pub link: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct YearTasks {
    pub year: i32,
    pub admitted: i64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AgeBucket {
    pub label: &'static str,
    pub count: usize,
    pub amount: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Dashboard {
    pub role: Role,
    /// The budget year of the department figures.
    pub year: i32,
    pub todos: Vec<TodoCount>,
    pub unread: usize,
    /// Money on the contracts the caller sees (as `/funds/summary` counts it).
    pub funds: Totals,
    /// Budget, committed, disbursed and confirmed per department for `year` (the caller's
    /// own for a department; none for a community).
    pub departments: Vec<DepartmentFunds>,
    pub communities: Vec<CommunityFunds>,
    pub admitted_per_year: Vec<YearTasks>,
    pub list_sizes: Vec<YearCount>,
    /// Payments the community has not yet confirmed, by days since payment.
    pub unconfirmed_by_age: Vec<AgeBucket>,
    /// Those payments one by one (a community's home page confirms them in place).
    #[serde(skip)]
    pub unconfirmed: Vec<crate::funds::store::PaymentRow>,
}

/// The age buckets of unconfirmed payments: (label, up to this many days).
const AGES: [(&str, i64); 4] = [("7天内", 7), ("8至30天", 30), ("31至90天", 90), ("90天以上", i64::MAX)];

pub fn age_buckets(paid: &[(NaiveDate, Money)], today: NaiveDate) -> Vec<AgeBucket> {
    let mut out: Vec<AgeBucket> = AGES.iter().map(|(label, _)| AgeBucket { label, count: 0, amount: Money::from_fen(0) }).collect();
    for (on, amount) in paid {
        let age = (today - *on).num_days();
        let i = AGES.iter().position(|(_, max)| age <= *max).unwrap_or(AGES.len() - 1);
        out[i].count += 1;
        out[i].amount = Money::from_fen(out[i].amount.fen() + amount.fen());
    }
    out
}

/// The dashboard of `caller`, whose inbox is `items`.
pub async fn build(db: &DatabaseConnection, caller: &Caller, today: NaiveDate, items: &[crate::inbox::Item]) -> AppResult<Dashboard> {
    let todos = crate::inbox::counts(items)
        .into_iter()
        .map(|(kind, count)| TodoCount { kind, label: kind.label(), count, link: format!("/inbox?kind={}", kind.as_str()) })
        .collect();
    let year = today.year();
    // Unconfirmed for more than 0 days: every payment still waiting for its receipt.
    let overview = crate::funds::store::overview(db, caller, 0, None).await?;
    let departments = match caller.role {
        Role::Community => Vec::new(),
        _ => {
            let years = crate::funds::store::contract_years(db, caller.county_id).await?;
            let mut d = crate::funds::store::department_funds(db, caller.county_id, year, &years).await?;
            if caller.role == Role::Department {
                d.retain(|d| d.department_id == caller.org_id);
            }
            d
        }
    };
    let per_year: Vec<(Option<i32>, i64)> = crate::admission::store::visible(caller)
        .select_only()
        .column(admission::Column::ApprovalYear)
        .column_as(admission::Column::Id.count(), "n")
        .filter(admission::Column::ApprovalYear.is_not_null())
        .group_by(admission::Column::ApprovalYear)
        .into_tuple()
        .all(db)
        .await?;
    let mut admitted_per_year: Vec<YearTasks> = per_year.into_iter().filter_map(|(y, n)| y.map(|year| YearTasks { year, admitted: n })).collect();
    admitted_per_year.sort_by_key(|y| y.year);
    let paid: Vec<(NaiveDate, Money)> = overview.unconfirmed.iter().map(|p| (p.paid_at.date_naive(), p.amount)).collect();
    Ok(Dashboard {
        role: caller.role,
        year,
        unread: items.iter().filter(|i| !i.read).count(),
        todos,
        funds: overview.county,
        departments,
        communities: overview.communities,
        admitted_per_year,
        list_sizes: crate::lists::store::year_report(db, caller.county_id).await?,
        unconfirmed_by_age: age_buckets(&paid, today),
        unconfirmed: overview.unconfirmed,
    })
}

/// The dashboard's charts, in the order the page shows them.
pub fn charts(d: &Dashboard) -> Vec<BarChart> {
    let mut out = Vec::new();
    if !d.departments.is_empty() {
        out.push(super::charts::department_funds(d.year, &d.departments));
    }
    out.push(BarChart {
        title: "各社区经费".into(),
        unit: "元".into(),
        categories: d.communities.iter().map(|c| c.community.clone()).collect(),
        series: vec![
            ("合同金额".into(), d.communities.iter().map(|c| yuan(c.totals.contracted)).collect()),
            ("已拨付".into(), d.communities.iter().map(|c| yuan(c.totals.disbursed)).collect()),
            ("已确认".into(), d.communities.iter().map(|c| yuan(c.totals.confirmed)).collect()),
        ],
        stacked: false,
    });
    out.push(BarChart {
        title: "准入事项数（按批准年度）".into(),
        unit: "项".into(),
        categories: d.admitted_per_year.iter().map(|y| format!("{}年", y.year)).collect(),
        series: vec![("准入".into(), d.admitted_per_year.iter().map(|y| y.admitted as f64).collect())],
        stacked: false,
    });
    out.push(super::charts::list_sizes(&d.list_sizes));
    out.push(BarChart {
        title: "待社区确认的拨款（按账龄）".into(),
        unit: "元".into(),
        categories: d.unconfirmed_by_age.iter().map(|b| b.label.to_string()).collect(),
        series: vec![("金额".into(), d.unconfirmed_by_age.iter().map(|b| yuan(b.amount)).collect())],
        stacked: false,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_fall_into_age_buckets_with_exact_sums() {
        let today: NaiveDate = "2026-06-30".parse().unwrap();
        let on = |days: u64| today - chrono::Days::new(days);
        let paid = [(on(0), Money::from_fen(1)), (on(7), Money::from_fen(2)), (on(8), Money::from_fen(30)), (on(90), Money::from_fen(400)), (on(91), Money::from_fen(5000))];
        let b = age_buckets(&paid, today);
        let got: Vec<(usize, i64)> = b.iter().map(|x| (x.count, x.amount.fen())).collect();
        assert_eq!(got, vec![(2, 3), (1, 30), (1, 400), (1, 5000)]);
    }
}
