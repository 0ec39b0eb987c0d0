//! Queue message bodies. Small, versioned by shape, parsed strictly.

use crate::domain::{JobId, SourceId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
    /// When this attempt's quota unit was reserved. A failed job gives its unit back to
    /// that month, and provider deferrals stop a fixed time after it. The message carries
    /// it because the message, like the reservation, exists once per attempt; messages
    /// sent before it existed lack it, and the worker then counts from their first
    /// deferral.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_at: Option<DateTime<Utc>>,
}

/// Rescore every scored or failed job of a tenant (scoring queue), sent after a profile
/// change. The worker handles a page of jobs per message and sends the rest on as a new
/// message with `after` set, so no single invocation grows with the tenant's size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescoreAllTask {
    pub tenant_id: TenantId,
    /// Jobs scored after this already used the new profile and are skipped.
    pub requested_at: DateTime<Utc>,
    /// The last job of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<JobId>,
}

/// Sent (delayed) when a job goes out to the webhook scorer: if the job still waits for
/// that attempt's answer at `answer_by`, it becomes `failed` rather than `queued` for ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnswerDeadline {
    pub tenant_id: TenantId,
    pub job_id: JobId,
    pub attempt: u32,
    pub answer_by: DateTime<Utc>,
    /// The scoring task's `reserved_at`, so a missed deadline returns the unit to the
    /// month it was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_at: Option<DateTime<Utc>>,
}

/// What the scoring queue carries. Untagged: the shapes differ in their fields, and each
/// refuses fields it does not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ScoringMessage {
    Score(ScoreTask),
    RescoreAll(RescoreAllTask),
    AnswerDeadline(AnswerDeadline),
}

pub fn to_bodies<T: Serialize>(messages: &[T]) -> Vec<String> {
    messages
        .iter()
        .map(|m| serde_json::to_string(m).expect("message types always serialise"))
        .collect()
}

pub fn to_body<T: Serialize>(message: &T) -> String {
    serde_json::to_string(message).expect("message types always serialise")
}

/// Erase every item of a tenant (erasure queue). Sent once by `DELETE /v1/tenant`; the
/// worker walks the table a page at a time and sends the rest on as a new message with
/// `position` set, so a killed worker's message is simply done again from its position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EraseTenantTask {
    pub tenant_id: TenantId,
    /// The members' normalised addresses, read before their user items go.
    pub emails: Vec<String>,
    /// The Stripe subscription to cancel before anything is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// When `DELETE /v1/tenant` was answered; the worker logs how long the erasure took.
    pub requested_at: DateTime<Utc>,
    /// 1: the walk right after the request; 2: the walk 15 minutes later, which removes
    /// what an access token still alive or a worker in flight wrote meanwhile.
    pub pass: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scoring_queue_tells_its_messages_apart() {
        let tenant = TenantId::new();
        let job = JobId::new();
        let score = format!(r#"{{"tenantId":"{tenant}","jobId":"{job}","attempt":2}}"#);
        assert_eq!(
            serde_json::from_str::<ScoringMessage>(&score).unwrap(),
            ScoringMessage::Score(ScoreTask {
                tenant_id: tenant,
                job_id: job,
                attempt: 2,
                reserved_at: None,
            })
        );
        let reserved = format!(
            r#"{{"tenantId":"{tenant}","jobId":"{job}","attempt":2,"reservedAt":"2026-10-31T23:59:00Z"}}"#
        );
        assert!(matches!(
            serde_json::from_str::<ScoringMessage>(&reserved).unwrap(),
            ScoringMessage::Score(ScoreTask { reserved_at: Some(at), .. })
                if at.to_rfc3339() == "2026-10-31T23:59:00+00:00"
        ));
        let all = format!(r#"{{"tenantId":"{tenant}","requestedAt":"2026-11-28T10:00:00Z"}}"#);
        assert!(matches!(
            serde_json::from_str::<ScoringMessage>(&all).unwrap(),
            ScoringMessage::RescoreAll(RescoreAllTask { after: None, .. })
        ));
        let deadline = format!(
            r#"{{"tenantId":"{tenant}","jobId":"{job}","attempt":3,"answerBy":"2026-11-28T10:15:00Z"}}"#
        );
        assert!(matches!(
            serde_json::from_str::<ScoringMessage>(&deadline).unwrap(),
            ScoringMessage::AnswerDeadline(AnswerDeadline { attempt: 3, .. })
        ));
        for bad in [
            "{}".to_owned(),
            "not json".to_owned(),
            format!(r#"{{"tenantId":"{tenant}","jobId":"{job}","attempt":-1}}"#),
            format!(r#"{{"tenantId":"{tenant}","jobId":"{job}","attempt":1,"extra":1}}"#),
        ] {
            assert!(
                serde_json::from_str::<ScoringMessage>(&bad).is_err(),
                "{bad}"
            );
        }
    }
}
