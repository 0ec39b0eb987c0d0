//! Day counters of bulk ingestion that survive a crash. `BatchWriteItem` cannot add to a
//! counter, so an insert writes its jobs first and counts them after, and a fetcher that
//! died in between used to leave the counters short for good (the retry finds those
//! postings known and does not count them again).
//!
//! So before writing, an insert records the jobs it is about to write, with their status,
//! on the tenant's ingest-lease item (`uncounted`, under a fresh `uncountedBatch` id). One
//! transaction then adds the counters and removes the record, conditioned on the batch id.
//! A record still there later belongs to an insert that died: whoever next takes the lease
//! (or next records an insert) reads which of its jobs were written, by their cards, and
//! counts exactly those in the same kind of transaction. The condition on the batch id
//! makes every record counted once, by whichever transaction commits first.
//!
//! Cost per insert of up to [`COUNT_CHUNK`] jobs: one `UpdateItem` (the record) and one
//! transaction, where there were two counter `UpdateItem`s before; the transaction's items
//! cost twice (see docs/data-model.md).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, NaiveDate, Utc};

use super::items::JobCardItem;
use super::stats::created_counter_adds;
use super::{DynamoStore, Item, Read, conditional, from_item, keys, s, unavailable};
use crate::domain::{Job, JobId, JobStatus, SourceId, TenantId};
use crate::ports::StoreError;

/// Jobs recorded and counted together: keeps the record near 15 KB on its item.
pub(super) const COUNT_CHUNK: usize = 250;
/// A transaction takes 100 actions: the record's removal and up to 99 counter items.
const MAX_COUNTER_ITEMS: usize = 99;
/// `BatchGetItem` takes at most 100 keys.
const BATCH_GET: usize = 100;

const RECORD: &str = "uncounted";
const BATCH: &str = "uncountedBatch";

/// Whether a lease item holds the record of an insert that was not counted.
pub(super) fn has_uncounted(item: &Item) -> bool {
    item.contains_key(BATCH)
}

/// The projection that tells [`has_uncounted`] apart on a batch read of the lease item.
pub(super) const BATCH_ATTRIBUTE: &str = BATCH;

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
    fn lease_key(&self, tenant: TenantId) -> (AttributeValue, AttributeValue) {
        (
            s(keys::tenant_pk(tenant)),
            s(keys::INGEST_LEASE_SK.to_owned()),
        )
    }

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
        let (pk, sk) = self.lease_key(tenant);
        for _ in 0..3 {
            let result = self
                .client()
                .await
                .update_item()
                .table_name(&self.table)
                .key(keys::PK, pk.clone())
                .key(keys::SK, sk.clone())
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
            let lease = self
                .get_item(keys::tenant_pk(tenant), keys::INGEST_LEASE_SK)
                .await?;
            if let Some(lease) = lease.filter(has_uncounted) {
                self.count_left_over(tenant, &lease).await?;
            }
        }
        Err(StoreError::Unavailable(format!(
            "the ingest record of tenant {tenant} stays taken"
        )))
    }

    /// Adds the counters of `jobs` and removes the record `batch`, in one transaction. If
    /// the record is gone, another holder has counted it and nothing is added.
    pub(super) async fn count_recorded(
        &self,
        tenant: TenantId,
        batch: &str,
        jobs: impl IntoIterator<Item = (DateTime<Utc>, SourceId, JobStatus)>,
    ) -> Result<(), StoreError> {
        let mut actions = created_counter_adds(tenant, jobs)
            .iter()
            .map(|add| add.transact(&self.table))
            .collect::<Result<Vec<TransactWriteItem>, _>>()?;
        let (pk, sk) = self.lease_key(tenant);
        let clear = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, pk)
            .key(keys::SK, sk)
            .update_expression("REMOVE #record, #batch")
            .condition_expression("#batch = :batch")
            .expression_attribute_names("#record", RECORD)
            .expression_attribute_names("#batch", BATCH)
            .expression_attribute_values(":batch", s(batch))
            .build()
            .map_err(unavailable)?;
        actions.push(TransactWriteItem::builder().update(clear).build());
        // The counters carry no condition: a failed condition is the record's.
        if !self.try_transact(actions).await?.is_empty() {
            tracing::info!(tenant_id = %tenant, batch, "ingest record already counted");
        }
        Ok(())
    }

    /// Counts the record of an insert that died: the recorded jobs whose card was written,
    /// each with the status it was recorded with (the job may have moved on since; its
    /// later changes moved the counters by themselves).
    pub(super) async fn count_left_over(
        &self,
        tenant: TenantId,
        lease: &Item,
    ) -> Result<(), StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt {
            key: format!("{}/{}", keys::tenant_pk(tenant), keys::INGEST_LEASE_SK),
            reason: format!("ingest record: {what}"),
        };
        let batch = lease
            .get(BATCH)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt("no batch id"))?;
        let recorded = match lease.get(RECORD) {
            Some(v) => v.as_m().map_err(|_| corrupt("not a map"))?.clone(),
            None => HashMap::new(),
        };
        let mut jobs: Vec<(JobId, JobStatus)> = Vec::with_capacity(recorded.len());
        for (id, status) in &recorded {
            let id = JobId::parse(id).map_err(|_| corrupt("a job id"))?;
            let status = status
                .as_s()
                .ok()
                .and_then(|s| JobStatus::from_str(s).ok())
                .ok_or_else(|| corrupt("a status"))?;
            jobs.push((id, status));
        }
        let pk = keys::tenant_pk(tenant);
        let mut written = Vec::new();
        for chunk in jobs.chunks(BATCH_GET) {
            let wanted: Vec<(String, String)> = chunk
                .iter()
                .map(|(id, _)| (pk.clone(), keys::job_sk(*id)))
                .collect();
            let cards = self.get_items(&wanted, None, Read::Strong).await?;
            for ((_, status), card) in chunk.iter().zip(cards) {
                let Some(card) = card else { continue };
                let card: JobCardItem = from_item(card)?;
                let source =
                    SourceId::parse(&card.source_id).map_err(|_| corrupt("a card's source"))?;
                written.push((card.created_at, source, *status));
            }
        }
        tracing::warn!(
            tenant_id = %tenant,
            batch,
            recorded = jobs.len(),
            written = written.len(),
            "counting the jobs of an insert a crash left uncounted"
        );
        self.count_recorded(tenant, batch, written).await
    }
}
