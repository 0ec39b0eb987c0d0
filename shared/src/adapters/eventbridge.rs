//! Domain events to EventBridge (`JobsCreated`, `JobScored`), for integrations and
//! alerting. Rules on the bus route them on; jobmon itself does not consume them.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::{Value, json};

use crate::adapters::SdkClient;
use crate::domain::{JobCard, ScoringEntry, SourceId, TenantId};
use crate::ports::EventPublisher;

pub use aws_sdk_eventbridge::Client;

/// The `source` of every event jobmon publishes.
pub const EVENT_SOURCE: &str = "jobmon";

pub struct EventBridgePublisher {
    client: SdkClient<Client>,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: impl Into<SdkClient<Client>>, bus: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bus: bus.into(),
        }
    }

    /// Best effort: what the event reports is stored already; a lost event is logged.
    async fn publish(&self, detail_type: &str, detail: Value) {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(EVENT_SOURCE)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        match self
            .client
            .get()
            .await
            .put_events()
            .entries(entry)
            .send()
            .await
        {
            Ok(out) if out.failed_entry_count() == 0 => {}
            Ok(out) => tracing::warn!(
                event = detail_type,
                failed = out.failed_entry_count(),
                "event not accepted"
            ),
            Err(e) => {
                tracing::warn!(event = detail_type, error = %super::aws::describe(&e), "event not published")
            }
        }
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn jobs_created(&self, tenant: TenantId, source: SourceId, count: usize) {
        self.publish(
            "JobsCreated",
            json!({"tenantId": tenant, "sourceId": source, "count": count}),
        )
        .await;
    }

    async fn job_scored(&self, tenant: TenantId, card: &JobCard, entry: &ScoringEntry) {
        self.publish("JobScored", job_scored_detail(tenant, card, entry))
            .await;
    }
}

/// The `detail` of a `JobScored` event: the card, the score's reason (what a notification
/// shows), and who scored.
pub fn job_scored_detail(tenant: TenantId, card: &JobCard, entry: &ScoringEntry) -> Value {
    json!({
        "tenantId": tenant,
        "job": card,
        "reason": entry.reason,
        "scorer": entry.scorer,
        "model": entry.model,
    })
}
