//! Jobs: card, body and URL marker written together; lists served by key or index.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{JobBodyItem, JobCardItem, JobUrlItem};
use super::stats::{JobDelta, job_counter_adds};
use super::{DynamoStore, Item, Read, from_item, keys, put_new, to_item, unavailable};
use crate::adapters::card_move::CardMove;
use crate::domain::{Job, JobCard, JobId, JobStatus, Score, Stage, TenantId};
use crate::http::cursor::Position;
use crate::ports::{
    Conflict, JobQuery, JobSort, JobStore, LIST_READ_BUDGET, Page, PageRequest, StoreError,
};

/// The scope a cursor is bound to: every filter and the order that produced it.
fn scope(query: &JobQuery) -> String {
    format!(
        "jobs:status={:?}:stage={:?}:score={:?}-{:?}:from={:?}:to={:?}:q={}:src={:?}:sort={:?}",
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

fn position_of(key: &Item) -> Result<Position, StoreError> {
    key.iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => Ok((name.clone(), s.clone())),
            other => Err(StoreError::Unavailable(format!(
                "unexpected key attribute {name}: {other:?}"
            ))),
        })
        .collect()
}

/// How one list query is served: which index and key range, and what is left to a filter.
/// Docs: docs/data-model.md, "Job list".
struct ListPlan {
    index: Option<&'static str>,
    pk_name: &'static str,
    pk: String,
    sk_name: &'static str,
    /// Inclusive bounds of the sort key.
    sk_range: Option<(String, String)>,
    filters: Vec<String>,
    names: Vec<(String, String)>,
    values: Vec<(String, AttributeValue)>,
}

/// The smallest and largest `JOB#<ulid>` of jobs created in `from..=to`.
fn created_range(query: &JobQuery) -> Option<(String, String)> {
    if query.from.is_none() && query.to.is_none() {
        return None;
    }
    let ms = |t: chrono::DateTime<chrono::Utc>| u64::try_from(t.timestamp_millis()).unwrap_or(0);
    let lo = ulid::Ulid::from_parts(query.from.map_or(0, ms), 0);
    let hi = ulid::Ulid::from_parts(query.to.map_or((1u64 << 48) - 1, ms), u128::MAX);
    Some((
        format!("{}{lo}", keys::JOB_SK_PREFIX),
        format!("{}{hi}", keys::JOB_SK_PREFIX),
    ))
}

fn score_bounds(query: &JobQuery) -> (u8, u8) {
    (
        query.min_score.map_or(1, Score::value),
        query.max_score.map_or(10, Score::value),
    )
}

impl ListPlan {
    fn filter(&mut self, expression: String) {
        self.filters.push(expression);
    }

    fn value(&mut self, name: &str, value: AttributeValue) {
        self.values.push((name.to_owned(), value));
    }

    fn new(tenant: TenantId, query: &JobQuery) -> ListPlan {
        let has_scores =
            |s: JobStatus| matches!(s, JobStatus::Scored | JobStatus::Queued | JobStatus::Failed);
        let score_filtered = query.min_score.is_some() || query.max_score.is_some();
        let by_score = query.sort == JobSort::Score && query.status.is_none_or(has_scores);
        let mut plan = if let Some(source) = query.source {
            ListPlan::on(
                "GSI5",
                "GSI5PK",
                keys::source_gsi_pk(tenant, source),
                "GSI5SK",
            )
        } else if by_score {
            ListPlan::on("GSI4", "GSI4PK", keys::scored_gsi_pk(tenant), "GSI4SK")
        } else if let Some(status) = query.status {
            ListPlan::on(
                "GSI1",
                "GSI1PK",
                keys::status_gsi_pk(tenant, status),
                "GSI1SK",
            )
        } else {
            ListPlan::on("GSI3", "GSI3PK", keys::active_gsi_pk(tenant), "GSI3SK")
        };
        let (lo, hi) = score_bounds(query);
        if plan.index == Some("GSI4") {
            plan.sk_range = Some((format!("{lo:02}#"), format!("{hi:02}#~")));
        } else {
            plan.sk_range = created_range(query);
            if score_filtered {
                plan.filter("score BETWEEN :min_score AND :max_score".into());
                plan.value(":min_score", AttributeValue::N(lo.to_string()));
                plan.value(":max_score", AttributeValue::N(hi.to_string()));
            }
        }
        if plan.index == Some("GSI4")
            && let Some((from, to)) = created_range(query)
        {
            plan.filter("id BETWEEN :from_id AND :to_id".into());
            let strip = |k: &str| k.trim_start_matches(keys::JOB_SK_PREFIX).to_owned();
            plan.value(":from_id", AttributeValue::S(strip(&from)));
            plan.value(":to_id", AttributeValue::S(strip(&to)));
        }
        // Status, where the index does not already say it.
        if plan.index != Some("GSI1") {
            match query.status {
                Some(status) => {
                    plan.filter("#status = :status".into());
                    plan.value(":status", AttributeValue::S(status.as_str().into()));
                    plan.names.push(("#status".into(), "status".into()));
                }
                // GSI3 and GSI4 hold no archived jobs; the source index holds all.
                None if plan.index == Some("GSI5") => {
                    plan.filter("#status <> :archived".into());
                    plan.value(
                        ":archived",
                        AttributeValue::S(JobStatus::Archived.as_str().into()),
                    );
                    plan.names.push(("#status".into(), "status".into()));
                }
                None => {}
            }
        }
        if let Some(stage) = query.stage {
            plan.filter("stage = :stage".into());
            plan.value(":stage", AttributeValue::S(stage.as_str().into()));
        }
        for (i, word) in query.words.iter().enumerate() {
            plan.filter(format!("contains(words, :w{i})"));
            plan.value(&format!(":w{i}"), AttributeValue::S(word.clone()));
        }
        plan
    }

    fn on(
        index: &'static str,
        pk_name: &'static str,
        pk: String,
        sk_name: &'static str,
    ) -> ListPlan {
        ListPlan {
            index: Some(index),
            pk_name,
            pk,
            sk_name,
            sk_range: None,
            filters: Vec::new(),
            names: Vec::new(),
            values: Vec::new(),
        }
    }

    /// The item attributes that make up a position in this plan's index.
    fn key_attributes(&self) -> [&'static str; 4] {
        [keys::PK, keys::SK, self.pk_name, self.sk_name]
    }
}

impl DynamoStore {
    /// Up to `limit` items of `plan` from `start`, and the key the next page starts after
    /// (`None` at the index's end).
    async fn read_page(
        &self,
        plan: &ListPlan,
        limit: usize,
        mut start: Option<Item>,
    ) -> Result<(Vec<Item>, Option<Item>), StoreError> {
        let mut items: Vec<Item> = Vec::new();
        let mut read = 0usize;
        let filtered = !plan.filters.is_empty();
        // Without filters DynamoDB returns exactly `limit` items a call. With them it reads
        // `Limit` items and returns the matches: read in steps until the page is full, the
        // index ends, or the read budget is spent.
        while items.len() < limit && read < LIST_READ_BUDGET {
            let step = if filtered {
                (LIST_READ_BUDGET - read).min(200)
            } else {
                limit - items.len()
            };
            let out = self.query_plan(plan, step, start.take()).await?;
            read += usize::try_from(out.scanned_count).unwrap_or(step);
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ if items.len() > limit => break,
                _ => return Ok((items, None)),
            }
        }
        // More matches than the page holds: the page ends at its last item.
        if items.len() > limit {
            items.truncate(limit);
            let last = items.last().map(|i| {
                i.iter()
                    .filter(|(k, _)| plan.key_attributes().contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<Item>()
            });
            return Ok((items, last));
        }
        Ok((items, start))
    }

    /// One Query of `plan`: `step` items read from `start`, filtered.
    async fn query_plan(
        &self,
        plan: &ListPlan,
        step: usize,
        start: Option<Item>,
    ) -> Result<QueryOutput, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(plan.index.map(str::to_owned))
            .scan_index_forward(false)
            .limit(i32::try_from(step).unwrap_or(200))
            .set_exclusive_start_key(start)
            .expression_attribute_names("#pk", plan.pk_name)
            .expression_attribute_values(":pk", AttributeValue::S(plan.pk.clone()));
        request = match &plan.sk_range {
            Some((lo, hi)) => request
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :lo AND :hi")
                .expression_attribute_names("#sk", plan.sk_name)
                .expression_attribute_values(":lo", AttributeValue::S(lo.clone()))
                .expression_attribute_values(":hi", AttributeValue::S(hi.clone())),
            None => request.key_condition_expression("#pk = :pk"),
        };
        if !plan.filters.is_empty() {
            request = request.filter_expression(plan.filters.join(" AND "));
        }
        for (k, v) in &plan.names {
            request = request.expression_attribute_names(k, v);
        }
        for (k, v) in &plan.values {
            request = request.expression_attribute_values(k, v.clone());
        }
        request.send().await.map_err(unavailable)
    }

    fn start_key(
        &self,
        tenant: TenantId,
        query: &JobQuery,
        cursor: Option<&str>,
    ) -> Result<Option<Item>, StoreError> {
        let Some(token) = cursor else {
            return Ok(None);
        };
        let position = self
            .cursors()?
            .open(token, tenant, &scope(query))
            .map_err(|_| StoreError::InvalidCursor)?;
        // The MAC already binds the cursor to the tenant; this keeps a signing-key leak
        // from becoming a cross-tenant read.
        let own = keys::tenant_pk(tenant);
        if position
            .values()
            .any(|v| v.starts_with("T#") && !v.starts_with(&own))
        {
            return Err(StoreError::InvalidCursor);
        }
        Ok(Some(
            position
                .into_iter()
                .map(|(k, v)| (k, AttributeValue::S(v)))
                .collect(),
        ))
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
        let start = self.start_key(tenant, query, page.cursor.as_deref())?;
        let (items, next_from) = self.read_page(&plan, limit, start).await?;
        let cards = items
            .into_iter()
            .map(|item| from_item::<JobCardItem>(item)?.into_card())
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match next_from {
            Some(key) => Some(
                self.cursors()?
                    .seal(tenant, &scope(query), &position_of(&key)?),
            ),
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
