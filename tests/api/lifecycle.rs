//! Issue 10: every side path of the task–contract–funds lifecycle keeps the money inside
//! its limits, and `verify-ledger` sees any breach forced into the database. One test per
//! finding, on SQLite and (with DATABASE_URL) PostgreSQL.
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};
use zhunru::money::Money;

pub async fn sign(app: &TestApp, who: &str, id: &Value) -> reqwest::Response {
    app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token(who).await, json!({})).await
}

pub async fn sign_both(app: &TestApp, id: &Value) -> Value {
    sign(app, "xingfu", id).await;
    let r = sign(app, "shijian", id).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

pub async fn pay(app: &TestApp, key: &str, c: &Value, milestone: &Value, amount: &str) -> reqwest::Response {
    app.api
        .post(app.url("/api/v1/disbursements"))
        .bearer_auth(app.token("caizheng").await)
        .header("Idempotency-Key", key)
        .json(&json!({"contract_id": c["id"], "milestone_id": milestone["id"], "amount": amount}))
        .send()
        .await
        .unwrap()
}

async fn contract(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/contracts/{id}"), &app.token("shijian").await).await.json().await.unwrap()
}

async fn admission(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/admissions/{id}"), &app.token("shijian").await).await.json().await.unwrap()
}

async fn funds(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/contracts/{id}/funds"), &app.token("caizheng").await).await.json().await.unwrap()
}

async fn verify(app: &TestApp) -> Value {
    app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap()
}

async fn assert_clean(app: &TestApp) {
    let v = verify(app).await;
    assert_eq!(v["ok"], true, "{v}");
}

async fn amend(app: &TestApp, id: &Value, body: Value) -> reqwest::Response {
    let mut b = json!({"rationale_code": "BUDGET_ADJUSTMENT", "rationale": "按实际工作量调整"});
    b.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    app.post(&format!("/api/v1/contracts/{id}/amendments"), &app.token("shijian").await, b).await
}

fn targets(a: &Value) -> Vec<(String, String)> {
    a["targets"].as_array().unwrap().iter().map(|t| (t["community"].as_str().unwrap().to_string(), t["status"].as_str().unwrap().to_string())).collect()
}

/// An emergency entry (先进后批) of 区市场监督管理局 for both communities, its period
/// around today so that the advance is due; with a department budget.
pub async fn emergency(app: &TestApp, budget: &str) -> i64 {
    let sj = app.token("shijian").await;
    let today = Utc::now().date_naive();
    let body = json!({
        "title": "食品安全突发事件入户排查", "description": "入户登记", "basis": "示范区市场监管局紧急通知〔2026〕5号", "work_plan": "一周内完成",
        "target_community_ids": [app.org_id("幸福社区").await, app.org_id("和谐社区").await],
        "period_start": (today - Duration::days(10)).to_string(), "period_end": (today + Duration::days(20)).to_string(),
        "staffing": "网格员", "budget": budget, "emergency": true,
    });
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    let r: Value = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await.json().await.unwrap();
    assert_eq!(r["status"], "entered_pending_approval");
    let dept = app.org_id("区市场监督管理局").await;
    // The contract's budget year is its start's (in the first days of January, last year).
    let year = (today - Duration::days(10)).format("%Y").to_string();
    let r = app.put(&format!("/api/v1/budgets/{dept}/{year}"), &app.token("caizheng").await, json!({"amount": "1000000.00", "reason": "测试预算"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    id
}

pub fn emergency_contract(admission: i64, community: i64, amount: &str) -> Value {
    let mut b = survey_contract(admission, community, amount);
    b["variables"]["delivery_date"] = json!(Utc::now().date_naive().to_string());
    b
}

async fn review_and_decide(app: &TestApp, id: i64, decision: &str) -> Value {
    app.post(&format!("/api/v1/admissions/{id}/review"), &app.token("minzheng").await, json!({"opinion": decision, "comment": "意见"})).await;
    app.post(&format!("/api/v1/admissions/{id}/decide"), &app.token("lingdao").await, json!({"decision": decision, "comment": "决定"})).await.json().await.unwrap()
}

#[tokio::test]
async fn a_rejected_emergency_entry_can_no_longer_be_signed_or_paid() {
    let app = spawn_app().await;
    let a = emergency(&app, "6000.00").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let c = draft(&app, emergency_contract(a, xingfu, "3000.00")).await;
    let active = sign_both(&app, &c["id"]).await;
    assert_eq!(active["status"], "active");
    let other = draft(&app, emergency_contract(a, hexie, "3000.00")).await;
    sign(&app, "hexie", &other["id"]).await;
    assert_eq!(pay(&app, "adv", &c, &c["milestones"][0], "900.00").await.status(), StatusCode::CREATED);

    let out = review_and_decide(&app, a, "reject").await;
    assert_eq!(out["status"], "rejected");
    assert!(targets(&out).iter().all(|(_, s)| s == "withdrawn"), "{:?}", targets(&out));
    // The signed contract and the half-signed draft both end; what was paid stays.
    for (id, paid) in [(&c["id"], "900.00"), (&other["id"], "0.00")] {
        let x = contract(&app, id).await;
        assert_eq!(x["status"], "terminated");
        assert_eq!(x["termination_code"], "EMERGENCY_REJECTED");
        assert_eq!(funds(&app, id).await["disbursed"], paid);
    }
    assert_error(sign(&app, "shijian", &other["id"]).await, StatusCode::CONFLICT, "INVALID_STATE").await;
    let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("xingfu").await, json!({"clause_id": c["clauses"][2]["id"], "summary": "x"})).await.json().await.unwrap();
    assert!(d["error"].is_object(), "no deliverables on a terminated contract: {d}");
    assert_error(pay(&app, "fin", &c, &c["milestones"][1], "2100.00").await, StatusCode::CONFLICT, "INVALID_STATE").await;
    assert_error(app.post("/api/v1/contracts", &app.token("shijian").await, emergency_contract(a, hexie, "100.00")).await, StatusCode::CONFLICT, "ADMISSION_NOT_ADMITTED").await;
    // Only what was paid stays committed in the department's budget (its start's year).
    let dept = app.org_id("区市场监督管理局").await;
    let year = (Utc::now().date_naive() - Duration::days(10)).format("%Y").to_string();
    let b: Value = app.get(&format!("/api/v1/budgets/{dept}/{year}"), &app.token("caizheng").await).await.json().await.unwrap();
    assert_eq!(b["committed"], "900.00");
    // The finance bureau sees what was paid under the rejected entry, to settle it.
    let overview: Value = app.get("/api/v1/funds/summary", &app.token("caizheng").await).await.json().await.unwrap();
    let settle: Vec<(i64, &str)> = overview["to_settle"].as_array().unwrap().iter().map(|r| (r["contract_id"].as_i64().unwrap(), r["disbursed"].as_str().unwrap())).collect();
    assert_eq!(settle, [(c["id"].as_i64().unwrap(), "900.00")]);
    assert_clean(&app).await;
}

#[tokio::test]
async fn an_overdue_emergency_entry_is_refused_at_once_and_withdrawn_by_the_deadline_job() {
    let app = spawn_app().await;
    let a = emergency(&app, "3000.00").await;
    let c = draft(&app, emergency_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    app.post(&format!("/api/v1/admissions/{a}/review"), &app.token("minzheng").await, json!({"opinion": "approve", "comment": "同意"})).await;
    let yesterday = Utc::now().date_naive() - Duration::days(1);
    entity::admission::Entity::update_many()
        .col_expr(entity::admission::Column::ApprovalDeadline, Expr::value(yesterday))
        .filter(entity::admission::Column::Id.eq(a))
        .exec(&app.db)
        .await
        .unwrap();
    // Before any job runs, the deadline already holds: no payment, no late approval.
    assert_error(pay(&app, "late", &c, &c["milestones"][0], "900.00").await, StatusCode::CONFLICT, "ADMISSION_NOT_ADMITTED").await;
    let r = app.post(&format!("/api/v1/admissions/{a}/decide"), &app.token("lingdao").await, json!({"decision": "approve", "comment": "补批"})).await;
    assert_error(r, StatusCode::CONFLICT, "EMERGENCY_OVERDUE").await;

    let today = Utc::now().date_naive();
    let run = zhunru::lifecycle::store::apply_deadlines(&app.db, today).await.unwrap();
    assert_eq!((run.expired, run.contracts_ended), (1, 1));
    let adm = admission(&app, a).await;
    assert_eq!(adm["status"], "expired");
    assert!(adm["history"].as_array().unwrap().iter().any(|h| h["action"] == "expire"));
    assert!(targets(&adm).iter().all(|(_, s)| s == "withdrawn"));
    // Decided by the deadline, and filed with the city like a decision.
    let filed = app.list("/api/v1/filings?kind=admission", &app.token("shi-ducha").await).await;
    assert!(filed.as_array().unwrap().iter().any(|f| f["record_id"] == a && f["content"]["status"] == "expired"), "{filed}");
    let x = contract(&app, &c["id"]).await;
    assert_eq!((x["status"].as_str(), x["termination_code"].as_str()), (Some("terminated"), Some("EMERGENCY_OVERDUE")));
    // Idempotent: a second run (or a second instance) changes nothing.
    let again = zhunru::lifecycle::store::apply_deadlines(&app.db, today).await.unwrap();
    assert_eq!(again, Default::default());
    assert_clean(&app).await;
}

#[tokio::test]
async fn an_amendment_never_takes_the_amount_below_what_was_paid() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    assert_eq!(pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.status(), StatusCode::CREATED);
    let body = assert_error(amend(&app, &c["id"], json!({"amount": "899.99"})).await, StatusCode::CONFLICT, "AMOUNT_BELOW_PAID").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("¥900.00"));
    // Down to exactly what was paid: allowed, and the budget it frees is free only once signed.
    assert_eq!(amend(&app, &c["id"], json!({"amount": "900.00"})).await.status(), StatusCode::CREATED);
    let hexie = app.org_id("和谐社区").await;
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, survey_contract(a, hexie, "2100.00")).await;
    assert_error(r, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    let signed = sign_both(&app, &c["id"]).await;
    assert_eq!(signed["amount"], "900.00");
    let f = funds(&app, &c["id"]).await;
    assert_eq!((f["disbursed"].as_str(), f["remaining"].as_str()), (Some("900.00"), Some("0.00")));
    draft(&app, survey_contract(a, hexie, "2100.00")).await;
    assert_clean(&app).await;
}

#[tokio::test]
async fn a_period_only_amendment_keeps_a_paid_instalment_paid() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    assert_eq!(pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.status(), StatusCode::CREATED);
    // (Up to the delivery date the clause sets: a period ending before it is refused.)
    let r = amend(&app, &c["id"], json!({"rationale_code": "PERIOD_EXTENSION", "period_start": "2026-03-15", "period_end": "2026-04-25"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let v2 = sign_both(&app, &c["id"]).await;
    assert_eq!(v2["version"], 2);
    let ms = v2["milestones"].as_array().unwrap();
    let amounts: Vec<&str> = ms.iter().map(|m| m["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["900.00", "2100.00"], "the paid advance is kept, the rest stays on the final instalment");
    assert_eq!(ms[0]["due"], "2026-03-01", "the paid instalment keeps its date");
    assert_error(pay(&app, "p2", &v2, &ms[0], "900.00").await, StatusCode::CONFLICT, "MILESTONE_ALREADY_PAID").await;
    assert_error(pay(&app, "p3", &v2, &ms[1], "2100.00").await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    assert_eq!(funds(&app, &c["id"]).await["remaining"], "2100.00");
    assert_clean(&app).await;
}

#[tokio::test]
async fn termination_after_a_payment_releases_only_the_unpaid_rest() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    assert_eq!(pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.status(), StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区无法继续承接"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let hexie = app.org_id("和谐社区").await;
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, survey_contract(a, hexie, "3000.00")).await;
    let body = assert_error(r, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("¥2,100.00"));
    draft(&app, survey_contract(a, hexie, "2100.00")).await;
    let adm = admission(&app, a).await;
    assert_eq!(targets(&adm), [("幸福社区".to_string(), "withdrawn".to_string()), ("和谐社区".to_string(), "admitted".to_string())]);
    assert_clean(&app).await;
}

#[tokio::test]
async fn a_pending_amendment_counts_against_both_budgets_until_withdrawn() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    assert_eq!(amend(&app, &c["id"], json!({"amount": "5000.00"})).await.status(), StatusCode::CREATED);
    let hexie = app.org_id("和谐社区").await;
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, survey_contract(a, hexie, "2000.00")).await;
    assert_error(r, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    let r = app.post(&format!("/api/v1/contracts/{}/amendments/withdraw", c["id"]), &app.token("shijian").await, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.post(&format!("/api/v1/contracts/{}/amendments/withdraw", c["id"]), &app.token("shijian").await, json!({})).await;
    assert_error(r, StatusCode::CONFLICT, "NOTHING_TO_WITHDRAW").await;
    let fits = draft(&app, survey_contract(a, hexie, "2000.00")).await;
    app.post(&format!("/api/v1/contracts/{}/terminate", fits["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "改签"})).await;
    let other = draft(&app, survey_contract(a, hexie, "1000.00")).await;

    // The department's budget: 4,000 in all, 3,000 committed; a proposal to add 2,000 does
    // not fit, and a second proposal cannot spend what the first has asked for.
    let dept = app.org_id("区市场监督管理局").await;
    let r = app.put(&format!("/api/v1/budgets/{dept}/2026"), &app.token("caizheng").await, json!({"amount": "4000.00", "reason": "调减"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_error(amend(&app, &c["id"], json!({"amount": "5000.00"})).await, StatusCode::CONFLICT, "BUDGET_EXCEEDED").await;
    assert_eq!(amend(&app, &c["id"], json!({"amount": "3800.00"})).await.status(), StatusCode::CREATED);
    sign(&app, "hexie", &other["id"]).await;
    // A draft for 1,000 more: the budget has 1,000 left, but 800 of it is asked for.
    let r = sign(&app, "shijian", &other["id"]).await;
    assert_error(r, StatusCode::CONFLICT, "BUDGET_EXCEEDED").await;
    assert_clean(&app).await;
}

#[tokio::test]
async fn the_last_signature_checks_the_admission_budget_again() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let c1 = draft(&app, survey_contract(a, xingfu, "2000.00")).await;
    let c2 = draft(&app, survey_contract(a, hexie, "1000.00")).await;
    sign_both(&app, &c1["id"]).await;
    // The budget is cut by forcing it below what the two drafts hold (as an old record
    // could be); the second contract must not become active over it.
    entity::admission::Entity::update_many()
        .col_expr(entity::admission::Column::BudgetFen, Expr::value(250_000i64))
        .filter(entity::admission::Column::Id.eq(a))
        .exec(&app.db)
        .await
        .unwrap();
    sign(&app, "hexie", &c2["id"]).await;
    assert_error(sign(&app, "shijian", &c2["id"]).await, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    assert_eq!(contract(&app, &c2["id"]).await["status"], "draft");
}

#[tokio::test]
async fn signing_an_amendment_down_to_what_was_paid_and_confirmed_closes_the_contract() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    let d: Value = pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.json().await.unwrap();
    let xf = app.token("xingfu").await;
    app.post(&format!("/api/v1/disbursements/{}/confirm", d["id"]), &xf, json!({})).await;
    let item = json!({"items": [{"clause_id": c["clauses"][2]["id"], "rating": "satisfied"}]});
    assert_eq!(app.post(&format!("/api/v1/contracts/{}/evaluations", c["id"]), &app.token("shijian").await, item).await.status(), StatusCode::CREATED);
    assert_eq!(amend(&app, &c["id"], json!({"amount": "900.00"})).await.status(), StatusCode::CREATED);
    let done = sign_both(&app, &c["id"]).await;
    assert_eq!(done["status"], "closed");
    assert_eq!(admission(&app, a).await["status"], "revoked");
    assert_clean(&app).await;
}

#[tokio::test]
async fn a_task_enters_a_community_with_its_signed_contract() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let want = |x: &str, h: &str| vec![("幸福社区".to_string(), x.to_string()), ("和谐社区".to_string(), h.to_string())];
    assert_eq!(targets(&admission(&app, a).await), want("admitted", "admitted"));
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    assert_eq!(targets(&admission(&app, a).await), want("admitted", "admitted"), "a draft does not bring the task in");
    sign_both(&app, &c["id"]).await;
    assert_eq!(targets(&admission(&app, a).await), want("entered", "admitted"));
    app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "停止"})).await;
    assert_eq!(targets(&admission(&app, a).await), want("withdrawn", "admitted"));
}

#[tokio::test]
async fn the_end_of_an_admissions_period_lapses_drafts_and_leaves_contracts_to_settle() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    let lapsing = draft(&app, survey_contract(a, app.org_id("和谐社区").await, "3000.00")).await;
    let run = zhunru::lifecycle::store::apply_deadlines(&app.db, chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap()).await.unwrap();
    assert_eq!((run.period_ended, run.contracts_ended), (1, 1));
    let adm = admission(&app, a).await;
    assert_eq!(adm["status"], "completed");
    let x = contract(&app, &lapsing["id"]).await;
    assert_eq!((x["status"].as_str(), x["termination_code"].as_str()), (Some("terminated"), Some("PERIOD_ENDED")));
    // Work done is still paid; nothing new is bound.
    assert_eq!(pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.status(), StatusCode::CREATED);
    assert_error(amend(&app, &c["id"], json!({"amount": "3500.00"})).await, StatusCode::CONFLICT, "ADMISSION_NOT_ADMITTED").await;
    assert_clean(&app).await;
}

#[tokio::test]
async fn concurrent_last_signatures_cannot_overcommit_the_department_budget() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let dept = app.org_id("区市场监督管理局").await;
    let r = app.put(&format!("/api/v1/budgets/{dept}/2026"), &app.token("caizheng").await, json!({"amount": "4000.00", "reason": "只够一份"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let c1 = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let c2 = draft(&app, survey_contract(a, app.org_id("和谐社区").await, "3000.00")).await;
    sign(&app, "xingfu", &c1["id"]).await;
    sign(&app, "hexie", &c2["id"]).await;
    let (r1, r2) = tokio::join!(sign(&app, "shijian", &c1["id"]), sign(&app, "shijian", &c2["id"]));
    let mut codes = vec![r1.status(), r2.status()];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "exactly one fits the budget");
    let b: Value = app.get(&format!("/api/v1/budgets/{dept}/2026"), &app.token("caizheng").await).await.json().await.unwrap();
    assert_eq!(b["committed"], "3000.00");
    assert_clean(&app).await;
}

#[tokio::test]
async fn a_signature_racing_a_budget_cut_cannot_overcommit() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let dept = app.org_id("区市场监督管理局").await;
    let cz = app.token("caizheng").await;
    app.put(&format!("/api/v1/budgets/{dept}/2026"), &cz, json!({"amount": "3000.00", "reason": "刚好"})).await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign(&app, "xingfu", &c["id"]).await;
    let path = format!("/api/v1/budgets/{dept}/2026");
    let (s, cut) = tokio::join!(sign(&app, "shijian", &c["id"]), app.put(&path, &cz, json!({"amount": "1000.00", "reason": "调减"})));
    assert!(s.status().is_success() != cut.status().is_success(), "one of them wins: {} / {}", s.status(), cut.status());
    let b: Value = app.get(&format!("/api/v1/budgets/{dept}/2026"), &cz).await.json().await.unwrap();
    let (amount, committed) = (b["amount"].as_str().unwrap().parse::<f64>().unwrap(), b["committed"].as_str().unwrap().parse::<f64>().unwrap());
    assert!(committed <= amount, "{b}");
    assert_clean(&app).await;
}

#[tokio::test]
async fn both_parties_signing_at_once_make_the_contract_active() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "30000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await;
    for _ in 0..5 {
        let c = draft(&app, survey_contract(a, xingfu, "3000.00")).await;
        let (r1, r2) = tokio::join!(sign(&app, "shijian", &c["id"]), sign(&app, "xingfu", &c["id"]));
        assert!(r1.status().is_success() && r2.status().is_success(), "{} {}", r1.status(), r2.status());
        let x = contract(&app, &c["id"]).await;
        assert_eq!(x["status"], "active", "{x}");
    }
    assert_clean(&app).await;
}

/// The running balances a payment checks are kept beside the lines; a forger who edits
/// either (to make room for a payment, or to hide one) is caught, as are entries without
/// lines.
#[tokio::test]
async fn verify_ledger_checks_running_balances_against_the_lines() {
    use entity::{ledger_balance, ledger_line};
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    let d: Value = pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.json().await.unwrap();
    assert_eq!(d["amount"], "900.00", "{d}");
    assert_clean(&app).await;
    let rules = |v: &Value| v["breaches"].as_array().unwrap().iter().map(|b| b["rule"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let account = format!("commit:{}", c["id"]);
    let kept = ledger_balance::Entity::find().filter(ledger_balance::Column::Account.eq(&account)).one(&app.db).await.unwrap().unwrap();
    assert_eq!(kept.balance_fen, 210_000, "3000.00 committed, 900.00 paid");

    // Room made for a payment by raising the running balance alone.
    let mut b: ledger_balance::ActiveModel = kept.clone().into();
    b.balance_fen = Set(kept.balance_fen + 100_000);
    b.update(&app.db).await.unwrap();
    let v = verify(&app).await;
    assert_eq!(rules(&v), vec!["running balance = lines"], "{v}");
    assert!(v["breaches"][0]["detail"].as_str().unwrap().contains(&account), "{v}");
    let mut b: ledger_balance::ActiveModel = kept.clone().into();
    b.balance_fen = Set(kept.balance_fen);
    b.update(&app.db).await.unwrap();
    assert_clean(&app).await;

    // A payment hidden by shrinking both lines of its entry (the entry still balances).
    let paid_lines = ledger_line::Entity::find().filter(ledger_line::Column::Account.eq(format!("paid:{}", c["id"]))).all(&app.db).await.unwrap();
    let entry = paid_lines[0].entry_id;
    ledger_line::Entity::update_many()
        .col_expr(ledger_line::Column::DebitFen, Expr::cust("CASE WHEN debit_fen > 0 THEN 100 ELSE 0 END"))
        .col_expr(ledger_line::Column::CreditFen, Expr::cust("CASE WHEN credit_fen > 0 THEN 100 ELSE 0 END"))
        .filter(ledger_line::Column::EntryId.eq(entry))
        .exec(&app.db)
        .await
        .unwrap();
    let found = rules(&verify(&app).await);
    assert_eq!(found.iter().filter(|r| *r == "running balance = lines").count(), 2, "both accounts of the entry: {found:?}");

    // An entry left without lines (a foreign key keeps lines from losing their entry).
    ledger_line::Entity::delete_many().filter(ledger_line::Column::EntryId.eq(entry)).exec(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    for rule in ["entry has lines", "running balance = lines"] {
        assert!(found.contains(&rule.to_string()), "{rule}: {found:?}");
    }
}

/// Each finding of the issue, forced into the database by hand, is reported.
#[tokio::test]
async fn verify_ledger_reports_every_breach_forced_into_the_database() {
    use entity::{admission as adm, admission_event, contract_milestone, contract_version, disbursement, ledger_entry, ledger_line};
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    sign_both(&app, &c["id"]).await;
    let d: Value = pay(&app, "p1", &c, &c["milestones"][0], "900.00").await.json().await.unwrap();
    assert_clean(&app).await;
    let cid = c["id"].as_i64().unwrap();
    let rules = |v: &Value| v["breaches"].as_array().unwrap().iter().map(|b| b["rule"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let version = contract_version::Entity::find().filter(contract_version::Column::ContractId.eq(cid)).one(&app.db).await.unwrap().unwrap();

    // The amount in force lowered below what was paid.
    let mut v: contract_version::ActiveModel = version.clone().into();
    v.amount_fen = Set(80_000);
    v.update(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"disbursed ≤ contract amount".to_string()), "{found:?}");
    let mut v: contract_version::ActiveModel = version.clone().into();
    v.amount_fen = Set(version.amount_fen);
    v.update(&app.db).await.unwrap();
    assert_clean(&app).await;

    // The same instalment paid twice, balanced in the ledger.
    let first = disbursement::Entity::find_by_id(d["id"].as_i64().unwrap()).one(&app.db).await.unwrap().unwrap();
    let e = ledger_entry::Entity::find_by_id(first.entry_id).one(&app.db).await.unwrap().unwrap();
    let mut e2: ledger_entry::ActiveModel = e.clone().into();
    e2.id = sea_orm::ActiveValue::NotSet;
    let e2 = e2.insert(&app.db).await.unwrap();
    for l in ledger_line::Entity::find().filter(ledger_line::Column::EntryId.eq(e.id)).all(&app.db).await.unwrap() {
        let mut l2: ledger_line::ActiveModel = l.into();
        l2.id = sea_orm::ActiveValue::NotSet;
        l2.entry_id = Set(e2.id);
        l2.insert(&app.db).await.unwrap();
    }
    let mut twin: disbursement::ActiveModel = first.clone().into();
    twin.id = sea_orm::ActiveValue::NotSet;
    twin.entry_id = Set(e2.id);
    twin.insert(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"instalment paid ≤ its amount".to_string()), "{found:?}");

    // An instalment's identity broken: the paid one dropped from the version in force.
    contract_milestone::Entity::update_many()
        .col_expr(contract_milestone::Column::Key, Expr::value(99))
        .filter(contract_milestone::Column::ContractId.eq(cid))
        .filter(contract_milestone::Column::Seq.eq(1))
        .exec(&app.db)
        .await
        .unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"instalment paid ≤ its amount".to_string()), "{found:?}");

    // The admission's budget below what its contracts hold (a termination that freed
    // everything looks the same).
    adm::Entity::update_many().col_expr(adm::Column::BudgetFen, Expr::value(100_000i64)).filter(adm::Column::Id.eq(a)).exec(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"contracts ≤ admission budget".to_string()), "{found:?}");

    // A payment made while the admission was rejected, and the contract still in force.
    let before = first.paid_at - Duration::seconds(1);
    admission_event::ActiveModel {
        county_id: Set(first.county_id),
        admission_id: Set(a),
        user_id: Set(first.paid_by),
        action: Set("reject".into()),
        from_status: Set(Some("reviewed".into())),
        to_status: Set("rejected".into()),
        comment: Set(String::new()),
        created_at: Set(before),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap();
    adm::Entity::update_many().col_expr(adm::Column::Status, Expr::value("rejected")).filter(adm::Column::Id.eq(a)).exec(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"paid only while the admission is in force".to_string()), "{found:?}");
    assert!(found.contains(&"contract in force only under an admission in force".to_string()), "{found:?}");

    // An amendment that raised the amount without committing it in the ledger.
    let mut v: contract_version::ActiveModel = version.clone().into();
    v.amount_fen = Set(500_000);
    v.update(&app.db).await.unwrap();
    let found = rules(&verify(&app).await);
    assert!(found.contains(&"commitment = amount in force − paid".to_string()), "{found:?}");
}

/// A signed 3,000 survey for 幸福社区 under a 6,000 admission (room for amendments up).
async fn signed_survey(app: &TestApp) -> Value {
    let a = admitted(app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    sign_both(app, &draft(app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await["id"]).await
}

/// A contract answer's instalments tied to a clause (`tied`), or paid when due.
fn instalments(c: &Value, tied: bool) -> Vec<Value> {
    c["milestones"].as_array().unwrap().iter().filter(|m| m["clause_id"].is_null() != tied).cloned().collect()
}

/// 幸福社区 delivers on the clause and the department accepts it.
async fn deliver_accepted(app: &TestApp, c: &Value, clause: &Value) {
    let r = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("xingfu").await, json!({"clause_id": clause, "summary": "商户汇总表"})).await;
    let d: Value = r.json().await.unwrap();
    assert_eq!(app.post(&format!("/api/v1/deliverables/{}/accept", d["id"]), &app.token("shijian").await, json!({})).await.status(), StatusCode::OK);
}

/// Issue 28: an amendment that raises an instalment whose clause's deliverable was already
/// accepted does not make the rise payable on that old acceptance: the rise waits for a
/// new deliverable under the amended clause; what the acceptance covered stays payable.
#[tokio::test]
async fn an_amendment_raising_an_accepted_instalment_pays_the_rise_only_after_a_new_deliverable() {
    let app = spawn_app().await;
    let c = signed_survey(&app).await;
    let last = instalments(&c, true)[0].clone();
    deliver_accepted(&app, &c, &last["clause_id"]).await;
    assert_eq!(amend(&app, &c["id"], json!({"amount": "3500.00"})).await.status(), StatusCode::CREATED);
    let v2 = sign_both(&app, &c["id"]).await;
    let raised = instalments(&v2, true)[0].clone();
    let (before, after) = (last["amount"].as_str().unwrap().to_string(), raised["amount"].as_str().unwrap().to_string());
    assert!(after.parse::<f64>().unwrap() > before.parse::<f64>().unwrap(), "the amendment raised the instalment: {before} → {after}");

    let e = assert_error(pay(&app, "rise-all", &v2, &raised, &after).await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    assert!(e.to_string().contains("增加部分"), "{e}");
    assert_eq!(pay(&app, "covered", &v2, &raised, &before).await.status(), StatusCode::CREATED, "what the acceptance covered is paid");
    assert_error(pay(&app, "rise-cent", &v2, &raised, "0.01").await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    assert_clean(&app).await;

    deliver_accepted(&app, &c, &raised["clause_id"]).await;
    let rise = format!("{:.2}", after.parse::<f64>().unwrap() - before.parse::<f64>().unwrap());
    assert_eq!(pay(&app, "rise", &v2, &raised, &rise).await.status(), StatusCode::CREATED, "the rise after the new deliverable");
    let f = funds(&app, &c["id"]).await;
    assert_eq!(f["disbursed"], after, "{f}");
    assert_clean(&app).await;
}

/// The same when the instalment was paid in full first: the rise lands on a new
/// instalment of the same clause and waits for a deliverable under the amended version.
#[tokio::test]
async fn a_rise_after_the_clause_was_paid_in_full_waits_for_a_new_deliverable() {
    let app = spawn_app().await;
    let c = signed_survey(&app).await;
    let last = instalments(&c, true)[0].clone();
    deliver_accepted(&app, &c, &last["clause_id"]).await;
    assert_eq!(pay(&app, "full", &c, &last, last["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);
    // The advance paid too: every slot is taken, so what the amendment adds falls on the
    // clause's instalment (with an open advance it would be spread onto the advance).
    let advance = instalments(&c, false)[0].clone();
    assert_eq!(pay(&app, "advance", &c, &advance, advance["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);
    assert_eq!(amend(&app, &c["id"], json!({"amount": "3500.00"})).await.status(), StatusCode::CREATED);
    let v2 = sign_both(&app, &c["id"]).await;
    let open: Vec<Value> = instalments(&v2, true).into_iter().filter(|m| m["id"] != last["id"] && m["amount"] != last["amount"]).collect();
    let rise = open.last().expect("the rise is an instalment of its own").clone();
    let e = assert_error(pay(&app, "rise-early", &v2, &rise, rise["amount"].as_str().unwrap()).await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    assert!(e.to_string().contains("增加部分"), "{e}");
    deliver_accepted(&app, &c, &rise["clause_id"]).await;
    assert_eq!(pay(&app, "rise", &v2, &rise, rise["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);
    assert_clean(&app).await;
}

/// The pay forms of the contract page: (milestone id, amount offered) and the hints of
/// instalments whose money waits.
fn pay_forms(html: &str) -> (Vec<(i64, String)>, Vec<String>) {
    let Some(start) = html.find(r#"id="payable""#) else { return (vec![], vec![]) };
    let table = &html[start..start + html[start..].find("</table>").unwrap()];
    let value_after = |s: &str, name: &str| -> Option<String> {
        let at = s.find(&format!(r#"name="{name}" value=""#))? + name.len() + 15;
        Some(s[at..at + s[at..].find('"')?].to_string())
    };
    let forms = table.split("<form").skip(1).filter_map(|f| Some((value_after(f, "milestone_id")?.parse().ok()?, value_after(f, "amount")?))).collect();
    let held = table.split(r#"class="hint held">"#).skip(1).map(|h| h[..h.find('<').unwrap()].to_string()).collect();
    (forms, held)
}

/// Issue 27: the page offers exactly what the payment accepts. After an amendment the paid
/// advance is carried under a new id (same key): no pay form for it; the raised clause
/// instalment offers what its accepted deliverable covers and says why the rest waits;
/// every form offered goes through.
#[tokio::test]
async fn the_contract_page_offers_exactly_the_payments_the_store_accepts() {
    let app = spawn_app().await;
    let c = signed_survey(&app).await;
    let (advance, last) = (instalments(&c, false)[0].clone(), instalments(&c, true)[0].clone());
    assert_eq!(pay(&app, "advance", &c, &advance, advance["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);
    deliver_accepted(&app, &c, &last["clause_id"]).await;
    assert_eq!(amend(&app, &c["id"], json!({"amount": "3500.00"})).await.status(), StatusCode::CREATED);
    let v2 = sign_both(&app, &c["id"]).await;
    let (carried, raised) = (instalments(&v2, false)[0].clone(), instalments(&v2, true)[0].clone());
    assert_ne!(carried["id"], advance["id"], "the amendment carries the paid advance as a new row");

    let finance = app.page_login("caizheng").await;
    let page = |finance: reqwest::Client| {
        let url = app.url(&format!("/contracts/{}", c["id"]));
        async move { finance.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let (forms, held) = pay_forms(&page(finance.clone()).await);
    assert_eq!(forms, [(raised["id"].as_i64().unwrap(), last["amount"].as_str().unwrap().to_string())], "only what the acceptance covers: {forms:?}");
    assert!(held.iter().any(|h| h.contains("增加部分")), "{held:?}");
    for (milestone, amount) in &forms {
        let mut form = vec![("milestone_id", milestone.to_string()), ("amount", amount.clone()), ("key", format!("page-{milestone}"))];
        // First the confirmation page (issue 29), which pays nothing; then confirmed.
        let r = finance.post(app.url(&format!("/contracts/{}/pay", c["id"]))).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let ask = r.text().await.unwrap();
        assert!(ask.contains("确认拨付") && ask.contains("幸福社区") && ask.contains(&Money::parse_amount(amount).unwrap().capitals()), "{ask}");
        assert_eq!(funds(&app, &c["id"]).await["disbursed"], advance["amount"], "asking pays nothing");
        form.push(("confirmed", "1".to_string()));
        let r = finance.post(app.url(&format!("/contracts/{}/pay", c["id"]))).form(&form).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "the form offered goes through: {}", r.text().await.unwrap());
    }
    let (forms, held) = pay_forms(&page(finance).await);
    assert!(forms.is_empty(), "nothing more is payable until a new deliverable: {forms:?}");
    assert_eq!(held.len(), 1, "{held:?}");
    assert_error(pay(&app, "carried", &v2, &carried, "0.01").await, StatusCode::CONFLICT, "MILESTONE_ALREADY_PAID").await;
    assert_clean(&app).await;
}

/// Issue 26: an amendment that shortens the period before a date a performance clause
/// sets is refused unless the clause moves too; a draft cannot start out that way either.
#[tokio::test]
async fn a_contract_never_sets_a_delivery_date_outside_its_period() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let mut body = survey_contract(a, app.org_id("幸福社区").await, "3000.00");
    body["variables"]["delivery_date"] = json!("2026-05-15");
    let e = assert_error(app.post("/api/v1/contracts", &app.token("shijian").await, body).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(e.to_string().contains("2026-05-15"), "{e}");
    let c = sign_both(&app, &draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await["id"]).await;
    let clause = c["clauses"].as_array().unwrap().iter().find(|k| k["text"].as_str().unwrap().contains("2026-04-25")).expect("the delivery clause").clone();
    let e = assert_error(amend(&app, &c["id"], json!({"rationale_code": "PERIOD_EXTENSION", "period_start": "2026-03-01", "period_end": "2026-04-20"})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"][0]["field"], "period_end", "{e}");
    assert!(e.to_string().contains("2026-04-25"), "{e}");
    let moved = clause["text"].as_str().unwrap().replace("2026-04-25", "2026-04-18");
    let r = amend(&app, &c["id"], json!({"rationale_code": "PERIOD_EXTENSION", "period_start": "2026-03-01", "period_end": "2026-04-20",
        "clauses": [{"number": clause["number"], "text": moved}]})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "the period and the clause moved together: {}", r.text().await.unwrap());
    assert_clean(&app).await;
}

/// Issue 27, budget years: a contract that spans 31 December is charged whole to the year it
/// starts in, the year its commitment was made. Its January instalment is paid from that
/// commitment, an amendment that moves its end into the next year and raises it commits the
/// rise from the same year, and its termination releases the rest to that year; the next
/// year's budget is never touched. (Two years back, so every instalment is due today.)
#[tokio::test]
async fn a_contract_across_new_year_draws_on_the_year_it_started_in() {
    let app = spawn_app().await;
    let (first, next) = (crate::helpers::this_year() - 2, crate::helpers::this_year() - 1);
    let a = admitted(&app, "岁末年初燃气安全入户宣传", "6000.00", &format!("{first}-12-01"), &format!("{next}-02-28")).await;
    let dept = app.org_id("区市场监督管理局").await;
    let cz = app.token("caizheng").await;
    assert_eq!(app.put(&format!("/api/v1/budgets/{dept}/{next}"), &cz, json!({"amount": "50000.00", "reason": "次年预算"})).await.status(), StatusCode::OK);
    let budget = |year: i32| {
        let (app, cz) = (&app, cz.clone());
        async move { app.get(&format!("/api/v1/budgets/{dept}/{year}"), &cz).await.json::<Value>().await.unwrap()["committed"].as_str().unwrap().to_string() }
    };
    let body = json!({"admission_id": a, "community_id": app.org_id("幸福社区").await, "template_id": "monthly-co-management", "amount": "2000.00",
        "period_start": format!("{first}-12-01"), "period_end": format!("{next}-01-31"), "variables": {"service_content": "每月入户宣传燃气安全"}});
    let c = sign_both(&app, &draft(&app, body).await["id"]).await;
    let ms = c["milestones"].as_array().unwrap().clone();
    assert_eq!(ms.iter().map(|m| m["due"].as_str().unwrap().to_string()).collect::<Vec<_>>(), [format!("{first}-12-31"), format!("{next}-01-31")]);
    assert_eq!((budget(first).await, budget(next).await), ("2000.00".to_string(), "0.00".to_string()));

    // December's and January's instalments, both from the first year's commitment.
    for (i, m) in ms.iter().enumerate() {
        assert_eq!(pay(&app, &format!("ny-{i}"), &c, m, m["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);
    }
    assert_eq!((budget(first).await, budget(next).await), ("2000.00".to_string(), "0.00".to_string()));

    // Extended to the end of February and raised: the rise is committed in the first year too.
    let r = amend(&app, &c["id"], json!({"rationale_code": "PERIOD_EXTENSION", "amount": "3000.00", "period_end": format!("{next}-02-28")})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let v2 = sign_both(&app, &c["id"]).await;
    assert_eq!(v2["amount"], "3000.00");
    assert_eq!((budget(first).await, budget(next).await), ("3000.00".to_string(), "0.00".to_string()));

    // Each year's views hold that year's money only (issue 29): the funds overview, the
    // department's figures and the funds register of the next year show none of it, though
    // its January payment was made in the next year; the next year's budget is not the first's.
    let summary = |year: i32| {
        let (app, cz) = (&app, cz.clone());
        async move { app.get(&format!("/api/v1/funds/summary?year={year}"), &cz).await.json::<Value>().await.unwrap() }
    };
    let (s1, s2) = (summary(first).await, summary(next).await);
    let dept_of = |s: &Value| s["departments"].as_array().unwrap().iter().find(|d| d["department_id"] == dept).unwrap().clone();
    assert_eq!((dept_of(&s1)["disbursed"].as_str(), dept_of(&s2)["disbursed"].as_str()), (Some("2000.00"), Some("0.00")));
    let numbers = |s: &Value| s["contracts"].as_array().unwrap().iter().map(|r| r["number"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let number = c["number"].as_str().unwrap().to_string();
    assert!(numbers(&s1).contains(&number) && !numbers(&s2).contains(&number), "{:?} / {:?}", numbers(&s1), numbers(&s2));
    let register = |year: i32| {
        let (app, cz) = (&app, cz.clone());
        async move { crate::registers::sheet(app, &format!("/api/v1/registers/funds?year={year}"), &cz).await }
    };
    let (r1, r2) = (register(first).await, register(next).await);
    let total = |rows: &Vec<Vec<calamine::Data>>, h: &str| crate::registers::fen(&rows.last().unwrap()[crate::registers::at(rows, h)]);
    assert_eq!((total(&r1, "拨付（元）"), total(&r2, "拨付（元）")), (200000, 0), "the January payment is the first year's money");
    assert_eq!(total(&r2, "预算安排（元）"), 5000000, "the next year's budget in the next year's register only");
    let years_of = |rows: &Vec<Vec<calamine::Data>>| rows[3..rows.len() - 1].iter().map(|r| crate::registers::fen(&r[crate::registers::at(rows, "预算年度")]) / 100).collect::<std::collections::BTreeSet<i64>>();
    assert_eq!((years_of(&r1), years_of(&r2)), ([first as i64].into(), [next as i64].into()), "each row's budget year is the register's");

    // Ended before February is paid: the unpaid rest goes back to the first year's budget.
    let r = app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "任务提前结束"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(funds(&app, &c["id"]).await["disbursed"], "2000.00");
    assert_eq!((budget(first).await, budget(next).await), ("2000.00".to_string(), "0.00".to_string()));
    assert_clean(&app).await;
}
