//! Issue 28, bad input that sticks: every write route of the OpenAPI document gets a
//! well-formed body (built from the document's own schemas, on the matrix's records) with
//! one field at a time set to an extreme value (negative, zero, 0.001, 1e15, year -1 and
//! 9999, empty, a huge string, control characters...), sent by every role that may call
//! it. Whatever went through must not break anything afterwards: every read route of the
//! document, every register and report in every format and every page then answer every
//! role without a server error, and the ledger and audit checks stay ok.
//!
//! `EXTREMES_SEED=<n>` replays a run's choice of values.
use std::collections::BTreeSet;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::{json, Map, Value};

use crate::authz::{fixtures, matrix, page_routes, url_for, Fx};
use crate::helpers::{spawn_app, TestApp};

/// The demo users, by the matrix column they are judged by.
const USERS: [(&str, &str); 9] = [
    ("admin", "admin"),
    ("reviewer", "minzheng"),
    ("approver", "lingdao"),
    ("finance", "caizheng"),
    ("department", "shijian"),
    ("other department", "weijian"),
    ("community", "xingfu"),
    ("other community", "hexie"),
    ("supervisor", "ducha"),
];

/// Routes on the caller's own session and password: called as an account of their own,
/// so that a random valid password or the logout ends no session the reads below need.
const OWN: [&str; 2] = ["POST /api/v1/auth/logout", "PUT /api/v1/me/password"];

/// How many of `extremes` every field gets, before the random ones.
const CORE: usize = 6;

/// Extreme values for one field, whatever its declared type (a wrong type must be a clean
/// 4xx too).
fn extremes(rng: &mut StdRng) -> Vec<Value> {
    let huge = "测".repeat(rng.gen_range(5_000..120_000));
    vec![
        // CORE: always tried.
        json!("-0.01"),
        json!("-0001-01-01"),
        json!("9999-12-31"),
        json!(huge),
        json!(""),
        json!("a\u{0000}b"), // PostgreSQL refuses NUL in text: a 500 unless refused first
        // The others: a few of them per field, at random.
        json!(" "),
        json!("-1"),
        json!("0"),
        json!("0.00"),
        json!("0.001"),
        json!("1e15"),
        json!("1000000000000000.00"),
        json!("99999999999999999999999999999.99"),
        json!("NaN"),
        json!("0000-01-01"),
        json!("2026-02-30"),
        json!("+002026-03-01"),
        json!("\u{202E}务事法执"),
        json!("=1+2"),
        json!(-1),
        json!(0),
        json!(0.001),
        json!(1e15),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(1e308),
        json!(true),
        json!(null),
        json!([]),
        json!({}),
        json!(vec![1; 20_000]),
    ]
}

/// A schema with `$ref`s followed.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(doc, doc.pointer(&r.replacen('#', "", 1)).unwrap_or_else(|| panic!("no {r} in the document"))),
        None => schema,
    }
}

/// What bodies are built from: the matrix's records and the variables of the short-term
/// contract template.
struct Cx<'a> {
    fx: &'a Fx,
    variables: Value,
    /// The matrix contract's unpaid instalment, its deliverable accepted: payable.
    milestone: i64,
    /// An item of the assist list in force.
    assist_item: i64,
}

/// Values the document states only in words (descriptions), by field name: so that the
/// other fields of a body are ones the server accepts and the extreme one is what it judges.
fn known(name: &str, cx: &Cx) -> Option<Value> {
    Some(match name {
        "decision" => json!("overridden"),
        "opinion" => json!("reject"),
        "active" => json!(true),
        "variables" => cx.variables.clone(),
        "milestone_id" => json!(cx.milestone),
        "outcome" => json!("dismissed"),
        "evaluator" => json!("department"),
        "reason_code" => json!("MUTUAL_AGREEMENT"),
        "rationale_code" => json!("CORRECTION"),
        "concept" => json!("tax"),
        "kind" => json!("exclude"),
        "role" => json!("department"),
        "username" => json!("jizhi-ceshi"),
        "password" => json!("zhunru-extreme-1"),
        "ocid_prefix" => Value::Null,
        "template_id" => json!("short-term-task"),
        "rating" => json!("satisfied"),
        "unit" => json!("task"),
        "code" => json!("JZ-01"),
        _ => return None,
    })
}

/// A plausible value for a field, from the document's example, its type and its name, on
/// the matrix's records.
fn base(doc: &Value, schema: &Value, name: &str, cx: &Cx) -> Value {
    let fx = cx.fx;
    let schema = resolve(doc, schema);
    // A declared enum first (the second value: the first is often the special one, like a
    // county among kinds of organisation), then what the descriptions say.
    if let Some(values) = schema.get("enum").and_then(|e| e.as_array()) {
        return values.get(1).or(values.first()).cloned().unwrap_or(Value::Null);
    }
    if let Some(v) = known(name, cx) {
        return v;
    }
    if let Some(e) = schema.get("example") {
        return e.clone();
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        let mut merged = Map::new();
        for part in all {
            if let Value::Object(o) = base(doc, part, name, cx) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    if let Some(one) = schema.get("oneOf").or(schema.get("anyOf")).and_then(Value::as_array) {
        let pick = one.iter().find(|s| s.get("type") != Some(&json!("null"))).unwrap_or(&one[0]);
        return base(doc, pick, name, cx);
    }
    let ty = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).find(|t| *t != "null").unwrap_or("null").to_string(),
        _ if schema.get("properties").is_some() => "object".into(),
        _ => "string".into(),
    };
    let date = schema["format"] == "date" || ["_start", "_end", "_on", "date"].iter().any(|e| name.ends_with(e));
    match (ty.as_str(), name) {
        ("integer", "contract_id") => json!(fx.contract),
        ("integer", "admission_id") => json!(fx.admitted),
        ("integer", "community_id") => json!(fx.xingfu),
        ("integer", "department_id" | "org_id" | "parent_id") => json!(fx.dept_org),
        ("integer", "list_item_id" | "assist_item_id") => Value::Null,
        ("integer", n) if n.ends_with("year") => json!(2026),
        ("integer" | "number", _) => json!(1),
        ("boolean", _) => json!(false),
        ("array", n) if n.ends_with("community_ids") => json!([fx.xingfu]),
        ("array", _) => json!([base(doc, &schema["items"], "", cx)]),
        ("object", _) => {
            let props = schema["properties"].as_object().cloned().unwrap_or_default();
            Value::Object(props.iter().map(|(k, s)| (k.clone(), base(doc, s, k, cx))).collect())
        }
        ("string", _) if date => json!(if name.ends_with("_end") || name == "to" { "2026-04-30" } else { "2026-03-01" }),
        ("string", n) if n.contains("amount") || n.contains("budget") || n.contains("standard") => json!("100.00"),
        ("string", _) => json!("极值测试文本"),
        _ => Value::Null,
    }
}

/// Bodies with one field (or one field of the first element of an array of objects) set to
/// one of `values`, each field getting `per_field` of them at random.
fn mutations(base: &Value, rng: &mut StdRng, per_field: usize) -> Vec<(String, Value)> {
    let Some(fields) = base.as_object() else { return vec![] };
    let mut out = Vec::new();
    // A period moved whole to the edges of the calendar (one end alone is refused as too
    // long, so it takes both).
    for (start, end) in [("period_start", "period_end"), ("from", "to")] {
        if fields.contains_key(start) && fields.contains_key(end) {
            for (a, b) in [("-0001-01-01", "-0001-12-31"), ("9999-01-01", "9999-12-31"), ("0001-01-01", "0001-01-02")] {
                out.push((format!("{start}..{end} = {a}..{b}"), with(&with(base, start, json!(a)), end, json!(b))));
            }
        }
    }
    let mut set = |path: String, body: Box<dyn Fn(Value) -> Value>, rng: &mut StdRng| {
        // The values that once stuck (issue 28) for every field, and others at random.
        let mut values = extremes(rng);
        let mut rest = values.split_off(CORE);
        rest.shuffle(rng);
        values.extend(rest.into_iter().take(per_field));
        for v in values {
            let shown: String = v.to_string().chars().take(40).collect();
            out.push((format!("{path} = {shown}"), body(v)));
        }
    };
    for (k, v) in fields {
        let (b, key) = (base.clone(), k.clone());
        set(k.clone(), Box::new(move |x| with(&b, &key, x)), rng);
        if let Value::Object(inner) = v {
            for ik in inner.keys() {
                let (b, key, ik2) = (base.clone(), k.clone(), ik.clone());
                set(format!("{k}.{ik}"), Box::new(move |x| {
                    let mut inner = b[&key].clone();
                    inner[&ik2] = x;
                    with(&b, &key, inner)
                }), rng);
            }
        }
        if let Some(Value::Object(inner)) = v.as_array().and_then(|a| a.first()) {
            for ik in inner.keys() {
                let (b, key, ik2) = (base.clone(), k.clone(), ik.clone());
                set(format!("{k}[0].{ik}"), Box::new(move |x| {
                    let mut first = b[&key][0].clone();
                    first[&ik2] = x;
                    with(&b, &key, json!([first]))
                }), rng);
            }
        }
    }
    out
}

fn with(base: &Value, key: &str, v: Value) -> Value {
    let mut b: Map<String, Value> = base.as_object().cloned().unwrap_or_default();
    b.insert(key.to_string(), v);
    Value::Object(b)
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    /// A file under an extreme name, with extreme content.
    File(String, Vec<u8>),
}

async fn call(app: &TestApp, method: &str, url: &str, token: Option<&str>, body: &Body) -> (StatusCode, String) {
    let mut req = app.api.request(Method::from_bytes(method.as_bytes()).unwrap(), app.url(url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if method != "GET" {
        // Money moves only with a key; a fresh one for every call, so none is a replay.
        req = req.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
    }
    req = match body {
        Body::None => req,
        Body::Json(b) => req.json(b),
        Body::File(name, bytes) => req.multipart(
            reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()))
                .text("reason", "极值测试")
                .text("document", "极值测试〔2026〕1号"),
        ),
    };
    let r = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = r.status();
    let text = String::from_utf8_lossy(&r.bytes().await.unwrap()).chars().take(300).collect();
    (status, text)
}

/// The page routes without path parameters that answer GET, read from `src/*/pages.rs`.
fn page_get_routes() -> BTreeSet<String> {
    page_routes("get(").into_iter().filter(|path| !path.contains('{') && path != "/logout").collect()
}

#[tokio::test]
async fn extreme_values_into_every_write_route_break_no_read_and_no_ledger_check() {
    let seed = std::env::var("EXTREMES_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| rand::thread_rng().gen::<u64>());
    println!("extremes: seed {seed} (EXTREMES_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app().await;
    let fx = fixtures(&app).await;
    let mut tokens = Vec::new();
    for (column, user) in USERS {
        tokens.push((column, user, app.token(user).await));
    }
    let doc: Value = app.api.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
    let rows = matrix();
    let templates: Value = app.get("/api/v1/contract-templates", &tokens[4].2).await.json().await.unwrap();
    let short = templates["items"].as_array().unwrap().iter().find(|t| t["id"] == "short-term-task").expect("the short-term template");
    let variables: Map<String, Value> = short["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let value = match (v["default"].as_str(), v["type"].as_str().unwrap()) {
                (Some(d), _) => d.to_string(),
                (None, "date") => "2026-04-25".into(),
                (None, "money") => "100.00".into(),
                (None, "integer") => "4".into(),
                (None, "choice") => v["choices"][0].as_str().unwrap().to_string(),
                (None, _) => "极值测试文本".into(),
            };
            (v["name"].as_str().unwrap().to_string(), json!(value))
        })
        .collect();
    let contract: Value = app.get(&format!("/api/v1/contracts/{}", fx.contract), &tokens[4].2).await.json().await.unwrap();
    let milestone = contract["milestones"][1]["id"].as_i64().expect("the contract's second instalment");
    let assist: Value = app.get("/api/v1/lists/assist", &tokens[4].2).await.json().await.unwrap();
    let assist_item = assist["items"][0]["id"].as_i64().expect("an assist item");
    let cx = Cx { fx: &fx, variables: Value::Object(variables), milestone, assist_item };
    // PATCH /users/{id} deactivates and re-passwords: on a user of its own, not on a demo
    // user whose session the reads below need.
    let spare = json!({"username": "jizhi-linshi", "display_name": "临时账号", "role": "department", "org_id": fx.dept_org, "password": "zhunru-extreme-2"});
    let spare: Value = app.post("/api/v1/users", &tokens[0].2, spare).await.json().await.unwrap();
    let spare = spare["id"].as_i64().expect("the spare user");
    let own = json!({"username": "jizhi-ziji", "display_name": "自助账号", "role": "department", "org_id": fx.dept_org, "password": "zhunru-extreme-3"});
    assert!(app.post("/api/v1/users", &tokens[0].2, own).await.status().is_success());
    let login: Value = app.login_response("jizhi-ziji", "zhunru-extreme-3").await.json().await.unwrap();
    let own = ("own account", "jizhi-ziji", login["token"].as_str().expect("the own account logs in").to_string());
    // Sessions for the pages, opened before any write can end one.
    let mut pages_as = Vec::new();
    for (_, user, _) in &tokens {
        pages_as.push((*user, app.page_login(user).await));
    }

    let mut problems = Vec::new();
    let (mut writes, mut accepted, mut routes) = (0, 0, 0);
    // Steps that end a record go last, so that the others still find it open.
    let ends = |path: &str| ["/terminate", "/revoke", "/close", "/complete", "/cancel", "/decide", "/logout"].iter().any(|e| path.ends_with(e));
    let mut ops: Vec<(&String, String, &Value)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            ops.push((path, method.to_uppercase(), op));
        }
    }
    ops.sort_by_key(|(path, method, _)| (ends(path), path.to_string(), method.clone()));
    let write_ops = ops.iter().filter(|(_, method, _)| method != "GET").count();
    for (path, method, op) in ops {
        {
            let route = format!("{method} {path}");
            if method == "GET" {
                continue;
            }
            let row = rows.iter().find(|r| r.key() == route).unwrap_or_else(|| panic!("{route} not in tests/authz.md"));
            let mut callers: Vec<&(&str, &str, String)> =
                tokens.iter().filter(|(column, _, _)| ["yes", "hidden"].contains(&row.cell(column))).collect();
            if OWN.contains(&route.as_str()) {
                callers = vec![&own];
            } else if row.cell("anonymous") == "public" {
                callers.truncate(1); // one caller is enough for login's throttle
            }
            let url = if route == "PATCH /api/v1/users/{id}" { format!("/api/v1/users/{spare}") } else { url_for(&method, path, &fx, false) };
            let content = op.pointer("/requestBody/content");
            let bodies: Vec<(String, Body)> = if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                let body = base(&doc, schema, "", &cx);
                let mut bases = vec![body.clone()];
                // An assignment from the assist list: the same route, another path through it.
                if route == "POST /api/v1/contracts" {
                    let assist = with(&with(&body, "admission_id", Value::Null), "assist_item_id", json!(cx.assist_item));
                    bases.push(assist);
                }
                bases.iter().flat_map(|b| mutations(b, &mut rng, 4)).map(|(w, b)| (w, Body::Json(b))).collect()
            } else if content.is_some_and(|c| c.get("multipart/form-data").is_some()) {
                let huge_name = format!("{}.pdf", "名".repeat(3000));
                [("", vec![]), ("\u{202E}fdp.exe", b"%PDF-1.4".to_vec()), ("a\u{0}.pdf", b"%PDF-1.4".to_vec()), (huge_name.as_str(), b"%PDF-1.4".to_vec()), ("../../etc/passwd", vec![0xff; 4096]), ("a.pdf", vec![0; 1])]
                    .into_iter()
                    .map(|(n, b)| (format!("file {:?} of {} bytes", n.chars().take(20).collect::<String>(), b.len()), Body::File(n.to_string(), b)))
                    .collect()
            } else {
                vec![("no body".to_string(), Body::None), ("an empty JSON body".to_string(), Body::Json(json!({})))]
            };
            routes += 1;
            for (what, body) in bodies {
                for (_, user, token) in &callers {
                    let (status, text) = call(&app, &method, &url, Some(token), &body).await;
                    writes += 1;
                    if status.is_success() {
                        accepted += 1;
                    }
                    if status.is_server_error() {
                        problems.push(format!("{method} {url} as {user} with {what}: {status} {text}"));
                    }
                }
            }
        }
    }

    // Everything that went through stays readable, by everyone.
    let mut reads = 0;
    let mut urls: Vec<String> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_some() {
            urls.push(url_for("GET", path, &fx, false));
        }
    }
    for name in ["admissions", "contracts", "funds", "violations", "evaluations"] {
        for format in ["xlsx", "csv"] {
            urls.push(format!("/api/v1/registers/{name}?format={format}"));
        }
    }
    // The same reads with extreme query values (NUL reaches PostgreSQL as a 500 if let by).
    let queried: Vec<String> = urls.iter().map(|u| format!("{u}{}q=%00&status=%E2%80%AE&cursor=%00&limit=-1&year=-1&from=0000-01-01", if u.contains('?') { '&' } else { '?' })).collect();
    urls.extend(queried);
    urls.push("/api/v1/reports/county?format=xlsx".into());
    urls.push("/api/v1/funds/summary?year=2027".into());
    for url in &urls {
        for (_, user, token) in tokens.iter().map(|(c, u, t)| (c, u, Some(t.as_str()))).chain([(&"anonymous", &"anonymous", None)]) {
            let (status, text) = call(&app, "GET", url, token, &Body::None).await;
            reads += 1;
            if status.is_server_error() {
                problems.push(format!("GET {url} as {user} after the writes: {status} {text}"));
            }
        }
    }
    let pages = page_get_routes();
    for (user, client) in &pages_as {
        for page in &pages {
            let r = client.get(app.url(page)).send().await.unwrap();
            reads += 1;
            if r.status().is_server_error() {
                problems.push(format!("page {page} as {user} after the writes: {}", r.status()));
            }
        }
    }

    let admin = &tokens[0].2;
    let ledger: Value = app.get("/api/v1/admin/ledger/verify", admin).await.json().await.unwrap();
    let audit: Value = app.get("/api/v1/admin/audit/verify", admin).await.json().await.unwrap();
    println!(
        "extremes: {routes} write routes, {writes} writes ({accepted} accepted), then {reads} reads of {} API routes and {} pages; {} server errors",
        urls.len(),
        pages.len(),
        problems.len()
    );
    assert!(problems.is_empty(), "seed {seed}: {} server errors:\n{}", problems.len(), problems.join("\n"));
    assert_eq!(ledger["ok"], true, "seed {seed}: the ledger check after the writes: {ledger}");
    assert_eq!(audit["ok"], true, "seed {seed}: the audit check after the writes: {audit}");
    assert_eq!(routes, write_ops, "every write route of the OpenAPI document is called");
    assert!(routes >= 50 && accepted > 50, "{routes} routes, {accepted} writes accepted");
}
