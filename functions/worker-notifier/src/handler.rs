//! `worker-notifier`: the notification queue's consumer. Each message is one `JobScored`
//! event from the EventBridge rule; messages of a batch are handled concurrently, and one
//! that must come back (a channel failed in a retryable way, or the table was unreachable)
//! is reported alone, so the queue retries it after its visibility timeout — the back-off
//! — and moves it to the dead-letter queue after five tries. Channels already served are
//! skipped on the retry by their markers.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures_util::future::join_all;
use jobmon_notify::deliver::{Deliverer, Disposition};
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
