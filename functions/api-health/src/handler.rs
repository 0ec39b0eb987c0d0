//! GET /v1/health → `{"status":"ok","version":...}` and GET /v1/openapi.json → the OpenAPI
//! 3.1 document of the HTTP API (`docs/openapi.json`, compiled in). No auth, no I/O: it
//! proves the function starts and the route reaches it.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::http::ApiError;
use shared::http::handler::serve;
use shared::http::routes::{Routes, dispatch, route};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The OpenAPI document, as written in `docs/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../../../docs/openapi.json");

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<(), ()> = &[
    route!("GET /v1/health", health),
    route!("GET /v1/openapi.json", openapi_document),
];

pub async fn handle(request: Request) -> Response<Body> {
    serve(request, |request, _span| dispatch(ROUTES, &(), (), request)).await
}

async fn health(_: &(), _: (), _: Request) -> Result<Response<Body>, ApiError> {
    tracing::debug!("health check");
    Ok(shared::http::json(
        StatusCode::OK,
        &json!({ "status": "ok", "version": VERSION }),
    ))
}

/// The OpenAPI document, cacheable for a while: it changes only with a deploy.
async fn openapi_document(_: &(), _: (), _: Request) -> Result<Response<Body>, ApiError> {
    tracing::debug!("openapi document");
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
    Ok(response)
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
        let response = handle(request).await;
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
        let response = handle(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = body_json(&response);
        assert!(body["openapi"].as_str().unwrap().starts_with("3.1."));
        assert!(body["paths"]["/v1/openapi.json"]["get"].is_object());
    }

    #[tokio::test]
    async fn a_route_it_does_not_serve_is_the_json_404() {
        let event = EVENT.replace("GET /v1/health", "GET /v1/elsewhere");
        let response = handle(from_str(&event).unwrap()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body_json(&response)["error"]["code"], "not_found");
    }
}
