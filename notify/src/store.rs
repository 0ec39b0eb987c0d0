//! The storage port for notification settings and channels, and its in-memory adapter for
//! the fast tests. The DynamoDB adapter is in [`crate::dynamo`].

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use shared::domain::{TenantId, UserId};
use shared::ports::StoreError;

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
