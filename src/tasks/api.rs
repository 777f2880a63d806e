//! `GET /api/v1/tasks`: the tasks on the contracts the caller may see.
use axum::extract::{Query, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use utoipa::IntoParams;

use super::store::{self, Task};
use super::workload::{workload, Workload};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::error::{AppResult, ErrorBody};
use crate::platform::page::{ListFilter, Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    crate::platform::auth::open(&Role::ALL, OpenApiRouter::new().routes(routes!(list_tasks)).routes(routes!(get_workload)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkloadQuery {
    /// The date counted (default today).
    pub date: Option<NaiveDate>,
}

/// How many tasks each community of the county holds at a date, by origin (duty list,
/// assist list, admitted, emergency entries; funded assist work within the assist
/// count), with the change against the same date a year before; streets add up their
/// communities.
#[utoipa::path(get, path = "/workload", tag = "contracts", security(("bearer" = [])), params(WorkloadQuery),
    responses((status = 200, body = Workload), (status = 422, body = ErrorBody)))]
async fn get_workload(State(st): State<AppState>, caller: Caller, Query(q): Query<WorkloadQuery>) -> AppResult<Json<Workload>> {
    let date = q.date.unwrap_or_else(|| st.clock.today());
    crate::platform::input::check_year(date.year())?;
    Ok(Json(workload(&st.db, caller.county_id, date).await?))
}

/// The tasks on the contracts the caller may see (a community: the tasks it holds), newest
/// first: from which department, under which contract, the money received, waiting for
/// confirmation, disputed and still owed, and the clauses still to deliver with their
/// deadlines. Filters as for `/contracts`.
#[utoipa::path(get, path = "/tasks", tag = "contracts", security(("bearer" = [])), params(ListFilter, PageQuery),
    responses((status = 200, body = Page<Task>), (status = 422, body = ErrorBody)))]
async fn list_tasks(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>) -> AppResult<Json<Page<Task>>> {
    Ok(Json(store::page(&st.db, &caller, &f, p.parse()?).await?))
}
