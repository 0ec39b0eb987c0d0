//! `worker-erasure`: one erasure message per invocation (`BatchSize: 1`). A body that is
//! not an erasure task can never succeed, so it is logged and dropped; any other failure
//! (Stripe down or hanging, the table throttling) reports the message, which comes back
//! after the visibility timeout and, after its last try, waits in the dead-letter queue
//! (alarmed) for an operator.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use shared::messages::EraseTenantTask;
use shared::services::privacy::ErasureWorker;
use tracing::Instrument;

pub async fn handle(worker: &ErasureWorker, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let Some(Ok(task)) = record
            .body
            .as_deref()
            .map(serde_json::from_str::<EraseTenantTask>)
        else {
            tracing::error!(message_id = %id, "not an erasure task; dropped");
            continue;
        };
        let span = tracing::info_span!("erase", message_id = %id, tenant_id = %task.tenant_id, pass = task.pass);
        match worker.handle(task).instrument(span).await {
            Ok(step) => tracing::info!(message_id = %id, ?step, "erasure step"),
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "erasure step failed; will be retried");
                response.add_failure(id);
            }
        }
    }
    response
}
