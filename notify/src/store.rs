//! The storage port for notification settings and channels, and its in-memory adapter for
//! the fast tests. The DynamoDB adapter is in [`crate::dynamo`].

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use shared::domain::{JobId, TenantId, UserId};
use shared::ports::StoreError;

use crate::deliver::{ChannelResult, DISABLE_AFTER_REFUSALS, DeliveryLog, Settled};
use crate::settings::{Channel, MemberSettings};

/// Every method takes the tenant first; adapters scope every key by it, so another
/// tenant's channel id finds nothing.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    async fn settings(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<MemberSettings>, StoreError>;
    async fn put_settings(
        &self,
        tenant: TenantId,
        user: UserId,
        settings: &MemberSettings,
    ) -> Result<(), StoreError>;
    async fn channels(&self, tenant: TenantId) -> Result<Vec<Channel>, StoreError>;
    async fn channel(&self, tenant: TenantId, id: &str) -> Result<Option<Channel>, StoreError>;
    /// Stores a new channel; its id is fresh, so nothing is overwritten.
    async fn create_channel(&self, channel: &Channel) -> Result<(), StoreError>;
    /// Replaces an existing channel; `false` when it was deleted meanwhile (nothing written).
    async fn replace_channel(&self, channel: &Channel) -> Result<bool, StoreError>;
    /// `false` when there was no such channel.
    async fn delete_channel(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError>;
}

/// In-memory [`NotificationStore`] with the same scoping and conditions as DynamoDB.
#[derive(Default)]
pub struct MemoryNotifications {
    settings: Mutex<HashMap<(TenantId, UserId), MemberSettings>>,
    channels: Mutex<HashMap<(TenantId, String), Channel>>,
}

impl MemoryNotifications {
    fn channels_lock(&self) -> std::sync::MutexGuard<'_, HashMap<(TenantId, String), Channel>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl NotificationStore for MemoryNotifications {
    async fn settings(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Option<MemberSettings>, StoreError> {
        let map = self.settings.lock().unwrap_or_else(|e| e.into_inner());
        Ok(map.get(&(tenant, user)).cloned())
    }

    async fn put_settings(
        &self,
        tenant: TenantId,
        user: UserId,
        settings: &MemberSettings,
    ) -> Result<(), StoreError> {
        let mut map = self.settings.lock().unwrap_or_else(|e| e.into_inner());
        map.insert((tenant, user), settings.clone());
        Ok(())
    }

    async fn channels(&self, tenant: TenantId) -> Result<Vec<Channel>, StoreError> {
        let mut found: Vec<Channel> = self
            .channels_lock()
            .values()
            .filter(|c| c.tenant_id == tenant)
            .cloned()
            .collect();
        found.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(found)
    }

    async fn channel(&self, tenant: TenantId, id: &str) -> Result<Option<Channel>, StoreError> {
        Ok(self.channels_lock().get(&(tenant, id.to_owned())).cloned())
    }

    async fn create_channel(&self, channel: &Channel) -> Result<(), StoreError> {
        let key = (channel.tenant_id, channel.id.clone());
        let mut map = self.channels_lock();
        if map.contains_key(&key) {
            return Err(StoreError::Unavailable("channel id reused".into()));
        }
        map.insert(key, channel.clone());
        Ok(())
    }

    async fn replace_channel(&self, channel: &Channel) -> Result<bool, StoreError> {
        let key = (channel.tenant_id, channel.id.clone());
        let mut map = self.channels_lock();
        Ok(match map.get_mut(&key) {
            Some(stored) => {
                *stored = channel.clone();
                true
            }
            None => false,
        })
    }

    async fn delete_channel(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .channels_lock()
            .remove(&(tenant, id.to_owned()))
            .is_some())
    }
}

/// In-memory markers, with the same claim rule as DynamoDB.
#[derive(Default)]
pub struct MemoryDeliveryLog {
    markers: Mutex<HashMap<(TenantId, JobId, String), Settled>>,
    attempted: Mutex<Vec<(TenantId, JobId, String)>>,
    channels: Option<std::sync::Arc<MemoryNotifications>>,
}

impl MemoryDeliveryLog {
    /// A log that records channel results on `channels`.
    pub fn over(channels: std::sync::Arc<MemoryNotifications>) -> Self {
        Self {
            channels: Some(channels),
            ..Self::default()
        }
    }

    fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl DeliveryLog for MemoryDeliveryLog {
    async fn claim(&self, tenant: TenantId, job: JobId, target: &str) -> Result<bool, StoreError> {
        let key = (tenant, job, target.to_owned());
        let mut attempted = Self::lock(&self.attempted);
        let markers = Self::lock(&self.markers);
        let open = match markers.get(&key) {
            Some(Settled::Failed) => true,
            Some(Settled::Sent) => false,
            None => !attempted.contains(&key),
        };
        if open {
            attempted.push(key);
        }
        Ok(open)
    }

    async fn settle(
        &self,
        tenant: TenantId,
        job: JobId,
        target: &str,
        settled: Settled,
    ) -> Result<(), StoreError> {
        let key = (tenant, job, target.to_owned());
        if settled == Settled::Failed {
            Self::lock(&self.attempted).retain(|k| k != &key);
        }
        Self::lock(&self.markers).insert(key, settled);
        Ok(())
    }

    async fn record(
        &self,
        tenant: TenantId,
        channel: &str,
        result: &ChannelResult,
    ) -> Result<(), StoreError> {
        let Some(channels) = &self.channels else {
            return Ok(());
        };
        let mut map = channels.channels_lock();
        if let Some(c) = map.get_mut(&(tenant, channel.to_owned())) {
            apply_result(c, result);
        }
        Ok(())
    }
}

/// A delivery result applied to a channel: the rule both adapters follow.
pub fn apply_result(channel: &mut Channel, result: &ChannelResult) {
    match result {
        ChannelResult::Ok => {
            channel.consecutive_failures = 0;
            channel.last_error = None;
        }
        ChannelResult::Failed { reason, refusal } => {
            channel.consecutive_failures += 1;
            channel.last_error = Some(reason.clone());
            if *refusal && channel.consecutive_failures >= DISABLE_AFTER_REFUSALS {
                channel.enabled = false;
            }
        }
    }
}
