//! Screening by meaning over HTTP: evidence in the precheck, doubtful findings decided by
//! civil affairs (and only by it, only once, with a reason, shown to the approver and on
//! the approval document), county words with their change log, and contracts screened at
//! drafting and at every amendment.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};

async fn application(app: &TestApp, fields: Value) -> Value {
    let mut b = json!({
        "title": "2026年辖区企业基本情况摸底",
        "description": "入户登记辖区企业名称、地址、联系人",
        "basis": "示范区市场监管局〔2026〕12号",
        "work_plan": "3月入户登记，4月汇总上报",
        "target_community_ids": [app.org_id("幸福社区").await],
        "period_start": "2026-03-01", "period_end": "2026-04-30",
        "staffing": "每社区2名网格员", "budget": "3000.00",
    });
    b.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
    b
}

async fn precheck(app: &TestApp, body: Value) -> Vec<Value> {
    let r = app.post("/api/v1/admissions/precheck", &app.token("shijian").await, body).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json::<Value>().await.unwrap()["findings"].as_array().unwrap().clone()
}

async fn create(app: &TestApp, body: Value) -> i64 {
    let r = app.post("/api/v1/admissions", &app.token("shijian").await, body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn show(app: &TestApp, id: i64, who: &str) -> Value {
    app.get(&format!("/api/v1/admissions/{id}"), &app.token(who).await).await.json().await.unwrap()
}

#[tokio::test]
async fn precheck_shows_the_words_and_where_they_were_written() {
    let app = spawn_app().await;
    // An innocent title; the demolition written only in the work plan, in traditional
    // characters with a space.
    let f = precheck(&app, application(&app, json!({"title": "社区环境提升服务", "work_plan": "第二阶段：对辖区違 建进行拆除"})).await).await;
    let neg = f.iter().find(|x| x["code"] == "NEGATIVE_LIST").expect("negative list found");
    assert_eq!(neg["strength"], "strong");
    assert_eq!(neg["blocking"], true);
    assert_eq!(neg["concept"], "demolition");
    let ev = neg["evidence"].as_array().unwrap();
    assert!(ev.iter().any(|e| e["field"] == "work_plan" && e["text"] == "違 建"), "{ev:?}");
    assert!(neg["message"].as_str().unwrap().contains("工作方案"), "{}", neg["message"]);
    assert!(neg["list_item_id"].is_i64(), "linked to the county's item FM-02");
    // Enforcement by its actions, in the staffing field.
    let f = precheck(&app, application(&app, json!({"staffing": "网格员负责对占道商户拍照取证"})).await).await;
    assert!(f.iter().any(|x| x["code"] == "NEEDS_ENFORCEMENT_AUTHORITY" && x["evidence"][0]["field"] == "staffing"), "{f:?}");
    // Honest wording that mentions forbidden words passes.
    for honest in ["社区仅负责入户登记，不承担行政执法、不参与拆迁", "开展防范冒充城管罚款诈骗宣传", "协助老年人领取证件、激活招商银行社保卡"] {
        let f = precheck(&app, application(&app, json!({"description": honest})).await).await;
        assert!(f.is_empty(), "{honest}: {f:?}");
    }
}

#[tokio::test]
async fn a_doubtful_finding_blocks_until_civil_affairs_decides_it() {
    let app = spawn_app().await;
    let (sj, mz, ld) = (app.token("shijian").await, app.token("minzheng").await, app.token("lingdao").await);
    let body = application(&app, json!({"description": "网格员走访中发现辖区新增违建的，及时向街道报告线索"})).await;
    let f = precheck(&app, body.clone()).await;
    let d = f.iter().find(|x| x["concept"] == "demolition").expect("demolition");
    assert_eq!((d["strength"].as_str(), d["blocking"].as_bool()), (Some("doubtful"), Some(true)));
    let key = d["key"].as_str().unwrap().to_string();

    // Submitted to the reviewer with the doubtful finding; no step towards admission
    // until it is decided.
    let id = create(&app, body).await;
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "submitted");
    let review = json!({"opinion": "approve", "comment": "同意"});
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, review.clone()).await;
    let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    assert!(e["error"]["message"].as_str().unwrap().contains("存疑"), "{e}");

    // Only civil affairs decides, with a reason, and only findings the application has.
    let decide = |token: String, b: Value| {
        let app = &app;
        async move { app.post(&format!("/api/v1/admissions/{id}/findings/decide"), &token, b).await }
    };
    assert_error(decide(sj.clone(), json!({"key": key, "decision": "overridden", "reason": "仅发现报告"})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_error(decide(mz.clone(), json!({"key": key, "decision": "overridden", "reason": " "})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(decide(mz.clone(), json!({"key": "tax", "decision": "overridden", "reason": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(decide(mz.clone(), json!({"key": key, "decision": "maybe", "reason": "x"})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let reason = "仅为发现报告（001 §二(三)），社区不参与拆违";
    let r = decide(mz.clone(), json!({"key": key, "decision": "overridden", "reason": reason})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_error(decide(mz.clone(), json!({"key": key, "decision": "confirmed", "reason": "再议"})).await, StatusCode::CONFLICT, "ALREADY_DECIDED").await;

    // The approver sees the override: who, why; the history records it.
    let a = show(&app, id, "lingdao").await;
    let d = a["findings"].as_array().unwrap().iter().find(|x| x["key"] == key.as_str()).unwrap().clone();
    assert_eq!((d["decision"].as_str(), d["blocking"].as_bool(), d["reason"].as_str()), (Some("overridden"), Some(false), Some(reason)));
    assert_eq!(d["decided_by"], "民政局审核员");
    assert!(a["history"].as_array().unwrap().iter().any(|h| h["action"] == "finding_override" && h["comment"].as_str().unwrap().contains(reason)));

    assert_eq!(app.post(&format!("/api/v1/admissions/{id}/review"), &mz, review).await.status(), StatusCode::OK);
    let r = app.post(&format!("/api/v1/admissions/{id}/decide"), &ld, json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "admitted");
    // On the approval document, and counted by reviewer.
    let page = app.page_login("lingdao").await.get(app.url(&format!("/admissions/{id}/document"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("筛查结论推翻") && page.contains(reason), "document lists the override");
    let o: Value = app.get("/api/v1/screening/overrides", &ld).await.json().await.unwrap();
    assert_eq!(o["by_reviewer"][0]["decided_by"], "民政局审核员");
    assert_eq!(o["by_reviewer"][0]["overridden"], 1);
    assert_eq!(o["items"][0]["admission_id"], id);
}

#[tokio::test]
async fn a_confirmed_finding_keeps_blocking_and_a_strong_one_cannot_be_overridden() {
    let app = spawn_app().await;
    let (sj, mz) = (app.token("shijian").await, app.token("minzheng").await);
    let body = application(&app, json!({"description": "社区协助区城管部门开展门前三包政策宣传"})).await;
    let id = create(&app, body).await;
    app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let a = show(&app, id, "minzheng").await;
    let key = a["findings"].as_array().unwrap().iter().find(|x| x["strength"] == "doubtful").expect("doubtful")["key"].as_str().unwrap().to_string();
    let r = app.post(&format!("/api/v1/admissions/{id}/findings/decide"), &mz, json!({"key": key, "decision": "confirmed", "reason": "门前三包属城市管理"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "reject", "comment": "属城市管理，不予准入"})).await;
    assert_eq!(r.status(), StatusCode::OK, "a reviewer may still say no");

    // A strong finding: the county's own word makes 清障 an action of demolition.
    let body = application(&app, json!({"title": "道路通行保障", "description": "协助做好辖区清障工作，发现问题及时上报"})).await;
    let f = precheck(&app, body.clone()).await;
    assert!(f.is_empty(), "not a seeded word: {f:?}");
    let id = create(&app, body.clone()).await;
    app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let r = app.post("/api/v1/screening/terms", &mz, json!({"concept": "demolition", "kind": "action", "pattern": "清障", "reason": "本区以“清障”指拆除违建"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let a = show(&app, id, "minzheng").await;
    let f = a["findings"].as_array().unwrap().iter().find(|x| x["concept"] == "demolition").expect("found by the county's word").clone();
    assert_eq!(f["strength"], "strong");
    let r = app.post(&format!("/api/v1/admissions/{id}/findings/decide"), &mz, json!({"key": "demolition", "decision": "overridden", "reason": "想放行"})).await;
    assert_error(r, StatusCode::CONFLICT, "FINDING_NOT_DECIDABLE").await;
    let r = app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
}

#[tokio::test]
async fn civil_affairs_extends_the_words_with_a_change_log() {
    let app = spawn_app().await;
    let (sj, mz) = (app.token("shijian").await, app.token("minzheng").await);
    let add = json!({"concept": "demolition", "kind": "action", "pattern": "清障", "reason": "本区用语"});
    assert_error(app.post("/api/v1/screening/terms", &sj, add.clone()).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    for bad in [json!({"concept": "nothing", "kind": "action", "pattern": "x", "reason": "r"}), json!({"concept": "demolition", "kind": "action", "pattern": "清障+", "reason": "r"}), json!({"concept": "demolition", "kind": "action", "pattern": "清障", "reason": ""})] {
        assert_error(app.post("/api/v1/screening/terms", &mz, bad).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    let t: Value = app.post("/api/v1/screening/terms", &mz, add.clone()).await.json().await.unwrap();
    assert_error(app.post("/api/v1/screening/terms", &mz, add).await, StatusCode::CONFLICT, "TERM_EXISTS").await;
    let body = application(&app, json!({"description": "协助做好清障工作"})).await;
    assert!(precheck(&app, body.clone()).await.iter().any(|f| f["code"] == "NEGATIVE_LIST"));
    let concepts: Value = app.list("/api/v1/screening/concepts", &sj).await;
    let demolition = concepts.as_array().unwrap().iter().find(|c| c["key"] == "demolition").unwrap();
    assert!(demolition["terms"].as_array().unwrap().iter().any(|x| x["pattern"] == "清障" && x["source"] == "county"));

    let id = t["id"].as_i64().unwrap();
    assert_error(app.post(&format!("/api/v1/screening/terms/{id}/remove"), &mz, json!({"reason": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post(&format!("/api/v1/screening/terms/{id}/remove"), &mz, json!({"reason": "改用统一词库"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(precheck(&app, body).await.is_empty());
    let log: Value = app.list("/api/v1/screening/terms", &mz).await;
    assert_eq!(log[0]["pattern"], "清障");
    assert_eq!((log[0]["reason"].as_str(), log[0]["removal_reason"].as_str()), (Some("本区用语"), Some("改用统一词库")));
    // Another county never sees this county's words.
    let (_, other) = app.second_county_reviewer().await;
    let log: Value = app.list("/api/v1/screening/terms", &other).await;
    assert!(log.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn contract_variables_and_amended_clauses_cannot_carry_target_assessment() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await;
    let sj = app.token("shijian").await;
    let mut bad = survey_contract(a, xingfu, "3000.00");
    bad["variables"]["deliverable"] = json!("汇总表一份；完成率100%，全区排名前三，否则一票否决并扣回经费");
    let r = app.post("/api/v1/contracts", &sj, bad).await;
    let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "TARGET_ASSESSMENT").await;
    let d = &e["error"]["details"][0];
    assert_eq!(d["evidence"][0]["field"], "variables.deliverable");
    assert!(e["error"]["message"].as_str().unwrap().contains("合同变量“deliverable”"), "{e}");
    let list: Value = app.list("/api/v1/contracts", &sj).await;
    assert!(list.as_array().unwrap().is_empty(), "nothing drafted");
    // Negative-list work slipped into the scope is refused with its own code.
    let mut bad = survey_contract(a, xingfu, "3000.00");
    bad["variables"]["scope"] = json!("协助拆除辖区违建");
    assert_error(app.post("/api/v1/contracts", &sj, bad).await, StatusCode::UNPROCESSABLE_ENTITY, "NEGATIVE_LIST").await;
    // Negated wording is fine.
    let mut ok = survey_contract(a, xingfu, "3000.00");
    ok["variables"]["deliverable"] = json!("汇总表一份，不设一票否决，不以排名评价");
    let c = draft(&app, ok).await;
    let id = c["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token("xingfu").await, json!({})).await;
    app.post(&format!("/api/v1/contracts/{id}/sign"), &sj, json!({})).await;

    // Every amendment is screened: the changed clause is named.
    let amend = |text: &str| json!({"rationale_code": "SCOPE_CHANGE", "rationale": "调整交付要求", "clauses": [{"number": 3, "text": text}]});
    let r = app.post(&format!("/api/v1/contracts/{id}/amendments"), &sj, amend("乙方于2026-04-25前交付汇总表，考核排名末位的予以通报批评。")).await;
    let e = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "TARGET_ASSESSMENT").await;
    assert_eq!(e["error"]["details"][0]["evidence"][0]["field"], "clauses.3");
    assert!(e["error"]["message"].as_str().unwrap().contains("合同第3条"));
    let r = app.post(&format!("/api/v1/contracts/{id}/amendments"), &sj, amend("乙方于2026-04-28前向甲方交付商户汇总表。")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn the_word_list_page_shows_concepts_changes_and_overrides() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    app.post("/api/v1/screening/terms", &mz, json!({"concept": "demolition", "kind": "action", "pattern": "清障", "reason": "本区用语"})).await;
    let page = app.page_login("minzheng").await.get(app.url("/screening")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("拆迁拆违") && html.contains("清障") && html.contains("本区用语") && html.contains("id=\"add-term\""));
    // A department reads it but has no form to change it.
    let html = app.page_login("shijian").await.get(app.url("/screening")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("清障") && !html.contains("id=\"add-term\""));
}

#[tokio::test]
async fn an_emergency_entry_with_a_doubtful_finding_gets_no_contract_until_it_is_decided() {
    let app = spawn_app().await;
    let (sj, mz) = (app.token("shijian").await, app.token("minzheng").await);
    let body = application(&app, json!({"emergency": true, "description": "网格员走访中发现辖区新增违建的，及时向街道报告线索"})).await;
    let id = create(&app, body).await;
    let r = app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "entered_pending_approval", "entered first (先进后批)");
    // In the communities, but no contract (so no money) while the finding is undecided.
    let xingfu = app.org_id("幸福社区").await;
    let r = app.post("/api/v1/contracts", &sj, survey_contract(id, xingfu, "3000.00")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    // Confirmed: still none.
    let r = app.post(&format!("/api/v1/admissions/{id}/findings/decide"), &mz, json!({"key": "demolition", "decision": "confirmed", "reason": "属拆违"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.post("/api/v1/contracts", &sj, survey_contract(id, xingfu, "3000.00")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    // The same entry with the finding overridden gets its contract.
    let body = application(&app, json!({"emergency": true, "title": "新增违建线索报告", "description": "网格员走访中发现辖区新增违建的，及时向街道报告线索"})).await;
    let id = create(&app, body).await;
    app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let r = app.post(&format!("/api/v1/admissions/{id}/findings/decide"), &mz, json!({"key": "demolition", "decision": "overridden", "reason": "仅发现报告"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    draft(&app, survey_contract(id, xingfu, "3000.00")).await;
}

#[tokio::test]
async fn two_reviewers_deciding_the_same_finding_at_once_record_one_decision() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let id = create(&app, application(&app, json!({"description": "网格员走访中发现辖区新增违建的，及时向街道报告线索"})).await).await;
    app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await;
    let (t1, t2) = (app.token("minzheng").await, app.token("minzheng").await);
    let path = format!("/api/v1/admissions/{id}/findings/decide");
    let (a, b) = tokio::join!(
        app.post(&path, &t1, json!({"key": "demolition", "decision": "overridden", "reason": "仅报告"})),
        app.post(&path, &t2, json!({"key": "demolition", "decision": "confirmed", "reason": "属拆违"}))
    );
    let mut codes = vec![a.status(), b.status()];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    let a = show(&app, id, "minzheng").await;
    let decided = a["history"].as_array().unwrap().iter().filter(|h| h["action"].as_str().unwrap().starts_with("finding_")).count();
    assert_eq!(decided, 1);
}
