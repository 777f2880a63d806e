//! Issue 15: the rest of the procedure of the seeds — publication of admitted items,
//! workloads per community.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::admitted;
use crate::helpers::{assert_error, day, spawn_app};

#[tokio::test]
async fn admitted_items_are_published_for_anyone_with_their_communities_and_money() {
    let app = spawn_app().await;
    zhunru::demo::load_cases(&app.db, &zhunru::contracts::template::load_embedded().unwrap()).await.unwrap();
    let sj = app.token("shijian").await;
    // Not published: an application still in the procedure, and assist work (on its list already).
    let pending: Value = app
        .post("/api/v1/admissions", &sj, json!({"title": "老旧小区加装电梯意愿调查", "description": "入户调查", "basis": "示范区住建局〔2026〕5号", "work_plan": "按月开展",
            "target_community_ids": [app.org_id("幸福社区").await], "period_start": "2026-03-01", "period_end": "2026-04-30", "staffing": "网格员", "budget": "2000.00"}))
        .await
        .json()
        .await
        .unwrap();
    app.post(&format!("/api/v1/admissions/{}/submit", pending["id"]), &sj, json!({})).await;
    let xb01 = app.list("/api/v1/lists/assist", &sj).await.as_array().unwrap().iter().find(|i| i["code"] == "XB-01").unwrap()["id"].clone();
    let r = app.post("/api/v1/contracts", &sj, json!({"assist_item_id": xb01, "community_id": app.org_id("幸福社区").await, "template_id": "short-term-task", "amount": "800.00",
        "period_start": "2026-06-01", "period_end": "2026-06-30", "variables": {"scope": "辖区餐饮门店", "delivery_date": "2026-06-25"}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let fresh = admitted(&app, "辖区企业年报催报", "1500.00", "2026-05-01", "2026-05-31").await;

    let county = app.get("/api/v1/me", &sj).await.json::<Value>().await.unwrap()["user"]["county_id"].as_i64().unwrap();
    let r = app.api.get(app.url(&format!("/api/v1/public/{county}/admissions"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "no login needed");
    let page: Value = r.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    let titles: Vec<&str> = items.iter().map(|i| i["title"].as_str().unwrap()).collect();
    assert!(titles.contains(&"小餐饮食品安全隐患信息报告") && titles.contains(&"辖区企业基本情况摸底") && titles.contains(&"辖区企业年报催报"), "{titles:?}");
    assert!(!titles.contains(&"老旧小区加装电梯意愿调查") && !titles.contains(&"食品安全协管"), "{titles:?}");
    // Each with what the public needs: department, basis, approval number, communities, period, money.
    let monthly = items.iter().find(|i| i["title"] == "小餐饮食品安全隐患信息报告").unwrap();
    assert_eq!((monthly["department"].as_str(), monthly["budget"].as_str(), monthly["contracted"].as_str()), (Some("区市场监督管理局"), Some("14400.00"), Some("14400.00")));
    assert_eq!(monthly["communities"], json!(["幸福社区", "和谐社区"]));
    assert!(monthly["approval_number"].as_str().unwrap().contains("准字"));
    let fresh = items.iter().find(|i| i["id"] == fresh).unwrap();
    assert_eq!(fresh["contracted"], "0.00", "no contract signed yet");
    // Another county sees its own (none); an unknown county is 404.
    assert_eq!(app.api.get(app.url("/api/v1/public/999999/admissions")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    // The public page, linked from the lists.
    let html = app.api.get(app.url(&format!("/public/{county}/admissions"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("准入事项公示") && html.contains("小餐饮食品安全隐患信息报告") && html.contains("¥14,400.00"));
    let lists = app.api.get(app.url(&format!("/public/{county}/lists"))).send().await.unwrap().text().await.unwrap();
    assert!(lists.contains(&format!("/public/{county}/admissions")));
}

#[tokio::test]
async fn a_communitys_workload_counts_its_tasks_by_origin_and_rolls_up_to_its_street() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let load = |date: String| {
        let app = &app;
        async move {
            let r = app.get(&format!("/api/v1/workload?date={date}"), &app.token("xingfu").await).await;
            assert_eq!(r.status(), StatusCode::OK);
            r.json::<Value>().await.unwrap()
        }
    };
    let row = |w: &Value, name: &str| w["communities"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap().clone();
    let active = |v: Value| v.as_array().unwrap().iter().filter(|i| i["status"] == "active").count() as i64;
    let duty = active(app.list("/api/v1/lists/duty", &sj).await);
    let assist = active(app.list("/api/v1/lists/assist", &sj).await);
    // Today by the server's clock: the lists in force now are what the counts are held to
    // (a fixed date read the demo's list changes of another day).
    let today = app.clock.today();
    let w = load(today.to_string()).await;
    let x = row(&w, "幸福社区");
    assert_eq!((x["at"]["duty"].as_i64(), x["at"]["assist"].as_i64(), x["at"]["admitted"].as_i64(), x["at"]["total"].as_i64()), (Some(duty), Some(assist), Some(0), Some(duty + assist)));

    // An admitted task for both communities, and assist work with money for one.
    // Its period holds today, as the counts are taken today.
    admitted(&app, "冬季燃气安全入户宣传", "4000.00", &day(-30), &day(30)).await;
    let xb01 = app.list("/api/v1/lists/assist", &sj).await.as_array().unwrap().iter().find(|i| i["code"] == "XB-01").unwrap()["id"].clone();
    let r = app.post("/api/v1/contracts", &sj, json!({"assist_item_id": xb01, "community_id": app.org_id("幸福社区").await, "template_id": "short-term-task", "amount": "800.00",
        "period_start": day(-30), "period_end": day(30), "variables": {"scope": "辖区餐饮门店", "delivery_date": day(20)}})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let w = load(today.to_string()).await;
    let (x, h) = (row(&w, "幸福社区"), row(&w, "和谐社区"));
    assert_eq!((x["at"]["admitted"].as_i64(), x["at"]["assist_funded"].as_i64(), x["at"]["total"].as_i64()), (Some(1), Some(1), Some(duty + assist + 1)), "funded assist work is within the assist count");
    assert_eq!((h["at"]["admitted"].as_i64(), h["at"]["assist_funded"].as_i64()), (Some(1), Some(0)));
    // Outside the task's period it is not held.
    assert_eq!(row(&load(day(-31)).await, "幸福社区")["at"]["admitted"], 0);
    // Against a year before: the change of the total.
    assert_eq!(x["change"].as_i64().unwrap(), x["at"]["total"].as_i64().unwrap() - x["year_before"]["total"].as_i64().unwrap());
    assert_eq!(w["compared_to"], (today - chrono::Months::new(12)).to_string());
    // The street adds up its communities.
    for s in w["streets"].as_array().unwrap() {
        let members: Vec<Value> = w["communities"].as_array().unwrap().iter().filter(|c| c["street_id"] == s["org_id"]).cloned().collect();
        assert_eq!(s["at"]["total"].as_i64().unwrap(), members.iter().map(|c| c["at"]["total"].as_i64().unwrap()).sum::<i64>());
    }
    assert!(w["streets"].as_array().unwrap().iter().any(|s| s["name"] == "示范街道"), "{w}");
    // On the community's home page and the comparison page.
    let client = app.page_login("xingfu").await;
    let home = client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("本社区承担事项") && home.contains("随经费派单 1"), "home");
    let page = client.get(app.url(&format!("/workload?date={}", day(0)))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("和谐社区") && page.contains("示范街道"));
    assert_eq!(app.get("/api/v1/workload?date=1900-01-01", &sj).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_street_applies_buys_and_is_reported_like_a_department() {
    let app = spawn_app().await;
    let admin = app.token("admin").await;
    let street = app.org_id("示范街道").await;
    let r = app.post("/api/v1/users", &admin, json!({"org_id": street, "username": "jiedao", "display_name": "街道经办人", "role": "department", "password": crate::helpers::PASSWORD})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let jd = app.token("jiedao").await;
    let xingfu = app.org_id("幸福社区").await;
    let a: Value = app
        .post("/api/v1/admissions", &jd, json!({"title": "街道老年人助餐点巡查", "description": "每周巡查助餐点运营情况", "basis": "示范街道〔2026〕2号", "work_plan": "每周一次",
            "target_community_ids": [xingfu], "period_start": "2026-03-01", "period_end": "2026-06-30", "staffing": "网格员1名", "budget": "2400.00"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["department"], "示范街道");
    assert_eq!(app.post(&format!("/api/v1/admissions/{}/submit", a["id"]), &jd, json!({})).await.status(), StatusCode::OK);
    app.post(&format!("/api/v1/admissions/{}/review", a["id"]), &app.token("minzheng").await, json!({"opinion": "approve", "comment": "同意"})).await;
    let r = app.post(&format!("/api/v1/admissions/{}/decide", a["id"]), &app.token("lingdao").await, json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "admitted");
    // The finance bureau gives the street a budget; the street buys the service.
    let r = app.put(&format!("/api/v1/budgets/{street}/2026"), &app.token("caizheng").await, json!({"amount": "10000.00", "reason": "街道年度预算"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let r = app.post("/api/v1/contracts", &jd, json!({"admission_id": a["id"], "community_id": xingfu, "template_id": "short-term-task", "amount": "2400.00",
        "variables": {"scope": "辖区助餐点", "delivery_date": "2026-06-20"}})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let c: Value = r.json().await.unwrap();
    app.post(&format!("/api/v1/contracts/{}/sign", c["id"]), &jd, json!({})).await;
    let r = app.post(&format!("/api/v1/contracts/{}/sign", c["id"]), &app.token("xingfu").await, json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    let summary: Value = app.get("/api/v1/funds/summary", &app.token("caizheng").await).await.json().await.unwrap();
    assert!(summary.to_string().contains("示范街道"), "the street's money is on the finance bureau's overview");
    // A community reports the street for work pushed down without admission.
    let r = app.post("/api/v1/reports", &app.token("xingfu").await, json!({"department_id": street, "task": "要求社区代办街道台账", "occurred_on": "2026-03-02", "evidence": "街道工作群通知"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn the_half_year_assessment_goes_from_views_to_a_leading_group_decision_and_exit() {
    let app = spawn_app().await;
    let a = admitted(&app, "辖区企业信息核查", "6000.00", "2026-03-01", "2026-08-31").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let c = crate::contracts::draft(&app, crate::contracts::survey_contract(a, xingfu, "3000.00")).await;
    let c = crate::lifecycle::sign_both(&app, &c["id"]).await;
    let advance = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"].is_null()).unwrap().clone();
    assert_eq!(crate::lifecycle::pay(&app, "assess-1", &c, &advance, "900.00").await.status(), StatusCode::CREATED);
    let (mz, ld) = (app.token("minzheng").await, app.token("lingdao").await);
    let at = |p: &str| format!("/api/v1/assessments/{p}/{a}");

    let rows = app.list("/api/v1/assessments/2026-H1", &mz).await;
    let row = rows.as_array().unwrap().iter().find(|r| r["id"] == a).unwrap().clone();
    assert_eq!((row["funds_delivered"].as_str(), row["assessment"].is_null()), (Some("900.00"), true));
    assert!(app.list("/api/v1/assessments/2025-H2", &mz).await.as_array().unwrap().iter().all(|r| r["id"] != a), "not a task of that half");
    assert_error(app.get("/api/v1/assessments/2026-H3", &mz).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(app.get("/api/v1/assessments/2026-H1", &app.token("shijian").await).await.status(), StatusCode::FORBIDDEN);

    // Civil affairs gathers views per community and concludes; nothing goes up half-done.
    assert_error(app.post(&format!("{}/send", at("2026-H1")), &mz, json!({})).await, StatusCode::CONFLICT, "ASSESSMENT_MISSING").await;
    let stranger = json!({"effect": "x", "views": [{"community_id": 999999, "residents": "satisfied"}]});
    assert_error(app.put(&at("2026-H1"), &mz, stranger).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.put(&at("2026-H1"), &mz, json!({"effect": "", "views": [], "conclusion": "exit"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_error(app.post(&format!("{}/send", at("2026-H1")), &mz, json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let body = json!({"effect": "核查已完成，企业信息已由部门系统自动获取，社区再做属重复劳动",
        "views": [{"community_id": xingfu, "residents": "basically_satisfied", "deputies": "建议退出，减轻社区负担"}, {"community_id": hexie, "residents": "unsatisfied", "deputies": ""}],
        "conclusion": "exit", "comment": "建议退出"});
    let r = app.put(&at("2026-H1"), &mz, body.clone()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rec: Value = r.json().await.unwrap();
    assert_eq!((rec["stage"].as_str(), rec["conclusion"].as_str(), rec["views"].as_array().unwrap().len()), (Some("draft"), Some("exit"), 2));
    assert_error(app.post(&format!("{}/decide", at("2026-H1")), &ld, json!({"decision": "exit", "comment": "同意"})).await, StatusCode::CONFLICT, "ASSESSMENT_NOT_SENT").await;
    let r = app.post(&format!("{}/send", at("2026-H1")), &mz, json!({})).await;
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["stage"], "sent");
    let item = format!("assessment-{}", sent["id"]);
    assert!(crate::inbox::ids(&app, "lingdao").await.contains(&item), "the leading group's to-do");
    assert_error(app.put(&at("2026-H1"), &mz, body).await, StatusCode::CONFLICT, "ASSESSMENT_SENT").await;

    // The leading group decides; "exit" takes the task out of its communities.
    assert_eq!(app.post(&format!("{}/decide", at("2026-H1")), &mz, json!({"decision": "exit", "comment": "同意"})).await.status(), StatusCode::FORBIDDEN);
    assert_error(app.post(&format!("{}/decide", at("2026-H1")), &ld, json!({"decision": "exit", "comment": " "})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post(&format!("{}/decide", at("2026-H1")), &ld, json!({"decision": "exit", "comment": "同意退出，由部门自行办理"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let d: Value = r.json().await.unwrap();
    assert_eq!((d["stage"].as_str(), d["decision"].as_str(), d["decision_label"].as_str()), (Some("decided"), Some("exit"), Some("退出社区")));
    assert!(!crate::inbox::ids(&app, "lingdao").await.contains(&item), "decided: cleared");
    assert_error(app.post(&format!("{}/decide", at("2026-H1")), &ld, json!({"decision": "keep", "comment": "改主意"})).await, StatusCode::CONFLICT, "ASSESSMENT_NOT_SENT").await;
    let task: Value = app.get(&format!("/api/v1/admissions/{a}"), &mz).await.json().await.unwrap();
    assert_eq!(task["status"], "revoked");
    assert!(task["targets"].as_array().unwrap().iter().all(|t| t["status"] != "entered" && t["status"] != "admitted"), "{}", task["targets"]);
    let k: Value = app.get(&format!("/api/v1/contracts/{}", c["id"]), &mz).await.json().await.unwrap();
    assert_eq!((k["status"].as_str(), k["termination_code"].as_str()), (Some("terminated"), Some("ADMISSION_REVOKED")));
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");

    // On the page: the decision is shown to everyone who reads the assessment.
    let page = app.page_login("ducha").await.get(app.url("/admissions/assessment?period=2026-H1")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("领导小组已决定") && page.contains("退出社区"), "page");
}

#[tokio::test]
async fn the_demo_shows_the_whole_procedure() {
    let app = spawn_app().await;
    let templates = zhunru::contracts::template::load_embedded().unwrap();
    zhunru::demo::load_cases(&app.db, &templates).await.unwrap();
    zhunru::demo::load_procedure(&app.db, &templates).await.unwrap();
    let mz = app.token("minzheng").await;
    let contracts = app.list("/api/v1/contracts", &mz).await;
    assert!(contracts.as_array().unwrap().iter().any(|c| c["origin"] == "assist" && c["status"] == "active" && c["task"] == "人口监测"), "{contracts}");
    let open = app.list("/api/v1/disputes?status=open", &mz).await;
    assert_eq!(open.as_array().unwrap().len(), 1);
    let half = chrono::Utc::now().date_naive();
    let p = format!("{}-H{}", chrono::Datelike::year(&half), if chrono::Datelike::month(&half) > 6 { 2 } else { 1 });
    let rows = app.list(&format!("/api/v1/assessments/{p}"), &app.token("lingdao").await).await;
    assert!(rows.as_array().unwrap().iter().any(|r| r["assessment"]["stage"] == "sent"), "{rows}");
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
}
