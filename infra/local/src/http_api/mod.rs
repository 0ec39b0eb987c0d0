//! The HTTP API: routes from the functions' `HttpApi` events ([`routes`]), requests turned
//! into API Gateway HTTP API payload v2.0 (or 1.0) events ([`event`]), responses mapped back
//! ([`response`]); plus the static dashboard ([`dashboard`]).

mod dashboard;
mod event;
mod response;
mod routes;
mod throttle;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::functions::InvokeError;
pub use dashboard::policy_headers;
use dashboard::serve_static;
use event::{v1_event, v2_event};
pub use response::map_response;
use routes::Route;
pub use routes::Routes;
pub use throttle::Throttle;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// API Gateway's payload limit (10 MB); Lambda's own 6 MB limit then applies to the event.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

pub struct HttpState {
    pub routes: Routes,
    /// First path segments of the template's routes (`v1`...): unknown paths under them are
    /// API 404s, never the dashboard's SPA fallback.
    pub api_prefixes: std::collections::BTreeSet<String>,
    pub web_dir: Option<PathBuf>,
    pub api_id: String,
    pub throttle: Throttle,
    /// The dashboard's headers, as the template's CloudFront response headers policy sets them.
    pub dashboard_headers: Vec<(HeaderName, HeaderValue)>,
}

pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

/// Everything that is not `/ws` or `@connections`: template routes, then the dashboard.
pub async fn handle(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
) -> Response {
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    if let Some((route, params)) = state.routes.find(&method, &path) {
        return invoke_route(&state, route, params, peer, req).await;
    }
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if matches!(method, Method::GET | Method::HEAD)
        && !state.api_prefixes.contains(first)
        && let Some(mut resp) = serve_static(state.web_dir.as_deref(), &path).await
    {
        for (name, value) in &state.dashboard_headers {
            resp.headers_mut().insert(name.clone(), value.clone());
        }
        return resp;
    }
    if let Some(route) = state.routes.default_route() {
        return invoke_route(&state, route, BTreeMap::new(), peer, req).await;
    }
    error_response(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route for {method} {path}"),
    )
}

async fn invoke_route(
    state: &HttpState,
    route: &Route,
    params: BTreeMap<String, String>,
    peer: SocketAddr,
    req: Request,
) -> Response {
    if let Err(retry_after) = state.throttle.admit(&route.route_key) {
        return too_many_requests(retry_after);
    }
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body exceeds 10 MB",
            );
        }
    };
    let event = if route.payload_format_version == "1.0" {
        v1_event(&parts, &body, route, &params, peer, &state.api_id)
    } else {
        v2_event(&parts, &body, route, &params, peer, &state.api_id)
    };
    let payload = Bytes::from(event.to_string());
    match route.function.invoke(payload).await {
        Ok(out) => map_response(&out),
        Err(e) => function_failure(&e),
    }
}

/// API Gateway answers 500 for a failed, crashed or timed-out integration. The header says
/// which, for tests and for whoever reads the network tab.
fn function_failure(e: &InvokeError) -> Response {
    crate::functions::log(&e.to_string());
    let mut resp = error_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error",
    );
    resp.headers_mut()
        .insert("x-jobmon-local-error", HeaderValue::from_static(e.kind()));
    resp
}

/// API Gateway's throttling answer, in the API's error shape, with when to try again.
fn too_many_requests(retry_after_secs: u64) -> Response {
    let mut resp = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many requests: throttled at the API gateway",
    );
    resp.headers_mut()
        .insert("retry-after", HeaderValue::from(retry_after_secs));
    resp
}
