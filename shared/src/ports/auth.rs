//! Ports of the account flows: sessions (refresh tokens), one-time tokens, rate limits,
//! mail.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Email, Role, TenantId, UserId};
use crate::ports::StoreError;

/// What a one-time token is for. A token only works for its own purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenPurpose {
    VerifyEmail,
    PasswordReset,
    Invitation,
    WebSocketTicket,
}

/// A one-time token as stored: only the hash of the secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    pub hash: String,
    pub purpose: TokenPurpose,
    pub tenant: TenantId,
    /// The user it acts on; `None` for invitations (the user does not exist yet).
    pub user: Option<UserId>,
    /// Invitations: the invited address and role.
    pub email: Option<Email>,
    pub role: Option<Role>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait OneTimeTokenStore: Send + Sync {
    async fn put_token(&self, token: &OneTimeToken) -> Result<(), StoreError>;
    /// The token if it exists, has this purpose and has not expired at `now`.
    async fn find_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError>;
    /// Deletes and returns the token atomically (single use); `None` if it is absent,
    /// of another purpose or expired.
    async fn take_token(
        &self,
        hash: &str,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<Option<OneTimeToken>, StoreError>;
}

/// A refresh-token session. Tokens of one login form a family; each refresh spends the
/// presented token and issues the next one of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    pub tenant: TenantId,
    pub user: UserId,
    pub family: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The presented token was live; it is now spent and `new_hash` is live.
    Rotated(SessionGrant),
    /// The presented token had been spent already: a copy is being replayed. The whole
    /// family has been revoked.
    ReuseDetected,
    /// Unknown, expired or revoked.
    Invalid,
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn start_session(
        &self,
        grant: &SessionGrant,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn rotate(
        &self,
        presented_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;
    /// Revokes the family of the presented token (logout). Unknown tokens are ignored.
    async fn revoke_by_token(&self, token_hash: &str) -> Result<(), StoreError>;
    /// Revokes every session of the user (password reset, removal).
    async fn revoke_all(&self, tenant: TenantId, user: UserId) -> Result<(), StoreError>;
}

/// Fixed-window counters, e.g. login attempts per e-mail and per source IP.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts one hit on `key`; `Some(seconds)` to wait when more than `limit` hits fell
    /// into the current window of `window_secs`.
    async fn hit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("mail could not be sent: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}
