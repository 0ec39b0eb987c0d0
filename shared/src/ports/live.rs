//! Live updates: WebSocket connections, the messages pushed to them, and domain events for
//! integrations (EventBridge).

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{JobCard, ScoringEntry, SourceId, TenantId, UserId};
use crate::ports::StoreError;

/// An open WebSocket of a signed-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// API Gateway's connection id.
    pub id: String,
    pub tenant: TenantId,
    pub user: UserId,
    pub connected_at: DateTime<Utc>,
    /// API Gateway closes a WebSocket after 2 hours at most; the item outlives that only
    /// until its TTL. Readers ignore expired items (TTL deletion can lag for days).
    pub expires_at: DateTime<Utc>,
}

impl Connection {
    /// API Gateway's hard limit on a WebSocket connection's life.
    pub const MAX_LIFETIME: chrono::Duration = chrono::Duration::hours(2);
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError>;
    /// Forgets a connection by id (all `$disconnect` knows); the tenant it belonged to, if
    /// it was known.
    async fn remove_connection(&self, id: &str) -> Result<Option<TenantId>, StoreError>;
    /// The tenant's connections that have not expired at `now`.
    async fn connections(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Connection>, StoreError>;
}

/// A server → client message (docs/api.md, "WebSocket"): `{"type": ..., "data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum LiveMessage {
    JobScored(JobCard),
    JobUpdated(JobCard),
    JobsCreated {
        #[serde(rename = "sourceId")]
        source_id: SourceId,
        count: usize,
    },
    UsageUpdated {
        #[serde(rename = "scoredJobs")]
        scored_jobs: u32,
        limit: u32,
    },
}

/// Pushes messages to every open connection of a tenant.
#[async_trait]
pub trait LiveNotifier: Send + Sync {
    /// Best effort: what is pushed is already stored, so a failure is logged, never
    /// returned. Connections that are gone are forgotten.
    async fn push(&self, tenant: TenantId, messages: &[LiveMessage]);
    /// [`push`](Self::push) `messages` and then what `followup` yields, which is awaited
    /// only when the tenant has a connection open: a figure that costs reads (the month's
    /// usage after a scoring) is read only for someone who will see it. Without
    /// connections to ask about, the default awaits it always.
    async fn push_then(&self, tenant: TenantId, messages: &[LiveMessage], followup: Followup<'_>) {
        let mut all = messages.to_vec();
        all.extend(followup.await);
        self.push(tenant, &all).await;
    }
}

/// A message read lazily for [`LiveNotifier::push_then`].
pub type Followup<'a> = Pin<Box<dyn Future<Output = Option<LiveMessage>> + Send + 'a>>;

/// Closes WebSockets from the server side (API Gateway's `DELETE @connections/{id}`).
#[async_trait]
pub trait SocketCloser: Send + Sync {
    /// Best effort: a socket already gone is fine, a failure is logged. The caller forgets
    /// the stored connection either way, so nothing is pushed to it any more.
    async fn close(&self, connection_id: &str);
}

/// For functions and tests without live updates.
pub struct NoLiveUpdates;

#[async_trait]
impl SocketCloser for NoLiveUpdates {
    async fn close(&self, _: &str) {}
}

#[async_trait]
impl LiveNotifier for NoLiveUpdates {
    async fn push(&self, _: TenantId, _: &[LiveMessage]) {}
    async fn push_then(&self, _: TenantId, _: &[LiveMessage], _: Followup<'_>) {}
}

/// Domain events for integrations and alerting (EventBridge).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    /// Best effort, like [`LiveNotifier::push`].
    async fn jobs_created(&self, tenant: TenantId, source: SourceId, count: usize);
    /// Best effort. `entry` is the stored scoring: its reason, and who scored (`scorer`,
    /// `model`).
    async fn job_scored(&self, tenant: TenantId, card: &JobCard, entry: &ScoringEntry);
}

/// For tests and for deployments without a bus.
pub struct NoEvents;

#[async_trait]
impl EventPublisher for NoEvents {
    async fn jobs_created(&self, _: TenantId, _: SourceId, _: usize) {}
    async fn job_scored(&self, _: TenantId, _: &JobCard, _: &ScoringEntry) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_the_documented_shape() {
        let source = SourceId::new();
        let created = serde_json::to_value(LiveMessage::JobsCreated {
            source_id: source,
            count: 3,
        })
        .unwrap();
        assert_eq!(
            created,
            serde_json::json!({"type": "jobs_created", "data": {"sourceId": source.to_string(), "count": 3}})
        );
        let usage = serde_json::to_value(LiveMessage::UsageUpdated {
            scored_jobs: 7,
            limit: 100,
        })
        .unwrap();
        assert_eq!(
            usage,
            serde_json::json!({"type": "usage_updated", "data": {"scoredJobs": 7, "limit": 100}})
        );
    }
}
