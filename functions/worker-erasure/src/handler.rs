//! `worker-erasure`: one erasure message per invocation (`BatchSize: 1`). A body that is
//! not an erasure task can never succeed, so it is logged and dropped; any other failure
//! (Stripe down or hanging, the table throttling) reports the message, which comes back
//! after the visibility timeout and, after its last try, waits in the dead-letter queue
//! (alarmed) for an operator.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::messages::EraseTenantTask;
use shared::services::privacy::ErasureWorker;
use shared::sqs_batch::{Outcome, each_task, message_id};
use tracing::Instrument;

pub async fn handle(worker: &ErasureWorker, event: SqsEvent) -> SqsBatchResponse {
    each_task(
        event,
        1,
        Outcome::Done,
        async |record: &SqsMessage, task: EraseTenantTask| {
            let id = message_id(record);
            let span = tracing::info_span!("erase", tenant_id = %task.tenant_id, pass = task.pass);
            match worker.handle(task).instrument(span).await {
                Ok(step) => {
                    tracing::info!(message_id = %id, ?step, "erasure step");
                    Outcome::Done
                }
                Err(e) => {
                    tracing::error!(message_id = %id, error = %e, "erasure step failed; will be retried");
                    Outcome::Retry
                }
            }
        },
    )
    .await
}
