//! zhunru (准入): community work-item admission and purchase-of-service contracts.
//!
//! `router` builds the whole application for `main.rs` and for the tests alike.
pub mod admission;
pub mod assessment;
pub mod audit;
pub mod bench;
pub mod citation;
pub mod contracts;
pub mod demo;
pub mod disputes;
pub mod evaluation;
pub mod funds;
pub mod inbox;
pub mod lifecycle;
pub mod lists;
pub mod money;
pub mod ocds;
pub mod orgs;
pub mod pdf;
pub mod registers;
pub mod repair;
pub mod region;
pub mod reports;
pub mod screening;
pub mod tasks;
pub mod platform;
pub mod web;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use platform::config::Config;
use platform::error::AppError;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// The contract templates, checked at start.
    pub templates: Arc<Vec<contracts::template::Template>>,
    /// Login failures, per address and account (in memory: one server process).
    pub throttle: Arc<platform::auth::Throttle>,
    /// Today, as the inbox's deadlines see it (settable in tests).
    pub clock: Arc<platform::clock::Clock>,
    /// Each user's inbox as last gathered (see `inbox::store::Cache`).
    pub inbox_cache: Arc<inbox::store::Cache>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "zhunru 准入 API", description = "社区工作事项准入与政府购买服务：三个清单、准入审批、购买服务合同、费随事转、按合同条款评价。"),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The API under `/api/v1` and its OpenAPI document, generated from the handlers.
pub fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let protected = orgs::api::routes().merge(lists::api::routes()).merge(admission::api::routes()).merge(contracts::api::routes()).merge(funds::api::routes()).merge(evaluation::api::routes()).merge(screening::api::routes()).merge(audit::api::routes()).merge(registers::api::routes()).merge(inbox::api::routes()).merge(reports::api::routes()).merge(tasks::api::routes()).merge(disputes::api::routes()).merge(assessment::api::routes()).merge(region::api::routes()).route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        platform::auth::authenticate_api,
    ));
    let v1 = OpenApiRouter::new()
        .merge(orgs::api::public_routes())
        .merge(lists::api::public_routes())
        .merge(admission::api::public_routes())
        .merge(ocds::api::public_routes())
        .merge(protected);
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1).split_for_parts();
    tidy_document(&mut doc);
    (router, doc)
}

/// What the handlers' annotations leave out, filled in once for every operation (issue 26,
/// as openapi-spec-validator and client generators read the document): operationIds are
/// unique, and every operation behind the bearer token documents its 401.
fn tidy_document(doc: &mut utoipa::openapi::OpenApi) {
    use std::collections::HashMap;
    use utoipa::openapi::{path::Operation, Content, Ref, RefOr, ResponseBuilder};
    fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
        [("get", &mut item.get), ("put", &mut item.put), ("post", &mut item.post), ("delete", &mut item.delete), ("patch", &mut item.patch)]
            .into_iter()
            .filter_map(|(m, op)| op.as_mut().map(|op| (m, op)))
    }
    // A handler name shared by several operations (`create`, `decide` …) gets its path's
    // first word (`admissions_decide`); if that is shared too, all of the path's words,
    // then the method as well.
    let mut ops: Vec<(Vec<String>, &'static str, String)> = Vec::new(); // (path words, method, name)
    for (path, item) in doc.paths.paths.iter_mut() {
        let words: Vec<String> = path.trim_start_matches("/api/v1/").split('/').filter(|w| !w.is_empty() && !w.starts_with('{')).map(|w| w.replace('-', "_")).collect();
        for (method, op) in operations(item) {
            ops.push((words.clone(), method, op.operation_id.clone().unwrap_or_default()));
        }
    }
    let mut ids: Vec<String> = ops.iter().map(|(_, _, name)| name.clone()).collect();
    for level in 0..3 {
        let mut uses: HashMap<String, usize> = HashMap::new();
        for id in &ids {
            *uses.entry(id.clone()).or_default() += 1;
        }
        for (i, (words, method, name)) in ops.iter().enumerate() {
            if uses[&ids[i]] > 1 {
                ids[i] = match level {
                    0 => format!("{}_{name}", words.first().cloned().unwrap_or_default()),
                    1 => format!("{}_{name}", words.join("_")),
                    _ => format!("{method}_{}_{name}", words.join("_")),
                };
            }
        }
    }
    // The same walk again, in the same order (the paths are a sorted map).
    let mut ids = ids.into_iter();
    for item in doc.paths.paths.values_mut() {
        for (_, op) in operations(item) {
            op.operation_id = ids.next();
            if op.security.as_ref().is_some_and(|s| !s.is_empty()) && !op.responses.responses.contains_key("401") {
                let body = Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody"))));
                let unauthenticated = ResponseBuilder::new().description("UNAUTHENTICATED：未登录或登录已过期").content("application/json", body).build();
                op.responses.responses.insert("401".into(), RefOr::T(unauthenticated));
            }
        }
    }
}

pub fn router(state: AppState) -> Router {
    let (api, openapi) = api(&state);
    let trusted = std::sync::Arc::new(state.config.trusted_proxies.clone());
    Router::new()
        .merge(api)
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", openapi))
        .route("/healthz", get(healthz))
        .merge(web::router(&state))
        .layer(axum::middleware::from_fn(web::csrf::query_text))
        .layer(axum::middleware::from_fn(web::csrf::headers))
        .layer(axum::middleware::from_fn(move |req, next| platform::audit::request_context(trusted.clone(), req, next)))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn api_not_found() -> AppError {
    AppError::not_found()
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match st.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, Json(serde_json::json!({"status": "database unreachable"})))
        }
    }
}

/// Checks the contract templates, connects, migrates and returns the state the router
/// needs. A wrong template stops the start with its file and line.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let templates = match &config.templates_dir {
        Some(dir) => contracts::template::load_dir(dir),
        None => contracts::template::load_embedded(),
    }
    .map_err(|errs| {
        let lines: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        let origin = config.templates_dir.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "the binary".into());
        anyhow::anyhow!("contract templates in {origin} are wrong:\n{}", lines.join("\n"))
    })?;
    let db = platform::db::connect(&config.database_url).await?;
    platform::db::migrate(&db).await?;
    let throttle = Arc::new(platform::auth::Throttle::new(config.login_lock));
    Ok(AppState { db, config: Arc::new(config), templates: Arc::new(templates), throttle, clock: Arc::default(), inbox_cache: Arc::default() })
}

/// For lint-like unit tests that read the source.
#[cfg(test)]
pub(crate) fn source_files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut out);
    out
}

#[cfg(test)]
mod tests {
    /// Two types with one schema name overwrite each other in the OpenAPI document (a
    /// contract's `"active"` once broke the admission `Status` published in its place).
    #[test]
    fn every_openapi_schema_name_is_unique() {
        let paths = crate::source_files();
        let mut seen: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut dupes = Vec::new();
        for p in paths {
            let text = std::fs::read_to_string(&p).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (i, l) in lines.iter().enumerate() {
                if !(l.trim_start().starts_with("#[derive(") && l.contains("ToSchema")) {
                    continue;
                }
                let mut alias = None;
                for next in &lines[i + 1..] {
                    let t = next.trim_start();
                    if let Some(rest) = t.strip_prefix("#[schema(as = ") {
                        alias = rest.split(')').next().map(str::to_string);
                    }
                    if let Some(rest) = t.strip_prefix("pub struct ").or_else(|| t.strip_prefix("pub enum ")) {
                        let name = alias.clone().unwrap_or_else(|| rest.split(|c: char| !c.is_alphanumeric() && c != '_').next().unwrap().to_string());
                        let at = format!("{}:{}", p.display(), i + 1);
                        if let Some(prev) = seen.insert(name.clone(), at.clone()) {
                            dupes.push(format!("{name}: {prev} and {at}"));
                        }
                        break;
                    }
                    if !t.starts_with("#[") && !t.starts_with("///") {
                        break;
                    }
                }
            }
        }
        assert!(dupes.is_empty(), "schema names used twice (add #[schema(as = …)]): {dupes:#?}");
        assert!(seen.len() > 50, "the scan found the schemas ({})", seen.len());
    }
}
