//! Opaque random secrets (refresh tokens, one-time tokens, WebSocket tickets) and the
//! hashes under which they are stored: the store never holds a usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// 256 random bits, URL-safe base64 (43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct OpaqueSecret(String);

impl std::fmt::Debug for OpaqueSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpaqueSecret(..)")
    }
}

impl OpaqueSecret {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).expect("the OS random source is available");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a presented secret, hex. Secrets are 256-bit random values, so a fast hash
/// is enough: there is nothing to brute-force.
pub fn hash_secret(presented: &str) -> String {
    hex::encode(Sha256::digest(presented.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let a = OpaqueSecret::generate();
        let b = OpaqueSecret::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(hash_secret(a.expose()), hash_secret(a.expose()));
        assert_ne!(hash_secret(a.expose()), hash_secret(b.expose()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
