//! JSON API of evaluation (API.md "Evaluation").
use axum::extract::{Query, Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{store, FormItem, Rating, OVERALL_RULE};
use crate::contracts::store as contracts;
use crate::orgs::Role;
use crate::platform::auth::{self, Caller, ALL_ROLES};
use crate::platform::error::{AppError, AppResult, ErrorBody};
use crate::platform::extract::ApiJson;
use crate::platform::page::{self, Page, PageQuery};
use crate::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    let everyone = OpenApiRouter::new().routes(routes!(get_form)).routes(routes!(list));
    let parties = OpenApiRouter::new().routes(routes!(submit));
    let community = OpenApiRouter::new().routes(routes!(object));
    auth::open(ALL_ROLES, everyone)
        .merge(auth::open(&[Role::Department, Role::Community], parties))
        .merge(auth::open(&[Role::Community], community))
}

#[derive(Serialize, ToSchema)]
pub struct FormOut {
    /// One item per performance clause, nothing else.
    pub items: Vec<FormItem>,
    /// How the overall result follows from the clause ratings.
    pub rule: &'static str,
}

/// The evaluation form: the contract's performance clauses.
#[utoipa::path(get, path = "/contracts/{id}/evaluation-form", tag = "evaluation", security(("bearer" = [])),
    responses((status = 200, body = FormOut), (status = 404, body = ErrorBody)))]
async fn get_form(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>) -> AppResult<Json<FormOut>> {
    let c = contracts::find(&st.db, &caller, id).await?;
    Ok(Json(FormOut { items: store::form(&st.db, &c).await?, rule: OVERALL_RULE }))
}

/// Ratings of the contract's performance clauses. Any other key (a weight, a score, a
/// free-text criterion, a veto) is refused.
#[derive(Deserialize, ToSchema)]
pub struct EvaluationIn {
    /// `[{clause_id, rating, comment}]`
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
    /// "department" (default) or "residents": residents' representatives' ratings,
    /// recorded by the community and kept apart.
    #[serde(default)]
    pub evaluator: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    pub clause_id: i64,
    pub rating: Rating,
    pub rating_label: &'static str,
    pub comment: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionOut {
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct EvaluationOut {
    pub id: i64,
    pub contract_id: i64,
    /// department | residents
    pub evaluator: String,
    pub overall: Rating,
    pub overall_label: &'static str,
    pub items: Vec<ItemOut>,
    pub objections: Vec<ObjectionOut>,
    pub created_at: DateTime<Utc>,
}

pub async fn evaluation_outs(st: &AppState, c: &entity::contract::Model) -> AppResult<Vec<EvaluationOut>> {
    Ok(store::evaluations_of(&st.db, c)
        .await?
        .into_iter()
        .map(|(e, items, objections)| {
            let overall = Rating::parse(&e.overall).unwrap_or(Rating::BasicallySatisfied);
            EvaluationOut {
                id: e.id,
                contract_id: e.contract_id,
                evaluator: e.evaluator,
                overall,
                overall_label: overall.label(),
                items: items
                    .into_iter()
                    .map(|i| {
                        let r = Rating::parse(&i.rating).unwrap_or(Rating::BasicallySatisfied);
                        ItemOut { clause_id: i.clause_id, rating: r, rating_label: r.label(), comment: i.comment }
                    })
                    .collect(),
                objections: objections.into_iter().map(|o| ObjectionOut { text: o.text, at: o.created_at }).collect(),
                created_at: e.created_at,
            }
        })
        .collect())
}

/// Evaluates the contract against its performance clauses only.
#[utoipa::path(post, path = "/contracts/{id}/evaluations", tag = "evaluation", security(("bearer" = [])), request_body = EvaluationIn,
    responses((status = 201, body = EvaluationOut), (status = 409, description = "ALREADY_EVALUATED | INVALID_STATE", body = ErrorBody),
              (status = 422, description = "CRITERION_NOT_IN_CONTRACT | VALIDATION_FAILED", body = ErrorBody)))]
async fn submit(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<serde_json::Value>) -> AppResult<(StatusCode, Json<EvaluationOut>)> {
    // Read by hand so that a weight or a veto beside the items is refused, not ignored.
    let obj = b.as_object().ok_or_else(|| AppError::invalid("", "请求须为 JSON 对象"))?;
    if let Some(extra) = obj.keys().find(|k| !["items", "evaluator"].contains(&k.as_str())) {
        return Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "CRITERION_NOT_IN_CONTRACT",
            crate::citation::human(&format!("“{extra}”不是合同条款：只能按合同履约条款评定满意度（001 §二(六)）")),
        ));
    }
    let input: EvaluationIn = serde_json::from_value(b).map_err(|e| AppError::invalid("items", format!("评价内容无法解析：{e}")))?;
    let residents = match input.evaluator.as_deref() {
        None | Some("department") => false,
        Some("residents") => true,
        Some(_) => return Err(AppError::invalid("evaluator", "评价人须为 department 或 residents")),
    };
    let e = store::submit(&st.db, &caller, id, residents, &input.items).await?;
    let c = contracts::find(&st.db, &caller, id).await?;
    let out = evaluation_outs(&st, &c).await?.into_iter().find(|x| x.id == e.id).ok_or_else(AppError::not_found)?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// The contract's evaluations (the department's and the residents' apart), with objections.
#[utoipa::path(get, path = "/contracts/{id}/evaluations", tag = "evaluation", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = Page<EvaluationOut>)))]
async fn list(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Query(pq): Query<PageQuery>) -> AppResult<Json<Page<EvaluationOut>>> {
    let c = contracts::find(&st.db, &caller, id).await?;
    Ok(Json(page::of_slice(evaluation_outs(&st, &c).await?, pq.parse()?, |x| x.id)))
}

#[derive(Deserialize, ToSchema)]
pub struct ObjectionIn {
    #[serde(default)]
    pub text: String,
}

/// The community files a written objection to an evaluation.
#[utoipa::path(post, path = "/evaluations/{id}/objections", tag = "evaluation", security(("bearer" = [])), request_body = ObjectionIn,
    responses((status = 201, body = ObjectionOut), (status = 422, body = ErrorBody)))]
async fn object(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, ApiJson(b): ApiJson<ObjectionIn>) -> AppResult<(StatusCode, Json<ObjectionOut>)> {
    let o = store::object(&st.db, &caller, id, &b.text).await?;
    Ok((StatusCode::CREATED, Json(ObjectionOut { text: o.text, at: o.created_at })))
}
