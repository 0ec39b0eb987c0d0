//! Ports of the privacy flows: reading every item of a tenant for its export, and erasing
//! every item of a tenant (and every item elsewhere that points at it), page by page.

use async_trait::async_trait;

use crate::domain::TenantId;
use crate::ports::StoreError;

/// One stored item as plain JSON (attribute name → value), keys included. The export
/// decides what of it leaves the system (`services::privacy::archive`).
pub type RawItem = serde_json::Map<String, serde_json::Value>;

/// A page of the tenant's own partition, in sort-key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawPage {
    pub items: Vec<RawItem>,
    /// Whether the partition goes on after this page.
    pub more: bool,
}

#[async_trait]
pub trait TenantArchive: Send + Sync {
    /// Up to `limit` items of `T#<tenant>` with sort keys after `after`.
    async fn tenant_items(
        &self,
        tenant: TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<RawPage, StoreError>;
    /// Every item of one job's own partition (body, scorings, tracking).
    async fn job_items(&self, tenant: TenantId, job: &str) -> Result<Vec<RawItem>, StoreError>;
}

/// What an erasure must find: the tenant, and the members' normalised e-mail addresses
/// (captured when the erasure was asked for: the user items are deleted on the way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureTarget {
    pub tenant: TenantId,
    pub emails: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedPage {
    pub deleted: usize,
    /// Where the next page starts; `None` once the whole table has been walked.
    pub next: Option<String>,
}

#[async_trait]
pub trait TenantEraser: Send + Sync {
    /// Walks one page of the table from `start` (an opaque position from an earlier page)
    /// and deletes every item on it that belongs to or points at the target. Deleting an
    /// absent item is not an error, so a page done twice is harmless.
    async fn erase_page(
        &self,
        target: &ErasureTarget,
        start: Option<&str>,
        page_size: u32,
    ) -> Result<ErasedPage, StoreError>;
    /// Deletes the members' e-mail look-up items at once, so nobody can sign in to the
    /// tenant while the rest is erased in the background, and the addresses are free.
    async fn release_emails(&self, emails: &[String]) -> Result<(), StoreError>;
}

/// Stripe (or a stand-in): ends a subscription at once. Ending one that has already
/// ended, or that Stripe does not know, succeeds, so the call can be repeated.
#[async_trait]
pub trait SubscriptionCanceller: Send + Sync {
    async fn cancel_subscription(&self, subscription: &str) -> Result<(), String>;
}
