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
    web::open(ALL_ROLES, Router::new().route("/tasks", get(tasks_page)))
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
