//! Issue 15: levels above the county — filing (备案) of lists and admissions, a city
//! looking into its counties read-only, the city's negative list as its counties'
//! baseline, and a city department applying to the city's leading group.
use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::contracts::admitted;
use crate::helpers::{assert_error, spawn_app, TestApp, PASSWORD};

async fn county_id(app: &TestApp, token: &str) -> i64 {
    app.get("/api/v1/me", token).await.json::<Value>().await.unwrap()["user"]["county_id"].as_i64().unwrap()
}

async fn json_of(r: reqwest::Response, status: StatusCode) -> Value {
    let got = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn application(title: &str, description: &str, communities: &[i64]) -> Value {
    json!({"title": title, "description": description, "basis": "示范市〔2026〕3号", "work_plan": "按月开展",
           "target_community_ids": communities, "period_start": "2026-03-01", "period_end": "2026-06-30", "staffing": "网格员", "budget": "3000.00"})
}

#[tokio::test]
async fn a_county_files_its_lists_and_decided_admissions_and_the_city_sees_what_and_when() {
    let app = spawn_app().await;
    let (mz, city_mz) = (app.token("minzheng").await, app.token("shi-minzheng").await);
    let county = county_id(&app, &mz).await;
    let city = county_id(&app, &city_mz).await;
    assert_ne!(county, city);

    // The county sees itself, with nothing below it.
    let own = json_of(app.get("/api/v1/region", &mz).await, StatusCode::OK).await;
    assert_eq!((own["name"].as_str(), own["level"].as_str(), own["below"].as_array().unwrap().len()), (Some("示范区"), Some("county"), 0));
    assert_eq!((own["lists_changed_since_filing"].as_bool(), own["parent_id"].as_i64()), (Some(true), Some(city)));
    // The city sees the county, not yet filed.
    let region = json_of(app.get("/api/v1/region", &city_mz).await, StatusCode::OK).await;
    assert_eq!((region["name"].as_str(), region["level"].as_str()), (Some("示范市"), Some("city")));
    let below = &region["below"][0];
    assert_eq!((below["id"].as_i64(), below["lists_changed_since_filing"].as_bool()), (Some(county), Some(true)));
    assert!(below["lists_filed_at"].is_null());

    // Civil affairs files; the same lists twice is refused; others may not file.
    let f = json_of(app.post("/api/v1/lists/filing", &mz, json!({})).await, StatusCode::CREATED).await;
    assert_eq!((f["kind"].as_str(), f["county_id"].as_i64(), f["region_id"].as_i64()), (Some("lists"), Some(county), Some(city)));
    assert!(f["content"]["items"].as_array().unwrap().iter().any(|i| i["title"] == "协税护税" && i["baseline"] == true), "{f}");
    assert_eq!(f["digest"].as_str().unwrap().len(), 64);
    assert_error(app.post("/api/v1/lists/filing", &mz, json!({})).await, StatusCode::CONFLICT, "ALREADY_FILED").await;
    assert_error(app.post("/api/v1/lists/filing", &app.token("shijian").await, json!({})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let below = &json_of(app.get("/api/v1/region", &city_mz).await, StatusCode::OK).await["below"][0];
    assert_eq!(below["lists_changed_since_filing"], false);
    assert_eq!(below["lists_filed_at"], f["filed_at"]);

    // An admission is filed as it is decided, with its approval number and communities.
    let id = admitted(&app, "辖区企业年报催报", "1500.00", "2026-05-01", "2026-05-31").await;
    let filed = app.list(&format!("/api/v1/filings?kind=admission&county_id={county}"), &city_mz).await;
    let a = filed.as_array().unwrap().iter().find(|x| x["record_id"] == id).unwrap_or_else(|| panic!("{filed}"));
    assert_eq!(a["content"]["event"], "批准准入");
    assert!(a["content"]["approval_number"].as_str().unwrap().contains("准字"), "{a}");
    assert_eq!(a["content"]["communities"].as_array().unwrap().len(), 2);
    assert!(a["filed_at"].as_str().is_some());
    // A refusal is filed too.
    let sj = app.token("shijian").await;
    let r = json_of(app.post("/api/v1/admissions", &sj, application("辖区商户信息核对", "入户核对", &[app.org_id("幸福社区").await])).await, StatusCode::CREATED).await;
    let rid = r["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/admissions/{rid}/submit"), &sj, json!({})).await;
    app.post(&format!("/api/v1/admissions/{rid}/review"), &mz, json!({"opinion": "reject", "comment": "部门自有职责"})).await;
    json_of(app.post(&format!("/api/v1/admissions/{rid}/decide"), &app.token("lingdao").await, json!({"decision": "reject", "comment": "不予准入"})).await, StatusCode::OK).await;
    let filed = app.list("/api/v1/filings?kind=admission", &city_mz).await;
    assert!(filed.as_array().unwrap().iter().any(|x| x["record_id"] == rid && x["content"]["event"] == "不予准入"), "{filed}");
    let this_year = json_of(app.get("/api/v1/region", &city_mz).await, StatusCode::OK).await["below"][0]["admissions_filed_this_year"].as_u64().unwrap();
    assert!(this_year >= 2, "{this_year}");

    // Two racing filings of changed lists: one is taken, the other is told it is filed.
    let r = app.post("/api/v1/lists/duty/items", &mz, json!({"code": "LZ-31", "title": "困难群众走访协助", "keywords": ["困难群众走访"],
        "reason": "新增", "document": "示范区城乡社区建设领导小组〔2026〕9号"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (a, b) = tokio::join!(app.post("/api/v1/lists/filing", &mz, json!({})), app.post("/api/v1/lists/filing", &mz, json!({})));
    let mut got = [a.status(), b.status()];
    got.sort();
    assert_eq!(got, [StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(app.list(&format!("/api/v1/filings?kind=lists&county_id={county}"), &city_mz).await.as_array().unwrap().len(), 2);

    // The lists change: the city sees it until the county files again.
    let r = app.post("/api/v1/lists/duty/items", &mz, json!({"code": "LZ-30", "title": "老年人能力评估协助", "keywords": ["老年人能力评估"],
        "reason": "新增", "document": "示范区城乡社区建设领导小组〔2026〕9号"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    assert_eq!(json_of(app.get("/api/v1/region", &city_mz).await, StatusCode::OK).await["below"][0]["lists_changed_since_filing"], true);
    json_of(app.post("/api/v1/lists/filing", &mz, json!({})).await, StatusCode::CREATED).await;
    assert_eq!(json_of(app.get("/api/v1/region", &city_mz).await, StatusCode::OK).await["below"][0]["lists_changed_since_filing"], false);
    assert_eq!(app.list(&format!("/api/v1/filings?kind=lists&county_id={county}"), &city_mz).await.as_array().unwrap().len(), 3);

    // Scope: a county reads its own filings, not the city's; another county none of these.
    assert_error(app.get(&format!("/api/v1/filings?county_id={city}"), &mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let (other, other_mz) = app.second_county_reviewer().await;
    assert!(app.list("/api/v1/filings", &other_mz).await.as_array().unwrap().is_empty());
    assert_error(app.get(&format!("/api/v1/filings?county_id={other}"), &city_mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.get("/api/v1/filings?kind=everything", &city_mz).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(app.get("/api/v1/filings", &sj).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn a_city_user_looks_into_a_county_below_read_only_and_returns() {
    let app = spawn_app().await;
    let id = admitted(&app, "辖区企业年报催报", "1500.00", "2026-05-01", "2026-05-31").await;
    let (mz, city_mz, city_ducha) = (app.token("minzheng").await, app.token("shi-minzheng").await, app.token("shi-ducha").await);
    let (county, city) = (county_id(&app, &mz).await, county_id(&app, &city_mz).await);
    // At home the city's reviewer sees the city's own records (none of the county's).
    assert!(app.list("/api/v1/admissions", &city_mz).await.as_array().unwrap().iter().all(|a| a["id"] != id));
    assert_error(app.get(&format!("/api/v1/admissions/{id}"), &city_mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;

    let v = json_of(app.post("/api/v1/region/view", &city_mz, json!({"county_id": county})).await, StatusCode::OK).await;
    assert_eq!((v["name"].as_str(), v["read_only"].as_bool()), (Some("示范区"), Some(true)));
    let me = json_of(app.get("/api/v1/me", &city_mz).await, StatusCode::OK).await;
    assert_eq!((me["acting"]["role"].as_str(), me["acting"]["county_id"].as_i64(), me["user"]["role"].as_str()), (Some("supervisor"), Some(county), Some("reviewer")), "looking in, the reviewer acts as the county's supervisor: {me}");
    // Reads: lists, admissions, contracts, funds, reports, the audit trail.
    assert!(app.list("/api/v1/admissions", &city_mz).await.as_array().unwrap().iter().any(|a| a["id"] == id));
    for path in ["/api/v1/lists/negative", "/api/v1/contracts", "/api/v1/funds/summary", "/api/v1/reports", "/api/v1/audit", &format!("/api/v1/admissions/{id}")] {
        assert_eq!(app.get(path, &city_mz).await.status(), StatusCode::OK, "{path}");
    }
    // Writes: none, not even what the reviewer could do at home.
    assert_error(app.post("/api/v1/lists/filing", &city_mz, json!({})).await, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r = app.post("/api/v1/lists/negative/items", &city_mz, json!({"code": "FM-40", "title": "x", "reason": "x", "document": "x"})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    // Another session of the same user is still at home.
    let home = app.token("shi-minzheng").await;
    assert_eq!(json_of(app.get("/api/v1/me", &home).await, StatusCode::OK).await["acting"]["role"], "reviewer");

    // Only below: not a county outside the city, not upwards, not for a department or a community.
    let (other, _) = app.second_county_reviewer().await;
    assert_error(app.post("/api/v1/region/view", &city_ducha, json!({"county_id": other})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post("/api/v1/region/view", &mz, json!({"county_id": city})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post("/api/v1/region/view", &mz, json!({"county_id": other})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post("/api/v1/region/view", &city_ducha, json!({"county_id": 999_999})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.post("/api/v1/region/view", &city_ducha, json!({})).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;

    // Back home: the reviewer again.
    let v = json_of(app.post("/api/v1/region/view", &city_mz, json!({"county_id": city})).await, StatusCode::OK).await;
    assert_eq!(v["read_only"], false);
    assert_eq!(json_of(app.get("/api/v1/me", &city_mz).await, StatusCode::OK).await["acting"], json!({"county_id": city, "role": "reviewer", "read_only": false}));
    assert_error(app.get(&format!("/api/v1/admissions/{id}"), &city_mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    // Looking in and returning are in the city's audit trail.
    let trail = app.list("/api/v1/audit?action=region.view", &app.token("shi-ducha").await).await;
    assert!(trail.as_array().unwrap().iter().any(|e| e["entity_id"] == county), "{trail}");

    // The city's home page lists its counties, not a county's figures all zero (issue 29);
    // looking in, the county's figures are there.
    let c = app.page_login("shi-ducha").await;
    let home = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("id=\"below-counties\"") && home.contains("示范区") && !home.contains("id=\"figures\""), "{home}");
    let county_home = app.page_login("ducha").await.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(county_home.contains("id=\"figures\"") && !county_home.contains("id=\"below-counties\""));

    // The pages: a banner while looking in, the way back, and the overview.
    let html = c.get(app.url("/region")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("示范区") && html.contains("进入查看（只读）"), "{html}");
    let csrf = crate::helpers::csrf_of(&html);
    let r = c.post(app.url("/region/view")).form(&[("county_id", county.to_string()), ("_csrf", csrf.clone())]).send().await.unwrap();
    assert_eq!((r.status(), r.headers()["location"].to_str().unwrap()), (StatusCode::SEE_OTHER, "/"));
    let html = c.get(app.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("正在以上级身份查看") && html.contains("返回本级"), "{html}");
    assert!(html.contains("id=\"figures\"") && !html.contains("id=\"below-counties\""), "the county's own figures while looking in");
    let html = c.get(app.url("/admissions")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("辖区企业年报催报"));
    let csrf = crate::helpers::csrf_of(&html);
    let r = c.post(app.url("/region/view")).form(&[("county_id", "home".to_string()), ("_csrf", csrf)]).send().await.unwrap();
    assert_eq!(r.headers()["location"], "/region?done=home");
    let html = c.get(app.url("/region?done=home")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("已返回本级") && !html.contains("正在以上级身份查看"), "{html}");
}

#[tokio::test]
async fn the_citys_negative_list_binds_its_counties_at_once_and_they_cannot_cancel_it() {
    let app = spawn_app().await;
    let (mz, city_mz, sj) = (app.token("minzheng").await, app.token("shi-minzheng").await, app.token("shijian").await);
    let xingfu = app.org_id("幸福社区").await;
    let task = application("社区慈善月活动", "向辖区居民下达募捐指标并按户统计", &[xingfu]);
    let blocking = |v: &Value| v["findings"].as_array().unwrap().iter().any(|f| f["blocking"] == true);
    let before = json_of(app.post("/api/v1/admissions/precheck", &sj, task.clone()).await, StatusCode::OK).await;
    assert!(!blocking(&before), "{before}");

    // The city publishes a negative item of its own.
    let r = app.post("/api/v1/lists/negative/items", &city_mz, json!({"code": "SJ-01", "title": "摊派募捐", "keywords": ["摊派", "募捐指标"],
        "negative_reason": "募捐应当自愿", "reason": "发布本市负面清单", "document": "示范市城乡社区治理领导小组〔2026〕2号"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    // The county's negative list page shows it as in force from above.
    let page = app.page_login("minzheng").await;
    let html = page.get(app.url("/lists?kind=negative")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("上级发布的负面事项") && html.contains("摊派募捐") && html.contains("示范市发布"), "{html}");
    // The county's screening refuses it at once, whatever the county's own lists hold.
    let after = json_of(app.post("/api/v1/admissions/precheck", &sj, task.clone()).await, StatusCode::OK).await;
    assert!(blocking(&after), "{after}");
    let a = json_of(app.post("/api/v1/admissions", &sj, task.clone()).await, StatusCode::CREATED).await;
    let r = app.post(&format!("/api/v1/admissions/{}/submit", a["id"]), &sj, json!({})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "ADMISSION_BLOCKED").await;
    // A county outside the city is not bound by it.
    let (_, other_mz) = app.second_county_reviewer().await;
    let hash = zhunru::platform::auth::hash_password(PASSWORD);
    let other_county = county_id(&app, &other_mz).await;
    let root = zhunru::orgs::store::insert_org(&app.db, other_county, None, zhunru::orgs::OrgKind::Department, "邻县民政事务局").await.unwrap();
    zhunru::orgs::store::insert_user(&app.db, other_county, root.id, &zhunru::orgs::Username::parse("linxian-dept").unwrap(), "邻县经办人", zhunru::orgs::Role::Department, &hash).await.unwrap();
    let other_dept = app.token("linxian-dept").await;
    let community = zhunru::orgs::store::insert_org(&app.db, other_county, None, zhunru::orgs::OrgKind::Community, "邻县社区").await.unwrap();
    let r = json_of(app.post("/api/v1/admissions/precheck", &other_dept, application("社区慈善月活动", "向辖区居民下达募捐指标并按户统计", &[community.id])).await, StatusCode::OK).await;
    assert!(!blocking(&r), "{r}");

    // The county's next year inherits it as a baseline item: no cancel, no weakening.
    let year = chrono::Utc::now().year() + 1;
    json_of(app.post("/api/v1/lists/versions", &mz, json!({"year": year})).await, StatusCode::CREATED).await;
    let neg = json_of(app.get("/api/v1/lists/negative", &mz).await, StatusCode::OK).await;
    let item = neg["items"].as_array().unwrap().iter().find(|i| i["title"] == "摊派募捐").unwrap_or_else(|| panic!("{neg}")).clone();
    assert_eq!(item["baseline"], true);
    let html = page.get(app.url("/lists?kind=negative")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("摊派募捐") && !html.contains("上级发布的负面事项"), "now in the county's own list");
    let r = app.post(&format!("/api/v1/lists/items/{}/cancel", item["id"]), &mz, json!({"reason": "本区无此情况", "document": "示范区〔2027〕1号"})).await;
    assert_error(r, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    let mut fewer = item.clone();
    fewer["keywords"] = json!(["摊派"]);
    fewer["reason"] = json!("精简");
    fewer["document"] = json!("示范区〔2027〕1号");
    assert_error(app.put(&format!("/api/v1/lists/items/{}", item["id"]), &mz, fewer).await, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    // Adding words is allowed.
    let mut more = item.clone();
    more["keywords"] = json!(["摊派", "募捐指标", "捐款任务"]);
    more["reason"] = json!("增补");
    more["document"] = json!("示范区〔2027〕1号");
    assert_eq!(app.put(&format!("/api/v1/lists/items/{}", item["id"]), &mz, more).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_city_department_applies_to_the_citys_leading_group_one_level_up() {
    use zhunru::orgs::{store, OrgKind, Role, Username};
    let app = spawn_app().await;
    let city_mz = app.token("shi-minzheng").await;
    let city = county_id(&app, &city_mz).await;
    // A province above the city: the city's admissions are filed there.
    let hash = zhunru::platform::auth::hash_password(PASSWORD);
    let (province, proot, _) = store::create_jurisdiction(&app.db, "示范省", zhunru::region::Level::Province, None, &Username::parse("sheng-admin").unwrap(), &hash).await.unwrap();
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    entity::county::Entity::update_many()
        .col_expr(entity::county::Column::ParentId, sea_orm::sea_query::Expr::value(province.id))
        .filter(entity::county::Column::Id.eq(city))
        .exec(&app.db)
        .await
        .unwrap();
    store::insert_user(&app.db, province.id, proot.id, &Username::parse("sheng-ducha").unwrap(), "省督查", Role::Supervisor, &hash).await.unwrap();
    // A city cannot sit under a county, nor a province under a city.
    let e = store::create_jurisdiction(&app.db, "错位市", zhunru::region::Level::City, Some(county_id(&app, &app.token("minzheng").await).await), &Username::parse("cuowei").unwrap(), &hash).await.unwrap_err();
    assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The city's own department and a community the city governs directly.
    let root = entity::organisation::Entity::find()
        .filter(entity::organisation::Column::CountyId.eq(city))
        .filter(entity::organisation::Column::ParentId.is_null())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let dept = store::insert_org(&app.db, city, Some(root.id), OrgKind::Department, "市住房和城乡建设局").await.unwrap();
    store::insert_user(&app.db, city, dept.id, &Username::parse("shi-zhujian").unwrap(), "市住建局经办人", Role::Department, &hash).await.unwrap();
    let community = store::insert_org(&app.db, city, Some(root.id), OrgKind::Community, "城中社区").await.unwrap();
    let zj = app.token("shi-zhujian").await;
    let a = json_of(app.post("/api/v1/admissions", &zj, application("老旧小区改造意愿征询", "入户征询改造意愿", &[community.id])).await, StatusCode::CREATED).await;
    let id = a["id"].as_i64().unwrap();
    json_of(app.post(&format!("/api/v1/admissions/{id}/submit"), &zj, json!({})).await, StatusCode::OK).await;
    // The county's bodies have no say in it; the city's do.
    assert_error(app.post(&format!("/api/v1/admissions/{id}/review"), &app.token("minzheng").await, json!({"opinion": "approve", "comment": "同意"})).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    json_of(app.post(&format!("/api/v1/admissions/{id}/review"), &city_mz, json!({"opinion": "approve", "comment": "同意"})).await, StatusCode::OK).await;
    let d = json_of(app.post(&format!("/api/v1/admissions/{id}/decide"), &app.token("shi-lingdao").await, json!({"decision": "approve", "comment": "同意"})).await, StatusCode::OK).await;
    assert_eq!(d["status"], "admitted");
    assert!(d["approval_number"].as_str().unwrap().starts_with("示范市"), "{d}");
    // Filed with the province, which sees it and the city below it (and the county below that).
    let ducha = app.token("sheng-ducha").await;
    let filed = app.list("/api/v1/filings?kind=admission", &ducha).await;
    let f = filed.as_array().unwrap().iter().find(|f| f["record_id"] == id && f["county_id"] == city).unwrap_or_else(|| panic!("{filed}"));
    assert_eq!(f["region_id"].as_i64(), Some(province.id));
    let region = json_of(app.get("/api/v1/region", &ducha).await, StatusCode::OK).await;
    let names: Vec<&str> = region["below"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["示范市", "示范区"]);
}
