//! JSON API of logins, organisations and users.
use axum::extract::{Query, Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use entity::{organisation, user};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use validator::Validate;

use super::store::{self, NewOrg, NewUser, UserChange};
use super::{OrgKind, Role};
use crate::platform::auth::{self, Caller, ADMIN, ALL_ROLES};
use crate::platform::error::{AppResult, ErrorBody};
use crate::platform::extract::ValidJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

#[derive(Deserialize, Validate, ToSchema)]
pub struct LoginRequest {
    #[validate(length(min = 1, max = 64, message = "请填写用户名"))]
    pub username: String,
    #[validate(length(min = 1, max = 128, message = "请填写密码"))]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserOut,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub org_id: i64,
    pub county_id: i64,
    pub active: bool,
}

impl From<user::Model> for UserOut {
    fn from(u: user::Model) -> Self {
        let role = Role::parse(&u.role).unwrap_or(Role::Community);
        UserOut {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role,
            role_label: role.label(),
            org_id: u.org_id,
            county_id: u.county_id,
            active: u.active,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrgOut {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub kind_label: &'static str,
    pub name: String,
}

impl From<organisation::Model> for OrgOut {
    fn from(o: organisation::Model) -> Self {
        let kind = OrgKind::parse(&o.kind).unwrap_or(OrgKind::Department);
        OrgOut { id: o.id, parent_id: o.parent_id, kind, kind_label: kind.label(), name: o.name }
    }
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct NewOrgRequest {
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    #[validate(length(min = 1, max = 100, message = "组织名称须为1至100个字符"))]
    pub name: String,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct NewUserRequest {
    pub org_id: i64,
    pub username: String,
    #[validate(length(min = 1, max = 50, message = "姓名须为1至50个字符"))]
    pub display_name: String,
    pub role: Role,
    pub password: String,
}

#[derive(Deserialize, Validate, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[validate(length(min = 1, max = 50, message = "姓名须为1至50个字符"))]
    pub display_name: Option<String>,
    pub org_id: Option<i64>,
    pub role: Option<Role>,
    pub active: Option<bool>,
    /// A new password set by the admin; ends the user's sessions.
    pub password: Option<String>,
}

#[derive(Deserialize, Validate, ToSchema)]
pub struct ChangePasswordRequest {
    #[validate(length(min = 1, message = "请填写当前密码"))]
    pub current_password: String,
    pub new_password: String,
}

#[derive(Serialize, ToSchema)]
pub struct MeOut {
    pub user: UserOut,
    pub org: OrgOut,
    /// Where and as what this session acts: the user's own jurisdiction and role, or a
    /// county below it, read-only as its supervisor.
    pub acting: ActingOut,
}

#[derive(Serialize, ToSchema)]
pub struct ActingOut {
    pub county_id: i64,
    pub role: Role,
    pub read_only: bool,
}

/// Routes open without a token.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login))
}

/// Routes for any logged-in user, and routes for the admin only.
pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_orgs))
        .routes(routes!(get_org))
        .routes(routes!(org_users))
        .routes(routes!(get_user));
    let admin = OpenApiRouter::new()
        .routes(routes!(create_org))
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user));
    auth::open(ALL_ROLES, everyone).merge(auth::open(ADMIN, admin))
}

/// Log in with username and password; returns a bearer token.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse),
              (status = 401, description = "INVALID_CREDENTIALS", body = ErrorBody),
              (status = 429, description = "LOGIN_LOCKED", body = ErrorBody)))]
async fn login(State(st): State<AppState>, ValidJson(req): ValidJson<LoginRequest>) -> AppResult<Json<LoginResponse>> {
    let l = auth::login(&st, &req.username, &req.password).await?;
    let expires_at = Utc::now() + chrono::Duration::from_std(st.config.session_ttl).unwrap_or_default();
    Ok(Json(LoginResponse { token: l.token, expires_at, user: l.user.into() }))
}

/// End the session of the token used.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(st): State<AppState>, caller: Caller) -> AppResult<StatusCode> {
    auth::logout(&st.db, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller and their organisation.
#[utoipa::path(get, path = "/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeOut), (status = 401, body = ErrorBody)))]
async fn me(State(st): State<AppState>, caller: Caller) -> AppResult<Json<MeOut>> {
    let user = store::own_account(&st.db, &caller).await?;
    let org = store::find_org(&st.db, caller.home_county_id, caller.org_id).await?;
    let acting = ActingOut { county_id: caller.county_id, role: caller.role, read_only: caller.viewing_below() };
    Ok(Json(MeOut { user: user.into(), org: org.into(), acting }))
}

/// Change one's own password; other sessions of the user end.
#[utoipa::path(put, path = "/me/password", tag = "auth", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
async fn change_password(
    State(st): State<AppState>,
    caller: Caller,
    ValidJson(req): ValidJson<ChangePasswordRequest>,
) -> AppResult<StatusCode> {
    store::change_own_password(&st.db, &st.throttle, &caller, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation tree of the caller's county.
#[utoipa::path(get, path = "/orgs", tag = "organisations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<OrgOut>)))]
async fn list_orgs(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<OrgOut>>> {
    let orgs = store::list_orgs(&st.db, caller.county_id).await?;
    Ok(Json(page::of_slice(orgs.into_iter().map(Into::into).collect(), pq.parse()?, |x| x.id)))
}

#[utoipa::path(get, path = "/orgs/{id}", tag = "organisations", security(("bearer" = [])),
    responses((status = 200, body = OrgOut), (status = 404, body = ErrorBody)))]
async fn get_org(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<OrgOut>> {
    Ok(Json(store::find_org(&st.db, caller.county_id, id).await?.into()))
}

/// Users of an organisation: any for admin and supervisor, otherwise only one's own.
#[utoipa::path(get, path = "/orgs/{id}/users", tag = "organisations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<UserOut>), (status = 404, body = ErrorBody)))]
async fn org_users(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<UserOut>>> {
    let users = store::users_of_org(&st.db, &caller, id).await?;
    Ok(Json(page::of_slice(users.into_iter().map(Into::into).collect(), pq.parse()?, |x| x.id)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "organisations", security(("bearer" = [])),
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody)))]
async fn get_user(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<UserOut>> {
    Ok(Json(store::find_user(&st.db, &caller, id).await?.into()))
}

/// Add an organisation to the county's tree (admin).
#[utoipa::path(post, path = "/orgs", tag = "organisations", security(("bearer" = [])), request_body = NewOrgRequest,
    responses((status = 201, body = OrgOut), (status = 403, body = ErrorBody),
              (status = 409, description = "ORG_NAME_TAKEN", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_org(
    State(st): State<AppState>,
    caller: Caller,
    ValidJson(req): ValidJson<NewOrgRequest>,
) -> AppResult<(StatusCode, Json<OrgOut>)> {
    let org = store::create_org(
        &st.db,
        &caller,
        NewOrg { parent_id: req.parent_id, kind: req.kind, name: req.name },
    )
    .await?;
    tracing::info!(admin = %caller.username, org = %org.name, "organisation created");
    Ok((StatusCode::CREATED, Json(org.into())))
}

/// Every user of the county (admin).
#[utoipa::path(get, path = "/users", tag = "organisations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<UserOut>), (status = 403, body = ErrorBody)))]
async fn list_users(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<UserOut>>> {
    let users = store::all_users(&st.db, &caller).await?;
    Ok(Json(page::of_slice(users.into_iter().map(Into::into).collect(), pq.parse()?, |x| x.id)))
}

/// Open an account (admin). The role must fit the organisation's kind.
#[utoipa::path(post, path = "/users", tag = "organisations", security(("bearer" = [])), request_body = NewUserRequest,
    responses((status = 201, body = UserOut), (status = 403, body = ErrorBody),
              (status = 409, description = "USERNAME_TAKEN", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(st): State<AppState>,
    caller: Caller,
    ValidJson(req): ValidJson<NewUserRequest>,
) -> AppResult<(StatusCode, Json<UserOut>)> {
    let new = NewUser {
        org_id: req.org_id,
        username: req.username,
        display_name: req.display_name,
        role: req.role,
        password: req.password,
    };
    let u = store::create_user(&st.db, &caller, new).await?;
    tracing::info!(admin = %caller.username, user = %u.username, "user created");
    Ok((StatusCode::CREATED, Json(u.into())))
}

/// Change, disable or reset the password of an account (admin).
#[utoipa::path(patch, path = "/users/{id}", tag = "organisations", security(("bearer" = [])), request_body = UpdateUserRequest,
    responses((status = 200, body = UserOut), (status = 404, body = ErrorBody),
              (status = 409, description = "CANNOT_CHANGE_SELF", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(req): ValidJson<UpdateUserRequest>,
) -> AppResult<Json<UserOut>> {
    let ch = UserChange {
        display_name: req.display_name,
        org_id: req.org_id,
        role: req.role,
        active: req.active,
        password: req.password,
    };
    let u = store::update_user(&st.db, &st.throttle, &caller, id, ch).await?;
    tracing::info!(admin = %caller.username, user = %u.username, "user updated");
    Ok(Json(u.into()))
}
