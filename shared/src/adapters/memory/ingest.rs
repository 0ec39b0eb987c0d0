//! Bulk ingestion: posting identity markers, the ingest lease, the monthly quota counter;
//! the conditions of `dynamo/ingest.rs`.

use std::collections::HashSet;

use async_trait::async_trait;

use super::{MemoryStore, State};
use crate::adapters::dynamo::keys;
use crate::domain::{Job, JobStatus, Period, SourceId, TenantId};
use crate::ports::{
    IngestStore, InsertReport, KnownCheck, KnownPostings, PostingKeys, QuotaStore, StoreError,
};

impl State {
    /// Lists the tenant for the monthly admission run (a new version each time).
    pub(super) fn mark_pending(&mut self, tenant: TenantId) {
        self.pending.insert(tenant, ulid::Ulid::new().to_string());
    }
}

#[async_trait]
impl IngestStore for MemoryStore {
    async fn known_postings(
        &self,
        tenant: TenantId,
        postings: &[PostingKeys],
        _check: KnownCheck,
    ) -> Result<KnownPostings, StoreError> {
        let state = self.lock();
        Ok(KnownPostings {
            known: postings
                .iter()
                .map(|p| {
                    keys::posting_markers(p)
                        .into_iter()
                        .any(|sk| state.markers.contains_key(&(tenant, sk)))
                })
                .collect(),
            // An insert here is one step under the lock: none is ever left half done.
            unfinished: false,
        })
    }

    async fn acquire_ingest_lease(
        &self,
        tenant: TenantId,
        holder: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        let now = chrono::Utc::now().timestamp();
        let mut state = self.lock();
        let free = match state.leases.get(&tenant) {
            None => true,
            Some((current, expires)) => *expires < now || current == holder,
        };
        if free {
            state
                .leases
                .insert(tenant, (holder.to_owned(), now + ttl_secs));
        }
        Ok(free)
    }

    async fn release_ingest_lease(&self, tenant: TenantId, holder: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        // Expired and taken over meanwhile: not ours to delete.
        if state.leases.get(&tenant).is_some_and(|(h, _)| h == holder) {
            state.leases.remove(&tenant);
        }
        Ok(())
    }

    /// Batched puts carry no conditions (the lease makes them race-free): like
    /// `BatchWriteItem`, they overwrite what a marker held.
    async fn insert_jobs(&self, jobs: &[Job]) -> Result<InsertReport, StoreError> {
        let mut state = self.lock();
        let mut report = InsertReport::default();
        let mut seen: HashSet<(TenantId, String)> = HashSet::new();
        let mut pending: Vec<TenantId> = Vec::new();
        for job in jobs {
            let markers = keys::posting_markers(&PostingKeys::of(job));
            if markers
                .iter()
                .any(|m| seen.contains(&(job.tenant_id, m.clone())))
            {
                report.duplicates.push(job.card.id);
                continue;
            }
            for m in markers {
                seen.insert((job.tenant_id, m.clone()));
                state.markers.insert((job.tenant_id, m), job.card.id);
            }
            state.jobs.insert((job.tenant_id, job.card.id), job.clone());
            report.inserted.push(job.card.id);
            if job.card.status == JobStatus::PendingUpgrade {
                pending.push(job.tenant_id);
            }
        }
        pending.sort();
        pending.dedup();
        for tenant in pending {
            state.mark_pending(tenant);
        }
        Ok(report)
    }

    async fn close_vanished(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        Ok(self.set_closed_all(tenant, source, native_ids, Some(at)))
    }

    async fn reopen_listed(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
    ) -> Result<usize, StoreError> {
        Ok(self.set_closed_all(tenant, source, native_ids, None))
    }
}

impl MemoryStore {
    /// Sets (`Some`) or clears (`None`) `closedAt` on the jobs `source` lists under
    /// `native_ids`, like the DynamoDB adapter's conditional updates; how many changed.
    fn set_closed_all(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> usize {
        let mut state = self.lock();
        let mut changed = 0;
        for native in native_ids {
            let Some(job) = state
                .markers
                .get(&(tenant, keys::native_sk(source, native)))
                .copied()
            else {
                continue;
            };
            if let Some(stored) = state.jobs.get_mut(&(tenant, job))
                && stored.card.closed_at.is_some() != at.is_some()
            {
                stored.card.closed_at = at;
                changed += 1;
            }
        }
        changed
    }
}

#[async_trait]
impl QuotaStore for MemoryStore {
    async fn reserve_quota(
        &self,
        tenant: TenantId,
        period: &Period,
        want: u32,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let mut state = self.lock();
        let used = state
            .usage
            .entry((tenant, period.as_str().to_owned()))
            .or_default();
        let grant = want.min(limit.saturating_sub(*used));
        *used += grant;
        Ok(grant)
    }

    async fn release_quota(
        &self,
        tenant: TenantId,
        period: &Period,
        n: u32,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        // Never below zero (e.g. the month rolled over meanwhile): then nothing changes.
        if let Some(used) = state.usage.get_mut(&(tenant, period.as_str().to_owned()))
            && *used >= n
        {
            *used -= n;
        }
        Ok(())
    }
}
