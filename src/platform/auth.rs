//! Passwords, logins and the caller of a request.
//!
//! One session table serves both the API (bearer token) and the web pages (HttpOnly
//! cookie); only a token's SHA-256 is stored. Every protected route first resolves the
//! caller (`authenticate_*`), then is opened to named roles (`open_to`), so a route
//! without an explicit role list is unreachable rather than open.
use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use chrono::{Duration, Utc};
use entity::{session, user};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QuerySelect, Set};
use sha2::{Digest, Sha256};

use crate::orgs::Role;
use crate::platform::audit::Entry;
use crate::platform::db::begin_write;
use crate::platform::error::{AppError, AppResult};
use crate::AppState;

/// Wrong passwords from one address for one account before that pair is locked.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// Failures from one address (whatever the accounts) before the address is slowed down.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// At a slowed-down address each account gets one attempt per this long (accounts that
/// logged in from it before are not slowed): guessing costs the guesser time, and nobody
/// behind the address is locked out.
pub const ADDRESS_PACE: std::time::Duration = std::time::Duration::from_secs(1);
/// Failures for one account from all addresses together before it is locked for all.
pub const MAX_FAILURES_PER_ACCOUNT: u32 = 100;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with default parameters cannot fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the username is unknown, so that a wrong username
/// costs as long as a wrong password and does not reveal which usernames exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy-password-for-unknown-users"))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh random key (for a form's Idempotency-Key, so a resubmitted page pays once).
pub fn random_key() -> String {
    new_token()
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The authenticated user of a request, with the county and organisation every query of
/// theirs is scoped to.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub org_id: i64,
    /// The jurisdiction whose records this request reads and writes: the user's own, or a
    /// county under it that a city or province user chose to look into (read-only).
    pub county_id: i64,
    /// The user's own jurisdiction, and the role held there.
    pub home_county_id: i64,
    pub home_role: Role,
    pub session_id: i64,
}

impl Caller {
    /// A session looking into a county below the user's jurisdiction acts as the
    /// supervisor there (read-only), whatever the user's role at home.
    fn from_user(u: &user::Model, s: &session::Model) -> Option<Caller> {
        let home = Role::parse(&u.role)?;
        let role = if s.county_id == u.county_id {
            home
        } else if crate::region::oversees(home) {
            Role::Supervisor
        } else {
            return None;
        };
        Some(Caller {
            user_id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role,
            org_id: u.org_id,
            county_id: s.county_id,
            home_county_id: u.county_id,
            home_role: home,
            session_id: s.id,
        })
    }

    /// Looking into a county below its own jurisdiction.
    pub fn viewing_below(&self) -> bool {
        self.county_id != self.home_county_id
    }
}

pub struct Login {
    pub token: String,
    pub user: user::Model,
}

/// Counts login failures in memory, per address, per account and address, and per
/// account. Attempts in flight count against the limits too, under one lock, so parallel
/// guesses cannot all get through before the count catches up: beyond the limit an
/// attempt waits for those in flight to end, and is refused once they have failed (or
/// goes on once they have succeeded — an office of clerks behind one address logging in
/// at nine o'clock is not an attack). Locking the pair (account, address) first means an
/// attacker from one address locks only themself out; only a flood from many addresses
/// locks an account for everyone, and then only for the window. An address is never
/// locked (behind an office NAT or a proxy it is everyone's): one that failed too often
/// is paced to one attempt per account and `ADDRESS_PACE`, and accounts that logged in
/// from it before pass without waiting. Unknown usernames are counted like known ones, so
/// a 429 says nothing about which usernames exist.
pub struct Throttle {
    window: Duration,
    counts: std::sync::Mutex<std::collections::HashMap<String, Count>>,
    /// Pairs (account, address) that logged in: the office's own clerks.
    known: std::sync::Mutex<std::collections::HashSet<String>>,
}

#[derive(Default)]
struct Count {
    failures: u32,
    since: chrono::DateTime<Utc>,
    in_flight: u32,
    /// Of a pair at a paced address: when its next attempt may start.
    next_slot: Option<chrono::DateTime<Utc>>,
}

pub enum Refusal {
    /// The account is locked for this address (or for everyone).
    Locked,
    /// The address has failed too often and its turn did not come in time.
    Throttled,
}

/// An attempt being checked; say how it ended with `finish`. Dropped unfinished (the
/// client went away), it counts as nothing.
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    keys: Vec<String>,
    done: bool,
}

impl Attempt<'_> {
    pub fn finish(mut self, failed: bool) {
        self.done = true;
        let now = Utc::now();
        if !failed {
            if let Some(pair) = self.keys.iter().find(|k| k.starts_with("pair:")) {
                let mut known = self.throttle.known.lock().expect("throttle");
                if known.len() > 100_000 {
                    known.clear();
                }
                known.insert(pair.clone());
            }
        }
        let mut counts = self.throttle.counts.lock().expect("throttle");
        for k in &self.keys {
            if let Some(c) = counts.get_mut(k) {
                c.in_flight = c.in_flight.saturating_sub(1);
                if failed {
                    if c.since + self.throttle.window <= now {
                        (c.failures, c.since) = (0, now);
                    }
                    c.failures += 1;
                } else if k.starts_with("pair:") {
                    c.failures = 0; // the right password: the pair starts afresh
                }
            }
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.done {
            let mut counts = self.throttle.counts.lock().expect("throttle");
            for k in &self.keys {
                if let Some(c) = counts.get_mut(k) {
                    c.in_flight = c.in_flight.saturating_sub(1);
                }
            }
        }
    }
}

impl Throttle {
    pub fn new(window: std::time::Duration) -> Throttle {
        Throttle { window: Duration::from_std(window).unwrap_or(Duration::minutes(15)), counts: Default::default(), known: Default::default() }
    }

    /// Per address, per (account, address), per account: in this order.
    fn keys(username: &str, addr: &str) -> [(String, u32); 3] {
        let name = username.trim().to_lowercase();
        [
            (format!("addr:{addr}"), MAX_FAILURES_PER_ADDRESS),
            (format!("pair:{name}|{addr}"), MAX_FAILED_LOGINS),
            (format!("acct:{name}"), MAX_FAILURES_PER_ACCOUNT),
        ]
    }

    /// Starts an attempt, or refuses it when a limit is reached (waiting while attempts in
    /// flight could still go either way).
    pub async fn attempt(&self, username: &str, addr: &str) -> Result<Attempt<'_>, Refusal> {
        let mut keys = Self::keys(username, addr).to_vec();
        let pair = keys[1].0.clone();
        // An account that logged in from this address is not what a flood from it is
        // about: the address's limit does not apply to it (its pair's limit does).
        if self.known.lock().expect("throttle").contains(&pair) {
            keys.retain(|(k, _)| !k.starts_with("addr:"));
        }
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let pace = Duration::from_std(ADDRESS_PACE).expect("a short pace");
        loop {
            {
                let now = Utc::now();
                let mut counts = self.counts.lock().expect("throttle");
                if counts.len() > 100_000 {
                    let window = self.window;
                    counts.retain(|_, c| c.in_flight > 0 || c.since + window > now);
                }
                let mut busy = false;
                let mut hot = false;
                for (key, limit) in &keys {
                    let c = counts.entry(key.clone()).or_insert_with(|| Count { since: now, ..Default::default() });
                    if c.since + self.window <= now {
                        (c.failures, c.since, c.next_slot) = (0, now, None);
                    }
                    if key.starts_with("addr:") {
                        // Never locked, never waited on for attempts in flight (sixty
                        // clerks logging in at nine): only paced once it failed too often.
                        hot = c.failures >= *limit;
                    } else if c.failures >= *limit {
                        return Err(Refusal::Locked);
                    } else {
                        busy |= c.failures + c.in_flight >= *limit;
                    }
                }
                // A hot address is paced per account: each (account, address) pair gets one
                // attempt per `ADDRESS_PACE`. The guesser pays a turn per guess; a clerk
                // behind the same address waits for no one else's turn.
                if hot {
                    busy |= counts.get(&pair).and_then(|c| c.next_slot).is_some_and(|t| t > now);
                }
                if !busy {
                    if hot {
                        counts.get_mut(&pair).expect("inserted above").next_slot = Some(now + pace);
                    }
                    for (key, _) in &keys {
                        counts.get_mut(key).expect("inserted above").in_flight += 1;
                    }
                    return Ok(Attempt { throttle: self, keys: keys.into_iter().map(|(k, _)| k).collect(), done: false });
                }
            }
            if std::time::Instant::now() > give_up {
                return Err(Refusal::Throttled);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// An admin reset the password: the account's locks end.
    pub fn clear_account(&self, username: &str) {
        let name = username.trim().to_lowercase();
        let mut counts = self.counts.lock().expect("throttle");
        for (k, c) in counts.iter_mut() {
            if k == &format!("acct:{name}") || k.starts_with(&format!("pair:{name}|")) {
                c.failures = 0;
            }
        }
    }
}

fn wrong() -> AppError {
    AppError::new(axum::http::StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "用户名或密码错误")
}

fn refused(r: Refusal, window: Duration) -> AppError {
    let minutes = window.num_minutes().max(1);
    match r {
        Refusal::Locked => AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_LOCKED",
            format!("密码连续错误次数过多，该账号在本机已暂时锁定，请{minutes}分钟后再试或联系管理员重置密码"),
        ),
        Refusal::Throttled => AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_THROTTLED",
            format!("登录失败次数过多，请{minutes}分钟后再试"),
        ),
    }
}

/// Hashes on the blocking pool (argon2 is deliberately slow).
pub async fn hash_password_blocking(password: String) -> AppResult<String> {
    crate::platform::cpu::run(move || hash_password(&password)).await
}

pub async fn verify_password_blocking(password: String, hash: String) -> AppResult<bool> {
    crate::platform::cpu::run(move || verify_password(&password, &hash)).await
}

/// Checks a username and password and opens a session. Every answer for a failure is
/// the same whether the username exists or not; successes and failures that reached the
/// password check go to the audit trail.
pub async fn login(st: &AppState, username: &str, password: &str) -> AppResult<Login> {
    let db = &st.db;
    let addr = crate::platform::audit::client_addr().unwrap_or_else(|| "local".into());
    let username = username.trim();
    let attempt = st.throttle.attempt(username, &addr).await.map_err(|r| refused(r, st.throttle.window))?;
    let now = Utc::now();
    let found = user::Entity::find().filter(user::Column::Username.eq(username)).one(db).await?;
    // Verify even for an unknown or disabled account so timing says nothing about it.
    let hash = found.as_ref().map_or_else(|| decoy_hash().to_string(), |u| u.password_hash.clone());
    let ok = verify_password_blocking(password.to_string(), hash).await?;
    attempt.finish(!ok);
    let u = match found {
        Some(u) if ok && u.active => u,
        // Only names that exist are written down: a flood of invented names must not
        // fill the trail (the throttle bounds the rest).
        Some(u) => {
            let reason = if ok { "disabled" } else { "wrong_password" };
            let entry = Entry::new(u.county_id, None, "auth.login_failed", "user", u.id).after(serde_json::json!({"reason": reason}));
            crate::platform::audit::record(db, vec![entry]).await?;
            return Err(wrong());
        }
        None => return Err(wrong()),
    };
    let txn = begin_write(db).await?;
    // Housekeeping: a user's expired sessions go when they log in again.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id))
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(&txn)
        .await?;
    let token = new_token();
    let ttl = Duration::from_std(st.config.session_ttl).unwrap_or(Duration::hours(8));
    let s = session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(u.id),
        county_id: Set(u.county_id),
        expires_at: Set(now + ttl),
        created_at: Set(now),
        last_seen_at: Set(Some(now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit(vec![Entry::new(u.county_id, Some(u.id), "auth.login", "session", s.id)]).await?;
    tracing::info!(user = %u.username, "login");
    Ok(Login { token, user: u })
}

/// Ends a session (logout).
pub async fn logout(db: &DatabaseConnection, caller: &Caller) -> AppResult<()> {
    let txn = begin_write(db).await?;
    session::Entity::delete_by_id(caller.session_id).exec(&txn).await?;
    txn.commit(vec![Entry::by(caller, "auth.logout", "session", caller.session_id)]).await
}

/// Ends every session of a user (password change, account disabled).
pub async fn end_sessions_of(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> AppResult<()> {
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// Ends every session of a user but the one in use (own password change).
pub async fn end_sessions_of_except(db: &impl sea_orm::ConnectionTrait, user_id: i64, keep: i64) -> AppResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep))
        .exec(db)
        .await?;
    Ok(())
}

/// The caller a token stands for: unexpired session, used within the idle timeout,
/// active user.
pub async fn caller_from_token(st: &AppState, token: &str) -> AppResult<Option<Caller>> {
    let db = &st.db;
    let now = Utc::now();
    // Session and user in one statement: every authenticated request starts here, and on
    // SQLite each statement is a round trip to the connection's thread (the profile of a
    // contract view was mostly those hand-overs).
    let of_user = session::Entity::belongs_to(user::Entity).from(session::Column::UserId).to(user::Column::Id).into();
    let Some((s, u)) = session::Entity::find()
        .select_also(user::Entity)
        .join(JoinType::InnerJoin, of_user)
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let idle = Duration::from_std(st.config.session_idle).unwrap_or(Duration::minutes(30));
    let seen = s.last_seen_at.unwrap_or(s.created_at);
    if seen + idle < now {
        session::Entity::delete_by_id(s.id).exec(db).await?;
        return Ok(None);
    }
    // Written at most once a minute: reads stay reads.
    if seen + Duration::minutes(1) < now {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, sea_orm::sea_query::Expr::value(now))
            .filter(session::Column::Id.eq(s.id))
            .exec(db)
            .await?;
    }
    Ok(u.filter(|u| u.active).and_then(|u| Caller::from_user(&u, &s)))
}

pub const SESSION_COOKIE: &str = "zhunru_session";

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn session_cookie(parts: &Parts) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(&parts.headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// API routes: a valid bearer token or 401.
pub async fn authenticate_api(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match bearer(&parts) {
        Some(t) => caller_from_token(&state, t).await,
        None => Ok(None),
    };
    match caller {
        Ok(Some(c)) => {
            parts.extensions.insert(c);
            next.run(Request::from_parts(parts, body)).await
        }
        Ok(None) => axum::response::IntoResponse::into_response(AppError::unauthenticated()),
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// Opens the routes of a router to the given roles; everyone else gets 403.
pub async fn open_to(State(roles): State<&'static [Role]>, req: Request, next: Next) -> Response {
    match req.extensions().get::<Caller>() {
        Some(c) if roles.contains(&c.role) => next.run(req).await,
        Some(_) => axum::response::IntoResponse::into_response(AppError::forbidden()),
        None => axum::response::IntoResponse::into_response(AppError::unauthenticated()),
    }
}

/// Opens every route of `router` to `roles` (and only to them).
pub fn open<S: Clone + Send + Sync + 'static>(
    roles: &'static [Role],
    router: utoipa_axum::router::OpenApiRouter<S>,
) -> utoipa_axum::router::OpenApiRouter<S> {
    router.route_layer(axum::middleware::from_fn_with_state(roles, open_to))
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or_else(AppError::unauthenticated)
    }
}

pub const ALL_ROLES: &[Role] = &Role::ALL;
pub const ADMIN: &[Role] = &[Role::Admin];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_hash_verifies_only_the_right_password() {
        let h = hash_password("zhunru-demo");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("zhunru-demo", &h));
        assert!(!verify_password("zhunru-demo ", &h));
        assert!(!verify_password("zhunru-demo", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
