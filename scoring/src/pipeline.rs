//! The scoring use cases around the scorers: the queue worker, its dead-letter consumer,
//! rescoring (one job, or all after a profile change) and the signed webhook callback.
//!
//! Every path that stores a score goes through [`Recorder::record`]: one transaction
//! writes the history entry and moves the job `queued → scored`, keyed by the job and the
//! attempt, so a repeated delivery or a late answer writes nothing. What follows a stored
//! score (`JobScored` on EventBridge, `job_scored` and `usage_updated` on the tenant's
//! WebSockets) is best effort: the score is already safe.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::domain::{
    Job, JobCard, JobId, JobStatus, Period, PlanCatalog, Profile, ScoringEntry, TenantId,
};
use shared::http::ApiError;
use shared::messages::{
    AnswerDeadline, RescoreAllTask, ScoreTask, ScoringMessage, to_bodies, to_body,
};
use shared::ports::{
    Clock, EventPublisher, JobStore, LiveMessage, LiveNotifier, MAX_SEND_DELAY, QuotaStore,
    Recorded, ReplayMarker, ScoringStore, StoreError, TenantReader, UsageReader, WorkQueue,
};

use crate::config::ConfiguredScorer;
use crate::error::{Disposition, ScoreError};
use crate::job::JobForScoring;
use crate::scorer::Scoring;
use crate::webhook::{Dispatch, WebhookError, WebhookVerifier};

/// Jobs a bulk-rescore message handles before it passes the rest on.
pub const RESCORE_PAGE: u16 = 100;

/// Longest reason kept in the history; scorers are told to be brief, this is the backstop.
const MAX_REASON_CHARS: usize = 2000;

/// Checks what any scorer answered before it is stored: the score is typed 1..=10
/// already; the reason must say something.
pub fn entry_from(
    scoring: &Scoring,
    attempt: u32,
    at: DateTime<Utc>,
) -> Result<ScoringEntry, ScoreError> {
    let reason = scoring.reason.trim();
    if reason.is_empty() {
        return Err(ScoreError::InvalidOutput("the reason is empty".into()));
    }
    Ok(ScoringEntry {
        score: scoring.score,
        reason: reason.chars().take(MAX_REASON_CHARS).collect(),
        scorer: scoring.scorer.to_owned(),
        model: scoring.model.clone(),
        created_at: at,
        attempt,
    })
}

/// Stores scores and tells everyone who listens.
pub struct Recorder {
    pub store: Arc<dyn ScoringStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub usage: Arc<dyn UsageReader>,
    pub live: Arc<dyn LiveNotifier>,
    pub events: Arc<dyn EventPublisher>,
    pub plans: PlanCatalog,
    /// The pipeline's time: the worker and the rescorer read it through their recorder.
    pub clock: Arc<dyn Clock>,
}

impl Recorder {
    pub async fn record(
        &self,
        tenant: TenantId,
        job: JobId,
        entry: &ScoringEntry,
        replay: Option<&ReplayMarker>,
    ) -> Result<Recorded, StoreError> {
        let recorded = self
            .store
            .record_scoring(tenant, job, entry, replay)
            .await?;
        match &recorded {
            Recorded::Scored(card) => {
                self.events
                    .job_scored(tenant, card, &entry.scorer, entry.model.as_deref())
                    .await;
                let mut messages = vec![LiveMessage::JobScored(card.clone())];
                messages.extend(self.usage(tenant).await);
                self.live.push(tenant, &messages).await;
            }
            other => {
                tracing::info!(%job, attempt = entry.attempt, outcome = ?other, "scoring not stored")
            }
        }
        Ok(recorded)
    }

    /// Pushes a card whose status changed without a score (queued, failed).
    pub async fn job_updated(&self, tenant: TenantId, card: JobCard) {
        self.live
            .push(tenant, &[LiveMessage::JobUpdated(card)])
            .await;
    }

    /// The month's usage as `usage_updated` carries it; `None` (logged) if unreadable.
    pub async fn usage(&self, tenant: TenantId) -> Option<LiveMessage> {
        let read = async {
            let Some(t) = self.tenants.get_tenant(tenant).await? else {
                return Ok::<_, StoreError>(None);
            };
            let limit = self
                .plans
                .get(&t.plan)
                .map_or(0, |plan| plan.monthly_scored_jobs);
            let used = self
                .usage
                .scored_jobs(tenant, &Period::of(self.clock.now()))
                .await?;
            Ok(Some(LiveMessage::UsageUpdated {
                scored_jobs: used,
                limit,
            }))
        };
        match read.await {
            Ok(message) => message,
            Err(e) => {
                tracing::warn!(error = %e, "usage not pushed");
                None
            }
        }
    }
}

/// What the worker tells the queue about one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delete it: scored, dropped on purpose, or handed on (webhook, deferred copy).
    Done,
    /// Report it as a batch item failure: SQS delivers it again (after the visibility the
    /// worker set), and after `maxReceiveCount` moves it to the dead-letter queue.
    Retry,
}

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
        let job = match self.jobs.get_job(tenant, task.job_id).await {
            Ok(Some(job)) => job,
            Ok(None) => {
                tracing::warn!(job = %task.job_id, "job no longer exists; message dropped");
                return Outcome::Done;
            }
            Err(e) => {
                tracing::warn!(error = %e, "job unreadable; retrying");
                return Outcome::Retry;
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
            return Outcome::Done;
        }
        let profile = match self.recorder.store.get_profile(tenant).await {
            Ok(p) => p.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(error = %e, "profile unreadable; retrying");
                return Outcome::Retry;
            }
        };
        let posting = JobForScoring::from_job(&job);
        let answer = match &self.scorer {
            ConfiguredScorer::Inline(scorer) => scorer.score(&posting, &profile).await,
            ConfiguredScorer::Webhook(webhook) => {
                match webhook
                    .dispatch(task.job_id, tenant, task.attempt, &posting, &profile)
                    .await
                {
                    // The job stays queued; the result comes to POST /v1/webhooks/scoring,
                    // or the deadline fails the job.
                    Ok(Dispatch::Sent) => {
                        let deadline = AnswerDeadline {
                            tenant_id: tenant,
                            job_id: task.job_id,
                            attempt: task.attempt,
                            // At most a day (`MAX_ANSWER_WITHIN`): no overflow.
                            answer_by: self.recorder.clock.now()
                                + chrono::Duration::from_std(webhook.answer_within())
                                    .unwrap_or_default(),
                        };
                        return self.rescorer.schedule(&deadline).await;
                    }
                    Ok(Dispatch::Scored(scoring)) => Ok(scoring),
                    Err(e) => Err(e),
                }
            }
        };
        let entry = answer
            .and_then(|scoring| entry_from(&scoring, task.attempt, self.recorder.clock.now()));
        match entry {
            Ok(entry) => match self
                .recorder
                .record(tenant, task.job_id, &entry, None)
                .await
            {
                Ok(_) => Outcome::Done,
                Err(e) => {
                    tracing::warn!(error = %e, "score not stored; retrying");
                    Outcome::Retry
                }
            },
            Err(error) => self.scoring_failed(&job, task, delivery, &error).await,
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
            Disposition::Defer { delay } => {
                // A fresh copy with a delay instead of a redelivery: the provider's limit
                // is not this job's fault, and must not walk it to the dead-letter queue.
                let _ = self
                    .recorder
                    .store
                    .note_attempt_error(tenant, task.job_id, task.attempt, &text)
                    .await;
                match self
                    .queue
                    .send_delayed(&to_body(task), delay.min(MAX_SEND_DELAY))
                    .await
                {
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
            Disposition::Fail => {
                self.rescorer
                    .fail_or_retry(tenant, job.card.id, task.attempt, Some(&text))
                    .await
            }
        }
    }
}

/// Puts jobs back on the scoring queue: one on request, all after a profile change.
pub struct Rescorer {
    pub recorder: Arc<Recorder>,
    pub jobs: Arc<dyn JobStore>,
    pub quota: Arc<dyn QuotaStore>,
    pub queue: Arc<dyn WorkQueue>,
}

/// Why a job could not be queued again.
#[derive(Debug, thiserror::Error)]
pub enum RescoreError {
    #[error("not found")]
    NotFound,
    #[error("a `{0}` job cannot be rescored; only scored and failed jobs can")]
    NotRescorable(JobStatus),
    #[error("the job changed meanwhile; try again")]
    Changed,
    #[error("the plan's monthly scoring limit is reached")]
    Quota,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the scoring queue is unavailable: {0}")]
    Queue(String),
}

impl From<RescoreError> for ApiError {
    fn from(e: RescoreError) -> Self {
        match e {
            RescoreError::NotFound => ApiError::NotFound,
            RescoreError::NotRescorable(_) | RescoreError::Changed => {
                ApiError::Conflict(e.to_string())
            }
            RescoreError::Quota => ApiError::PlanLimit(e.to_string()),
            RescoreError::Store(e) => e.into(),
            RescoreError::Queue(reason) => ApiError::Internal(reason),
        }
    }
}

impl Rescorer {
    fn monthly_limit(&self, tenant: &shared::domain::Tenant) -> u32 {
        self.recorder
            .plans
            .get(&tenant.plan)
            .map_or(0, |p| p.monthly_scored_jobs)
    }

    /// Queues one job (`POST /v1/jobs/{id}/rescore`): a rescore is a scoring and counts
    /// against the month's quota.
    pub async fn rescore(&self, tenant: TenantId, job: JobId) -> Result<JobCard, RescoreError> {
        let stored = self
            .jobs
            .get_job(tenant, job)
            .await?
            .ok_or(RescoreError::NotFound)?;
        let status = stored.card.status;
        if !matches!(status, JobStatus::Scored | JobStatus::Failed) {
            return Err(RescoreError::NotRescorable(status));
        }
        let account = self
            .recorder
            .tenants
            .get_tenant(tenant)
            .await?
            .ok_or(RescoreError::NotFound)?;
        let limit = self.monthly_limit(&account);
        let card = self
            .requeue_all(tenant, &[(stored.card, stored.attempt)], limit)
            .await?
            .into_iter()
            .next();
        match card {
            Some(Ok(card)) => {
                self.recorder.job_updated(tenant, card.clone()).await;
                if let Some(usage) = self.recorder.usage(tenant).await {
                    self.recorder.live.push(tenant, &[usage]).await;
                }
                Ok(card)
            }
            Some(Err(e)) => Err(e),
            None => Err(RescoreError::Quota),
        }
    }

    /// Reserves quota for as many of `jobs` as it allows, moves each to `queued` and sends
    /// their messages in batches; a job whose move or message fails is put back and its
    /// quota returned. One result per job that got quota, in order.
    pub(crate) async fn requeue_all(
        &self,
        tenant: TenantId,
        jobs: &[(JobCard, u32)],
        monthly_limit: u32,
    ) -> Result<Vec<Result<JobCard, RescoreError>>, RescoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let period = Period::of(self.recorder.clock.now());
        let want = u32::try_from(jobs.len()).unwrap_or(u32::MAX);
        let granted = self
            .quota
            .reserve_quota(tenant, &period, want, monthly_limit)
            .await? as usize;
        let mut results = Vec::with_capacity(granted);
        let mut queued = Vec::new();
        for (card, attempt) in jobs.iter().take(granted) {
            match self
                .recorder
                .store
                .requeue(tenant, card.id, card.status, *attempt)
                .await
            {
                Ok(Some(new)) => {
                    queued.push((new.clone(), card.status, attempt + 1));
                    results.push(Ok(new));
                }
                Ok(None) => results.push(Err(RescoreError::Changed)),
                Err(e) => results.push(Err(e.into())),
            }
        }
        let tasks: Vec<ScoreTask> = queued
            .iter()
            .map(|(card, _, attempt)| ScoreTask {
                tenant_id: tenant,
                job_id: card.id,
                attempt: *attempt,
            })
            .collect();
        if let Err(e) = self.queue.send_all(&to_bodies(&tasks)).await {
            // Put the jobs back as they were: nothing will score them.
            for (card, previous, attempt) in &queued {
                if let Err(e) = self
                    .recorder
                    .store
                    .unqueue(tenant, card.id, *attempt, *previous)
                    .await
                {
                    tracing::error!(job = %card.id, error = %e, "job left queued without a message");
                }
            }
            for r in &mut results {
                if r.is_ok() {
                    *r = Err(RescoreError::Queue(e.to_string()));
                }
            }
        }
        let unused = results.iter().filter(|r| r.is_err()).count();
        if unused > 0 {
            self.quota
                .release_quota(tenant, &period, u32::try_from(unused).unwrap_or(0))
                .await?;
        }
        Ok(results)
    }

    /// One page of a bulk rescore; sends the continuation when the page was full.
    pub async fn rescore_page(&self, task: &RescoreAllTask) -> Result<(), RescoreError> {
        let tenant = task.tenant_id;
        let Some(account) = self.recorder.tenants.get_tenant(tenant).await? else {
            return Ok(());
        };
        let cards = self
            .recorder
            .store
            .job_cards_after(tenant, task.after, RESCORE_PAGE)
            .await?;
        let last = cards.last().map(|(c, _)| c.id);
        let full = cards.len() == usize::from(RESCORE_PAGE);
        let due: Vec<(JobCard, u32)> = cards
            .into_iter()
            .filter(|(card, _)| match card.status {
                JobStatus::Scored => card.scored_at.is_none_or(|at| at < task.requested_at),
                JobStatus::Failed => true,
                _ => false,
            })
            .collect();
        let results = self
            .requeue_all(tenant, &due, self.monthly_limit(&account))
            .await?;
        let queued = results.iter().filter(|r| r.is_ok()).count();
        let out_of_quota = results.len() < due.len();
        tracing::info!(queued, due = due.len(), out_of_quota, "bulk rescore page");
        if queued > 0
            && let Some(usage) = self.recorder.usage(tenant).await
        {
            self.recorder.live.push(tenant, &[usage]).await;
        }
        if full && !out_of_quota {
            let next = RescoreAllTask {
                tenant_id: tenant,
                requested_at: task.requested_at,
                after: last,
            };
            self.queue
                .send_all(&[to_body(&next)])
                .await
                .map_err(|e| RescoreError::Queue(e.to_string()))?;
        }
        Ok(())
    }

    /// The dead-letter queue's consumer: a scoring message that kept failing marks its job
    /// `failed` (with the last error noted) so the user sees it and can rescore.
    pub async fn dead_letter(&self, body: &str) -> Outcome {
        match serde_json::from_str::<ScoringMessage>(body) {
            Ok(ScoringMessage::Score(task)) => {
                self.fail_or_retry(task.tenant_id, task.job_id, task.attempt, None)
                    .await
            }
            Ok(ScoringMessage::AnswerDeadline(deadline)) => self.answer_due(&deadline).await,
            Ok(ScoringMessage::RescoreAll(task)) => {
                tracing::error!(tenant = %task.tenant_id, "bulk rescore gave up after repeated failures");
                Outcome::Done
            }
            Err(e) => {
                tracing::error!(error = %e, %body, "poison message dropped from the dead-letter queue");
                Outcome::Done
            }
        }
    }

    /// Asks for a bulk rescore (after a profile change).
    pub async fn request_rescore_all(&self, tenant: TenantId) -> Result<(), RescoreError> {
        let task = RescoreAllTask {
            tenant_id: tenant,
            requested_at: self.recorder.clock.now(),
            after: None,
        };
        self.queue
            .send_all(&[to_body(&task)])
            .await
            .map_err(|e| RescoreError::Queue(e.to_string()))
    }

    /// Puts the deadline on the queue, delayed until it is due (or by SQS's longest delay;
    /// it then comes back early and goes round again). If it cannot be sent the message is
    /// retried: the webhook may then see the job twice, and its second answer is a duplicate.
    pub async fn schedule(&self, deadline: &AnswerDeadline) -> Outcome {
        let wait = (deadline.answer_by - self.recorder.clock.now())
            .to_std()
            .unwrap_or_default();
        // Whole seconds, rounded up: SQS delays are whole seconds, and an early arrival
        // would only go round again.
        let wait = Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        match self
            .queue
            .send_delayed(&to_body(deadline), wait.min(MAX_SEND_DELAY))
            .await
        {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(error = %e, job = %deadline.job_id, "answer deadline not scheduled; retrying");
                Outcome::Retry
            }
        }
    }

    /// A webhook answer's deadline: not yet due → back on the scoring queue; due and the
    /// job still waits for that attempt → `failed` (rescorable, its quota returned);
    /// otherwise the answer came in time and nothing happens. The worker and the
    /// dead-letter consumer both come here: a deadline that reached the dead-letter queue
    /// early (its re-sends failed) must not fail a job whose answer may still come.
    pub async fn answer_due(&self, deadline: &AnswerDeadline) -> Outcome {
        shared::telemetry::logs::record_tenant(&tracing::Span::current(), deadline.tenant_id);
        if self.recorder.clock.now() < deadline.answer_by {
            return self.schedule(deadline).await;
        }
        let error = format!(
            "the scoring webhook did not answer by {}",
            deadline
                .answer_by
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        self.fail_or_retry(
            deadline.tenant_id,
            deadline.job_id,
            deadline.attempt,
            Some(&error),
        )
        .await
    }

    /// [`Self::fail`] as a queue outcome: a store error retries the message.
    async fn fail_or_retry(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: Option<&str>,
    ) -> Outcome {
        match self.fail(tenant, job, attempt, error).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(error = %e, "job not marked failed; retrying");
                Outcome::Retry
            }
        }
    }

    /// `queued → failed` for this attempt; the quota it held is given back (it was not
    /// scored). Nothing happens if the job moved on.
    pub async fn fail(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        match self
            .recorder
            .store
            .mark_failed(tenant, job, attempt, error)
            .await?
        {
            Some(card) => {
                self.quota
                    .release_quota(tenant, &Period::of(self.recorder.clock.now()), 1)
                    .await?;
                self.recorder.job_updated(tenant, card).await;
                if let Some(usage) = self.recorder.usage(tenant).await {
                    self.recorder.live.push(tenant, &[usage]).await;
                }
            }
            None => {
                tracing::info!(%job, attempt, "job not queued for this attempt; not marked failed")
            }
        }
        Ok(())
    }
}

/// `POST /v1/webhooks/scoring`: a signed result from an external scorer.
pub struct WebhookCallback {
    pub recorder: Arc<Recorder>,
    pub verifier: WebhookVerifier,
}

impl WebhookCallback {
    /// `200 {"status": "scored" | "duplicate"}` on success.
    pub async fn accept(
        &self,
        signature: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<&'static str, ApiError> {
        let result = self
            .verifier
            .verify(signature, body, now)
            .map_err(|e| match e {
                WebhookError::Unauthorized(reason) => {
                    tracing::warn!(%reason, "scoring webhook refused");
                    ApiError::Unauthorized
                }
                WebhookError::InvalidBody(reason) => ApiError::Validation {
                    message: format!("invalid scoring result: {reason}"),
                    details: None,
                },
                WebhookError::TooLarge => ApiError::PayloadTooLarge,
            })?;
        shared::telemetry::logs::record_tenant(&tracing::Span::current(), result.tenant_id);
        let at = DateTime::from_timestamp(now, 0).unwrap_or_else(|| self.recorder.clock.now());
        let entry = entry_from(&result.scoring(), result.attempt, at)
            .map_err(|e| ApiError::validation("reason", e.to_string()))?;
        let replay = ReplayMarker {
            key: result.replay_key(),
            expires_at: result.replay_expires_at(),
        };
        match self
            .recorder
            .record(result.tenant_id, result.job_id, &entry, Some(&replay))
            .await?
        {
            Recorded::Scored(_) => Ok("scored"),
            Recorded::AlreadyScored => Ok("duplicate"),
            Recorded::Replayed => Err(ApiError::Unauthorized),
            Recorded::NotAwaited => Err(ApiError::Conflict(
                "the job is not waiting for a score of this attempt".into(),
            )),
        }
    }
}

/// A profile change: stored, then a bulk rescore is queued so the scores follow it.
pub async fn save_profile(
    rescorer: &Rescorer,
    tenant: TenantId,
    profile: Profile,
) -> Result<Profile, ApiError> {
    profile.validate().map_err(|e| ApiError::Validation {
        message: e.to_string(),
        details: Some(serde_json::Value::Object(
            e.0.iter()
                .map(|f| {
                    (
                        f.field.clone(),
                        serde_json::Value::String(f.message.clone()),
                    )
                })
                .collect(),
        )),
    })?;
    let profile = profile.trimmed();
    let store = &rescorer.recorder.store;
    let previous = store.get_profile(tenant).await?;
    store.put_profile(tenant, &profile).await?;
    if previous.as_ref() != Some(&profile)
        && let Err(e) = rescorer.request_rescore_all(tenant).await
    {
        // The profile is saved; scores catch up on the next rescore. Not worth a 500.
        tracing::error!(error = %e, "bulk rescore not queued after a profile change");
    }
    Ok(profile)
}
