//! `GET /api/v1/audit` (supervisor, admin) and `GET /api/v1/admin/audit/verify`.
use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::orgs::Role;
use crate::platform::audit::{self, AuditFilter, AuditReport};
use crate::platform::auth::{self, Caller};
use crate::platform::error::{AppResult, ErrorBody};
use crate::platform::page::Page;
use crate::AppState;

pub const READERS: &[Role] = &[Role::Supervisor, Role::Admin];

pub fn routes() -> OpenApiRouter<AppState> {
    auth::open(READERS, OpenApiRouter::new().routes(routes!(list)).routes(routes!(verify)))
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    /// The record before the change (JSON), when there was one.
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub seq: i64,
    pub hash: String,
    pub prev_hash: String,
}

impl From<entity::audit_log::Model> for AuditEntryOut {
    fn from(e: entity::audit_log::Model) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntryOut {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: json(e.before),
            after: json(e.after),
            request_id: e.request_id,
            client_addr: e.client_addr,
            seq: e.seq,
            hash: e.hash,
            prev_hash: e.prev_hash,
        }
    }
}

/// The county's audit trail, newest first, filtered by record, actor, action and date.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditFilter),
    responses((status = 200, body = Page<AuditEntryOut>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list(State(st): State<AppState>, caller: Caller, Query(f): Query<AuditFilter>) -> AppResult<Json<Page<AuditEntryOut>>> {
    let (rows, next_cursor) = audit::page(&st.db, caller.county_id, &f).await?;
    Ok(Json(Page { items: rows.into_iter().map(Into::into).collect(), next_cursor }))
}

/// Checks the county's hash chain: any edited, removed, inserted or reordered entry is a
/// breach.
#[utoipa::path(get, path = "/admin/audit/verify", tag = "audit", security(("bearer" = [])),
    responses((status = 200, body = AuditReport), (status = 403, body = ErrorBody)))]
async fn verify(State(st): State<AppState>, caller: Caller) -> AppResult<Json<AuditReport>> {
    Ok(Json(audit::verify(&st.db, Some(caller.county_id)).await?))
}
