//! Scoring: history entries under the job, the `queued → scored | failed` moves, rescoring,
//! the tenant's profile.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValue, TransactWriteItem, Update};
use chrono::Utc;

use super::items::{JobCardItem, ProfileItem, ScoreItem};
use super::{DynamoStore, Item, conditional, from_item, keys, to_item, unavailable};
use crate::domain::{JobCard, JobId, JobStatus, Profile, ScoringEntry, TenantId};
use crate::http::cursor::Position;
use crate::ports::{Conflict, Page, PageRequest, Recorded, ReplayMarker, ScoringStore, StoreError};

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// What a failed job shows when no attempt left an error behind.
const FAILED_WITHOUT_ERROR: &str = "scoring failed after repeated attempts";

fn card_from(item: Option<Item>) -> Result<Option<JobCard>, StoreError> {
    item.map(|i| from_item::<JobCardItem>(i)?.into_card())
        .transpose()
}

fn history_scope(job: JobId) -> String {
    format!("history:{job}")
}

/// The condition every move of a waiting job shares: it exists, is `queued`, and waits
/// for exactly this attempt.
const AWAITING: &str = "attribute_exists(PK) AND #status = :queued AND attempt = :attempt";

type UpdateJob = aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

impl DynamoStore {
    fn job_key(&self, tenant: TenantId, job: JobId) -> UpdateJob {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(job)))
    }

    /// An update of the card that applies only while the job awaits `attempt`.
    fn update_awaiting(&self, tenant: TenantId, job: JobId, attempt: u32) -> UpdateJob {
        self.job_key(tenant, job)
            .condition_expression(AWAITING)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":attempt", n(attempt))
    }
}

#[async_trait]
impl ScoringStore for DynamoStore {
    async fn record_scoring(
        &self,
        tenant: TenantId,
        job: JobId,
        entry: &ScoringEntry,
        replay: Option<&ReplayMarker>,
    ) -> Result<Recorded, StoreError> {
        let event = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ScoreItem::new(tenant, job, entry))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let card = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(job)))
            .condition_expression(AWAITING)
            .update_expression(
                "SET #status = :scored, score = :score, scoredAt = :at, GSI1PK = :gsi REMOVE lastError",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":attempt", n(entry.attempt))
            .expression_attribute_values(":scored", s(JobStatus::Scored.as_str()))
            .expression_attribute_values(":score", n(entry.score.value()))
            .expression_attribute_values(
                ":at",
                s(entry.created_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
            )
            .expression_attribute_values(
                ":gsi",
                s(keys::status_gsi_pk(tenant, JobStatus::Scored)),
            )
            .build()
            .map_err(unavailable)?;
        let mut actions = vec![
            TransactWriteItem::builder().put(event).build(),
            TransactWriteItem::builder().update(card).build(),
        ];
        if let Some(marker) = replay {
            let mut item = Item::new();
            item.insert(keys::PK.into(), s(keys::replay_pk(&marker.key)));
            item.insert(keys::SK.into(), s(keys::REPLAY_SK));
            item.insert("entity".into(), s("webhook_replay"));
            item.insert("expiresAt".into(), n(marker.expires_at));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .map_err(unavailable)?;
            actions.push(TransactWriteItem::builder().put(put).build());
        }
        let failed = self.try_transact(actions).await?;
        // A replay is reported first: whatever else is true, that request was seen.
        if failed.contains(&2) {
            return Ok(Recorded::Replayed);
        }
        if failed.contains(&0) {
            return Ok(Recorded::AlreadyScored);
        }
        if failed.contains(&1) {
            return Ok(Recorded::NotAwaited);
        }
        let card = self
            .get_item(keys::tenant_pk(tenant), &keys::job_sk(job))
            .await?;
        match card_from(card)? {
            Some(card) => Ok(Recorded::Scored(card)),
            None => Err(StoreError::Corrupt {
                key: keys::job_sk(job),
                reason: "job vanished right after it was scored".into(),
            }),
        }
    }

    async fn note_attempt_error(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .update_awaiting(tenant, job, attempt)
            .update_expression("SET lastError = :error")
            .expression_attribute_values(":error", s(error))
            .send()
            .await;
        Ok(conditional(result)?.is_some())
    }

    async fn mark_failed(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        error: Option<&str>,
    ) -> Result<Option<JobCard>, StoreError> {
        let set_error = match error {
            Some(_) => "lastError = :error",
            None => "lastError = if_not_exists(lastError, :error)",
        };
        let result = self
            .update_awaiting(tenant, job, attempt)
            .update_expression(format!("SET #status = :failed, GSI1PK = :gsi, {set_error}"))
            .expression_attribute_values(":failed", s(JobStatus::Failed.as_str()))
            .expression_attribute_values(":gsi", s(keys::status_gsi_pk(tenant, JobStatus::Failed)))
            .expression_attribute_values(":error", s(error.unwrap_or(FAILED_WITHOUT_ERROR)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match conditional(result)? {
            Some(out) => card_from(out.attributes),
            None => Ok(None),
        }
    }

    async fn requeue(
        &self,
        tenant: TenantId,
        job: JobId,
        from: JobStatus,
        from_attempt: u32,
    ) -> Result<Option<JobCard>, StoreError> {
        from.transition(JobStatus::Queued)
            .map_err(|_| StoreError::Conflict(Conflict::Stale))?;
        let result = self
            .job_key(tenant, job)
            .condition_expression("attribute_exists(PK) AND #status = :from AND attempt = :attempt")
            .update_expression(
                "SET #status = :queued, GSI1PK = :gsi, attempt = :next REMOVE lastError",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":attempt", n(from_attempt))
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":gsi", s(keys::status_gsi_pk(tenant, JobStatus::Queued)))
            .expression_attribute_values(":next", n(from_attempt + 1))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match conditional(result)? {
            Some(out) => card_from(out.attributes),
            None => Ok(None),
        }
    }

    async fn unqueue(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        previous: JobStatus,
    ) -> Result<(), StoreError> {
        let result = self
            .update_awaiting(tenant, job, attempt)
            .update_expression("SET #status = :previous, GSI1PK = :gsi")
            .expression_attribute_values(":previous", s(previous.as_str()))
            .expression_attribute_values(":gsi", s(keys::status_gsi_pk(tenant, previous)))
            .send()
            .await;
        conditional(result)?;
        Ok(())
    }

    async fn history(
        &self,
        tenant: TenantId,
        job: JobId,
        page: &PageRequest,
    ) -> Result<Page<ScoringEntry>, StoreError> {
        let pk = keys::job_pk(tenant, job);
        let start = match page.cursor.as_deref() {
            None => None,
            Some(token) => {
                let position = self
                    .cursors
                    .open(token, tenant, &history_scope(job))
                    .map_err(|_| StoreError::InvalidCursor)?;
                if position.get(keys::PK) != Some(&pk) {
                    return Err(StoreError::InvalidCursor);
                }
                Some(
                    position
                        .into_iter()
                        .map(|(k, v)| (k, s(v)))
                        .collect::<Item>(),
                )
            }
        };
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(keys::SCORE_SK_PREFIX))
            .scan_index_forward(false)
            .limit(i32::from(page.limit.clamp(1, PageRequest::MAX_LIMIT)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<ScoreItem>(item)?.into_domain())
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match out.last_evaluated_key {
            Some(key) if !key.is_empty() => {
                let position: Position = key
                    .into_iter()
                    .filter_map(|(k, v)| v.as_s().ok().map(|v| (k, v.clone())))
                    .collect();
                Some(self.cursors.seal(tenant, &history_scope(job), &position))
            }
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }

    async fn job_cards_after(
        &self,
        tenant: TenantId,
        after: Option<JobId>,
        limit: u16,
    ) -> Result<Vec<(JobCard, u32)>, StoreError> {
        let pk = keys::tenant_pk(tenant);
        let start = after.map(|id| {
            Item::from([
                (keys::PK.to_owned(), s(pk.clone())),
                (keys::SK.to_owned(), s(keys::job_sk(id))),
            ])
        });
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(keys::JOB_SK_PREFIX))
            .limit(i32::from(limit.max(1)))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(|item| {
                let item = from_item::<JobCardItem>(item)?;
                let attempt = item.attempt;
                Ok((item.into_card()?, attempt))
            })
            .collect()
    }

    async fn get_profile(&self, tenant: TenantId) -> Result<Option<Profile>, StoreError> {
        self.get_item(keys::tenant_pk(tenant), keys::PROFILE_SK)
            .await?
            .map(|item| Ok(from_item::<ProfileItem>(item)?.profile))
            .transpose()
    }

    async fn put_profile(&self, tenant: TenantId, profile: &Profile) -> Result<(), StoreError> {
        let item = ProfileItem {
            pk: keys::tenant_pk(tenant),
            sk: keys::PROFILE_SK.into(),
            entity: "profile".into(),
            profile: profile.clone(),
            updated_at: Utc::now(),
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
