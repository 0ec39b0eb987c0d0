//! The one way a score is stored ([`Recorder::record`]) and what follows it.

use super::*;

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
