//! Privacy: the tenant's items as plain JSON for its export, and the erasure walk.
//!
//! The erasure is a `Scan` of the whole table, filtered, rather than queries of the
//! tenant's partitions. Items outside `T#<tenant>` that point at the tenant are keyed by
//! something the tenant does not hold (refresh tokens and one-time tokens by the hash of a
//! secret, connections by an API Gateway id), so no query can find them; every one of them
//! carries `tenantId`. One filtered walk finds the tenant's partitions, its job partitions
//! and those items alike, and its position (`LastEvaluatedKey`) makes it resumable. The
//! price is reading the whole table once per erased tenant (docs/security.md).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};

use super::{DynamoStore, Item, keys, query_all, s, unavailable};
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

/// What the erasure walk deletes: the tenant's partitions (`T#<id>` and `T#<id>#…`: ids
/// have a fixed length, so no other tenant's key starts the same way), every item naming
/// the tenant in `tenantId`, the rate-limit windows keyed by the tenant
/// (`RATE#<flow>:tenant:<id>#<window>`: invitations, exports, fetches, …), each member's
/// e-mail look-up (`EMAIL#<address>`) and the windows keyed by a member's address
/// (`RATE#<flow>:email:<address>#<window>`).
///
/// DynamoDB caps a filter expression at 4 KB, and a tenant may have any number of
/// members, so the Scan's filter names only what does not grow with them and lets through
/// every `EMAIL#` and `RATE#` item; [`ErasureScope::covers`] picks the members' ones here.
struct ErasureScope {
    tenant_pk: String,
    tenant: String,
    tenant_rate: String,
    emails: HashSet<String>,
}

impl ErasureScope {
    fn of(target: &ErasureTarget) -> Self {
        Self {
            tenant_pk: keys::tenant_pk(target.tenant),
            tenant: target.tenant.to_string(),
            tenant_rate: format!(":tenant:{}#", target.tenant),
            emails: target.emails.iter().cloned().collect(),
        }
    }

    /// The Scan's filter and its values; the same size whatever the number of members.
    fn filter(&self) -> (String, HashMap<String, AttributeValue>) {
        let filter = "begins_with(PK, :tenantPk) OR tenantId = :tenant \
            OR contains(PK, :tenantRate) OR begins_with(PK, :emailPrefix) \
            OR begins_with(PK, :ratePrefix)";
        let values = HashMap::from([
            (":tenantPk".to_owned(), s(self.tenant_pk.clone())),
            (":tenant".to_owned(), s(self.tenant.clone())),
            (":tenantRate".to_owned(), s(self.tenant_rate.clone())),
            (":emailPrefix".to_owned(), s(keys::EMAIL_PK_PREFIX)),
            (":ratePrefix".to_owned(), s(keys::RATE_PK_PREFIX)),
        ]);
        (filter.to_owned(), values)
    }

    /// True for an item (its `PK` and `tenantId`, as the walk projects them) to erase.
    fn covers(&self, item: &Item) -> bool {
        let attr = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
        let Some(pk) = attr(keys::PK) else {
            return false;
        };
        if pk.starts_with(&self.tenant_pk)
            || attr("tenantId") == Some(&self.tenant)
            || pk.contains(&self.tenant_rate)
        {
            return true;
        }
        if let Some(address) = pk.strip_prefix(keys::EMAIL_PK_PREFIX) {
            return self.emails.contains(address);
        }
        pk.strip_prefix(keys::RATE_PK_PREFIX)
            .and_then(|rest| rest.split_once(":email:"))
            .and_then(|(_, keyed)| keyed.rsplit_once('#'))
            .is_some_and(|(address, _window)| self.emails.contains(address))
    }
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
            .client()
            .await
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
        let query = self
            .client()
            .await
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::job_pk(tenant, job)))
            .consistent_read(true);
        query_all(query).await?.into_iter().map(raw).collect()
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
        let scope = ErasureScope::of(target);
        let (filter, values) = scope.filter();
        let out = self
            .client()
            .await
            .scan()
            .table_name(&self.table)
            .filter_expression(filter)
            .set_expression_attribute_values(Some(values))
            .projection_expression("PK, SK, tenantId")
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
            .filter(|item| scope.covers(item))
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
            .map(|e| {
                (
                    format!("{}{e}", keys::EMAIL_PK_PREFIX),
                    keys::EMAIL_SK.to_owned(),
                )
            })
            .collect();
        self.batch_write(deletes(keys)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(members: usize) -> ErasureTarget {
        ErasureTarget {
            tenant: TenantId::new(),
            emails: (0..members)
                .map(|i| format!("member{i}@example.com"))
                .collect(),
        }
    }

    fn item(pk: &str, tenant: Option<&str>) -> Item {
        let mut item = Item::from([(keys::PK.to_owned(), s(pk)), (keys::SK.to_owned(), s("X"))]);
        if let Some(tenant) = tenant {
            item.insert("tenantId".into(), s(tenant));
        }
        item
    }

    #[test]
    fn the_scan_filter_does_not_grow_with_the_members() {
        let (few, few_values) = ErasureScope::of(&target(1)).filter();
        let (many, many_values) = ErasureScope::of(&target(5000)).filter();
        assert_eq!(few, many);
        assert_eq!(few_values.len(), many_values.len());
        let values_len = |v: &HashMap<String, AttributeValue>| {
            v.iter()
                .map(|(k, v)| k.len() + v.as_s().map_or(0, String::len))
                .sum::<usize>()
        };
        assert_eq!(values_len(&few_values), values_len(&many_values));
        assert!(many.len() + values_len(&many_values) < 4096);
    }

    #[test]
    fn covers_the_tenant_its_members_keys_and_nothing_else() {
        let target = target(150);
        let scope = ErasureScope::of(&target);
        let tenant = target.tenant.to_string();
        let other = TenantId::new().to_string();
        let erased = [
            item(&format!("T#{tenant}"), None),
            item(&format!("T#{tenant}#JOB#01J"), None),
            item("REFRESH#abc", Some(&tenant)),
            item(&format!("RATE#invite:tenant:{tenant}#1700"), None),
            item("EMAIL#member149@example.com", None),
            item("RATE#reset:email:member0@example.com#1700", None),
        ];
        let kept = [
            item(&format!("T#{other}"), None),
            item("REFRESH#def", Some(&other)),
            item(&format!("RATE#invite:tenant:{other}#1700"), None),
            item("EMAIL#member150@example.com", None),
            item("EMAIL#xmember1@example.com", None),
            item("RATE#reset:email:member150@example.com#1700", None),
            item("RATE#reset:email:xmember1@example.com#1700", None),
            item("FAIL#member1@example.com", None),
        ];
        for item in &erased {
            assert!(scope.covers(item), "should erase {item:?}");
        }
        for item in &kept {
            assert!(!scope.covers(item), "should keep {item:?}");
        }
    }
}
