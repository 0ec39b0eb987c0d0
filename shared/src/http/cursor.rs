//! Pagination cursors: opaque to clients, tamper-proof, and valid only for the tenant and
//! the query that produced them.
//!
//! Token = base64url(position JSON) "." base64url(HMAC-SHA256). The MAC covers a version
//! tag, the tenant id, the query scope and the position; tenant and scope are not in the
//! token, so a cursor replayed by another tenant or with other filters fails the MAC.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

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
    key: Vec<u8>,
}

impl std::fmt::Debug for CursorCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorCodec(..)")
    }
}

impl CursorCodec {
    pub fn new(secret: &[u8]) -> Result<Self, CursorError> {
        if secret.len() < 32 {
            return Err(CursorError::WeakSecret);
        }
        Ok(Self {
            key: secret.to_vec(),
        })
    }

    fn mac(&self, tenant: TenantId, scope: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
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
        let tag = self.mac(tenant, scope, &payload).finalize().into_bytes();
        format!(
            "{}.{}",
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
        let (payload_b64, tag_b64) = token.split_once('.').ok_or(CursorError::Invalid)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload_b64)
            .map_err(|_| CursorError::Invalid)?;
        let tag = URL_SAFE_NO_PAD
            .decode(tag_b64)
            .map_err(|_| CursorError::Invalid)?;
        // verify_slice compares in constant time.
        self.mac(tenant, scope, &payload)
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
        let (payload, tag) = token.split_once('.').unwrap();
        let mut forged_position = position();
        forged_position.insert("PK".into(), "T#victim".into());
        let forged = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_position).unwrap())
        );
        for bad in [
            forged.as_str(),
            payload,
            "",
            ".",
            "!!!.???",
            &format!("{payload}.{}", URL_SAFE_NO_PAD.encode([0u8; 32])),
            &"a".repeat(3000),
        ] {
            assert_eq!(
                codec().open(bad, t, "s"),
                Err(CursorError::Invalid),
                "{bad:.40}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert_eq!(
            CursorCodec::new(b"short").unwrap_err(),
            CursorError::WeakSecret
        );
    }
}
