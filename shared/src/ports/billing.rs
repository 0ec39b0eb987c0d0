//! Billing state of a tenant (Stripe customer and subscription), processed Stripe events,
//! and the `pending_upgrade` backlog that an upgrade or a new month admits to scoring.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{JobCard, PlanId, SubscriptionStatus, TenantId};

/// What the tenant item holds about billing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingState {
    pub tenant: TenantId,
    pub plan: PlanId,
    pub subscription_status: SubscriptionStatus,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    /// The subscription ends at `current_period_end` (cancelled in the portal).
    pub cancel_at_period_end: bool,
    /// `created` (Unix seconds) of the newest Stripe event applied; older ones are stale.
    pub event_at: Option<i64>,
    /// When the subscription became `past_due` (the first failed payment's event).
    pub past_due_since: Option<DateTime<Utc>>,
}

/// A change to the billing state; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingChange {
    pub plan: Option<PlanId>,
    pub subscription_status: Option<SubscriptionStatus>,
    pub customer_id: Option<String>,
    pub subscription_id: Option<String>,
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: Option<bool>,
}

/// The Stripe event a change comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef {
    pub id: String,
    /// Unix seconds, as Stripe sends it.
    pub created: i64,
    pub kind: String,
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The change is stored; the state before it.
    Changed { before: BillingState },
    /// The event id was processed before: nothing changed.
    Duplicate,
    /// A newer event was applied already, or the event concerns a subscription that is
    /// not the tenant's: recorded as processed, nothing changed.
    Stale,
    /// No such tenant: nothing stored.
    UnknownTenant,
}

/// The marker that says a tenant has `pending_upgrade` jobs; `version` guards its removal
/// against a fetch that adds more meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMarker {
    pub tenant: TenantId,
    pub version: String,
}

/// One page of tenants with pending jobs; `next` continues the same shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPage {
    pub tenants: Vec<TenantId>,
    pub next: Option<String>,
}

/// The tenant's Stripe customer and subscription, and the Stripe events applied to them.
#[async_trait]
pub trait BillingStore: Send + Sync {
    async fn billing_state(&self, tenant: TenantId) -> Result<Option<BillingState>, StoreError>;

    /// The tenant a Stripe customer belongs to.
    async fn tenant_of_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError>;

    /// Records `customer` as the tenant's Stripe customer unless it has one already;
    /// the customer id the tenant has afterwards.
    async fn link_customer(&self, tenant: TenantId, customer: &str) -> Result<String, StoreError>;

    /// Applies `change` and marks `event` processed, in one transaction, if the event was
    /// not processed before, is not older than the last applied one, and — when
    /// `only_subscription` is set — the tenant's stored subscription (if any) is that one.
    async fn apply_event(
        &self,
        tenant: TenantId,
        event: &EventRef,
        change: &BillingChange,
        only_subscription: Option<&str>,
    ) -> Result<Applied, StoreError>;

    /// Marks an event processed without a change; `false` if it was processed before.
    async fn record_event(&self, event: &EventRef) -> Result<bool, StoreError>;

    async fn event_processed(&self, event_id: &str) -> Result<bool, StoreError>;
}

/// The `pending_upgrade` backlog: jobs parked past the quota, admitted after an upgrade
/// or at a new month.
#[async_trait]
pub trait PendingUpgrades: Send + Sync {
    /// The tenant's `pending_upgrade` jobs, oldest first (with their attempt numbers).
    async fn pending_upgrade_jobs(
        &self,
        tenant: TenantId,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError>;

    /// Marks the tenant as having `pending_upgrade` jobs (idempotent).
    async fn mark_pending(&self, tenant: TenantId) -> Result<(), StoreError>;

    async fn pending_marker(&self, tenant: TenantId) -> Result<Option<PendingMarker>, StoreError>;

    /// Removes the marker if it is still the one read; `false` if it changed meanwhile.
    async fn clear_pending(&self, marker: &PendingMarker) -> Result<bool, StoreError>;

    /// Shards of the pending index (each is paged on its own).
    fn pending_shards(&self) -> u32;

    /// One page of tenants with pending jobs in `shard`.
    async fn tenants_with_pending(
        &self,
        shard: u32,
        after: Option<&str>,
        limit: u16,
    ) -> Result<PendingPage, StoreError>;
}
