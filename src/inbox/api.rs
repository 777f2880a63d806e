//! `GET /api/v1/inbox` and `POST /api/v1/inbox/{id}/read`.
use axum::extract::{Path, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{store, Item};
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::platform::error::{AppResult, ErrorBody};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    crate::platform::auth::open(&Role::ALL, OpenApiRouter::new().routes(routes!(inbox)).routes(routes!(read)))
}

#[derive(Serialize, ToSchema)]
pub struct InboxOut {
    /// Items not yet read.
    pub unread: usize,
    /// Most urgent first: overdue, then by due date.
    pub items: Vec<Item>,
}

/// The caller's to-do items (applications to review or decide, contracts to sign,
/// deliverables to accept, payments to make or confirm, evaluations due, reports to
/// handle) and deadlines near or passed. An item clears when its work is done.
#[utoipa::path(get, path = "/inbox", tag = "inbox", security(("bearer" = [])), responses((status = 200, body = InboxOut)))]
async fn inbox(State(st): State<AppState>, caller: Caller) -> AppResult<Json<InboxOut>> {
    let items = store::cached(&st, &caller).await?;
    Ok(Json(InboxOut { unread: items.iter().filter(|i| !i.read).count(), items }))
}

/// Marks an item read (idempotent). 404 for an id that is not in the caller's inbox.
#[utoipa::path(post, path = "/inbox/{id}/read", tag = "inbox", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Item), (status = 404, body = ErrorBody)))]
async fn read(State(st): State<AppState>, caller: Caller, Path(id): Path<String>) -> AppResult<Json<Item>> {
    Ok(Json(store::mark_read(&st.db, &caller, &id, st.clock.today()).await?))
}
