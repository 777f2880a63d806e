//! The level above over the API: overview of the jurisdictions below, filings, looking
//! into a county below, and civil affairs filing its lists.
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use entity::filing;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{store, FilingKind, Level};
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{Page, PageQuery};
use crate::AppState;

/// Who reads filings and the overview: the bodies that oversee (at home or looking in).
pub const READERS: &[Role] = &[Role::Admin, Role::Reviewer, Role::Approver, Role::Supervisor];

pub fn routes() -> OpenApiRouter<AppState> {
    let readers = OpenApiRouter::new().routes(routes!(overview)).routes(routes!(list_filings));
    let reviewer = OpenApiRouter::new().routes(routes!(file_lists));
    let everyone = OpenApiRouter::new().routes(routes!(view));
    auth::open(READERS, readers).merge(auth::open(&[Role::Reviewer], reviewer)).merge(auth::open(ALL_ROLES, everyone))
}

#[derive(Serialize, ToSchema)]
pub struct FilingOut {
    pub id: i64,
    /// The jurisdiction that filed.
    pub county_id: i64,
    /// The level above it when filed.
    pub region_id: Option<i64>,
    pub kind: FilingKind,
    pub kind_label: &'static str,
    /// The list version or admission filed.
    pub record_id: i64,
    pub year: i32,
    pub title: String,
    /// SHA-256 of what was filed.
    pub digest: String,
    /// What was filed (the lists' items, or the admission as decided).
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    pub filed_by: Option<i64>,
    pub filed_at: DateTime<Utc>,
}

impl From<filing::Model> for FilingOut {
    fn from(f: filing::Model) -> Self {
        let kind = FilingKind::parse(&f.kind).unwrap_or(FilingKind::Admission);
        FilingOut {
            id: f.id,
            county_id: f.county_id,
            region_id: f.region_id,
            kind,
            kind_label: kind.label(),
            record_id: f.record_id,
            year: f.year,
            title: f.title,
            digest: f.digest,
            content: serde_json::from_str(&f.content).unwrap_or_default(),
            filed_by: f.filed_by,
            filed_at: f.filed_at,
        }
    }
}

/// The caller's jurisdiction and the ones under it, with where their filings stand.
#[utoipa::path(get, path = "/region", tag = "region", security(("bearer" = [])), responses((status = 200, body = store::Overview)))]
async fn overview(State(st): State<AppState>, caller: Caller) -> AppResult<Json<store::Overview>> {
    Ok(Json(store::overview(&st.db, &caller).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilingQuery {
    /// One jurisdiction (the caller's or one under it).
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub county_id: Option<i64>,
    /// lists | admission
    pub kind: Option<String>,
    #[param(value_type = Option<String>, pattern = "^[0-9]*$")]
    #[serde(default, deserialize_with = "crate::platform::input::blank_as_none")]
    pub year: Option<i32>,
}

/// Filings (备案) of the caller's jurisdiction and those under it, newest first.
#[utoipa::path(get, path = "/filings", tag = "region", security(("bearer" = [])), params(FilingQuery, PageQuery),
    responses((status = 200, body = Page<FilingOut>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_filings(State(st): State<AppState>, caller: Caller, Query(q): Query<FilingQuery>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<FilingOut>>> {
    let kind = match q.kind.as_deref().filter(|s| !s.is_empty()) {
        Some(k) => Some(FilingKind::parse(k).ok_or_else(|| AppError::invalid("kind", "备案类型须为 lists 或 admission"))?),
        None => None,
    };
    let f = store::FilingFilter { county_id: q.county_id, kind, year: q.year };
    Ok(Json(store::filings(&st.db, &caller, &f, pq.parse()?).await?.map(Into::into)))
}

/// Civil affairs files the lists in force with the level above (备案). 409 ALREADY_FILED
/// when they have not changed since the last filing; NO_LISTS before the first lists.
#[utoipa::path(post, path = "/lists/filing", tag = "region", security(("bearer" = [])),
    responses((status = 201, body = FilingOut), (status = 409, body = ErrorBody)))]
async fn file_lists(State(st): State<AppState>, caller: Caller) -> AppResult<(StatusCode, Json<FilingOut>)> {
    Ok((StatusCode::CREATED, Json(store::file_lists(&st.db, &caller).await?.into())))
}

#[derive(Deserialize, ToSchema)]
pub struct ViewIn {
    /// A jurisdiction under the user's own, or the user's own to return.
    pub county_id: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ViewOut {
    pub county_id: i64,
    pub name: String,
    pub level: Level,
    /// True while looking into a jurisdiction below (read-only, as its supervisor).
    pub read_only: bool,
}

/// This session looks into a jurisdiction under the user's own (read-only: the caller is
/// that county's supervisor until it returns), or returns home. Others: 404.
#[utoipa::path(post, path = "/region/view", tag = "region", security(("bearer" = [])), request_body = ViewIn,
    responses((status = 200, body = ViewOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn view(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<ViewIn>) -> AppResult<Json<ViewOut>> {
    let c = store::view(&st.db, &caller, b.county_id).await?;
    Ok(Json(ViewOut { county_id: c.id, read_only: c.id != caller.home_county_id, level: store::level_of(&c), name: c.name }))
}
