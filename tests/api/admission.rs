use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

/// A good application of 区市场监督管理局: the 3,000-yuan short-term enterprise survey
/// of seed 004 (Yingjiang).
async fn survey(app: &TestApp) -> Value {
    let xingfu = app.org_id("幸福社区").await;
    let hexie = app.org_id("和谐社区").await;
    json!({
        "title": "2026年辖区企业基本情况摸底",
        "description": "入户登记辖区企业名称、地址、联系人、经营状况",
        "basis": "示范区市场监管局〔2026〕12号",
        "work_plan": "3月入户登记，4月汇总上报",
        "target_community_ids": [xingfu, hexie],
        "period_start": "2026-03-01",
        "period_end": "2026-04-30",
        "staffing": "每社区2名网格员",
        "budget": "3000.00",
        "emergency": false,
        "needs_professional_qualification": false,
        "needs_enforcement_authority": false
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/v1/admissions", token, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn findings(app: &TestApp, body: Value) -> Vec<(String, bool)> {
    let token = app.token("shijian").await;
    let r = app.post("/api/v1/admissions/precheck", &token, body).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["findings"].as_array().unwrap().iter().map(|f| (f["code"].as_str().unwrap().to_string(), f["blocking"].as_bool().unwrap())).collect()
}

async fn item_id(app: &TestApp, kind: &str, code: &str) -> i64 {
    let token = app.token("minzheng").await;
    let l: Value = app.get(&format!("/api/v1/lists/{kind}"), &token).await.json().await.unwrap();
    l["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap()["id"].as_i64().unwrap()
}

/// Takes an application through review and decision; returns the final answer.
async fn review_and_decide(app: &TestApp, id: i64, decision: &str) -> reqwest::Response {
    let mz = app.token("minzheng").await;
    let r = app
        .post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": "依据充分，经费落实", "opinions": [{"body": "区财政局", "opinion": "同意"}]}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "review");
    let ld = app.token("lingdao").await;
    app.post(&format!("/api/v1/admissions/{id}/decide"), &ld, json!({"decision": decision, "comment": "同意准入"})).await
}

#[tokio::test]
async fn precheck_explains_each_finding_and_saves_nothing() {
    let app = spawn_app().await;
    let good = survey(&app).await;
    assert_eq!(findings(&app, good.clone()).await, vec![]);

    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    let cases = vec![
        (with("description", json!("协助清理违章建筑")), "NEGATIVE_LIST"),
        (with("needs_professional_qualification", json!(true)), "NEEDS_PROFESSIONAL_QUALIFICATION"),
        (with("needs_enforcement_authority", json!(true)), "NEEDS_ENFORCEMENT_AUTHORITY"),
        (with("budget", json!("0")), "NO_BUDGET"),
        (with("budget", json!(null)), "NO_BUDGET"),
        (with("basis", json!("")), "MISSING_BASIS"),
        (with("period_end", json!("2026-02-01")), "INVALID_PERIOD"),
        (with("period_start", json!(null)), "INVALID_PERIOD"),
    ];
    for (body, code) in cases {
        let f = findings(&app, body).await;
        assert!(f.contains(&(code.to_string(), true)), "{code}: {f:?}");
    }
    let f = findings(&app, with("list_item_id", json!(item_id(&app, "duty", "LZ-04").await))).await;
    assert_eq!(f, vec![("ON_DUTY_LIST".to_string(), true)]);
    let f = findings(&app, with("title", json!("食品安全协管员入户宣传"))).await;
    assert_eq!(f, vec![("ON_ASSIST_LIST".to_string(), true)]);
    // The enforcement flag carried by a matched negative item.
    let f = findings(&app, with("list_item_id", json!(item_id(&app, "negative", "FM-01").await))).await;
    assert_eq!(f, vec![("NEGATIVE_LIST".to_string(), true), ("NEEDS_ENFORCEMENT_AUTHORITY".to_string(), true)]);

    // Findings point to the list item they rest on.
    let token = app.token("shijian").await;
    let v: Value = app.post("/api/v1/admissions/precheck", &token, with("title", json!("辖区招商引资任务分解"))).await.json().await.unwrap();
    assert_eq!(v["findings"][0]["list_item_id"], item_id(&app, "negative", "FM-05").await);
    assert!(v["findings"][0]["message"].as_str().unwrap().contains("招商引资"));

    // Malformed input is a validation error, not a finding.
    let r = app.post("/api/v1/admissions/precheck", &token, with("budget", json!(3000))).await;
    let b = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(b["error"]["details"][0]["field"], "budget");
    let r = app.post("/api/v1/admissions/precheck", &token, with("period_start", json!("2026/03/01"))).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // A negative budget is not a budget at all (issue 28: a draft holding one kept
    // verify-ledger red): refused as input, not explained as a finding.
    let r = app.post("/api/v1/admissions/precheck", &token, with("budget", json!("-5.00"))).await;
    let b = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(b["error"]["details"][0]["message"].as_str().unwrap().contains("负数"));
    let r = app.post("/api/v1/admissions/precheck", &token, with("target_community_ids", json!([]))).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;

    let list: Value = app.list("/api/v1/admissions", &token).await;
    assert!(list.as_array().unwrap().is_empty(), "precheck saved nothing");
}

#[tokio::test]
async fn a_similar_active_application_is_only_a_warning() {
    let app = spawn_app().await;
    let token = app.token("shijian").await;
    let first = create(&app, &token, survey(&app).await).await;
    app.post(&format!("/api/v1/admissions/{}/submit", first["id"]), &token, json!({})).await;
    let mut again = survey(&app).await;
    again["title"] = json!("辖区企业基本情况摸底（2026年）");
    let other = app.token("weijian").await;
    let v: Value = app.post("/api/v1/admissions/precheck", &other, again.clone()).await.json().await.unwrap();
    assert_eq!(v["findings"][0]["code"], "POSSIBLE_DUPLICATE");
    assert_eq!(v["findings"][0]["blocking"], false);
    let second = create(&app, &other, again).await;
    let r = app.post(&format!("/api/v1/admissions/{}/submit", second["id"]), &other, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK, "a warning does not block");
}

#[tokio::test]
async fn the_whole_path_from_application_to_exit() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let a = create(&app, &sj, survey(&app).await).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["status"], "draft");
    assert_eq!(a["budget"], "3000.00");
    assert!(a["findings"].as_array().unwrap().is_empty());

    // Steps out of order or by the wrong role.
    let ld = app.token("lingdao").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/decide"), &ld, json!({"decision": "approve", "comment": "x"})).await;
    assert_error(r, StatusCode::NOT_FOUND, "NOT_FOUND").await; // a draft is the department's own
    let mz = app.token("minzheng").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &mz, json!({})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "submitted");
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    assert_error(r, StatusCode::CONFLICT, "INVALID_STATE").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/decide"), &ld, json!({"decision": "approve", "comment": "x"})).await;
    assert_error(r, StatusCode::CONFLICT, "INVALID_STATE").await;
    // A review needs its reason.
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": ""})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = review_and_decide(&app, id, "approve").await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"], "admitted");
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(done["approval_number"], format!("示范区准字〔{year}〕1号"));
    assert_eq!(done["review_opinion"], "approve");
    assert_eq!(done["opinions"][0]["body"], "区财政局");
    assert!(done["in_communities"].as_bool().unwrap());

    // Communities see it now.
    let xf = app.token("xingfu").await;
    let seen: Value = app.get(&format!("/api/v1/admissions/{id}"), &xf).await.json().await.unwrap();
    assert_eq!(seen["approval_number"], done["approval_number"]);

    // Editing after approval is refused, and changes nothing.
    let mut edit = survey(&app).await;
    edit["description"] = json!("顺便清理违章建筑");
    let r = app.put(&format!("/api/v1/admissions/{id}"), &sj, edit).await;
    assert_error(r, StatusCode::CONFLICT, "INVALID_STATE").await;

    for (step, who, status) in [("start", &sj, "in_progress"), ("complete", &sj, "completed")] {
        let r = app.post(&format!("/api/v1/admissions/{id}/{step}"), who, json!({})).await;
        assert_eq!(r.status(), StatusCode::OK, "{step}");
        assert_eq!(r.json::<Value>().await.unwrap()["status"], status);
    }
    let r = app.post(&format!("/api/v1/admissions/{id}/revoke"), &mz, json!({"comment": "企业摸底已完成，准入撤销"})).await;
    let exited: Value = r.json().await.unwrap();
    assert_eq!(exited["status"], "revoked");
    assert!(exited["targets"].as_array().unwrap().iter().all(|t| t["status"] == "exited"));
    assert!(!exited["in_communities"].as_bool().unwrap());

    let actions: Vec<&str> = exited["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "submit", "review", "approve", "start", "complete", "revoke"]);
    let review = &exited["history"][2];
    assert_eq!(review["user_name"], "民政局审核员");
    assert_eq!(review["comment"], "依据充分，经费落实");
    assert_eq!(review["from_status"], "submitted");
    assert_eq!(review["to_status"], "reviewed");
}

#[tokio::test]
async fn approval_numbers_run_in_sequence_per_county_and_year() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let mut numbers = Vec::new();
    for title in ["企业摸底", "辖区商户消费维权宣传", "老年人防诈骗宣传"] {
        let mut b = survey(&app).await;
        b["title"] = json!(title);
        let a = create(&app, &sj, b).await;
        let id = a["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
        if title == "辖区商户消费维权宣传" {
            // A rejection takes no number.
            let r = review_and_decide(&app, id, "reject").await;
            assert_eq!(r.json::<Value>().await.unwrap()["approval_number"], Value::Null);
            continue;
        }
        let r = review_and_decide(&app, id, "approve").await;
        numbers.push(r.json::<Value>().await.unwrap()["approval_number"].as_str().unwrap().to_string());
    }
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(numbers, [format!("示范区准字〔{year}〕1号"), format!("示范区准字〔{year}〕2号")]);
}

#[tokio::test]
async fn a_negative_task_cannot_be_admitted_by_any_path() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let mut bad = survey(&app).await;
    bad["title"] = json!("社区协助拆违购买服务");

    // Precheck says so; a draft may be saved, but never submitted.
    let a = create(&app, &sj, bad.clone()).await;
    let id = a["id"].as_i64().unwrap();
    assert_eq!(a["findings"][0]["code"], "NEGATIVE_LIST");
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    assert_eq!(body["error"]["details"][0]["code"], "NEGATIVE_LIST");
    assert_eq!(body["error"]["details"][0]["blocking"], true);
    let still: Value = app.get(&format!("/api/v1/admissions/{id}"), &sj).await.json().await.unwrap();
    assert_eq!(still["status"], "draft");

    // A clean application submitted, then the list changes under it: review and decision
    // check again.
    let good = create(&app, &sj, survey(&app).await).await;
    let gid = good["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/admissions/{gid}/submit"), &sj, json!({})).await;
    let mz = app.token("minzheng").await;
    let neg = app
        .post("/api/v1/lists/negative/items", &mz, json!({"code": "FM-20", "title": "企业摸底", "keywords": ["企业基本情况摸底"],
              "negative_reason": "属经济普查机构职责", "reason": "新增负面事项", "document": "示范区城乡社区建设领导小组〔2026〕9号"}))
        .await;
    assert_eq!(neg.status(), StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/admissions/{gid}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    // A rejecting opinion is still possible, and the approver cannot approve.
    let r = app.post(&format!("/api/v1/admissions/{gid}/review"), &mz, json!({"opinion": "reject", "comment": "属负面清单"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let ld = app.token("lingdao").await;
    let r = app.post(&format!("/api/v1/admissions/{gid}/decide"), &ld, json!({"decision": "approve", "comment": "同意"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    let r = app.post(&format!("/api/v1/admissions/{gid}/decide"), &ld, json!({"decision": "reject", "comment": "属负面清单，不予准入"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "rejected");
}

#[tokio::test]
async fn qualification_and_enforcement_are_never_bought_from_a_community() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    for flag in ["needs_professional_qualification", "needs_enforcement_authority"] {
        let mut b = survey(&app).await;
        b["title"] = json!(format!("特种作业服务 {flag}"));
        b[flag] = json!(true);
        let a = create(&app, &sj, b).await;
        let r = app.post(&format!("/api/v1/admissions/{}/submit", a["id"]), &sj, json!({})).await;
        let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
        // The declaration blocks by itself (the title's 特种作业 is caught by meaning too).
        let details = body["error"]["details"].as_array().unwrap();
        assert!(details.iter().any(|d| d["code"] == flag.to_uppercase() && d["key"] == format!("{}:declared", flag.to_uppercase())), "{details:?}");
    }
    // Carried by a list item: 生产安全 needs both.
    let mut b = survey(&app).await;
    b["title"] = json!("辖区小作坊安全生产检查");
    let f = findings(&app, b).await;
    assert!(f.contains(&("NEEDS_PROFESSIONAL_QUALIFICATION".to_string(), true)), "{f:?}");
    assert!(f.contains(&("NEEDS_ENFORCEMENT_AUTHORITY".to_string(), true)), "{f:?}");
}

#[tokio::test]
async fn an_emergency_enters_first_and_is_withdrawn_if_rejected() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let r = app.put("/api/v1/county/settings", &admin, json!({"emergency_approval_days": 10})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.put("/api/v1/county/settings", &app.token("weijian").await, json!({"emergency_approval_days": 99})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let wj = app.token("weijian").await;
    let mut b = survey(&app).await;
    b["title"] = json!("流感疫情紧急入户排查");
    b["basis"] = json!("示范区卫健局紧急通知〔2026〕3号");
    b["emergency"] = json!(true);
    let a = create(&app, &wj, b).await;
    let id = a["id"].as_i64().unwrap();
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &wj, json!({})).await;
    let entered: Value = r.json().await.unwrap();
    assert_eq!(entered["status"], "entered_pending_approval");
    assert!(entered["in_communities"].as_bool().unwrap());
    let deadline = chrono::Utc::now().date_naive() + chrono::Duration::days(10);
    assert_eq!(entered["approval_deadline"], deadline.to_string());
    assert_eq!(entered["overdue"], false);
    // Admitted in its communities at once; it enters each with a signed contract (费随事转).
    assert!(entered["targets"].as_array().unwrap().iter().all(|t| t["status"] == "admitted"));
    // The communities see it at once.
    let xf = app.token("xingfu").await;
    let theirs: Value = app.list("/api/v1/admissions", &xf).await;
    assert_eq!(theirs[0]["id"], id);

    // Past its deadline it is overdue wherever it is listed.
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::admission::Entity::update_many()
        .col_expr(entity::admission::Column::ApprovalDeadline, sea_orm::sea_query::Expr::value(chrono::Utc::now().date_naive() - chrono::Duration::days(1)))
        .filter(entity::admission::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .unwrap();
    for who in ["weijian", "minzheng", "lingdao", "xingfu", "ducha"] {
        let t = app.token(who).await;
        let l: Value = app.list("/api/v1/admissions", &t).await;
        let row = l.as_array().unwrap().iter().find(|x| x["id"] == id).unwrap_or_else(|| panic!("{who} sees it"));
        assert_eq!(row["overdue"], true, "{who}");
    }
    let assess: Value = app.list("/api/v1/admissions/assessment", &app.token("ducha").await).await;
    assert_eq!(assess[0]["overdue"], true);

    // Rejected afterwards: withdrawn from the communities.
    let r = review_and_decide(&app, id, "reject").await;
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["status"], "rejected");
    assert_eq!(out["overdue"], false);
    assert!(!out["in_communities"].as_bool().unwrap());
    assert!(out["targets"].as_array().unwrap().iter().all(|t| t["status"] == "withdrawn"));
    assert!(out["history"].as_array().unwrap().iter().any(|h| h["action"] == "withdraw"));
}

#[tokio::test]
async fn each_role_sees_what_it_should() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let mut b = survey(&app).await;
    b["target_community_ids"] = json!([app.org_id("幸福社区").await]);
    let a = create(&app, &sj, b).await;
    let id = a["id"].as_i64().unwrap();
    // A draft is the department's alone.
    for who in ["weijian", "minzheng", "lingdao", "xingfu", "hexie"] {
        let t = app.token(who).await;
        assert_error(app.get(&format!("/api/v1/admissions/{id}"), &t).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    }
    app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let mz = app.token("minzheng").await;
    assert_eq!(app.get(&format!("/api/v1/admissions/{id}"), &mz).await.status(), StatusCode::OK);
    // Another department may neither see nor act on it.
    let wj = app.token("weijian").await;
    assert_error(app.get(&format!("/api/v1/admissions/{id}"), &wj).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post(&format!("/api/v1/admissions/{id}/start"), &wj, json!({})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Only the department applies; only the reviewer reviews; only the approver decides.
    assert_error(app.post("/api/v1/admissions", &mz, survey(&app).await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &app.token("lingdao").await, json!({"opinion": "approve", "comment": "x"})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    review_and_decide(&app, id, "approve").await;
    // The targeted community sees it; the other one does not.
    assert_eq!(app.get(&format!("/api/v1/admissions/{id}"), &app.token("xingfu").await).await.status(), StatusCode::OK);
    let hx = app.token("hexie").await;
    assert_error(app.get(&format!("/api/v1/admissions/{id}"), &hx).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Another county sees nothing.
    let (_, other) = app.second_county_reviewer().await;
    assert_error(app.get(&format!("/api/v1/admissions/{id}"), &other).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let l: Value = app.list("/api/v1/admissions", &other).await;
    assert!(l.as_array().unwrap().is_empty());
    // A department cannot target another county's community.
    let mut b = survey(&app).await;
    b["target_community_ids"] = json!([999_999]);
    assert_error(app.post("/api/v1/admissions", &sj, b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(app.get("/api/v1/admissions/assessment", &hx).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn a_community_refuses_unadmitted_work_and_violations_are_counted_and_published() {
    let app = spawn_app().await;
    let xf = app.token("xingfu").await;
    let sj_org = app.org_id("区市场监督管理局").await;
    let today = chrono::Utc::now().date_naive().to_string();
    let report = |task: &str| json!({"department_id": sj_org, "task": task, "occurred_on": today, "evidence": "微信群通知截图；经办人张某"});

    let r = app.post("/api/v1/reports", &xf, json!({"department_id": sj_org, "task": "", "occurred_on": "昨天"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/reports", &app.token("weijian").await, report("x")).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    let first: Value = app.post("/api/v1/reports", &xf, report("要求社区代收市场主体年报材料")).await.json().await.unwrap();
    assert_eq!(first["status"], "reported");
    assert_eq!(first["department"], "区市场监督管理局");
    let second: Value = app.post("/api/v1/reports", &app.token("hexie").await, report("要求社区开展商户消防检查")).await.json().await.unwrap();

    // Each community sees its own reports; the department those about it.
    let mine: Value = app.list("/api/v1/reports", &xf).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let about: Value = app.list("/api/v1/reports", &app.token("shijian").await).await;
    assert_eq!(about.as_array().unwrap().len(), 2);

    let mz = app.token("minzheng").await;
    let handle = |id: &Value, outcome: &str, reason: &str| {
        let path = format!("/api/v1/reports/{id}/handle");
        let body = json!({"outcome": outcome, "reason": reason});
        let mz = mz.clone();
        let app = &app;
        async move { app.post(&path, &mz, body).await }
    };
    assert_error(handle(&first["id"], "confirmed", "").await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(app.post(&format!("/api/v1/reports/{}/handle", first["id"]), &xf, json!({"outcome": "dismissed", "reason": "x"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let h: Value = handle(&first["id"], "confirmed", "未经准入擅自下沉，已制止").await.json().await.unwrap();
    assert_eq!(h["status"], "confirmed");
    assert_error(handle(&first["id"], "dismissed", "再处理").await, StatusCode::CONFLICT, "INVALID_STATE").await;
    let h: Value = handle(&second["id"], "dismissed", "属消防部门正常宣传，不要求社区检查").await.json().await.unwrap();
    assert_eq!(h["status"], "dismissed");

    let summary: Value = app.list("/api/v1/reports/summary", &app.token("ducha").await).await;
    assert_eq!(summary, json!([{"department_id": sj_org, "department": "区市场监督管理局", "confirmed": 1}]));

    let n = app.post("/api/v1/notices", &mz, json!({"title": "关于擅自向社区下沉工作事项的通报"})).await;
    assert_eq!(n.status(), StatusCode::CREATED);
    let n: Value = n.json().await.unwrap();
    assert!(n["body"].as_str().unwrap().contains("要求社区代收市场主体年报材料"));
    assert!(!n["body"].as_str().unwrap().contains("消防检查"), "dismissed reports are not published");
    assert_error(app.post("/api/v1/notices", &mz, json!({"title": "再次通报"})).await, StatusCode::CONFLICT, "NOTHING_TO_PUBLISH").await;
    let me: Value = app.get("/api/v1/me", &xf).await.json().await.unwrap();
    let public: Value = app.api.get(app.url(&format!("/api/v1/public/{}/notices", me["user"]["county_id"]))).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["items"][0]["title"], "关于擅自向社区下沉工作事项的通报");
}

#[tokio::test]
async fn concurrent_decisions_get_distinct_numbers_and_a_repeated_one_takes_none() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let mz = app.token("minzheng").await;
    let ld = app.token("lingdao").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let mut b = survey(&app).await;
        b["title"] = json!(format!("第{i}批专项任务（编号{}）", i * 7919));
        let a = create(&app, &sj, b).await;
        let id = a["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
        let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
        assert_eq!(r.status(), StatusCode::OK);
        ids.push(id);
    }
    // Every application decided twice at once: six numbers, six conflicts.
    let mut tasks = Vec::new();
    for id in ids.iter().chain(ids.iter()) {
        let (api, url, ld) = (app.api.clone(), app.url(&format!("/api/v1/admissions/{id}/decide")), ld.clone());
        tasks.push(tokio::spawn(async move {
            api.post(url).bearer_auth(ld).json(&json!({"decision": "approve", "comment": "同意"})).send().await.unwrap()
        }));
    }
    let mut numbers = Vec::new();
    let mut conflicts = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status() {
            StatusCode::OK => numbers.push(r.json::<Value>().await.unwrap()["approval_number"].as_str().unwrap().to_string()),
            StatusCode::CONFLICT => conflicts += 1,
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    numbers.sort();
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let mut expected: Vec<String> = (1..=6).map(|n| format!("示范区准字〔{year}〕{n}号")).collect();
    expected.sort();
    assert_eq!(numbers, expected);
    assert_eq!(conflicts, 6);
}

#[tokio::test]
async fn admission_pages_follow_the_same_rules() {
    let app = spawn_app().await;
    let dept = app.page_login("shijian").await;
    let xingfu = app.org_id("幸福社区").await.to_string();
    let form = |title: &str, action: &str| {
        vec![
            ("title", title.to_string()),
            ("description", "入户登记".to_string()),
            ("basis", "示范区市场监管局〔2026〕12号".to_string()),
            ("period_start", "2026-03-01".to_string()),
            ("period_end", "2026-04-30".to_string()),
            ("budget", "3000.00".to_string()),
            ("target_community_ids", xingfu.clone()),
            ("action", action.to_string()),
        ]
    };
    // Checking shows the findings in Chinese and saves nothing.
    let r = dept.post(app.url("/admissions/new")).form(&form("辖区招商引资摸底", "precheck")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("NEGATIVE_LIST") && html.contains("招商引资") && html.contains("不得以任何名义"));
    // Submitting a blocked application keeps it a draft and says why.
    let r = dept.post(app.url("/admissions/new")).form(&form("辖区招商引资摸底", "submit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("不符合准入规定") && html.contains("草稿"));
    // A bad amount is a form error.
    let mut bad = form("企业摸底", "save");
    bad[5].1 = "三千元".into();
    let r = dept.post(app.url("/admissions/new")).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("金额须为数字"));

    let other = app.page_login("xingfu").await;
    assert_eq!(other.get(app.url("/admissions/new")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(other.get(app.url("/admissions/assessment")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let token = app.token("shijian").await;
    let mine: Value = app.list("/api/v1/admissions", &token).await;
    let id = mine[0]["id"].as_i64().unwrap();
    assert_eq!(other.get(app.url(&format!("/admissions/{id}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(dept.get(app.url(&format!("/admissions/{id}/document"))).send().await.unwrap().status(), StatusCode::NOT_FOUND, "no document before approval");

    // A community refuses and reports through the page; the reviewer confirms.
    let dept_org = app.org_id("区市场监督管理局").await.to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let r = other
        .post(app.url("/reports/new"))
        .form(&[("department_id", dept_org.as_str()), ("task", "要求社区代收年报"), ("occurred_on", today.as_str()), ("evidence", "通知单")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mz = app.page_login("minzheng").await;
    let html = mz.get(app.url("/reports")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("要求社区代收年报") && html.contains("确认违规"));
    let reports: Value = app.list("/api/v1/reports", &app.token("minzheng").await).await;
    let rid = reports[0]["id"].as_i64().unwrap();
    let r = mz.post(app.url(&format!("/reports/{rid}/handle"))).form(&[("outcome", "confirmed"), ("reason", "属实")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = other.post(app.url(&format!("/reports/{rid}/handle"))).form(&[("outcome", "dismissed"), ("reason", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = mz.post(app.url("/notices")).form(&[("title", "第一期通报")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let me: Value = app.get("/api/v1/me", &app.token("xingfu").await).await.json().await.unwrap();
    let html = app.api.get(app.url(&format!("/public/{}/notices", me["user"]["county_id"]))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("第一期通报") && html.contains("要求社区代收年报"));
}

#[tokio::test]
async fn home_pages_list_what_waits_for_each_role() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let a = create(&app, &sj, survey(&app).await).await;
    app.post(&format!("/api/v1/admissions/{}/submit", a["id"]), &sj, json!({})).await;
    let todo = |html: &str, label: &str| -> Option<String> {
        let i = html.find(&format!(">{label}</a>"))?;
        let rest = &html[i..];
        let s = rest.find("<strong>")? + 8;
        let e = rest.find("</strong>")?;
        Some(rest[s..e].to_string())
    };
    let home = |who: &'static str| {
        let app = &app;
        async move { app.page_login(who).await.get(app.url("/")).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(todo(&home("minzheng").await, "待初审的申请").as_deref(), Some("1"));
    assert_eq!(todo(&home("lingdao").await, "待审批的申请"), None, "nothing to decide yet");
    let id = a["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/admissions/{id}/review"), &app.token("minzheng").await, json!({"opinion": "approve", "comment": "同意"})).await;
    assert_eq!(todo(&home("minzheng").await, "待初审的申请"), None, "reviewed: done");
    let html = home("lingdao").await;
    assert_eq!(todo(&html, "待审批的申请").as_deref(), Some("1"));
    assert!(html.contains(&format!("href=\"/admissions/{id}\">审批：")), "the item links to its application");
    app.post(&format!("/api/v1/admissions/{id}/decide"), &app.token("lingdao").await, json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(todo(&home("lingdao").await, "待审批的申请"), None);
}

/// Emergency entries near or past their approval deadline are the reviewer's urgent work
/// and the supervisor's and the department's concern, flagged on their home pages.
#[tokio::test]
async fn home_page_counts_overdue_emergency_entries() {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app().await;
    let late = crate::lifecycle::emergency(&app, "1000.00").await;
    let on_time = crate::lifecycle::emergency(&app, "1000.00").await;
    let calm = crate::lifecycle::emergency(&app, "1000.00").await;
    let today = chrono::Utc::now().date_naive();
    for (id, deadline) in [(late, today - chrono::Duration::days(1)), (on_time, today + chrono::Duration::days(3)), (calm, today + chrono::Duration::days(10))] {
        entity::admission::Entity::update_many()
            .col_expr(entity::admission::Column::ApprovalDeadline, Expr::value(deadline))
            .filter(entity::admission::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    let todo = |html: &str, label: &str| -> Option<String> {
        let i = html.find(&format!(">{label}</a>"))?;
        let rest = &html[i..];
        Some(rest[rest.find("<strong>")? + 8..rest.find("</strong>")?].to_string())
    };
    for who in ["ducha", "shijian"] {
        let html = app.page_login(who).await.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert_eq!(todo(&html, "先进后批临近或超过审批期限").as_deref(), Some("2"), "{who}: the late one and the one due in three days");
    }
    let html = app.page_login("minzheng").await.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert_eq!(todo(&html, "待初审的申请").as_deref(), Some("3"), "all wait for review");
    assert_eq!(html.matches("【已逾期】").count(), 1, "the late one is flagged");
    assert_eq!(html.matches("【即将到期】").count(), 1);
}
