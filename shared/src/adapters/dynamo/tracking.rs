//! Application tracking. The stage sits on the job card (`stage`, `stageChangedAt`, and
//! `noteCount`); every stage change and note is a `TRACK#<time>#<ulid>` item in the job's own
//! partition beside its body and scorings. Docs: docs/data-model.md, "Application tracking".

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use chrono::{DateTime, SubsecRound, Utc};

use super::stats::{JobDelta, job_counter_adds};
use super::{DynamoStore, Item, keys, prefix_query, put_new, s, unavailable};
use crate::domain::{JobCard, JobId, NoteText, Stage, TenantId, TrackingEntry};
use crate::ports::{MAX_NOTES, MAX_TRACKING_ENTRIES, NoteAdded, StoreError, TrackingStore};

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The entry's item: ordered by time within the job; the ULID keeps two entries of the same
/// microsecond apart.
fn entry_item(tenant: TenantId, job: JobId, entry: &TrackingEntry) -> Item {
    let at = time(entry.at());
    let mut item = Item::new();
    item.insert(keys::PK.into(), s(keys::job_pk(tenant, job)));
    item.insert(
        keys::SK.into(),
        s(format!(
            "{}{at}#{}",
            keys::TRACK_SK_PREFIX,
            ulid::Ulid::new()
        )),
    );
    item.insert("entity".into(), s("tracking"));
    item.insert("at".into(), s(at));
    match entry {
        TrackingEntry::Stage { stage, from, .. } => {
            item.insert("kind".into(), s("stage"));
            item.insert("stage".into(), s(stage.as_str()));
            if let Some(from) = from {
                item.insert("from".into(), s(from.as_str()));
            }
        }
        TrackingEntry::Note { text, .. } => {
            item.insert("kind".into(), s("note"));
            item.insert("text".into(), s(text.as_str()));
        }
    }
    item
}

fn parse_entry(item: &Item) -> Result<TrackingEntry, StoreError> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let corrupt = |reason: &str| StoreError::Corrupt {
        key: text(keys::PK).unwrap_or_default(),
        reason: format!("tracking entry: {reason}"),
    };
    let at = text("at")
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .ok_or_else(|| corrupt("bad time"))?
        .with_timezone(&Utc);
    let stage =
        |name: &str| text(name).map(|v| v.parse::<Stage>().map_err(|_| corrupt("bad stage")));
    match text("kind").as_deref() {
        Some("stage") => Ok(TrackingEntry::Stage {
            stage: stage("stage").ok_or_else(|| corrupt("no stage"))??,
            from: stage("from").transpose()?,
            at,
        }),
        Some("note") => Ok(TrackingEntry::Note {
            text: text("text").ok_or_else(|| corrupt("no text"))?,
            at,
        }),
        _ => Err(corrupt("unknown kind")),
    }
}

impl DynamoStore {
    /// The card's stage update, conditional on the stage as read.
    fn stage_update(
        &self,
        tenant: TenantId,
        card: &JobCard,
        to: Stage,
        at: DateTime<Utc>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(card.id)))
            .update_expression("SET stage = :to, stageChangedAt = :at")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":at", s(time(at)));
        update = match card.stage {
            Some(from) => update
                .condition_expression("attribute_exists(PK) AND stage = :from")
                .expression_attribute_values(":from", s(from.as_str())),
            None => {
                update.condition_expression("attribute_exists(PK) AND attribute_not_exists(stage)")
            }
        };
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(unavailable)?)
            .build())
    }
}

#[async_trait]
impl TrackingStore for DynamoStore {
    async fn set_stage(
        &self,
        tenant: TenantId,
        card: &JobCard,
        to: Stage,
        at: DateTime<Utc>,
    ) -> Result<Option<JobCard>, StoreError> {
        // Stored to the microsecond: the card answered must be the card read back.
        let at = at.trunc_subsecs(6);
        let entry = TrackingEntry::Stage {
            stage: to,
            from: card.stage,
            at,
        };
        let mut actions = vec![
            self.stage_update(tenant, card, to, at)?,
            put_new(&self.table, entry_item(tenant, card.id, &entry))?,
        ];
        let delta = JobDelta::staged(card.stage, to);
        for add in job_counter_adds(tenant, card.created_at, card.source_id, &delta) {
            actions.push(add.transact(&self.table)?);
        }
        let failed = self.try_transact(actions).await?;
        Ok(failed.is_empty().then(|| JobCard {
            stage: Some(to),
            stage_changed_at: Some(at),
            ..card.clone()
        }))
    }

    async fn add_note(
        &self,
        tenant: TenantId,
        job: JobId,
        text: &NoteText,
        at: DateTime<Utc>,
    ) -> Result<NoteAdded, StoreError> {
        let count = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::job_sk(job)))
            .update_expression("ADD noteCount :one")
            .condition_expression(
                "attribute_exists(PK) AND (attribute_not_exists(noteCount) OR noteCount < :max)",
            )
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(MAX_NOTES.to_string()))
            .build()
            .map_err(unavailable)?;
        let entry = TrackingEntry::Note {
            text: text.as_str().to_owned(),
            at,
        };
        let actions = vec![
            TransactWriteItem::builder().update(count).build(),
            put_new(&self.table, entry_item(tenant, job, &entry))?,
        ];
        if self.try_transact(actions).await?.is_empty() {
            return Ok(NoteAdded::Added);
        }
        // The count's condition failed: either the job is gone or it is full.
        match self
            .get_item(keys::tenant_pk(tenant), &keys::job_sk(job))
            .await?
        {
            Some(_) => Ok(NoteAdded::Full),
            None => Ok(NoteAdded::JobGone),
        }
    }

    async fn tracking(
        &self,
        tenant: TenantId,
        job: JobId,
    ) -> Result<Vec<TrackingEntry>, StoreError> {
        let out = prefix_query(
            self.client().await,
            &self.table,
            keys::job_pk(tenant, job),
            keys::TRACK_SK_PREFIX,
        )
        .scan_index_forward(false)
        .limit(i32::try_from(MAX_TRACKING_ENTRIES).unwrap_or(100))
        .send()
        .await
        .map_err(unavailable)?;
        let mut entries = out
            .items
            .unwrap_or_default()
            .iter()
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()?;
        entries.reverse();
        Ok(entries)
    }
}
