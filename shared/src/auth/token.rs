//! Access tokens: HS256 JWTs of at most 15 minutes carrying tenant, user and role. The
//! algorithm is pinned on both sides; `exp`, `iat`, `iss` and `aud` are validated. The
//! header's `kid` names the key that signed the token (see [`super::keys`]).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::keys::KeyRing;
use crate::domain::{Role, TenantId, UserId};

pub const ISSUER: &str = "jobmon";
pub const AUDIENCE: &str = "jobmon-api";
/// Access tokens live 15 minutes at most; refresh tokens carry the session further.
pub const ACCESS_TTL_SECS: i64 = 15 * 60;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("signing key must be at least 32 bytes")]
    WeakKey,
    #[error("invalid or expired token")]
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: UserId,
    pub tid: TenantId,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Who is calling, from a verified token only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub tenant: TenantId,
    pub user: UserId,
    pub role: Role,
}

impl Principal {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// For what only admins may do; a member is refused with [`NotAdmin`] (403).
    pub fn require_admin(&self) -> Result<(), NotAdmin> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(NotAdmin)
        }
    }
}

/// A member asked for what only admins may do. Every use-case error enum carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not allowed for your role")]
pub struct NotAdmin;

#[derive(Clone)]
pub struct TokenIssuer {
    keys: KeyRing,
    encoding: EncodingKey,
    validation: Validation,
}

impl TokenIssuer {
    /// One key, no rotation under way.
    pub fn new(secret: &[u8]) -> Result<Self, TokenError> {
        Self::with_keys(&KeyRing::single(secret))
    }

    /// Signs with the ring's current key; verifies with the key a token's `kid` names.
    pub fn with_keys(keys: &KeyRing) -> Result<Self, TokenError> {
        if keys.shortest() < 32 {
            return Err(TokenError::WeakKey);
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(keys.current().bytes()),
            keys: keys.clone(),
            validation,
        })
    }

    /// The key a token names; a token without `kid` predates key ids and verifies against
    /// the current key only (see [`KeyRing::find`]).
    fn decoding_key(&self, token: &str) -> Result<DecodingKey, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        let key = self
            .keys
            .find(header.kid.as_deref())
            .ok_or(TokenError::Invalid)?;
        Ok(DecodingKey::from_secret(key.bytes()))
    }

    /// Issues a token for `principal` valid from `now` (unix seconds).
    pub fn issue(&self, principal: Principal, now: i64) -> Result<String, TokenError> {
        let claims = AccessClaims {
            sub: principal.user,
            tid: principal.tenant,
            role: principal.role,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ACCESS_TTL_SECS,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.keys.current().id().to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding).map_err(|_| TokenError::Invalid)
    }

    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let key = self.decoding_key(token)?;
        let data = jsonwebtoken::decode::<AccessClaims>(token, &key, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        // Refuse tokens minted with a longer lifetime than we ever issue.
        if claims.exp - claims.iat > ACCESS_TTL_SECS {
            return Err(TokenError::Invalid);
        }
        Ok(Principal {
            tenant: claims.tid,
            user: claims.sub,
            role: claims.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(&[9u8; 32]).unwrap()
    }

    fn principal() -> Principal {
        Principal {
            tenant: TenantId::new(),
            user: UserId::new(),
            role: Role::Member,
        }
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn round_trips_the_principal() {
        let p = principal();
        let token = issuer().issue(p, now()).unwrap();
        assert_eq!(issuer().verify(&token), Ok(p));
    }

    #[test]
    fn refuses_expired_foreign_and_tampered_tokens() {
        let p = principal();
        let expired = issuer().issue(p, now() - ACCESS_TTL_SECS - 60).unwrap();
        assert_eq!(issuer().verify(&expired), Err(TokenError::Invalid));
        let other = TokenIssuer::new(&[1u8; 32])
            .unwrap()
            .issue(p, now())
            .unwrap();
        assert_eq!(issuer().verify(&other), Err(TokenError::Invalid));
        assert_eq!(issuer().verify("a.b.c"), Err(TokenError::Invalid));

        // Swap the payload for one claiming admin: the signature no longer matches.
        let token = issuer().issue(p, now()).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
            parts[2]
        );
        assert_eq!(issuer().verify(&forged), Err(TokenError::Invalid));
    }

    #[test]
    fn refuses_alg_none_and_wrong_audience() {
        let p = principal();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "sub": p.user, "tid": p.tenant, "role": "admin", "iss": ISSUER, "aud": AUDIENCE,
            "iat": now(), "exp": now() + 60
        });
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        assert_eq!(
            issuer().verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        );

        let mut wrong_aud = claims.clone();
        wrong_aud["aud"] = "someone-else".into();
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &wrong_aud,
            &EncodingKey::from_secret(&[9u8; 32]),
        )
        .unwrap();
        assert_eq!(issuer().verify(&token), Err(TokenError::Invalid));
    }

    const OLD: [u8; 32] = [1u8; 32];
    const NEW: [u8; 32] = [2u8; 32];

    fn kid_of(token: &str) -> Option<String> {
        jsonwebtoken::decode_header(token).unwrap().kid
    }

    /// A token as issued before key ids existed: same claims, no `kid` in the header.
    fn without_kid(key: &[u8], p: Principal) -> String {
        let claims = serde_json::json!({
            "sub": p.user, "tid": p.tenant, "role": p.role, "iss": ISSUER, "aud": AUDIENCE,
            "iat": now(), "exp": now() + 60
        });
        let header = Header::new(Algorithm::HS256);
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key)).unwrap()
    }

    #[test]
    fn tokens_name_their_key_and_the_previous_key_verifies_only_during_a_rotation() {
        let p = principal();
        let before = TokenIssuer::new(&OLD).unwrap();
        let during = TokenIssuer::with_keys(&KeyRing::rotating(&NEW, Some(&OLD))).unwrap();
        let after = TokenIssuer::new(&NEW).unwrap();

        let old_token = before.issue(p, now()).unwrap();
        assert_eq!(
            kid_of(&old_token).as_deref(),
            Some(KeyRing::single(&OLD).current().id())
        );
        assert_eq!(during.verify(&old_token), Ok(p));
        assert_eq!(after.verify(&old_token), Err(TokenError::Invalid));

        let new_token = during.issue(p, now()).unwrap();
        assert_eq!(
            kid_of(&new_token).as_deref(),
            Some(KeyRing::single(&NEW).current().id())
        );
        assert_eq!(after.verify(&new_token), Ok(p));
        assert_eq!(before.verify(&new_token), Err(TokenError::Invalid));
    }

    #[test]
    fn an_unknown_kid_is_refused_even_with_a_valid_signature() {
        let p = principal();
        let claims = serde_json::json!({
            "sub": p.user, "tid": p.tenant, "role": "member", "iss": ISSUER, "aud": AUDIENCE,
            "iat": now(), "exp": now() + 60
        });
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("deadbeef".into());
        let token =
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&NEW)).unwrap();
        let during = TokenIssuer::with_keys(&KeyRing::rotating(&NEW, Some(&OLD))).unwrap();
        assert_eq!(during.verify(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn tokens_without_kid_verify_against_the_current_key_only() {
        let p = principal();
        let during = TokenIssuer::with_keys(&KeyRing::rotating(&NEW, Some(&OLD))).unwrap();
        assert_eq!(during.verify(&without_kid(&NEW, p)), Ok(p));
        assert_eq!(
            during.verify(&without_kid(&OLD, p)),
            Err(TokenError::Invalid)
        );
    }

    #[test]
    fn weak_keys_are_refused() {
        assert!(matches!(
            TokenIssuer::new(b"short"),
            Err(TokenError::WeakKey)
        ));
        assert!(matches!(
            TokenIssuer::with_keys(&KeyRing::rotating(&NEW, Some(b"short"))),
            Err(TokenError::WeakKey)
        ));
    }
}
