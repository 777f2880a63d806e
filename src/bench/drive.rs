//! The load driver: N concurrent clients (tokio tasks sharing one reqwest client) that
//! take request numbers from a shared counter until all are sent, each latency into an
//! HDR histogram; and the server under test as a child process (`zhunru serve`), so its
//! RSS and start-up are its own.
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Throughput, latency percentiles and errors of one measured load.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Stats {
    pub clients: usize,
    pub requests: u64,
    pub ok: u64,
    /// Non-2xx answers by status, and transport errors as "io".
    pub errors: BTreeMap<String, u64>,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Stats {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// Sends `total` requests from `clients` concurrent tasks, or fewer when `limit` has
/// passed; `send(i)` sends request `i` and answers its HTTP status (or an error for a
/// failed connection).
pub async fn drive<F, Fut>(clients: usize, total: usize, limit: Duration, send: F) -> Stats
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u16, String>> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let send = Arc::new(send);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (next, send) = (next.clone(), send.clone());
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram");
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || started.elapsed() > limit {
                    break;
                }
                let t = Instant::now();
                let r = send(i).await;
                h.saturating_record(t.elapsed().as_micros().max(1) as u64);
                match r {
                    Ok(s) if (200..300).contains(&s) => {}
                    Ok(s) => *errors.entry(s.to_string()).or_default() += 1,
                    Err(_) => *errors.entry("io".into()).or_default() += 1,
                }
            }
            (h, errors)
        }));
    }
    let mut h = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("histogram");
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    for t in tasks {
        let (th, te) = t.await.expect("client task");
        h.add(th).expect("histograms of the same bounds");
        for (k, v) in te {
            *errors.entry(k).or_default() += v;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1e3;
    let requests = h.len();
    let failed: u64 = errors.values().sum();
    Stats {
        clients,
        requests,
        ok: requests - failed,
        errors,
        seconds,
        per_second: if seconds > 0.0 { requests as f64 / seconds } else { 0.0 },
        p50_ms: ms(0.50),
        p95_ms: ms(0.95),
        p99_ms: ms(0.99),
        max_ms: h.max() as f64 / 1e3,
    }
}

/// `zhunru serve` of this same binary, on a free loopback port, against `database_url`.
pub struct Server {
    child: std::process::Child,
    pub base: String,
    /// From spawning the process to the first 200 from `/healthz`.
    pub healthy_after: Duration,
}

impl Server {
    pub async fn start(database_url: &str, templates: Option<&std::path::Path>, log: &std::path::Path) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(log)?;
        let started = Instant::now();
        let mut serve = std::process::Command::new(std::env::current_exe()?);
        serve.arg("serve");
        if let Some(t) = templates {
            serve.arg("--templates").arg(t);
        }
        let mut child = serve
            .env("DATABASE_URL", database_url)
            .env("ZHUNRU_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
                if r.status().is_success() {
                    break;
                }
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!("zhunru serve exited with {status} before it was healthy");
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "zhunru serve not healthy after 120 s");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(Server { healthy_after: started.elapsed(), child, base })
    }

    /// (VmRSS, VmHWM) in MiB: resident now, and its peak so far.
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb = |key: &str| {
            status.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        };
        (kb("VmRSS:") / 1024.0, kb("VmHWM:") / 1024.0)
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in and answers the bearer token (once per user: the throttle counts failures).
pub async fn login(client: &reqwest::Client, base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let r = client.post(format!("{base}/api/v1/auth/login")).json(&serde_json::json!({"username": username, "password": password})).send().await?;
    anyhow::ensure!(r.status().is_success(), "login {username}: {}", r.status());
    let v: serde_json::Value = r.json().await?;
    v["token"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("login {username}: no token"))
}

/// A client for many connections to one loopback server.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().pool_max_idle_per_host(256).timeout(Duration::from_secs(120)).build().expect("http client")
}
