//! Pages: login, logout, each role's home page, own password, and the admin's
//! organisation and user management.
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use entity::{organisation, user};
use serde::Deserialize;

use super::store::{self, NewOrg, NewUser, UserChange};
use super::{OrgKind, Role};
use crate::platform::auth::{self, Caller, ADMIN, ALL_ROLES, SESSION_COOKIE};
use crate::platform::error::AppError;
use crate::web::{self, render, Layout, PageError, PageResult};
use crate::AppState;

pub fn public_routes() -> Router<AppState> {
    Router::new().route("/login", get(login_form).post(login_submit))
}

pub fn routes() -> Router<AppState> {
    let everyone = Router::new()
        .route("/", get(home))
        .route("/logout", post(logout))
        .route("/password", get(password_form).post(password_submit));
    let admin = Router::new()
        .route("/admin/orgs", get(admin_page).post(admin_create_org))
        .route("/admin/users", post(admin_create_user))
        .route("/admin/users/{id}", post(admin_update_user));
    web::open(ALL_ROLES, everyone).merge(web::open(ADMIN, admin))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    username: String,
    next: String,
    error: Option<String>,
    /// The counties' public pages, open without an account.
    counties: Vec<(i64, String)>,
    /// A form sent after the session ended, urlencoded, and where it was going.
    resume: String,
    resume_to: String,
}

/// After a login that kept a form: the form, ready to be sent again.
#[derive(Template)]
#[template(path = "resume.html")]
struct ResumePage {
    layout: Layout,
    to: String,
    token: String,
    fields: Vec<(String, String)>,
}

/// The most a kept form may hold (an application's texts are at most 5,000 characters each).
const MAX_RESUME: usize = 256 * 1024;

/// The login page for a form posted after the session ended, keeping the form's fields
/// (not its files, nor the stale token) to send again after login.
pub async fn login_to_resume(req: axum::extract::Request) -> axum::response::Response {
    let to = safe_next(Some(req.uri().path()));
    let urlencoded = req.headers().get(axum::http::header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/x-www-form-urlencoded"));
    let kept = if urlencoded {
        match axum::body::to_bytes(req.into_body(), MAX_RESUME).await {
            Ok(b) => form_urlencoded::Serializer::new(String::new()).extend_pairs(form_urlencoded::parse(&b).filter(|(k, _)| k != crate::web::csrf::FIELD)).finish(),
            Err(_) => String::new(),
        }
    } else {
        String::new()
    };
    let error = if kept.is_empty() {
        "登录已超时，请重新登录后再提交（所选附件须重新选择）。".to_string()
    } else {
        "登录已超时。重新登录后，刚才填写的内容可以继续提交。".to_string()
    };
    let page = LoginPage {
        layout: Layout { title: "登录".into(), user: None },
        username: String::new(),
        next: "/".into(),
        error: Some(error),
        counties: Vec::new(),
        resume_to: if kept.is_empty() { String::new() } else { to },
        resume: kept,
    };
    render(StatusCode::UNAUTHORIZED, &page).unwrap_or_else(|e| e.into_response())
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// Only local paths may follow a login, so the login page cannot bounce a user to a
/// foreign site.
/// Where to go after login: a path of this site only. Browsers drop tabs and newlines
/// from URLs and read `\\` as `/`, so `/%09/evil.example` would leave the site: any
/// control character, space or backslash, or a second slash up front, falls back to `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && n.len() <= 500
                && n.chars().all(|c| c.is_ascii_graphic() && c != '\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn login_form(State(st): State<AppState>, Query(q): Query<LoginQuery>) -> PageResult {
    let page = LoginPage {
        layout: Layout { title: "登录".into(), user: None },
        username: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
        counties: store::public_counties(&st.db).await?,
        resume: String::new(),
        resume_to: String::new(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    /// A form kept from before the session ended (`login_to_resume`).
    #[serde(default)]
    resume: String,
    #[serde(default)]
    resume_to: String,
}

async fn login_submit(
    State(st): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let next = safe_next(f.next.as_deref());
    match auth::login(&st, &f.username, &f.password).await {
        Ok(l) => {
            let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https");
            let cookie = Cookie::build((SESSION_COOKIE, l.token))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(st.config.secure_cookies || https)
                .max_age(time_duration(st.config.session_ttl))
                .build();
            if !f.resume.is_empty() && !f.resume_to.is_empty() {
                let page = ResumePage {
                    layout: Layout { title: "继续提交".into(), user: None },
                    to: safe_next(Some(&f.resume_to)),
                    token: crate::web::csrf::session_token(cookie.value()),
                    fields: form_urlencoded::parse(f.resume.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect(),
                };
                return Ok((jar.add(cookie), render(StatusCode::OK, &page)?).into_response());
            }
            Ok((jar.add(cookie), Redirect::to(&next)).into_response())
        }
        Err(e) if e.status.is_client_error() => {
            let page = LoginPage {
                layout: Layout { title: "登录".into(), user: None },
                username: f.username,
                next,
                error: Some(e.message),
                counties: store::public_counties(&st.db).await?,
                resume: f.resume,
                resume_to: f.resume_to,
            };
            render(e.status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

fn time_duration(d: std::time::Duration) -> time::Duration {
    time::Duration::seconds(d.as_secs() as i64)
}

async fn logout(State(st): State<AppState>, caller: Caller, jar: CookieJar) -> PageResult {
    auth::logout(&st.db, &caller).await?;
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, Redirect::to("/login")).into_response())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    role: Role,
    org: organisation::Model,
    colleagues: Vec<user::Model>,
    county_orgs: usize,
    communities: usize,
    dashboard: crate::reports::dashboard::Dashboard,
    /// The dashboard's charts as SVG, drawn on the server.
    charts: Vec<String>,
    /// The most urgent inbox items.
    items: Vec<crate::inbox::Item>,
    /// The caller may download the county report.
    county_report: bool,
    today: chrono::NaiveDate,
    /// A community's payments to confirm, each confirmed or disputed from here.
    receipts: Vec<crate::funds::store::PaymentRow>,
    /// A community's own workload today, against a year before.
    workload: Option<crate::tasks::workload::Load>,
    /// What the last receipt form recorded.
    done: Option<&'static str>,
    /// Above the counties (a city, a province): the jurisdictions below, in place of a
    /// county's figures, which would all be zero here (issue 29).
    below: Option<Vec<crate::region::store::Standing>>,
}

impl HomePage {
    fn duties(&self) -> &'static [&'static str] {
        self.role.duties()
    }
}

/// Each role's home page: who I am, what my role does, my organisation.
#[derive(Deserialize)]
struct HomeQuery {
    done: Option<String>,
}

async fn home(State(st): State<AppState>, caller: Caller, Query(q): Query<HomeQuery>) -> PageResult {
    let orgs = store::list_orgs(&st.db, caller.county_id).await?;
    // The caller's own organisation is at home, also while looking into a county below.
    let org = store::find_org(&st.db, caller.home_county_id, caller.org_id).await?;
    let colleagues = if caller.viewing_below() { Vec::new() } else { store::users_of_org(&st.db, &caller, caller.org_id).await? };
    let communities = orgs.iter().filter(|o| o.kind == OrgKind::Community.as_str()).count();
    let today = st.clock.today();
    let mut items = crate::inbox::store::cached(&st, &caller).await?;
    let dashboard = crate::reports::dashboard::build(&st.db, &caller, today, &items).await?;
    let charts = crate::reports::dashboard::charts(&dashboard).iter().map(crate::reports::charts::inline_svg).collect::<Result<Vec<_>, _>>().map_err(AppError::internal)?;
    items.truncate(8);
    let receipts = if caller.role == Role::Community { dashboard.unconfirmed.clone() } else { Vec::new() };
    let workload = if caller.role == Role::Community {
        crate::tasks::workload::of_community(&st.db, caller.county_id, caller.org_id, today).await?
    } else {
        None
    };
    let here = crate::region::store::jurisdiction(&st.db, caller.county_id).await?;
    let below = if crate::region::store::level_of(&here) != crate::region::Level::County {
        Some(crate::region::store::overview(&st.db, &caller).await?.below)
    } else {
        None
    };
    let page = HomePage {
        layout: Layout::for_caller(&st, &caller, format!("{}工作台", caller.role.label())).await?,
        role: caller.role,
        org,
        colleagues,
        county_orgs: orgs.len(),
        communities,
        dashboard,
        charts,
        items,
        county_report: crate::reports::api::COUNTY_READERS.contains(&caller.role),
        today,
        receipts,
        workload,
        done: match q.done.as_deref() {
            Some("receipt") => Some("已记录收款确认。"),
            Some("disputed") => Some("已记录异议，财政局核实后答复；答复后请再确认收款。"),
            _ => None,
        },
        below,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    layout: Layout,
    errors: Vec<String>,
    done: bool,
}

async fn password_form(State(st): State<AppState>, caller: Caller) -> PageResult {
    let layout = Layout::for_caller(&st, &caller, "修改密码").await?;
    render(StatusCode::OK, &PasswordPage { layout, errors: vec![], done: false })
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_submit(State(st): State<AppState>, caller: Caller, Form(f): Form<PasswordForm>) -> PageResult {
    let layout = Layout::for_caller(&st, &caller, "修改密码").await?;
    if f.new_password != f.confirm_password {
        let errors = vec!["两次输入的新密码不一致".to_string()];
        return render(StatusCode::UNPROCESSABLE_ENTITY, &PasswordPage { layout, errors, done: false });
    }
    match store::change_own_password(&st.db, &st.throttle, &caller, &f.current_password, &f.new_password).await {
        Ok(()) => render(StatusCode::OK, &PasswordPage { layout, errors: vec![], done: true }),
        Err(e) => {
            let status = e.status;
            render(status, &PasswordPage { layout, errors: web::form_errors(e)?, done: false })
        }
    }
}

/// One organisation of the tree with its users, indented by depth.
struct OrgRow {
    org: organisation::Model,
    depth: usize,
    kind_label: &'static str,
    users: Vec<user::Model>,
}

#[derive(Template)]
#[template(path = "admin_orgs.html")]
struct AdminPage {
    layout: Layout,
    rows: Vec<OrgRow>,
    parents: Vec<organisation::Model>,
    kinds: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    errors: Vec<String>,
    notice: Option<&'static str>,
}

impl AdminPage {
    fn role_label(&self, role: &str) -> &'static str {
        Role::parse(role).map(Role::label).unwrap_or("未知")
    }
}

#[derive(Deserialize)]
struct AdminQuery {
    done: Option<String>,
}

async fn admin_page(State(st): State<AppState>, caller: Caller, Query(q): Query<AdminQuery>) -> PageResult {
    let notice = match q.done.as_deref() {
        Some("org") => Some("已新增组织"),
        Some("user") => Some("已开设账号"),
        Some("update") => Some("已保存账号修改"),
        _ => None,
    };
    admin_render(&st, &caller, StatusCode::OK, vec![], notice).await
}

async fn admin_render(
    st: &AppState,
    caller: &Caller,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<&'static str>,
) -> PageResult {
    let orgs = store::list_orgs(&st.db, caller.county_id).await?;
    let users = store::all_users(&st.db, caller).await?;
    let rows = tree_rows(&orgs, &users);
    let parents = orgs
        .iter()
        .filter(|o| matches!(OrgKind::parse(&o.kind), Some(OrgKind::County | OrgKind::Street)))
        .cloned()
        .collect();
    let page = AdminPage {
        layout: Layout::for_caller(st, caller, "组织与用户管理").await?,
        rows,
        parents,
        kinds: OrgKind::ALL.iter().filter(|k| **k != OrgKind::County).map(|k| (k.as_str(), k.label())).collect(),
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        errors,
        notice,
    };
    render(status, &page)
}

/// Depth-first order of the tree, so children follow their parent.
fn tree_rows(orgs: &[organisation::Model], users: &[user::Model]) -> Vec<OrgRow> {
    fn walk(
        parent: Option<i64>,
        depth: usize,
        orgs: &[organisation::Model],
        users: &[user::Model],
        out: &mut Vec<OrgRow>,
    ) {
        for o in orgs.iter().filter(|o| o.parent_id == parent) {
            out.push(OrgRow {
                org: o.clone(),
                depth,
                kind_label: OrgKind::parse(&o.kind).map(OrgKind::label).unwrap_or(""),
                users: users.iter().filter(|u| u.org_id == o.id).cloned().collect(),
            });
            walk(Some(o.id), depth + 1, orgs, users, out);
        }
    }
    let mut out = Vec::new();
    walk(None, 0, orgs, users, &mut out);
    out
}

/// Form errors are shown on the page again; anything else is an error page.
async fn admin_result<T>(st: &AppState, caller: &Caller, r: Result<T, AppError>, done: &str) -> PageResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/admin/orgs?done={done}")).into_response()),
        Err(e) => {
            let status = e.status;
            admin_render(st, caller, status, web::form_errors(e)?, None).await
        }
    }
}

#[derive(Deserialize)]
struct OrgForm {
    parent_id: i64,
    kind: String,
    name: String,
}

async fn admin_create_org(State(st): State<AppState>, caller: Caller, Form(f): Form<OrgForm>) -> PageResult {
    let r = match OrgKind::parse(&f.kind) {
        Some(kind) => {
            store::create_org(&st.db, &caller, NewOrg { parent_id: Some(f.parent_id), kind, name: f.name })
                .await
        }
        None => Err(AppError::invalid("kind", "请选择组织类型")),
    };
    admin_result(&st, &caller, r, "org").await
}

#[derive(Deserialize)]
struct UserForm {
    org_id: i64,
    username: String,
    display_name: String,
    role: String,
    password: String,
}

async fn admin_create_user(State(st): State<AppState>, caller: Caller, Form(f): Form<UserForm>) -> PageResult {
    let r = match Role::parse(&f.role) {
        Some(role) => {
            let new = NewUser {
                org_id: f.org_id,
                username: f.username,
                display_name: f.display_name,
                role,
                password: f.password,
            };
            store::create_user(&st.db, &caller, new).await
        }
        None => Err(AppError::invalid("role", "请选择角色")),
    };
    admin_result(&st, &caller, r, "user").await
}

#[derive(Deserialize)]
struct UserUpdateForm {
    action: String,
    password: Option<String>,
}

/// Enable, disable or reset the password of an account.
async fn admin_update_user(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Form(f): Form<UserUpdateForm>,
) -> PageResult {
    let ch = match f.action.as_str() {
        "disable" => UserChange { active: Some(false), ..Default::default() },
        "enable" => UserChange { active: Some(true), ..Default::default() },
        "reset" => UserChange { password: Some(f.password.unwrap_or_default()), ..Default::default() },
        _ => return Err(PageError(AppError::invalid("action", "未知操作"))),
    };
    let r = store::update_user(&st.db, &st.throttle, &caller, id, ch).await;
    admin_result(&st, &caller, r, "update").await
}
