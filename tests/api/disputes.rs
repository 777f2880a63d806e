//! Issue 15: disputes decided. A department cannot reject a deliverable forever to hold back
//! its instalment, an objection to an evaluation is decided, a termination can be
//! contested; civil affairs decides each with a reason, in the audit trail.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::audit::signed_survey;
use crate::inbox::ids as inbox_ids;
use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::pay;

async fn deliver(app: &TestApp, c: &Value, clause: &Value, summary: &str) -> Value {
    let r = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("xingfu").await, json!({"clause_id": clause, "summary": summary})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn reject(app: &TestApp, d: &Value, why: &str) {
    let r = app.post(&format!("/api/v1/deliverables/{}/reject", d["id"]), &app.token("shijian").await, json!({"comment": why})).await;
    assert_eq!(r.status(), StatusCode::OK);
}

async fn disputes(app: &TestApp, user: &str) -> Vec<Value> {
    app.list("/api/v1/disputes", &app.token(user).await).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_second_rejection_goes_to_arbitration_and_an_overturn_releases_the_instalment() {
    let app = spawn_app().await;
    let (c, _) = signed_survey(&app).await;
    let rest = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap().clone();
    let clause = rest["clause_id"].clone();
    let xf = app.token("xingfu").await;
    let ask = |d: &Value, reason: &str| {
        let (path, body, xf) = (format!("/api/v1/deliverables/{}/arbitration", d["id"]), json!({"reason": reason}), xf.clone());
        let app = &app;
        async move { app.post(&path, &xf, body).await }
    };

    let d1 = deliver(&app, &c, &clause, "商户汇总表").await;
    reject(&app, &d1, "缺少签字").await;
    assert_error(ask(&d1, "已按条款提交").await, StatusCode::CONFLICT, "DISPUTE_NOT_AVAILABLE").await;
    let d2 = deliver(&app, &c, &clause, "补签后的汇总表").await;
    reject(&app, &d2, "格式不对").await;
    assert_error(ask(&d1, "旧的一次").await, StatusCode::CONFLICT, "DISPUTE_NOT_AVAILABLE").await;
    assert_error(ask(&d2, " ").await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(app.post(&format!("/api/v1/deliverables/{}/arbitration", d2["id"]), &app.token("hexie").await, json!({"reason": "x"})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let r = ask(&d2, "汇总表已按第三条要求列明全部商户并签字").await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let dispute: Value = r.json().await.unwrap();
    assert_eq!((dispute["kind"].as_str(), dispute["status"].as_str(), dispute["subject_id"].as_i64()), (Some("deliverable"), Some("open"), d2["id"].as_i64()));
    assert_error(ask(&d2, "再问一次").await, StatusCode::CONFLICT, "DISPUTE_EXISTS").await;
    assert!(disputes(&app, "hexie").await.is_empty() && disputes(&app, "weijian").await.is_empty(), "not theirs");
    assert_eq!(disputes(&app, "shijian").await.len(), 1);
    let item = format!("arbitrate-{}", dispute["id"]);
    assert!(inbox_ids(&app, "minzheng").await.contains(&item));

    // Still rejected: the instalment waits.
    assert_error(pay(&app, "arb-1", &c, &rest, rest["amount"].as_str().unwrap()).await, StatusCode::CONFLICT, "MILESTONE_NOT_DUE").await;
    // Only civil affairs decides, with a reason.
    let decide = |who: &'static str, body: Value| {
        let app = &app;
        let id = dispute["id"].clone();
        async move { app.post(&format!("/api/v1/disputes/{id}/decide"), &app.token(who).await, body).await }
    };
    assert_eq!(decide("shijian", json!({"decision": "uphold", "reason": "x"})).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(decide("ducha", json!({"decision": "uphold", "reason": "x"})).await.status(), StatusCode::FORBIDDEN);
    assert_error(decide("minzheng", json!({"decision": "overturn", "reason": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = decide("minzheng", json!({"decision": "overturn", "reason": "成果符合合同第三条，退回理由不在条款之内"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let decided: Value = r.json().await.unwrap();
    assert_eq!((decided["status"].as_str(), decided["outcome"].as_str()), (Some("overturned"), Some("改判：成果验收合格")));
    assert_error(decide("minzheng", json!({"decision": "uphold", "reason": "改主意"})).await, StatusCode::CONFLICT, "DISPUTE_DECIDED").await;
    assert!(!inbox_ids(&app, "minzheng").await.contains(&item), "decided: cleared");

    // The deliverable is accepted by the decision, and its instalment is paid.
    let ds: Value = app.list(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("shijian").await).await;
    let d2now = ds.as_array().unwrap().iter().find(|d| d["id"] == d2["id"]).unwrap().clone();
    assert_eq!(d2now["status"], "accepted");
    assert!(d2now["decision_comment"].as_str().unwrap().contains("经民政部门仲裁"));
    assert_eq!(pay(&app, "arb-2", &c, &rest, rest["amount"].as_str().unwrap()).await.status(), StatusCode::CREATED);

    // In the audit trail: raised and decided, by whom.
    let trail: Value = app.get("/api/v1/audit?entity=dispute&limit=50", &app.token("ducha").await).await.json().await.unwrap();
    let actions: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"dispute.raise.deliverable") && actions.contains(&"dispute.overturned"), "{actions:?}");
}

#[tokio::test]
async fn an_upheld_rejection_stands_and_objections_and_terminations_are_decided_too() {
    let app = spawn_app().await;
    let (c, _) = signed_survey(&app).await;
    let clause = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap()["clause_id"].clone();
    let (xf, mz) = (app.token("xingfu").await, app.token("minzheng").await);
    let d1 = deliver(&app, &c, &clause, "第一稿").await;
    reject(&app, &d1, "缺少签字").await;
    let d2 = deliver(&app, &c, &clause, "第二稿").await;
    reject(&app, &d2, "仍缺少签字").await;
    let dispute: Value = app.post(&format!("/api/v1/deliverables/{}/arbitration", d2["id"]), &xf, json!({"reason": "签字页另附"})).await.json().await.unwrap();
    let r = app.post(&format!("/api/v1/disputes/{}/decide", dispute["id"]), &mz, json!({"decision": "uphold", "reason": "第三条要求每页签字，确未签字"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "upheld");
    let ds: Value = app.list(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf).await;
    assert_eq!(ds.as_array().unwrap().iter().find(|d| d["id"] == d2["id"]).unwrap()["status"], "rejected");
    deliver(&app, &c, &clause, "第三稿，每页签字").await;

    // An objection to the department's evaluation is a dispute (one, however many objections).
    let form: Value = app.get(&format!("/api/v1/contracts/{}/evaluation-form", c["id"]), &app.token("shijian").await).await.json().await.unwrap();
    let items: Vec<Value> = form["items"].as_array().unwrap().iter().map(|i| json!({"clause_id": i["clause_id"], "rating": "unsatisfied", "comment": "未按期报送"})).collect();
    let r = app.post(&format!("/api/v1/contracts/{}/evaluations", c["id"]), &app.token("shijian").await, json!({"items": items})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let e: Value = r.json().await.unwrap();
    for text in ["已按期报送，有记录", "补充：邮件回执附后"] {
        assert_eq!(app.post(&format!("/api/v1/evaluations/{}/objections", e["id"]), &xf, json!({"text": text})).await.status(), StatusCode::CREATED);
    }
    let open: Vec<Value> = disputes(&app, "minzheng").await.into_iter().filter(|d| d["kind"] == "evaluation").collect();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["subject_id"].clone(), open[0]["reason"].as_str()), (e["id"].clone(), Some("已按期报送，有记录")));
    let r = app.post(&format!("/api/v1/disputes/{}/decide", open[0]["id"]), &mz, json!({"decision": "overturn", "reason": "报送记录显示按期报送"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["outcome"], "改判：该评价不予采用");

    // A termination needs a reason code; the community may contest it once.
    let sj = app.token("shijian").await;
    let term = format!("/api/v1/contracts/{}/terminate", c["id"]);
    let e = assert_error(app.post(&term, &sj, json!({"reason": "不再需要"})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(e.to_string().contains("reason_code"), "{e}");
    assert_error(app.post(&term, &sj, json!({"reason_code": "BECAUSE", "reason": "不再需要"})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let contest = format!("/api/v1/contracts/{}/termination-objection", c["id"]);
    assert_error(app.post(&contest, &xf, json!({"reason": "合同仍在履行"})).await, StatusCode::CONFLICT, "DISPUTE_NOT_AVAILABLE").await;
    let r = app.post(&term, &sj, json!({"reason_code": "COMMUNITY_BREACH", "reason": "社区三次未按期报送"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["termination_reason_code"], "COMMUNITY_BREACH");
    let r = app.post(&contest, &xf, json!({"reason": "报送均按期，有记录"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let t: Value = r.json().await.unwrap();
    assert_error(app.post(&contest, &xf, json!({"reason": "再提一次"})).await, StatusCode::CONFLICT, "DISPUTE_EXISTS").await;
    let r = app.post(&format!("/api/v1/disputes/{}/decide", t["id"]), &mz, json!({"decision": "overturn", "reason": "终止理由与报送记录不符"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "overturned");
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test]
async fn the_community_asks_and_civil_affairs_decides_on_the_pages() {
    let app = spawn_app().await;
    let (c, _) = signed_survey(&app).await;
    let clause = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap()["clause_id"].clone();
    let d1 = deliver(&app, &c, &clause, "第一稿").await;
    reject(&app, &d1, "缺少签字").await;
    let community = app.page_login("xingfu").await;
    let page = community.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("申请民政部门仲裁"), "not after one rejection");
    let d2 = deliver(&app, &c, &clause, "第二稿").await;
    reject(&app, &d2, "仍缺少签字").await;
    let page = community.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("/deliverables/{}/arbitration", d2["id"])), "offered after the second");
    let token = crate::helpers::csrf_of(&page);
    let r = community.post(app.url(&format!("/deliverables/{}/arbitration", d2["id"]))).form(&[("reason", "签字页另附"), ("_csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().await.unwrap_or_default());
    let reviewer = app.page_login("minzheng").await;
    let list = reviewer.get(app.url("/disputes?status=open")).send().await.unwrap().text().await.unwrap();
    assert!(list.contains("签字页另附") && list.contains("decide-dispute"));
    let id = disputes(&app, "minzheng").await[0]["id"].as_i64().unwrap();
    let token = crate::helpers::csrf_of(&list);
    let r = reviewer.post(app.url(&format!("/disputes/{id}/decide"))).form(&[("decision", "overturn"), ("reason", "签字页齐全"), ("_csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = community.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("改判：成果验收合格") && page.contains("签字页齐全"));
}

#[tokio::test]
async fn racing_requests_raise_one_dispute_and_decide_it_once() {
    let app = spawn_app().await;
    let (c, _) = signed_survey(&app).await;
    let clause = c["milestones"].as_array().unwrap().iter().find(|m| !m["clause_id"].is_null()).unwrap()["clause_id"].clone();
    let d1 = deliver(&app, &c, &clause, "第一稿").await;
    reject(&app, &d1, "缺少签字").await;
    let d2 = deliver(&app, &c, &clause, "第二稿").await;
    reject(&app, &d2, "仍缺少签字").await;
    let (xf, mz) = (app.token("xingfu").await, app.token("minzheng").await);
    let path = format!("/api/v1/deliverables/{}/arbitration", d2["id"]);
    let (a, b) = tokio::join!(app.post(&path, &xf, json!({"reason": "甲"})), app.post(&path, &xf, json!({"reason": "乙"})));
    let mut codes = vec![a.status().as_u16(), b.status().as_u16()];
    codes.sort();
    assert_eq!(codes, [201, 409], "one dispute for one deliverable");
    let open = disputes(&app, "minzheng").await;
    assert_eq!(open.len(), 1);
    let decide = format!("/api/v1/disputes/{}/decide", open[0]["id"]);
    let (a, b) = tokio::join!(
        app.post(&decide, &mz, json!({"decision": "overturn", "reason": "符合条款"})),
        app.post(&decide, &mz, json!({"decision": "uphold", "reason": "不符合条款"}))
    );
    let (sa, sb) = (a.status(), b.status());
    let winner: Value = if sa == StatusCode::OK { a.json().await.unwrap() } else { b.json().await.unwrap() };
    let mut codes = vec![sa.as_u16(), sb.as_u16()];
    codes.sort();
    assert_eq!(codes, [200, 409], "decided once");
    // The deliverable follows the decision that won.
    let ds: Value = app.list(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf).await;
    let now = ds.as_array().unwrap().iter().find(|d| d["id"] == d2["id"]).unwrap()["status"].clone();
    assert_eq!(now, if winner["status"] == "overturned" { "accepted" } else { "rejected" });
}
