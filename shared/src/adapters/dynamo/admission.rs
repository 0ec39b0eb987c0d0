//! Admission markers (`ADMIT#<id>` in the tenant's partition). The quota counter update
//! and the marker put are one transaction, so a reservation never exists without the
//! marker that says which jobs it is for (ports/admission.rs has the protocol).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::items::JobCardItem;
use super::{DynamoStore, from_item, keys, s, to_item, unavailable};
use crate::domain::{JobId, JobStatus, Period, TenantId};
use crate::ports::{Admission, AdmissionStore, StoreError};

fn n(v: u32) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

#[derive(Serialize, Deserialize)]
struct AdmissionItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    id: String,
    #[serde(rename = "reservedAt")]
    reserved_at: DateTime<Utc>,
    jobs: Vec<JobId>,
}

impl DynamoStore {
    /// The counter update (conditional on the quota) and the marker put, as actions.
    fn admission_actions(
        &self,
        admission: &Admission,
        used: u32,
        limit: u32,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let grant = u32::try_from(admission.jobs.len()).unwrap_or(u32::MAX);
        let counter = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(admission.tenant)))
            .key(keys::SK, s(keys::usage_sk(&admission.period())))
            .update_expression("ADD scoredJobs :grant SET entity = :entity")
            // Nobody took quota since `used` was read, or not enough to matter.
            .condition_expression("attribute_not_exists(scoredJobs) OR scoredJobs <= :max")
            .expression_attribute_values(":grant", n(grant))
            .expression_attribute_values(":max", n(limit - grant.min(limit)))
            .expression_attribute_values(":entity", s("usage"))
            .build()
            .map_err(unavailable)?;
        debug_assert!(used + grant <= limit);
        let item = AdmissionItem {
            pk: keys::tenant_pk(admission.tenant),
            sk: keys::admission_sk(&admission.id),
            entity: "admission".into(),
            id: admission.id.clone(),
            reserved_at: admission.reserved_at,
            jobs: admission.jobs.clone(),
        };
        let marker = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&item)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        Ok(vec![
            TransactWriteItem::builder().update(counter).build(),
            TransactWriteItem::builder().put(marker).build(),
        ])
    }

    async fn used_quota(&self, tenant: TenantId, period: &Period) -> Result<u32, StoreError> {
        Ok(self
            .get_item(keys::tenant_pk(tenant), &keys::usage_sk(period))
            .await?
            .as_ref()
            .and_then(|i| i.get("scoredJobs"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0))
    }
}

#[async_trait]
impl AdmissionStore for DynamoStore {
    async fn reserve_admission(
        &self,
        tenant: TenantId,
        id: &str,
        reserved_at: DateTime<Utc>,
        candidates: &[JobId],
        limit: u32,
    ) -> Result<Option<Admission>, StoreError> {
        let period = Period::of(reserved_at);
        let want = u32::try_from(candidates.len()).unwrap_or(u32::MAX);
        for _ in 0..10 {
            let used = self.used_quota(tenant, &period).await?;
            let grant = want.min(limit.saturating_sub(used));
            if grant == 0 {
                return Ok(None);
            }
            let admission = Admission {
                tenant,
                id: id.to_owned(),
                reserved_at,
                jobs: candidates[..grant as usize].to_vec(),
            };
            let failed = self
                .try_transact(self.admission_actions(&admission, used, limit)?)
                .await?;
            match failed.first() {
                None => return Ok(Some(admission)),
                // The counter moved since it was read: read again.
                Some(0) => continue,
                Some(_) => {
                    return Err(StoreError::Unavailable(format!(
                        "admission {id} already exists"
                    )));
                }
            }
        }
        Err(StoreError::Unavailable(
            "quota counter contended; try again".into(),
        ))
    }

    /// Eventually consistent is enough: a marker is settled by the next lease holder,
    /// which comes at the earliest when the writer's lease (2 min) has expired.
    async fn open_admissions(&self, tenant: TenantId) -> Result<Vec<Admission>, StoreError> {
        self.query_prefix(keys::tenant_pk(tenant), keys::ADMISSION_SK_PREFIX, None)
            .await?
            .into_iter()
            .map(|item| {
                let item: AdmissionItem = from_item(item)?;
                Ok(Admission {
                    tenant,
                    id: item.id,
                    reserved_at: item.reserved_at,
                    jobs: item.jobs,
                })
            })
            .collect()
    }

    /// One read per job: only a crashed admission is settled this way.
    async fn job_statuses(
        &self,
        tenant: TenantId,
        jobs: &[JobId],
    ) -> Result<Vec<Option<JobStatus>>, StoreError> {
        let mut statuses = Vec::with_capacity(jobs.len());
        for id in jobs {
            let card = self
                .get_item(keys::tenant_pk(tenant), &keys::job_sk(*id))
                .await?;
            statuses.push(match card {
                Some(item) => Some(from_item::<JobCardItem>(item)?.status),
                None => None,
            });
        }
        Ok(statuses)
    }

    async fn close_admission(&self, tenant: TenantId, id: &str) -> Result<(), StoreError> {
        self.client()
            .await
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::admission_sk(id)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
