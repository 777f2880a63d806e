use tracing_subscriber::{fmt, EnvFilter};

/// Structured logs to stderr. `RUST_LOG` filters (default `info`); `ZHUNRU_LOG_FORMAT=json`
/// gives one JSON object per line for log collectors.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm_migration=warn"));
    let json = std::env::var("ZHUNRU_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
