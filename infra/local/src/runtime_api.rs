//! The Lambda Runtime API of one instance: the HTTP endpoint its process polls for the next
//! invocation and posts its response, error or init error to.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::{mpsc, oneshot, watch};

/// Lambda's limit for a synchronous response payload.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// What the runtime reported for one invocation.
pub(crate) enum Outcome {
    Success(Bytes),
    Error { error_type: String, message: String },
    TooLarge,
}

pub(crate) struct Pending {
    pub(crate) request_id: String,
    pub(crate) payload: Bytes,
    pub(crate) deadline_ms: u128,
    pub(crate) trace_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    Starting,
    Ready,
    InitError(String),
}

/// State shared between an instance's Runtime API server and the dispatcher.
pub(crate) struct Api {
    pub(crate) function_arn: String,
    pub(crate) queue: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    pub(crate) inflight: Mutex<Option<(String, oneshot::Sender<Outcome>)>>,
    pub(crate) phase: watch::Sender<Phase>,
}

/// A new instance's Runtime API: its server, and the dispatcher's ends of its queue and
/// of its start-up phase.
pub(crate) struct RuntimeApi {
    pub(crate) port: u16,
    pub(crate) api: Arc<Api>,
    pub(crate) server: tokio::task::JoinHandle<()>,
    pub(crate) queue: mpsc::Sender<Pending>,
    pub(crate) phase: watch::Receiver<Phase>,
}

impl RuntimeApi {
    /// A Runtime API for a new instance, listening on a free port before the process starts.
    pub(crate) async fn open(function_arn: &str) -> Result<Self, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("cannot open a Runtime API port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("cannot open a Runtime API port: {e}"))?
            .port();
        let (queue, queue_rx) = mpsc::channel(1);
        let (phase_tx, phase) = watch::channel(Phase::Starting);
        let api = Arc::new(Api {
            function_arn: function_arn.to_owned(),
            queue: tokio::sync::Mutex::new(queue_rx),
            inflight: Mutex::new(None),
            phase: phase_tx,
        });
        let server = tokio::spawn({
            let app = router(api.clone());
            async move {
                let _ = axum::serve(listener, app).await;
            }
        });
        Ok(Self {
            port,
            api,
            server,
            queue,
            phase,
        })
    }
}

fn router(api: Arc<Api>) -> Router {
    Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        // Bodies above Lambda's limit are still read so the runtime gets a proper answer.
        .layer(DefaultBodyLimit::max(MAX_RESPONSE_BYTES * 2))
        .with_state(api)
}

fn runtime_error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"errorType": error_type, "errorMessage": message})),
    )
        .into_response()
}

async fn next(State(api): State<Arc<Api>>) -> Response {
    api.phase.send_if_modified(|p| {
        if *p == Phase::Starting {
            *p = Phase::Ready;
            true
        } else {
            false
        }
    });
    let mut queue = api.queue.lock().await;
    let Some(p) = queue.recv().await else {
        return runtime_error(StatusCode::GONE, "InstanceStopped", "instance stopped");
    };
    let mut headers = HeaderMap::new();
    let mut put = |k: &'static str, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            headers.insert(k, v);
        }
    };
    put("lambda-runtime-aws-request-id", &p.request_id);
    put("lambda-runtime-deadline-ms", &p.deadline_ms.to_string());
    put("lambda-runtime-invoked-function-arn", &api.function_arn);
    put("lambda-runtime-trace-id", &p.trace_id);
    put("content-type", "application/json");
    (StatusCode::OK, headers, p.payload).into_response()
}

/// Takes the in-flight invocation if `id` names it.
fn take(api: &Api, id: &str) -> Option<oneshot::Sender<Outcome>> {
    let mut f = api.inflight.lock().ok()?;
    match f.as_ref() {
        Some((current, _)) if current == id => f.take().map(|(_, tx)| tx),
        _ => None,
    }
}

async fn response(State(api): State<Arc<Api>>, Path(id): Path<String>, body: Bytes) -> Response {
    let Some(tx) = take(&api, &id) else {
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "no invocation in flight with this id",
        );
    };
    if body.len() > MAX_RESPONSE_BYTES {
        let _ = tx.send(Outcome::TooLarge);
        return runtime_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "response payload exceeds 6291556 bytes",
        );
    }
    let _ = tx.send(Outcome::Success(body));
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}

/// `errorType`/`errorMessage` of a runtime error body, tolerating anything.
fn error_fields(headers: &HeaderMap, body: &[u8]) -> (String, String) {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let header_type = headers
        .get("lambda-runtime-function-error-type")
        .and_then(|h| h.to_str().ok());
    let error_type = v["errorType"]
        .as_str()
        .or(header_type)
        .unwrap_or("Unhandled")
        .to_owned();
    let message = v["errorMessage"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    (error_type, message)
}

async fn error(
    State(api): State<Arc<Api>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(tx) = take(&api, &id) else {
        return runtime_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestID",
            "no invocation in flight with this id",
        );
    };
    let (error_type, message) = error_fields(&headers, &body);
    let _ = tx.send(Outcome::Error {
        error_type,
        message,
    });
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}

async fn init_error(State(api): State<Arc<Api>>, headers: HeaderMap, body: Bytes) -> Response {
    let (error_type, message) = error_fields(&headers, &body);
    api.phase
        .send_replace(Phase::InitError(format!("{error_type}: {message}")));
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"status": "OK"})),
    )
        .into_response()
}
