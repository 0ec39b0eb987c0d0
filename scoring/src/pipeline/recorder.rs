//! The one way a score is stored ([`Recorder::record`]) and what follows it.

use super::*;

use shared::ports::VersionedProfile;

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
    /// Profiles read by this instance (checked by version when a score is stored).
    pub profiles: ProfileCache,
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
        self.announce(tenant, job, entry, &recorded).await;
        Ok(recorded)
    }

    /// The profile to score with: kept from an earlier scoring when this instance has one.
    pub async fn profile(&self, tenant: TenantId) -> Result<VersionedProfile, StoreError> {
        self.profiles.get(self.store.as_ref(), tenant).await
    }

    /// [`record`](Self::record) for the card `waiting` the caller has just read, queued
    /// for `entry.attempt`, scored with the profile at `profile_version`: the store does
    /// not read the card again, and refuses a score made with a profile saved since
    /// ([`Recorded::StaleProfile`], when the kept profile is dropped).
    pub async fn record_read(
        &self,
        tenant: TenantId,
        waiting: &JobCard,
        entry: &ScoringEntry,
        profile_version: u64,
    ) -> Result<Recorded, StoreError> {
        let recorded = self
            .store
            .record_scoring_of(tenant, waiting, entry, profile_version)
            .await?;
        if recorded == Recorded::StaleProfile {
            self.profiles.forget(tenant);
        }
        self.announce(tenant, waiting.id, entry, &recorded).await;
        Ok(recorded)
    }

    /// What follows a stored score: the domain event, and the card and the month's usage
    /// on the tenant's sockets (the usage read only when one is open).
    async fn announce(
        &self,
        tenant: TenantId,
        job: JobId,
        entry: &ScoringEntry,
        recorded: &Recorded,
    ) {
        match recorded {
            Recorded::Scored(card) => {
                self.events.job_scored(tenant, card, entry).await;
                let scored = [LiveMessage::JobScored(card.clone())];
                self.live
                    .push_then(tenant, &scored, Box::pin(self.usage(tenant)))
                    .await;
            }
            other => {
                tracing::info!(%job, attempt = entry.attempt, outcome = ?other, "scoring not stored")
            }
        }
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
                .effective(&t, self.clock.now())
                .monthly_scored_jobs;
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
