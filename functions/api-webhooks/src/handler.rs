//! `api-webhooks`: `POST /v1/webhooks/scoring`. No bearer token: the body is signed with
//! the deployment's webhook secret (`X-Jobmon-Signature`, docs/api.md). Unsigned, forged,
//! stale or replayed requests get 401 and write nothing.

use jobmon_scoring::SIGNATURE_HEADER;
use jobmon_scoring::pipeline::WebhookCallback;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use shared::http::handler::{no_route, serve};
use shared::http::router::match_path;
use shared::http::{ApiError, json};

pub struct App {
    /// `None` when no webhook secret is configured: every call is refused.
    pub callback: Option<WebhookCallback>,
}

fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => b"",
    }
}

pub async fn handle(app: &App, request: Request) -> Response<Body> {
    serve(request, |request, _span| async move {
        let path = request.uri().path();
        if request.method() != Method::POST || match_path("/v1/webhooks/scoring", path).is_none() {
            return Err(no_route());
        }
        let Some(callback) = &app.callback else {
            tracing::warn!("scoring webhook called, but no webhook secret is configured");
            return Err(ApiError::Unauthorized);
        };
        let signature = request
            .headers()
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok());
        let status = callback
            .accept(
                signature,
                body_bytes(&request),
                chrono::Utc::now().timestamp(),
            )
            .await?;
        Ok(json(StatusCode::OK, &json!({ "status": status })))
    })
    .await
}
