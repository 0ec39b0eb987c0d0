//! Sessions: register, login, refresh rotation, logout, who am I, WebSocket tickets.

use super::*;

impl AccountService {
    pub async fn register(
        &self,
        req: RegisterRequest,
        ip: &str,
    ) -> Result<SessionView, AccountError> {
        let email = parse_email(&req.email)?;
        check_password(&req.password)?;
        let name = TenantName::parse(&req.tenant_name)
            .map_err(|e| AccountError::invalid("tenantName", e))?;
        self.limit(
            &format!("register:ip:{ip}"),
            self.limits.register_per_ip,
            self.limits.register_window_secs,
        )
        .await?;
        let now = self.clock.now();
        let tenant = Tenant {
            id: TenantId::new(),
            name,
            plan: self.plans.default_plan().id.clone(),
            subscription_status: SubscriptionStatus::None,
            past_due_since: None,
            created_at: now,
        };
        let user = User {
            id: UserId::new(),
            tenant_id: tenant.id,
            email,
            role: Role::Admin,
            email_verified: false,
            password_hash: self.passwords.hash(&req.password).await.map_err(internal)?,
            created_at: now,
            session_generation: 0,
        };
        self.accounts.create_account(&tenant, &user).await?;
        self.send_verification(&user).await?;
        self.new_session(&user, &tenant).await
    }

    pub async fn login(&self, req: LoginRequest, ip: &str) -> Result<SessionView, AccountError> {
        let email = parse_email(&req.email)?;
        let limits = self.login_limits(&email, ip);
        // Refused before any hashing: a caller who keeps failing costs no argon2 either.
        let run = self.wait_out(&limits).await?;
        let user = self.accounts.find_user_by_email(&email).await?;
        // Same work for an unknown address as for a wrong password: verify against a
        // dummy hash (over-long input cannot match and is not hashed at all).
        let ok = self
            .passwords
            .verify(
                &req.password,
                user.as_ref().map(|u| u.password_hash.as_str()),
            )
            .await;
        let Some(user) = user.filter(|_| ok) else {
            self.count_failure(&limits).await?;
            return Err(wrong_credentials());
        };
        // Most logins follow no failure: no write then.
        if run.count > 0 {
            self.failures.clear_failures(&limits[0].key).await?;
        }
        let tenant = self.tenant_of(user.tenant_id).await?;
        self.new_session(&user, &tenant).await
    }

    pub async fn refresh(&self, req: RefreshRequest) -> Result<SessionView, AccountError> {
        if req.refresh_token.is_empty() || req.refresh_token.len() > 256 {
            return Err(AccountError::Unauthenticated);
        }
        let next = OpaqueSecret::generate();
        let now = self.clock.now();
        let rotation = self
            .sessions
            .rotate(
                &hash_secret(&req.refresh_token),
                &hash_secret(next.expose()),
                now,
                now + self.limits.refresh_ttl,
            )
            .await?;
        match rotation {
            Rotation::Rotated(grant) => {
                // The role and the user's existence are read now, so a demotion or a
                // removal takes effect at the next refresh at the latest.
                let Some(user) = self.accounts.get_user(grant.tenant, grant.user).await? else {
                    return Err(AccountError::Unauthenticated);
                };
                let tenant = self.tenant_of(grant.tenant).await?;
                self.session_view(&user, &tenant, next)
            }
            Rotation::ReuseDetected => {
                tracing::warn!("refresh token reuse detected; session family revoked");
                Err(AccountError::Unauthenticated)
            }
            Rotation::Invalid => Err(AccountError::Unauthenticated),
        }
    }

    pub async fn logout(&self, req: RefreshRequest) -> Result<(), AccountError> {
        if req.refresh_token.len() <= 256 {
            self.sessions
                .revoke_by_token(&hash_secret(&req.refresh_token))
                .await?;
        }
        Ok(())
    }

    /// Signs the caller out everywhere: one write ends every refresh token of theirs.
    pub async fn logout_all(&self, principal: Principal) -> Result<(), AccountError> {
        self.sessions
            .revoke_all(principal.tenant, principal.user)
            .await?;
        Ok(())
    }

    pub async fn me(&self, principal: Principal) -> Result<MeView, AccountError> {
        let user = self.caller(principal).await?;
        let tenant = self.tenant_of(principal.tenant).await?;
        Ok(MeView {
            user: (&user).into(),
            tenant: (&tenant).into(),
        })
    }

    pub async fn ws_ticket(&self, principal: Principal) -> Result<TicketView, AccountError> {
        // A removed member's access token outlives them by up to 15 minutes; a ticket would
        // open a socket for two hours more.
        self.caller(principal).await?;
        self.limit(
            &format!("ws-ticket:user:{}", principal.user),
            self.limits.tickets_per_minute,
            60,
        )
        .await?;
        let (secret, _) = self
            .issue_token(
                TokenPurpose::WebSocketTicket,
                principal.tenant,
                principal.user,
                self.limits.ticket_ttl,
            )
            .await?;
        Ok(TicketView {
            ticket: secret.expose().to_owned(),
            expires_in: self.limits.ticket_ttl.num_seconds(),
        })
    }
}
