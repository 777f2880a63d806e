//! Funds follow the task (费随事转; seed 001 §三(二), 000 §二(三)2, 004 Yingjiang): every
//! movement of money is a balanced journal entry; balances are derived from the lines.
//!
//! Accounts (debit-positive balances):
//! - `approp:{dept}:{year}`  the finance bureau's allocation (a credit-balance source)
//! - `budget:{dept}:{year}`  what the department has not yet committed
//! - `commit:{contract}`     committed to a contract and not yet paid
//! - `paid:{contract}`       paid to the community, not yet confirmed
//! - `received:{contract}`   confirmed by the community
//!
//! Movements: budget set/adjusted (approp → budget), commitment when a contract becomes
//! active (budget → commit), release when it ends unpaid (commit → budget), disbursement
//! (commit → paid), receipt (paid → received). No balance but the allocation's may go
//! negative; that single rule gives committed ≤ budget, disbursed ≤ contract amount and
//! confirmed ≤ disbursed.
pub mod api;
pub mod pages;
pub mod photo;
pub mod schedule;
pub mod store;

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::money::Money;

pub fn approp(dept: i64, year: i32) -> String {
    format!("approp:{dept}:{year}")
}
pub fn budget(dept: i64, year: i32) -> String {
    format!("budget:{dept}:{year}")
}
pub fn commit(contract: i64) -> String {
    format!("commit:{contract}")
}
pub fn paid(contract: i64) -> String {
    format!("paid:{contract}")
}
pub fn received(contract: i64) -> String {
    format!("received:{contract}")
}

/// One line: positive `fen` debits the account, negative credits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub account: String,
    pub fen: i64,
}

/// A balanced movement of `amount` from one account to another.
pub fn transfer(from: &str, to: &str, amount: Money) -> Vec<Line> {
    vec![Line { account: to.into(), fen: amount.fen() }, Line { account: from.into(), fen: -amount.fen() }]
}

/// Balances by account, from lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Book(pub BTreeMap<String, i64>);

impl Book {
    pub fn post(&mut self, lines: &[Line]) {
        for l in lines {
            *self.0.entry(l.account.clone()).or_default() += l.fen;
        }
    }
    pub fn balance(&self, account: &str) -> Money {
        Money::from_fen(self.0.get(account).copied().unwrap_or(0))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FundsError {
    /// Committing more than the department's uncommitted budget.
    BudgetExceeded { available: Money },
    /// Paying more than the contract has left.
    ContractAmountExceeded { remaining: Money },
    /// Paying more than the milestone has left.
    MilestoneAlreadyPaid,
    NotPositive,
    /// Lowering a budget below what is already committed.
    BelowCommitted { committed: Money },
}

impl FundsError {
    pub fn code(&self) -> &'static str {
        match self {
            FundsError::BudgetExceeded { .. } => "BUDGET_EXCEEDED",
            FundsError::ContractAmountExceeded { .. } => "CONTRACT_AMOUNT_EXCEEDED",
            FundsError::MilestoneAlreadyPaid => "MILESTONE_ALREADY_PAID",
            FundsError::NotPositive => "VALIDATION_FAILED",
            FundsError::BelowCommitted { .. } => "BUDGET_BELOW_COMMITTED",
        }
    }
    pub fn message(&self) -> String {
        match self {
            FundsError::BudgetExceeded { available } => format!("超出部门本年度购买服务预算，尚可使用 {}", available.grouped()),
            FundsError::ContractAmountExceeded { remaining } => format!("超出合同剩余未付金额 {}", remaining.grouped()),
            FundsError::MilestoneAlreadyPaid => "该付款节点已付清".into(),
            FundsError::NotPositive => "金额须大于零".into(),
            FundsError::BelowCommitted { committed } => format!("预算不能低于已承诺金额 {}", committed.grouped()),
        }
    }
}

/// Sets a department's budget for a year to `amount`: the entry moves the difference.
pub fn set_budget(book: &Book, dept: i64, year: i32, amount: Money) -> Result<Vec<Line>, FundsError> {
    let allocated = Money::from_fen(-book.balance(&approp(dept, year)).fen());
    let available = book.balance(&budget(dept, year));
    let committed = Money::from_fen(allocated.fen() - available.fen());
    if amount.fen() < 0 {
        return Err(FundsError::NotPositive);
    }
    if amount < committed {
        return Err(FundsError::BelowCommitted { committed });
    }
    Ok(transfer(&approp(dept, year), &budget(dept, year), Money::from_fen(amount.fen() - allocated.fen())))
}

/// Commits `amount` of the department's budget to a contract (or more, for an amendment).
pub fn commit_to(book: &Book, dept: i64, year: i32, contract: i64, amount: Money) -> Result<Vec<Line>, FundsError> {
    let available = book.balance(&budget(dept, year));
    if amount > available {
        return Err(FundsError::BudgetExceeded { available });
    }
    Ok(transfer(&budget(dept, year), &commit(contract), amount))
}

/// Gives back to the budget what a contract no longer needs (termination, a smaller
/// amendment): at most what is committed and unpaid.
pub fn release(book: &Book, dept: i64, year: i32, contract: i64, amount: Money) -> Vec<Line> {
    let amount = amount.min(book.balance(&commit(contract)));
    transfer(&commit(contract), &budget(dept, year), amount)
}

/// Pays `amount` to the community against a milestone with `milestone_left` unpaid.
pub fn disburse(book: &Book, contract: i64, milestone_left: Money, amount: Money) -> Result<Vec<Line>, FundsError> {
    if !amount.is_positive() {
        return Err(FundsError::NotPositive);
    }
    if !milestone_left.is_positive() {
        return Err(FundsError::MilestoneAlreadyPaid);
    }
    let remaining = book.balance(&commit(contract));
    if amount > remaining {
        return Err(FundsError::ContractAmountExceeded { remaining });
    }
    if amount > milestone_left {
        return Err(FundsError::ContractAmountExceeded { remaining: milestone_left });
    }
    Ok(transfer(&commit(contract), &paid(contract), amount))
}

/// The community confirms a payment it received.
pub fn confirm(contract: i64, amount: Money) -> Vec<Line> {
    transfer(&paid(contract), &received(contract), amount)
}

/// A broken invariant, as `verify-ledger` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Breach {
    pub rule: String,
    pub detail: String,
}

/// Checks every entry balances and no account but an allocation is negative (which is
/// committed ≤ budget, disbursed ≤ contract amount, confirmed ≤ disbursed).
pub fn verify(entries: &[(i64, Vec<Line>)]) -> Vec<Breach> {
    let mut out = Vec::new();
    let mut book = Book::default();
    for (id, lines) in entries {
        let sum: i64 = lines.iter().map(|l| l.fen).sum();
        if sum != 0 {
            out.push(Breach { rule: "debits = credits".into(), detail: format!("entry {id} is off by {sum} fen") });
        }
        book.post(lines);
    }
    out.extend(book.0.iter().filter_map(|(account, fen)| negative(account, *fen)));
    out
}

/// The breach a negative balance is, if it is one: only an allocation may go negative.
fn negative(account: &str, fen: i64) -> Option<Breach> {
    if fen >= 0 || account.starts_with("approp:") {
        return None;
    }
    let rule = match account.split(':').next() {
        Some("budget") => "committed ≤ budget",
        Some("commit") => "disbursed ≤ contract amount",
        Some("paid") => "confirmed ≤ disbursed",
        _ => "no negative balance",
    };
    Some(Breach { rule: rule.into(), detail: format!("{account} = {}", Money::from_fen(fen)) })
}

/// Balances per (county, account) summed from the lines against the running balances the
/// payments check: each must equal the other, and none may be negative (see `verify`).
pub fn check_balances(from_lines: &BTreeMap<(i64, String), i64>, kept: &BTreeMap<(i64, String), i64>) -> Vec<Breach> {
    let mut out: Vec<Breach> = from_lines.iter().filter_map(|((_, account), fen)| negative(account, *fen)).collect();
    for key in from_lines.keys().chain(kept.keys().filter(|k| !from_lines.contains_key(*k))) {
        let (lines, running) = (from_lines.get(key).copied().unwrap_or(0), kept.get(key).copied().unwrap_or(0));
        if lines != running {
            out.push(Breach {
                rule: "running balance = lines".into(),
                detail: format!("{} (county {}): lines {}, running balance {}", key.1, key.0, Money::from_fen(lines), Money::from_fen(running)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(y: i64) -> Money {
        Money::from_yuan(y)
    }

    #[test]
    fn the_life_of_a_contract() {
        let mut b = Book::default();
        b.post(&set_budget(&b, 1, 2026, m(10_000)).unwrap());
        assert_eq!(b.balance(&budget(1, 2026)), m(10_000));
        assert_eq!(commit_to(&b, 1, 2026, 7, m(10_001)), Err(FundsError::BudgetExceeded { available: m(10_000) }));
        b.post(&commit_to(&b, 1, 2026, 7, m(3000)).unwrap());
        assert_eq!(set_budget(&b, 1, 2026, m(2999)), Err(FundsError::BelowCommitted { committed: m(3000) }));
        b.post(&set_budget(&b, 1, 2026, m(5000)).unwrap());
        assert_eq!(b.balance(&budget(1, 2026)), m(2000));
        b.post(&disburse(&b, 7, m(900), m(900)).unwrap());
        assert_eq!(disburse(&b, 7, m(2100), m(2101)).unwrap_err().code(), "CONTRACT_AMOUNT_EXCEEDED");
        assert_eq!(disburse(&b, 7, Money::ZERO, m(1)), Err(FundsError::MilestoneAlreadyPaid));
        b.post(&confirm(7, m(900)));
        assert_eq!((b.balance(&commit(7)), b.balance(&paid(7)), b.balance(&received(7))), (m(2100), Money::ZERO, m(900)));
        b.post(&release(&b, 1, 2026, 7, m(5000)));
        assert_eq!(b.balance(&commit(7)), Money::ZERO);
        assert_eq!(b.balance(&budget(1, 2026)), m(4100));
    }

    #[test]
    fn verify_finds_breaches() {
        let good = vec![(1, transfer("approp:1:2026", "budget:1:2026", m(5)))];
        assert!(verify(&good).is_empty());
        let unbalanced = vec![(2, vec![Line { account: "budget:1:2026".into(), fen: 100 }])];
        assert_eq!(verify(&unbalanced)[0].rule, "debits = credits");
        let overpaid = vec![(3, transfer("commit:9", "paid:9", m(1)))];
        assert_eq!(verify(&overpaid)[0].rule, "disbursed ≤ contract amount");
    }

    #[derive(Clone, Debug)]
    enum Op {
        SetBudget(i64),
        Commit(i64, i64),
        Disburse(i64, i64),
        Confirm(i64, i64),
        Release(i64, i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0i64..2_000_000).prop_map(Op::SetBudget),
            (0i64..3, 1i64..800_000).prop_map(|(c, a)| Op::Commit(c, a)),
            (0i64..3, 1i64..400_000).prop_map(|(c, a)| Op::Disburse(c, a)),
            (0i64..3, 1i64..400_000).prop_map(|(c, a)| Op::Confirm(c, a)),
            (0i64..3, 1i64..400_000).prop_map(|(c, a)| Op::Release(c, a)),
        ]
    }

    proptest! {
        /// Whatever sequence of operations is tried, what the rules let through keeps
        /// every invariant, and the money adds up.
        #[test]
        fn random_operations_keep_every_invariant(ops in proptest::collection::vec(op(), 1..60)) {
            let mut book = Book::default();
            let mut entries = Vec::new();
            for (i, o) in ops.into_iter().enumerate() {
                let lines = match o {
                    Op::SetBudget(a) => set_budget(&book, 1, 2026, Money::from_fen(a)).ok(),
                    Op::Commit(c, a) => commit_to(&book, 1, 2026, c, Money::from_fen(a)).ok(),
                    Op::Disburse(c, a) => disburse(&book, c, Money::from_fen(a), Money::from_fen(a)).ok(),
                    // The store confirms only what a paid disbursement carried; model it by
                    // confirming no more than is paid.
                    Op::Confirm(c, a) => {
                        let a = Money::from_fen(a).min(book.balance(&paid(c)));
                        Some(confirm(c, a))
                    }
                    Op::Release(c, a) => Some(release(&book, 1, 2026, c, Money::from_fen(a))),
                };
                if let Some(lines) = lines {
                    book.post(&lines);
                    entries.push((i as i64, lines));
                }
                prop_assert!(verify(&entries).is_empty(), "{:?}", verify(&entries));
            }
            // Everything allocated is somewhere: uncommitted, committed, paid or received.
            let total: i64 = book.0.values().sum();
            prop_assert_eq!(total, 0);
        }
    }
}
