//! Request extractors that turn bad input into the API's 422 `VALIDATION_FAILED`.
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;
use validator::Validate;

use crate::platform::error::AppError;

/// JSON body, deserialised and then checked with its `validator` rules.
pub struct ValidJson<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Validate,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let value: T = bounded(req, state).await?;
        value.validate()?;
        Ok(ValidJson(value))
    }
}

/// JSON body whose malformed input is the API's 422 (for bodies whose rules live in
/// domain types rather than in `validator` attributes).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiJson(bounded(req, state).await?))
    }
}

/// A JSON body within the bounds of `platform::input` (text lengths, array sizes, dates),
/// then as the handler's type.
async fn bounded<S: Send + Sync, T: DeserializeOwned>(req: Request, state: &S) -> Result<T, AppError> {
    let axum::Json(raw) = axum::Json::<serde_json::Value>::from_request(req, state).await?;
    crate::platform::input::check_json(&raw)?;
    serde_json::from_value(raw).map_err(|e| AppError::invalid("", format!("请求体无法解析：{e}")))
}
