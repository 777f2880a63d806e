//! `GET /api/v1/dashboard` and `GET /api/v1/reports/county`.
use axum::extract::{Query, State};
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::county::ReportQuery;
use super::dashboard::{self, Dashboard};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::AppState;

/// The county report is the county's: its bodies read it, not a department or a community.
pub const COUNTY_READERS: &[Role] = &[Role::Admin, Role::Reviewer, Role::Approver, Role::Finance, Role::Supervisor];

pub fn routes() -> OpenApiRouter<AppState> {
    crate::platform::auth::open(&Role::ALL, OpenApiRouter::new().routes(routes!(get_dashboard))).merge(crate::platform::auth::open(COUNTY_READERS, OpenApiRouter::new().routes(routes!(county_report))))
}

/// The caller's dashboard: to-do counts and the key figures of what the caller may see.
#[utoipa::path(get, path = "/dashboard", tag = "reports", security(("bearer" = [])), responses((status = 200, body = Dashboard)))]
async fn get_dashboard(State(st): State<AppState>, caller: Caller) -> AppResult<Json<Dashboard>> {
    let items = crate::inbox::store::cached(&st, &caller).await?;
    Ok(Json(dashboard::build(&st.db, &caller, st.clock.today(), &items).await?))
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The county's report for a period (half year or year) as a PDF with charts (default) or
/// as a workbook with one sheet per section; audited as an export.
pub async fn county_file(st: &AppState, caller: &Caller, q: &ReportQuery) -> AppResult<Response> {
    let xlsx = match q.format.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("pdf") => false,
        Some("xlsx") => true,
        Some(_) => return Err(AppError::invalid("format", "格式须为 pdf 或 xlsx")),
    };
    let (from, to) = q.period(st.clock.today())?;
    let report = super::county::gather(&st.db, caller.county_id, from, to).await?;
    let name = report.title();
    let (bytes, kind, ext) = if xlsx {
        let sheets = report.sheets();
        let bytes = crate::platform::cpu::run(move || crate::registers::workbook(&sheets.iter().collect::<Vec<_>>()).map_err(|e| e.to_string())).await?.map_err(AppError::internal)?;
        (bytes, XLSX, "xlsx")
    } else {
        let doc = crate::platform::cpu::run(move || report.pdf()).await?.map_err(AppError::internal)?;
        (crate::pdf::render_off_thread(doc).await?, "application/pdf", "pdf")
    };
    crate::platform::audit::exported(&st.db, caller, &format!("county_report_{ext}"), "county", Some(caller.county_id)).await?;
    Ok(crate::web::file_download(bytes, kind, &format!("{name}.{ext}"), ext == "pdf"))
}

/// 区/县社区工作事项准入与政府购买服务情况报告: list sizes and their change against last
/// year, applications by department and outcome, screening findings overridden, emergency
/// entries and how they ended, contracts and amounts, funds per department and community,
/// evaluations, reports of unadmitted work and notices.
#[utoipa::path(get, path = "/reports/county", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "the report", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn county_report(State(st): State<AppState>, caller: Caller, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    county_file(&st, &caller, &q).await
}
