//! Publication of admitted items (准入事项公示, 004 Yingjiang publishes its admission list):
//! every task the leading group admitted, with its department, basis, approval number,
//! communities, period and money, for anyone to read without logging in.
use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use entity::{admission, admission_target, contract};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Status, ORIGIN_APPLICATION};
use crate::lifecycle::TargetStatus;
use crate::money::Money;
use crate::platform::db::in_county;
use crate::platform::error::{AppResult, ErrorBody};
use crate::platform::page::{self, Page, PageQuery, PageReq};
use crate::web::{render, Layout, PageResult};
use crate::AppState;

/// The statuses of a task the leading group admitted (exited ones stay, marked).
const PUBLISHED: [Status; 4] = [Status::Admitted, Status::InProgress, Status::Completed, Status::Revoked];

/// One admitted item as the public sees it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PublishedItem {
    pub id: i64,
    /// 事项名称.
    pub title: String,
    pub description: String,
    pub department: String,
    /// The documents it rests on.
    pub basis: String,
    pub approval_number: Option<String>,
    pub decided_on: Option<NaiveDate>,
    /// Entered first and approved later (先进后批).
    pub emergency: bool,
    /// The communities it entered.
    pub communities: Vec<String>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    /// The task's budget (经费预算).
    pub budget: Money,
    /// Signed purchase-of-service contracts for it (费随事转).
    pub contracted: Money,
    pub status: Status,
    pub status_label: &'static str,
}

/// A page of the county's admitted items, newest first.
pub async fn published(db: &impl ConnectionTrait, county_id: i64, req: PageReq) -> AppResult<Page<PublishedItem>> {
    let q = in_county::<admission::Entity>(county_id)
        .filter(admission::Column::Origin.eq(ORIGIN_APPLICATION))
        .filter(admission::Column::Status.is_in(PUBLISHED.map(|s| s.as_str())))
        .filter(admission::Column::ApprovalNumber.is_not_null());
    let p = page::fetch(db, q, admission::Column::Id, req, |a| a.id).await?;
    let ids: Vec<i64> = p.items.iter().map(|a| a.id).collect();
    let names = super::store::org_names(db, county_id).await?;
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let mut communities: HashMap<i64, Vec<String>> = HashMap::new();
    for t in in_county::<admission_target::Entity>(county_id).filter(admission_target::Column::AdmissionId.is_in(ids.clone())).all(db).await? {
        if matches!(TargetStatus::parse(&t.status), Some(TargetStatus::Admitted | TargetStatus::Entered | TargetStatus::Exited)) {
            communities.entry(t.admission_id).or_default().push(name(t.community_id));
        }
    }
    // Only signed contracts count as money that followed the task.
    let signed = in_county::<contract::Entity>(county_id).filter(contract::Column::AdmissionId.is_in(ids)).filter(contract::Column::Status.is_in(["active", "completed", "closed"])).all(db).await?;
    let amounts = crate::funds::store::funds_of(db, county_id, &signed).await?;
    let mut contracted: HashMap<i64, i64> = HashMap::new();
    for c in &signed {
        *contracted.entry(c.admission_id).or_default() += amounts.get(&c.id).map(|f| f.amount.fen()).unwrap_or(0);
    }
    Ok(p.map(|a| {
        let status = super::store::status_of(&a);
        PublishedItem {
            id: a.id,
            communities: communities.remove(&a.id).unwrap_or_default(),
            department: name(a.department_id),
            contracted: Money::from_fen(contracted.get(&a.id).copied().unwrap_or(0)),
            budget: Money::from_fen(a.budget_fen.unwrap_or(0)),
            title: a.title,
            description: a.description,
            basis: a.basis,
            approval_number: a.approval_number,
            decided_on: a.decided_at.map(|t| t.date_naive()),
            emergency: a.emergency,
            period_start: a.period_start,
            period_end: a.period_end,
            status,
            status_label: status.label(),
        }
    }))
}

pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(public_admissions))
}

pub fn page_routes() -> Router<AppState> {
    Router::new().route("/public/{county_id}/admissions", get(public_page))
}

/// The county's admitted items (准入事项公示), public: no login. Newest first, a page at a time.
#[utoipa::path(get, path = "/public/{county_id}/admissions", tag = "admission", params(("county_id" = i64, Path), PageQuery),
    responses((status = 200, body = Page<PublishedItem>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn public_admissions(State(st): State<AppState>, Path(county_id): Path<i64>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<PublishedItem>>> {
    crate::lists::api::county_name(&st, county_id).await?;
    Ok(Json(published(&st.db, county_id, pq.parse()?).await?))
}

#[derive(Template)]
#[template(path = "admissions/public.html")]
struct PublicPage {
    layout: Layout,
    county: String,
    county_id: i64,
    items: Vec<PublishedItem>,
    next: Option<String>,
}

async fn public_page(State(st): State<AppState>, Path(county_id): Path<i64>, Query(pq): Query<PageQuery>) -> PageResult {
    let county = crate::lists::api::county_name(&st, county_id).await?;
    let p = published(&st.db, county_id, pq.parse()?).await?;
    let layout = Layout { title: format!("{county}社区工作准入事项公示"), user: None };
    let next = p.next_cursor.map(|c| format!("/public/{county_id}/admissions?cursor={c}"));
    render(StatusCode::OK, &PublicPage { layout, county, county_id, items: p.items, next })
}
