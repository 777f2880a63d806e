//! Paging (API.md "Lists of records") and the read models behind the lists: every list
//! endpoint answers `{"items", "next_cursor"}`, cursors stay valid while records are added,
//! limits and cursors are checked, filters narrow, and a list shows each record as its
//! detail view does.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::sign_both;

async fn page(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app.get(path, token).await;
    assert_eq!(r.status(), StatusCode::OK, "GET {path}");
    r.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn cursors_walk_a_list_newest_first_and_survive_inserts() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "100000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await;
    let mut made = Vec::new();
    for _ in 0..7 {
        made.push(draft(&app, survey_contract(a, xingfu, "100.00")).await["id"].as_i64().unwrap());
    }
    let sj = app.token("shijian").await;
    let all = ids(&page(&app, "/api/v1/contracts?limit=500", &sj).await);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first: {all:?}");
    let first = page(&app, "/api/v1/contracts?limit=3", &sj).await;
    assert_eq!(ids(&first), all[..3]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    // A contract drafted between two pages appears on the first page only.
    let newer = draft(&app, survey_contract(a, xingfu, "100.00")).await["id"].as_i64().unwrap();
    let second = page(&app, &format!("/api/v1/contracts?limit=3&cursor={cursor}"), &sj).await;
    assert_eq!(ids(&second), all[3..6]);
    let third = page(&app, &format!("/api/v1/contracts?limit=3&cursor={}", second["next_cursor"].as_str().unwrap()), &sj).await;
    assert_eq!(ids(&third), all[6..]);
    assert_eq!(third["next_cursor"], Value::Null);
    assert_eq!(ids(&page(&app, "/api/v1/contracts?limit=1", &sj).await), vec![newer]);
    assert!(made.iter().all(|id| all.contains(id)));
    // Default 50, at most 500; nonsense is refused with a code, not ignored.
    // A blank limit is not "the default": the published type is an integer (schemathesis ST201).
    for bad in ["limit=0", "limit=501", "cursor=abc", "cursor=-4", "limit=x", "limit="] {
        let r = app.get(&format!("/api/v1/contracts?{bad}"), &sj).await;
        assert!(r.status() == StatusCode::UNPROCESSABLE_ENTITY || r.status() == StatusCode::BAD_REQUEST, "{bad}: {}", r.status());
    }
    assert_error(app.get("/api/v1/admissions?limit=501", &sj).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // Found by schemathesis: a year at the edge of i32 once overflowed into a panic.
    for list in ["admissions", "contracts"] {
        for year in ["2147483647", "-2147483648", "1999"] {
            assert_error(app.get(&format!("/api/v1/{list}?year={year}"), &sj).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        }
    }
}

#[tokio::test]
async fn filters_narrow_contracts_and_admissions() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "100000.00", "2026-03-01", "2026-04-30").await;
    let b = admitted(&app, "老年人信息核对", "100000.00", "2026-03-01", "2026-04-30").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let c1 = draft(&app, survey_contract(a, xingfu, "100.00")).await;
    let c2 = draft(&app, survey_contract(b, hexie, "200.00")).await;
    sign_both(&app, &c1["id"]).await;
    let sj = app.token("shijian").await;
    let got = |v: Value| ids(&v);
    assert_eq!(got(page(&app, "/api/v1/contracts?status=active", &sj).await), vec![c1["id"].as_i64().unwrap()]);
    assert_eq!(got(page(&app, "/api/v1/contracts?status=draft", &sj).await), vec![c2["id"].as_i64().unwrap()]);
    assert_eq!(got(page(&app, &format!("/api/v1/contracts?community_id={hexie}"), &sj).await), vec![c2["id"].as_i64().unwrap()]);
    let q = crate::helpers::percent("老年人");
    assert_eq!(got(page(&app, &format!("/api/v1/contracts?q={q}"), &sj).await), vec![c2["id"].as_i64().unwrap()]);
    let number = crate::helpers::percent(c1["number"].as_str().unwrap());
    assert_eq!(got(page(&app, &format!("/api/v1/contracts?q={number}"), &sj).await), vec![c1["id"].as_i64().unwrap()]);
    assert_eq!(got(page(&app, "/api/v1/contracts?year=2001", &sj).await), Vec::<i64>::new());
    // Empty fields from a filter form mean "any".
    assert_eq!(got(page(&app, "/api/v1/contracts?status=&year=&community_id=&q=", &sj).await).len(), 2);
    assert_eq!(got(page(&app, &format!("/api/v1/admissions?q={q}"), &sj).await), vec![b]);
    assert_eq!(got(page(&app, "/api/v1/admissions?status=admitted&year=", &sj).await).len(), 2);
    let in_force = got(page(&app, &format!("/api/v1/admissions?community_id={xingfu}"), &sj).await);
    assert!(in_force.contains(&a) && in_force.contains(&b), "both name both communities");
}

/// A list shows each record exactly as its detail view does (the admission list leaves
/// out the rule findings, which the detail view computes).
#[tokio::test]
async fn list_items_equal_their_detail_views() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "100000.00", "2026-03-01", "2026-04-30").await;
    let (xingfu, hexie) = (app.org_id("幸福社区").await, app.org_id("和谐社区").await);
    let c1 = draft(&app, survey_contract(a, xingfu, "100.00")).await;
    draft(&app, survey_contract(a, hexie, "333.33")).await;
    sign_both(&app, &c1["id"]).await;
    let r = app.post(&format!("/api/v1/contracts/{}/amendments", c1["id"]), &app.token("shijian").await, json!({"rationale_code": "BUDGET_ADJUSTMENT", "rationale": "增加走访户数", "amount": "150.00"})).await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    for who in ["shijian", "xingfu", "minzheng", "ducha"] {
        let t = app.token(who).await;
        let list = app.list("/api/v1/contracts", &t).await;
        assert!(!list.as_array().unwrap().is_empty(), "{who}");
        for c in list.as_array().unwrap() {
            let detail: Value = app.get(&format!("/api/v1/contracts/{}", c["id"]), &t).await.json().await.unwrap();
            assert_eq!(c, &detail, "{who}: contract {}", c["id"]);
        }
        let list = app.list("/api/v1/admissions", &t).await;
        for x in list.as_array().unwrap() {
            let mut detail: Value = app.get(&format!("/api/v1/admissions/{}", x["id"]), &t).await.json().await.unwrap();
            assert!(detail["findings"].is_array() && x.get("findings").is_none(), "{who}");
            detail.as_object_mut().unwrap().remove("findings");
            assert_eq!(x, &detail, "{who}: admission {}", x["id"]);
        }
    }
}

/// Every GET route whose answer the OpenAPI document declares as a page answers one, and
/// honours `limit`.
#[tokio::test]
async fn every_list_endpoint_pages() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "100000.00", "2026-03-01", "2026-04-30").await;
    let c = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "100.00")).await;
    let doc: Value = app.api.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let admin = app.token("admin").await;
    let me: Value = app.get("/api/v1/me", &admin).await.json().await.unwrap();
    let county = me["user"]["county_id"].as_i64().unwrap();
    let org = app.org_id("幸福社区").await;
    let mut paged = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let Some(get) = ops.get("get") else { continue };
        let schema = get["responses"]["200"]["content"]["application/json"]["schema"].to_string();
        let is_page = schema.contains("Page_") || path == "/api/v1/lists/{kind}";
        if !is_page {
            continue;
        }
        let url = path.replace("{kind}", "duty").replace("{period}", "2026-H1").replace("{county_id}", &county.to_string()).replace("orgs/{id}", &format!("orgs/{org}")).replace("{id}", &c["id"].to_string());
        let token = if path.contains("/contracts/") { app.token("shijian").await } else { admin.clone() };
        let v = page(&app, &format!("{url}?limit=1"), &token).await;
        assert!(v["items"].is_array() && v.get("next_cursor").is_some(), "{path}: {v}");
        assert!(v["items"].as_array().unwrap().len() <= 1, "{path}");
        assert_error(app.get(&format!("{url}?limit=501"), &token).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        paged.push(path.clone());
    }
    for expected in ["/api/v1/contracts", "/api/v1/admissions", "/api/v1/disbursements", "/api/v1/users", "/api/v1/orgs", "/api/v1/reports", "/api/v1/notices", "/api/v1/audit", "/api/v1/lists/changes"] {
        assert!(paged.iter().any(|p| p == expected), "{expected} pages: {paged:?}");
    }
    println!("paging: {} list endpoints answer pages", paged.len());
}

/// The pages page too: a filter form and a link to the next page that keeps the filters.
#[tokio::test]
async fn list_pages_link_to_the_next_page_keeping_their_filters() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "100000.00", "2026-03-01", "2026-04-30").await;
    let xingfu = app.org_id("幸福社区").await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(draft(&app, survey_contract(a, xingfu, "100.00")).await["number"].as_str().unwrap().to_string());
    }
    let client = app.page_login("shijian").await;
    let html = client.get(app.url("/contracts?status=draft&limit=2")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(&numbers[2]) && html.contains(&numbers[1]) && !html.contains(&numbers[0]), "newest two first");
    let start = html.find("rel=\"next\"").map(|i| html[..i].rfind("href=\"").unwrap() + 6).expect("a next link");
    let link = html[start..].split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&");
    assert!(link.contains("status=draft") && link.contains("limit=2") && link.contains("cursor="), "{link}");
    let next = client.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
    assert!(next.contains(&numbers[0]) && !next.contains(&numbers[2]), "the rest: {link} {numbers:?} {next}");
    assert!(!next.contains("rel=\"next\"") && next.contains("第一页"));
    let html = client.get(app.url("/admissions?status=&year=&q=")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("企业摸底"), "an empty filter form lists everything");
}
