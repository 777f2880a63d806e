//! Server-rendered pages in Chinese. Same rules as the API: a page route needs a login
//! (cookie) and is opened to named roles; assets are served by the binary itself
//! because government intranets cannot reach a CDN.
use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::orgs::Role;
use crate::platform::auth::{self, Caller};
use crate::platform::error::AppError;
use crate::AppState;

pub mod csrf;

/// What the page frame (header, menu) needs to know about the logged-in user.
pub struct Layout {
    pub title: String,
    pub user: Option<NavUser>,
}

pub struct NavUser {
    pub display_name: String,
    pub role: Role,
    pub org_name: String,
    /// Unread items in the user's inbox (the header's badge).
    pub unread: usize,
    /// The jurisdiction below the user's own that this session looks into (read-only).
    pub viewing: Option<String>,
    /// May read filings (备案) and look into the jurisdictions below.
    pub oversees: bool,
}

impl NavUser {
    pub fn role_label(&self) -> &'static str {
        self.role.label()
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn sees_audit(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Supervisor)
    }
}

impl Layout {
    pub async fn for_caller(st: &AppState, caller: &Caller, title: impl Into<String>) -> Result<Layout, PageError> {
        let org = crate::orgs::store::find_org(&st.db, caller.home_county_id, caller.org_id).await?;
        let unread = crate::inbox::store::cached(st, caller).await?.iter().filter(|i| !i.read).count();
        let viewing = match caller.viewing_below() {
            true => Some(crate::region::store::jurisdiction(&st.db, caller.county_id).await?.name),
            false => None,
        };
        let oversees = crate::region::oversees(caller.role);
        Ok(Layout {
            title: title.into(),
            user: Some(NavUser { display_name: caller.display_name.clone(), role: caller.role, org_name: org.name, unread, viewing, oversees }),
        })
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

/// An error on a page: 401 sends the browser to the login page, the rest render an
/// error page with the same Chinese message the API would give.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<sea_orm::DbErr> for PageError {
    fn from(e: sea_orm::DbErr) -> Self {
        PageError(e.into())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError(AppError::internal(e))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if self.0.status == StatusCode::UNAUTHORIZED {
            return Redirect::to("/login").into_response();
        }
        let page = ErrorPage {
            layout: Layout { title: "出错了".into(), user: None },
            status: self.0.status.as_u16(),
            message: self.0.message,
        };
        match page.render() {
            Ok(html) => (self.0.status, Html(html)).into_response(),
            Err(_) => (self.0.status, "error").into_response(),
        }
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// `?done=…` after a redirect: which notice the page shows.
#[derive(serde::Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

/// Errors a form can show (bad input 422, a conflict 409) go back onto the form as
/// Chinese messages, one per bad field; anything else becomes an error page.
pub fn form_errors(e: AppError) -> Result<Vec<String>, PageError> {
    if e.status != StatusCode::UNPROCESSABLE_ENTITY && e.status != StatusCode::CONFLICT {
        return Err(PageError(e));
    }
    let fields = if e.code == "VALIDATION_FAILED" { e.field_messages() } else { vec![] };
    Ok(if fields.is_empty() { vec![e.message] } else { fields })
}

/// Renders a template into a response with the given status.
pub fn render(status: StatusCode, t: &impl Template) -> PageResult {
    Ok((status, Html(t.render()?)).into_response())
}

/// Page routes: a valid session cookie, or off to the login page.
pub async fn authenticate_page(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let caller = match auth::session_cookie(&parts) {
        Some(t) => auth::caller_from_token(&state, &t).await,
        None => Ok(None),
    };
    match caller {
        Ok(Some(c)) => {
            if !same_origin(&parts) {
                return PageError(AppError::forbidden()).into_response();
            }
            parts.extensions.insert(c);
            next.run(Request::from_parts(parts, body)).await
        }
        // A form sent after the session ended (30 minutes idle, 8 hours): the login page
        // keeps what was typed, to send again once logged in (issue 29: it was lost).
        Ok(None) if parts.method == axum::http::Method::POST && same_origin(&parts) => crate::orgs::pages::login_to_resume(Request::from_parts(parts, body)).await,
        Ok(None) => {
            let next_path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
            let target = if parts.method == axum::http::Method::GET && next_path != "/" {
                format!("/login?next={}", percent_encode(next_path, true))
            } else {
                "/login".to_string()
            };
            Redirect::to(&target).into_response()
        }
        Err(e) => PageError(e).into_response(),
    }
}

/// A form post must come from our own pages: defence in depth beside SameSite=Lax.
fn same_origin(parts: &axum::http::request::Parts) -> bool {
    if parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD {
        return true;
    }
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // old browsers and non-browser clients send none
    };
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    origin.split_once("://").map(|(_, h)| h) == Some(host)
}

/// Percent-encodes all but the unreserved characters of RFC 3986 (and `/` when asked,
/// for paths): query values, `filename*` of a download.
pub fn percent_encode(s: &str, keep_slash: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b'/' if keep_slash => "/".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The plain `filename=` for clients that ignore `filename*` (curl -OJ): the name's ASCII
/// letters, digits and dashes with its extension, never a hidden file (`合同台账.xlsx` alone
/// would be `.xlsx`): `zhunru.xlsx` then.
fn ascii_filename(filename: &str) -> String {
    let (stem, ext) = match filename.rsplit_once('.') {
        Some((stem, ext)) => (stem, Some(ext)),
        None => (filename, None),
    };
    let keep = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    let stem = keep(stem);
    let stem = if stem.chars().any(|c| c.is_ascii_alphanumeric()) { stem } else { "zhunru".to_string() };
    match ext.map(keep).filter(|e| !e.is_empty()) {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem,
    }
}

#[cfg(test)]
mod filename_tests {
    #[test]
    fn the_plain_filename_is_never_hidden_nor_empty() {
        assert_eq!(super::ascii_filename("合同台账.xlsx"), "zhunru.xlsx");
        assert_eq!(super::ascii_filename("示范区购服〔2026〕1号.pdf"), "20261.pdf");
        assert_eq!(super::ascii_filename("contracts-2026.csv"), "contracts-2026.csv");
        assert_eq!(super::ascii_filename("报告"), "zhunru");
        assert_eq!(super::ascii_filename("../../etc/passwd"), "zhunru.etcpasswd");
    }
}

/// A file as an answer: its type, and its name (in UTF-8, RFC 6266) for the browser to
/// show (`inline`, PDFs) or save (`attachment`).
pub fn file_download(body: Vec<u8>, content_type: &str, filename: &str, inline: bool) -> Response {
    let ascii = ascii_filename(filename);
    let kind = if inline { "inline" } else { "attachment" };
    let disposition = format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}", percent_encode(filename, false));
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

/// Opens page routes to roles; others see a 403 page.
pub async fn open_page_to(State(roles): State<&'static [Role]>, req: Request, next: Next) -> Response {
    match req.extensions().get::<Caller>() {
        Some(c) if roles.contains(&c.role) => next.run(req).await,
        Some(_) => PageError(AppError::forbidden()).into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

pub fn open<S: Clone + Send + Sync + 'static>(roles: &'static [Role], router: Router<S>) -> Router<S> {
    router.route_layer(axum::middleware::from_fn_with_state(roles, open_page_to))
}

const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

pub fn router(state: &AppState) -> Router<AppState> {
    let protected = crate::orgs::pages::routes()
        .merge(crate::lists::pages::routes())
        .merge(crate::admission::pages::routes())
        .merge(crate::contracts::pages::routes())
        .merge(crate::funds::pages::routes())
        .merge(crate::evaluation::pages::routes())
        .merge(crate::screening::pages::routes())
        .merge(crate::audit::pages::routes())
        .merge(crate::registers::pages::routes())
        .merge(crate::reports::pages::routes())
        .merge(crate::tasks::pages::routes())
        .merge(crate::disputes::pages::routes())
        .merge(crate::region::pages::routes())
        .merge(crate::assessment::pages::routes())
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authenticate_page));
    Router::new()
        .merge(crate::orgs::pages::public_routes())
        .merge(crate::lists::pages::public_routes())
        .merge(crate::admission::pages::public_routes())
        .merge(protected)
        .route("/assets/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/assets/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/favicon.svg", get(|| async { asset("image/svg+xml", FAVICON) }))
        .fallback(not_found_page)
        .layer(axum::middleware::from_fn(csrf::protect))
        // Pages load nothing from elsewhere and may not be framed.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

async fn not_found_page() -> PageError {
    PageError(AppError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "页面不存在"))
}

/// Links between the pages of a list: to the next page (the current query with the
/// cursor replaced) and back to the first.
#[derive(Debug, Default, Clone)]
pub struct Pager {
    pub next: Option<String>,
    pub first: Option<String>,
}

impl Pager {
    pub fn new(path: &str, raw_query: Option<&str>, next_cursor: Option<&str>) -> Pager {
        let kept: Vec<&str> = raw_query.unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("cursor=")).collect();
        let with = |extra: Option<String>| {
            let mut parts: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
            parts.extend(extra);
            if parts.is_empty() { path.to_string() } else { format!("{path}?{}", parts.join("&")) }
        };
        let on_later_page = raw_query.unwrap_or("").split('&').any(|p| p.starts_with("cursor=") && p.len() > "cursor=".len());
        Pager {
            next: next_cursor.map(|c| with(Some(format!("cursor={}", percent_encode(c, false))))),
            first: on_later_page.then(|| with(None)),
        }
    }
}
