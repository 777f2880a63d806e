use reqwest::StatusCode;
use rust_xlsxwriter::Workbook;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

const BASIS: (&str, &str) = ("reason", "document");

fn change(mut item: Value, reason: &str) -> Value {
    item[BASIS.0] = json!(reason);
    item[BASIS.1] = json!("示范区城乡社区建设领导小组〔2026〕5号");
    item
}

async fn list(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(path, token).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

fn codes(list: &Value) -> Vec<String> {
    list["items"].as_array().unwrap().iter().map(|i| i["code"].as_str().unwrap().to_string()).collect()
}

fn item<'a>(list: &'a Value, code: &str) -> &'a Value {
    list["items"].as_array().unwrap().iter().find(|i| i["code"] == code).unwrap_or_else(|| panic!("{code} in {list}"))
}

#[tokio::test]
async fn every_role_reads_the_three_lists_of_its_county() {
    let app = spawn_app().await;
    for who in ["admin", "minzheng", "lingdao", "caizheng", "weijian", "xingfu", "ducha"] {
        let token = app.token(who).await;
        let neg = list(&app, &token, "/api/v1/lists/negative").await;
        assert_eq!(neg["items"].as_array().unwrap().len(), 8, "{who}");
    }
    let token = app.token("xingfu").await;
    let neg = list(&app, &token, "/api/v1/lists/negative").await;
    let titles: Vec<&str> = neg["items"].as_array().unwrap().iter().map(|i| i["title"].as_str().unwrap()).collect();
    for t in ["行政执法", "拆迁拆违", "环境整治", "城市管理", "招商引资", "协税护税", "经济创收", "生产安全"] {
        assert!(titles.contains(&t), "seed 001 §二(四): {t}");
    }
    let enforcement = item(&neg, "FM-01");
    assert_eq!(enforcement["needs_enforcement_authority"], true);
    assert_eq!(enforcement["status"], "active");
    for field in ["id", "code", "title", "basis", "needs_professional_qualification", "needs_enforcement_authority", "status"] {
        assert!(enforcement.get(field).is_some(), "API.md field {field}");
    }
    let assist = list(&app, &token, "/api/v1/lists/assist").await;
    assert!(item(&assist, "XB-01")["title"] == "食品安全协管");
    assert!(item(&assist, "XB-02")["title"] == "人口监测");
    let duty = list(&app, &token, "/api/v1/lists/duty").await;
    assert!(duty["items"].as_array().unwrap().len() >= 5);

    assert_error(app.get("/api/v1/lists/other", &token).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let r = app.api.get(app.url("/api/v1/lists/duty")).send().await.unwrap();
    assert_error(r, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED").await;
    // Search.
    let found = list(&app, &token, "/api/v1/lists/negative?q=违章建筑").await;
    assert_eq!(codes(&found), ["FM-02"]);
}

#[tokio::test]
async fn a_county_sees_only_its_own_lists() {
    let app = spawn_app().await;
    let (other, token) = app.second_county_reviewer().await;
    let neg = list(&app, &token, "/api/v1/lists/negative").await;
    assert!(neg["items"].as_array().unwrap().is_empty());
    assert!(neg["year"].is_null());
    let mine = list(&app, &app.token("minzheng").await, "/api/v1/lists/negative").await;
    let id = mine["items"][0]["id"].as_i64().unwrap();
    assert_error(app.get(&format!("/api/v1/lists/items/{id}"), &token).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let r = app.post(&format!("/api/v1/lists/items/{id}/cancel"), &token, json!({"reason": "x", "document": "y"})).await;
    assert_error(r, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let public: Value = app.api.get(app.url(&format!("/api/v1/public/{other}/lists/negative"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(public["county"], "邻县");
    assert!(public["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn only_the_reviewer_changes_lists_and_always_with_reason_and_document() {
    let app = spawn_app().await;
    let new_item = json!({"code": "XB-09", "title": "老年人高龄津贴申请协助", "basis": "《老年人权益保障法》", "department": "区民政局",
                          "keywords": ["高龄津贴"]});
    for who in ["weijian", "lingdao", "admin", "xingfu", "ducha"] {
        let token = app.token(who).await;
        let r = app.post("/api/v1/lists/assist/items", &token, change(new_item.clone(), "新增")).await;
        assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    }
    let mz = app.token("minzheng").await;
    let r = app.post("/api/v1/lists/assist/items", &mz, new_item.clone()).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let fields: Vec<&str> = body["error"]["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["reason", "document"]);
    // A negative item needs its reason; a title is always needed.
    let r = app.post("/api/v1/lists/negative/items", &mz, change(json!({"code": "FM-09", "title": "征兵任务摊派"}), "新增")).await;
    let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_eq!(body["error"]["details"][0]["field"], "negative_reason");
    let r = app.post("/api/v1/lists/duty/items", &mz, change(json!({"code": "LZ-99", "title": ""}), "新增")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;

    let r = app.post("/api/v1/lists/assist/items", &mz, change(new_item.clone(), "民政局提出，经领导小组同意")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["status"], "active");
    assert_eq!(created["kind"], "assist");
    // The same code again, even in another list.
    let r = app.post("/api/v1/lists/duty/items", &mz, change(new_item, "重复")).await;
    assert_error(r, StatusCode::CONFLICT, "ITEM_CODE_TAKEN").await;

    let assist = list(&app, &mz, "/api/v1/lists/assist").await;
    let active = assist["items"].as_array().unwrap().iter().filter(|i| i["status"] == "active").count();
    assert_eq!(active, 6, "five in force before, and the new one");
    let detail: Value = app.get(&format!("/api/v1/lists/items/{}", created["id"]), &mz).await.json().await.unwrap();
    let h = &detail["history"][0];
    assert_eq!(h["action"], "add");
    assert_eq!(h["reason"], "民政局提出，经领导小组同意");
    assert_eq!(h["document"], "示范区城乡社区建设领导小组〔2026〕5号");
    assert_eq!(h["user_name"], "民政局审核员");
}

#[tokio::test]
async fn adjusting_keeps_the_code_and_records_before_and_after() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    let assist = list(&app, &mz, "/api/v1/lists/assist").await;
    let food = item(&assist, "XB-01").clone();
    let id = food["id"].as_i64().unwrap();
    let mut body = food.clone();
    body["title"] = json!("食品安全协管（信息报告）");
    body["keywords"] = json!(["食品安全协管", "食品安全信息报告"]);
    let r = app.put(&format!("/api/v1/lists/items/{id}"), &mz, change(body.clone(), "明确只做信息报告")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let detail: Value = app.get(&format!("/api/v1/lists/items/{id}"), &mz).await.json().await.unwrap();
    assert_eq!(detail["item"]["code"], "XB-01");
    assert_eq!(detail["item"]["title"], "食品安全协管（信息报告）");
    let h = detail["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(h["action"], "adjust");
    assert_eq!(h["before"]["title"], "食品安全协管");
    assert_eq!(h["after"]["title"], "食品安全协管（信息报告）");
    assert_eq!(h["changed"], json!(["事项名称", "识别关键词"]));

    // Nothing changed; a different code; a change without a reason.
    let r = app.put(&format!("/api/v1/lists/items/{id}"), &mz, change(body.clone(), "再次保存")).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let mut moved = body.clone();
    moved["title"] = json!("改名");
    moved["reason"] = json!("");
    moved["document"] = json!("");
    let r = app.put(&format!("/api/v1/lists/items/{id}"), &mz, moved).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let detail2: Value = app.get(&format!("/api/v1/lists/items/{id}"), &mz).await.json().await.unwrap();
    assert_eq!(detail2, detail, "refused changes change nothing");
}

#[tokio::test]
async fn a_cancelled_item_leaves_the_public_lists_but_stays_readable() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    let county = app.get("/api/v1/me", &mz).await.json::<Value>().await.unwrap()["user"]["county_id"].as_i64().unwrap();
    let assist = list(&app, &mz, "/api/v1/lists/assist").await;
    let year = assist["year"].as_i64().unwrap();
    let id = item(&assist, "XB-03")["id"].as_i64().unwrap();
    let r = app.post(&format!("/api/v1/lists/items/{id}/cancel"), &mz, json!({"reason": "", "document": ""})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let r = app.post(&format!("/api/v1/lists/items/{id}/cancel"), &mz, json!({"reason": "民宗工作另有渠道", "document": "示范区委统战部函〔2026〕2号"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.post(&format!("/api/v1/lists/items/{id}/cancel"), &mz, json!({"reason": "再取消", "document": "x"})).await;
    assert_error(r, StatusCode::CONFLICT, "ITEM_CANCELLED").await;

    // The caller's list shows it as cancelled; the public one no longer shows it.
    let assist = list(&app, &mz, "/api/v1/lists/assist").await;
    assert_eq!(item(&assist, "XB-03")["status"], "cancelled");
    let public: Value = app.api.get(app.url(&format!("/api/v1/public/{county}/lists/assist"))).send().await.unwrap().json().await.unwrap();
    assert!(!codes(&public).contains(&"XB-03".to_string()));
    assert!(codes(&public).contains(&"XB-01".to_string()));
    assert!(public["items"].as_array().unwrap().iter().all(|i| i["status"] == "active"));
    let page = app.api.get(app.url(&format!("/public/{county}/lists"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("食品安全协管") && !html.contains("民宗信息联络"));
    assert!(!html.contains("协助开展爱国卫生检查评比"), "cancelled at this year's review");
    // Issue 29: a resident reads the legal basis by the documents' titles and numbers, on the
    // page and in the PDF; the API keeps the stored reference as it was entered.
    assert!(html.contains("四川省民政厅等四部门《关于建立城乡社区工作事项准入备案制度的指导意见》（2021年3月24日）第二部分第（四）项"), "negative list's basis named");
    assert!(html.contains("《社区减负增效》（安徽省安庆市迎江区经验做法）") && !html.contains("001 §") && !html.contains("004 迎江区"));
    let pdf = app.api.get(app.url(&format!("/public/{county}/lists.pdf"))).send().await.unwrap().bytes().await.unwrap();
    let text: String = pdf_extract::extract_text_from_mem(&pdf).unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.contains("《关于建立城乡社区工作事项准入备案制度的指导意见》") && !text.contains("001§"), "the PDF names the documents too");
    assert!(codes(&public).contains(&"XB-01".to_string()) && public["items"].as_array().unwrap().iter().any(|i| i["basis"].as_str().unwrap().contains("004 迎江区做法")));

    // Last year's version still has it, active, and cannot be changed any more.
    let old = list(&app, &mz, &format!("/api/v1/lists/assist?year={}", year - 1)).await;
    let old_item = item(&old, "XB-03");
    assert_eq!(old_item["status"], "active");
    let r = app.post(&format!("/api/v1/lists/items/{}/cancel", old_item["id"]), &mz, json!({"reason": "x", "document": "y"})).await;
    assert_error(r, StatusCode::CONFLICT, "LIST_VERSION_CLOSED").await;
    // The cancelled item itself reads back with its history.
    let detail: Value = app.get(&format!("/api/v1/lists/items/{id}"), &mz).await.json().await.unwrap();
    assert_eq!(detail["item"]["title"], "民宗信息联络");
    assert_eq!(detail["history"].as_array().unwrap().last().unwrap()["action"], "cancel");

    assert_error(app.api.get(app.url("/api/v1/public/999999/lists/duty")).send().await.unwrap(), StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_eq!(app.api.get(app.url("/public/999999/lists")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_annual_review_starts_a_new_version_and_reports_and_compares_years() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    let versions: Value = app.list("/api/v1/lists/versions", &mz).await;
    let vs = versions.as_array().unwrap();
    assert_eq!(vs.len(), 2, "demo: last year and this year");
    let (last, this) = (&vs[0], &vs[1]);
    assert_eq!(last["counts"]["total"], 20);
    assert_eq!(this["counts"]["total"], 19, "the demo review cancelled one item");
    assert_eq!(this["current"], true);
    let this_year = this["year"].as_i64().unwrap();

    let d: Value = app.get(&format!("/api/v1/lists/diff?from={}&to={this_year}", this_year - 1), &mz).await.json().await.unwrap();
    assert!(d["added"].as_array().unwrap().is_empty());
    assert_eq!(d["cancelled"][0]["code"], "XB-06");
    assert_eq!(d["adjusted"][0]["to"]["code"], "XB-02");
    assert_eq!(d["adjusted"][0]["changed"], json!(["事项说明"]));

    // Next year's review: starts from the items in force.
    let r = app.post("/api/v1/lists/versions", &app.token("weijian").await, json!({"year": this_year + 1})).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
    let r = app.post("/api/v1/lists/versions", &mz, json!({"year": this_year + 1})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app.post("/api/v1/lists/versions", &mz, json!({"year": this_year + 1})).await;
    assert_error(r, StatusCode::CONFLICT, "YEAR_NOT_AFTER_CURRENT").await;
    let r = app.post("/api/v1/lists/versions", &mz, json!({"year": this_year + 5})).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;

    let next = list(&app, &mz, "/api/v1/lists/assist").await;
    assert_eq!(next["year"], this_year + 1);
    assert_eq!(codes(&next), ["XB-01", "XB-02", "XB-03", "XB-04", "XB-05"], "cancelled items are not carried over");
    let id = item(&next, "XB-05")["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/lists/items/{id}/cancel"), &mz, json!({"reason": "并入XB-04", "document": "年度梳理"})).await;
    let versions: Value = app.list("/api/v1/lists/versions", &mz).await;
    let totals: Vec<i64> = versions.as_array().unwrap().iter().map(|v| v["counts"]["total"].as_i64().unwrap()).collect();
    assert_eq!(totals, [20, 19, 18], "fewer each year");
    let d: Value = app.get(&format!("/api/v1/lists/diff?from={this_year}&to={}", this_year + 1), &mz).await.json().await.unwrap();
    assert_eq!(d["cancelled"].as_array().unwrap().len(), 1);
    assert_eq!(d["cancelled"][0]["code"], "XB-05");
    assert!(d["adjusted"].as_array().unwrap().is_empty());
    assert_error(app.get("/api/v1/lists/diff?from=1999&to=2000", &mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
}

const HEADER: [&str; 10] = ["编号", "事项名称", "事项说明", "法律/文件依据", "责任部门", "类别", "识别关键词", "需专业资质", "需执法资格", "列入负面清单理由"];

/// A workbook as a county clerk would make it: (sheet name, rows under the header).
fn workbook(sheets: &[(&str, Vec<[&str; 10]>)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    for (name, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(*name).unwrap();
        for (c, h) in HEADER.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

fn good_sheets() -> Vec<(&'static str, Vec<[&'static str; 10]>)> {
    vec![
        ("依法履职事项清单", vec![["L1", "居民会议", "", "《城市居民委员会组织法》", "县民政局", "民主协商", "居民会议", "否", "否", ""]]),
        ("协助办理事项清单", vec![
            ["A1", "食品安全协管", "信息报告", "《食品安全法》", "县市场监管局", "食品安全", "食品安全协管、食品安全宣传", "否", "否", ""],
            ["A2", "人口监测", "", "", "县卫健局", "", "人口监测", "", "", ""],
        ]),
        ("工作负面事项清单", vec![["N1", "拆迁拆违", "", "001 §二(四)", "", "拆迁拆违", "拆迁、违建", "否", "是", "社区不具有执法主体资格"]]),
    ]
}

#[tokio::test]
async fn importing_a_good_workbook_applies_it_as_changes() {
    let app = spawn_app().await;
    let (_, token) = app.second_county_reviewer().await;
    let bytes = workbook(&good_sheets());
    let r = app.import(&token, bytes.clone(), true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (preview, changes) = split_changes(r.json().await.unwrap());
    assert_eq!(changes, [("新增", "L1"), ("新增", "A1"), ("新增", "A2"), ("新增", "N1")].map(|(a, c)| (a.to_string(), c.to_string())).to_vec().into_iter().collect::<std::collections::BTreeSet<_>>(), "the preview names each item");
    // The sheet leaves out the baseline negative items every county inherits: they stay.
    let baseline = json!(["行政执法", "拆迁拆违", "环境整治", "城市管理", "招商引资", "协税护税", "经济创收", "生产安全"]);
    assert_eq!(preview, json!({"added": 4, "adjusted": 0, "cancelled": 0, "baseline_kept": baseline, "dry_run": true}));
    assert!(list(&app, &token, "/api/v1/lists/assist").await["items"].as_array().unwrap().is_empty(), "a preview writes nothing");

    let r = app.import(&token, bytes.clone(), false).await;
    assert_eq!(split_changes(r.json::<Value>().await.unwrap()).0, json!({"added": 4, "adjusted": 0, "cancelled": 0, "baseline_kept": baseline, "dry_run": false}));
    let assist = list(&app, &token, "/api/v1/lists/assist").await;
    assert_eq!(codes(&assist), ["A1", "A2"]);
    assert_eq!(item(&assist, "A1")["keywords"], json!(["食品安全协管", "食品安全宣传"]));
    let neg = list(&app, &token, "/api/v1/lists/negative").await;
    assert_eq!(item(&neg, "N1")["needs_enforcement_authority"], true);
    let changes: Value = app.list("/api/v1/lists/changes", &token).await;
    assert_eq!(changes.as_array().unwrap().len(), 4);
    assert_eq!(changes[0]["document"], "邻县社区建设领导小组〔2026〕1号");

    // The next year's workbook: one adjusted, one gone.
    let mut sheets = good_sheets();
    sheets[1].1[0][2] = "信息报告与宣传";
    sheets[1].1.pop();
    // Previewed first: the item the workbook leaves out is named as cancelled, and stays.
    let (_, planned) = split_changes(app.import(&token, workbook(&sheets), true).await.json::<Value>().await.unwrap());
    assert_eq!(planned, [("调整", "A1"), ("取消", "A2")].map(|(a, c)| (a.to_string(), c.to_string())).into_iter().collect());
    assert_eq!(item(&list(&app, &token, "/api/v1/lists/assist").await, "A2")["status"], "active");
    let r = app.import(&token, workbook(&sheets), false).await;
    assert_eq!(split_changes(r.json::<Value>().await.unwrap()).0, json!({"added": 0, "adjusted": 1, "cancelled": 1, "baseline_kept": baseline, "dry_run": false}));
    let assist = list(&app, &token, "/api/v1/lists/assist").await;
    assert_eq!(item(&assist, "A2")["status"], "cancelled");
    assert_eq!(item(&assist, "A1")["description"], "信息报告与宣传");
}

#[tokio::test]
async fn a_bad_row_is_reported_by_sheet_and_row_and_nothing_is_imported() {
    let app = spawn_app().await;
    let (_, token) = app.second_county_reviewer().await;
    let cases: Vec<(&str, Box<dyn Fn(&mut Vec<(&'static str, Vec<[&'static str; 10]>)>)>, &str, usize, &str)> = vec![
        ("missing title", Box::new(|s| s[1].1[1][1] = ""), "协助办理事项清单", 3, "请填写事项名称"),
        ("unknown list name", Box::new(|s| s[0].0 = "重点工作清单"), "重点工作清单", 1, "未知的清单名称"),
        ("duplicate code", Box::new(|s| s[2].1[0][0] = "A1"), "工作负面事项清单", 2, "编号“A1”与工作表“协助办理事项清单”第2行重复"),
        ("wrong flag value", Box::new(|s| s[0].1[0][8] = "Y"), "依法履职事项清单", 2, "“需执法资格”须填“是”或“否”"),
    ];
    for (what, spoil, sheet, row, message) in cases {
        let mut sheets = good_sheets();
        spoil(&mut sheets);
        let r = app.import(&token, workbook(&sheets), false).await;
        let body = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "IMPORT_INVALID").await;
        let details = body["error"]["details"].as_array().unwrap();
        let hit = details.iter().find(|d| d["sheet"] == sheet && d["row"] == row);
        let hit = hit.unwrap_or_else(|| panic!("{what}: {sheet} row {row} in {details:?}"));
        assert!(hit["message"].as_str().unwrap().contains(message), "{what}: {hit}");
        for kind in ["duty", "assist", "negative"] {
            let l = list(&app, &token, &format!("/api/v1/lists/{kind}")).await;
            assert!(l["items"].as_array().unwrap().is_empty(), "{what}: nothing imported into {kind}");
        }
    }
    let r = app.import(&token, b"PK not really a zip".to_vec(), false).await;
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "IMPORT_INVALID").await;
    let r = app.import(&app.token("weijian").await, workbook(&good_sheets()), false).await;
    assert_error(r, StatusCode::FORBIDDEN, "FORBIDDEN").await;
}

#[tokio::test]
async fn export_then_import_gives_the_same_lists() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    let r = app.get("/api/v1/lists/export.xlsx", &mz).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let bytes = r.bytes().await.unwrap().to_vec();

    // Into the same county: nothing to change.
    let (same, changes) = split_changes(app.import(&mz, bytes.clone(), true).await.json().await.unwrap());
    assert_eq!(same, json!({"added": 0, "adjusted": 0, "cancelled": 0, "baseline_kept": [], "dry_run": true}));
    assert!(changes.is_empty());

    // Into another county: the same items, field by field.
    let (_, other) = app.second_county_reviewer().await;
    let r = app.import(&other, bytes, false).await;
    assert_eq!(r.status(), StatusCode::OK);
    let strip = |l: Value| -> Vec<Value> {
        l["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "active")
            .map(|i| {
                let mut i = i.clone();
                let o = i.as_object_mut().unwrap();
                o.remove("id");
                o.remove("year");
                i
            })
            .collect()
    };
    for kind in ["duty", "assist", "negative"] {
        let a = strip(list(&app, &mz, &format!("/api/v1/lists/{kind}")).await);
        let b = strip(list(&app, &other, &format!("/api/v1/lists/{kind}")).await);
        assert!(!a.is_empty());
        assert_eq!(a, b, "{kind}");
    }
    // The public download is the same workbook format.
    let county: Value = app.get("/api/v1/me", &mz).await.json().await.unwrap();
    let r = app.api.get(app.url(&format!("/api/v1/public/{}/lists.xlsx", county["user"]["county_id"]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
}

#[tokio::test]
async fn list_pages_for_reviewer_and_others() {
    let app = spawn_app().await;
    let c = app.page_login("minzheng").await;
    let html = c.get(app.url("/lists?kind=negative")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("工作负面事项清单") && html.contains("招商引资") && html.contains("新增事项"));
    let r = c
        .post(app.url("/lists/new"))
        .form(&[("kind", "assist"), ("code", "XB-20"), ("title", "退役军人信息采集协助"), ("keywords", "退役军人信息"),
                ("reason", "退役军人事务局申请"), ("document", "示范区城乡社区建设领导小组〔2026〕6号")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let html = c.get(app.url(&location)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("已新增事项") && html.contains("退役军人信息采集协助") && html.contains("退役军人事务局申请"));
    // A form with an error stays filled in and explains in Chinese.
    let r = c.post(app.url("/lists/new")).form(&[("kind", "negative"), ("code", "FM-20"), ("title", "摊派任务")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("负面清单事项须写明列入理由") && html.contains("请写明变更理由") && html.contains("摊派任务"));

    let other = app.page_login("weijian").await;
    let html = other.get(app.url("/lists?kind=assist")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("退役军人信息采集协助") && !html.contains("新增事项"));
    assert_eq!(other.get(app.url("/lists/new")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(other.get(app.url("/lists/import")).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let html = other.get(app.url("/lists/versions")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("各年度事项数") && !html.contains("开始新年度梳理"));
}

/// Issue 15: the eight negative items of 001 §二(四) are a baseline published above the
/// county. The county inherits them with each year's lists and may add to them, but no
/// path cancels or weakens them: not a cancel, not an adjustment, not an import whose
/// negative sheet leaves them out.
#[tokio::test]
async fn a_county_cannot_cancel_or_weaken_the_baseline_negative_list() {
    let app = spawn_app().await;
    let mz = app.token("minzheng").await;
    let neg = list(&app, &mz, "/api/v1/lists/negative").await;
    let base: Vec<&Value> = neg["items"].as_array().unwrap().iter().filter(|i| i["baseline"] == true).collect();
    assert_eq!(base.len(), 8, "{neg}");
    let tax = item(&neg, "FM-06").clone();
    let id = tax["id"].as_i64().unwrap();

    let r = app.post(&format!("/api/v1/lists/items/{id}/cancel"), &mz, json!({"reason": "本区不存在协税任务", "document": "示范区城乡社区建设领导小组〔2026〕5号"})).await;
    let e = assert_error(r, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    assert!(e["error"]["message"].as_str().unwrap().contains("协税护税"), "{e}");
    let mut fewer = tax.clone();
    fewer["keywords"] = json!(["协税护税"]);
    assert_error(app.put(&format!("/api/v1/lists/items/{id}"), &mz, change(fewer, "精简关键词")).await, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    let mut renamed = tax.clone();
    renamed["title"] = json!("税源信息采集");
    assert_error(app.put(&format!("/api/v1/lists/items/{id}"), &mz, change(renamed, "改名")).await, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    // Adding words is the county's to do.
    let mut more = tax.clone();
    more["keywords"].as_array_mut().unwrap().push(json!("清缴欠税"));
    assert_eq!(app.put(&format!("/api/v1/lists/items/{id}"), &mz, change(more, "补充本区常见说法")).await.status(), StatusCode::OK);

    // An import whose negative sheet holds only its header keeps every baseline item.
    let mut sheets = good_sheets();
    sheets[2].1.clear();
    let r = app.import(&mz, workbook(&sheets), false).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sum: Value = r.json().await.unwrap();
    assert_eq!(sum["baseline_kept"].as_array().unwrap().len(), 8, "{sum}");
    let neg = list(&app, &mz, "/api/v1/lists/negative").await;
    assert!(neg["items"].as_array().unwrap().iter().filter(|i| i["baseline"] == true).all(|i| i["status"] == "active"));
    // Nor does an import weaken one: a sheet row of FM-06 with fewer words is refused whole.
    let mut weaker = good_sheets();
    weaker[2].1 = vec![["FM-06", "协税护税", "协助征收税款、清缴欠税", "001 §二(四)；000 §二(三)", "", "协税护税", "协税护税", "否", "否", "不属于社区职责"]];
    let before = list(&app, &mz, "/api/v1/lists/negative").await;
    assert_error(app.import(&mz, workbook(&weaker), false).await, StatusCode::CONFLICT, "BASELINE_ITEM").await;
    assert_eq!(list(&app, &mz, "/api/v1/lists/negative").await, before, "nothing of the refused import stays");
    // … and the screening still refuses the work they name.
    let r = app.post("/api/v1/admissions/precheck", &app.token("shijian").await, json!({"title": "社区协助征收税款", "description": "清缴欠税", "basis": "x", "work_plan": "", "staffing": "",
        "target_community_ids": [app.org_id("幸福社区").await], "period_start": "2026-03-01", "period_end": "2026-04-30", "budget": "1000.00"})).await;
    let f: Value = r.json().await.unwrap();
    assert!(f["findings"].as_array().unwrap().iter().any(|x| x["code"] == "NEGATIVE_LIST"), "{f}");

    // A negative item the county added itself stays the county's to cancel.
    let own = json!({"code": "FM-09", "title": "代收代缴费用", "description": "代收各类费用", "basis": "本区规定", "department": "", "category": "代收费用",
        "keywords": ["代收费用"], "needs_professional_qualification": false, "needs_enforcement_authority": false, "negative_reason": "不属于社区职责"});
    let r = app.post("/api/v1/lists/negative/items", &mz, change(own, "本区增补")).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["baseline"], false);
    let r = app.post(&format!("/api/v1/lists/items/{}/cancel", added["id"]), &mz, json!({"reason": "并入基线事项", "document": "示范区城乡社区建设领导小组〔2026〕6号"})).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Next year's lists inherit the baseline again.
    let year = crate::helpers::this_year() + 1;
    let r = app.post("/api/v1/lists/versions", &mz, json!({"year": year})).await;
    assert!(r.status().is_success(), "{}", r.status());
    let neg = list(&app, &mz, "/api/v1/lists/negative").await;
    let next: Vec<&Value> = neg["items"].as_array().unwrap().iter().filter(|i| i["baseline"] == true && i["status"] == "active").collect();
    assert_eq!((neg["year"].as_i64(), next.len()), (Some(i64::from(year)), 8));
}

/// An assist item's funding standard is set apart from the item's fields: a workbook import
/// that adjusts the item leaves it, the next year carries it over, the change log shows it.
#[tokio::test]
async fn an_assist_items_funding_standard_survives_imports_and_the_next_year() {
    let app = spawn_app().await;
    let (_, token) = app.second_county_reviewer().await;
    assert_eq!(app.import(&token, workbook(&good_sheets()), false).await.status(), StatusCode::OK);
    let assist = list(&app, &token, "/api/v1/lists/assist").await;
    let a1 = item(&assist, "A1")["id"].as_i64().unwrap();
    let r = app.put(&format!("/api/v1/lists/items/{a1}/funding"), &token, json!({"amount": "600.00", "unit": "month", "reason": "核定协管经费", "document": "邻县财政局〔2026〕3号"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    // Changed by an import: the fields follow the sheet, the standard stays.
    let mut sheets = good_sheets();
    sheets[1].1[0][2] = "食品安全信息报告及宣传";
    let r = app.import(&token, workbook(&sheets), false).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["adjusted"], 1);
    let detail = list(&app, &token, &format!("/api/v1/lists/items/{a1}")).await;
    assert_eq!(detail["item"]["description"], "食品安全信息报告及宣传");
    assert_eq!(detail["item"]["funding"], json!({"amount": "600.00", "unit": "month"}));
    let logged: Vec<Vec<String>> = detail["history"].as_array().unwrap().iter().map(|c| serde_json::from_value(c["changed"].clone()).unwrap()).collect();
    assert!(logged.iter().any(|c| c == &vec!["经费标准".to_string()]), "{logged:?}");
    // The next year starts with it.
    let year = chrono::Datelike::year(&chrono::Utc::now()) + 1;
    assert_eq!(app.post("/api/v1/lists/versions", &token, json!({"year": year})).await.status(), StatusCode::CREATED);
    let next = list(&app, &token, "/api/v1/lists/assist").await;
    assert_eq!(item(&next, "A1")["funding"], json!({"amount": "600.00", "unit": "month"}));
    // Only assist items have one; half a standard, a zero one and an unchanged one are refused.
    let l1 = item(&list(&app, &token, "/api/v1/lists/duty").await, "L1")["id"].as_i64().unwrap();
    let basis = |v: Value| { let mut v = v; v["reason"] = json!("核定"); v["document"] = json!("邻县〔2027〕1号"); v };
    assert_error(app.put(&format!("/api/v1/lists/items/{l1}/funding"), &token, basis(json!({"amount": "100.00", "unit": "task"}))).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let a1 = item(&next, "A1")["id"].as_i64().unwrap();
    for bad in [json!({"amount": "100.00"}), json!({"unit": "month"}), json!({"amount": "0.00", "unit": "month"}), json!({"amount": "600.00", "unit": "month"})] {
        assert_error(app.put(&format!("/api/v1/lists/items/{a1}/funding"), &token, basis(bad)).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    // Cleared: the item has none.
    assert_eq!(app.put(&format!("/api/v1/lists/items/{a1}/funding"), &token, basis(json!({}))).await.status(), StatusCode::OK);
    assert!(list(&app, &token, &format!("/api/v1/lists/items/{a1}")).await["item"]["funding"].is_null());
}

/// An import's answer without its item-by-item changes, and those changes as (action, code).
fn split_changes(mut v: Value) -> (Value, std::collections::BTreeSet<(String, String)>) {
    let changes = v.as_object_mut().unwrap().remove("changes").expect("the changes, item by item");
    let set = changes.as_array().unwrap().iter().map(|c| (c["action"].as_str().unwrap().to_string(), c["code"].as_str().unwrap().to_string())).collect();
    (v, set)
}
