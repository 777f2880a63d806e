//! Disputes decided (001 §三(五); 002 §三(五)4: the community is rated only by the
//! contract, and civil affairs supervises). Three things a community can contest, each
//! decided by civil affairs with a written reason:
//! - a deliverable the department rejected a second time (the department could otherwise
//!   reject forever and hold back the instalment the clause releases): overturned, the
//!   deliverable is accepted and its instalment may be paid;
//! - an evaluation it objected to: overturned, the evaluation is set aside;
//! - a termination by the department: overturned, the termination is found unjustified
//!   (the contract stays ended; what was done is for the department to settle).
pub mod api;
pub mod pages;
pub mod store;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Rejections of the same clause's deliverable after which the community may ask for
/// arbitration.
pub const REJECTIONS_FOR_ARBITRATION: usize = 2;
/// Days after a termination within which the community may contest it.
pub const TERMINATION_OBJECTION_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DisputeKind)]
pub enum Kind {
    Deliverable,
    Evaluation,
    Termination,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deliverable => "deliverable",
            Kind::Evaluation => "evaluation",
            Kind::Termination => "termination",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Deliverable, Kind::Evaluation, Kind::Termination].into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Deliverable => "成果验收争议（两次退回）",
            Kind::Evaluation => "评价异议",
            Kind::Termination => "合同终止异议",
        }
    }

    /// What "overturned" means for this kind.
    pub fn overturned_label(self) -> &'static str {
        match self {
            Kind::Deliverable => "改判：成果验收合格",
            Kind::Evaluation => "改判：该评价不予采用",
            Kind::Termination => "改判：终止理由不成立，由部门结算已完成的工作",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DisputeStatus)]
pub enum Status {
    Open,
    /// The department's act stands.
    Upheld,
    /// The community is right.
    Overturned,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Upheld => "upheld",
            Status::Overturned => "overturned",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [Status::Open, Status::Upheld, Status::Overturned].into_iter().find(|k| k.as_str() == s)
    }
}

/// Civil affairs' decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = DisputeDecision)]
pub enum Decision {
    /// The department's rejection, evaluation or termination stands.
    Uphold,
    /// The community is right.
    Overturn,
}

impl Decision {
    pub fn outcome(self) -> Status {
        match self {
            Decision::Uphold => Status::Upheld,
            Decision::Overturn => Status::Overturned,
        }
    }
}

/// Whether the community may ask for arbitration of a clause's deliverables: the latest
/// one is rejected, and the clause has been rejected at least twice.
pub fn arbitrable(statuses_oldest_first: &[&str]) -> bool {
    statuses_oldest_first.last() == Some(&"rejected") && statuses_oldest_first.iter().filter(|s| **s == "rejected").count() >= REJECTIONS_FOR_ARBITRATION
}

/// The deliverables of a contract the community may take to arbitration: per clause (by
/// number, which stays across amendments; `number_of` maps a clause id of any version),
/// the latest one, when `arbitrable`.
pub fn arbitrable_deliverables(deliverables: &[entity::deliverable::Model], number_of: impl Fn(i64) -> Option<i32>) -> Vec<i64> {
    let mut by_clause: std::collections::BTreeMap<Option<i32>, Vec<&entity::deliverable::Model>> = Default::default();
    for d in deliverables {
        by_clause.entry(number_of(d.clause_id)).or_default().push(d);
    }
    by_clause
        .into_values()
        .filter_map(|mut ds| {
            ds.sort_by_key(|d| d.id);
            arbitrable(&ds.iter().map(|d| d.status.as_str()).collect::<Vec<_>>()).then(|| ds.last().map(|d| d.id)).flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arbitration_opens_after_the_second_rejection_of_the_latest_deliverable() {
        assert!(!arbitrable(&[]));
        assert!(!arbitrable(&["rejected"]), "once: deliver again");
        assert!(arbitrable(&["rejected", "rejected"]));
        assert!(!arbitrable(&["rejected", "rejected", "submitted"]), "delivered a third time: wait for the decision");
        assert!(!arbitrable(&["rejected", "rejected", "accepted"]));
        assert!(arbitrable(&["rejected", "submitted", "rejected"]));
    }

    #[test]
    fn only_the_latest_of_a_clause_rejected_twice_goes_to_arbitration() {
        let d = |id: i64, clause: i64, status: &str| entity::deliverable::Model {
            id,
            county_id: 1,
            contract_id: 1,
            clause_id: clause,
            summary: String::new(),
            status: status.into(),
            decision_comment: None,
            submitted_by: 1,
            decided_by: None,
            created_at: chrono::Utc::now(),
            decided_at: None,
        };
        // Clause 3 has ids 10 (version 1) and 20 (version 2): one clause across the amendment.
        let number = |id: i64| match id {
            10 | 20 => Some(3),
            11 => Some(4),
            _ => None,
        };
        let ds = [d(1, 10, "rejected"), d(2, 20, "rejected"), d(3, 11, "rejected")];
        assert_eq!(arbitrable_deliverables(&ds, number), vec![2]);
        let ds = [d(1, 10, "rejected"), d(2, 20, "rejected"), d(4, 20, "submitted"), d(3, 11, "rejected"), d(5, 11, "rejected")];
        assert_eq!(arbitrable_deliverables(&ds, number), vec![5]);
    }

    #[test]
    fn names_round_trip() {
        for k in [Kind::Deliverable, Kind::Evaluation, Kind::Termination] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for s in [Status::Open, Status::Upheld, Status::Overturned] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
