//! JSON API of the screening words: the concepts in force in the caller's county (seeded
//! and the county's own), the county's change log, and the overrides of doubtful findings
//! (how often, by whom) for reports and the approver.
use axum::extract::{Query, Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::store::{self, NewTerm};
use super::{base, TermKind};
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::db::in_county;
use crate::platform::error::{AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new().routes(routes!(concepts)).routes(routes!(terms)).routes(routes!(overrides));
    let reviewer = OpenApiRouter::new().routes(routes!(add_term)).routes(routes!(remove_term));
    auth::open(ALL_ROLES, everyone).merge(auth::open(&[Role::Reviewer], reviewer))
}

#[derive(Serialize, ToSchema)]
pub struct TermOut {
    pub pattern: String,
    pub kind: TermKind,
    /// seed (from src/screening/concepts.toml) or county (added here, `id` set).
    pub source: &'static str,
    pub id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ConceptOut {
    pub key: String,
    pub label: String,
    pub code: &'static str,
    pub category: String,
    pub basis: String,
    pub terms: Vec<TermOut>,
}

pub async fn concepts_of(st: &AppState, county_id: i64) -> AppResult<Vec<ConceptOut>> {
    let own = store::terms(&st.db, county_id).await?;
    Ok(base()
        .concepts
        .iter()
        .map(|c| {
            let mut terms: Vec<TermOut> = c.patterns.iter().map(|p| TermOut { pattern: p.source.clone(), kind: p.kind, source: "seed", id: None }).collect();
            for t in own.iter().filter(|t| t.concept == c.key && t.removed_at.is_none()) {
                if let Some(kind) = TermKind::parse(&t.kind) {
                    terms.push(TermOut { pattern: t.pattern.clone(), kind, source: "county", id: Some(t.id) });
                }
            }
            ConceptOut { key: c.key.clone(), label: c.label.clone(), code: c.code, category: c.category.clone(), basis: c.basis.clone(), terms }
        })
        .collect())
}

/// The screening concepts in force in the county, with their words.
#[utoipa::path(get, path = "/screening/concepts", tag = "screening", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<ConceptOut>)))]
async fn concepts(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<ConceptOut>>> {
    Ok(Json(page::of_positions(concepts_of(&st, caller.county_id).await?, pq.parse()?)))
}

#[derive(Serialize, ToSchema)]
pub struct TermChangeOut {
    pub id: i64,
    pub concept: String,
    pub kind: String,
    pub pattern: String,
    pub reason: String,
    pub added_by: String,
    pub added_at: DateTime<Utc>,
    pub removed_by: Option<String>,
    pub removed_at: Option<DateTime<Utc>>,
    pub removal_reason: Option<String>,
}

pub async fn changes_of(st: &AppState, county_id: i64) -> AppResult<Vec<TermChangeOut>> {
    let users = crate::orgs::store::user_names(&st.db, county_id).await?;
    let name = |id: i64| users.get(&id).cloned().unwrap_or_default();
    Ok(store::terms(&st.db, county_id)
        .await?
        .into_iter()
        .map(|t| TermChangeOut {
            id: t.id,
            concept: t.concept,
            kind: t.kind,
            pattern: t.pattern,
            reason: t.reason,
            added_by: name(t.added_by),
            added_at: t.added_at,
            removed_by: t.removed_by.map(name),
            removed_at: t.removed_at,
            removal_reason: t.removal_reason,
        })
        .collect())
}

/// The county's own words, removed ones included: the change log.
#[utoipa::path(get, path = "/screening/terms", tag = "screening", security(("bearer" = [])), params(PageQuery), responses((status = 200, body = Page<TermChangeOut>)))]
async fn terms(State(st): State<AppState>, caller: Caller, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<TermChangeOut>>> {
    Ok(Json(page::of_slice(changes_of(&st, caller.county_id).await?, pq.parse()?, |x| x.id)))
}

#[derive(Deserialize, ToSchema)]
pub struct TermIn {
    pub concept: String,
    /// action | topic | doubtful | exclude
    pub kind: String,
    /// A word, or a combination `词+词|词` (all groups in one sentence).
    pub pattern: String,
    pub reason: String,
}

/// Civil affairs adds a word to a concept (reviewer).
#[utoipa::path(post, path = "/screening/terms", tag = "screening", security(("bearer" = [])), request_body = TermIn,
    responses((status = 201, body = TermChangeOut), (status = 422, body = ErrorBody), (status = 409, description = "TERM_EXISTS", body = ErrorBody)))]
async fn add_term(State(st): State<AppState>, caller: Caller, ApiJson(b): ApiJson<TermIn>) -> AppResult<(StatusCode, Json<TermChangeOut>)> {
    let t = store::add_term(&st.db, &caller, NewTerm { concept: b.concept, kind: b.kind, pattern: b.pattern, reason: b.reason }).await?;
    let out = changes_of(&st, caller.county_id).await?.into_iter().find(|c| c.id == t.id).expect("just added");
    Ok((StatusCode::CREATED, Json(out)))
}

#[derive(Deserialize, ToSchema)]
pub struct RemoveIn {
    pub reason: String,
}

/// Civil affairs takes back a word the county added (reviewer); seeded words stay.
#[utoipa::path(post, path = "/screening/terms/{id}/remove", tag = "screening", security(("bearer" = [])), request_body = RemoveIn,
    responses((status = 200, body = TermChangeOut), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn remove_term(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<RemoveIn>) -> AppResult<Json<TermChangeOut>> {
    store::remove_term(&st.db, &caller, id, &b.reason).await?;
    let out = changes_of(&st, caller.county_id).await?.into_iter().find(|c| c.id == id).expect("exists");
    Ok(Json(out))
}

#[derive(Serialize, ToSchema)]
pub struct OverrideOut {
    pub admission_id: i64,
    pub title: String,
    pub concept: String,
    pub code: String,
    pub reason: String,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewerCount {
    pub decided_by: String,
    pub overridden: usize,
    pub confirmed: usize,
}

#[derive(Serialize, ToSchema)]
pub struct OverridesOut {
    pub by_reviewer: Vec<ReviewerCount>,
    pub items: Vec<OverrideOut>,
}

/// The overrides of the applications the caller may see (`admission::store::visible`):
/// all of the county's for civil affairs, the approver, finance, the supervisor and the
/// admin; a department its own applications'; a community those that reached it. A
/// decision names the application and why its finding was set aside, so it is no more
/// public than the application.
pub async fn overrides_of(st: &AppState, caller: &Caller) -> AppResult<OverridesOut> {
    let users = crate::orgs::store::user_names(&st.db, caller.county_id).await?;
    let decisions = in_county::<entity::screening_decision::Entity>(caller.county_id)
        .order_by_desc(entity::screening_decision::Column::Id)
        .all(&st.db)
        .await?;
    let ids: Vec<i64> = decisions.iter().map(|d| d.admission_id).collect();
    let titles: std::collections::HashMap<i64, String> = crate::admission::store::visible(caller)
        .filter(entity::admission::Column::Id.is_in(ids))
        .all(&st.db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.title))
        .collect();
    let decisions: Vec<_> = decisions.into_iter().filter(|d| titles.contains_key(&d.admission_id)).collect();
    let mut by: Vec<ReviewerCount> = Vec::new();
    for d in &decisions {
        let name = users.get(&d.decided_by).cloned().unwrap_or_default();
        let i = match by.iter().position(|r| r.decided_by == name) {
            Some(i) => i,
            None => {
                by.push(ReviewerCount { decided_by: name, overridden: 0, confirmed: 0 });
                by.len() - 1
            }
        };
        if d.decision == "overridden" {
            by[i].overridden += 1;
        } else {
            by[i].confirmed += 1;
        }
    }
    by.sort_by(|a, b| b.overridden.cmp(&a.overridden).then(a.decided_by.cmp(&b.decided_by)));
    let items = decisions
        .into_iter()
        .filter(|d| d.decision == "overridden")
        .map(|d| OverrideOut {
            title: titles.get(&d.admission_id).cloned().unwrap_or_default(),
            admission_id: d.admission_id,
            concept: d.concept,
            code: d.code,
            reason: d.reason,
            decided_by: users.get(&d.decided_by).cloned().unwrap_or_default(),
            decided_at: d.decided_at,
        })
        .collect();
    Ok(OverridesOut { by_reviewer: by, items })
}

/// Overrides of doubtful screening findings, newest first, and how many each reviewer
/// confirmed and overrode: of the applications the caller may see.
#[utoipa::path(get, path = "/screening/overrides", tag = "screening", security(("bearer" = [])), responses((status = 200, body = OverridesOut)))]
async fn overrides(State(st): State<AppState>, caller: Caller) -> AppResult<Json<OverridesOut>> {
    Ok(Json(overrides_of(&st, &caller).await?))
}
