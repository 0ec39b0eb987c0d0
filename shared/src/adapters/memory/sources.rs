//! Sources: counted on the tenant (plan limit by condition), due while enabled; the
//! conditions of `dynamo/sources.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, cancelled};
use crate::adapters::dynamo::keys;
use crate::domain::{Source, SourceId, TenantId};
use crate::ports::{Conflict, SourceStore, StoreError};

/// What `record_fetch` compares: a user's edit of any of these wins over a fetch.
fn edited_fields(s: &Source) -> (&str, &str, String, bool) {
    (
        s.name.as_str(),
        s.kind.as_str(),
        s.config.to_string(),
        s.enabled,
    )
}

#[async_trait]
impl SourceStore for MemoryStore {
    async fn create_source(&self, source: &Source, max_sources: u32) -> Result<(), StoreError> {
        let mut state = self.lock();
        let key = (source.tenant_id, source.id);
        if state.sources.contains_key(&key) {
            return Err(StoreError::Conflict(Conflict::AlreadyExists));
        }
        let Some(tenant) = state.tenants.get_mut(&source.tenant_id) else {
            return Err(StoreError::Conflict(Conflict::SourceLimit));
        };
        if tenant.sources >= i64::from(max_sources) {
            return Err(StoreError::Conflict(Conflict::SourceLimit));
        }
        tenant.sources += 1;
        state.sources.insert(key, source.clone());
        Ok(())
    }

    async fn get_source(
        &self,
        tenant: TenantId,
        id: SourceId,
    ) -> Result<Option<Source>, StoreError> {
        Ok(self.lock().sources.get(&(tenant, id)).cloned())
    }

    async fn list_sources(&self, tenant: TenantId) -> Result<Vec<Source>, StoreError> {
        Ok(self
            .lock()
            .sources
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .map(|(_, s)| s.clone())
            .collect())
    }

    async fn put_source(&self, source: &Source) -> Result<Option<()>, StoreError> {
        let mut state = self.lock();
        match state.sources.get_mut(&(source.tenant_id, source.id)) {
            Some(stored) => {
                *stored = source.clone();
                Ok(Some(()))
            }
            None => Ok(None),
        }
    }

    async fn record_fetch(&self, source: &Source, as_read: &Source) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.sources.get_mut(&(source.tenant_id, source.id)) {
            Some(stored) if edited_fields(stored) == edited_fields(as_read) => {
                *stored = source.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete_source(&self, tenant: TenantId, id: SourceId) -> Result<bool, StoreError> {
        let mut state = self.lock();
        if !state.sources.contains_key(&(tenant, id)) {
            return Ok(false);
        }
        // The counter's condition is only that the tenant exists.
        let Some(record) = state.tenants.get_mut(&tenant) else {
            return Err(cancelled(1));
        };
        record.sources -= 1;
        state.sources.remove(&(tenant, id));
        Ok(true)
    }

    async fn due_sources(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<(TenantId, SourceId)>, StoreError> {
        let upper = format!("{}~", keys::sortable_time(now));
        let state = self.lock();
        // The due index's order: shard by shard, each by time.
        let mut due: Vec<(String, String, TenantId, SourceId)> = state
            .sources
            .values()
            .filter(|s| s.enabled)
            .filter_map(|s| {
                let at = s.next_fetch_at?;
                let sk = keys::due_gsi_sk(at, s.tenant_id, s.id);
                (sk <= upper).then(|| (keys::due_gsi_pk(s.id), sk, s.tenant_id, s.id))
            })
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(limit)
            .map(|(_, _, tenant, id)| (tenant, id))
            .collect())
    }

    async fn reschedule(
        &self,
        tenant: TenantId,
        id: SourceId,
        expected: DateTime<Utc>,
        next: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut state = self.lock();
        match state.sources.get_mut(&(tenant, id)) {
            Some(s) if s.enabled && s.next_fetch_at == Some(expected) => {
                s.next_fetch_at = Some(next);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
