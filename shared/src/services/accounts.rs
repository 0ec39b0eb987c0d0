//! Accounts: register, login, refresh, logout, e-mail verification, password reset,
//! invitations, members and the tenant itself.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

use super::views::{
    InvitationView, ListView, MeView, SessionView, TenantDetailView, TenantView, TicketView,
    UsageView, UserView,
};
use crate::auth::token::ACCESS_TTL_SECS;
use crate::auth::{
    OpaqueSecret, PasswordHasher, Principal, TokenIssuer, hash_secret, validate_password,
};
use crate::domain::{
    Email, Period, PlanCatalog, Role, SubscriptionStatus, Tenant, TenantId, TenantName, User,
    UserId,
};
use crate::http::ApiError;
use crate::ports::{
    AccountStore, Clock, Conflict, Mail, Mailer, OneTimeToken, OneTimeTokenStore, RateLimiter,
    Rotation, SessionGrant, SessionStore, StoreError, TenantReader, TokenPurpose, UsageReader,
};

/// Abuse limits and token lifetimes. Defaults suit a public deployment.
#[derive(Debug, Clone)]
pub struct AuthLimits {
    pub login_per_email: u32,
    pub login_per_ip: u32,
    pub login_window_secs: u64,
    pub forgot_per_email: u32,
    pub forgot_window_secs: u64,
    pub register_per_ip: u32,
    pub register_window_secs: u64,
    pub refresh_ttl: Duration,
    pub verify_ttl: Duration,
    pub reset_ttl: Duration,
    pub invitation_ttl: Duration,
    pub ticket_ttl: Duration,
}

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            login_per_email: 10,
            login_per_ip: 100,
            login_window_secs: 15 * 60,
            forgot_per_email: 5,
            forgot_window_secs: 60 * 60,
            register_per_ip: 20,
            register_window_secs: 60 * 60,
            refresh_ttl: Duration::days(30),
            verify_ttl: Duration::hours(48),
            reset_ttl: Duration::hours(1),
            invitation_ttl: Duration::days(7),
            ticket_ttl: Duration::seconds(60),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterRequest {
    pub email: String,
    pub password: String,
    pub tenant_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenRequest {
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ForgotRequest {
    pub email: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TokenPasswordRequest {
    pub token: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RenameTenantRequest {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InviteRequest {
    pub email: String,
    pub role: Role,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleRequest {
    pub role: Role,
}

pub struct AccountService {
    pub accounts: Arc<dyn AccountStore>,
    pub tenants: Arc<dyn TenantReader>,
    pub usage: Arc<dyn UsageReader>,
    pub sessions: Arc<dyn SessionStore>,
    pub tokens: Arc<dyn OneTimeTokenStore>,
    pub limiter: Arc<dyn RateLimiter>,
    pub mailer: Arc<dyn Mailer>,
    pub passwords: PasswordHasher,
    pub issuer: TokenIssuer,
    pub plans: PlanCatalog,
    /// Base URL of the dashboard, for links in e-mails.
    pub app_url: String,
    pub limits: AuthLimits,
    pub clock: Arc<dyn Clock>,
}

fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::validation("email", e.to_string()))
}

fn check_password(password: &str) -> Result<(), ApiError> {
    validate_password(password).map_err(|e| ApiError::validation("password", e.to_string()))
}

fn invalid_token() -> ApiError {
    ApiError::validation("token", "invalid, expired or already used")
}

fn wrong_credentials() -> ApiError {
    ApiError::Unauthorized
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

fn conflict_or(e: StoreError, map: impl Fn(Conflict) -> ApiError) -> ApiError {
    match e {
        StoreError::Conflict(c) => map(c),
        other => ApiError::from(other),
    }
}

impl AccountService {
    async fn limit(&self, key: &str, limit: u32, window: u64) -> Result<(), ApiError> {
        match self
            .limiter
            .hit(key, limit, window, self.clock.now())
            .await?
        {
            Some(retry_after_secs) => Err(ApiError::RateLimited { retry_after_secs }),
            None => Ok(()),
        }
    }

    /// Issues an access token and starts a new refresh-token family.
    async fn new_session(&self, user: &User, tenant: &Tenant) -> Result<SessionView, ApiError> {
        let refresh = OpaqueSecret::generate();
        let grant = SessionGrant {
            tenant: tenant.id,
            user: user.id,
            family: ulid::Ulid::new().to_string(),
        };
        self.sessions
            .start_session(
                &grant,
                &hash_secret(refresh.expose()),
                self.clock.now() + self.limits.refresh_ttl,
            )
            .await?;
        self.session_view(user, tenant, refresh)
    }

    fn session_view(
        &self,
        user: &User,
        tenant: &Tenant,
        refresh: OpaqueSecret,
    ) -> Result<SessionView, ApiError> {
        let principal = Principal {
            tenant: tenant.id,
            user: user.id,
            role: user.role,
        };
        let access = self
            .issuer
            .issue(principal, self.clock.now().timestamp())
            .map_err(internal)?;
        Ok(SessionView {
            access_token: access,
            refresh_token: refresh.expose().to_owned(),
            expires_in: ACCESS_TTL_SECS,
            user: user.into(),
            tenant: tenant.into(),
        })
    }

    async fn issue_token(
        &self,
        purpose: TokenPurpose,
        tenant: TenantId,
        user: Option<UserId>,
        invite: Option<(&Email, Role)>,
        ttl: Duration,
    ) -> Result<(OpaqueSecret, DateTime<Utc>), ApiError> {
        let secret = OpaqueSecret::generate();
        let expires_at = self.clock.now() + ttl;
        self.tokens
            .put_token(&OneTimeToken {
                hash: hash_secret(secret.expose()),
                purpose,
                tenant,
                user,
                email: invite.map(|(e, _)| e.clone()),
                role: invite.map(|(_, r)| r),
                expires_at,
            })
            .await?;
        Ok((secret, expires_at))
    }

    /// Mail is best effort once the state change has happened: a failed send is logged
    /// and the user can ask again (forgot password, re-invite).
    async fn mail(&self, to: &Email, subject: &str, text: String) {
        let mail = Mail {
            to: to.clone(),
            subject: subject.to_owned(),
            text,
        };
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::error!(error = %e, subject, "sending mail failed");
        }
    }

    fn link(&self, page: &str, secret: &OpaqueSecret) -> String {
        format!(
            "{}/{page}?token={}",
            self.app_url.trim_end_matches('/'),
            secret.expose()
        )
    }

    /// The user a live one-time token of `purpose` acts on, with the token's hash.
    async fn token_user(
        &self,
        presented: &str,
        purpose: TokenPurpose,
    ) -> Result<(String, User), ApiError> {
        let hash = hash_secret(presented);
        let token = self
            .tokens
            .find_token(&hash, purpose, self.clock.now())
            .await?
            .ok_or_else(invalid_token)?;
        let user = match token.user {
            Some(id) => self.accounts.get_user(token.tenant, id).await?,
            None => None,
        }
        .ok_or_else(invalid_token)?;
        Ok((hash, user))
    }

    async fn tenant_of(&self, tenant: TenantId) -> Result<Tenant, ApiError> {
        self.tenants
            .get_tenant(tenant)
            .await?
            .ok_or_else(|| internal("tenant of a verified principal is missing"))
    }

    pub async fn register(&self, req: RegisterRequest, ip: &str) -> Result<SessionView, ApiError> {
        let email = parse_email(&req.email)?;
        check_password(&req.password)?;
        let name = TenantName::parse(&req.tenant_name)
            .map_err(|e| ApiError::validation("tenantName", e.to_string()))?;
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
        };
        self.accounts
            .create_account(&tenant, &user)
            .await
            .map_err(|e| conflict_or(e, |c| ApiError::Conflict(c.to_string())))?;
        let (secret, _) = self
            .issue_token(
                TokenPurpose::VerifyEmail,
                tenant.id,
                Some(user.id),
                None,
                self.limits.verify_ttl,
            )
            .await?;
        self.mail(
            &user.email,
            "Confirm your e-mail address for jobmon",
            format!(
                "Welcome to jobmon!\n\nConfirm your address by opening this link:\n{}\n\nIt expires in 48 hours.",
                self.link("verify-email", &secret)
            ),
        )
        .await;
        self.new_session(&user, &tenant).await
    }

    pub async fn login(&self, req: LoginRequest, ip: &str) -> Result<SessionView, ApiError> {
        let email = parse_email(&req.email)?;
        self.limit(
            &format!("login:email:{}", email.normalized()),
            self.limits.login_per_email,
            self.limits.login_window_secs,
        )
        .await?;
        self.limit(
            &format!("login:ip:{ip}"),
            self.limits.login_per_ip,
            self.limits.login_window_secs,
        )
        .await?;
        let user = self.accounts.find_user_by_email(&email).await?;
        // Same work for an unknown address as for a wrong password: verify against a
        // dummy hash. Over-long input cannot match and is not hashed at all.
        let ok = req.password.chars().count() <= crate::auth::password::MAX_CHARS
            && self
                .passwords
                .verify(
                    &req.password,
                    user.as_ref().map(|u| u.password_hash.as_str()),
                )
                .await;
        let Some(user) = user.filter(|_| ok) else {
            return Err(wrong_credentials());
        };
        let tenant = self.tenant_of(user.tenant_id).await?;
        self.new_session(&user, &tenant).await
    }

    pub async fn refresh(&self, req: RefreshRequest) -> Result<SessionView, ApiError> {
        if req.refresh_token.is_empty() || req.refresh_token.len() > 256 {
            return Err(ApiError::Unauthorized);
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
                    return Err(ApiError::Unauthorized);
                };
                let tenant = self.tenant_of(grant.tenant).await?;
                self.session_view(&user, &tenant, next)
            }
            Rotation::ReuseDetected => {
                tracing::warn!("refresh token reuse detected; session family revoked");
                Err(ApiError::Unauthorized)
            }
            Rotation::Invalid => Err(ApiError::Unauthorized),
        }
    }

    pub async fn logout(&self, req: RefreshRequest) -> Result<(), ApiError> {
        if req.refresh_token.len() <= 256 {
            self.sessions
                .revoke_by_token(&hash_secret(&req.refresh_token))
                .await?;
        }
        Ok(())
    }

    pub async fn me(&self, principal: Principal) -> Result<MeView, ApiError> {
        let user = self
            .accounts
            .get_user(principal.tenant, principal.user)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let tenant = self.tenant_of(principal.tenant).await?;
        Ok(MeView {
            user: (&user).into(),
            tenant: (&tenant).into(),
        })
    }

    pub async fn verify_email(&self, req: TokenRequest) -> Result<(), ApiError> {
        let (hash, user) = self
            .token_user(&req.token, TokenPurpose::VerifyEmail)
            .await?;
        self.accounts
            .verify_email(&user, &hash)
            .await
            .map_err(|e| conflict_or(e, |_| invalid_token()))
    }

    pub async fn forgot_password(&self, req: ForgotRequest, ip: &str) -> Result<(), ApiError> {
        // Always 202 for a well-formed address: the answer must not reveal accounts.
        let email = parse_email(&req.email)?;
        self.limit(
            &format!("forgot:email:{}", email.normalized()),
            self.limits.forgot_per_email,
            self.limits.forgot_window_secs,
        )
        .await?;
        self.limit(
            &format!("forgot:ip:{ip}"),
            self.limits.login_per_ip,
            self.limits.forgot_window_secs,
        )
        .await?;
        let Some(user) = self.accounts.find_user_by_email(&email).await? else {
            return Ok(());
        };
        let (secret, _) = self
            .issue_token(
                TokenPurpose::PasswordReset,
                user.tenant_id,
                Some(user.id),
                None,
                self.limits.reset_ttl,
            )
            .await?;
        self.mail(
            &user.email,
            "Reset your jobmon password",
            format!(
                "Someone asked to reset the password of your jobmon account.\n\nSet a new password here:\n{}\n\nThe link expires in one hour. If it was not you, ignore this mail.",
                self.link("reset-password", &secret)
            ),
        )
        .await;
        Ok(())
    }

    pub async fn reset_password(&self, req: TokenPasswordRequest) -> Result<(), ApiError> {
        check_password(&req.password)?;
        let (hash, user) = self
            .token_user(&req.token, TokenPurpose::PasswordReset)
            .await?;
        let password_hash = self.passwords.hash(&req.password).await.map_err(internal)?;
        self.accounts
            .reset_password(&user, &password_hash, &hash)
            .await
            .map_err(|e| conflict_or(e, |_| invalid_token()))?;
        self.sessions.revoke_all(user.tenant_id, user.id).await?;
        Ok(())
    }

    pub async fn accept_invitation(
        &self,
        req: TokenPasswordRequest,
    ) -> Result<SessionView, ApiError> {
        check_password(&req.password)?;
        let hash = hash_secret(&req.token);
        let token = self
            .tokens
            .find_token(&hash, TokenPurpose::Invitation, self.clock.now())
            .await?
            .ok_or_else(invalid_token)?;
        let (Some(email), Some(role)) = (token.email.clone(), token.role) else {
            return Err(invalid_token());
        };
        let tenant = self
            .tenants
            .get_tenant(token.tenant)
            .await?
            .ok_or_else(invalid_token)?;
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
        };
        self.accounts
            .add_invited_user(&user, &hash, plan.max_members)
            .await
            .map_err(|e| {
                conflict_or(e, |c| match c {
                    Conflict::MemberLimit => {
                        ApiError::PlanLimit("the plan's member limit is reached".into())
                    }
                    Conflict::TokenSpent => invalid_token(),
                    other => ApiError::Conflict(other.to_string()),
                })
            })?;
        self.new_session(&user, &tenant).await
    }

    pub async fn ws_ticket(&self, principal: Principal) -> Result<TicketView, ApiError> {
        let (secret, _) = self
            .issue_token(
                TokenPurpose::WebSocketTicket,
                principal.tenant,
                Some(principal.user),
                None,
                self.limits.ticket_ttl,
            )
            .await?;
        Ok(TicketView {
            ticket: secret.expose().to_owned(),
            expires_in: self.limits.ticket_ttl.num_seconds(),
        })
    }

    pub async fn tenant(&self, principal: Principal) -> Result<TenantDetailView, ApiError> {
        let tenant = self.tenant_of(principal.tenant).await?;
        let plan = self.plans.get(&tenant.plan).map_err(internal)?;
        let period = Period::of(self.clock.now());
        let scored_jobs = self.usage.scored_jobs(tenant.id, &period).await?;
        Ok(TenantDetailView {
            tenant: (&tenant).into(),
            usage: UsageView {
                period,
                scored_jobs,
                limit: plan.monthly_scored_jobs,
            },
            limits: plan.into(),
        })
    }

    pub async fn rename_tenant(
        &self,
        principal: Principal,
        req: RenameTenantRequest,
    ) -> Result<TenantView, ApiError> {
        crate::http::request::require_admin(&principal)?;
        let name = TenantName::parse(&req.name)
            .map_err(|e| ApiError::validation("name", e.to_string()))?;
        let tenant = self
            .accounts
            .rename_tenant(principal.tenant, &name)
            .await?
            .ok_or(ApiError::NotFound)?;
        Ok((&tenant).into())
    }

    pub async fn members(&self, principal: Principal) -> Result<ListView<UserView>, ApiError> {
        crate::http::request::require_admin(&principal)?;
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
    ) -> Result<InvitationView, ApiError> {
        crate::http::request::require_admin(&principal)?;
        let email = parse_email(&req.email)?;
        let tenant = self.tenant_of(principal.tenant).await?;
        let plan = self.plans.get(&tenant.plan).map_err(internal)?;
        let members = self.accounts.list_users(tenant.id).await?.len();
        if !plan.allows_members(u32::try_from(members + 1).unwrap_or(u32::MAX)) {
            return Err(ApiError::PlanLimit(format!(
                "the {} plan allows {} members",
                plan.name,
                plan.max_members.unwrap_or_default()
            )));
        }
        if self.accounts.find_user_by_email(&email).await?.is_some() {
            return Err(ApiError::Conflict(Conflict::EmailTaken.to_string()));
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

    async fn member(&self, principal: Principal, user: &str) -> Result<User, ApiError> {
        crate::http::request::require_admin(&principal)?;
        // Another tenant's user, or garbage, answers exactly like a missing one.
        let id = UserId::parse(user).map_err(|_| ApiError::NotFound)?;
        self.accounts
            .get_user(principal.tenant, id)
            .await?
            .ok_or(ApiError::NotFound)
    }

    pub async fn change_role(
        &self,
        principal: Principal,
        user: &str,
        req: RoleRequest,
    ) -> Result<UserView, ApiError> {
        let mut member = self.member(principal, user).await?;
        self.accounts
            .change_role(&member, req.role)
            .await
            .map_err(|e| conflict_or(e, |c| ApiError::Conflict(c.to_string())))?;
        member.role = req.role;
        Ok((&member).into())
    }

    pub async fn remove_member(&self, principal: Principal, user: &str) -> Result<(), ApiError> {
        let member = self.member(principal, user).await?;
        self.accounts
            .remove_user(&member)
            .await
            .map_err(|e| conflict_or(e, |c| ApiError::Conflict(c.to_string())))?;
        self.sessions
            .revoke_all(member.tenant_id, member.id)
            .await?;
        Ok(())
    }
}
