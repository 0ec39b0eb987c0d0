//! GET /v1/health → `{"status":"ok","version":...}` and GET /v1/openapi.json → the OpenAPI
//! 3.1 document of the HTTP API (`docs/openapi.json`, compiled in): no auth, no I/O, they
//! prove the function starts and the route reaches it. GET /v1/health/ready checks the
//! table and the queues ([`ready`]).

pub mod ready;

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
pub const ROUTES: &Routes<App, ()> = &[
    route!("GET /v1/health", health),
    route!("GET /v1/health/ready", readiness),
    route!("GET /v1/openapi.json", openapi_document),
];

pub struct App {
    pub readiness: ready::Readiness,
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, _span| dispatch(ROUTES, app, (), request)).await
}

async fn health(_: &App, _: (), _: Request) -> Result<Response<Body>, ApiError> {
    tracing::debug!("health check");
    Ok(shared::http::json(
        StatusCode::OK,
        &json!({ "status": "ok", "version": VERSION }),
    ))
}

/// 200 with every dependency `ok`, or 503 in the API's error shape naming the failing ones.
async fn readiness(app: &App, _: (), _: Request) -> Result<Response<Body>, ApiError> {
    let report = app.readiness.report().await;
    let checks: serde_json::Map<String, serde_json::Value> = report
        .checks
        .iter()
        .map(|(name, status)| (name.clone(), status.as_str().into()))
        .collect();
    let failing = report.failing();
    let mut response = if failing.is_empty() {
        shared::http::json(
            StatusCode::OK,
            &json!({ "status": "ready", "checks": checks }),
        )
    } else {
        shared::http::json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "error": {
                "code": "not_ready",
                "message": format!("not ready: {} unavailable", failing.join(", ")),
                "details": checks,
            }}),
        )
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The OpenAPI document, cacheable for a while: it changes only with a deploy.
async fn openapi_document(_: &App, _: (), _: Request) -> Result<Response<Body>, ApiError> {
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
    use std::time::Duration;

    const EVENT: &str = include_str!("../../../events/api-health/get-health.json");
    const OPENAPI_EVENT: &str = include_str!("../../../events/api-health/get-openapi.json");

    fn app(probes: Vec<std::sync::Arc<dyn ready::Probe>>) -> App {
        App {
            readiness: ready::Readiness::new(probes, ready::DEFAULT_TTL),
        }
    }

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
        let response = handle(&app(vec![]), request).await;
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
        let response = handle(&app(vec![]), request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = body_json(&response);
        assert!(body["openapi"].as_str().unwrap().starts_with("3.1."));
        assert!(body["paths"]["/v1/openapi.json"]["get"].is_object());
    }

    #[tokio::test]
    async fn a_route_it_does_not_serve_is_the_json_404() {
        let event = EVENT.replace("GET /v1/health", "GET /v1/elsewhere");
        let response = handle(&app(vec![]), from_str(&event).unwrap()).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(body_json(&response)["error"]["code"], "not_found");
    }

    /// A dependency whose answer the test sets, counting its calls.
    struct Fake {
        name: &'static str,
        answer: std::sync::Mutex<Result<(), String>>,
        hang: bool,
        calls: std::sync::atomic::AtomicUsize,
    }

    impl Fake {
        fn new(name: &'static str, answer: Result<(), String>) -> std::sync::Arc<Fake> {
            std::sync::Arc::new(Fake {
                name,
                answer: std::sync::Mutex::new(answer),
                hang: false,
                calls: Default::default(),
            })
        }
    }

    #[async_trait::async_trait]
    impl ready::Probe for Fake {
        fn name(&self) -> &str {
            self.name
        }
        async fn check(&self) -> Result<(), String> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if self.hang {
                std::future::pending::<()>().await;
            }
            self.answer.lock().unwrap().clone()
        }
    }

    fn ready_request() -> Request {
        from_str(&EVENT.replace("/v1/health", "/v1/health/ready")).unwrap()
    }

    #[tokio::test]
    async fn ready_answers_200_when_every_dependency_answers() {
        let app = app(vec![
            Fake::new("table", Ok(())),
            Fake::new("fetchQueue", Ok(())),
        ]);
        let response = handle(&app, ready_request()).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            body_json(&response),
            json!({"status": "ready", "checks": {"table": "ok", "fetchQueue": "ok"}})
        );
    }

    #[tokio::test]
    async fn ready_answers_503_naming_the_failing_dependency_without_its_detail() {
        let app = app(vec![
            Fake::new("table", Ok(())),
            Fake::new(
                "scoringQueue",
                Err("https://sqs.secret/123456789012/q refused".into()),
            ),
        ]);
        let response = handle(&app, ready_request()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = body_json(&response);
        assert_eq!(body["error"]["code"], "not_ready");
        assert_eq!(
            body["error"]["message"],
            "not ready: scoringQueue unavailable"
        );
        assert_eq!(
            body["error"]["details"],
            json!({"table": "ok", "scoringQueue": "failed"})
        );
        assert!(!body.to_string().contains("123456789012"));
    }

    #[tokio::test]
    async fn a_hanging_dependency_is_a_timeout_not_a_hung_request() {
        let hanging = std::sync::Arc::new(Fake {
            name: "table",
            answer: std::sync::Mutex::new(Ok(())),
            hang: true,
            calls: Default::default(),
        });
        let app = app(vec![hanging, Fake::new("fetchQueue", Ok(()))]);
        let response = handle(&app, ready_request()).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            body_json(&response)["error"]["details"],
            json!({"table": "timeout", "fetchQueue": "ok"})
        );
    }

    #[tokio::test]
    async fn the_answer_is_cached_per_instance_for_the_ttl() {
        let table = Fake::new("table", Ok(()));
        let app = App {
            readiness: ready::Readiness::new(vec![table.clone()], Duration::from_millis(300)),
        };
        for _ in 0..5 {
            assert_eq!(handle(&app, ready_request()).await.status(), StatusCode::OK);
        }
        assert_eq!(table.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        *table.answer.lock().unwrap() = Err("gone".into());
        assert_eq!(
            handle(&app, ready_request()).await.status(),
            StatusCode::OK,
            "still the cached answer"
        );
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(
            handle(&app, ready_request()).await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(table.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
