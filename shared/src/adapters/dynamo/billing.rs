//! Billing: the Stripe fields of the tenant item, the customer → tenant index, processed
//! Stripe events, and the `pending_upgrade` backlog (GSI1 by status, a per-tenant marker
//! listed through GSI2). Key design: `docs/data-model.md`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::items::JobCardItem;
use super::{DynamoStore, conditional, from_item, keys, put_new, s, unavailable};
use crate::domain::{JobCard, JobStatus, PlanId, SubscriptionStatus, TenantId};
use crate::ports::{
    Applied, BillingChange, BillingState, BillingStore, EventRef, PendingMarker, PendingPage,
    PendingUpgrades, StoreError,
};

/// Processed-event records outlive Stripe's retry window (3 days) by far; an older replay
/// is still refused by the `billingEventAt` order check.
const EVENT_RECORD_DAYS: i64 = 90;

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn status_name(status: SubscriptionStatus) -> &'static str {
    match status {
        SubscriptionStatus::None => "none",
        SubscriptionStatus::Active => "active",
        SubscriptionStatus::Trialing => "trialing",
        SubscriptionStatus::PastDue => "past_due",
        SubscriptionStatus::Canceled => "canceled",
        SubscriptionStatus::Unpaid => "unpaid",
        SubscriptionStatus::Paused => "paused",
    }
}

/// When a `past_due` event says the payment failed (stored as RFC 3339, as every time).
fn past_due_start(event: &EventRef) -> String {
    DateTime::from_timestamp(event.created, 0)
        .unwrap_or_else(Utc::now)
        .to_rfc3339()
}

/// The billing view of the tenant item (other attributes are ignored).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantBillingItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    id: String,
    plan: String,
    subscription_status: SubscriptionStatus,
    #[serde(default)]
    stripe_customer_id: Option<String>,
    #[serde(default)]
    stripe_subscription_id: Option<String>,
    #[serde(default)]
    current_period_end: Option<DateTime<Utc>>,
    #[serde(default)]
    cancel_at_period_end: bool,
    #[serde(default)]
    billing_event_at: Option<i64>,
    #[serde(default)]
    past_due_since: Option<DateTime<Utc>>,
}

impl TenantBillingItem {
    fn into_state(self) -> Result<BillingState, StoreError> {
        let corrupt = |e: &dyn std::fmt::Display| StoreError::Corrupt {
            key: format!("{}|{}", self.pk, self.sk),
            reason: e.to_string(),
        };
        Ok(BillingState {
            tenant: TenantId::parse(&self.id).map_err(|e| corrupt(&e))?,
            plan: PlanId::parse(&self.plan).map_err(|e| corrupt(&e))?,
            subscription_status: self.subscription_status,
            customer_id: self.stripe_customer_id,
            subscription_id: self.stripe_subscription_id,
            current_period_end: self.current_period_end,
            cancel_at_period_end: self.cancel_at_period_end,
            event_at: self.billing_event_at,
            past_due_since: self.past_due_since,
        })
    }
}

impl DynamoStore {
    fn event_record(&self, event: &EventRef) -> Result<TransactWriteItem, StoreError> {
        let expires = Utc::now().timestamp() + EVENT_RECORD_DAYS * 86_400;
        let item = [
            (keys::PK, s(keys::stripe_event_pk(&event.id))),
            (keys::SK, s(keys::STRIPE_EVENT_SK)),
            ("entity", s("stripe_event")),
            ("type", s(event.kind.clone())),
            ("created", n(event.created)),
            ("processedAt", s(Utc::now().to_rfc3339())),
            ("expiresAt", n(expires)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        put_new(&self.table, item)
    }

    fn customer_index(&self, tenant: TenantId, customer: &str) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(keys::stripe_customer_pk(customer)))
            .item(keys::SK, s(keys::STRIPE_CUSTOMER_SK))
            .item("entity", s("stripe_customer"))
            .item("tenantId", s(tenant.to_string()))
            .build()
            .map_err(unavailable)
    }

    fn billing_update(
        &self,
        tenant: TenantId,
        event: &EventRef,
        change: &BillingChange,
        only_subscription: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut values: Vec<(&str, AttributeValue)> = vec![("billingEventAt", n(event.created))];
        if let Some(plan) = &change.plan {
            values.push(("plan", s(plan.as_str())));
        }
        if let Some(status) = change.subscription_status {
            values.push(("subscriptionStatus", s(status_name(status))));
        }
        if let Some(customer) = &change.customer_id {
            values.push(("stripeCustomerId", s(customer.clone())));
        }
        if let Some(subscription) = &change.subscription_id {
            values.push(("stripeSubscriptionId", s(subscription.clone())));
        }
        if let Some(end) = change.current_period_end {
            values.push(("currentPeriodEnd", s(end.to_rfc3339())));
        }
        if let Some(cancel) = change.cancel_at_period_end {
            values.push(("cancelAtPeriodEnd", AttributeValue::Bool(cancel)));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .expression_attribute_values(":at", n(event.created));
        let mut sets = Vec::new();
        // Names go through placeholders: `plan` is a DynamoDB reserved word.
        for (name, value) in values {
            sets.push(format!("#{name} = :v_{name}"));
            update = update
                .expression_attribute_names(format!("#{name}"), name)
                .expression_attribute_values(format!(":v_{name}"), value);
        }
        // The grace period counts from the first failed payment: a later `past_due` event
        // keeps the start; any other status ends it.
        let mut removes = Vec::new();
        match change.subscription_status {
            Some(SubscriptionStatus::PastDue) => {
                sets.push("pastDueSince = if_not_exists(pastDueSince, :since)".to_owned());
                update = update.expression_attribute_values(":since", s(past_due_start(event)));
            }
            Some(_) => removes.push("pastDueSince"),
            None => {}
        }
        let mut condition = "attribute_exists(PK) AND \
                             (attribute_not_exists(billingEventAt) OR billingEventAt <= :at)"
            .to_owned();
        if let Some(subscription) = only_subscription {
            condition.push_str(
                " AND (attribute_not_exists(stripeSubscriptionId) OR stripeSubscriptionId = :only)",
            );
            update = update.expression_attribute_values(":only", s(subscription));
        }
        let mut expression = format!("SET {}", sets.join(", "));
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        let update = update
            .update_expression(expression)
            .condition_expression(condition)
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

#[async_trait]
impl BillingStore for DynamoStore {
    async fn billing_state(&self, tenant: TenantId) -> Result<Option<BillingState>, StoreError> {
        match self
            .get_item(keys::tenant_pk(tenant), keys::TENANT_SK)
            .await?
        {
            Some(item) => Ok(Some(from_item::<TenantBillingItem>(item)?.into_state()?)),
            None => Ok(None),
        }
    }

    async fn tenant_of_customer(&self, customer: &str) -> Result<Option<TenantId>, StoreError> {
        let Some(item) = self
            .get_item(keys::stripe_customer_pk(customer), keys::STRIPE_CUSTOMER_SK)
            .await?
        else {
            return Ok(None);
        };
        let id = item
            .get("tenantId")
            .and_then(|v| v.as_s().ok())
            .and_then(|id| TenantId::parse(id).ok())
            .ok_or_else(|| StoreError::Corrupt {
                key: format!(
                    "{}|{}",
                    keys::stripe_customer_pk(customer),
                    keys::STRIPE_CUSTOMER_SK
                ),
                reason: "tenantId missing or invalid".into(),
            })?;
        Ok(Some(id))
    }

    async fn link_customer(&self, tenant: TenantId, customer: &str) -> Result<String, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression("SET stripeCustomerId = :c")
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(stripeCustomerId)")
            .expression_attribute_values(":c", s(customer))
            .build()
            .map_err(unavailable)?;
        let actions = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder()
                .put(self.customer_index(tenant, customer)?)
                .build(),
        ];
        if self.try_transact(actions).await?.is_empty() {
            return Ok(customer.to_owned());
        }
        // Another request linked one first (or the tenant is gone): keep what is stored.
        self.billing_state(tenant)
            .await?
            .and_then(|state| state.customer_id)
            .ok_or(StoreError::Conflict(crate::ports::Conflict::Stale))
    }

    async fn apply_event(
        &self,
        tenant: TenantId,
        event: &EventRef,
        change: &BillingChange,
        only_subscription: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let Some(before) = self.billing_state(tenant).await? else {
            return Ok(Applied::UnknownTenant);
        };
        let mut actions = vec![
            self.event_record(event)?,
            self.billing_update(tenant, event, change, only_subscription)?,
        ];
        if let Some(customer) = &change.customer_id {
            actions.push(
                TransactWriteItem::builder()
                    .put(self.customer_index(tenant, customer)?)
                    .build(),
            );
        }
        let failed = self.try_transact(actions).await?;
        match failed.first() {
            None => Ok(Applied::Changed { before }),
            Some(0) => Ok(Applied::Duplicate),
            Some(_) => {
                // Older than what is stored, or about another subscription: remember the
                // event so a replay is answered without work, change nothing.
                if self.record_event(event).await? {
                    Ok(Applied::Stale)
                } else {
                    Ok(Applied::Duplicate)
                }
            }
        }
    }

    async fn record_event(&self, event: &EventRef) -> Result<bool, StoreError> {
        let failed = self.try_transact(vec![self.event_record(event)?]).await?;
        Ok(failed.is_empty())
    }

    async fn event_processed(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .get_item(keys::stripe_event_pk(event_id), keys::STRIPE_EVENT_SK)
            .await?
            .is_some())
    }
}

#[async_trait]
impl PendingUpgrades for DynamoStore {
    async fn pending_upgrade_jobs(
        &self,
        tenant: TenantId,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError> {
        let out = self
            .client()
            .await
            .query()
            .table_name(&self.table)
            .index_name("GSI1")
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(
                ":pk",
                s(keys::status_gsi_pk(tenant, JobStatus::PendingUpgrade)),
            )
            // Job ids are ULIDs: ascending is oldest first.
            .scan_index_forward(true)
            .limit(i32::from(limit))
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(JobCardItem::card_with_attempt)
            .collect()
    }

    async fn mark_pending(&self, tenant: TenantId) -> Result<(), StoreError> {
        self.update_tenant_item(tenant, keys::PENDING_MARKER_SK)
            .await
            .update_expression(
                "SET GSI2PK = :g, GSI2SK = :t, markedAt = :v, entity = :e, tenantId = :t",
            )
            .expression_attribute_values(":g", s(keys::pending_gsi_pk(tenant)))
            .expression_attribute_values(":t", s(tenant.to_string()))
            .expression_attribute_values(":v", s(ulid::Ulid::new().to_string()))
            .expression_attribute_values(":e", s("pending_marker"))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn pending_marker(&self, tenant: TenantId) -> Result<Option<PendingMarker>, StoreError> {
        let item = self
            .get_item(keys::tenant_pk(tenant), keys::PENDING_MARKER_SK)
            .await?;
        Ok(item
            .as_ref()
            .and_then(|i| i.get("markedAt"))
            .and_then(|v| v.as_s().ok())
            .map(|version| PendingMarker {
                tenant,
                version: version.clone(),
            }))
    }

    async fn clear_pending(&self, marker: &PendingMarker) -> Result<bool, StoreError> {
        let result = self
            .client()
            .await
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(marker.tenant)))
            .key(keys::SK, s(keys::PENDING_MARKER_SK))
            .condition_expression("markedAt = :v")
            .expression_attribute_values(":v", s(marker.version.clone()))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
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
        let out = self
            .client()
            .await
            .query()
            .table_name(&self.table)
            .index_name("GSI2")
            .key_condition_expression("GSI2PK = :pk AND GSI2SK > :after")
            .expression_attribute_values(":pk", s(keys::pending_shard_pk(shard)))
            // Tenant ids are ULIDs (digits and capitals): every one sorts after "0".
            .expression_attribute_values(":after", s(after.unwrap_or("0")))
            .projection_expression("GSI2SK")
            .limit(i32::from(limit))
            .send()
            .await
            .map_err(unavailable)?;
        let tenants: Vec<TenantId> = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|item| item.get("GSI2SK").and_then(|v| v.as_s().ok()))
            .filter_map(|id| TenantId::parse(id).ok())
            .collect();
        let more = out.last_evaluated_key.is_some_and(|key| !key.is_empty());
        let next = if more {
            tenants.last().map(ToString::to_string)
        } else {
            None
        };
        Ok(PendingPage { tenants, next })
    }
}
