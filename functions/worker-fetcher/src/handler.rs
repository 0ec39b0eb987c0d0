//! `worker-fetcher`: one fetch task per SQS message, with partial batch failures: a
//! message that cannot be parsed or whose storage step failed is reported alone and
//! retried (then dead-lettered); a source's own errors are recorded on the source and the
//! message succeeds, so one broken board never fails the others.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use jobmon_ingest::abandoned::AbandonedFetches;
use jobmon_ingest::fetch::FetchService;
use shared::messages::FetchTask;
use tracing::Instrument;

pub async fn handle(service: &FetchService, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let task: FetchTask = match record.body.as_deref().map(serde_json::from_str) {
            Some(Ok(task)) => task,
            Some(Err(e)) => {
                tracing::error!(message_id = %id, error = %e, "unparseable fetch task");
                response.add_failure(id);
                continue;
            }
            None => {
                tracing::error!(message_id = %id, "fetch task without a body");
                response.add_failure(id);
                continue;
            }
        };
        let span = tracing::info_span!("fetch", message_id = %id, tenant_id = %task.tenant_id, source_id = %task.source_id);
        match service.run(&task).instrument(span).await {
            Ok(report) => tracing::info!(
                message_id = %id,
                tenant_id = %task.tenant_id,
                fetched = report.fetched,
                new = report.new,
                queued = report.queued,
                pending_upgrade = report.pending_upgrade,
                not_modified = report.not_modified,
                error = report.error.as_deref().unwrap_or(""),
                "fetched"
            ),
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "fetch task failed; will be retried");
                response.add_failure(id);
            }
        }
    }
    response
}

/// `worker-fetch-dlq`: each dead-lettered fetch task becomes a failure on its source. A
/// body that is not a fetch task can never be recorded, so it is logged and dropped rather
/// than retried; a storage error is reported and the message comes back.
pub async fn handle_dead_letters(service: &AbandonedFetches, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let Some(Ok(task)) = record
            .body
            .as_deref()
            .map(serde_json::from_str::<FetchTask>)
        else {
            tracing::error!(message_id = %id, "dead-lettered fetch message is not a fetch task; dropped");
            continue;
        };
        match service.record(&task).await {
            Ok(recorded) => tracing::info!(
                message_id = %id,
                tenant_id = %task.tenant_id,
                source_id = %task.source_id,
                recorded,
                "abandoned fetch"
            ),
            Err(e) => {
                tracing::error!(message_id = %id, tenant_id = %task.tenant_id, error = %e, "could not record an abandoned fetch; will be retried");
                response.add_failure(id);
            }
        }
    }
    response
}
