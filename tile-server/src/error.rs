//! The one place where errors become HTTP responses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An API error: the status it maps to and a message for the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The request is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid token where one is needed (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller's role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The thing asked for does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The write is based on a state that changed meanwhile, or the step is not allowed
    /// now (409); `detail` says what is current (both versions, the allowed next steps).
    #[error("{message}")]
    Conflict {
        /// What conflicts.
        message: String,
        /// Machine-readable detail for the client.
        detail: serde_json::Value,
    },
    /// An `If-Match` precondition failed: the resource changed (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body or upload is larger than allowed (413).
    #[error("{0}")]
    TooLarge(String),
    /// Well-formed, but findings block it (422); `detail` holds the findings.
    #[error("{message}")]
    Unprocessable {
        /// Why it is refused.
        message: String,
        /// The blocking findings.
        detail: serde_json::Value,
    },
    /// The caller sends too many requests (429).
    #[error("{0}")]
    TooManyRequests(String),
    /// The data is still loading or the store is unreachable (503).
    #[error("{0}")]
    Unavailable(String),
    /// A bug or an unexpected failure (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PreconditionFailed(_) => "precondition_failed",
            ApiError::TooLarge(_) => "too_large",
            ApiError::Unprocessable { .. } => "unprocessable",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<geo_core::Error> for ApiError {
    fn from(e: geo_core::Error) -> Self {
        use geo_core::Error as E;
        match e {
            E::Code(_) | E::UnknownLayer(_) | E::Invalid(_) => ApiError::BadRequest(e.to_string()),
            E::NotFound(_) => ApiError::NotFound(e.to_string()),
            E::Limit(_) => ApiError::TooLarge(e.to_string()),
            E::Unavailable(_) => ApiError::Unavailable(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "request failed");
        }
        let mut body = json!({ "code": self.code(), "description": self.to_string() });
        if let ApiError::Conflict { detail, .. } | ApiError::Unprocessable { detail, .. } = self {
            body["detail"] = detail;
        }
        let mut r = (status, Json(body)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        r
    }
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
