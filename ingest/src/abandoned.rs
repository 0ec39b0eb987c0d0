//! The fetch dead-letter queue's consumer: a fetch task lands there when its invocation
//! timed out or died three times (never for a board's own error, which the fetcher records
//! and acknowledges). It records that on the source like any failed fetch, so a source
//! that keeps killing its fetch is backed off and, after
//! [`crate::fetch::MAX_CONSECUTIVE_FAILURES`], disabled with the reason shown, instead of
//! being dispatched again every interval for ever. It never fetches.

use std::sync::Arc;

use shared::domain::PlanCatalog;
use shared::messages::FetchTask;
use shared::ports::{Clock, SourceStore, StoreError, TenantReader};

use crate::fetch::{FetchTarget, fetch_target, record_failure};

/// The tenant-facing reason written on the source.
pub const ABANDONED: &str = "the fetch did not finish after several tries (it ran out of time or stopped); it will be tried again later";

pub struct AbandonedFetches {
    pub sources: Arc<dyn SourceStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub plans: PlanCatalog,
    pub clock: Arc<dyn Clock>,
}

impl AbandonedFetches {
    /// `true` when the failure was written on the source; `false` when there was nothing
    /// to record (deleted or disabled source, tenant gone, or edited meanwhile).
    pub async fn record(&self, task: &FetchTask) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let Some(FetchTarget { as_read, plan }) =
            fetch_target(&*self.sources, &*self.tenants, &self.plans, task, now).await?
        else {
            return Ok(false);
        };
        let mut source = as_read.clone();
        source.last_fetched_at = Some(now);
        record_failure(&mut source, ABANDONED, plan.fetch_interval_minutes, now);
        tracing::warn!(tenant_id = %task.tenant_id, source = %source.id, failures = source.consecutive_failures, "fetch abandoned after its retries");
        self.sources.record_fetch(&source, &as_read).await
    }
}
