use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use zhunru::orgs::{check_new_password, Username};
use zhunru::platform::config::{Config, DEFAULT_DATABASE_URL};
use zhunru::platform::{auth, telemetry};

#[derive(Parser)]
#[command(name = "zhunru", version, about = "准入：社区工作事项准入与政府购买服务")]
struct Cli {
    /// `sqlite://file.db?mode=rwc` (default) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (migrations are applied first).
    Serve {
        /// Load the demo county 示范区 into an empty database.
        #[arg(long)]
        demo: bool,
        #[arg(long, env = "ZHUNRU_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// Hours a login lasts.
        #[arg(long, env = "ZHUNRU_SESSION_HOURS", default_value_t = 8)]
        session_hours: u64,
        /// Always mark the session cookie Secure (set when TLS ends in front of zhunru
        /// without an X-Forwarded-Proto header).
        #[arg(long, env = "ZHUNRU_SECURE_COOKIES")]
        secure_cookies: bool,
        /// A folder of contract templates instead of the ones built into the binary.
        #[arg(long, env = "ZHUNRU_TEMPLATES")]
        templates: Option<std::path::PathBuf>,
        /// Addresses of the reverse proxies in front of zhunru, comma-separated: only from
        /// them is `X-Forwarded-For` believed (login throttle, audit trail).
        #[arg(long, env = "ZHUNRU_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The address the public reaches zhunru at, e.g. `https://zhunru.example.gov.cn`:
        /// the open data's links are built from it instead of the request's Host header.
        #[arg(long, env = "ZHUNRU_PUBLIC_URL")]
        public_url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Check every ledger invariant; exits non-zero when one is broken.
    VerifyLedger,
    /// Find rows saved before input was bounded (a draft's negative budget, dates outside
    /// 2000–2100, bidi control characters) and, with `--apply`, repair those that hold no
    /// money and no signature, each with an audit entry. Exits non-zero when a row is left
    /// for a person to decide.
    Repair {
        /// Write the repairs (without it, only print what would be done).
        #[arg(long)]
        apply: bool,
    },
    /// Walk the audit trail's hash chains; exits non-zero on any edited, removed, inserted
    /// or reordered entry, and prints each county's head hash (keep it elsewhere).
    VerifyAudit,
    /// The benchmark of issue 13: generates data from a seed, runs the server on it, and
    /// measures writes, reads, start-up and RSS against this machine's baselines; prints
    /// a Markdown table and writes it and a JSON file (`--out`).
    Bench(zhunru::bench::Options),
    /// Read the labelled screening corpus and print precision and recall per concept.
    ScreeningReport {
        /// Labelled corpora: the one the concepts are tuned on, and a held-out one written
        /// independently of them (its figures are the honest ones).
        #[arg(long, default_values = ["tests/screening/cases.toml", "tests/screening/holdout.toml"])]
        corpus: Vec<std::path::PathBuf>,
    },
    /// Create a county with its first admin account (a new deployment's first step).
    CreateCounty {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_username: String,
        #[arg(long, env = "ZHUNRU_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        /// county, city or province (a city or province is a jurisdiction above counties).
        #[arg(long, default_value = "county")]
        level: String,
        /// The name of the city or province this one sits under.
        #[arg(long)]
        parent: Option<String>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    zhunru::platform::memory::configure();
    telemetry::init();
    let cli = Cli::parse();
    let mut config = Config { database_url: cli.database_url, ..Config::default() };
    match cli.command {
        Command::VerifyLedger => {
            let db = zhunru::platform::db::connect(&config.database_url).await?;
            zhunru::platform::db::migrate(&db).await?;
            let breaches = zhunru::funds::store::verify_ledger(&db, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if breaches.is_empty() {
                println!("ledger ok: every entry balances; committed ≤ budget; disbursed ≤ contract amount in force; each instalment paid ≤ its amount; contracts ≤ admission budget; paid only while the admission is in force; commitments agree with contracts; confirmed ≤ disbursed");
            } else {
                for b in &breaches {
                    println!("BREACH {}: {}", b.rule, b.detail);
                }
                anyhow::bail!("{} ledger breach(es)", breaches.len());
            }
        }
        Command::Repair { apply } => {
            let db = zhunru::platform::db::connect(&config.database_url).await?;
            zhunru::platform::db::migrate(&db).await?;
            let found = zhunru::repair::run(&db, apply).await.map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let verb = if apply { "已修复" } else { "将修复" };
            for f in &found {
                match &f.fix {
                    Some(fix) => println!("{verb} {} {} (county {}): {}；{fix}", f.entity, f.id, f.county_id, f.problem),
                    None => println!("须人工处理 {} {} (county {}): {}（已签署或已拨付，未改动）", f.entity, f.id, f.county_id, f.problem),
                }
            }
            let left = found.iter().filter(|f| f.fix.is_none()).count();
            println!("repair: {} row(s) outside the bounds, {} {}, {left} left for a person", found.len(), found.len() - left, if apply { "repaired" } else { "repairable (run with --apply)" });
            if left > 0 {
                anyhow::bail!("{left} row(s) need a person");
            }
        }
        Command::VerifyAudit => {
            let db = zhunru::platform::db::connect(&config.database_url).await?;
            zhunru::platform::db::migrate(&db).await?;
            let report = zhunru::platform::audit::verify(&db, None).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.ok {
                anyhow::bail!("{} audit breach(es)", report.breaches.len());
            }
        }
        Command::ScreeningReport { corpus } => {
            for path in corpus {
                let Ok(src) = std::fs::read_to_string(&path) else {
                    println!("{}: not found, skipped\n", path.display());
                    continue;
                };
                let c = zhunru::screening::corpus::Corpus::parse(&src).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                println!("== {}", path.display());
                println!("{}", zhunru::screening::corpus::report(zhunru::screening::base(), &c));
            }
        }
        Command::Bench(options) => zhunru::bench::run(&config.database_url, options).await?,
        Command::Migrate => {
            let db = zhunru::platform::db::connect(&config.database_url).await?;
            zhunru::platform::db::migrate(&db).await?;
            tracing::info!("migrations applied");
        }
        Command::CreateCounty { name, admin_username, admin_password, level, parent } => {
            let level = zhunru::region::Level::parse(&level).ok_or_else(|| anyhow::anyhow!("--level must be county, city or province"))?;
            let username = Username::parse(&admin_username).map_err(anyhow::Error::msg)?;
            check_new_password(&admin_password).map_err(anyhow::Error::msg)?;
            let db = zhunru::platform::db::connect(&config.database_url).await?;
            zhunru::platform::db::migrate(&db).await?;
            let err = |e: zhunru::platform::error::AppError| anyhow::anyhow!("{}", e.message);
            let txn = zhunru::platform::db::begin_write(&db).await?;
            let parent = match parent {
                Some(p) => Some(zhunru::region::store::by_name(&txn, &p).await.map_err(err)?.id),
                None => None,
            };
            let (county, _, admin) =
                zhunru::orgs::store::create_jurisdiction(&txn, &name, level, parent, &username, &auth::hash_password(&admin_password))
                    .await
                    .map_err(err)?;
            let entry = zhunru::platform::audit::Entry::new(county.id, None, "county.create", "county", county.id).after(&county);
            txn.commit(vec![entry]).await.map_err(err)?;
            println!("created county {} (id {}) with admin {}", county.name, county.id, admin.username);
        }
        Command::Serve { demo, bind, session_hours, secure_cookies, templates, trusted_proxies, public_url } => {
            config.trusted_proxies = trusted_proxies;
            if let Some(url) = &public_url {
                anyhow::ensure!(url.starts_with("https://") || url.starts_with("http://"), "--public-url must start with https:// or http://");
            }
            config.public_url = public_url;
            config.session_ttl = Duration::from_secs(session_hours * 3600);
            config.secure_cookies = secure_cookies;
            config.templates_dir = templates;
            let state = zhunru::prepare(config).await?;
            if demo {
                if zhunru::demo::load(&state.db).await.map_err(|e| anyhow::anyhow!("{e}"))? {
                    zhunru::demo::load_cases(&state.db, &state.templates).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                    zhunru::demo::load_procedure(&state.db, &state.templates).await.map_err(|e| anyhow::anyhow!("{e}"))?;
                } else {
                    tracing::info!("database already holds data; demo county not loaded");
                }
            }
            // Deadlines (overdue emergency entries, ended periods) are applied inside the
            // server; every change is guarded, so several instances may all run it.
            zhunru::lifecycle::store::spawn_deadline_job(state.db.clone(), Duration::from_secs(600));
            let listener = tokio::net::TcpListener::bind(&bind).await.with_context(|| format!("binding {bind}"))?;
            tracing::info!("zhunru listening on http://{}", listener.local_addr()?);
            axum::serve(listener, zhunru::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
                .with_graceful_shutdown(shutdown_signal())
                .await?;
            tracing::info!("shut down");
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, let requests in flight finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown signal received");
}
