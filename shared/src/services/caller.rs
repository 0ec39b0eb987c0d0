//! Who is calling, as the store has them now. An access token's role may be up to 15
//! minutes old: a removed member, or a demoted admin, must not act on it for that long, so
//! every use case that needs the caller or their admin rights reads their user item here.
//! A destructive step is also confirmed here by the password typed again.

use crate::auth::{NotAdmin, PasswordHasher, Principal};
use crate::domain::{Role, User};
use crate::http::ApiError;
use crate::ports::{AccountStore, StoreError};

/// A password re-entered to confirm a destructive step does not match. A 403, not a 401:
/// the session is fine, and the dashboard must not sign out for a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password: does not match your current password")]
pub struct WrongPassword;

impl From<WrongPassword> for ApiError {
    fn from(e: WrongPassword) -> Self {
        ApiError::Refused {
            code: "wrong_password",
            message: e.to_string(),
        }
    }
}

/// The caller's user item as the store has it now; `gone` (the use case's 401) when it is
/// no longer there (removed, or the tenant is being erased).
pub async fn user_now<E>(
    accounts: &dyn AccountStore,
    principal: Principal,
    gone: E,
) -> Result<User, E>
where
    E: From<StoreError>,
{
    accounts
        .get_user(principal.tenant, principal.user)
        .await?
        .ok_or(gone)
}

/// The caller, if the store still has them as an admin of the tenant: a token without the
/// role, or a user the store no longer has as an admin, is `NotAdmin` (403), a caller who
/// is gone is `gone` (401); a token without the role is refused before any read. For every
/// admin action, not only the destructive ones: a demoted admin must not add a channel that
/// posts the tenant's jobs elsewhere, or a source, on a stale token.
pub async fn admin_now<E>(
    accounts: &dyn AccountStore,
    principal: Principal,
    gone: E,
) -> Result<User, E>
where
    E: From<NotAdmin> + From<StoreError>,
{
    principal.require_admin()?;
    let user = user_now(accounts, principal, gone).await?;
    if user.role != Role::Admin {
        return Err(NotAdmin.into());
    }
    Ok(user)
}

/// `typed` is `user`'s password (checked on the blocking pool; over-long input never
/// matches and is not hashed).
pub async fn confirm_password(
    passwords: &PasswordHasher,
    user: &User,
    typed: &str,
) -> Result<(), WrongPassword> {
    if passwords.verify(typed, Some(&user.password_hash)).await {
        Ok(())
    } else {
        Err(WrongPassword)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::adapters::MemoryStore;
    use crate::domain::{Email, PlanId, SubscriptionStatus, Tenant, TenantId, TenantName, UserId};

    /// A tenant whose one user the store has with `role`.
    async fn account(store: &MemoryStore, role: Role) -> Principal {
        let tenant = Tenant {
            id: TenantId::new(),
            name: TenantName::parse("Acme").unwrap(),
            plan: PlanId::parse("free").unwrap(),
            subscription_status: SubscriptionStatus::None,
            past_due_since: None,
            created_at: Utc::now(),
        };
        let user = User {
            id: UserId::new(),
            tenant_id: tenant.id,
            email: Email::parse(&format!("{}@example.com", tenant.id)).unwrap(),
            role,
            email_verified: true,
            password_hash: String::new(),
            created_at: Utc::now(),
            session_generation: 0,
        };
        store.create_account(&tenant, &user).await.unwrap();
        // The token says admin, whatever the store says now.
        Principal {
            tenant: tenant.id,
            user: user.id,
            role: Role::Admin,
        }
    }

    #[derive(Debug, PartialEq)]
    enum Refused {
        Gone,
        NotAdmin,
        Store,
    }

    impl From<NotAdmin> for Refused {
        fn from(_: NotAdmin) -> Self {
            Refused::NotAdmin
        }
    }

    impl From<StoreError> for Refused {
        fn from(_: StoreError) -> Self {
            Refused::Store
        }
    }

    #[tokio::test]
    async fn admin_rights_are_the_stores_not_the_tokens() {
        let store = MemoryStore::new();
        let admin = account(&store, Role::Admin).await;
        let demoted = account(&store, Role::Member).await;
        let removed = Principal {
            user: UserId::new(),
            ..admin
        };
        let member_token = Principal {
            role: Role::Member,
            ..admin
        };
        let now = |p| admin_now(&store, p, Refused::Gone);
        assert!(now(admin).await.is_ok());
        assert_eq!(now(demoted).await.unwrap_err(), Refused::NotAdmin);
        assert_eq!(now(removed).await.unwrap_err(), Refused::Gone);
        assert_eq!(
            now(member_token).await.unwrap_err(),
            Refused::NotAdmin,
            "a member's token is refused before any read"
        );
    }
}
