//! Pagination cursors: opaque to clients, tamper-proof, and valid only for the tenant and
//! the query that produced them.
//!
//! Token = kid "." base64url(position JSON) "." base64url(HMAC-SHA256). `kid` names the key
//! that signed it (see [`crate::auth::keys`]), so cursors handed out before a rotation still
//! page on while the previous key is kept. The MAC covers a version tag, the tenant id, the
//! query scope and the position; tenant and scope are not in the token, so a cursor
//! replayed by another tenant or with other filters fails the MAC. A token of two parts
//! predates key ids and is checked against the current key only.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::auth::keys::{KeyRing, SigningKey};
use crate::domain::TenantId;

type HmacSha256 = Hmac<Sha256>;

/// Longer tokens are refused before any work is done on them.
const MAX_TOKEN_LEN: usize = 2048;
const VERSION: &[u8] = b"jobmon-cursor-v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("cursor secret must be at least 32 bytes")]
    WeakSecret,
    #[error("invalid cursor")]
    Invalid,
}

/// A position in a list: the storage key to continue after, as attribute → string value.
pub type Position = BTreeMap<String, String>;

#[derive(Clone)]
pub struct CursorCodec {
    keys: KeyRing,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    /// One key, no rotation under way.
    pub fn new(secret: &[u8]) -> Result<Self, CursorError> {
        Self::with_keys(&KeyRing::single(secret))
    }

    /// Seals with the ring's current key; opens with the key a cursor's kid names.
    pub fn with_keys(keys: &KeyRing) -> Result<Self, CursorError> {
        if keys.shortest() < 32 {
            return Err(CursorError::WeakSecret);
        }
        Ok(Self { keys: keys.clone() })
    }

    fn mac(key: &SigningKey, tenant: TenantId, scope: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key.bytes()).expect("HMAC accepts any key length");
        for part in [
            VERSION,
            tenant.to_string().as_bytes(),
            scope.as_bytes(),
            payload,
        ] {
            // Length-prefix each part so no two different inputs share a byte string.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    pub fn seal(&self, tenant: TenantId, scope: &str, position: &Position) -> String {
        let payload = serde_json::to_vec(position).expect("a string map always serialises");
        let key = self.keys.current();
        let tag = Self::mac(key, tenant, scope, &payload)
            .finalize()
            .into_bytes();
        format!(
            "{}.{}.{}",
            key.id(),
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    pub fn open(
        &self,
        token: &str,
        tenant: TenantId,
        scope: &str,
    ) -> Result<Position, CursorError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(CursorError::Invalid);
        }
        let (kid, payload_b64, tag_b64) = match token.split('.').collect::<Vec<_>>()[..] {
            [payload, tag] => (None, payload, tag),
            [kid, payload, tag] => (Some(kid), payload, tag),
            _ => return Err(CursorError::Invalid),
        };
        let key = self.keys.find(kid).ok_or(CursorError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| CursorError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag_b64)
            .map_err(|_| CursorError::Invalid)?;
        // verify_slice compares in constant time.
        Self::mac(key, tenant, scope, &payload)
            .verify_slice(&tag)
            .map_err(|_| CursorError::Invalid)?;
        serde_json::from_slice(&payload).map_err(|_| CursorError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codec() -> CursorCodec {
        CursorCodec::new(&[7u8; 32]).unwrap()
    }

    fn position() -> Position {
        [
            ("PK".to_string(), "T#x".to_string()),
            ("SK".to_string(), "JOB#y".to_string()),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn round_trips_for_the_same_tenant_and_scope() {
        let t = TenantId::new();
        let token = codec().seal(t, "jobs:all", &position());
        assert_eq!(codec().open(&token, t, "jobs:all"), Ok(position()));
    }

    #[test]
    fn refuses_another_tenant_another_scope_or_another_key() {
        let t = TenantId::new();
        let token = codec().seal(t, "jobs:all", &position());
        assert_eq!(
            codec().open(&token, TenantId::new(), "jobs:all"),
            Err(CursorError::Invalid)
        );
        assert_eq!(
            codec().open(&token, t, "jobs:status=scored"),
            Err(CursorError::Invalid)
        );
        let other = CursorCodec::new(&[8u8; 32]).unwrap();
        assert_eq!(other.open(&token, t, "jobs:all"), Err(CursorError::Invalid));
    }

    #[test]
    fn refuses_tampering_and_garbage() {
        let t = TenantId::new();
        let token = codec().seal(t, "s", &position());
        let (kid, rest) = token.split_once('.').unwrap();
        let (payload, tag) = rest.split_once('.').unwrap();
        let mut forged_position = position();
        forged_position.insert("PK".into(), "T#victim".into());
        let forged = format!(
            "{kid}.{}.{tag}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_position).unwrap())
        );
        for bad in [
            forged.as_str(),
            payload,
            "",
            ".",
            "!!!.???",
            &format!("{kid}.{payload}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            &format!("{kid}.{kid}.{payload}.{tag}"),
            &"a".repeat(3000),
        ] {
            assert_eq!(
                codec().open(bad, t, "s"),
                Err(CursorError::Invalid),
                "{bad:.40}"
            );
        }
    }

    const OLD: [u8; 32] = [1u8; 32];
    const NEW: [u8; 32] = [2u8; 32];

    #[test]
    fn a_cursor_of_the_previous_key_opens_only_during_a_rotation() {
        let t = TenantId::new();
        let before = CursorCodec::new(&OLD).unwrap();
        let during = CursorCodec::with_keys(&KeyRing::rotating(&NEW, Some(&OLD))).unwrap();
        let after = CursorCodec::new(&NEW).unwrap();

        let old = before.seal(t, "s", &position());
        assert!(old.starts_with(&format!("{}.", KeyRing::single(&OLD).current().id())));
        assert_eq!(during.open(&old, t, "s"), Ok(position()));
        assert_eq!(after.open(&old, t, "s"), Err(CursorError::Invalid));

        let new = during.seal(t, "s", &position());
        assert!(new.starts_with(&format!("{}.", KeyRing::single(&NEW).current().id())));
        assert_eq!(after.open(&new, t, "s"), Ok(position()));
    }

    #[test]
    fn an_unknown_kid_is_refused_and_kidless_cursors_open_with_the_current_key_only() {
        let t = TenantId::new();
        let during = CursorCodec::with_keys(&KeyRing::rotating(&NEW, Some(&OLD))).unwrap();
        let sealed = during.seal(t, "s", &position());
        let (_, rest) = sealed.split_once('.').unwrap();
        assert_eq!(
            during.open(&format!("deadbeef.{rest}"), t, "s"),
            Err(CursorError::Invalid)
        );
        // Cursors handed out before key ids: payload.tag under the key of the time.
        assert_eq!(during.open(rest, t, "s"), Ok(position()));
        let old = CursorCodec::new(&OLD).unwrap().seal(t, "s", &position());
        let (_, old_rest) = old.split_once('.').unwrap();
        assert_eq!(during.open(old_rest, t, "s"), Err(CursorError::Invalid));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            CursorCodec::new(b"short").unwrap_err(),
            CursorError::WeakSecret
        );
    }
}
