//! The scheduled dispatcher: sources that are due, from the due index (never a scan of
//! all tenants), each claimed by moving its next fetch time, then one fetch message each.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use shared::domain::PlanCatalog;
use shared::ports::{SourceStore, StoreError, TenantReader, WorkQueue};

use crate::next_fetch_after;
use shared::messages::{FetchTask, to_bodies};

/// Upper bound of sources dispatched per run; the next run picks up the rest.
pub const MAX_PER_RUN: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] shared::ports::QueueError),
}

pub struct Dispatcher {
    pub sources: Arc<dyn SourceStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub fetch_queue: Arc<dyn WorkQueue>,
    pub plans: PlanCatalog,
}

impl Dispatcher {
    /// Returns how many fetch tasks were sent.
    pub async fn run(&self, now: DateTime<Utc>) -> Result<usize, DispatchError> {
        let due = self.sources.due_sources(now, MAX_PER_RUN).await?;
        let mut tasks = Vec::new();
        // One tenant read per tenant and run, not one per due source.
        let mut intervals: std::collections::HashMap<_, Option<u32>> = Default::default();
        for (tenant_id, source_id) in due {
            let Some(source) = self.sources.get_source(tenant_id, source_id).await? else {
                continue;
            };
            let (Some(expected), true) = (source.next_fetch_at, source.enabled) else {
                continue;
            };
            let interval = match intervals.get(&tenant_id) {
                Some(known) => *known,
                None => {
                    let found = self.tenants.get_tenant(tenant_id).await?.map(|tenant| {
                        self.plans
                            .get(&tenant.plan)
                            .unwrap_or_else(|_| self.plans.default_plan())
                            .fetch_interval_minutes
                    });
                    intervals.insert(tenant_id, found);
                    found
                }
            };
            let Some(interval) = interval else {
                continue;
            };
            // The claim: only one dispatcher run moves this source forward and sends it.
            if self
                .sources
                .reschedule(
                    tenant_id,
                    source_id,
                    expected,
                    next_fetch_after(now, interval, 0),
                )
                .await?
            {
                tasks.push(FetchTask {
                    tenant_id,
                    source_id,
                    reason: "schedule".into(),
                });
            }
        }
        self.fetch_queue.send_all(&to_bodies(&tasks)).await?;
        Ok(tasks.len())
    }
}
