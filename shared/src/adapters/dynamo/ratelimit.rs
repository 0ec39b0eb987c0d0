//! Fixed-window rate limits: one counter item per key and window, incremented with an
//! atomic `ADD`, expiring by TTL after the window.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};

use super::{DynamoStore, keys, unavailable};
use crate::ports::{RateLimiter, RateWindow, StoreError};

#[async_trait]
impl RateLimiter for DynamoStore {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let RateWindow { start, end, .. } = RateWindow::at(now, window_secs);
        let out = self
            .client()
            .await
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(keys::rate_pk(key, start)))
            .key(keys::SK, AttributeValue::S(keys::RATE_SK.into()))
            .update_expression("ADD hits :one SET expiresAt = :end")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":end", AttributeValue::N(end.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(unavailable)?;
        let hits: u64 = out
            .attributes
            .as_ref()
            .and_then(|a| a.get("hits"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        Ok(RateWindow::at(now, window_secs).verdict(hits, limit))
    }
}
