//! One-time tokens, refresh-token sessions and rate limits; the conditions of
//! `dynamo/tokens.rs`, `dynamo/sessions.rs` and `dynamo/ratelimit.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{MemoryStore, RefreshRecord, cancelled};
use crate::domain::{TenantId, UserId};
use crate::ports::{
    FailureCounter, Failures, Invitation, InvitationStore, OneTimeToken, OneTimeTokenStore,
    RateLimiter, RateWindow, Rotation, SessionGrant, SessionStore, StoreError, TokenPurpose,
};

fn live(token: OneTimeToken, purpose: TokenPurpose, now: DateTime<Utc>) -> Option<OneTimeToken> {
    (token.purpose == purpose && token.expires_at > now).then_some(token)
}

#[async_trait]
impl OneTimeTokenStore for MemoryStore {
    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.tokens.contains_key(&token.hash) {
            // DynamoDB reports the failed `attribute_not_exists` as an error here.
            return Err(StoreError::Unavailable(
                "conditional check failed: token exists".into(),
            ));
        }
        state.tokens.insert(token.hash.clone(), token.clone());
        Ok(())
    }

    async fn find_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        Ok(self
            .lock()
            .tokens
            .get(hash)
            .cloned()
            .and_then(|t| live(t, purpose, now)))
    }

    async fn take_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError> {
        let mut state = self.lock();
        let takeable = state
            .tokens
            .get(hash)
            .is_some_and(|t| t.purpose == purpose && t.expires_at.timestamp() > now.timestamp());
        if !takeable {
            return Ok(None);
        }
        Ok(state
            .tokens
            .remove(hash)
            .and_then(|t| live(t, purpose, now)))
    }
}

impl super::State {
    /// `SET revoked = true` on the family (an update creates the item if it is missing).
    fn revoke_family(&mut self, grant: &SessionGrant) {
        self.families
            .insert((grant.tenant, grant.user, grant.family.clone()), true);
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn start_session(
        &self,
        grant: &SessionGrant,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let family = (grant.tenant, grant.user, grant.family.clone());
        if state.families.contains_key(&family) {
            return Err(cancelled(0));
        }
        if state.refresh.contains_key(token_hash) {
            return Err(cancelled(1));
        }
        state.families.insert(family, false);
        state.refresh.insert(
            token_hash.to_owned(),
            RefreshRecord {
                grant: grant.clone(),
                spent: false,
                expires_at,
            },
        );
        Ok(())
    }

    async fn rotate(
        &self,
        presented_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError> {
        let mut state = self.lock();
        let Some(current) = state.refresh.get(presented_hash).cloned() else {
            return Ok(Rotation::Invalid);
        };
        let grant = current.grant;
        if current.spent {
            state.revoke_family(&grant);
            return Ok(Rotation::ReuseDetected);
        }
        if current.expires_at.timestamp() <= now.timestamp() {
            return Ok(Rotation::Invalid);
        }
        // The family must exist and be live (`revoked = false` fails on a missing item),
        // and the user must still exist at the family's generation.
        let family = (grant.tenant, grant.user, grant.family.clone());
        let user_current = state
            .users
            .get(&(grant.tenant, grant.user))
            .is_some_and(|u| u.session_generation == grant.generation);
        if state.families.get(&family) != Some(&false) || !user_current {
            return Ok(Rotation::Invalid);
        }
        if state.refresh.contains_key(new_hash) {
            return Err(StoreError::Unavailable(format!(
                "rotation cancelled: {:?}",
                [None, None, Some("ConditionalCheckFailed")]
            )));
        }
        if let Some(spent) = state.refresh.get_mut(presented_hash) {
            spent.spent = true;
        }
        state.refresh.insert(
            new_hash.to_owned(),
            RefreshRecord {
                grant: grant.clone(),
                spent: false,
                expires_at,
            },
        );
        Ok(Rotation::Rotated(grant))
    }

    async fn revoke_by_token(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        if let Some(record) = state.refresh.get(token_hash).cloned() {
            state.revoke_family(&record.grant);
        }
        Ok(())
    }

    async fn revoke_all(&self, tenant: TenantId, user: UserId) -> Result<(), StoreError> {
        if let Some(stored) = self.lock().users.get_mut(&(tenant, user)) {
            stored.session_generation += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl RateLimiter for MemoryStore {
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let window = RateWindow::at(now, window_secs);
        let mut state = self.lock();
        let hits = state
            .rates
            .entry((key.to_owned(), window.start))
            .or_default();
        *hits += 1;
        Ok(window.verdict(*hits, limit))
    }
}

/// The run as stored, unless it was forgotten by `now` (as the DynamoDB adapter reads it).
fn current(run: Option<&Failures>, now: DateTime<Utc>, forget_after: chrono::Duration) -> Failures {
    match run {
        Some(run) if run.last_at.is_some_and(|last| last + forget_after > now) => *run,
        _ => Failures::default(),
    }
}

#[async_trait]
impl FailureCounter for MemoryStore {
    async fn failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: chrono::Duration,
    ) -> Result<Failures, StoreError> {
        Ok(current(self.lock().failures.get(key), now, forget_after))
    }

    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: chrono::Duration,
    ) -> Result<Failures, StoreError> {
        let mut state = self.lock();
        let run = current(state.failures.get(key), now, forget_after);
        let run = Failures {
            count: run.count.saturating_add(1),
            last_at: Some(now),
        };
        state.failures.insert(key.to_owned(), run);
        Ok(run)
    }

    async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        self.lock().failures.remove(key);
        Ok(())
    }
}

#[async_trait]
impl InvitationStore for MemoryStore {
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        token: &OneTimeToken,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        if state.tokens.contains_key(&token.hash) {
            return Err(cancelled(0));
        }
        state.tokens.insert(token.hash.clone(), token.clone());
        state.invitations.insert(
            (invitation.tenant, invitation.id.clone()),
            invitation.clone(),
        );
        Ok(())
    }

    async fn invitations(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, StoreError> {
        let mut live: Vec<Invitation> = self
            .lock()
            .invitations
            .iter()
            .filter(|((t, _), i)| *t == tenant && i.expires_at > now)
            .map(|(_, i)| i.clone())
            .collect();
        live.sort_by_key(|i| i.created_at);
        Ok(live)
    }

    async fn revoke_invitation(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError> {
        let mut state = self.lock();
        let Some(invitation) = state.invitations.remove(&(tenant, id.to_owned())) else {
            return Ok(false);
        };
        state.tokens.remove(&invitation.token_hash);
        Ok(true)
    }
}
