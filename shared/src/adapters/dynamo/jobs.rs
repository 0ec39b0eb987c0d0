//! Jobs: card, body and URL marker written together; lists served by key or index.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;

use super::items::{JobBodyItem, JobCardItem, JobUrlItem};
use super::{DynamoStore, Item, from_item, keys, put_new, to_item, unavailable};
use crate::domain::{Job, JobCard, JobId, TenantId};
use crate::http::cursor::Position;
use crate::ports::{Conflict, JobQuery, JobStore, Page, PageRequest, StoreError};

const STATUS_INDEX: &str = "GSI1";

/// The scope a cursor is bound to: which index and which filter produced it.
fn scope(query: &JobQuery) -> String {
    match query.status {
        Some(status) => format!("jobs:status={status}"),
        None => "jobs:all".to_owned(),
    }
}

fn position_of(key: HashMap<String, AttributeValue>) -> Result<Position, StoreError> {
    key.into_iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => Ok((name, s)),
            other => Err(StoreError::Unavailable(format!(
                "unexpected key attribute {name}: {other:?}"
            ))),
        })
        .collect()
}

impl DynamoStore {
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
            .cursors
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
        let actions = vec![
            put_new(&self.table, to_item(&JobCardItem::from_domain(job))?)?,
            put_new(&self.table, to_item(&JobBodyItem::from_domain(job))?)?,
            put_new(&self.table, to_item(&JobUrlItem::from_domain(job))?)?,
        ];
        self.transact(
            actions,
            &[
                Some(Conflict::AlreadyExists),
                Some(Conflict::AlreadyExists),
                Some(Conflict::DuplicateJobUrl),
            ],
        )
        .await
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        let Some(card_item) = self
            .get_item(keys::tenant_pk(tenant), &keys::job_sk(id))
            .await?
        else {
            return Ok(None);
        };
        let card_item: JobCardItem = from_item(card_item)?;
        let fingerprint = card_item.fingerprint.clone();
        let native_id = card_item.native_id.clone();
        let attempt = card_item.attempt;
        let last_error = card_item.last_error.clone();
        let card = card_item.into_card()?;
        let body = match self
            .get_item(keys::job_pk(tenant, id), keys::JOB_BODY_SK)
            .await?
        {
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
        let start = self.start_key(tenant, query, page.cursor.as_deref())?;
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .scan_index_forward(false)
            .limit(i32::from(page.limit.clamp(1, PageRequest::MAX_LIMIT)))
            .set_exclusive_start_key(start);
        let request = match query.status {
            Some(status) => request
                .index_name(STATUS_INDEX)
                .key_condition_expression("GSI1PK = :pk")
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(keys::status_gsi_pk(tenant, status)),
                ),
            None => request
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", AttributeValue::S(keys::tenant_pk(tenant)))
                .expression_attribute_values(
                    ":prefix",
                    AttributeValue::S(keys::JOB_SK_PREFIX.to_owned()),
                ),
        };
        let out = request.send().await.map_err(unavailable)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<JobCardItem>(item)?.into_card())
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = match out.last_evaluated_key {
            Some(key) if !key.is_empty() => {
                Some(self.cursors.seal(tenant, &scope(query), &position_of(key)?))
            }
            _ => None,
        };
        Ok(Page { items, next_cursor })
    }
}
