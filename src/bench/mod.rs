//! `zhunru bench`: figures, not assertions. In one run on this machine: generates a data
//! set from a seed at a small and a large scale, starts the real server (`zhunru serve`,
//! a child process) on each, and measures over HTTP with concurrent clients the write path
//! (disbursements), the read path (contract view, lists' first and deep pages, funds
//! views), the HTTP ceiling (`/healthz`), start-up and RSS; then the baselines (a raw
//! SQLite insert loop, or pgbench on PostgreSQL) and the contract PDF against
//! LibreOffice. Prints a Markdown table, writes it and a JSON file, each figure with its
//! ratio to its baseline and the targets.
pub mod baseline;
pub mod drive;
pub mod generate;
pub mod pdf;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

pub use drive::Stats;
pub use generate::{generate, Scale, BENCH_PASSWORD, DEFAULT_SEED};
pub use pdf::sample_contract;

#[derive(clap::Args, Clone, Debug)]
pub struct Options {
    /// Seed of the generated data.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Contracts in the small data set: `laptop` (1,500), `smoke`, or a number (`15000`, `100k`, `1m`).
    #[arg(long, default_value = "laptop", value_parser = Scale::parse)]
    pub scale: Scale,
    /// Contracts in the large data set (default: ten times the small one).
    #[arg(long, value_parser = Scale::parse)]
    pub large_scale: Option<Scale>,
    /// Contracts per county (default ~1,000; a county's data is what one request reads).
    #[arg(long)]
    pub county_contracts: Option<usize>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Disbursements paid at each scale.
    #[arg(long, default_value_t = 2000)]
    pub requests: usize,
    /// Requests per read endpoint (and /healthz) at each scale.
    #[arg(long, default_value_t = 2000)]
    pub reads: usize,
    /// Requests per list page.
    #[arg(long, default_value_t = 64)]
    pub list_requests: usize,
    /// How many pages deep the deep list page is.
    #[arg(long, default_value_t = 20)]
    pub deep_pages: usize,
    /// Seconds at most per measured load (the rest is skipped, and so reported).
    #[arg(long, default_value_t = 30.0)]
    pub max_seconds: f64,
    /// Contract PDF renders.
    #[arg(long, default_value_t = 30)]
    pub iterations: usize,
    /// Tiny scale on SQLite, few requests: seconds. Exits non-zero only on errors.
    #[arg(long)]
    pub smoke: bool,
    /// The JSON file; the Markdown table goes beside it with the extension `.md`.
    #[arg(long, default_value = "bench.json")]
    pub out: PathBuf,
    /// Keep the generated databases (SQLite files, or PostgreSQL databases zhunru_bench_*).
    #[arg(long)]
    pub keep: bool,
    /// A folder of contract templates for the server instead of the built-in ones.
    #[arg(long, env = "ZHUNRU_TEMPLATES")]
    pub templates: Option<PathBuf>,
}

impl Options {
    /// The smoke run's sizes.
    fn smoke(mut self) -> Options {
        self.scale = Scale::SMOKE;
        self.large_scale = Some(Scale { contracts: 120, per_county: 120 });
        self.county_contracts = None;
        self.requests = self.requests.min(40);
        self.reads = self.reads.min(40);
        self.list_requests = self.list_requests.min(4);
        self.deep_pages = self.deep_pages.min(2);
        self.iterations = self.iterations.min(2);
        self.max_seconds = self.max_seconds.min(10.0);
        self
    }
}

/// Where a data set lives: a scratch SQLite file, or a scratch PostgreSQL database.
enum Store {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String },
}

impl Store {
    fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite { .. } => "sqlite",
            Store::Postgres { .. } => "postgres",
        }
    }
    async fn create(&self, name: &str) -> anyhow::Result<String> {
        match self {
            Store::Sqlite { dir } => {
                let path = dir.join(format!("{name}.db"));
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
                Ok(format!("sqlite://{}?mode=rwc", path.display()))
            }
            Store::Postgres { admin_url } => {
                let db = sea_orm::Database::connect(admin_url).await?;
                db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
                db.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
                db.close().await?;
                Ok(with_db_name(admin_url, name))
            }
        }
    }
    async fn drop_all(&self, names: &[&str]) {
        match self {
            Store::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Store::Postgres { admin_url } => {
                if let Ok(db) = sea_orm::Database::connect(admin_url).await {
                    for n in names {
                        let _ = db.execute_unprepared(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)")).await;
                    }
                    let _ = db.close().await;
                }
            }
        }
    }
}

/// `postgres://u@h:5432/db?x=y` → `postgres://u@h:5432/<name>?x=y`.
fn with_db_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map(|(b, q)| (b, format!("?{q}"))).unwrap_or((url, String::new()));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

fn progress_bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(indicatif::ProgressStyle::with_template("{msg:>24} [{bar:40}] {pos}/{len} contracts, {elapsed} ({eta} left)").expect("template").progress_chars("=> "));
    bar.set_message(what.to_string());
    bar
}

fn stats_json(s: &Stats) -> Value {
    serde_json::to_value(s).expect("stats serialise")
}

/// Everything measured at one scale.
async fn one_scale(o: &Options, store: &Store, label: &str, scale: Scale, rng: &mut rand::rngs::StdRng, dir: &std::path::Path) -> anyhow::Result<Value> {
    let url = store.create(&format!("zhunru_bench_{label}")).await?;
    let db = crate::platform::db::connect(&url).await?;
    crate::platform::db::migrate(&db).await?;
    let bar = progress_bar(scale.contracts as u64, &format!("generating {label}"));
    let started = Instant::now();
    let today = chrono::Utc::now().date_naive();
    let g = generate(&db, scale, o.seed, today, &|n| bar.set_position(n)).await?;
    bar.finish();
    let gen_secs = started.elapsed().as_secs_f64();
    let rows: u64 = g.rows.values().sum();
    // The generator's promise, checked where it is cheap enough.
    let ledger_breaches = if scale.contracts <= 20_000 { Some(crate::funds::store::verify_ledger(&db, None).await.map_err(|e| anyhow::anyhow!("{}", e.message))?.len()) } else { None };
    db.close().await?;
    eprintln!("{label}: {} contracts, {rows} rows in {gen_secs:.1} s; starting the server", scale.contracts);

    let server = drive::Server::start(&url, o.templates.as_deref(), &dir.join(format!("serve-{label}.log"))).await?;
    let base = Arc::new(server.base.clone());
    let http = drive::client();
    // One login per county user; the clients share the tokens. Only counties with clients.
    let counties = g.counties.len().min(o.clients.max(1));
    let mut tokens = Vec::new();
    for (_, username) in &g.counties[..counties] {
        tokens.push(drive::login(&http, &base, username, BENCH_PASSWORD).await?);
    }
    let admin = drive::login(&http, &base, "admin-1", BENCH_PASSWORD).await?;
    let tokens = Arc::new(tokens);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_rss, _) = server.rss_mib();
    let limit = Duration::from_secs_f64(o.max_seconds);

    let get = |path: String, token: String| {
        let (http, base) = (http.clone(), base.clone());
        move |_i: usize| {
            let (http, base, path, token) = (http.clone(), base.clone(), path.clone(), token.clone());
            async move { http.get(format!("{base}{path}")).bearer_auth(token).send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string()) }
        }
    };
    eprintln!("{label}: /healthz");
    let healthz = drive::drive(o.clients, o.reads, limit, get("/healthz".into(), String::new())).await;

    // Logins hash passwords (argon2) on the blocking pool: /healthz must stay fast while 60
    // clients log in at once (issue 12 measured 480 ms before that pool).
    eprintln!("{label}: /healthz during a login flood");
    let flood = {
        let (http, base) = (http.clone(), base.clone());
        let users: Vec<String> = g.counties[..counties].iter().map(|(_, u)| u.clone()).collect();
        tokio::spawn(drive::drive(60, 180, limit, move |i| {
            let (http, base, user) = (http.clone(), base.clone(), users[i % users.len()].clone());
            async move {
                http.post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({"username": user, "password": BENCH_PASSWORD}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            }
        }))
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let healthz_flood = drive::drive(4, (o.reads / 4).max(20), limit, get("/healthz".into(), String::new())).await;
    let logins = flood.await?;

    eprintln!("{label}: disbursements");
    let mut pool: Vec<generate::Due> = g.pool.iter().filter(|d| d.county < counties).cloned().collect();
    pool.shuffle(rng);
    pool.truncate(o.requests);
    let pool = Arc::new(pool);
    let run_id: u64 = rng.gen();
    let write = {
        let (http, base, tokens, pool) = (http.clone(), base.clone(), tokens.clone(), pool.clone());
        drive::drive(o.clients, pool.len(), limit, move |i| {
            let (http, base, tokens, pool) = (http.clone(), base.clone(), tokens.clone(), pool.clone());
            async move {
                let d = &pool[i];
                http.post(format!("{base}/api/v1/disbursements"))
                    .bearer_auth(&tokens[d.county])
                    .header("Idempotency-Key", format!("bench-{run_id:x}-{i}"))
                    .json(&json!({"contract_id": d.contract_id, "milestone_id": d.milestone_id, "amount": d.amount.to_string()}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            }
        })
        .await
    };

    eprintln!("{label}: reads");
    let ids: Arc<Vec<i64>> = Arc::new(g.contracts.iter().filter(|(c, _)| *c == 0).map(|(_, id)| *id).collect());
    let by_id = |suffix: &'static str| {
        let (http, base, ids, token) = (http.clone(), base.clone(), ids.clone(), tokens[0].clone());
        move |i: usize| {
            let (http, base, token) = (http.clone(), base.clone(), token.clone());
            let id = ids[(i * 7919) % ids.len()];
            async move { http.get(format!("{base}/api/v1/contracts/{id}{suffix}")).bearer_auth(token).send().await.map(|r| r.status().as_u16()).map_err(|e| e.to_string()) }
        }
    };
    let mut reads = serde_json::Map::new();
    reads.insert("contract_view".into(), stats_json(&drive::drive(o.clients, o.reads, limit, by_id("")).await));
    reads.insert("contract_funds".into(), stats_json(&drive::drive(o.clients, o.reads, limit, by_id("/funds")).await));
    reads.insert("funds_summary".into(), stats_json(&drive::drive(o.clients, o.reads, limit, get("/api/v1/funds/summary".into(), tokens[0].clone())).await));
    // Every page computes the caller's inbox for the header's badge; the home page also the
    // dashboard. The finance bureau's inbox reads the most (every instalment due).
    reads.insert("inbox".into(), stats_json(&drive::drive(o.clients, o.reads, limit, get("/api/v1/inbox".into(), tokens[0].clone())).await));
    reads.insert("dashboard".into(), stats_json(&drive::drive(o.clients, o.reads, limit, get("/api/v1/dashboard".into(), tokens[0].clone())).await));

    // Lists: the first page, and the page `deep_pages` down following next_cursor.
    let list_clients = o.clients.min(8);
    let mut lists = serde_json::Map::new();
    for (name, path, token) in [
        ("contracts", "/api/v1/contracts", &tokens[0]),
        ("admissions", "/api/v1/admissions", &tokens[0]),
        ("disbursements", "/api/v1/disbursements", &tokens[0]),
        ("users", "/api/v1/users", &admin),
        ("orgs", "/api/v1/orgs", &admin),
        ("audit", "/api/v1/audit", &admin),
        ("county_report", "/api/v1/reports/county?format=xlsx", &admin),
    ] {
        eprintln!("{label}: list {name}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let first = format!("{path}{sep}limit=50");
        let probe = http.get(format!("{base}{first}")).bearer_auth(token).send().await?;
        if probe.status() == reqwest::StatusCode::NOT_FOUND {
            lists.insert(name.into(), json!({"skipped": "404: not served"}));
            continue;
        }
        let mut entry = serde_json::Map::new();
        entry.insert("first".into(), stats_json(&drive::drive(list_clients, o.list_requests, limit, get(first.clone(), token.clone())).await));
        // Walk the cursor; an answer without `next_cursor` (an unpaged list) has no deep page.
        let mut cursor: Option<String> = None;
        let mut depth = 0;
        let mut body: Value = probe.json().await.unwrap_or(Value::Null);
        while depth < o.deep_pages {
            let Some(next) = body.get("next_cursor").and_then(Value::as_str).map(str::to_string) else { break };
            depth += 1;
            body = http.get(format!("{base}{first}&cursor={next}")).bearer_auth(token).send().await?.json().await.unwrap_or(Value::Null);
            cursor = Some(next);
        }
        match cursor {
            Some(c) => {
                entry.insert("deep_page".into(), json!(depth + 1));
                entry.insert("deep".into(), stats_json(&drive::drive(list_clients, o.list_requests, limit, get(format!("{first}&cursor={c}"), token.clone())).await));
            }
            None => {
                let paged = body.get("items").is_some();
                entry.insert("deep".into(), json!({"skipped": if paged { "fewer pages than asked" } else { "not paged: one answer holds every row" }}));
            }
        }
        lists.insert(name.into(), Value::Object(entry));
    }
    let (_, peak_rss) = server.rss_mib();
    let healthy_after = server.healthy_after;
    server.stop();
    // The audit chains the load wrote must still verify.
    let db = crate::platform::db::connect(&url).await?;
    let audit_ok = crate::platform::audit::verify(&db, None).await.map_err(|e| anyhow::anyhow!("{}", e.message))?.ok;
    db.close().await?;
    Ok(json!({
        "label": label,
        "contracts": scale.contracts,
        "counties": g.counties.len(),
        "contracts_per_county": scale.contracts.div_ceil(g.counties.len().max(1)),
        "rows": g.rows,
        "rows_total": rows,
        "generate_seconds": gen_secs,
        "rows_per_second": rows as f64 / gen_secs,
        "pool": g.pool.len(),
        "ledger_breaches": ledger_breaches,
        "audit_ok_after_load": audit_ok,
        "healthy_after_ms": healthy_after.as_secs_f64() * 1e3,
        "idle_rss_mb": idle_rss * 1.048576,
        "peak_rss_mb": peak_rss * 1.048576,
        "healthz": stats_json(&healthz),
        "healthz_during_logins": stats_json(&healthz_flood),
        "logins": stats_json(&logins),
        "write": stats_json(&write),
        "reads": reads,
        "lists": lists,
    }))
}

fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()));
    json!({"nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), "cpu": cpu.unwrap_or_default()})
}

/// Runs the whole benchmark; the error is for failures, not for missed targets.
pub async fn run(database_url: &str, o: Options) -> anyhow::Result<()> {
    let o = if o.smoke { o.smoke() } else { o };
    let per = |s: Scale| Scale { per_county: o.county_contracts.unwrap_or(s.per_county), ..s };
    let small_scale = per(o.scale);
    let large = per(o.large_scale.unwrap_or(Scale { contracts: o.scale.contracts * 10, ..o.scale }));
    let work = std::env::temp_dir().join(format!("zhunru-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    let store = if database_url.starts_with("postgres") && !o.smoke {
        Store::Postgres { admin_url: database_url.to_string() }
    } else {
        Store::Sqlite { dir: work.join("data") }
    };
    if let Store::Sqlite { dir } = &store {
        std::fs::create_dir_all(dir)?;
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(o.seed);
    let started = Instant::now();
    let result = async {
        let small = one_scale(&o, &store, "small", small_scale, &mut rng, &work).await?;
        let large = one_scale(&o, &store, "large", large, &mut rng, &work).await?;
        eprintln!("baselines");
        let secs = if o.smoke { 0.5 } else { 5.0 };
        let mut baselines = serde_json::Map::new();
        match &store {
            Store::Sqlite { dir } => {
                let (rate, journal, sync) = baseline::sqlite_insert_loop(&dir.join("insert-loop.db"), secs).await?;
                baselines.insert("sqlite_insert_loop_per_second".into(), json!(rate));
                baselines.insert("sqlite_settings".into(), json!(format!("journal_mode={journal}, synchronous={sync}")));
            }
            Store::Postgres { .. } => {
                let url = store.create("zhunru_bench_pgbench").await?;
                match baseline::pgbench(&url, o.clients, 15)? {
                    Some((tpcb, select)) => {
                        baselines.insert("pgbench_tpcb_tps".into(), json!(tpcb));
                        baselines.insert("pgbench_select_tps".into(), json!(select));
                    }
                    None => {
                        baselines.insert("pgbench".into(), json!("not installed (apt-get install postgresql-contrib)"));
                    }
                }
            }
        }
        eprintln!("contract PDF");
        let pdf = pdf::run(o.iterations.max(1))?;
        anyhow::Ok((small, large, baselines, pdf))
    }
    .await;
    if !o.keep {
        store.drop_all(&["zhunru_bench_small", "zhunru_bench_large", "zhunru_bench_pgbench"]).await;
    }
    let (small, large, baselines, pdf) = result?;
    let mut report = json!({
        "date": chrono::Utc::now().to_rfc3339(),
        "machine": machine(),
        "backend": store.backend(),
        "seed": o.seed,
        "clients": o.clients,
        "smoke": o.smoke,
        "seconds": started.elapsed().as_secs_f64(),
        "scales": [small, large],
        "baselines": baselines,
        "pdf": pdf,
    });
    let targets = targets(&report);
    report["targets"] = targets;
    let md = markdown(&report);
    println!("{md}");
    std::fs::write(&o.out, serde_json::to_string_pretty(&report)?)?;
    std::fs::write(o.out.with_extension("md"), &md)?;
    eprintln!("wrote {} and {}", o.out.display(), o.out.with_extension("md").display());
    if o.keep {
        eprintln!("kept the data and the server logs in {}", work.display());
    } else {
        let _ = std::fs::remove_dir_all(&work);
    }
    let errors = errors(&report);
    anyhow::ensure!(errors.is_empty(), "errors during the run: {}", errors.join("; "));
    Ok(())
}

/// Every non-2xx answer or broken invariant of the run (missed targets are not errors).
fn errors(r: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for s in r["scales"].as_array().into_iter().flatten() {
        let label = s["label"].as_str().unwrap_or("?");
        let mut check = |what: String, v: &Value| {
            if let Some(e) = v.get("errors").and_then(Value::as_object).filter(|e| !e.is_empty()) {
                out.push(format!("{label} {what}: {}", Value::Object(e.clone())));
            }
        };
        check("healthz".into(), &s["healthz"]);
        check("healthz during logins".into(), &s["healthz_during_logins"]);
        check("logins".into(), &s["logins"]);
        check("write".into(), &s["write"]);
        for (k, v) in s["reads"].as_object().into_iter().flatten() {
            check(k.clone(), v);
        }
        for (k, v) in s["lists"].as_object().into_iter().flatten() {
            check(format!("{k} first"), &v["first"]);
            check(format!("{k} deep"), &v["deep"]);
        }
        if s["ledger_breaches"].as_u64().is_some_and(|n| n > 0) {
            out.push(format!("{label}: generated data breaks the ledger"));
        }
        if s["audit_ok_after_load"] == json!(false) {
            out.push(format!("{label}: audit chain broken after the load"));
        }
    }
    out
}

/// One target: the figure, its baseline, the ratio, and whether it is met (null when
/// this run could not tell, e.g. no LibreOffice).
fn target(name: &str, goal: &str, value: Option<f64>, baseline: Option<f64>, met: Option<bool>) -> Value {
    let ratio = match (value, baseline) {
        (Some(v), Some(b)) if b > 0.0 => Some(v / b),
        _ => None,
    };
    json!({"name": name, "target": goal, "value": value, "baseline": baseline, "ratio": ratio, "met": met})
}

fn targets(r: &Value) -> Value {
    let f = |v: &Value| v.as_f64();
    let pg = r["backend"] == "postgres";
    let b = &r["baselines"];
    let mut out = Vec::new();
    let scales: Vec<&Value> = r["scales"].as_array().map(|a| a.iter().collect()).unwrap_or_default();
    for s in &scales {
        let label = s["label"].as_str().unwrap_or("?");
        let w = &s["write"];
        if pg {
            let base = f(&b["pgbench_tpcb_tps"]);
            let ok = match (f(&w["per_second"]), base, f(&w["p99_ms"])) {
                (Some(v), Some(bb), Some(p99)) => Some(v >= 0.4 * bb && p99 <= 50.0),
                _ => None,
            };
            let name = format!("write {label}: disbursements/s vs pgbench tpcb-like (p99 {} ms)", num(&w["p99_ms"]));
            out.push(target(&name, "≥ 40 %, p99 ≤ 50 ms", f(&w["per_second"]), base, ok));
        } else {
            let base = f(&b["sqlite_insert_loop_per_second"]);
            let ok = f(&w["per_second"]).zip(base).map(|(v, bb)| v >= 0.2 * bb);
            out.push(target(&format!("write {label}: disbursements/s vs raw SQLite insert loop"), "≥ 20 %", f(&w["per_second"]), base, ok));
        }
        let (read_base, read_goal, share) =
            if pg { (f(&b["pgbench_select_tps"]), "≥ 40 % of pgbench -S", 0.4) } else { (f(&s["healthz"]["per_second"]), "≥ 20 % of /healthz", 0.2) };
        for (k, v) in s["reads"].as_object().into_iter().flatten() {
            let ok = f(&v["per_second"]).zip(read_base).map(|(x, bb)| x >= share * bb);
            out.push(target(&format!("read {label}: {k} req/s"), read_goal, f(&v["per_second"]), read_base, ok));
        }
        for (k, v) in s["lists"].as_object().into_iter().flatten() {
            for page in ["first", "deep"] {
                if let Some(p95) = f(&v[page]["p95_ms"]) {
                    out.push(target(&format!("list {label}: {k} {page} page p95 ms"), "≤ 200 ms", Some(p95), None, Some(p95 <= 200.0)));
                }
            }
        }
        let idle = f(&s["idle_rss_mb"]);
        out.push(target(&format!("idle RSS {label} (MB)"), "≤ 50 MB", idle, None, idle.map(|v| v <= 50.0)));
        if !pg {
            let h = f(&s["healthy_after_ms"]);
            out.push(target(&format!("healthy after start {label} (ms)"), "≤ 1000 ms on SQLite", h, None, h.map(|v| v <= 1000.0)));
        }
    }
    if let [small, large] = scales[..] {
        let (a, c) = (f(&small["write"]["per_second"]), f(&large["write"]["per_second"]));
        let ok = if pg { None } else { a.zip(c).map(|(a, c)| c >= 0.9 * a) };
        out.push(target("write large / small: disbursements/s", "≥ 90 % on SQLite (no more than 10 % slower)", c, a, ok));
    }
    let p = &r["pdf"];
    let speed = f(&p["soffice_median_ms"]).zip(f(&p["median_ms"]));
    out.push(target("PDF: LibreOffice ms / zhunru ms", "≥ 100×", f(&p["soffice_median_ms"]), f(&p["median_ms"]), speed.map(|(lo, us)| lo >= 100.0 * us)));
    let size = f(&p["soffice_bytes"]);
    out.push(target("PDF: zhunru bytes / LibreOffice bytes", "≤ 2×", f(&p["bytes"]), size, size.map(|lo| f(&p["bytes"]).unwrap_or(0.0) <= 2.0 * lo)));
    Value::Array(out)
}

fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.2}"),
        None => "–".into(),
    }
}

fn markdown(r: &Value) -> String {
    let mut s = format!(
        "## zhunru bench, {} on {} ({} cores, {}), {} clients, seed {}{}\n\n",
        r["backend"].as_str().unwrap_or("?"),
        r["date"].as_str().unwrap_or("?").get(..10).unwrap_or("?"),
        r["machine"]["nproc"],
        r["machine"]["cpu"].as_str().unwrap_or("?"),
        r["clients"],
        r["seed"],
        if r["smoke"] == json!(true) { " (smoke)" } else { "" },
    );
    s.push_str("| scale | path | req/s | p50 ms | p95 ms | p99 ms | errors |\n|---|---|---|---|---|---|---|\n");
    for sc in r["scales"].as_array().into_iter().flatten() {
        let label = format!("{} ({} contracts, {} counties)", sc["label"].as_str().unwrap_or("?"), sc["contracts"], sc["counties"]);
        let mut row = |path: String, v: &Value| {
            if let Some(skip) = v.get("skipped") {
                s.push_str(&format!("| {label} | {path} | {} | | | | |\n", skip.as_str().unwrap_or("skipped")));
                return;
            }
            let errors = v.get("errors").and_then(Value::as_object).map(|e| e.iter().map(|(k, n)| format!("{k}×{n}")).collect::<Vec<_>>().join(" ")).unwrap_or_default();
            s.push_str(&format!("| {label} | {path} | {} | {} | {} | {} | {} |\n", num(&v["per_second"]), num(&v["p50_ms"]), num(&v["p95_ms"]), num(&v["p99_ms"]), if errors.is_empty() { "0".into() } else { errors }));
        };
        row("POST /disbursements".into(), &sc["write"]);
        row("GET /healthz".into(), &sc["healthz"]);
        row("GET /healthz, 60 clients logging in".into(), &sc["healthz_during_logins"]);
        row("POST /auth/login, 60 clients".into(), &sc["logins"]);
        for (k, v) in sc["reads"].as_object().into_iter().flatten() {
            row(k.clone(), v);
        }
        for (k, v) in sc["lists"].as_object().into_iter().flatten() {
            if v.get("skipped").is_some() {
                row(k.to_string(), v);
                continue;
            }
            row(format!("{k} first page"), &v["first"]);
            let deep = v.get("deep_page").map(|d| format!("{k} page {d}")).unwrap_or_else(|| format!("{k} deep page"));
            row(deep, &v["deep"]);
        }
    }
    s.push_str("\n| scale | rows | generated in s | rows/s | healthy after ms | idle RSS MB | peak RSS MB |\n|---|---|---|---|---|---|---|\n");
    for sc in r["scales"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "| {} ({} contracts) | {} | {} | {} | {} | {} | {} |\n",
            sc["label"].as_str().unwrap_or("?"),
            sc["contracts"],
            sc["rows_total"],
            num(&sc["generate_seconds"]),
            num(&sc["rows_per_second"]),
            num(&sc["healthy_after_ms"]),
            num(&sc["idle_rss_mb"]),
            num(&sc["peak_rss_mb"])
        ));
    }
    s.push_str("\nBaselines: ");
    let b: Vec<String> = r["baselines"].as_object().into_iter().flatten().map(|(k, v)| format!("{k} = {}", if v.is_string() { v.as_str().unwrap_or("").to_string() } else { num(v) })).collect();
    s.push_str(&b.join("; "));
    let p = &r["pdf"];
    s.push_str(&format!(
        "\n\nContract PDF: {} pages, {} bytes, median {} ms; LibreOffice: {} ms, {} bytes.\n\n",
        p["pages"],
        p["bytes"],
        num(&p["median_ms"]),
        num(&p["soffice_median_ms"]),
        if p["soffice_bytes"].is_null() { "–".into() } else { p["soffice_bytes"].to_string() }
    ));
    s.push_str("| target | goal | value | baseline | ratio | met |\n|---|---|---|---|---|---|\n");
    for t in r["targets"].as_array().into_iter().flatten() {
        let times = t["target"].as_str().is_some_and(|g| g.contains('×'));
        let ratio = t["ratio"].as_f64().map(|x| if times { format!("{x:.1}×") } else { format!("{:.1} %", x * 100.0) }).unwrap_or_else(|| "–".into());
        let met = match t["met"].as_bool() {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "n/a",
        };
        s.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", t["name"].as_str().unwrap_or(""), t["target"].as_str().unwrap_or(""), num(&t["value"]), num(&t["baseline"]), ratio, met));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_replaces_the_one_in_the_url() {
        assert_eq!(with_db_name("postgres://u@h:5432/postgres?sslmode=disable", "x"), "postgres://u@h:5432/x?sslmode=disable");
        assert_eq!(with_db_name("postgres://u@h/test", "x"), "postgres://u@h/x");
        assert_eq!(with_db_name("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
