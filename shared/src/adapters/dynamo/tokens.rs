//! One-time tokens: stored by hash, expiring (checked in code; TTL only cleans up),
//! single use (taken by a conditional delete).

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::{DynamoStore, from_item, is_condition_failure, keys, to_item, unavailable};
use crate::domain::{Email, Role, TenantId, UserId};
use crate::ports::{OneTimeToken, OneTimeTokenStore, StoreError, TokenPurpose};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TokenItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    hash: String,
    purpose: TokenPurpose,
    tenant_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    /// Epoch seconds; also the table's TTL attribute.
    expires_at: i64,
}

impl TokenItem {
    pub(super) fn from_domain(t: &OneTimeToken) -> Self {
        Self {
            pk: keys::token_pk(&t.hash),
            sk: keys::TOKEN_SK.into(),
            entity: "token".into(),
            hash: t.hash.clone(),
            purpose: t.purpose,
            tenant_id: t.tenant.to_string(),
            user_id: t.user.map(|u| u.to_string()),
            email: t.email.as_ref().map(|e| e.as_str().to_owned()),
            role: t.role,
            expires_at: t.expires_at.timestamp(),
        }
    }

    fn into_domain(self) -> Result<OneTimeToken, StoreError> {
        let corrupt = |reason: String| StoreError::Corrupt {
            key: self.pk.clone(),
            reason,
        };
        Ok(OneTimeToken {
            tenant: TenantId::parse(&self.tenant_id).map_err(|e| corrupt(e.to_string()))?,
            user: self
                .user_id
                .as_deref()
                .map(UserId::parse)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            email: self
                .email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            role: self.role,
            expires_at: Utc
                .timestamp_opt(self.expires_at, 0)
                .single()
                .ok_or_else(|| corrupt("expiresAt out of range".into()))?,
            hash: self.hash,
            purpose: self.purpose,
        })
    }
}

fn live(token: OneTimeToken, purpose: TokenPurpose, now: DateTime<Utc>) -> Option<OneTimeToken> {
    (token.purpose == purpose && token.expires_at > now).then_some(token)
}

#[async_trait]
impl OneTimeTokenStore for DynamoStore {
    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        self.client()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&TokenItem::from_domain(token))?))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn find_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        match self.get_item(keys::token_pk(hash), keys::TOKEN_SK).await? {
            Some(item) => Ok(live(
                from_item::<TokenItem>(item)?.into_domain()?,
                purpose,
                now,
            )),
            None => Ok(None),
        }
    }

    async fn take_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        let result = self
            .client()
            .await
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(keys::token_pk(hash)))
            .key(keys::SK, AttributeValue::S(keys::TOKEN_SK.into()))
            .condition_expression(
                "attribute_exists(PK) AND purpose = :purpose AND expiresAt > :now",
            )
            .expression_attribute_values(
                ":purpose",
                AttributeValue::S(
                    serde_json::to_value(purpose)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                ),
            )
            .expression_attribute_values(":now", AttributeValue::N(now.timestamp().to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => match out.attributes {
                Some(item) => Ok(live(
                    from_item::<TokenItem>(item)?.into_domain()?,
                    purpose,
                    now,
                )),
                None => Ok(None),
            },
            Err(e) if is_condition_failure(&e) => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}
