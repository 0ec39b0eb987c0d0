//! `worker-scorer`: the scoring queue's consumer and, in `worker-scoring-dlq`, its
//! dead-letter queue's. Messages of a batch are handled concurrently (a scorer call is
//! mostly waiting on the network); each one that must come back is reported alone as a
//! batch item failure.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use jobmon_scoring::pipeline::{Delivery, Outcome, Rescorer, ScoringWorker};
use tracing::Instrument;

fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

async fn each(
    event: SqsEvent,
    handle: impl AsyncFn(&SqsMessage, &str) -> Outcome,
) -> SqsBatchResponse {
    let handle = &handle;
    let outcomes = join_all(event.records.iter().map(|record| async move {
        let id = record.message_id.clone().unwrap_or_default();
        let span =
            tracing::info_span!("message", message_id = %id, tenant_id = tracing::field::Empty);
        let outcome = match record.body.as_deref() {
            Some(body) => handle(record, body).instrument(span).await,
            None => {
                tracing::error!(message_id = %id, "message without a body");
                Outcome::Retry
            }
        };
        (id, outcome)
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (id, outcome) in outcomes {
        if outcome == Outcome::Retry {
            response.add_failure(id);
        }
    }
    response
}

pub async fn handle(worker: &ScoringWorker, event: SqsEvent) -> SqsBatchResponse {
    each(event, async |record: &SqsMessage, body: &str| {
        let delivery = Delivery {
            body,
            receive_count: receive_count(record),
            receipt_handle: record.receipt_handle.as_deref(),
        };
        worker.handle(&delivery).await
    })
    .await
}

pub async fn handle_dead_letters(rescorer: &Rescorer, event: SqsEvent) -> SqsBatchResponse {
    each(event, async |_: &SqsMessage, body: &str| {
        rescorer.dead_letter(body).await
    })
    .await
}
