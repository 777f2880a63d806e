//! The 审计记录 page: the county's trail with filters, and the result of the chain check.
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;

use super::api::{AuditEntryOut, READERS};
use crate::platform::audit::{self, AuditFilter, AuditReport};
use crate::platform::auth::Caller;
use crate::web::{self, render, Layout, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    web::open(READERS, Router::new().route("/audit", get(page)))
}

pub struct Row {
    pub e: AuditEntryOut,
    pub actor: String,
    pub before: String,
    pub after: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct Page {
    layout: Layout,
    rows: Vec<Row>,
    filter: AuditFilter,
    next: Option<String>,
    /// The chain check, when asked for (`?check=1`): it reads the whole trail.
    report: Option<AuditReport>,
}

impl Page {
    fn next_link(&self) -> Option<String> {
        let f = &self.filter;
        let enc = |s: &str| crate::web::percent_encode(s, false);
        self.next.as_ref().map(|c| {
            let mut q = format!("/audit?cursor={c}");
            if let Some(v) = &f.entity { q += &format!("&entity={}", enc(v)); }
            if let Some(v) = f.entity_id { q += &format!("&entity_id={v}"); }
            if let Some(v) = f.actor_id { q += &format!("&actor_id={v}"); }
            if let Some(v) = &f.action { q += &format!("&action={}", enc(v)); }
            if let Some(v) = f.from { q += &format!("&from={v}"); }
            if let Some(v) = f.to { q += &format!("&to={v}"); }
            q
        })
    }
}

#[derive(serde::Deserialize)]
struct CheckQuery {
    #[serde(default)]
    check: Option<String>,
}

async fn page(State(st): State<AppState>, caller: Caller, Query(f): Query<AuditFilter>, Query(c): Query<CheckQuery>) -> PageResult {
    let (rows, next) = audit::page(&st.db, caller.county_id, &f).await?;
    let names = crate::orgs::store::user_names(&st.db, caller.county_id).await?;
    let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_default();
    let rows = rows
        .into_iter()
        .map(|m| {
            let e = AuditEntryOut::from(m);
            let actor = match e.actor_id {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| format!("用户{id}")),
                None => "系统".into(),
            };
            Row { before: show(&e.before), after: show(&e.after), actor, e }
        })
        .collect();
    let report = match c.check {
        Some(_) => Some(audit::verify(&st.db, Some(caller.county_id)).await?),
        None => None,
    };
    let page = Page { layout: Layout::for_caller(&st, &caller, "审计记录").await?, rows, filter: f, next, report };
    render(StatusCode::OK, &page)
}
