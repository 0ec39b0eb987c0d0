//! `worker-scorer`: the scoring queue's consumer and, in `worker-scoring-dlq`, its
//! dead-letter queue's. Messages of a batch are handled concurrently (a scorer call is
//! mostly waiting on the network); each one that must come back is reported alone as a
//! batch item failure.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use jobmon_scoring::pipeline::{Delivery, Rescorer, ScoringWorker};
use shared::sqs_batch::each;

/// Every message of a batch at once.
const ALL_AT_ONCE: usize = usize::MAX;

fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

pub async fn handle(worker: &ScoringWorker, event: SqsEvent) -> SqsBatchResponse {
    each(
        event,
        ALL_AT_ONCE,
        async |record: &SqsMessage, body: &str| {
            let delivery = Delivery {
                body,
                receive_count: receive_count(record),
                receipt_handle: record.receipt_handle.as_deref(),
            };
            worker.handle(&delivery).await
        },
    )
    .await
}

pub async fn handle_dead_letters(rescorer: &Rescorer, event: SqsEvent) -> SqsBatchResponse {
    each(event, ALL_AT_ONCE, async |_: &SqsMessage, body: &str| {
        rescorer.dead_letter(body).await
    })
    .await
}
