//! Scoring: history entries under the job, the `queued → scored | failed` moves, rescoring,
//! the tenant's profile.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use chrono::Utc;

use super::items::{JobCardItem, ProfileItem, ScoreItem};
use super::job_index::{IndexUpdate, index_keys};
use super::stats::{JobDelta, counter_adds};
use super::{DynamoStore, Item, conditional, from_item, keys, s, to_item, unavailable};
use crate::adapters::card_move::CardMove;
use crate::domain::{JobCard, JobId, JobStatus, Profile, ScoringEntry, TenantId};
use crate::http::cursor::Position;
use crate::ports::{
    Conflict, Page, PageRequest, Recorded, ReplayMarker, ScoringStore, StoreError, VersionedProfile,
};

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn history_scope(job: JobId) -> String {
    format!("history:{job}")
}

/// The condition every move of a waiting job shares: it exists, is `queued`, and waits
/// for exactly this attempt.
const AWAITING: &str = "attribute_exists(PK) AND #status = :queued AND attempt = :attempt";

type UpdateJob = aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;

impl DynamoStore {
    /// An update of the card that applies only while the job awaits `attempt`.
    async fn update_awaiting(&self, tenant: TenantId, job: JobId, attempt: u32) -> UpdateJob {
        self.update_tenant_item(tenant, keys::job_sk(job))
            .await
            .condition_expression(AWAITING)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":queued", s(JobStatus::Queued.as_str()))
            .expression_attribute_values(":attempt", n(attempt))
    }
}

impl DynamoStore {
    /// The card's conditional update and the counters the move changes, as transaction
    /// actions (the card's update first).
    pub(super) fn move_actions(
        &self,
        tenant: TenantId,
        m: &CardMove<'_>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let card = m.card;
        let after = m.applied();
        let ix = IndexUpdate::of(&index_keys(
            tenant,
            card.id,
            card.source_id,
            after.status,
            after.score,
        ));
        let mut set = vec!["#status = :to"];
        let mut remove = Vec::new();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(card.id)))
            .condition_expression("attribute_exists(PK) AND #status = :from AND attempt = :attempt")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(card.status.as_str()))
            .expression_attribute_values(":attempt", n(m.attempt))
            .expression_attribute_values(":to", s(m.to.as_str()));
        if let Some((score, at)) = m.score {
            set.extend(["score = :score", "scoredAt = :scored_at"]);
            update = update
                .expression_attribute_values(":score", n(score.value()))
                .expression_attribute_values(
                    ":scored_at",
                    s(at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
                );
        }
        if let Some(next) = m.next_attempt {
            set.push("attempt = :next");
            update = update.expression_attribute_values(":next", n(next));
        }
        match (m.last_error, m.keep_error_or) {
            (Some(Some(error)), _) => {
                set.push("lastError = :error");
                update = update.expression_attribute_values(":error", s(error));
            }
            (Some(None), _) => remove.push("lastError"),
            (None, Some(fallback)) => {
                set.push("lastError = if_not_exists(lastError, :error)");
                update = update.expression_attribute_values(":error", s(fallback));
            }
            (None, None) => {}
        }
        for (k, v) in ix.values.iter().cloned() {
            update = update.expression_attribute_values(k, v);
        }
        update = update.update_expression(ix.expression(&set, &remove));
        let mut actions = vec![
            TransactWriteItem::builder()
                .update(update.build().map_err(unavailable)?)
                .build(),
        ];
        let mut delta = JobDelta::moved(card.status, m.to);
        if let Some((score, _)) = m.score {
            delta = delta.rescored(card.score, score);
        }
        let scored_at = m.score.map(|(_, at)| at);
        for add in counter_adds(tenant, card.created_at, card.source_id, &delta, scored_at) {
            actions.push(add.transact(&self.table)?);
        }
        Ok(actions)
    }

    /// Applies a move; the card after it, or `None` when the card was no longer as read.
    pub(super) async fn move_card(
        &self,
        tenant: TenantId,
        m: &CardMove<'_>,
    ) -> Result<Option<JobCard>, StoreError> {
        let failed = self.try_transact(self.move_actions(tenant, m)?).await?;
        Ok(failed.is_empty().then(|| m.applied()))
    }

    /// The card and its attempt, read strongly consistently.
    pub(super) async fn card_with_attempt(
        &self,
        tenant: TenantId,
        job: JobId,
    ) -> Result<Option<(JobCard, u32)>, StoreError> {
        self.get_item(keys::tenant_pk(tenant), &keys::job_sk(job))
            .await?
            .map(JobCardItem::card_with_attempt)
            .transpose()
    }
}

impl DynamoStore {
    /// A check that the tenant's profile is still at `version` (0: never saved, or saved
    /// before versions existed).
    fn profile_is(&self, tenant: TenantId, version: u64) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::PROFILE_SK));
        let check = if version == 0 {
            check.condition_expression("attribute_not_exists(version)")
        } else {
            check
                .condition_expression("version = :version")
                .expression_attribute_values(":version", n(version))
        };
        Ok(TransactWriteItem::builder()
            .condition_check(check.build().map_err(unavailable)?)
            .build())
    }

    /// The scoring's one transaction: the history entry, the card's move from `read` as it
    /// must still be (queued for this attempt: the move's condition), the replay marker,
    /// the counters. Answers by the action that cancelled it.
    async fn record_scored(
        &self,
        tenant: TenantId,
        read: &JobCard,
        entry: &ScoringEntry,
        replay: Option<&ReplayMarker>,
        profile_version: Option<u64>,
    ) -> Result<Recorded, StoreError> {
        let event = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&ScoreItem::new(tenant, read.id, entry))?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let mut actions = vec![TransactWriteItem::builder().put(event).build()];
        let mut waiting = read.clone();
        waiting.status = JobStatus::Queued;
        let m = CardMove::scored(&waiting, entry);
        let mut moves = self.move_actions(tenant, &m)?.into_iter();
        actions.extend(moves.next());
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
        actions.extend(moves);
        let profile_check = actions.len();
        if let Some(version) = profile_version {
            actions.push(self.profile_is(tenant, version)?);
        }
        let failed = self.try_transact(actions).await?;
        // A replay is reported first: whatever else is true, that request was seen.
        if replay.is_some() && failed.contains(&2) {
            return Ok(Recorded::Replayed);
        }
        if failed.contains(&0) {
            return Ok(Recorded::AlreadyScored);
        }
        if failed == [profile_check] {
            return Ok(Recorded::StaleProfile);
        }
        if !failed.is_empty() {
            return Ok(Recorded::NotAwaited);
        }
        Ok(Recorded::Scored(m.applied()))
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
        match self.card_with_attempt(tenant, job).await? {
            Some((card, _)) => self.record_scored(tenant, &card, entry, replay, None).await,
            None => Ok(Recorded::NotAwaited),
        }
    }

    async fn record_scoring_of(
        &self,
        tenant: TenantId,
        waiting: &JobCard,
        entry: &ScoringEntry,
        profile_version: u64,
    ) -> Result<Recorded, StoreError> {
        self.record_scored(tenant, waiting, entry, None, Some(profile_version))
            .await
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
            .await
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
        let Some((card, current)) = self.card_with_attempt(tenant, job).await? else {
            return Ok(None);
        };
        if card.status != JobStatus::Queued || current != attempt {
            return Ok(None);
        }
        self.move_card(tenant, &CardMove::failed(&card, attempt, error))
            .await
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
        let Some((card, attempt)) = self.card_with_attempt(tenant, job).await? else {
            return Ok(None);
        };
        if card.status != from || attempt != from_attempt {
            return Ok(None);
        }
        self.move_card(tenant, &CardMove::requeued(&card, attempt))
            .await
    }

    async fn unqueue(
        &self,
        tenant: TenantId,
        job: JobId,
        attempt: u32,
        previous: JobStatus,
    ) -> Result<(), StoreError> {
        let Some((card, current)) = self.card_with_attempt(tenant, job).await? else {
            return Ok(());
        };
        if card.status == JobStatus::Queued && current == attempt {
            self.move_card(tenant, &CardMove::status(&card, attempt, previous))
                .await?;
        }
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
                    .cursors()?
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
            .client()
            .await
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
                Some(self.cursors()?.seal(tenant, &history_scope(job), &position))
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
            .client()
            .await
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
            .map(JobCardItem::card_with_attempt)
            .collect()
    }

    async fn get_profile(&self, tenant: TenantId) -> Result<Option<Profile>, StoreError> {
        self.get_item(keys::tenant_pk(tenant), keys::PROFILE_SK)
            .await?
            .map(|item| Ok(from_item::<ProfileItem>(item)?.profile))
            .transpose()
    }

    async fn versioned_profile(&self, tenant: TenantId) -> Result<VersionedProfile, StoreError> {
        let Some(item) = self
            .get_item(keys::tenant_pk(tenant), keys::PROFILE_SK)
            .await?
        else {
            return Ok(VersionedProfile::default());
        };
        let item = from_item::<ProfileItem>(item)?;
        Ok(VersionedProfile {
            profile: item.profile,
            version: item.version,
        })
    }

    /// An update rather than a put, so the version is incremented by DynamoDB itself: two
    /// saves at once make two versions.
    async fn put_profile(&self, tenant: TenantId, profile: &Profile) -> Result<(), StoreError> {
        let item = to_item(&ProfileItem {
            pk: keys::tenant_pk(tenant),
            sk: keys::PROFILE_SK.into(),
            entity: "profile".into(),
            profile: profile.clone(),
            updated_at: Utc::now(),
            version: 0,
        })?;
        let mut update = self.update_tenant_item(tenant, keys::PROFILE_SK).await;
        let mut set = Vec::new();
        let fields = item
            .into_iter()
            .filter(|(name, _)| ![keys::PK, keys::SK, "version"].contains(&name.as_str()));
        for (i, (name, value)) in fields.enumerate() {
            set.push(format!("#f{i} = :f{i}"));
            update = update
                .expression_attribute_names(format!("#f{i}"), name)
                .expression_attribute_values(format!(":f{i}"), value);
        }
        update
            .update_expression(format!("SET {} ADD version :one", set.join(", ")))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
