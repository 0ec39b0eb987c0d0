//! Rewriting every job card's list-index keys from its status, score and source, for a
//! table written under an earlier index layout (docs/data-model.md, "Job list"). An
//! operator runs it once after deploying a layout change (`jobmon-reindex`); it is
//! idempotent, and it never overwrites a card that moved meanwhile: each update is
//! conditional on the status and score it was computed from, and a card that moved was
//! rewritten by that move under the new layout anyway.

use aws_sdk_dynamodb::types::AttributeValue;

use super::items::JobCardItem;
use super::job_index::{IndexKeys, IndexUpdate, index_keys};
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
}

const INDEX_ATTRIBUTES: [&str; 10] = [
    "GSI1PK", "GSI1SK", "GSI3PK", "GSI3SK", "GSI4PK", "GSI4SK", "GSI5PK", "GSI5SK", "GSI6PK",
    "GSI6SK",
];

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
                .client
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
                match self.reindex_card(item).await? {
                    Outcome::Current => report.current += 1,
                    Outcome::Rewritten => report.rewritten += 1,
                    Outcome::Moved => report.moved += 1,
                }
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(report),
            }
        }
    }

    async fn reindex_card(&self, item: Item) -> Result<Outcome, StoreError> {
        let stored: Vec<Option<AttributeValue>> = INDEX_ATTRIBUTES
            .iter()
            .map(|a| item.get(*a).cloned())
            .collect();
        let card_item: JobCardItem = from_item(item)?;
        let (pk, sk) = (card_item.pk.clone(), card_item.sk.clone());
        let tenant = tenant_of(&pk).ok_or_else(|| StoreError::Corrupt {
            key: pk.clone(),
            reason: "a job card outside a tenant partition".into(),
        })?;
        let card: JobCard = card_item.into_card()?;
        let ix = index_keys(tenant, card.id, card.source_id, card.status, card.score);
        if stored == layout(&ix) {
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
            .client
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

/// The index attributes a card with `ix` has in the current layout, in the order of
/// [`INDEX_ATTRIBUTES`].
fn layout(ix: &IndexKeys) -> Vec<Option<AttributeValue>> {
    let s = |v: &String| Some(AttributeValue::S(v.clone()));
    let pair = |p: &Option<(String, String)>| match p {
        Some((pk, sk)) => [s(pk), s(sk)],
        None => [None, None],
    };
    let [g3pk, g3sk] = pair(&ix.gsi3);
    let [g4pk, g4sk] = pair(&ix.gsi4);
    let [g6pk, g6sk] = pair(&ix.gsi6);
    vec![
        s(&ix.gsi1pk),
        s(&ix.gsi1sk),
        g3pk,
        g3sk,
        g4pk,
        g4sk,
        s(&ix.gsi5pk),
        s(&ix.gsi5sk),
        g6pk,
        g6sk,
    ]
}

enum Outcome {
    Current,
    Rewritten,
    Moved,
}
