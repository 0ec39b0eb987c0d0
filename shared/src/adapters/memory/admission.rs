//! Admission markers with their quota reservation, as one step (the DynamoDB adapter's
//! transaction in `dynamo/admission.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::domain::{JobId, JobStatus, Period, TenantId};
use crate::ports::{Admission, AdmissionStore, StoreError};

impl MemoryStore {
    /// What a test reads back: the tenant's open admissions.
    pub fn admissions_of(&self, tenant: TenantId) -> Vec<Admission> {
        let state = self.lock();
        state
            .admissions
            .range((tenant, String::new())..)
            .take_while(|((t, _), _)| *t == tenant)
            .map(|(_, a)| a.clone())
            .collect()
    }
}

#[async_trait]
impl AdmissionStore for MemoryStore {
    async fn reserve_admission(
        &self,
        tenant: TenantId,
        id: &str,
        reserved_at: DateTime<Utc>,
        candidates: &[JobId],
        limit: u32,
    ) -> Result<Option<Admission>, StoreError> {
        let mut state = self.lock();
        let used = state
            .usage
            .entry((tenant, Period::of(reserved_at).as_str().to_owned()))
            .or_default();
        let want = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
        let grant = want.min(limit.saturating_sub(*used));
        if grant == 0 {
            return Ok(None);
        }
        *used += grant;
        let admission = Admission {
            tenant,
            id: id.to_owned(),
            reserved_at,
            jobs: candidates[..grant as usize].to_vec(),
        };
        state
            .admissions
            .insert((tenant, id.to_owned()), admission.clone());
        Ok(Some(admission))
    }

    async fn open_admissions(&self, tenant: TenantId) -> Result<Vec<Admission>, StoreError> {
        Ok(self.admissions_of(tenant))
    }

    async fn job_statuses(
        &self,
        tenant: TenantId,
        jobs: &[JobId],
    ) -> Result<Vec<Option<JobStatus>>, StoreError> {
        let state = self.lock();
        Ok(jobs
            .iter()
            .map(|id| state.jobs.get(&(tenant, *id)).map(|j| j.card.status))
            .collect())
    }

    async fn close_admission(&self, tenant: TenantId, id: &str) -> Result<(), StoreError> {
        self.lock().admissions.remove(&(tenant, id.to_owned()));
        Ok(())
    }
}
