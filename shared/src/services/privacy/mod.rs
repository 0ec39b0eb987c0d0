//! Privacy: a tenant's export (`GET /v1/tenant/export`), the erasure of a tenant
//! (`DELETE /v1/tenant`, finished in the background by `worker-erasure`) and a member
//! deleting themself (`DELETE /v1/auth/me`, in `accounts`). docs/security.md says what
//! each guarantees and which test proves it.

use std::sync::Arc;

use crate::auth::Principal;
use crate::auth::{NotAdmin, PasswordHasher};
use crate::domain::User;
use crate::http::{ApiError, CursorCodec};
use crate::ports::{
    AccountStore, BillingStore, Clock, RateLimiter, SessionStore, StoreError, TenantArchive,
    TenantEraser, WorkQueue,
};
use crate::services::caller::admin_now;
use crate::services::{Invalid, RateLimited, WrongPassword};

pub mod archive;
mod erase;
mod worker;

pub use archive::ExportPart;
pub use erase::ErasureView;
pub use worker::{ErasureStep, ErasureWorker};

/// A tenant may start this many exports a day (continuation parts are not counted).
pub const EXPORTS_PER_DAY: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    #[error(transparent)]
    WrongPassword(#[from] WrongPassword),
    /// The caller's own user item is gone (removed, or the tenant is being erased).
    #[error("authentication required")]
    Unauthenticated,
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Logged, never sent.
    #[error("{0}")]
    Internal(String),
}

impl From<PrivacyError> for ApiError {
    fn from(e: PrivacyError) -> Self {
        match e {
            PrivacyError::Invalid(e) => e.into(),
            PrivacyError::NotAdmin(e) => e.into(),
            PrivacyError::WrongPassword(e) => e.into(),
            PrivacyError::Unauthenticated => ApiError::Unauthorized,
            PrivacyError::RateLimited(e) => e.into(),
            PrivacyError::Store(e) => e.into(),
            PrivacyError::Internal(reason) => ApiError::Internal(reason),
        }
    }
}

/// The tenant-wide privacy use cases of `api-tenant`.
pub struct PrivacyService {
    pub accounts: Arc<dyn AccountStore>,
    pub billing: Arc<dyn BillingStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub archive: Arc<dyn TenantArchive>,
    pub eraser: Arc<dyn TenantEraser>,
    /// The erasure queue (`ErasureQueue`).
    pub queue: Arc<dyn WorkQueue>,
    pub limiter: Arc<dyn RateLimiter>,
    pub passwords: PasswordHasher,
    pub cursors: CursorCodec,
    pub clock: Arc<dyn Clock>,
    /// An export part ends past this many bytes of JSON ([`archive::PART_BYTES`]).
    pub part_bytes: usize,
}

impl PrivacyService {
    /// The caller, if the store has them as an admin now (403 otherwise, 401 when gone).
    async fn admin(&self, principal: Principal) -> Result<User, PrivacyError> {
        admin_now(&*self.accounts, principal, PrivacyError::Unauthenticated).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_keeps_its_status_code_and_message() {
        let api = |e: PrivacyError| {
            let e = ApiError::from(e);
            (e.status().as_u16(), e.code(), e.to_string())
        };
        assert_eq!(
            api(WrongPassword.into()),
            (
                403,
                "wrong_password",
                "password: does not match your current password".into()
            )
        );
        assert_eq!(api(PrivacyError::NotAdmin(NotAdmin)).0, 403);
        assert_eq!(api(PrivacyError::Unauthenticated).0, 401);
        assert_eq!(
            api(Invalid::new("cursor", "is not valid").into()).1,
            "validation_failed"
        );
        assert_eq!(
            api(RateLimited {
                retry_after_secs: 5
            }
            .into())
            .0,
            429
        );
    }
}
