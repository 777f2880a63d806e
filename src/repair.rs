//! `zhunru repair`: brings rows saved before input was bounded (issue 28) back inside the
//! bounds every write now enforces, so that a database carried over from an older release
//! reads, lists and verifies like a new one.
//!
//! What it changes only holds no money and no signature: a draft application's budget or
//! dates that could never be submitted are cleared (the department enters them again),
//! bidi control characters are removed from a draft's text, and the dates of an assist-list
//! assignment nobody has signed are moved to the nearest edge of 2000–2100 (the department
//! sees them on the draft and corrects them). A row that money moved against, or that a
//! party signed, is never rewritten: it is reported for a person to decide. Every change is
//! one audit entry `data.repair` with the row before and after, in one transaction.
use chrono::NaiveDate;
use entity::{admission, contract, contract_milestone, contract_version, disbursement};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use serde::Serialize;

use crate::platform::audit::Entry;
use crate::platform::db::{self, in_county};
use crate::platform::error::AppResult;
use crate::platform::input::{is_bidi_control, max_date, min_date};

/// One row found outside the bounds.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub county_id: i64,
    pub entity: &'static str,
    pub id: i64,
    /// What is wrong, in Chinese for the operator.
    pub problem: String,
    /// What was (or, without `--apply`, would be) done; None: left for a person.
    pub fix: Option<String>,
}

/// Finds every such row and, with `apply`, repairs what can be repaired in one
/// transaction. Without `apply` nothing is written.
pub async fn run(conn: &(impl ConnectionTrait + sea_orm::TransactionTrait), apply: bool) -> AppResult<Vec<Finding>> {
    let txn = db::begin_write(conn).await?;
    let mut found = Vec::new();
    admissions(&txn, &mut found).await?;
    contracts(&txn, &mut found).await?;
    if apply && found.iter().any(|f| f.fix.is_some()) {
        txn.commit(vec![]).await?;
    } else {
        txn.rollback().await?;
    }
    Ok(found)
}

fn out_of_window(d: NaiveDate) -> bool {
    d < min_date() || d > max_date()
}

/// The nearest date inside the window.
fn clamp(d: NaiveDate) -> NaiveDate {
    d.clamp(min_date(), max_date())
}

fn strip_bidi(s: &str) -> String {
    s.chars().filter(|c| !is_bidi_control(*c)).collect()
}

fn has_bidi(s: &str) -> bool {
    s.chars().any(is_bidi_control)
}

async fn admissions(txn: &crate::platform::audit::Tx, found: &mut Vec<Finding>) -> AppResult<()> {
    for a in admission::Entity::find().all(txn).await? {
        let draft = a.status == "draft";
        let bad_budget = a.budget_fen.is_some_and(|b| b < 0);
        let bad_dates = [a.period_start, a.period_end].into_iter().flatten().any(out_of_window);
        let texts = [&a.title, &a.description, &a.basis, &a.work_plan, &a.staffing];
        let bidi = texts.iter().any(|t| has_bidi(t));
        if !(bad_budget || bad_dates || bidi) {
            continue;
        }
        let mut problems = Vec::new();
        if bad_budget {
            problems.push(format!("预算为负数（{}）", crate::money::Money::from_fen(a.budget_fen.unwrap_or(0))));
        }
        if bad_dates {
            problems.push(format!("期限超出2000年至2100年（{}至{}）", show(a.period_start), show(a.period_end)));
        }
        if bidi {
            problems.push("文字含双向控制字符".to_string());
        }
        let problem = problems.join("；");
        if draft {
            let mut m = a.clone().into_active_model();
            if bad_budget {
                m.budget_fen = Set(None);
            }
            if bad_dates {
                m.period_start = Set(None);
                m.period_end = Set(None);
            }
            if bidi {
                m.title = Set(strip_bidi(&a.title));
                m.description = Set(strip_bidi(&a.description));
                m.basis = Set(strip_bidi(&a.basis));
                m.work_plan = Set(strip_bidi(&a.work_plan));
                m.staffing = Set(strip_bidi(&a.staffing));
            }
            let after = m.update(txn).await?;
            txn.note(Entry::new(a.county_id, None, "data.repair", "admission", a.id).before(&a).after(&after));
            let fix = [
                bad_budget.then_some("清除预算"),
                bad_dates.then_some("清除期限"),
                bidi.then_some("删除双向控制字符"),
            ];
            let fix = fix.into_iter().flatten().collect::<Vec<_>>().join("、") + "（草稿，由部门重新填写后提交）";
            found.push(Finding { county_id: a.county_id, entity: "admission", id: a.id, problem, fix: Some(fix) });
            continue;
        }
        // An admitted assignment from the assist list with dates out of the window: its
        // dates move to the window's edge when none of its contracts is signed or paid.
        let movable = !bad_budget && !bidi && bad_dates && untouched_contracts(txn, a.county_id, a.id).await?;
        if movable {
            let mut m = a.clone().into_active_model();
            m.period_start = Set(a.period_start.map(clamp));
            m.period_end = Set(a.period_end.map(clamp));
            let after = m.update(txn).await?;
            txn.note(Entry::new(a.county_id, None, "data.repair", "admission", a.id).before(&a).after(&after));
            let fix = format!("期限移至{}至{}（无签署、无拨付，由部门更正）", show(after.period_start), show(after.period_end));
            found.push(Finding { county_id: a.county_id, entity: "admission", id: a.id, problem, fix: Some(fix) });
        } else {
            found.push(Finding { county_id: a.county_id, entity: "admission", id: a.id, problem, fix: None });
        }
    }
    Ok(())
}

/// True when no contract of the admission has a signature on any version or a payment.
async fn untouched_contracts(txn: &crate::platform::audit::Tx, county_id: i64, admission_id: i64) -> AppResult<bool> {
    for c in in_county::<contract::Entity>(county_id).filter(contract::Column::AdmissionId.eq(admission_id)).all(txn).await? {
        if !untouched(txn, county_id, c.id).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

async fn untouched(txn: &crate::platform::audit::Tx, county_id: i64, contract_id: i64) -> AppResult<bool> {
    let signed = in_county::<contract_version::Entity>(county_id)
        .filter(contract_version::Column::ContractId.eq(contract_id))
        .all(txn)
        .await?
        .iter()
        .any(|v| v.department_signed_at.is_some() || v.community_signed_at.is_some());
    let paid = in_county::<disbursement::Entity>(county_id).filter(disbursement::Column::ContractId.eq(contract_id)).one(txn).await?.is_some();
    Ok(!signed && !paid)
}

async fn contracts(txn: &crate::platform::audit::Tx, found: &mut Vec<Finding>) -> AppResult<()> {
    for v in contract_version::Entity::find().all(txn).await? {
        let milestones =
            in_county::<contract_milestone::Entity>(v.county_id).filter(contract_milestone::Column::ContractId.eq(v.contract_id)).filter(contract_milestone::Column::Version.eq(v.version)).all(txn).await?;
        let bad_dates = out_of_window(v.period_start) || out_of_window(v.period_end);
        let bad_due: Vec<&contract_milestone::Model> = milestones.iter().filter(|m| out_of_window(m.due)).collect();
        let negative = v.amount_fen < 0 || milestones.iter().any(|m| m.amount_fen < 0);
        if !(bad_dates || !bad_due.is_empty() || negative) {
            continue;
        }
        let mut problems = Vec::new();
        if bad_dates || !bad_due.is_empty() {
            problems.push(format!("第{}版的日期超出2000年至2100年（期限{}至{}）", v.version, v.period_start, v.period_end));
        }
        if negative {
            problems.push(format!("第{}版含负数金额", v.version));
        }
        let problem = problems.join("；");
        // Amounts are the parties' to enter again: a negative one is never guessed at.
        if negative || !untouched(txn, v.county_id, v.contract_id).await? {
            found.push(Finding { county_id: v.county_id, entity: "contract", id: v.contract_id, problem, fix: None });
            continue;
        }
        let mut m = v.clone().into_active_model();
        m.period_start = Set(clamp(v.period_start));
        m.period_end = Set(clamp(v.period_end));
        let after = m.update(txn).await?;
        txn.note(Entry::new(v.county_id, None, "data.repair", "contract_version", v.id).before(&v).after(&after));
        for ms in bad_due {
            let mut am = ms.clone().into_active_model();
            am.due = Set(clamp(ms.due));
            let moved = am.update(txn).await?;
            txn.note(Entry::new(v.county_id, None, "data.repair", "contract_milestone", ms.id).before(ms).after(&moved));
        }
        let fix = format!("第{}版日期移至{}至{}（未签署、无拨付，由部门更正）", v.version, after.period_start, after.period_end);
        found.push(Finding { county_id: v.county_id, entity: "contract", id: v.contract_id, problem, fix: Some(fix) });
    }
    Ok(())
}

fn show(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}
