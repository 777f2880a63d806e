//! Registers (台账, issue 14): each file opens, holds the rows and figures the API shows,
//! totals included, only of what the caller may see; bad filters are refused with a code.
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, day, spawn_app, TestApp};

pub async fn demo_cases(app: &TestApp) {
    let templates = zhunru::contracts::template::load_embedded().unwrap();
    zhunru::demo::load_cases(&app.db, &templates).await.unwrap();
}

/// A contract with 幸福社区 paid in part and not yet confirmed: its advance, due at its start
/// (up to ten days ago, within this year, so that it counts in this year's funds). The demo's
/// monthly payments fall due at month ends, so in the first days of January it has paid
/// 幸福社区 nothing yet; tests that need such a payment make their own.
pub async fn paid_in_part(app: &TestApp) -> Value {
    let jan1 = chrono::NaiveDate::from_ymd_opt(crate::helpers::this_year(), 1, 1).unwrap();
    let start = (crate::helpers::today() - chrono::Duration::days(10)).max(jan1).to_string();
    let a = crate::contracts::admitted(app, "辖区商户信息核对", "3000.00", &start, &day(50)).await;
    let mut body = crate::contracts::survey_contract(a, app.org_id("幸福社区").await, "3000.00");
    body["variables"]["delivery_date"] = json!(day(40));
    let c = crate::lifecycle::sign_both(app, &crate::contracts::draft(app, body).await["id"]).await;
    let advance = c["milestones"].as_array().unwrap().iter().find(|m| m["clause_id"].is_null()).unwrap().clone();
    let r = crate::lifecycle::pay(app, &format!("part-{}", c["id"]), &c, &advance, advance["amount"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    c
}

/// The register's sheet: rows as text (numbers as they read back), header at row 3.
pub async fn sheet(app: &TestApp, path: &str, token: &str) -> Vec<Vec<Data>> {
    let r = app.get(path, token).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    assert!(r.headers()["content-type"].to_str().unwrap().contains("spreadsheetml"));
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(".xlsx"));
    cells(r.bytes().await.unwrap().to_vec())
}

/// The cells of a workbook's first sheet.
fn cells(xlsx: Vec<u8>) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let name = wb.sheet_names()[0].clone();
    wb.worksheet_range(&name).unwrap().rows().map(|r| r.to_vec()).collect()
}

pub fn fen(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 100.0).round() as i64,
        Data::Int(i) => i * 100,
        Data::Empty => 0,
        other => panic!("not a number: {other:?}"),
    }
}

pub fn fen_of(s: &Value) -> i64 {
    let s = s.as_str().unwrap();
    let (y, f) = s.split_once('.').unwrap();
    y.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap()
}

pub fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// Column index of a header.
pub fn at(rows: &[Vec<Data>], header: &str) -> usize {
    rows[2].iter().position(|d| text(d) == header).unwrap_or_else(|| panic!("no column {header}: {:?}", rows[2]))
}

#[tokio::test]
async fn the_contract_register_holds_every_visible_contract_with_the_funds_the_api_shows() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    let cz = app.token("caizheng").await;
    let contracts = app.list("/api/v1/contracts", &cz).await;
    let contracts = contracts.as_array().unwrap();
    assert!(contracts.len() >= 3);
    let rows = sheet(&app, "/api/v1/registers/contracts", &cz).await;
    assert!(text(&rows[0][0]).ends_with("购买服务合同台账"), "{:?}", rows[0]);
    assert!(text(&rows[1][0]).starts_with("范围：全部"));
    let body = &rows[3..rows.len() - 1];
    let total = rows.last().unwrap();
    assert_eq!(text(&total[0]), "合计");
    assert_eq!(body.len(), contracts.len());
    let (num, amount, paid, confirmed) = (at(&rows, "合同编号"), at(&rows, "合同金额（元）"), at(&rows, "已拨付（元）"), at(&rows, "已确认到账（元）"));
    let (mut sum_amount, mut sum_paid, mut sum_confirmed) = (0, 0, 0);
    for c in contracts {
        let row = body.iter().find(|r| text(&r[num]) == c["number"].as_str().unwrap()).unwrap_or_else(|| panic!("{} missing", c["number"]));
        let f: Value = app.get(&format!("/api/v1/contracts/{}/funds", c["id"]), &cz).await.json().await.unwrap();
        assert_eq!(fen(&row[amount]), fen_of(&f["amount"]), "{}", c["number"]);
        assert_eq!(fen(&row[paid]), fen_of(&f["disbursed"]));
        assert_eq!(fen(&row[confirmed]), fen_of(&f["confirmed"]));
        sum_amount += fen_of(&f["amount"]);
        sum_paid += fen_of(&f["disbursed"]);
        sum_confirmed += fen_of(&f["confirmed"]);
    }
    assert!(sum_paid > 0, "the demo cases have payments");
    assert_eq!((fen(&total[amount]), fen(&total[paid]), fen(&total[confirmed])), (sum_amount, sum_paid, sum_confirmed));
    println!("registers: {} contracts, totals {sum_amount} / {sum_paid} / {sum_confirmed} fen equal the API's", contracts.len());

    // A community's register holds its own contracts only; filters narrow it.
    let xf = app.token("xingfu").await;
    let own = app.list("/api/v1/contracts", &xf).await.as_array().unwrap().len();
    let rows = sheet(&app, "/api/v1/registers/contracts", &xf).await;
    assert_eq!(rows.len() - 4, own);
    assert!(own < contracts.len());
    let community = contracts[0]["community_id"].as_i64().unwrap();
    let narrowed = contracts.iter().filter(|c| c["community_id"] == community).count();
    let rows = sheet(&app, &format!("/api/v1/registers/contracts?community_id={community}"), &cz).await;
    assert_eq!(rows.len() - 4, narrowed);
    assert!(text(&rows[1][0]).contains("社区："));
}

#[tokio::test]
async fn the_funds_register_adds_up_to_the_payments_and_receipts() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    paid_in_part(&app).await;
    let cz = app.token("caizheng").await;
    let payments = app.list("/api/v1/disbursements", &cz).await;
    let payments = payments.as_array().unwrap();
    let paid: i64 = payments.iter().map(|d| fen_of(&d["amount"])).sum();
    let confirmed: i64 = payments.iter().filter(|d| d["status"] == "confirmed").map(|d| fen_of(&d["amount"])).sum();
    let rows = sheet(&app, "/api/v1/registers/funds", &cz).await;
    let total = rows.last().unwrap();
    assert_eq!(fen(&total[at(&rows, "拨付（元）")]), paid);
    assert_eq!(fen(&total[at(&rows, "社区确认到账（元）")]), confirmed);
    // Every movement has its amount in exactly one column.
    let money: Vec<usize> = ["预算安排（元）", "合同承诺（元）", "释放回预算（元）", "拨付（元）", "社区确认到账（元）"].iter().map(|h| at(&rows, h)).collect();
    for r in &rows[3..rows.len() - 1] {
        assert_eq!(money.iter().filter(|&&i| r[i] != Data::Empty).count(), 1, "{r:?}");
    }
    // A community's register: the money of its own contracts, no department budgets.
    let xf = app.token("xingfu").await;
    let own: i64 = app.list("/api/v1/disbursements", &xf).await.as_array().unwrap().iter().map(|d| fen_of(&d["amount"])).sum();
    assert!(own > 0 && own < paid, "{own} of {paid}");
    let rows = sheet(&app, "/api/v1/registers/funds", &xf).await;
    assert_eq!(fen(&rows.last().unwrap()[at(&rows, "拨付（元）")]), own);
    assert_eq!(fen(&rows.last().unwrap()[at(&rows, "预算安排（元）")]), 0);
    assert!(rows[3..rows.len() - 1].iter().all(|r| text(&r[at(&rows, "社区")]) == "幸福社区"));
    // A window that ends before anything happened holds nothing; reversed dates are refused.
    let rows = sheet(&app, "/api/v1/registers/funds?to=2001-01-01", &cz).await;
    assert_eq!(rows.len(), 4, "title, scope, header, total");
    assert_error(app.get("/api/v1/registers/funds?from=2026-12-01&to=2026-01-01", &cz).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // The CSV says the same, with a BOM so Excel reads the Chinese.
    let r = app.get("/api/v1/registers/funds?format=csv", &cz).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("合计,"), "{last}");
    assert!(last.contains(&format!("{}.{:02}", paid / 100, paid % 100)), "{last}");
}

#[tokio::test]
async fn admission_violation_and_evaluation_registers_follow_the_lists() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    // Two communities report unadmitted work; the department evaluates 幸福社区's contract,
    // which objects.
    let sj_org = app.org_id("区市场监督管理局").await;
    let today = chrono::Utc::now().date_naive().to_string();
    for (who, task) in [("xingfu", "要求社区代收市场主体年报材料"), ("hexie", "要求社区开展商户消防检查")] {
        let r = app.post("/api/v1/reports", &app.token(who).await, json!({"department_id": sj_org, "task": task, "occurred_on": today, "evidence": "微信群通知截图"})).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let sj = app.token("shijian").await;
    let xingfu = app.list("/api/v1/contracts", &sj).await.as_array().unwrap().iter().find(|c| c["community"] == "幸福社区").unwrap().clone();
    let clauses: Vec<Value> = xingfu["clauses"].as_array().unwrap().iter().filter(|k| k["performance"] == true).cloned().collect();
    assert!(clauses.len() >= 2, "{xingfu}");
    let items: Vec<Value> = clauses
        .iter()
        .enumerate()
        .map(|(i, k)| if i == 0 { json!({"clause_id": k["id"], "rating": "unsatisfied", "comment": "未按条款按月报送台账"}) } else { json!({"clause_id": k["id"], "rating": "satisfied"}) })
        .collect();
    let e: Value = app.post(&format!("/api/v1/contracts/{}/evaluations", xingfu["id"]), &sj, json!({"items": items})).await.json().await.unwrap();
    let r = app.post(&format!("/api/v1/evaluations/{}/objections", e["id"]), &app.token("xingfu").await, json!({"text": "台账已按月报送，有签收记录"})).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for (user, reports) in [("minzheng", 2), ("shijian", 2), ("xingfu", 1), ("hexie", 1), ("weijian", 0)] {
        let token = app.token(user).await;
        let admissions = app.list("/api/v1/admissions", &token).await.as_array().unwrap().len();
        let rows = sheet(&app, "/api/v1/registers/admissions", &token).await;
        assert_eq!(rows.len() - 4, admissions, "{user}");
        assert_eq!(app.list("/api/v1/reports", &token).await.as_array().unwrap().len(), reports, "{user}");
        let rows = sheet(&app, "/api/v1/registers/violations", &token).await;
        assert_eq!(rows.len() - 4, reports, "{user}");
        // The evaluation shows to the parties and the county's bodies, not to others.
        let rows = sheet(&app, "/api/v1/registers/evaluations", &token).await;
        let sees = !matches!(user, "hexie" | "weijian");
        assert_eq!(rows.len() - 4, usize::from(sees), "{user}");
        if sees {
            let row = &rows[3];
            assert_eq!(text(&row[at(&rows, "合同编号")]), xingfu["number"].as_str().unwrap());
            assert_eq!(text(&row[at(&rows, "总体结果")]), "基本满意");
            let count = |h: &str| fen(&row[at(&rows, h)]) / 100;
            assert_eq!((count("满意条款数"), count("不满意条款数"), count("异议数")), (clauses.len() as i64 - 1, 1, 1), "{user}");
        }
    }
    let mz = app.token("minzheng").await;
    // The budget column of the admission register totals the applications' budgets.
    let all = app.list("/api/v1/admissions", &mz).await;
    let budgets: i64 = all.as_array().unwrap().iter().filter(|a| a["budget"].is_string()).map(|a| fen_of(&a["budget"])).sum();
    let rows = sheet(&app, "/api/v1/registers/admissions", &mz).await;
    assert_eq!(fen(&rows.last().unwrap()[at(&rows, "经费预算（元）")]), budgets);
    // Unknown registers and formats are refused; the download is in the audit trail.
    assert_error(app.get("/api/v1/registers/salaries", &mz).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    assert_error(app.get("/api/v1/registers/contracts?format=pdf", &mz).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let audit: Value = app.get("/api/v1/audit?limit=500&action=export.register_admissions_xlsx", &app.token("ducha").await).await.json().await.unwrap();
    assert!(!audit["items"].as_array().unwrap().is_empty(), "{audit}");
}

#[tokio::test]
async fn the_list_pages_export_what_they_show() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    let page = app.page_login("caizheng").await;
    let html = page.get(app.url("/contracts")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"formaction="/registers/contracts""#), "the filter form has an export button");
    // What the form submits (blank filters included) is the register of the page.
    let r = page.get(app.url("/registers/contracts?status=active&year=&q=&format=xlsx")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let rows = cells(r.bytes().await.unwrap().to_vec()).len();
    let active = app.list("/api/v1/contracts?status=active", &app.token("caizheng").await).await.as_array().unwrap().len();
    assert_eq!(rows - 4, active);
    let r = page.get(app.url("/registers/violations?format=csv")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains(".csv"));
    // Without a session the page sends the clerk to log in.
    let r = app.browser().get(app.url("/registers/contracts")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_terminated_contract_counts_in_the_register_as_in_the_funds_views() {
    let app = spawn_app().await;
    demo_cases(&app).await;
    let cz = app.token("caizheng").await;
    // The department ends a contract that has been paid in part.
    let paid = paid_in_part(&app).await;
    let before: Value = app.get(&format!("/api/v1/contracts/{}/funds", paid["id"]), &cz).await.json().await.unwrap();
    assert!(fen_of(&before["disbursed"]) > 0 && fen_of(&before["disbursed"]) < fen_of(&before["amount"]), "{before}");
    let r = app.post(&format!("/api/v1/contracts/{}/terminate", paid["id"]), &app.token("shijian").await, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区换届，双方协商终止"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Its row holds what was paid and nothing outstanding, as the funds overview says.
    let rows = sheet(&app, "/api/v1/registers/contracts", &cz).await;
    let (num, in_force, amount, disbursed, confirmed, open) =
        (at(&rows, "合同编号"), at(&rows, "合同金额（元）"), at(&rows, "计入经费（元）"), at(&rows, "已拨付（元）"), at(&rows, "已确认到账（元）"), at(&rows, "未拨付（元）"));
    let row = rows.iter().find(|r| text(&r[num]) == paid["number"].as_str().unwrap()).unwrap();
    assert_eq!((fen(&row[amount]), fen(&row[open])), (fen_of(&before["disbursed"]), 0));
    // Its contract amount is still the one the API and the open data show (issue 26).
    let api: Value = app.get(&format!("/api/v1/contracts/{}", paid["id"]), &cz).await.json().await.unwrap();
    assert_eq!(fen(&row[in_force]), fen_of(&api["amount"]), "{api}");
    for r in &rows[3..] {
        assert_eq!(fen(&r[amount]), fen(&r[disbursed]) + fen(&r[open]), "计入经费 = 已拨付 + 未拨付: {r:?}");
    }
    let summary: Value = app.get("/api/v1/funds/summary", &cz).await.json().await.unwrap();
    let county = &summary["county"];
    let total = rows.last().unwrap();
    assert_eq!(
        (fen(&total[amount]), fen(&total[disbursed]), fen(&total[confirmed]), fen(&total[open])),
        (fen_of(&county["contracted"]), fen_of(&county["disbursed"]), fen_of(&county["confirmed"]), fen_of(&county["outstanding"])),
        "register totals against the funds summary {county}"
    );
}

/// Issue 26: a text that starts like a formula (an application titled `=1+2…`, a
/// violation report's task `@SUM(…)`) reaches no register CSV as a formula a spreadsheet
/// would run; in the workbook it stays a plain string.
#[tokio::test]
async fn no_register_csv_carries_a_formula() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let title = "=1+2 居民信息核对";
    let body = json!({"title": title, "description": "入户核对", "basis": "示范区〔2026〕1号", "work_plan": "按户开展",
        "target_community_ids": [app.org_id("幸福社区").await], "period_start": "2026-03-01", "period_end": "2026-04-30", "staffing": "网格员", "budget": "100.00"});
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    assert_eq!(app.post(&format!("/api/v1/admissions/{}/submit", a["id"]), &sj, json!({})).await.status(), StatusCode::OK);
    let r = app.post("/api/v1/reports", &app.token("xingfu").await, json!({"department_id": app.org_id("区市场监督管理局").await, "task": "@SUM(1+1) 要求社区代收费用", "occurred_on": "2026-11-01", "evidence": "+通知截图"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    let mz = app.token("minzheng").await;
    let mut seen = 0;
    for name in ["admissions", "contracts", "funds", "violations", "evaluations"] {
        let r = app.get(&format!("/api/v1/registers/{name}?format=csv"), &mz).await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        let text = r.text().await.unwrap();
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(!cell.starts_with(['=', '+', '@']), "{name}: a cell a spreadsheet would run: {cell}");
                if cell.starts_with('\'') && (cell.contains("=1+2") || cell.contains("@SUM")) {
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 2, "both texts are in the registers, kept as text ({seen})");
    let rows = sheet(&app, "/api/v1/registers/admissions?format=xlsx", &mz).await;
    assert!(rows.iter().flatten().any(|c| *c == Data::String(title.into())), "the workbook keeps the title as it was written");
}
