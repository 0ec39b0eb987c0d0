//! [`MailDirectory`] on the single table: the tenant's members' settings (one Query of
//! `NOTIFY#USER#`), a member's address from the account item (`USER#<id>`), and the hourly
//! cap as a conditional counter at `T#<tenant>` / `MAILCAP#<user>#<YYYYMMDDHH>`.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use shared::adapters::dynamo::keys::{NOTIFY_SETTINGS_SK_PREFIX, mail_cap_sk, tenant_pk, user_sk};
use shared::domain::{TenantId, UserId};
use shared::ports::StoreError;

use crate::DynamoNotifications;
use crate::email::{Address, MailDirectory};
use crate::settings::MemberSettings;

/// A counter outlives its hour by a day, then TTL removes it.
const CAP_TTL_SECS: i64 = 25 * 3600;

#[async_trait]
impl MailDirectory for DynamoNotifications {
    async fn member_settings(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<(UserId, MemberSettings)>, StoreError> {
        let items = self
            .query_prefix(tenant_pk(tenant), NOTIFY_SETTINGS_SK_PREFIX)
            .await?;
        let mut members = Vec::with_capacity(items.len());
        for item in items {
            let settings = self.settings_of(item)?;
            members.push(settings);
        }
        Ok(members)
    }

    async fn address(&self, tenant: TenantId, user: UserId) -> Result<Option<Address>, StoreError> {
        let Some(item) = self.get(tenant_pk(tenant), user_sk(user)).await? else {
            return Ok(None);
        };
        let email = item.get("email").and_then(|v| v.as_s().ok()).cloned();
        let verified = item
            .get("emailVerified")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false);
        Ok(email.map(|email| Address { email, verified }))
    }

    async fn take_hourly_slot(
        &self,
        tenant: TenantId,
        user: UserId,
        now: DateTime<Utc>,
        cap: u32,
    ) -> Result<bool, StoreError> {
        let hour = now.format("%Y%m%d%H").to_string();
        let result = self
            .client()
            .await
            .update_item()
            .table_name(self.table())
            .key("PK", AttributeValue::S(tenant_pk(tenant)))
            .key("SK", AttributeValue::S(mail_cap_sk(user, &hour)))
            .update_expression("ADD sent :one SET entity = :entity, expiresAt = :ttl")
            .condition_expression("attribute_not_exists(sent) OR sent < :cap")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":cap", AttributeValue::N(cap.to_string()))
            .expression_attribute_values(":entity", AttributeValue::S("MailCap".into()))
            .expression_attribute_values(
                ":ttl",
                AttributeValue::N((now.timestamp() + CAP_TTL_SECS).to_string()),
            )
            .send()
            .await;
        crate::dynamo::conditional(result)
    }
}
