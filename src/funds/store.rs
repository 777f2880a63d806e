//! The ledger's storage and the money steps: budgets, commitments, disbursements with
//! idempotency keys, receipts and disputes, deliverables. Only this module writes the
//! ledger tables.
use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Utc};
use entity::{contract, contract_clause, contract_milestone, deliverable, disbursement, idempotency_key, ledger_balance, ledger_entry, ledger_line, organisation};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait};
use sha2::{Digest, Sha256};

use super::{Book, FundsError, Line};
use crate::contracts::store as contracts;
use crate::lifecycle::{store as lifecycle, Use};
use crate::money::Money;
use crate::orgs::{OrgKind, Role};
use crate::platform::auth::Caller;
use crate::platform::audit::{Entry, Tx};
use crate::platform::db::{begin_write, by_id_in_county, in_county, is_unique_violation};
use crate::platform::error::{AppError, AppResult};
use crate::platform::page::{self, Page, PageReq};

fn funds_error(e: FundsError) -> AppError {
    match e {
        FundsError::NotPositive => AppError::invalid("amount", e.message()),
        _ => AppError::conflict(e.code(), e.message()),
    }
}

/// Balances of the given accounts: their running balances, one row each, however long
/// the ledger has grown.
pub async fn book(db: &impl ConnectionTrait, county_id: i64, accounts: &[String]) -> AppResult<Book> {
    let rows = in_county::<ledger_balance::Entity>(county_id)
        .filter(ledger_balance::Column::Account.is_in(accounts.iter().cloned()))
        .all(db)
        .await?;
    Ok(Book(rows.into_iter().map(|r| (r.account, r.balance_fen)).collect()))
}

/// Adds the lines to the running balances, in the transaction that posts them. The
/// upsert adds to the stored figure in the database, so two entries on one account never
/// overwrite each other's sum.
async fn add_to_balances(db: &Tx, county_id: i64, lines: &[Line]) -> AppResult<()> {
    let mut by_account: std::collections::BTreeMap<&str, i64> = Default::default();
    for l in lines.iter().filter(|l| l.fen != 0) {
        *by_account.entry(&l.account).or_default() += l.fen;
    }
    if by_account.is_empty() {
        return Ok(());
    }
    let rows = by_account.into_iter().map(|(account, fen)| ledger_balance::ActiveModel { county_id: Set(county_id), account: Set(account.into()), balance_fen: Set(fen) });
    ledger_balance::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([ledger_balance::Column::CountyId, ledger_balance::Column::Account])
                .value(
                    ledger_balance::Column::BalanceFen,
                    Expr::col((ledger_balance::Entity, ledger_balance::Column::BalanceFen)).add(Expr::cust("excluded.balance_fen")),
                )
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Recomputes every running balance from the lines (after a bulk load; the migration
/// does the same once).
pub async fn rebuild_balances(db: &impl ConnectionTrait) -> AppResult<()> {
    db.execute_unprepared("DELETE FROM ledger_balances").await?;
    db.execute_unprepared(
        "INSERT INTO ledger_balances (county_id, account, balance_fen) \
         SELECT county_id, account, SUM(debit_fen - credit_fen) FROM ledger_lines GROUP BY county_id, account",
    )
    .await?;
    Ok(())
}

/// Appends one balanced entry. The only writer of the ledger.
async fn post(
    db: &Tx,
    caller: &Caller,
    kind: &str,
    refs: (Option<i64>, Option<i64>, Option<i32>),
    memo: &str,
    lines: &[Line],
) -> AppResult<ledger_entry::Model> {
    debug_assert_eq!(lines.iter().map(|l| l.fen).sum::<i64>(), 0);
    let e = ledger_entry::ActiveModel {
        county_id: Set(caller.county_id),
        kind: Set(kind.into()),
        contract_id: Set(refs.0),
        department_id: Set(refs.1),
        year: Set(refs.2),
        memo: Set(memo.into()),
        created_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // The lines in one statement, and the balances in one more: fewer round trips
    // while the transaction holds the write lock.
    let rows: Vec<ledger_line::ActiveModel> = lines
        .iter()
        .filter(|l| l.fen != 0)
        .map(|l| ledger_line::ActiveModel {
            county_id: Set(caller.county_id),
            entry_id: Set(e.id),
            account: Set(l.account.clone()),
            debit_fen: Set(l.fen.max(0)),
            credit_fen: Set((-l.fen).max(0)),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        ledger_line::Entity::insert_many(rows).exec_without_returning(db).await?;
    }
    add_to_balances(db, caller.county_id, lines).await?;
    let lines: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.fen != 0)
        .map(|l| serde_json::json!({"account": l.account, "amount": Money::from_fen(l.fen).to_string()}))
        .collect();
    db.note(Entry::by(caller, format!("ledger.{kind}"), "ledger_entry", e.id).after(serde_json::json!({"memo": memo, "lines": lines})));
    Ok(e)
}

/// The finance bureau sets a department's purchase-of-service budget for a year; a
/// change of an existing budget needs a reason.
pub async fn set_budget(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    dept: i64,
    year: i32,
    amount: Money,
    reason: &str,
) -> AppResult<Money> {
    if caller.role != Role::Finance {
        return Err(AppError::forbidden());
    }
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "年度不正确"));
    }
    let txn = begin_write(db).await?;
    lifecycle::lock_money(&txn, None, Some(dept), None).await?;
    let org = in_county::<organisation::Entity>(caller.county_id).filter(organisation::Column::Id.eq(dept)).one(&txn).await?;
    if !org.is_some_and(|o| OrgKind::name_assigns_work(&o.kind)) {
        return Err(AppError::not_found());
    }
    let b = book(&txn, caller.county_id, &[super::approp(dept, year), super::budget(dept, year)]).await?;
    let existing = b.balance(&super::approp(dept, year)).fen() != 0;
    if existing && reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "调整已下达的预算须写明理由"));
    }
    let lines = super::set_budget(&b, dept, year, amount).map_err(funds_error)?;
    if lines.iter().all(|l| l.fen == 0) {
        return Ok(amount); // the budget already is that amount: nothing moves
    }
    let memo = if reason.trim().is_empty() { format!("下达{year}年度购买服务预算") } else { reason.trim().to_string() };
    post(&txn, caller, "budget", (None, Some(dept), Some(year)), &memo, &lines).await?;
    let before = b.balance(&super::approp(dept, year));
    txn.commit(vec![Entry::by(caller, "budget.set", "organisation", dept)
        .before(serde_json::json!({"year": year, "amount": before.to_string()}))
        .after(serde_json::json!({"year": year, "amount": amount.to_string(), "reason": reason.trim()}))])
    .await?;
    Ok(amount)
}

/// The fiscal year a contract's money belongs to: that of its first commitment, or of
/// the start of its period.
async fn contract_year(db: &impl ConnectionTrait, c: &contract::Model, start: chrono::NaiveDate) -> AppResult<i32> {
    let first = in_county::<ledger_entry::Entity>(c.county_id)
        .filter(ledger_entry::Column::ContractId.eq(c.id))
        .filter(ledger_entry::Column::Kind.eq("commitment"))
        .order_by_asc(ledger_entry::Column::Id)
        .one(db)
        .await?;
    Ok(first.and_then(|e| e.year).unwrap_or(start.year()))
}

/// The budget year of every contract of the county that committed money (that of its first
/// commitment, as `contract_year` says), in one query.
pub async fn contract_years(db: &impl ConnectionTrait, county_id: i64) -> AppResult<HashMap<i64, i32>> {
    let rows: Vec<(Option<i64>, Option<i32>)> = in_county::<ledger_entry::Entity>(county_id)
        .filter(ledger_entry::Column::Kind.eq("commitment"))
        .order_by_asc(ledger_entry::Column::Id)
        .select_only()
        .columns([ledger_entry::Column::ContractId, ledger_entry::Column::Year])
        .into_tuple()
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for (c, y) in rows {
        if let (Some(c), Some(y)) = (c, y) {
            out.entry(c).or_insert(y);
        }
    }
    Ok(out)
}

/// Brings a contract's commitment to `amount`: commits more of the department's budget
/// (refused beyond it) or releases what is no longer needed. Runs inside the signing
/// transaction, so a contract over budget cannot become active.
pub async fn commit_contract(
    txn: &Tx,
    caller: &Caller,
    c: &contract::Model,
    start: chrono::NaiveDate,
    amount: Money,
) -> AppResult<()> {
    let year = contract_year(txn, c, start).await?;
    let dept = c.department_id;
    let accounts = [super::budget(dept, year), super::commit(c.id), super::paid(c.id), super::received(c.id)];
    let b = book(txn, c.county_id, &accounts).await?;
    let held = b.balance(&super::commit(c.id)).fen() + b.balance(&super::paid(c.id)).fen() + b.balance(&super::received(c.id)).fen();
    let delta = amount.fen() - held;
    let caller_for_county = Caller { county_id: c.county_id, home_county_id: c.county_id, ..caller.clone() };
    if delta > 0 {
        let lines = super::commit_to(&b, dept, year, c.id, Money::from_fen(delta)).map_err(funds_error)?;
        post(txn, &caller_for_county, "commitment", (Some(c.id), Some(dept), Some(year)), &format!("合同{}生效，承诺经费", c.number), &lines).await?;
    } else if delta < 0 {
        let lines = super::release(&b, dept, year, c.id, Money::from_fen(-delta));
        if lines.iter().all(|l| l.fen == 0) {
            return Ok(());
        }
        post(txn, &caller_for_county, "release", (Some(c.id), Some(dept), Some(year)), &format!("合同{}金额调减，释放经费", c.number), &lines).await?;
    }
    Ok(())
}

/// 409 BUDGET_EXCEEDED unless the department's uncommitted budget for the contract's
/// year, less what its other pending amendments would add, covers `increase`.
pub async fn require_department_room(txn: &impl ConnectionTrait, c: &contract::Model, start: chrono::NaiveDate, increase: Money) -> AppResult<()> {
    if !increase.is_positive() {
        return Ok(());
    }
    let year = contract_year(txn, c, start).await?;
    let available = book(txn, c.county_id, &[super::budget(c.department_id, year)]).await?.balance(&super::budget(c.department_id, year));
    let mut proposed = 0i64;
    let others = in_county::<contract::Entity>(c.county_id)
        .filter(contract::Column::DepartmentId.eq(c.department_id))
        .filter(contract::Column::Status.eq(contracts::Status::Active.as_str()))
        .filter(contract::Column::Id.ne(c.id))
        .all(txn)
        .await?;
    for o in &others {
        let vs = contracts::versions(txn, o).await?;
        let (Some(cur), Some(p)) = (vs.iter().find(|v| v.version == o.current_version), vs.iter().find(|v| v.version > o.current_version && v.status == "pending")) else {
            continue;
        };
        if contract_year(txn, o, cur.period_start).await? == year {
            proposed += (p.amount_fen - cur.amount_fen).max(0);
        }
    }
    let room = Money::from_fen((available.fen() - proposed).max(0));
    if increase > room {
        return Err(funds_error(FundsError::BudgetExceeded { available: room }));
    }
    Ok(())
}

/// Gives back everything a contract has committed and not paid (termination).
pub async fn release_contract(txn: &Tx, caller: &Caller, c: &contract::Model) -> AppResult<()> {
    let b = book(txn, c.county_id, &[super::commit(c.id)]).await?;
    let left = b.balance(&super::commit(c.id));
    if !left.is_positive() {
        return Ok(());
    }
    let year = contract_year(txn, c, Utc::now().date_naive()).await?;
    let lines = super::release(&b, c.department_id, year, c.id, left);
    post(txn, caller, "release", (Some(c.id), Some(c.department_id), Some(year)), &format!("合同{}终止，释放未付经费", c.number), &lines).await?;
    Ok(())
}

/// What an idempotency key is bound to. A voucher number is part of the request when given
/// (without one, the hash is what it always was, so keys stored before still replay).
fn request_hash(contract_id: i64, milestone_id: i64, amount: Money, voucher: Option<&str>) -> String {
    let mut s = format!("{contract_id}|{milestone_id}|{amount}");
    if let Some(v) = voucher {
        s.push_str(&format!("|{v}"));
    }
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A voucher number as given: trimmed, blank as none, at most 50 printable characters.
pub fn parse_voucher(v: Option<&str>) -> AppResult<Option<String>> {
    let v = v.map(str::trim).filter(|v| !v.is_empty());
    match v {
        Some(v) if v.chars().count() > 50 => Err(AppError::invalid("voucher", "凭证号不超过50个字符")),
        Some(v) if v.chars().any(char::is_control) => Err(AppError::invalid("voucher", "凭证号不能含控制字符")),
        other => Ok(other.map(str::to_string)),
    }
}

/// The answer a disbursement gives, stored with its idempotency key.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// The finance bureau pays (part of) a milestone. `key` makes the request idempotent: a
/// replay returns the first answer and pays nothing more; the same key with another body
/// is refused. The checks and the payment are one transaction, with the contract row
/// locked on PostgreSQL (SQLite's write lock serialises writers), so racing requests
/// cannot pay more than fits.
pub async fn disburse(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    key: &str,
    contract_id: i64,
    milestone_id: i64,
    amount: Money,
    voucher: Option<&str>,
    answer: impl Fn(&disbursement::Model) -> String,
) -> AppResult<Answer> {
    if caller.role != Role::Finance {
        return Err(AppError::forbidden());
    }
    let key = key.trim();
    if key.is_empty() || key.len() > 128 {
        return Err(AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REQUIRED", "请求须带 Idempotency-Key 头（1至128个字符）"));
    }
    let voucher = parse_voucher(voucher)?;
    let hash = request_hash(contract_id, milestone_id, amount, voucher.as_deref());
    for _ in 0..3 {
        if let Some(answer) = replay(db, caller, key, &hash).await? {
            return answer;
        }
        match disburse_once(db, caller, key, &hash, contract_id, milestone_id, amount, voucher.as_deref(), &answer).await {
            Err(e) if e.code == "IDEMPOTENCY_RACE" => continue, // a twin committed first: replay it
            other => return other,
        }
    }
    Err(AppError::conflict("CONCURRENT_UPDATE", "请求冲突，请重试"))
}

/// The stored answer of an earlier request with this key, if there was one.
async fn replay(db: &impl ConnectionTrait, caller: &Caller, key: &str, hash: &str) -> AppResult<Option<AppResult<Answer>>> {
    let Some(prev) = in_county::<idempotency_key::Entity>(caller.county_id)
        .filter(idempotency_key::Column::UserId.eq(caller.user_id))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if prev.request_hash != hash {
        return Ok(Some(Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "IDEMPOTENCY_KEY_REUSED",
            "同一个 Idempotency-Key 已用于内容不同的请求",
        ))));
    }
    Ok(Some(Ok(Answer { status: prev.status_code as u16, body: prev.body })))
}

#[allow(clippy::too_many_arguments)]
async fn disburse_once(
    db: &(impl ConnectionTrait + TransactionTrait),
    caller: &Caller,
    key: &str,
    hash: &str,
    contract_id: i64,
    milestone_id: i64,
    amount: Money,
    voucher: Option<&str>,
    answer: &impl Fn(&disbursement::Model) -> String,
) -> AppResult<Answer> {
    let txn = begin_write(db).await?;
    let q = || contracts::visible(caller).filter(contract::Column::Id.eq(contract_id));
    let c = q().one(&txn).await?.ok_or_else(|| AppError::invalid("contract_id", "没有这个合同"))?;
    // Admission before contract, as every money step locks them. Shared on the admission:
    // payments on its contracts go on side by side, a rejection or revocation waits.
    let mut aq = by_id_in_county::<entity::admission::Entity>(c.county_id, c.admission_id);
    let mut cq = q();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        aq = aq.lock_shared();
        cq = cq.lock_exclusive();
    }
    let a = aq.one(&txn).await?.ok_or_else(AppError::not_found)?;
    // On SQLite the transaction already holds the database's write lock: the row read
    // above is current. On PostgreSQL read it again, locked, after the admission.
    let c = if db.get_database_backend() == DatabaseBackend::Postgres { cq.one(&txn).await?.ok_or_else(AppError::not_found)? } else { c };
    // A twin with the same key may have committed while this one waited for the lock:
    // answer as it was answered, before any check that its payment would now fail.
    if let Some(answer) = replay(&txn, caller, key, hash).await? {
        txn.commit_unchanged().await?;
        return answer;
    }
    if !matches!(lifecycle::contract_status(&c)?, contracts::Status::Active | contracts::Status::Completed) {
        return Err(AppError::conflict("INVALID_STATE", "只有已生效的合同才能拨付"));
    }
    lifecycle::require_in_force(&a, Use::Pay)?;
    let s = schedule(&txn, &c).await?;
    let m = s.current().find(|i| i.id == milestone_id).cloned().ok_or_else(|| AppError::invalid("milestone_id", "该付款节点不属于此合同的现行版本"))?;
    let p = s.payable(&m, Utc::now().date_naive());
    if let Some(why) = p.held {
        if !p.now.is_positive() || amount > p.now {
            return Err(AppError::conflict("MILESTONE_NOT_DUE", why));
        }
    }
    let left = p.now;
    let b = book(&txn, c.county_id, &[super::commit(c.id)]).await?;
    let lines = super::disburse(&b, c.id, left, amount).map_err(funds_error)?;
    let e = post(&txn, caller, "disbursement", (Some(c.id), Some(c.department_id), None), &format!("拨付合同{}第{}期", c.number, m.seq), &lines).await?;
    let d = disbursement::ActiveModel {
        county_id: Set(c.county_id),
        contract_id: Set(c.id),
        milestone_id: Set(m.id),
        amount_fen: Set(amount.fen()),
        status: Set("paid".into()),
        entry_id: Set(e.id),
        paid_by: Set(caller.user_id),
        paid_at: Set(Utc::now()),
        voucher: Set(voucher.map(str::to_string)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let body = answer(&d);
    let saved = idempotency_key::ActiveModel {
        county_id: Set(caller.county_id),
        user_id: Set(caller.user_id),
        key: Set(key.into()),
        request_hash: Set(hash.into()),
        status_code: Set(201),
        body: Set(body.clone()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match saved {
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict("IDEMPOTENCY_RACE", "")),
        Err(e) => Err(e.into()),
        Ok(_) => {
            txn.commit(vec![Entry::by(caller, "disbursement.pay", "disbursement", d.id).after(&d)]).await?;
            Ok(Answer { status: 201, body })
        }
    }
}

/// The contract's schedule as the payment rule reads it (`funds::schedule`): every
/// version's instalments, its clauses' numbers, the clauses with an accepted deliverable
/// and what was paid on each instalment key. Four statements.
pub async fn schedule(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<super::schedule::Schedule> {
    let ms = in_county::<contract_milestone::Entity>(c.county_id).filter(contract_milestone::Column::ContractId.eq(c.id)).all(db).await?;
    let clauses: Vec<(i64, i32)> = in_county::<contract_clause::Entity>(c.county_id)
        .select_only()
        .column(contract_clause::Column::Id)
        .column(contract_clause::Column::Number)
        .filter(contract_clause::Column::ContractId.eq(c.id))
        .into_tuple()
        .all(db)
        .await?;
    let accepted: Vec<i64> = in_county::<deliverable::Entity>(c.county_id)
        .select_only()
        .column(deliverable::Column::ClauseId)
        .filter(deliverable::Column::ContractId.eq(c.id))
        .filter(deliverable::Column::Status.eq("accepted"))
        .into_tuple()
        .all(db)
        .await?;
    let paid: Vec<(i64, i64)> = in_county::<disbursement::Entity>(c.county_id)
        .select_only()
        .column(disbursement::Column::MilestoneId)
        .column(disbursement::Column::AmountFen)
        .filter(disbursement::Column::ContractId.eq(c.id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(schedule_of(c.current_version, &ms, clauses, accepted, paid))
}

/// A schedule from rows already read (the inbox reads them for many contracts at once).
pub fn schedule_of(current_version: i32, ms: &[contract_milestone::Model], clauses: Vec<(i64, i32)>, accepted: Vec<i64>, paid: Vec<(i64, i64)>) -> super::schedule::Schedule {
    let paid_by_key = crate::lifecycle::paid_by_key(&ms.iter().map(|m| (m.id, m.key)).collect(), paid);
    let mut instalments: Vec<super::schedule::Instalment> = ms
        .iter()
        .map(|m| super::schedule::Instalment { id: m.id, version: m.version, key: m.key, seq: m.seq, due: m.due, amount: Money::from_fen(m.amount_fen), clause_id: m.clause_id })
        .collect();
    instalments.sort_by_key(|i| (i.version, i.seq));
    super::schedule::Schedule { current_version, instalments, clause_numbers: clauses.into_iter().collect(), accepted: accepted.into_iter().collect(), paid_by_key }
}

pub async fn find_disbursement(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<disbursement::Model> {
    let d = in_county::<disbursement::Entity>(caller.county_id)
        .filter(disbursement::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    contracts::find(db, caller, d.contract_id).await?; // the caller must see its contract
    Ok(d)
}

/// The receiving community confirms the money arrived (确认到账), or disputes it.
pub async fn receipt(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, dispute: Option<&str>) -> AppResult<disbursement::Model> {
    let txn = begin_write(db).await?;
    let d = find_disbursement(&txn, caller, id).await?;
    let c = by_id_in_county::<contract::Entity>(d.county_id, d.contract_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    if caller.role != Role::Community || c.community_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if d.status == "confirmed" {
        return Err(AppError::conflict("ALREADY_CONFIRMED", "该笔拨款已确认到账"));
    }
    let (status, reason) = match dispute {
        Some(r) if r.trim().is_empty() => return Err(AppError::invalid("reason", "请写明有异议的理由")),
        Some(r) => ("disputed", Some(r.trim().to_string())),
        None => ("confirmed", d.dispute_reason.clone()),
    };
    let res = disbursement::Entity::update_many()
        .col_expr(disbursement::Column::Status, Expr::value(status))
        .col_expr(disbursement::Column::ReceiptBy, Expr::value(caller.user_id))
        .col_expr(disbursement::Column::ReceiptAt, Expr::value(Utc::now()))
        .col_expr(disbursement::Column::DisputeReason, Expr::value(reason))
        .filter(disbursement::Column::Id.eq(id))
        .filter(disbursement::Column::Status.ne("confirmed"))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("ALREADY_CONFIRMED", "该笔拨款已确认到账"));
    }
    if status == "confirmed" {
        post(&txn, caller, "receipt", (Some(c.id), Some(c.department_id), None), &format!("{}确认收到合同{}拨款", "社区", c.number), &super::confirm(c.id, Money::from_fen(d.amount_fen))).await?;
    }
    let before = d;
    let d = by_id_in_county::<disbursement::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    crate::lifecycle::store::settle(&txn, caller, c.id).await?;
    txn.commit(vec![Entry::by(caller, format!("disbursement.{status}"), "disbursement", id).before(&before).after(&d)]).await?;
    Ok(d)
}

/// The finance bureau answers a disputed payment: what it found when it checked (the bank
/// record, the voucher), and the payment goes back to the community to confirm or dispute
/// again. No money moves: a payment that did not arrive is settled outside this record and
/// the answer says how; the community's reason stays beside the answer.
pub async fn answer_dispute(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, note: &str) -> AppResult<disbursement::Model> {
    let txn = begin_write(db).await?;
    let d = find_disbursement(&txn, caller, id).await?;
    if caller.role != Role::Finance {
        return Err(AppError::forbidden());
    }
    let note = note.trim();
    if note.is_empty() {
        return Err(AppError::invalid("answer", "请写明核实的结果（如到账日期、凭证号）"));
    }
    if d.status != "disputed" {
        return Err(AppError::conflict("NOT_DISPUTED", "该笔拨款没有待答复的异议"));
    }
    let res = disbursement::Entity::update_many()
        .col_expr(disbursement::Column::Status, Expr::value("paid"))
        .col_expr(disbursement::Column::Answer, Expr::value(note))
        .col_expr(disbursement::Column::AnsweredBy, Expr::value(caller.user_id))
        .col_expr(disbursement::Column::AnsweredAt, Expr::value(Utc::now()))
        .filter(disbursement::Column::Id.eq(id))
        .filter(disbursement::Column::Status.eq("disputed"))
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(AppError::conflict("NOT_DISPUTED", "该笔拨款没有待答复的异议"));
    }
    let before = d;
    let d = by_id_in_county::<disbursement::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    txn.commit(vec![Entry::by(caller, "disbursement.answered", "disbursement", id).before(&before).after(&d)]).await?;
    Ok(d)
}

/// A page of the payments on the contracts the caller sees, newest first.
pub async fn disbursements_page(db: &impl ConnectionTrait, caller: &Caller, status: Option<&str>, contract_id: Option<i64>, req: PageReq) -> AppResult<Page<disbursement::Model>> {
    use sea_orm::QueryTrait;
    let seen = contracts::visible(caller).select_only().column(contract::Column::Id).into_query();
    let mut q = in_county::<disbursement::Entity>(caller.county_id).filter(disbursement::Column::ContractId.in_subquery(seen));
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        q = q.filter(disbursement::Column::Status.eq(s));
    }
    if let Some(c) = contract_id {
        q = q.filter(disbursement::Column::ContractId.eq(c));
    }
    page::fetch(db, q, disbursement::Column::Id, req, |d| d.id).await
}

pub async fn disbursements_of(db: &impl ConnectionTrait, county_id: i64, contract_id: i64) -> AppResult<Vec<disbursement::Model>> {
    Ok(in_county::<disbursement::Entity>(county_id)
        .filter(disbursement::Column::ContractId.eq(contract_id))
        .order_by_asc(disbursement::Column::Id)
        .all(db)
        .await?)
}

/// A contract's money: amount, disbursed, confirmed, remaining.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ContractFunds {
    pub amount: Money,
    pub committed: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    pub remaining: Money,
}

impl ContractFunds {
    /// A contract's money from its amount in force and its accounts' balances.
    pub fn from_book(contract_id: i64, amount: Money, b: &Book) -> ContractFunds {
        let confirmed = b.balance(&super::received(contract_id));
        let disbursed = Money::from_fen(b.balance(&super::paid(contract_id)).fen() + confirmed.fen());
        ContractFunds { amount, committed: b.balance(&super::commit(contract_id)), disbursed, confirmed, remaining: Money::from_fen(amount.fen() - disbursed.fen()) }
    }

    /// What the contract holds in the funds views and registers: a terminated contract only
    /// what it paid before it ended, with nothing outstanding.
    pub fn held(self, status: contracts::Status) -> ContractFunds {
        if status == contracts::Status::Terminated {
            ContractFunds { amount: self.disbursed, remaining: Money::ZERO, ..self }
        } else {
            self
        }
    }
}

pub async fn contract_funds(db: &impl ConnectionTrait, c: &contract::Model) -> AppResult<ContractFunds> {
    let v = contracts::versions(db, c).await?.into_iter().find(|v| v.version == c.current_version);
    let amount = Money::from_fen(v.map(|v| v.amount_fen).unwrap_or(0));
    Ok(ContractFunds::from_book(c.id, amount, &contract_books(db, c.county_id, std::slice::from_ref(c)).await?))
}

/// The balances of the contracts' accounts (committed, paid, received), in batches.
pub async fn contract_books(db: &impl ConnectionTrait, county_id: i64, cs: &[contract::Model]) -> AppResult<Book> {
    let accounts: Vec<String> = cs.iter().flat_map(|c| [super::commit(c.id), super::paid(c.id), super::received(c.id)]).collect();
    let mut b = Book::default();
    for chunk in accounts.chunks(900) {
        b.0.extend(book(db, county_id, chunk).await?.0);
    }
    Ok(b)
}

/// `contract_funds` for many contracts of a county: two queries, whatever their number.
pub async fn funds_of(db: &impl ConnectionTrait, county_id: i64, cs: &[contract::Model]) -> AppResult<HashMap<i64, ContractFunds>> {
    let amounts: HashMap<(i64, i32), i64> = in_county::<entity::contract_version::Entity>(county_id)
        .filter(entity::contract_version::Column::ContractId.is_in(cs.iter().map(|c| c.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| ((v.contract_id, v.version), v.amount_fen))
        .collect();
    let b = contract_books(db, county_id, cs).await?;
    Ok(cs
        .iter()
        .map(|c| (c.id, ContractFunds::from_book(c.id, Money::from_fen(amounts.get(&(c.id, c.current_version)).copied().unwrap_or(0)), &b)))
        .collect())
}

/// `zhunru verify-ledger`: every invariant, over every entry, summed in the database so
/// that it runs in bounded memory at any ledger size.
pub async fn verify_ledger(db: &impl ConnectionTrait, county_id: Option<i64>) -> AppResult<Vec<super::Breach>> {
    let scope = |table: &str| county_id.map(|c| format!(" WHERE {table}.county_id = {c}")).unwrap_or_default();
    let rows = |sql: String| async move { db.query_all(Statement::from_string(db.get_database_backend(), sql)).await };
    let mut breaches = Vec::new();
    // Entries whose debits and credits differ, and entries with no lines at all (an
    // interrupted write would have rolled back, so either is tampering).
    for r in rows(format!(
        "SELECT e.id, CAST(COALESCE(SUM(l.debit_fen - l.credit_fen), 0) AS BIGINT), COUNT(l.id) FROM ledger_entries e \
         LEFT JOIN ledger_lines l ON l.entry_id = e.id{} GROUP BY e.id \
         HAVING COUNT(l.id) = 0 OR SUM(l.debit_fen - l.credit_fen) <> 0 ORDER BY e.id",
        scope("e")
    ))
    .await?
    {
        let (id, off, n): (i64, i64, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
        breaches.push(if n == 0 {
            super::Breach { rule: "entry has lines".into(), detail: format!("entry {id} has no lines") }
        } else {
            super::Breach { rule: "debits = credits".into(), detail: format!("entry {id} is off by {off} fen") }
        });
    }
    // Balances from the lines, per county and account, against the running balances.
    let mut from_lines: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for r in rows(format!("SELECT county_id, account, CAST(SUM(debit_fen - credit_fen) AS BIGINT) FROM ledger_lines{} GROUP BY county_id, account", scope("ledger_lines"))).await? {
        from_lines.insert((r.try_get_by_index(0)?, r.try_get_by_index(1)?), r.try_get_by_index::<i64>(2)?);
    }
    let mut kept: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for r in rows(format!("SELECT county_id, account, balance_fen FROM ledger_balances{}", scope("ledger_balances"))).await? {
        kept.insert((r.try_get_by_index(0)?, r.try_get_by_index(1)?), r.try_get_by_index::<i64>(2)?);
    }
    breaches.extend(super::check_balances(&from_lines, &kept));
    // The limits the ledger alone cannot see: contracts, instalments, admissions.
    breaches.extend(lifecycle::verify(db, county_id).await?);
    Ok(breaches)
}

/// Budget, committed, disbursed and confirmed per department for a year.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DepartmentFunds {
    pub department_id: i64,
    pub department: String,
    pub budget: Money,
    pub committed: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    pub available: Money,
}

/// `years`: every contract's budget year (`contract_years`), read once by the caller for
/// all the views of a request.
pub async fn department_funds(db: &impl ConnectionTrait, county_id: i64, year: i32, years: &HashMap<i64, i32>) -> AppResult<Vec<DepartmentFunds>> {
    let depts = in_county::<organisation::Entity>(county_id)
        .filter(organisation::Column::Kind.is_in([OrgKind::Department.as_str(), OrgKind::Street.as_str()]))
        .order_by_asc(organisation::Column::Id)
        .all(db)
        .await?;
    let b = Book(
        in_county::<ledger_balance::Entity>(county_id)
            .all(db)
            .await?
            .into_iter()
            .map(|r| (r.account, r.balance_fen))
            .collect(),
    );
    // Only the contracts charged to this year (issue 29: a year's view showed every year's payments).
    let contracts_by_dept: HashMap<i64, Vec<i64>> = in_county::<contract::Entity>(county_id).all(db).await?.into_iter().filter(|c| years.get(&c.id) == Some(&year)).fold(HashMap::new(), |mut m, c| {
        m.entry(c.department_id).or_default().push(c.id);
        m
    });
    Ok(depts
        .into_iter()
        .map(|d| {
            let budget = Money::from_fen(-b.balance(&super::approp(d.id, year)).fen());
            let available = b.balance(&super::budget(d.id, year));
            let ids = contracts_by_dept.get(&d.id).cloned().unwrap_or_default();
            let sum = |f: fn(i64) -> String| Money::from_fen(ids.iter().map(|c| b.balance(&f(*c)).fen()).sum());
            let confirmed = sum(super::received);
            let disbursed = Money::from_fen(sum(super::paid).fen() + confirmed.fen());
            DepartmentFunds {
                department_id: d.id,
                department: d.name,
                budget,
                committed: Money::from_fen(budget.fen() - available.fen()),
                disbursed,
                confirmed,
                available,
            }
        })
        .collect())
}

/// Deliverables: the community submits against a performance clause of an active
/// contract; the department accepts or rejects, citing the clause.
pub async fn submit_deliverable(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, contract_id: i64, clause_id: i64, summary: &str) -> AppResult<deliverable::Model> {
    let txn = begin_write(db).await?;
    let c = contracts::find(&txn, caller, contract_id).await?;
    delivering_party(caller, &c)?;
    if lifecycle::contract_status(&c)? != contracts::Status::Active {
        return Err(AppError::conflict("INVALID_STATE", "只有履行中的合同可以提交成果"));
    }
    let clause = contracts::clauses(&txn, &c, c.current_version).await?.into_iter().find(|k| k.id == clause_id);
    let Some(clause) = clause.filter(|k| k.performance) else {
        return Err(AppError::invalid("clause_id", "须针对本合同现行版本的一条履约条款提交成果"));
    };
    if summary.trim().is_empty() {
        return Err(AppError::invalid("summary", "请填写成果说明"));
    }
    let d = deliverable::ActiveModel {
        county_id: Set(c.county_id),
        contract_id: Set(c.id),
        clause_id: Set(clause.id),
        summary: Set(summary.trim().into()),
        status: Set("submitted".into()),
        submitted_by: Set(caller.user_id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(vec![Entry::by(caller, "deliverable.submit", "deliverable", d.id).after(&d)]).await?;
    Ok(d)
}

pub async fn find_deliverable(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<(deliverable::Model, contract::Model)> {
    let d = in_county::<deliverable::Entity>(caller.county_id)
        .filter(deliverable::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let c = contracts::find(db, caller, d.contract_id).await?;
    Ok((d, c))
}

pub async fn decide_deliverable(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, id: i64, accept: bool, comment: &str) -> AppResult<deliverable::Model> {
    let txn = begin_write(db).await?;
    let (d, c) = find_deliverable(&txn, caller, id).await?;
    if caller.role != Role::Department || c.department_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    if d.status != "submitted" {
        return Err(AppError::conflict("INVALID_STATE", "该成果已验收"));
    }
    if !accept && comment.trim().is_empty() {
        return Err(AppError::invalid("comment", "退回成果须写明不符合条款的哪项要求"));
    }
    let clause = by_id_in_county::<contract_clause::Entity>(d.county_id, d.clause_id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    let cite = format!("依据合同第{}条（{}）", crate::contracts::pdf::chinese_number(clause.number as u32), clause.title);
    let comment = if comment.trim().is_empty() { format!("{cite}验收合格") } else { format!("{cite}：{}", comment.trim()) };
    deliverable::Entity::update_many()
        .col_expr(deliverable::Column::Status, Expr::value(if accept { "accepted" } else { "rejected" }))
        .col_expr(deliverable::Column::DecisionComment, Expr::value(comment))
        .col_expr(deliverable::Column::DecidedBy, Expr::value(caller.user_id))
        .col_expr(deliverable::Column::DecidedAt, Expr::value(Utc::now()))
        .filter(deliverable::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let before = d;
    let d = by_id_in_county::<deliverable::Entity>(caller.county_id, id).one(&txn).await?.ok_or_else(AppError::not_found)?;
    crate::lifecycle::store::settle(&txn, caller, c.id).await?;
    txn.commit(vec![Entry::by(caller, format!("deliverable.{}", d.status), "deliverable", id).before(&before).after(&d)]).await?;
    Ok(d)
}

pub async fn deliverables_of(db: &impl ConnectionTrait, county_id: i64, contract_id: i64) -> AppResult<Vec<deliverable::Model>> {
    Ok(in_county::<deliverable::Entity>(county_id)
        .filter(deliverable::Column::ContractId.eq(contract_id))
        .order_by_asc(deliverable::Column::Id)
        .all(db)
        .await?)
}

/// What a page, a list or the API shows of an attachment: everything but its bytes.
#[derive(Clone, Debug, sea_orm::FromQueryResult, serde::Serialize, utoipa::ToSchema)]
#[schema(as = AttachmentOut)]
pub struct AttachmentMeta {
    pub id: i64,
    pub deliverable_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// A photo scaled down on arrival: the SHA-256 and size of the file as uploaded.
    pub original_sha256: Option<String>,
    pub original_size: Option<i64>,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<entity::attachment::Model> for AttachmentMeta {
    fn from(a: entity::attachment::Model) -> Self {
        AttachmentMeta {
            id: a.id,
            deliverable_id: a.deliverable_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            original_sha256: a.original_sha256,
            original_size: a.original_size,
            created_at: a.created_at,
        }
    }
}

/// The attachments of these deliverables, oldest first, without their bytes.
pub async fn attachments_of(db: &impl ConnectionTrait, county_id: i64, deliverable_ids: &[i64]) -> AppResult<Vec<AttachmentMeta>> {
    use entity::attachment::Column as A;
    let mut out = Vec::new();
    for chunk in deliverable_ids.chunks(500) {
        out.extend(
            in_county::<entity::attachment::Entity>(county_id)
                .filter(A::DeliverableId.is_in(chunk.to_vec()))
                .select_only()
                .columns([A::Id, A::DeliverableId, A::Filename, A::ContentType, A::Size, A::Sha256, A::OriginalSha256, A::OriginalSize, A::CreatedAt])
                .order_by_asc(A::Id)
                .into_model::<AttachmentMeta>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Attachments: at most 5 MB, of the kinds offices exchange; stored with their SHA-256.
pub const MAX_ATTACHMENT: usize = 5 * 1024 * 1024;
/// What a clerk reads when a file is empty or too large.
pub const TOO_LARGE: &str = "附件须为非空文件：照片（JPG、PNG）不超过 20 MB，会自动缩小保存；其他文件不超过 5 MB";
pub const ATTACHMENT_TYPES: [(&str, &str); 6] = [
    ("pdf", "application/pdf"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
];

/// An upload checked and made ready to store: its kind by name and content, its size,
/// and a photo scaled down (on the blocking pool). Done before anything is saved, so a
/// bad file leaves no deliverable without it.
pub struct Upload {
    pub filename: String,
    pub content_type: &'static str,
    pub stored: super::photo::Stored,
}

pub async fn prepare_upload(filename: &str, data: Vec<u8>) -> AppResult<Upload> {
    let content_type = check_attachment(filename, &data)?;
    let ext = filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let stored = crate::platform::cpu::run(move || super::photo::prepare(&ext, data)).await?.map_err(|m| AppError::invalid("file", m))?;
    // The last 200 characters of the name: the extension survives.
    let filename: String = filename.chars().rev().take(200).collect::<Vec<_>>().into_iter().rev().collect();
    Ok(Upload { filename, content_type, stored })
}

/// The contract's own community, the only party that delivers and attaches.
fn delivering_party(caller: &Caller, c: &contract::Model) -> AppResult<()> {
    if caller.role != Role::Community || c.community_id != caller.org_id {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// Whether the caller may deliver on the contract: asked before an upload is decoded, so
/// that nobody but the party makes the server scale a photo.
pub async fn may_deliver(db: &impl ConnectionTrait, caller: &Caller, contract_id: i64) -> AppResult<()> {
    delivering_party(caller, &contracts::find(db, caller, contract_id).await?)
}

/// The deliverable the caller may attach a file to (its party's, still submitted): asked
/// before the upload is decoded, and again when it is stored.
pub async fn may_attach(db: &impl ConnectionTrait, caller: &Caller, deliverable_id: i64) -> AppResult<deliverable::Model> {
    let (d, c) = find_deliverable(db, caller, deliverable_id).await?;
    delivering_party(caller, &c)?;
    if d.status != "submitted" {
        return Err(AppError::conflict("INVALID_STATE", "已验收的成果不能再添加附件"));
    }
    Ok(d)
}

pub async fn attach(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, deliverable_id: i64, upload: Upload) -> AppResult<entity::attachment::Model> {
    let d = may_attach(db, caller, deliverable_id).await?;
    let Upload { filename, content_type, stored } = upload;
    let txn = begin_write(db).await?;
    let a = entity::attachment::ActiveModel {
        county_id: Set(caller.county_id),
        deliverable_id: Set(d.id),
        filename: Set(filename),
        content_type: Set(content_type.into()),
        size: Set(stored.data.len() as i64),
        sha256: Set(hex::encode(Sha256::digest(&stored.data))),
        original_sha256: Set(stored.original.as_ref().map(|o| o.0.clone())),
        original_size: Set(stored.original.as_ref().map(|o| o.1)),
        data: Set(stored.data),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(vec![Entry::by(caller, "attachment.add", "attachment", a.id).after(&a)]).await?;
    Ok(a)
}

/// A file fit to attach: a known kind by name *and* by content, not empty, at most 5 MB
/// (a photo 20 MB, scaled down when stored).
/// Returns its content type.
pub fn check_attachment(filename: &str, data: &[u8]) -> AppResult<&'static str> {
    let ext = filename.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    let Some((_, content_type)) = ATTACHMENT_TYPES.iter().find(|(e, _)| *e == ext) else {
        return Err(AppError::invalid("file", "附件须为 PDF、JPG、PNG、DOCX 或 XLSX 文件"));
    };
    let photo = matches!(ext.as_str(), "jpg" | "jpeg" | "png");
    if data.is_empty() || data.len() > if photo { super::photo::MAX_PHOTO } else { MAX_ATTACHMENT } {
        return Err(AppError::invalid("file", TOO_LARGE));
    }
    if !content_matches(&ext, data) {
        return Err(AppError::invalid("file", format!("文件内容与扩展名 .{ext} 不符，请上传真实的 PDF、图片或 Office 文件")));
    }
    Ok(content_type)
}

/// An attachment, for those who may see its deliverable's contract.
pub async fn find_attachment(db: &impl ConnectionTrait, caller: &Caller, id: i64) -> AppResult<entity::attachment::Model> {
    let a = in_county::<entity::attachment::Entity>(caller.county_id)
        .filter(entity::attachment::Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or_else(AppError::not_found)?;
    find_deliverable(db, caller, a.deliverable_id).await?;
    Ok(a)
}

/// The file's first bytes say what it is; the name alone could be anything.
pub fn content_matches(ext: &str, data: &[u8]) -> bool {
    match ext {
        "pdf" => data.starts_with(b"%PDF-"),
        "jpg" | "jpeg" => data.starts_with(&[0xFF, 0xD8, 0xFF]),
        "png" => data.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        // Office Open XML files are ZIP archives.
        "docx" | "xlsx" => data.starts_with(b"PK\x03\x04"),
        _ => false,
    }
}

/// A contract's money in a listing.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ContractRow {
    pub contract_id: i64,
    pub number: String,
    pub task: String,
    pub community_id: i64,
    pub community: String,
    pub amount: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    /// Still to be paid to the community.
    pub outstanding: Money,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PaymentRow {
    pub disbursement_id: i64,
    pub contract_id: i64,
    pub number: String,
    pub community: String,
    pub amount: Money,
    pub paid_at: chrono::DateTime<Utc>,
    pub dispute_reason: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub contracted: Money,
    pub disbursed: Money,
    pub confirmed: Money,
    pub outstanding: Money,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CommunityFunds {
    pub community_id: i64,
    pub community: String,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UnfundedRow {
    pub admission_id: i64,
    pub title: String,
    pub department: String,
}

/// Money across the contracts a caller may see: per contract, per community and in
/// total; disputed payments; payments unconfirmed for more than `days`; admitted tasks
/// with no money committed (费随事转: there should be none).
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub contracts: Vec<ContractRow>,
    pub communities: Vec<CommunityFunds>,
    pub county: Totals,
    pub disputed: Vec<PaymentRow>,
    pub unconfirmed: Vec<PaymentRow>,
    pub unfunded: Vec<UnfundedRow>,
    /// Contracts the system ended (emergency entry rejected or overdue, admission
    /// revoked) after money was paid: what was paid for work done, for the finance
    /// bureau to settle.
    pub to_settle: Vec<ContractRow>,
}

fn add(t: &mut Totals, r: &ContractRow) {
    let plus = |a: Money, b: Money| Money::from_fen(a.fen() + b.fen());
    t.contracted = plus(t.contracted, r.amount);
    t.disbursed = plus(t.disbursed, r.disbursed);
    t.confirmed = plus(t.confirmed, r.confirmed);
    t.outstanding = plus(t.outstanding, r.outstanding);
}

/// The funds of the contracts the caller sees; with a year, only the contracts charged to
/// that budget year (the payments and receipts to act on are listed whatever their year).
pub async fn overview(db: &impl ConnectionTrait, caller: &Caller, days: i64, year: Option<(i32, &HashMap<i64, i32>)>) -> AppResult<Overview> {
    let names = crate::admission::store::org_names(db, caller.county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let cutoff = Utc::now() - chrono::Duration::days(days);
    let every: Vec<contract::Model> = contracts::list(db, caller).await?.into_iter().filter(|c| c.status != contracts::Status::Draft.as_str()).collect();
    let of_year = |c: &contract::Model| year.is_none_or(|(y, years)| years.get(&c.id) == Some(&y));
    // Everything below in a fixed number of queries over the county, not per contract.
    let all = every;
    let funds = funds_of(db, caller.county_id, &all).await?;
    let tasks: HashMap<i64, String> = in_county::<entity::admission::Entity>(caller.county_id)
        .filter(entity::admission::Column::Id.is_in(all.iter().map(|c| c.admission_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let by_id: HashMap<i64, &contract::Model> = all.iter().map(|c| (c.id, c)).collect();
    let (mut rows, mut disputed, mut unconfirmed, mut to_settle) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    use sea_orm::QueryTrait;
    let seen = contracts::visible(caller).select_only().column(contract::Column::Id).into_query();
    for d in in_county::<disbursement::Entity>(caller.county_id)
        .filter(disbursement::Column::ContractId.in_subquery(seen))
        .filter(disbursement::Column::Status.is_in(["disputed", "paid"]))
        .order_by_asc(disbursement::Column::Id)
        .all(db)
        .await?
    {
        let Some(c) = by_id.get(&d.contract_id) else { continue };
        let p = PaymentRow {
            disbursement_id: d.id,
            contract_id: c.id,
            number: c.number.clone(),
            community: name(c.community_id),
            amount: Money::from_fen(d.amount_fen),
            paid_at: d.paid_at,
            dispute_reason: d.dispute_reason.clone(),
        };
        if d.status == "disputed" {
            disputed.push(p);
        } else if d.paid_at < cutoff {
            unconfirmed.push(p);
        }
    }
    for c in &all {
        let status = lifecycle::contract_status(c)?;
        let f = funds.get(&c.id).copied().unwrap_or_default().held(status);
        if status == contracts::Status::Terminated && c.termination_code.is_some() && f.disbursed.is_positive() {
            to_settle.push(c.id);
        }
        rows.push(ContractRow {
            contract_id: c.id,
            number: c.number.clone(),
            task: tasks.get(&c.admission_id).cloned().unwrap_or_default(),
            community_id: c.community_id,
            community: name(c.community_id),
            amount: f.amount,
            disbursed: f.disbursed,
            confirmed: f.confirmed,
            outstanding: f.remaining,
        });
    }
    // Funded in any year: a task paid from last year's budget is not unfunded this year.
    let funded: std::collections::HashSet<i64> = rows.iter().filter(|r| r.amount.is_positive()).filter_map(|r| by_id.get(&r.contract_id).map(|c| c.admission_id)).collect();
    // Terminated contracts to settle are work to do, whatever their year.
    let to_settle: Vec<ContractRow> = rows.iter().filter(|r| to_settle.contains(&r.contract_id)).cloned().collect();
    rows.retain(|r| by_id.get(&r.contract_id).is_some_and(|c| of_year(c)));
    let mut county = Totals::default();
    let mut communities: Vec<CommunityFunds> = Vec::new();
    for r in &rows {
        add(&mut county, r);
        match communities.iter_mut().find(|c| c.community_id == r.community_id) {
            Some(c) => add(&mut c.totals, r),
            None => {
                let mut t = Totals::default();
                add(&mut t, r);
                communities.push(CommunityFunds { community_id: r.community_id, community: r.community.clone(), totals: t });
            }
        }
    }
    let mut unfunded = Vec::new();
    if caller.role != Role::Community {
        for a in crate::admission::store::list(db, caller).await? {
            if !crate::admission::store::status_of(&a).is_admitted() {
                continue;
            }
            if !funded.contains(&a.id) {
                unfunded.push(UnfundedRow { admission_id: a.id, title: a.title.clone(), department: name(a.department_id) });
            }
        }
    }
    Ok(Overview { contracts: rows, communities, county, disputed, unconfirmed, unfunded, to_settle })
}

/// One change of a department's budget: who, when, how much, why.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetChange {
    pub change: Money,
    pub reason: String,
    pub by: i64,
    pub at: chrono::DateTime<Utc>,
}

pub async fn budget_history(db: &impl ConnectionTrait, county_id: i64, dept: i64, year: i32) -> AppResult<Vec<BudgetChange>> {
    let entries = in_county::<ledger_entry::Entity>(county_id)
        .filter(ledger_entry::Column::Kind.eq("budget"))
        .filter(ledger_entry::Column::DepartmentId.eq(dept))
        .filter(ledger_entry::Column::Year.eq(year))
        .order_by_asc(ledger_entry::Column::Id)
        .all(db)
        .await?;
    let account = super::budget(dept, year);
    let mut out = Vec::new();
    for e in entries {
        let lines = in_county::<ledger_line::Entity>(county_id).filter(ledger_line::Column::EntryId.eq(e.id)).all(db).await?;
        let change: i64 = lines.iter().filter(|l| l.account == account).map(|l| l.debit_fen - l.credit_fen).sum();
        out.push(BudgetChange { change: Money::from_fen(change), reason: e.memo, by: e.created_by, at: e.created_at });
    }
    Ok(out)
}
