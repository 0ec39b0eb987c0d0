//! Invitations: sent by a verified admin (pending ones count against the plan's member
//! limit, and a tenant sends a limited number a day), listed, revoked, and accepted.

use super::*;
use crate::ports::Invitation;

const DAY_SECS: u64 = 24 * 60 * 60;

impl AccountService {
    pub async fn invite(
        &self,
        principal: Principal,
        req: InviteRequest,
    ) -> Result<InvitationView, AccountError> {
        let admin = self.admin(principal).await?;
        // Mail goes out under the operator's name: only a proven address may send it.
        if !admin.email_verified {
            return Err(crate::services::EmailUnverified.into());
        }
        let email = parse_email(&req.email)?;
        let tenant = self.tenant_of(principal.tenant).await?;
        let plan = self.plans.effective(&tenant, self.clock.now());
        let members = self.accounts.list_users(tenant.id).await?.len();
        let pending = self
            .invitations
            .invitations(tenant.id, self.clock.now())
            .await?;
        let seats = members + pending.len() + 1;
        if !plan.allows_members(u32::try_from(seats).unwrap_or(u32::MAX)) {
            return Err(AccountError::PlanMembers {
                plan: plan.name.clone(),
                max: plan.max_members.unwrap_or_default(),
            });
        }
        if self.accounts.find_user_by_email(&email).await?.is_some()
            || pending
                .iter()
                .any(|i| i.email.normalized() == email.normalized())
        {
            return Err(AccountError::Conflict(Conflict::EmailTaken));
        }
        self.limit(
            &format!("invite:tenant:{}", tenant.id),
            self.limits.invitations_per_day,
            DAY_SECS,
        )
        .await?;
        let (invitation, secret) = self.store_invitation(&tenant, &email, req.role).await?;
        self.mail(
            &email,
            &format!("You are invited to {} on jobmon", tenant.name.as_str()),
            format!(
                "You have been invited to join {} on jobmon as {}.\n\nAccept the invitation and choose a password here:\n{}\n\nThe link expires in 7 days.",
                tenant.name.as_str(),
                if req.role == Role::Admin { "an admin" } else { "a member" },
                self.link("accept-invitation", &secret)
            ),
        )
        .await;
        Ok((&invitation).into())
    }

    async fn store_invitation(
        &self,
        tenant: &Tenant,
        email: &Email,
        role: Role,
    ) -> Result<(Invitation, OpaqueSecret), AccountError> {
        let secret = OpaqueSecret::generate();
        let now = self.clock.now();
        let token = OneTimeToken {
            hash: hash_secret(secret.expose()),
            purpose: TokenPurpose::Invitation,
            tenant: tenant.id,
            user: None,
            email: Some(email.clone()),
            role: Some(role),
            expires_at: now + self.limits.invitation_ttl,
        };
        let invitation = Invitation {
            id: Invitation::id_for(&token.hash),
            tenant: tenant.id,
            email: email.clone(),
            role,
            token_hash: token.hash.clone(),
            created_at: now,
            expires_at: token.expires_at,
        };
        self.invitations
            .create_invitation(&invitation, &token)
            .await?;
        Ok((invitation, secret))
    }

    /// The tenant's pending invitations (not yet accepted, revoked or expired).
    pub async fn invitations(
        &self,
        principal: Principal,
    ) -> Result<ListView<InvitationView>, AccountError> {
        self.admin(principal).await?;
        let pending = self
            .invitations
            .invitations(principal.tenant, self.clock.now())
            .await?;
        Ok(ListView {
            items: pending.iter().map(InvitationView::from).collect(),
            next_cursor: None,
        })
    }

    /// Revokes a pending invitation: its link stops working at once. Another tenant's
    /// invitation, or an unknown id, is 404.
    pub async fn revoke_invitation(
        &self,
        principal: Principal,
        id: &str,
    ) -> Result<(), AccountError> {
        self.admin(principal).await?;
        let well_formed = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
        if !well_formed
            || !self
                .invitations
                .revoke_invitation(principal.tenant, id)
                .await?
        {
            return Err(AccountError::NotFound);
        }
        Ok(())
    }

    pub async fn accept_invitation(
        &self,
        req: TokenPasswordRequest,
    ) -> Result<SessionView, AccountError> {
        check_password(&req.password)?;
        let hash = hash_secret(&req.token);
        let token = self
            .tokens
            .find_token(&hash, TokenPurpose::Invitation, self.clock.now())
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let (Some(email), Some(role)) = (token.email.clone(), token.role) else {
            return Err(AccountError::InvalidToken);
        };
        let tenant = self
            .tenants
            .get_tenant(token.tenant)
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let plan = self.plans.effective(&tenant, self.clock.now());
        let user = User {
            id: UserId::new(),
            tenant_id: tenant.id,
            email,
            role,
            // The invitation reached this address, which proves it.
            email_verified: true,
            password_hash: self.passwords.hash(&req.password).await.map_err(internal)?,
            created_at: self.clock.now(),
            session_generation: 0,
        };
        self.accounts
            .add_invited_user(&user, &hash, plan.max_members)
            .await
            .map_err(|e| {
                conflict_or(e, |c| match c {
                    Conflict::MemberLimit => AccountError::MemberLimit,
                    Conflict::TokenSpent => AccountError::InvalidToken,
                    other => AccountError::Conflict(other),
                })
            })?;
        self.new_session(&user, &tenant).await
    }
}
