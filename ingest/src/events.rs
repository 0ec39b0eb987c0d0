//! Domain events to EventBridge (`JobsCreated`), for integrations and alerting.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::json;
use shared::domain::{SourceId, TenantId};

#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn jobs_created(&self, tenant: TenantId, source: SourceId, count: usize);
}

pub struct EventBridgePublisher {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    /// Best effort: the jobs are stored and queued already; a lost notification is logged.
    async fn jobs_created(&self, tenant: TenantId, source: SourceId, count: usize) {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source("jobmon")
            .detail_type("JobsCreated")
            .detail(json!({"tenantId": tenant, "sourceId": source, "count": count}).to_string())
            .build();
        match self.client.put_events().entries(entry).send().await {
            Ok(out) if out.failed_entry_count() == 0 => {}
            Ok(out) => tracing::warn!(
                failed = out.failed_entry_count(),
                "JobsCreated not accepted"
            ),
            Err(e) => {
                tracing::warn!(error = %shared::adapters::aws::describe(&e), "JobsCreated not published")
            }
        }
    }
}

/// For tests and for deployments without a bus.
pub struct NoEvents;

#[async_trait]
impl EventPublisher for NoEvents {
    async fn jobs_created(&self, _: TenantId, _: SourceId, _: usize) {}
}
