//! The to-do items of each user, and the inbox that holds them. An item is derived from
//! the records every time (an application waiting for review, a contract waiting for a
//! signature, a payment waiting for its receipt, a deadline coming near or passed), so it
//! appears with the work and clears when the work is done; only "read" is stored.
//!
//! A deadline item's id carries its stage (`…-near`, `…-overdue`): when the deadline
//! comes near and again when it passes, the item is new and unread.
pub mod api;
pub mod store;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

/// Days before a deadline from which it is "near".
pub const NEAR_DAYS: i64 = 3;
/// A community confirms the receipt of a payment within this many days.
pub const CONFIRM_DAYS: i64 = 10;
/// The department evaluates a contract within this many days of its period's end.
pub const EVALUATION_DAYS: i64 = 30;
/// An admission's period end is announced this many days ahead, and shown this many
/// days after it passed.
pub const PERIOD_NOTICE_DAYS: i64 = 30;
/// The finance bureau sees an instalment from this many days before it is due.
pub const PAY_AHEAD_DAYS: i64 = 7;
/// A community sees a clause to deliver from this many days before its deadline.
pub const DELIVER_AHEAD_DAYS: i64 = 14;
/// A community sees an evaluation of its work (to read or object to) this long.
pub const OBJECTION_DAYS: i64 = 15;
/// A department sees the decision on its application (approved or not) this long.
pub const DECISION_NOTICE_DAYS: i64 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = InboxKind)]
pub enum Kind {
    /// An application to review (civil affairs).
    Review,
    /// An application to decide (leading group).
    Decide,
    /// The decision on the department's own application: approved or not (issue 29).
    Decided,
    /// An emergency entry (先进后批) whose approval deadline is near or passed.
    Emergency,
    /// A contract or amendment waiting for this side's signature.
    Sign,
    /// A deliverable to accept or reject.
    Accept,
    /// A performance clause to deliver, its deadline near or passed.
    Deliver,
    /// A rejected deliverable to deliver again.
    Redeliver,
    /// An instalment due to be paid (finance).
    Pay,
    /// A payment whose receipt the community has to confirm or dispute.
    Confirm,
    /// A payment the community disputed, to check and answer (finance).
    Disputed,
    /// A contract to evaluate against its clauses.
    Evaluate,
    /// An evaluation received (the community may object).
    Evaluation,
    /// An admitted task whose period ends soon or has ended.
    PeriodEnd,
    /// A report of unadmitted work (擅自下沉) to handle or answer.
    Report,
    /// A dispute to decide (civil affairs).
    Arbitrate,
    /// A half-year assessment sent up, to decide (leading group).
    Assessment,
}

impl Kind {
    pub const ALL: [Kind; 17] =
        [Kind::Review, Kind::Decide, Kind::Decided, Kind::Emergency, Kind::Sign, Kind::Accept, Kind::Deliver, Kind::Redeliver, Kind::Pay, Kind::Confirm, Kind::Disputed, Kind::Evaluate, Kind::Evaluation, Kind::PeriodEnd, Kind::Report, Kind::Arbitrate, Kind::Assessment];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Review => "review",
            Kind::Decide => "decide",
            Kind::Decided => "decided",
            Kind::Emergency => "emergency",
            Kind::Sign => "sign",
            Kind::Accept => "accept",
            Kind::Deliver => "deliver",
            Kind::Redeliver => "redeliver",
            Kind::Pay => "pay",
            Kind::Confirm => "confirm",
            Kind::Disputed => "disputed",
            Kind::Evaluate => "evaluate",
            Kind::Evaluation => "evaluation",
            Kind::PeriodEnd => "period_end",
            Kind::Report => "report",
            Kind::Arbitrate => "arbitrate",
            Kind::Assessment => "assessment",
        }
    }

    /// What a dashboard calls a group of these.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Review => "待初审的申请",
            Kind::Decide => "待审批的申请",
            Kind::Decided => "申请的审批结果",
            Kind::Emergency => "先进后批临近或超过审批期限",
            Kind::Sign => "待签署的合同",
            Kind::Accept => "待验收的服务成果",
            Kind::Deliver => "临近期限待提交的成果",
            Kind::Redeliver => "被退回待重新提交的成果",
            Kind::Pay => "到期待拨付的款项",
            Kind::Confirm => "待确认收款",
            Kind::Disputed => "社区有异议的拨款",
            Kind::Evaluate => "待评价的合同",
            Kind::Evaluation => "收到的评价",
            Kind::PeriodEnd => "准入期限临近或届满",
            Kind::Report => "待处理的擅自下沉报告",
            Kind::Arbitrate => "待处理的争议",
            Kind::Assessment => "待决定的半年评估",
        }
    }
}

/// Where a deadline stands today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Ahead,
    Near,
    Overdue,
}

pub fn stage(due: NaiveDate, today: NaiveDate) -> Stage {
    let left = (due - today).num_days();
    if left < 0 {
        Stage::Overdue
    } else if left <= NEAR_DAYS {
        Stage::Near
    } else {
        Stage::Ahead
    }
}

/// One item of work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = InboxItem)]
pub struct Item {
    /// Stable while the work and its deadline's stage stay the same.
    pub id: String,
    pub kind: Kind,
    pub title: String,
    /// The page where the work is done.
    pub link: String,
    pub due: Option<NaiveDate>,
    pub read: bool,
}

impl Item {
    /// An item without a deadline. `record` names the work in the id: a record's id, or
    /// the id and a version when the same record asks for new work (a dispute answered).
    pub fn new(kind: Kind, record: impl std::fmt::Display, title: String, link: String) -> Item {
        Item { id: format!("{}-{record}", kind.as_str()), kind, title, link, due: None, read: false }
    }

    /// An item with a deadline: its id and title say whether it is near or passed.
    pub fn due(kind: Kind, record: impl std::fmt::Display, title: &str, link: String, due: NaiveDate, today: NaiveDate) -> Item {
        let (suffix, prefix) = match stage(due, today) {
            Stage::Ahead => ("", ""),
            Stage::Near => ("-near", "【即将到期】"),
            Stage::Overdue => ("-overdue", "【已逾期】"),
        };
        Item { id: format!("{}-{record}{suffix}", kind.as_str()), kind, title: format!("{prefix}{title}"), link, due: Some(due), read: false }
    }
}

/// Most urgent first: overdue, then by due date, then the rest newest first.
pub fn sort(items: &mut [Item]) {
    items.sort_by(|a, b| match (a.due, b.due) {
        (Some(x), Some(y)) => x.cmp(&y).then_with(|| a.id.cmp(&b.id)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.kind.cmp(&b.kind).then_with(|| b.id.cmp(&a.id)),
    });
}

/// The dashboard's to-do counts: each kind present, in the order of `Kind::ALL`.
pub fn counts(items: &[Item]) -> Vec<(Kind, usize)> {
    Kind::ALL.iter().map(|k| (*k, items.iter().filter(|i| i.kind == *k).count())).filter(|(_, n)| *n > 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_deadline_is_near_three_days_ahead_and_overdue_the_day_after() {
        let due = d("2026-03-10");
        assert_eq!(stage(due, d("2026-03-06")), Stage::Ahead);
        assert_eq!(stage(due, d("2026-03-07")), Stage::Near);
        assert_eq!(stage(due, d("2026-03-10")), Stage::Near);
        assert_eq!(stage(due, d("2026-03-11")), Stage::Overdue);
    }

    #[test]
    fn a_deadline_item_is_a_new_item_at_each_stage() {
        let at = |today| Item::due(Kind::Confirm, 7, "确认收款", "/x".into(), d("2026-03-10"), d(today));
        let (ahead, near, late) = (at("2026-03-01"), at("2026-03-09"), at("2026-03-12"));
        assert_eq!((ahead.id.as_str(), near.id.as_str(), late.id.as_str()), ("confirm-7", "confirm-7-near", "confirm-7-overdue"));
        assert!(late.title.starts_with("【已逾期】"));
    }

    #[test]
    fn overdue_work_comes_first() {
        let mut items = vec![
            Item::new(Kind::Review, 1, "a".into(), "/".into()),
            Item::due(Kind::Confirm, 2, "b", "/".into(), d("2026-03-20"), d("2026-03-01")),
            Item::due(Kind::Confirm, 3, "c", "/".into(), d("2026-02-20"), d("2026-03-01")),
        ];
        sort(&mut items);
        let ids: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, ["confirm-3-overdue", "confirm-2", "review-1"]);
        assert_eq!(counts(&items), vec![(Kind::Review, 1), (Kind::Confirm, 2)]);
    }
}
