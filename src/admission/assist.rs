//! Funded assist-list work (协助事项派单, 001 §二(三)): work on the county's assist list
//! still needs the department's guidance, staff and funding, and a community may refuse
//! unpaid assist work. A department assigns such an item to a community with period,
//! staffing, guidance and budget. The assignment needs no admission, but it is screened
//! like an application (a negative-list task cannot hide behind an assist title) and is
//! kept as a task of the admissions table (origin `assist`), so the contract, funds,
//! lifecycle and registers treat it as they treat an admitted task.
use chrono::{NaiveDate, Utc};
use entity::{admission, admission_target};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use crate::lists::ListKind;
use super::store as admissions;
use super::{Status, ORIGIN_ASSIST};
use crate::lifecycle::TargetStatus;
use crate::money::Money;
use crate::platform::audit::Tx;
use crate::platform::auth::Caller;
use crate::platform::error::{AppError, AppResult};

/// What the department gives with an assignment, beside the contract's own fields.
#[derive(Clone, Debug, Default)]
pub struct Assignment {
    /// An item of the county's assist list in force.
    pub item_id: i64,
    /// How the department guides the work (业务指导); the item's description if empty.
    pub guidance: String,
    /// Who does the work (人员安排).
    pub staffing: String,
    /// The task's budget; if not given, what the item's funding standard gives for the
    /// period, or else the contract's amount. Amendments stay within it.
    pub budget: Option<Money>,
    /// Why `budget` differs from what the item's funding standard gives; required then.
    pub budget_reason: String,
}

/// Whether the organisation named `own` may assign this assist item: the item names it as
/// its responsible department, or names none.
pub fn assigns(item: &entity::list_item::Model, own: &str) -> bool {
    item.department.trim().is_empty() || item.department.trim() == own
}

/// The assignment as it will be saved (id 0 until then), after every check: the item is
/// on the county's assist list in force and is this department's; what the department
/// wrote and the item itself pass the screening (negative list, qualification and
/// enforcement bans, target assessment), with a budget and a period.
pub async fn prepare(
    db: &impl ConnectionTrait,
    caller: &Caller,
    a: &Assignment,
    start: NaiveDate,
    end: NaiveDate,
    amount: Money,
) -> AppResult<admission::Model> {
    let items = crate::lists::store::current_items(db, caller.county_id, Some(ListKind::Assist)).await?;
    let item = items
        .iter()
        .find(|i| i.id == a.item_id)
        .ok_or_else(|| AppError::invalid("assist_item_id", "没有这个协助事项，或它不在本区/县现行协助办理事项清单中"))?;
    let names = admissions::org_names(db, caller.county_id).await?;
    let own = names.get(&caller.org_id).cloned().unwrap_or_default();
    if !assigns(item, &own) {
        return Err(AppError::invalid("assist_item_id", format!("协助事项“{}”的责任部门是{}，不能由本部门派单", item.title, item.department)));
    }
    let standard = crate::lists::funding::Funding::of(item);
    let by_standard = standard.map(|f| f.budget(start, end));
    let budget = a.budget.or(by_standard).unwrap_or(amount);
    let reason = a.budget_reason.trim();
    // The standard is civil affairs' figure: a department departing from it says why, and
    // the reason stays on the task for civil affairs and the registers to read.
    let departs = match (a.budget, by_standard, standard) {
        (Some(own), Some(std), Some(f)) if own != std => Some((std, f)),
        _ => None,
    };
    if let (Some((std, f)), true) = (departs, reason.is_empty()) {
        return Err(AppError::invalid("budget_reason", format!("派单经费{budget}与该事项经费标准（{}）核定的{std}不同，请说明理由", f.label())));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("budget_reason", "理由不超过500个字符"));
    }
    if budget < amount {
        let why = match (a.budget, standard) {
            (None, Some(f)) => format!("按该事项的经费标准（{}）核定的派单经费{budget}少于合同金额{amount}；请调低合同金额，或填写派单经费并说明", f.label()),
            _ => format!("派单经费{budget}少于合同金额{amount}"),
        };
        return Err(AppError::invalid("budget", why));
    }
    let now = Utc::now();
    let m = admission::Model {
        id: 0,
        county_id: caller.county_id,
        department_id: caller.org_id,
        created_by: caller.user_id,
        title: item.title.clone(),
        description: if a.guidance.trim().is_empty() { item.description.clone() } else { a.guidance.trim().to_string() },
        basis: if item.basis.trim().is_empty() { format!("协助办理事项清单（{}）", item.code) } else { item.basis.clone() },
        work_plan: String::new(),
        staffing: a.staffing.trim().to_string(),
        period_start: Some(start),
        period_end: Some(end),
        budget_fen: Some(budget.fen()),
        emergency: false,
        needs_professional_qualification: false,
        needs_enforcement_authority: false,
        list_item_id: Some(item.id),
        status: Status::Admitted.as_str().into(),
        entered_at: None,
        approval_deadline: None,
        review_opinion: None,
        review_comment: None,
        opinions: "[]".into(),
        decision_comment: None,
        approval_year: None,
        approval_seq: None,
        approval_number: None,
        decided_at: Some(now),
        created_at: now,
        updated_at: now,
        origin: ORIGIN_ASSIST.into(),
        budget_reason: departs.map(|_| reason.to_string()),
    };
    let f = admissions::findings(db, caller.county_id, &admissions::application_of(&m), None).await?;
    admissions::refuse_if_blocked(&f)?;
    Ok(m)
}

/// Saves a prepared assignment with its community, in the caller's transaction.
pub async fn save(txn: &Tx, caller: &Caller, m: admission::Model, community_id: i64) -> AppResult<admission::Model> {
    let mut am: admission::ActiveModel = m.into();
    am.id = sea_orm::ActiveValue::NotSet;
    let saved = am.insert(txn).await?;
    admission_target::ActiveModel {
        county_id: Set(caller.county_id),
        admission_id: Set(saved.id),
        community_id: Set(community_id),
        status: Set(TargetStatus::Admitted.as_str().into()),
        updated_at: Set(saved.created_at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    admissions::record_with(txn, caller, saved.id, "assign", None, Status::Admitted, "协助事项派单", None, Some(&saved)).await?;
    Ok(saved)
}

/// What a contract prints where an admitted task prints its approval number.
pub const GROUND: &str = "列入协助办理事项清单，无需准入审批";
