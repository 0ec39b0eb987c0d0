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

/// Why the caller may not go on; each use case's error enum takes it with `From`.
#[derive(Debug, thiserror::Error)]
pub enum CallerError {
    /// The caller's own user item is gone (removed, or the tenant is being erased).
    #[error("authentication required")]
    Gone,
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    #[error(transparent)]
    WrongPassword(#[from] WrongPassword),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The caller's user item, or [`CallerError::Gone`] (a 401).
pub async fn current_user(
    accounts: &dyn AccountStore,
    principal: Principal,
) -> Result<User, CallerError> {
    accounts
        .get_user(principal.tenant, principal.user)
        .await?
        .ok_or(CallerError::Gone)
}

/// The caller, if the store still has them as an admin of the tenant. A token without the
/// role is refused before any read.
pub async fn current_admin(
    accounts: &dyn AccountStore,
    principal: Principal,
) -> Result<User, CallerError> {
    principal.require_admin()?;
    let user = current_user(accounts, principal).await?;
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
