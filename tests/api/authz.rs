//! Issue 12, the authorization matrix. `tests/authz.md` says, for every route of the
//! OpenAPI document, what each caller gets; this module calls every path and method of
//! the document as every caller and compares. A route of the document missing from the
//! table fails, and so does a row of the table the document does not have.
//!
//! Also here: the matrix's own rules (the supervisor is read-only), and a lint that reads
//! of county-scoped tables go through `platform::db::in_county` / `by_id_in_county`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::contracts::{draft, survey_contract};
use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::lifecycle::{pay, sign_both};

const MATRIX: &str = include_str!("../authz.md");

/// Written into every record the matrix calls on, so that a list leaking one shows it.
const MARKER: &str = "授权矩阵";

/// Routes the read-only supervisor may still call with POST/PUT: its own account's.
/// Routes that change only the caller's own account or session (looking into a county below
/// and back is the session's, like logging out).
const ACCOUNT_ROUTES: [&str; 4] = ["POST /api/v1/auth/login", "POST /api/v1/auth/logout", "PUT /api/v1/me/password", "POST /api/v1/region/view"];

// ---------------------------------------------------------------------------------------
// The table

pub(crate) struct Row {
    pub(crate) method: String,
    pub(crate) path: String,
    cells: BTreeMap<String, String>,
    line: usize,
}

impl Row {
    pub(crate) fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub(crate) fn cell(&self, column: &str) -> &str {
        self.cells.get(column).unwrap_or_else(|| panic!("tests/authz.md has no column {column:?}"))
    }
}

fn split_cells(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|c| c.trim().trim_matches('`').to_string()).collect()
}

/// The rows of the table under `| method | path | ...` in tests/authz.md.
pub(crate) fn matrix() -> Vec<Row> {
    let mut lines = MATRIX.lines().enumerate().skip_while(|(_, l)| !l.starts_with("| method | path |"));
    let (_, header) = lines.next().expect("tests/authz.md has a table starting `| method | path |`");
    let columns = split_cells(header);
    lines.next(); // |---|---|
    let mut rows = Vec::new();
    for (n, line) in lines {
        if !line.starts_with('|') {
            break;
        }
        let cells = split_cells(line);
        assert_eq!(cells.len(), columns.len(), "tests/authz.md line {}: {} cells for {} columns", n + 1, cells.len(), columns.len());
        rows.push(Row {
            method: cells[0].to_uppercase(),
            path: cells[1].clone(),
            cells: columns.iter().cloned().zip(cells).skip(2).collect(),
            line: n + 1,
        });
    }
    assert!(rows.len() > 10, "tests/authz.md: the matrix has {} rows", rows.len());
    rows
}

#[test]
fn the_supervisor_is_read_only_in_the_matrix() {
    let rows = matrix();
    let mut seen = BTreeSet::new();
    for r in &rows {
        let at = format!("tests/authz.md line {} ({})", r.line, r.key());
        assert!(seen.insert(r.key()), "{at}: the route is listed twice");
        assert!(["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&r.method.as_str()), "{at}: method");
        let anonymous = r.cell("anonymous");
        assert!(["public", "401"].contains(&anonymous), "{at}: anonymous is `public` or `401`, not {anonymous:?}");
        for (column, value) in r.cells.iter().filter(|(c, _)| !["anonymous", "notes"].contains(&c.as_str())) {
            assert!(["yes", "hidden", "403", "404"].contains(&value.as_str()), "{at}: {column} = {value:?}");
            if anonymous == "public" {
                assert_eq!(value, "yes", "{at}: a public route is open to every caller");
            }
        }
        // The policy: 督查 reads everything of its county and changes nothing.
        if r.method != "GET" && r.cell("supervisor") == "yes" {
            assert!(ACCOUNT_ROUTES.contains(&r.key().as_str()), "{at}: the supervisor is read-only, yet may call this route");
        }
        if r.method != "GET" {
            assert_ne!(r.cell("supervisor"), "hidden", "{at}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// The records the calls are about

pub(crate) struct Fx {
    pub(crate) county: i64,
    pub(crate) xingfu: i64,
    pub(crate) dept_org: i64,
    pub(crate) dept_user: i64,
    /// Admitted, for 幸福社区 only.
    pub(crate) admitted: i64,
    /// Submitted, with a doubtful finding overridden by civil affairs.
    pub(crate) submitted: i64,
    /// Active, 区市场监督管理局 with 幸福社区.
    pub(crate) contract: i64,
    /// A draft of the same two.
    pub(crate) draft: i64,
    /// Accepted.
    pub(crate) deliverable: i64,
    /// A file of `deliverable`.
    pub(crate) attachment: i64,
    /// Paid and confirmed.
    pub(crate) payment: i64,
    /// The department's evaluation of `contract`.
    pub(crate) evaluation: i64,
    /// 幸福社区 about 区市场监督管理局, not yet handled.
    pub(crate) report: i64,
    pub(crate) term: i64,
    pub(crate) item: i64,
    pub(crate) list_year: i64,
}

async fn ok(r: reqwest::Response, want: StatusCode, what: &str) -> Value {
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, want, "{what}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn application(title: &str, description: &str, xingfu: i64) -> Value {
    json!({
        "title": title, "description": description, "basis": "示范区市场监管局〔2026〕12号",
        "work_plan": "3月入户登记，4月汇总上报", "target_community_ids": [xingfu],
        "period_start": "2026-03-01", "period_end": "2026-04-30", "staffing": "每社区2名网格员", "budget": "9000.00",
    })
}

pub(crate) async fn fixtures(app: &TestApp) -> Fx {
    let (sj, mz, ld, cz, xf) = (app.token("shijian").await, app.token("minzheng").await, app.token("lingdao").await, app.token("caizheng").await, app.token("xingfu").await);
    let xingfu = app.org_id("幸福社区").await;
    let dept_org = app.org_id("区市场监督管理局").await;
    let me = ok(app.get("/api/v1/me", &sj).await, StatusCode::OK, "me").await;
    let r = app.put(&format!("/api/v1/budgets/{dept_org}/2026"), &cz, json!({"amount": "1000000.00", "reason": "授权矩阵预算"})).await;
    ok(r, StatusCode::OK, "budget").await;

    // An admitted application, for 幸福社区 only.
    let a = ok(app.post("/api/v1/admissions", &sj, application("授权矩阵企业摸底", "入户登记辖区企业名称、地址、联系人", xingfu)).await, StatusCode::CREATED, "admission").await;
    let admitted = a["id"].as_i64().unwrap();
    ok(app.post(&format!("/api/v1/admissions/{admitted}/submit"), &sj, json!({})).await, StatusCode::OK, "submit").await;
    ok(app.post(&format!("/api/v1/admissions/{admitted}/review"), &mz, json!({"opinion": "approve", "comment": "同意"})).await, StatusCode::OK, "review").await;
    let a = ok(app.post(&format!("/api/v1/admissions/{admitted}/decide"), &ld, json!({"decision": "approve", "comment": "同意"})).await, StatusCode::OK, "decide").await;
    assert_eq!(a["status"], "admitted");

    // A submitted one whose doubtful finding civil affairs overrode.
    let body = application("授权矩阵走访登记", "网格员走访中发现辖区新增违建的，及时向街道报告线索", xingfu);
    let s = ok(app.post("/api/v1/admissions", &sj, body).await, StatusCode::CREATED, "second admission").await;
    let submitted = s["id"].as_i64().unwrap();
    let s = ok(app.post(&format!("/api/v1/admissions/{submitted}/submit"), &sj, json!({})).await, StatusCode::OK, "submit").await;
    assert_eq!(s["status"], "submitted");
    let key = s["findings"].as_array().unwrap().iter().find(|f| f["strength"] == "doubtful").expect("a doubtful finding")["key"].clone();
    let r = app.post(&format!("/api/v1/admissions/{submitted}/findings/decide"), &mz, json!({"key": key, "decision": "overridden", "reason": "仅为发现报告"})).await;
    ok(r, StatusCode::OK, "override").await;

    // An active contract with an accepted deliverable, a confirmed payment and the
    // department's evaluation; and a draft.
    let c = draft(app, survey_contract(admitted, xingfu, "3000.00")).await;
    let c = sign_both(app, &c["id"]).await;
    assert_eq!(c["status"], "active");
    let contract = c["id"].as_i64().unwrap();
    let (advance, last) = (c["milestones"][0].clone(), c["milestones"][1].clone());
    let clause = last["clause_id"].clone();
    let d = ok(app.post(&format!("/api/v1/contracts/{contract}/deliverables"), &xf, json!({"clause_id": clause, "summary": "授权矩阵商户汇总表"})).await, StatusCode::CREATED, "deliverable").await;
    let deliverable = d["id"].as_i64().unwrap();
    let file = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 authz".to_vec()).file_name("汇总表.pdf"));
    let r = app.api.post(app.url(&format!("/api/v1/deliverables/{deliverable}/attachments"))).bearer_auth(&xf).multipart(file).send().await.unwrap();
    let attachment = ok(r, StatusCode::CREATED, "attachment").await["id"].as_i64().unwrap();
    ok(app.post(&format!("/api/v1/deliverables/{deliverable}/accept"), &sj, json!({})).await, StatusCode::OK, "accept").await;
    let p = ok(pay(app, "authz-advance", &c, &advance, advance["amount"].as_str().unwrap()).await, StatusCode::CREATED, "payment").await;
    let payment = p["id"].as_i64().unwrap();
    ok(app.post(&format!("/api/v1/disbursements/{payment}/confirm"), &xf, json!({})).await, StatusCode::OK, "confirm").await;
    let e = ok(app.post(&format!("/api/v1/contracts/{contract}/evaluations"), &sj, json!({"items": [{"clause_id": clause, "rating": "satisfied"}]})).await, StatusCode::CREATED, "evaluation").await;
    let evaluation = e["id"].as_i64().unwrap();
    let still = ok(app.get(&format!("/api/v1/contracts/{contract}"), &sj).await, StatusCode::OK, "contract").await;
    assert_eq!(still["status"], "active", "not all paid: the contract stays active");
    let d = draft(app, survey_contract(admitted, xingfu, "1000.00")).await;

    let r = app.post("/api/v1/reports", &xf, json!({"department_id": dept_org, "task": "授权矩阵：要求社区代收费用", "occurred_on": "2026-11-01", "evidence": "通知截图"})).await;
    let report = ok(r, StatusCode::CREATED, "report").await["id"].as_i64().unwrap();
    let r = app.post("/api/v1/screening/terms", &mz, json!({"concept": "tax", "kind": "exclude", "pattern": "授权矩阵演练", "reason": "授权矩阵测试"})).await;
    let term = ok(r, StatusCode::CREATED, "term").await["id"].as_i64().unwrap();
    let duty = ok(app.get("/api/v1/lists/duty", &mz).await, StatusCode::OK, "duty list").await;
    // The lists filed already, so that civil affairs' probe of the filing changes nothing.
    ok(app.post("/api/v1/lists/filing", &mz, json!({})).await, StatusCode::CREATED, "filing").await;

    Fx {
        county: me["user"]["county_id"].as_i64().unwrap(),
        xingfu,
        dept_org,
        dept_user: me["user"]["id"].as_i64().unwrap(),
        admitted,
        submitted,
        contract,
        draft: d["id"].as_i64().unwrap(),
        deliverable,
        attachment,
        payment,
        evaluation,
        report,
        term,
        item: duty["items"][0]["id"].as_i64().unwrap(),
        list_year: duty["year"].as_i64().unwrap(),
    }
}

// ---------------------------------------------------------------------------------------
// The callers

struct Who {
    /// The matrix column this caller is judged by.
    column: &'static str,
    /// For 邻县's users: the column of their role (a role refused there is refused here).
    role_column: &'static str,
    username: Option<&'static str>,
    token: Option<String>,
}

impl Who {
    fn other_county(&self) -> bool {
        self.column == "other county"
    }

    fn label(&self) -> String {
        match self.username {
            Some(u) => format!("{u} ({})", if self.other_county() { format!("other county, {}", self.role_column) } else { self.column.to_string() }),
            None => "anonymous".into(),
        }
    }

    fn expected<'a>(&self, row: &'a Row) -> &'a str {
        if self.other_county() && row.cell(self.role_column) == "403" {
            "403"
        } else {
            row.cell(self.column)
        }
    }
}

/// 邻县, with a user of every role.
async fn second_county(app: &TestApp) {
    use zhunru::orgs::{store, OrgKind, Role, Username};
    let (county, _) = app.second_county_reviewer().await;
    let hash = zhunru::platform::auth::hash_password(PASSWORD);
    let root = store::list_orgs(&app.db, county).await.unwrap().into_iter().find(|o| o.parent_id.is_none()).unwrap().id;
    let street = store::insert_org(&app.db, county, Some(root), OrgKind::Street, "邻县城关街道").await.unwrap().id;
    for (username, role, kind, org) in [
        ("linxian-ld", Role::Approver, Some(OrgKind::LeadingGroup), "邻县城乡社区建设领导小组"),
        ("linxian-cz", Role::Finance, Some(OrgKind::Finance), "邻县财政局"),
        ("linxian-bm", Role::Department, Some(OrgKind::Department), "邻县卫生健康局"),
        ("linxian-sq", Role::Community, Some(OrgKind::Community), "邻县红旗社区"),
        ("linxian-dc", Role::Supervisor, None, ""),
    ] {
        let org = match kind {
            None => root,
            Some(k) => store::insert_org(&app.db, county, Some(if k == OrgKind::Community { street } else { root }), k, org).await.unwrap().id,
        };
        store::insert_user(&app.db, county, org, &Username::parse(username).unwrap(), username, role, &hash).await.unwrap();
    }
}

async fn callers(app: &TestApp) -> Vec<Who> {
    second_county(app).await;
    let mut out = vec![Who { column: "anonymous", role_column: "anonymous", username: None, token: None }];
    for (column, role_column, username) in [
        ("admin", "admin", "admin"),
        ("reviewer", "reviewer", "minzheng"),
        ("approver", "approver", "lingdao"),
        ("finance", "finance", "caizheng"),
        ("department", "department", "shijian"),
        ("other department", "department", "weijian"),
        ("community", "community", "xingfu"),
        ("other community", "community", "hexie"),
        ("supervisor", "supervisor", "ducha"),
        ("other county", "admin", "linxian-admin"),
        ("other county", "reviewer", "linxian-mz"),
        ("other county", "approver", "linxian-ld"),
        ("other county", "finance", "linxian-cz"),
        ("other county", "department", "linxian-bm"),
        ("other county", "community", "linxian-sq"),
        ("other county", "supervisor", "linxian-dc"),
    ] {
        out.push(Who { column, role_column, username: Some(username), token: Some(app.token(username).await) });
    }
    out
}

// ---------------------------------------------------------------------------------------
// The calls

const UNKNOWN_ID: i64 = 999_999_999;

/// The record behind `{id}` of a route.
fn record_for(method: &str, path: &str, fx: &Fx) -> i64 {
    let rest = |prefix: &str| path.strip_prefix(prefix);
    if let Some(rest) = rest("/api/v1/admissions/{id}") {
        // Reads, and the steps the admitted application's state refuses; the other steps
        // on the submitted one, whose state refuses them.
        let on_admitted = method == "GET" || ["/review", "/decide", "/findings/decide"].contains(&rest);
        return if on_admitted { fx.admitted } else { fx.submitted };
    }
    if path == "/api/v1/contracts/{id}/complete" {
        return fx.draft; // an active contract would complete
    }
    for (prefix, id) in [
        ("/api/v1/contracts/{id}", fx.contract),
        ("/api/v1/public/{county_id}/ocds/contracts/{id}", fx.contract),
        ("/api/v1/public/{county_id}/ocds/records/{id}", fx.contract),
        ("/api/v1/public/{county_id}/contracts/{id}", fx.contract),
        ("/api/v1/deliverables/{id}", fx.deliverable),
        // No dispute in the fixture: the body is refused before any record is looked up.
        ("/api/v1/disputes/{id}", fx.contract),
        ("/api/v1/attachments/{id}", fx.attachment),
        ("/api/v1/disbursements/{id}", fx.payment),
        ("/api/v1/evaluations/{id}", fx.evaluation),
        ("/api/v1/reports/{id}", fx.report),
        ("/api/v1/screening/terms/{id}", fx.term),
        ("/api/v1/lists/items/{id}", fx.item),
        ("/api/v1/orgs/{id}", fx.dept_org),
        ("/api/v1/users/{id}", fx.dept_user),
    ] {
        if path.starts_with(prefix) {
            return id;
        }
    }
    panic!("{method} {path}: no record for {{id}}; say in tests/api/authz.rs `record_for` which one to use")
}

/// The URL of a route with its parameters filled in (`unknown`: ids that do not exist).
pub(crate) fn url_for(method: &str, path: &str, fx: &Fx, unknown: bool) -> String {
    let mut url = path.to_string();
    while let Some(start) = url.find('{') {
        let end = start + url[start..].find('}').unwrap();
        let value = match &url[start + 1..end] {
            "id" if unknown => UNKNOWN_ID.to_string(),
            // The reviewer's inbox item for the submitted application.
            "id" if path.starts_with("/api/v1/inbox/") => format!("review-{}", fx.submitted),
            "id" => record_for(method, path, fx).to_string(),
            "department_id" if unknown => UNKNOWN_ID.to_string(),
            "department_id" => fx.dept_org.to_string(),
            "year" => "2026".into(),
            "period" => "2026-H1".into(),
            "admission_id" if unknown => UNKNOWN_ID.to_string(),
            "admission_id" => fx.admitted.to_string(),
            "county_id" => fx.county.to_string(),
            "kind" => "duty".into(),
            "name" => "contracts".into(),
            other => panic!("{method} {path}: no value for {{{other}}} in tests/api/authz.rs `url_for`"),
        };
        url.replace_range(start..=end, &value);
    }
    if path == "/api/v1/lists/diff" {
        url.push_str(&format!("?from={0}&to={0}", fx.list_year));
    }
    url
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    /// Not JSON a handler can use: authorization must be decided before the body is read.
    Malformed,
    ImportUpload,
    Attachment,
}

/// A body that gets past authorization and changes nothing: incomplete, or asking for a
/// step the record's state refuses.
fn body_for(method: &str, path: &str, who: &Who, fx: &Fx) -> Body {
    if method == "GET" {
        return Body::None;
    }
    let probe = format!("{MARKER}探测");
    Body::Json(match (method, path) {
        ("POST", "/api/v1/lists/import") => return Body::ImportUpload,
        ("POST", "/api/v1/deliverables/{id}/attachments") => return Body::Attachment,
        // A complete form, so that the state (submitted) answers, not the form.
        ("PUT", "/api/v1/admissions/{id}") => json!({"title": probe, "target_community_ids": [fx.xingfu]}),
        ("POST", "/api/v1/admissions/{id}/review") => json!({"opinion": "reject", "comment": probe}),
        ("POST", "/api/v1/admissions/{id}/decide") => json!({"decision": "reject", "comment": probe}),
        ("POST", "/api/v1/admissions/{id}/findings/decide") => json!({"key": "demolition", "decision": "confirmed", "reason": probe}),
        // Below what is committed: refused.
        ("PUT", "/api/v1/budgets/{department_id}/{year}") => json!({"amount": "1.00", "reason": probe}),
        ("POST", "/api/v1/contracts/{id}/deliverables") => json!({"clause_id": 0, "summary": probe}),
        ("POST", "/api/v1/contracts/{id}/evaluations") if who.role_column == "community" => json!({"evaluator": "residents", "items": []}),
        ("POST", "/api/v1/contracts/{id}/evaluations") => json!({"items": []}),
        ("POST", "/api/v1/disbursements/{id}/dispute") => json!({"reason": probe}),
        ("PUT", "/api/v1/assessments/{period}/{admission_id}") => json!({"effect": probe, "views": [{"community_id": 0}]}),
        ("POST", "/api/v1/reports/{id}/handle") => json!({"outcome": "dismissed", "reason": ""}),
        // Removes the county word for civil affairs (no other caller gets that far).
        ("POST", "/api/v1/screening/terms/{id}/remove") => json!({"reason": probe}),
        _ => json!({}),
    })
}

struct Answer {
    status: StatusCode,
    code: String,
    text: String,
    json: Option<Value>,
}

impl Answer {
    fn describe(&self) -> String {
        let excerpt: String = self.text.chars().take(160).collect();
        format!("{} {}", self.status.as_u16(), if self.code.is_empty() { excerpt } else { format!("{} ({excerpt})", self.code) })
    }
}

async fn send(app: &TestApp, method: &str, url: &str, token: Option<&str>, body: &Body) -> Answer {
    let mut req = app.api.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req = match body {
        Body::None => req,
        Body::Json(v) => req.json(v),
        Body::Malformed => req.header("content-type", "application/json").body("\"not the body this route takes\""),
        Body::ImportUpload => req.multipart(
            reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name("lists.xlsx"))
                .text("reason", "授权矩阵探测")
                .text("document", "授权矩阵探测"),
        ),
        Body::Attachment => req.multipart(
            reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4 authz".to_vec()).file_name("授权矩阵.pdf")),
        ),
    };
    let r = req.send().await.unwrap();
    let status = r.status();
    let is_json = r.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|c| c.contains("json"));
    let bytes = r.bytes().await.unwrap();
    let (text, json) = if is_json {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str::<Value>(&text).ok();
        (text, json)
    } else {
        (String::new(), None)
    };
    let code = json.as_ref().and_then(|j| j["error"]["code"].as_str()).unwrap_or("").to_string();
    Answer { status, code, text, json }
}

/// One of the matrix's records in a list the caller should not see it in.
fn leak(a: &Answer, fx: &Fx, who: &Who) -> Option<String> {
    let mut markers = vec![MARKER];
    if who.other_county() {
        markers.extend(["幸福社区", "区市场监督管理局", "\"shijian\""]);
    }
    if let Some(m) = markers.iter().find(|m| a.text.contains(**m)) {
        return Some(format!("the answer contains “{m}”"));
    }
    fn walk(v: &Value, fx: &Fx) -> Option<String> {
        match v {
            Value::Object(o) => {
                for (key, ids) in [("admission_id", [fx.admitted, fx.submitted]), ("contract_id", [fx.contract, fx.draft])] {
                    if let Some(id) = o.get(key).and_then(Value::as_i64).filter(|id| ids.contains(id)) {
                        return Some(format!("the answer holds {key} {id}"));
                    }
                }
                o.values().find_map(|v| walk(v, fx))
            }
            Value::Array(a) => a.iter().find_map(|v| walk(v, fx)),
            _ => None,
        }
    }
    a.json.as_ref().and_then(|j| walk(j, fx))
}

enum Verdict {
    Ok,
    Mismatch(String),
    /// A 422 where the table says 404: fine if an unknown id gets the same answer.
    CheckUnknownId,
}

fn judge(expected: &str, method: &str, a: &Answer) -> Verdict {
    let s = a.status;
    if s.is_server_error() {
        return Verdict::Mismatch(format!("server error {}", a.describe()));
    }
    let fine = match expected {
        "public" | "yes" | "hidden" if method == "GET" => s.is_success(),
        "public" | "yes" => !matches!(s, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "401" => s == StatusCode::UNAUTHORIZED && a.code == "UNAUTHENTICATED",
        "403" => s == StatusCode::FORBIDDEN && a.code == "FORBIDDEN",
        "404" if s == StatusCode::UNPROCESSABLE_ENTITY => return Verdict::CheckUnknownId,
        "404" => s == StatusCode::NOT_FOUND && a.code == "NOT_FOUND",
        other => return Verdict::Mismatch(format!("unknown value {other:?} in the table")),
    };
    if fine {
        Verdict::Ok
    } else {
        Verdict::Mismatch(format!("got {}", a.describe()))
    }
}

/// The routes of the OpenAPI document: "METHOD path" → whether it asks for a token.
fn document_routes(doc: &Value) -> BTreeMap<String, bool> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths in the OpenAPI document") {
        for method in ["get", "post", "put", "patch", "delete", "head", "options", "trace"] {
            if let Some(op) = item.get(method) {
                let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
                out.insert(format!("{} {path}", method.to_uppercase()), secured);
            }
        }
    }
    out
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_authz_matrix_says() {
    let app = spawn_app().await;
    let rows = matrix();
    let fx = fixtures(&app).await;
    let callers = callers(&app).await;
    let doc = ok(app.api.get(app.url("/api/v1/openapi.json")).send().await.unwrap(), StatusCode::OK, "openapi.json").await;
    let documented = document_routes(&doc);

    let mut problems = Vec::new();
    let table: BTreeMap<String, &Row> = rows.iter().map(|r| (r.key(), r)).collect();
    for (route, secured) in &documented {
        match table.get(route) {
            None => problems.push(format!("{route}: in the OpenAPI document, not in tests/authz.md")),
            Some(r) if *secured != (r.cell("anonymous") == "401") => {
                problems.push(format!("{route}: the document says {}, tests/authz.md line {} says {}", if *secured { "bearer token" } else { "no token" }, r.line, r.cell("anonymous")))
            }
            Some(_) => {}
        }
    }
    for r in &rows {
        if !documented.contains_key(&r.key()) {
            problems.push(format!("{}: tests/authz.md line {}, not in the OpenAPI document", r.key(), r.line));
        }
    }

    // Reads first, then writes: a write that goes through (removing the county word)
    // cannot change what a read sees.
    let mut order: Vec<&Row> = rows.iter().filter(|r| documented.contains_key(&r.key())).collect();
    order.sort_by_key(|r| (r.method != "GET", r.path.clone(), r.method.clone()));
    let (mut calls, mut extra, mut cross_scope) = (0, 0, 0);
    let mut notes = Vec::new();
    for row in order {
        let (method, path) = (row.method.as_str(), row.path.as_str());
        for who in &callers {
            let expected = who.expected(row);
            let body = body_for(method, path, who, &fx);
            let url = url_for(method, path, &fx, false);
            // Logging out ends the token: use a session of its own.
            let token = match (path, who.username) {
                ("/api/v1/auth/logout", Some(u)) => Some(app.token(u).await),
                _ => who.token.clone(),
            };
            let a = send(&app, method, &url, token.as_deref(), &body).await;
            calls += 1;
            if ["other department", "other community", "other county"].contains(&who.column) && expected == "404" {
                cross_scope += 1;
            }
            let at = format!("{method} {url} as {}: tests/authz.md line {} says {expected}", who.label(), row.line);
            match judge(expected, method, &a) {
                Verdict::Ok => {}
                Verdict::Mismatch(m) => problems.push(format!("{at}, {m}")),
                Verdict::CheckUnknownId => {
                    let again = send(&app, method, &url_for(method, path, &fx, true), token.as_deref(), &body).await;
                    extra += 1;
                    if (again.status, &again.code) == (a.status, &a.code) {
                        notes.push(format!("{method} {path} as {}: 422 {} before the record is looked up (same for an unknown id)", who.label(), a.code));
                    } else {
                        problems.push(format!("{at}, got {}, and {} for an unknown id", a.describe(), again.describe()));
                    }
                }
            }
            if expected == "hidden" && a.status.is_success() {
                if let Some(l) = leak(&a, &fx, who) {
                    problems.push(format!("{at}: {l}"));
                }
            }
            // Refusals come before the body is read: a body no handler could use changes nothing.
            if method != "GET" && ["401", "403"].contains(&expected) {
                let m = send(&app, method, &url, token.as_deref(), &Body::Malformed).await;
                extra += 1;
                if let Verdict::Mismatch(x) = judge(expected, method, &m) {
                    problems.push(format!("{at}; with a malformed body: {x} (the body is read before the caller is refused)"));
                }
            }
        }
    }

    println!(
        "authz: {} routes × {} callers (anonymous, 9 demo users, 7 users of 邻县) = {calls} calls checked, {} mismatches; \
         {cross_scope} of them another organisation's or county's records; {extra} extra calls (malformed bodies, unknown ids)",
        documented.len(),
        callers.len(),
        problems.len()
    );
    for n in &notes {
        println!("authz note: {n}");
    }
    assert!(problems.is_empty(), "{} mismatches with tests/authz.md:\n{}", problems.len(), problems.join("\n"));
}

// ---------------------------------------------------------------------------------------
// The pages: the supervisor posts nothing there either.

/// The page routes whose handlers `handles` (e.g. "post(") names, read from
/// `src/*/pages.rs`, so a new route is covered without listing it.
pub(crate) fn page_routes(handles: &str) -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut out = BTreeSet::new();
    for f in files.iter().filter(|f| f.file_name().is_some_and(|n| n == "pages.rs")) {
        let text = std::fs::read_to_string(f).unwrap();
        for chunk in text.split(".route(").skip(1) {
            let chunk = chunk.split(';').next().unwrap_or("");
            let Some(path) = chunk.trim_start().strip_prefix('"').and_then(|c| c.split('"').next()) else { continue };
            if chunk.contains(handles) {
                out.insert(path.to_string());
            }
        }
    }
    out
}

/// The page routes that take a POST.
fn page_post_routes() -> BTreeSet<String> {
    page_routes("post(")
}

#[tokio::test]
async fn the_supervisor_changes_nothing_through_the_pages_either() {
    let app = spawn_app().await;
    let routes = page_post_routes();
    assert!(routes.contains("/notices") && routes.contains("/admissions/{id}/step"), "{routes:?}");
    let ducha = app.page_login("ducha").await;
    let mut refused = 0;
    // Its own account's: login, logout, password, and read marks in its own inbox.
    for path in routes.iter().filter(|p| !["/login", "/logout", "/password", "/inbox/{id}/read", "/region/view"].contains(&p.as_str())) {
        let r = ducha.post(app.url(&path.replace("{id}", "1"))).form(&[("action", "submit"), ("title", "督查通报")]).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {path} as the supervisor");
        refused += 1;
    }
    let notices: Value = app.list("/api/v1/notices", &app.token("ducha").await).await;
    assert_eq!(notices, json!([]));
    println!("authz: {refused} page routes that change state refuse the supervisor (all but login, logout, own password, looking into a county below and back)");
}

// ---------------------------------------------------------------------------------------
// The lint: reads of county-scoped tables start from the county.

/// The reads of county-scoped tables that may not start from `in_county` /
/// `by_id_in_county`, by file and function. Keep it short; each says why.
const ALLOWED_UNSCOPED: &[(&str, &str, &str)] = &[
    ("src/platform/auth.rs", "login", "a username is looked up before anyone's county is known"),
    ("src/platform/auth.rs", "caller_from_token", "the session names the user, and the user row is where the caller's county comes from"),
    ("src/orgs/store.rs", "insert_user", "usernames are unique across counties (one login form for all)"),
    ("src/demo.rs", "demo_caller", "the demo loader acts as the demo users, found by their unique usernames"),
    ("src/lifecycle/store.rs", "lock_money", "row locks (PostgreSQL) on ids just read through a scoped query; returns nothing"),
    ("src/lifecycle/store.rs", "apply_deadlines", "the daily deadline job runs over every county"),
    ("src/repair.rs", "admissions", "`zhunru repair` scans the whole database, every county"),
    ("src/repair.rs", "contracts", "`zhunru repair` scans the whole database, every county"),
];

/// The entities `platform/db.rs` declares county-scoped (`county_scoped!(...)`).
fn county_scoped_entities(db_rs: &str) -> BTreeSet<String> {
    let start = db_rs.find("county_scoped!(").expect("county_scoped!(...) in src/platform/db.rs") + "county_scoped!(".len();
    let end = start + db_rs[start..].find(')').unwrap();
    db_rs[start..end].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The function a line opens, if it does.
fn opens_fn(line: &str) -> Option<String> {
    let t = line.trim_start();
    let at = if t.starts_with("fn ") { 0 } else { t.find(" fn ")? + 1 };
    let name: String = t[at + 3..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn county_scoped_reads_go_through_in_county() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scoped = county_scoped_entities(&std::fs::read_to_string(root.join("src/platform/db.rs")).unwrap());
    assert!(scoped.contains("admission") && scoped.contains("contract") && scoped.contains("user"), "{scoped:?}");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    let mut used = BTreeSet::new();
    let mut offending = Vec::new();
    for file in files {
        let rel = file.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(&file).unwrap();
        let mut function = String::new();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if let Some(f) = opens_fn(line) {
                function = f;
            }
            // `x::Entity::find()` names the table before the call; a join that reads a
            // second table (`.select_also(user::Entity)`) names it after.
            for pattern in ["::Entity::find()", "::Entity::find_by_id(", "::Entity as ", "select_also(", "find_also_related(", "find_with_related("] {
                let mut from = 0;
                while let Some(i) = line[from..].find(pattern) {
                    let at = from + i;
                    from = at + pattern.len();
                    let module = if pattern.ends_with('(') && !pattern.starts_with("::") {
                        line[from..].split("::Entity").next().unwrap_or("").rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")
                    } else {
                        line[..at].rsplit(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("")
                    };
                    if !scoped.contains(module) {
                        continue;
                    }
                    let allowed = pattern != "::Entity as "
                        && ALLOWED_UNSCOPED.iter().any(|(f, func, _)| *f == rel && *func == function);
                    if allowed {
                        used.insert((rel.clone(), function.clone()));
                    } else {
                        offending.push(format!("{rel}:{} in fn {function}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
    }
    let stale: Vec<String> = ALLOWED_UNSCOPED
        .iter()
        .filter(|(f, func, _)| !used.contains(&(f.to_string(), func.to_string())))
        .map(|(f, func, _)| format!("{f} fn {func}"))
        .collect();
    assert!(stale.is_empty(), "allow-list entries with no unscoped read left (remove them): {stale:?}");
    assert!(
        offending.is_empty(),
        "reads of county-scoped tables that do not start from the county; use \
         `platform::db::in_county::<E>(county_id)` or `by_id_in_county::<E>(county_id, id)`, or, \
         if it truly must cross counties, add it with its reason to ALLOWED_UNSCOPED in tests/api/authz.rs:\n{}",
        offending.join("\n")
    );
}
