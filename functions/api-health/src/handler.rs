//! GET /v1/health → `{"status":"ok","version":...}`. No auth, no I/O: it proves the
//! function starts and the route reaches it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::json;
use shared::telemetry::{correlation_id, request_span};
use tracing::Instrument;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let request_id = request
        .lambda_context_ref()
        .map_or_else(String::new, |c| c.request_id.clone());
    let header = request
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok());
    let span = request_span(&request_id, &correlation_id(header, &request_id));
    async {
        tracing::debug!("health check");
        Ok(shared::http::json(
            StatusCode::OK,
            &json!({ "status": "ok", "version": VERSION }),
        ))
    }
    .instrument(span)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::request::from_str;

    const EVENT: &str = include_str!("../../../events/api-health/get-health.json");

    #[tokio::test]
    async fn answers_ok_with_the_crate_version_for_a_real_http_api_event() {
        let request = from_str(EVENT).expect("fixture is an API Gateway HTTP API v2 event");
        assert_eq!(request.uri().path(), "/v1/health");
        let response = handle(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let Body::Text(text) = response.body() else {
            panic!("expected a text body");
        };
        let body: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(body, json!({ "status": "ok", "version": VERSION }));
        assert!(!VERSION.is_empty());
    }
}
