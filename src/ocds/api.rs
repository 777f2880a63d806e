//! The public OCDS endpoints (no login): a county's releases page by page, one contract's
//! release package and record package, and the signed contract's PDF they link to.
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use chrono::Utc;
use entity::{admission, contract, contract_milestone, contract_version, disbursement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ContractFacts, Ctx, Payment};
use crate::money::Money;
use crate::platform::db::in_county;
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::page::{self, PageQuery};
use crate::AppState;

pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(county_releases)).routes(routes!(contract_releases)).routes(routes!(contract_record)).routes(routes!(public_pdf))
}

/// Contracts the public sees: signed by both parties at least once. The status alone
/// never says so: a draft that was terminated, or that ended with its admission, is
/// `terminated` without a signature (issue 28), so a version signed by both must exist.
fn public_contracts(county_id: i64) -> sea_orm::Select<contract::Entity> {
    use sea_orm::sea_query::Query;
    let signed = Query::select()
        .column(contract_version::Column::ContractId)
        .from(contract_version::Entity)
        .and_where(contract_version::Column::CountyId.eq(county_id))
        .and_where(contract_version::Column::DepartmentSignedAt.is_not_null())
        .and_where(contract_version::Column::CommunitySignedAt.is_not_null())
        .to_owned();
    in_county::<contract::Entity>(county_id).filter(contract::Column::Id.in_subquery(signed))
}

/// The server's public address, for the absolute URIs OCDS wants: `ZHUNRU_PUBLIC_URL`
/// when set (then no request header can rewrite the links), else as the client reached
/// it: only host characters are taken from the header, anything else is localhost.
pub fn base_url(public_url: Option<&str>, headers: &HeaderMap) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))).unwrap_or("localhost");
    let https = headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) == Some("https");
    format!("{}://{host}", if https { "https" } else { "http" })
}

pub async fn ctx(db: &impl ConnectionTrait, public_url: Option<&str>, county_id: i64, headers: &HeaderMap) -> AppResult<Ctx> {
    let county = entity::county::Entity::find_by_id(county_id).one(db).await?.ok_or_else(AppError::not_found)?;
    Ok(Ctx { prefix: county.ocid_prefix.unwrap_or_else(|| super::DEFAULT_PREFIX.to_string()), base: base_url(public_url, headers), county_id, county: county.name })
}

/// The facts behind each contract's releases, in a fixed number of queries.
pub async fn facts(db: &impl ConnectionTrait, county_id: i64, cs: Vec<contract::Model>) -> AppResult<Vec<ContractFacts>> {
    let ids: Vec<i64> = cs.iter().map(|c| c.id).collect();
    let ended: HashMap<i64, Option<chrono::DateTime<Utc>>> = cs.iter().map(|c| (c.id, matches!(c.status.as_str(), "completed" | "closed" | "terminated").then_some(c.updated_at))).collect();
    let admissions: HashMap<i64, admission::Model> =
        in_county::<admission::Entity>(county_id).filter(admission::Column::Id.is_in(cs.iter().map(|c| c.admission_id))).all(db).await?.into_iter().map(|a| (a.id, a)).collect();
    // Each contract's milestone rows (every version) → their keys.
    let mut keys_of: HashMap<i64, HashMap<i64, i32>> = HashMap::new();
    for m in in_county::<contract_milestone::Entity>(county_id).filter(contract_milestone::Column::ContractId.is_in(ids.clone())).all(db).await? {
        keys_of.entry(m.contract_id).or_default().insert(m.id, m.key);
    }
    let mut payments: HashMap<i64, Vec<Payment>> = HashMap::new();
    for d in in_county::<disbursement::Entity>(county_id).filter(disbursement::Column::ContractId.is_in(ids)).all(db).await? {
        let key = keys_of.get(&d.contract_id).and_then(|k| k.get(&d.milestone_id)).copied().unwrap_or_default();
        payments.entry(d.contract_id).or_default().push(Payment { id: d.id, milestone_key: key, amount: Money::from_fen(d.amount_fen), paid_at: d.paid_at });
    }
    let outs = crate::contracts::api::contracts_out(db, cs).await?;
    Ok(outs
        .into_iter()
        .map(|c| {
            let rationale = admissions.get(&c.admission_id).map(rationale).unwrap_or_default();
            let mut ps = payments.remove(&c.id).unwrap_or_default();
            ps.sort_by_key(|p| (p.paid_at, p.id));
            ContractFacts { ended_at: ended.get(&c.id).copied().flatten(), milestone_keys: keys_of.remove(&c.id).unwrap_or_default(), rationale, payments: ps, contract: c }
        })
        .collect())
}

/// Why the contract went to the community without competition: the admission.
fn rationale(a: &admission::Model) -> String {
    let mut s = format!("该事项经社区工作事项准入审批（{}），由社区承接并按“费随事转”拨付经费", a.approval_number.as_deref().unwrap_or("准入审批"));
    if !a.basis.trim().is_empty() {
        s.push_str("。依据：");
        s.push_str(a.basis.trim());
    }
    s
}

async fn public_contract(db: &impl ConnectionTrait, county_id: i64, id: i64) -> AppResult<contract::Model> {
    public_contracts(county_id).filter(contract::Column::Id.eq(id)).one(db).await?.ok_or_else(AppError::not_found)
}

async fn one_contract(st: &AppState, county_id: i64, id: i64, headers: &HeaderMap) -> AppResult<(Ctx, String, Vec<Value>)> {
    let ctx = ctx(&st.db, st.config.public_url.as_deref(), county_id, headers).await?;
    let c = public_contract(&st.db, county_id, id).await?;
    let f = facts(&st.db, county_id, vec![c]).await?.pop().ok_or_else(AppError::not_found)?;
    let releases = super::releases(&f, &ctx);
    if releases.is_empty() {
        return Err(AppError::not_found());
    }
    let ocid = super::ocid(&ctx, f.contract.id);
    Ok((ctx, ocid, releases))
}

/// A county's contracts as an OCDS 1.1 release package, newest contracts first, each
/// with all its releases; `links.next` is the next page.
#[utoipa::path(get, path = "/public/{county_id}/ocds/releases", tag = "open data", params(("county_id" = i64, Path), PageQuery),
    responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn county_releases(State(st): State<AppState>, Path(county_id): Path<i64>, Query(pq): Query<PageQuery>, headers: HeaderMap) -> AppResult<Json<Value>> {
    let req = pq.parse()?;
    let ctx = ctx(&st.db, st.config.public_url.as_deref(), county_id, &headers).await?;
    let q = public_contracts(county_id);
    let p = page::fetch(&st.db, q, contract::Column::Id, req, |c| c.id).await?;
    let releases: Vec<Value> = facts(&st.db, county_id, p.items).await?.iter().flat_map(|f| super::releases(f, &ctx)).collect();
    let here = format!("{}/api/v1/public/{county_id}/ocds/releases", ctx.base);
    let next = p.next_cursor.map(|c| format!("{here}?limit={}&cursor={c}", req.limit));
    // Built from the parsed request, not the raw query.
    let uri = match req.before {
        Some(c) => format!("{here}?limit={}&cursor={c}", req.limit),
        None if pq.limit.is_some() => format!("{here}?limit={}", req.limit),
        None => here,
    };
    Ok(Json(super::release_package(&ctx, uri, releases, Utc::now(), next)))
}

/// One contract's releases as an OCDS 1.1 release package (signed contracts only).
#[utoipa::path(get, path = "/public/{county_id}/ocds/contracts/{id}", tag = "open data", params(("county_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody)))]
async fn contract_releases(State(st): State<AppState>, Path((county_id, id)): Path<(i64, i64)>, headers: HeaderMap) -> AppResult<Json<Value>> {
    let (ctx, _, releases) = one_contract(&st, county_id, id, &headers).await?;
    let uri = format!("{}/api/v1/public/{county_id}/ocds/contracts/{id}", ctx.base);
    Ok(Json(super::release_package(&ctx, uri, releases, Utc::now(), None)))
}

/// One contract as an OCDS 1.1 record package: its releases and the compiled release.
#[utoipa::path(get, path = "/public/{county_id}/ocds/records/{id}", tag = "open data", params(("county_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, description = "OCDS 1.1 record package", body = Object), (status = 404, body = ErrorBody)))]
async fn contract_record(State(st): State<AppState>, Path((county_id, id)): Path<(i64, i64)>, headers: HeaderMap) -> AppResult<Json<Value>> {
    let (ctx, ocid, releases) = one_contract(&st, county_id, id, &headers).await?;
    let uri = format!("{}/api/v1/public/{county_id}/ocds/records/{id}", ctx.base);
    let package = format!("{}/api/v1/public/{county_id}/ocds/contracts/{id}", ctx.base);
    Ok(Json(super::record_package(&ctx, uri, package, &ocid, releases, Utc::now())))
}

/// The signed contract as a PDF, for the public (the document its OCDS releases link to).
#[utoipa::path(get, path = "/public/{county_id}/contracts/{id}/pdf", tag = "open data", params(("county_id" = i64, Path), ("id" = i64, Path)),
    responses((status = 200, content_type = "application/pdf"), (status = 404, body = ErrorBody)))]
async fn public_pdf(State(st): State<AppState>, Path((county_id, id)): Path<(i64, i64)>) -> AppResult<Response> {
    let c = public_contract(&st.db, county_id, id).await?;
    let out = crate::contracts::api::contract_out(&st, c).await?;
    let bytes = crate::pdf::render_off_thread(crate::contracts::pdf::contract_doc(&out)).await?;
    Ok(crate::web::file_download(bytes, "application/pdf", &format!("{}.pdf", out.number), true))
}
