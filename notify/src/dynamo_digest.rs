//! [`DigestStore`] on the single table: due members through the sparse GSI2 partition
//! `DIGEST#<HH>`, the tenant's scored jobs at `T#<tenant>` / `DIGESTJOB#<scoredAt>#<jobId>`
//! (kept 3 days), and the per-member, per-day marker `DIGESTED#<userId>#<date>`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use shared::adapters::dynamo::keys::{
    DIGEST_ENTRY_SK_PREFIX, digest_due_gsi_pk, digest_entry_sk, digested_sk, tenant_pk,
};
use shared::domain::{TenantId, UserId};
use shared::ports::StoreError;

use crate::DynamoNotifications;
use crate::deliver::Settled;
use crate::digest::{DigestEntry, DigestStore};
use crate::settings::MemberSettings;

const ENTRY_TTL_SECS: i64 = 3 * 24 * 3600;
const MARKER_TTL_SECS: i64 = 7 * 24 * 3600;

#[derive(Serialize, Deserialize)]
struct EntryItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(rename = "expiresAt")]
    expires_at: i64,
    #[serde(flatten)]
    entry: DigestEntry,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn store_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl DigestStore for DynamoNotifications {
    async fn due_at(
        &self,
        hour: u32,
    ) -> Result<Vec<(TenantId, UserId, MemberSettings)>, StoreError> {
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.table())
                .index_name("GSI2")
                .key_condition_expression("GSI2PK = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(digest_due_gsi_pk(hour)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in out.items.unwrap_or_default() {
                let tenant = item
                    .get("PK")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|pk| pk.strip_prefix("T#"))
                    .and_then(|t| t.parse().ok());
                let (user, settings) = self.settings_of(item)?;
                if let Some(tenant) = tenant {
                    found.push((tenant, user, settings));
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(found),
            }
        }
    }

    async fn record(&self, tenant: TenantId, entry: &DigestEntry) -> Result<(), StoreError> {
        let item = EntryItem {
            pk: tenant_pk(tenant),
            sk: digest_entry_sk(&stamp(entry.scored_at), entry.job_id),
            entity: "DigestEntry".into(),
            expires_at: entry.scored_at.timestamp() + ENTRY_TTL_SECS,
            entry: entry.clone(),
        };
        let item = serde_dynamo::to_item(&item).map_err(store_error)?;
        self.client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        let from = format!("{DIGEST_ENTRY_SK_PREFIX}{}", stamp(since));
        let to = format!("{DIGEST_ENTRY_SK_PREFIX}~");
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
                .expression_attribute_values(":pk", AttributeValue::S(tenant_pk(tenant)))
                .expression_attribute_values(":from", AttributeValue::S(from.clone()))
                .expression_attribute_values(":to", AttributeValue::S(to.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(store_error)?;
            for item in out.items.unwrap_or_default() {
                let item: EntryItem = serde_dynamo::from_item(item).map_err(store_error)?;
                entries.push(item.entry);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(entries),
            }
        }
    }

    async fn claim(&self, tenant: TenantId, user: UserId, date: &str) -> Result<bool, StoreError> {
        let now = Utc::now();
        let result = self
            .client()
            .put_item()
            .table_name(self.table())
            .item("PK", AttributeValue::S(tenant_pk(tenant)))
            .item("SK", AttributeValue::S(digested_sk(user, date)))
            .item("entity", AttributeValue::S("DigestMarker".into()))
            .item("state", AttributeValue::S("attempted".into()))
            .item(
                "expiresAt",
                AttributeValue::N((now.timestamp() + MARKER_TTL_SECS).to_string()),
            )
            .condition_expression("attribute_not_exists(PK) OR #state = :failed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":failed", AttributeValue::S("failed".into()))
            .send()
            .await;
        crate::dynamo::conditional(result)
    }

    async fn settle(
        &self,
        tenant: TenantId,
        user: UserId,
        date: &str,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let state = match settled {
            Settled::Sent => "sent",
            Settled::Failed => "failed",
        };
        self.client()
            .update_item()
            .table_name(self.table())
            .key("PK", AttributeValue::S(tenant_pk(tenant)))
            .key("SK", AttributeValue::S(digested_sk(user, date)))
            .update_expression("SET #state = :state")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", AttributeValue::S(state.into()))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}
