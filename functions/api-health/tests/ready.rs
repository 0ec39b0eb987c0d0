//! `GET /v1/health/ready` against a real moto that the test stops and starts again: the
//! probes make their real calls, and the answer follows what the dependencies do.

use std::time::Duration;

use api_health::ready::{Readiness, probes};
use api_health::{App, handle};
use jobmon_tests::{OwnMoto, TestStack};
use lambda_http::Body;
use lambda_http::http::StatusCode;
use lambda_http::request::from_str;

const EVENT: &str = include_str!("../../../events/api-health/get-health.json");

async fn ready(app: &App) -> (StatusCode, serde_json::Value) {
    let request = from_str(&EVENT.replace("/v1/health", "/v1/health/ready")).unwrap();
    let response = handle(app, request).await;
    let Body::Text(text) = response.body() else {
        panic!("expected a text body");
    };
    (response.status(), serde_json::from_str(text).unwrap())
}

fn app(stack: &TestStack) -> App {
    let probes = probes(
        &stack.config,
        stack.table(),
        &[
            ("fetchQueue", stack.queue_url("FetchQueue")),
            ("scoringQueue", stack.queue_url("ScoringQueue")),
        ],
    );
    // No caching: every request probes, so the test sees each change at once.
    App {
        readiness: Readiness::new(probes, Duration::ZERO),
    }
}

#[tokio::test]
async fn ready_follows_moto_stopped_and_started() {
    let mut moto = OwnMoto::start_on_free_port().expect("moto starts");
    let stack = TestStack::at(moto.endpoint()).await;
    let app = app(&stack);

    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["checks"],
        serde_json::json!({"table": "ok", "fetchQueue": "ok", "scoringQueue": "ok"})
    );

    moto.stop();
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "not_ready");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("table")
            && message.contains("fetchQueue")
            && message.contains("scoringQueue"),
        "{message}"
    );
    assert!(
        !body.to_string().contains("127.0.0.1"),
        "no internals: {body}"
    );

    // A fresh moto is empty: reachable, but the table and queues are missing.
    moto.start().expect("moto starts again");
    let (status, body) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["details"]["table"], "failed");

    // Only the table comes back: the queues are still named.
    let stack_again = TestStack::at(moto.endpoint()).await;
    let partial = App {
        readiness: Readiness::new(
            probes(
                &stack_again.config,
                stack_again.table(),
                &[("fetchQueue", stack.queue_url("FetchQueue"))],
            ),
            Duration::ZERO,
        ),
    };
    let (status, body) = ready(&partial).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["error"]["details"],
        serde_json::json!({"table": "ok", "fetchQueue": "failed"})
    );
    assert_eq!(
        body["error"]["message"],
        "not ready: fetchQueue unavailable"
    );

    let (status, body) = ready(&self::app(&stack_again)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
