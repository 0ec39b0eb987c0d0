//! Tenants, users and the e-mail index; the conditions of `dynamo/accounts.rs`.

use async_trait::async_trait;
use chrono::Utc;

use super::{MemoryStore, State, TenantRecord};
use crate::domain::Period;
use crate::domain::{Email, Role, Tenant, TenantId, TenantName, User, UserId};
use crate::ports::{AccountStore, Conflict, StoreError, TenantReader, UsageReader};

impl State {
    /// The condition of deleting a one-time token inside a transaction: it exists and has
    /// not expired (any purpose, as in DynamoDB's `delete_token`).
    fn token_live(&self, hash: &str) -> bool {
        self.tokens
            .get(hash)
            .is_some_and(|t| t.expires_at.timestamp() > Utc::now().timestamp())
    }

    /// The tenant counters' condition: the tenant exists, keeps an admin when one is
    /// taken away, and stays within `max_members` when one is added.
    fn counters_allow(
        &self,
        tenant: TenantId,
        members: i64,
        admins: i64,
        max: Option<u32>,
    ) -> bool {
        let Some(t) = self.tenants.get(&tenant) else {
            return false;
        };
        let admins_ok = admins >= 0 || t.admins > 1;
        let members_ok = match (max, members > 0) {
            (Some(max), true) => t.members < i64::from(max),
            _ => true,
        };
        admins_ok && members_ok
    }

    fn add_counters(&mut self, tenant: TenantId, members: i64, admins: i64) {
        if let Some(t) = self.tenants.get_mut(&tenant) {
            t.members += members;
            t.admins += admins;
        }
    }
}

/// The first failed condition of a transaction, mapped like the DynamoDB adapter does.
fn first_failed(checks: &[(bool, Conflict)]) -> Result<(), StoreError> {
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, conflict)) => Err(StoreError::Conflict(*conflict)),
        None => Ok(()),
    }
}

#[async_trait]
impl AccountStore for MemoryStore {
    async fn create_account(&self, tenant: &Tenant, admin: &User) -> Result<(), StoreError> {
        let mut state = self.lock();
        first_failed(&[
            (
                !state.tenants.contains_key(&tenant.id),
                Conflict::AlreadyExists,
            ),
            (
                !state.users.contains_key(&(admin.tenant_id, admin.id)),
                Conflict::AlreadyExists,
            ),
            (
                !state.emails.contains_key(admin.email.normalized()),
                Conflict::EmailTaken,
            ),
        ])?;
        state.tenants.insert(
            tenant.id,
            TenantRecord {
                tenant: tenant.clone(),
                members: 1,
                admins: 1,
                sources: 0,
                customer_id: None,
                subscription_id: None,
                current_period_end: None,
                cancel_at_period_end: false,
                event_at: None,
            },
        );
        state
            .users
            .insert((admin.tenant_id, admin.id), admin.clone());
        state.emails.insert(
            admin.email.normalized().to_owned(),
            (admin.tenant_id, admin.id),
        );
        Ok(())
    }

    async fn find_user_by_email(&self, email: &Email) -> Result<Option<User>, StoreError> {
        let state = self.lock();
        Ok(state
            .emails
            .get(email.normalized())
            .and_then(|key| state.users.get(key))
            .cloned())
    }

    async fn get_user(&self, tenant: TenantId, user: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.lock().users.get(&(tenant, user)).cloned())
    }

    async fn list_users(&self, tenant: TenantId) -> Result<Vec<User>, StoreError> {
        Ok(self
            .lock()
            .users
            .iter()
            .filter(|((t, _), _)| *t == tenant)
            .map(|(_, u)| u.clone())
            .collect())
    }

    async fn rename_tenant(
        &self,
        tenant: TenantId,
        name: &TenantName,
    ) -> Result<Option<Tenant>, StoreError> {
        Ok(self.lock().tenants.get_mut(&tenant).map(|t| {
            t.tenant.name = name.clone();
            t.tenant.clone()
        }))
    }

    async fn add_invited_user(
        &self,
        user: &User,
        token_hash: &str,
        max_members: Option<u32>,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let admins = i64::from(user.role == Role::Admin);
        first_failed(&[
            (state.token_live(token_hash), Conflict::TokenSpent),
            (
                !state.users.contains_key(&(user.tenant_id, user.id)),
                Conflict::AlreadyExists,
            ),
            (
                !state.emails.contains_key(user.email.normalized()),
                Conflict::EmailTaken,
            ),
            (
                state.counters_allow(user.tenant_id, 1, admins, max_members),
                Conflict::MemberLimit,
            ),
        ])?;
        state.tokens.remove(token_hash);
        state
            .invitations
            .remove(&(user.tenant_id, crate::ports::Invitation::id_for(token_hash)));
        state.users.insert((user.tenant_id, user.id), user.clone());
        state.emails.insert(
            user.email.normalized().to_owned(),
            (user.tenant_id, user.id),
        );
        state.add_counters(user.tenant_id, 1, admins);
        Ok(())
    }

    async fn change_role(&self, user: &User, role: Role) -> Result<(), StoreError> {
        if user.role == role {
            return Ok(());
        }
        let mut state = self.lock();
        let admins = if role == Role::Admin { 1 } else { -1 };
        let key = (user.tenant_id, user.id);
        first_failed(&[
            (
                state.users.get(&key).is_some_and(|u| u.role == user.role),
                Conflict::Stale,
            ),
            (
                state.counters_allow(user.tenant_id, 0, admins, None),
                Conflict::LastAdmin,
            ),
        ])?;
        if let Some(stored) = state.users.get_mut(&key) {
            stored.role = role;
        }
        state.add_counters(user.tenant_id, 0, admins);
        Ok(())
    }

    async fn remove_user(&self, user: &User) -> Result<(), StoreError> {
        let mut state = self.lock();
        let admins = if user.role == Role::Admin { -1 } else { 0 };
        let key = (user.tenant_id, user.id);
        first_failed(&[
            (
                state.users.get(&key).is_some_and(|u| u.role == user.role),
                Conflict::Stale,
            ),
            (
                state.counters_allow(user.tenant_id, -1, admins, None),
                Conflict::LastAdmin,
            ),
        ])?;
        state.users.remove(&key);
        state.emails.remove(user.email.normalized());
        state.add_counters(user.tenant_id, -1, admins);
        Ok(())
    }

    async fn verify_email(&self, user: &User, token_hash: &str) -> Result<(), StoreError> {
        let mut state = self.lock();
        let key = (user.tenant_id, user.id);
        first_failed(&[
            (state.token_live(token_hash), Conflict::TokenSpent),
            (state.users.contains_key(&key), Conflict::Stale),
        ])?;
        state.tokens.remove(token_hash);
        if let Some(stored) = state.users.get_mut(&key) {
            stored.email_verified = true;
        }
        Ok(())
    }

    async fn reset_password(
        &self,
        user: &User,
        password_hash: &str,
        token_hash: &str,
    ) -> Result<(), StoreError> {
        let mut state = self.lock();
        let key = (user.tenant_id, user.id);
        first_failed(&[
            (state.token_live(token_hash), Conflict::TokenSpent),
            (state.users.contains_key(&key), Conflict::Stale),
        ])?;
        state.tokens.remove(token_hash);
        if let Some(stored) = state.users.get_mut(&key) {
            stored.password_hash = password_hash.to_owned();
            stored.session_generation += 1;
        }
        Ok(())
    }
}

#[async_trait]
impl TenantReader for MemoryStore {
    async fn get_tenant(&self, tenant: TenantId) -> Result<Option<Tenant>, StoreError> {
        Ok(self.lock().tenants.get(&tenant).map(|t| t.tenant.clone()))
    }
}

#[async_trait]
impl UsageReader for MemoryStore {
    async fn scored_jobs(&self, tenant: TenantId, period: &Period) -> Result<u32, StoreError> {
        Ok(self
            .lock()
            .usage
            .get(&(tenant, period.as_str().to_owned()))
            .copied()
            .unwrap_or(0))
    }
}
