//! The one error type at the API boundary. It maps to the status and the
//! `{"error": {"code", "message", "details"?}}` body of docs/api.md, and never carries an
//! internal message out: storage and other unexpected errors are logged and answered 500.

use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{Value, json};

use crate::ports::{Conflict, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Validation {
        message: String,
        /// Field → what is wrong with it.
        details: Option<Value>,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("not allowed for your role")]
    Forbidden,
    /// A 403 for a reason other than the role, with its own code (e.g. `cross_site`).
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PlanLimit(String),
    #[error("request body is too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    RateLimited { retry_after_secs: u64 },
    /// The message is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        Self::Validation {
            message: format!("{field}: {problem}"),
            details: Some(json!({ field: problem })),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Validation { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::Refused { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PlanLimit(_) => StatusCode::PAYMENT_REQUIRED,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "validation_failed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::Refused { code, .. } => code,
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::PlanLimit(_) => "plan_limit",
            Self::PayloadTooLarge => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) => "internal",
        }
    }

    pub fn into_response(self) -> Response<Body> {
        if let Self::Internal(reason) = &self {
            tracing::error!(reason = %reason, "internal error");
        }
        let mut error = json!({ "code": self.code(), "message": self.to_string() });
        if let Self::Validation {
            details: Some(details),
            ..
        } = &self
        {
            error["details"] = details.clone();
        }
        let mut response = super::json(self.status(), &json!({ "error": error }));
        if let Self::RateLimited { retry_after_secs } = self {
            response.headers_mut().insert(
                "retry-after",
                HeaderValue::from_str(&retry_after_secs.max(1).to_string())
                    .unwrap_or(HeaderValue::from_static("1")),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => Self::Conflict(c.to_string()),
            StoreError::InvalidCursor => Self::validation("cursor", "invalid cursor"),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::auth::NotAdmin> for ApiError {
    fn from(_: crate::auth::NotAdmin) -> Self {
        Self::Forbidden
    }
}

impl From<Conflict> for ApiError {
    fn from(c: Conflict) -> Self {
        Self::Conflict(c.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response<Body>) -> Value {
        match r.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn every_variant_has_the_documented_status_and_code() {
        let cases = [
            (
                ApiError::validation("email", "invalid"),
                400,
                "validation_failed",
            ),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::Forbidden, 403, "forbidden"),
            (
                ApiError::Refused {
                    code: "cross_site",
                    message: "no".into(),
                },
                403,
                "cross_site",
            ),
            (ApiError::NotFound, 404, "not_found"),
            (ApiError::Conflict("dup".into()), 409, "conflict"),
            (ApiError::PlanLimit("max".into()), 402, "plan_limit"),
            (ApiError::PayloadTooLarge, 413, "payload_too_large"),
            (
                ApiError::RateLimited {
                    retry_after_secs: 30,
                },
                429,
                "rate_limited",
            ),
            (ApiError::Internal("db down".into()), 500, "internal"),
        ];
        for (err, status, code) in cases {
            let r = err.into_response();
            assert_eq!(r.status().as_u16(), status);
            assert_eq!(body(&r)["error"]["code"], code);
            assert_eq!(r.headers()["content-type"], "application/json");
        }
    }

    #[test]
    fn validation_names_the_field_and_rate_limit_sets_retry_after() {
        let r = ApiError::validation("password", "must be 10-128 characters").into_response();
        assert_eq!(
            body(&r)["error"]["details"]["password"],
            "must be 10-128 characters"
        );
        let r = ApiError::RateLimited {
            retry_after_secs: 42,
        }
        .into_response();
        assert_eq!(r.headers()["retry-after"], "42");
    }

    #[test]
    fn internal_details_never_leave() {
        let r = ApiError::from(StoreError::Unavailable("secret table arn".into())).into_response();
        assert_eq!(r.status().as_u16(), 500);
        assert!(!body(&r).to_string().contains("secret"));
        let r = ApiError::from(StoreError::InvalidCursor).into_response();
        assert_eq!(r.status().as_u16(), 400);
        assert!(body(&r)["error"]["details"]["cursor"].is_string());
        let r = ApiError::from(StoreError::Conflict(Conflict::EmailTaken)).into_response();
        assert_eq!(r.status().as_u16(), 409);
    }
}
