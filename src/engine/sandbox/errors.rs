//! The Error model of contract §3: every 4xx/5xx answer the sandbox gives is built here,
//! with its HTTP status, `error.code`, human message and `error.param`.

use std::borrow::Cow;

use http::StatusCode;
use serde_json::json;

/// One contract error, ready to be rendered as `{"error": {code, message, param}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub param: Option<Cow<'static, str>>,
    /// `Allow` header value for 405.
    pub allow: Option<&'static str>,
    /// `Retry-After` seconds for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            param: None,
            allow: None,
            retry_after: None,
        }
    }

    fn with_param(mut self, param: impl Into<Cow<'static, str>>) -> ApiError {
        self.param = Some(param.into());
        self
    }

    /// 400 `invalid_request` naming the offending field, query parameter or header.
    pub fn invalid(param: impl Into<Cow<'static, str>>, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message).with_param(param)
    }

    /// 400 `invalid_request` about the request as a whole (malformed JSON, no body).
    pub fn invalid_body(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn insufficient_balance(
        available: impl std::fmt::Display,
        charge: impl std::fmt::Display,
        currency: &str,
    ) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "insufficient_balance",
            format!(
                "Available balance {available} {currency} is below the charge {charge} {currency}"
            ),
        )
    }

    pub fn product_unavailable(product_id: u64) -> ApiError {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "product_unavailable",
            format!("Product {product_id} is not available"),
        )
        .with_param("product_id")
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).with_param("Authorization")
    }

    pub fn admin_unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "A valid X-Sandbox-Admin token is required",
        )
        // §10 fixes `param` for every 401 as "Authorization"; the message names the header.
        .with_param("Authorization")
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unknown_route() -> ApiError {
        ApiError::not_found("No such resource")
    }

    pub fn method_not_allowed(allow: &'static str) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("Method not allowed here; allowed: {allow}"),
        );
        e.allow = Some(allow);
        e
    }

    pub fn idempotency_in_progress() -> ApiError {
        ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still being processed",
        )
        .with_param("Idempotency-Key")
    }

    pub fn idempotency_mismatch() -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_mismatch",
            "This Idempotency-Key was already used with a different payload",
        )
        .with_param("Idempotency-Key")
    }

    /// 409 `invalid_state`: an operation on a resource whose state does not allow it.
    pub fn invalid_state(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "invalid_state", message)
    }

    /// 400 `amount_exceeds_remaining`: more than what is left to operate on.
    pub fn amount_exceeds_remaining(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "amount_exceeds_remaining", message)
            .with_param("amount")
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Request bodies must be sent as Content-Type: application/json",
        )
        .with_param("Content-Type")
    }

    pub fn rate_limited(retry_after: u64) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests for this API key; retry later",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"code": self.code, "message": self.message, "param": self.param}})
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        tracing::error!(error = %e, "sandbox store error");
        ApiError::internal("The sandbox store failed")
    }
}
