//! Bulk ingestion: dedup by batched reads, then batched writes, so the writes of a fetch
//! grow with the number of new postings, not with the board's size. Uniqueness in the bulk
//! path comes from the tenant's ingest lease (a conditional write): while a fetch holds it,
//! no other fetch of the tenant writes jobs, so "read markers, then write" cannot race.
//! `BatchWriteItem` costs half the capacity of a transaction and is not slowed down by
//! table size in moto (whose transactions copy the table per action).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{
    AttributeValue, PutRequest, ReturnValue, TransactWriteItem, Update, WriteRequest,
};

use super::items::{JobBodyItem, JobCardItem, JobUrlItem};
use super::uncounted::{BATCH, counting_chunks, has_uncounted};
use super::{
    BATCH_GET, DynamoStore, Item, Read, conditional, is_condition_failure, keys, s, to_item,
    unavailable,
};
use crate::domain::{Job, JobId, SourceId, TenantId};
use crate::ports::{
    IngestStore, InsertReport, KnownCheck, KnownPostings, PostingKeys, QuotaStore, StoreError,
};

impl DynamoStore {
    /// Every item that stores one job: card, body and its uniqueness markers.
    fn stored_items_of(&self, job: &Job) -> Result<Vec<Item>, StoreError> {
        let pk = keys::tenant_pk(job.tenant_id);
        let mut items = vec![
            to_item(&JobCardItem::from_domain(job))?,
            to_item(&JobBodyItem::from_domain(job))?,
            to_item(&JobUrlItem::from_domain(job))?,
        ];
        let mut markers = keys::posting_markers(&PostingKeys::of(job));
        markers.remove(0); // the URL marker is the JobUrlItem above
        for sk in markers {
            items.push(HashMap::from([
                (keys::PK.to_owned(), s(pk.clone())),
                (keys::SK.to_owned(), s(sk)),
                ("entity".to_owned(), s("job_marker")),
                ("jobId".to_owned(), s(job.card.id.to_string())),
            ]));
        }
        Ok(items)
    }
}

#[async_trait]
impl IngestStore for DynamoStore {
    async fn known_postings(
        &self,
        tenant: TenantId,
        postings: &[PostingKeys],
        check: KnownCheck,
    ) -> Result<KnownPostings, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let wanted: Vec<Vec<String>> = postings.iter().map(keys::posting_markers).collect();
        let mut unique: Vec<String> = wanted.iter().flatten().cloned().collect();
        unique.sort();
        unique.dedup();
        // Before the lease, the lease item rides along in the first batch: it tells whether
        // an insert of the tenant died before counting (`uncounted.rs`). Under the lease it
        // is not read: taking the lease has counted such an insert.
        if check == KnownCheck::BeforeLease {
            unique.insert(0, keys::INGEST_LEASE_SK.to_owned());
        }
        let mut found: HashSet<String> = HashSet::new();
        let mut unfinished = false;
        let projection = format!("PK, SK, {BATCH}");
        for chunk in unique.chunks(BATCH_GET) {
            let keys: Vec<(String, String)> =
                chunk.iter().map(|sk| (pk.clone(), sk.clone())).collect();
            // `BatchWriteItem` puts carry no condition: under the lease, only a consistent
            // read keeps a posting the previous holder just stored from being stored again.
            let read = match check {
                KnownCheck::UnderLease => Read::Strong,
                KnownCheck::BeforeLease => Read::Eventual,
            };
            let items = self.get_items(&keys, Some(&projection), read).await?;
            for ((_, sk), item) in keys.into_iter().zip(items) {
                let Some(item) = item else { continue };
                if sk == keys::INGEST_LEASE_SK {
                    unfinished = has_uncounted(&item);
                } else {
                    found.insert(sk);
                }
            }
        }
        Ok(KnownPostings {
            known: wanted
                .iter()
                .map(|sks| sks.iter().any(|sk| found.contains(sk)))
                .collect(),
            unfinished,
        })
    }

    async fn insert_jobs(&self, jobs: &[Job]) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        // Two postings of one fetch that share a marker are one job: keep the first.
        let mut seen = HashSet::new();
        let mut fresh: Vec<&Job> = Vec::new();
        for job in jobs {
            let markers = keys::posting_markers(&PostingKeys::of(job));
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
            fresh.push(job);
            report.inserted.push(job.card.id);
        }
        // Tenants that will have `pending_upgrade` jobs are listed for the monthly
        // admission (billing: see `PendingUpgrades::mark_pending`) before the jobs are
        // written: a crash in between leaves a listed tenant with nothing to admit, which
        // the admission run passes over, never a waiting job that no run looks for.
        let mut pending: Vec<TenantId> = fresh
            .iter()
            .filter(|j| j.card.status == crate::domain::JobStatus::PendingUpgrade)
            .map(|j| j.tenant_id)
            .collect();
        pending.sort();
        pending.dedup();
        for tenant in pending {
            crate::ports::PendingUpgrades::mark_pending(self, tenant).await?;
        }
        // Recorded, written, then counted with the record's removal (`uncounted.rs`): a
        // crash anywhere leaves counters that the next lease holder makes exact.
        for chunk in counting_chunks(&fresh) {
            let tenant = chunk[0].tenant_id;
            let batch = ulid::Ulid::new().to_string();
            self.record_uncounted(tenant, &batch, &chunk).await?;
            // Each job's items (card, body, markers) go in one `BatchWriteItem`, so a
            // process that dies between two calls leaves every job written whole or not
            // at all. (Within one call DynamoDB may leave any items unprocessed;
            // `batch_write_whole` sends them again, and only if it gives up on throttling
            // can a job stand half written: a marker without its card, or the reverse.)
            let groups = chunk
                .iter()
                .map(|job| {
                    self.stored_items_of(job)?
                        .into_iter()
                        .map(|item| {
                            PutRequest::builder()
                                .set_item(Some(item))
                                .build()
                                .map(|put| WriteRequest::builder().put_request(put).build())
                                .map_err(unavailable)
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .collect::<Result<Vec<_>, _>>()?;
            self.batch_write_whole(groups).await?;
            let created = chunk
                .iter()
                .map(|j| (j.card.created_at, j.card.source_id, j.card.status));
            if !self.count_recorded(tenant, &batch, created).await? {
                // Only a writer that thought this insert dead counts its record: two
                // inserts of the tenant overlapped, and jobs written after that count
                // stay uncounted.
                tracing::error!(tenant_id = %tenant, batch, "this insert's record was counted by another writer");
            }
        }
        Ok(report)
    }

    async fn acquire_ingest_lease(
        &self,
        tenant: TenantId,
        holder: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        let now = chrono::Utc::now().timestamp();
        let result = self
            .update_tenant_item(tenant, keys::INGEST_LEASE_SK)
            .await
            .update_expression("SET holder = :holder, expiresAt = :until, entity = :entity")
            .condition_expression(
                "attribute_not_exists(holder) OR expiresAt < :now OR holder = :holder",
            )
            .expression_attribute_values(":holder", s(holder))
            .expression_attribute_values(":until", AttributeValue::N((now + ttl_secs).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":entity", s("ingest_lease"))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let Some(taken) = conditional(result)? else {
            return Ok(false);
        };
        // A holder that died before counting its jobs left their record: count it now,
        // before this holder's own fetch. Should that fail, the lease is let go at once,
        // so the tenant's next fetch tries again instead of waiting for it to expire.
        if let Some(lease) = taken.attributes.filter(has_uncounted)
            && let Err(e) = self.count_left_over(tenant, &lease).await
        {
            self.release_ingest_lease(tenant, holder).await?;
            return Err(e);
        }
        Ok(true)
    }

    async fn release_ingest_lease(&self, tenant: TenantId, holder: &str) -> Result<(), StoreError> {
        let result = self
            .client()
            .await
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::INGEST_LEASE_SK))
            .condition_expression("holder = :holder AND attribute_not_exists(#batch)")
            .expression_attribute_names("#batch", BATCH)
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        if conditional(result)?.is_some() {
            return Ok(());
        }
        // Expired and taken over meanwhile (not ours), or an insert of ours failed before
        // counting: let go of the lease and leave the record for the next holder.
        let result = self
            .update_tenant_item(tenant, keys::INGEST_LEASE_SK)
            .await
            .update_expression("REMOVE holder, expiresAt")
            .condition_expression("holder = :holder")
            .expression_attribute_values(":holder", s(holder))
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    async fn close_vanished(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<usize, StoreError> {
        self.set_closed_all(tenant, source, native_ids, Some(at))
            .await
    }

    async fn reopen_listed(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
    ) -> Result<usize, StoreError> {
        self.set_closed_all(tenant, source, native_ids, None).await
    }
}

/// Closing (or reopening) goes 100 postings at a time, DynamoDB's limit for both calls:
/// one `BatchGetItem` of their native-id markers, one of the job cards they name, and one
/// `TransactWriteItems` of conditional updates for the cards that need the change. So 3
/// requests per 100 postings instead of a read and a write each. A transaction, not
/// `BatchWriteItem`: the cards are not rewritten whole (scoring may be updating one at the
/// same moment), and only an update can carry the condition that keeps a job reopened or
/// closed meanwhile as it is. The price is 2 WCU per card instead of 1.
const CLOSE_BATCH: usize = 100;

impl DynamoStore {
    /// Sets (`Some`) or removes (`None`) `closedAt` on the jobs `source` lists under
    /// `native_ids`; returns how many changed.
    async fn set_closed_all(
        &self,
        tenant: TenantId,
        source: SourceId,
        native_ids: &[String],
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<usize, StoreError> {
        let unique: Vec<&String> = native_ids
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut changed = 0;
        for chunk in unique.chunks(CLOSE_BATCH) {
            let jobs = self.listed_jobs(tenant, source, chunk).await?;
            let due = self.cards_to_change(tenant, &jobs, at.is_some()).await?;
            changed += self.set_closed_batch(tenant, due, at).await?;
        }
        Ok(changed)
    }

    /// The jobs `source` lists under `natives` (at most 100), from their native-id markers.
    async fn listed_jobs(
        &self,
        tenant: TenantId,
        source: SourceId,
        natives: &[&String],
    ) -> Result<Vec<JobId>, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let wanted: Vec<(String, String)> = natives
            .iter()
            .map(|native| (pk.clone(), keys::native_sk(source, native)))
            .collect();
        let mut jobs: Vec<JobId> = self
            .get_items(&wanted, None, Read::Strong)
            .await?
            .iter()
            .flatten()
            .filter_map(|marker| marker.get("jobId")?.as_s().ok())
            .filter_map(|id| JobId::parse(id).ok())
            .collect();
        jobs.sort_unstable();
        jobs.dedup();
        Ok(jobs)
    }

    /// Of `jobs` (at most 100), those whose card is not yet closed (`closing`) or not yet
    /// open: the transaction then names only cards it will change.
    async fn cards_to_change(
        &self,
        tenant: TenantId,
        jobs: &[JobId],
        closing: bool,
    ) -> Result<Vec<JobId>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let pk = keys::tenant_pk(tenant);
        let wanted: Vec<(String, String)> = jobs
            .iter()
            .map(|job| (pk.clone(), keys::job_sk(*job)))
            .collect();
        let cards = self.get_items(&wanted, None, Read::Strong).await?;
        Ok(jobs
            .iter()
            .zip(cards)
            .filter_map(|(job, card)| {
                let is_closed = card?.contains_key("closedAt");
                (is_closed != closing).then_some(*job)
            })
            .collect())
    }

    /// One transaction over `jobs` (at most 100). A card whose condition fails (changed
    /// since it was read) cancels the whole transaction: it is left out and the rest
    /// tried again, so each round drops at least one card.
    async fn set_closed_batch(
        &self,
        tenant: TenantId,
        mut jobs: Vec<JobId>,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<usize, StoreError> {
        while !jobs.is_empty() {
            let actions = jobs
                .iter()
                .map(|job| self.closed_update(tenant, *job, at))
                .collect::<Result<Vec<_>, _>>()?;
            let failed: HashSet<usize> = self.try_transact(actions).await?.into_iter().collect();
            if failed.is_empty() {
                return Ok(jobs.len());
            }
            jobs = jobs
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !failed.contains(i))
                .map(|(_, job)| job)
                .collect();
        }
        Ok(0)
    }

    fn closed_update(
        &self,
        tenant: TenantId,
        job: JobId,
        at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(job)));
        let update = match at {
            Some(at) => update
                .update_expression("SET closedAt = :at")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(closedAt)")
                .expression_attribute_values(
                    ":at",
                    s(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                ),
            None => update
                .update_expression("REMOVE closedAt")
                .condition_expression("attribute_exists(PK) AND attribute_exists(closedAt)"),
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }
}

#[async_trait]
impl QuotaStore for DynamoStore {
    async fn reserve_quota(
        &self,
        tenant: TenantId,
        period: &crate::domain::Period,
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
                .client()
                .await
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
        period: &crate::domain::Period,
        n: u32,
    ) -> Result<(), StoreError> {
        let result = self
            .update_tenant_item(tenant, keys::usage_sk(period))
            .await
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
