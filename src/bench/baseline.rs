//! What the machine can do without zhunru's logic, measured in the same run: a raw
//! single-row insert transaction loop on SQLite with the server's own connection
//! settings, and `pgbench` (tpcb-like and select-only) on the same PostgreSQL server.
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Statement};

/// Sequential `BEGIN; INSERT one row; COMMIT` for `secs` on a scratch SQLite file opened
/// as the server opens its database (WAL, its synchronous setting). Answers
/// (transactions per second, the journal mode, the synchronous setting).
pub async fn sqlite_insert_loop(path: &std::path::Path, secs: f64) -> anyhow::Result<(f64, String, String)> {
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = crate::platform::db::connect(&url).await?;
    db.execute_unprepared("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b TEXT NOT NULL)").await?;
    let pragma = |name: &str| Statement::from_string(db.get_database_backend(), format!("PRAGMA {name}"));
    let journal = db.query_one(pragma("journal_mode")).await?.map(|r| r.try_get_by_index::<String>(0)).transpose()?.unwrap_or_default();
    let sync = db.query_one(pragma("synchronous")).await?.map(|r| r.try_get_by_index::<i32>(0)).transpose()?.unwrap_or(-1);
    let sync = match sync {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        3 => "EXTRA",
        _ => "?",
    };
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs_f64(secs) {
        use sea_orm::TransactionTrait;
        let txn = db.begin().await?;
        txn.execute(Statement::from_sql_and_values(db.get_database_backend(), "INSERT INTO bench_rows (a, b) VALUES (?, ?)", [(n as i64).into(), "disbursement".into()]))
            .await?;
        txn.commit().await?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    db.close().await?;
    Ok((rate, journal, sync.into()))
}

/// `pgbench` TPS at `clients` clients for `secs` seconds, tpcb-like and select-only (-S),
/// initialised (scale 10) into the scratch database `url`. None when pgbench is missing.
pub fn pgbench(url: &str, clients: usize, secs: u32) -> anyhow::Result<Option<(f64, f64)>> {
    if std::process::Command::new("pgbench").arg("--version").output().is_err() {
        return Ok(None);
    }
    let run = |args: &[&str]| -> anyhow::Result<String> {
        let out = std::process::Command::new("pgbench").args(args).arg(url).output()?;
        anyhow::ensure!(out.status.success(), "pgbench {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    run(&["-i", "-q", "-s", "10"])?;
    let (c, t) = (clients.to_string(), secs.to_string());
    let tps = |out: &str| out.lines().find(|l| l.starts_with("tps = ")).and_then(|l| l[6..].split_whitespace().next()).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let tpcb = tps(&run(&["-n", "-c", &c, "-j", "2", "-T", &t])?);
    let select = tps(&run(&["-n", "-S", "-c", &c, "-j", "2", "-T", &t])?);
    Ok(Some((tpcb, select)))
}
