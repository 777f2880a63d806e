//! `/tasks`: the tasks a community holds, designed for a phone (one card per task); other
//! roles see the tasks on the contracts they may see, a page at a time.
use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use super::store::{self, Task, TaskMoney};
use crate::orgs::Role;
use crate::platform::auth::{Caller, ALL_ROLES};
use crate::platform::page::{ListFilter, PageQuery};
use crate::web::{self, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    web::open(ALL_ROLES, Router::new().route("/tasks", get(tasks_page)).route("/workload", get(workload_page)))
}

#[derive(Template)]
#[template(path = "workload.html")]
struct WorkloadPage {
    layout: Layout,
    w: super::workload::Workload,
    /// The caller's own community, highlighted.
    own: i64,
}

impl WorkloadPage {
    fn street_name(&self, id: &Option<i64>) -> String {
        id.and_then(|id| self.w.streets.iter().find(|s| s.org_id == id)).map(|s| s.name.clone()).unwrap_or_default()
    }
}

async fn workload_page(State(st): State<AppState>, caller: Caller, Query(q): Query<super::api::WorkloadQuery>) -> PageResult {
    let date = q.date.unwrap_or_else(|| st.clock.today());
    crate::platform::input::check_year(chrono::Datelike::year(&date))?;
    let w = super::workload::workload(&st.db, caller.county_id, date).await?;
    render(StatusCode::OK, &WorkloadPage { layout: Layout::for_caller(&st, &caller, "社区工作负担").await?, w, own: caller.org_id })
}

#[derive(Template)]
#[template(path = "tasks.html")]
struct TasksPage {
    layout: Layout,
    is_community: bool,
    tasks: Vec<Task>,
    /// Over every task listed (a community's: all of them).
    totals: TaskMoney,
    today: chrono::NaiveDate,
    pager: web::Pager,
}

impl TasksPage {
    fn overdue(&self, due: &chrono::NaiveDate) -> bool {
        *due < self.today
    }
}

async fn tasks_page(State(st): State<AppState>, caller: Caller, Query(f): Query<ListFilter>, Query(p): Query<PageQuery>, RawQuery(raw): RawQuery) -> PageResult {
    let is_community = caller.role == Role::Community;
    let (tasks, pager) = if is_community {
        (store::all(&st.db, &caller).await?, web::Pager::new("/tasks", None, None))
    } else {
        let page = store::page(&st.db, &caller, &f, p.parse()?).await?;
        let pager = web::Pager::new("/tasks", raw.as_deref(), page.next_cursor.as_deref());
        (page.items, pager)
    };
    let mut totals = TaskMoney::default();
    for t in &tasks {
        totals.add(&t.money);
    }
    let title = if is_community { "我的任务与经费" } else { "任务与成果期限" };
    render(StatusCode::OK, &TasksPage { layout: Layout::for_caller(&st, &caller, title).await?, is_community, tasks, totals, today: st.clock.today(), pager })
}
