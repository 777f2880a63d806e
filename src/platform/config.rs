use std::time::Duration;

/// Runtime settings, read from the environment by the CLI (API.md "Running").
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://…` (the embedded default) or `postgres://…`.
    pub database_url: String,
    /// How long a login (API token or web session) lasts.
    pub session_ttl: Duration,
    /// A session unused for this long ends (besides `session_ttl`).
    pub session_idle: Duration,
    /// How long the login throttle remembers failures and keeps a lock.
    pub login_lock: Duration,
    /// Force the `Secure` cookie flag even when no proxy says the request was HTTPS.
    pub secure_cookies: bool,
    /// A folder of contract templates; none: the ones built into the binary.
    pub templates_dir: Option<std::path::PathBuf>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`ZHUNRU_TRUSTED_PROXIES`).
    /// From any other peer the header is ignored, so it cannot be forged.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The address the public reaches zhunru at (`ZHUNRU_PUBLIC_URL`, e.g.
    /// `https://zhunru.example.gov.cn`): the open data's links are built from it, not from
    /// the request's Host header.
    pub public_url: Option<String>,
}

/// The default database: an SQLite file in the working directory, created if missing.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://zhunru.db?mode=rwc";

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: DEFAULT_DATABASE_URL.to_string(),
            session_ttl: Duration::from_secs(8 * 3600),
            session_idle: Duration::from_secs(30 * 60),
            login_lock: Duration::from_secs(15 * 60),
            secure_cookies: false,
            templates_dir: None,
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}
