//! Pushes to a tenant's WebSockets through the API Gateway management API
//! (`POST @connections/{id}`). Locally `jobmon-local` serves that endpoint.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use chrono::Utc;

use crate::domain::TenantId;
use crate::ports::{ConnectionStore, LiveMessage, LiveNotifier};

pub use aws_sdk_apigatewaymanagement::Client;

pub struct WebSocketNotifier {
    client: Client,
    connections: Arc<dyn ConnectionStore>,
}

impl WebSocketNotifier {
    /// `endpoint` is the API's management URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
    pub fn new(
        sdk: &aws_config::SdkConfig,
        endpoint: &str,
        connections: Arc<dyn ConnectionStore>,
    ) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
            connections,
        }
    }

    /// Sends every message to one connection; `false` when the connection is gone.
    async fn send(&self, connection: &str, bodies: &[String]) -> bool {
        for body in bodies {
            let result = self
                .client
                .post_to_connection()
                .connection_id(connection)
                .data(Blob::new(body.as_bytes()))
                .send()
                .await;
            match result {
                Ok(_) => {}
                Err(SdkError::ServiceError(e))
                    if matches!(e.err(), PostToConnectionError::GoneException(_)) =>
                {
                    return false;
                }
                Err(e) => {
                    tracing::warn!(connection, error = %super::aws::describe(&e), "push failed");
                    return true;
                }
            }
        }
        true
    }
}

#[async_trait]
impl LiveNotifier for WebSocketNotifier {
    async fn push(&self, tenant: TenantId, messages: &[LiveMessage]) {
        if messages.is_empty() {
            return;
        }
        let connections = match self.connections.connections(tenant, Utc::now()).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "could not list WebSocket connections");
                return;
            }
        };
        let bodies: Vec<String> = messages
            .iter()
            .map(|m| serde_json::to_string(m).expect("live messages always serialise"))
            .collect();
        // A tenant has a handful of sockets (one per open dashboard tab): send concurrently.
        let bodies = &bodies;
        let sends = connections.iter().map(|c| async move {
            let alive = self.send(&c.id, bodies).await;
            (c, alive)
        });
        for (connection, alive) in futures_util::future::join_all(sends).await {
            if !alive {
                tracing::info!(connection = %connection.id, "connection gone; forgetting it");
                if let Err(e) = self.connections.remove_connection(&connection.id).await {
                    tracing::warn!(error = %e, "could not forget a gone connection");
                }
            }
        }
    }
}
