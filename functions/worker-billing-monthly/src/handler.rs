//! `worker-billing-monthly`: fired at the start of each month (UTC), when every tenant's
//! usage counter starts again at zero (it is kept per `YYYY-MM`). Pages through the
//! tenants that have `pending_upgrade` jobs — the marker index, never a scan — and queues
//! their waiting jobs, oldest first, within the new month's quota. The event's content
//! does not matter; running it twice queues nothing twice (quota and status guard it).

use jobmon_scoring::admit::Admitter;
use jobmon_scoring::pipeline::RescoreError;
use serde_json::{Value, json};

/// Tenants read from the marker index per query.
const TENANT_PAGE: u16 = 50;

pub async fn handle(admitter: &Admitter, _event: Value) -> Result<Value, RescoreError> {
    let mut tenants = 0usize;
    let mut queued = 0usize;
    let mut still_pending = 0usize;
    let mut failed = 0usize;
    for shard in 0..admitter.billing.pending_shards() {
        let mut after: Option<String> = None;
        loop {
            let page = admitter
                .billing
                .tenants_with_pending(shard, after.as_deref(), TENANT_PAGE)
                .await?;
            for tenant in &page.tenants {
                tenants += 1;
                // One tenant's failure must not hold up the others; it keeps its marker
                // and is tried again at the next run.
                match admitter.admit(*tenant).await {
                    Ok(admission) => {
                        queued += admission.queued;
                        still_pending += usize::from(admission.more_pending);
                    }
                    Err(e) => {
                        failed += 1;
                        tracing::error!(tenant_id = %tenant, error = %e, "monthly admission failed");
                    }
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
    }
    tracing::info!(tenants, queued, still_pending, failed, "monthly admission");
    Ok(json!({
        "tenants": tenants,
        "queued": queued,
        "stillPending": still_pending,
        "failed": failed,
    }))
}
