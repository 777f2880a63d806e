//! The tasks a community holds: each contract it works under, from which department, with
//! its money (received, waiting for its confirmation, disputed, still owed) and what it has
//! to deliver next, by clause and deadline.
//!
//! A performance clause's deadline is the due date of the first instalment it releases
//! (the contract's payment schedule ties instalments to clauses); a clause no instalment
//! depends on has no deadline of its own and is not listed.
pub mod api;
pub mod pages;
pub mod store;
pub mod workload;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::{contract_clause, contract_milestone, deliverable};
use serde::Serialize;
use utoipa::ToSchema;

/// Where a clause's deliverable stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueState {
    /// Nothing delivered yet.
    Open,
    /// Sent back by the department: deliver again.
    Rejected,
    /// Delivered, waiting for the department's decision.
    Submitted,
}

impl DueState {
    pub fn label(self) -> &'static str {
        match self {
            DueState::Open => "待提交",
            DueState::Rejected => "被退回，待重新提交",
            DueState::Submitted => "已提交，待验收",
        }
    }

    /// Whether the community has something to do.
    pub fn is_on_community(self) -> bool {
        self != DueState::Submitted
    }
}

/// A performance clause not yet accepted, with its deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClauseDue {
    /// The clause in the version in force (the deliverable form's choice).
    pub clause_id: i64,
    pub number: i32,
    pub title: String,
    pub due: NaiveDate,
    pub state: DueState,
    /// The department's reason when it sent the deliverable back.
    pub comment: Option<String>,
}

/// The clauses of one contract still to be delivered, earliest deadline first.
///
/// `clauses` and `milestones` are those of the version in force; `numbers` maps the id of
/// a clause of any version to its number, because a deliverable stays with its clause
/// across amendments (clauses keep their numbers, not their ids).
pub fn deadlines(
    clauses: &[contract_clause::Model],
    milestones: &[contract_milestone::Model],
    numbers: &HashMap<i64, i32>,
    deliverables: &[deliverable::Model],
) -> Vec<ClauseDue> {
    // The latest deliverable of each clause number decides its state.
    let mut latest: HashMap<i32, &deliverable::Model> = HashMap::new();
    for d in deliverables {
        let Some(n) = numbers.get(&d.clause_id) else { continue };
        let e = latest.entry(*n).or_insert(d);
        if d.id > e.id {
            *e = d;
        }
    }
    let mut out: Vec<ClauseDue> = clauses
        .iter()
        .filter(|k| k.performance)
        .filter_map(|k| {
            let due = milestones.iter().filter(|m| m.clause_id == Some(k.id)).map(|m| m.due).min()?;
            let (state, comment) = match latest.get(&k.number) {
                None => (DueState::Open, None),
                Some(d) if d.status == "accepted" => return None,
                Some(d) if d.status == "rejected" => (DueState::Rejected, d.decision_comment.clone()),
                Some(_) => (DueState::Submitted, None),
            };
            Some(ClauseDue { clause_id: k.id, number: k.number, title: k.title.clone(), due, state, comment })
        })
        .collect();
    out.sort_by_key(|d| (d.due, d.number));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn clause(id: i64, number: i32, performance: bool) -> contract_clause::Model {
        contract_clause::Model { id, county_id: 1, contract_id: 1, version: 1, number, title: format!("第{number}条"), text: String::new(), performance }
    }

    fn milestone(id: i64, due: &str, clause_id: Option<i64>) -> contract_milestone::Model {
        contract_milestone::Model { id, county_id: 1, contract_id: 1, version: 1, seq: id as i32, key: id as i32, due: due.parse().unwrap(), amount_fen: 100, clause_id }
    }

    fn delivered(id: i64, clause_id: i64, status: &str) -> deliverable::Model {
        deliverable::Model {
            id,
            county_id: 1,
            contract_id: 1,
            clause_id,
            summary: "成果".into(),
            status: status.into(),
            decision_comment: (status == "rejected").then(|| "照片不清".into()),
            submitted_by: 1,
            decided_by: None,
            created_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            decided_at: None,
        }
    }

    #[test]
    fn a_clause_is_due_by_its_first_instalment_until_accepted() {
        let clauses = [clause(10, 3, true), clause(11, 4, true), clause(12, 5, false), clause(13, 6, true)];
        // Clause 4 releases two instalments: its deadline is the earlier. Clause 6 releases none.
        let ms = [milestone(1, "2026-06-30", Some(11)), milestone(2, "2026-03-31", Some(11)), milestone(3, "2026-04-30", Some(10)), milestone(4, "2026-01-31", None)];
        let numbers: HashMap<i64, i32> = clauses.iter().map(|k| (k.id, k.number)).collect();
        let due = deadlines(&clauses, &ms, &numbers, &[]);
        assert_eq!(due.iter().map(|d| (d.number, d.due.to_string(), d.state)).collect::<Vec<_>>(), vec![(4, "2026-03-31".to_string(), DueState::Open), (3, "2026-04-30".to_string(), DueState::Open)]);

        // Submitted, then rejected, then accepted: the latest deliverable decides.
        let due = deadlines(&clauses, &ms, &numbers, &[delivered(1, 11, "submitted")]);
        assert_eq!(due[0].state, DueState::Submitted);
        let due = deadlines(&clauses, &ms, &numbers, &[delivered(1, 11, "submitted"), delivered(2, 11, "rejected")]);
        assert_eq!((due[0].state, due[0].comment.as_deref()), (DueState::Rejected, Some("照片不清")));
        let due = deadlines(&clauses, &ms, &numbers, &[delivered(2, 11, "rejected"), delivered(3, 11, "accepted")]);
        assert_eq!(due.iter().map(|d| d.number).collect::<Vec<_>>(), vec![3]);
    }

    #[test]
    fn a_deliverable_stays_with_its_clause_across_an_amendment() {
        // Version 2 renumbers nothing but gives the clause a new id; the old deliverable counts.
        let v2 = [clause(20, 3, true)];
        let ms = [milestone(5, "2026-09-30", Some(20))];
        let numbers: HashMap<i64, i32> = [(10, 3), (20, 3)].into_iter().collect();
        assert!(deadlines(&v2, &ms, &numbers, &[delivered(1, 10, "accepted")]).is_empty());
        assert_eq!(deadlines(&v2, &ms, &numbers, &[delivered(1, 10, "submitted")])[0].state, DueState::Submitted);
        // A deliverable of another contract's clause (unknown id) is ignored.
        assert_eq!(deadlines(&v2, &ms, &numbers, &[delivered(1, 99, "accepted")])[0].state, DueState::Open);
    }
}
