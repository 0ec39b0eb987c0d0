//! Pushes to a tenant's WebSockets through the API Gateway management API
//! (`POST @connections/{id}`). Locally `jobmon-local` serves that endpoint.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::delete_connection::DeleteConnectionError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use chrono::Utc;

use crate::adapters::{Sdk, SdkClient};
use crate::domain::TenantId;
use crate::ports::{
    Connection, ConnectionStore, Followup, LiveMessage, LiveNotifier, SocketCloser,
};

pub use aws_sdk_apigatewaymanagement::Client;

pub struct WebSocketNotifier {
    client: SdkClient<Client>,
    connections: Arc<dyn ConnectionStore>,
}

impl WebSocketNotifier {
    /// `endpoint` is the API's management URL, `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
    pub fn new(sdk: impl Into<Sdk>, endpoint: &str, connections: Arc<dyn ConnectionStore>) -> Self {
        let endpoint = endpoint.to_owned();
        let client = SdkClient::lazy(sdk, move |sdk| {
            let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk)
                .endpoint_url(&endpoint)
                .build();
            Client::from_conf(config)
        });
        Self {
            client,
            connections,
        }
    }

    /// Sends every message to one connection; `false` when the connection is gone.
    async fn send(&self, connection: &str, bodies: &[String]) -> bool {
        for body in bodies {
            let result = self
                .client
                .get()
                .await
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

impl WebSocketNotifier {
    /// The tenant's open connections; `None` (logged) when they cannot be listed.
    async fn open_connections(&self, tenant: TenantId) -> Option<Vec<Connection>> {
        match self.connections.connections(tenant, Utc::now()).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "could not list WebSocket connections");
                None
            }
        }
    }

    async fn send_all(&self, connections: &[Connection], messages: &[LiveMessage]) {
        if messages.is_empty() || connections.is_empty() {
            return;
        }
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
        let results = futures_util::future::join_all(sends).await;
        let gone = results.iter().filter(|(_, alive)| !alive).count();
        // The connections are one tenant's (they were listed by it).
        crate::telemetry::MetricSet::new()
            .count("LivePushesSent", results.len() - gone)
            .count("LivePushesGone", gone)
            .tenant(connections[0].tenant)
            .emit();
        for (connection, alive) in results {
            if !alive {
                tracing::info!(connection = %connection.id, "connection gone; forgetting it");
                if let Err(e) = self.connections.remove_connection(&connection.id).await {
                    tracing::warn!(error = %e, "could not forget a gone connection");
                }
            }
        }
    }
}

#[async_trait]
impl SocketCloser for WebSocketNotifier {
    async fn close(&self, connection: &str) {
        let result = self
            .client
            .get()
            .await
            .delete_connection()
            .connection_id(connection)
            .send()
            .await;
        match result {
            Ok(_) => tracing::info!(connection, "socket closed"),
            Err(SdkError::ServiceError(e))
                if matches!(e.err(), DeleteConnectionError::GoneException(_)) => {}
            Err(e) => {
                tracing::warn!(connection, error = %super::aws::describe(&e), "closing a socket failed");
            }
        }
    }
}

#[async_trait]
impl LiveNotifier for WebSocketNotifier {
    async fn push(&self, tenant: TenantId, messages: &[LiveMessage]) {
        if messages.is_empty() {
            return;
        }
        if let Some(connections) = self.open_connections(tenant).await {
            self.send_all(&connections, messages).await;
        }
    }

    async fn push_then(&self, tenant: TenantId, messages: &[LiveMessage], followup: Followup<'_>) {
        let Some(connections) = self.open_connections(tenant).await else {
            return;
        };
        if connections.is_empty() {
            return;
        }
        let mut all = messages.to_vec();
        all.extend(followup.await);
        self.send_all(&connections, &all).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::adapters::MemoryStore;
    use crate::domain::UserId;

    /// A notifier whose pushes go nowhere (a closed port, no retries): only which reads
    /// it makes is under test.
    fn notifier(store: &MemoryStore) -> WebSocketNotifier {
        let sdk = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        WebSocketNotifier::new(&sdk, "http://127.0.0.1:9", Arc::new(store.clone()))
    }

    async fn pushed_then(notifier: &WebSocketNotifier, tenant: TenantId) -> bool {
        let read = AtomicBool::new(false);
        let followup = Box::pin(async {
            read.store(true, Ordering::SeqCst);
            None
        });
        notifier.push_then(tenant, &[], followup).await;
        read.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn the_followup_is_read_only_for_a_tenant_with_an_open_socket() {
        let store = MemoryStore::new();
        let notifier = notifier(&store);
        let tenant = TenantId::new();
        assert!(
            !pushed_then(&notifier, tenant).await,
            "read with no socket open"
        );

        let now = Utc::now();
        let open = |id: &str, tenant| Connection {
            id: id.into(),
            tenant,
            user: UserId::new(),
            connected_at: now,
            expires_at: now + Connection::MAX_LIFETIME,
        };
        store
            .put_connection(&open("other", TenantId::new()))
            .await
            .unwrap();
        assert!(
            !pushed_then(&notifier, tenant).await,
            "another tenant's socket counted"
        );
        store.put_connection(&open("tab", tenant)).await.unwrap();
        assert!(
            pushed_then(&notifier, tenant).await,
            "not read for an open socket"
        );
    }
}
