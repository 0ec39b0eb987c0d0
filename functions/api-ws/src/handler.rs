//! `api-ws`: the WebSocket API's `$connect` and `$disconnect` routes. Server → client
//! messages are pushed by the workers through `@connections`; clients send nothing that
//! needs an answer (`$default` just acknowledges).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use serde_json::json;
use shared::http::ApiError;
use shared::services::live::LiveConnections;

fn response(status: u16, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut r = ApiGatewayProxyResponse::default();
    r.status_code = i64::from(status);
    r.body = body.map(Body::Text);
    r
}

fn error(e: impl Into<ApiError>) -> ApiGatewayProxyResponse {
    let e = e.into();
    if let ApiError::Internal(reason) = &e {
        tracing::error!(%reason, "websocket route failed");
    }
    let body = json!({"error": {"code": e.code(), "message": e.to_string()}});
    response(e.status().as_u16(), Some(body.to_string()))
}

pub async fn handle(
    app: &LiveConnections,
    event: ApiGatewayWebsocketProxyRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiGatewayProxyResponse {
    let ctx = &event.request_context;
    let id = ctx.connection_id.as_deref().unwrap_or_default();
    match ctx.route_key.as_deref().unwrap_or_default() {
        "$connect" => {
            let ticket = event.query_string_parameters.first("ticket");
            match app.connect(id, ticket, now).await {
                Ok(c) => {
                    tracing::info!(connection = id, tenant_id = %c.tenant, user_id = %c.user, "connected");
                    response(200, None)
                }
                Err(e) => {
                    tracing::info!(connection = id, error = %e, "connection refused");
                    error(e)
                }
            }
        }
        "$disconnect" => match app.disconnect(id).await {
            Ok(()) => response(200, None),
            // The item's TTL cleans up what could not be deleted now.
            Err(e) => error(e),
        },
        _ => response(200, None),
    }
}
