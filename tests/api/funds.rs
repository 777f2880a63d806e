use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};

async fn sign_both(app: &TestApp, id: i64) -> reqwest::Response {
    app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token("xingfu").await, json!({})).await;
    app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token("shijian").await, json!({})).await
}

async fn pay(app: &TestApp, key: &str, body: Value) -> reqwest::Response {
    let mut req = app.api.post(app.url("/api/v1/disbursements")).bearer_auth(app.token("caizheng").await).json(&body);
    if !key.is_empty() {
        req = req.header("Idempotency-Key", key);
    }
    req.send().await.unwrap()
}

/// An active 3,000-yuan short-term contract: 900.00 in advance, 2,100.00 after clause 3.
async fn active_contract(app: &TestApp) -> Value {
    let a = admitted(app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    assert_eq!(sign_both(app, c["id"].as_i64().unwrap()).await.status(), StatusCode::OK);
    c
}

async fn funds(app: &TestApp, id: &Value) -> Value {
    app.get(&format!("/api/v1/contracts/{id}/funds"), &app.token("caizheng").await).await.json().await.unwrap()
}

#[tokio::test]
async fn a_contract_over_the_departments_budget_cannot_be_signed() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let dept = app.org_id("区市场监督管理局").await;
    let cz = app.token("caizheng").await;
    let r = app.put(&format!("/api/v1/budgets/{dept}/2026"), &cz, json!({"amount": "1000.00"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await; // changing needs a reason
    app.put(&format!("/api/v1/budgets/{dept}/2026"), &cz, json!({"amount": "1000.00", "reason": "年中调减"})).await;
    let r = app.put(&format!("/api/v1/budgets/{dept}/2026"), &app.token("shijian").await, json!({"amount": "9999999.00", "reason": "自己加"})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let id = c["id"].as_i64().unwrap();
    let r = sign_both(&app, id).await;
    let body = assert_error(r, StatusCode::CONFLICT, "BUDGET_EXCEEDED").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("¥1,000.00"));
    let still: Value = app.get(&format!("/api/v1/contracts/{id}"), &cz).await.json().await.unwrap_or_default();
    assert!(still.get("status").is_none(), "a draft is not visible to finance");
    let c2: Value = app.get(&format!("/api/v1/contracts/{id}"), &app.token("shijian").await).await.json().await.unwrap();
    assert_eq!(c2["status"], "draft");
    assert!(c2["department_signed_at"].is_null(), "the refused signature changed nothing");

    app.put(&format!("/api/v1/budgets/{dept}/2026"), &cz, json!({"amount": "5000.00", "reason": "追加预算"})).await;
    let r = app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token("shijian").await, json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    let b: Value = app.get(&format!("/api/v1/budgets/{dept}/2026"), &cz).await.json().await.unwrap();
    assert_eq!((b["amount"].as_str(), b["committed"].as_str(), b["available"].as_str()), (Some("5000.00"), Some("3000.00"), Some("2000.00")));
    let history: Vec<(&str, &str)> = b["history"].as_array().unwrap().iter().map(|h| (h["change"].as_str().unwrap(), h["reason"].as_str().unwrap())).collect();
    assert_eq!(history, [("1000000.00", "测试预算"), ("-999000.00", "年中调减"), ("4000.00", "追加预算")]);
    let r = app.put(&format!("/api/v1/budgets/{dept}/2026"), &cz, json!({"amount": "2999.99", "reason": "调减"})).await;
    assert_error(r, StatusCode::CONFLICT, "BUDGET_BELOW_COMMITTED").await;
}

#[tokio::test]
async fn milestones_are_paid_when_due_or_after_their_deliverable_is_accepted() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let ms = c["milestones"].as_array().unwrap().clone();
    let (advance, final_) = (&ms[0], &ms[1]);
    let body = |m: &Value, amount: &str| json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": amount});

    let r = pay(&app, "k1", body(advance, "900.00")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_error(pay(&app, "k2", body(advance, "0.01")).await, StatusCode::CONFLICT, "MILESTONE_ALREADY_PAID").await;
    assert_error(pay(&app, "k3", body(final_, "2100.00")).await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;

    // The community delivers against clause 3; a rejection must say why.
    let xf = app.token("xingfu").await;
    let clause3 = final_["clause_id"].clone();
    let r = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": c["clauses"][0]["id"], "summary": "x"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await; // not a performance clause
    let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause3, "summary": "商户汇总表"})).await.json().await.unwrap();
    assert_eq!(d["status"], "submitted");
    let sj = app.token("shijian").await;
    assert_error(app.post(&format!("/api/v1/deliverables/{}/reject", d["id"]), &sj, json!({"comment": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r: Value = app.post(&format!("/api/v1/deliverables/{}/reject", d["id"]), &sj, json!({"comment": "缺少20户商户"})).await.json().await.unwrap();
    assert_eq!(r["status"], "rejected");
    assert_eq!(r["decision_comment"], "依据合同第三条（交付成果）：缺少20户商户");
    assert_error(pay(&app, "k4", body(final_, "2100.00")).await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    let d2: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause3, "summary": "补齐后的商户汇总表"})).await.json().await.unwrap();
    // An attachment, checked for type and size, stored with its hash.
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 test".to_vec()).file_name("汇总表.pdf"));
    let r = app.api.post(app.url(&format!("/api/v1/deliverables/{}/attachments", d2["id"]))).bearer_auth(&xf).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.json::<Value>().await.unwrap()["sha256"].as_str().unwrap().len(), 64);
    let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"MZ".to_vec()).file_name("virus.exe"));
    let r = app.api.post(app.url(&format!("/api/v1/deliverables/{}/attachments", d2["id"]))).bearer_auth(&xf).multipart(form).send().await.unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    app.post(&format!("/api/v1/deliverables/{}/accept", d2["id"]), &sj, json!({})).await;
    assert_eq!(pay(&app, "k5", body(final_, "2100.00")).await.status(), StatusCode::CREATED);

    let f = funds(&app, &c["id"]).await;
    assert_eq!((f["amount"].as_str(), f["disbursed"].as_str(), f["confirmed"].as_str(), f["remaining"].as_str()), (Some("3000.00"), Some("3000.00"), Some("0.00"), Some("0.00")));
    assert_error(pay(&app, "k6", body(final_, "0.01")).await, StatusCode::CONFLICT, "MILESTONE_ALREADY_PAID").await;
}

#[tokio::test]
async fn a_replayed_payment_pays_nothing_more_and_a_reused_key_is_refused() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let m = &c["milestones"][0];
    let body = json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "300.00"});
    assert_error(pay(&app, "", body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REQUIRED").await;
    let first = pay(&app, "pay-2026-0001", body.clone()).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = pay(&app, "pay-2026-0001", body.clone()).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mut other = body.clone();
    other["amount"] = json!("301.00");
    assert_error(pay(&app, "pay-2026-0001", other).await, StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED").await;
    assert_eq!(funds(&app, &c["id"]).await["disbursed"], "300.00");
    assert_error(pay(&app, "pay-x", json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": 300})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
}

#[tokio::test]
async fn fifty_racing_payments_pay_exactly_what_fits() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let m = c["milestones"][0].clone(); // 900.00: room for nine payments of 100.00
    let token = app.token("caizheng").await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (api, url, token) = (app.api.clone(), app.url("/api/v1/disbursements"), token.clone());
        let body = json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "100.00"});
        tasks.push(tokio::spawn(async move {
            api.post(url).bearer_auth(token).header("Idempotency-Key", format!("race-{i}")).json(&body).send().await.unwrap()
        }));
    }
    let (mut paid, mut refused) = (0, 0);
    for t in tasks {
        let r = t.await.unwrap();
        match r.status() {
            StatusCode::CREATED => paid += 1,
            StatusCode::CONFLICT => refused += 1,
            other => panic!("{other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!((paid, refused), (9, 41));
    assert_eq!(funds(&app, &c["id"]).await["disbursed"], "900.00");
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v, json!({"ok": true, "breaches": []}));
}

/// The same request sent several times at once (a double click, a retrying proxy): one
/// payment, and every sender gets that payment's answer, not a 409 for the room it took.
#[tokio::test]
async fn twins_with_one_key_get_one_payment_and_the_same_answer() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let m = c["milestones"][0].clone();
    let token = app.token("caizheng").await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let (api, url, token) = (app.api.clone(), app.url("/api/v1/disbursements"), token.clone());
        let body = json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "900.00"});
        tasks.push(tokio::spawn(async move {
            let r = api.post(url).bearer_auth(token).header("Idempotency-Key", "twin").json(&body).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    assert!(answers.iter().all(|a| a == &answers[0]), "every twin gets the same answer: {answers:?}");
    assert_eq!(answers[0].0, StatusCode::CREATED);
    assert_eq!(funds(&app, &c["id"]).await["disbursed"], "900.00");
}

#[tokio::test]
async fn the_community_confirms_or_disputes_each_payment() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let m = &c["milestones"][0];
    let d1: Value = pay(&app, "a", json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "500.00"})).await.json().await.unwrap();
    let d2: Value = pay(&app, "b", json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "400.00"})).await.json().await.unwrap();
    let xf = app.token("xingfu").await;
    assert_error(app.post(&format!("/api/v1/disbursements/{}/confirm", d1["id"]), &app.token("hexie").await, json!({})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post(&format!("/api/v1/disbursements/{}/confirm", d1["id"]), &app.token("caizheng").await, json!({})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r: Value = app.post(&format!("/api/v1/disbursements/{}/confirm", d1["id"]), &xf, json!({})).await.json().await.unwrap();
    assert_eq!(r["status"], "confirmed");
    assert_error(app.post(&format!("/api/v1/disbursements/{}/confirm", d1["id"]), &xf, json!({})).await, StatusCode::CONFLICT, "ALREADY_CONFIRMED").await;
    assert_error(app.post(&format!("/api/v1/disbursements/{}/dispute", d2["id"]), &xf, json!({"reason": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r: Value = app.post(&format!("/api/v1/disbursements/{}/dispute", d2["id"]), &xf, json!({"reason": "账户只收到300元"})).await.json().await.unwrap();
    assert_eq!(r["status"], "disputed");
    let disputes: Value = app.list("/api/v1/disbursements?status=disputed", &app.token("caizheng").await).await;
    assert_eq!(disputes.as_array().unwrap().len(), 1);
    assert_eq!(disputes[0]["dispute_reason"], "账户只收到300元");
    let f = funds(&app, &c["id"]).await;
    assert_eq!((f["disbursed"].as_str(), f["confirmed"].as_str(), f["remaining"].as_str()), (Some("900.00"), Some("500.00"), Some("2100.00")));
    // Terminating gives the unpaid commitment back to the budget.
    app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "提前结束"})).await;
    let dept = app.org_id("区市场监督管理局").await;
    let b: Value = app.get(&format!("/api/v1/budgets/{dept}/2026"), &app.token("caizheng").await).await.json().await.unwrap();
    assert_eq!(b["committed"], "900.00");
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true);
}

/// Issue 29: a payment carries the finance bureau's voucher number (凭证号), shown on the
/// contract page; the number is part of what the idempotency key is bound to.
#[tokio::test]
async fn a_payment_carries_its_voucher_number() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let m = &c["milestones"][0];
    let body = |voucher: &str| json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "300.00", "voucher": voucher});
    assert_error(pay(&app, "v-long", body(&"号".repeat(51))).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = pay(&app, "v-1", body(" 国库支付2026-0815 ")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["voucher"], "国库支付2026-0815");
    // The same key: the same answer; with another number it is another request.
    let again: Value = pay(&app, "v-1", body("国库支付2026-0815")).await.json().await.unwrap();
    assert_eq!(again["id"], d["id"]);
    assert_error(pay(&app, "v-1", body("国库支付2026-0816")).await, StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED").await;
    // Without a number, as before.
    let plain: Value = pay(&app, "v-2", json!({"contract_id": c["id"], "milestone_id": m["id"], "amount": "100.00"})).await.json().await.unwrap();
    assert!(plain["voucher"].is_null());
    assert_eq!(funds(&app, &c["id"]).await["disbursed"], "400.00");
    let page = app.page_login("xingfu").await.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("<td data-label=\"凭证号\" class=\"voucher\">国库支付2026-0815</td>"), "the community sees the number");
}

/// Issue 29: a disputed payment is the finance bureau's work: it is in its inbox, answered
/// with what the check found, and goes back to the community to confirm or dispute again.
/// No money moves on either step.
#[tokio::test]
async fn finance_answers_a_disputed_payment_and_the_community_confirms_it_again() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    let d: Value = pay(&app, "d", json!({"contract_id": c["id"], "milestone_id": c["milestones"][0]["id"], "amount": "900.00"})).await.json().await.unwrap();
    let (xf, cz) = (app.token("xingfu").await, app.token("caizheng").await);
    let url = |step: &str| format!("/api/v1/disbursements/{}/{step}", d["id"]);
    let inbox = |user: &'static str| {
        let app = &app;
        async move { app.get("/api/v1/inbox", &app.token(user).await).await.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone() }
    };
    // Nothing to answer before a dispute.
    assert_error(app.post(&url("answer"), &cz, json!({"answer": "已到账"})).await, StatusCode::CONFLICT, "NOT_DISPUTED").await;
    assert_eq!(app.post(&url("dispute"), &xf, json!({"reason": "账户只收到800元"})).await.status(), StatusCode::OK);
    let items = inbox("caizheng").await;
    let item = items.iter().find(|i| i["kind"] == "disputed").expect("the dispute is in finance's inbox");
    assert!(item["title"].as_str().unwrap().contains("账户只收到800元"), "{item}");
    assert!(!inbox("xingfu").await.iter().any(|i| i["kind"] == "confirm"), "a disputed payment waits for finance, not the community");

    // Only the finance bureau answers, and it says what it found.
    assert_error(app.post(&url("answer"), &app.token("shijian").await, json!({"answer": "已到账"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_error(app.post(&url("answer"), &xf, json!({"answer": "已到账"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_error(app.post(&url("answer"), &cz, json!({"answer": "  "})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r: Value = app.post(&url("answer"), &cz, json!({"answer": "已核实：900元经国库集中支付到账，凭证号0815"})).await.json().await.unwrap();
    assert_eq!((r["status"].as_str(), r["dispute_reason"].as_str()), (Some("paid"), Some("账户只收到800元")));
    assert_eq!(r["answer"], "已核实：900元经国库集中支付到账，凭证号0815");
    assert!(r["answered_at"].is_string());
    assert_error(app.post(&url("answer"), &cz, json!({"answer": "再答复"})).await, StatusCode::CONFLICT, "NOT_DISPUTED").await;
    assert!(!inbox("caizheng").await.iter().any(|i| i["kind"] == "disputed"), "answered: off finance's list");
    let items = inbox("xingfu").await;
    let back = items.iter().find(|i| i["kind"] == "confirm").expect("back with the community");
    assert!(back["title"].as_str().unwrap().contains("凭证号0815"), "{back}");

    // Disputed again, answered again (a new item each time), then confirmed.
    assert_eq!(app.post(&url("dispute"), &xf, json!({"reason": "凭证号查无此笔"})).await.status(), StatusCode::OK);
    assert!(inbox("caizheng").await.iter().any(|i| i["kind"] == "disputed" && i["read"] == false));
    assert_eq!(app.post(&url("answer"), &cz, json!({"answer": "凭证号应为0816"})).await.status(), StatusCode::OK);
    let r: Value = app.post(&url("confirm"), &xf, json!({})).await.json().await.unwrap();
    assert_eq!((r["status"].as_str(), r["answer"].as_str()), (Some("confirmed"), Some("凭证号应为0816")));
    assert_error(app.post(&url("answer"), &cz, json!({"answer": "x"})).await, StatusCode::CONFLICT, "NOT_DISPUTED").await;
    let f = funds(&app, &c["id"]).await;
    assert_eq!((f["disbursed"].as_str(), f["confirmed"].as_str()), (Some("900.00"), Some("900.00")));
    let trail: Value = app.list("/api/v1/audit?action=disbursement.answered", &app.token("ducha").await).await;
    let actions: Vec<&str> = trail.as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).filter(|a| a.starts_with("disbursement.")).collect();
    assert_eq!(actions.iter().filter(|a| **a == "disbursement.answered").count(), 2, "{actions:?}");
    for check in ["/api/v1/admin/ledger/verify", "/api/v1/admin/audit/verify"] {
        let v: Value = app.get(check, &app.token("admin").await).await.json().await.unwrap();
        assert_eq!(v["ok"], true, "{check}: {v}");
    }
}

#[tokio::test]
async fn views_per_department_community_and_county_and_tasks_without_money() {
    let app = spawn_app().await;
    let c = active_contract(&app).await;
    pay(&app, "s1", json!({"contract_id": c["id"], "milestone_id": c["milestones"][0]["id"], "amount": "900.00"})).await;
    let bare = admitted(&app, "无合同的已准入事项", "500.00", "2026-03-01", "2026-04-30").await;
    // A task whose only contract was terminated unpaid has no money either.
    let dropped = admitted(&app, "合同已终止的事项", "500.00", "2026-03-01", "2026-04-30").await;
    let dc = draft(&app, survey_contract(dropped, app.org_id("幸福社区").await, "500.00")).await;
    app.post(&format!("/api/v1/contracts/{}/terminate", dc["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "改由部门自行办理"})).await;
    let s: Value = app.get("/api/v1/funds/summary?year=2026", &app.token("caizheng").await).await.json().await.unwrap();
    let dept = s["departments"].as_array().unwrap().iter().find(|d| d["department"] == "区市场监督管理局").unwrap().clone();
    assert_eq!((dept["budget"].as_str(), dept["committed"].as_str(), dept["disbursed"].as_str()), (Some("1000000.00"), Some("3000.00"), Some("900.00")));
    assert_eq!(s["county"]["contracted"], "3000.00");
    assert_eq!(s["county"]["outstanding"], "2100.00");
    assert_eq!(s["communities"][0]["community"], "幸福社区");
    assert_eq!(s["communities"][0]["disbursed"], "900.00");
    let unfunded: Vec<i64> = s["unfunded"].as_array().unwrap().iter().map(|u| u["admission_id"].as_i64().unwrap()).collect();
    assert_eq!(unfunded, [dropped, bare]);
    assert_error(app.get("/api/v1/funds/summary", &app.token("xingfu").await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let rows: Value = app.list("/api/v1/admissions/assessment", &app.token("ducha").await).await;
    let row = rows.as_array().unwrap().iter().find(|r| r["id"] == c["admission_id"]).unwrap();
    assert_eq!(row["funds_delivered"], "900.00");
    // The community's page shows what it is owed and what it received.
    let html = app.page_login("xingfu").await.get(app.url("/funds")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("本社区的合同经费") && html.contains("¥900.00") && html.contains("¥2,100.00"));
    let html = app.page_login("caizheng").await.get(app.url("/funds?year=2026")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("无合同的已准入事项") && html.contains("<svg"));
}

#[tokio::test]
async fn the_demo_cases_of_yingjiang_load_with_payments_made_and_confirmed() {
    let app = spawn_app().await;
    let templates = zhunru::contracts::template::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contract-templates")).unwrap();
    zhunru::demo::load_cases(&app.db, &templates).await.unwrap();
    let cz = app.token("caizheng").await;
    let all: Value = app.list("/api/v1/contracts", &cz).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|c| c["status"] == "active"));
    let survey = all.iter().find(|c| c["template_id"] == "short-term-task").unwrap();
    let f = funds(&app, &survey["id"]).await;
    assert_eq!((f["disbursed"].as_str(), f["confirmed"].as_str(), f["remaining"].as_str()), (Some("3000.00"), Some("900.00"), Some("0.00")));
    let xingfu = all.iter().find(|c| c["community"] == "幸福社区").unwrap();
    let today = chrono::Utc::now().date_naive().to_string();
    let due = xingfu["milestones"].as_array().unwrap().iter().filter(|m| m["due"].as_str().unwrap() <= today.as_str()).count() as i64;
    let f = funds(&app, &xingfu["id"]).await;
    assert_eq!(f["disbursed"], format!("{}.00", due * 600));
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true);
}
