//! One fetch task: fetch the source, keep only postings the tenant does not know, store
//! them, admit as many as the month's quota allows to scoring and park the rest as
//! `pending_upgrade`, then record how the fetch went on the source.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jobmon_connectors::{FetchOutcome, Posting, SourceConfig, SourceError};
use shared::domain::fingerprint::posting_fingerprint;
use shared::domain::{
    Job, JobCard, JobId, JobStatus, Plan, PlanCatalog, Source, SourceKind, StoredKind,
};
use shared::ports::{
    AdmissionStore, Clock, IngestStore, KnownCheck, PostingKeys, QuotaStore, SourceStore,
    StoreError, TenantReader, WorkQueue,
};

use crate::connector::SourceConnector;
use crate::next_fetch_after;
use shared::messages::FetchTask;
use shared::ports::{EventPublisher, LiveMessage, LiveNotifier};

/// Most jobs one admission names (its marker stays far below DynamoDB's 400 KB item
/// limit); the rest of a larger fetch waits as `pending_upgrade`.
pub const MAX_ADMISSION: usize = 1_000;

/// After this many consecutive failures a source is disabled, with the reason shown.
pub const MAX_CONSECUTIVE_FAILURES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchTaskError {
    /// Storage or queue trouble: the message is retried (then dead-lettered).
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] shared::ports::QueueError),
    /// Another fetch of the tenant kept the ingest lease; the message comes back later.
    #[error("another fetch of this tenant is storing jobs; will retry")]
    Busy,
}

/// How long one fetch may hold the tenant's ingest lease (it is released at once when
/// done; the expiry only matters if the function dies holding it).
const LEASE_SECS: i64 = 120;
/// How long a fetch waits for the lease before handing the message back to the queue.
const LEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// What storing a fetch's postings did.
#[derive(Debug, Default)]
pub(crate) struct Stored {
    new: usize,
    queued: usize,
    /// Native ids of the postings the tenant did not know before this fetch.
    pub(crate) fresh: HashSet<String>,
}

/// What one task did, for logs, metrics and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchReport {
    pub fetched: usize,
    pub new: usize,
    pub queued: usize,
    pub pending_upgrade: usize,
    pub not_modified: bool,
    /// Jobs whose posting vanished from the source in this fetch.
    pub closed: usize,
    /// Closed jobs whose posting the source lists again.
    pub reopened: usize,
    pub error: Option<String>,
    /// [`SourceError::reason`] of `error`: the failure's metric dimension.
    pub failure_reason: Option<&'static str>,
    /// The source's kind; `None` when the fetch was skipped.
    pub source_kind: Option<StoredKind>,
    pub skipped: bool,
}

pub struct FetchService {
    pub sources: Arc<dyn SourceStore>,
    pub ingest: Arc<dyn IngestStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub quota: Arc<dyn QuotaStore>,
    pub admissions: Arc<dyn AdmissionStore>,
    pub scoring_queue: Arc<dyn WorkQueue>,
    pub events: Arc<dyn EventPublisher>,
    pub live: Arc<dyn LiveNotifier>,
    pub fetcher: Arc<dyn SourceConnector>,
    pub plans: PlanCatalog,
    pub clock: Arc<dyn Clock>,
    /// Successful fetches in a row a posting must be missing from before its job closes
    /// (see [`crate::closing`]).
    pub close_after_absences: u32,
}

fn job_from(posting: &Posting, source: &Source, status: JobStatus, now: DateTime<Utc>) -> Job {
    Job {
        tenant_id: source.tenant_id,
        card: JobCard {
            id: JobId::new(),
            title: posting.title.clone(),
            company: posting.company.clone(),
            location: posting.location.clone(),
            remote: posting.remote,
            url: posting.url.clone(),
            source_id: source.id,
            status,
            score: None,
            created_at: now,
            scored_at: None,
            closed_at: None,
            stage: None,
            stage_changed_at: None,
            salary: posting.salary.clone(),
            work_mode: Some(jobmon_scoring::work_mode(
                posting.remote,
                &posting.title,
                &posting.location,
                &posting.description_text,
            )),
        },
        description: posting.description_text.clone(),
        native_id: Some(posting.native_id.clone()).filter(|id| !id.is_empty()),
        fingerprint: posting_fingerprint(&posting.company, &posting.title, &posting.location),
        salary: posting.salary.clone(),
        // The fetcher sends attempt 1 for every job it queues.
        attempt: u32::from(status == JobStatus::Queued),
        last_error: None,
    }
}

fn posting_keys(source: &Source, postings: &[Posting]) -> Vec<PostingKeys> {
    postings
        .iter()
        .map(|p| PostingKeys {
            url: p.url.clone(),
            source: source.id,
            native_id: Some(p.native_id.clone()).filter(|id| !id.is_empty()),
            fingerprint: posting_fingerprint(&p.company, &p.title, &p.location),
        })
        .collect()
}

/// Marks a failed fetch on `source`: one more failure in a row, the reason shown, the next
/// try backed off; after [`MAX_CONSECUTIVE_FAILURES`] the source is disabled. Shared by the
/// fetcher and the fetch dead-letter consumer, so a fetch that never finished counts like
/// one that failed.
pub fn record_failure(source: &mut Source, message: &str, interval: u32, now: DateTime<Utc>) {
    source.consecutive_failures += 1;
    if source.consecutive_failures >= MAX_CONSECUTIVE_FAILURES {
        source.enabled = false;
        source.next_fetch_at = None;
        source.last_error = Some(format!(
            "Disabled after {} failed fetches in a row. Last error: {message}",
            source.consecutive_failures
        ));
    } else {
        source.last_error = Some(message.to_owned());
        source.next_fetch_at = Some(next_fetch_after(now, interval, source.consecutive_failures));
    }
}

fn mark_healthy(source: &mut Source, interval: u32, now: DateTime<Utc>) {
    source.consecutive_failures = 0;
    source.last_error = None;
    source.next_fetch_at = Some(next_fetch_after(now, interval, 0));
}

/// A source to fetch, as read (to detect the tenant's edits meanwhile), and its plan.
pub struct FetchTarget {
    pub as_read: Source,
    pub plan: Plan,
}

/// The source of `task` when it should be fetched: still there, enabled, and its tenant
/// still exists. Shared with the fetch dead-letter consumer.
pub async fn fetch_target(
    sources: &dyn SourceStore,
    tenants: &dyn TenantReader,
    plans: &PlanCatalog,
    task: &FetchTask,
    now: DateTime<Utc>,
) -> Result<Option<FetchTarget>, StoreError> {
    let Some(as_read) = sources.get_source(task.tenant_id, task.source_id).await? else {
        // Deleted since it was queued: nothing to do.
        return Ok(None);
    };
    if !as_read.enabled {
        return Ok(None);
    }
    let Some(tenant) = tenants.get_tenant(as_read.tenant_id).await? else {
        return Ok(None);
    };
    let plan = plans.effective(&tenant, now).clone();
    Ok(Some(FetchTarget { as_read, plan }))
}

impl FetchService {
    pub async fn run(&self, task: &FetchTask) -> Result<FetchReport, FetchTaskError> {
        let now = self.clock.now();
        let Some(FetchTarget { as_read, plan }) =
            fetch_target(&*self.sources, &*self.tenants, &self.plans, task, now).await?
        else {
            return Ok(FetchReport {
                skipped: true,
                ..FetchReport::default()
            });
        };
        let mut source = as_read.clone();
        let outcome = match SourceConfig::parse(source.kind.as_str(), &source.config) {
            Ok(config) => self.fetcher.fetch(&config, &source.validators).await,
            Err(e) => Err(SourceError::Unsupported(format!(
                "invalid configuration: {e}"
            ))),
        };
        source.last_fetched_at = Some(now);
        let report = self.apply(outcome, &mut source, &plan, now).await?;
        self.record(&source, &as_read, &report).await?;
        Ok(report)
    }

    /// What the board answered, applied to the tenant's jobs and to `source`.
    async fn apply(
        &self,
        outcome: Result<FetchOutcome, SourceError>,
        source: &mut Source,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<FetchReport, FetchTaskError> {
        let mut report = FetchReport {
            source_kind: Some(source.kind.clone()),
            ..FetchReport::default()
        };
        match outcome {
            Err(error) => {
                let message = error.to_string();
                record_failure(source, &message, plan.fetch_interval_minutes, now);
                tracing::warn!(source = %source.id, error = %message, "fetch failed");
                report.error = Some(message);
                report.failure_reason = Some(error.reason());
            }
            Ok(FetchOutcome::NotModified) => {
                report.not_modified = true;
                mark_healthy(source, plan.fetch_interval_minutes, now);
            }
            Ok(FetchOutcome::Fetched {
                postings,
                validators,
            }) => {
                report.fetched = postings.len();
                let stored = self
                    .store_new(source, &postings, plan.monthly_scored_jobs, now)
                    .await?;
                report.new = stored.new;
                report.queued = stored.queued;
                report.pending_upgrade = stored.new - stored.queued;
                source.jobs_found += stored.new as u64;
                // Only a known kind's fetch gets here: an unknown one fails to configure.
                if source
                    .kind
                    .known()
                    .is_some_and(SourceKind::lists_every_open_posting)
                {
                    (report.closed, report.reopened) =
                        self.follow_listing(source, &postings, &stored, now).await?;
                }
                source.validators = validators;
                mark_healthy(source, plan.fetch_interval_minutes, now);
            }
        }
        Ok(report)
    }

    /// Writes the outcome on the source and tells the tenant about new jobs.
    async fn record(
        &self,
        source: &Source,
        as_read: &Source,
        report: &FetchReport,
    ) -> Result<(), FetchTaskError> {
        // The tenant may have edited or deleted the source while we fetched: their change
        // wins, and a deleted source is not recreated.
        if !self.sources.record_fetch(source, as_read).await? {
            tracing::info!(source = %source.id, "source changed during the fetch; outcome not recorded");
        }
        if report.new > 0 {
            self.events
                .jobs_created(source.tenant_id, source.id, report.new)
                .await;
            self.live
                .push(
                    source.tenant_id,
                    &[LiveMessage::JobsCreated {
                        source_id: source.id,
                        count: report.new,
                    }],
                )
                .await;
        }
        Ok(())
    }

    /// Stores new postings under the tenant's ingest lease, after settling any admission
    /// a crashed fetch of the tenant left open. Returns (stored, queued).
    async fn store_new(
        &self,
        source: &Source,
        postings: &[Posting],
        monthly_limit: u32,
        now: DateTime<Utc>,
    ) -> Result<Stored, FetchTaskError> {
        // Known stays known, so a board with nothing new is settled without the lease and
        // without a single job write.
        let known = self
            .ingest
            .known_postings(
                source.tenant_id,
                &posting_keys(source, postings),
                KnownCheck::BeforeLease,
            )
            .await?;
        let fresh: Vec<Posting> = postings
            .iter()
            .zip(known.known)
            .filter(|(_, known)| !known)
            .map(|(p, _)| p.clone())
            .collect();
        let mut stored = Stored {
            fresh: fresh.iter().map(|p| p.native_id.clone()).collect(),
            ..Stored::default()
        };
        let open = self.admissions.open_admissions(source.tenant_id).await?;
        // An insert left uncounted by a crash is finished by taking the lease.
        if fresh.is_empty() && open.is_empty() && !known.unfinished {
            return Ok(stored);
        }
        let holder = JobId::new().to_string();
        let deadline = std::time::Instant::now() + LEASE_WAIT;
        while !self
            .ingest
            .acquire_ingest_lease(source.tenant_id, &holder, LEASE_SECS)
            .await?
        {
            if std::time::Instant::now() > deadline {
                return Err(FetchTaskError::Busy);
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let result = async {
            // Read again under the lease: the holder that just let go may have settled them.
            for admission in self.admissions.open_admissions(source.tenant_id).await? {
                self.recover(&admission).await?;
            }
            self.store_new_leased(source, &fresh, monthly_limit, now)
                .await
        }
        .await;
        self.ingest
            .release_ingest_lease(source.tenant_id, &holder)
            .await?;
        (stored.new, stored.queued) = result?;
        Ok(stored)
    }

    async fn store_new_leased(
        &self,
        source: &Source,
        postings: &[Posting],
        monthly_limit: u32,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), FetchTaskError> {
        if postings.is_empty() {
            return Ok((0, 0));
        }
        // Checked again under the lease: another fetch may have stored some meanwhile.
        let keys = posting_keys(source, postings);
        let known = self
            .ingest
            .known_postings(source.tenant_id, &keys, KnownCheck::UnderLease)
            .await?;
        let mut jobs: Vec<Job> = postings
            .iter()
            .zip(known.known)
            .filter_map(|(p, known)| (!known).then_some(p))
            .map(|p| job_from(p, source, JobStatus::Queued, now))
            .collect();
        if jobs.is_empty() {
            return Ok((0, 0));
        }
        let candidates: Vec<JobId> = jobs.iter().map(|j| j.card.id).collect();
        let admission = self
            .admissions
            .reserve_admission(
                source.tenant_id,
                &JobId::new().to_string(),
                now,
                &candidates[..candidates.len().min(MAX_ADMISSION)],
                monthly_limit,
            )
            .await?;
        let granted = admission.as_ref().map_or(0, |a| a.jobs.len());
        for job in &mut jobs[granted..] {
            job.card.status = JobStatus::PendingUpgrade;
            job.attempt = 0;
        }
        let report = self.ingest.insert_jobs(&jobs).await?;
        let queued = match admission {
            Some(admission) => self.settle(&admission, &report.inserted).await?,
            None => 0,
        };
        Ok((report.inserted.len(), queued))
    }
}
