//! Runs of failed logins: one item per key, `ADD failures 1` while the run is fresh, a
//! fresh `failures = 1` when there is none or it was forgotten; `expiresAt` (TTL) cleans
//! up, and reads ignore a forgotten run that TTL has not deleted yet.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{DynamoStore, is_condition_failure, keys, unavailable};
use crate::ports::{FailureCounter, Failures, StoreError};

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn number(item: &std::collections::HashMap<String, AttributeValue>, name: &str) -> Option<i64> {
    item.get(name)?.as_n().ok()?.parse().ok()
}

/// The run an item holds, unless it was forgotten by `now`.
fn run_of(
    item: Option<&std::collections::HashMap<String, AttributeValue>>,
    now: DateTime<Utc>,
    forget_after: Duration,
) -> Failures {
    let Some(item) = item else {
        return Failures::default();
    };
    let last_at = number(item, "lastAt").and_then(|t| Utc.timestamp_opt(t, 0).single());
    match (number(item, "failures"), last_at) {
        (Some(count), Some(last)) if last + forget_after > now => Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            last_at: Some(last),
        },
        _ => Failures::default(),
    }
}

#[async_trait]
impl FailureCounter for DynamoStore {
    async fn failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: Duration,
    ) -> Result<Failures, StoreError> {
        let item = self
            .get_item(keys::failures_pk(key), keys::FAILURES_SK)
            .await?;
        Ok(run_of(item.as_ref(), now, forget_after))
    }

    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: Duration,
    ) -> Result<Failures, StoreError> {
        let client = self.client().await;
        let update = |fresh: bool| {
            let request = client
                .update_item()
                .table_name(&self.table)
                .key(keys::PK, AttributeValue::S(keys::failures_pk(key)))
                .key(keys::SK, AttributeValue::S(keys::FAILURES_SK.into()))
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":now", n(now.timestamp()))
                .expression_attribute_values(":end", n((now + forget_after).timestamp()))
                .expression_attribute_values(":stale", n((now - forget_after).timestamp()))
                .return_values(ReturnValue::AllNew);
            if fresh {
                // A new run, over whatever a forgotten one left; conditional, so that of two
                // concurrent first failures the second counts on from the first.
                request
                    .update_expression("SET failures = :one, lastAt = :now, expiresAt = :end")
                    .condition_expression("attribute_not_exists(lastAt) OR lastAt <= :stale")
            } else {
                request
                    .update_expression("ADD failures :one SET lastAt = :now, expiresAt = :end")
                    .condition_expression("lastAt > :stale")
            }
        };
        // Each condition is the other's complement: one of them holds unless a concurrent
        // failure started a run in between, and then the next try counts on from it.
        let mut out = None;
        for fresh in [false, true, false, true] {
            match update(fresh).send().await {
                Ok(applied) => {
                    out = Some(applied);
                    break;
                }
                Err(e) if is_condition_failure(&e) => continue,
                Err(e) => return Err(unavailable(e)),
            }
        }
        let out = out.ok_or_else(|| {
            StoreError::Unavailable("failed-login run kept changing under the write".into())
        })?;
        Ok(run_of(out.attributes.as_ref(), now, forget_after))
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        self.client()
            .await
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(keys::failures_pk(key)))
            .key(keys::SK, AttributeValue::S(keys::FAILURES_SK.into()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
