//! The single-table DynamoDB adapter. Key design: `docs/data-model.md`; every key is built
//! in [`keys`], every item shape lives in [`items`].

mod accounts;
mod admission;
mod billing;
mod connections;
mod failures;
mod ingest;
mod invitations;
mod items;
mod job_index;
mod jobs;
pub mod keys;
mod list_plan;
mod list_read;
mod privacy;
mod reindex;
pub use reindex::ReindexReport;
mod ratelimit;
mod scoring;
mod sessions;
mod sources;
mod stats;
mod tokens;
mod tracking;
mod uncounted;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, TransactWriteItem, WriteRequest,
};
use serde::Serialize;

use crate::adapters::SdkClient;
use crate::adapters::aws::describe;
use crate::domain::TenantId;
use crate::http::CursorCodec;
use crate::ports::{Conflict, StoreError};

type Item = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    /// Built by the first call ([`SdkClient`]): a function's init makes no client.
    client: SdkClient<Client>,
    table: String,
    /// `None` in the functions that hold no signing key (the workers): they never page a
    /// list for a client, and a call that would is refused instead of signing with a key
    /// they were not given.
    cursors: Option<CursorCodec>,
}

/// How a batch read sees the table: `Strong` costs twice the read units of `Eventual`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Read {
    Strong,
    Eventual,
}

impl DynamoStore {
    pub fn new(
        client: impl Into<SdkClient<Client>>,
        table: impl Into<String>,
        cursors: CursorCodec,
    ) -> Self {
        Self::without_cursors(client, table).with_cursors(cursors)
    }

    /// A store for a function that holds no cursor key: listing with pagination fails.
    pub fn without_cursors(client: impl Into<SdkClient<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
            cursors: None,
        }
    }

    pub fn with_cursors(self, cursors: CursorCodec) -> Self {
        Self {
            cursors: Some(cursors),
            ..self
        }
    }

    fn cursors(&self) -> Result<&CursorCodec, StoreError> {
        self.cursors.as_ref().ok_or_else(|| {
            StoreError::Unavailable(
                "this function holds no cursor key; lists are not paged here".into(),
            )
        })
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// This store's client, to share with another adapter of the same table: one client
    /// per process, built by the first call of either.
    pub fn shared_client(&self) -> SdkClient<Client> {
        self.client.clone()
    }

    /// The table's client, built by the first call of this store or any clone.
    async fn client(&self) -> &Client {
        self.client.get().await
    }

    /// Runs a transaction. A cancellation caused by a failed condition is mapped through
    /// `conflicts` (one entry per action, in order) to the domain conflict of the first
    /// action whose condition failed; anything else is `Unavailable`.
    async fn transact(
        &self,
        actions: Vec<TransactWriteItem>,
        conflicts: &[Option<Conflict>],
    ) -> Result<(), StoreError> {
        debug_assert_eq!(actions.len(), conflicts.len());
        let failed = self.try_transact(actions).await?;
        match failed.first() {
            None => Ok(()),
            Some(&i) => match conflicts.get(i).copied().flatten() {
                Some(conflict) => Err(StoreError::Conflict(conflict)),
                None => Err(StoreError::Unavailable(format!(
                    "transaction cancelled: condition of action {i} failed"
                ))),
            },
        }
    }

    /// Runs a transaction; the positions of the actions whose condition failed (empty when
    /// it was applied). A conflict with a concurrent transaction on the same items (hot
    /// counters) is retried a few times; any other cancellation is `Unavailable`.
    async fn try_transact(
        &self,
        actions: Vec<TransactWriteItem>,
    ) -> Result<Vec<usize>, StoreError> {
        const ATTEMPTS: u32 = 5;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .client()
                .await
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .send()
                .await;
            let cancel = match result {
                Ok(_) => return Ok(Vec::new()),
                Err(SdkError::ServiceError(service)) => match service.err() {
                    TransactWriteItemsError::TransactionCanceledException(cancel) => cancel.clone(),
                    other => return Err(StoreError::Unavailable(describe(other))),
                },
                Err(other) => return Err(StoreError::Unavailable(describe(&other))),
            };
            let reasons = cancel.cancellation_reasons();
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            if !failed.is_empty() {
                return Ok(failed);
            }
            let conflict = reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"));
            if conflict && attempt < ATTEMPTS {
                // Spread the retries of concurrent writers apart.
                let jitter = u64::from(ulid::Ulid::new().random() as u8 % 40);
                tokio::time::sleep(std::time::Duration::from_millis(
                    20 * u64::from(attempt) + jitter,
                ))
                .await;
                continue;
            }
            return Err(StoreError::Unavailable(format!(
                "transaction cancelled: {:?}",
                reasons
                    .iter()
                    .map(|r| r.code().unwrap_or("None"))
                    .collect::<Vec<_>>()
            )));
        }
    }
}

/// A string attribute.
pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// An unconditional delete of one item, as a transaction's action.
fn delete_action(table: &str, pk: String, sk: String) -> Result<TransactWriteItem, StoreError> {
    let delete = aws_sdk_dynamodb::types::Delete::builder()
        .table_name(table)
        .key(keys::PK, s(pk))
        .key(keys::SK, s(sk))
        .build()
        .map_err(unavailable)?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// A put that succeeds only if no item has this key yet.
fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .build()
        .map_err(unavailable)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl DynamoStore {
    /// An `UpdateItem` of the tenant's item `sk`, to be given its expressions.
    async fn update_tenant_item(
        &self,
        tenant: TenantId,
        sk: impl Into<String>,
    ) -> UpdateItemFluentBuilder {
        self.client()
            .await
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(sk))
    }

    /// A strongly consistent read of one item.
    async fn get_item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client()
            .await
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// Reads of up to 100 items in one `BatchGetItem` (DynamoDB's limit), in the order of
    /// `wanted`; `None` for an absent item. `projection` must name `PK` and `SK` when given
    /// (results are matched to `wanted` by key). Keys DynamoDB leaves unprocessed
    /// (throttling) are asked again, a bounded number of times.
    async fn get_items(
        &self,
        wanted: &[(String, String)],
        projection: Option<&str>,
        read: Read,
    ) -> Result<Vec<Option<Item>>, StoreError> {
        let key = |pk: &str, sk: &str| {
            Item::from([
                (keys::PK.to_owned(), AttributeValue::S(pk.to_owned())),
                (keys::SK.to_owned(), AttributeValue::S(sk.to_owned())),
            ])
        };
        let mut pending: Vec<Item> = wanted.iter().map(|(pk, sk)| key(pk, sk)).collect();
        let mut found = Vec::new();
        for attempt in 0..BATCH_ATTEMPTS {
            if pending.is_empty() {
                break;
            }
            back_off(attempt).await;
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .set_projection_expression(projection.map(str::to_owned))
                .consistent_read(read == Read::Strong)
                .build()
                .map_err(unavailable)?;
            let mut out = self
                .client()
                .await
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(unavailable)?;
            found.extend(
                out.responses
                    .as_mut()
                    .and_then(|r| r.remove(&self.table))
                    .unwrap_or_default(),
            );
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
        }
        if !pending.is_empty() {
            return Err(StoreError::Unavailable("batch get kept throttling".into()));
        }
        Ok(wanted
            .iter()
            .map(|(pk, sk)| {
                let at = found.iter().position(|item| item_key_is(item, pk, sk))?;
                Some(found.swap_remove(at))
            })
            .collect())
    }

    /// Puts and deletes in `BatchWriteItem`s of 25 (DynamoDB's limit; moto accepts more),
    /// in order, retrying what DynamoDB leaves unprocessed (throttling) a bounded number of
    /// times. Not atomic: a failure leaves earlier batches written.
    async fn batch_write(&self, requests: Vec<WriteRequest>) -> Result<(), StoreError> {
        self.batch_write_whole(requests.into_iter().map(|r| vec![r]).collect())
            .await
    }

    /// [`Self::batch_write`] of groups (each at most 25 requests) that are never split
    /// across two calls, so a process that dies between two calls leaves each group
    /// written whole or not at all.
    async fn batch_write_whole(&self, groups: Vec<Vec<WriteRequest>>) -> Result<(), StoreError> {
        for chunk in pack(groups, BATCH_WRITE) {
            let mut pending = chunk;
            for attempt in 0..BATCH_ATTEMPTS {
                if pending.is_empty() {
                    break;
                }
                back_off(attempt).await;
                let out = self
                    .client()
                    .await
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut pending))
                    .send()
                    .await
                    .map_err(unavailable)?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(&self.table))
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable(
                    "batch write kept throttling".into(),
                ));
            }
        }
        Ok(())
    }
}

/// `BatchWriteItem` takes at most 25 requests.
const BATCH_WRITE: usize = 25;
/// `BatchGetItem` takes at most 100 keys (what [`DynamoStore::get_items`] is given).
const BATCH_GET: usize = 100;

/// `groups` in order, in batches of at most `cap` items, a group never split (a group
/// longer than `cap` is one batch of its own and left to the call to refuse).
fn pack<T>(groups: Vec<Vec<T>>, cap: usize) -> Vec<Vec<T>> {
    let mut batches: Vec<Vec<T>> = Vec::new();
    for group in groups.into_iter().filter(|g| !g.is_empty()) {
        match batches.last_mut() {
            Some(last) if last.len() + group.len() <= cap => last.extend(group),
            _ => batches.push(group),
        }
    }
    batches
}
/// Tries of one batch whose items DynamoDB keeps leaving unprocessed.
const BATCH_ATTEMPTS: u32 = 8;

/// The pause before try `attempt` (from 0) of a batch: none for the first, then
/// exponential from 50 ms, capped at 800 ms.
async fn back_off(attempt: u32) {
    if attempt > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5))).await;
    }
}

fn item_key_is(item: &Item, pk: &str, sk: &str) -> bool {
    let is = |name: &str, want: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|v| v == want)
    };
    is(keys::PK, pk) && is(keys::SK, sk)
}

impl DynamoStore {
    /// Every item of partition `pk` whose sort key starts with `prefix`, following
    /// `LastEvaluatedKey` (for small, bounded sets: members, sources, sessions).
    async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let query = prefix_query(self.client().await, &self.table, pk, prefix)
            .set_projection_expression(projection.map(str::to_owned));
        query_all(query).await
    }
}

/// The query for the items of partition `pk` whose sort key starts with `prefix`; the
/// caller adds what it needs (a projection, a consistent read) and runs it with
/// [`query_all`].
pub fn prefix_query(client: &Client, table: &str, pk: String, prefix: &str) -> QueryFluentBuilder {
    client
        .query()
        .table_name(table)
        .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
        .expression_attribute_values(":pk", AttributeValue::S(pk))
        .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
}

/// Every item `query` answers, page after page (`LastEvaluatedKey`): for small, bounded
/// sets only.
pub async fn query_all(query: QueryFluentBuilder) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = query
            .clone()
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(items),
        }
    }
}

/// Serialises an item struct into attributes.
fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value)
        .map_err(|e| StoreError::Unavailable(format!("serialise item: {e}")))
}

/// Deserialises attributes into an item struct; a failure names the item's key.
fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let key = item_key(&item);
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key,
        reason: e.to_string(),
    })
}

fn item_key(item: &Item) -> String {
    let part = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map_or("?", String::as_str)
            .to_owned()
    };
    format!("{}|{}", part("PK"), part("SK"))
}

/// True when a single-item write failed its condition expression.
fn is_condition_failure<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
    e: &SdkError<E, R>,
) -> bool {
    matches!(e, SdkError::ServiceError(service) if service.err().code() == Some("ConditionalCheckFailedException"))
}

/// The outcome of a conditional single-item write: `Some` if it was applied, `None` if its
/// condition did not hold, an error for anything else.
fn conditional<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Option<T>, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_condition_failure(&e) => Ok(None),
        Err(e) => Err(unavailable(e)),
    }
}

fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(describe(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{JobId, TenantId};
    use crate::ports::{JobQuery, JobStore, PageRequest, ScoringStore};

    #[test]
    fn packing_keeps_groups_whole_in_order_and_batches_within_the_cap() {
        // Four-item groups: 6 fit in 25, the 7th starts a new batch.
        let groups: Vec<Vec<u32>> = (0..8)
            .map(|g| (0..4).map(|i| g * 4 + i).collect())
            .collect();
        let batches = pack(groups, 25);
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].len(), 24);
        assert_eq!(batches[1].len(), 8);
        let flat: Vec<u32> = batches.concat();
        assert_eq!(flat, (0..32).collect::<Vec<_>>(), "order kept");
        // Single items fill batches to the cap; empty groups are dropped.
        let singles: Vec<Vec<u32>> = (0..60).map(|i| vec![i]).chain([vec![]]).collect();
        let lens: Vec<usize> = pack(singles, 25).iter().map(Vec::len).collect();
        assert_eq!(lens, [25, 25, 10]);
        // A group past the cap stays whole, alone.
        let lens: Vec<usize> = pack(vec![vec![0; 3], vec![0; 30], vec![0; 3]], 25)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(lens, [3, 30, 3]);
    }

    /// A client that could reach nothing: the refusal must come before any request.
    fn unreachable_client() -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new("eu-west-1"))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        Client::from_conf(config)
    }

    #[tokio::test]
    async fn a_store_without_the_cursor_key_opens_no_cursor() {
        let keyless = DynamoStore::without_cursors(unreachable_client(), "t");
        let sealed = CursorCodec::new(&[1u8; 32]).unwrap().seal(
            TenantId::new(),
            "jobs",
            &Default::default(),
        );
        let page = PageRequest {
            limit: 10,
            cursor: Some(sealed),
        };
        let tenant = TenantId::new();
        let listed = keyless.list_jobs(tenant, &JobQuery::default(), &page).await;
        assert!(
            matches!(&listed, Err(StoreError::Unavailable(why)) if why.contains("no cursor key")),
            "{listed:?}"
        );
        let history = keyless.history(tenant, JobId::new(), &page).await;
        assert!(
            matches!(&history, Err(StoreError::Unavailable(why)) if why.contains("no cursor key")),
            "{history:?}"
        );
    }
}
