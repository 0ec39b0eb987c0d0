//! `worker-notifier`: the notification queue's consumer. Each message is one `JobScored`
//! event from the EventBridge rule; messages of a batch are handled concurrently, and one
//! that must come back (a channel failed in a retryable way, or the table was unreachable)
//! is reported alone, so the queue retries it after its visibility timeout — the back-off
//! — and moves it to the dead-letter queue after five tries. Channels already served are
//! skipped on the retry by their markers.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures_util::future::join_all;
use jobmon_notify::deliver::{Deliverer, Disposition};
use jobmon_notify::digest::DigestRun;
use serde_json::Value;
use tracing::Instrument;

pub async fn handle(deliverer: &Deliverer, event: SqsEvent) -> SqsBatchResponse {
    let outcomes = join_all(event.records.iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id);
        let retry = match record.body.as_deref() {
            Some(body) => match deliverer.handle(body).instrument(span).await {
                Ok(Disposition::Done) => false,
                Ok(Disposition::Retry) => true,
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "notification store unavailable");
                    true
                }
            },
            None => false,
        };
        (id, retry)
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (id, retry) in outcomes {
        if retry {
            response.add_failure(id);
        }
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
    // A store failure fails the invocation, so the schedule's retry runs the hour again;
    // members already served find their marker.
    let report = digest.run().await.map_err(|e| e.to_string())?;
    tracing::info!(?report, "digest run");
    serde_json::to_value(report).map_err(|e| e.to_string())
}
