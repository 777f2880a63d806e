//! The one owner of the task–contract–funds lifecycle (issue 10). Which state may follow
//! which, what a contract needs of its admission, how much of an admission's budget each
//! contract holds, how instalments keep their identity across amendments, when a contract
//! closes, and which breaches `verify-ledger` reports: plain functions over plain types,
//! tested without a database. `store.rs` persists what these functions decide; nothing
//! else changes a status.
//!
//! Seeds: 001 §二(一) (先进后批 must still be approved, or the task is withdrawn; 工作完成后
//! 撤销), §三(二) and 004 Yingjiang (费随事转: the task enters a community with its money).
pub mod store;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::admission::Status as AdmissionStatus;
use crate::contracts::Instalment;
use crate::funds::Breach;
use crate::money::Money;

/// A contract's status. Stored as its `as_str`; an unknown value is an error, never a
/// silent default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ContractStatus)]
pub enum ContractStatus {
    Draft,
    Active,
    Completed,
    Closed,
    Terminated,
}

impl ContractStatus {
    pub const ALL: [ContractStatus; 5] =
        [ContractStatus::Draft, ContractStatus::Active, ContractStatus::Completed, ContractStatus::Closed, ContractStatus::Terminated];

    pub fn as_str(self) -> &'static str {
        match self {
            ContractStatus::Draft => "draft",
            ContractStatus::Active => "active",
            ContractStatus::Completed => "completed",
            ContractStatus::Closed => "closed",
            ContractStatus::Terminated => "terminated",
        }
    }

    pub fn parse(s: &str) -> Option<ContractStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ContractStatus::Draft => "草稿（待双方签署）",
            ContractStatus::Active => "履行中",
            ContractStatus::Completed => "已完成",
            ContractStatus::Closed => "已结案",
            ContractStatus::Terminated => "已终止",
        }
    }

    /// Still able to bind or move money.
    pub fn is_open(self) -> bool {
        matches!(self, ContractStatus::Draft | ContractStatus::Active | ContractStatus::Completed)
    }
}

/// A contract version: waiting for signatures, in force, replaced, or dropped unsigned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionStatus {
    Pending,
    Effective,
    Superseded,
    Void,
}

impl VersionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VersionStatus::Pending => "pending",
            VersionStatus::Effective => "effective",
            VersionStatus::Superseded => "superseded",
            VersionStatus::Void => "void",
        }
    }
    pub fn parse(s: &str) -> Option<VersionStatus> {
        [VersionStatus::Pending, VersionStatus::Effective, VersionStatus::Superseded, VersionStatus::Void].into_iter().find(|x| x.as_str() == s)
    }
}

/// Where an admitted task stands in one target community. It is `admitted` there once
/// approved (or entered early) and **enters** only with a signed contract (费随事转).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetStatus {
    /// Applied for, not decided.
    Pending,
    /// May be contracted there; not yet in the community.
    Admitted,
    /// In the community under a contract in force.
    Entered,
    /// Taken out before its end (rejected, overdue, revoked, contract terminated).
    Withdrawn,
    /// Done there (工作完成后撤销).
    Exited,
}

impl TargetStatus {
    pub const ALL: [TargetStatus; 5] =
        [TargetStatus::Pending, TargetStatus::Admitted, TargetStatus::Entered, TargetStatus::Withdrawn, TargetStatus::Exited];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetStatus::Pending => "pending",
            TargetStatus::Admitted => "admitted",
            TargetStatus::Entered => "entered",
            TargetStatus::Withdrawn => "withdrawn",
            TargetStatus::Exited => "exited",
        }
    }
    pub fn parse(s: &str) -> Option<TargetStatus> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            TargetStatus::Pending => "待审批",
            TargetStatus::Admitted => "已准入·待签合同",
            TargetStatus::Entered => "已进入（合同生效）",
            TargetStatus::Withdrawn => "已撤出",
            TargetStatus::Exited => "已退出",
        }
    }
}

/// Why a step is refused: a stable code and a Chinese message (409 at the API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal { code, message: message.into() }
}

// ---- The admission governs its contracts --------------------------------------------

/// What a contract step asks of its admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Use {
    /// Draft, sign or amend: binding the community to more work or money.
    Bind,
    /// Pay for work done.
    Pay,
}

/// What the lifecycle needs to know of an admission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionFacts {
    pub status: AdmissionStatus,
    /// Entered the communities before approval (先进后批).
    pub entered_early: bool,
    pub deadline: Option<NaiveDate>,
}

/// A contract may be drafted, signed, amended or paid only while its admission is in
/// force: admitted and not exited, or entered early and still within its approval
/// deadline. Once the work period is over (`completed`) what is owed may still be paid,
/// but nothing new is bound.
pub fn admission_in_force(a: &AdmissionFacts, today: NaiveDate, use_: Use) -> Result<(), Refusal> {
    use AdmissionStatus as S;
    match a.status {
        S::Admitted | S::InProgress => Ok(()),
        S::Completed if use_ == Use::Pay => Ok(()),
        S::EnteredPendingApproval | S::Reviewed if a.entered_early => match a.deadline {
            Some(d) if today <= d => Ok(()),
            Some(d) => Err(refuse(
                "ADMISSION_NOT_ADMITTED",
                format!("先进后批事项须于{d}前获得批准，已逾期未批：不能再签订、变更或拨付其购买服务合同"),
            )),
            None => Err(refuse("ADMISSION_NOT_ADMITTED", "先进后批事项没有审批期限")),
        },
        s => Err(refuse(
            "ADMISSION_NOT_ADMITTED",
            format!("准入事项当前为“{}”：只有已准入（或先进后批且在审批期限内）的事项才能签订、变更或拨付购买服务合同", s.label()),
        )),
    }
}

/// What ends an admission's contracts, and the reason recorded on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The emergency entry was rejected (先进后批未获批准).
    EmergencyRejected,
    /// The emergency entry's approval deadline passed without approval.
    EmergencyOverdue,
    /// Civil affairs revoked the admission.
    Revoked,
    /// The admission's period ended; drafts not yet signed lapse.
    PeriodEnded,
}

impl Ending {
    pub fn code(self) -> &'static str {
        match self {
            Ending::EmergencyRejected => "EMERGENCY_REJECTED",
            Ending::EmergencyOverdue => "EMERGENCY_OVERDUE",
            Ending::Revoked => "ADMISSION_REVOKED",
            Ending::PeriodEnded => "PERIOD_ENDED",
        }
    }
    pub fn reason(self) -> &'static str {
        match self {
            Ending::EmergencyRejected => "先进后批事项未获批准，任务撤出社区，合同未付部分终止；已付款项报财政局结算",
            Ending::EmergencyOverdue => "先进后批事项逾期未获批准，任务撤出社区，合同未付部分终止；已付款项报财政局结算",
            Ending::Revoked => "准入事项已撤销，任务退出社区，合同未付部分终止",
            Ending::PeriodEnded => "准入事项工作期限届满，未签署的合同草稿作废",
        }
    }
    /// Whether a contract in this state ends. A period that ends leaves signed contracts
    /// to be settled; every other ending stops all that is still open.
    pub fn ends(self, s: ContractStatus) -> bool {
        match self {
            Ending::PeriodEnded => s == ContractStatus::Draft,
            _ => s.is_open(),
        }
    }
}

// ---- Contract states ----------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContractStep {
    /// Both parties signed the first version.
    Activate,
    /// The department declares the work done.
    Complete,
    Close,
    Terminate,
}

pub fn contract_next(from: ContractStatus, step: ContractStep) -> Result<ContractStatus, Refusal> {
    use ContractStatus as C;
    let to = match (from, step) {
        (C::Draft, ContractStep::Activate) => C::Active,
        (C::Active, ContractStep::Complete) => C::Completed,
        (C::Active | C::Completed, ContractStep::Close) => C::Closed,
        (C::Draft | C::Active | C::Completed, ContractStep::Terminate) => C::Terminated,
        (from, _) => {
            let to = match step {
                ContractStep::Activate => C::Active,
                ContractStep::Complete => C::Completed,
                ContractStep::Close => C::Closed,
                ContractStep::Terminate => C::Terminated,
            };
            return Err(refuse("INVALID_STATE", format!("合同当前为“{}”，不能改为“{}”", from.label(), to.label())));
        }
    };
    Ok(to)
}

/// What decides whether a contract's life is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closing {
    pub amount: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    pub undecided_deliverables: bool,
    pub evaluated: bool,
}

/// A contract closes when its deliverables are decided, its whole amount paid and every
/// payment confirmed, and the department has evaluated it.
pub fn ready_to_close(c: &Closing) -> bool {
    c.disbursed >= c.amount && c.confirmed == c.disbursed && !c.undecided_deliverables && c.evaluated
}

// ---- Budgets ------------------------------------------------------------------------

/// A contract as the admission's budget sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Holding {
    pub status: ContractStatus,
    /// The amount of the version in force (a draft's first version).
    pub in_force: Money,
    /// The amount of an amendment waiting for signatures.
    pub pending: Option<Money>,
    pub disbursed: Money,
}

/// How much of its admission's budget a contract holds: a terminated one what it paid
/// (only the unpaid rest is released); any other the larger of its amount in force and a
/// pending amendment (a proposal counts until signed or withdrawn), never less than paid.
pub fn held(h: &Holding) -> Money {
    match h.status {
        ContractStatus::Terminated => h.disbursed,
        _ => h.in_force.max(h.pending.unwrap_or(Money::ZERO)).max(h.disbursed),
    }
}

/// What is left of an admission's budget for more contracts, given the holdings of its
/// contracts (a negative result means it is already over).
pub fn admission_room(budget: Money, holdings: &[Holding]) -> i64 {
    budget.fen() - holdings.iter().map(|h| held(h).fen()).sum::<i64>()
}

/// An amendment can never take the amount below what has been paid.
pub fn amount_not_below_paid(amount: Money, paid: Money) -> Result<(), Refusal> {
    if amount < paid {
        return Err(refuse("AMOUNT_BELOW_PAID", format!("变更后的合同金额不能低于已拨付的 {}", paid.grouped())));
    }
    Ok(())
}

// ---- Instalments across versions ----------------------------------------------------

/// What was paid on each instalment key. A payment names one version's instalment row;
/// the key (`key_of`: row id → key) is its identity across versions. A payment on a row
/// not in `key_of` counts under key -1, so it is never lost from the sum.
pub fn paid_by_key(key_of: &HashMap<i64, i32>, payments: impl IntoIterator<Item = (i64, i64)>) -> HashMap<i32, Money> {
    let mut out: HashMap<i32, Money> = HashMap::new();
    for (milestone, fen) in payments {
        let e = out.entry(key_of.get(&milestone).copied().unwrap_or(-1)).or_default();
        *e = Money::from_fen(e.fen() + fen);
    }
    out
}

/// An instalment of the version in force that has (partly) been paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settled {
    pub key: i32,
    pub seq: i32,
    pub due: NaiveDate,
    pub clause: Option<u32>,
    pub paid: Money,
}

/// One instalment of a version, with its identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub key: i32,
    pub due: NaiveDate,
    pub amount: Money,
    pub clause: Option<u32>,
}

/// The schedule of a new version. `fresh` is the template's schedule for the new amount
/// and period; `settled` what was paid on the version in force. Every paid instalment
/// keeps its key and becomes exactly what was paid on it (so it can never be paid
/// again); its slot in the fresh schedule (the same month for a monthly schedule, the
/// same position otherwise) is taken; the rest of the amount is spread over the open
/// slots in the proportions of the fresh schedule. An open slot keeps the key of the
/// unpaid instalment of the version in force in the same slot (so open data names it
/// `instalment-2` in every version, issue 26); a slot that had none gets a new key from
/// `next_key`. With nothing in force, the keys are `next_key`, … in order.
pub fn carry_plan(fresh: &[Instalment], settled: &[Settled], next_key: i32, monthly: bool) -> Result<Vec<Planned>, Refusal> {
    let total: i64 = fresh.iter().map(|i| i.amount.fen()).sum();
    let kept: Vec<&Settled> = settled.iter().filter(|s| s.paid.is_positive()).collect();
    let paid: i64 = kept.iter().map(|s| s.paid.fen()).sum();
    amount_not_below_paid(Money::from_fen(total), Money::from_fen(paid))?;
    let same_slot = |s: &Settled, pos: usize, f: &Instalment| {
        if monthly { (s.due.year(), s.due.month()) == (f.due.year(), f.due.month()) } else { s.seq as usize == pos + 1 }
    };
    let taken = |pos: usize, f: &Instalment| kept.iter().any(|s| same_slot(s, pos, f));
    // The key an open slot carries on: the unpaid instalment in force in the same slot.
    let unpaid_key = |pos: usize, f: &Instalment| settled.iter().find(|s| !s.paid.is_positive() && same_slot(s, pos, f)).map(|s| s.key);
    let open: Vec<(usize, &Instalment)> = fresh.iter().enumerate().filter(|(i, f)| !taken(*i, f)).collect();
    let rest = total - paid;
    let mut out: Vec<Planned> = kept.iter().map(|s| Planned { key: s.key, due: s.due, amount: s.paid, clause: s.clause }).collect();
    let weight: i64 = open.iter().map(|(_, f)| f.amount.fen()).sum();
    // (slot's carried key, due, clause, share)
    let mut shares: Vec<(Option<i32>, NaiveDate, Option<u32>, i64)> = Vec::new();
    if weight > 0 {
        let mut given = 0i64;
        for (pos, f) in &open {
            let share = (rest as i128 * f.amount.fen() as i128 / weight as i128) as i64;
            given += share;
            shares.push((unpaid_key(*pos, f), f.due, f.clause, share));
        }
        if let Some(last) = shares.last_mut() {
            last.3 += rest - given;
        }
    } else if rest > 0 {
        // Every slot is paid for: what is added falls due with the last one.
        let last = fresh.last().map(|f| (f.due, f.clause)).or_else(|| kept.last().map(|s| (s.due, s.clause)));
        if let Some((due, clause)) = last {
            shares.push((None, due, clause, rest));
        }
    }
    let mut key = next_key;
    for (carried, due, clause, fen) in shares.into_iter().filter(|s| s.3 > 0) {
        let k = carried.unwrap_or(key);
        if carried.is_none() {
            key += 1;
        }
        out.push(Planned { key: k, due, amount: Money::from_fen(fen), clause });
    }
    out.sort_by_key(|p| (p.due, p.key));
    Ok(out)
}

// ---- What verify-ledger checks beyond the ledger's own balances ---------------------

/// An admission as the checker sees it, with its history of states.
#[derive(Clone, Debug)]
pub struct AdmissionRecord {
    pub id: i64,
    pub budget: Money,
    pub entered_early: bool,
    pub deadline: Option<NaiveDate>,
    pub status: AdmissionStatus,
    /// (when, state entered), oldest first.
    pub history: Vec<(DateTime<Utc>, AdmissionStatus)>,
}

impl AdmissionRecord {
    /// The state the admission was in at `at`.
    pub fn status_at(&self, at: DateTime<Utc>) -> Option<AdmissionStatus> {
        self.history.iter().take_while(|(t, _)| *t <= at).last().map(|(_, s)| *s)
    }
    fn facts(&self, status: AdmissionStatus) -> AdmissionFacts {
        AdmissionFacts { status, entered_early: self.entered_early, deadline: self.deadline }
    }
}

#[derive(Clone, Debug)]
pub struct ContractRecord {
    pub id: i64,
    pub number: String,
    pub admission_id: i64,
    pub status: ContractStatus,
    pub in_force: Money,
    pub pending: Option<Money>,
    /// Instalments of the version in force: key → amount.
    pub instalments: BTreeMap<i32, Money>,
    /// Ledger balances of the contract's accounts.
    pub committed: Money,
    pub ledger_disbursed: Money,
}

#[derive(Clone, Debug)]
pub struct PaymentRecord {
    pub id: i64,
    pub contract_id: i64,
    pub key: i32,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
}

/// Everything of a county that the limits are checked on.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub admissions: Vec<AdmissionRecord>,
    pub contracts: Vec<ContractRecord>,
    pub payments: Vec<PaymentRecord>,
}

fn breach(rule: &str, detail: String) -> Breach {
    Breach { rule: rule.into(), detail }
}

/// Every limit the lifecycle promises, checked on stored facts: no contract paid beyond
/// its amount in force (nor an amount set below what was paid), no instalment paid beyond
/// its own amount, no admission whose contracts hold more than its budget, no payment
/// while the admission was not in force, no contract in force under an admission that is
/// not, and the ledger agreeing with every contract's amount.
pub fn audit(s: &Snapshot) -> Vec<Breach> {
    let mut out = Vec::new();
    let admissions: HashMap<i64, &AdmissionRecord> = s.admissions.iter().map(|a| (a.id, a)).collect();
    let mut paid: HashMap<i64, i64> = HashMap::new();
    let mut paid_by_key: BTreeMap<(i64, i32), i64> = BTreeMap::new();
    for p in &s.payments {
        *paid.entry(p.contract_id).or_default() += p.amount.fen();
        *paid_by_key.entry((p.contract_id, p.key)).or_default() += p.amount.fen();
    }
    let mut holdings: HashMap<i64, Vec<Holding>> = HashMap::new();
    for c in &s.contracts {
        let disbursed = Money::from_fen(paid.get(&c.id).copied().unwrap_or(0));
        if disbursed > c.in_force {
            out.push(breach(
                "disbursed ≤ contract amount",
                format!("contract {} ({}) paid {} but its amount in force is {}", c.id, c.number, disbursed, c.in_force),
            ));
        }
        if disbursed != c.ledger_disbursed {
            out.push(breach(
                "payments = ledger",
                format!("contract {} has payments of {} but the ledger shows {} disbursed", c.id, disbursed, c.ledger_disbursed),
            ));
        }
        let expected_commit = match c.status {
            ContractStatus::Active | ContractStatus::Completed | ContractStatus::Closed => c.in_force.fen() - c.ledger_disbursed.fen(),
            ContractStatus::Draft | ContractStatus::Terminated => 0,
        };
        if c.committed.fen() != expected_commit {
            out.push(breach(
                "commitment = amount in force − paid",
                format!("contract {} is {} with {} committed, expected {}", c.id, c.status.as_str(), c.committed, Money::from_fen(expected_commit)),
            ));
        }
        holdings.entry(c.admission_id).or_default().push(Holding { status: c.status, in_force: c.in_force, pending: c.pending, disbursed });
        if let Some(a) = admissions.get(&c.admission_id) {
            let governs = matches!(c.status, ContractStatus::Active | ContractStatus::Completed);
            let admission_ended = matches!(a.status, AdmissionStatus::Rejected | AdmissionStatus::Expired | AdmissionStatus::Revoked | AdmissionStatus::Draft | AdmissionStatus::Submitted);
            if governs && admission_ended {
                out.push(breach(
                    "contract in force only under an admission in force",
                    format!("contract {} is {} while admission {} is {}", c.id, c.status.as_str(), a.id, a.status.as_str()),
                ));
            }
        }
    }
    let instalments: HashMap<i64, &BTreeMap<i32, Money>> = s.contracts.iter().map(|c| (c.id, &c.instalments)).collect();
    for ((contract, key), fen) in &paid_by_key {
        let amount = instalments.get(contract).and_then(|m| m.get(key)).copied();
        match amount {
            Some(a) if *fen <= a.fen() => {}
            Some(a) => out.push(breach(
                "instalment paid ≤ its amount",
                format!("contract {contract} instalment {key} paid {} of {}", Money::from_fen(*fen), a),
            )),
            None => out.push(breach(
                "instalment paid ≤ its amount",
                format!("contract {contract} instalment {key} paid {} but the version in force does not hold it", Money::from_fen(*fen)),
            )),
        }
    }
    for a in &s.admissions {
        let hs = holdings.get(&a.id).map(Vec::as_slice).unwrap_or(&[]);
        let room = admission_room(a.budget, hs);
        // A record that holds no money breaches nothing: a draft's odd budget (say -0.01)
        // must not keep the county's money check red and hide a real breach (issue 28).
        let holds = a.budget.fen() - room;
        if room < 0 && holds > 0 {
            out.push(breach(
                "contracts ≤ admission budget",
                format!("admission {}: contracts hold {} more than its budget {}", a.id, Money::from_fen(-room), a.budget),
            ));
        }
    }
    let contracts: HashMap<i64, &ContractRecord> = s.contracts.iter().map(|c| (c.id, c)).collect();
    for p in &s.payments {
        let Some(a) = contracts.get(&p.contract_id).and_then(|c| admissions.get(&c.admission_id)) else { continue };
        let ok = a.status_at(p.paid_at).is_some_and(|st| admission_in_force(&a.facts(st), p.paid_at.date_naive(), Use::Pay).is_ok());
        if !ok {
            let st = a.status_at(p.paid_at).map(|s| s.as_str()).unwrap_or("none");
            out.push(breach(
                "paid only while the admission is in force",
                format!("payment {} on contract {} at {} while admission {} was {st}", p.id, p.contract_id, p.paid_at, a.id),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn y(v: i64) -> Money {
        Money::from_yuan(v)
    }
    fn facts(status: AdmissionStatus, early: bool, deadline: Option<NaiveDate>) -> AdmissionFacts {
        AdmissionFacts { status, entered_early: early, deadline }
    }

    #[test]
    fn an_admitted_task_may_bind_and_pay() {
        for s in [AdmissionStatus::Admitted, AdmissionStatus::InProgress] {
            assert!(admission_in_force(&facts(s, false, None), d(2026, 5, 1), Use::Bind).is_ok());
            assert!(admission_in_force(&facts(s, false, None), d(2026, 5, 1), Use::Pay).is_ok());
        }
    }

    #[test]
    fn a_completed_task_pays_what_is_owed_but_binds_nothing_new() {
        let f = facts(AdmissionStatus::Completed, false, None);
        assert!(admission_in_force(&f, d(2026, 5, 1), Use::Pay).is_ok());
        assert_eq!(admission_in_force(&f, d(2026, 5, 1), Use::Bind).unwrap_err().code, "ADMISSION_NOT_ADMITTED");
    }

    #[test]
    fn an_emergency_entry_is_in_force_only_until_its_deadline() {
        for s in [AdmissionStatus::EnteredPendingApproval, AdmissionStatus::Reviewed] {
            let f = facts(s, true, Some(d(2026, 5, 15)));
            assert!(admission_in_force(&f, d(2026, 5, 15), Use::Pay).is_ok());
            assert!(admission_in_force(&f, d(2026, 5, 16), Use::Pay).is_err());
            assert!(admission_in_force(&f, d(2026, 5, 16), Use::Bind).is_err());
        }
        // Reviewed without having entered early is not in force.
        assert!(admission_in_force(&facts(AdmissionStatus::Reviewed, false, Some(d(2026, 5, 15))), d(2026, 5, 1), Use::Bind).is_err());
    }

    #[test]
    fn a_rejected_expired_or_revoked_admission_governs_nothing() {
        for s in [AdmissionStatus::Rejected, AdmissionStatus::Expired, AdmissionStatus::Revoked, AdmissionStatus::Draft, AdmissionStatus::Submitted] {
            let e = admission_in_force(&facts(s, true, Some(d(2030, 1, 1))), d(2026, 5, 1), Use::Pay).unwrap_err();
            assert_eq!(e.code, "ADMISSION_NOT_ADMITTED");
        }
    }

    #[test]
    fn endings_stop_open_contracts_and_a_period_end_only_drafts() {
        for s in ContractStatus::ALL {
            assert_eq!(Ending::EmergencyRejected.ends(s), s.is_open());
            assert_eq!(Ending::PeriodEnded.ends(s), s == ContractStatus::Draft);
        }
    }

    #[test]
    fn contract_states_follow_in_order() {
        use ContractStatus as C;
        assert_eq!(contract_next(C::Draft, ContractStep::Activate), Ok(C::Active));
        assert_eq!(contract_next(C::Active, ContractStep::Complete), Ok(C::Completed));
        assert_eq!(contract_next(C::Completed, ContractStep::Close), Ok(C::Closed));
        assert_eq!(contract_next(C::Active, ContractStep::Terminate), Ok(C::Terminated));
        assert!(contract_next(C::Closed, ContractStep::Terminate).is_err());
        assert!(contract_next(C::Terminated, ContractStep::Activate).is_err());
        assert!(contract_next(C::Draft, ContractStep::Close).is_err());
        assert_eq!(contract_next(C::Closed, ContractStep::Terminate).unwrap_err().message, "合同当前为“已结案”，不能改为“已终止”");
    }

    #[test]
    fn a_contract_closes_only_when_paid_confirmed_decided_and_evaluated() {
        let done = Closing { amount: y(100), disbursed: y(100), confirmed: y(100), undecided_deliverables: false, evaluated: true };
        assert!(ready_to_close(&done));
        assert!(!ready_to_close(&Closing { disbursed: y(99), confirmed: y(99), ..done }));
        assert!(!ready_to_close(&Closing { confirmed: y(99), ..done }));
        assert!(!ready_to_close(&Closing { undecided_deliverables: true, ..done }));
        assert!(!ready_to_close(&Closing { evaluated: false, ..done }));
    }

    #[test]
    fn a_terminated_contract_holds_what_it_paid() {
        let h = Holding { status: ContractStatus::Terminated, in_force: y(3000), pending: None, disbursed: y(900) };
        assert_eq!(held(&h), y(900));
        assert_eq!(admission_room(y(3000), &[h]), y(2100).fen());
    }

    #[test]
    fn a_pending_amendment_counts_against_the_admission_until_signed_or_withdrawn() {
        let h = Holding { status: ContractStatus::Active, in_force: y(1000), pending: Some(y(2500)), disbursed: Money::ZERO };
        assert_eq!(held(&h), y(2500));
        assert_eq!(held(&Holding { pending: Some(y(400)), ..h }), y(1000), "a smaller proposal frees nothing until signed");
        assert_eq!(held(&Holding { pending: None, ..h }), y(1000));
    }

    #[test]
    fn an_amendment_never_goes_below_what_was_paid() {
        assert!(amount_not_below_paid(y(900), y(900)).is_ok());
        let e = amount_not_below_paid(y(899), y(900)).unwrap_err();
        assert_eq!(e.code, "AMOUNT_BELOW_PAID");
        assert!(e.message.contains("¥900.00"));
    }

    fn monthly(amount_fen: i64, months: &[NaiveDate]) -> Vec<Instalment> {
        crate::contracts::spread(Money::from_fen(amount_fen), months.len())
            .into_iter()
            .zip(months)
            .map(|(amount, due)| Instalment { due: *due, amount, clause: None })
            .collect()
    }

    #[test]
    fn a_first_schedule_keys_its_instalments_in_order() {
        let fresh = monthly(300, &[d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31)]);
        let p = carry_plan(&fresh, &[], 1, true).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen())).collect::<Vec<_>>(), [(1, 100), (2, 100), (3, 100)]);
    }

    #[test]
    fn an_unpaid_instalment_keeps_its_key_in_its_slot() {
        let unpaid = |key, seq, due| Settled { key, seq, due, clause: None, paid: Money::ZERO };
        // Nothing paid, amended down: both instalments keep their keys (open data's ids).
        let settled = [unpaid(1, 1, d(2026, 3, 1)), Settled { clause: Some(3), ..unpaid(2, 2, d(2026, 4, 30)) }];
        let fresh = vec![Instalment { due: d(2026, 3, 1), amount: Money::from_fen(750), clause: None }, Instalment { due: d(2026, 4, 30), amount: Money::from_fen(1750), clause: Some(3) }];
        let p = carry_plan(&fresh, &settled, 3, false).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen())).collect::<Vec<_>>(), [(1, 750), (2, 1750)]);
        // The advance paid: the open second slot keeps key 2.
        let settled = [Settled { paid: Money::from_fen(900), ..unpaid(1, 1, d(2026, 3, 1)) }, Settled { clause: Some(3), ..unpaid(2, 2, d(2026, 4, 30)) }];
        let p = carry_plan(&fresh, &settled, 3, false).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen())).collect::<Vec<_>>(), [(1, 900), (2, 1600)]);
        // Monthly, moved a month later: March and April keep theirs, May is new.
        let settled = [unpaid(1, 1, d(2026, 3, 31)), unpaid(2, 2, d(2026, 4, 30))];
        let p = carry_plan(&monthly(300, &[d(2026, 4, 30), d(2026, 5, 31)]), &settled, 3, true).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.due)).collect::<Vec<_>>(), [(2, d(2026, 4, 30)), (3, d(2026, 5, 31))]);
    }

    #[test]
    fn a_paid_instalment_keeps_its_identity_and_is_not_payable_again() {
        // Jan paid; the period is moved one month later: Jan stays paid, Feb–Apr share the rest.
        let settled = [Settled { key: 1, seq: 1, due: d(2026, 1, 31), clause: None, paid: Money::from_fen(100) }];
        let fresh = monthly(300, &[d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30)]);
        let p = carry_plan(&fresh, &settled, 4, true).unwrap();
        assert_eq!(
            p.iter().map(|p| (p.key, p.due, p.amount.fen())).collect::<Vec<_>>(),
            [(1, d(2026, 1, 31), 100), (4, d(2026, 2, 28), 66), (5, d(2026, 3, 31), 66), (6, d(2026, 4, 30), 68)]
        );
        assert_eq!(p.iter().map(|p| p.amount.fen()).sum::<i64>(), 300);
        // Same period: January's slot is taken by the paid instalment.
        let fresh = monthly(300, &[d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31)]);
        let p = carry_plan(&fresh, &settled, 4, true).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen())).collect::<Vec<_>>(), [(1, 100), (4, 100), (5, 100)]);
    }

    #[test]
    fn a_partly_paid_instalment_becomes_what_was_paid_and_the_rest_is_spread() {
        let fresh = vec![
            Instalment { due: d(2026, 3, 1), amount: Money::from_fen(900), clause: None },
            Instalment { due: d(2026, 4, 30), amount: Money::from_fen(2100), clause: Some(3) },
        ];
        let settled = [Settled { key: 1, seq: 1, due: d(2026, 3, 1), clause: None, paid: Money::from_fen(500) }];
        let p = carry_plan(&fresh, &settled, 3, false).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen(), p.clause)).collect::<Vec<_>>(), [(1, 500, None), (3, 2500, Some(3))]);
        // Everything paid: an increase falls due with the last slot.
        let settled = [
            Settled { key: 1, seq: 1, due: d(2026, 3, 1), clause: None, paid: Money::from_fen(900) },
            Settled { key: 2, seq: 2, due: d(2026, 4, 30), clause: Some(3), paid: Money::from_fen(2100) },
        ];
        let more = vec![
            Instalment { due: d(2026, 3, 1), amount: Money::from_fen(1200), clause: None },
            Instalment { due: d(2026, 4, 30), amount: Money::from_fen(2800), clause: Some(3) },
        ];
        let p = carry_plan(&more, &settled, 3, false).unwrap();
        assert_eq!(p.iter().map(|p| (p.key, p.amount.fen())).collect::<Vec<_>>(), [(1, 900), (2, 2100), (3, 1000)]);
        assert_eq!(carry_plan(&fresh[..1], &settled, 3, false).unwrap_err().code, "AMOUNT_BELOW_PAID");
    }

    fn admission(id: i64, budget: i64, status: AdmissionStatus, history: Vec<(DateTime<Utc>, AdmissionStatus)>) -> AdmissionRecord {
        AdmissionRecord { id, budget: y(budget), entered_early: false, deadline: None, status, history }
    }

    fn contract(id: i64, status: ContractStatus, amount: i64, paid: i64) -> ContractRecord {
        ContractRecord {
            id,
            number: format!("C{id}"),
            admission_id: 1,
            status,
            in_force: y(amount),
            pending: None,
            instalments: [(1, y(amount))].into(),
            committed: if matches!(status, ContractStatus::Draft | ContractStatus::Terminated) { Money::ZERO } else { y(amount - paid) },
            ledger_disbursed: y(paid),
        }
    }

    fn at(day: u32) -> DateTime<Utc> {
        d(2026, 5, day).and_hms_opt(12, 0, 0).unwrap().and_utc()
    }

    #[test]
    fn the_audit_finds_each_breach() {
        let admitted = vec![(at(1), AdmissionStatus::Admitted)];
        let pay = |id, c, amount| PaymentRecord { id, contract_id: c, key: 1, amount: y(amount), paid_at: at(2) };
        let clean = Snapshot { admissions: vec![admission(1, 3000, AdmissionStatus::Admitted, admitted.clone())], contracts: vec![contract(7, ContractStatus::Active, 3000, 900)], payments: vec![pay(1, 7, 900)] };
        assert!(audit(&clean).is_empty(), "{:?}", audit(&clean));

        let rules = |s: &Snapshot| audit(s).into_iter().map(|b| b.rule).collect::<Vec<_>>();
        // Amount lowered below what was paid.
        let mut s = clean.clone();
        s.contracts[0].in_force = y(800);
        s.contracts[0].instalments = [(1, y(800))].into();
        s.contracts[0].committed = Money::ZERO;
        s.contracts[0].ledger_disbursed = y(900);
        assert!(rules(&s).contains(&"disbursed ≤ contract amount".to_string()), "{:?}", rules(&s));
        // An instalment paid twice.
        let mut s = clean.clone();
        s.contracts[0].instalments = [(1, y(900)), (2, y(2100))].into();
        s.payments.push(pay(2, 7, 900));
        s.contracts[0].ledger_disbursed = y(1800);
        s.contracts[0].committed = y(1200);
        assert_eq!(rules(&s), ["instalment paid ≤ its amount"]);
        // A terminated contract's whole amount freed, and a new one for the full budget.
        let mut s = clean.clone();
        s.contracts[0] = contract(7, ContractStatus::Terminated, 3000, 900);
        let mut fresh = contract(8, ContractStatus::Active, 3000, 0);
        fresh.instalments = [(1, y(3000))].into();
        s.contracts.push(fresh);
        assert_eq!(rules(&s), ["contracts ≤ admission budget"]);
        // An admission whose contracts hold nothing breaches nothing, whatever its budget
        // says (a draft saved with -0.01 before budgets were bounded).
        let mut s = clean.clone();
        s.admissions.push(admission(2, 0, AdmissionStatus::Draft, vec![]));
        s.admissions[1].budget = Money::from_fen(-1);
        assert!(rules(&s).is_empty(), "{:?}", rules(&s));
        // Paid after a rejection.
        let mut s = clean.clone();
        s.admissions[0] = admission(1, 3000, AdmissionStatus::Rejected, vec![(at(1), AdmissionStatus::Reviewed), (at(2) - chrono::Duration::hours(1), AdmissionStatus::Rejected)]);
        assert!(rules(&s).contains(&"paid only while the admission is in force".to_string()));
        assert!(rules(&s).contains(&"contract in force only under an admission in force".to_string()));
        // The ledger disagrees with the contract (an amendment never posted).
        let mut s = clean.clone();
        s.contracts[0].in_force = y(2000);
        s.contracts[0].instalments = [(1, y(2000))].into();
        assert_eq!(rules(&s), ["commitment = amount in force − paid"]);
        // A payment not in the ledger.
        let mut s = clean.clone();
        s.payments.push(PaymentRecord { id: 3, contract_id: 7, key: 1, amount: y(1), paid_at: at(3) });
        assert_eq!(rules(&s), ["payments = ledger"]);
    }

    #[test]
    fn the_state_of_an_admission_at_a_moment() {
        let a = admission(1, 0, AdmissionStatus::Rejected, vec![(at(1), AdmissionStatus::Submitted), (at(3), AdmissionStatus::Rejected)]);
        assert_eq!(a.status_at(at(2)), Some(AdmissionStatus::Submitted));
        assert_eq!(a.status_at(at(3)), Some(AdmissionStatus::Rejected));
        assert_eq!(a.status_at(at(1) - chrono::Duration::days(1)), None);
    }
}
