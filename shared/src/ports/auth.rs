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

/// A pending invitation as its tenant's admins see it. The token itself stays a
/// [`OneTimeToken`]; this is its entry under the tenant, so invitations can be listed and
/// revoked. `id` is derived from the token's hash, so accepting can remove the entry too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub id: String,
    pub tenant: TenantId,
    pub email: Email,
    pub role: Role,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    /// The public id of the invitation whose token has `token_hash`: a hash of the hash, so
    /// the id reveals nothing that could be presented as the token.
    pub fn id_for(token_hash: &str) -> String {
        crate::auth::hash_secret(&format!("invitation:{token_hash}"))[..32].to_owned()
    }
}

#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores the invitation's token and its entry under the tenant, together.
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        token: &OneTimeToken,
    ) -> Result<(), StoreError>;
    /// The tenant's invitations not expired at `now`, oldest first.
    async fn invitations(
        &self,
        tenant: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Invitation>, StoreError>;
    /// Deletes the invitation and its token together; `false` if the tenant has no such
    /// invitation.
    async fn revoke_invitation(&self, tenant: TenantId, id: &str) -> Result<bool, StoreError>;
}

/// A refresh-token session. Tokens of one login form a family; each refresh spends the
/// presented token and issues the next one of the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionGrant {
    pub tenant: TenantId,
    pub user: UserId,
    pub family: String,
    /// The user's session generation when the family began; a rotation succeeds only while
    /// the user still exists at this generation.
    pub generation: u64,
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
    /// Ends every session of the user in one write, however many there are: the user's
    /// session generation moves on, and rotation refuses families of an older one. A user
    /// who no longer exists has no sessions to end.
    async fn revoke_all(&self, tenant: TenantId, user: UserId) -> Result<(), StoreError>;
}

/// The fixed window of `window_secs` that `now` falls into, in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateWindow {
    pub start: i64,
    pub end: i64,
    now: i64,
}

impl RateWindow {
    pub fn at(now: DateTime<Utc>, window_secs: u64) -> Self {
        let window = i64::try_from(window_secs.max(1)).unwrap_or(i64::MAX);
        let now = now.timestamp();
        let start = now - now.rem_euclid(window);
        Self {
            start,
            end: start.saturating_add(window),
            now,
        }
    }

    /// The answer for the `hits`-th hit: `Some(seconds until the window ends)` past `limit`.
    pub fn verdict(&self, hits: u64, limit: u32) -> Option<u64> {
        (hits > u64::from(limit)).then(|| u64::try_from(self.end - self.now).unwrap_or(1).max(1))
    }
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

/// Failed logins in a row under one key (an e-mail with a source IP, or an IP alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    pub count: u32,
    pub last_at: Option<DateTime<Utc>>,
}

/// Counts failed logins only, so successes and others' failures elsewhere never count
/// against a caller. A run of failures is forgotten `forget_after` its last one.
#[async_trait]
pub trait FailureCounter: Send + Sync {
    /// The current run under `key` (zero when there is none, or it was forgotten by `now`).
    async fn failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: chrono::Duration,
    ) -> Result<Failures, StoreError>;
    /// Counts one failure at `now`; the run including it.
    async fn record_failure(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_after: chrono::Duration,
    ) -> Result<Failures, StoreError>;
    /// Ends the run (a correct password from the same e-mail and IP).
    async fn clear_failures(&self, key: &str) -> Result<(), StoreError>;
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

#[cfg(test)]
mod rate_window_tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn windows_are_aligned_and_refuse_past_the_limit_until_they_end() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 7, 30).unwrap();
        let w = RateWindow::at(now, 900);
        assert_eq!(w.start % 900, 0);
        assert_eq!(w.end - w.start, 900);
        assert!(w.start <= now.timestamp() && now.timestamp() < w.end);
        assert_eq!(w.verdict(10, 10), None);
        assert_eq!(w.verdict(11, 10), Some(450));
        // A zero window counts as one second instead of dividing by zero.
        assert_eq!(RateWindow::at(now, 0).verdict(2, 1), Some(1));
    }
}
