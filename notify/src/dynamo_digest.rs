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
use shared::adapters::dynamo::query_all;
use shared::domain::{TenantId, UserId};
use shared::ports::StoreError;

use crate::DynamoNotifications;
use crate::deliver::Settled;
use crate::digest::{DigestEntry, DigestStore};
use crate::dynamo::{from_item, to_item, unavailable};
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

#[async_trait]
impl DigestStore for DynamoNotifications {
    async fn due_at(
        &self,
        hour: u32,
    ) -> Result<Vec<(TenantId, UserId, MemberSettings)>, StoreError> {
        let query = self
            .client()
            .await
            .query()
            .table_name(self.table())
            .index_name("GSI2")
            .key_condition_expression("GSI2PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(digest_due_gsi_pk(hour)));
        let mut found = Vec::new();
        for item in query_all(query).await? {
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
        Ok(found)
    }

    async fn record(&self, tenant: TenantId, entry: &DigestEntry) -> Result<(), StoreError> {
        let item = to_item(&EntryItem {
            pk: tenant_pk(tenant),
            sk: digest_entry_sk(&stamp(entry.scored_at), entry.job_id),
            entity: "DigestEntry".into(),
            expires_at: entry.scored_at.timestamp() + ENTRY_TTL_SECS,
            entry: entry.clone(),
        })?;
        self.client()
            .await
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn since(
        &self,
        tenant: TenantId,
        since: DateTime<Utc>,
    ) -> Result<Vec<DigestEntry>, StoreError> {
        let from = format!("{DIGEST_ENTRY_SK_PREFIX}{}", stamp(since));
        let to = format!("{DIGEST_ENTRY_SK_PREFIX}~");
        let query = self
            .client()
            .await
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", AttributeValue::S(tenant_pk(tenant)))
            .expression_attribute_values(":from", AttributeValue::S(from))
            .expression_attribute_values(":to", AttributeValue::S(to));
        query_all(query)
            .await?
            .into_iter()
            .map(|item| from_item::<EntryItem>(item).map(|i| i.entry))
            .collect()
    }

    async fn claim(&self, tenant: TenantId, user: UserId, date: &str) -> Result<bool, StoreError> {
        let (pk, sk) = (tenant_pk(tenant), digested_sk(user, date));
        self.claim_marker(pk, sk, "DigestMarker", MARKER_TTL_SECS)
            .await
    }

    async fn settle(
        &self,
        tenant: TenantId,
        user: UserId,
        date: &str,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let (pk, sk) = (tenant_pk(tenant), digested_sk(user, date));
        self.settle_marker(pk, sk, settled).await
    }
}
