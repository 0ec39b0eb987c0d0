//! GET /v1/health → `{"status":"ok","version":...}` and GET /v1/openapi.json → the OpenAPI
//! 3.1 document of the HTTP API (`docs/openapi.json`, compiled in). No auth, no I/O: it
//! proves the function starts and the route reaches it.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde_json::json;
use shared::telemetry::{correlation_id, request_span};
use tracing::Instrument;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The OpenAPI document, as written in `docs/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

fn openapi() -> Response<Body> {
    let mut response = Response::new(Body::Text(OPENAPI_JSON.to_owned()));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

pub async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let request_id = request
        .lambda_context_ref()
        .map_or_else(String::new, |c| c.request_id.clone());
    let header = request
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok());
    let span = request_span(&request_id, &correlation_id(header, &request_id));
    let path = request.uri().path().trim_end_matches('/').to_owned();
    async {
        if path == "/v1/openapi.json" {
            tracing::debug!("openapi document");
            return Ok(openapi());
        }
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
    const OPENAPI_EVENT: &str = include_str!("../../../events/api-health/get-openapi.json");

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        let Body::Text(text) = response.body() else {
            panic!("expected a text body");
        };
        serde_json::from_str(text).unwrap()
    }

    #[tokio::test]
    async fn answers_ok_with_the_crate_version_for_a_real_http_api_event() {
        let request = from_str(EVENT).expect("fixture is an API Gateway HTTP API v2 event");
        assert_eq!(request.uri().path(), "/v1/health");
        let response = handle(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = body_json(&response);
        assert_eq!(body, json!({ "status": "ok", "version": VERSION }));
        assert!(!VERSION.is_empty());
    }

    #[tokio::test]
    async fn serves_the_openapi_document() {
        let request = from_str(OPENAPI_EVENT).expect("fixture is an API Gateway HTTP API v2 event");
        assert_eq!(request.uri().path(), "/v1/openapi.json");
        let response = handle(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = body_json(&response);
        assert!(body["openapi"].as_str().unwrap().starts_with("3.1."));
        assert!(body["paths"]["/v1/openapi.json"]["get"].is_object());
    }
}
