//! `api-webhooks`: `POST /v1/webhooks/scoring`. No bearer token: the body is signed with
//! the deployment's webhook secret (`X-Jobmon-Signature`, docs/api.md). Unsigned, forged,
//! stale or replayed requests get 401 and write nothing.

use jobmon_scoring::SIGNATURE_HEADER;
use jobmon_scoring::pipeline::WebhookCallback;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::http::handler::serve;
use shared::http::request::body_bytes;
use shared::http::routes::{Routes, dispatch, route};
use shared::http::{ApiError, json};
use shared::telemetry::MetricSet;

pub struct App {
    /// `None` when no webhook secret is configured: every call is refused.
    pub callback: Option<WebhookCallback>,
}

/// The routes template.yaml sends to this function, by route key.
pub const ROUTES: &Routes<App, ()> = &[route!("POST /v1/webhooks/scoring", scoring_result)];

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, _span| dispatch(ROUTES, app, (), request)).await
}

/// A scorer's answer for a job it was handed.
async fn scoring_result(app: &App, _: (), request: Request) -> Result<Response<Body>, ApiError> {
    let Some(callback) = &app.callback else {
        tracing::warn!("scoring webhook called, but no webhook secret is configured");
        return Err(ApiError::Unauthorized);
    };
    let signature = request
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    let accepted = callback
        .accept(
            signature,
            body_bytes(&request),
            chrono::Utc::now().timestamp(),
        )
        .await
        .map_err(ApiError::from);
    let outcome = match &accepted {
        Ok(status) => status,
        Err(e) => e.code(),
    };
    MetricSet::new()
        .dimension("outcome", outcome)
        .count("ScoringWebhookEvents", 1)
        .emit();
    let status = accepted?;
    Ok(json(StatusCode::OK, &json!({ "status": status })))
}
