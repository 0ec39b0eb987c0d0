//! Queue message bodies. Small, versioned by shape, parsed strictly.

use serde::{Deserialize, Serialize};
use shared::domain::{JobId, SourceId, TenantId};

/// One source to fetch (fetch queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FetchTask {
    pub tenant_id: TenantId,
    pub source_id: SourceId,
    /// `schedule` or `manual`, for logs.
    pub reason: String,
}

/// One job to score (scoring queue). `attempt` makes redelivery idempotent per attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScoreTask {
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub attempt: u32,
}

pub fn to_bodies<T: Serialize>(messages: &[T]) -> Vec<String> {
    messages
        .iter()
        .map(|m| serde_json::to_string(m).expect("message types always serialise"))
        .collect()
}
