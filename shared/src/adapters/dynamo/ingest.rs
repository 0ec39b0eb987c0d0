//! Bulk ingestion: dedup by batched reads, then batched conditional writes, so the writes
//! of a fetch grow with the number of new postings, not with the board's size.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem,
};

use super::items::{JobBodyItem, JobCardItem, JobUrlItem};
use super::{DynamoStore, Item, is_condition_failure, keys, to_item, unavailable};
use crate::domain::{Job, JobId, TenantId};
use crate::ports::{IngestStore, InsertReport, PostingKeys, StoreError};

/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET: usize = 100;
/// `TransactWriteItems` takes at most 100 actions; a job needs up to 5.
const TRANSACTION_ACTIONS: usize = 100;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// The marker sort keys (under the tenant) that make a posting "known".
fn marker_sks(keys_of: &PostingKeys) -> Vec<String> {
    let mut sks = vec![keys::job_url_sk(&keys_of.url)];
    if let Some(native) = &keys_of.native_id {
        sks.push(keys::native_sk(keys_of.source, native));
    }
    sks.push(keys::fingerprint_sk(&keys_of.fingerprint));
    sks
}

fn job_keys(job: &Job) -> PostingKeys {
    PostingKeys {
        url: job.card.url.clone(),
        source: job.card.source_id,
        native_id: job.native_id.clone(),
        fingerprint: job.fingerprint.clone(),
    }
}

impl DynamoStore {
    fn put_marker(
        &self,
        pk: &str,
        sk: String,
        job: JobId,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(pk))
            .item(keys::SK, s(sk))
            .item("entity", s("job_marker"))
            .item("jobId", s(job.to_string()))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn put_new_item(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        super::put_new(&self.table, item)
    }

    /// The actions that store one job: card, body, URL marker, native-id marker (if the
    /// source has ids) and fingerprint marker, each conditional.
    fn job_actions(&self, job: &Job) -> Result<Vec<TransactWriteItem>, StoreError> {
        let pk = keys::tenant_pk(job.tenant_id);
        let mut actions = vec![
            self.put_new_item(to_item(&JobCardItem::from_domain(job))?)?,
            self.put_new_item(to_item(&JobBodyItem::from_domain(job))?)?,
            self.put_new_item(to_item(&JobUrlItem::from_domain(job))?)?,
        ];
        let mut markers = marker_sks(&job_keys(job));
        markers.remove(0); // the URL marker is the JobUrlItem above
        for sk in markers {
            actions.push(self.put_marker(&pk, sk, job.card.id)?);
        }
        Ok(actions)
    }

    /// Runs one transaction of whole jobs. On a cancellation caused by conditions, returns
    /// the indexes (into `jobs`) whose markers already existed.
    async fn insert_chunk(&self, jobs: &[&Job]) -> Result<Vec<usize>, StoreError> {
        let mut actions = Vec::new();
        let mut owner = Vec::new();
        for (i, job) in jobs.iter().enumerate() {
            for action in self.job_actions(job)? {
                actions.push(action);
                owner.push(i);
            }
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await
        {
            Ok(_) => Ok(Vec::new()),
            Err(e) => match e.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => {
                    let failed: HashSet<usize> = cancel
                        .cancellation_reasons()
                        .iter()
                        .enumerate()
                        .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                        .filter_map(|(i, _)| owner.get(i).copied())
                        .collect();
                    if failed.is_empty() {
                        Err(unavailable(e))
                    } else {
                        let mut failed: Vec<usize> = failed.into_iter().collect();
                        failed.sort_unstable();
                        Ok(failed)
                    }
                }
                _ => Err(unavailable(e)),
            },
        }
    }
}

#[async_trait]
impl IngestStore for DynamoStore {
    async fn known_postings(
        &self,
        tenant: TenantId,
        postings: &[PostingKeys],
    ) -> Result<Vec<bool>, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let wanted: Vec<Vec<String>> = postings.iter().map(marker_sks).collect();
        let mut unique: Vec<String> = wanted.iter().flatten().cloned().collect();
        unique.sort();
        unique.dedup();
        let mut found: HashSet<String> = HashSet::new();
        for chunk in unique.chunks(BATCH_GET) {
            let mut pending: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|sk| {
                    HashMap::from([
                        (keys::PK.to_owned(), s(pk.clone())),
                        (keys::SK.to_owned(), s(sk.clone())),
                    ])
                })
                .collect();
            // UnprocessedKeys are retried with a short back-off, a bounded number of times.
            for attempt in 0..8u32 {
                if pending.is_empty() {
                    break;
                }
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(25 << attempt.min(5)))
                        .await;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .projection_expression("SK")
                    .build()
                    .map_err(unavailable)?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    if let Some(sk) = item.get(keys::SK).and_then(|v| v.as_s().ok()) {
                        found.insert(sk.clone());
                    }
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            if !pending.is_empty() {
                return Err(StoreError::Unavailable("batch get kept throttling".into()));
            }
        }
        Ok(wanted
            .iter()
            .map(|sks| sks.iter().any(|sk| found.contains(sk)))
            .collect())
    }

    async fn insert_jobs(&self, jobs: &[Job]) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        // Two postings of one batch with a shared marker would put one item twice in a
        // transaction, which DynamoDB refuses outright: keep the first.
        let mut seen = HashSet::new();
        let mut queue: Vec<&Job> = Vec::new();
        for job in jobs {
            let markers = marker_sks(&job_keys(job));
            if markers
                .iter()
                .any(|m| seen.contains(&(job.tenant_id, m.clone())))
            {
                report.duplicates.push(job.card.id);
                continue;
            }
            for m in markers {
                seen.insert((job.tenant_id, m));
            }
            queue.push(job);
        }
        let per_chunk = TRANSACTION_ACTIONS / 5;
        for chunk in queue.chunks(per_chunk) {
            let mut remaining: Vec<&Job> = chunk.to_vec();
            // Each round removes at least one job (a duplicate) or stores them all.
            while !remaining.is_empty() {
                let failed = self.insert_chunk(&remaining).await?;
                if failed.is_empty() {
                    report.inserted.extend(remaining.iter().map(|j| j.card.id));
                    break;
                }
                let mut next = Vec::new();
                for (i, job) in remaining.into_iter().enumerate() {
                    if failed.contains(&i) {
                        report.duplicates.push(job.card.id);
                    } else {
                        next.push(job);
                    }
                }
                remaining = next;
            }
        }
        Ok(report)
    }

    async fn reserve_quota(
        &self,
        tenant: TenantId,
        period: &str,
        want: u32,
        limit: u32,
    ) -> Result<u32, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let sk = keys::usage_sk(period);
        for _ in 0..10 {
            let used: u32 = self
                .get_item(pk.clone(), &sk)
                .await?
                .as_ref()
                .and_then(|i| i.get("scoredJobs"))
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let grant = want.min(limit.saturating_sub(used));
            if grant == 0 {
                return Ok(0);
            }
            // Succeeds only if nobody took quota since the read would push us past it.
            let result = self
                .client
                .update_item()
                .table_name(&self.table)
                .key(keys::PK, s(pk.clone()))
                .key(keys::SK, s(sk.clone()))
                .update_expression("ADD scoredJobs :grant SET entity = :entity")
                .condition_expression("attribute_not_exists(scoredJobs) OR scoredJobs <= :max")
                .expression_attribute_values(":grant", AttributeValue::N(grant.to_string()))
                .expression_attribute_values(":max", AttributeValue::N((limit - grant).to_string()))
                .expression_attribute_values(":entity", s("usage"))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match result {
                Ok(_) => return Ok(grant),
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        Err(StoreError::Unavailable(
            "quota counter contended; try again".into(),
        ))
    }

    async fn release_quota(
        &self,
        tenant: TenantId,
        period: &str,
        n: u32,
    ) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::usage_sk(period)))
            .update_expression("ADD scoredJobs :minus")
            .condition_expression("scoredJobs >= :n")
            .expression_attribute_values(":minus", AttributeValue::N(format!("-{n}")))
            .expression_attribute_values(":n", AttributeValue::N(n.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Never drive the counter negative (e.g. the month rolled over meanwhile).
            Err(e) if is_condition_failure(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
