//! Rewriting every job card's list-index keys from its status, score and source, for a
//! table written under an earlier index layout (docs/data-model.md, "Job list"). An
//! operator runs it once after deploying a layout change (`jobmon-reindex`); it is
//! idempotent, and it never overwrites a card that moved meanwhile: each update is
//! conditional on the status and score it was computed from, and a card that moved was
//! rewritten by that move under the new layout anyway.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::JobCardItem;
use super::job_index::{IndexUpdate, index_keys};
use super::{DynamoStore, Item, from_item, is_condition_failure, unavailable};
use crate::domain::{JobCard, TenantId};
use crate::ports::StoreError;

/// What a run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReindexReport {
    /// Job cards read.
    pub cards: u64,
    /// Cards whose keys were rewritten.
    pub rewritten: u64,
    /// Cards already in the current layout.
    pub current: u64,
    /// Cards that moved between the read and the write (left to that move).
    pub moved: u64,
    /// Cards that could not be read as a job card, left as they are (each is logged with
    /// its key and the reason; a second run tries them again).
    pub unreadable: u64,
}

fn tenant_of(pk: &str) -> Option<TenantId> {
    TenantId::parse(pk.strip_prefix("T#")?).ok()
}

impl DynamoStore {
    /// Walks the table's job cards (a `Scan` filtered on `entity = job`, one page of up to
    /// 1 MB at a time) and rewrites those whose index keys are not the current layout's.
    pub async fn reindex_job_cards(&self) -> Result<ReindexReport, StoreError> {
        let mut report = ReindexReport::default();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client()
                .await
                .scan()
                .table_name(&self.table)
                .filter_expression("entity = :job")
                .expression_attribute_values(":job", AttributeValue::S("job".into()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                report.cards += 1;
                match self.reindex_card(item).await {
                    Ok(Outcome::Current) => report.current += 1,
                    Ok(Outcome::Rewritten) => report.rewritten += 1,
                    Ok(Outcome::Moved) => report.moved += 1,
                    Err(StoreError::Corrupt { key, reason }) => {
                        tracing::warn!(%key, %reason, "job card left as it is: unreadable");
                        report.unreadable += 1;
                    }
                    Err(e) => return Err(e),
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(report),
            }
        }
    }

    async fn reindex_card(&self, item: Item) -> Result<Outcome, StoreError> {
        let card_item: JobCardItem = from_item(item.clone())?;
        let (pk, sk) = (card_item.pk.clone(), card_item.sk.clone());
        let tenant = tenant_of(&pk).ok_or_else(|| StoreError::Corrupt {
            key: pk.clone(),
            reason: "a job card outside a tenant partition".into(),
        })?;
        let card: JobCard = card_item.into_card()?;
        let ix = index_keys(tenant, card.id, card.source_id, card.status, card.score);
        if ix.moving().iter().all(|(name, value)| {
            let stored = match item.get(*name) {
                Some(AttributeValue::S(s)) => Some(s),
                _ => None,
            };
            stored == *value
        }) {
            return Ok(Outcome::Current);
        }
        let update = IndexUpdate::of(&ix);
        let (condition, was_score) = match card.score {
            Some(score) => (
                "#status = :was_status AND score = :was_score",
                Some(AttributeValue::N(score.value().to_string())),
            ),
            None => (
                "#status = :was_status AND attribute_not_exists(score)",
                None,
            ),
        };
        let mut request = self
            .client()
            .await
            .update_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .update_expression(update.expression(&[], &[]))
            .condition_expression(condition)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":was_status",
                AttributeValue::S(card.status.as_str().into()),
            );
        if let Some(score) = was_score {
            request = request.expression_attribute_values(":was_score", score);
        }
        for (k, v) in update.values {
            request = request.expression_attribute_values(k, v);
        }
        match request.send().await {
            Ok(_) => Ok(Outcome::Rewritten),
            Err(e) if is_condition_failure(&e) => Ok(Outcome::Moved),
            Err(e) => Err(unavailable(e)),
        }
    }
}

enum Outcome {
    Current,
    Rewritten,
    Moved,
}
