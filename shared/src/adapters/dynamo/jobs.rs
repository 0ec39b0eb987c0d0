//! Jobs: card, body and URL marker written together; lists served by key or index.

use async_trait::async_trait;

use super::items::{JobBodyItem, JobCardItem, JobUrlItem};
use super::list_plan::ListPlan;
use super::list_read::{self, Resume};
use super::stats::{JobDelta, job_counter_adds};
use super::{DynamoStore, Read, from_item, keys, put_new, to_item};
use crate::adapters::card_move::CardMove;
use crate::domain::{Job, JobCard, JobId, JobStatus, Score, Stage, TenantId};
use crate::ports::{Conflict, JobQuery, JobStore, Page, PageRequest, StoreError};

/// The scope a cursor is bound to: every filter and the order that produced it. `jobs2`:
/// the layout of merged ranges (a cursor of the single-index layout before it is refused).
fn scope(query: &JobQuery) -> String {
    format!(
        "jobs2:status={:?}:stage={:?}:score={:?}-{:?}:from={:?}:to={:?}:q={}:src={:?}:sort={:?}",
        query.status.map(JobStatus::as_str),
        query.stage.map(Stage::as_str),
        query.min_score.map(Score::value),
        query.max_score.map(Score::value),
        query.from.map(|t| t.timestamp_millis()),
        query.to.map(|t| t.timestamp_millis()),
        query.words.join(" "),
        query.source.map(|s| s.to_string()),
        query.sort,
    )
}

impl DynamoStore {
    /// Where each range of `plan` resumes for `cursor` (all from their start without one).
    fn start_positions(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        plan: &ListPlan,
        cursor: Option<&str>,
    ) -> Result<Vec<Resume>, StoreError> {
        let Some(token) = cursor else {
            return Ok(vec![Resume::Start; plan.ranges.len()]);
        };
        let position = self
            .cursors()?
            .open(token, tenant, &scope(query))
            .map_err(|_| StoreError::InvalidCursor)?;
        // A position is index sort keys only; the partitions are the plan's, built from the
        // caller's tenant, so even a forged cursor cannot read another tenant.
        list_read::decode(plan, position)
    }
}

#[async_trait]
impl JobStore for DynamoStore {
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError> {
        let mut actions = vec![
            put_new(&self.table, to_item(&JobCardItem::from_domain(job))?)?,
            put_new(&self.table, to_item(&JobBodyItem::from_domain(job))?)?,
            put_new(&self.table, to_item(&JobUrlItem::from_domain(job))?)?,
        ];
        let mut conflicts = vec![
            Some(Conflict::AlreadyExists),
            Some(Conflict::AlreadyExists),
            Some(Conflict::DuplicateJobUrl),
        ];
        let c = &job.card;
        for add in job_counter_adds(
            job.tenant_id,
            c.created_at,
            c.source_id,
            &JobDelta::created(c.status),
        ) {
            actions.push(add.transact(&self.table)?);
            conflicts.push(None);
        }
        self.transact(actions, &conflicts).await
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        // Card and body in one request: the scoring worker reads every job it scores.
        let mut read = self
            .get_items(
                &[
                    (keys::tenant_pk(tenant), keys::job_sk(id)),
                    (keys::job_pk(tenant, id), keys::JOB_BODY_SK.to_owned()),
                ],
                None,
                Read::Strong,
            )
            .await?
            .into_iter();
        let (Some(card_item), body_item) = (read.next().flatten(), read.next().flatten()) else {
            return Ok(None);
        };
        let card_item: JobCardItem = from_item(card_item)?;
        let fingerprint = card_item.fingerprint.clone();
        let native_id = card_item.native_id.clone();
        let attempt = card_item.attempt;
        let last_error = card_item.last_error.clone();
        let card = card_item.into_card()?;
        let body = match body_item {
            Some(item) => from_item::<JobBodyItem>(item)?,
            // Written in the same transaction as the card, so absent only if corrupt.
            None => {
                return Err(StoreError::Corrupt {
                    key: keys::job_pk(tenant, id),
                    reason: "job body missing".into(),
                });
            }
        };
        Ok(Some(Job {
            tenant_id: tenant,
            card,
            description: body.description,
            native_id,
            fingerprint,
            salary: body.salary,
            attempt,
            last_error,
        }))
    }

    async fn list_jobs(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        page: &PageRequest,
    ) -> Result<Page<JobCard>, StoreError> {
        let limit = usize::from(page.limit.clamp(1, PageRequest::MAX_LIMIT));
        let plan = ListPlan::new(tenant, query);
        let start = self.start_positions(tenant, query, &plan, page.cursor.as_deref())?;
        let (items, next_from) = self.read_list(&plan, limit, start).await?;
        let cards = items
            .into_iter()
            .map(|item| from_item::<JobCardItem>(item)?.into_card())
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match next_from {
            Some(positions) => Some(self.cursors()?.seal(
                tenant,
                &scope(query),
                &list_read::encode(&positions),
            )),
            None => None,
        };
        Ok(Page {
            items: cards,
            next_cursor,
        })
    }

    async fn set_status(
        &self,
        tenant: TenantId,
        card: &JobCard,
        attempt: u32,
        to: JobStatus,
    ) -> Result<Option<JobCard>, StoreError> {
        let moved = self
            .move_card(tenant, &CardMove::status(card, attempt, to))
            .await?;
        // A job restored to `pending_upgrade` waits for quota like a fetched one: list
        // the tenant for the monthly admission run.
        if moved.is_some() && to == JobStatus::PendingUpgrade {
            crate::ports::PendingUpgrades::mark_pending(self, tenant).await?;
        }
        Ok(moved)
    }
}
