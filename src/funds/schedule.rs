//! What the finance bureau may pay on each instalment now. One predicate for the payment
//! itself, the contract page's pay forms and the finance inbox, so that no page offers a
//! payment the store then refuses (issue 27: the page summed payments per instalment row,
//! while an instalment keeps its key, and what was paid on it, across amendments).
use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::money::Money;

/// One instalment of one version of a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub id: i64,
    pub version: i32,
    /// The instalment's identity across versions: what was paid under one stays paid.
    pub key: i32,
    pub seq: i32,
    pub due: NaiveDate,
    pub amount: Money,
    /// The performance clause whose accepted deliverable releases it; None: paid when due.
    pub clause_id: Option<i64>,
}

/// A contract's instalments (every version) and what bears on paying them.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    pub current_version: i32,
    pub instalments: Vec<Instalment>,
    /// Clause id (any version) → its number: numbers identify a clause across versions.
    pub clause_numbers: HashMap<i64, i32>,
    /// Clause ids with an accepted deliverable.
    pub accepted: HashSet<i64>,
    /// What was paid on each instalment key, under any version.
    pub paid_by_key: HashMap<i32, Money>,
}

/// What can be paid on an instalment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payable {
    /// Not yet paid of its amount.
    pub left: Money,
    /// Payable now (≤ `left`).
    pub now: Money,
    /// Why the rest of `left` waits, in words for the clerk; None when nothing waits.
    pub held: Option<String>,
}

impl Schedule {
    /// The instalments of the version in force, in order.
    pub fn current(&self) -> impl Iterator<Item = &Instalment> {
        self.instalments.iter().filter(move |i| i.version == self.current_version)
    }

    pub fn paid(&self, key: i32) -> Money {
        self.paid_by_key.get(&key).copied().unwrap_or_default()
    }

    /// What an instalment of the version in force may be paid on `today`: what is left of
    /// it once it is due; for one tied to a clause, once a deliverable for the clause (by
    /// number, any version) was accepted, and no more than the version it was accepted
    /// under tied to the clause, less what the clause was paid: an amendment that raises
    /// the clause's amount makes the rise payable only after a new deliverable (issue 28).
    pub fn payable(&self, i: &Instalment, today: NaiveDate) -> Payable {
        let left = Money::from_fen((i.amount.fen() - self.paid(i.key).fen()).max(0));
        let held = |now: Money, why: String| Payable { left, now, held: (now < left).then_some(why) };
        if !left.is_positive() {
            return Payable { left, now: Money::ZERO, held: None };
        }
        let Some(clause) = i.clause_id else {
            return if i.due > today { held(Money::ZERO, format!("该节点应付日期为{}，尚未到期", i.due)) } else { Payable { left, now: left, held: None } };
        };
        let Some(cover) = self.cover(clause) else {
            return held(Money::ZERO, "该节点对应的履约条款成果尚未验收合格，不能拨付".into());
        };
        let clause_paid: i64 = self.current().filter(|j| j.clause_id == Some(clause)).map(|j| self.paid(j.key).fen()).sum();
        let now = Money::from_fen(left.fen().min(cover.fen() - clause_paid).max(0));
        held(now, format!("该条款的金额经合同变更增加，增加部分须在该条款新提交的成果验收合格后拨付（已验收的成果现可拨付{now}元）"))
    }

    /// What the accepted deliverables of the clause's number cover: for each, what its
    /// version tied to its clause in all; the most of them. None when none was accepted.
    fn cover(&self, clause: i64) -> Option<Money> {
        let number = self.clause_numbers.get(&clause)?;
        self.accepted
            .iter()
            .filter(|x| self.clause_numbers.get(x) == Some(number))
            .map(|x| self.instalments.iter().filter(|i| i.clause_id == Some(*x)).map(|i| i.amount.fen()).sum::<i64>())
            .max()
            .map(Money::from_fen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }
    fn y(n: i64) -> Money {
        Money::from_yuan(n)
    }
    fn inst(id: i64, version: i32, key: i32, amount: i64, clause_id: Option<i64>) -> Instalment {
        Instalment { id, version, key, seq: key, due: d(4, 30), amount: y(amount), clause_id }
    }

    /// 3,000: an advance of 900 on 1 March, 2,100 on clause 3 (id 30 in version 1).
    fn signed() -> Schedule {
        Schedule {
            current_version: 1,
            instalments: vec![Instalment { due: d(3, 1), ..inst(1, 1, 1, 900, None) }, inst(2, 1, 2, 2100, Some(30))],
            clause_numbers: HashMap::from([(30, 3)]),
            ..Default::default()
        }
    }

    #[test]
    fn an_instalment_is_paid_when_due_or_when_its_clause_was_accepted() {
        let mut s = signed();
        let (advance, last) = (s.instalments[0].clone(), s.instalments[1].clone());
        assert_eq!(s.payable(&advance, d(2, 28)).now, Money::ZERO);
        assert!(s.payable(&advance, d(2, 28)).held.unwrap().contains("尚未到期"));
        assert_eq!(s.payable(&advance, d(3, 1)), Payable { left: y(900), now: y(900), held: None });
        assert!(s.payable(&last, d(5, 1)).held.unwrap().contains("尚未验收"));
        s.accepted.insert(30);
        assert_eq!(s.payable(&last, d(1, 1)).now, y(2100), "a clause is paid on acceptance, whatever the date");
        s.paid_by_key.insert(2, y(2000));
        assert_eq!(s.payable(&last, d(1, 1)), Payable { left: y(100), now: y(100), held: None });
    }

    #[test]
    fn what_was_paid_follows_the_key_across_versions() {
        let mut s = signed();
        s.paid_by_key.insert(1, y(900));
        // Amended: the paid advance is carried as key 1 with a new id; the page once
        // summed payments per id and offered to pay it again.
        s.current_version = 2;
        s.instalments.extend([Instalment { due: d(3, 1), ..inst(3, 2, 1, 900, None) }, inst(4, 2, 5, 2600, Some(31))]);
        s.clause_numbers.insert(31, 3);
        let carried = s.instalments[2].clone();
        assert_eq!(s.payable(&carried, d(5, 1)), Payable { left: Money::ZERO, now: Money::ZERO, held: None });
        assert_eq!(s.current().map(|i| i.id).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn a_rise_after_acceptance_waits_for_a_new_deliverable() {
        let mut s = signed();
        s.accepted.insert(30);
        s.current_version = 2;
        s.instalments.push(inst(4, 2, 5, 2450, Some(31)));
        s.clause_numbers.insert(31, 3);
        let raised = s.instalments[2].clone();
        let p = s.payable(&raised, d(5, 1));
        assert_eq!((p.left, p.now), (y(2450), y(2100)));
        assert!(p.held.unwrap().contains("增加部分"));
        s.accepted.insert(31);
        assert_eq!(s.payable(&raised, d(5, 1)), Payable { left: y(2450), now: y(2450), held: None });
    }

    #[test]
    fn a_rise_on_a_clause_paid_in_full_pays_nothing_until_covered() {
        let mut s = signed();
        s.accepted.insert(30);
        s.paid_by_key.insert(2, y(2100));
        s.current_version = 2;
        s.instalments.extend([inst(3, 2, 2, 2100, Some(31)), inst(4, 2, 6, 500, Some(31))]);
        s.clause_numbers.insert(31, 3);
        let rise = s.instalments[3].clone();
        let p = s.payable(&rise, d(5, 1));
        assert_eq!((p.left, p.now), (y(500), Money::ZERO));
        assert!(p.held.is_some());
        s.accepted.insert(31);
        assert_eq!(s.payable(&rise, d(5, 1)).now, y(500));
    }
}
