//! Refresh-token sessions: a token item per issued refresh token (by hash) and a family
//! item per login under the tenant. Rotation spends the presented token and issues the
//! next in one transaction; presenting a spent token revokes the family.

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{DynamoStore, from_item, keys, s, to_item, unavailable};
use crate::domain::{TenantId, UserId};
use crate::ports::{Rotation, SessionGrant, SessionStore, StoreError};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    tenant_id: String,
    user_id: String,
    family: String,
    /// Absent on tokens issued before sessions had generations: generation 0.
    #[serde(default)]
    generation: u64,
    spent: bool,
    expires_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FamilyItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    revoked: bool,
    expires_at: i64,
}

impl RefreshItem {
    fn new(grant: &SessionGrant, hash: &str, expires_at: DateTime<Utc>) -> Self {
        Self {
            pk: keys::refresh_pk(hash),
            sk: keys::REFRESH_SK.into(),
            entity: "refresh_token".into(),
            tenant_id: grant.tenant.to_string(),
            user_id: grant.user.to_string(),
            family: grant.family.clone(),
            generation: grant.generation,
            spent: false,
            expires_at: expires_at.timestamp(),
        }
    }

    fn grant(&self) -> Result<SessionGrant, StoreError> {
        let corrupt = |e: String| StoreError::Corrupt {
            key: self.pk.clone(),
            reason: e,
        };
        Ok(SessionGrant {
            tenant: TenantId::parse(&self.tenant_id).map_err(|e| corrupt(e.to_string()))?,
            user: UserId::parse(&self.user_id).map_err(|e| corrupt(e.to_string()))?,
            family: self.family.clone(),
            generation: self.generation,
        })
    }
}

impl DynamoStore {
    async fn refresh_item(&self, hash: &str) -> Result<Option<RefreshItem>, StoreError> {
        match self
            .get_item(keys::refresh_pk(hash), keys::REFRESH_SK)
            .await?
        {
            Some(item) => Ok(Some(from_item(item)?)),
            None => Ok(None),
        }
    }

    async fn revoke_family(&self, grant: &SessionGrant) -> Result<(), StoreError> {
        self.update_tenant_item(grant.tenant, keys::session_sk(grant.user, &grant.family))
            .await
            .update_expression("SET revoked = :yes")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// The user still exists at the family's generation: a removal deletes the item, a
    /// password reset or "sign out everywhere" moves the generation on.
    fn user_at_generation(&self, grant: &SessionGrant) -> Result<TransactWriteItem, StoreError> {
        // Users stored before generations existed have no attribute: generation 0.
        let condition = if grant.generation == 0 {
            "attribute_exists(PK) AND (attribute_not_exists(sessionGen) OR sessionGen = :gen)"
        } else {
            "sessionGen = :gen"
        };
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(grant.tenant)))
            .key(keys::SK, s(keys::user_sk(grant.user)))
            .condition_expression(condition)
            .expression_attribute_values(":gen", AttributeValue::N(grant.generation.to_string()))
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    fn put_refresh(&self, item: &RefreshItem) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(item)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn start_session(
        &self,
        grant: &SessionGrant,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let family = FamilyItem {
            pk: keys::tenant_pk(grant.tenant),
            sk: keys::session_sk(grant.user, &grant.family),
            entity: "session".into(),
            revoked: false,
            expires_at: expires_at.timestamp(),
        };
        let put_family = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&family)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(unavailable)?;
        let actions = vec![
            TransactWriteItem::builder().put(put_family).build(),
            self.put_refresh(&RefreshItem::new(grant, token_hash, expires_at))?,
        ];
        self.transact(actions, &[None, None]).await
    }

    async fn rotate(
        &self,
        presented_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        let Some(current) = self.refresh_item(presented_hash).await? else {
            return Ok(Rotation::Invalid);
        };
        let grant = current.grant()?;
        if current.spent {
            self.revoke_family(&grant).await?;
            return Ok(Rotation::ReuseDetected);
        }
        if current.expires_at <= now.timestamp() {
            return Ok(Rotation::Invalid);
        }
        let spend = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::refresh_pk(presented_hash)))
            .key(keys::SK, s(keys::REFRESH_SK))
            .update_expression("SET spent = :yes")
            .condition_expression("spent = :no")
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .map_err(unavailable)?;
        let family_live = ConditionCheck::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(grant.tenant)))
            .key(keys::SK, s(keys::session_sk(grant.user, &grant.family)))
            .condition_expression("revoked = :no")
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .build()
            .map_err(unavailable)?;
        let actions = vec![
            TransactWriteItem::builder().update(spend).build(),
            TransactWriteItem::builder()
                .condition_check(family_live)
                .build(),
            self.user_at_generation(&grant)?,
            self.put_refresh(&RefreshItem::new(&grant, new_hash, expires_at))?,
        ];
        let result = self
            .client()
            .await
            .transact_write_items()
            .set_transact_items(Some(actions))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Rotation::Rotated(grant)),
            Err(e) => {
                let reasons: Vec<Option<String>> = match e.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancel)) => cancel
                        .cancellation_reasons()
                        .iter()
                        .map(|r| r.code().map(str::to_owned))
                        .collect(),
                    _ => return Err(unavailable(e)),
                };
                let failed = |i: usize| {
                    reasons.get(i).and_then(|r| r.as_deref()) == Some("ConditionalCheckFailed")
                };
                if failed(0) {
                    // Spent by a concurrent refresh with the same token: a replay.
                    self.revoke_family(&grant).await?;
                    Ok(Rotation::ReuseDetected)
                } else if failed(1) || failed(2) {
                    Ok(Rotation::Invalid)
                } else {
                    Err(StoreError::Unavailable(format!(
                        "rotation cancelled: {reasons:?}"
                    )))
                }
            }
        }
    }

    async fn revoke_by_token(&self, token_hash: &str) -> Result<(), StoreError> {
        match self.refresh_item(token_hash).await? {
            Some(item) => self.revoke_family(&item.grant()?).await,
            None => Ok(()),
        }
    }

    async fn revoke_all(&self, tenant: TenantId, user: UserId) -> Result<(), StoreError> {
        let result = self
            .update_tenant_item(tenant, keys::user_sk(user))
            .await
            .update_expression("ADD sessionGen :one")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // No user, no sessions: rotation already refuses every family of a missing user.
            Err(e) if super::is_condition_failure(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }
}
