//! Storage ports.

use async_trait::async_trait;

use crate::domain::{Email, Job, JobCard, JobId, JobStatus, Tenant, TenantId, User};

/// A uniqueness rule that a write would have broken. Adapters map their storage
/// conditions to these; callers turn them into 409s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("this tenant already has a job with this URL")]
    DuplicateJobUrl,
    #[error("the item already exists")]
    AlreadyExists,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("invalid pagination cursor")]
    InvalidCursor,
    /// A stored item that does not deserialise into its type: data written by another
    /// version or by hand. Reported, never panicked on.
    #[error("stored item {key} is corrupt: {reason}")]
    Corrupt { key: String, reason: String },
    /// The store could not be reached or refused the call; retryable.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// What a caller asks of a list: at most `limit` items, after `cursor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u16,
    pub cursor: Option<String>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: u16 = 25;
    pub const MAX_LIMIT: u16 = 100;

    pub fn first(limit: u16) -> Self {
        Self {
            limit,
            cursor: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque, signed, bound to the tenant and query; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters of the job list that the store serves from keys (more arrive with the jobs API).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    pub status: Option<JobStatus>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates tenant, first user and the e-mail index entry together, or nothing.
    /// `Conflict::EmailTaken` when the e-mail (in any letter case) has an account.
    async fn create_account(&self, tenant: &Tenant, admin: &User) -> Result<(), StoreError>;
    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError>;
    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError>;
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job (card, body, URL marker) together, or nothing.
    /// `Conflict::DuplicateJobUrl` when the tenant already has the canonical URL.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError>;
    /// Newest first. `StoreError::InvalidCursor` for a cursor not issued for this
    /// tenant and query.
    async fn list_jobs(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        page: &PageRequest,
    ) -> Result<Page<JobCard>, StoreError>;
}
