//! `worker-notifier`: the notification queue's consumer. Each message is one `JobScored`
//! event from the EventBridge rule; the queue's batching window (`NotificationBatchSeconds`)
//! gathers the events of a minute into one invocation, and each tenant's are announced
//! together — one e-mail per member, one message per channel, for all of their matches.
//! A message that must come back (its job's send failed in a retryable way, or the table
//! was unreachable) is reported alone, so the queue retries it after its visibility
//! timeout — the back-off — and moves it to the dead-letter queue after five tries. Jobs
//! already announced are skipped on the retry by their markers.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use jobmon_notify::deliver::Deliverer;
use jobmon_notify::digest::{DigestError, DigestRun};
use serde_json::Value;

pub async fn handle(deliverer: &Deliverer, event: SqsEvent) -> SqsBatchResponse {
    let messages: Vec<(String, String)> = event
        .records
        .into_iter()
        .filter_map(|r| Some((r.message_id.unwrap_or_default(), r.body?)))
        .collect();
    let mut response = SqsBatchResponse::default();
    for id in deliverer.handle_batch(&messages).await {
        response.add_failure(id);
    }
    response
}

/// Routes one invocation: an SQS batch (it has `Records`) to [`handle`], anything else —
/// the hourly schedule's event, whose content does not matter — to the digest run.
pub async fn dispatch(
    deliverer: &Deliverer,
    digest: Option<&DigestRun>,
    payload: Value,
) -> Result<Value, String> {
    if payload.get("Records").is_some() {
        let event: SqsEvent = serde_json::from_value(payload).map_err(|e| e.to_string())?;
        return serde_json::to_value(handle(deliverer, event).await).map_err(|e| e.to_string());
    }
    let Some(digest) = digest else {
        tracing::warn!("digest schedule fired but no mail is configured");
        return Ok(Value::Null);
    };
    // A failed run fails the invocation, so the schedule's retry runs the hour again;
    // members already served find their marker.
    let report = match digest.run().await {
        Ok(report) => report,
        Err(e) => {
            if let DigestError::Retryable { report, .. } = &e {
                tracing::warn!(?report, "digest run to be repeated");
            }
            return Err(e.to_string());
        }
    };
    tracing::info!(?report, "digest run");
    serde_json::to_value(report).map_err(|e| e.to_string())
}
