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
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::orgs::Role;
use crate::platform::error::{AppError, AppResult};
use crate::AppState;

/// After this many wrong passwords in a row the account is locked for `LOCK_MINUTES`.
pub const MAX_FAILED_LOGINS: i32 = 5;
pub const LOCK_MINUTES: i64 = 15;

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
    pub county_id: i64,
    pub session_id: i64,
}

impl Caller {
    fn from_user(u: &user::Model, session_id: i64) -> Option<Caller> {
        Some(Caller {
            user_id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: Role::parse(&u.role)?,
            org_id: u.org_id,
            county_id: u.county_id,
            session_id,
        })
    }
}

pub struct Login {
    pub token: String,
    pub user: user::Model,
}

/// Checks a username and password and opens a session.
pub async fn login(
    db: &DatabaseConnection,
    ttl: std::time::Duration,
    username: &str,
    password: &str,
) -> AppResult<Login> {
    let wrong = || {
        AppError::new(axum::http::StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", "用户名或密码错误")
    };
    let now = Utc::now();
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username.trim()))
        .one(db)
        .await?;
    let Some(u) = found else {
        verify_password(password, decoy_hash());
        return Err(wrong());
    };
    if u.locked_until.is_some_and(|t| t > now) {
        return Err(AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "LOGIN_LOCKED",
            format!("密码连续错误{MAX_FAILED_LOGINS}次，账号已暂时锁定，请{LOCK_MINUTES}分钟后再试"),
        ));
    }
    // Verify even for a disabled account so timing says nothing about its state.
    let ok = verify_password(password, &u.password_hash);
    if !ok || !u.active {
        if !ok {
            let failed = u.failed_logins + 1;
            let mut am: user::ActiveModel = u.into();
            if failed >= MAX_FAILED_LOGINS {
                am.failed_logins = Set(0);
                am.locked_until = Set(Some(now + Duration::minutes(LOCK_MINUTES)));
            } else {
                am.failed_logins = Set(failed);
            }
            am.update(db).await?;
        }
        return Err(wrong());
    }
    if u.failed_logins != 0 || u.locked_until.is_some() {
        let mut am: user::ActiveModel = u.clone().into();
        am.failed_logins = Set(0);
        am.locked_until = Set(None);
        am.update(db).await?;
    }
    // Housekeeping: a user's expired sessions go when they log in again.
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(u.id))
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let token = new_token();
    let ttl = Duration::from_std(ttl).unwrap_or(Duration::hours(8));
    session::ActiveModel {
        token_hash: Set(token_hash(&token)),
        user_id: Set(u.id),
        county_id: Set(u.county_id),
        expires_at: Set(now + ttl),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    tracing::info!(user = %u.username, "login");
    Ok(Login { token, user: u })
}

/// Ends a session (logout). Unknown tokens are ignored.
pub async fn logout(db: &DatabaseConnection, session_id: i64) -> AppResult<()> {
    session::Entity::delete_by_id(session_id).exec(db).await?;
    Ok(())
}

/// Ends every session of a user (password change, account disabled).
pub async fn end_sessions_of(db: &DatabaseConnection, user_id: i64) -> AppResult<()> {
    session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(db).await?;
    Ok(())
}

/// Ends every session of a user but the one in use (own password change).
pub async fn end_sessions_of_except(db: &DatabaseConnection, user_id: i64, keep: i64) -> AppResult<()> {
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::Id.ne(keep))
        .exec(db)
        .await?;
    Ok(())
}

/// The caller a token stands for: unexpired session, active user.
pub async fn caller_from_token(db: &DatabaseConnection, token: &str) -> AppResult<Option<Caller>> {
    let Some(s) = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token_hash(token)))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let u = user::Entity::find_by_id(s.user_id).one(db).await?;
    Ok(u.filter(|u| u.active).and_then(|u| Caller::from_user(&u, s.id)))
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
        Some(t) => caller_from_token(&state.db, t).await,
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
