//! Issue 15: funded assist-list work (协助事项派单, 001 §二(三)). A department assigns an
//! item of its county's assist list to a community as a purchase-of-service contract, with
//! period, staffing, guidance and budget: no admission, but screened like an application,
//! and the same signing and funds path.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::{pay, sign_both};

async fn item(app: &TestApp, kind: &str, code: &str) -> i64 {
    let items = app.list(&format!("/api/v1/lists/{kind}"), &app.token("shijian").await).await;
    items.as_array().unwrap().iter().find(|i| i["code"] == code).unwrap_or_else(|| panic!("{code}"))["id"].as_i64().unwrap()
}

async fn budget(app: &TestApp, dept: &str) {
    let id = app.org_id(dept).await;
    let r = app.put(&format!("/api/v1/budgets/{id}/2026"), &app.token("caizheng").await, json!({"amount": "100000.00", "reason": "年度预算"})).await;
    assert_eq!(r.status(), StatusCode::OK);
}

fn assignment(item: i64, community: i64, amount: &str) -> Value {
    json!({"assist_item_id": item, "community_id": community, "template_id": "short-term-task", "amount": amount,
           "period_start": "2026-03-01", "period_end": "2026-04-30", "guidance": "市场监管所每月到社区指导一次", "staffing": "社区食品安全协管员1名",
           "variables": {"scope": "辖区餐饮门店食品安全信息收集和隐患报告", "delivery_date": "2026-04-25"}})
}

async fn counts(app: &TestApp) -> (usize, usize) {
    let t = app.token("minzheng").await;
    (app.list("/api/v1/contracts", &app.token("shijian").await).await.as_array().unwrap().len(), app.list("/api/v1/admissions", &t).await.as_array().unwrap().len())
}

#[tokio::test]
async fn assist_work_is_assigned_with_money_signed_paid_and_confirmed() {
    let app = spawn_app().await;
    budget(&app, "区市场监督管理局").await;
    let xb01 = item(&app, "assist", "XB-01").await;
    let xingfu = app.org_id("幸福社区").await;
    let sj = app.token("shijian").await;
    let r = app.post("/api/v1/contracts", &sj, assignment(xb01, xingfu, "3000.00")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = r.json().await.unwrap();
    assert_eq!((c["origin"].as_str(), c["assist_item_id"].as_i64(), c["task"].as_str()), (Some("assist"), Some(xb01), Some("食品安全协管")));
    assert!(c["clauses"][0]["text"].as_str().unwrap().contains("协助办理事项清单派单"), "{}", c["clauses"][0]["text"]);
    // The assignment is on record beside the applications, with its guidance and staffing.
    let a: Value = app.get(&format!("/api/v1/admissions/{}", c["admission_id"]), &sj).await.json().await.unwrap();
    assert_eq!((a["origin"].as_str(), a["status_label"].as_str(), a["staffing"].as_str(), a["budget"].as_str()), (Some("assist"), Some("协助事项派单"), Some("社区食品安全协管员1名"), Some("3000.00")));
    assert_eq!(a["target_community_ids"], json!([xingfu]));
    assert!(app.get(&format!("/api/v1/admissions/{}", c["admission_id"]), &app.token("hexie").await).await.status() == StatusCode::NOT_FOUND);

    // Signed, paid instalment by instalment, each receipt confirmed: the same path as admitted work.
    let c = sign_both(&app, &c["id"]).await;
    assert_eq!(c["status"], "active");
    // Its document names the list it was assigned from, never an emergency entry's
    // "awaiting approval" (issue 26): also the public PDF the open data links to.
    let county: Value = app.get("/api/v1/me", &sj).await.json().await.unwrap();
    let county = county["user"]["county_id"].as_i64().or_else(|| county["county_id"].as_i64()).unwrap();
    for (path, token) in [(format!("/api/v1/contracts/{}/pdf", c["id"]), Some(sj.as_str())), (format!("/api/v1/public/{county}/contracts/{}/pdf", c["id"]), None)] {
        let mut req = app.api.get(app.url(&path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text: String = pdf_extract::extract_text_from_mem(&r.bytes().await.unwrap()).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains("派单依据") && text.contains("列入协助办理事项清单"), "{path}: {text}");
        assert!(!text.contains("先进后批") && !text.contains("经准入审批的事项"), "{path}: {text}");
    }
    let xf = app.token("xingfu").await;
    let advance = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"].is_null()).unwrap().clone();
    let rest = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap().clone();
    let p: Value = pay(&app, "assist-1", &c, &advance, advance["amount"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(app.post(&format!("/api/v1/disbursements/{}/confirm", p["id"]), &xf, json!({})).await.status(), StatusCode::OK);
    let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": rest["clause_id"], "summary": "隐患台账"})).await.json().await.unwrap();
    assert_eq!(app.post(&format!("/api/v1/deliverables/{}/accept", d["id"]), &sj, json!({"comment": "合格"})).await.status(), StatusCode::OK);
    let p: Value = pay(&app, "assist-2", &c, &rest, rest["amount"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(app.post(&format!("/api/v1/disbursements/{}/confirm", p["id"]), &xf, json!({})).await.status(), StatusCode::OK);
    let f: Value = app.get(&format!("/api/v1/contracts/{}/funds", c["id"]), &app.token("caizheng").await).await.json().await.unwrap();
    assert_eq!((f["disbursed"].as_str(), f["confirmed"].as_str()), (Some("3000.00"), Some("3000.00")), "{f}");
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");

    // Without a period, the assignment runs from today to the year's end (the lists are annual).
    let mut b = assignment(xb01, app.org_id("和谐社区").await, "1200.00");
    b.as_object_mut().unwrap().remove("period_start");
    b.as_object_mut().unwrap().remove("period_end");
    b["variables"]["delivery_date"] = json!(chrono::Utc::now().date_naive().to_string()); // within today..year end
    let r = app.post("/api/v1/contracts", &sj, b).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let k: Value = r.json().await.unwrap();
    let today = chrono::Utc::now().date_naive();
    assert_eq!((k["period_start"].as_str(), k["period_end"].as_str()), (Some(today.to_string().as_str()), Some(format!("{}-12-31", chrono::Datelike::year(&today)).as_str())));

    // The assignment's budget bounds the contract, as an admission's does.
    let r = app.post(&format!("/api/v1/contracts/{}/amendments", c["id"]), &sj, json!({"rationale_code": "SCOPE_CHANGE", "rationale": "门店增加", "amount": "3500.00"})).await;
    assert!(r.status().is_client_error(), "{}", r.status());
}

#[tokio::test]
async fn an_assignment_is_refused_when_it_hides_forbidden_work_or_is_not_the_departments() {
    let app = spawn_app().await;
    budget(&app, "区市场监督管理局").await;
    budget(&app, "区卫生健康局").await;
    let xb01 = item(&app, "assist", "XB-01").await;
    let xingfu = app.org_id("幸福社区").await;
    let sj = app.token("shijian").await;
    let before = counts(&app).await;

    // Negative-list work under the assist title, in the guidance or in the contract's words.
    let mut b = assignment(xb01, xingfu, "3000.00");
    b["guidance"] = json!("顺便协助征收税款、清缴欠税");
    let e = assert_error(app.post("/api/v1/contracts", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    assert!(e["error"]["details"].to_string().contains("NEGATIVE_LIST"), "{e}");
    let mut b = assignment(xb01, xingfu, "3000.00");
    b["variables"]["scope"] = json!("辖区违章建筑拆除劝导");
    let r = app.post("/api/v1/contracts", &sj, b).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Enforcement dressed as assistance.
    let mut b = assignment(xb01, xingfu, "3000.00");
    b["guidance"] = json!("社区对无证经营门店进行行政处罚");
    assert_eq!(app.post("/api/v1/contracts", &sj, b).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Another department's assist item; an item of another list; no such item.
    let wj = app.token("weijian").await;
    assert_error(app.post("/api/v1/contracts", &wj, assignment(xb01, xingfu, "3000.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    for (kind, code) in [("duty", "LZ-02"), ("negative", "FM-06")] {
        let other = item(&app, kind, code).await;
        let e = assert_error(app.post("/api/v1/contracts", &sj, assignment(other, xingfu, "3000.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert!(e.to_string().contains("assist_item_id"), "{e}");
    }
    assert_error(app.post("/api/v1/contracts", &sj, assignment(999_999, xingfu, "3000.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;

    // The form itself: one source only, a period, a budget that covers the amount, a community.
    let mut b = assignment(xb01, xingfu, "3000.00");
    b["admission_id"] = json!(1);
    assert_error(app.post("/api/v1/contracts", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut b = assignment(xb01, xingfu, "3000.00");
    b.as_object_mut().unwrap().remove("assist_item_id");
    assert_error(app.post("/api/v1/contracts", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut b = assignment(xb01, xingfu, "3000.00");
    (b["period_start"], b["period_end"]) = (json!("2026-05-01"), json!("2026-04-01"));
    assert_error(app.post("/api/v1/contracts", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut b = assignment(xb01, xingfu, "3000.00");
    b["budget"] = json!("1000.00");
    assert_error(app.post("/api/v1/contracts", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let dept = app.org_id("区卫生健康局").await;
    assert_error(app.post("/api/v1/contracts", &sj, assignment(xb01, dept, "3000.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // A community cannot assign; nothing of the refused attempts was saved.
    assert_eq!(app.post("/api/v1/contracts", &app.token("xingfu").await, assignment(xb01, xingfu, "3000.00")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(counts(&app).await, before, "refused assignments leave nothing behind");
}

#[tokio::test]
async fn a_community_refuses_assist_work_that_came_without_money_and_it_counts_like_unadmitted_work() {
    let app = spawn_app().await;
    let xb01 = item(&app, "assist", "XB-01").await;
    let xf = app.token("xingfu").await;
    let dept = app.org_id("区市场监督管理局").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let body = |assist: Value| json!({"department_id": dept, "task": "要求社区每周上报餐饮门店食品安全信息，无经费", "occurred_on": today, "evidence": "工作群通知", "assist_item_id": assist});
    let duty = item(&app, "duty", "LZ-02").await;
    let e = assert_error(app.post("/api/v1/reports", &xf, body(json!(duty))).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(e.to_string().contains("assist_item_id"), "{e}");
    let r = app.post("/api/v1/reports", &xf, body(json!(xb01))).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let rep: Value = r.json().await.unwrap();
    assert_eq!((rep["kind"].as_str(), rep["assist_item_id"].as_i64()), (Some("unfunded_assist"), Some(xb01)));
    let h = app.post(&format!("/api/v1/reports/{}/handle", rep["id"]), &app.token("minzheng").await, json!({"outcome": "confirmed", "reason": "协助事项未随工作拨付经费"})).await;
    assert_eq!(h.status(), StatusCode::OK);
    let summary: Value = app.list("/api/v1/reports/summary", &app.token("ducha").await).await;
    assert_eq!(summary, json!([{"department_id": dept, "department": "区市场监督管理局", "confirmed": 1}]));
}

/// The item's funding standard gives an assignment without a budget of its own its money:
/// per month of the period (or per task); a contract above it needs an explicit budget.
#[tokio::test]
async fn an_assignment_without_a_budget_gets_what_the_items_funding_standard_gives() {
    let app = spawn_app().await;
    budget(&app, "区市场监督管理局").await;
    let xb01 = item(&app, "assist", "XB-01").await;
    let xingfu = app.org_id("幸福社区").await;
    let (sj, mz) = (app.token("shijian").await, app.token("minzheng").await);
    let standard = json!({"amount": "600.00", "unit": "month", "reason": "核定协管经费", "document": "示范区财政局〔2026〕3号"});
    assert_error(app.put(&format!("/api/v1/lists/items/{xb01}/funding"), &sj, standard.clone()).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_eq!(app.put(&format!("/api/v1/lists/items/{xb01}/funding"), &mz, standard).await.status(), StatusCode::OK);
    let before = counts(&app).await;
    // March and April: 1,200 by the standard, less than the contract's 1,500: refused, nothing saved.
    let e = assert_error(app.post("/api/v1/contracts", &sj, assignment(xb01, xingfu, "1500.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(e.to_string().contains("经费标准"), "{e}");
    assert_eq!(counts(&app).await, before);
    // Within it: the assignment's budget is the standard's.
    let c: Value = app.post("/api/v1/contracts", &sj, assignment(xb01, xingfu, "1000.00")).await.json().await.unwrap();
    let a: Value = app.get(&format!("/api/v1/admissions/{}", c["admission_id"]), &sj).await.json().await.unwrap();
    assert_eq!(a["budget"], "1200.00");
    // A budget the department gives itself departs from civil affairs' standard only with
    // a reason, kept on the task (issue 28); the standard's own figure needs none.
    let mut own = assignment(xb01, xingfu, "1500.00");
    own["budget"] = json!("2000.00");
    let before = counts(&app).await;
    let e = assert_error(app.post("/api/v1/contracts", &sj, own.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(e["error"]["details"][0]["field"], "budget_reason", "{e}");
    assert!(e.to_string().contains("1200.00"), "the standard's figure is named: {e}");
    own["budget_reason"] = json!("   ");
    assert_error(app.post("/api/v1/contracts", &sj, own.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(counts(&app).await, before, "nothing saved");
    own["budget_reason"] = json!("两个月内需加派夜间巡查");
    let c: Value = app.post("/api/v1/contracts", &sj, own).await.json().await.unwrap();
    let a: Value = app.get(&format!("/api/v1/admissions/{}", c["admission_id"]), &mz).await.json().await.unwrap();
    assert_eq!((a["budget"].as_str(), a["budget_reason"].as_str()), (Some("2000.00"), Some("两个月内需加派夜间巡查")), "{a}");
    let html = app.page_login("minzheng").await.get(app.url(&format!("/admissions/{}", c["admission_id"]))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("budget-reason") && html.contains("两个月内需加派夜间巡查"), "civil affairs reads the reason on the task");
    let mut same = assignment(xb01, xingfu, "1000.00");
    same["budget"] = json!("1200.00");
    let c: Value = app.post("/api/v1/contracts", &sj, same).await.json().await.unwrap();
    let a: Value = app.get(&format!("/api/v1/admissions/{}", c["admission_id"]), &sj).await.json().await.unwrap();
    assert_eq!((a["budget"].as_str(), &a["budget_reason"]), (Some("1200.00"), &Value::Null));
    // Civil affairs changes it on the item page; the item page shows it.
    let reviewer = app.page_login("minzheng").await;
    let html = reviewer.get(app.url(&format!("/lists/items/{xb01}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("每月¥600.00") && html.contains("funding-form"), "{html}");
    let form = [("amount", "800.00"), ("unit", "task"), ("reason", "改按任务核定"), ("document", "示范区财政局〔2026〕4号"), ("_csrf", &crate::helpers::csrf_of(&html))];
    let r = reviewer.post(app.url(&format!("/lists/items/{xb01}/funding"))).form(&form).send().await.unwrap();
    assert_eq!(r.headers()["location"], format!("/lists/items/{xb01}?done=funding"));
    let html = reviewer.get(app.url(&format!("/lists/items/{xb01}?done=funding"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("每项任务¥800.00") && html.contains("已更新经费标准"), "{html}");
    // The drafting page states the standard.
    let page = app.page_login("shijian").await;
    let html = page.get(app.url(&format!("/contracts/new?assist_item_id={xb01}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("该事项的经费标准") && html.contains("每项任务¥800.00"), "{html}");
}
