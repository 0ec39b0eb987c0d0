//! Accounts: register, login, refresh, logout, e-mail verification, password reset,
//! invitations, members and the tenant itself. `AccountService` is one type; its use cases
//! are split by responsibility into `sessions`, `recovery`, `members` and `tenant`, and
//! what they share (requests, limits, token and mail helpers) stays here.

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
use crate::ports::{
    AccountStore, Clock, Conflict, ConnectionStore, FailureCounter, InvitationStore, Mail, Mailer,
    OneTimeToken, OneTimeTokenStore, RateLimiter, Rotation, SessionGrant, SessionStore,
    SocketCloser, StoreError, TenantReader, TokenPurpose, UsageReader,
};
use crate::services::caller::{admin_now, confirm_password, user_now};
use crate::services::{Invalid, rate_limited};

mod error;
mod invitations;
mod login_limits;
mod members;
mod recovery;
mod sessions;
mod tenant;

pub use error::AccountError;

/// Abuse limits and token lifetimes. Defaults suit a public deployment.
#[derive(Debug, Clone)]
pub struct AuthLimits {
    /// Failed logins of one e-mail from one IP before each further one waits: the wait
    /// doubles from `login_backoff_base_secs` up to `login_backoff_max_secs`.
    pub login_free_failures: u32,
    /// The same for all failed logins from one IP (many addresses tried from one place).
    pub login_per_ip: u32,
    pub login_backoff_base_secs: u64,
    pub login_backoff_max_secs: u64,
    /// A run of failures is forgotten this long after its last failure.
    pub login_failures_forget: Duration,
    pub forgot_per_email: u32,
    pub forgot_per_ip: u32,
    pub forgot_window_secs: u64,
    pub register_per_ip: u32,
    pub register_window_secs: u64,
    pub refresh_ttl: Duration,
    pub verify_ttl: Duration,
    pub reset_ttl: Duration,
    pub invitation_ttl: Duration,
    /// Invitations a tenant may send per day (`JOBMON_INVITATIONS_PER_DAY`): each is a mail
    /// from the operator's address.
    pub invitations_per_day: u32,
    /// Verification mails a user may ask for again per hour.
    pub verify_resend_per_hour: u32,
    pub ticket_ttl: Duration,
    /// WebSocket tickets per user per minute: a dashboard needs one per (re)connection.
    pub tickets_per_minute: u32,
}

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            login_free_failures: 5,
            login_per_ip: 100,
            login_backoff_base_secs: 2,
            login_backoff_max_secs: 15 * 60,
            login_failures_forget: Duration::hours(24),
            forgot_per_email: 5,
            forgot_per_ip: 100,
            forgot_window_secs: 60 * 60,
            register_per_ip: 20,
            register_window_secs: 60 * 60,
            refresh_ttl: Duration::days(30),
            verify_ttl: Duration::hours(48),
            reset_ttl: Duration::hours(1),
            invitation_ttl: Duration::days(7),
            invitations_per_day: 20,
            verify_resend_per_hour: 3,
            ticket_ttl: Duration::seconds(60),
            tickets_per_minute: 30,
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

/// A destructive step confirmed by the caller's password, typed again.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PasswordConfirmation {
    pub password: String,
}

impl PasswordConfirmation {
    /// The password typed, which must not be empty.
    pub fn typed(&self) -> Result<&str, Invalid> {
        if self.password.is_empty() {
            return Err(Invalid::new("password", "is required"));
        }
        Ok(&self.password)
    }
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
    pub invitations: Arc<dyn InvitationStore>,
    /// A removed or demoted member's WebSockets are closed and forgotten.
    pub connections: Arc<dyn ConnectionStore>,
    pub sockets: Arc<dyn SocketCloser>,
    pub limiter: Arc<dyn RateLimiter>,
    pub failures: Arc<dyn FailureCounter>,
    pub mailer: Arc<dyn Mailer>,
    pub passwords: PasswordHasher,
    pub issuer: TokenIssuer,
    pub plans: PlanCatalog,
    /// Base URL of the dashboard, for links in e-mails.
    pub app_url: String,
    pub limits: AuthLimits,
    pub clock: Arc<dyn Clock>,
}

fn parse_email(raw: &str) -> Result<Email, AccountError> {
    Email::parse(raw).map_err(|e| AccountError::invalid("email", e))
}

fn check_password(password: &str) -> Result<(), AccountError> {
    validate_password(password).map_err(|e| AccountError::invalid("password", e))
}

fn internal(e: impl std::fmt::Display) -> AccountError {
    AccountError::Internal(e.to_string())
}

/// A failed login: counted (metric `LoginFailures`), and answered like any other 401.
fn wrong_credentials() -> AccountError {
    crate::telemetry::MetricSet::new()
        .count("LoginFailures", 1)
        .emit();
    AccountError::Unauthenticated
}

/// A store's conflict as `map` decides, anything else as the store error it is.
fn conflict_or(e: StoreError, map: impl Fn(Conflict) -> AccountError) -> AccountError {
    match e {
        StoreError::Conflict(c) => map(c),
        other => AccountError::Store(other),
    }
}

impl AccountService {
    /// The caller as the store has them now (401 when gone).
    async fn caller(&self, principal: Principal) -> Result<User, AccountError> {
        user_now(&*self.accounts, principal, AccountError::Unauthenticated).await
    }

    /// The caller, if the store has them as an admin now (403 otherwise, 401 when gone).
    async fn admin(&self, principal: Principal) -> Result<User, AccountError> {
        admin_now(&*self.accounts, principal, AccountError::Unauthenticated).await
    }

    async fn limit(&self, key: &str, limit: u32, window: u64) -> Result<(), AccountError> {
        rate_limited::check(&*self.limiter, key, limit, window, self.clock.now()).await
    }

    /// Issues an access token and starts a new refresh-token family.
    async fn new_session(&self, user: &User, tenant: &Tenant) -> Result<SessionView, AccountError> {
        let refresh = OpaqueSecret::generate();
        let grant = SessionGrant {
            tenant: tenant.id,
            user: user.id,
            family: ulid::Ulid::new().to_string(),
            generation: user.session_generation,
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
    ) -> Result<SessionView, AccountError> {
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

    /// A one-time token that acts on `user` (invitations are stored with their entry, in
    /// `invitations.rs`).
    async fn issue_token(
        &self,
        purpose: TokenPurpose,
        tenant: TenantId,
        user: UserId,
        ttl: Duration,
    ) -> Result<(OpaqueSecret, DateTime<Utc>), AccountError> {
        let secret = OpaqueSecret::generate();
        let expires_at = self.clock.now() + ttl;
        self.tokens
            .put_token(&OneTimeToken {
                hash: hash_secret(secret.expose()),
                purpose,
                tenant,
                user: Some(user),
                email: None,
                role: None,
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
    ) -> Result<(String, User), AccountError> {
        let hash = hash_secret(presented);
        let token = self
            .tokens
            .find_token(&hash, purpose, self.clock.now())
            .await?
            .ok_or(AccountError::InvalidToken)?;
        let user = match token.user {
            Some(id) => self.accounts.get_user(token.tenant, id).await?,
            None => None,
        }
        .ok_or(AccountError::InvalidToken)?;
        Ok((hash, user))
    }

    async fn tenant_of(&self, tenant: TenantId) -> Result<Tenant, AccountError> {
        self.tenants
            .get_tenant(tenant)
            .await?
            .ok_or_else(|| internal("tenant of a verified principal is missing"))
    }
}
