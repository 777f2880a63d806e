//! The one error type of the server. Every failure becomes a status, a stable
//! UPPER_SNAKE_CASE code and a Chinese message (API.md "Conventions").
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<serde_json::Value>,
}

/// The body of every non-2xx answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorPayload,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorPayload {
    #[schema(example = "VALIDATION_FAILED")]
    pub code: String,
    #[schema(example = "输入有误")]
    pub message: String,
    pub details: Vec<serde_json::Value>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        AppError { status, code, message: message.into(), details: Vec::new() }
    }

    pub fn with_details(mut self, details: Vec<serde_json::Value>) -> Self {
        self.details = details;
        self
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "请先登录，或登录已过期")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", "您的角色或所在单位无权进行此操作")
    }

    /// Also the answer for records the caller may not see: no existence leaks.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "记录不存在")
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        let details = fields.into_iter().map(|f| serde_json::to_value(f).unwrap()).collect();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "输入有误，请检查后重试")
            .with_details(details)
    }

    /// One bad field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError { field: field.into(), message: message.into() }])
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "服务器内部错误，请稍后重试")
    }

    /// The field messages of a validation error, for re-showing a form.
    pub fn field_messages(&self) -> Vec<String> {
        self.details
            .iter()
            .filter_map(|d| d.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .collect()
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorPayload { code: self.code.to_string(), message: self.message, details: self.details },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        AppError::internal(e)
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}

impl From<validator::ValidationErrors> for AppError {
    fn from(errs: validator::ValidationErrors) -> Self {
        let mut fields: Vec<FieldError> = errs
            .field_errors()
            .into_iter()
            .flat_map(|(field, list)| {
                list.iter().map(move |e| FieldError {
                    field: field.to_string(),
                    message: e.message.as_deref().unwrap_or("取值无效").to_string(),
                })
            })
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        AppError::validation(fields)
    }
}

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                AppError::invalid("", "请求须为 JSON（Content-Type: application/json）")
            }
            other => AppError::invalid("", format!("请求体无法解析：{}", other.body_text())),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;
