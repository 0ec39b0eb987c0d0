//! The scheduled dispatcher: sources that are due, from the due index (never a scan of
//! all tenants), each claimed by moving its next fetch time, then one fetch message each.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use shared::domain::{PlanCatalog, SourceId, TenantId};
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

/// Claims are sent in chunks of this many (one SQS batch), so a failing send leaves at
/// most one chunk claimed, and that chunk's claims are undone.
const SEND_CHUNK: usize = 10;

/// A source claimed for this run: its task, and the fetch time the claim replaced.
struct Claimed {
    task: FetchTask,
    was_due_at: DateTime<Utc>,
    next: DateTime<Utc>,
}

impl Dispatcher {
    /// Returns how many fetch tasks were sent. Sources are claimed and sent chunk by chunk:
    /// a queue failure costs no source its interval (claims of the chunk that could not be
    /// sent are given back, so the next run finds those sources due again).
    pub async fn run(&self, now: DateTime<Utc>) -> Result<usize, DispatchError> {
        let due = self.sources.due_sources(now, MAX_PER_RUN).await?;
        let mut chunk = Vec::with_capacity(SEND_CHUNK);
        let mut sent = 0;
        // One tenant read per tenant and run, not one per due source.
        let mut intervals: std::collections::HashMap<_, Option<u32>> = Default::default();
        for (tenant_id, source_id) in due {
            if let Some(claimed) = self
                .claim(tenant_id, source_id, now, &mut intervals)
                .await?
            {
                chunk.push(claimed);
            }
            if chunk.len() == SEND_CHUNK {
                sent += self.send(std::mem::take(&mut chunk)).await?;
            }
        }
        sent += self.send(chunk).await?;
        Ok(sent)
    }

    async fn claim(
        &self,
        tenant_id: TenantId,
        source_id: SourceId,
        now: DateTime<Utc>,
        intervals: &mut std::collections::HashMap<TenantId, Option<u32>>,
    ) -> Result<Option<Claimed>, DispatchError> {
        let Some(source) = self.sources.get_source(tenant_id, source_id).await? else {
            return Ok(None);
        };
        let (Some(expected), true) = (source.next_fetch_at, source.enabled) else {
            return Ok(None);
        };
        let interval = match intervals.get(&tenant_id) {
            Some(known) => *known,
            None => {
                let found = self
                    .tenants
                    .get_tenant(tenant_id)
                    .await?
                    .map(|tenant| self.plans.effective(&tenant, now).fetch_interval_minutes);
                intervals.insert(tenant_id, found);
                found
            }
        };
        let Some(interval) = interval else {
            return Ok(None);
        };
        let next = next_fetch_after(now, interval, 0);
        // The claim: only one dispatcher run moves this source forward and sends it.
        let claimed = self
            .sources
            .reschedule(tenant_id, source_id, expected, next)
            .await?;
        Ok(claimed.then(|| Claimed {
            task: FetchTask {
                tenant_id,
                source_id,
                reason: "schedule".into(),
            },
            was_due_at: expected,
            next,
        }))
    }

    /// Sends one chunk; if the queue refuses it, the chunk's claims are given back (best
    /// effort: a source whose undo fails waits one interval, as before this change).
    async fn send(&self, chunk: Vec<Claimed>) -> Result<usize, DispatchError> {
        if chunk.is_empty() {
            return Ok(0);
        }
        let tasks: Vec<FetchTask> = chunk.iter().map(|c| c.task.clone()).collect();
        if let Err(e) = self.fetch_queue.send_all(&to_bodies(&tasks)).await {
            for c in &chunk {
                let undone = self
                    .sources
                    .reschedule(c.task.tenant_id, c.task.source_id, c.next, c.was_due_at)
                    .await;
                if !matches!(undone, Ok(true)) {
                    tracing::warn!(tenant_id = %c.task.tenant_id, source = %c.task.source_id, "claim of an unsent fetch could not be given back");
                }
            }
            return Err(e.into());
        }
        Ok(tasks.len())
    }
}
