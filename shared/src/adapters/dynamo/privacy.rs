//! Privacy: the tenant's items as plain JSON for its export, and the erasure walk.
//!
//! The erasure is a `Scan` of the whole table, filtered, rather than queries of the
//! tenant's partitions. Items outside `T#<tenant>` that point at the tenant are keyed by
//! something the tenant does not hold (refresh tokens and one-time tokens by the hash of a
//! secret, connections by an API Gateway id), so no query can find them; every one of them
//! carries `tenantId`. One filtered walk finds the tenant's partitions, its job partitions
//! and those items alike, and its position (`LastEvaluatedKey`) makes it resumable. The
//! price is reading the whole table once per erased tenant (docs/security.md).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};

use super::{DynamoStore, Item, keys, s, unavailable};
use crate::domain::{JobId, TenantId};
use crate::ports::{
    ErasedPage, ErasureTarget, RawItem, RawPage, StoreError, TenantArchive, TenantEraser,
};

fn raw(item: Item) -> Result<RawItem, StoreError> {
    let key = super::item_key(&item);
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key,
        reason: e.to_string(),
    })
}

fn key_of(item: &Item) -> Option<(String, String)> {
    let part = |name: &str| item.get(name)?.as_s().ok().cloned();
    Some((part(keys::PK)?, part(keys::SK)?))
}

fn encode_position(key: &Item) -> Option<String> {
    let (pk, sk) = key_of(key)?;
    serde_json::to_string(&[pk, sk]).ok()
}

fn decode_position(position: &str) -> Result<Item, StoreError> {
    let [pk, sk]: [String; 2] =
        serde_json::from_str(position).map_err(|e| StoreError::Corrupt {
            key: "erasure position".into(),
            reason: e.to_string(),
        })?;
    Ok(Item::from([
        (keys::PK.into(), s(pk)),
        (keys::SK.into(), s(sk)),
    ]))
}

/// The filter of the erasure walk: the tenant's partitions (`T#<id>` and `T#<id>#…`: ids
/// have a fixed length, so no other tenant's key starts the same way), every item naming
/// the tenant in `tenantId`, each member's e-mail look-up, and the rate-limit windows keyed
/// by the tenant (`RATE#<flow>:tenant:<id>#<window>`: invitations, exports, fetches, …) or
/// by a member's address (`RATE#<flow>:email:<address>#<window>`).
fn erasure_filter(target: &ErasureTarget) -> (String, HashMap<String, AttributeValue>) {
    let mut clauses = vec![
        "begins_with(PK, :tenantPk)".to_owned(),
        "tenantId = :tenant".to_owned(),
        "contains(PK, :tenantRate)".to_owned(),
    ];
    let mut values = HashMap::from([
        (":tenantPk".to_owned(), s(keys::tenant_pk(target.tenant))),
        (":tenant".to_owned(), s(target.tenant.to_string())),
        (
            ":tenantRate".to_owned(),
            s(format!(":tenant:{}#", target.tenant)),
        ),
    ]);
    for (i, email) in target.emails.iter().enumerate() {
        clauses.push(format!("PK = :email{i} OR contains(PK, :rate{i})"));
        values.insert(format!(":email{i}"), s(format!("EMAIL#{email}")));
        values.insert(format!(":rate{i}"), s(format!(":email:{email}#")));
    }
    (clauses.join(" OR "), values)
}

/// Unconditional deletes of `keys`, for a batch write.
fn deletes(keys: Vec<(String, String)>) -> Result<Vec<WriteRequest>, StoreError> {
    keys.into_iter()
        .map(|(pk, sk)| {
            DeleteRequest::builder()
                .key(keys::PK, s(pk))
                .key(keys::SK, s(sk))
                .build()
                .map(|d| WriteRequest::builder().delete_request(d).build())
                .map_err(unavailable)
        })
        .collect()
}

#[async_trait]
impl TenantArchive for DynamoStore {
    async fn tenant_items(
        &self,
        tenant: TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> Result<RawPage, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let start = after.map(|sk| {
            Item::from([
                (keys::PK.to_owned(), s(pk.clone())),
                (keys::SK.to_owned(), s(sk)),
            ])
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(pk.clone()))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit.clamp(1, 1000)).unwrap_or(1000))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let more = out.last_evaluated_key.is_some_and(|k| !k.is_empty());
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(raw)
            .collect::<Result<_, _>>()?;
        Ok(RawPage { items, more })
    }

    async fn job_items(&self, tenant: TenantId, job: &str) -> Result<Vec<RawItem>, StoreError> {
        let job = JobId::parse(job).map_err(|e| StoreError::Corrupt {
            key: format!("{}|JOB#{job}", keys::tenant_pk(tenant)),
            reason: e.to_string(),
        })?;
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk")
                .expression_attribute_values(":pk", s(keys::job_pk(tenant, job)))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                items.push(raw(item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

#[async_trait]
impl TenantEraser for DynamoStore {
    async fn erase_page(
        &self,
        target: &ErasureTarget,
        start: Option<&str>,
        page_size: u32,
    ) -> Result<ErasedPage, StoreError> {
        let (filter, values) = erasure_filter(target);
        let out = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(filter)
            .set_expression_attribute_values(Some(values))
            .projection_expression("PK, SK")
            .limit(i32::try_from(page_size.max(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start.map(decode_position).transpose()?)
            // A strongly consistent walk: an item written just before the page was read
            // is seen by it.
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let found: Vec<(String, String)> = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(key_of)
            .collect();
        let deleted = found.len();
        self.batch_write(deletes(found)?).await?;
        let next = out
            .last_evaluated_key
            .filter(|k| !k.is_empty())
            .as_ref()
            .and_then(encode_position);
        Ok(ErasedPage { deleted, next })
    }

    async fn release_emails(&self, emails: &[String]) -> Result<(), StoreError> {
        let keys = emails
            .iter()
            .map(|e| (format!("EMAIL#{e}"), keys::EMAIL_SK.to_owned()))
            .collect();
        self.batch_write(deletes(keys)?).await
    }
}
