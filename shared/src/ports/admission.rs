//! Crash-safe admission to scoring (docs/data-model.md, "Admission"): the month's quota is
//! reserved in the same transaction that writes an admission marker naming the jobs it is
//! for. Whoever holds the tenant's ingest lease settles open markers: a job that exists
//! and is still `queued` gets its scoring message (again — scoring is idempotent per job
//! and attempt), a job that was never written gives its unit back to the month the marker
//! was taken in, and the marker is deleted. So a fetcher killed at any instant leaves
//! either nothing or a marker that the next fetch of the tenant settles.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{JobId, JobStatus, Period, TenantId};
use crate::ports::StoreError;

/// One reservation of quota for a fetch's new jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub tenant: TenantId,
    /// Unique per reservation (a ULID).
    pub id: String,
    /// When the quota was taken: the month its units belong to.
    pub reserved_at: DateTime<Utc>,
    /// The jobs admitted to scoring, one quota unit each.
    pub jobs: Vec<JobId>,
}

impl Admission {
    pub fn period(&self) -> Period {
        Period::of(self.reserved_at)
    }
}

#[async_trait]
pub trait AdmissionStore: Send + Sync {
    /// Reserves up to `want` units of the month's quota (at most `limit` in the month),
    /// and in the same transaction stores an admission for the first granted ids of
    /// `candidates`. Returns the admission, `None` when nothing was granted (nothing is
    /// then written).
    async fn reserve_admission(
        &self,
        tenant: TenantId,
        id: &str,
        reserved_at: DateTime<Utc>,
        candidates: &[JobId],
        limit: u32,
    ) -> Result<Option<Admission>, StoreError>;
    /// The tenant's admissions not yet settled, oldest first (one query; usually empty).
    async fn open_admissions(&self, tenant: TenantId) -> Result<Vec<Admission>, StoreError>;
    /// The status of each job (`None`: never written), for settling after a crash.
    async fn job_statuses(
        &self,
        tenant: TenantId,
        jobs: &[JobId],
    ) -> Result<Vec<Option<JobStatus>>, StoreError>;
    /// Deletes a settled admission (no error if already gone).
    async fn close_admission(&self, tenant: TenantId, id: &str) -> Result<(), StoreError>;
}
