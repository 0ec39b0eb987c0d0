//! Billing: the tenant's Stripe fields, the customer index, processed events and the
//! `pending_upgrade` markers; the conditions of `dynamo/billing.rs`.

use async_trait::async_trait;

use super::{MemoryStore, State, TenantRecord};
use crate::adapters::dynamo::keys;
use crate::domain::{JobCard, JobStatus, SubscriptionStatus, TenantId};
use crate::ports::{
    Applied, BillingChange, BillingState, BillingStore, Conflict, EventRef, PendingMarker,
    PendingPage, PendingUpgrades, StoreError,
};

fn state_of(record: &TenantRecord) -> BillingState {
    BillingState {
        tenant: record.tenant.id,
        plan: record.tenant.plan.clone(),
        subscription_status: record.tenant.subscription_status,
        customer_id: record.customer_id.clone(),
        subscription_id: record.subscription_id.clone(),
        current_period_end: record.current_period_end,
        cancel_at_period_end: record.cancel_at_period_end,
        event_at: record.event_at,
        past_due_since: record.tenant.past_due_since,
    }
}

impl State {
    /// The billing update's condition: the tenant exists, the event is not older than the
    /// last applied one and, with `only_subscription`, concerns the stored subscription.
    fn event_applies(&self, tenant: TenantId, event: &EventRef, only: Option<&str>) -> bool {
        self.tenants.get(&tenant).is_some_and(|t| {
            t.event_at.is_none_or(|at| at <= event.created)
                && only.is_none_or(|only| {
                    t.subscription_id
                        .as_deref()
                        .is_none_or(|stored| stored == only)
                })
        })
    }
}

#[async_trait]
impl BillingStore for MemoryStore {
    async fn billing_state(&self, tenant: TenantId) -> Result<Option<BillingState>, StoreError> {
        Ok(self.lock().tenants.get(&tenant).map(state_of))
    }

    async fn tenant_of_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        Ok(self.lock().customers.get(customer).copied())
    }

    async fn link_customer(&self, tenant: TenantId, customer: &str) -> Result<String, StoreError> {
        let mut state = self.lock();
        match state.tenants.get_mut(&tenant) {
            Some(record) if record.customer_id.is_none() => {
                record.customer_id = Some(customer.to_owned());
                state.customers.insert(customer.to_owned(), tenant);
                Ok(customer.to_owned())
            }
            // Another request linked one first (or the tenant is gone): keep what is stored.
            Some(record) => record
                .customer_id
                .clone()
                .ok_or(StoreError::Conflict(Conflict::Stale)),
            None => Err(StoreError::Conflict(Conflict::Stale)),
        }
    }

    async fn apply_event(
        &self,
        tenant: TenantId,
        event: &EventRef,
        change: &BillingChange,
        only_subscription: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let mut state = self.lock();
        let Some(before) = state.tenants.get(&tenant).map(state_of) else {
            return Ok(Applied::UnknownTenant);
        };
        if state.stripe_events.contains(&event.id) {
            return Ok(Applied::Duplicate);
        }
        // Older than what is stored, or about another subscription: remember the event
        // so a replay is answered without work, change nothing.
        state.stripe_events.insert(event.id.clone());
        if !state.event_applies(tenant, event, only_subscription) {
            return Ok(Applied::Stale);
        }
        if let Some(customer) = &change.customer_id {
            state.customers.insert(customer.clone(), tenant);
        }
        let Some(record) = state.tenants.get_mut(&tenant) else {
            return Ok(Applied::UnknownTenant);
        };
        record.event_at = Some(event.created);
        if let Some(plan) = &change.plan {
            record.tenant.plan = plan.clone();
        }
        if let Some(status) = change.subscription_status {
            record.tenant.subscription_status = status;
            record.tenant.past_due_since = match status {
                SubscriptionStatus::PastDue => record
                    .tenant
                    .past_due_since
                    .or_else(|| chrono::DateTime::from_timestamp(event.created, 0)),
                _ => None,
            };
        }
        if let Some(customer) = &change.customer_id {
            record.customer_id = Some(customer.clone());
        }
        if let Some(subscription) = &change.subscription_id {
            record.subscription_id = Some(subscription.clone());
        }
        if let Some(end) = change.current_period_end {
            record.current_period_end = Some(end);
        }
        if let Some(cancel) = change.cancel_at_period_end {
            record.cancel_at_period_end = cancel;
        }
        Ok(Applied::Changed { before })
    }

    async fn record_event(&self, event: &EventRef) -> Result<bool, StoreError> {
        Ok(self.lock().stripe_events.insert(event.id.clone()))
    }

    async fn event_processed(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(self.lock().stripe_events.contains(event_id))
    }
}

#[async_trait]
impl PendingUpgrades for MemoryStore {
    async fn pending_upgrade_jobs(
        &self,
        tenant: TenantId,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError> {
        // Job ids are ULIDs: key order is oldest first.
        Ok(self
            .lock()
            .jobs
            .iter()
            .filter(|((t, _), j)| *t == tenant && j.card.status == JobStatus::PendingUpgrade)
            .take(usize::from(limit))
            .map(|(_, j)| (j.card.clone(), j.attempt))
            .collect())
    }

    async fn mark_pending(&self, tenant: TenantId) -> Result<(), StoreError> {
        self.lock().mark_pending(tenant);
        Ok(())
    }

    async fn pending_marker(&self, tenant: TenantId) -> Result<Option<PendingMarker>, StoreError> {
        Ok(self
            .lock()
            .pending
            .get(&tenant)
            .map(|version| PendingMarker {
                tenant,
                version: version.clone(),
            }))
    }

    async fn clear_pending(&self, marker: &PendingMarker) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if state.pending.get(&marker.tenant) == Some(&marker.version) {
            state.pending.remove(&marker.tenant);
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn pending_shards(&self) -> u32 {
        keys::PENDING_SHARDS
    }

    async fn tenants_with_pending(
        &self,
        shard: u32,
        after: Option<&str>,
        limit: u16,
    ) -> Result<PendingPage, StoreError> {
        let shard_pk = keys::pending_shard_pk(shard);
        let after = after.unwrap_or("0");
        let state = self.lock();
        let mut listed: Vec<TenantId> = state
            .pending
            .keys()
            .filter(|t| keys::pending_gsi_pk(**t) == shard_pk && t.to_string().as_str() > after)
            .copied()
            .collect();
        let more = listed.len() > usize::from(limit);
        listed.truncate(usize::from(limit));
        let next = if more {
            listed.last().map(ToString::to_string)
        } else {
            None
        };
        Ok(PendingPage {
            tenants: listed,
            next,
        })
    }
}
