//! [`NotificationStore`] on the single table (docs/data-model.md, "Notifications"):
//! member settings at `T#<tenant>` / `NOTIFY#USER#<userId>`, channels at
//! `T#<tenant>` / `NOTIFY#CHANNEL#<channelId>`. Both live under the tenant's partition
//! key, so a query for one tenant cannot reach another's.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use shared::adapters::SdkClient;
use shared::adapters::aws::describe;
use shared::adapters::dynamo::keys::{
    NOTIFY_CHANNEL_SK_PREFIX, NOTIFY_SETTINGS_SK_PREFIX, digest_due_gsi_pk, notified_sk,
    notify_channel_sk, notify_settings_sk, tenant_pk,
};
use shared::adapters::dynamo::{prefix_query, query_all};
use shared::domain::{JobId, TenantId, UserId};
use shared::ports::StoreError;

use crate::deliver::{ChannelResult, DeliveryLog, Settled};
use crate::settings::{Channel, MemberSettings};
use crate::store::{NotificationStore, apply_result};

type Item = HashMap<String, AttributeValue>;

#[derive(Serialize, Deserialize)]
struct SettingsItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    /// Present only while the digest is on (the sparse index of [`crate::digest`]).
    #[serde(rename = "GSI2PK", default, skip_serializing_if = "Option::is_none")]
    gsi2pk: Option<String>,
    #[serde(rename = "GSI2SK", default, skip_serializing_if = "Option::is_none")]
    gsi2sk: Option<String>,
    #[serde(flatten)]
    settings: MemberSettings,
}

#[derive(Serialize, Deserialize)]
struct ChannelItem {
    #[serde(rename = "PK")]
    pk: String,
    #[serde(rename = "SK")]
    sk: String,
    entity: String,
    #[serde(flatten)]
    channel: Channel,
}

impl ChannelItem {
    fn new(channel: &Channel) -> Self {
        Self {
            pk: tenant_pk(channel.tenant_id),
            sk: notify_channel_sk(&channel.id),
            entity: "NotifyChannel".into(),
            channel: channel.clone(),
        }
    }
}

#[derive(Clone)]
pub struct DynamoNotifications {
    client: SdkClient<Client>,
    table: String,
}

impl DynamoNotifications {
    /// `client` may be the jobs store's ([`shared::adapters::DynamoStore::shared_client`]):
    /// one client per process, built by the first call of either.
    pub fn new(client: impl Into<SdkClient<Client>>, table: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            table: table.into(),
        }
    }

    fn key(pk: String, sk: String) -> Item {
        HashMap::from([
            ("PK".to_owned(), AttributeValue::S(pk)),
            ("SK".to_owned(), AttributeValue::S(sk)),
        ])
    }

    pub(crate) async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client()
            .await
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    pub(crate) async fn client(&self) -> &Client {
        self.client.get().await
    }

    pub(crate) fn table(&self) -> &str {
        &self.table
    }

    /// Every item under `pk` whose sort key starts with `prefix`, read consistently.
    pub(crate) async fn query_prefix(
        &self,
        pk: String,
        prefix: &str,
    ) -> Result<Vec<Item>, StoreError> {
        query_all(prefix_query(self.client().await, &self.table, pk, prefix).consistent_read(true))
            .await
    }

    /// A settings item as (member, settings).
    pub(crate) fn settings_of(&self, item: Item) -> Result<(UserId, MemberSettings), StoreError> {
        let stored = from_item::<SettingsItem>(item)?;
        let user = settings_user(&stored.sk).ok_or_else(|| StoreError::Corrupt {
            key: format!("{}|{}", stored.pk, stored.sk),
            reason: "settings key names no member".into(),
        })?;
        Ok((user, stored.settings))
    }

    /// A put under `condition`; `false` when the condition did not hold.
    async fn put(&self, item: Item, condition: Option<&str>) -> Result<bool, StoreError> {
        let result = self
            .client()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .send()
            .await;
        conditional(result)
    }
}

/// The settings item's user, from its sort key (the inverse of `notify_settings_sk`).
fn settings_user(sk: &str) -> Option<UserId> {
    sk.strip_prefix(NOTIFY_SETTINGS_SK_PREFIX)?.parse().ok()
}

pub(crate) fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(describe(&e))
}

/// `true` when applied, `false` when the write's condition failed.
pub(crate) fn conditional<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if e.err().code() == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::Unavailable(format!("serialise: {e}")))
}

pub(crate) fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    let key = ["PK", "SK"]
        .map(|k| {
            item.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        })
        .join("|");
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key,
        reason: e.to_string(),
    })
}

#[async_trait]
impl NotificationStore for DynamoNotifications {
    async fn settings(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<MemberSettings>, StoreError> {
        let item = self
            .get(tenant_pk(tenant), notify_settings_sk(user))
            .await?;
        Ok(item
            .map(from_item::<SettingsItem>)
            .transpose()?
            .map(|i| i.settings))
    }

    async fn put_settings(
        &self,
        tenant: TenantId,
        user: UserId,
        settings: &MemberSettings,
    ) -> Result<(), StoreError> {
        let digest = &settings.email.digest;
        let due = digest.enabled.then(|| {
            let hour =
                crate::digest::due_utc_hour(&digest.time_zone, digest.hour, chrono::Utc::now());
            (digest_due_gsi_pk(hour), format!("{tenant}#{user}"))
        });
        let item = to_item(&SettingsItem {
            pk: tenant_pk(tenant),
            sk: notify_settings_sk(user),
            entity: "NotifySettings".into(),
            gsi2pk: due.as_ref().map(|d| d.0.clone()),
            gsi2sk: due.map(|d| d.1),
            settings: settings.clone(),
        })?;
        self.put(item, None).await.map(|_| ())
    }

    async fn channels(&self, tenant: TenantId) -> Result<Vec<Channel>, StoreError> {
        self.query_prefix(tenant_pk(tenant), NOTIFY_CHANNEL_SK_PREFIX)
            .await?
            .into_iter()
            .map(|item| from_item::<ChannelItem>(item).map(|i| i.channel))
            .collect()
    }

    async fn channel(&self, tenant: TenantId, id: &str) -> Result<Option<Channel>, StoreError> {
        let item = self.get(tenant_pk(tenant), notify_channel_sk(id)).await?;
        Ok(item
            .map(from_item::<ChannelItem>)
            .transpose()?
            .map(|i| i.channel))
    }

    async fn create_channel(&self, channel: &Channel) -> Result<(), StoreError> {
        let item = to_item(&ChannelItem::new(channel))?;
        match self.put(item, Some("attribute_not_exists(PK)")).await? {
            true => Ok(()),
            false => Err(StoreError::Unavailable("channel id reused".into())),
        }
    }

    async fn replace_channel(&self, channel: &Channel) -> Result<bool, StoreError> {
        let item = to_item(&ChannelItem::new(channel))?;
        self.put(item, Some("attribute_exists(PK)")).await
    }

    async fn delete_channel(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError> {
        let result = self
            .client()
            .await
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(tenant_pk(tenant), notify_channel_sk(id))))
            .condition_expression("attribute_exists(PK)")
            .send()
            .await;
        conditional(result)
    }
}

/// Markers live 90 days: long past any redelivery or rescore worth suppressing.
const MARKER_TTL_SECS: i64 = 90 * 24 * 3600;

impl DynamoNotifications {
    /// Takes the marker at `pk`/`sk` (`state = attempted`) unless it exists in another
    /// state than `failed`: a failed send may be tried again, a sent or attempted one not.
    /// `false` when it was taken before.
    pub(crate) async fn claim_marker(
        &self,
        pk: String,
        sk: String,
        entity: &str,
        ttl_secs: i64,
    ) -> Result<bool, StoreError> {
        let now = chrono::Utc::now();
        let mut item = Self::key(pk, sk);
        item.insert("entity".into(), AttributeValue::S(entity.into()));
        item.insert("state".into(), AttributeValue::S("attempted".into()));
        item.insert("claimedAt".into(), AttributeValue::S(now.to_rfc3339()));
        item.insert(
            "expiresAt".into(),
            AttributeValue::N((now.timestamp() + ttl_secs).to_string()),
        );
        let result = self
            .client()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR #state = :failed")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":failed", AttributeValue::S("failed".into()))
            .send()
            .await;
        conditional(result)
    }

    pub(crate) async fn settle_marker(
        &self,
        pk: String,
        sk: String,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let state = match settled {
            Settled::Sent => "sent",
            Settled::Failed => "failed",
        };
        self.client()
            .await
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(pk, sk)))
            .update_expression("SET #state = :state, settledAt = :at")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", AttributeValue::S(state.into()))
            .expression_attribute_values(":at", AttributeValue::S(chrono::Utc::now().to_rfc3339()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl DeliveryLog for DynamoNotifications {
    async fn claim(&self, tenant: TenantId, job: JobId, target: &str) -> Result<bool, StoreError> {
        let (pk, sk) = (tenant_pk(tenant), notified_sk(job, target));
        self.claim_marker(pk, sk, "NotifyMarker", MARKER_TTL_SECS)
            .await
    }

    async fn settle(
        &self,
        tenant: TenantId,
        job: JobId,
        target: &str,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let (pk, sk) = (tenant_pk(tenant), notified_sk(job, target));
        self.settle_marker(pk, sk, settled).await
    }

    /// Read, apply [`apply_result`], write back on the condition that nobody changed the
    /// channel meanwhile (`updatedAt` unchanged, so an admin's edit wins); a lost race is
    /// simply not recorded, as is a channel deleted meanwhile.
    async fn record(
        &self,
        tenant: TenantId,
        channel: &str,
        result: &ChannelResult,
    ) -> Result<(), StoreError> {
        let Some(mut stored) = self.channel(tenant, channel).await? else {
            return Ok(());
        };
        // Compared as stored: the item's own serialisation of the time.
        let before = match serde_dynamo::to_attribute_value(stored.updated_at) {
            Ok(value) => value,
            Err(e) => return Err(StoreError::Unavailable(format!("serialise: {e}"))),
        };
        apply_result(&mut stored, result);
        let item = to_item(&ChannelItem::new(&stored))?;
        let result = self
            .client()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_exists(PK) AND updatedAt = :before")
            .expression_attribute_values(":before", before)
            .send()
            .await;
        conditional(result).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_key_names_its_member() {
        let user = UserId::new();
        assert_eq!(settings_user(&notify_settings_sk(user)), Some(user));
        assert_eq!(settings_user("NOTIFY#CHANNEL#x"), None);
    }
}
