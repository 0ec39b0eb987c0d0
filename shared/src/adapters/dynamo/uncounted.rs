//! Day counters of bulk ingestion that survive a crash. `BatchWriteItem` cannot add to a
//! counter, so an insert writes its jobs first and counts them after, and a fetcher that
//! died in between used to leave the counters short for good (the retry finds those
//! postings known and does not count them again).
//!
//! So before writing, an insert records the jobs it is about to write, with their status,
//! on the tenant's ingest-lease item (`uncounted`, under a fresh `uncountedBatch` id). One
//! transaction then adds the counters and removes the record, conditioned on the batch id.
//! A record still there later belongs to an insert that died: whoever next takes the lease
//! (or, with no live holder, the next insert made without the lease) reads which of its
//! jobs were written, by their cards, and counts exactly those in the same kind of
//! transaction. The condition on the batch id makes every record counted once, by
//! whichever transaction commits first.
//!
//! Cost per insert of up to [`COUNT_CHUNK`] jobs: one `UpdateItem` (the record) and one
//! transaction, where a fetch made one counter `UpdateItem` per day and source before.
//! The record is about 40 bytes a job, and updates are billed on the item's size: about
//! 30 WCU a full chunk (see docs/data-model.md).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};

use super::items::JobCardItem;
use super::stats::created_counter_adds;
use super::{BATCH_GET, DynamoStore, Item, Read, conditional, from_item, keys, s, unavailable};
use crate::domain::{Job, JobId, JobStatus, SourceId, TenantId};
use crate::ports::StoreError;

/// Jobs recorded and counted together: keeps the record near 10 KB on its item.
pub(super) const COUNT_CHUNK: usize = 250;
/// A transaction takes 100 actions: the record's removal and up to 99 counter items.
const MAX_COUNTER_ITEMS: usize = 99;

const RECORD: &str = "uncounted";
/// The record's batch id; its presence is what [`has_uncounted`] looks for.
pub(super) const BATCH: &str = "uncountedBatch";

/// Whether a lease item holds the record of an insert that was not counted.
pub(super) fn has_uncounted(item: &Item) -> bool {
    item.contains_key(BATCH)
}

/// Splits `jobs` into runs of one tenant, each of at most [`COUNT_CHUNK`] jobs and at most
/// [`MAX_COUNTER_ITEMS`] counter items (one per creation day, one per day and source), so
/// each run is recorded and counted by one transaction.
pub(super) fn counting_chunks<'a>(jobs: &[&'a Job]) -> Vec<Vec<&'a Job>> {
    let mut chunks: Vec<Vec<&Job>> = Vec::new();
    let mut counters: BTreeSet<(NaiveDate, Option<SourceId>)> = BTreeSet::new();
    for job in jobs {
        let day = job.card.created_at.date_naive();
        let new_items = [(day, None), (day, Some(job.card.source_id))]
            .iter()
            .filter(|k| !counters.contains(k))
            .count();
        let fits = chunks.last().is_some_and(|chunk| {
            chunk[0].tenant_id == job.tenant_id
                && chunk.len() < COUNT_CHUNK
                && counters.len() + new_items <= MAX_COUNTER_ITEMS
        });
        if !fits {
            chunks.push(Vec::new());
            counters.clear();
        }
        counters.insert((day, None));
        counters.insert((day, Some(job.card.source_id)));
        chunks.last_mut().expect("pushed above").push(job);
    }
    chunks
}

impl DynamoStore {
    /// Records `jobs` (one tenant's) as about to be written and not yet counted. A record
    /// an earlier insert left is counted first.
    pub(super) async fn record_uncounted(
        &self,
        tenant: TenantId,
        batch: &str,
        jobs: &[&Job],
    ) -> Result<(), StoreError> {
        let record: HashMap<String, AttributeValue> = jobs
            .iter()
            .map(|job| (job.card.id.to_string(), s(job.card.status.as_str())))
            .collect();
        for _ in 0..3 {
            let result = self
                .update_tenant_item(tenant, keys::INGEST_LEASE_SK)
                .await
                .update_expression("SET #record = :record, #batch = :batch, entity = :entity")
                .condition_expression("attribute_not_exists(#batch)")
                .expression_attribute_names("#record", RECORD)
                .expression_attribute_names("#batch", BATCH)
                .expression_attribute_values(":record", AttributeValue::M(record.clone()))
                .expression_attribute_values(":batch", s(batch))
                .expression_attribute_values(":entity", s("ingest_lease"))
                .send()
                .await;
            if conditional(result)?.is_some() {
                return Ok(());
            }
            let Some(lease) = self
                .get_item(keys::tenant_pk(tenant), keys::INGEST_LEASE_SK)
                .await?
            else {
                continue;
            };
            // A record is counted by the next lease holder. With a live holder on the item
            // the record may be the holder's own, mid-write (or this is the holder, and
            // the record another writer's): leave it alone.
            let now = Utc::now().timestamp();
            let held = lease.contains_key("holder")
                && lease
                    .get("expiresAt")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse::<i64>().ok())
                    .is_some_and(|until| until >= now);
            if held {
                return Err(StoreError::Unavailable(format!(
                    "an insert of tenant {tenant} is under way"
                )));
            }
            if has_uncounted(&lease) {
                self.count_left_over(tenant, &lease).await?;
            }
        }
        Err(StoreError::Unavailable(format!(
            "the ingest record of tenant {tenant} stays taken"
        )))
    }

    /// Adds the counters of `jobs` and removes the record `batch`, in one transaction.
    /// `false` if the record was gone: another holder counted it, and nothing was added.
    pub(super) async fn count_recorded(
        &self,
        tenant: TenantId,
        batch: &str,
        jobs: impl IntoIterator<Item = (DateTime<Utc>, SourceId, JobStatus)>,
    ) -> Result<bool, StoreError> {
        let mut actions = created_counter_adds(tenant, jobs)
            .iter()
            .map(|add| add.transact(&self.table))
            .collect::<Result<Vec<TransactWriteItem>, _>>()?;
        let clear = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::INGEST_LEASE_SK))
            .update_expression("REMOVE #record, #batch")
            .condition_expression("#batch = :batch")
            .expression_attribute_names("#record", RECORD)
            .expression_attribute_names("#batch", BATCH)
            .expression_attribute_values(":batch", s(batch))
            .build()
            .map_err(unavailable)?;
        actions.push(TransactWriteItem::builder().update(clear).build());
        // The counters carry no condition: a failed condition is the record's.
        Ok(self.try_transact(actions).await?.is_empty())
    }

    /// Removes a record that cannot be read, so that it does not stop the tenant's
    /// ingestion for good; its jobs stay uncounted (logged as an error).
    async fn drop_record(&self, tenant: TenantId, why: &str) -> Result<(), StoreError> {
        tracing::error!(tenant_id = %tenant, why, "dropping an unreadable ingest record; its jobs stay uncounted");
        let result = self
            .update_tenant_item(tenant, keys::INGEST_LEASE_SK)
            .await
            .update_expression("REMOVE #record, #batch")
            .condition_expression("attribute_exists(#batch)")
            .expression_attribute_names("#record", RECORD)
            .expression_attribute_names("#batch", BATCH)
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    /// Counts the record of an insert that died: the recorded jobs whose card was written,
    /// each with the status it was recorded with (the job may have moved on since; its
    /// later changes moved the counters by themselves). An entry that cannot be read is
    /// left out (logged), so one bad entry does not stop the tenant's ingestion.
    pub(super) async fn count_left_over(
        &self,
        tenant: TenantId,
        lease: &Item,
    ) -> Result<(), StoreError> {
        let Some(batch) = lease.get(BATCH).and_then(|v| v.as_s().ok()) else {
            return self.drop_record(tenant, "batch id not a string").await;
        };
        let Some(recorded) = lease.get(RECORD).and_then(|v| v.as_m().ok()) else {
            return self.drop_record(tenant, "no job map").await;
        };
        let jobs: Vec<(JobId, JobStatus)> = recorded
            .iter()
            .filter_map(|(id, status)| {
                let parsed = JobId::parse(id).ok().zip(
                    status
                        .as_s()
                        .ok()
                        .and_then(|s| JobStatus::from_str(s).ok()),
                );
                if parsed.is_none() {
                    tracing::error!(tenant_id = %tenant, batch, entry = id, "unreadable ingest record entry left uncounted");
                }
                parsed
            })
            .collect();
        let pk = keys::tenant_pk(tenant);
        let mut written = Vec::new();
        for chunk in jobs.chunks(BATCH_GET) {
            let wanted: Vec<(String, String)> = chunk
                .iter()
                .map(|(id, _)| (pk.clone(), keys::job_sk(*id)))
                .collect();
            let cards = self.get_items(&wanted, None, Read::Strong).await?;
            for ((id, status), card) in chunk.iter().zip(cards) {
                let Some(card) = card else { continue };
                let read = from_item::<JobCardItem>(card)
                    .ok()
                    .and_then(|c| Some((c.created_at, SourceId::parse(&c.source_id).ok()?)));
                match read {
                    Some((created_at, source)) => written.push((created_at, source, *status)),
                    None => {
                        tracing::error!(tenant_id = %tenant, job_id = %id, "unreadable job card left uncounted");
                    }
                }
            }
        }
        tracing::warn!(
            tenant_id = %tenant,
            batch,
            recorded = jobs.len(),
            written = written.len(),
            "counting the jobs of an insert a crash left uncounted"
        );
        self.count_recorded(tenant, batch, written).await?;
        Ok(())
    }
}
