//! The tenant profiles a warm instance has read, kept for the next scorings.
//!
//! Reading the profile for every job was one request per job; a profile changes when its
//! owner saves it, rarely. Keeping it is safe because it is not trusted: every score is
//! stored with the version it was made with, and the transaction refuses it if the profile
//! was saved since ([`Recorded::StaleProfile`]), when the entry is dropped and the job
//! scored again with the profile read afresh.

use super::*;

use std::collections::HashMap;
use std::sync::Mutex;

use shared::ports::VersionedProfile;

/// Profiles by tenant. Bounded by the tenants one instance scores for; an instance lives
/// for hours at most, so nothing is evicted but a stale entry.
#[derive(Default)]
pub struct ProfileCache {
    known: Mutex<HashMap<TenantId, VersionedProfile>>,
}

impl ProfileCache {
    /// The tenant's profile as last read here, else read from `store` and kept.
    pub async fn get(
        &self,
        store: &dyn ScoringStore,
        tenant: TenantId,
    ) -> Result<VersionedProfile, StoreError> {
        if let Some(known) = self.lock().get(&tenant) {
            return Ok(known.clone());
        }
        let read = store.versioned_profile(tenant).await?;
        self.lock().insert(tenant, read.clone());
        Ok(read)
    }

    /// Drops what is kept for `tenant`: the store said it is stale.
    pub fn forget(&self, tenant: TenantId) {
        self.lock().remove(&tenant);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, VersionedProfile>> {
        // A panic while holding it left a map of whole entries: still usable.
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }
}
