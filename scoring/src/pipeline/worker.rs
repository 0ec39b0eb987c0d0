//! The scoring queue's consumer: one message, one job, one scorer call at most.

use super::deferral::Deferral;
use super::rescorer::Failed;
use super::*;

/// What the worker tells the queue about one message: `Done` when scored, dropped on
/// purpose or handed on (webhook, deferred copy); `Retry` to have SQS deliver it again
/// (after the visibility the worker set), or dead-letter it after `maxReceiveCount`.
pub use shared::sqs_batch::Outcome;

/// One received message: its body and what SQS says about it.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    pub body: &'a str,
    /// `ApproximateReceiveCount`, from 1.
    pub receive_count: u32,
    pub receipt_handle: Option<&'a str>,
}

/// The scoring queue's consumer.
pub struct ScoringWorker {
    pub recorder: Arc<Recorder>,
    pub jobs: Arc<dyn JobStore>,
    pub rescorer: Arc<Rescorer>,
    pub queue: Arc<dyn WorkQueue>,
    pub scorer: ConfiguredScorer,
    /// How long provider deferrals may go on (see [`super::deferral`]).
    pub defer_limit: Duration,
}

impl ScoringWorker {
    pub async fn handle(&self, delivery: &Delivery<'_>) -> Outcome {
        match serde_json::from_str::<ScoringMessage>(delivery.body) {
            Ok(ScoringMessage::Score(task)) => self.score(&task, delivery).await,
            Ok(ScoringMessage::RescoreAll(task)) => match self.rescorer.rescore_page(&task).await {
                Ok(()) => Outcome::Done,
                Err(e) => {
                    tracing::warn!(error = %e, "bulk rescore page failed; retrying");
                    Outcome::Retry
                }
            },
            Ok(ScoringMessage::AnswerDeadline(deadline)) => {
                self.rescorer.answer_due(&deadline).await
            }
            Err(e) => {
                // Fails alone: the rest of the batch goes on; after its retries the DLQ
                // consumer logs it and drops it.
                tracing::error!(error = %e, body = %delivery.body, "unparseable scoring message");
                Outcome::Retry
            }
        }
    }

    async fn score(&self, task: &ScoreTask, delivery: &Delivery<'_>) -> Outcome {
        let tenant = task.tenant_id;
        shared::telemetry::logs::record_tenant(&tracing::Span::current(), tenant);
        let job = match self.waiting_job(task).await {
            Ok(job) => job,
            Err(outcome) => return outcome,
        };
        // A second pass only when the profile this instance kept was saved meanwhile.
        for pass in 1..=2 {
            let profile = match self.recorder.profile(tenant).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "profile unreadable; retrying");
                    return Outcome::Retry;
                }
            };
            let started = std::time::Instant::now();
            let answer = match self.ask(task, &job, &profile.profile).await {
                Ok(answer) => answer,
                Err(handed_on) => return handed_on,
            };
            emit_scoring_metrics(tenant, &answer, started.elapsed());
            let entry = answer
                .and_then(|scoring| entry_from(&scoring, task.attempt, self.recorder.clock.now()));
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => return self.scoring_failed(&job, task, delivery, &error).await,
            };
            match self
                .recorder
                .record_read(tenant, &job.card, &entry, profile.version)
                .await
            {
                Ok(Recorded::StaleProfile) => {
                    tracing::info!(job = %task.job_id, pass, "profile saved while scoring; scoring with the new one");
                }
                Ok(_) => return Outcome::Done,
                Err(e) => {
                    tracing::warn!(error = %e, "score not stored; retrying");
                    return Outcome::Retry;
                }
            }
        }
        tracing::warn!(job = %task.job_id, "profile saved twice while scoring; retrying");
        Outcome::Retry
    }

    /// The job `task` is for, while it still waits for this attempt; else what to tell
    /// the queue.
    async fn waiting_job(&self, task: &ScoreTask) -> Result<Job, Outcome> {
        let job = match self.jobs.get_job(task.tenant_id, task.job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                tracing::warn!(job = %task.job_id, "job no longer exists; message dropped");
                return Err(Outcome::Done);
            }
            Err(e) => {
                tracing::warn!(error = %e, "job unreadable; retrying");
                return Err(Outcome::Retry);
            }
        };
        if job.card.status != JobStatus::Queued || job.attempt != task.attempt {
            // Archived, rescored again or already scored: nothing waits for this message.
            tracing::info!(
                job = %task.job_id,
                status = %job.card.status,
                attempt = task.attempt,
                current = job.attempt,
                "job not waiting for this attempt; message dropped"
            );
            return Err(Outcome::Done);
        }
        Ok(job)
    }

    /// The scorer's answer, or, when the job went to a webhook that answers later, what
    /// to tell the queue.
    async fn ask(
        &self,
        task: &ScoreTask,
        job: &Job,
        profile: &Profile,
    ) -> Result<Result<Scoring, ScoreError>, Outcome> {
        let posting = JobForScoring::from_job(job);
        let webhook = match &self.scorer {
            ConfiguredScorer::Inline(scorer) => return Ok(scorer.score(&posting, profile).await),
            ConfiguredScorer::Webhook(webhook) => webhook,
        };
        match webhook
            .dispatch(task.job_id, task.tenant_id, task.attempt, &posting, profile)
            .await
        {
            // The job stays queued; the result comes to POST /v1/webhooks/scoring, or the
            // deadline fails the job.
            Ok(Dispatch::Sent) => {
                let deadline = AnswerDeadline {
                    tenant_id: task.tenant_id,
                    job_id: task.job_id,
                    attempt: task.attempt,
                    // At most a day (`MAX_ANSWER_WITHIN`): no overflow.
                    answer_by: self.recorder.clock.now()
                        + chrono::Duration::from_std(webhook.answer_within()).unwrap_or_default(),
                    reserved_at: task.reserved_at,
                };
                Err(self.rescorer.schedule(&deadline).await)
            }
            Ok(Dispatch::Scored(scoring)) => Ok(Ok(scoring)),
            Err(e) => Ok(Err(e)),
        }
    }

    async fn scoring_failed(
        &self,
        job: &Job,
        task: &ScoreTask,
        delivery: &Delivery<'_>,
        error: &ScoreError,
    ) -> Outcome {
        let tenant = task.tenant_id;
        let text = error.to_string();
        let disposition = error.disposition(delivery.receive_count);
        tracing::warn!(job = %task.job_id, attempt = task.attempt, receive_count = delivery.receive_count, error = %text, ?disposition, "scoring failed");
        match disposition {
            Disposition::Retry { delay } => {
                if let Err(e) = self
                    .recorder
                    .store
                    .note_attempt_error(tenant, task.job_id, task.attempt, &text)
                    .await
                {
                    tracing::warn!(error = %e, "attempt error not noted");
                }
                if let Some(receipt) = delivery.receipt_handle
                    && let Err(e) = self.queue.retry_later(receipt, delay).await
                {
                    tracing::warn!(error = %e, "retry delay not set; the queue's visibility timeout applies");
                }
                Outcome::Retry
            }
            Disposition::Defer { delay } => self.defer(task, delivery, &text, delay).await,
            Disposition::Fail => {
                let failed = Failed::of(task, &text);
                self.rescorer
                    .fail_or_retry(tenant, job.card.id, failed)
                    .await
            }
        }
    }

    /// The provider's limit, not this job's fault: a fresh delayed copy, which must not
    /// walk it to the dead-letter queue, until the cap fails the job.
    async fn defer(
        &self,
        task: &ScoreTask,
        delivery: &Delivery<'_>,
        text: &str,
        delay: Duration,
    ) -> Outcome {
        let now = self.recorder.clock.now();
        let (delay, copy) = match Deferral::decide(task, text, delay, self.defer_limit, now) {
            Deferral::Wait { delay, task } => (delay, task),
            Deferral::GiveUp { reason } => {
                tracing::warn!(job = %task.job_id, %reason, "provider deferrals capped; job failed");
                let failed = Failed::of(task, &reason);
                return self
                    .rescorer
                    .fail_or_retry(task.tenant_id, task.job_id, failed)
                    .await;
            }
        };
        let _ = self
            .recorder
            .store
            .note_attempt_error(task.tenant_id, task.job_id, task.attempt, text)
            .await;
        match self.queue.send_delayed(&to_body(&copy), delay).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(error = %e, "deferred copy not sent; redelivering instead");
                if let Some(receipt) = delivery.receipt_handle {
                    let _ = self.queue.retry_later(receipt, delay).await;
                }
                Outcome::Retry
            }
        }
    }
}

/// The scorer's answer: its latency by scorer, or the failure by reason.
fn emit_scoring_metrics(tenant: TenantId, answer: &Result<Scoring, ScoreError>, took: Duration) {
    let set = shared::telemetry::MetricSet::new();
    match answer {
        Ok(scoring) => set
            .dimension("scorer", scoring.scorer)
            .count("Scorings", 1)
            .millis("ScoringLatency", took),
        Err(error) => set
            .dimension("reason", error.reason())
            .count("ScoringFailures", 1)
            .millis("FailedScoringLatency", took),
    }
    .tenant(tenant)
    .emit();
}
