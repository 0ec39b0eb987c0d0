//! `worker-fetcher`: one fetch task per SQS message, with partial batch failures: a
//! message that cannot be parsed or whose storage step failed is reported alone and
//! retried (then dead-lettered); a source's own errors are recorded on the source and the
//! message succeeds, so one broken board never fails the others.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use std::time::{Duration, Instant};

use jobmon_ingest::abandoned::AbandonedFetches;
use jobmon_ingest::fetch::{FetchReport, FetchService, FetchTaskError};
use shared::domain::StoredKind;
use shared::messages::FetchTask;
use shared::sqs_batch::{Outcome, each_task};
use shared::telemetry::{MetricSet, record_tenant};
use tracing::{Instrument, Span};

pub async fn handle(service: &FetchService, event: SqsEvent) -> SqsBatchResponse {
    each_task(
        event,
        1,
        Outcome::Retry,
        async |_: &SqsMessage, task: FetchTask| {
            // The message's span (from each_task) carries the message id; the tenant joins it.
            record_tenant(&Span::current(), task.tenant_id);
            let span = tracing::info_span!("fetch", source_id = %task.source_id);
            let started = Instant::now();
            let result = service.run(&task).instrument(span).await;
            emit_metrics(&task, &result, started.elapsed());
            match result {
                Ok(report) => {
                    tracing::info!(
                        source_id = %task.source_id,
                        fetched = report.fetched,
                        new = report.new,
                        queued = report.queued,
                        pending_upgrade = report.pending_upgrade,
                        not_modified = report.not_modified,
                        error = report.error.as_deref().unwrap_or(""),
                        "fetched"
                    );
                    Outcome::Done
                }
                Err(e) => {
                    tracing::error!(source_id = %task.source_id, error = %e, "fetch task failed; will be retried");
                    Outcome::Retry
                }
            }
        },
    )
    .await
}

/// `worker-fetch-dlq`: each dead-lettered fetch task becomes a failure on its source. A
/// body that is not a fetch task can never be recorded, so it is logged and dropped rather
/// than retried; a storage error is reported and the message comes back.
pub async fn handle_dead_letters(service: &AbandonedFetches, event: SqsEvent) -> SqsBatchResponse {
    each_task(
        event,
        1,
        Outcome::Done,
        async |_: &SqsMessage, task: FetchTask| {
            record_tenant(&Span::current(), task.tenant_id);
            match service.record(&task).await {
                Ok(recorded) => {
                    tracing::info!(
                        source_id = %task.source_id,
                        recorded,
                        "abandoned fetch"
                    );
                    Outcome::Done
                }
                Err(e) => {
                    tracing::error!(source_id = %task.source_id, error = %e, "could not record an abandoned fetch; will be retried");
                    Outcome::Retry
                }
            }
        },
    )
    .await
}

/// One EMF document per fetch (what the source listed, what was new, what was admitted or
/// waits for an upgrade, how long it took) and one per failure, by reason.
fn emit_metrics(task: &FetchTask, result: &Result<FetchReport, FetchTaskError>, took: Duration) {
    let (report, failure) = match result {
        Ok(report) => (report, report.failure_reason),
        Err(FetchTaskError::Busy) => (&FetchReport::default(), Some("busy")),
        Err(FetchTaskError::Store(_) | FetchTaskError::Queue(_)) => {
            (&FetchReport::default(), Some("storage"))
        }
    };
    let kind = report
        .source_kind
        .as_ref()
        .map_or("unknown", StoredKind::as_str);
    let outcome = match (failure, report.skipped, report.not_modified) {
        (Some(_), _, _) => "failed",
        (None, true, _) => "skipped",
        (None, false, true) => "not_modified",
        (None, false, false) => "fetched",
    };
    // By source kind only what the dashboard breaks down by kind: every dimension value
    // multiplies the custom metrics billed. The outcome is a property (Logs Insights).
    MetricSet::new()
        .dimension("source_kind", kind)
        .count("Fetches", 1)
        .count("PostingsSeen", report.fetched)
        .count("PostingsNew", report.new)
        .millis("FetchDuration", took)
        .property("outcome", outcome)
        .tenant(task.tenant_id)
        .emit();
    MetricSet::new()
        .count(
            "PostingsDuplicate",
            report.fetched.saturating_sub(report.new),
        )
        .count("JobsAdmitted", report.queued)
        .count("JobsPendingUpgrade", report.pending_upgrade)
        .property("outcome", outcome)
        .tenant(task.tenant_id)
        .emit();
    if let Some(reason) = failure {
        MetricSet::new()
            .dimension("source_kind", kind)
            .dimension("reason", reason)
            .count("FetchFailures", 1)
            .tenant(task.tenant_id)
            .emit();
    }
}
