//! Signed, expiring unsubscribe tokens: what a mail's `List-Unsubscribe` URL carries, so
//! `POST /v1/notifications/unsubscribe?token=…` can switch one mail type off without a login.
//!
//! A token is `<tenant>.<user>.<kind>.<expires unix seconds>.<hex HMAC-SHA256>`, the MAC
//! over `jobmon-unsubscribe-v1:` and the four fields. The key serves this purpose only:
//! it is not the operator's secret key, so the notifier, which signs these tokens, can
//! never mint an access token.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use shared::config::{ConfigError, Env, ParameterSource};
use shared::domain::{TenantId, UserId};

/// How long a mailed unsubscribe link works: mail is often read weeks late.
pub const TOKEN_LIFETIME: Duration = Duration::days(60);

/// The environment variable of the key (or `<NAME>_PARAMETER`: an SSM SecureString).
pub const KEY_ENV: &str = "JOBMON_UNSUBSCRIBE_KEY";

const CONTEXT: &[u8] = b"jobmon-unsubscribe-v1:";

/// Which mail a token switches off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Instant,
    Digest,
}

impl MailKind {
    /// In the token and as the API answers it: `instant` or `digest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instant => "instant",
            Self::Digest => "digest",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "instant" => Some(Self::Instant),
            "digest" => Some(Self::Digest),
            _ => None,
        }
    }
}

/// What a valid token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsubscribe {
    pub tenant: TenantId,
    pub user: UserId,
    pub kind: MailKind,
}

/// Why a token is refused; the API answers each with a 400 on `token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("is not an unsubscribe token")]
    Malformed,
    #[error("signature does not match")]
    BadSignature,
    #[error("has expired")]
    Expired,
}

#[derive(Clone)]
pub struct UnsubscribeKey([u8; 32]);

impl std::fmt::Debug for UnsubscribeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeKey(..)")
    }
}

impl UnsubscribeKey {
    /// At least 32 bytes of secret; hashed to the MAC key.
    pub fn new(raw: &[u8]) -> Result<Self, ConfigError> {
        use sha2::Digest;
        if raw.len() < 32 {
            return Err(ConfigError::Invalid {
                name: KEY_ENV.into(),
                reason: "must be at least 32 bytes".into(),
            });
        }
        Ok(Self(sha2::Sha256::digest(raw).into()))
    }

    fn mac(&self, payload: &str) -> Hmac<sha2::Sha256> {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(CONTEXT);
        mac.update(payload.as_bytes());
        mac
    }

    pub fn sign(&self, what: Unsubscribe, now: DateTime<Utc>) -> String {
        let expires = (now + TOKEN_LIFETIME).timestamp();
        let payload = format!(
            "{}.{}.{}.{expires}",
            what.tenant,
            what.user,
            what.kind.as_str()
        );
        let tag = hex::encode(self.mac(&payload).finalize().into_bytes());
        format!("{payload}.{tag}")
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Unsubscribe, TokenError> {
        let (payload, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let tag = hex::decode(tag).map_err(|_| TokenError::Malformed)?;
        let fields: Vec<&str> = payload.split('.').collect();
        let [tenant, user, kind, expires] = fields[..] else {
            return Err(TokenError::Malformed);
        };
        self.mac(payload)
            .verify_slice(&tag)
            .map_err(|_| TokenError::BadSignature)?;
        let expires: i64 = expires.parse().map_err(|_| TokenError::Malformed)?;
        if now.timestamp() > expires {
            return Err(TokenError::Expired);
        }
        Ok(Unsubscribe {
            tenant: tenant.parse().map_err(|_| TokenError::Malformed)?,
            user: user.parse().map_err(|_| TokenError::Malformed)?,
            kind: MailKind::from_code(kind).ok_or(TokenError::Malformed)?,
        })
    }
}

/// The key from `JOBMON_UNSUBSCRIBE_KEY`, or the SSM SecureString named by
/// `JOBMON_UNSUBSCRIBE_KEY_PARAMETER`. The one place the key is loaded: the notifier signs
/// with it, `api-notifications` verifies with it.
pub async fn load_key(
    env: &Env,
    parameters: &dyn ParameterSource,
) -> Result<UnsubscribeKey, ConfigError> {
    let raw = env
        .value(KEY_ENV, parameters)
        .await?
        .ok_or_else(|| ConfigError::Missing(KEY_ENV.into()))?;
    UnsubscribeKey::new(raw.as_bytes())
}

/// `POST /v1/notifications/unsubscribe?token=…`: no login, the token is the authority.
pub struct Unsubscriber {
    pub store: std::sync::Arc<dyn crate::NotificationStore>,
    pub key: UnsubscribeKey,
    pub clock: std::sync::Arc<dyn shared::ports::Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum UnsubscribeError {
    #[error("token: {0}")]
    Token(#[from] TokenError),
    #[error(transparent)]
    Store(#[from] shared::ports::StoreError),
}

impl From<UnsubscribeError> for shared::http::ApiError {
    fn from(e: UnsubscribeError) -> Self {
        match e {
            UnsubscribeError::Token(t) => Self::validation("token", t.to_string()),
            UnsubscribeError::Store(s) => s.into(),
        }
    }
}

impl Unsubscriber {
    /// Switches the token's mail type off for its member. Idempotent: a second click, or
    /// a member who never saved settings (whose defaults send nothing), changes nothing.
    pub async fn unsubscribe(&self, token: &str) -> Result<MailKind, UnsubscribeError> {
        let what = self.key.verify(token.trim(), self.clock.now())?;
        let Some(mut settings) = self.store.settings(what.tenant, what.user).await? else {
            return Ok(what.kind);
        };
        let enabled = match what.kind {
            MailKind::Instant => &mut settings.email.instant.enabled,
            MailKind::Digest => &mut settings.email.digest.enabled,
        };
        if *enabled {
            *enabled = false;
            self.store
                .put_settings(what.tenant, what.user, &settings)
                .await?;
        }
        Ok(what.kind)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn key(fill: u8) -> UnsubscribeKey {
        UnsubscribeKey::new(&[fill; 32]).unwrap()
    }

    fn what() -> Unsubscribe {
        Unsubscribe {
            tenant: TenantId::new(),
            user: UserId::new(),
            kind: MailKind::Digest,
        }
    }

    #[test]
    fn a_token_names_what_it_was_signed_for_until_it_expires() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        let what = what();
        let token = key(1).sign(what, now);
        assert_eq!(key(1).verify(&token, now + Duration::days(59)), Ok(what));
        assert_eq!(
            key(1).verify(&token, now + Duration::days(61)),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn tampered_foreign_and_garbage_tokens_are_refused() {
        let now = Utc::now();
        let token = key(1).sign(what(), now);
        let instant = token.replacen(".digest.", ".instant.", 1);
        assert_eq!(key(1).verify(&instant, now), Err(TokenError::BadSignature));
        assert_eq!(key(2).verify(&token, now), Err(TokenError::BadSignature));
        for garbage in ["", "abc", "a.b.c.d.zz", "a.b.c.d.e.00"] {
            assert_eq!(key(1).verify(garbage, now), Err(TokenError::Malformed));
        }
        assert!(UnsubscribeKey::new(b"short").is_err());
    }
}
