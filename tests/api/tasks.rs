//! Issue 16: the tasks a community holds — from whom, under which contract, its money
//! (received, to confirm, disputed, owed) and the clauses it still has to deliver, each
//! with the deadline of the instalment it releases; a clause coming due is an inbox item.
use chrono::{Days, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::audit::signed_survey;
use crate::inbox::ids as inbox_ids;
use crate::helpers::{spawn_app, TestApp};
use crate::lifecycle::pay;

async fn tasks(app: &TestApp, user: &str) -> Vec<Value> {
    app.list("/api/v1/tasks", &app.token(user).await).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_community_sees_its_tasks_money_and_deadlines_and_nobody_elses() {
    let app = spawn_app().await;
    let (c, advance) = signed_survey(&app).await;
    let id = c["id"].as_i64().unwrap();
    let clause = c["clauses"].as_array().unwrap().iter().find(|k| k["performance"] == true).unwrap().clone();
    let rest = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"] == clause["id"]).unwrap().clone();
    let due: NaiveDate = rest["due"].as_str().unwrap().parse().unwrap();

    let mine = tasks(&app, "xingfu").await;
    assert_eq!(mine.len(), 1);
    let t = &mine[0];
    assert_eq!((t["contract_id"].as_i64(), t["task"].as_str(), t["department"].as_str(), t["number"].as_str()), (Some(id), Some("企业摸底"), Some("区市场监督管理局"), c["number"].as_str()));
    assert_eq!((t["amount"].as_str(), t["received"].as_str(), t["to_confirm"].as_str(), t["disputed"].as_str(), t["owed"].as_str()), (Some("3000.00"), Some("0.00"), Some("0.00"), Some("0.00"), Some("3000.00")));
    assert_eq!(t["deliver"].as_array().unwrap().len(), 1);
    assert_eq!((t["deliver"][0]["clause_id"].clone(), t["deliver"][0]["due"].as_str(), t["deliver"][0]["state"].as_str()), (clause["id"].clone(), Some(due.to_string().as_str()), Some("open")));
    assert!(tasks(&app, "hexie").await.is_empty(), "the other community holds nothing");
    assert_eq!(tasks(&app, "shijian").await.len(), 1, "the department sees the task it bought");
    assert!(tasks(&app, "weijian").await.is_empty());

    // Money as the community sees it: paid, then confirmed or disputed.
    let p1: Value = pay(&app, "tasks-1", &c, &advance, "500.00").await.json().await.unwrap();
    let p2: Value = pay(&app, "tasks-2", &c, &advance, "400.00").await.json().await.unwrap();
    let xf = app.token("xingfu").await;
    assert_eq!(app.post(&format!("/api/v1/disbursements/{}/confirm", p1["id"]), &xf, json!({})).await.status(), StatusCode::OK);
    let t = &tasks(&app, "xingfu").await[0];
    assert_eq!((t["received"].as_str(), t["to_confirm"].as_str(), t["disputed"].as_str(), t["owed"].as_str()), (Some("500.00"), Some("400.00"), Some("0.00"), Some("2100.00")));
    let r = app.post(&format!("/api/v1/disbursements/{}/dispute", p2["id"]), &xf, json!({"reason": "未见到账"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t = &tasks(&app, "xingfu").await[0];
    assert_eq!((t["received"].as_str(), t["to_confirm"].as_str(), t["disputed"].as_str()), (Some("500.00"), Some("0.00"), Some("400.00")));

    // The clause to deliver: in the inbox from two weeks before its deadline, overdue after.
    let item = format!("deliver-{}", clause["id"]);
    app.clock.set(Some(due - Days::new(15)));
    assert!(!inbox_ids(&app, "xingfu").await.iter().any(|i| i.starts_with(&item)), "not yet");
    app.clock.set(Some(due - Days::new(10)));
    assert!(inbox_ids(&app, "xingfu").await.contains(&item));
    assert!(!inbox_ids(&app, "hexie").await.iter().any(|i| i.starts_with("deliver-")));
    app.clock.set(Some(due + Days::new(1)));
    assert!(inbox_ids(&app, "xingfu").await.contains(&format!("{item}-overdue")));

    // Delivered: waiting for the department, off the community's list of work.
    let d: Value = app.post(&format!("/api/v1/contracts/{id}/deliverables"), &xf, json!({"clause_id": clause["id"], "summary": "商户汇总表"})).await.json().await.unwrap();
    assert!(!inbox_ids(&app, "xingfu").await.iter().any(|i| i.starts_with(&item)));
    assert_eq!(tasks(&app, "xingfu").await[0]["deliver"][0]["state"], "submitted");
    // Sent back: to deliver again, with the department's reason and the same deadline.
    app.post(&format!("/api/v1/deliverables/{}/reject", d["id"]), &app.token("shijian").await, json!({"comment": "缺少签字"})).await;
    let k = tasks(&app, "xingfu").await[0]["deliver"][0].clone();
    assert_eq!((k["state"].as_str(), k["due"].as_str()), (Some("rejected"), Some(due.to_string().as_str())));
    assert!(k["comment"].as_str().unwrap().ends_with("缺少签字"), "{k}");
    let v: Value = app.get("/api/v1/inbox", &xf).await.json().await.unwrap();
    let again = v["items"].as_array().unwrap().iter().find(|i| i["id"] == format!("redeliver-{}", d["id"])).unwrap().clone();
    assert_eq!(again["due"], due.to_string());
    assert_eq!(again["link"], format!("/contracts/{id}?clause={}#deliverable-form", clause["id"]));
    // Accepted: nothing left to deliver.
    let d2: Value = app.post(&format!("/api/v1/contracts/{id}/deliverables"), &xf, json!({"clause_id": clause["id"], "summary": "补签后的汇总表"})).await.json().await.unwrap();
    app.post(&format!("/api/v1/deliverables/{}/accept", d2["id"]), &app.token("shijian").await, json!({"comment": "合格"})).await;
    assert!(tasks(&app, "xingfu").await[0]["deliver"].as_array().unwrap().is_empty());
    assert!(!inbox_ids(&app, "xingfu").await.iter().any(|i| i.starts_with("deliver-") || i.starts_with("redeliver-")));
}

#[tokio::test]
async fn the_task_page_shows_a_community_its_money_and_what_to_deliver() {
    let app = spawn_app().await;
    let (c, _) = signed_survey(&app).await;
    let clause = c["clauses"].as_array().unwrap().iter().find(|k| k["performance"] == true).unwrap()["id"].as_i64().unwrap();
    let client = app.page_login("xingfu").await;
    let html = client.get(app.url("/tasks")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("我的任务与经费") && html.contains("企业摸底") && html.contains("区市场监督管理局"), "{html}");
    assert!(html.contains(&format!("/contracts/{}?clause={clause}#deliverable-form", c["id"])), "one tap to the deliverable form");
    assert!(html.contains("¥3,000.00"));
    // The link preselects the clause in the deliverable form.
    let form = client.get(app.url(&format!("/contracts/{}?clause={clause}", c["id"]))).send().await.unwrap().text().await.unwrap();
    assert!(form.contains(&format!("<option value=\"{clause}\" selected>")), "preselected");
    let other = app.page_login("hexie").await.get(app.url("/tasks")).send().await.unwrap().text().await.unwrap();
    assert!(!other.contains("企业摸底") && other.contains("暂无任务"));
}
