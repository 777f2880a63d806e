//! Issue 28: bad input and abuse that used to stick. Each test is a finding: what a
//! motivated department (or an outsider) did, and that it now changes nothing.
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{json, Value};

use crate::contracts::{admitted, draft, survey_contract};
use crate::helpers::{assert_error, spawn_app, TestApp};
use crate::lifecycle::sign_both;

async fn ledger_ok(app: &TestApp) -> Value {
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], true, "{v}");
    v
}

async fn county_of(app: &TestApp) -> i64 {
    let me: Value = app.get("/api/v1/me", &app.token("shijian").await).await.json().await.unwrap();
    me["user"]["county_id"].as_i64().or_else(|| me["county_id"].as_i64()).unwrap()
}

fn application(budget: &str) -> Value {
    json!({"title": "老旧小区加装电梯意愿摸底", "description": "入户了解意愿", "basis": "示范区住建局〔2026〕3号", "work_plan": "按楼栋开展",
           "target_community_ids": [], "period_start": "2026-03-01", "period_end": "2026-04-30", "staffing": "网格员", "budget": budget})
}

#[tokio::test]
async fn a_draft_cannot_hold_a_budget_that_could_never_be_submitted() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let before = app.list("/api/v1/admissions", &sj).await.as_array().unwrap().len();
    for bad in ["-0.01", "-1000000", "0.001", "1e15", "1000000000000000"] {
        let mut body = application(bad);
        body["target_community_ids"] = json!([app.org_id("幸福社区").await]);
        let b = assert_error(app.post("/api/v1/admissions", &sj, body).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert_eq!(b["error"]["details"][0]["field"], "budget", "{bad}: {b}");
    }
    assert_eq!(app.list("/api/v1/admissions", &sj).await.as_array().unwrap().len(), before, "nothing saved");
    ledger_ok(&app).await;

    // A database that already holds such a draft (saved before the bound): the money check
    // stays green, since the draft moved no money; a real breach still shows.
    let mut body = application("100.00");
    body["target_community_ids"] = json!([app.org_id("幸福社区").await]);
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    let sql = format!("UPDATE admissions SET budget_fen = -1 WHERE id = {}", a["id"]);
    app.db.execute(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();
    ledger_ok(&app).await;
    let id = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    draft(&app, survey_contract(id, app.org_id("幸福社区").await, "3000.00")).await;
    let sql = format!("UPDATE admissions SET budget_fen = 100 WHERE id = {id}");
    app.db.execute(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();
    let v: Value = app.get("/api/v1/admin/ledger/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(v["ok"], false, "a contract above its admission's budget is still caught: {v}");
}

#[tokio::test]
async fn an_assignment_keeps_the_date_window_and_the_registers_keep_answering() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let items = app.list("/api/v1/lists/assist", &sj).await;
    let xb01 = items.as_array().unwrap().iter().find(|i| i["code"] == "XB-01").unwrap()["id"].as_i64().unwrap();
    let before = app.list("/api/v1/admissions", &app.token("minzheng").await).await.as_array().unwrap().len();
    for (start, end, field) in [("-0001-01-01", "2026-04-30", "period_start"), ("2026-03-01", "9999-12-31", "period_end"), ("1999-12-31", "2000-03-01", "period_start")] {
        let body = json!({"assist_item_id": xb01, "community_id": app.org_id("幸福社区").await, "template_id": "short-term-task", "amount": "100.00",
            "period_start": start, "period_end": end, "guidance": "每月指导一次", "staffing": "协管员1名",
            "variables": {"scope": "辖区餐饮门店食品安全信息收集", "delivery_date": "2026-04-25"}});
        let r = app.post("/api/v1/contracts", &sj, body).await;
        // Out of chrono's range is refused by the body parser, in range but out of the
        // window by the assignment's own check: 422 either way, naming the field.
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{start}..{end}");
        let b: Value = r.json().await.unwrap();
        assert!(b["error"]["code"].is_string(), "{b}");
        if b["error"]["code"] == "VALIDATION_FAILED" && b["error"]["details"][0]["field"].is_string() {
            assert_eq!(b["error"]["details"][0]["field"], field, "{b}");
        }
    }
    assert_eq!(app.list("/api/v1/admissions", &app.token("minzheng").await).await.as_array().unwrap().len(), before, "nothing saved");
    for (who, path) in [("minzheng", "/api/v1/registers/admissions?format=xlsx"), ("shijian", "/api/v1/registers/contracts?format=xlsx"), ("xingfu", "/api/v1/registers/contracts?format=csv")] {
        let r = app.get(path, &app.token(who).await).await;
        assert_eq!(r.status(), StatusCode::OK, "{who} {path}");
    }
    ledger_ok(&app).await;
}

async fn terminate(app: &TestApp, token: &str, c: &Value, code: &str) {
    let r: Value = app.post(&format!("/api/v1/contracts/{}/terminate", c["id"]), token, json!({"reason_code": code, "reason": "测试终止"})).await.json().await.unwrap();
    assert_eq!(r["status"], "terminated", "{r}");
}

#[tokio::test]
async fn a_contract_nobody_signed_never_becomes_public_whatever_its_status() {
    let app = spawn_app().await;
    let county = county_of(&app).await;
    let sj = app.token("shijian").await;
    let a = admitted(&app, "企业摸底", "6000.00", "2026-03-01", "2026-04-30").await;
    let unsigned = draft(&app, survey_contract(a, app.org_id("和谐社区").await, "3000.00")).await;
    terminate(&app, &sj, &unsigned, "TASK_WITHDRAWN").await;
    // Signed by the community, not by the department: still nobody's contract.
    let half = draft(&app, survey_contract(a, app.org_id("幸福社区").await, "1000.00")).await;
    assert_eq!(crate::lifecycle::sign(&app, "xingfu", &half["id"]).await.status(), StatusCode::OK);
    let signed = sign_both(&app, &draft(&app, survey_contract(a, app.org_id("幸福社区").await, "2000.00")).await["id"]).await;
    terminate(&app, &sj, &signed, "MUTUAL_AGREEMENT").await;

    let anon = reqwest::Client::new();
    let get = |path: String| {
        let anon = anon.clone();
        let url = app.url(&path);
        async move { anon.get(url).send().await.unwrap() }
    };
    for path in ["contracts/{id}/pdf", "ocds/contracts/{id}", "ocds/records/{id}"] {
        let of = |c: &Value| format!("/api/v1/public/{county}/{}", path.replace("{id}", &c["id"].to_string()));
        assert_eq!(get(of(&unsigned)).await.status(), StatusCode::NOT_FOUND, "unsigned: {path}");
        assert_eq!(get(of(&half)).await.status(), StatusCode::NOT_FOUND, "signed by one party: {path}");
        let r = get(of(&signed)).await;
        assert_eq!(r.status(), StatusCode::OK, "signed: {path} {}", of(&signed));
    }
    let package: Value = get(format!("/api/v1/public/{county}/ocds/releases?limit=500")).await.json().await.unwrap();
    let text = package.to_string();
    assert!(!text.contains(unsigned["number"].as_str().unwrap()), "the unsigned draft is in no release");
    assert!(text.contains(signed["number"].as_str().unwrap()));
}

#[tokio::test]
async fn text_that_reorders_itself_is_refused_in_every_field() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let before = app.list("/api/v1/admissions", &sj).await.as_array().unwrap().len();
    // Shown right to left, "法执管城" reads 城管执法 to the clerk while the screening reads
    // the characters in their stored order.
    for (field, text) in [("title", "社区\u{202E}法执管城\u{202C}巡查"), ("description", "协助\u{2067}拆迁\u{2069}"), ("staffing", "网格员\u{202D}")] {
        let mut body = application("3000.00");
        body["target_community_ids"] = json!([app.org_id("幸福社区").await]);
        body[field] = json!(text);
        let b = assert_error(app.post("/api/v1/admissions", &sj, body.clone()).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert_eq!(b["error"]["details"][0]["field"], field, "{b}");
        assert!(b["error"]["details"][0]["message"].as_str().unwrap().contains("控制字符"));
        assert_error(app.post("/api/v1/admissions/precheck", &sj, body).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    assert_eq!(app.list("/api/v1/admissions", &sj).await.as_array().unwrap().len(), before, "nothing saved");

    // The same through the pages' forms.
    let c = app.page_login("shijian").await;
    let token = app.csrf_token(&c, "/admissions/new").await;
    let r = c
        .post(app.url("/admissions/new"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("_csrf={token}&title=%E7%A4%BE%E5%8C%BA%E2%80%AE%E6%B3%95%E6%89%A7%E7%AE%A1%E5%9F%8E&budget=3000"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("控制字符"), "{html}");
    assert_eq!(app.list("/api/v1/admissions", &sj).await.as_array().unwrap().len(), before, "nothing saved");
}

/// Issue 28: twenty failed logins with made-up names from one address used to lock every
/// account behind it (an office NAT, the TLS proxy) for fifteen minutes. The address is
/// now paced, not locked: the guesser waits for each turn, the clerks who logged in from
/// there before pass at once, and a newcomer gets in after a turn.
#[tokio::test]
async fn a_flood_of_failed_logins_cannot_lock_the_office_out() {
    let app = spawn_app().await;
    // 和谐社区's clerk logged in from this address before the flood.
    app.token("hexie").await;
    for i in 0..25 {
        let r = app.login_response(&format!("made-up-{i}"), "guess").await;
        assert!(matches!(r.status(), StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS), "{}", r.status());
    }
    // The flood goes on in parallel while the clerks log in.
    let flood: Vec<_> = (0..30)
        .map(|i| {
            let (client, url) = (app.api.clone(), app.url("/api/v1/auth/login"));
            tokio::spawn(async move { client.post(url).json(&json!({"username": format!("flood-{i}"), "password": "guess"})).send().await.unwrap().status() })
        })
        .collect();
    assert_eq!(app.login_response("hexie", crate::helpers::PASSWORD).await.status(), StatusCode::OK, "a known clerk passes at once");
    assert_eq!(app.login_response("xingfu", crate::helpers::PASSWORD).await.status(), StatusCode::OK, "a newcomer gets a turn");
    let (mut checked, mut refused) = (0, 0);
    for t in flood {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // At the hot address one account is guessed once a turn: the guesser pays the time.
    let c = app.api.clone();
    let guess = |pw: &str| c.post(app.url("/api/v1/auth/login")).json(&json!({"username": "shijian", "password": pw})).send();
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(guess("guess-a"), guess("guess-b"));
    let mut answers = [a.unwrap().status(), b.unwrap().status()];
    answers.sort();
    assert_eq!(answers, [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED], "both checked: paced, not refused");
    // A lower bound the pacing sets, not a speed: the second guess cannot start before the
    // first one's turn has passed, however fast the machine.
    let paced = started.elapsed();
    assert!(paced >= zhunru::platform::auth::ADDRESS_PACE - std::time::Duration::from_millis(50), "two guesses answered in {paced:?}");
    println!("login flood: 30 parallel guesses from a paced address, {checked} checked, {refused} refused; the office's clerks logged in; two guesses on one account took {paced:?}");
}

/// Behind a trusted proxy each client is its own address; from anyone else a forged
/// `X-Forwarded-For` changes nothing.
#[tokio::test]
async fn the_client_address_comes_from_a_trusted_proxy_only() {
    use zhunru::platform::config::Config;
    let login = |app: &TestApp, forwarded: &str, password: &str| {
        let req = app.api.post(app.url("/api/v1/auth/login")).header("x-forwarded-for", forwarded).json(&json!({"username": "hexie", "password": password}));
        async move { req.send().await.unwrap().status() }
    };
    let proxied = crate::helpers::spawn_app_with(Config { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..Config::default() }).await;
    for _ in 0..5 {
        assert_eq!(login(&proxied, "198.51.100.7, 203.0.113.9", "wrong").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&proxied, "198.51.100.7, 203.0.113.9", crate::helpers::PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "that client is locked");
    // The client's own entries (left of what the proxy appended) do not matter.
    assert_eq!(login(&proxied, "10.9.9.9, 203.0.113.9", crate::helpers::PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login(&proxied, "203.0.113.10", crate::helpers::PASSWORD).await, StatusCode::OK, "another client behind the proxy is not");
    let trail: Value = proxied.get("/api/v1/audit?limit=500&action=auth.login", &proxied.token("ducha").await).await.json().await.unwrap();
    let addrs: Vec<&str> = trail["items"].as_array().unwrap().iter().filter_map(|e| e["client_addr"].as_str()).collect();
    assert!(addrs.contains(&"203.0.113.10"), "the trail names the client: {addrs:?}");

    let direct = spawn_app().await;
    for i in 0..5 {
        assert_eq!(login(&direct, &format!("198.51.100.{i}"), "wrong").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(&direct, "203.0.113.10", crate::helpers::PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "a forged header is ignored");
}

// ---------------------------------------------------------------------------------------
// A workbook that unpacks to hundreds of megabytes

/// The peak resident memory (VmHWM) of a process, in kB.
fn peak_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// A list workbook whose shared-strings table holds `n` one-letter strings: the way a
/// compression bomb hides in an .xlsx (each 17-byte string compresses to almost nothing,
/// and a reader keeps every one in memory).
fn workbook_with_strings(n: usize) -> Vec<u8> {
    use std::io::Write;
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().set_name("协助办理事项清单").unwrap().write_string(0, 0, "编号").unwrap();
    let good = wb.save_to_buffer().unwrap();
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(good)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let part = src.by_index(i).unwrap();
        if !part.name().unwrap().ends_with("sharedStrings.xml") {
            out.raw_copy_file(part).unwrap();
        }
    }
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    out.start_file("xl/sharedStrings.xml", opts).unwrap();
    write!(out, r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>编号</t></si>"#).unwrap();
    let chunk = "<si><t>a</t></si>".repeat(4096);
    for _ in 0..n / 4096 {
        out.write_all(chunk.as_bytes()).unwrap();
    }
    out.write_all(b"</sst>").unwrap();
    out.finish().unwrap().into_inner()
}

/// Issue 28: a 200 KB workbook took the server to 873 MB. The real binary is started and its
/// peak resident memory read before and after the upload.
#[tokio::test]
async fn a_workbook_bomb_is_refused_without_taking_the_servers_memory() {
    let (db_url, _guard) = crate::helpers::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let server = crate::crash::Server::start(&db_url, &dir.path().join("serve.log"), true).await;
    let login = server.client.post(format!("{}/api/v1/auth/login", server.base)).json(&json!({"username": "minzheng", "password": crate::helpers::PASSWORD}));
    let token = login.send().await.unwrap().json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let upload = |bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("lists.xlsx"))
            .text("reason", "按年度梳理结果导入")
            .text("document", "区社区建设领导小组〔2026〕1号");
        server.client.post(format!("{}/api/v1/lists/import?dry_run=true", server.base)).bearer_auth(&token).multipart(form).send()
    };
    let pid = server.child.id();
    let before = peak_kb(pid);
    // 12 million strings, 200 MB unpacked.
    let bomb = workbook_with_strings(12_000_000);
    let r = upload(bomb.clone()).await.unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    let after = peak_kb(pid);
    println!("bomb of {} KB: server peak RSS {} MB before, {} MB after", bomb.len() / 1024, before / 1024, after / 1024);
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "IMPORT_INVALID", "{body}");
    assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains("解压后过大"), "{body}");
    assert!(after < before + 48 * 1024, "the upload took the peak from {before} kB to {after} kB");
    // The same sheet with a real-sized string table is read (and found without its columns).
    let r = upload(workbook_with_strings(4096)).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"]["details"][0]["message"].as_str().unwrap().contains("表头缺少列"), "{body}");
}

async fn sql(app: &TestApp, sql: String) {
    app.db.execute(Statement::from_string(app.db.get_database_backend(), sql)).await.unwrap();
}

async fn budget_of(app: &TestApp, id: &Value) -> Value {
    let a: Value = app.get(&format!("/api/v1/admissions/{id}"), &app.token("shijian").await).await.json().await.unwrap();
    a["budget"].clone()
}

/// A database from before the bounds: rows forced in as an older release saved them.
/// `zhunru repair` reports them, changes nothing without `--apply`, and with it repairs
/// what holds no money and no signature (one audit entry each) and leaves the rest.
#[tokio::test]
async fn repair_brings_old_rows_inside_the_bounds_and_leaves_signed_ones_to_a_person() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let mut body = application("100.00");
    body["target_community_ids"] = json!([app.org_id("幸福社区").await]);
    let a: Value = app.post("/api/v1/admissions", &sj, body).await.json().await.unwrap();
    sql(&app, format!("UPDATE admissions SET budget_fen = -1, title = 'A\u{202E}B', period_end = '2101-01-01' WHERE id = {}", a["id"])).await;

    let items = app.list("/api/v1/lists/assist", &sj).await;
    let xb01 = items.as_array().unwrap().iter().find(|i| i["code"] == "XB-01").unwrap()["id"].as_i64().unwrap();
    let assignment = json!({"assist_item_id": xb01, "community_id": app.org_id("幸福社区").await, "template_id": "short-term-task", "amount": "100.00",
        "period_start": "2026-03-01", "period_end": "2026-04-30", "guidance": "每月指导一次", "staffing": "协管员1名",
        "variables": {"scope": "辖区餐饮门店食品安全信息收集", "delivery_date": "2026-04-25"}});
    let assigned = draft(&app, assignment).await;
    sql(&app, format!("UPDATE admissions SET period_start = '1899-12-31' WHERE id = {}", assigned["admission_id"])).await;
    sql(&app, format!("UPDATE contract_versions SET period_start = '1899-12-31' WHERE contract_id = {}", assigned["id"])).await;

    let id = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let signed = sign_both(&app, &draft(&app, survey_contract(id, app.org_id("幸福社区").await, "3000.00")).await["id"]).await;
    sql(&app, format!("UPDATE contract_versions SET period_end = '2101-01-01' WHERE contract_id = {}", signed["id"])).await;

    // Every register still answers with such rows in it.
    for path in ["/api/v1/registers/admissions?format=xlsx", "/api/v1/registers/contracts?format=xlsx"] {
        assert_eq!(app.get(path, &app.token("minzheng").await).await.status(), StatusCode::OK, "{path}");
    }

    // The command line: a dry run lists all three and exits non-zero (one needs a person).
    let out = crate::crash::cli(&app.database_url, "repair").unwrap_err();
    assert!(out.contains("将修复 admission") && out.contains("须人工处理 contract") && out.contains("left for a person"), "{out}");
    assert_eq!(budget_of(&app, &a["id"]).await, "-0.01", "a dry run changes nothing");

    let found = zhunru::repair::run(&app.db, true).await.unwrap();
    let key = |f: &zhunru::repair::Finding| (f.entity, f.id, f.fix.is_some());
    let keys: Vec<_> = found.iter().map(key).collect();
    let (draft_id, assigned_adm, assigned_id, signed_id) =
        (a["id"].as_i64().unwrap(), assigned["admission_id"].as_i64().unwrap(), assigned["id"].as_i64().unwrap(), signed["id"].as_i64().unwrap());
    for k in [("admission", draft_id, true), ("admission", assigned_adm, true), ("contract", assigned_id, true), ("contract", signed_id, false)] {
        assert!(keys.contains(&k), "{k:?} in {found:?}");
    }
    assert_eq!(found.len(), 4, "{found:?}");

    let repaired: Value = app.get(&format!("/api/v1/admissions/{}", a["id"]), &sj).await.json().await.unwrap();
    assert_eq!((repaired["budget"].clone(), repaired["title"].clone(), repaired["period_end"].clone()), (Value::Null, json!("AB"), Value::Null), "{repaired}");
    let c: Value = app.get(&format!("/api/v1/contracts/{}", assigned["id"]), &sj).await.json().await.unwrap();
    assert_eq!(c["period_start"], "2000-01-01", "{c}");
    let s: Value = app.get(&format!("/api/v1/contracts/{}", signed["id"]), &sj).await.json().await.unwrap();
    assert_eq!(s["period_end"], "2101-01-01", "a signed contract is never rewritten: {s}");

    let entries = app.db.query_all(Statement::from_string(app.db.get_database_backend(), "SELECT id FROM audit_log WHERE action = 'data.repair'")).await.unwrap();
    assert_eq!(entries.len(), 3, "one entry per row changed (the draft, the assigned admission, its contract version)");
    let audit: Value = app.get("/api/v1/admin/audit/verify", &app.token("admin").await).await.json().await.unwrap();
    assert_eq!(audit["ok"], true, "{audit}");
    ledger_ok(&app).await;

    // Again: nothing left to repair, the signed one still reported.
    let again = zhunru::repair::run(&app.db, true).await.unwrap();
    assert_eq!(again.iter().map(key).collect::<Vec<_>>(), [("contract", signed_id, false)]);
}

/// Decoding a photo costs the server; only the contract's community may make it do so:
/// anyone else is refused before the file is looked at (a broken photo would be a 422
/// for the party, saying it cannot be read).
#[tokio::test]
async fn a_photo_is_decoded_only_for_the_party_that_delivers() {
    let app = spawn_app().await;
    let a = admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let c = sign_both(&app, &draft(&app, survey_contract(a, app.org_id("幸福社区").await, "3000.00")).await["id"]).await;
    let clause = c["milestones"][1]["clause_id"].clone();
    let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("xingfu").await, json!({"clause_id": clause, "summary": "商户汇总表"})).await.json().await.unwrap();
    let mut broken = vec![0xFF, 0xD8, 0xFF, 0xE0];
    broken.extend(std::iter::repeat_n(0x5A, 4096));
    let form = || reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(broken.clone()).file_name("现场.jpg"));
    let attach = |who: &'static str| {
        let url = app.url(&format!("/api/v1/deliverables/{}/attachments", d["id"]));
        let app = &app;
        let form = form();
        async move { app.api.post(url).bearer_auth(app.token(who).await).multipart(form).send().await.unwrap() }
    };
    for who in ["hexie", "shijian", "caizheng"] {
        let r = attach(who).await;
        assert!(matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{who}: {} {}", r.status(), r.text().await.unwrap());
    }
    let b = assert_error(attach("xingfu").await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(b.to_string().contains("图片无法读取"), "{b}");

    // The page's delivery form: the other community is refused before the photo is read.
    let page = |who: &'static str| {
        let app = &app;
        let form = form().text("clause_id", clause.to_string()).text("summary", "现场照片");
        let url = app.url(&format!("/contracts/{}/deliverables", c["id"]));
        async move { app.page_login(who).await.post(url).multipart(form).send().await.unwrap() }
    };
    let r = page("hexie").await;
    assert!(matches!(r.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{}", r.status());
    let r = page("xingfu").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("图片无法读取"));
}

/// A NUL or a bidi control in a query string is a 422 naming the parameter, on the API
/// and the pages alike (a search for `%00` reached PostgreSQL, which refuses NUL, as a 500).
#[tokio::test]
async fn a_hidden_character_in_a_query_string_is_refused_by_name() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    for (query, field) in [("q=%00", "q"), ("status=%E2%80%AE", "status"), ("q=%E5%9B%9B&department_id=1%1B", "department_id")] {
        let b = assert_error(app.get(&format!("/api/v1/admissions?{query}"), &sj).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
        assert_eq!(b["error"]["details"][0]["field"], field, "{query}: {b}");
    }
    assert_eq!(app.get("/api/v1/admissions?q=%E5%9B%9B%0A", &sj).await.status(), StatusCode::OK, "a line break is text");
    let page = app.page_login("shijian").await.get(app.url("/admissions?q=%00")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("控制字符"));
}
