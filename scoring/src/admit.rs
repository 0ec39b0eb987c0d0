//! Admitting `pending_upgrade` jobs to scoring when quota appears: right after an upgrade
//! (billing webhook) and when a new month starts (the monthly schedule).
//!
//! Jobs are taken oldest first from the status index (GSI1, `pending_upgrade`, ascending
//! ULIDs) and go through [`Rescorer::requeue_all`], which reserves quota for as many as
//! the plan's monthly limit still allows, moves them `pending_upgrade → queued` and sends
//! their scoring messages. Once none are left the tenant's pending marker is removed.

use std::sync::Arc;

use shared::domain::{PlanCatalog, TenantId};
use shared::ports::{PendingUpgrades, TenantReader};

use crate::pipeline::{RescoreError, Rescorer};

/// Jobs read from the index per round.
pub const ADMIT_PAGE: u16 = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Admission {
    /// Jobs moved to `queued` and sent for scoring.
    pub queued: usize,
    /// `pending_upgrade` jobs are left (the quota ran out).
    pub more_pending: bool,
}

pub struct Admitter {
    pub rescorer: Arc<Rescorer>,
    /// The backlog this admits from.
    pub billing: Arc<dyn PendingUpgrades>,
    pub tenants: Arc<dyn TenantReader>,
    pub plans: PlanCatalog,
}

impl Admitter {
    /// Queues the tenant's `pending_upgrade` jobs, oldest first, within the month's quota
    /// of its current plan.
    pub async fn admit(&self, tenant: TenantId) -> Result<Admission, RescoreError> {
        let Some(account) = self.tenants.get_tenant(tenant).await? else {
            return Ok(Admission::default());
        };
        let limit = self
            .plans
            .effective(&account, self.rescorer.recorder.clock.now())
            .monthly_scored_jobs;
        let mut admission = Admission::default();
        loop {
            // Read before the index: a fetch that adds jobs after this read changes the
            // marker's version, and the marker then survives the removal below.
            let marker = self.billing.pending_marker(tenant).await?;
            let page = self
                .billing
                .pending_upgrade_jobs(tenant, ADMIT_PAGE)
                .await?;
            if page.is_empty() {
                if let Some(marker) = marker {
                    self.billing.clear_pending(&marker).await?;
                }
                break;
            }
            let results = self.rescorer.requeue_all(tenant, &page, limit).await?;
            let queued = results.iter().filter(|r| r.is_ok()).count();
            admission.queued += queued;
            if results.len() < page.len() {
                // Out of quota: the rest waits for an upgrade or the next month.
                admission.more_pending = true;
                if marker.is_none() {
                    self.billing.mark_pending(tenant).await?;
                }
                break;
            }
            if queued == 0 {
                // Every job of the page moved on meanwhile (or the queue failed): stop
                // rather than read the same page again; the next run continues.
                admission.more_pending = true;
                break;
            }
        }
        if admission.queued > 0
            && let Some(usage) = self.rescorer.recorder.usage(tenant).await
        {
            self.rescorer.recorder.live.push(tenant, &[usage]).await;
        }
        Ok(admission)
    }
}
