//! The contract as a PDF: placeholder until the PDF machinery lands.
use axum::response::Response;

use super::api::ContractOut;
use crate::platform::error::{AppError, AppResult};

pub fn contract_response(_c: &ContractOut) -> AppResult<Response> {
    Err(AppError::new(axum::http::StatusCode::NOT_IMPLEMENTED, "PDF_NOT_AVAILABLE", "合同 PDF 尚未提供"))
}
