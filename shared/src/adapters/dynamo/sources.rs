//! Sources: under the tenant, counted on the tenant item (plan limit by condition), and in
//! the sparse due index (GSI2) while enabled.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    DynamoStore, conditional, from_item, is_condition_failure, keys, s, to_item, unavailable,
};
use crate::domain::{Source, SourceId, SourceName, SourceValidators, StoredKind, TenantId};
use crate::ports::{Conflict, SourceStore, StoreError};

const DUE_INDEX: &str = "GSI2";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SourceItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    entity: String,
    id: String,
    tenant_id: String,
    name: String,
    kind: String,
    /// The connector configuration as JSON text: stored verbatim, validated on the way in.
    config: String,
    enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_fetched_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_fetch_at: Option<DateTime<Utc>>,
    #[serde(default)]
    jobs_found: u64,
    #[serde(default)]
    consecutive_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    open_ids: Vec<String>,
    /// Rewritten with the item on each fetch (`record_fetch` puts it whole): no request
    /// of its own.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    absences: std::collections::BTreeMap<String, u32>,
    created_at: DateTime<Utc>,
}

impl SourceItem {
    fn from_domain(s: &Source) -> Self {
        let due = s.next_fetch_at.filter(|_| s.enabled);
        Self {
            pk: keys::tenant_pk(s.tenant_id),
            sk: keys::source_sk(s.id),
            gsi2pk: due.map(|_| keys::due_gsi_pk(s.id)),
            gsi2sk: due.map(|at| keys::due_gsi_sk(at, s.tenant_id, s.id)),
            entity: "source".into(),
            id: s.id.to_string(),
            tenant_id: s.tenant_id.to_string(),
            name: s.name.as_str().to_owned(),
            kind: s.kind.as_str().to_owned(),
            config: s.config.to_string(),
            enabled: s.enabled,
            last_fetched_at: s.last_fetched_at,
            last_error: s.last_error.clone(),
            next_fetch_at: s.next_fetch_at,
            jobs_found: s.jobs_found,
            consecutive_failures: s.consecutive_failures,
            etag: s.validators.etag.clone(),
            last_modified: s.validators.last_modified.clone(),
            open_ids: s.open_ids.clone(),
            absences: s.absences.clone(),
            created_at: s.created_at,
        }
    }

    fn into_domain(self) -> Result<Source, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            key: format!("{}|{}", self.pk, self.sk),
            reason,
        };
        Ok(Source {
            id: SourceId::parse(&self.id).map_err(|e| corrupt(e.to_string()))?,
            tenant_id: TenantId::parse(&self.tenant_id).map_err(|e| corrupt(e.to_string()))?,
            config: serde_json::from_str(&self.config).map_err(|e| corrupt(e.to_string()))?,
            name: SourceName::parse(&self.name).map_err(|e| corrupt(e.to_string()))?,
            kind: StoredKind::from_stored(self.kind),
            enabled: self.enabled,
            last_fetched_at: self.last_fetched_at,
            last_error: self.last_error,
            next_fetch_at: self.next_fetch_at,
            jobs_found: self.jobs_found,
            consecutive_failures: self.consecutive_failures,
            validators: SourceValidators {
                etag: self.etag,
                last_modified: self.last_modified,
            },
            open_ids: self.open_ids,
            absences: self.absences,
            created_at: self.created_at,
        })
    }
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl DynamoStore {
    fn source_counter(
        &self,
        tenant: TenantId,
        delta: i64,
        max: Option<u32>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression("ADD sourceCount :d")
            .expression_attribute_values(":d", n(delta));
        update = match max {
            Some(max) => update
                .condition_expression(
                    "attribute_exists(PK) AND (attribute_not_exists(sourceCount) OR sourceCount < :max)",
                )
                .expression_attribute_values(":max", n(i64::from(max))),
            None => update.condition_expression("attribute_exists(PK)"),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }
}

#[async_trait]
impl SourceStore for DynamoStore {
    async fn create_source(&self, source: &Source, max_sources: u32) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&SourceItem::from_domain(source))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let actions = vec![
            TransactWriteItem::builder().put(put).build(),
            self.source_counter(source.tenant_id, 1, Some(max_sources))?,
        ];
        self.transact(
            actions,
            &[Some(Conflict::AlreadyExists), Some(Conflict::SourceLimit)],
        )
        .await
    }

    async fn get_source(
        &self,
        tenant: TenantId,
        id: SourceId,
    ) -> Result<Option<Source>, StoreError> {
        match self
            .get_item(keys::tenant_pk(tenant), &keys::source_sk(id))
            .await?
        {
            Some(item) => Ok(Some(from_item::<SourceItem>(item)?.into_domain()?)),
            None => Ok(None),
        }
    }

    async fn list_sources(&self, tenant: TenantId) -> Result<Vec<Source>, StoreError> {
        self.query_prefix(keys::tenant_pk(tenant), keys::SOURCE_SK_PREFIX, None)
            .await?
            .into_iter()
            .map(|item| from_item::<SourceItem>(item)?.into_domain())
            .collect()
    }

    async fn put_source(&self, source: &Source) -> Result<Option<()>, StoreError> {
        let result = self
            .client()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&SourceItem::from_domain(source))?))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Some(())),
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn record_fetch(&self, source: &Source, as_read: &Source) -> Result<bool, StoreError> {
        let before = SourceItem::from_domain(as_read);
        let result = self
            .client().await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&SourceItem::from_domain(source))?))
            .condition_expression(
                "attribute_exists(PK) AND #name = :name AND kind = :kind AND config = :config AND enabled = :enabled",
            )
            .expression_attribute_names("#name", "name")
            .expression_attribute_values(":name", s(before.name))
            .expression_attribute_values(":kind", s(before.kind))
            .expression_attribute_values(":config", s(before.config))
            .expression_attribute_values(":enabled", AttributeValue::Bool(before.enabled))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> Result<bool, StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::source_sk(id)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let actions = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.source_counter(tenant, -1, None)?,
        ];
        match self.transact(actions, &[Some(Conflict::Stale), None]).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(Conflict::Stale)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn due_sources(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(TenantId, SourceId)>, StoreError> {
        let mut due = Vec::new();
        // "~" sorts after every digit and '#', so all sources due at `now` are included.
        let upper = format!("{}~", keys::sortable_time(now));
        for shard in 0..keys::DUE_SHARDS {
            let mut start = None;
            loop {
                let out = self
                    .client()
                    .await
                    .query()
                    .table_name(&self.table)
                    .index_name(DUE_INDEX)
                    .key_condition_expression("GSI2PK = :pk AND GSI2SK <= :upper")
                    .expression_attribute_values(":pk", s(keys::due_shard_pk(shard)))
                    .expression_attribute_values(":upper", s(upper.clone()))
                    .projection_expression("GSI2SK")
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in out.items.unwrap_or_default() {
                    let Some(sk) = item.get("GSI2SK").and_then(|v| v.as_s().ok()) else {
                        continue;
                    };
                    let mut parts = sk.split('#').skip(1);
                    if let (Some(t), Some(src)) = (parts.next(), parts.next())
                        && let (Ok(t), Ok(src)) = (TenantId::parse(t), SourceId::parse(src))
                    {
                        due.push((t, src));
                    }
                    if due.len() >= limit {
                        return Ok(due);
                    }
                }
                match out.last_evaluated_key {
                    Some(key) if !key.is_empty() => start = Some(key),
                    _ => break,
                }
            }
        }
        Ok(due)
    }

    async fn reschedule(
        &self,
        tenant: TenantId,
        id: SourceId,
        expected: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let result = self
            .update_tenant_item(tenant, keys::source_sk(id))
            .await
            .update_expression("SET nextFetchAt = :next, GSI2SK = :sk")
            .condition_expression("enabled = :yes AND nextFetchAt = :expected")
            .expression_attribute_values(
                ":next",
                s(next.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            )
            .expression_attribute_values(":sk", s(keys::due_gsi_sk(next, tenant, id)))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(
                ":expected",
                s(expected.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
            )
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }
}
