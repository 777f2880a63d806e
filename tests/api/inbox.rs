//! Issue 14: the inbox. Each to-do item appears in the inbox of whoever must act, clears
//! when the work is done, and deadlines raise a new (unread) item when they come near and
//! when they pass. The server's clock is set, never slept on.
use chrono::{Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::{draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::{emergency, pay};

async fn inbox(app: &TestApp, user: &str) -> Value {
    let r = app.get("/api/v1/inbox", &app.token(user).await).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The ids of a user's inbox items.
pub async fn ids(app: &TestApp, user: &str) -> Vec<String> {
    inbox(app, user).await["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn work_appears_in_the_inbox_of_whoever_must_act_and_clears_when_done() {
    let app = spawn_app().await;
    let (sj, mz, ld) = (app.token("shijian").await, app.token("minzheng").await, app.token("lingdao").await);
    let body = json!({
        "title": "企业摸底", "description": "入户登记", "basis": "示范区市场监管局〔2026〕12号", "work_plan": "按月开展",
        "target_community_ids": [app.org_id("幸福社区").await], "period_start": "2026-03-01", "period_end": "2026-04-30",
        "staffing": "网格员", "budget": "3000.00",
    });
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    let a = a["id"].as_i64().unwrap();
    app.clock.set(Some(day("2026-02-20")));
    assert!(!ids(&app, "minzheng").await.contains(&format!("review-{a}")), "a draft is nobody's work yet");
    assert_eq!(app.post(&format!("/api/v1/admissions/{a}/submit"), &sj, json!({})).await.status(), StatusCode::OK);
    assert!(ids(&app, "minzheng").await.contains(&format!("review-{a}")));
    assert!(!ids(&app, "lingdao").await.contains(&format!("decide-{a}")));
    app.post(&format!("/api/v1/admissions/{a}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
    assert!(!ids(&app, "minzheng").await.contains(&format!("review-{a}")), "reviewed: cleared");
    assert!(ids(&app, "lingdao").await.contains(&format!("decide-{a}")));
    let r = app.post(&format!("/api/v1/admissions/{a}/decide"), &ld, json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!ids(&app, "lingdao").await.contains(&format!("decide-{a}")));
    let dept = app.org_id("区市场监督管理局").await;
    app.put(&format!("/api/v1/budgets/{dept}/2026"), &app.token("caizheng").await, json!({"amount": "100000.00", "reason": "预算"})).await;

    // Signatures: both sides until each has signed.
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let sign = format!("sign-{}-1", c["id"]);
    assert!(ids(&app, "xingfu").await.contains(&sign) && ids(&app, "shijian").await.contains(&sign));
    assert!(!ids(&app, "hexie").await.contains(&sign), "not the other community's");
    app.post(&format!("/api/v1/contracts/{}/sign", c["id"]), &app.token("xingfu").await, json!({})).await;
    assert!(!ids(&app, "xingfu").await.contains(&sign) && ids(&app, "shijian").await.contains(&sign));
    app.post(&format!("/api/v1/contracts/{}/sign", c["id"]), &sj, json!({})).await;
    assert!(!ids(&app, "shijian").await.contains(&sign));

    // The advance: the finance bureau sees it a week ahead, overdue after its date.
    let c: Value = app.get(&format!("/api/v1/contracts/{}", c["id"]), &sj).await.json().await.unwrap();
    let advance = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"].is_null()).unwrap().clone();
    let due: NaiveDate = advance["due"].as_str().unwrap().parse().unwrap();
    let m = advance["id"].as_i64().unwrap();
    app.clock.set(Some(due - Days::new(8)));
    assert!(!ids(&app, "caizheng").await.iter().any(|i| i.starts_with(&format!("pay-{m}"))), "not yet");
    app.clock.set(Some(due - Days::new(5)));
    assert!(ids(&app, "caizheng").await.contains(&format!("pay-{m}")));
    app.clock.set(Some(due + Days::new(1)));
    assert!(ids(&app, "caizheng").await.contains(&format!("pay-{m}-overdue")));
    let p: Value = pay(&app, "inbox-1", &c, &advance, "900.00").await.json().await.unwrap();
    assert!(!ids(&app, "caizheng").await.iter().any(|i| i.starts_with(&format!("pay-{m}"))), "paid: cleared");

    // The receipt: ten days to confirm; read, then new again when near and when passed.
    let paid_on = Utc::now().date_naive();
    app.clock.set(Some(paid_on));
    let d = p["id"].as_i64().unwrap();
    let xf = app.token("xingfu").await;
    let before = inbox(&app, "xingfu").await;
    let item = before["items"].as_array().unwrap().iter().find(|i| i["id"] == format!("confirm-{d}")).unwrap().clone();
    assert_eq!(item["kind"], "confirm");
    assert_eq!(item["due"], (paid_on + Days::new(10)).to_string());
    assert_eq!(item["link"], format!("/contracts/{}", c["id"]));
    assert_eq!(item["read"], false);
    let r = app.post(&format!("/api/v1/inbox/confirm-{d}/read"), &xf, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.post(&format!("/api/v1/inbox/confirm-{d}/read"), &xf, json!({})).await.status(), StatusCode::OK, "twice is once");
    let after = inbox(&app, "xingfu").await;
    assert_eq!(after["unread"].as_u64().unwrap(), before["unread"].as_u64().unwrap() - 1);
    assert_error(app.post(&format!("/api/v1/inbox/confirm-{d}/read"), &app.token("hexie").await, json!({})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post("/api/v1/inbox/nothing-1/read", &xf, json!({})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    app.clock.set(Some(paid_on + Days::new(8)));
    let near = inbox(&app, "xingfu").await;
    let near = near["items"].as_array().unwrap().iter().find(|i| i["id"] == format!("confirm-{d}-near")).unwrap().clone();
    assert_eq!(near["read"], false, "near is news");
    app.clock.set(Some(paid_on + Days::new(11)));
    assert!(ids(&app, "xingfu").await.contains(&format!("confirm-{d}-overdue")));
    assert_eq!(app.post(&format!("/api/v1/disbursements/{d}/confirm"), &xf, json!({})).await.status(), StatusCode::OK);
    assert!(!ids(&app, "xingfu").await.iter().any(|i| i.starts_with(&format!("confirm-{d}"))), "confirmed: cleared");

    // Deliverables: to accept; rejected, to deliver again; accepted, the instalment to pay.
    let clause = c["clauses"].as_array().unwrap().iter().find(|k| k["performance"] == true).unwrap()["id"].clone();
    let d1: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause, "summary": "商户汇总表"})).await.json().await.unwrap();
    assert!(ids(&app, "shijian").await.contains(&format!("accept-{}", d1["id"])));
    app.post(&format!("/api/v1/deliverables/{}/reject", d1["id"]), &sj, json!({"comment": "缺少签字"})).await;
    assert!(!ids(&app, "shijian").await.contains(&format!("accept-{}", d1["id"])));
    assert!(ids(&app, "xingfu").await.contains(&format!("redeliver-{}", d1["id"])));
    let d2: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause, "summary": "补签后的汇总表"})).await.json().await.unwrap();
    assert!(!ids(&app, "xingfu").await.contains(&format!("redeliver-{}", d1["id"])), "delivered again: cleared");
    app.post(&format!("/api/v1/deliverables/{}/accept", d2["id"]), &sj, json!({"comment": "合格"})).await;
    assert!(!ids(&app, "shijian").await.contains(&format!("accept-{}", d2["id"])));
    let rest = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap()["id"].as_i64().unwrap();
    assert!(ids(&app, "caizheng").await.iter().any(|i| i.starts_with(&format!("pay-{rest}"))), "the accepted clause's instalment is due");

    // An amendment is new work for both sides, under its own version's id.
    let r = app.post(&format!("/api/v1/contracts/{}/amendments", c["id"]), &sj, json!({"rationale_code": "SCOPE_CHANGE", "rationale": "商户减少", "amount": "2500.00"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let amend = format!("sign-{}-2", c["id"]);
    assert!(ids(&app, "xingfu").await.contains(&amend) && ids(&app, "shijian").await.contains(&amend));
    app.post(&format!("/api/v1/contracts/{}/sign", c["id"]), &xf, json!({})).await;
    assert!(!ids(&app, "xingfu").await.contains(&amend), "signed: cleared");
    assert!(ids(&app, "shijian").await.contains(&amend));
}

#[tokio::test]
async fn an_emergency_deadline_raises_items_when_near_and_when_passed() {
    let app = spawn_app().await;
    let a = emergency(&app, "6000.00").await;
    let got: Value = app.get(&format!("/api/v1/admissions/{a}"), &app.token("shijian").await).await.json().await.unwrap();
    let deadline: NaiveDate = got["approval_deadline"].as_str().unwrap().parse().unwrap();
    app.clock.set(Some(deadline - Days::new(10)));
    assert!(ids(&app, "minzheng").await.contains(&format!("review-{a}")));
    assert!(!ids(&app, "shijian").await.iter().any(|i| i.starts_with(&format!("emergency-{a}"))), "far from the deadline");
    app.clock.set(Some(deadline - Days::new(2)));
    assert!(ids(&app, "minzheng").await.contains(&format!("review-{a}-near")));
    assert!(ids(&app, "shijian").await.contains(&format!("emergency-{a}-near")));
    assert!(ids(&app, "ducha").await.contains(&format!("emergency-{a}-near")));
    app.clock.set(Some(deadline + Days::new(1)));
    assert!(ids(&app, "minzheng").await.contains(&format!("review-{a}-overdue")));
    // The deadline job withdraws it: nothing left to review; the department is told.
    zhunru::lifecycle::store::apply_deadlines(&app.db, deadline + Days::new(1)).await.unwrap();
    assert!(!ids(&app, "minzheng").await.iter().any(|i| i.starts_with(&format!("review-{a}"))));
    let dept = inbox(&app, "shijian").await;
    let item = dept["items"].as_array().unwrap().iter().find(|i| i["id"] == format!("emergency-{a}-overdue")).unwrap().clone();
    assert!(item["title"].as_str().unwrap().contains("已撤出社区"), "{item}");
    app.clock.set(Some(deadline + Days::new(9)));
    assert!(!ids(&app, "shijian").await.iter().any(|i| i.starts_with(&format!("emergency-{a}"))), "a week later it is gone");
}

/// Issue 29: the department is told the decision on its application, approved (with the
/// approval number) or not (with the reason), for a fortnight; nobody else is.
#[tokio::test]
async fn the_department_is_told_when_its_application_is_approved_or_rejected() {
    let app = spawn_app().await;
    let (sj, mz, ld) = (app.token("shijian").await, app.token("minzheng").await, app.token("lingdao").await);
    let mut ids_ = Vec::new();
    for title in ["商户信息核对", "节日慰问统计"] {
        let body = json!({
            "title": title, "description": "入户登记", "basis": "示范区市场监管局〔2026〕12号", "work_plan": "按月开展",
            "target_community_ids": [app.org_id("幸福社区").await], "period_start": "2026-03-01", "period_end": "2026-04-30",
            "staffing": "网格员", "budget": "3000.00",
        });
        let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
        let a = a["id"].as_i64().unwrap();
        assert_eq!(app.post(&format!("/api/v1/admissions/{a}/submit"), &sj, json!({})).await.status(), StatusCode::OK);
        app.post(&format!("/api/v1/admissions/{a}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
        ids_.push(a);
    }
    let (yes, no) = (ids_[0], ids_[1]);
    assert!(!ids(&app, "shijian").await.iter().any(|i| i.starts_with("decided-")), "nothing decided yet");
    assert_eq!(app.post(&format!("/api/v1/admissions/{yes}/decide"), &ld, json!({"decision": "approve", "comment": "同意"})).await.status(), StatusCode::OK);
    assert_eq!(app.post(&format!("/api/v1/admissions/{no}/decide"), &ld, json!({"decision": "reject", "comment": "属部门自身职责"})).await.status(), StatusCode::OK);
    let items = inbox(&app, "shijian").await["items"].as_array().unwrap().clone();
    let item = |id: i64| items.iter().find(|i| i["id"] == format!("decided-{id}")).unwrap_or_else(|| panic!("decided-{id} in {items:?}")).clone();
    let number: Value = app.get(&format!("/api/v1/admissions/{yes}"), &sj).await.json().await.unwrap();
    let number = number["approval_number"].as_str().unwrap().to_string();
    assert!(item(yes)["title"].as_str().unwrap().contains("已批准") && item(yes)["title"].as_str().unwrap().contains(&number), "{}", item(yes));
    assert!(item(no)["title"].as_str().unwrap().contains("未获批准") && item(no)["title"].as_str().unwrap().contains("属部门自身职责"));
    assert_eq!(item(yes)["read"], false);
    for other in ["weijian", "minzheng", "xingfu"] {
        assert!(!ids(&app, other).await.iter().any(|i| i.starts_with("decided-")), "{other} is not told");
    }
    // A fortnight later the news is old.
    app.clock.set(Some(Utc::now().date_naive() + Days::new(16)));
    assert!(!ids(&app, "shijian").await.iter().any(|i| i.starts_with("decided-")));
}
