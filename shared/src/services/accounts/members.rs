//! Members: invitations (sent and accepted), the member list, roles and removal.

use super::*;

impl AccountService {
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
        let plan = self.plans.get(&tenant.plan).map_err(internal)?;
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

    pub async fn members(&self, principal: Principal) -> Result<ListView<UserView>, AccountError> {
        principal.require_admin()?;
        let users = self.accounts.list_users(principal.tenant).await?;
        Ok(ListView {
            items: users.iter().map(UserView::from).collect(),
            next_cursor: None,
        })
    }

    pub async fn invite(
        &self,
        principal: Principal,
        req: InviteRequest,
    ) -> Result<InvitationView, AccountError> {
        principal.require_admin()?;
        let email = parse_email(&req.email)?;
        let tenant = self.tenant_of(principal.tenant).await?;
        let plan = self.plans.get(&tenant.plan).map_err(internal)?;
        let members = self.accounts.list_users(tenant.id).await?.len();
        if !plan.allows_members(u32::try_from(members + 1).unwrap_or(u32::MAX)) {
            return Err(AccountError::PlanMembers {
                plan: plan.name.clone(),
                max: plan.max_members.unwrap_or_default(),
            });
        }
        if self.accounts.find_user_by_email(&email).await?.is_some() {
            return Err(AccountError::Conflict(Conflict::EmailTaken));
        }
        let (secret, expires_at) = self
            .issue_token(
                TokenPurpose::Invitation,
                tenant.id,
                None,
                Some((&email, req.role)),
                self.limits.invitation_ttl,
            )
            .await?;
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
        Ok(InvitationView {
            email: email.as_str().to_owned(),
            role: req.role,
            expires_at,
        })
    }

    async fn member(&self, principal: Principal, user: &str) -> Result<User, AccountError> {
        principal.require_admin()?;
        // Another tenant's user, or garbage, answers exactly like a missing one.
        let id = UserId::parse(user).map_err(|_| AccountError::NotFound)?;
        self.accounts
            .get_user(principal.tenant, id)
            .await?
            .ok_or(AccountError::NotFound)
    }

    pub async fn change_role(
        &self,
        principal: Principal,
        user: &str,
        req: RoleRequest,
    ) -> Result<UserView, AccountError> {
        let mut member = self.member(principal, user).await?;
        self.accounts.change_role(&member, req.role).await?;
        member.role = req.role;
        Ok((&member).into())
    }

    pub async fn remove_member(
        &self,
        principal: Principal,
        user: &str,
    ) -> Result<(), AccountError> {
        let member = self.member(principal, user).await?;
        // Deleting the user item ends every session: rotation needs the user to exist.
        self.accounts.remove_user(&member).await?;
        Ok(())
    }
}
