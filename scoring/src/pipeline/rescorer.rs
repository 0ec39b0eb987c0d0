//! Putting jobs back on the scoring queue (one on request, all after a profile change),
//! dead letters and webhook answer deadlines.

use super::*;

/// One attempt that ends `failed`.
#[derive(Debug, Clone, Copy)]
pub struct Failed<'a> {
    pub attempt: u32,
    /// `None` keeps the error noted earlier.
    pub error: Option<&'a str>,
    /// From the scoring message: whose month gets the quota unit back.
    pub reserved_at: Option<DateTime<Utc>>,
}

impl<'a> Failed<'a> {
    /// `attempt` ends failed with `error` noted.
    pub fn of(attempt: &impl Attempt, error: &'a str) -> Self {
        Self {
            attempt: attempt.attempt(),
            error: Some(error),
            reserved_at: attempt.reserved_at(),
        }
    }

    /// `attempt` ends failed, keeping the error noted earlier.
    pub fn quietly(attempt: &impl Attempt) -> Self {
        Self {
            attempt: attempt.attempt(),
            error: None,
            reserved_at: attempt.reserved_at(),
        }
    }
}

/// A message about one scoring attempt: the scoring task, or its webhook answer deadline.
pub trait Attempt {
    fn attempt(&self) -> u32;
    fn reserved_at(&self) -> Option<DateTime<Utc>>;
}

impl Attempt for ScoreTask {
    fn attempt(&self) -> u32 {
        self.attempt
    }
    fn reserved_at(&self) -> Option<DateTime<Utc>> {
        self.reserved_at
    }
}

impl Attempt for AnswerDeadline {
    fn attempt(&self) -> u32 {
        self.attempt
    }
    fn reserved_at(&self) -> Option<DateTime<Utc>> {
        self.reserved_at
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
            .effective(tenant, self.recorder.clock.now())
            .monthly_scored_jobs
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
        let reserved_at = self.recorder.clock.now();
        let period = Period::of(reserved_at);
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
                reserved_at: Some(reserved_at),
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
                let failed = Failed::quietly(&task);
                self.fail_or_retry(task.tenant_id, task.job_id, failed)
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
        let failed = Failed::of(deadline, &error);
        self.fail_or_retry(deadline.tenant_id, deadline.job_id, failed)
            .await
    }

    /// [`Self::fail`] as a queue outcome: a store error retries the message.
    pub(super) async fn fail_or_retry(
        &self,
        tenant: TenantId,
        job: JobId,
        failed: Failed<'_>,
    ) -> Outcome {
        match self.fail(tenant, job, failed).await {
            Ok(()) => Outcome::Done,
            Err(e) => {
                tracing::warn!(error = %e, "job not marked failed; retrying");
                Outcome::Retry
            }
        }
    }

    /// `queued → failed` for this attempt; the quota it held is given back (it was not
    /// scored) to the month it was reserved in. Nothing happens if the job moved on.
    pub async fn fail(
        &self,
        tenant: TenantId,
        job: JobId,
        failed: Failed<'_>,
    ) -> Result<(), StoreError> {
        match self
            .recorder
            .store
            .mark_failed(tenant, job, failed.attempt, failed.error)
            .await?
        {
            Some(card) => {
                // Only a message from before `reserved_at` existed falls back to today.
                let reserved_at = failed
                    .reserved_at
                    .unwrap_or_else(|| self.recorder.clock.now());
                self.quota
                    .release_quota(tenant, &Period::of(reserved_at), 1)
                    .await?;
                self.recorder.job_updated(tenant, card).await;
                if let Some(usage) = self.recorder.usage(tenant).await {
                    self.recorder.live.push(tenant, &[usage]).await;
                }
            }
            None => {
                tracing::info!(%job, attempt = failed.attempt, "job not queued for this attempt; not marked failed")
            }
        }
        Ok(())
    }
}

/// A profile change: stored, then a bulk rescore is queued so the scores follow it. The
/// answer carries warnings from the tenant's recent jobs (terms found in none, must-haves
/// most lack).
pub async fn save_profile(
    rescorer: &Rescorer,
    tenant: TenantId,
    profile: Profile,
) -> Result<super::SavedProfile, ApiError> {
    let profile = validated(profile).map_err(invalid_profile)?;
    let store = &rescorer.recorder.store;
    let previous = store.get_profile(tenant).await?;
    store.put_profile(tenant, &profile).await?;
    if previous.as_ref() != Some(&profile)
        && let Err(e) = rescorer.request_rescore_all(tenant).await
    {
        // The profile is saved; scores catch up on the next rescore. Not worth a 500.
        tracing::error!(error = %e, "bulk rescore not queued after a profile change");
    }
    let warnings = super::warnings::recent_warnings(&*rescorer.jobs, tenant, &profile).await;
    Ok(super::SavedProfile { profile, warnings })
}

/// A profile as `PUT /v1/profile` and the preview accept it: validated, then trimmed.
pub(super) fn validated(profile: Profile) -> Result<Profile, ProfileError> {
    profile.validate()?;
    Ok(profile.trimmed())
}

/// A refused profile as a 400 naming every field at fault.
pub(super) fn invalid_profile(e: ProfileError) -> ApiError {
    ApiError::Validation {
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
    }
}
