//! Pages of evaluation: the form (on the contract page), the result, the objection.
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::post;
use axum::Router;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::store;
use crate::contracts::pages::detail_render;
use crate::orgs::Role;
use crate::platform::auth::Caller;
use crate::web::{self, form_errors, PageResult};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    let parties = Router::new().route("/contracts/{id}/evaluate", post(evaluate));
    let community = Router::new().route("/evaluations/{id}/objection", post(object));
    web::open(&[Role::Department, Role::Community], parties).merge(web::open(&[Role::Community], community))
}

/// The form posts `rating_<clause id>` and `comment_<clause id>` per clause.
async fn evaluate(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(pairs): Form<Vec<(String, String)>>) -> PageResult {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let items: Vec<serde_json::Value> = pairs
        .iter()
        .filter_map(|(k, v)| {
            let clause: i64 = k.strip_prefix("rating_")?.parse().ok()?;
            Some(serde_json::json!({"clause_id": clause, "rating": v, "comment": get(&format!("comment_{clause}")).unwrap_or_default()}))
        })
        .collect();
    let residents = get("evaluator").as_deref() == Some("residents");
    match store::submit(&st.db, &caller, id, residents, &items).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{id}?done=evaluated")).into_response()),
        Err(e) => detail_render(&st, &caller, id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}

#[derive(Deserialize)]
struct ObjectionForm {
    contract_id: i64,
    #[serde(default)]
    text: String,
}

async fn object(State(st): State<AppState>, caller: Caller, Path(id): Path<i64>, Form(f): Form<ObjectionForm>) -> PageResult {
    match store::object(&st.db, &caller, id, &f.text).await {
        Ok(_) => Ok(Redirect::to(&format!("/contracts/{}?done=objected", f.contract_id)).into_response()),
        Err(e) => detail_render(&st, &caller, f.contract_id, StatusCode::UNPROCESSABLE_ENTITY, form_errors(e)?, None).await,
    }
}
