//! `worker-erasure`: one erasure message per invocation (`BatchSize: 1`). A body that is
//! not an erasure task can never succeed, so it is logged and dropped; any other failure
//! (Stripe down or hanging, the table throttling) reports the message, which comes back
//! after the visibility timeout and, after its last try, waits in the dead-letter queue
//! (alarmed) for an operator.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use shared::messages::EraseTenantTask;
use shared::services::privacy::ErasureWorker;
use shared::sqs_batch::{Outcome, each_task};
use shared::telemetry::record_tenant;
use tracing::Span;

pub async fn handle(worker: &ErasureWorker, event: SqsEvent) -> SqsBatchResponse {
    each_task(
        event,
        1,
        Outcome::Done,
        async |_: &SqsMessage, task: EraseTenantTask| {
            // The message's span (from each_task) carries the message id; the tenant joins it.
            record_tenant(&Span::current(), task.tenant_id);
            let pass = task.pass;
            match worker.handle(task).await {
                Ok(step) => {
                    tracing::info!(pass, ?step, "erasure step");
                    Outcome::Done
                }
                Err(e) => {
                    tracing::error!(pass, error = %e, "erasure step failed; will be retried");
                    Outcome::Retry
                }
            }
        },
    )
    .await
}
