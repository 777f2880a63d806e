//! `GET /api/v1/registers/{name}?format=xlsx|csv` and the same file for the pages.
use axum::extract::{Path, Query, State};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::store::{self, RegisterOptions};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::page::ListFilter;
use crate::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const CSV: &str = "text/csv; charset=utf-8";

/// Every role reads registers of what it may see (the same scope as its lists).
pub const READERS: &[Role] = &Role::ALL;

pub fn routes() -> OpenApiRouter<AppState> {
    crate::platform::auth::open(READERS, OpenApiRouter::new().routes(routes!(register)))
}

/// The file of a register, audited as an export.
pub async fn download(st: &AppState, caller: &Caller, name: &str, f: &ListFilter, o: &RegisterOptions) -> AppResult<Response> {
    let csv = match o.format.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("xlsx") => false,
        Some("csv") => true,
        Some(_) => return Err(AppError::invalid("format", "格式须为 xlsx 或 csv")),
    };
    let r = store::build(&st.db, caller, name, f, o).await?;
    let (kind, ext) = if csv { (CSV, "csv") } else { (XLSX, "xlsx") };
    let file = r.file_name(ext);
    let bytes = crate::platform::cpu::run(move || if csv { super::csv(&r).map_err(|e| e.to_string()) } else { super::xlsx(&r).map_err(|e| e.to_string()) }).await?.map_err(AppError::internal)?;
    crate::platform::audit::exported(&st.db, caller, &format!("register_{name}_{ext}"), "register", None).await?;
    Ok(crate::web::file_download(bytes, kind, &file, false))
}

/// A register (台账) as an Excel workbook formatted for printing (default) or as CSV
/// (UTF-8 with BOM): `admissions` (准入事项台账), `contracts` (合同台账), `funds` (经费台账,
/// `from`/`to` dates), `violations` (擅自下沉通报), `evaluations` (服务评价). Filters as on
/// the lists; rows only of what the caller may see; money columns totalled.
#[utoipa::path(get, path = "/registers/{name}", tag = "reports", security(("bearer" = [])),
    params(("name" = String, Path, description = "admissions | contracts | funds | violations | evaluations"), ListFilter, RegisterOptions),
    responses((status = 200, description = "the file", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn register(State(st): State<AppState>, caller: Caller, Path(name): Path<String>, Query(f): Query<ListFilter>, Query(o): Query<RegisterOptions>) -> AppResult<Response> {
    download(&st, &caller, &name, &f, &o).await
}
