//! The funding standard of an assist-list item (001 §二(三): work the community assists
//! with still needs the department's guidance, staff and funding). Civil affairs sets it
//! per item; an assignment of the item without a budget of its own gets the budget the
//! standard gives for its period.
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::money::Money;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundingUnit {
    /// Per calendar month the work runs in.
    Month,
    /// Per assignment, whatever its length.
    Task,
}

impl FundingUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            FundingUnit::Month => "month",
            FundingUnit::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<FundingUnit> {
        [FundingUnit::Month, FundingUnit::Task].into_iter().find(|u| u.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FundingUnit::Month => "每月",
            FundingUnit::Task => "每项任务",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Funding {
    pub amount: Money,
    pub unit: FundingUnit,
}

impl Funding {
    /// The item's standard, if it has one.
    pub fn of(m: &entity::list_item::Model) -> Option<Funding> {
        Some(Funding { amount: Money::from_fen(m.funding_fen?), unit: FundingUnit::parse(m.funding_unit.as_deref()?)? })
    }

    /// The budget the standard gives an assignment running from `start` to `end`.
    pub fn budget(self, start: NaiveDate, end: NaiveDate) -> Money {
        match self.unit {
            FundingUnit::Month => Money::from_fen(self.amount.fen().saturating_mul(months(start, end))),
            FundingUnit::Task => self.amount,
        }
    }

    /// e.g. "每月¥200.00".
    pub fn label(self) -> String {
        format!("{}{}", self.unit.label(), self.amount.grouped())
    }
}

/// The calendar months a period runs in, counting a part of a month as a month (at least 1).
pub fn months(start: NaiveDate, end: NaiveDate) -> i64 {
    let m = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    (m(end) - m(start) + 1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_monthly_standard_counts_every_month_the_work_runs_in() {
        let f = Funding { amount: Money::from_yuan(200), unit: FundingUnit::Month };
        assert_eq!(f.budget(d("2026-06-01"), d("2026-06-30")), Money::from_yuan(200));
        assert_eq!(f.budget(d("2026-06-15"), d("2026-07-14")), Money::from_yuan(400), "two months touched");
        assert_eq!(f.budget(d("2026-01-01"), d("2026-12-31")), Money::from_yuan(2_400));
        assert_eq!(f.budget(d("2026-11-01"), d("2027-02-28")), Money::from_yuan(800), "across the year's end");
        assert_eq!(months(d("2026-06-30"), d("2026-06-01")), 1, "a reversed period is refused elsewhere; never zero here");
    }

    #[test]
    fn a_task_standard_is_the_same_whatever_the_length() {
        let f = Funding { amount: Money::from_yuan(800), unit: FundingUnit::Task };
        assert_eq!(f.budget(d("2026-06-01"), d("2026-06-30")), f.budget(d("2026-01-01"), d("2026-12-31")));
        assert_eq!(f.label(), "每项任务¥800.00");
    }
}
