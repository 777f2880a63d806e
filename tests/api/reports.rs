//! Issue 14: dashboards and the county report hold the figures the ledger and the API
//! show, for each role's scope; bad report requests are refused with a code.
use std::collections::HashMap;

use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::registers::{demo_cases, fen, fen_of, text};

async fn json(app: &TestApp, path: &str, user: &str) -> Value {
    let r = app.get(path, &app.token(user).await).await;
    assert_eq!(r.status(), StatusCode::OK, "{path} as {user}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn each_dashboard_holds_the_ledgers_figures_for_its_scope() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    crate::registers::paid_in_part(&app).await;
    let d = json(&app, "/api/v1/dashboard", "caizheng").await;
    let year = d["year"].as_i64().unwrap();
    let summary = json(&app, &format!("/api/v1/funds/summary?year={year}"), "caizheng").await;
    assert_eq!(d["funds"], summary["county"], "county totals = /funds/summary");
    assert_eq!(d["departments"], summary["departments"], "department budgets and spending = the ledger's");
    assert_eq!(d["communities"], summary["communities"]);
    assert!(fen_of(&d["funds"]["disbursed"]) > 0, "the demo paid money: {}", d["funds"]);

    // Unconfirmed payments by age: every paid-but-unconfirmed payment, once.
    let unconfirmed = app.list("/api/v1/disbursements?status=paid", &app.token("caizheng").await).await;
    let total: i64 = unconfirmed.as_array().unwrap().iter().map(|p| fen_of(&p["amount"])).sum();
    let buckets: i64 = d["unconfirmed_by_age"].as_array().unwrap().iter().map(|b| fen_of(&b["amount"])).sum();
    let count: u64 = d["unconfirmed_by_age"].as_array().unwrap().iter().map(|b| b["count"].as_u64().unwrap()).sum();
    assert_eq!((buckets, count as usize), (total, unconfirmed.as_array().unwrap().len()));
    assert!(count > 0, "the demo leaves payments unconfirmed");

    // Admitted tasks per year = the approved applications the caller sees.
    let admissions = app.list("/api/v1/admissions", &app.token("caizheng").await).await;
    let approved = admissions.as_array().unwrap().iter().filter(|a| !a["approval_number"].is_null()).count() as i64;
    let per_year: i64 = d["admitted_per_year"].as_array().unwrap().iter().map(|y| y["admitted"].as_i64().unwrap()).sum();
    assert_eq!(per_year, approved);
    assert!(!d["list_sizes"].as_array().unwrap().is_empty());

    // A department sees its own budget line only; a community only its own money.
    let sj = json(&app, "/api/v1/dashboard", "shijian").await;
    let own: Vec<&Value> = summary["departments"].as_array().unwrap().iter().filter(|x| x["department"] == "区市场监督管理局").collect();
    assert_eq!(sj["departments"].as_array().unwrap().iter().collect::<Vec<_>>(), own);
    let xf = json(&app, "/api/v1/dashboard", "xingfu").await;
    assert!(xf["departments"].as_array().unwrap().is_empty());
    let mine: Vec<&Value> = summary["communities"].as_array().unwrap().iter().filter(|c| c["community"] == "幸福社区").collect();
    assert_eq!(xf["communities"].as_array().unwrap().iter().collect::<Vec<_>>(), mine);
    assert_eq!(xf["funds"]["disbursed"], mine[0]["disbursed"]);

    // The to-do counts are the inbox's.
    for user in ["minzheng", "lingdao", "caizheng", "shijian", "xingfu", "ducha"] {
        let d = json(&app, "/api/v1/dashboard", user).await;
        let inbox = json(&app, "/api/v1/inbox", user).await;
        let mut kinds: HashMap<String, u64> = HashMap::new();
        for i in inbox["items"].as_array().unwrap() {
            *kinds.entry(i["kind"].as_str().unwrap().to_string()).or_default() += 1;
        }
        let todos: HashMap<String, u64> = d["todos"].as_array().unwrap().iter().map(|t| (t["kind"].as_str().unwrap().to_string(), t["count"].as_u64().unwrap())).collect();
        assert_eq!(todos, kinds, "{user}");
        assert_eq!(d["unread"], inbox["unread"], "{user}");
    }
    let xf_todos = json(&app, "/api/v1/dashboard", "xingfu").await;
    assert!(xf_todos["todos"].as_array().unwrap().iter().any(|t| t["kind"] == "confirm"), "the demo's unconfirmed payments are the community's work: {}", xf_todos["todos"]);
}

fn workbook(bytes: Vec<u8>) -> HashMap<String, Vec<Vec<Data>>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    wb.sheet_names().into_iter().map(|n| (n.clone(), wb.worksheet_range(&n).unwrap().rows().map(|r| r.to_vec()).collect())).collect()
}

#[tokio::test]
async fn the_county_report_holds_the_figures_in_both_formats() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let period = format!("from={year}-01-01&to={year}-12-31");
    let mz = app.token("minzheng").await;
    let r = app.get(&format!("/api/v1/reports/county?{period}&format=xlsx"), &mz).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sheets = workbook(r.bytes().await.unwrap().to_vec());
    let summary = json(&app, &format!("/api/v1/funds/summary?year={year}"), "caizheng").await;

    // Department funds: the ledger's, row by row, and the total.
    let depts = &sheets["部门经费"];
    assert_eq!(text(&depts[0][0]), "部门经费");
    let rows = &depts[3..depts.len() - 1];
    let ledger = summary["departments"].as_array().unwrap();
    assert_eq!(rows.len(), ledger.len());
    for (row, d) in rows.iter().zip(ledger) {
        assert_eq!(text(&row[0]), d["department"].as_str().unwrap());
        assert_eq!((fen(&row[1]), fen(&row[3]), fen(&row[4])), (fen_of(&d["budget"]), fen_of(&d["disbursed"]), fen_of(&d["confirmed"])));
    }
    let budget_total: i64 = ledger.iter().map(|d| fen_of(&d["budget"])).sum();
    assert_eq!(fen(&depts.last().unwrap()[1]), budget_total);

    // Community funds of the period = the payments made this year.
    let paid = app.list("/api/v1/disbursements", &app.token("caizheng").await).await;
    let paid_total: i64 = paid.as_array().unwrap().iter().filter(|p| p["paid_at"].as_str().unwrap().starts_with(&year)).map(|p| fen_of(&p["amount"])).sum();
    let communities = &sheets["社区经费"];
    assert_eq!(fen(&communities.last().unwrap()[1]), paid_total);
    assert!(paid_total > 0);

    // Applications by department and outcome: every application made this year but drafts.
    let apps = app.list("/api/v1/admissions", &mz).await;
    let made = apps.as_array().unwrap().iter().filter(|a| a["status"] != "draft" && a["created_at"].as_str().unwrap().starts_with(&year)).count() as i64;
    let outcomes = &sheets["准入申请"];
    let total: i64 = outcomes[3..outcomes.len() - 1].iter().map(|r| fen(&r[5]) / 100).sum();
    assert_eq!(total, made);
    // Its total row adds the counts up (issue 26: it was empty).
    let last = outcomes.last().unwrap();
    assert_eq!(fen(&last[5]) / 100, made, "the 合计 row's total: {last:?}");
    for c in 1..5 {
        assert_eq!(fen(&last[c]), outcomes[3..outcomes.len() - 1].iter().map(|r| fen(&r[c])).sum::<i64>(), "column {c}");
    }

    // The PDF: the same figures in words and tables, with its charts.
    let r = app.get(&format!("/api/v1/reports/county?{period}"), &mz).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    let words: String = pdf_extract::extract_text_from_mem(&bytes).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(words.contains("情况报告"), "{}", &words[..200.min(words.len())]);
    assert!(words.contains(&format!("共提出准入申请{made}项")), "{words}");
    let grouped = zhunru::money::Money::from_fen(paid_total).grouped();
    assert!(words.contains(&format!("拨付经费{grouped}")), "{grouped} in {words}");
    let images = bytes.windows(b"/Subtype/Image".len()).filter(|w| *w == b"/Subtype/Image").count() + bytes.windows(b"/Subtype /Image".len()).filter(|w| *w == b"/Subtype /Image").count();
    assert!(images >= 4, "the charts are in the PDF ({images})");

    // Without a period: this year so far.
    let r = app.get("/api/v1/reports/county?format=xlsx", &mz).await;
    assert_eq!(r.status(), StatusCode::OK);
    let this_year = workbook(r.bytes().await.unwrap().to_vec());
    let today = chrono::Utc::now().date_naive();
    assert_eq!(text(&this_year["部门经费"][1][0]), format!("报告期：{year}-01-01 至 {today}"));

    // A period that ended yesterday holds none of today's records.
    let yesterday = today - chrono::Days::new(1);
    let month_before = yesterday - chrono::Days::new(30);
    let r = app.get(&format!("/api/v1/reports/county?from={month_before}&to={yesterday}&format=xlsx"), &mz).await;
    let before = workbook(r.bytes().await.unwrap().to_vec());
    assert_eq!(fen(&before["社区经费"].last().unwrap()[1]), 0, "no payment of today");
    assert_eq!(before["准入申请"].len(), 4, "no application of today: title, scope, header, total");

    // Refused, with a code: no period, a period backwards, an unknown format; not the
    // department's or the community's report.
    for (query, field) in [("from=1999-01-01&to=2026-12-31", "from"), ("from=2026-12-31&to=2026-01-01", "to"), ("from=2020-01-01&to=2026-12-31", "to"), (&format!("{period}&format=doc")[..], "format")] {
        let body = assert_error(app.get(&format!("/api/v1/reports/county?{query}"), &mz).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert!(body.to_string().contains(field), "{query}: {body}");
    }
    for user in ["shijian", "xingfu"] {
        assert_error(app.get(&format!("/api/v1/reports/county?{period}"), &app.token(user).await).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
}
