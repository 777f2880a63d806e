//! Issue 14: open data in OCDS 1.1. Every package the public endpoints serve validates
//! against the official schemas kept in `tests/ocds/schema` (resolved locally, no network)
//! with zero errors, uses only codes of the official codelists, and holds the figures the
//! API shows: for every demo contract, through an amendment, a payment and a termination,
//! and for a generated county page by page.
use std::collections::{BTreeSet, HashMap};

use jsonschema::{Draft, Registry, Validator};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::audit::signed_survey;
use crate::helpers::{spawn_app, TestApp};
use crate::lifecycle::{pay, sign_both};

const BASE: &str = "https://standard.open-contracting.org/schema/1__1__5/";
const SCHEMAS: [&str; 4] = ["release-schema.json", "release-package-schema.json", "record-package-schema.json", "versioned-release-validation-schema.json"];

fn read_schema(name: &str) -> Value {
    let path = format!("{}/tests/ocds/schema/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A validator of one package schema, its references resolved from the local copies,
/// formats (date-time, uri) checked.
fn validator(name: &str) -> Validator {
    let resources = SCHEMAS.iter().map(|s| (format!("{BASE}{s}"), Draft::Draft4.create_resource(read_schema(s))));
    let registry = Registry::new().extend(resources).unwrap().prepare().unwrap();
    jsonschema::options().with_draft(Draft::Draft4).with_registry(&registry).should_validate_formats(true).build(&read_schema(name)).unwrap()
}

fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// The codes of an official codelist.
fn codelist(name: &str) -> BTreeSet<String> {
    let path = format!("{}/tests/ocds/schema/codelists/{name}.csv", env!("CARGO_MANIFEST_DIR"));
    let mut r = csv::Reader::from_path(&path).unwrap();
    let at = r.headers().unwrap().iter().position(|h| h == "Code").unwrap();
    r.records().map(|rec| rec.unwrap()[at].to_string()).collect()
}

/// Every code a release uses, checked against its codelist (the open codelists are not
/// enums in the schema, so the schema alone would let a made-up code through).
/// An array the release may leave out when it is empty.
fn arr(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn codelist_breaches(release: &Value) -> Vec<String> {
    let mut used: Vec<(&str, &Value)> = vec![("releaseTag", &release["tag"]), ("initiationType", &release["initiationType"])];
    for p in release["parties"].as_array().unwrap() {
        used.push(("partyRole", &p["roles"]));
    }
    let t = &release["tender"];
    used.extend([("tenderStatus", &t["status"]), ("method", &t["procurementMethod"]), ("procurementCategory", &t["mainProcurementCategory"])]);
    for a in release["awards"].as_array().unwrap() {
        used.extend([("awardStatus", &a["status"]), ("currency", &a["value"]["currency"])]);
    }
    for c in release["contracts"].as_array().unwrap() {
        used.extend([("contractStatus", &c["status"]), ("currency", &c["value"]["currency"])]);
        for m in c["milestones"].as_array().unwrap() {
            used.extend([("milestoneType", &m["type"]), ("milestoneStatus", &m["status"])]);
        }
        for d in arr(&c["documents"]) {
            used.push(("documentType", &d["documentType"]));
        }
        for x in arr(&c["implementation"]["transactions"]) {
            used.push(("currency", &x["value"]["currency"]));
        }
    }
    let mut out = Vec::new();
    let mut lists: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (list, v) in used {
        let codes = lists.entry(list).or_insert_with(|| codelist(list));
        let values: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for code in values {
            match code.as_str() {
                Some(c) if codes.contains(c) => {}
                _ => out.push(format!("{list}: {code}")),
            }
        }
    }
    out
}

struct Checker {
    releases: Validator,
    records: Validator,
}

impl Checker {
    fn new() -> Checker {
        Checker { releases: validator("release-package-schema.json"), records: validator("record-package-schema.json") }
    }

    fn release_package(&self, p: &Value) {
        let e = errors(&self.releases, p);
        assert!(e.is_empty(), "release package invalid: {e:#?}\n{p:#}");
        for r in p["releases"].as_array().unwrap() {
            let bad = codelist_breaches(r);
            assert!(bad.is_empty(), "codes outside the codelists: {bad:?}");
        }
    }

    fn record_package(&self, p: &Value) {
        let e = errors(&self.records, p);
        assert!(e.is_empty(), "record package invalid: {e:#?}\n{p:#}");
        let bad = codelist_breaches(&p["records"][0]["compiledRelease"]);
        assert!(bad.is_empty(), "codes outside the codelists: {bad:?}");
    }
}

async fn public(app: &TestApp, url: &str) -> Value {
    let r = app.api.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{url}");
    r.json().await.unwrap()
}

/// Every page of a county's release package, validated, following `links.next`.
async fn county_releases(app: &TestApp, ck: &Checker, county: i64, limit: u32) -> (Vec<Value>, usize) {
    let mut url = app.url(&format!("/api/v1/public/{county}/ocds/releases?limit={limit}"));
    let (mut all, mut pages) = (Vec::new(), 0);
    loop {
        let p = public(app, &url).await;
        ck.release_package(&p);
        pages += 1;
        all.extend(p["releases"].as_array().unwrap().iter().cloned());
        match p["links"]["next"].as_str() {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    (all, pages)
}

fn yuan(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 100.0).round() as i64
}

fn fen(s: &Value) -> i64 {
    let d: rust_decimal::Decimal = s.as_str().unwrap().parse().unwrap();
    (d * rust_decimal::Decimal::from(100)).try_into().unwrap()
}

#[tokio::test]
async fn every_demo_contract_is_valid_ocds_with_the_figures_the_api_shows() {
    let app = spawn_app().await;
    zhunru::demo::load_cases(&app.db, &zhunru::contracts::template::load_embedded().unwrap()).await.unwrap();
    let ck = Checker::new();
    let admin = app.token("caizheng").await;
    let contracts = app.list("/api/v1/contracts", &admin).await;
    let signed: Vec<&Value> = contracts.as_array().unwrap().iter().filter(|c| c["status"] != "draft").collect();
    assert!(signed.len() >= 3, "the demo has signed contracts");
    let county: i64 = {
        let me: Value = app.get("/api/v1/me", &admin).await.json().await.unwrap();
        me["user"]["county_id"].as_i64().or_else(|| me["county_id"].as_i64()).unwrap()
    };
    let (releases, pages) = county_releases(&app, &ck, county, 2).await;
    assert!(pages >= 2, "paginated: {pages} pages");
    let ocids: BTreeSet<&str> = releases.iter().map(|r| r["ocid"].as_str().unwrap()).collect();
    assert_eq!(ocids.len(), signed.len(), "one ocid per signed contract");
    let ids: BTreeSet<&str> = releases.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), releases.len(), "release ids are unique");

    for c in signed {
        let id = c["id"].as_i64().unwrap();
        let p = public(&app, &app.url(&format!("/api/v1/public/{county}/ocds/contracts/{id}"))).await;
        ck.release_package(&p);
        let rec = public(&app, &app.url(&format!("/api/v1/public/{county}/ocds/records/{id}"))).await;
        ck.record_package(&rec);
        let compiled = &rec["records"][0]["compiledRelease"];
        let k = &compiled["contracts"][0];
        assert_eq!(yuan(&k["value"]["amount"]), fen(&c["amount"]), "contract value");
        assert_eq!(k["value"]["currency"], "CNY");
        assert_eq!(compiled["parties"][0]["name"], c["department"]);
        assert_eq!(compiled["parties"][1]["name"], c["community"]);
        assert_eq!(compiled["tender"]["procurementMethod"], "direct");
        assert!(compiled["tender"]["procurementMethodRationale"].as_str().unwrap().contains("准入"));
        let paid: i64 = arr(&k["implementation"]["transactions"]).iter().map(|x| yuan(&x["value"]["amount"])).sum();
        let funds: Value = app.get(&format!("/api/v1/contracts/{id}/funds"), &admin).await.json().await.unwrap();
        assert_eq!(paid, fen(&funds["disbursed"]), "transactions = what the ledger paid ({})", c["number"]);
        let pdf = app.api.get(k["documents"][0]["url"].as_str().unwrap()).send().await.unwrap();
        assert_eq!(pdf.status(), StatusCode::OK);
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"), "the linked document is the contract");
    }
}

#[tokio::test]
async fn amendments_payments_and_termination_become_releases_and_drafts_stay_private() {
    let app = spawn_app().await;
    let ck = Checker::new();
    let (c, advance) = signed_survey(&app).await;
    let id = c["id"].as_i64().unwrap();
    let sj = app.token("shijian").await;
    let me: Value = app.get("/api/v1/me", &sj).await.json().await.unwrap();
    let county = me["user"]["county_id"].as_i64().or_else(|| me["county_id"].as_i64()).unwrap();
    let url = app.url(&format!("/api/v1/public/{county}/ocds/records/{id}"));

    assert_eq!(pay(&app, "ocds-1", &c, &advance, "900.00").await.status(), StatusCode::CREATED);
    let r = app.post(&format!("/api/v1/contracts/{id}/amendments"), &sj, json!({"rationale_code": "SCOPE_CHANGE", "rationale": "商户减少", "amount": "2500.00"})).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    // An amendment not yet signed by both is not public.
    let rec = public(&app, &url).await;
    ck.record_package(&rec);
    assert!(rec["records"][0]["compiledRelease"]["contracts"][0].get("amendments").is_none(), "no amendment yet: the field is left out, not []");
    let text = rec.to_string();
    assert!(!text.contains(":[]"), "no empty array published: {text}");
    assert_eq!(yuan(&rec["records"][0]["compiledRelease"]["contracts"][0]["value"]["amount"]), 300_000);
    sign_both(&app, &c["id"]).await;
    let r = app.post(&format!("/api/v1/contracts/{id}/terminate"), &sj, json!({"reason_code": "MUTUAL_AGREEMENT", "reason": "社区换届，双方协商终止"})).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());

    let rec = public(&app, &url).await;
    ck.record_package(&rec);
    // The checks can fail: a date without its zone, an amount as text, a made-up role.
    let mut bad = rec.clone();
    bad["records"][0]["compiledRelease"]["date"] = json!("2026-03-01 10:00");
    bad["records"][0]["compiledRelease"]["contracts"][0]["value"]["amount"] = json!("2500.00");
    assert_eq!(errors(&ck.records, &bad).len(), 2, "{:?}", errors(&ck.records, &bad));
    bad["records"][0]["compiledRelease"]["parties"][0]["roles"] = json!(["boss"]);
    assert_eq!(codelist_breaches(&bad["records"][0]["compiledRelease"]), ["partyRole: \"boss\""]);
    let releases = rec["records"][0]["releases"].as_array().unwrap();
    let tags: Vec<&str> = releases.iter().map(|r| r["tag"][0].as_str().unwrap()).collect();
    assert_eq!(tags, ["award", "implementation", "contractAmendment", "contractTermination"]);
    let dates: Vec<&str> = releases.iter().map(|r| r["date"].as_str().unwrap()).collect();
    // Oldest first, and distinct though made within seconds (to the microsecond).
    let instants: Vec<chrono::DateTime<chrono::FixedOffset>> = dates.iter().map(|d| chrono::DateTime::parse_from_rfc3339(d).unwrap()).collect();
    assert!(instants.windows(2).all(|w| w[0] < w[1]), "oldest first, none sharing a date: {dates:?}");
    let k = &rec["records"][0]["compiledRelease"]["contracts"][0];
    assert_eq!(k["status"], "terminated");
    assert_eq!(yuan(&k["value"]["amount"]), 250_000, "the amended value");
    let am = &k["amendments"][0];
    assert!(am["rationale"].as_str().unwrap().contains("商户减少"), "{am}");
    assert_eq!(am["amendsReleaseID"], releases[0]["id"]);
    assert_eq!(am["releaseID"], releases[2]["id"]);
    let tx = k["implementation"]["transactions"].as_array().unwrap();
    assert_eq!(tx.len(), 1);
    assert_eq!(yuan(&tx[0]["value"]["amount"]), 90_000);
    assert_eq!(tx[0]["payer"]["name"], "区市场监督管理局");
    assert_eq!(tx[0]["payee"]["name"], "幸福社区");
    // The standard merge (ocdskit compile) merges milestones by id across releases: an
    // amendment that renamed an instalment would leave the old one behind, scheduled for
    // ever. Every release names the same instalments.
    let ids = |r: &Value| -> Vec<String> { r["contracts"][0]["milestones"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_string()).collect() };
    let union: BTreeSet<String> = releases.iter().flat_map(ids).collect();
    assert_eq!(union, ids(&releases[3]).into_iter().collect::<BTreeSet<_>>(), "instalment ids stable across versions");
    // Ended: the instalment paid is met, the one never paid notMet, none scheduled for
    // ever (issue 26); before the end it was scheduled.
    let statuses: Vec<&str> = k["milestones"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["met", "notMet"], "{}", k["milestones"]);
    let before_end: Vec<&str> = releases[2]["contracts"][0]["milestones"].as_array().unwrap().iter().map(|m| m["status"].as_str().unwrap()).collect();
    assert!(before_end.contains(&"scheduled"), "{before_end:?}");
    // The publication policy the package points to is a page that answers, and each of
    // its links to what is published answers too.
    let policy = rec["publicationPolicy"].as_str().unwrap().split('#').next().unwrap().to_string();
    let page = app.api.get(&policy).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK, "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"id="policy""#) && html.contains("公开政策"), "{html}");
    for id in ["portal-lists", "portal-admissions", "portal-notices", "portal-ocds"] {
        let at = html.find(&format!(r#"id="{id}""#)).unwrap_or_else(|| panic!("{id}"));
        let href_at = html[..at].rfind("href=\"").unwrap() + 6;
        let href = &html[href_at..href_at + html[href_at..].find('"').unwrap()];
        assert_eq!(app.api.get(app.url(href)).send().await.unwrap().status(), StatusCode::OK, "{id}: {href}");
    }
    // The payment release already showed the first milestone met.
    let met: Vec<&Value> = releases[1]["contracts"][0]["milestones"].as_array().unwrap().iter().filter(|m| m["status"] == "met").collect();
    assert_eq!(met.len(), 1);

    // A draft is not open data, nor is another county's contract under this county's id.
    let a = crate::contracts::admitted(&app, "再次摸底", "1000.00", "2026-05-01", "2026-06-30").await;
    let mut body = crate::contracts::survey_contract(a, app.org_id("和谐社区").await, "1000.00");
    body["variables"]["delivery_date"] = json!("2026-06-15");
    let d = crate::contracts::draft(&app, body).await;
    for path in [format!("/api/v1/public/{county}/ocds/contracts/{}", d["id"]), format!("/api/v1/public/{county}/ocds/records/{}", d["id"]), format!("/api/v1/public/{county}/contracts/{}/pdf", d["id"]), format!("/api/v1/public/{}/ocds/contracts/{id}", county + 1000)] {
        let r = app.api.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (all, _) = county_releases(&app, &ck, county, 50).await;
    assert!(all.iter().all(|r| r["ocid"] != Value::Null && !r["ocid"].as_str().unwrap().ends_with(&format!("-{}", d["id"]))));

    // The county's registered prefix is used once set; a malformed one is refused.
    let admin = app.token("admin").await;
    let bad = app.put("/api/v1/county/settings", &admin, json!({"emergency_approval_days": 15, "ocid_prefix": "ocds-12"})).await;
    crate::helpers::assert_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED").await;
    let ok = app.put("/api/v1/county/settings", &admin, json!({"emergency_approval_days": 15, "ocid_prefix": "ocds-213czf"})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let rec = public(&app, &url).await;
    assert_eq!(rec["records"][0]["ocid"], format!("ocds-213czf-zhunru-{county}-{id}"));
}

#[tokio::test]
async fn a_generated_county_is_valid_ocds_page_by_page() {
    // The generator writes into an empty database; the server then serves it.
    let (url, _guard) = crate::helpers::fresh_database().await;
    let state = zhunru::prepare(zhunru::platform::config::Config { database_url: url, ..Default::default() }).await.unwrap();
    let today = chrono::Utc::now().date_naive();
    let g = zhunru::bench::generate::generate(&state.db, zhunru::bench::generate::Scale::SMOKE, 7, today, &|_| {}).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, zhunru::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap() });
    let ck = Checker::new();
    let (county, _) = g.counties[0];
    let client = reqwest::Client::new();
    let mut next = Some(format!("{addr}/api/v1/public/{county}/ocds/releases?limit=15"));
    let (mut releases, mut pages) = (Vec::new(), 0);
    while let Some(url) = next {
        let p: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
        ck.release_package(&p);
        pages += 1;
        next = p["links"]["next"].as_str().map(str::to_string);
        releases.extend(p["releases"].as_array().unwrap().iter().cloned());
    }
    assert!(pages >= 3, "{pages} pages");
    let ocids: BTreeSet<&str> = releases.iter().map(|r| r["ocid"].as_str().unwrap()).collect();
    assert!(ocids.len() >= 30, "most generated contracts are signed: {}", ocids.len());
    assert!(releases.iter().any(|r| r["tag"][0] == "implementation"), "payments become releases");
}

/// Issue 26: with `ZHUNRU_PUBLIC_URL` set, the open data's links are built from it; a
/// forged Host header rewrites none of them.
#[tokio::test]
async fn links_come_from_the_configured_public_address_not_the_host_header() {
    let config = zhunru::platform::config::Config { public_url: Some("https://zhunru.example.gov.cn/".into()), ..Default::default() };
    let app = crate::helpers::spawn_app_with(config).await;
    let (c, _) = signed_survey(&app).await;
    let me: Value = app.get("/api/v1/me", &app.token("shijian").await).await.json().await.unwrap();
    let county = me["user"]["county_id"].as_i64().or_else(|| me["county_id"].as_i64()).unwrap();
    for path in [format!("/api/v1/public/{county}/ocds/releases"), format!("/api/v1/public/{county}/ocds/records/{}", c["id"])] {
        let r = app.api.get(app.url(&path)).header("host", "evil.example").header("x-forwarded-proto", "http").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text = r.text().await.unwrap();
        assert!(!text.contains("evil.example"), "{path}: a forged Host is in the links");
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["uri"].as_str().unwrap().starts_with("https://zhunru.example.gov.cn/api/v1/public/"), "{}", doc["uri"]);
        assert_eq!(doc["publicationPolicy"], format!("https://zhunru.example.gov.cn/public/{county}#policy"));
    }
}
