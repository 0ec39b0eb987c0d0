//! `DELETE /v1/tenant`: what happens at once, in the request, before the background walk.
//!
//! Order matters. The erasure message is sent first: once it is accepted the erasure will
//! finish whatever happens to this request. Then the members' e-mail look-ups go (nobody
//! can sign in any more, and the addresses are free to register again) and every session
//! of every member is revoked (no refresh token works any more). An access token already
//! issued lives out its 15 minutes; the walk's second pass, 15 minutes later, removes
//! whatever it wrote meanwhile.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{PrivacyError, PrivacyService};
use crate::auth::Principal;
use crate::messages::EraseTenantTask;
use crate::services::accounts::PasswordConfirmation;
use crate::services::caller::confirm_password;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ErasureView {
    /// Always `erasing`: the items are deleted in the background.
    pub status: &'static str,
    pub requested_at: DateTime<Utc>,
}

impl PrivacyService {
    /// Confirmed by the admin's password. Besides the reads, its writes grow with the
    /// members: one message, the members' e-mail look-ups, and one `revoke_all` per member
    /// (a single UpdateItem each, however many sessions the member has). A plan caps its
    /// members, so that stays a handful of writes.
    pub async fn erase_tenant(
        &self,
        principal: Principal,
        req: PasswordConfirmation,
    ) -> Result<ErasureView, PrivacyError> {
        let admin = self.admin(principal).await?;
        confirm_password(&self.passwords, &admin, req.typed()?).await?;
        let members = self.accounts.list_users(principal.tenant).await?;
        let billing = self.billing.billing_state(principal.tenant).await?;
        let now = self.clock.now();
        let task = EraseTenantTask {
            tenant_id: principal.tenant,
            emails: members
                .iter()
                .map(|m| m.email.normalized().to_owned())
                .collect(),
            subscription_id: billing.and_then(|b| b.subscription_id),
            requested_at: now,
            pass: 1,
            position: None,
        };
        let body =
            serde_json::to_string(&task).map_err(|e| PrivacyError::Internal(e.to_string()))?;
        self.queue
            .send_all(&[body])
            .await
            .map_err(|e| PrivacyError::Internal(e.to_string()))?;
        tracing::info!(members = members.len(), "tenant erasure requested");
        self.eraser.release_emails(&task.emails).await?;
        // `revoke_all` moves each member's session generation on, which every refresh checks
        // (see docs/security.md); the walk deletes the items later.
        for member in &members {
            self.sessions
                .revoke_all(member.tenant_id, member.id)
                .await?;
        }
        Ok(ErasureView {
            status: "erasing",
            requested_at: now,
        })
    }
}
