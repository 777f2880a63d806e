use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};

async fn active(app: &TestApp, body: Value) -> Value {
    let c = draft(app, body).await;
    let id = c["id"].as_i64().unwrap();
    let community = if c["community"] == "幸福社区" { "xingfu" } else { "hexie" };
    app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token(community).await, json!({})).await;
    let r = app.post(&format!("/api/v1/contracts/{id}/sign"), &app.token("shijian").await, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn monthly(a: i64, community: i64) -> Value {
    json!({"admission_id": a, "community_id": community, "template_id": "monthly-co-management", "amount": "1200.00",
           "variables": {"service_content": "每月入户宣传"}})
}

async fn evaluate(app: &TestApp, who: &str, id: &Value, body: Value) -> reqwest::Response {
    app.post(&format!("/api/v1/contracts/{id}/evaluations"), &app.token(who).await, body).await
}

#[tokio::test]
async fn the_form_is_the_performance_clauses_of_each_template() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "9000.00", "2026-03-01", "2026-04-30").await;
    let s = active(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let m = active(&app, monthly(a, app.org_id("和谐社区").await)).await;
    for (c, numbers) in [(&s, vec![3]), (&m, vec![3, 4])] {
        let f: Value = app.get(&format!("/api/v1/contracts/{}/evaluation-form", c["id"]), &app.token("shijian").await).await.json().await.unwrap();
        let got: Vec<i64> = f["items"].as_array().unwrap().iter().map(|i| i["number"].as_i64().unwrap()).collect();
        assert_eq!(got, numbers);
        let perf: Vec<&Value> = c["clauses"].as_array().unwrap().iter().filter(|k| k["performance"] == true).collect();
        for (item, clause) in f["items"].as_array().unwrap().iter().zip(perf) {
            assert_eq!((&item["clause_id"], &item["title"]), (&clause["id"], &clause["title"]));
        }
        assert!(f["rule"].as_str().unwrap().contains("一票否决"));
    }
}

#[tokio::test]
async fn criteria_outside_the_contract_are_refused_in_every_shape() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "9000.00", "2026-03-01", "2026-04-30").await;
    let c = active(&app, monthly(a, app.org_id("幸福社区").await)).await;
    let other = active(&app, monthly(a, app.org_id("和谐社区").await)).await;
    let (c3, c4) = (c["clauses"][2]["id"].clone(), c["clauses"][3]["id"].clone());
    let ok = |extra: Value| json!({"items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "satisfied"}, extra]});
    let cases = vec![
        ("unknown clause id", ok(json!({"clause_id": 999_999, "rating": "satisfied"}))),
        ("clause of another contract", ok(json!({"clause_id": other["clauses"][2]["id"], "rating": "satisfied"}))),
        ("a non-performance clause", ok(json!({"clause_id": c["clauses"][0]["id"], "rating": "satisfied"}))),
        ("free-text criterion", ok(json!({"criterion": "台账是否规范", "rating": "unsatisfied", "comment": "台账不全"}))),
        ("extra weight field", json!({"items": [{"clause_id": c3, "rating": "satisfied", "weight": 0.7}, {"clause_id": c4, "rating": "satisfied", "weight": 0.3}]})),
        ("a score", json!({"items": [{"clause_id": c3, "rating": "satisfied", "score": 95}, {"clause_id": c4, "rating": "satisfied"}]})),
        ("a one-vote veto", json!({"items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "satisfied"}], "veto": [c4]})),
        ("weights beside the items", json!({"items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "satisfied"}], "weights": {"3": 60, "4": 40}})),
    ];
    for (what, body) in cases {
        assert_error(evaluate(&app, "shijian", &c["id"], body).await, StatusCode::UNPROCESSABLE_ENTITY, "CRITERION_NOT_IN_CONTRACT").await;
        let list: Value = app.list(&format!("/api/v1/contracts/{}/evaluations", c["id"]), &app.token("shijian").await).await;
        assert!(list.as_array().unwrap().is_empty(), "{what}: nothing stored");
    }
}

#[tokio::test]
async fn the_overall_result_follows_the_rule_and_the_community_can_object() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "9000.00", "2026-03-01", "2026-04-30").await;
    let c = active(&app, monthly(a, app.org_id("幸福社区").await)).await;
    let (c3, c4) = (c["clauses"][2]["id"].clone(), c["clauses"][3]["id"].clone());
    // Below satisfied needs a comment; every clause must be rated.
    let r = evaluate(&app, "shijian", &c["id"], json!({"items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "unsatisfied"}]})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = evaluate(&app, "shijian", &c["id"], json!({"items": [{"clause_id": c3, "rating": "satisfied"}]})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // Roles: the community cannot evaluate as the department; another department cannot see it.
    let body = json!({"items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "unsatisfied", "comment": "第四条要求每月5日前报送，4月未报送"}]});
    assert_error(evaluate(&app, "xingfu", &c["id"], body.clone()).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    assert_error(evaluate(&app, "weijian", &c["id"], body.clone()).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let r = evaluate(&app, "shijian", &c["id"], body.clone()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["overall"], "basically_satisfied", "one unsatisfied clause of two does not fail the contract");
    assert_error(evaluate(&app, "shijian", &c["id"], body).await, StatusCode::CONFLICT, "ALREADY_EVALUATED").await;

    // Residents' representatives, recorded by the community, kept apart.
    let r = evaluate(&app, "xingfu", &c["id"], json!({"evaluator": "residents", "items": [{"clause_id": c3, "rating": "satisfied"}, {"clause_id": c4, "rating": "satisfied"}]})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["overall"], "satisfied");
    let xf = app.token("xingfu").await;
    let r = app.post(&format!("/api/v1/evaluations/{}/objections", e["id"]), &xf, json!({"text": ""})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post(&format!("/api/v1/evaluations/{}/objections", e["id"]), &xf, json!({"text": "4月报表已于5日通过邮件报送，有发送记录"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let list: Value = app.list(&format!("/api/v1/contracts/{}/evaluations", c["id"]), &xf).await;
    let dept = list.as_array().unwrap().iter().find(|e| e["evaluator"] == "department").unwrap();
    assert_eq!(dept["items"][1]["comment"], "第四条要求每月5日前报送，4月未报送");
    assert_eq!(dept["objections"][0]["text"], "4月报表已于5日通过邮件报送，有发送记录");
    assert!(list.as_array().unwrap().iter().any(|e| e["evaluator"] == "residents"));
    let r = app.post(&format!("/api/v1/evaluations/{}/objections", e["id"]), &app.token("hexie").await, json!({"text": "x"})).await;
    assert_error(r, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_contract_closes_and_the_task_exits_when_paid_confirmed_and_evaluated() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = active(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    let id = c["id"].clone();
    let (cz, xf, sj) = (app.token("caizheng").await, app.token("xingfu").await, app.token("shijian").await);
    let pay = |m: usize, key: &'static str| {
        let (app, cz, c) = (&app, cz.clone(), c.clone());
        async move {
            let r = app.api.post(app.url("/api/v1/disbursements")).bearer_auth(cz).header("Idempotency-Key", key)
                .json(&json!({"contract_id": c["id"], "milestone_id": c["milestones"][m]["id"], "amount": c["milestones"][m]["amount"]})).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()
        }
    };
    let d1 = pay(0, "e1").await;
    app.post(&format!("/api/v1/disbursements/{}/confirm", d1["id"]), &xf, json!({})).await;
    let d: Value = app.post(&format!("/api/v1/contracts/{id}/deliverables"), &xf, json!({"clause_id": c["clauses"][2]["id"], "summary": "汇总表"})).await.json().await.unwrap();
    app.post(&format!("/api/v1/deliverables/{}/accept", d["id"]), &sj, json!({})).await;
    let r = evaluate(&app, "shijian", &id, json!({"items": [{"clause_id": c["clauses"][2]["id"], "rating": "satisfied"}]})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let still: Value = app.get(&format!("/api/v1/contracts/{id}"), &sj).await.json().await.unwrap();
    assert_eq!(still["status"], "active", "not all paid yet");
    let d2 = pay(1, "e2").await;
    let still: Value = app.get(&format!("/api/v1/contracts/{id}"), &sj).await.json().await.unwrap();
    assert_eq!(still["status"], "active", "paid but not confirmed");
    app.post(&format!("/api/v1/disbursements/{}/confirm", d2["id"]), &xf, json!({})).await;
    let closed: Value = app.get(&format!("/api/v1/contracts/{id}"), &sj).await.json().await.unwrap();
    assert_eq!(closed["status"], "closed");
    let adm: Value = app.get(&format!("/api/v1/admissions/{a}"), &sj).await.json().await.unwrap();
    assert_eq!(adm["status"], "revoked", "its only contract closed: the admission exits");
    assert!(adm["targets"].as_array().unwrap().iter().all(|t| t["status"] == "exited"));
    assert!(adm["history"].as_array().unwrap().iter().any(|h| h["action"] == "revoke"));
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true);
    // The half-year assessment shows the money delivered and the satisfaction.
    let rows: Value = app.list("/api/v1/admissions/assessment", &app.token("minzheng").await).await;
    let row = rows.as_array().unwrap().iter().find(|r| r["id"] == a).unwrap();
    assert_eq!(row["funds_delivered"], "3000.00");
    assert_eq!(row["satisfaction"], json!(["幸福社区：满意"]));
}

#[tokio::test]
async fn the_admission_stays_until_all_its_contracts_have_closed() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let c1 = active(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await;
    active(&app, survey_contract(a, app.org_id("和谐社区").await, "3000.00")).await;
    let (cz, xf, sj) = (app.token("caizheng").await, app.token("xingfu").await, app.token("shijian").await);
    for (m, key) in [(0, "f1"), (1, "f2")] {
        if m == 1 {
            let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c1["id"]), &xf, json!({"clause_id": c1["clauses"][2]["id"], "summary": "汇总表"})).await.json().await.unwrap();
            app.post(&format!("/api/v1/deliverables/{}/accept", d["id"]), &sj, json!({})).await;
        }
        let r: Value = app.api.post(app.url("/api/v1/disbursements")).bearer_auth(&cz).header("Idempotency-Key", key)
            .json(&json!({"contract_id": c1["id"], "milestone_id": c1["milestones"][m]["id"], "amount": c1["milestones"][m]["amount"]})).send().await.unwrap().json().await.unwrap();
        app.post(&format!("/api/v1/disbursements/{}/confirm", r["id"]), &xf, json!({})).await;
    }
    evaluate(&app, "shijian", &c1["id"], json!({"items": [{"clause_id": c1["clauses"][2]["id"], "rating": "satisfied"}]})).await;
    let adm: Value = app.get(&format!("/api/v1/admissions/{a}"), &sj).await.json().await.unwrap();
    assert_eq!(adm["status"], "admitted");
    let targets: Vec<(&str, &str)> = adm["targets"].as_array().unwrap().iter().map(|t| (t["community"].as_str().unwrap(), t["status"].as_str().unwrap())).collect();
    assert_eq!(targets, [("幸福社区", "exited"), ("和谐社区", "entered")]);
}
