//! `spawn_app`: the real server on a random port against a fresh database with the demo
//! county. SQLite (a file in a temporary directory) by default; when `DATABASE_URL` is a
//! `postgres://` URL, a new database on that server for each test, dropped afterwards.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{redirect, Client, Response, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;
use zhunru::platform::config::Config;

pub const PASSWORD: &str = zhunru::demo::DEMO_PASSWORD;

/// Today by the wall clock, as the demo data (made for the current year) and the server see
/// it. A test whose dates meet the demo's or today's takes them from here, so that the suite
/// passes on any day of the year; `.ci/run` runs it once with the clock past a year end.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The day `offset` days from today, as the API writes dates.
pub fn day(offset: i64) -> String {
    (today() + chrono::Duration::days(offset)).to_string()
}

/// The current year.
pub fn this_year() -> i32 {
    chrono::Datelike::year(&today())
}

pub struct TestApp {
    pub addr: String,
    pub db: DatabaseConnection,
    /// The database's URL, for running the CLI against it.
    pub database_url: String,
    /// No cookies, no redirects followed: for the JSON API and raw page checks.
    pub api: Client,
    /// The server's today, for deadlines (set it instead of sleeping).
    pub clock: std::sync::Arc<zhunru::platform::clock::Clock>,
    _db_guard: DbGuard,
}

/// Keeps a test database alive: the SQLite file's directory, or the PostgreSQL database
/// (dropped when the guard goes).
pub enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a fresh one on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(db) = sea_orm::Database::connect(admin_url).await {
                        let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                        let _ = db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// Which database the suite runs on, for messages.
pub fn backend() -> &'static str {
    match std::env::var("DATABASE_URL") {
        Ok(u) if u.starts_with("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// A new, empty database for one test: its URL and the guard that removes it.
pub async fn fresh_database() -> (String, DbGuard) {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let name = format!("zhunru_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&url).await.expect("connect to DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("create test database");
            admin.close().await.ok();
            (replace_db_name(&url, &name), DbGuard::Postgres { admin_url: url, name })
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("zhunru.db").display());
            (url, DbGuard::Sqlite(dir))
        }
    }
}

/// `postgres://u@h:5432/postgres?x=y` → `postgres://u@h:5432/<name>?x=y`.
fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = match base[after_scheme..].find('/') {
        Some(i) => &base[..after_scheme + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Config::default()).await
}

pub async fn spawn_app_with(mut config: Config) -> TestApp {
    let (url, guard) = fresh_database().await;
    config.database_url = url.clone();
    let state = zhunru::prepare(config).await.expect("prepare app");
    assert!(zhunru::demo::load(&state.db).await.expect("load demo"), "demo loads into an empty database");
    let db = state.db.clone();
    let clock = state.clock.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, zhunru::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>()).await.unwrap()
    });
    let api = Client::builder().redirect(redirect::Policy::none()).timeout(Duration::from_secs(60)).build().unwrap();
    TestApp { addr, db, database_url: url, api, clock, _db_guard: guard }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (so tests see them).
    pub fn browser(&self) -> Client {
        Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().unwrap()
    }

    pub async fn login_response(&self, username: &str, password: &str) -> Response {
        self.api
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
    }

    /// Logs a demo user in and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let r = self.login_response(username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "login of {username}");
        let body: Value = r.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.api.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    /// Every item of a paged list (`{"items", "next_cursor"}`), following the cursors.
    pub async fn list(&self, path: &str, token: &str) -> Value {
        let mut items = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut url = format!("{path}{sep}limit=500");
        loop {
            let r = self.get(&url, token).await;
            assert_eq!(r.status(), reqwest::StatusCode::OK, "GET {url}");
            let page: Value = r.json().await.unwrap();
            items.extend(page["items"].as_array().unwrap_or_else(|| panic!("GET {url} is not a page: {page}")).iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("{path}{sep}limit=500&cursor={c}"),
                None => return Value::Array(items),
            }
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.api.post(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.api.patch(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    /// The id of a demo organisation by name.
    pub async fn org_id(&self, name: &str) -> i64 {
        let token = self.token("admin").await;
        let orgs: Value = self.list("/api/v1/orgs", &token).await;
        orgs.as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no org {name}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// The form token a page gave this browser (pages add it to every post form).
    pub async fn csrf_token(&self, c: &Client, path: &str) -> String {
        let html = c.get(self.url(path)).send().await.unwrap().text().await.unwrap();
        csrf_of(&html)
    }

    /// Logs a browser-like client in through the login form. The client sends the page's
    /// form token as a header with every request, as the pages' own forms do in a field.
    pub async fn page_login(&self, username: &str) -> Client {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let c = Client::builder().cookie_provider(jar.clone()).redirect(redirect::Policy::none()).build().unwrap();
        let token = self.csrf_token(&c, "/login").await;
        let r = c
            .post(self.url("/login"))
            .form(&[("username", username), ("password", PASSWORD), ("next", "/"), ("_csrf", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "page login of {username}");
        let token = self.csrf_token(&c, "/").await;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-csrf-token", token.parse().unwrap());
        Client::builder().cookie_provider(jar).redirect(redirect::Policy::none()).default_headers(headers).build().unwrap()
    }
}

/// The `_csrf` value of the first post form of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find(r#"name="_csrf" value=""#).expect("a post form with its token");
    html[at + 20..at + 84].to_string()
}

/// Asserts status and error code of an API answer and returns its body.
pub async fn assert_error(r: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status, "status");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty(), "a message");
    body
}

#[test]
fn replaces_database_name() {
    assert_eq!(replace_db_name("postgres://p@h:5432/postgres", "t1"), "postgres://p@h:5432/t1");
    assert_eq!(replace_db_name("postgres://p@h/db?sslmode=disable", "t2"), "postgres://p@h/t2?sslmode=disable");
    assert_eq!(replace_db_name("postgres://p@h", "t3"), "postgres://p@h/t3");
}

impl TestApp {
    /// A second county, 邻县, with a civil affairs reviewer `linxian-mz`; returns its id and
    /// the reviewer's token.
    pub async fn second_county_reviewer(&self) -> (i64, String) {
        use zhunru::orgs::{store, OrgKind, Role, Username};
        let hash = zhunru::platform::auth::hash_password(PASSWORD);
        let (county, root, _) = store::create_county(&self.db, "邻县", &Username::parse("linxian-admin").unwrap(), &hash)
            .await
            .unwrap();
        let mz = store::insert_org(&self.db, county.id, Some(root.id), OrgKind::CivilAffairs, "邻县民政局").await.unwrap();
        store::insert_user(&self.db, county.id, mz.id, &Username::parse("linxian-mz").unwrap(), "邻县审核员", Role::Reviewer, &hash)
            .await
            .unwrap();
        (county.id, self.token("linxian-mz").await)
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Response {
        self.api.put(self.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
    }

    /// Uploads a workbook to the import endpoint.
    pub async fn import(&self, token: &str, bytes: Vec<u8>, dry_run: bool) -> Response {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("lists.xlsx"))
            .text("reason", "按年度梳理结果导入")
            .text("document", "邻县社区建设领导小组〔2026〕1号");
        self.api
            .post(self.url(&format!("/api/v1/lists/import?dry_run={dry_run}")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// Percent-encodes a query-string value (UTF-8 bytes).
pub fn percent(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
