use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, spawn_app_with, TestApp};

/// An admitted application of 区市场监督管理局 for both communities, with its budget
/// and period; returns its id.
pub async fn admitted(app: &TestApp, title: &str, budget: &str, start: &str, end: &str) -> i64 {
    let sj = app.token("shijian").await;
    let body = json!({
        "title": title, "description": "入户登记", "basis": "示范区市场监管局〔2026〕12号", "work_plan": "按月开展",
        "target_community_ids": [app.org_id("幸福社区").await, app.org_id("和谐社区").await],
        "period_start": start, "period_end": end, "staffing": "网格员", "budget": budget,
    });
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    let id = a["id"].as_i64().unwrap();
    assert_eq!(app.post(&format!("/api/v1/admissions/{id}/submit"), &sj, json!({})).await.status(), StatusCode::OK);
    let mz = app.token("minzheng").await;
    app.post(&format!("/api/v1/admissions/{id}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await;
    let r = app.post(&format!("/api/v1/admissions/{id}/decide"), &app.token("lingdao").await, json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    // The department's budget for the year, so that signing can commit the money.
    let year = &start[..4];
    let dept = app.org_id("区市场监督管理局").await;
    let r = app.put(&format!("/api/v1/budgets/{dept}/{year}"), &app.token("caizheng").await, json!({"amount": "1000000.00", "reason": "测试预算"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    id
}

pub fn survey_contract(admission: i64, community: i64, amount: &str) -> Value {
    json!({"admission_id": admission, "community_id": community, "template_id": "short-term-task", "amount": amount,
           "variables": {"scope": "辖区全部商户", "delivery_date": "2026-04-25"}})
}

pub async fn draft(app: &TestApp, body: Value) -> Value {
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, body).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

#[tokio::test]
async fn templates_are_listed_with_typed_variables() {
    let app = spawn_app().await;
    let t: Value = app.list("/api/v1/contract-templates", &app.token("weijian").await).await;
    let ids: Vec<&str> = t.as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["monthly-co-management", "short-term-task"]);
    let visits = t[0]["variables"].as_array().unwrap().iter().find(|v| v["name"] == "monthly_visits").unwrap();
    assert_eq!(visits["type"], "integer");
    assert_eq!(visits["label"], "每月入户或巡查次数");
    assert_eq!(visits["default"], "4");
    let day = t[0]["variables"].as_array().unwrap().iter().find(|v| v["name"] == "report_day").unwrap();
    assert_eq!(day["type"], "choice");
    assert_eq!(day["choices"].as_array().unwrap().len(), 3);
    for key in ["name", "label", "type", "required", "default", "choices"] {
        assert!(visits.get(key).is_some(), "{key}");
    }
}

#[tokio::test]
async fn a_short_term_contract_is_drafted_from_the_admission() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await;
    let c = draft(&app, survey_contract(a, xingfu, "3000.00")).await;
    assert_eq!(c["status"], "draft");
    assert_eq!(c["amount"], "3000.00");
    assert_eq!(c["amount_capitals"], "人民币叁仟元整");
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(c["number"], format!("示范区购服〔{year}〕1号"));
    assert_eq!((c["period_start"].as_str(), c["period_end"].as_str()), (Some("2026-03-01"), Some("2026-04-30")));
    let clauses = c["clauses"].as_array().unwrap();
    assert_eq!(clauses.len(), 5);
    assert!(clauses[0]["text"].as_str().unwrap().contains("区市场监督管理局") && clauses[0]["text"].as_str().unwrap().contains("幸福社区"));
    assert!(clauses[0]["text"].as_str().unwrap().contains(&format!("示范区准字〔{year}〕1号")));
    assert!(clauses[3]["text"].as_str().unwrap().contains("人民币叁仟元整（¥3000.00）"));
    assert_eq!(clauses[2]["performance"], true);
    for k in ["id", "number", "title", "text", "performance"] {
        assert!(clauses[0].get(k).is_some(), "{k}");
    }
    let ms = c["milestones"].as_array().unwrap();
    assert_eq!(ms.iter().map(|m| m["amount"].as_str().unwrap()).collect::<Vec<_>>(), ["900.00", "2100.00"]);
    assert_eq!(ms[0]["clause_id"], Value::Null);
    assert_eq!(ms[1]["clause_id"], clauses[2]["id"]);
    assert_eq!(ms[1]["due"], "2026-04-30");

    // The community sees its draft; the other community does not.
    let mine: Value = app.get(&format!("/api/v1/contracts/{}", c["id"]), &app.token("xingfu").await).await.json().await.unwrap();
    assert_eq!(mine["number"], c["number"]);
    assert_error(app.get(&format!("/api/v1/contracts/{}", c["id"]), &app.token("hexie").await).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn monthly_instalments_spread_awkward_amounts_to_the_fen() {
    let app = spawn_app().await;
    let a = admitted(&app, "食品安全信息月报协助", "1000.00", "2026-03-01", "2026-05-31").await;
    let body = json!({"admission_id": a, "community_id": app.org_id("幸福社区").await, "template_id": "monthly-co-management",
                      "amount": "1000.00", "variables": {"service_content": "每月入户宣传并报告发现的问题"}});
    let c = draft(&app, body).await;
    let ms = c["milestones"].as_array().unwrap();
    let amounts: Vec<&str> = ms.iter().map(|m| m["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["333.33", "333.33", "333.34"]);
    let dues: Vec<&str> = ms.iter().map(|m| m["due"].as_str().unwrap()).collect();
    assert_eq!(dues, ["2026-03-31", "2026-04-30", "2026-05-31"]);
    assert_eq!(c["variables"]["monthly_visits"], "4", "the default is used");
    assert!(c["clauses"][2]["text"].as_str().unwrap().contains("不少于4次"));
}

#[tokio::test]
async fn drafting_rules() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let sj = app.token("shijian").await;
    let post = |b: Value| {
        let sj = sj.clone();
        let app = &app;
        async move { app.post("/api/v1/contracts", &sj, b).await }
    };
    draft(&app, survey_contract(a, xingfu, "2000.00")).await;
    // The admission's budget caps the sum of its contracts.
    assert_error(post(survey_contract(a, hexie, "1000.01")).await, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    draft(&app, survey_contract(a, hexie, "1000.00")).await;
    assert_error(post(survey_contract(a, hexie, "0.01")).await, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;
    // Amount, period, template, variables.
    let a2 = admitted(&app, "商户信息核对", "5000.00", "2026-03-01", "2026-04-30").await;
    assert_error(post(survey_contract(a2, xingfu, "0")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut b = survey_contract(a2, xingfu, "100.00");
    b["period_end"] = json!("2026-05-31");
    let body = assert_error(post(b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains("准入期限"));
    let mut b = survey_contract(a2, xingfu, "100.00");
    b["template_id"] = json!("no-such-template");
    assert_error(post(b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut b = survey_contract(a2, xingfu, "100.00");
    b["variables"] = json!({"delivery_date": "下月"});
    let body = assert_error(post(b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"variables.scope") && fields.contains(&"variables.delivery_date"), "{fields:?}");
    let mut b = survey_contract(a2, xingfu, "100.00");
    b["amount"] = json!(100);
    assert_error(post(b).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // The community must be one the task entered.
    let mz_org = app.org_id("区民政局").await;
    assert_error(post(survey_contract(a2, mz_org, "100.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // Only the admission's own department, and only once admitted.
    let r = app.post("/api/v1/contracts", &app.token("weijian").await, survey_contract(a2, xingfu, "100.00")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post("/api/v1/contracts", &app.token("xingfu").await, survey_contract(a2, xingfu, "100.00")).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let body = json!({"title": "未审批事项", "description": "x", "basis": "某文件", "target_community_ids": [xingfu],
                      "period_start": "2026-03-01", "period_end": "2026-04-30", "budget": "100.00"});
    let pending: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    app.post(&format!("/api/v1/admissions/{}/submit", pending["id"]), &sj, json!({})).await;
    assert_error(post(survey_contract(pending["id"].as_i64().unwrap(), xingfu, "100.00")).await, StatusCode::CONFLICT, "ADMISSION_NOT_ADMITTED").await;

    // The list changes under an admitted task: no contract for a blocked task.
    let mz = app.token("minzheng").await;
    let r = app
        .post("/api/v1/lists/negative/items", &mz, json!({"code": "FM-30", "title": "商户信息核对", "negative_reason": "属市场监管执法",
              "reason": "新增", "document": "示范区城乡社区建设领导小组〔2026〕10号"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = assert_error(post(survey_contract(a2, xingfu, "100.00")).await, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    assert_eq!(body["error"]["details"][0]["code"], "NEGATIVE_LIST");
}

#[tokio::test]
async fn a_template_needing_qualification_cannot_be_used_for_a_community() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("contract-templates");
    for f in ["monthly-co-management.toml", "short-term-task.toml"] {
        std::fs::copy(shipped.join(f), dir.path().join(f)).unwrap();
    }
    let barred = std::fs::read_to_string(shipped.join("short-term-task.toml"))
        .unwrap()
        .replace("id = \"short-term-task\"", "id = \"elevator-inspection\"")
        .replace("needs_professional_qualification = false", "needs_professional_qualification = true");
    std::fs::write(dir.path().join("elevator-inspection.toml"), barred).unwrap();
    let config = zhunru::platform::config::Config { templates_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let app = spawn_app_with(config).await;
    let a = admitted(&app, "电梯安全巡检", "3000.00", "2026-03-01", "2026-04-30").await;
    let mut b = survey_contract(a, app.org_id("幸福社区").await, "1000.00");
    b["template_id"] = json!("elevator-inspection");
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, b).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "TEMPLATE_NOT_FOR_COMMUNITY").await;
    assert!(body["error"]["message"].as_str().unwrap().contains("不得向社区购买"));
    let all: Value = app.list("/api/v1/contracts", &app.token("shijian").await).await;
    assert!(all.as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_wrong_template_stops_the_start_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"bad\"\ntitle = \"坏模板\"\n\n[[clauses]]\nnumber = 1\ntitle = \"事项\"\nperformance = true\ntext = \"{nonexistent}\"\n\n[schedule]\nrule = \"monthly\"\n",
    )
    .unwrap();
    let err = zhunru::prepare(zhunru::platform::config::Config {
        database_url: "sqlite::memory:".into(),
        templates_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("bad.toml:8:") && err.contains("未知变量“{nonexistent}”"), "{err}");
}

#[tokio::test]
async fn both_parties_sign_in_either_order() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c1 = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "1500.00")).await;
    let c2 = draft(&app, survey_contract(a, app.org_id("和谐社区").await, "1500.00")).await;
    let (sj, xf, hx) = (app.token("shijian").await, app.token("xingfu").await, app.token("hexie").await);
    let sign = |id: &Value, token: &str| {
        let (p, t) = (format!("/api/v1/contracts/{id}/sign"), token.to_string());
        let app = &app;
        async move { app.post(&p, &t, json!({})).await }
    };
    // Role and party checks: another community, another department, the reviewer.
    assert_error(sign(&c1["id"], &hx).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(sign(&c1["id"], &app.token("weijian").await).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(sign(&c1["id"], &app.token("minzheng").await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;

    // Community first, then department.
    let r: Value = sign(&c1["id"], &xf).await.json().await.unwrap();
    assert_eq!(r["status"], "draft");
    assert!(r["community_signed_at"].is_string() && r["department_signed_at"].is_null());
    assert_error(sign(&c1["id"], &xf).await, StatusCode::CONFLICT, "ALREADY_SIGNED").await;
    let r: Value = sign(&c1["id"], &sj).await.json().await.unwrap();
    assert_eq!(r["status"], "active");
    assert_eq!(r["versions"][0]["status"], "effective");
    assert_eq!(r["versions"][0]["community_signer"], "幸福社区书记");
    assert_eq!(r["versions"][0]["department_signer"], "市场监管局经办人");
    assert_error(sign(&c1["id"], &sj).await, StatusCode::CONFLICT, "NOTHING_TO_SIGN").await;
    // Department first, then community.
    assert_eq!(sign(&c2["id"], &sj).await.json::<Value>().await.unwrap()["status"], "draft");
    assert_eq!(sign(&c2["id"], &hx).await.json::<Value>().await.unwrap()["status"], "active");
    // County bodies see signed contracts.
    let all: Value = app.list("/api/v1/contracts", &app.token("caizheng").await).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_amendment_takes_effect_only_when_both_sign_it() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "2000.00")).await;
    let id = c["id"].as_i64().unwrap();
    let (sj, xf) = (app.token("shijian").await, app.token("xingfu").await);
    let amend = |body: Value| {
        let (p, t) = (format!("/api/v1/contracts/{id}/amendments"), sj.clone());
        let app = &app;
        async move { app.post(&p, &t, body).await }
    };
    let change = json!({"rationale_code": "BUDGET_ADJUSTMENT", "rationale": "商户数量增加", "amount": "2600.00",
                        "clauses": [{"number": 3, "text": "乙方于2026-04-28前向甲方交付商户汇总表。"}]});
    assert_error(amend(change.clone()).await, StatusCode::CONFLICT, "INVALID_STATE").await; // not active yet
    app.post(&format!("/api/v1/contracts/{id}/sign"), &xf, json!({})).await;
    app.post(&format!("/api/v1/contracts/{id}/sign"), &sj, json!({})).await;

    let mut bad = change.clone();
    bad["rationale_code"] = json!("BECAUSE");
    assert_error(amend(bad).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut bad = change.clone();
    bad["amount"] = json!("3000.01");
    assert_error(amend(bad).await, StatusCode::CONFLICT, "ADMISSION_BUDGET_EXCEEDED").await;

    let r = amend(change.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let pending: Value = r.json().await.unwrap();
    assert_eq!(pending["amount"], "2000.00", "the version in force stays until both sign");
    assert_eq!(pending["pending_amendment"]["amount"], "2600.00");
    assert_eq!(pending["pending_amendment"]["rationale_label"], "服务经费调整");
    assert_error(amend(change.clone()).await, StatusCode::CONFLICT, "AMENDMENT_PENDING").await;

    app.post(&format!("/api/v1/contracts/{id}/sign"), &sj, json!({})).await;
    let done: Value = app.post(&format!("/api/v1/contracts/{id}/sign"), &xf, json!({})).await.json().await.unwrap();
    assert_eq!(done["version"], 2);
    assert_eq!(done["amount"], "2600.00");
    assert_eq!(done["amount_capitals"], "人民币贰仟陆佰元整");
    assert_eq!(done["clauses"][2]["text"], "乙方于2026-04-28前向甲方交付商户汇总表。");
    assert!(done["clauses"][3]["text"].as_str().unwrap().contains("人民币贰仟陆佰元整"), "amount-quoting clauses follow");
    let ms: Vec<&str> = done["milestones"].as_array().unwrap().iter().map(|m| m["amount"].as_str().unwrap()).collect();
    assert_eq!(ms, ["780.00", "1820.00"]);
    assert!(done["pending_amendment"].is_null());
    // Every version stays readable.
    let vs = done["versions"].as_array().unwrap();
    assert_eq!((vs[0]["status"].as_str(), vs[1]["status"].as_str()), (Some("superseded"), Some("effective")));
    assert_eq!(vs[0]["amount"], "2000.00");
    assert!(vs[0]["clauses"][2]["text"].as_str().unwrap().contains("2026-04-25"));
}

#[tokio::test]
async fn completing_closing_and_terminating() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "1000.00")).await;
    let id = c["id"].as_i64().unwrap();
    let (sj, xf) = (app.token("shijian").await, app.token("xingfu").await);
    assert_error(app.post(&format!("/api/v1/contracts/{id}/complete"), &sj, json!({})).await, StatusCode::CONFLICT, "INVALID_STATE").await;
    app.post(&format!("/api/v1/contracts/{id}/sign"), &xf, json!({})).await;
    app.post(&format!("/api/v1/contracts/{id}/sign"), &sj, json!({})).await;
    assert_error(app.post(&format!("/api/v1/contracts/{id}/complete"), &xf, json!({})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r: Value = app.post(&format!("/api/v1/contracts/{id}/complete"), &sj, json!({})).await.json().await.unwrap();
    assert_eq!(r["status"], "completed");
    // Not paid, confirmed or evaluated yet: it cannot be closed.
    assert_error(app.post(&format!("/api/v1/contracts/{id}/close"), &sj, json!({})).await, StatusCode::CONFLICT, "NOT_READY_TO_CLOSE").await;
    let r: Value = app.post(&format!("/api/v1/contracts/{id}/terminate"), &sj, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区改由其他方式承担"})).await.json().await.unwrap();
    assert_eq!(r["status"], "terminated");
    assert_error(app.post(&format!("/api/v1/contracts/{id}/terminate"), &sj, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "x"})).await, StatusCode::CONFLICT, "INVALID_STATE").await;

    // A terminated contract gives its amount back to the admission (3,000 in all here).
    let c2 = draft(&app, survey_contract(a, app.org_id("和谐社区").await, "2000.00")).await;
    let id2 = c2["id"].as_i64().unwrap();
    assert_error(app.post(&format!("/api/v1/contracts/{id2}/terminate"), &sj, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": ""})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r: Value = app.post(&format!("/api/v1/contracts/{id2}/terminate"), &sj, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区另有安排"})).await.json().await.unwrap();
    assert_eq!(r["status"], "terminated");
    assert_eq!(r["termination_reason"], "社区另有安排");
    draft(&app, survey_contract(a, app.org_id("和谐社区").await, "2000.00")).await;
    let year = chrono::Datelike::year(&chrono::Utc::now());
    let all: Value = app.list("/api/v1/contracts", &sj).await;
    let numbers: Vec<&str> = all.as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, [format!("示范区购服〔{year}〕3号"), format!("示范区购服〔{year}〕2号"), format!("示范区购服〔{year}〕1号")]);
}

#[tokio::test]
async fn the_contract_pdf_reads_back() {
    let app = spawn_app().await;
    let a = admitted(&app, "辖区企业基本情况摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let id = c["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v1/contracts/{id}/pdf"), &app.token("xingfu").await).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    assert!(bytes.len() <= 150 * 1024, "{} bytes", bytes.len());
    let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for needle in [c["number"].as_str().unwrap(), "区市场监督管理局", "幸福社区", "人民币叁仟元整", "¥3,000.00", "第三条", "辖区企业基本情况摸底"] {
        assert!(flat.contains(needle), "{needle} not in: {flat}");
    }
    assert_error(app.get(&format!("/api/v1/contracts/{id}/pdf"), &app.token("hexie").await).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_character_the_font_lacks_is_refused_before_it_reaches_a_pdf() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let mut b = survey_contract(a, app.org_id("幸福社区").await, "1000.00");
    b["variables"]["scope"] = json!("辖区商户😀");
    let r = app.post("/api/v1/contracts", &app.token("shijian").await, b).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "UNSUPPORTED_CHARACTER").await;
    assert!(body["error"]["message"].as_str().unwrap().contains('😀'));
}

#[tokio::test]
async fn the_approval_document_and_the_public_lists_print_too() {
    let app = spawn_app().await;
    let a = admitted(&app, "辖区企业基本情况摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let r = app.get(&format!("/api/v1/admissions/{a}/document.pdf"), &app.token("xingfu").await).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text: String = pdf_extract::extract_text_from_mem(&r.bytes().await.unwrap()).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    let year = chrono::Datelike::year(&chrono::Utc::now());
    for needle in [format!("示范区准字〔{year}〕1号"), "辖区企业基本情况摸底".into(), "幸福社区、和谐社区".into(), "人民币叁仟元整".into()] {
        assert!(text.contains(&needle), "{needle} not in {text}");
    }
    let me: Value = app.get("/api/v1/me", &app.token("xingfu").await).await.json().await.unwrap();
    let r = app.api.get(app.url(&format!("/api/v1/public/{}/lists.pdf", me["user"]["county_id"]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let text: String = pdf_extract::extract_text_from_mem(&bytes).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    for needle in ["工作负面事项清单（8项）", "招商引资", "食品安全协管", "协助办理事项清单（5项）"] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    assert!(!text.contains("协助开展爱国卫生检查评比"), "cancelled items are not published");
}

#[tokio::test]
async fn contract_pages_preview_amend_and_refuse_outsiders() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await.to_string();
    let dept = app.page_login("shijian").await;
    let base = vec![
        ("admission_id", a.to_string()),
        ("template_id", "short-term-task".to_string()),
        ("community_id", xingfu.clone()),
        ("amount", "3000.00".to_string()),
        ("var_scope", "辖区全部商户".to_string()),
        ("var_delivery_date", "2026-04-25".to_string()),
    ];
    let with = |action: &str| {
        let mut f = base.clone();
        f.push(("action", action.to_string()));
        f
    };
    let r = dept.post(app.url("/contracts/new")).form(&with("preview")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("contract-preview") && html.contains("人民币叁仟元整") && html.contains("辖区全部商户"));
    let contracts: Value = app.list("/api/v1/contracts", &app.token("shijian").await).await;
    assert!(contracts.as_array().unwrap().is_empty(), "a preview saves nothing");
    let mut over = with("save");
    over[3].1 = "3000.01".into();
    let r = dept.post(app.url("/contracts/new")).form(&over).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("超出准入事项剩余经费预算"));
    let r = dept.post(app.url("/contracts/new")).form(&with("save")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location.trim_start_matches("/contracts/").split('?').next().unwrap().parse().unwrap();

    let community = app.page_login("xingfu").await;
    assert_eq!(community.get(app.url(&format!("/contracts/new?admission_id={a}"))).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let other = app.page_login("hexie").await;
    assert_eq!(other.get(app.url(&format!("/contracts/{id}"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    for c in [&community, &dept] {
        let r = c.post(app.url(&format!("/contracts/{id}/step"))).form(&[("action", "sign")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = dept
        .post(app.url(&format!("/contracts/{id}/amend")))
        .form(&[("rationale_code", "PERIOD_EXTENSION"), ("rationale", "商户增多，延期一周"), ("amount", ""), ("period_start", ""), ("period_end", "2026-04-30"), ("clause_3", "乙方于2026-04-30前向甲方交付：汇总表一份及工作说明。")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = community.get(app.url(&format!("/contracts/{id}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("待签署的变更") && html.contains("商户增多，延期一周") && html.contains("签署变更"));
    let pdf = community.get(app.url(&format!("/contracts/{id}/pdf"))).send().await.unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
}

/// Issue 29: the draft form starts from the task: a two-month task from the short-term
/// template, the amount from what is left of its budget; an unsigned draft is voided, not
/// "terminated".
#[tokio::test]
async fn the_draft_form_starts_from_the_task_and_a_draft_is_voided_not_terminated() {
    let app = spawn_app().await;
    let a = admitted(&app, "辖区商户摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let sj = app.page_login("shijian").await;
    let html = sj.get(app.url(&format!("/contracts/new?admission_id={a}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<option value=\"short-term-task\" selected>"), "short-term template chosen");
    assert!(html.contains("name=\"amount\" value=\"3000.00\""), "the budget left as the amount");
    let long = admitted(&app, "全年协管", "12000.00", "2026-01-01", "2026-12-31").await;
    let html = sj.get(app.url(&format!("/contracts/new?admission_id={long}"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<option value=\"monthly-co-management\" selected>"), "a year's work: monthly");
    // The clerk's own choice of template stands.
    let html = sj.get(app.url(&format!("/contracts/new?admission_id={a}&template_id=monthly-co-management"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<option value=\"monthly-co-management\" selected>"));
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let page = sj.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("作废草稿") && !page.contains("终止合同</button>"), "a draft nobody signed is voided");
}
