//! Issue 12: bounded input. Far dates, endless periods, long texts, big arrays, oversized
//! sheets and files: each a 4xx with a code, never a 5xx, and nothing changes.
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_error, spawn_app, TestApp};

fn application(app_community: i64) -> Value {
    json!({"title": "入户走访", "description": "走访", "basis": "文件", "work_plan": "按月", "target_community_ids": [app_community],
           "period_start": "2026-03-01", "period_end": "2026-06-30", "staffing": "网格员", "budget": "100.00"})
}

async fn admissions(app: &TestApp) -> usize {
    let r: Value = app.list("/api/v1/admissions", &app.token("shijian").await).await;
    r.as_array().or(r["items"].as_array()).map_or(0, Vec::len)
}

#[tokio::test]
async fn bad_input_is_refused_with_a_code_and_changes_nothing() {
    let app = spawn_app().await;
    let sj = app.token("shijian").await;
    let community = app.org_id("幸福社区").await;
    let before = admissions(&app).await;
    let long = "长".repeat(10_001);
    let cases: Vec<(&str, Value)> = vec![
        ("a date in the year 262142", json!({"period_end": "+262142-01-01"})),
        ("a date past 2100", json!({"period_end": "2999-12-31"})),
        ("a date before 2000", json!({"period_start": "1900-01-01"})),
        ("no such day", json!({"period_end": "2026-02-30"})),
        ("a text of 10,001 characters", json!({"description": long})),
        ("a work plan over 5,000 characters", json!({"work_plan": "计".repeat(5_001)})),
        ("a title over 200 characters", json!({"title": "题".repeat(201)})),
        ("1,001 target communities", json!({"target_community_ids": vec![community; 1_001]})),
        ("a number where text belongs", json!({"title": 12})),
        ("a budget as a float", json!({"budget": 100.5})),
    ];
    let mut tried = 0;
    for (what, change) in &cases {
        let mut body = application(community);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/api/v1/admissions", &sj, body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], "VALIDATION_FAILED", "{what}: {e}");
        tried += 1;
    }
    // A period of ten years is no period for community work: a blocking finding.
    let mut body = application(community);
    body["period_end"] = json!("2036-02-28");
    let f: Value = app.post("/api/v1/admissions/precheck", &sj, body).await.json().await.unwrap();
    assert!(f["findings"].as_array().unwrap().iter().any(|x| x["code"] == "INVALID_PERIOD" && x["blocking"] == true), "{f}");
    tried += 1;
    // A body over the limit is refused before it is read.
    let huge = "x".repeat(3 * 1024 * 1024);
    let r = app.api.post(app.url("/api/v1/admissions")).bearer_auth(&sj).header("content-type", "application/json").body(format!("{{\"title\": \"{huge}\"}}")).send().await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    tried += 1;
    assert_eq!(admissions(&app).await, before, "nothing was saved");
    println!("input: {tried} bad admission inputs tried, each a 4xx with a code, nothing saved");
}

/// The same window on the contract side: a delivery date far away, an amendment that
/// stretches the period to the year 262142 (which once panicked the drafting).
#[tokio::test]
async fn far_dates_are_refused_on_contracts_too() {
    let app = spawn_app().await;
    let a = crate::contracts::admitted(&app, "企业摸底", "3000.00", "2026-03-01", "2026-04-30").await;
    let community = app.org_id("幸福社区").await;
    let sj = app.token("shijian").await;
    for date in ["2999-04-25", "1900-04-25"] {
        let mut body = crate::contracts::survey_contract(a, community, "3000.00");
        body["variables"]["delivery_date"] = json!(date);
        assert_error(app.post("/api/v1/contracts", &sj, body).await, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    let (c, _) = crate::audit::signed_survey(&app).await;
    for end in ["+262142-01-01", "2999-12-31"] {
        let r = app.post(&format!("/api/v1/contracts/{}/amendments", c["id"]), &sj,
            json!({"rationale_code": "PERIOD_EXTENSION", "rationale": "延期", "period_end": end})).await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    }
    let versions: Value = app.get(&format!("/api/v1/contracts/{}", c["id"]), &sj).await.json().await.unwrap();
    assert_eq!(versions["versions"].as_array().map_or(1, Vec::len), 1, "no amendment was written");
}

#[tokio::test]
async fn attachments_up_to_five_megabytes_checked_by_content_and_downloadable() {
    let app = spawn_app().await;
    let (c, _) = crate::audit::signed_survey(&app).await;
    let clause = c["milestones"][1]["clause_id"].clone();
    let xf = app.token("xingfu").await;
    let d: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause, "summary": "汇总表"})).await.json().await.unwrap();
    let upload = |bytes: Vec<u8>, name: &str| {
        let form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        app.api.post(app.url(&format!("/api/v1/deliverables/{}/attachments", d["id"]))).bearer_auth(&xf).multipart(form).send()
    };
    // 3 MB: within the documented 5 MB (the old 2 MB body limit refused it).
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(3 * 1024 * 1024, b'0');
    let r = upload(pdf.clone(), "汇总表.pdf").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Over 5 MB, or not what its name says: refused.
    let mut big = b"%PDF-1.4\n".to_vec();
    big.resize(6 * 1024 * 1024, b'0');
    assert!(upload(big, "大文件.pdf").await.unwrap().status().is_client_error());
    assert_error(upload(b"MZ\x90\x00 not a pdf".to_vec(), "看似文档.pdf").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert_error(upload(b"<html>".to_vec(), "page.png").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    // A phone's photo: up to 20 MB, stored scaled to 1600 pixels with the original's hash.
    let mut photo = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(3000, 2000, |x, y| image::Rgb([(x % 253) as u8, (y % 249) as u8, 77]))).write_to(&mut photo, image::ImageFormat::Jpeg).unwrap();
    let photo = photo.into_inner();
    let r = upload(photo.clone(), "现场.jpg").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let a: Value = r.json().await.unwrap();
    use sha2::Digest;
    assert_eq!(a["original_sha256"], hex::encode(sha2::Sha256::digest(&photo)));
    assert_eq!(a["original_size"], photo.len() as i64);
    let stored = app.get(&format!("/api/v1/attachments/{}", a["id"]), &app.token("shijian").await).await.bytes().await.unwrap();
    let img = image::load_from_memory(&stored).unwrap();
    assert_eq!((img.width(), img.height()), (1600, 1067));
    assert_eq!(a["sha256"], hex::encode(sha2::Sha256::digest(&stored)), "the stored copy's own hash");
    // A "photo" that is not one, or beyond 20 MB: refused in words, nothing stored.
    let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
    fake.resize(6 * 1024 * 1024, 7);
    let body = assert_error(upload(fake, "假照片.jpg").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    assert!(body.to_string().contains("图片无法读取"), "{body}");
    let mut huge = vec![0xFF, 0xD8, 0xFF, 0xE0];
    huge.resize(21 * 1024 * 1024, 7);
    let r = upload(huge, "超大.jpg").await.unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // Downloaded as stored, by those who see the contract only.
    let r = app.get(&format!("/api/v1/attachments/{id}"), &app.token("shijian").await).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf);
    assert_error(app.get(&format!("/api/v1/attachments/{id}"), &app.token("hexie").await).await, StatusCode::NOT_FOUND, "NOT_FOUND").await;
    let page = app.page_login("xingfu").await.get(app.url(&format!("/attachments/{id}"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // Issue 29: the evidence is where the decision is made. The deliverables list names
    // each file with its hash; the contract page links both (the photo as a thumbnail) for
    // the department that accepts and for the community that sent them.
    let list = app.list(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &app.token("shijian").await).await;
    let files: Vec<(i64, String, String)> = list[0]["attachments"].as_array().unwrap().iter().map(|f| (f["id"].as_i64().unwrap(), f["filename"].as_str().unwrap().into(), f["sha256"].as_str().unwrap().into())).collect();
    assert_eq!(files, [(id, "汇总表.pdf".to_string(), hex::encode(sha2::Sha256::digest(&pdf))), (a["id"].as_i64().unwrap(), "现场.jpg".to_string(), a["sha256"].as_str().unwrap().to_string())]);
    for user in ["shijian", "xingfu"] {
        let html = app.page_login(user).await.get(app.url(&format!("/contracts/{}", c["id"]))).send().await.unwrap().text().await.unwrap();
        let row = &html[html.find(&format!("id=\"deliverable-{}\"", d["id"])).expect("the deliverable's row")..];
        let row = &row[..row.find("</tr>").unwrap()];
        assert!(row.contains(&format!("href=\"/attachments/{id}\"")) && row.contains("汇总表.pdf（3.0 MB）"), "{user}: {row}");
        assert!(row.contains(&format!("<img src=\"/attachments/{}\"", a["id"])), "{user}: the photo shown: {row}");
    }
    // A deliverable without files says so.
    let bare: Value = app.post(&format!("/api/v1/contracts/{}/deliverables", c["id"]), &xf, json!({"clause_id": clause, "summary": "补充说明"})).await.json().await.unwrap();
    assert_eq!(bare["attachments"], json!([]));
}

#[tokio::test]
async fn a_sheet_spanning_the_whole_grid_is_refused_quickly() {
    let app = spawn_app().await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("依法履职事项清单").unwrap();
    ws.write_string(0, 0, "编号").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    let r = app.import(&app.token("minzheng").await, wb.save_to_buffer().unwrap(), false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("工作表过大"), "{body}");
}
