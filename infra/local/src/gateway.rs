//! The gateway's HTTP server: the template's HTTP API routes, its WebSocket API at `/ws`,
//! the `@connections` management API and the dashboard, in one axum router.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jobmon_template::{Bindings, EventKind, Template};

use crate::config::Config;
use crate::functions::{Function, log};
use crate::metrics::Metrics;
use crate::startup::StartError;
use crate::{environment, http_api, websocket};

#[derive(Clone)]
struct AppState {
    http: Arc<http_api::HttpState>,
    ws: Arc<websocket::WsState>,
    functions: Arc<BTreeMap<String, Arc<Function>>>,
}
impl FromRef<AppState> for Arc<http_api::HttpState> {
    fn from_ref(s: &AppState) -> Self {
        s.http.clone()
    }
}
impl FromRef<AppState> for Arc<websocket::WsState> {
    fn from_ref(s: &AppState) -> Self {
        s.ws.clone()
    }
}

/// The router and what the start-up banner says about it.
pub struct Gateway {
    pub app: Router,
    /// `GET /v1/jobs -> Function` lines.
    pub route_list: Vec<String>,
    pub websocket: bool,
    /// The dashboard build, when there is one.
    pub web_dir: Option<PathBuf>,
}

pub fn router(
    template: &Template,
    bindings: &Bindings,
    cfg: &Config,
    by_id: &BTreeMap<String, Arc<Function>>,
    metrics: Metrics,
) -> Result<Gateway, StartError> {
    let routes = http_routes(template, by_id)?;
    let route_list = routes.route_keys();
    let api_prefixes = routes.first_segments();
    let http_api_id = template
        .resources()
        .values()
        .find(|r| r.resource_type == jobmon_template::types::HTTP_API)
        .map(|r| environment::api_id(&r.logical_id))
        .unwrap_or_else(|| environment::api_id("ServerlessHttpApi"));
    let web_dir = cfg.web_dir.is_dir().then(|| cfg.web_dir.clone());
    let ws_apis = template.websocket_apis();
    let state = AppState {
        http: Arc::new(http_api::HttpState {
            routes,
            api_prefixes,
            web_dir: web_dir.clone(),
            api_id: http_api_id,
            throttle: http_api::Throttle::from_template(template, bindings)
                .map_err(|e| StartError::Config(format!("HTTP API throttling: {e}")))?,
            dashboard_headers: http_api::policy_headers(template, bindings)
                .map_err(|e| StartError::Config(format!("dashboard headers: {e}")))?,
        }),
        ws: Arc::new(websocket_state(template, by_id)),
        functions: Arc::new(by_id.clone()),
    };
    let connections = get(websocket::get_info)
        .post(websocket::post)
        .delete(websocket::delete);
    let mut app = Router::new()
        .route("/@connections/{id}", connections.clone())
        .route("/{stage}/@connections/{id}", connections)
        .route(
            "/_local/metrics",
            get(move || async move { axum::Json(metrics.snapshot()) }),
        )
        .route("/_local/functions/{id}/kill", post(kill_function));
    if !ws_apis.is_empty() {
        app = app.route("/ws", get(websocket::upgrade));
    }
    let app = app.fallback(http_api::handle).with_state(state);
    Ok(Gateway {
        app,
        route_list,
        websocket: !ws_apis.is_empty(),
        web_dir,
    })
}

/// `POST /_local/functions/{LogicalId}/kill`: SIGKILLs the function's instances that are in
/// an invocation now (fault tests: "the process died mid-request"). Local only; answers
/// `{"killed": n}`, 404 for a function the template does not have.
async fn kill_function(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match state.functions.get(&id) {
        Some(f) => axum::Json(serde_json::json!({"killed": f.kill_busy()})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({
                "error": {"code": "not_found", "message": format!("id: no function {id} in the template")}
            })),
        )
            .into_response(),
    }
}

/// HTTP routes.
fn http_routes(
    template: &Template,
    by_id: &BTreeMap<String, Arc<Function>>,
) -> Result<http_api::Routes, StartError> {
    let mut routes = http_api::Routes::default();
    for f in template.functions() {
        for e in &f.events {
            if let EventKind::HttpApi(h) = &e.kind {
                routes
                    .add(h, by_id[&f.logical_id].clone())
                    .map_err(|e| StartError::Config(format!("function {}: {e}", f.logical_id)))?;
            }
        }
    }
    Ok(routes)
}

/// WebSocket API: the template's first WEBSOCKET API is served at /ws.
fn websocket_state(
    template: &Template,
    by_id: &BTreeMap<String, Arc<Function>>,
) -> websocket::WsState {
    let ws_apis = template.websocket_apis();
    if ws_apis.len() > 1 {
        log(&format!(
            "{} WebSocket APIs declared; serving {} at /ws only",
            ws_apis.len(),
            ws_apis[0].logical_id
        ));
    }
    match ws_apis.first() {
        Some(api) => websocket::WsState::new(
            environment::api_id(&api.logical_id),
            api.stages
                .first()
                .cloned()
                .unwrap_or_else(|| "$default".into()),
            api.routes
                .iter()
                .map(|r| (r.route_key.clone(), by_id[&r.function].clone()))
                .collect(),
            api.route_selection_expression.as_deref(),
        ),
        None => websocket::WsState::new(String::new(), String::new(), BTreeMap::new(), None),
    }
}
