//! What the account use cases answer when they refuse, and the one place that turns it
//! into the API's error: status, code and message are decided here, not in the use cases.

use crate::auth::NotAdmin;
use crate::http::ApiError;
use crate::ports::{Conflict, StoreError};
use crate::services::{EmailUnverified, Invalid, RateLimited, WrongPassword};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// A one-time token (verification, reset, invitation) that is unknown, expired or spent.
    #[error("token: invalid, expired or already used")]
    InvalidToken,
    /// Wrong credentials, a dead refresh token or a user that no longer exists: one answer,
    /// so a caller learns nothing about which.
    #[error("authentication required")]
    Unauthenticated,
    #[error(transparent)]
    NotAdmin(#[from] NotAdmin),
    #[error(transparent)]
    EmailUnverified(#[from] EmailUnverified),
    /// A member of another tenant answers exactly like a missing one.
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(Conflict),
    /// Accepting an invitation while the tenant is already full.
    #[error("the plan's member limit is reached")]
    MemberLimit,
    /// Inviting one member more than the plan allows.
    #[error("the {plan} plan allows {max} members")]
    PlanMembers { plan: String, max: u32 },
    #[error(transparent)]
    WrongPassword(#[from] WrongPassword),
    /// `DELETE /v1/auth/me` by the only admin while other members remain.
    #[error(
        "you are the tenant's last admin: make another member admin first, or delete the whole account (DELETE /v1/tenant)"
    )]
    LastAdminLeaving,
    /// `DELETE /v1/auth/me` by the tenant's only member: that is deleting the tenant.
    #[error(
        "you are the tenant's only member: delete the whole account instead (DELETE /v1/tenant)"
    )]
    OnlyMember,
    #[error(transparent)]
    RateLimited(#[from] RateLimited),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Logged, never sent.
    #[error("{0}")]
    Internal(String),
}

impl AccountError {
    pub fn invalid(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::Invalid(Invalid::new(field, problem))
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(e) => e.into(),
            AccountError::InvalidToken => {
                ApiError::validation("token", "invalid, expired or already used")
            }
            AccountError::Unauthenticated => ApiError::Unauthorized,
            AccountError::NotAdmin(e) => e.into(),
            AccountError::EmailUnverified(e) => e.into(),
            AccountError::NotFound => ApiError::NotFound,
            AccountError::Conflict(c) => c.into(),
            AccountError::MemberLimit | AccountError::PlanMembers { .. } => {
                ApiError::PlanLimit(e.to_string())
            }
            AccountError::WrongPassword(e) => e.into(),
            AccountError::LastAdminLeaving | AccountError::OnlyMember => {
                ApiError::Conflict(e.to_string())
            }
            AccountError::RateLimited(e) => e.into(),
            AccountError::Store(e) => e.into(),
            AccountError::Internal(reason) => ApiError::Internal(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(e: AccountError) -> (u16, &'static str, String) {
        let e = ApiError::from(e);
        (e.status().as_u16(), e.code(), e.to_string())
    }

    #[test]
    fn each_refusal_keeps_its_status_code_and_message() {
        assert_eq!(
            api(AccountError::invalid("email", "is not an address")),
            (400, "validation_failed", "email: is not an address".into())
        );
        assert_eq!(
            api(AccountError::InvalidToken),
            (
                400,
                "validation_failed",
                "token: invalid, expired or already used".into()
            )
        );
        assert_eq!(api(AccountError::Unauthenticated).0, 401);
        assert_eq!(api(AccountError::NotAdmin(NotAdmin)).0, 403);
        assert_eq!(
            api(EmailUnverified.into()),
            (403, "email_unverified", EmailUnverified.to_string())
        );
        assert_eq!(api(AccountError::NotFound).0, 404);
        assert_eq!(
            api(AccountError::Conflict(Conflict::EmailTaken)),
            (409, "conflict", Conflict::EmailTaken.to_string())
        );
        assert_eq!(
            api(AccountError::MemberLimit),
            (
                402,
                "plan_limit",
                "the plan's member limit is reached".into()
            )
        );
        assert_eq!(
            api(AccountError::PlanMembers {
                plan: "Free".into(),
                max: 1
            }),
            (402, "plan_limit", "the Free plan allows 1 members".into())
        );
        assert_eq!(
            api(RateLimited {
                retry_after_secs: 3
            }
            .into())
            .0,
            429
        );
        assert_eq!(
            api(AccountError::Store(StoreError::Conflict(
                Conflict::EmailTaken
            )))
            .0,
            409
        );
        assert_eq!(api(AccountError::Internal("boom".into())).0, 500);
        assert_eq!(
            api(WrongPassword.into()),
            (
                403,
                "wrong_password",
                "password: does not match your current password".into()
            )
        );
        let (status, code, message) = api(AccountError::LastAdminLeaving);
        assert_eq!((status, code), (409, "conflict"));
        assert!(message.contains("last admin"));
        let (status, code, message) = api(AccountError::OnlyMember);
        assert_eq!((status, code), (409, "conflict"));
        assert!(message.contains("DELETE /v1/tenant"));
    }
}
